//! Attacks on the IMAP listener of the real `postroom` binary: STARTTLS command
//! injection, plaintext logins before TLS, literal bombs, deeply nested SEARCH, huge
//! command lines, path traversal and invalid UTF-8 in mailbox names. Every case checks
//! the clear response and that the server still serves.

mod support;

use std::time::Duration;

use support::attack::{Quiet, Raw, start_default, start_tls_only};
use support::imap::{Imap, imap, selected};
use support::{DOMAIN, PASSWORD, sasl_plain};

/// Sends a command the server may stop reading (it may answer and close early) and
/// returns its tagged status, or the `* BYE` line.
fn send_unchecked(client: &mut Imap<std::net::TcpStream>, command: &str) -> String {
    let tag = client.next_tag();
    let mut stream: &std::net::TcpStream = client.get_ref();
    // A write error means the server closed early; its answer is still readable.
    let _ = std::io::Write::write_all(&mut stream, format!("{tag} {command}\r\n").as_bytes());
    for _ in 0..1_000 {
        let Ok(Some(response)) = client.try_response() else {
            return String::new();
        };
        if let Some(status) = response.text.strip_prefix(&format!("{tag} ")) {
            return status.to_owned();
        }
        if response.text.starts_with("* BYE") {
            return response.text;
        }
    }
    panic!("no status for {tag}");
}

fn tagged_error(status: &str) -> bool {
    status.starts_with("NO") || status.starts_with("BAD")
}

#[test]
fn starttls_command_injection() {
    let target = start_default();
    let mut plain = Raw::connect(target.server.imap);
    assert!(plain.line().starts_with("* OK"));
    plain.send(b"a STARTTLS\r\nb NOOP\r\n");
    let go = plain.until("a ");
    assert!(go.starts_with("a OK"), "{go}");
    let mut tls = plain.into_tls(&target.server);
    assert_eq!(
        tls.quiet_for(Duration::from_millis(300)),
        Quiet::Silent,
        "the injected NOOP was answered"
    );
    tls.send(b"c CAPABILITY\r\n");
    let first = tls.line();
    assert!(first.starts_with("* CAPABILITY"), "{first}");
    assert!(tls.line().starts_with("c OK"));
    tls.send(format!("d LOGIN \"pat@{DOMAIN}\" \"{PASSWORD}\"\r\n").as_bytes());
    assert!(tls.until("d ").starts_with("d OK"));
    target.assert_still_serving();
}

#[test]
fn plaintext_login_before_tls_is_refused() {
    let target = start_tls_only();
    let mut client = imap(&target.server);
    let caps = client.capabilities();
    assert!(caps.iter().any(|c| c == "LOGINDISABLED"), "{caps:?}");
    let login = client.command(&format!("LOGIN \"pat@{DOMAIN}\" \"{PASSWORD}\""));
    assert!(tagged_error(&login.status), "{login:?}");
    // AUTHENTICATE PLAIN with an initial response.
    let plain = sasl_plain(&format!("pat@{DOMAIN}"), PASSWORD);
    let auth = client.command(&format!("AUTHENTICATE PLAIN {plain}"));
    assert!(tagged_error(&auth.status), "{auth:?}");
    // Still not logged in.
    let select = client.command("SELECT INBOX");
    assert!(tagged_error(&select.status), "{select:?}");
    // Over TLS the same login works.
    let mut plain_stream = Raw::connect(target.server.imap);
    assert!(plain_stream.line().starts_with("* OK"));
    plain_stream.send(b"a STARTTLS\r\n");
    assert!(plain_stream.until("a ").starts_with("a OK"));
    let mut tls = plain_stream.into_tls(&target.server);
    tls.send(format!("b LOGIN \"pat@{DOMAIN}\" \"{PASSWORD}\"\r\n").as_bytes());
    assert!(tls.until("b ").starts_with("b OK"));
    target.assert_no_panic();
}

#[test]
fn literal_bombs() {
    let target = start_default();
    let (mut client, _) = selected(&target.server, "pat");
    // A synchronizing literal of 4 GiB: refused before any byte is sent.
    let tag = client.next_tag();
    client.send_raw(format!("{tag} APPEND INBOX {{4294967295}}\r\n").as_bytes());
    let reply = client.finish(&tag);
    assert!(tagged_error(&reply.status), "{reply:?}");
    client.ok("NOOP");
    // An absurd size that does not even fit in 64 bits.
    let tag = client.next_tag();
    client.send_raw(format!("{tag} APPEND INBOX {{99999999999999999999999}}\r\n").as_bytes());
    let reply = client.finish(&tag);
    assert!(tagged_error(&reply.status), "{reply:?}");
    client.ok("NOOP");
    // Non-synchronizing literals far over the limit, many of them: each is refused (or
    // the connection closed), and the server stays up.
    let mut closed = false;
    for _ in 0..20 {
        let tag = client.next_tag();
        let mut command = format!("{tag} APPEND INBOX {{2000000+}}\r\n").into_bytes();
        command.extend(std::iter::repeat_n(b'x', 2_000_000));
        command.extend_from_slice(b"\r\n");
        let mut stream: &std::net::TcpStream = client.get_ref();
        if std::io::Write::write_all(&mut stream, &command).is_err() {
            closed = true;
            break;
        }
        match client.try_response() {
            Ok(Some(response)) if response.text.starts_with("* BYE") => {
                closed = true;
                break;
            }
            Ok(Some(response)) => {
                assert!(
                    response.text.starts_with(&format!("{tag} NO"))
                        || response.text.starts_with(&format!("{tag} BAD")),
                    "{}",
                    response.text
                );
            }
            Ok(None) | Err(_) => {
                closed = true;
                break;
            }
        }
    }
    if !closed {
        client.ok("NOOP");
    }
    target.assert_still_serving();
}

#[test]
fn deeply_nested_search() {
    let target = start_default();
    support::imap::deliver_raw(
        target.server.mx,
        &format!("pat@{DOMAIN}"),
        "Subject: one\r\n\r\nbody\r\n",
    );
    let (mut client, _) = selected(&target.server, "pat");
    for depth in [1_000, 10_000, 100_000] {
        let (mut fresh, _) = selected(&target.server, "pat");
        let search = format!("SEARCH {}ALL{}", "(".repeat(depth), ")".repeat(depth));
        let status = send_unchecked(&mut fresh, &search);
        assert!(status.starts_with("BAD"), "{depth}: {status}");
    }
    let or_chain = format!("SEARCH {}ALL{}", "OR ALL ".repeat(5_000), "");
    let reply = client.command(&or_chain);
    assert!(tagged_error(&reply.status), "{}", reply.status);
    let not_chain = format!("SEARCH {}ALL", "NOT ".repeat(5_000));
    let reply = client.command(&not_chain);
    assert!(tagged_error(&reply.status), "{}", reply.status);
    // A modest nesting still works.
    let reply = client.ok("SEARCH ((((ALL))))");
    assert!(reply.has("SEARCH 1"), "{reply:?}");
    target.assert_still_serving();
}

#[test]
fn huge_command_line() {
    let target = start_default();
    let (mut client, _) = selected(&target.server, "pat");
    let status = send_unchecked(&mut client, &format!("NOOP {}", "x".repeat(500_000)));
    assert!(status.starts_with("BAD [TOOBIG]"), "{status}");
    target.assert_still_serving();
}

#[test]
fn path_traversal_in_mailbox_names() {
    let target = start_default();
    let (mut client, _) = selected(&target.server, "pat");
    for name in [
        "\"../x\"",
        "\"/etc\"",
        "\"a/../../b\"",
        "\"..\"",
        "\".\"",
        "\"../../sam/Maildir\"",
        "\"/\"",
        "\"a//b\"",
        "\"a/./b\"",
        "\"x\\\\..\\\\y\"",
        "\"a..b\"",
        "\"..x\"",
        "\".hidden\"",
        "\"a/b\"",
    ] {
        let create = client.command(&format!("CREATE {name}"));
        assert!(tagged_error(&create.status), "CREATE {name}: {create:?}");
        let select = client.command(&format!("SELECT {name}"));
        assert!(tagged_error(&select.status), "SELECT {name}: {select:?}");
        let rename = client.command(&format!("RENAME INBOX {name}"));
        assert!(tagged_error(&rename.status), "RENAME {name}: {rename:?}");
    }
    // Nothing appeared outside pat's Maildir.
    let maildir = target.server.maildir("pat");
    let domain_dir = maildir.parent().unwrap().parent().unwrap();
    let mut entries: Vec<String> = std::fs::read_dir(domain_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    entries.sort();
    assert!(
        entries
            .iter()
            .all(|e| ["pat", "sam", "full"].contains(&e.as_str())),
        "{entries:?}"
    );
    let user_dir = maildir.parent().unwrap();
    for entry in std::fs::read_dir(user_dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            !name.contains('x') && name != "b" && name != "etc",
            "{name} in {}",
            user_dir.display()
        );
    }
    // Ordinary hierarchy names still work.
    client.ok("CREATE \"Archive.2026\"");
    client.ok("SELECT \"Archive.2026\"");
    target.assert_still_serving();
}

#[test]
fn invalid_utf8_in_mailbox_names() {
    let target = start_default();
    let (mut client, _) = selected(&target.server, "pat");
    let bad: [&[u8]; 5] = [
        b"\xC0\x80",
        b"\xED\xA0\x80",
        b"\xF5\x80\x80\x80",
        b"\xE2\x82",
        b"\xFF",
    ];
    let check = |client: &mut Imap<std::net::TcpStream>, bytes: &[u8], context: &str| {
        for verb in ["CREATE", "SELECT"] {
            let tag = client.next_tag();
            let mut line = format!("{tag} {verb} \"bad").into_bytes();
            line.extend_from_slice(bytes);
            line.extend_from_slice(b"\"\r\n");
            client.send_raw(&line);
            let reply = client.finish(&tag);
            assert!(
                tagged_error(&reply.status),
                "{context} {verb} {bytes:x?}: {reply:?}"
            );
        }
    };
    for bytes in bad {
        check(&mut client, bytes, "plain");
    }
    // Broken modified UTF-7 is refused too.
    for name in ["\"&Jjo\"", "\"&AGE\""] {
        let reply = client.command(&format!("CREATE {name}"));
        assert!(tagged_error(&reply.status), "CREATE {name}: {reply:?}");
    }
    let mut client = imap(&target.server);
    client.login(&format!("pat@{DOMAIN}"), PASSWORD);
    client.ok("ENABLE UTF8=ACCEPT");
    for bytes in bad {
        check(&mut client, bytes, "UTF8=ACCEPT");
    }
    client.ok("CREATE \"caf\u{e9}\"");
    client.ok("SELECT \"caf\u{e9}\"");
    target.assert_still_serving();
}
