//! Server session harness: feeds input, answers events with a scripted policy, collects
//! transmitted bytes and events, and checks that every split of the input gives the same
//! result.
#![allow(dead_code, unreachable_pub)]

use std::time::Instant;

use pop3_proto::server::{Config, Event, MessageInfo, Output, Server};
use pop3_proto::types::{ResponseCode, Status};

/// How the scripted application answers decisions.
#[derive(Clone)]
pub struct Policy {
    /// (user, password); also the APOP secret and the PLAIN credentials.
    pub account: (&'static str, &'static str),
    /// The maildrop: message contents in order (sizes are computed with CRLF endings).
    pub messages: Vec<&'static [u8]>,
    /// Answer OpenMaildrop with `maildrop_in_use`.
    pub in_use: bool,
    /// Answer Update with `update_failed`.
    pub update_fails: bool,
    /// Refuse Retrieve of this message number before streaming.
    pub unavailable: Option<u32>,
    /// Chunk size used to stream messages.
    pub chunk: usize,
    /// SASL: the challenge sent when AUTH has no initial response.
    pub challenge: &'static [u8],
    /// Call `tls_established` right after `Event::StartTls`.
    pub complete_tls: bool,
    /// Leave decisions unanswered.
    pub never_answer: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            account: ("mrose", "tanstaaf"),
            messages: vec![
                b"Subject: one\r\n\r\nfirst message\r\n",
                b"Subject: two\r\nX: y\r\n\r\n.starts with dot\r\nline 2\r\n.\r\nline 4\r\n",
            ],
            in_use: false,
            update_fails: false,
            unavailable: None,
            chunk: 7,
            challenge: b"",
            complete_tls: true,
            never_answer: false,
        }
    }
}

/// Size of a message once bare LFs are CRLF.
pub fn wire_size(message: &[u8]) -> u64 {
    let bare_lf = message
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\n' && (i == 0 || message[i - 1] != b'\r'))
        .count();
    (message.len() + bare_lf) as u64
}

/// Everything a session produced.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Transcript {
    pub sent: Vec<u8>,
    pub events: Vec<Event>,
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

    /// The deletions reported by Event::Update, if any.
    pub fn update(&self) -> Option<Vec<u32>> {
        self.events.iter().find_map(|e| match e {
            Event::Update { deleted } => Some(deleted.iter().map(|n| n.get()).collect()),
            _ => None,
        })
    }
}

fn answer(server: &mut Server, policy: &Policy, event: &Event) {
    if policy.never_answer {
        return;
    }
    let (user, password) = policy.account;
    let bad = || Status::with_code(ResponseCode::Auth, "invalid credentials");
    let result = match event {
        Event::Login {
            user: u,
            password: p,
        } => {
            if u == user && p.expose() == password.as_bytes() {
                server.accept_login()
            } else {
                server.reject_login(bad())
            }
        }
        Event::Apop {
            user: u,
            timestamp,
            digest,
        } => {
            if u == user && digest.verify(timestamp, password.as_bytes()) {
                server.accept_login()
            } else {
                server.reject_login(bad())
            }
        }
        Event::Auth {
            initial_response: Some(r),
            ..
        }
        | Event::AuthResponse(r) => {
            let expected = format!("\0{user}\0{password}");
            if r.expose() == expected.as_bytes() {
                server.auth_success(user)
            } else if r.expose() == b"more" {
                server.auth_challenge(b"again")
            } else {
                server.auth_failure(bad())
            }
        }
        Event::Auth {
            initial_response: None,
            ..
        } => server.auth_challenge(policy.challenge),
        Event::OpenMaildrop { .. } => {
            if policy.in_use {
                server.maildrop_in_use()
            } else {
                let listing = policy
                    .messages
                    .iter()
                    .enumerate()
                    .map(|(i, m)| MessageInfo::new(wire_size(m), format!("uid-{}", i + 1)))
                    .collect();
                server.maildrop_ready(listing)
            }
        }
        Event::Retrieve { msg, .. } => {
            if policy.unavailable == Some(msg.get()) {
                server.message_unavailable(Status::with_code(
                    ResponseCode::SysTemp,
                    "cannot read message",
                ))
            } else {
                let body = policy.messages[msg.get() as usize - 1];
                for chunk in body.chunks(policy.chunk.max(1)) {
                    server.message_chunk(chunk).expect("chunk accepted");
                }
                server.message_end()
            }
        }
        Event::Update { .. } => {
            if policy.update_fails {
                server.update_failed()
            } else {
                server.update_complete()
            }
        }
        Event::StartTls if policy.complete_tls => server.tls_established(),
        _ => Ok(()),
    };
    result.expect("decision accepted");
}

/// Drains the server's output, answering decisions.
pub fn drain(server: &mut Server, policy: &Policy, t: &mut Transcript) {
    loop {
        match server.poll_output() {
            Output::Transmit(b) => t.sent.extend_from_slice(&b),
            Output::Event(e) => {
                answer(server, policy, &e);
                t.events.push(e);
            }
            Output::NeedInput => break,
        }
    }
}

/// Runs a session over input already cut into chunks.
pub fn run_chunks(config: &Config, policy: &Policy, chunks: &[&[u8]]) -> Transcript {
    let now = Instant::now();
    let mut server = Server::new(config.clone(), now);
    let mut t = Transcript::default();
    drain(&mut server, policy, &mut t);
    for chunk in chunks {
        server.handle_timeout(now);
        server.handle_input(chunk);
        drain(&mut server, policy, &mut t);
    }
    t
}

fn compare(whole: &Transcript, other: &Transcript, how: &str) {
    assert_eq!(
        whole.text(),
        other.text(),
        "sent bytes differ when split {how}"
    );
    assert_eq!(whole.events, other.events, "events differ when split {how}");
}

fn split_random(segment: &[u8], seed: u64, max: u64) -> Vec<&[u8]> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::new();
    let mut rest = segment;
    while !rest.is_empty() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let n = ((state % max + 1) as usize).min(rest.len());
        out.push(&rest[..n]);
        rest = &rest[n..];
    }
    out
}

/// Runs a session where each segment is one input, then replays it with every segment
/// split at every byte position and in random chunk sizes, asserting identical
/// transmitted bytes and events. Returns the transcript.
pub fn session(config: &Config, policy: &Policy, segments: &[&[u8]]) -> Transcript {
    let whole = run_chunks(config, policy, segments);
    for (index, segment) in segments.iter().enumerate() {
        if segment.len() > 3000 {
            continue;
        }
        for at in 0..=segment.len() {
            let mut chunks: Vec<&[u8]> = segments[..index].to_vec();
            chunks.push(&segment[..at]);
            chunks.push(&segment[at..]);
            chunks.extend_from_slice(&segments[index + 1..]);
            compare(
                &whole,
                &run_chunks(config, policy, &chunks),
                &format!("in segment {index} at {at}"),
            );
        }
    }
    for seed in 1..=6u64 {
        for max in [1, 5, 64] {
            let chunks: Vec<&[u8]> = segments
                .iter()
                .flat_map(|s| split_random(s, seed, max))
                .collect();
            compare(
                &whole,
                &run_chunks(config, policy, &chunks),
                &format!("randomly (seed {seed}, max {max})"),
            );
        }
    }
    whole
}

/// A config with plaintext login allowed (as over TLS), APOP, STLS and AUTH PLAIN.
pub fn open_config() -> Config {
    let mut c = Config::new("dbc.mtview.ca.us");
    c.greeting = "POP3 server ready".into();
    c.apop_uniqueness = Some("1896.697170952".into());
    c.allow_plaintext_without_tls = true;
    c.stls = true;
    c.auth_mechanisms = vec!["PLAIN".into()];
    c
}
