//! IMAP of the real `postroom` binary over TCP, with a raw client and rustls: SELECT and
//! byte-exact FETCH of mail delivered through the MX, IDLE woken by SMTP and LMTP
//! deliveries, two sessions on one mailbox seeing each other's flags and expunges,
//! APPEND with UID FETCH, and logins over STARTTLS and implicit TLS.

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use support::imap::{
    Imap, Reply, Response, deliver_raw, fetched, fetches, flags, imap, item, selected,
};
use support::pop3::{tcp, tls};
use support::{Options, PASSWORD, Postroom, connect, sasl_plain};

/// How long a delivery may take to show up in an IDLE session (the bound).
const IDLE_BOUND: Duration = Duration::from_secs(1);

/// A message with `subject` and `body` (CRLF line ends).
fn message(subject: &str, body: &str) -> String {
    format!(
        "From: Alice <alice@elsewhere.example>\r\nTo: pat@example.test\r\n\
         Subject: {subject}\r\nMessage-ID: <{subject}@elsewhere.example>\r\n\
         Date: Tue, 5 Mar 2024 10:11:12 +0100\r\n\r\n{body}"
    )
}

/// The stored message (as the server wrote it) whose Subject is `subject`.
fn stored(server: &Postroom, user: &str, subject: &str) -> Vec<u8> {
    let wanted = format!("\r\nSubject: {subject}\r\n");
    let found = server.inbox(user).into_iter().find(|m| m.contains(&wanted));
    found
        .unwrap_or_else(|| panic!("no stored message {subject}"))
        .into_bytes()
}

/// Delivers `message` through the LMTP TCP listener.
fn deliver_lmtp(lmtp: SocketAddr, to: &str, message: &str) {
    let mut client = connect(lmtp);
    assert!(client.reply().starts_with("220 "));
    assert!(client.command("LHLO client.example").starts_with("250 "));
    assert!(
        client
            .command("MAIL FROM:<b@elsewhere.example>")
            .starts_with("250 ")
    );
    assert!(
        client
            .command(&format!("RCPT TO:<{to}>"))
            .starts_with("250 ")
    );
    assert!(client.command("DATA").starts_with("354 "));
    client.send(&format!("{message}.\r\n"));
    let reply = client.reply();
    assert!(reply.starts_with("250 "), "{reply}");
    assert!(client.command("QUIT").starts_with("221 "));
}

/// The FETCH response of `reply` for sequence number `seq`.
fn fetch_of(reply: &Reply, seq: u32) -> &Response {
    fetches(reply)
        .into_iter()
        .find_map(|(n, r)| (n == seq).then_some(r))
        .unwrap_or_else(|| panic!("no FETCH for {seq} in {reply:?}"))
}

/// Whether `reply` holds an untagged `* n EXPUNGE`.
fn has_expunge(reply: &Reply) -> bool {
    reply.lines().iter().any(|l| l.ends_with(" EXPUNGE"))
}

#[test]
fn imap_select_shows_delivered_mail_and_fetch_is_byte_exact() {
    let server = Postroom::start_with(&Options::default());
    deliver_raw(
        server.mx,
        "pat@example.test",
        &message("first", "one line\r\n"),
    );
    let long = ".leading dot\r\nand some text\r\n".repeat(3000);
    deliver_raw(server.mx, "pat@example.test", &message("second", &long));
    let first = stored(&server, "pat", "first");
    let second = stored(&server, "pat", "second");

    let (mut client, select) = selected(&server, "pat");
    assert_eq!(select.count("EXISTS"), Some(2), "{select:?}");
    assert_eq!(select.count("RECENT"), Some(2), "{select:?}");
    assert_eq!(select.code_number("UIDNEXT"), Some(3), "{select:?}");
    assert!(select.code_number("UIDVALIDITY").is_some(), "{select:?}");
    assert!(select.status.starts_with("OK [READ-WRITE]"), "{select:?}");

    let fetch = client.ok("FETCH 1:2 (UID RFC822.SIZE FLAGS BODY.PEEK[])");
    assert_eq!(fetches(&fetch).len(), 2, "{fetch:?}");
    for (seq, expected) in [(1, &first), (2, &second)] {
        let response = fetch_of(&fetch, seq);
        assert_eq!(item(response, "UID"), Some(seq.to_string().as_str()));
        assert_eq!(
            item(response, "RFC822.SIZE"),
            Some(expected.len().to_string().as_str())
        );
        assert_eq!(
            fetched(response, "BODY[]"),
            expected.as_slice(),
            "message {seq}"
        );
        assert!(flags(response).is_empty(), "{}", response.text);
    }

    // Sections: a header field, a partial text, and BODY[] without PEEK setting \Seen.
    let parts = client.ok("FETCH 2 (BODY.PEEK[HEADER.FIELDS (SUBJECT)] BODY.PEEK[TEXT]<0.12>)");
    let response = fetch_of(&parts, 2);
    assert_eq!(
        fetched(response, "BODY[HEADER.FIELDS (SUBJECT)]"),
        b"Subject: second\r\n\r\n"
    );
    assert_eq!(fetched(response, "BODY[TEXT]<0>"), b".leading dot");
    let body = client.ok("FETCH 1 BODY[]");
    assert_eq!(fetched(fetch_of(&body, 1), "BODY[]"), first.as_slice());
    let seen = client.ok("FETCH 1:2 (FLAGS)");
    assert_eq!(flags(fetch_of(&seen, 1)), ["\\Seen"]);
    assert!(flags(fetch_of(&seen, 2)).is_empty());
    client.ok("LOGOUT");

    // The flag is in the Maildir: a new session sees it, \Recent is gone.
    let (mut again, select) = selected(&server, "pat");
    assert_eq!(select.count("RECENT"), Some(0), "{select:?}");
    let seen = again.ok("UID FETCH 1:* (FLAGS)");
    assert_eq!(flags(fetch_of(&seen, 1)), ["\\Seen"]);
}

#[test]
fn imap_idle_reports_smtp_and_lmtp_deliveries_within_a_second() {
    let server = Postroom::start_with(&Options::default());
    deliver_raw(server.mx, "pat@example.test", &message("before", "x\r\n"));
    let (mut first, select) = selected(&server, "pat");
    assert_eq!(select.count("EXISTS"), Some(1));
    let (mut second, _) = selected(&server, "pat");
    let first_tag = first.idle();
    let second_tag = second.idle();

    deliver_raw(server.mx, "pat@example.test", &message("during", "y\r\n"));
    let delivered = Instant::now();
    for client in [&mut first, &mut second] {
        // Both within the bound from the delivery (what arrived in time is buffered).
        let left = IDLE_BOUND
            .saturating_sub(delivered.elapsed())
            .max(Duration::from_millis(20));
        let seen = client.wait_for(left, |line| line == "* 2 EXISTS");
        assert!(
            seen.is_some(),
            "no `* 2 EXISTS` within {IDLE_BOUND:?} of the SMTP delivery:\n{}",
            server.log()
        );
    }
    deliver_lmtp(server.lmtp, "pat@example.test", &message("lmtp", "z\r\n"));
    let seen = first.wait_for(IDLE_BOUND, |line| line == "* 3 EXISTS");
    assert!(seen.is_some(), "no `* 3 EXISTS` after the LMTP delivery");

    first.done(&first_tag);
    let fetch = first.ok("FETCH 2:3 (UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])");
    let subject = |seq| fetched(fetch_of(&fetch, seq), "BODY[HEADER.FIELDS (SUBJECT)]").to_vec();
    assert_eq!(subject(2), b"Subject: during\r\n\r\n");
    assert_eq!(subject(3), b"Subject: lmtp\r\n\r\n");
    assert_eq!(item(fetch_of(&fetch, 3), "UID"), Some("3"));
    // The second session got the LMTP delivery too, at the latest when IDLE ends.
    let done = second.done(&second_tag);
    let late = done.count("EXISTS");
    let noop = second.ok("NOOP");
    assert!(
        late == Some(3) || noop.count("EXISTS") == Some(3),
        "{done:?} {noop:?}"
    );
    let status = second.ok("STATUS INBOX (MESSAGES UIDNEXT)");
    assert!(
        status.has("STATUS INBOX (MESSAGES 3 UIDNEXT 4)"),
        "{status:?}"
    );
}

#[test]
fn imap_two_sessions_see_each_others_flags_and_expunges() {
    let server = Postroom::start_with(&Options::default());
    for subject in ["one", "two", "three"] {
        deliver_raw(server.mx, "sam@example.test", &message(subject, "text\r\n"));
    }
    let (mut a, _) = selected(&server, "sam");
    let (mut b, select) = selected(&server, "sam");
    assert_eq!(select.count("EXISTS"), Some(3));

    let stored = a.ok("STORE 2 +FLAGS (\\Flagged)");
    assert_eq!(flags(fetch_of(&stored, 2)), ["\\Flagged"]);
    let noop = b.ok("NOOP");
    assert_eq!(flags(fetch_of(&noop, 2)), ["\\Flagged"], "{noop:?}");

    // A keyword the other way, and no lost update when both change one message.
    b.ok("STORE 2 +FLAGS ($Work)");
    a.ok("STORE 2 +FLAGS (\\Seen)");
    let noop = b.ok("NOOP");
    assert_eq!(
        flags(fetch_of(&noop, 2)),
        ["$Work", "\\Flagged", "\\Seen"],
        "{noop:?}"
    );
    let check = a.ok("FETCH 2 (FLAGS)");
    assert_eq!(flags(fetch_of(&check, 2)), ["$Work", "\\Flagged", "\\Seen"]);

    // A expunges message 1.
    a.ok("STORE 1 +FLAGS.SILENT (\\Deleted)");
    let expunge = a.ok("EXPUNGE");
    assert!(expunge.has("1 EXPUNGE"), "{expunge:?}");
    // B must not hear of it during FETCH, STORE or SEARCH by sequence number.
    let fetch = b.command("FETCH 1:* (UID)");
    assert!(!has_expunge(&fetch), "EXPUNGE during FETCH: {fetch:?}");
    let search = b.command("SEARCH ALL");
    assert!(!has_expunge(&search), "EXPUNGE during SEARCH: {search:?}");
    let store = b.command("STORE 3 -FLAGS (\\Draft)");
    assert!(!has_expunge(&store), "EXPUNGE during STORE: {store:?}");
    let noop = b.ok("NOOP");
    assert!(noop.has("1 EXPUNGE"), "{noop:?}");
    let uids = b.ok("FETCH 1:* (UID FLAGS)");
    let listed: Vec<_> = fetches(&uids)
        .iter()
        .map(|(seq, r)| (*seq, item(r, "UID").unwrap_or_default().to_owned()))
        .collect();
    assert_eq!(listed, [(1, "2".to_owned()), (2, "3".to_owned())]);
    assert_eq!(flags(fetch_of(&uids, 1)), ["$Work", "\\Flagged", "\\Seen"]);

    // And the other way: B expunges by UID, A hears of it at NOOP.
    b.ok("UID STORE 3 +FLAGS.SILENT (\\Deleted)");
    let expunged = b.ok("UID EXPUNGE 3");
    assert!(expunged.has("2 EXPUNGE"), "{expunged:?}");
    let noop = a.ok("NOOP");
    assert!(noop.has("2 EXPUNGE"), "{noop:?}");
    let status = a.ok("STATUS INBOX (MESSAGES)");
    assert!(status.has("STATUS INBOX (MESSAGES 1)"), "{status:?}");
    assert_eq!(server.inbox("sam").len(), 1);
}

#[test]
fn imap_append_then_uid_fetch_returns_the_message() {
    let server = Postroom::start_with(&Options::default());
    let mut client = imap(&server);
    client.login("pat@example.test", PASSWORD);
    let text = message("appended", "first line\r\n\r\nlast line\r\n");
    let append = client.append(
        "INBOX",
        "\\Seen $Work",
        "05-Mar-2024 10:11:12 +0100",
        text.as_bytes(),
    );
    assert!(append.is_ok(), "{append:?}");
    assert!(append.status.starts_with("OK [APPENDUID "), "{append:?}");
    let validity = append.code_number("APPENDUID").expect("APPENDUID");
    assert!(
        append.status.contains(&format!("[APPENDUID {validity} 1]")),
        "{append:?}"
    );

    let select = client.ok("SELECT INBOX");
    assert_eq!(select.count("EXISTS"), Some(1));
    assert_eq!(select.code_number("UIDVALIDITY"), Some(validity));
    assert_eq!(select.code_number("UIDNEXT"), Some(2));
    let fetch = client.ok("UID FETCH 1 (FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[])");
    let response = fetch_of(&fetch, 1);
    assert_eq!(flags(response), ["$Work", "\\Seen"]);
    assert_eq!(fetched(response, "BODY[]"), text.as_bytes());
    assert_eq!(
        item(response, "RFC822.SIZE"),
        Some(text.len().to_string().as_str())
    );
    let date = response
        .text
        .split("INTERNALDATE \"")
        .nth(1)
        .unwrap_or_default();
    assert!(
        date.starts_with(" 5-Mar-2024 10:11:12 +0100\"")
            || date.starts_with(" 5-Mar-2024 09:11:12 +0000\""),
        "the INTERNALDATE is not the APPEND date: {}",
        response.text
    );

    // A second APPEND with a non-synchronizing literal (LITERAL+) while selected.
    let second = message("plus", "x\r\n");
    let tag = client.next_tag();
    client.send_raw(format!("{tag} APPEND INBOX {{{}+}}\r\n{second}\r\n", second.len()).as_bytes());
    let append = client.finish(&tag);
    assert!(
        append.status.contains(&format!("[APPENDUID {validity} 2]")),
        "{append:?}"
    );
    let noop = client.ok("NOOP");
    assert!(
        append.count("EXISTS") == Some(2) || noop.count("EXISTS") == Some(2),
        "no EXISTS for the appended message: {append:?} {noop:?}"
    );
    let fetch = client.ok("UID FETCH 2 (UID FLAGS BODY.PEEK[])");
    let response = fetch_of(&fetch, 2);
    assert_eq!(fetched(response, "BODY[]"), second.as_bytes());
    assert!(flags(response).is_empty(), "{}", response.text);
    assert_eq!(server.inbox("pat").len(), 2);
}

#[test]
fn imap_login_needs_starttls_when_plaintext_is_off() {
    let options = Options {
        plaintext_on_loopback: false,
        ..Options::default()
    };
    let server = Postroom::start_with(&options);
    deliver_raw(
        server.mx,
        "pat@example.test",
        &message("secret", "over tls\r\n"),
    );
    let expected = stored(&server, "pat", "secret");

    let mut plain = imap(&server);
    let caps = plain.capabilities();
    assert!(caps.iter().any(|c| c == "STARTTLS"), "{caps:?}");
    assert!(caps.iter().any(|c| c == "LOGINDISABLED"), "{caps:?}");
    assert!(!caps.iter().any(|c| c.starts_with("AUTH=")), "{caps:?}");
    let login = plain.command(&format!("LOGIN pat@example.test {PASSWORD}"));
    assert!(login.status.starts_with("NO "), "{login:?}");
    let auth = plain.command(&format!(
        "AUTHENTICATE PLAIN {}",
        sasl_plain("pat@example.test", PASSWORD)
    ));
    assert!(!auth.is_ok(), "AUTHENTICATE before TLS: {auth:?}");
    let select = plain.command("SELECT INBOX");
    assert!(!select.is_ok(), "not logged in: {select:?}");
    plain.ok("STARTTLS");

    let mut secure = Imap::new(tls(&server, plain.into_stream()));
    let caps = secure.capabilities();
    assert!(
        !caps.iter().any(|c| c == "STARTTLS" || c == "LOGINDISABLED"),
        "{caps:?}"
    );
    for wanted in [
        "AUTH=PLAIN",
        "AUTH=LOGIN",
        "AUTH=SCRAM-SHA-256",
        "IDLE",
        "UIDPLUS",
    ] {
        assert!(
            caps.iter().any(|c| c == wanted),
            "{wanted} missing: {caps:?}"
        );
    }
    let wrong = secure.command("LOGIN pat@example.test wrong-password");
    assert!(
        wrong.status.starts_with("NO [AUTHENTICATIONFAILED]"),
        "{wrong:?}"
    );
    secure.login("pat@example.test", PASSWORD);
    secure.ok("SELECT INBOX");
    let fetch = secure.ok("FETCH 1 BODY.PEEK[]");
    assert_eq!(fetched(fetch_of(&fetch, 1), "BODY[]"), expected.as_slice());
    let logout = secure.ok("LOGOUT");
    assert!(
        logout.lines().iter().any(|l| l.starts_with("* BYE")),
        "{logout:?}"
    );
    assert!(
        server
            .log()
            .contains("auth failed: user=<pat@example.test> rip=127.0.0.1 service=imap"),
        "{}",
        server.log()
    );
}

#[test]
fn imaps_logs_in_with_sasl_ir_and_fetches() {
    let server = Postroom::start_with(&Options::default());
    deliver_raw(
        server.mx,
        "sam@example.test",
        &message("implicit", "tls\r\n"),
    );
    let expected = stored(&server, "sam", "implicit");

    let started = Instant::now();
    let mut client = Imap::new(tls(&server, tcp(server.imaps.expect("imaps"))));
    client.greeting();
    let caps = client.capabilities();
    assert!(!caps.iter().any(|c| c == "STARTTLS"), "{caps:?}");
    assert!(caps.iter().any(|c| c == "SASL-IR"), "{caps:?}");
    let token = sasl_plain("sam@example.test", PASSWORD);
    client.ok(&format!("AUTHENTICATE PLAIN {token}"));
    let select = client.ok("SELECT INBOX");
    assert_eq!(select.count("EXISTS"), Some(1));
    let fetch = client.ok("UID FETCH 1 (BODY.PEEK[] RFC822.SIZE)");
    let response = fetch_of(&fetch, 1);
    assert_eq!(fetched(response, "BODY[]"), expected.as_slice());
    client.ok("LOGOUT");
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn imap_append_over_quota_is_refused_and_quota_is_reported() {
    let server = Postroom::start_with(&Options::default());
    let mut client = imap(&server);
    client.login("full@example.test", PASSWORD);
    let big = message("big", &format!("{}\r\n", "y".repeat(1200)));
    assert!(client.append("INBOX", "", "", big.as_bytes()).is_ok());
    let refused = client.append("INBOX", "", "", big.as_bytes());
    assert!(refused.status.starts_with("NO [OVERQUOTA]"), "{refused:?}");
    let quota = client.ok("GETQUOTAROOT INBOX");
    let line = quota
        .lines()
        .into_iter()
        .find(|l| l.starts_with("* QUOTA "))
        .map(str::to_owned)
        .expect("* QUOTA");
    assert!(line.contains("(STORAGE "), "{line}");
    let status = client.ok("STATUS INBOX (MESSAGES SIZE)");
    assert!(
        status.has(&format!("STATUS INBOX (MESSAGES 1 SIZE {})", big.len())),
        "{status:?}"
    );
    assert_eq!(server.inbox("full").len(), 1);
}

#[test]
fn imap_serves_a_bare_lf_message_with_crlf_sizes() {
    let server = Postroom::start_with(&Options::default());
    deliver_raw(server.mx, "pat@example.test", &message("first", "x\r\n"));
    // A message another program dropped into the Maildir with bare LF line ends, named
    // (delivery time first) so that it is numbered after the first.
    let raw = "From: lf@example.test\nSubject: bare\n\nline one\nline two\n";
    let later = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        + 1;
    let file = server
        .maildir("pat")
        .join("new")
        .join(format!("{later}.M1P1.elsewhere"));
    std::fs::write(&file, raw).expect("write message");
    let crlf = raw.replace('\n', "\r\n");

    let (mut client, select) = selected(&server, "pat");
    assert_eq!(select.count("EXISTS"), Some(2), "{select:?}");
    let fetch = client.ok("FETCH 2 (RFC822.SIZE BODY.PEEK[] BODY.PEEK[TEXT] BINARY.SIZE[])");
    let response = fetch_of(&fetch, 2);
    let size = crlf.len().to_string();
    assert_eq!(item(response, "RFC822.SIZE"), Some(size.as_str()));
    assert_eq!(item(response, "BINARY.SIZE[]"), Some(size.as_str()));
    assert_eq!(fetched(response, "BODY[]"), crlf.as_bytes());
    assert_eq!(fetched(response, "BODY[TEXT]"), b"line one\r\nline two\r\n");
    let search = client.ok(&format!(
        "SEARCH LARGER {} SMALLER {}",
        crlf.len() - 1,
        crlf.len() + 1
    ));
    assert!(search.has("SEARCH 2"), "{search:?}");
}

/// Eight sessions work on one INBOX at once (APPEND, flag changes on a shared message,
/// SEARCH, UID EXPUNGE of their own message): every command of every session completes
/// (the client gives up after 20 s without a reply) and the folder ends as it began. The
/// store before 2026-11-27 stalled here.
#[test]
fn eight_sessions_on_one_folder_all_progress() {
    const SESSIONS: usize = 8;
    const ROUNDS: usize = 12;
    let server = Postroom::start_with(&Options::default());
    // The shared message keeps the lowest UID, so it is sequence number 1 everywhere.
    deliver_raw(server.mx, "pat@example.test", &message("shared", "x\r\n"));
    std::thread::scope(|scope| {
        for session in 0..SESSIONS {
            let server = &server;
            scope.spawn(move || {
                let (mut client, _) = selected(server, "pat");
                for round in 0..ROUNDS {
                    if round == ROUNDS / 2 {
                        // Past the 2 s for which the store trusts its own changes, so
                        // the second half also runs the full listings that verify them.
                        std::thread::sleep(Duration::from_millis(2500));
                    }
                    let subject = format!("s{session}r{round}");
                    let appended =
                        client.append("INBOX", "", "", message(&subject, "y\r\n").as_bytes());
                    assert!(appended.is_ok(), "{appended:?}");
                    client.ok("STORE 1 +FLAGS (\\Seen)");
                    client.ok("STORE 1 -FLAGS (\\Seen)");
                    let search = client.ok(&format!("UID SEARCH SUBJECT {subject}"));
                    let uid = search
                        .lines()
                        .iter()
                        .find_map(|l| l.strip_prefix("* SEARCH "))
                        .map(str::to_owned)
                        .unwrap_or_else(|| panic!("{subject} not found: {search:?}"));
                    client.ok(&format!("UID STORE {uid} +FLAGS.SILENT (\\Deleted)"));
                    client.ok(&format!("UID EXPUNGE {uid}"));
                }
                client.ok("LOGOUT");
            });
        }
    });
    let (_client, select) = selected(&server, "pat");
    assert_eq!(select.count("EXISTS"), Some(1), "{select:?}");
    assert_eq!(server.inbox("pat").len(), 1);
}
