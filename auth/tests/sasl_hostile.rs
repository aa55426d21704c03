//! Hostile input: malformed messages give typed errors and never panic.

use auth::sasl::{
    Answer, ChannelBinding, ClientMechanism, Mechanism, SaslError, ScramClientOptions,
    ServerMechanism, ServerOptions, ServerStep, decode_plain, encode_plain,
};
use auth::scram::ScramHash;
use auth::{Password, StoredPassword};
use proptest::prelude::*;

fn options() -> ServerOptions {
    ServerOptions {
        external_identity: Some("cert-user".into()),
        channel_binding: Some(ChannelBinding::new("tls-exporter", [7u8; 32])),
        scram_iterations: 16,
        ..ServerOptions::default()
    }
}

/// Drives a server with arbitrary messages, answering every request; returns
/// when it ends or the messages run out. Must never panic.
fn drive(mechanism: Mechanism, messages: &[Vec<u8>], initial: bool) {
    let mut server = ServerMechanism::new(mechanism, &options()).unwrap();
    let mut inputs = messages.iter();
    let mut step = if initial {
        server.start(inputs.next().map(Vec::as_slice))
    } else {
        server.start(None)
    };
    for answer_kind in 0u8.. {
        step = match step {
            ServerStep::Challenge(_) => match inputs.next() {
                Some(m) => server.step(m),
                None => return,
            },
            ServerStep::NeedCredentials(_) => server.answer(match answer_kind % 4 {
                0 => Answer::Cleartext("password".into()),
                1 => Answer::UnknownUser,
                2 => Answer::Reject,
                _ => Answer::Stored("{PLAIN}password".parse().unwrap()),
            }),
            ServerStep::Success(_) | ServerStep::Failure(_) => {
                assert!(server.is_done());
                return;
            }
        };
        assert!(answer_kind < 64, "exchange does not end");
    }
}

fn scram_client_first(flag: &str) -> Vec<u8> {
    format!("{flag},,n=user,r=clientnonce").into_bytes()
}

#[test]
fn malformed_first_messages_are_typed_errors() {
    let cases: &[(Mechanism, &[u8])] = &[
        (Mechanism::Plain, b"no-nul-at-all"),
        (Mechanism::Plain, b"\0\0"),
        (Mechanism::Plain, b"a\0b\0c\0d"),
        (Mechanism::ScramSha256, b""),
        (Mechanism::ScramSha256, b"n,,"),
        (Mechanism::ScramSha256, b"q,,n=user,r=abc"),
        (Mechanism::ScramSha256, b"n,,n=user"),
        (Mechanism::ScramSha256, b"n,,m=x,n=user,r=abc"),
        (Mechanism::ScramSha256, b"n,,n=u=ser,r=abc"),
        (Mechanism::ScramSha1, b"n,a=,n=user,r=abc"),
        (Mechanism::ScramSha1, b"\xff,,n=user,r=abc"),
        (Mechanism::OAuthBearer, b"n,,\x01auth=Bearer\x01\x01"),
        (Mechanism::OAuthBearer, b"\x01"),
        (Mechanism::XOAuth2, b"user=x\x01\x01"),
        (Mechanism::External, b"\xff\xfe"),
    ];
    for (mechanism, message) in cases {
        let mut server = ServerMechanism::new(*mechanism, &options()).unwrap();
        match server.start(Some(message)) {
            ServerStep::Failure(SaslError::Malformed { .. }) => {}
            other => panic!("{mechanism} {message:?}: {other:?}"),
        }
    }
}

#[test]
fn malformed_later_messages_are_typed_errors() {
    // CRAM-MD5 responses.
    for bad in [
        &b""[..],
        b"tim",
        b"tim b913a602",
        b" b913a602c7eda7a495b4e6e7334d3890",
        b"tim zz13a602c7eda7a495b4e6e7334d3890",
    ] {
        let mut server = ServerMechanism::new(Mechanism::CramMd5, &options()).unwrap();
        let ServerStep::Challenge(_) = server.start(None) else {
            panic!()
        };
        assert!(
            matches!(
                server.step(bad),
                ServerStep::Failure(SaslError::Malformed { .. })
            ),
            "{bad:?}"
        );
    }
    // SCRAM client-final-messages.
    for bad in [
        &b""[..],
        b"c=biws,r=clientnonceSERVER",
        b"c=biws,r=othernonce,p=AAAA",
        b"c=!!,r=clientnonceSERVER,p=AAAA",
        b"c=biws,r=clientnonceSERVER,p=!!",
        b"c=biws,r=clientnonceSERVER,p=AAAA",
        b"r=clientnonceSERVER,c=biws,p=AAAA",
    ] {
        let opts = ServerOptions {
            fixed_nonce: Some("SERVER".into()),
            ..ServerOptions::default()
        };
        let mut server = ServerMechanism::new(Mechanism::ScramSha256, &opts).unwrap();
        let ServerStep::NeedCredentials(_) = server.start(Some(&scram_client_first("n"))) else {
            panic!()
        };
        let ServerStep::Challenge(_) = server.answer(Answer::Cleartext("pw".into())) else {
            panic!()
        };
        assert!(
            matches!(
                server.step(bad),
                ServerStep::Failure(SaslError::Malformed { .. })
            ),
            "{bad:?}"
        );
    }
    // A c= that does not repeat the GS2 header.
    let opts = ServerOptions {
        fixed_nonce: Some("SERVER".into()),
        ..ServerOptions::default()
    };
    let mut server = ServerMechanism::new(Mechanism::ScramSha256, &opts).unwrap();
    let ServerStep::NeedCredentials(_) = server.start(Some(&scram_client_first("y"))) else {
        panic!()
    };
    let ServerStep::Challenge(_) = server.answer(Answer::Cleartext("pw".into())) else {
        panic!()
    };
    let last = b"c=biws,r=clientnonceSERVER,p=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    assert!(matches!(
        server.step(last),
        ServerStep::Failure(SaslError::ChannelBinding(_))
    ));
}

#[test]
fn scram_client_refuses_hostile_servers() {
    let client = || {
        let options = ScramClientOptions {
            fixed_nonce: Some("abc".into()),
            ..ScramClientOptions::default()
        };
        let mut c =
            ClientMechanism::scram(ScramHash::Sha256, "user", "pw".into(), options).unwrap();
        c.initial_response().unwrap();
        c
    };
    type Expect = fn(&SaslError) -> bool;
    let cases: &[(&[u8], Expect)] = &[
        (b"r=abc,s=c2FsdA==,i=4096", |e| {
            matches!(e, SaslError::Malformed { .. })
        }),
        (b"r=xyzdef,s=c2FsdA==,i=4096", |e| {
            matches!(e, SaslError::Malformed { .. })
        }),
        (b"r=abcdef,s=c2FsdA==,i=4294967295", |e| {
            matches!(e, SaslError::ParametersRefused(_))
        }),
        (b"r=abcdef,s=c2FsdA==,i=99999999999", |e| {
            matches!(e, SaslError::Malformed { .. })
        }),
        (b"r=abcdef,s=c2FsdA==,i=1", |e| {
            matches!(e, SaslError::ParametersRefused(_))
        }),
        (b"r=abcdef,s=,i=4096", |e| {
            matches!(e, SaslError::Malformed { .. })
        }),
        (b"m=x,r=abcdef,s=c2FsdA==,i=4096", |e| {
            matches!(e, SaslError::Malformed { .. })
        }),
        // RFC 5802 section 5.1: a server may refuse the client-first-message
        // with its server-error at once.
        (
            b"e=other-error",
            |e| matches!(e, SaslError::ServerError(v) if v == "other-error"),
        ),
        (b"e=", |e| matches!(e, SaslError::Malformed { .. })),
        (b"\xff", |e| matches!(e, SaslError::Malformed { .. })),
    ];
    for (challenge, expected) in cases {
        let err = client().step(challenge).unwrap_err();
        assert!(expected(&err), "{challenge:?}: {err:?}");
    }
    let mut c = client();
    c.step(b"r=abcdef,s=c2FsdA==,i=4096").unwrap();
    assert_eq!(
        c.step(b"e=invalid-proof"),
        Err(SaslError::ServerError("invalid-proof".into()))
    );
}

#[test]
fn stored_password_parsing_never_panics_on_odd_strings() {
    for s in [
        "",
        "{",
        "}",
        "{}",
        "{}x",
        "{.}x",
        "{.HEX}x",
        "{PLAIN.}x",
        "$",
        "$1$",
        "$1$$",
        "$2y$",
        "$6$rounds=",
        "$6$rounds=$",
        "{SCRAM-SHA-1},,,",
        "{ARGON2ID}$argon2id$",
        "{SSHA}",
        "{SHA}=",
    ] {
        let _ = StoredPassword::parse(s);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn plain_round_trips(
        authzid in proptest::option::of("[^\\x00]{1,40}"),
        authcid in "[^\\x00]{1,40}",
        password in proptest::collection::vec(1u8..=255, 1..64),
    ) {
        let password = Password::new(password);
        let encoded = encode_plain(authzid.as_deref(), &authcid, &password).unwrap();
        let decoded = decode_plain(&encoded).unwrap();
        prop_assert_eq!(decoded.authzid, authzid);
        prop_assert_eq!(decoded.authcid, authcid);
        prop_assert_eq!(decoded.password, password);
    }

    #[test]
    fn arbitrary_bytes_never_panic_a_server(
        mechanism in proptest::sample::select(Mechanism::ALL.to_vec()),
        messages in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..96), 0..4),
        initial in any::<bool>(),
    ) {
        drive(mechanism, &messages, initial);
    }

    #[test]
    fn mutated_scram_messages_never_panic(
        flag in proptest::sample::select(vec!["n", "y", "p=tls-exporter", "p=x"]),
        tail in "[a-z=,0-9+/]{0,40}",
    ) {
        let first = format!("{flag},,n=user,r=clientnonce{tail}");
        drive(Mechanism::ScramSha256Plus, &[first.clone().into_bytes(), format!("c=biws,r=x,p={tail}").into_bytes()], true);
        drive(Mechanism::ScramSha1, &[first.into_bytes(), format!("c={tail},r=clientnonce,p=AAAA").into_bytes()], true);
    }

    #[test]
    fn arbitrary_challenges_never_panic_a_client(
        challenges in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..96), 0..4),
    ) {
        let scram = ScramClientOptions { min_iterations: 1, max_iterations: 64, ..ScramClientOptions::default() };
        let clients = vec![
            ClientMechanism::plain(None, "u", "p".into()).unwrap(),
            ClientMechanism::login("u", "p".into()),
            ClientMechanism::cram_md5("u", "p".into()),
            ClientMechanism::scram(ScramHash::Sha1, "u", "p".into(), scram).unwrap(),
            ClientMechanism::oauthbearer(Some("u"), "t".into(), None, None).unwrap(),
            ClientMechanism::xoauth2("u", "t".into()).unwrap(),
            ClientMechanism::external(None),
        ];
        for mut client in clients {
            let _ = client.initial_response();
            for c in &challenges {
                if client.step(c).is_err() {
                    break;
                }
            }
            let _ = client.finish(challenges.last().map(Vec::as_slice));
        }
    }

    #[test]
    fn arbitrary_stored_strings_never_panic(s in "\\PC{0,80}", prefix in proptest::sample::select(vec!["", "{PLAIN}", "{SHA}", "{SSHA512.HEX}", "{CRYPT}", "$1$", "$2y$10$", "$6$rounds=", "{SCRAM-SHA-256}4096,", "{ARGON2ID}$argon2id$v=19$"])) {
        if let Ok(p) = StoredPassword::parse(&format!("{prefix}{s}")) {
            // Cheap schemes only: a random parse can only be cheap anyway.
            let _ = p.to_string();
        }
    }
}
