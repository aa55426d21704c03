//! Logins: LOGIN, AUTHENTICATE with SASL-IR, failures, plaintext before TLS, ID.

use super::*;

/// `AUTHENTICATE PLAIN` data for `user`.
fn plain(user: &str, password: &str) -> String {
    base64(format!("\0{user}\0{password}").as_bytes())
}

#[tokio::test]
async fn login_advertises_every_extension_and_refuses_bad_passwords() {
    let h = harness("").await;
    h.user("pat", 0).await;
    let mut c = h.connect().await;
    let caps = c.cmd("CAPABILITY").await;
    let line = caps.with("* CAPABILITY ")[0].to_owned();
    for cap in [
        "IMAP4rev1",
        "IMAP4rev2",
        "AUTH=PLAIN",
        "AUTH=LOGIN",
        "AUTH=SCRAM-SHA-256",
        "SASL-IR",
        "LITERAL+",
        "IDLE",
        "ENABLE",
    ] {
        assert!(line.split(' ').any(|c| c == cap), "{cap} missing: {line}");
    }
    let bad = c
        .cmd(&format!("LOGIN pat@example.test wrong{PASSWORD}"))
        .await;
    assert_eq!(
        bad.status,
        "NO [AUTHENTICATIONFAILED] Authentication failed"
    );
    let unknown = c.cmd("LOGIN nobody@example.test x").await;
    assert_eq!(
        unknown.status,
        "NO [AUTHENTICATIONFAILED] Authentication failed"
    );
    let ok = c.cmd(&format!("LOGIN PAT@example.test {PASSWORD}")).await;
    assert!(
        ok.status.starts_with("OK [CAPABILITY IMAP4rev1 IMAP4rev2 "),
        "{ok:?}"
    );
    for cap in [
        "NAMESPACE",
        "ID",
        "CHILDREN",
        "UNSELECT",
        "UIDPLUS",
        "MOVE",
        "SPECIAL-USE",
        "LIST-EXTENDED",
        "LIST-STATUS",
        "ESEARCH",
        "SEARCHRES",
        "WITHIN",
        "CONDSTORE",
        "QRESYNC",
        "QUOTA",
        "QUOTA=RES-STORAGE",
        "QUOTA=RES-MESSAGE",
        "SORT",
        "THREAD=REFERENCES",
        "THREAD=ORDEREDSUBJECT",
        "BINARY",
        "MULTIAPPEND",
        "UTF8=ACCEPT",
        "STATUS=SIZE",
        "COMPRESS=DEFLATE",
    ] {
        assert!(
            ok.status.split([' ', ']']).any(|c| c == cap),
            "{cap} missing: {ok:?}"
        );
    }
    assert!(!ok.status.contains("AUTH="), "{ok:?}");
    // The Maildir was created with the special-use folders.
    assert!(h.maildir("pat").join(".Sent").is_dir());
}

#[tokio::test]
async fn authenticate_plain_with_an_initial_response_and_by_challenge() {
    let h = harness("").await;
    h.user("pat", 0).await;
    let mut c = h.connect().await;
    let done = c
        .cmd(&format!(
            "AUTHENTICATE PLAIN {}",
            plain("pat@example.test", PASSWORD)
        ))
        .await;
    assert!(done.status.starts_with("OK [CAPABILITY "), "{done:?}");
    assert!(c.cmd("SELECT INBOX").await.ok());

    let mut c = h.connect().await;
    c.send(b"x AUTHENTICATE PLAIN\r\n").await;
    assert_eq!(c.response().await, "+ ");
    c.send(format!("{}\r\n", plain("pat@example.test", "nope")).as_bytes())
        .await;
    let done = c.until("x").await;
    assert_eq!(
        done.status,
        "NO [AUTHENTICATIONFAILED] Authentication failed"
    );
}

#[tokio::test]
async fn plaintext_logins_are_refused_before_tls() {
    let h = harness("allow_plaintext_auth_on_loopback = false").await;
    h.user("pat", 0).await;
    let mut c = h.connect().await;
    let caps = c.cmd("CAPABILITY").await;
    assert!(caps.untagged[0].contains(" LOGINDISABLED"), "{caps:?}");
    assert!(!caps.untagged[0].contains("AUTH="), "{caps:?}");
    let login = c.cmd(&format!("LOGIN pat@example.test {PASSWORD}")).await;
    assert_eq!(
        login.status,
        "NO [PRIVACYREQUIRED] Login not allowed without TLS"
    );
    let auth = c
        .cmd(&format!(
            "AUTHENTICATE PLAIN {}",
            plain("pat@example.test", PASSWORD)
        ))
        .await;
    assert!(auth.status.starts_with("NO [PRIVACYREQUIRED]"), "{auth:?}");
    let select = c.cmd("SELECT INBOX").await;
    assert!(select.status.starts_with("BAD"), "{select:?}");
}

#[tokio::test]
async fn id_names_the_server() {
    let h = harness("").await;
    let mut c = h.connect().await;
    let done = c.cmd("ID (\"name\" \"test client\" \"version\" NIL)").await;
    assert!(done.ok());
    assert!(
        done.untagged[0].starts_with("* ID (\"name\" \"Postroom\" \"version\" "),
        "{done:?}"
    );
}

#[tokio::test]
async fn starttls_and_implicit_tls_allow_logins() {
    let h = tls_harness("allow_plaintext_auth_on_loopback = false").await;
    h.user("pat", 0).await;
    let mut c = h.connect().await;
    let before = c.cmd("CAPABILITY").await;
    assert!(before.untagged[0].contains(" STARTTLS "), "{before:?}");
    assert!(before.untagged[0].contains(" LOGINDISABLED "), "{before:?}");
    let mut c = c.starttls(&h).await;
    let after = c.cmd("CAPABILITY").await;
    assert!(!after.untagged[0].contains("STARTTLS"), "{after:?}");
    assert!(after.untagged[0].contains(" AUTH=PLAIN "), "{after:?}");
    assert!(
        c.cmd(&format!("LOGIN pat@example.test {PASSWORD}"))
            .await
            .ok()
    );
    assert!(c.cmd("SELECT INBOX").await.ok());

    let mut t = h.connect_tls().await;
    let caps = t.cmd("CAPABILITY").await;
    assert!(!caps.untagged[0].contains("STARTTLS"), "{caps:?}");
    let auth = t
        .cmd(&format!(
            "AUTHENTICATE PLAIN {}",
            plain("pat@example.test", PASSWORD)
        ))
        .await;
    assert!(auth.status.starts_with("OK [CAPABILITY "), "{auth:?}");
}
