//! Real LMTP clients against the LMTP sink: Python's smtplib.LMTP against the built
//! `lmtp-sink` example, and Postfix's `smtp-source -L` against the same serving code.

// The sink example, the process helpers and the smtp-source checks are shared with
// smtp-proto's interop tests.
#[path = "../../smtp-proto/tests/interop_support/mod.rs"]
mod interop_support;

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

use interop_support::{
    KillOnDrop, check_smtp_source_message, example_binary, run, split_received, start_sink,
    wait_for_messages,
};
use testkit::{free_port, wait_for_port};

/// argv = port, message file, recipients...; one LMTP transaction, one reply per
/// recipient checked by smtplib.
const SCRIPT: &str = r#"
import smtplib, sys
port, path, rcpts = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
data = open(path, "rb").read()
s = smtplib.LMTP("127.0.0.1", port, local_hostname="mx.example")
refused = s.sendmail("sender@example.com", rcpts, data)
assert not refused, refused
print("sent")
"#;

const MESSAGE: &[u8] = b"From: sender@example.com\r\nSubject: lmtp\r\n\r\n.dot first\r\n\
    Gr\xc3\xbc\xc3\x9fe\r\nend\r\n";

/// smtplib's LMTP class reads a single reply after the data, so it is given one
/// recipient; per-recipient replies are exercised with smtp-source below.
#[test]
#[ignore = "interop: needs python3"]
fn smtplib_lmtp_against_lmtp_sink_binary() {
    let out = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let child = Command::new(example_binary("lmtp-sink"))
        .args([
            "--listen",
            &addr.to_string(),
            "--hostname",
            "store.example",
            "--out",
        ])
        .arg(out.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start lmtp-sink");
    let _sink = KillOnDrop(child);
    wait_for_port(addr);
    let files = tempfile::tempdir().expect("temp dir");
    let path = files.path().join("message");
    std::fs::write(&path, MESSAGE).expect("write message");
    let mut command = Command::new("python3");
    command
        .args(["-c", SCRIPT, &port.to_string()])
        .arg(&path)
        .arg("pat@store.example");
    let done = run(&mut command, b"", Duration::from_secs(60));
    assert!(done.success, "python failed: {done:?}");
    let stored = wait_for_messages(out.path(), 1);
    assert_eq!(stored.len(), 1);
    let (received, rest) = split_received(&stored[0].1);
    assert_eq!(rest, MESSAGE);
    assert!(
        received.starts_with("Received: from mx.example ([127.0.0.1]) by store.example with LMTP id 1 for <pat@store.example>;"),
        "{received}"
    );
}

/// 500 messages over 10 parallel sessions, 3 recipients each: smtp-source reads one
/// reply per recipient after the data; one file per message.
#[test]
#[ignore = "interop: needs postfix (smtp-source)"]
fn smtp_source_lmtp_500_messages() {
    let sink = start_sink(lmtp_proto::server::config("store.example"));
    let mut command = Command::new("/usr/sbin/smtp-source");
    command
        .args([
            "-L", "-c", "-l", "10000", "-m", "500", "-s", "10", "-r", "3",
        ])
        .args(["-M", "mx.example"])
        .arg(sink.addr.to_string());
    let done = run(&mut command, b"", Duration::from_secs(180));
    assert!(done.success, "smtp-source failed: {done:?}");
    let stored = wait_for_messages(sink.dir.path(), 500);
    assert_eq!(stored.len(), 500, "one file per message, not per recipient");
    for (n, message) in &stored {
        let (received, rest) = split_received(message);
        assert!(
            received.starts_with(
                "Received: from mx.example ([127.0.0.1]) by store.example with LMTP id"
            ),
            "{n}: {received}"
        );
        // Three recipients: no `for` clause.
        assert!(!received.contains(" for <"), "{received}");
        check_smtp_source_message(rest, 10000);
    }
}
