//! Session test harness: feeds input, answers events with a scripted policy, collects
//! transmitted bytes and events, and checks that every split of the input gives the same
//! result.
#![allow(dead_code, unreachable_pub)]

use std::time::Instant;

use bytes::{Bytes, BytesMut};
use smtp_proto::server::{Config, Event, Output, Server};
use smtp_proto::types::{EnhancedCode, Reply};

/// How the scripted application answers decisions.
#[derive(Clone)]
pub struct Policy {
    /// Reject MAIL from senders whose local part is this (550 5.7.1).
    pub reject_sender: Option<&'static str>,
    /// Reject RCPT to recipients whose local part is this (550 5.1.1).
    pub reject_recipient: Option<&'static str>,
    /// Reply to the end of a message (SMTP), or to each recipient (LMTP).
    pub message_reply: Reply<'static>,
    /// LMTP: recipients with this local part get 452 4.2.2 instead.
    pub lmtp_full_mailbox: Option<&'static str>,
    /// SASL: challenge with this, then succeed if the response is `b"secret"`.
    pub auth_challenge: &'static [u8],
    /// Call `tls_established` right after `Event::StartTls`.
    pub complete_tls: bool,
    /// Leave decisions unanswered.
    pub never_answer: bool,
    /// Answer VRFY/EXPN with this reply.
    pub lookup_reply: Reply<'static>,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            reject_sender: None,
            reject_recipient: None,
            message_reply: reply(250, (2, 0, 0), "Ok: queued"),
            lmtp_full_mailbox: None,
            auth_challenge: b"",
            complete_tls: true,
            never_answer: false,
            lookup_reply: reply(250, (2, 1, 5), "Jones <jones@foo.com>"),
        }
    }
}

pub fn reply(code: u16, e: (u8, u16, u16), text: &'static str) -> Reply<'static> {
    Reply::new(code, Some(EnhancedCode::new(e.0, e.1, e.2)), text)
}

/// Everything a session produced. Consecutive `DataChunk` events are merged, since chunk
/// boundaries depend on how the input was split.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Transcript {
    pub sent: Vec<u8>,
    pub transmits: Vec<Bytes>,
    pub events: Vec<Event>,
}

impl Transcript {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.sent).into_owned()
    }

    /// The body bytes of the n-th message (DataChunk events between DataStart and the end).
    pub fn bodies(&self) -> Vec<Vec<u8>> {
        let mut bodies = Vec::new();
        for e in &self.events {
            match e {
                Event::DataStart { .. } => bodies.push(Vec::new()),
                Event::DataChunk(b) => bodies
                    .last_mut()
                    .expect("chunk after start")
                    .extend_from_slice(b),
                _ => {}
            }
        }
        bodies
    }

    /// Events other than data chunks, in order, as debug strings (handy for asserts).
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
        if let (Event::DataChunk(new), Some(Event::DataChunk(old))) =
            (&event, self.events.last_mut())
        {
            let mut merged = BytesMut::from(&old[..]);
            merged.extend_from_slice(new);
            *old = merged.freeze();
            return;
        }
        self.events.push(event);
    }
}

fn answer(server: &mut Server, policy: &Policy, event: &Event) {
    if policy.never_answer {
        return;
    }
    let local_is =
        |want: Option<&str>, local: &str| want.is_some_and(|w| w.eq_ignore_ascii_case(local));
    let result = match event {
        Event::Mail(m) => {
            let local = m.sender.as_ref().map_or("", |a| &a.local_part);
            if local_is(policy.reject_sender, local) {
                server.reject_mail(reply(550, (5, 7, 1), "Sender rejected"))
            } else {
                server.accept_mail()
            }
        }
        Event::Rcpt(r) => {
            if local_is(policy.reject_recipient, &r.recipient.local_part) {
                server.reject_rcpt(reply(550, (5, 1, 1), "No such user here"))
            } else {
                server.accept_rcpt()
            }
        }
        Event::MessageEnd { recipients } => {
            if server.config().mode == smtp_proto::server::Mode::Lmtp {
                for r in recipients {
                    let rep = if local_is(policy.lmtp_full_mailbox, &r.local_part) {
                        reply(452, (4, 2, 2), "Mailbox full")
                    } else {
                        policy.message_reply.clone()
                    };
                    server.recipient_reply(rep).expect("recipient reply");
                }
                Ok(())
            } else {
                server.accept_message(policy.message_reply.clone())
            }
        }
        Event::Auth {
            initial_response, ..
        } => match initial_response {
            Some(r) if r.0 == b"secret" => server.auth_success("user"),
            Some(_) => server.auth_failure(reply(535, (5, 7, 8), "Authentication failed")),
            None => server.auth_challenge(policy.auth_challenge),
        },
        Event::AuthResponse(r) => {
            if r.0 == b"secret" {
                server.auth_success("user")
            } else {
                server.auth_failure(reply(535, (5, 7, 8), "Authentication failed"))
            }
        }
        Event::Vrfy(_) | Event::Expn(_) => server.answer_lookup(policy.lookup_reply.clone()),
        Event::StartTls if policy.complete_tls => server.tls_established(),
        _ => Ok(()),
    };
    result.expect("decision accepted");
}

/// Drains the server's output, answering decisions.
pub fn drain(server: &mut Server, policy: &Policy, t: &mut Transcript) {
    loop {
        match server.poll_output() {
            Output::Transmit(b) => {
                t.sent.extend_from_slice(&b);
                t.transmits.push(b);
            }
            Output::Event(e) => {
                answer(server, policy, &e);
                t.push_event(e);
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
        String::from_utf8_lossy(&whole.sent),
        String::from_utf8_lossy(&other.sent),
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
        let n = (xorshift(&mut state) % max + 1) as usize;
        let n = n.min(rest.len());
        out.push(&rest[..n]);
        rest = &rest[n..];
    }
    out
}

/// Runs a session where each segment is one input, then replays it with every segment
/// split at every byte position (segments up to 3000 bytes) and in random chunk sizes,
/// asserting identical transmitted bytes and events. Returns the transcript.
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
    for seed in 1..=8u64 {
        for max in [1, 7, 64, 1500] {
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

/// A config with STARTTLS, DSN, REQUIRETLS and AUTH PLAIN enabled.
pub fn full_config() -> Config {
    let mut c = Config::new("mx.example.org");
    c.extensions.starttls = true;
    c.extensions.dsn = true;
    c.extensions.requiretls = true;
    c.auth_mechanisms = vec!["PLAIN".into(), "LOGIN".into()];
    c
}

/// The reply lines the server sent, one string each.
pub fn lines(t: &Transcript) -> Vec<String> {
    t.text()
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}
