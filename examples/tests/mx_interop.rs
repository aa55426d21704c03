//! Real SMTP clients against the MX of the real `postroom` binary: swaks and Python's
//! smtplib, plain and with STARTTLS, delivering, hitting unknown users, every relay
//! trick, the size and quota limits, and the per-IP connection limit.

mod support;

use std::process::{Command, Output, Stdio};

use support::{Options, Postroom};

fn run(command: &mut Command) -> Output {
    command
        .stdin(Stdio::null())
        .output()
        .expect("the client program runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// `swaks` to the MX with the given extra arguments.
fn swaks(server: &Postroom, args: &[&str]) -> Output {
    run(Command::new("swaks")
        .args([
            "--server",
            "127.0.0.1",
            "--port",
            &server.mx.port().to_string(),
        ])
        .args([
            "--from",
            "sender@elsewhere.example",
            "--helo",
            "swaks.example",
        ])
        .args(["--timeout", "20"])
        .args(args))
}

#[test]
#[ignore = "interop: needs swaks"]
fn swaks_delivers_plain_and_with_starttls() {
    let options = Options {
        message_size: 50_000,
        ..Options::default()
    };
    let server = Postroom::start_with(&options);
    let plain = swaks(
        &server,
        &[
            "--to",
            "pat@example.test",
            "--header",
            "Subject: swaks plain",
        ],
    );
    assert!(plain.status.success(), "{}", text(&plain));

    let tls = swaks(
        &server,
        &[
            "--to",
            "sam@example.test",
            "--tls",
            "--header",
            "Subject: swaks tls",
        ],
    );
    let out = text(&tls);
    assert!(tls.status.success(), "{out}");
    assert!(out.contains("<-  220 2.0.0"), "STARTTLS accepted: {out}");
    assert!(out.contains("TLS started"), "{out}");

    assert!(server.inbox("pat")[0].contains("Subject: swaks plain"));
    let sam = &server.inbox("sam")[0];
    assert!(
        sam.contains("Subject: swaks tls") && sam.contains("with ESMTPS id"),
        "{sam}"
    );

    // Refused recipients: swaks reports the reply and fails.
    for (to, reply) in [
        ("nobody@example.test", "550 5.1.1"),
        ("someone@elsewhere.example", "554 5.7.1"),
        ("pat%elsewhere.example@example.test", "550 5.1.1"),
        ("elsewhere.example!pat@example.test", "550 5.1.1"),
        ("@example.test:pat@elsewhere.example", "554 5.7.1"),
    ] {
        let refused = swaks(&server, &["--to", to]);
        let out = text(&refused);
        assert!(!refused.status.success(), "{to}: {out}");
        assert!(out.contains(&format!("<** {reply}")), "{to}: {out}");
    }

    // Too big for the server, and too big for full@'s quota (2000 bytes).
    let big = server.dir.path().join("big.txt");
    std::fs::write(&big, format!("{}\r\n", "x".repeat(70)).repeat(1000)).unwrap();
    let big = format!("@{}", big.display());
    let oversize = swaks(&server, &["--to", "pat@example.test", "--body", &big]);
    assert!(
        text(&oversize).contains("<** 552 5.3.4"),
        "{}",
        text(&oversize)
    );
    let over_quota = swaks(
        &server,
        &["--to", "full@example.test", "--body", &"y".repeat(3000)],
    );
    assert!(
        text(&over_quota).contains("<** 452 4.2.2"),
        "{}",
        text(&over_quota)
    );
    assert!(server.inbox("full").is_empty());
    assert_eq!(server.inbox("pat").len(), 1);
}

/// The Python side: every check prints one `name=value` line.
const SMTPLIB_SCRIPT: &str = r#"
import smtplib, ssl, sys, time
host, port, cafile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ctx = ssl.create_default_context(cafile=cafile)
ctx.check_hostname = False  # the certificate names mx.example.test; the chain is verified

def msg(subject, body):
    return f"Subject: {subject}\r\nFrom: <py@elsewhere.example>\r\n\r\n{body}\r\n"

with smtplib.SMTP(host, port, local_hostname="py.example", timeout=20) as s:
    s.ehlo()
    print("plain_starttls=%s" % s.has_extn("starttls"))
    s.sendmail("py@elsewhere.example", ["pat@example.test"], msg("py plain", "plain"))
    s.starttls(context=ctx)
    s.ehlo()
    print("tls_starttls=%s" % s.has_extn("starttls"))
    print("tls_version=%s" % s.sock.version())
    refused = s.sendmail("py@elsewhere.example", ["sam@example.test"], msg("py tls", "tls"))
    print("tls_refused=%d" % len(refused))
    s.mail("py@elsewhere.example")
    for rcpt in ["nobody@example.test", "x@elsewhere.example", "pat%elsewhere.example@example.test",
                 '"pat@elsewhere.example"@example.test', "@example.test:pat@elsewhere.example",
                 "elsewhere.example!pat@example.test", "pat@elsewhere.example@example.test"]:
        code, text = s.docmd("RCPT", "TO:<%s>" % rcpt)
        print("rcpt %s=%d %s" % (rcpt, code, text.decode().split(" ")[0]))
    s.rset()
    try:
        s.sendmail("py@elsewhere.example", ["pat@example.test"], msg("big", ("z" * 70 + "\r\n") * 1000))
        print("oversize=accepted")
    except smtplib.SMTPDataError as e:
        print("oversize=%d" % e.smtp_code)
    except smtplib.SMTPSenderRefused as e:
        print("oversize=%d" % e.smtp_code)
    try:
        s.sendmail("py@elsewhere.example", ["full@example.test"], msg("quota", "q" * 3000))
        print("over_quota=accepted")
    except smtplib.SMTPRecipientsRefused as e:
        # smtplib declares SIZE=, so the quota is checked at RCPT already.
        print("over_quota=%d" % e.recipients["full@example.test"][0])
    except smtplib.SMTPDataError as e:
        print("over_quota=%d" % e.smtp_code)

# The per-IP limit is 3: three connections fit, the fourth is refused with 421.
time.sleep(0.5)  # let the server see the first session's end
held = []
for i in range(4):
    try:
        c = smtplib.SMTP(host, port, timeout=20)
        held.append(c)
        print("conn%d=ok" % i)
    except smtplib.SMTPConnectError as e:
        print("conn%d=%d %s" % (i, e.smtp_code, e.smtp_error.decode().split(" ")[0]))
for c in held:
    c.quit()
"#;

#[test]
#[ignore = "interop: needs python3 (smtplib)"]
fn python_smtplib_against_the_mx() {
    let options = Options {
        message_size: 50_000,
        connections_per_ip: 3,
        ..Options::default()
    };
    let server = Postroom::start_with(&options);
    let cafile = server.cert.clone().unwrap();
    let output = run(Command::new("python3")
        .arg("-c")
        .arg(SMTPLIB_SCRIPT)
        .arg("127.0.0.1")
        .arg(server.mx.port().to_string())
        .arg(&cafile));
    let out = text(&output);
    assert!(output.status.success(), "{out}\n{}", server.log());
    let expected = [
        "plain_starttls=True",
        "tls_starttls=False",
        "tls_version=TLSv1.3",
        "tls_refused=0",
        "rcpt nobody@example.test=550 5.1.1",
        "rcpt x@elsewhere.example=554 5.7.1",
        "rcpt pat%elsewhere.example@example.test=550 5.1.1",
        "rcpt \"pat@elsewhere.example\"@example.test=550 5.1.1",
        "rcpt @example.test:pat@elsewhere.example=554 5.7.1",
        "rcpt elsewhere.example!pat@example.test=550 5.1.1",
        "oversize=552",
        "over_quota=452",
        "conn0=ok",
        "conn1=ok",
        "conn2=ok",
        "conn3=421 4.7.0",
    ];
    for line in expected {
        assert!(
            out.lines().any(|l| l == line),
            "missing {line:?} in:\n{out}"
        );
    }
    // `user@other@ourdomain` is a syntax error (5xx), never accepted.
    let double_at = out
        .lines()
        .find(|l| l.starts_with("rcpt pat@elsewhere.example@example.test="))
        .unwrap();
    assert!(double_at.contains("=5"), "{double_at}");
    assert!(server.inbox("pat")[0].contains("Subject: py plain"));
    assert!(server.inbox("sam")[0].contains("Subject: py tls"));
    assert_eq!(server.inbox("pat").len(), 1);
    assert!(server.inbox("full").is_empty());
}
