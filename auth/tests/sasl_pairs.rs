//! Client <-> server pairs for every mechanism, wrong credentials, channel
//! binding, and calls out of order.

use auth::sasl::{
    Answer, ChannelBinding, ClientMechanism, CredentialRequest, Mechanism, OAuthError, SaslError,
    ScramClientOptions, ServerMechanism, ServerOptions, ServerStep, Success,
};
use auth::scheme::Argon2Costs;
use auth::scram::ScramHash;
use auth::{HashPolicy, Password, Scheme, StoredPassword};

const USER: &str = "jörg@example.org";
/// Non-ASCII, and unchanged by SASLprep (an emoji would be refused by SCRAM:
/// see `scram_prepares_names_and_passwords`).
const PASSWORD: &str = "pässwörd ✓";

/// How the pair delivers the SCRAM server-final-message.
#[derive(Clone, Copy, PartialEq)]
enum FinalData {
    WithSuccess,
    AsChallenge,
}

/// Runs a whole exchange; bounded to 16 round trips.
fn run(
    client: &mut ClientMechanism,
    server: &mut ServerMechanism,
    initial_response: bool,
    final_data: FinalData,
    lookup: &dyn Fn(&CredentialRequest) -> Answer,
) -> Result<Success, SaslError> {
    let mut step = if initial_response && client.mechanism().client_first() {
        let ir = client.initial_response()?;
        server.start(ir.as_deref())
    } else {
        server.start(None)
    };
    for _ in 0..16 {
        step = match step {
            ServerStep::Challenge(c) => {
                let response = client.step(&c)?;
                server.step(&response)
            }
            ServerStep::NeedCredentials(request) => server.answer(lookup(&request)),
            ServerStep::Success(success) => {
                match (&success.final_data, final_data) {
                    (Some(data), FinalData::AsChallenge) => {
                        assert_eq!(client.step(data)?, b"");
                        client.finish(None)?;
                    }
                    (data, _) => client.finish(data.as_deref())?,
                }
                return Ok(success);
            }
            ServerStep::Failure(e) => return Err(e),
        };
    }
    panic!("exchange did not end");
}

fn cheap_policy(scheme: Scheme) -> HashPolicy {
    HashPolicy {
        argon2: Argon2Costs {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        },
        bcrypt_cost: 4,
        ..HashPolicy::new(scheme)
    }
}

/// The "database": USER has `stored`; nobody else exists.
fn lookup_stored(stored: StoredPassword) -> impl Fn(&CredentialRequest) -> Answer {
    move |request| match request.user() {
        Some(USER) => Answer::Stored(stored.clone()),
        _ => Answer::UnknownUser,
    }
}

fn password_clients(user: &str, password: &str) -> Vec<ClientMechanism> {
    let scram = |hash| {
        ClientMechanism::scram(hash, user, password.into(), ScramClientOptions::default()).unwrap()
    };
    vec![
        ClientMechanism::plain(None, user, password.into()).unwrap(),
        ClientMechanism::login(user, password.into()),
        ClientMechanism::cram_md5(user, password.into()),
        scram(ScramHash::Sha1),
        scram(ScramHash::Sha256),
    ]
}

fn server_for(client: &ClientMechanism, options: &ServerOptions) -> ServerMechanism {
    ServerMechanism::new(client.mechanism(), options).unwrap()
}

#[test]
fn password_mechanisms_with_a_cleartext_entry() {
    let stored: StoredPassword = format!("{{PLAIN}}{PASSWORD}").parse().unwrap();
    let lookup = lookup_stored(stored);
    let options = ServerOptions::default();
    for ir in [true, false] {
        for final_data in [FinalData::WithSuccess, FinalData::AsChallenge] {
            for mut client in password_clients(USER, PASSWORD) {
                let mut server = server_for(&client, &options);
                let mech = client.mechanism();
                let success = run(&mut client, &mut server, ir, final_data, &lookup)
                    .unwrap_or_else(|e| panic!("{mech}: {e}"));
                assert_eq!(success.identity, USER, "{mech}");
                assert!(server.is_done());
            }
            for mut client in password_clients(USER, "wrong") {
                let mut server = server_for(&client, &options);
                let mech = client.mechanism();
                assert_eq!(
                    run(&mut client, &mut server, ir, final_data, &lookup).unwrap_err(),
                    SaslError::AuthenticationFailed,
                    "{mech}"
                );
            }
            for mut client in password_clients("nobody", PASSWORD) {
                let mut server = server_for(&client, &options);
                let mech = client.mechanism();
                assert_eq!(
                    run(&mut client, &mut server, ir, final_data, &lookup).unwrap_err(),
                    SaslError::AuthenticationFailed,
                    "{mech}"
                );
            }
        }
    }
}

#[test]
fn plain_and_login_against_hashed_entries() {
    for scheme in [
        Scheme::Argon2id,
        Scheme::BlfCrypt,
        Scheme::Sha512Crypt,
        Scheme::Ssha512,
    ] {
        let stored = cheap_policy(scheme).hash(PASSWORD).unwrap();
        let lookup = lookup_stored(stored);
        for (password, ok) in [(PASSWORD, true), ("pässwörd", false)] {
            for mut client in [
                ClientMechanism::plain(Some(USER), USER, password.into()).unwrap(),
                ClientMechanism::login(USER, password.into()),
            ] {
                let mut server = server_for(&client, &ServerOptions::default());
                let result = run(
                    &mut client,
                    &mut server,
                    true,
                    FinalData::WithSuccess,
                    &lookup,
                );
                assert_eq!(
                    result.is_ok(),
                    ok,
                    "{scheme} {}: {result:?}",
                    client.mechanism()
                );
            }
        }
    }
}

#[test]
fn scram_against_stored_scram_keys() {
    for (scheme, hash) in [
        (Scheme::ScramSha1, ScramHash::Sha1),
        (Scheme::ScramSha256, ScramHash::Sha256),
    ] {
        let stored = cheap_policy(scheme).hash(PASSWORD).unwrap();
        let lookup = lookup_stored(stored.clone());
        for (password, ok) in [(PASSWORD, true), ("nope", false)] {
            let mut client =
                ClientMechanism::scram(hash, USER, password.into(), ScramClientOptions::default())
                    .unwrap();
            let mut server = server_for(&client, &ServerOptions::default());
            let result = run(
                &mut client,
                &mut server,
                true,
                FinalData::WithSuccess,
                &lookup,
            );
            assert_eq!(result.is_ok(), ok, "{scheme}: {result:?}");
        }
        // Keys of the other hash cannot serve this mechanism.
        let other = match hash {
            ScramHash::Sha1 => ScramHash::Sha256,
            ScramHash::Sha256 => ScramHash::Sha1,
        };
        let mut client =
            ClientMechanism::scram(other, USER, PASSWORD.into(), ScramClientOptions::default())
                .unwrap();
        let mut server = server_for(&client, &ServerOptions::default());
        assert!(matches!(
            run(
                &mut client,
                &mut server,
                true,
                FinalData::WithSuccess,
                &lookup
            ),
            Err(SaslError::CredentialsUnusable { .. })
        ));
        // Raw keys as the answer work too.
        let keys = stored.scram_credentials().unwrap().clone();
        let mut client =
            ClientMechanism::scram(hash, USER, PASSWORD.into(), ScramClientOptions::default())
                .unwrap();
        let mut server = server_for(&client, &ServerOptions::default());
        let answer = move |_: &CredentialRequest| Answer::Scram(keys.clone());
        assert!(
            run(
                &mut client,
                &mut server,
                false,
                FinalData::AsChallenge,
                &answer
            )
            .is_ok()
        );
    }
}

#[test]
fn hashed_entries_cannot_serve_cram_md5_or_scram() {
    let stored = cheap_policy(Scheme::Ssha256).hash(PASSWORD).unwrap();
    let lookup = lookup_stored(stored);
    for mut client in password_clients(USER, PASSWORD).into_iter().skip(2) {
        let mut server = server_for(&client, &ServerOptions::default());
        let mech = client.mechanism();
        assert!(
            matches!(
                run(
                    &mut client,
                    &mut server,
                    true,
                    FinalData::WithSuccess,
                    &lookup
                ),
                Err(SaslError::CredentialsUnusable {
                    scheme: Scheme::Ssha256,
                    ..
                })
            ),
            "{mech}"
        );
    }
}

#[test]
fn scram_authzid_and_names_with_commas() {
    let user = "a,b=c";
    let lookup = |r: &CredentialRequest| {
        assert_eq!(r.user(), Some("a,b=c"));
        Answer::Cleartext(PASSWORD.into())
    };
    let options = ScramClientOptions {
        authzid: Some("boss,=".into()),
        ..ScramClientOptions::default()
    };
    let mut client =
        ClientMechanism::scram(ScramHash::Sha256, user, PASSWORD.into(), options).unwrap();
    let mut server = server_for(&client, &ServerOptions::default());
    let success = run(
        &mut client,
        &mut server,
        true,
        FinalData::WithSuccess,
        &lookup,
    )
    .unwrap();
    assert_eq!(success.identity, "a,b=c");
    assert_eq!(success.authzid.as_deref(), Some("boss,="));
}

fn cb(kind: &str, data: &[u8]) -> Option<ChannelBinding> {
    Some(ChannelBinding::new(kind, data))
}

fn scram_with_cb(
    server_cb: Option<ChannelBinding>,
    server_mech: Mechanism,
    client_cb: Option<ChannelBinding>,
    plus: bool,
) -> Result<Success, SaslError> {
    let options = ServerOptions {
        channel_binding: server_cb,
        ..ServerOptions::default()
    };
    let mut server = ServerMechanism::new(server_mech, &options)?;
    let client_options = ScramClientOptions {
        channel_binding: client_cb,
        use_channel_binding: plus,
        ..ScramClientOptions::default()
    };
    let mut client =
        ClientMechanism::scram(ScramHash::Sha256, USER, PASSWORD.into(), client_options)?;
    let lookup = |_: &CredentialRequest| Answer::Cleartext(PASSWORD.into());
    run(
        &mut client,
        &mut server,
        true,
        FinalData::WithSuccess,
        &lookup,
    )
}

#[test]
fn scram_channel_binding_matrix() {
    use Mechanism::{ScramSha256 as Plain, ScramSha256Plus as Plus};
    let exporter = cb("tls-exporter", b"exported keying material");
    // p=: matching data succeeds.
    assert!(scram_with_cb(exporter.clone(), Plus, exporter.clone(), true).is_ok());
    // p=: different data, different type.
    let other_data = cb("tls-exporter", b"another connection");
    assert_eq!(
        scram_with_cb(exporter.clone(), Plus, other_data, true).unwrap_err(),
        SaslError::ChannelBinding("channel-binding data does not match")
    );
    let other_type = cb("tls-server-end-point", b"exported keying material");
    assert!(matches!(
        scram_with_cb(exporter.clone(), Plus, other_type, true),
        Err(SaslError::ChannelBinding(_))
    ));
    // y: fine when the server has no channel binding, a downgrade when it has.
    assert!(scram_with_cb(None, Plain, exporter.clone(), false).is_ok());
    assert!(matches!(
        scram_with_cb(exporter.clone(), Plain, exporter.clone(), false),
        Err(SaslError::ChannelBinding(_))
    ));
    // n: fine either way for the non-PLUS mechanism, refused for -PLUS.
    assert!(scram_with_cb(exporter.clone(), Plain, None, false).is_ok());
    assert!(scram_with_cb(None, Plain, None, false).is_ok());
    let options = ServerOptions {
        channel_binding: exporter.clone(),
        ..ServerOptions::default()
    };
    let mut server = ServerMechanism::new(Plus, &options).unwrap();
    expect_failure(server.start(Some(b"n,,n=user,r=abc")));
    // p= with the non-PLUS mechanism.
    let mut server = ServerMechanism::new(Plain, &options).unwrap();
    expect_failure(server.start(Some(b"p=tls-exporter,,n=user,r=abc")));
    // -PLUS needs data on both sides.
    assert!(matches!(
        ServerMechanism::new(Plus, &ServerOptions::default()),
        Err(SaslError::ChannelBinding(_))
    ));
    let plus_without_data = ScramClientOptions {
        use_channel_binding: true,
        ..ScramClientOptions::default()
    };
    assert!(
        ClientMechanism::scram(ScramHash::Sha1, USER, PASSWORD.into(), plus_without_data).is_err()
    );
}

fn expect_failure(step: ServerStep) -> SaslError {
    match step {
        ServerStep::Failure(e) => e,
        other => panic!("expected failure, got {other:?}"),
    }
}

#[test]
fn oauth_mechanisms() {
    let token = "ya29.a0AfH6SMBx-_~+/token==";
    let check = move |r: &CredentialRequest| match r {
        CredentialRequest::VerifyToken { token: t, .. } if t.as_bytes() == token.as_bytes() => {
            Answer::Accept
        }
        _ => Answer::RejectToken(OAuthError {
            scope: Some("https://mail.example/".into()),
            ..OAuthError::new("invalid_token")
        }),
    };
    for ir in [true, false] {
        for (good, expect_ok) in [(token, true), ("bad-token", false)] {
            for mut client in [
                ClientMechanism::oauthbearer(
                    Some(USER),
                    good.into(),
                    Some("mail.example"),
                    Some(993),
                )
                .unwrap(),
                ClientMechanism::xoauth2(USER, good.into()).unwrap(),
            ] {
                let mut server = server_for(&client, &ServerOptions::default());
                let result = run(&mut client, &mut server, ir, FinalData::WithSuccess, &check);
                match result {
                    Ok(s) => {
                        assert!(expect_ok);
                        assert_eq!(s.identity, USER);
                    }
                    Err(e) => {
                        assert!(!expect_ok);
                        assert_eq!(e, SaslError::AuthenticationFailed);
                    }
                }
            }
        }
    }
    // Without a user in the message, the application names the token's owner.
    let mut client = ClientMechanism::oauthbearer(None, token.into(), None, None).unwrap();
    let mut server = server_for(&client, &ServerOptions::default());
    let owner = |_: &CredentialRequest| Answer::AcceptAs("owner@example.org".into());
    let s = run(
        &mut client,
        &mut server,
        true,
        FinalData::WithSuccess,
        &owner,
    )
    .unwrap();
    assert_eq!(s.identity, "owner@example.org");
    let mut client = ClientMechanism::oauthbearer(None, token.into(), None, None).unwrap();
    let mut server = server_for(&client, &ServerOptions::default());
    let accept = |_: &CredentialRequest| Answer::Accept;
    assert!(matches!(
        run(
            &mut client,
            &mut server,
            true,
            FinalData::WithSuccess,
            &accept
        ),
        Err(SaslError::WrongAnswer(_))
    ));
}

#[test]
fn xoauth2_failure_round() {
    let mut server = ServerMechanism::new(Mechanism::XOAuth2, &ServerOptions::default()).unwrap();
    let ServerStep::NeedCredentials(_) = server.start(Some(b"user=u\x01auth=Bearer t\x01\x01"))
    else {
        panic!()
    };
    let ServerStep::Challenge(json) = server.answer(Answer::Reject) else {
        panic!()
    };
    assert_eq!(json, br#"{"status":"401","schemes":"bearer"}"#);
    assert_eq!(
        expect_failure(server.step(b"")),
        SaslError::AuthenticationFailed
    );
}

#[test]
fn external() {
    let options = ServerOptions {
        external_identity: Some("CN=client.example.org".into()),
        ..ServerOptions::default()
    };
    let none = |_: &CredentialRequest| -> Answer { panic!("EXTERNAL asks nothing") };
    for (authzid, ir) in [
        (None, true),
        (None, false),
        (Some("admin"), true),
        (Some("admin"), false),
    ] {
        let mut client = ClientMechanism::external(authzid);
        let mut server = server_for(&client, &options);
        let s = run(&mut client, &mut server, ir, FinalData::WithSuccess, &none).unwrap();
        assert_eq!(s.identity, "CN=client.example.org");
        assert_eq!(s.authzid.as_deref(), authzid);
    }
    assert_eq!(
        ServerMechanism::new(Mechanism::External, &ServerOptions::default()).unwrap_err(),
        SaslError::NoExternalIdentity
    );
}

#[test]
fn calls_out_of_order_fail_cleanly() {
    let options = ServerOptions::default();
    let mut server = ServerMechanism::new(Mechanism::Plain, &options).unwrap();
    assert!(matches!(
        expect_failure(server.step(b"x")),
        SaslError::OutOfOrder(_)
    ));
    let mut server = ServerMechanism::new(Mechanism::Plain, &options).unwrap();
    assert!(matches!(
        expect_failure(server.answer(Answer::Accept)),
        SaslError::OutOfOrder(_)
    ));
    let mut server = ServerMechanism::new(Mechanism::Plain, &options).unwrap();
    let ServerStep::NeedCredentials(_) = server.start(Some(b"\0u\0p")) else {
        panic!()
    };
    assert!(matches!(
        expect_failure(server.step(b"\0u\0p")),
        SaslError::OutOfOrder(_)
    ));
    assert!(matches!(
        expect_failure(server.answer(Answer::Accept)),
        SaslError::OutOfOrder(_)
    ));
    let mut server = ServerMechanism::new(Mechanism::Plain, &options).unwrap();
    let ServerStep::NeedCredentials(_) = server.start(Some(b"\0u\0p")) else {
        panic!()
    };
    assert!(matches!(
        server.answer(Answer::Accept),
        ServerStep::Success(_)
    ));
    assert!(matches!(
        expect_failure(server.start(None)),
        SaslError::OutOfOrder(_)
    ));
    // Wrong kind of answer.
    let mut server = ServerMechanism::new(Mechanism::Plain, &options).unwrap();
    let ServerStep::NeedCredentials(_) = server.start(Some(b"\0u\0p")) else {
        panic!()
    };
    assert!(matches!(
        expect_failure(server.answer(Answer::AcceptAs("x".into()))),
        SaslError::WrongAnswer(_)
    ));
    // CRAM-MD5 takes no initial response.
    let mut server = ServerMechanism::new(Mechanism::CramMd5, &options).unwrap();
    assert!(matches!(
        expect_failure(server.start(Some(b"tim 00"))),
        SaslError::UnexpectedInitialResponse { .. }
    ));
    // Client side.
    let mut client = ClientMechanism::plain(None, "u", Password::from("p")).unwrap();
    client.initial_response().unwrap();
    assert!(client.step(b"unexpected").is_err());
    assert!(client.finish(None).is_err(), "ended after an error");
    let mut client = ClientMechanism::scram(
        ScramHash::Sha256,
        "u",
        "p".into(),
        ScramClientOptions::default(),
    )
    .unwrap();
    client.initial_response().unwrap();
    assert_eq!(client.finish(None), Err(SaslError::ServerNotAuthenticated));
}

#[test]
fn oversized_input_is_refused() {
    let options = ServerOptions {
        max_message_len: 16,
        ..ServerOptions::default()
    };
    let mut server = ServerMechanism::new(Mechanism::Plain, &options).unwrap();
    assert_eq!(
        expect_failure(server.start(Some(&[b'a'; 17]))),
        SaslError::TooLong { len: 17, max: 16 }
    );
    let mut server = ServerMechanism::new(Mechanism::Login, &options).unwrap();
    let ServerStep::Challenge(_) = server.start(None) else {
        panic!()
    };
    assert!(matches!(
        expect_failure(server.step(&[b'a'; 100])),
        SaslError::TooLong { .. }
    ));
}

#[test]
fn mechanism_names() {
    for m in Mechanism::ALL {
        assert_eq!(m.name().parse::<Mechanism>().unwrap(), m);
        assert_eq!(m.name().to_lowercase().parse::<Mechanism>().unwrap(), m);
    }
    assert!(matches!(
        ServerMechanism::from_name("DIGEST-MD5", &ServerOptions::default()),
        Err(SaslError::UnknownMechanism { .. })
    ));
}
