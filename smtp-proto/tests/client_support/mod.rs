//! Scripted sessions for the client tests: server bytes and application calls, run once
//! whole and then replayed with the server's bytes split at every position and in random
//! chunk sizes; the transcripts must be identical.
#![allow(dead_code, unreachable_pub)]

use smtp_proto::client::{Client, ClientError, Config, Envelope, Event, Output, Transfer};
use smtp_proto::types::{Address, EnhancedCode, MailFrom, RcptTo, Reply};
use std::borrow::Cow;
use std::time::Instant;

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

/// What the client produced, in order; adjacent transmissions merged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Out {
    Sent(String),
    Ev(Event),
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

/// Drains the client's output into `log`.
pub fn drain(client: &mut Client, log: &mut Vec<Out>) {
    loop {
        match client.poll_output() {
            Output::Transmit(bytes) => {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                if let Some(Out::Sent(last)) = log.last_mut() {
                    last.push_str(&text);
                } else {
                    log.push(Out::Sent(text));
                }
            }
            Output::Event(event) => log.push(Out::Ev(event)),
            Output::NeedInput => return,
        }
    }
}

/// Runs the session whole, then with every server step split at every byte position and
/// in pseudo-random chunk sizes, asserts the transcripts are identical and returns it.
pub fn session(config: &Config, steps: &[Step]) -> Vec<Out> {
    let whole = run_with(config, steps, &mut |_| Vec::new());
    let total: usize = steps
        .iter()
        .map(|s| match s {
            Step::Server(b) => b.len(),
            Step::App(_) => 0,
        })
        .sum();
    // Every global position: split the server step that contains it there.
    for position in 1..total {
        let mut offset = 0;
        let split = run_with(config, steps, &mut |bytes| {
            let here = position
                .checked_sub(offset)
                .filter(|&p| p > 0 && p < bytes.len());
            offset += bytes.len();
            here.into_iter().collect()
        });
        assert_eq!(split, whole, "split at byte {position}");
    }
    // Every step split into single bytes, and into pseudo-random chunks.
    let bytewise = run_with(config, steps, &mut |bytes| (1..bytes.len()).collect());
    assert_eq!(bytewise, whole, "byte by byte");
    for seed in 1..=8u64 {
        let mut state = seed;
        let random = run_with(config, steps, &mut |bytes| {
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

pub fn reply(code: u16, text: &str) -> Reply<'static> {
    Reply::new(code, None, Cow::Owned(text.to_owned()))
}

pub fn ereply(code: u16, enhanced: (u8, u16, u16), text: &str) -> Reply<'static> {
    let (c, s, d) = enhanced;
    Reply::new(
        code,
        Some(EnhancedCode::new(c, s, d)),
        Cow::Owned(text.to_owned()),
    )
}

pub fn address(text: &'static str) -> Address<'static> {
    let (local, domain) = text.split_once('@').expect("address");
    Address {
        local_part: Cow::Borrowed(local),
        domain: Cow::Borrowed(domain),
    }
}

pub fn envelope(from: &'static str, to: &[&'static str], transfer: Transfer) -> Envelope<'static> {
    Envelope {
        mail_from: MailFrom {
            sender: Some(address(from)),
            params: Default::default(),
        },
        recipients: to
            .iter()
            .map(|t| RcptTo {
                recipient: address(t),
                params: Default::default(),
            })
            .collect(),
        transfer,
    }
}

pub const GREETING: &[u8] = b"220 mx.example ESMTP ready\r\n";
