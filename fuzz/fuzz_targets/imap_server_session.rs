//! The IMAP server machine under arbitrary client bytes in arbitrary chunks, with an
//! application answering every decision from the input (accept, refuse, challenge). It
//! must never panic, accept every answer to the decision it asked for, keep its input
//! buffer within its limits, and make progress (every drain ends in `NeedInput`).
#![no_main]

use std::time::{Duration, Instant};

use imap_proto::server::{Config, Event, LiteralPolicy, NonSyncLiterals, Output, Server, Status};
use imap_proto::types::Untagged;
use libfuzzer_sys::fuzz_target;

const MAX_COMMAND: usize = 8 * 1024;
const MAX_PENDING: usize = 4 * 1024;

fn config(options: u8) -> Config {
    let mut config = Config::new();
    config.plaintext_auth = options & 1 == 1;
    config.starttls = options & 2 == 2;
    config.sasl_ir = options & 4 == 4;
    config.non_sync_literals = if options & 8 == 8 {
        NonSyncLiterals::Plus
    } else {
        NonSyncLiterals::Minus
    };
    if options & 16 == 16 {
        config.literal_policy = LiteralPolicy::Accept;
    }
    config.auth_mechanisms = vec!["PLAIN".into(), "LOGIN".into()];
    config.limits.max_line_length = 1024;
    config.limits.max_literal = 2048;
    config.limits.max_command_size = MAX_COMMAND;
    config.limits.max_append_size = 16 * 1024;
    config.limits.max_auth_line_length = 512;
    config.limits.max_pending_input = MAX_PENDING;
    config
}

/// Decisions drawn from the input, bit by bit.
struct Choices<'a> {
    bits: &'a [u8],
    at: usize,
}

impl Choices<'_> {
    fn yes(&mut self) -> bool {
        if self.bits.is_empty() {
            return true;
        }
        let byte = self.bits[(self.at / 8) % self.bits.len()];
        let bit = byte >> (self.at % 8) & 1 == 1;
        self.at += 1;
        bit
    }
}

fuzz_target!(|data: &[u8]| {
    let [options, chunk, b0, b1, b2, b3, input @ ..] = data else {
        return;
    };
    let bits = [*b0, *b1, *b2, *b3];
    let mut choices = Choices { bits: &bits, at: 0 };
    let start = Instant::now();
    let mut server = Server::new(config(*options), start);
    let chunk = usize::from(*chunk).max(1);
    let mut now = start;
    drain(&mut server, &mut choices);
    for piece in input.chunks(chunk) {
        if server.is_closed() {
            return;
        }
        if choices.yes() && choices.yes() {
            now += Duration::from_secs(61);
        }
        server.handle_timeout(now);
        server.handle_input(piece);
        drain(&mut server, &mut choices);
        let held = server.buffered_input_len();
        assert!(
            held <= MAX_COMMAND + MAX_PENDING + chunk,
            "holds {held} bytes of input"
        );
    }
});

fn drain(server: &mut Server, choices: &mut Choices<'_>) {
    for _ in 0..100_000 {
        match server.poll_output() {
            Output::Transmit(bytes) => assert!(!bytes.is_empty()),
            Output::Event(event) => answer(server, event, choices),
            Output::NeedInput => return,
        }
    }
    panic!("poll_output never returns NeedInput");
}

fn answer(server: &mut Server, event: Event, choices: &mut Choices<'_>) {
    let refuse = || Status::no("refused");
    let result = match event {
        Event::Command(_) => {
            if choices.yes() {
                let _ = server.send_untagged(Untagged::Exists(3));
            }
            server.complete(if choices.yes() {
                Status::ok("done")
            } else {
                refuse()
            })
        }
        Event::Noop { .. } | Event::IdleStart => {
            if choices.yes() {
                let _ = server.push_unsolicited(Untagged::Exists(4));
            }
            Ok(())
        }
        Event::Authenticate { .. } | Event::AuthResponse(_) => {
            if choices.yes() {
                server.auth_challenge(b"challenge")
            } else if choices.yes() {
                server.auth_success()
            } else {
                server.auth_failure(refuse())
            }
        }
        Event::Literal { .. } | Event::AppendMessage(_) => {
            if choices.yes() {
                server.accept_literal()
            } else {
                server.reject_literal(refuse())
            }
        }
        Event::AppendEnd { .. } => server.complete(Status::ok("appended")),
        Event::StartTls => server.tls_established(),
        _ => Ok(()),
    };
    if let Err(e) = result {
        panic!("the decision asked for was refused: {e}");
    }
}
