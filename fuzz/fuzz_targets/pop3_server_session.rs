//! The POP3 server machine under arbitrary client bytes and chunking, with an
//! application that answers every decision (accepting or refusing, driven by the input).
//! It must never panic, never hold unbounded input, and keep answering.
#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use pop3_proto::server::{Config, Event, MessageInfo, Output, Server};
use pop3_proto::types::Status;

fuzz_target!(|data: &[u8]| {
    let Some((&control, input)) = data.split_first() else {
        return;
    };
    let start = Instant::now();
    let mut config = Config::new("fuzz.example");
    config.apop_uniqueness = Some("1.2".into());
    config.stls = true;
    config.allow_plaintext_without_tls = control & 1 == 1;
    config.auth_mechanisms = vec!["PLAIN".into(), "LOGIN".into()];
    let mut server = Server::new(config, start);
    let accept = control & 2 == 2;
    let chunk = usize::from(control >> 2).max(1);
    let max_buffer = 255 + 12288 + 64 * 1024 + chunk;
    let mut decisions = 0u32;
    for (i, piece) in input.chunks(chunk).enumerate() {
        server.handle_timeout(start + Duration::from_secs(i as u64));
        server.handle_input(piece);
        loop {
            match server.poll_output() {
                Output::Transmit(_) => {}
                Output::Event(event) => {
                    decisions += 1;
                    let yes = accept || decisions.is_multiple_of(2);
                    let refuse = || Status::new("no");
                    let _ = match event {
                        Event::Login { .. } | Event::Apop { .. } if yes => server.accept_login(),
                        Event::Login { .. } | Event::Apop { .. } => server.reject_login(refuse()),
                        Event::Auth { .. } | Event::AuthResponse(_) if decisions.is_multiple_of(3) => {
                            server.auth_challenge(b"challenge")
                        }
                        Event::Auth { .. } | Event::AuthResponse(_) if yes => {
                            server.auth_success("fuzz")
                        }
                        Event::Auth { .. } | Event::AuthResponse(_) => {
                            server.auth_failure(refuse())
                        }
                        Event::OpenMaildrop { .. } if yes => server.maildrop_ready(vec![
                            MessageInfo::new(12, "a"),
                            MessageInfo::new(30, "b"),
                        ]),
                        Event::OpenMaildrop { .. } => server.maildrop_in_use(),
                        Event::Retrieve { .. } => {
                            let _ = server.message_chunk(b"Subject: x\n\n.a\r\nb\r\n.\r\n");
                            server.message_end()
                        }
                        Event::Update { .. } if yes => server.update_complete(),
                        Event::Update { .. } => server.update_failed(),
                        Event::StartTls => server.tls_established(),
                        _ => Ok(()),
                    };
                }
                Output::NeedInput => break,
            }
        }
        assert!(server.buffered_input_len() <= max_buffer);
        if server.is_closed() {
            return;
        }
    }
});
