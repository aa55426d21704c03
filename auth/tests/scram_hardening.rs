//! SCRAM failures reported with `e=` (RFC 5802 section 7), unknown users that
//! look like known ones, and SASLprep (RFC 4013) of names and passwords.

use auth::sasl::{
    Answer, ChannelBinding, ClientMechanism, CredentialRequest, Mechanism, SaslError,
    ScramClientOptions, ServerMechanism, ServerOptions, ServerStep, Success,
};
use auth::scram::ScramHash;
use auth::{HashPolicy, Password, PrepError, Scheme};

fn options() -> ServerOptions {
    ServerOptions {
        scram_iterations: 4096,
        scram_salt_secret: Password::new(*b"a secret of thirty-two bytes ..."),
        ..ServerOptions::default()
    }
}

/// How an exchange ended: the server's result and its failure data.
struct Outcome {
    result: Result<Success, SaslError>,
    failure_data: Option<Vec<u8>>,
    /// The client's verdict on the server's last message, if it got one.
    client: Option<Result<(), SaslError>>,
    /// The salt and iteration count of the server-first-message, if any.
    shown: Option<String>,
}

/// Runs a SCRAM-SHA-256 exchange; a failure's data goes to the client as a
/// challenge, the way IMAP or POP3 would carry it.
fn exchange(
    server_options: &ServerOptions,
    mut client: ClientMechanism,
    lookup: &dyn Fn(&CredentialRequest) -> Answer,
) -> Outcome {
    let mut server = ServerMechanism::new(client.mechanism(), server_options).unwrap();
    let mut shown = None;
    let mut step = server.start(client.initial_response().unwrap().as_deref());
    for _ in 0..8 {
        step = match step {
            ServerStep::Challenge(c) => {
                if c.starts_with(b"r=") {
                    let text = String::from_utf8(c.clone()).unwrap();
                    shown = text.split_once(",s=").map(|(_, rest)| rest.to_owned());
                }
                match client.step(&c) {
                    Ok(response) => server.step(&response),
                    Err(e) => panic!("client refused a challenge: {e}"),
                }
            }
            ServerStep::NeedCredentials(request) => server.answer(lookup(&request)),
            ServerStep::Success(success) => {
                let verdict = client.finish(success.final_data.as_deref());
                return Outcome {
                    result: Ok(success),
                    failure_data: server.failure_data(),
                    client: Some(verdict),
                    shown,
                };
            }
            ServerStep::Failure(e) => {
                let failure_data = server.failure_data();
                let client = failure_data.as_ref().map(|d| client.step(d).map(drop));
                return Outcome {
                    result: Err(e),
                    failure_data,
                    client,
                    shown,
                };
            }
        };
    }
    panic!("exchange did not end");
}

fn client(user: &str, password: &str) -> ClientMechanism {
    ClientMechanism::scram(
        ScramHash::Sha256,
        user,
        password.into(),
        ScramClientOptions::default(),
    )
    .unwrap()
}

/// The directory: "jane" has the cleartext password "right".
fn cleartext_jane(request: &CredentialRequest) -> Answer {
    match request.user() {
        Some("jane") => Answer::Cleartext("right".into()),
        _ => Answer::UnknownUser,
    }
}

#[test]
fn wrong_proof_and_unknown_user_both_end_with_invalid_proof() {
    for (user, password) in [("jane", "wrong"), ("nobody", "right")] {
        let outcome = exchange(&options(), client(user, password), &cleartext_jane);
        assert_eq!(outcome.result, Err(SaslError::AuthenticationFailed));
        assert_eq!(
            outcome.failure_data.as_deref(),
            Some(&b"e=invalid-proof"[..])
        );
        assert_eq!(
            outcome.client,
            Some(Err(SaslError::ServerError("invalid-proof".into())))
        );
    }
    let good = exchange(&options(), client("jane", "right"), &cleartext_jane);
    assert_eq!(good.result.unwrap().identity, "jane");
    assert_eq!(good.client, Some(Ok(())));
    assert_eq!(good.failure_data, None);
}

#[test]
fn unknown_users_show_a_stable_salt_like_known_users() {
    let shown = |options: &ServerOptions, user: &str| {
        exchange(options, client(user, "guess"), &cleartext_jane)
            .shown
            .expect("a server-first-message")
    };
    let opts = options();
    let nobody = shown(&opts, "nobody");
    // The same salt at every attempt, and the configured iteration count.
    assert_eq!(shown(&opts, "nobody"), nobody);
    assert!(nobody.ends_with(",i=4096"), "{nobody}");
    // Another name, another secret: another salt.
    assert_ne!(shown(&opts, "somebody"), nobody);
    let other_secret = ServerOptions {
        scram_salt_secret: Password::new(*b"another secret of 32 bytes ....."),
        ..options()
    };
    assert_ne!(shown(&other_secret, "nobody"), nobody);
    // A known user whose keys are derived from a cleartext password looks the
    // same: a stable salt made the same way, the same iteration count.
    let jane = shown(&opts, "jane");
    assert_eq!(shown(&opts, "jane"), jane);
    let as_if_unknown = |_: &CredentialRequest| Answer::UnknownUser;
    let unknown_jane = exchange(&opts, client("jane", "guess"), &as_if_unknown)
        .shown
        .unwrap();
    assert_eq!(unknown_jane, jane);
    // Default options share one secret per process.
    assert_eq!(
        shown(&ServerOptions::default(), "nobody"),
        shown(&ServerOptions::default(), "nobody")
    );
}

/// Runs SCRAM-SHA-256(-PLUS) with channel-binding settings on both sides.
fn with_cb(
    server_cb: Option<ChannelBinding>,
    mechanism: Mechanism,
    client_cb: Option<ChannelBinding>,
    plus: bool,
) -> Outcome {
    let server_options = ServerOptions {
        channel_binding: server_cb,
        ..options()
    };
    let client_options = ScramClientOptions {
        channel_binding: client_cb,
        use_channel_binding: plus,
        ..ScramClientOptions::default()
    };
    let client =
        ClientMechanism::scram(ScramHash::Sha256, "jane", "right".into(), client_options).unwrap();
    assert_eq!(client.mechanism(), mechanism);
    exchange(&server_options, client, &cleartext_jane)
}

#[test]
fn channel_binding_failures_have_their_server_errors() {
    let exporter = Some(ChannelBinding::new("tls-exporter", b"keying material"));
    let other_data = Some(ChannelBinding::new("tls-exporter", b"another connection"));
    let cases = [
        (
            with_cb(
                exporter.clone(),
                Mechanism::ScramSha256Plus,
                other_data,
                true,
            ),
            "e=channel-bindings-dont-match",
        ),
        (
            with_cb(None, Mechanism::ScramSha256, exporter.clone(), false),
            "",
        ),
        (
            with_cb(
                exporter.clone(),
                Mechanism::ScramSha256,
                exporter.clone(),
                false,
            ),
            "e=server-does-support-channel-binding",
        ),
    ];
    for (outcome, expected) in cases {
        match expected {
            "" => assert!(outcome.result.is_ok() && outcome.failure_data.is_none()),
            _ => {
                assert!(matches!(outcome.result, Err(SaslError::ChannelBinding(_))));
                assert_eq!(outcome.failure_data.as_deref(), Some(expected.as_bytes()));
                let value = expected.trim_start_matches("e=");
                assert_eq!(
                    outcome.client,
                    Some(Err(SaslError::ServerError(value.into())))
                );
            }
        }
    }
}

/// The server's failure data for a raw client-first-message.
fn refusal_of_first(mechanism: Mechanism, cb: Option<ChannelBinding>, first: &[u8]) -> String {
    let options = ServerOptions {
        channel_binding: cb,
        ..options()
    };
    let mut server = ServerMechanism::new(mechanism, &options).unwrap();
    let ServerStep::Failure(_) = server.start(Some(first)) else {
        panic!("{first:?} was accepted");
    };
    String::from_utf8(server.failure_data().unwrap()).unwrap()
}

#[test]
fn refused_client_first_messages_have_their_server_errors() {
    use Mechanism::{ScramSha256 as Scram, ScramSha256Plus as Plus};
    let exporter = || Some(ChannelBinding::new("tls-exporter", b"keying material"));
    let cases: [(Mechanism, Option<ChannelBinding>, &[u8], &str); 7] = [
        (
            Scram,
            None,
            b"p=tls-exporter,,n=jane,r=abc",
            "e=channel-binding-not-supported",
        ),
        (
            Plus,
            exporter(),
            b"p=tls-unique,,n=jane,r=abc",
            "e=unsupported-channel-binding-type",
        ),
        (
            Scram,
            exporter(),
            b"y,,n=jane,r=abc",
            "e=server-does-support-channel-binding",
        ),
        (
            Scram,
            None,
            b"n,,m=ext,n=jane,r=abc",
            "e=extensions-not-supported",
        ),
        (Scram, None, b"n,,n=jane", "e=invalid-encoding"),
        (
            Scram,
            None,
            b"n,,n=ja\x07ne,r=abc",
            "e=invalid-username-encoding",
        ),
        (
            Scram,
            None,
            "n,,n=\u{0627}1,r=abc".as_bytes(),
            "e=invalid-username-encoding",
        ),
    ];
    for (mechanism, cb, first, expected) in cases {
        assert_eq!(
            refusal_of_first(mechanism, cb, first),
            expected,
            "{first:?}"
        );
    }
    // A client that gets the refusal instead of a server-first-message.
    let mut c = client("jane", "right");
    c.initial_response().unwrap();
    assert_eq!(
        c.step(b"e=invalid-username-encoding"),
        Err(SaslError::ServerError("invalid-username-encoding".into()))
    );
}

#[test]
fn failure_data_only_after_a_scram_failure() {
    let mut plain = ServerMechanism::from_name("PLAIN", &options()).unwrap();
    let _ = plain.start(Some(b"\0jane\0wrong"));
    assert!(matches!(
        plain.answer(Answer::Reject),
        ServerStep::Failure(SaslError::AuthenticationFailed)
    ));
    assert_eq!(plain.failure_data(), None);

    let mut scram = ServerMechanism::from_name("SCRAM-SHA-256", &options()).unwrap();
    assert_eq!(scram.failure_data(), None);
    let _ = scram.start(Some(b"n,,n=jane,r=abc"));
    assert_eq!(scram.failure_data(), None);
    let _ = scram.answer(Answer::Cleartext("right".into()));
    assert_eq!(scram.failure_data(), None);
    // Out of order: the exchange ends, with no server-error.
    let mut early = ServerMechanism::from_name("SCRAM-SHA-256", &options()).unwrap();
    assert!(matches!(
        early.answer(Answer::UnknownUser),
        ServerStep::Failure(SaslError::OutOfOrder(_))
    ));
    assert_eq!(early.failure_data(), None);
}

#[test]
fn scram_prepares_names_and_passwords() {
    // The client sends the prepared name; keys come from the prepared password,
    // on both sides (RFC 4013 section 3 examples).
    let lookup = |request: &CredentialRequest| match request.user() {
        Some("user") => Answer::Cleartext("I\u{00AD}X".into()),
        _ => Answer::UnknownUser,
    };
    for (user, password) in [
        ("user", "IX"),
        ("\u{FF55}\u{FF53}\u{FF45}\u{FF52}", "\u{2168}"),
        ("us\u{00AD}er", "I\u{00AD}X"),
    ] {
        let outcome = exchange(&options(), client(user, password), &lookup);
        assert_eq!(outcome.result.unwrap().identity, "user", "{user:?}");
        assert_eq!(outcome.client, Some(Ok(())));
    }
    // Stored keys made by HashPolicy serve a client that prepares.
    let stored = HashPolicy::new(Scheme::ScramSha256)
        .hash("\u{00AA}bc")
        .unwrap();
    let lookup = move |_: &CredentialRequest| Answer::Stored(stored.clone());
    let outcome = exchange(&options(), client("user", "abc"), &lookup);
    assert!(outcome.result.is_ok());

    // Refused by SASLprep: typed errors that never show the text.
    for (user, password, what, error) in [
        ("user", "bell\u{0007}", "password", PrepError::Prohibited),
        ("user", "key \u{1F511}", "password", PrepError::Prohibited),
        ("user", "\u{0627}1", "password", PrepError::Prohibited),
        ("user", "\u{00AD}", "password", PrepError::Empty),
        ("us\u{0007}er", "right", "user name", PrepError::Prohibited),
    ] {
        let err = ClientMechanism::scram(
            ScramHash::Sha256,
            user,
            password.into(),
            ScramClientOptions::default(),
        )
        .unwrap_err();
        assert_eq!(err, SaslError::Prep { what, error });
        assert!(!err.to_string().contains('\u{0007}'));
    }
    let err = ClientMechanism::scram(
        ScramHash::Sha1,
        "user",
        Password::new(&b"\xff\xfe"[..]),
        ScramClientOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(
        err,
        SaslError::Prep {
            error: PrepError::NotUtf8,
            ..
        }
    ));

    // A stored cleartext password that cannot be prepared cannot serve SCRAM.
    let mut server = ServerMechanism::from_name("SCRAM-SHA-256", &options()).unwrap();
    let _ = server.start(Some(b"n,,n=user,r=abc"));
    let step = server.answer(Answer::Cleartext("bell\u{0007}".into()));
    assert!(matches!(
        step,
        ServerStep::Failure(SaslError::Prep {
            what: "stored password",
            error: PrepError::Prohibited,
        })
    ));
    assert_eq!(
        server.failure_data().as_deref(),
        Some(&b"e=other-error"[..])
    );
}

#[test]
fn plain_passwords_are_not_prepared() {
    // Dovecot hashes the bytes as typed, so PLAIN compares them as typed.
    let check = |password: &str, stored: &str| {
        let mut client = ClientMechanism::plain(None, "user", password.into()).unwrap();
        let mut server = ServerMechanism::from_name("PLAIN", &options()).unwrap();
        let _ = server.start(client.initial_response().unwrap().as_deref());
        let stored = stored.parse().unwrap();
        matches!(
            server.answer(Answer::Stored(stored)),
            ServerStep::Success(_)
        )
    };
    assert!(check("key \u{1F511}", "{PLAIN}key \u{1F511}"));
    assert!(check("I\u{00AD}X", "{PLAIN}I\u{00AD}X"));
    assert!(!check("I\u{00AD}X", "{PLAIN}IX"));
    // Against SCRAM keys, both the prepared and the typed form verify.
    let scram = HashPolicy::new(Scheme::ScramSha1).hash("IX").unwrap();
    assert!(check("I\u{00AD}X", scram.as_str()));
    assert!(check("IX", scram.as_str()));
    assert!(!check("I-X", scram.as_str()));
}
