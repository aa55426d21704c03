//! Random sessions: hostile input never panics, never grows the buffer beyond a line plus
//! one read, and gives the same bytes and events however it is split.

mod server_support;

use proptest::prelude::*;
use server_support::{Policy, Transcript, drain, run_chunks};
use smtp_proto::server::{BareLineEndings, Config, Server};

fn token() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"EHLO c\r\n".to_vec()),
        Just(b"LHLO c\r\n".to_vec()),
        Just(b"MAIL FROM:<a@b>\r\n".to_vec()),
        Just(b"MAIL FROM:<a@b> BODY=BINARYMIME SIZE=50\r\n".to_vec()),
        Just(b"RCPT TO:<c@d>\r\n".to_vec()),
        Just(b"RCPT TO:<x@d>\r\n".to_vec()),
        Just(b"DATA\r\n".to_vec()),
        Just(b"RSET\r\n".to_vec()),
        Just(b"STARTTLS\r\n".to_vec()),
        Just(b"AUTH PLAIN\r\n".to_vec()),
        Just(b"*\r\n".to_vec()),
        Just(b"QUIT\r\n".to_vec()),
        Just(b"\r\n.\r\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b".".to_vec()),
        (0u8..20, any::<bool>()).prop_map(|(n, last)| {
            format!("BDAT {n}{}\r\n", if last { " LAST" } else { "" }).into_bytes()
        }),
        proptest::collection::vec(any::<u8>(), 1..40),
        Just(vec![b'x'; 700]),
    ]
}

fn config(lmtp: bool, normalize: bool) -> Config {
    let mut c = if lmtp {
        Config::lmtp("l")
    } else {
        Config::new("s")
    };
    c.limits.max_line_length = 600;
    c.limits.max_data_line_length = 1000;
    c.limits.max_message_size = 300;
    c.limits.max_bad_commands = 1000;
    c.extensions.starttls = true;
    c.auth_mechanisms = vec!["PLAIN".into()];
    c.auth_requires_tls = false;
    if normalize {
        c.bare_line_endings = BareLineEndings::NormalizeLf;
    }
    c
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn random_sessions_are_split_invariant(
        tokens in proptest::collection::vec(token(), 0..40),
        cuts in proptest::collection::vec(1usize..64, 1..20),
        lmtp in any::<bool>(),
        normalize in any::<bool>(),
    ) {
        let input: Vec<u8> = tokens.concat();
        let config = config(lmtp, normalize);
        let policy = Policy { reject_recipient: Some("x"), complete_tls: false, ..Policy::default() };
        let whole = run_chunks(&config, &policy, &[&input]);
        let mut chunks = Vec::new();
        let mut rest = &input[..];
        for cut in cuts.iter().cycle() {
            if rest.is_empty() { break; }
            let n = (*cut).min(rest.len());
            chunks.push(&rest[..n]);
            rest = &rest[n..];
        }
        let split = run_chunks(&config, &policy, &chunks);
        prop_assert_eq!(&whole.sent, &split.sent);
        prop_assert_eq!(&whole.events, &split.events);
    }

    #[test]
    fn buffer_stays_bounded(tokens in proptest::collection::vec(token(), 0..60)) {
        let config = config(false, false);
        let policy = Policy::default();
        let mut server = Server::new(config, std::time::Instant::now());
        let mut t = Transcript::default();
        for token in &tokens {
            server.handle_input(token);
            drain(&mut server, &policy, &mut t);
            prop_assert!(server.buffered_input_len() < 12288 + 700);
        }
    }
}
