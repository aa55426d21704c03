//! Python's smtplib against the sink example, with and without STARTTLS.

mod interop_support;

use std::process::Command;
use std::time::Duration;

use interop_support::{run, split_received, start_sink, wait_for_messages};
use smtp_proto::server::Config;

/// Sends every message file given on the command line over one session each:
/// argv = port, tls (0/1), then message files. Messages are bytes with CRLF line endings,
/// so smtplib's own line-ending normalisation leaves them alone; smtplib dot-stuffs.
const SCRIPT: &str = r#"
import smtplib, ssl, sys
port, tls = int(sys.argv[1]), sys.argv[2] == "1"
for i, path in enumerate(sys.argv[3:]):
    data = open(path, "rb").read()
    s = smtplib.SMTP("127.0.0.1", port, local_hostname="client.example", timeout=20)
    s.ehlo()
    if tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s.starttls(context=ctx)
        s.ehlo()
    rcpts = ["rcpt%d@example.org" % n for n in range(i + 1)]
    refused = s.sendmail("sender@example.com", rcpts, data, mail_options=["BODY=8BITMIME"])
    assert not refused, refused
    s.quit()
print("sent")
"#;

fn sample_messages() -> Vec<Vec<u8>> {
    let mut long = b"Subject: long lines\r\n\r\n".to_vec();
    for n in 0..200 {
        long.extend_from_slice(format!("{n:04} {}\r\n", "x".repeat(n * 4)).as_bytes());
    }
    vec![
        b"From: a@example.com\r\nSubject: dots\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nend\r\n"
            .to_vec(),
        "Subject: 8bit\r\n\r\nGr\u{fc}\u{df}e aus K\u{f6}ln\r\n\r\n\r\n"
            .as_bytes()
            .to_vec(),
        long,
    ]
}

fn send_with_python(tls: bool) {
    let sink = start_sink(Config::new("sink.example"));
    let files = tempfile::tempdir().expect("temp dir");
    let messages = sample_messages();
    let mut command = Command::new("python3");
    command
        .arg("-c")
        .arg(SCRIPT)
        .arg(sink.addr.port().to_string())
        .arg(if tls { "1" } else { "0" });
    for (i, message) in messages.iter().enumerate() {
        let path = files.path().join(format!("{i}.msg"));
        std::fs::write(&path, message).expect("write message");
        command.arg(path);
    }
    let done = run(&mut command, b"", Duration::from_secs(60));
    assert!(done.success, "python failed: {done:?}");
    let stored = wait_for_messages(sink.dir.path(), messages.len());
    assert_eq!(stored.len(), messages.len());
    let with = if tls { "with ESMTPS" } else { "with ESMTP " };
    for (i, ((n, bytes), sent)) in stored.iter().zip(&messages).enumerate() {
        let (received, rest) = split_received(bytes);
        assert_eq!(
            rest,
            &sent[..],
            "message {n} differs from what smtplib sent"
        );
        assert!(
            received.starts_with("Received: from client.example ([127.0.0.1]) by sink.example"),
            "{received}"
        );
        assert!(received.contains(with), "{received}");
        // `for` only names a single recipient.
        assert_eq!(
            received.contains("for <rcpt0@example.org>;"),
            i == 0,
            "{received}"
        );
    }
}

#[test]
#[ignore = "interop: needs python3"]
fn smtplib_plain() {
    send_with_python(false);
}

#[test]
#[ignore = "interop: needs python3"]
fn smtplib_starttls() {
    send_with_python(true);
}
