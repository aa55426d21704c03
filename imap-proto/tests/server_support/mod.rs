//! Session test harness for the IMAP server: feeds input, answers events with a scripted
//! application, collects transmitted bytes and events, and checks that every split of
//! the input gives the same result.
#![allow(dead_code, unreachable_pub)]

use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use bytes::Bytes;
use imap_proto::server::{Config, Event, Output, Server, Status};
use imap_proto::types::{
    Code, CommandBody, Fetch, FetchItem, Flag, NonEmptyVec, SequenceSet, UidSet, Untagged,
};

/// One thing that happens to the session.
#[derive(Clone)]
pub enum Step<'a> {
    /// Bytes from the client (split in the replays).
    Input(&'a [u8]),
    /// The application pushes an unsolicited response.
    Push(Untagged<'static>),
    /// Time passes (then `handle_timeout`).
    Wait(Duration),
    /// The driver finished the TLS handshake (`tls_established`).
    Tls,
}

/// How the scripted application answers.
#[derive(Clone)]
pub struct Policy {
    /// LOGIN / AUTHENTICATE PLAIN credentials that succeed.
    pub user: &'static str,
    pub password: &'static str,
    /// Synchronising literals larger than this are refused with `NO [TOOBIG]`.
    pub max_literal: u32,
    /// Messages in the selected mailbox (`* n EXISTS` on SELECT).
    pub exists: u32,
    /// Pushed during the NOOP hook.
    pub on_noop: Vec<Untagged<'static>>,
    /// Pushed right after a FETCH command event, before its data (as if another session
    /// expunged a message meanwhile).
    pub during_fetch: Vec<Untagged<'static>>,
    /// Call `tls_established` right after `Event::StartTls`.
    pub complete_tls: bool,
    /// Leave decisions unanswered.
    pub never_answer: bool,
    /// How COMPRESS is answered: `None` accepts it, `Some(status)` refuses it. The
    /// accepted "deflate layer" is the identity: pending bytes are fed back as they are.
    pub refuse_compress: Option<Status>,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            user: "joe",
            password: "secret",
            max_literal: 1024,
            exists: 3,
            on_noop: Vec::new(),
            during_fetch: Vec::new(),
            complete_tls: true,
            never_answer: false,
            refuse_compress: None,
        }
    }
}

/// Everything a session produced. Consecutive `AppendChunk` events are merged.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Transcript {
    pub sent: Vec<u8>,
    pub events: Vec<Event>,
    /// The most input the machine held after a drain.
    pub max_buffered: usize,
    /// The most bytes in one AppendChunk event.
    pub max_chunk: usize,
    chunk: Vec<u8>,
}

impl Transcript {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.sent).into_owned()
    }

    /// The response lines, one string each.
    pub fn lines(&self) -> Vec<String> {
        self.text()
            .split("\r\n")
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// Appended messages: the data between AppendMessage events.
    pub fn appended(&self) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for e in &self.events {
            match e {
                Event::AppendMessage(_) => out.push(Vec::new()),
                Event::AppendChunk(b) => out
                    .last_mut()
                    .expect("chunk after head")
                    .extend_from_slice(b),
                _ => {}
            }
        }
        out
    }

    /// Event names in order (handy for asserts).
    pub fn kinds(&self) -> Vec<String> {
        self.events
            .iter()
            .map(|e| {
                let s = format!("{e:?}");
                s.split(['(', ' ', '{']).next().unwrap_or("").to_owned()
            })
            .collect()
    }

    fn push_event(&mut self, event: Event) {
        if let Event::AppendChunk(b) = &event {
            self.max_chunk = self.max_chunk.max(b.len());
            self.chunk.extend_from_slice(b);
            return;
        }
        self.finish_chunk();
        self.events.push(event);
    }

    fn finish_chunk(&mut self) {
        if !self.chunk.is_empty() {
            let data = Bytes::from(std::mem::take(&mut self.chunk));
            self.events.push(Event::AppendChunk(data));
        }
    }
}

fn plain(user: &str, password: &str) -> Vec<u8> {
    format!("\0{user}\0{password}").into_bytes()
}

fn fetch_flags(seq: u32) -> Untagged<'static> {
    Untagged::Fetch(Fetch {
        seq: NonZeroU32::new(seq).unwrap(),
        items: NonEmptyVec::one(FetchItem::Flags(vec![Flag::Seen])),
    })
}

fn answer(server: &mut Server, policy: &Policy, event: &Event, appended: &mut u32) {
    if policy.never_answer {
        return;
    }
    let result = match event {
        Event::Command(cmd) => match &cmd.body {
            CommandBody::Login { username, password } => {
                if username.as_bytes() == policy.user.as_bytes()
                    && password.expose().as_bytes() == policy.password.as_bytes()
                {
                    server.complete(Status::ok("Logged in"))
                } else {
                    server.complete(
                        Status::no("Invalid credentials").with_code(Code::AuthenticationFailed),
                    )
                }
            }
            CommandBody::Select { mailbox, .. } | CommandBody::Examine { mailbox, .. } => {
                if mailbox.as_str() == "missing" {
                    server.complete(Status::no("No such mailbox").with_code(Code::NonExistent))
                } else {
                    server
                        .send_untagged(Untagged::Exists(policy.exists))
                        .unwrap();
                    server
                        .send_untagged(Untagged::Flags(vec![Flag::Seen, Flag::Deleted]))
                        .unwrap();
                    server.complete(Status::ok("Selected"))
                }
            }
            CommandBody::Fetch { set, .. } => {
                for push in &policy.during_fetch {
                    server.push_unsolicited(push.clone()).unwrap();
                }
                if *set == SequenceSet::single(1).unwrap() {
                    server.send_untagged(fetch_flags(1)).unwrap();
                }
                server.complete(Status::ok("FETCH completed"))
            }
            CommandBody::Expunge => {
                server
                    .send_untagged(Untagged::Expunge(NonZeroU32::new(2).unwrap()))
                    .unwrap();
                server.complete(Status::ok("EXPUNGE completed"))
            }
            _ => server.complete(Status::ok(format!("{} completed", cmd.body.name()))),
        },
        Event::Noop { .. } => {
            for push in &policy.on_noop {
                server.push_unsolicited(push.clone()).unwrap();
            }
            Ok(())
        }
        Event::Literal { length, .. } => {
            if *length > policy.max_literal {
                server.reject_literal(Status::no("Literal too big").with_code(Code::TooBig))
            } else {
                server.accept_literal()
            }
        }
        Event::AppendMessage(info) => {
            if info.mailbox.as_str() == "missing" {
                server.reject_literal(Status::no("No such mailbox").with_code(Code::TryCreate))
            } else {
                *appended += 1;
                server.accept_literal()
            }
        }
        Event::AppendEnd { .. } => {
            let n = std::mem::take(appended);
            let uids = UidSet::from_ranges(&[(
                NonZeroU32::new(100).unwrap(),
                NonZeroU32::new(99 + n.max(1)).unwrap(),
            )])
            .unwrap();
            let code = Code::AppendUid {
                uid_validity: NonZeroU32::new(7).unwrap(),
                uids,
            };
            server.complete(Status::ok("APPEND completed").with_code(code))
        }
        Event::AppendAborted => {
            *appended = 0;
            Ok(())
        }
        Event::Authenticate {
            initial_response, ..
        } => match initial_response {
            Some(r) if r.0 == plain(policy.user, policy.password) => server.auth_success(),
            Some(_) => server.auth_failure(
                Status::no("Authentication failed").with_code(Code::AuthenticationFailed),
            ),
            None => server.auth_challenge(b""),
        },
        Event::AuthResponse(r) => {
            if r.0 == plain(policy.user, policy.password) {
                server.auth_success()
            } else {
                server.auth_failure(
                    Status::no("Authentication failed").with_code(Code::AuthenticationFailed),
                )
            }
        }
        Event::StartTls if policy.complete_tls => server.tls_established(),
        Event::Compress { .. } => match &policy.refuse_compress {
            None => server.accept_compression(),
            Some(status) => server.reject_compression(status.clone()),
        },
        Event::StartCompression { pending } => {
            server.handle_input(pending);
            Ok(())
        }
        _ => Ok(()),
    };
    result.expect("decision accepted");
}

/// Drains the server's output, answering decisions.
pub fn drain(server: &mut Server, policy: &Policy, t: &mut Transcript, appended: &mut u32) {
    loop {
        match server.poll_output() {
            Output::Transmit(b) => t.sent.extend_from_slice(&b),
            Output::Event(e) => {
                answer(server, policy, &e, appended);
                t.push_event(e);
            }
            Output::NeedInput => break,
        }
    }
    t.max_buffered = t.max_buffered.max(server.buffered_input_len());
}

/// Runs a session over steps whose inputs are already cut into chunks.
pub fn run(config: &Config, policy: &Policy, steps: &[Step<'_>]) -> (Server, Transcript) {
    let mut now = Instant::now();
    let mut server = Server::new(config.clone(), now);
    let mut t = Transcript::default();
    let mut appended = 0;
    drain(&mut server, policy, &mut t, &mut appended);
    for step in steps {
        match step {
            Step::Input(bytes) => {
                server.handle_timeout(now);
                server.handle_input(bytes);
            }
            Step::Push(r) => {
                // Pushing may be refused (e.g. not logged in); the transcript shows it.
                let _ = server.push_unsolicited(r.clone());
            }
            Step::Wait(d) => {
                now += *d;
                server.handle_timeout(now);
            }
            Step::Tls => server.tls_established().expect("TLS handshake pending"),
        }
        drain(&mut server, policy, &mut t, &mut appended);
    }
    t.finish_chunk();
    (server, t)
}

fn compare(whole: &Transcript, other: &Transcript, how: &str) {
    assert_eq!(
        whole.text(),
        other.text(),
        "sent bytes differ when split {how}"
    );
    assert_eq!(whole.events, other.events, "events differ when split {how}");
}

fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

fn split_random(segment: &[u8], seed: u64, max: u64) -> Vec<&[u8]> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::new();
    let mut rest = segment;
    while !rest.is_empty() {
        let n = usize::try_from(xorshift(&mut state) % max + 1)
            .unwrap()
            .min(rest.len());
        out.push(&rest[..n]);
        rest = &rest[n..];
    }
    out
}

/// Runs a session, then replays it with every input step split at every byte (inputs
/// up to 3000 bytes) and in random chunk sizes, asserting identical transmitted bytes
/// and events. Returns the transcript of the unsplit run.
pub fn session(config: &Config, policy: &Policy, steps: &[Step<'_>]) -> Transcript {
    let (_, whole) = run(config, policy, steps);
    for (index, step) in steps.iter().enumerate() {
        let Step::Input(segment) = step else { continue };
        if segment.len() > 3000 {
            continue;
        }
        for at in 0..=segment.len() {
            let mut split: Vec<Step<'_>> = steps[..index].to_vec();
            split.push(Step::Input(&segment[..at]));
            split.push(Step::Input(&segment[at..]));
            split.extend_from_slice(&steps[index + 1..]);
            compare(
                &whole,
                &run(config, policy, &split).1,
                &format!("in step {index} at {at}"),
            );
        }
    }
    for seed in 1..=6u64 {
        for max in [1u64, 7, 64, 1500, 70_000] {
            let split: Vec<Step<'_>> = steps
                .iter()
                .flat_map(|s| match s {
                    Step::Input(b) if b.len() <= 65_536 || max >= 1500 => {
                        split_random(b, seed, max)
                            .into_iter()
                            .map(Step::Input)
                            .collect::<Vec<_>>()
                    }
                    other => vec![other.clone()],
                })
                .collect();
            compare(
                &whole,
                &run(config, policy, &split).1,
                &format!("randomly (seed {seed}, max {max})"),
            );
        }
    }
    whole
}

/// Inputs only.
pub fn inputs<'a>(segments: &[&'a [u8]]) -> Vec<Step<'a>> {
    segments.iter().map(|s| Step::Input(s)).collect()
}

/// A configuration for plaintext tests: LOGIN allowed without TLS, AUTH=PLAIN, the
/// common extensions.
pub fn open_config() -> Config {
    let mut c = Config::new();
    c.plaintext_auth = true;
    c.extensions = vec![
        imap_proto::types::Capability::UidPlus,
        imap_proto::types::Capability::Move,
        imap_proto::types::Capability::CondStore,
        imap_proto::types::Capability::QResync,
        imap_proto::types::Capability::MultiAppend,
    ];
    c
}
