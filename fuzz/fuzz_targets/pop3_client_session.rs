//! The POP3 client machine under arbitrary server bytes and chunking, with the
//! application issuing a command whenever the client is ready. It must never panic: bad
//! input ends in `Event::Error` then `Event::Closed`.
#![no_main]

use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use pop3_proto::client::{Client, Config, Event, Output};

fuzz_target!(|data: &[u8]| {
    let Some((&control, input)) = data.split_first() else {
        return;
    };
    let start = Instant::now();
    let mut client = Client::new(Config::default(), start);
    let chunk = usize::from(control).max(1);
    let mut step = usize::from(control);
    let one = NonZeroU32::MIN;
    for (i, piece) in input.chunks(chunk).enumerate() {
        client.handle_timeout(start + Duration::from_secs(i as u64));
        client.handle_input(piece);
        loop {
            match client.poll_output() {
                Output::Transmit(_) => {}
                Output::Event(Event::AuthChallenge(_)) => {
                    let _ = client.auth_respond(b"\0u\0p");
                }
                Output::Event(Event::StartTls) => {
                    let _ = client.tls_established();
                }
                Output::Event(Event::Closed) => return,
                Output::Event(_) => {}
                Output::NeedInput => {
                    if !client.is_ready() {
                        break;
                    }
                    step += 1;
                    let _ = match step % 14 {
                        0 => client.capa(),
                        1 => client.login("u", b"p"),
                        2 => client.apop("u", b"p"),
                        3 => client.auth("PLAIN", None),
                        4 => client.stat(),
                        5 => client.list(None),
                        6 => client.list(Some(one)),
                        7 => client.uidl(None),
                        8 => client.retr(one),
                        9 => client.top(one, 3),
                        10 => client.dele(one),
                        11 => client.lang(None),
                        12 => client.stls(),
                        _ => client.noop(),
                    };
                }
            }
        }
    }
});
