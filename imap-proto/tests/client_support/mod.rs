//! Scripted sessions for the client tests: server bytes, application calls and clock
//! advances, run once whole and then replayed with the server's bytes split at every
//! position and in random chunk sizes; the transcripts must be identical.
#![allow(dead_code, unreachable_pub)]

use std::time::{Duration, Instant};

use bytes::Bytes;
use imap_proto::client::{Client, ClientError, Config, Event, Output};
use imap_proto::codec::decode_response;
use imap_proto::types::{Code, Response, StatusKind, Tag, Text, Untagged};

/// An application call in a script.
pub type AppCall = Box<dyn Fn(&mut Client) -> Result<(), ClientError>>;

/// One step of a scripted session.
pub enum Step {
    /// Bytes from the server.
    Server(Vec<u8>),
    /// An application call that must succeed.
    App(AppCall),
    /// The virtual clock moves forward.
    Advance(Duration),
}

/// Bytes from the server.
pub fn server(bytes: impl AsRef<[u8]>) -> Step {
    Step::Server(bytes.as_ref().to_vec())
}

/// An application call that must succeed (a returned tag is ignored).
pub fn app<T>(f: impl Fn(&mut Client) -> Result<T, ClientError> + 'static) -> Step {
    Step::App(Box::new(move |c| f(c).map(|_| ())))
}

/// The clock moves forward by `secs` seconds.
pub fn advance(secs: u64) -> Step {
    Step::Advance(Duration::from_secs(secs))
}

/// What the client produced, in order. Adjacent literal chunks are merged (their
/// boundaries follow the input's), and so are transmissions caused by the same step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Out {
    Sent(String),
    Ev(Event),
}

/// A client and its virtual clock.
pub struct Harness {
    pub client: Client,
    pub now: Instant,
    pub log: Vec<Out>,
    /// A new step began: the next transmission is logged on its own.
    fresh: bool,
}

impl Harness {
    pub fn new(config: &Config) -> Self {
        let now = Instant::now();
        let mut h = Self {
            client: Client::new(config.clone(), now),
            now,
            log: Vec::new(),
            fresh: true,
        };
        h.settle();
        h
    }

    /// Drains the output and answers the client's requests for the time.
    pub fn settle(&mut self) {
        for _ in 0..16 {
            drain(&mut self.client, &mut self.log, &mut self.fresh);
            match self.client.poll_timeout() {
                Some(at) if at <= self.now => self.client.handle_timeout(self.now),
                _ => return,
            }
        }
        panic!("the client keeps asking for the time");
    }

    pub fn input(&mut self, bytes: &[u8]) {
        self.fresh = true;
        self.client.handle_input(bytes);
        self.settle();
    }

    pub fn advance(&mut self, by: Duration) {
        self.now += by;
        self.settle();
    }

    pub fn call<T>(&mut self, f: impl FnOnce(&mut Client) -> Result<T, ClientError>) -> T {
        self.fresh = true;
        let value = f(&mut self.client).expect("application call accepted");
        self.settle();
        value
    }

    /// The log so far, emptied.
    pub fn take(&mut self) -> Vec<Out> {
        std::mem::take(&mut self.log)
    }
}

/// Runs `steps`, splitting the bytes of every server step with `split`.
pub fn run_with(
    config: &Config,
    steps: &[Step],
    split: &mut dyn FnMut(&[u8]) -> Vec<usize>,
) -> Vec<Out> {
    let mut h = Harness::new(config);
    for step in steps {
        h.fresh = true;
        match step {
            Step::Server(bytes) => {
                let mut start = 0;
                for cut in split(bytes).into_iter().chain([bytes.len()]) {
                    h.input(&bytes[start..cut]);
                    start = cut;
                }
            }
            Step::App(call) => h.call(|c| call(c)),
            Step::Advance(by) => h.advance(*by),
        }
    }
    h.log
}

/// Drains the client's output into `log`; a transmission is appended to the previous one
/// unless `fresh`.
pub fn drain(client: &mut Client, log: &mut Vec<Out>, fresh: &mut bool) {
    loop {
        let output = client.poll_output();
        let was_fresh = std::mem::replace(fresh, false);
        match output {
            Output::Transmit(bytes) => {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                match log.last_mut() {
                    Some(Out::Sent(last)) if !was_fresh => last.push_str(&text),
                    _ => log.push(Out::Sent(text)),
                }
            }
            Output::Event(Event::LiteralChunk(chunk)) => {
                if let Some(Out::Ev(Event::LiteralChunk(last))) = log.last_mut() {
                    let mut joined = last.to_vec();
                    joined.extend_from_slice(&chunk);
                    *last = Bytes::from(joined);
                } else {
                    log.push(Out::Ev(Event::LiteralChunk(chunk)));
                }
            }
            Output::Event(event) => log.push(Out::Ev(event)),
            Output::NeedInput => {
                *fresh = was_fresh;
                return;
            }
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
            _ => 0,
        })
        .sum();
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
                at += 1 + (state >> 58) as usize;
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

pub fn tag(text: &str) -> Tag<'static> {
    Tag::new(text.to_owned()).unwrap()
}

/// The event for a tagged completion line such as `A1 OK [READ-WRITE] done\r\n`, as the
/// response codec reads it.
pub fn completed(line: &[u8]) -> Out {
    let (_, response) = decode_response(line).expect("a valid tagged response");
    let Response::Tagged(t) = response.into_owned() else {
        panic!("not a tagged response");
    };
    let (code, text) = t.text.into_parts();
    ev(Event::Completed {
        tag: t.tag,
        status: t.status,
        code,
        text,
    })
}

/// `Completed` without a code.
pub fn done(tag_text: &str, status: StatusKind, text: &str) -> Out {
    ev(Event::Completed {
        tag: tag(tag_text),
        status,
        code: None::<Code<'static>>,
        text: Text::new(text.to_owned()).unwrap(),
    })
}

/// The event for an untagged response line, as the response codec reads it.
pub fn untagged(line: &[u8]) -> Out {
    ev(Event::Untagged(parse_untagged(line)))
}

pub fn parse_untagged(line: &[u8]) -> Untagged<'static> {
    let (_, response) = decode_response(line).expect("a valid untagged response");
    let Response::Untagged(u) = response.into_owned() else {
        panic!("not an untagged response");
    };
    u
}

/// Config without automatic CAPABILITY, for scripts that do not want it.
pub fn manual_caps() -> Config {
    let mut config = Config::default();
    config.auto_capability = false;
    config
}

pub const GREETING: &[u8] =
    b"* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN STARTTLS IDLE] ready\r\n";
