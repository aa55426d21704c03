//! Attacks on the SMTP listeners of the real `postroom` binary: SMTP smuggling with every
//! bare CR / bare LF around the final dot (in one write, split across TCP segments, and
//! inside BDAT chunks), STARTTLS command injection on the MX and on submission, the
//! open-relay battery, huge command and header lines, and invalid UTF-8 in SMTPUTF8
//! addresses. Every case checks the clear reply, that nothing was delivered or split
//! off, and that the server still serves.

mod support;

use std::net::TcpStream;
use std::time::Duration;

use support::DOMAIN;
use support::attack::{Quiet, Raw, Target, deliver_normal, mx_session, start_default};

/// The line ends that may sit before and after a dot; only CRLF on both sides ends a
/// message.
const ENDS: [&str; 3] = ["\r\n", "\n", "\r"];

/// Every `end . end` combination except the real end of data, plus a few longer ones.
fn fake_terminators() -> Vec<String> {
    let mut all = Vec::new();
    for before in ENDS {
        for after in ENDS {
            if (before, after) != ("\r\n", "\r\n") {
                all.push(format!("{before}.{after}"));
            }
        }
    }
    all.extend(
        ["\n\r.\r\n", "\r\n.\r\r\n", "\r\n.\n\r\n", "\r\r.\r\r"]
            .iter()
            .map(|s| (*s).to_owned()),
    );
    all
}

/// A carrier message whose body hides a second transaction after `terminator`.
fn smuggling_body(terminator: &str) -> String {
    format!(
        "Subject: carrier\r\n\r\nfirst part{terminator}\
         MAIL FROM:<evil@elsewhere.example>\r\n\
         RCPT TO:<sam@{DOMAIN}>\r\n\
         DATA\r\n\
         Subject: smuggled\r\n\r\nsmuggled\r\n.\r\n"
    )
}

/// Opens a transaction to pat on the MX and starts DATA.
fn start_data(target: &Target) -> Raw<TcpStream> {
    let mut mx = mx_session(target);
    assert!(
        mx.smtp("MAIL FROM:<someone@elsewhere.example>")
            .starts_with("250 ")
    );
    assert!(
        mx.smtp(&format!("RCPT TO:<pat@{DOMAIN}>"))
            .starts_with("250 ")
    );
    assert!(mx.smtp("DATA").starts_with("354 "));
    mx
}

/// After the smuggling attempt: one 550 5.6.0, nothing else (no reply to a smuggled
/// command), the session still usable, and no message stored for anyone.
fn assert_refused_whole(target: &Target, mut mx: Raw<TcpStream>, what: &str) {
    let reply = mx.smtp_reply();
    assert!(reply.starts_with("550 5.6.0"), "{what}: {reply}");
    assert_eq!(
        mx.quiet_for(Duration::from_millis(200)),
        Quiet::Silent,
        "{what}: a smuggled command was answered"
    );
    assert!(mx.smtp("RSET").starts_with("250 "), "{what}");
    assert!(mx.smtp("QUIT").starts_with("221 "), "{what}");
    assert!(target.pat_inbox().is_empty(), "{what}: carrier stored");
    assert!(
        target.server.inbox("sam").is_empty(),
        "{what}: smuggled message stored"
    );
}

#[test]
fn smuggling_with_bare_line_endings_is_refused_in_one_write() {
    let target = start_default();
    for terminator in fake_terminators() {
        let mut mx = start_data(&target);
        mx.send(smuggling_body(&terminator).as_bytes());
        assert_refused_whole(&target, mx, &format!("{terminator:?}"));
    }
    target.assert_still_serving();
}

#[test]
fn smuggling_split_across_tcp_segments_is_refused() {
    let target = start_default();
    for terminator in fake_terminators() {
        let body = smuggling_body(&terminator);
        let at = body.find("first part").unwrap() + "first part".len();
        // Byte by byte around the fake terminator, then the rest in one piece.
        let mut mx = start_data(&target);
        mx.send(&body.as_bytes()[..at]);
        std::thread::sleep(Duration::from_millis(15));
        let tail = at + terminator.len() + 4;
        mx.send_in_pieces(&body.as_bytes()[at..tail], 1);
        mx.send(&body.as_bytes()[tail..]);
        assert_refused_whole(&target, mx, &format!("split {terminator:?}"));
        // The whole body in 3-byte segments.
        let mut mx = start_data(&target);
        mx.send_in_pieces(body.as_bytes(), 3);
        assert_refused_whole(&target, mx, &format!("3-byte pieces {terminator:?}"));
    }
    target.assert_still_serving();
}

/// Inside BDAT chunks, a fake end of data is only content, but a bare CR or LF is
/// refused as in DATA (`550 5.6.0`): relayed with DATA, the message could end early.
/// The refusal comes after the chunk that holds it (the first or the last), later
/// chunks find no transaction, nothing is stored, and the hidden second transaction
/// never happens.
#[test]
fn bdat_chunks_cannot_smuggle() {
    let target = start_default();
    let refused = "550 5.6.0 ";
    for terminator in fake_terminators() {
        let mut mx = mx_session(&target);
        assert!(
            mx.smtp("MAIL FROM:<someone@elsewhere.example>")
                .starts_with("250 ")
        );
        assert!(
            mx.smtp(&format!("RCPT TO:<pat@{DOMAIN}>"))
                .starts_with("250 ")
        );
        let body = smuggling_body(&terminator);
        let (first, second) = body.split_at(body.len() / 2);
        let mut chunks = format!("BDAT {}\r\n{first}", first.len()).into_bytes();
        chunks.extend_from_slice(format!("BDAT {} LAST\r\n{second}", second.len()).as_bytes());
        mx.send_in_pieces(&chunks, 7);
        let replies = [mx.smtp_reply(), mx.smtp_reply()];
        let expected = if replies[0].starts_with(refused) {
            replies[1].starts_with("503 ")
        } else {
            replies[0].starts_with("250 ") && replies[1].starts_with(refused)
        };
        assert!(expected, "{terminator:?}: {replies:?}");
        assert_eq!(
            mx.quiet_for(Duration::from_millis(200)),
            Quiet::Silent,
            "{terminator:?}: a smuggled command was answered"
        );
        assert!(mx.smtp("RSET").starts_with("250 "));
        assert!(mx.smtp("QUIT").starts_with("221 "));
        assert!(target.pat_inbox().is_empty(), "{terminator:?}");
        assert!(target.server.inbox("sam").is_empty(), "{terminator:?}");
    }
    // A real end of data inside a BDAT chunk is only content: one message, for pat.
    let mut mx = mx_session(&target);
    assert!(
        mx.smtp("MAIL FROM:<someone@elsewhere.example>")
            .starts_with("250 ")
    );
    assert!(
        mx.smtp(&format!("RCPT TO:<pat@{DOMAIN}>"))
            .starts_with("250 ")
    );
    let body = smuggling_body("\r\n.\r\n");
    mx.send(format!("BDAT {} LAST\r\n{body}", body.len()).as_bytes());
    let reply = mx.smtp_reply();
    assert!(reply.starts_with("250 "), "{reply}");
    assert_eq!(mx.quiet_for(Duration::from_millis(200)), Quiet::Silent);
    assert!(mx.smtp("QUIT").starts_with("221 "));
    let inbox = target.pat_inbox();
    assert_eq!(inbox.len(), 1);
    assert!(
        inbox
            .iter()
            .filter(|m| m.contains("MAIL FROM:<evil@elsewhere.example>"))
            .count()
            == 1
    );
    assert!(target.server.inbox("sam").is_empty());
    target.assert_still_serving();
}

/// `STARTTLS` and `NOOP` in one write: the NOOP must not be answered, neither before
/// nor after the handshake; the session goes on over TLS.
fn starttls_injection(target: &Target, addr: std::net::SocketAddr) {
    let mut plain = Raw::connect(addr);
    assert!(plain.smtp_reply().starts_with("220 "));
    assert!(plain.smtp("EHLO client.example").starts_with("250 "));
    plain.send(b"STARTTLS\r\nNOOP\r\n");
    let go = plain.smtp_reply();
    assert!(go.starts_with("220 "), "{go}");
    let mut tls = plain.into_tls(&target.server);
    assert_eq!(
        tls.quiet_for(Duration::from_millis(300)),
        Quiet::Silent,
        "the injected NOOP was answered"
    );
    tls.send(b"EHLO client.example\r\n");
    let first = tls.line();
    assert!(first.starts_with("250-"), "not the EHLO reply: {first}");
    let last = tls.smtp_reply();
    assert!(last.starts_with("250 "), "{last}");
    assert!(tls.smtp("QUIT").starts_with("221 "));
}

#[test]
fn starttls_command_injection_on_mx_and_submission() {
    let target = start_default();
    starttls_injection(&target, target.server.mx);
    starttls_injection(&target, target.server.submission);
    target.assert_still_serving();
}

#[test]
fn mx_is_no_open_relay() {
    let target = start_default();
    let mut mx = mx_session(&target);
    assert!(
        mx.smtp("MAIL FROM:<someone@elsewhere.example>")
            .starts_with("250 ")
    );
    let refused = [
        "<pat%elsewhere.example@example.test>",
        "<pat%elsewhere.example@EXAMPLE.test>",
        "<\"pat@elsewhere.example\"@example.test>",
        "<\"pat%elsewhere.example\"@example.test>",
        "<@example.test:pat@elsewhere.example>",
        "<@example.test,@relay.example:pat@elsewhere.example>",
        "<elsewhere.example!pat@example.test>",
        "<elsewhere.example!pat>",
        "<pat@[127.0.0.1]>",
        "<pat@[IPv6:::1]>",
        "<pat@127.0.0.1>",
        "<pat@localhost>",
        "<pat@elsewhere.example>",
        "<pat@sub.example.test>",
        "<pat@example.test.elsewhere.example>",
        "<pat@elsewhere.example@example.test>",
        "<pat>",
        "<nobody@example.test>",
    ];
    for rcpt in refused {
        let reply = mx.smtp(&format!("RCPT TO:{rcpt}"));
        assert!(reply.starts_with('5'), "RCPT TO:{rcpt} -> {reply}");
    }
    // Nothing accepted yet: DATA has no recipient.
    let data = mx.smtp("DATA");
    assert!(data.starts_with('5'), "{data}");
    // Case variants of our domain and user are local.
    for rcpt in [
        "<PAT@EXAMPLE.TEST>",
        "<pat@Example.Test>",
        "<Pat@example.test>",
    ] {
        let reply = mx.smtp(&format!("RCPT TO:{rcpt}"));
        assert!(reply.starts_with("250 "), "RCPT TO:{rcpt} -> {reply}");
    }
    assert!(mx.smtp("DATA").starts_with("354 "));
    let reply = mx.smtp("Subject: case\r\n\r\nhello\r\n.");
    assert!(reply.starts_with("250 "), "{reply}");
    assert!(mx.smtp("QUIT").starts_with("221 "));
    let inbox = target.pat_inbox();
    assert!(!inbox.is_empty() && inbox.len() <= 3, "{}", inbox.len());
    assert!(inbox.iter().all(|m| m.contains("Subject: case")));
    let queue = target.server.admin_output(&["queue", "list"]);
    assert!(!queue.contains("elsewhere"), "queued for relay:\n{queue}");
    target.assert_still_serving();
}

#[test]
fn huge_command_and_header_lines() {
    let target = start_default();
    // A command line far over the limit: a clear 5xx, and the session goes on.
    let mut mx = mx_session(&target);
    let huge = format!("EHLO {}\r\n", "a".repeat(200_000));
    mx.send(huge.as_bytes());
    let reply = mx.smtp_reply();
    assert!(reply.starts_with("500 "), "{reply}");
    assert!(mx.smtp("NOOP").starts_with("250 "));
    assert!(mx.smtp("QUIT").starts_with("221 "));
    // A header line of 500 KB (within the message size limit).
    let mut mx = start_data(&target);
    let body = format!("Subject: {}\r\n\r\nbody\r\n.\r\n", "h".repeat(500_000));
    mx.send_in_pieces(body.as_bytes(), 64 * 1024);
    let reply = mx.smtp_reply();
    assert!(reply.starts_with("5"), "{reply}");
    assert!(mx.smtp("RSET").starts_with("250 "));
    assert!(mx.smtp("QUIT").starts_with("221 "));
    assert!(target.pat_inbox().is_empty());
    deliver_normal(&target, "after huge lines");
    target.assert_still_serving();
}

#[test]
fn invalid_utf8_in_smtputf8_addresses() {
    let target = start_default();
    let mut mx = mx_session(&target);
    let bad: [&[u8]; 5] = [
        b"\xC0\x80",         // overlong NUL
        b"\xC1\xBF",         // overlong
        b"\xED\xA0\x80",     // surrogate
        b"\xF5\x80\x80\x80", // beyond U+10FFFF
        b"\xE2\x82",         // truncated
    ];
    for bytes in bad {
        let mut line = b"MAIL FROM:<a".to_vec();
        line.extend_from_slice(bytes);
        line.extend_from_slice(b"@elsewhere.example> SMTPUTF8\r\n");
        mx.send(&line);
        let reply = mx.smtp_reply();
        assert!(reply.starts_with('5'), "{bytes:x?}: {reply}");
    }
    assert!(
        mx.smtp("MAIL FROM:<j\u{f6}rg@elsewhere.example> SMTPUTF8")
            .starts_with("250 ")
    );
    for bytes in bad {
        let mut line = b"RCPT TO:<p".to_vec();
        line.extend_from_slice(bytes);
        line.extend_from_slice(format!("t@{DOMAIN}>\r\n").as_bytes());
        mx.send(&line);
        let reply = mx.smtp_reply();
        assert!(reply.starts_with('5'), "{bytes:x?}: {reply}");
    }
    assert!(
        mx.smtp(&format!("RCPT TO:<pat@{DOMAIN}>"))
            .starts_with("250 ")
    );
    assert!(mx.smtp("RSET").starts_with("250 "));
    assert!(mx.smtp("QUIT").starts_with("221 "));
    target.assert_still_serving();
}
