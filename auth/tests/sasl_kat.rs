//! Known-answer tests: the examples of RFC 4616, 2195, 5802, 7677 and 7628,
//! run through the public server and client APIs.

use auth::sasl::{
    Answer, ClientMechanism, CredentialRequest, Mechanism, OAuthError, SaslError,
    ScramClientOptions, ServerMechanism, ServerOptions, ServerStep,
};
use auth::scram::{ScramCredentials, ScramHash};
use auth::{Password, StoredPassword};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

fn expect_challenge(step: ServerStep) -> Vec<u8> {
    match step {
        ServerStep::Challenge(c) => c,
        other => panic!("expected a challenge, got {other:?}"),
    }
}

fn expect_request(step: ServerStep) -> CredentialRequest {
    match step {
        ServerStep::NeedCredentials(r) => r,
        other => panic!("expected a credential request, got {other:?}"),
    }
}

#[test]
fn rfc4616_plain_examples() {
    let options = ServerOptions::default();
    // "Ursel" acts as herself... the RFC's example: authzid Ursel, authcid Kurt.
    let mut server = ServerMechanism::new(Mechanism::Plain, &options).unwrap();
    let request = expect_request(server.start(Some(b"Ursel\0Kurt\0xipj3plmq")));
    let CredentialRequest::VerifyPassword {
        authcid,
        authzid,
        password,
    } = request
    else {
        panic!("expected VerifyPassword");
    };
    assert_eq!(
        (authcid.as_str(), authzid.as_deref()),
        ("Kurt", Some("Ursel"))
    );
    assert_eq!(password.as_bytes(), b"xipj3plmq");
    let stored: StoredPassword = "{PLAIN}xipj3plmq".parse().unwrap();
    match server.answer(Answer::Stored(stored)) {
        ServerStep::Success(s) => {
            assert_eq!(s.identity, "Kurt");
            assert_eq!(s.authzid.as_deref(), Some("Ursel"));
            assert_eq!(s.effective_user(), "Ursel");
        }
        other => panic!("{other:?}"),
    }

    let mut client = ClientMechanism::plain(None, "tim", "tanstaaftanstaaf".into()).unwrap();
    let message = client.initial_response().unwrap().unwrap();
    assert_eq!(message, b"\0tim\0tanstaaftanstaaf");
    let mut server = ServerMechanism::new(Mechanism::Plain, &options).unwrap();
    expect_request(server.start(Some(&message)));
    let wrong: StoredPassword = "{PLAIN}tanstaaf".parse().unwrap();
    assert!(matches!(
        server.answer(Answer::Stored(wrong)),
        ServerStep::Failure(SaslError::AuthenticationFailed)
    ));
}

#[test]
fn rfc2195_cram_md5_example() {
    let options = ServerOptions {
        fixed_nonce: Some("<1896.697170952@postoffice.reston.mci.net>".into()),
        ..ServerOptions::default()
    };
    let mut server = ServerMechanism::new(Mechanism::CramMd5, &options).unwrap();
    let challenge = expect_challenge(server.start(None));
    assert_eq!(challenge, b"<1896.697170952@postoffice.reston.mci.net>");
    let mut client = ClientMechanism::cram_md5("tim", "tanstaaftanstaaf".into());
    assert_eq!(client.initial_response().unwrap(), None);
    let response = client.step(&challenge).unwrap();
    assert_eq!(response, b"tim b913a602c7eda7a495b4e6e7334d3890");
    let request = expect_request(server.step(&response));
    assert_eq!(request.user(), Some("tim"));
    match server.answer(Answer::Cleartext("tanstaaftanstaaf".into())) {
        ServerStep::Success(s) => assert_eq!(s.identity, "tim"),
        other => panic!("{other:?}"),
    }
}

struct ScramExample {
    hash: ScramHash,
    client_nonce: &'static str,
    server_nonce: &'static str,
    salt: &'static str,
    client_first: &'static str,
    server_first: &'static str,
    client_final: &'static str,
    server_final: &'static str,
}

/// RFC 5802 section 5 (SCRAM-SHA-1) and RFC 7677 section 3 (SCRAM-SHA-256):
/// user "user", password "pencil", 4096 iterations.
const SCRAM_EXAMPLES: [ScramExample; 2] = [
    ScramExample {
        hash: ScramHash::Sha1,
        client_nonce: "fyko+d2lbbFgONRv9qkxdawL",
        server_nonce: "3rfcNHYJY1ZVvWVs7j",
        salt: "QSXCR+Q6sek8bf92",
        client_first: "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
        server_first: "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
        client_final: "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
        server_final: "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
    },
    ScramExample {
        hash: ScramHash::Sha256,
        client_nonce: "rOprNGfwEbeRWgbNEkqO",
        server_nonce: "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
        salt: "W22ZaJ0SNY7soEsUEjb6gQ==",
        client_first: "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
        server_first: "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
        client_final: "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
        server_final: "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
    },
];

fn mechanism_of(hash: ScramHash) -> Mechanism {
    match hash {
        ScramHash::Sha1 => Mechanism::ScramSha1,
        ScramHash::Sha256 => Mechanism::ScramSha256,
    }
}

#[test]
fn rfc5802_and_rfc7677_scram_server() {
    for ex in &SCRAM_EXAMPLES {
        let options = ServerOptions {
            fixed_nonce: Some(ex.server_nonce.into()),
            ..ServerOptions::default()
        };
        let mut server = ServerMechanism::new(mechanism_of(ex.hash), &options).unwrap();
        let request = expect_request(server.start(Some(ex.client_first.as_bytes())));
        assert_eq!(request.user(), Some("user"));
        let salt = B64.decode(ex.salt).unwrap();
        let keys = ScramCredentials::derive(ex.hash, b"pencil", &salt, 4096).unwrap();
        let server_first = expect_challenge(server.answer(Answer::Scram(keys)));
        assert_eq!(String::from_utf8(server_first).unwrap(), ex.server_first);
        match server.step(ex.client_final.as_bytes()) {
            ServerStep::Success(s) => {
                assert_eq!(s.identity, "user");
                assert_eq!(s.authzid, None);
                assert_eq!(s.final_data.as_deref(), Some(ex.server_final.as_bytes()));
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn rfc5802_and_rfc7677_scram_client() {
    for ex in &SCRAM_EXAMPLES {
        let options = ScramClientOptions {
            fixed_nonce: Some(ex.client_nonce.into()),
            ..ScramClientOptions::default()
        };
        let mut client = ClientMechanism::scram(ex.hash, "user", "pencil".into(), options).unwrap();
        assert_eq!(client.mechanism(), mechanism_of(ex.hash));
        let first = client.initial_response().unwrap().unwrap();
        assert_eq!(first, ex.client_first.as_bytes());
        let last = client.step(ex.server_first.as_bytes()).unwrap();
        assert_eq!(String::from_utf8(last).unwrap(), ex.client_final);
        // The server signature arrives as additional data with the success.
        client.finish(Some(ex.server_final.as_bytes())).unwrap();
    }
}

#[test]
fn scram_client_rejects_a_forged_server_signature() {
    let ex = &SCRAM_EXAMPLES[1];
    let options = ScramClientOptions {
        fixed_nonce: Some(ex.client_nonce.into()),
        ..ScramClientOptions::default()
    };
    let mut client = ClientMechanism::scram(ex.hash, "user", "pencil".into(), options).unwrap();
    client.initial_response().unwrap();
    client.step(ex.server_first.as_bytes()).unwrap();
    let forged = "v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
    assert_eq!(
        client.step(forged.as_bytes()),
        Err(SaslError::ServerNotAuthenticated)
    );
}

#[test]
fn scram_server_from_dovecot_stored_keys() {
    // RFC 7677's credentials written the way Dovecot stores them.
    let ex = &SCRAM_EXAMPLES[1];
    let salt = B64.decode(ex.salt).unwrap();
    let keys = ScramCredentials::derive(ex.hash, b"pencil", &salt, 4096).unwrap();
    let stored: StoredPassword = format!("{{SCRAM-SHA-256}}{}", keys.to_dovecot())
        .parse()
        .unwrap();
    assert!(stored.verify("pencil"));
    let options = ServerOptions {
        fixed_nonce: Some(ex.server_nonce.into()),
        ..ServerOptions::default()
    };
    let mut server = ServerMechanism::new(Mechanism::ScramSha256, &options).unwrap();
    expect_request(server.start(Some(ex.client_first.as_bytes())));
    let server_first = expect_challenge(server.answer(Answer::Stored(stored)));
    assert_eq!(server_first, ex.server_first.as_bytes());
    assert!(matches!(
        server.step(ex.client_final.as_bytes()),
        ServerStep::Success(_)
    ));
}

#[test]
fn rfc7628_oauthbearer_success_and_failure() {
    let message = b"n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01";
    let mut client = ClientMechanism::oauthbearer(
        Some("user@example.com"),
        "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==".into(),
        Some("server.example.com"),
        Some(143),
    )
    .unwrap();
    assert_eq!(client.initial_response().unwrap().unwrap(), message);

    // Section 4.1: success.
    let options = ServerOptions::default();
    let mut server = ServerMechanism::new(Mechanism::OAuthBearer, &options).unwrap();
    match expect_request(server.start(Some(message))) {
        CredentialRequest::VerifyToken {
            user,
            token,
            host,
            port,
        } => {
            assert_eq!(user.as_deref(), Some("user@example.com"));
            assert_eq!(
                token,
                Password::from("vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==")
            );
            assert_eq!(host.as_deref(), Some("server.example.com"));
            assert_eq!(port, Some(143));
        }
        other => panic!("{other:?}"),
    }
    match server.answer(Answer::Accept) {
        ServerStep::Success(s) => assert_eq!(s.identity, "user@example.com"),
        other => panic!("{other:?}"),
    }

    // Section 4.3: failure with the JSON error, the dummy response, then failure.
    let mut server = ServerMechanism::new(Mechanism::OAuthBearer, &options).unwrap();
    expect_request(server.start(Some(message)));
    let error = OAuthError {
        status: "invalid_token".into(),
        scope: Some("example_scope".into()),
        openid_configuration: Some("https://example.com/.well-known/openid-configuration".into()),
    };
    let json = expect_challenge(server.answer(Answer::RejectToken(error)));
    assert_eq!(
        String::from_utf8(json.clone()).unwrap(),
        r#"{"status":"invalid_token","scope":"example_scope","openid-configuration":"https://example.com/.well-known/openid-configuration"}"#
    );
    let dummy = client.step(&json).unwrap();
    assert_eq!(dummy, b"\x01");
    assert!(matches!(
        server.step(&dummy),
        ServerStep::Failure(SaslError::AuthenticationFailed)
    ));
}
