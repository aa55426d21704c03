//! Sessions against the service over TCP: every command, the files they leave in the
//! user's home, logins (PLAIN, SCRAM-SHA-256, STARTTLS) and quotas.

use std::fs;
use std::path::Path;

use auth::sasl::{ClientMechanism, ScramClientOptions};

use super::super::proto::base64;
use super::super::store::ACTIVE_LINK;
use super::*;

const RULES: &str = "require \"fileinto\";\r\nif header :contains \"X-Spam\" \"Yes\" {\r\n  fileinto \"Junk\";\r\n}\r\n";

fn putscript(name: &str, script: &str) -> String {
    format!("PUTSCRIPT \"{name}\" {{{}+}}\r\n{script}", script.len())
}

#[tokio::test]
async fn greeting_and_capabilities() {
    let h = start("", Quota::default(), false).await;
    let (mut c, greeting) = h.connect().await;
    let extensions = sieve::Config::default().capability_string();
    let expected = [
        "\"IMPLEMENTATION\" \"Postroom\"".to_owned(),
        "\"SASL\" \"PLAIN LOGIN SCRAM-SHA-256\"".to_owned(),
        format!("\"SIEVE\" \"{extensions}\""),
        "\"MAXREDIRECTS\" \"4\"".to_owned(),
        "\"UNAUTHENTICATE\"".to_owned(),
        "\"VERSION\" \"1.0\"".to_owned(),
        "OK \"Postroom ManageSieve ready.\"".to_owned(),
    ];
    assert_eq!(greeting, expected);
    assert!(extensions.contains("fileinto") && extensions.contains("vacation"));
    assert_eq!(c.cmd("LOGOUT").await, ["OK \"Logout completed.\""]);
}

#[tokio::test]
async fn scripts_round_trip_through_the_service() {
    let h = start("", Quota::default(), false).await;
    h.user("ken").await;
    let mut c = h.login("ken").await;
    let home = h.home("ken");

    assert_eq!(
        c.cmd("LISTSCRIPTS").await,
        ["OK \"Listscripts completed.\""]
    );
    assert_eq!(
        c.cmd(&putscript("rules", RULES)).await,
        ["OK \"Putscript completed.\""]
    );
    assert_eq!(
        fs::read_to_string(home.join("sieve/rules.sieve")).unwrap(),
        RULES
    );
    assert_eq!(
        c.cmd("SETACTIVE \"rules\"").await,
        ["OK \"Setactive completed.\""]
    );
    assert_eq!(
        fs::read_link(home.join(ACTIVE_LINK)).unwrap(),
        Path::new("sieve/rules.sieve")
    );
    assert_eq!(
        c.cmd(&putscript("other", "keep;\r\n")).await,
        ["OK \"Putscript completed.\""]
    );
    assert_eq!(
        c.cmd("LISTSCRIPTS").await,
        [
            "\"other\"",
            "\"rules\" ACTIVE",
            "OK \"Listscripts completed.\""
        ]
    );
    assert_eq!(
        c.cmd("GETSCRIPT \"rules\"").await,
        [RULES.to_owned(), "OK \"Getscript completed.\"".to_owned()]
    );
    assert_eq!(
        c.cmd("GETSCRIPT \"nope\"").await,
        ["NO (NONEXISTENT) \"There is no script named \\\"nope\\\".\""]
    );
    assert_eq!(
        c.cmd("DELETESCRIPT \"rules\"").await,
        ["NO (ACTIVE) \"Script \\\"rules\\\" is active and cannot be deleted.\""]
    );
    assert_eq!(
        c.cmd("RENAMESCRIPT \"rules\" \"other\"").await,
        ["NO (ALREADYEXISTS) \"A script named \\\"other\\\" exists already.\""]
    );
    assert_eq!(
        c.cmd("RENAMESCRIPT \"rules\" \"spam rules\"").await,
        ["OK \"Renamescript completed.\""]
    );
    assert_eq!(
        fs::read_link(home.join(ACTIVE_LINK)).unwrap(),
        Path::new("sieve/spam rules.sieve")
    );
    assert_eq!(
        c.cmd("HAVESPACE \"x\" 100").await,
        ["OK \"Putscript would succeed.\""]
    );
    assert_eq!(
        c.cmd("CHECKSCRIPT {5+}\r\nstop;").await,
        ["OK \"Script is valid.\""]
    );
    assert_eq!(
        c.cmd("SETACTIVE \"\"").await,
        ["OK \"Setactive completed.\""]
    );
    assert!(fs::symlink_metadata(home.join(ACTIVE_LINK)).is_err());
    assert_eq!(
        c.cmd("DELETESCRIPT \"spam rules\"").await,
        ["OK \"Deletescript completed.\""]
    );
    assert_eq!(
        c.cmd("LISTSCRIPTS").await,
        ["\"other\"", "OK \"Listscripts completed.\""]
    );
    assert_eq!(c.cmd("NOOP \"sync\"").await, ["OK (TAG \"sync\") \"Done\""]);
    assert_eq!(c.cmd("LOGOUT").await, ["OK \"Logout completed.\""]);
    // Scripts sit next to the (not yet created) Maildir; nothing else was written.
    let mut entries: Vec<String> = fs::read_dir(&home)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    entries.sort();
    assert_eq!(entries, ["sieve"]);
}

#[tokio::test]
async fn invalid_scripts_are_refused_with_line_and_column() {
    let h = start("", Quota::default(), false).await;
    h.user("ken").await;
    let mut c = h.login("ken").await;
    let bad = "require \"fileinto\";\nif true {\n  fileint \"Junk\";\n}\n";
    let reply = c.cmd(&putscript("bad", bad)).await;
    assert_eq!(reply.len(), 1);
    assert!(
        reply[0].starts_with("NO \"line 3, column 3: ") && reply[0].contains("fileint"),
        "{reply:?}"
    );
    assert!(!h.home("ken").join("sieve/bad.sieve").exists());
    let reply = c
        .cmd(&format!("CHECKSCRIPT {{{}+}}\r\n{bad}", bad.len()))
        .await;
    assert!(reply[0].starts_with("NO \"line 3, column 3: "), "{reply:?}");

    let missing_require = "fileinto \"Junk\";\n";
    let reply = c.cmd(&putscript("r", missing_require)).await;
    assert!(reply[0].starts_with("NO \"line 1, column 1: "), "{reply:?}");

    c.send(b"PUTSCRIPT \"latin1\" {12+}\r\nkeep; # \xe9t\xe9\n\r\n")
        .await;
    assert_eq!(
        c.response().await,
        ["NO \"line 1, column 9: the script is not valid UTF-8\""]
    );
    assert_eq!(
        c.cmd("LISTSCRIPTS").await,
        ["OK \"Listscripts completed.\""]
    );
}

#[tokio::test]
async fn quotas_are_enforced() {
    let quota = Quota {
        max_scripts: 2,
        max_script_size: 64,
        max_storage: 1000,
    };
    let h = start("", quota, false).await;
    h.user("ken").await;
    let mut c = h.login("ken").await;
    assert_eq!(
        c.cmd("HAVESPACE \"a\" 65").await,
        ["NO (QUOTA/MAXSIZE) \"Script too large (65 octets, at most 64).\""]
    );
    let big = format!("# {}\r\nkeep;\r\n", "x".repeat(60));
    assert_eq!(
        c.cmd(&putscript("big", &big)).await,
        ["NO (QUOTA/MAXSIZE) \"Script too large (71 octets, at most 64).\""]
    );
    // Far over the limit: refused while framing, the literal skipped whole.
    let huge = "x".repeat(5000);
    let reply = c.cmd(&putscript("huge", &huge)).await;
    assert_eq!(reply.len(), 1);
    assert!(reply[0].starts_with("NO (QUOTA/MAXSIZE) "), "{reply:?}");
    for name in ["a", "b"] {
        assert_eq!(
            c.cmd(&putscript(name, "keep;")).await,
            ["OK \"Putscript completed.\""]
        );
    }
    assert_eq!(
        c.cmd(&putscript("c", "keep;")).await,
        ["NO (QUOTA/MAXSCRIPTS) \"Too many scripts (at most 2).\""]
    );
    assert_eq!(
        c.cmd(&putscript("a", "stop;")).await,
        ["OK \"Putscript completed.\""]
    );
}

#[tokio::test]
async fn users_see_only_their_own_scripts() {
    let h = start("", Quota::default(), false).await;
    h.user("ken").await;
    h.user("sam").await;
    let mut ken = h.login("ken").await;
    let mut sam = h.login("sam").await;
    ken.cmd(&putscript("mine", "keep;")).await;
    assert_eq!(
        sam.cmd("LISTSCRIPTS").await,
        ["OK \"Listscripts completed.\""]
    );
    assert_eq!(
        sam.cmd("GETSCRIPT \"mine\"").await[0],
        "NO (NONEXISTENT) \"There is no script named \\\"mine\\\".\""
    );
    assert!(h.home("ken").join("sieve/mine.sieve").is_file());
    assert!(!h.home("sam").join("sieve").exists());
}

#[tokio::test]
async fn failed_logins_and_unauthenticate() {
    let h = start("", Quota::default(), false).await;
    h.user("ken").await;
    let (mut c, _) = h.connect().await;
    assert_eq!(c.cmd("LISTSCRIPTS").await, ["NO \"Authenticate first.\""]);
    let wrong = base64::encode(b"\0ken@example.test\0wrong");
    assert_eq!(
        c.cmd(&format!("AUTHENTICATE \"PLAIN\" \"{wrong}\"")).await,
        ["NO \"Authentication failed.\""]
    );
    // LOGIN: user name and password as answers to two challenges.
    let challenge = c.sasl("AUTHENTICATE \"LOGIN\"").await;
    assert_eq!(challenge, format!("\"{}\"", base64::encode(b"Username:")));
    let user = base64::encode(b"ken@example.test");
    let challenge = c.sasl(&format!("\"{user}\"")).await;
    assert_eq!(challenge, format!("\"{}\"", base64::encode(b"Password:")));
    let password = base64::encode(PASSWORD.as_bytes());
    assert_eq!(
        c.sasl(&format!("{{{}+}}\r\n{password}", password.len()))
            .await,
        "OK \"Logged in.\""
    );
    let capabilities = c.cmd("CAPABILITY").await;
    assert!(capabilities.contains(&"\"OWNER\" \"ken@example.test\"".to_owned()));
    assert_eq!(c.cmd("UNAUTHENTICATE").await, ["OK \"Unauthenticated.\""]);
    assert_eq!(c.cmd("LISTSCRIPTS").await, ["NO \"Authenticate first.\""]);
}

#[tokio::test]
async fn scram_sha_256_login() {
    let h = start("", Quota::default(), false).await;
    h.user("ken").await;
    let (mut c, _) = h.connect().await;
    let mut client = ClientMechanism::scram(
        auth::scram::ScramHash::Sha256,
        "ken@example.test",
        auth::Password::new(PASSWORD.as_bytes()),
        ScramClientOptions::default(),
    )
    .unwrap();
    let first = client.initial_response().unwrap().unwrap();
    let mut reply = c
        .sasl(&format!(
            "AUTHENTICATE \"SCRAM-SHA-256\" \"{}\"",
            base64::encode(&first)
        ))
        .await;
    let mut verified = false;
    // Challenges are quoted base64 strings; the server's final message comes as the
    // last one and is acknowledged with an empty string.
    while let Some(challenge) = reply.strip_prefix('"').and_then(|l| l.strip_suffix('"')) {
        let challenge = base64::decode(challenge.as_bytes()).unwrap();
        let answer = if challenge.starts_with(b"v=") {
            client.finish(Some(&challenge)).unwrap();
            verified = true;
            Vec::new()
        } else {
            client.step(&challenge).unwrap()
        };
        reply = c.sasl(&format!("\"{}\"", base64::encode(&answer))).await;
    }
    assert_eq!(reply, "OK \"Logged in.\"");
    assert!(verified, "the server proved it knows the password");
}

#[tokio::test]
async fn starttls_is_required_for_plaintext_logins() {
    let h = start(
        "allow_plaintext_auth_on_loopback = false\n",
        Quota::default(),
        true,
    )
    .await;
    h.user("ken").await;
    let (mut c, greeting) = h.connect().await;
    assert!(greeting.contains(&"\"STARTTLS\"".to_owned()));
    assert!(greeting.contains(&"\"SASL\" \"SCRAM-SHA-256\"".to_owned()));
    let plain = base64::encode(format!("\0ken@example.test\0{PASSWORD}").as_bytes());
    assert_eq!(
        c.cmd(&format!("AUTHENTICATE \"PLAIN\" \"{plain}\"")).await,
        ["NO (ENCRYPT-NEEDED) \"Plaintext authentication requires TLS: use STARTTLS first.\""]
    );
    assert_eq!(
        c.cmd("STARTTLS").await,
        ["OK \"Begin TLS negotiation now.\""]
    );
    let stream = h.tls(c.into_stream()).await;
    let mut c = Client::from_stream(stream);
    // The capabilities come again, unasked (RFC 5804 section 2.2).
    let capabilities = c.response().await;
    assert!(capabilities.contains(&"\"SASL\" \"PLAIN LOGIN SCRAM-SHA-256\"".to_owned()));
    assert!(!capabilities.contains(&"\"STARTTLS\"".to_owned()));
    assert_eq!(
        capabilities.last().unwrap(),
        "OK \"TLS negotiation successful.\""
    );
    assert_eq!(
        c.cmd(&format!("AUTHENTICATE \"PLAIN\" \"{plain}\"")).await,
        ["OK \"Logged in.\""]
    );
    assert_eq!(
        c.cmd(&putscript("s", "keep;")).await,
        ["OK \"Putscript completed.\""]
    );
    assert!(h.home("ken").join("sieve/s.sieve").is_file());
}
