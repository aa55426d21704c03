//! Attacks on the ManageSieve listener of the real `postroom` binary: STARTTLS command
//! injection, plaintext logins before TLS, path traversal, invalid UTF-8 and overlong
//! script names, and huge command lines. Every case checks the clear response and that
//! the server still serves.

mod support;

use std::time::Duration;

use support::attack::{Quiet, Raw, Socket, Target, start_default, start_tls_only};
use support::{DOMAIN, PASSWORD, sasl_plain};

/// Reads one whole response: lines up to the one starting with OK, NO or BYE (a literal
/// `{n}` at the end of a line is read as well); returns that final line.
fn response<S: Socket>(client: &mut Raw<S>) -> String {
    for _ in 0..10_000 {
        let line = client.line();
        if let Some(size) = literal_size(&line) {
            let mut literal = vec![0; size + 2];
            client.stream.read_exact(&mut literal).expect("literal");
        }
        if line.is_empty() || ["OK", "NO", "BYE"].iter().any(|s| line.starts_with(s)) {
            return line;
        }
    }
    panic!("no final response");
}

fn literal_size(line: &str) -> Option<usize> {
    let open = line.strip_suffix('}')?;
    let digits = open[open.rfind('{')? + 1..].trim_end_matches('+');
    digits.parse().ok()
}

fn command<S: Socket>(client: &mut Raw<S>, line: &[u8]) -> String {
    let mut bytes = line.to_vec();
    bytes.extend_from_slice(b"\r\n");
    client.send(&bytes);
    response(client)
}

fn plain_credentials() -> String {
    sasl_plain(&format!("pat@{DOMAIN}"), PASSWORD)
}

/// A plain connection, greeted and logged in as pat (plaintext allowed on loopback).
fn logged_in(target: &Target) -> Raw<std::net::TcpStream> {
    let mut client = Raw::connect(target.sieve);
    assert!(response(&mut client).starts_with("OK"));
    let auth = command(
        &mut client,
        format!("AUTHENTICATE \"PLAIN\" \"{}\"", plain_credentials()).as_bytes(),
    );
    assert!(auth.starts_with("OK"), "{auth}");
    client
}

fn putscript(name: &[u8]) -> Vec<u8> {
    let script = b"keep;\r\n";
    let mut line = b"PUTSCRIPT \"".to_vec();
    line.extend_from_slice(name);
    line.extend_from_slice(format!("\" {{{}+}}\r\n", script.len()).as_bytes());
    line.extend_from_slice(script);
    line
}

#[test]
fn starttls_command_injection() {
    let target = start_default();
    let mut plain = Raw::connect(target.sieve);
    assert!(response(&mut plain).starts_with("OK"));
    plain.send(b"STARTTLS\r\nNOOP\r\n");
    let go = response(&mut plain);
    assert!(go.starts_with("OK"), "{go}");
    let mut tls = plain.into_tls(&target.server);
    // RFC 5804: the capabilities come again after the handshake, and nothing else.
    let capabilities = response(&mut tls);
    assert!(capabilities.starts_with("OK"), "{capabilities}");
    assert_eq!(
        tls.quiet_for(Duration::from_millis(300)),
        Quiet::Silent,
        "the injected NOOP was answered"
    );
    let noop = command(&mut tls, b"NOOP");
    assert!(noop.starts_with("OK"), "{noop}");
    let auth = command(
        &mut tls,
        format!("AUTHENTICATE \"PLAIN\" \"{}\"", plain_credentials()).as_bytes(),
    );
    assert!(auth.starts_with("OK"), "{auth}");
    target.assert_still_serving();
}

#[test]
fn plaintext_login_before_tls_is_refused() {
    let target = start_tls_only();
    let mut client = Raw::connect(target.sieve);
    assert!(response(&mut client).starts_with("OK"));
    let auth = command(
        &mut client,
        format!("AUTHENTICATE \"PLAIN\" \"{}\"", plain_credentials()).as_bytes(),
    );
    assert!(auth.starts_with("NO (ENCRYPT-NEEDED)"), "{auth}");
    let list = command(&mut client, b"LISTSCRIPTS");
    assert!(list.starts_with("NO") || list.starts_with("BYE"), "{list}");
    target.assert_no_panic();
}

#[test]
fn path_traversal_and_bad_script_names() {
    let target = start_default();
    let mut bad: Vec<Vec<u8>> = [
        "../x",
        "../../../../tmp/evil",
        "/etc/passwd",
        "a/b",
        "..",
        ".",
        ".dovecot",
        "",
        "tab\there",
    ]
    .iter()
    .map(|n| n.as_bytes().to_vec())
    .collect();
    // Invalid and overlong UTF-8, and a name far over the length limit.
    for bytes in [
        &b"\xC0\x80"[..],
        b"\xED\xA0\x80",
        b"\xF5\x80\x80\x80",
        b"\xE2\x82",
    ] {
        let mut name = b"bad".to_vec();
        name.extend_from_slice(bytes);
        bad.push(name);
    }
    bad.push(vec![b'n'; 5_000]);
    // A fresh connection per name: the server closes a session after a few errors.
    for name in &bad {
        let mut client = logged_in(&target);
        let put = command(&mut client, &putscript(name));
        assert!(
            put.starts_with("NO"),
            "PUTSCRIPT {:?}: {put}",
            String::from_utf8_lossy(name)
        );
        let mut get = b"GETSCRIPT \"".to_vec();
        get.extend_from_slice(name);
        get.push(b'"');
        let got = command(&mut client, &get);
        assert!(got.starts_with("NO"), "{got}");
    }
    // RENAME and SETACTIVE to a traversal name fail too.
    let mut client = logged_in(&target);
    assert!(command(&mut client, &putscript(b"good")).starts_with("OK"));
    let rename = command(&mut client, b"RENAMESCRIPT \"good\" \"../moved\"");
    assert!(rename.starts_with("NO"), "{rename}");
    let active = command(&mut client, b"SETACTIVE \"../good\"");
    assert!(active.starts_with("NO"), "{active}");
    assert!(command(&mut client, b"SETACTIVE \"good\"").starts_with("OK"));
    // Nothing was written outside pat's sieve directory.
    let maildir = target.server.maildir("pat");
    let home = maildir.parent().unwrap();
    let mut entries: Vec<String> = std::fs::read_dir(home)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    entries.sort();
    assert!(
        entries
            .iter()
            .all(|e| [".dovecot.sieve", "Maildir", "sieve"].contains(&e.as_str())),
        "{entries:?}"
    );
    let scripts: Vec<String> = std::fs::read_dir(home.join("sieve"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "tmp")
        .collect();
    assert_eq!(scripts, ["good.sieve"]);
    assert!(!std::path::Path::new("/tmp/evil.sieve").exists());
    target.assert_still_serving();
}

#[test]
fn huge_command_line() {
    let target = start_default();
    let mut client = logged_in(&target);
    let mut line = b"GETSCRIPT \"".to_vec();
    line.extend(std::iter::repeat_n(b'x', 500_000));
    line.push(b'"');
    let reply = command(&mut client, &line);
    assert!(
        reply.starts_with("NO") || reply.starts_with("BYE"),
        "{reply}"
    );
    if reply.starts_with("NO") {
        assert!(command(&mut client, b"NOOP").starts_with("OK"));
    }
    target.assert_still_serving();
}
