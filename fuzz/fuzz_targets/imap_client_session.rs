//! The IMAP client machine under arbitrary server bytes in arbitrary chunks, with an
//! application that queues commands and answers challenges, STARTTLS and IDLE from the
//! input. It must never panic, keep its input buffer within its limits (streamed
//! literals aside), and make progress (every drain ends in `NeedInput`).
#![no_main]

use std::time::{Duration, Instant};

use imap_proto::client::{Client, Config, Event, Output};
use imap_proto::codec::{DecodeOptions, ResponseOptions};
use imap_proto::types::{AString, Atom, CommandBody, Mailbox, Secret};
use libfuzzer_sys::fuzz_target;

const MAX_MESSAGE: usize = 16 * 1024;

fn config() -> Config {
    let mut config = Config::default();
    let framing = DecodeOptions::new(2048, 4096).with_max_message(MAX_MESSAGE);
    config.response = ResponseOptions::new(framing, 16);
    config.stream_threshold = 1024;
    config
}

fn commands(client: &mut Client, which: u8) {
    let text = |s: &'static str| AString::text(s).expect("valid astring");
    let _ = client.command(CommandBody::Capability);
    if which & 1 == 1 {
        let _ = client.authenticate(Atom::new("PLAIN").expect("atom"), Some(b"\0joe\0pw"));
    } else {
        let _ = client.command(CommandBody::Login {
            username: text("joe"),
            password: Secret(text("pass word")),
        });
    }
    if which & 2 == 2 {
        let _ = client.starttls();
    }
    let _ = client.command(CommandBody::Select {
        mailbox: Mailbox::INBOX,
        params: Default::default(),
    });
    if which & 4 == 4 {
        let _ = client.idle();
    }
    let _ = client.command(CommandBody::Noop);
    let _ = client.logout();
}

fuzz_target!(|data: &[u8]| {
    let [which, chunk, input @ ..] = data else {
        return;
    };
    let start = Instant::now();
    let mut now = start;
    let mut client = Client::new(config(), start);
    commands(&mut client, *which);
    let chunk = usize::from(*chunk).max(1);
    drain(&mut client, *which);
    for (i, piece) in input.chunks(chunk).enumerate() {
        if client.is_closed() {
            return;
        }
        if i % 8 == 7 {
            now += Duration::from_secs(20);
        }
        client.handle_timeout(now);
        client.handle_input(piece);
        drain(&mut client, *which);
        let held = client.buffered_len();
        assert!(held <= MAX_MESSAGE + chunk, "holds {held} bytes of input");
    }
});

fn drain(client: &mut Client, which: u8) {
    for _ in 0..100_000 {
        match client.poll_output() {
            Output::Transmit(bytes) => assert!(!bytes.is_empty()),
            Output::Event(Event::AuthChallenge { .. }) => {
                let _ = if which & 8 == 8 {
                    client.auth_cancel()
                } else {
                    client.auth_respond(b"response")
                };
            }
            Output::Event(Event::StartTls) => {
                let _ = client.tls_established();
            }
            Output::Event(Event::IdleStarted { .. }) => {
                let _ = client.done();
            }
            Output::Event(_) => {}
            Output::NeedInput => return,
        }
    }
    panic!("poll_output never returns NeedInput");
}
