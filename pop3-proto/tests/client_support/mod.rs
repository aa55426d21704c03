//! Scripted client sessions: server bytes and application calls, run once whole and then
//! replayed with the server's bytes split at every position and in random chunk sizes;
//! the transcripts must be identical.
#![allow(dead_code, unreachable_pub)]

use std::time::Instant;

use bytes::BytesMut;
use pop3_proto::client::{Client, ClientError, Config, Event, Output};

/// An application call in a script.
pub type AppCall = Box<dyn Fn(&mut Client) -> Result<(), ClientError>>;

/// One step of a scripted session.
pub enum Step {
    /// Bytes from the server.
    Server(&'static [u8]),
    /// An application call that must succeed.
    App(AppCall),
}

/// Shorthand for [`Step::App`].
pub fn app(f: impl Fn(&mut Client) -> Result<(), ClientError> + 'static) -> Step {
    Step::App(Box::new(f))
}

/// What the client produced, in order; adjacent transmissions and message chunks merged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Out {
    Sent(String),
    Ev(Event),
}

fn push(log: &mut Vec<Out>, out: Out) {
    match (log.last_mut(), out) {
        (Some(Out::Sent(last)), Out::Sent(text)) => last.push_str(&text),
        (Some(Out::Ev(Event::MessageChunk(last))), Out::Ev(Event::MessageChunk(more))) => {
            let mut merged = BytesMut::from(&last[..]);
            merged.extend_from_slice(&more);
            *last = merged.freeze();
        }
        (_, out) => log.push(out),
    }
}

/// Drains the client's output into `log`.
pub fn drain(client: &mut Client, log: &mut Vec<Out>) {
    loop {
        match client.poll_output() {
            Output::Transmit(bytes) => {
                push(log, Out::Sent(String::from_utf8_lossy(&bytes).into_owned()));
            }
            Output::Event(event) => push(log, Out::Ev(event)),
            Output::NeedInput => return,
        }
    }
}

/// Runs `steps`, splitting the bytes of every server step with `split`.
pub fn run_with(
    config: &Config,
    steps: &[Step],
    split: &mut dyn FnMut(&[u8]) -> Vec<usize>,
) -> Vec<Out> {
    let mut client = Client::new(config.clone(), Instant::now());
    let mut log = Vec::new();
    drain(&mut client, &mut log);
    for step in steps {
        match step {
            Step::Server(bytes) => {
                let mut start = 0;
                for cut in split(bytes).into_iter().chain([bytes.len()]) {
                    client.handle_input(&bytes[start..cut]);
                    drain(&mut client, &mut log);
                    start = cut;
                }
            }
            Step::App(call) => {
                call(&mut client).expect("application call accepted");
                drain(&mut client, &mut log);
            }
        }
    }
    log
}

/// Runs the session whole, then with every server step split at every byte position and
/// in pseudo-random chunk sizes; asserts the transcripts are identical and returns it.
pub fn session(steps: &[Step]) -> Vec<Out> {
    let config = Config::default();
    let whole = run_with(&config, steps, &mut |_| Vec::new());
    let total: usize = steps
        .iter()
        .map(|s| match s {
            Step::Server(b) => b.len(),
            Step::App(_) => 0,
        })
        .sum();
    for position in 1..total {
        let mut offset = 0;
        let split = run_with(&config, steps, &mut |bytes| {
            let here = position
                .checked_sub(offset)
                .filter(|&p| p > 0 && p < bytes.len());
            offset += bytes.len();
            here.into_iter().collect()
        });
        assert_eq!(split, whole, "split at byte {position}");
    }
    let bytewise = run_with(&config, steps, &mut |bytes| (1..bytes.len()).collect());
    assert_eq!(bytewise, whole, "byte by byte");
    for seed in 1..=6u64 {
        let mut state = seed;
        let random = run_with(&config, steps, &mut |bytes| {
            let mut cuts = Vec::new();
            let mut at = 0;
            loop {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                at += 1 + (state >> 59) as usize;
                if at >= bytes.len() {
                    return cuts;
                }
                cuts.push(at);
            }
        });
        assert_eq!(random, whole, "random chunks, seed {seed}");
    }
    whole
}

pub fn sent(text: &str) -> Out {
    Out::Sent(text.to_owned())
}

pub fn ev(event: Event) -> Out {
    Out::Ev(event)
}

pub fn chunk(bytes: &'static [u8]) -> Out {
    Out::Ev(Event::MessageChunk(bytes::Bytes::from_static(bytes)))
}

pub const GREETING: &[u8] = b"+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n";
