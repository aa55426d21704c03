//! The filter stage of the real `postroom` binary, end to end: the spam check at the end
//! of DATA on the MX and LMTP (against Debian's rspamd started by the test, and against
//! a closed port for the fail-open and fail-closed policies), the global Sieve rule that
//! files spam into Junk, and users' Sieve scripts (written where ManageSieve keeps them,
//! or uploaded with Debian's sieve-connect) that file into folders with flags, redirect,
//! answer with a vacation message and discard.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::submit::Submission;
use support::{DOMAIN, Options, PASSWORD, Postroom, connect, free_port, message_files};
use testkit::rspamd::Rspamd;

const GTUBE: &str = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";

/// A well-formed message from sender@elsewhere.example to pat.
fn message(subject: &str, body: &str) -> String {
    format!(
        "From: Sender <sender@elsewhere.example>\r\n\
         To: pat@{DOMAIN}\r\n\
         Subject: {subject}\r\n\
         Date: Thu, 26 Nov 2026 10:00:00 +0000\r\n\
         Message-ID: <{}.{}@elsewhere.example>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=us-ascii\r\n\
         \r\n\
         {body}\r\n",
        subject.len(),
        body.len()
    )
}

/// A message rspamd scores between its "add header" and "reject" thresholds: the
/// header fields that must appear once (From, Subject) appear twice.
fn spammy_message() -> String {
    format!(
        "From: Sender <sender@elsewhere.example>\r\n\
         From: Sender <sender@elsewhere.example>\r\n\
         To: pat@{DOMAIN}\r\n\
         Subject: lunch\r\n\
         Subject: lunch again\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=us-ascii\r\n\
         \r\n\
         Shall we meet at noon?\r\n"
    )
}

/// Sends `text` from `from` to `to` over the MX; the reply to the end of DATA.
fn smtp(server: &Postroom, from: &str, to: &[&str], text: &str) -> String {
    let mut mx = connect(server.mx);
    assert!(mx.reply().starts_with("220 "));
    assert!(mx.command("EHLO client.example").starts_with("250 "));
    assert_eq!(mx.code(&format!("MAIL FROM:<{from}>")), "250 2.1.0");
    for rcpt in to {
        assert_eq!(mx.code(&format!("RCPT TO:<{rcpt}>")), "250 2.1.5", "{rcpt}");
    }
    assert_eq!(mx.code("DATA"), "354 End d");
    mx.send(&format!("{text}.\r\n"));
    let reply = mx.reply();
    assert_eq!(mx.code("QUIT"), "221 2.0.0");
    reply
}

/// Sends `text` over LMTP to `to`; one reply per recipient.
fn lmtp(server: &Postroom, to: &[&str], text: &str) -> Vec<String> {
    let mut client = connect(server.lmtp);
    assert!(client.reply().starts_with("220 "));
    assert!(client.command("LHLO client.example").starts_with("250 "));
    assert_eq!(
        client.code("MAIL FROM:<sender@elsewhere.example>"),
        "250 2.1.0"
    );
    for rcpt in to {
        assert_eq!(client.code(&format!("RCPT TO:<{rcpt}>")), "250 2.1.5");
    }
    assert_eq!(client.code("DATA"), "354 End d");
    client.send(&format!("{text}.\r\n"));
    let replies = to.iter().map(|_| client.reply()).collect();
    assert_eq!(client.code("QUIT"), "221 2.0.0");
    replies
}

/// The message files of a user's folder (`INBOX`, `Junk`, `Lists.rust`).
fn folder_files(server: &Postroom, user: &str, folder: &str) -> Vec<PathBuf> {
    let maildir = server.maildir(user);
    if folder == "INBOX" {
        message_files(&maildir)
    } else {
        message_files(&maildir.join(format!(".{folder}")))
    }
}

fn read(path: &Path) -> String {
    String::from_utf8_lossy(&fs::read(path).unwrap()).into_owned()
}

/// Installs `script` as the user's active Sieve script, the way ManageSieve (and
/// Dovecot's Pigeonhole) keep it: `<home>/sieve/NAME.sieve` and the symlink
/// `<home>/.dovecot.sieve` to it.
fn install_script(server: &Postroom, user: &str, name: &str, script: &str) {
    let home = server.maildir(user).parent().unwrap().to_owned();
    fs::create_dir_all(home.join("sieve")).unwrap();
    fs::write(home.join(format!("sieve/{name}.sieve")), script).unwrap();
    std::os::unix::fs::symlink(format!("sieve/{name}.sieve"), home.join(".dovecot.sieve")).unwrap();
}

/// Waits (bounded) until `postroom queue list` satisfies `done`; returns the listing.
fn queue_listing(server: &Postroom, done: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let list = server.admin_output(&["queue", "list"]);
        if done(&list) || Instant::now() > deadline {
            return list;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn with_config(extra: &str) -> Options {
    Options {
        extra_config: extra.into(),
        ..Options::default()
    }
}

/// The `[spam]` section for rspamd at `address`.
fn spam_config(backend: &str, address: std::net::SocketAddr, fail_open: bool) -> String {
    format!(
        "[spam]\nenabled = true\nbackend = \"{backend}\"\naddress = \"{address}\"\n\
         timeout = \"60s\"\nfail_open = {fail_open}\n"
    )
}

#[test]
fn a_user_script_files_into_a_folder_with_flags() {
    let mut server = Postroom::setup(&Options::default());
    install_script(
        &server,
        "pat",
        "lists",
        "require [\"fileinto\", \"imap4flags\", \"mailbox\"];\n\
         if header :contains \"Subject\" \"rust\" {\n\
         \x20 fileinto :create :flags [\"\\\\Seen\", \"\\\\Flagged\"] \"Lists.rust\";\n\
         \x20 stop;\n\
         }\n",
    );
    server.start();
    let from = "sender@elsewhere.example";
    assert_eq!(
        smtp(
            &server,
            from,
            &["pat@example.test"],
            &message("rust 2.0", "news")
        )[..9],
        *"250 2.0.0"
    );
    assert_eq!(
        smtp(
            &server,
            from,
            &["pat@example.test"],
            &message("lunch", "noon?")
        )[..9],
        *"250 2.0.0"
    );
    let filed = folder_files(&server, "pat", "Lists.rust");
    assert_eq!(filed.len(), 1, "{}", server.log());
    let name = filed[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.ends_with(":2,FS"), "{name}");
    assert!(read(&filed[0]).contains("Subject: rust 2.0\r\n"));
    let inbox = server.inbox("pat");
    assert_eq!(inbox.len(), 1);
    assert!(inbox[0].contains("Subject: lunch\r\n"));
    // Sam has no script: the global rule alone, which keeps ham in INBOX.
    assert_eq!(
        smtp(&server, from, &["sam@example.test"], &message("rust", "x"))[..9],
        *"250 2.0.0"
    );
    assert_eq!(server.inbox("sam").len(), 1);
}

#[test]
fn a_redirect_is_queued_with_the_original_sender() {
    let mut server = Postroom::setup(&Options::default());
    install_script(
        &server,
        "pat",
        "away",
        "redirect \"pat@elsewhere.example\";\n",
    );
    server.start();
    let reply = smtp(
        &server,
        "sender@elsewhere.example",
        &["pat@example.test"],
        &message("forward me", "please"),
    );
    assert_eq!(reply[..9], *"250 2.0.0");
    // The outbound DNS is a closed port: the redirect stays deferred in the queue.
    let list = queue_listing(&server, |l| l.contains("to <pat@elsewhere.example>"));
    assert!(
        list.contains("from <sender@elsewhere.example>")
            && list.contains("to <pat@elsewhere.example>"),
        "{list}\n{}",
        server.log()
    );
    assert!(server.inbox("pat").is_empty(), "redirected, not kept");
    assert!(
        server.log().contains("sieve redirect: "),
        "{}",
        server.log()
    );
}

#[test]
fn vacation_answers_once_per_sender() {
    let mut server = Postroom::setup(&Options::default());
    install_script(
        &server,
        "pat",
        "vacation",
        "require \"vacation\";\nvacation :days 7 :subject \"Away\" \"Back on Monday.\";\n",
    );
    server.start();
    for from in [
        "sender@elsewhere.example",
        "sender@elsewhere.example",
        "other@elsewhere.example",
    ] {
        let reply = smtp(&server, from, &["pat@example.test"], &message("hi", "x"));
        assert_eq!(reply[..9], *"250 2.0.0");
    }
    // A bounce (null sender) is never answered.
    let reply = smtp(&server, "", &["pat@example.test"], &message("bounce", "x"));
    assert_eq!(reply[..9], *"250 2.0.0");
    assert_eq!(server.inbox("pat").len(), 4, "vacation keeps the messages");
    let list = queue_listing(&server, |l| {
        l.contains("to <sender@elsewhere.example>") && l.contains("to <other@elsewhere.example>")
    });
    assert_eq!(list.matches("from <> (bounce)").count(), 2, "{list}");
    assert_eq!(
        list.matches("to <sender@elsewhere.example>").count(),
        1,
        "{list}"
    );
    assert_eq!(
        list.matches("to <other@elsewhere.example>").count(),
        1,
        "{list}"
    );
}

#[test]
fn a_discarded_message_is_accepted_and_stored_nowhere() {
    let mut server = Postroom::setup(&Options::default());
    install_script(
        &server,
        "pat",
        "drop",
        "if header :is \"Subject\" \"junk\" { discard; }\n",
    );
    server.start();
    let from = "sender@elsewhere.example";
    let reply = smtp(&server, from, &["pat@example.test"], &message("junk", "x"));
    assert_eq!(reply[..9], *"250 2.0.0");
    assert!(server.inbox("pat").is_empty());
    assert!(server.log().contains("discarded: "), "{}", server.log());
    // Over LMTP too.
    let replies = lmtp(&server, &["pat@example.test"], &message("junk", "y"));
    assert_eq!(replies[0][..9], *"250 2.0.0");
    assert!(folder_files(&server, "pat", "Junk").is_empty());
    assert!(server.inbox("pat").is_empty());
}

#[test]
fn rspamd_down_fails_open_with_a_log_line_or_closed_with_451() {
    let closed = std::net::SocketAddr::from(([127, 0, 0, 1], free_port()));
    let server = Postroom::start_with(&with_config(&spam_config("milter", closed, true)));
    let reply = smtp(
        &server,
        "sender@elsewhere.example",
        &["pat@example.test"],
        &message("hello", "x"),
    );
    assert_eq!(reply[..9], *"250 2.0.0");
    assert_eq!(server.inbox("pat").len(), 1);
    assert!(
        server
            .log()
            .contains("accepting the message unchecked (fail_open)"),
        "{}",
        server.log()
    );

    let server = Postroom::start_with(&with_config(&spam_config("http", closed, false)));
    let reply = smtp(
        &server,
        "sender@elsewhere.example",
        &["pat@example.test"],
        &message("hello", "x"),
    );
    assert_eq!(reply[..9], *"451 4.7.1", "{reply}");
    let replies = lmtp(
        &server,
        &["pat@example.test", "sam@example.test"],
        &message("hello", "y"),
    );
    for reply in &replies {
        assert_eq!(reply[..9], *"451 4.7.1", "{replies:?}");
    }
    assert!(server.inbox("pat").is_empty() && server.inbox("sam").is_empty());
}

/// Authenticated submission is not checked by default; `check_submission = true` runs
/// the same check there (seen here through the fail-closed answer of a down rspamd).
#[test]
fn submission_is_checked_only_when_asked() {
    let closed = std::net::SocketAddr::from(([127, 0, 0, 1], free_port()));
    for (check_submission, expected) in [(false, "250 2.0.0"), (true, "451 4.7.1")] {
        let config = format!(
            "{}check_submission = {check_submission}\n",
            spam_config("http", closed, false)
        );
        let server = Postroom::start_with(&with_config(&config));
        let mut client = Submission::login(&server, &format!("sam@{DOMAIN}"));
        let reply = client.send(
            &format!("sam@{DOMAIN}"),
            &[&format!("pat@{DOMAIN}")],
            &message("hello", "x"),
        );
        client.quit();
        assert_eq!(
            reply[..9],
            *expected,
            "check_submission = {check_submission}: {reply}"
        );
        assert_eq!(server.inbox("pat").len(), usize::from(!check_submission));
    }
}

#[test]
#[ignore = "interop: rspamd"]
fn gtube_over_smtp_is_rejected_at_the_end_of_data() {
    let rspamd = Rspamd::start();
    let server = Postroom::start_with(&with_config(&spam_config("milter", rspamd.milter, true)));
    let reply = smtp(
        &server,
        "sender@elsewhere.example",
        &["pat@example.test"],
        &message("test", &format!("Hello,\r\n\r\n{GTUBE}")),
    );
    assert!(
        reply.starts_with("554 5.7.1"),
        "{reply}\n{}\n{}",
        server.log(),
        rspamd.log_tail()
    );
    assert!(server.inbox("pat").is_empty());
    assert!(server.log().contains("message refused by the spam check"));
}

#[test]
#[ignore = "interop: rspamd"]
fn gtube_over_lmtp_is_rejected_for_every_recipient() {
    let rspamd = Rspamd::start();
    let server = Postroom::start_with(&with_config(&spam_config("http", rspamd.normal, true)));
    let replies = lmtp(
        &server,
        &["pat@example.test", "sam@example.test"],
        &message("test", &format!("Hello,\r\n\r\n{GTUBE}")),
    );
    assert_eq!(replies.len(), 2);
    for reply in &replies {
        assert!(
            reply.starts_with("554 5.7.1"),
            "{replies:?}\n{}",
            rspamd.log_tail()
        );
    }
    assert!(server.inbox("pat").is_empty() && server.inbox("sam").is_empty());
}

#[test]
#[ignore = "interop: rspamd"]
fn spam_lands_in_junk_and_ham_in_inbox_and_a_stopped_rspamd_fails_open() {
    let rspamd = Rspamd::start();
    let server = Postroom::start_with(&with_config(&spam_config("milter", rspamd.milter, true)));
    let from = "sender@elsewhere.example";
    let reply = smtp(&server, from, &["pat@example.test"], &spammy_message());
    assert_eq!(reply[..9], *"250 2.0.0", "{reply}\n{}", rspamd.log_tail());
    let junk = folder_files(&server, "pat", "Junk");
    assert_eq!(junk.len(), 1, "{}", server.log());
    assert!(
        read(&junk[0]).contains("X-Spam: Yes\r\n"),
        "{}",
        read(&junk[0])
    );
    assert!(server.inbox("pat").is_empty());

    // Ham, over LMTP this time; a forged `X-Spam: Yes` of the sender's is removed.
    let ham = format!(
        "X-Spam: Yes\r\n{}",
        message(
            "lunch",
            "Shall we meet at noon at the usual place?\r\nAlice"
        )
    );
    let replies = lmtp(&server, &["pat@example.test"], &ham);
    assert_eq!(replies[0][..9], *"250 2.0.0", "{}", rspamd.log_tail());
    let inbox = server.inbox("pat");
    assert_eq!(inbox.len(), 1, "{}", server.log());
    assert!(!inbox[0].contains("X-Spam: Yes"), "{}", inbox[0]);
    assert_eq!(folder_files(&server, "pat", "Junk").len(), 1);

    drop(rspamd);
    let reply = smtp(&server, from, &["pat@example.test"], &message("later", "x"));
    assert_eq!(reply[..9], *"250 2.0.0");
    assert_eq!(server.inbox("pat").len(), 2);
    assert!(
        server
            .log()
            .contains("accepting the message unchecked (fail_open)")
    );
}

/// Runs sieve-connect as pat against `port` with `args` (the password through fd 0),
/// killed if it runs longer than a minute.
fn sieve_connect(dir: &Path, port: u16, args: &[&str]) -> std::process::Output {
    let password_file = dir.join("password");
    fs::write(&password_file, format!("{PASSWORD}\n")).unwrap();
    let child = Command::new("sieve-connect")
        .args([
            "--nosrv",
            "--server",
            "127.0.0.1",
            "--port",
            &port.to_string(),
        ])
        .args(["--user", "pat@example.test", "--passwordfd", "0"])
        .args(["--notlsverify", "--noclearauth", "--authmech", "PLAIN"])
        .args(args)
        .current_dir(dir)
        .stdin(fs::File::open(&password_file).unwrap())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sieve-connect is installed");
    let pid = child.id();
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(child.wait_with_output());
    });
    match finished.recv_timeout(Duration::from_secs(60)) {
        Ok(output) => output.unwrap(),
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            panic!("sieve-connect {args:?} timed out");
        }
    }
}

#[test]
#[ignore = "interop: sieve-connect"]
fn a_script_uploaded_with_sieve_connect_files_mail() {
    let mut server = Postroom::setup(&Options::default());
    // The harness has no ManageSieve listener: add one.
    let port = free_port();
    let config = fs::read_to_string(&server.config).unwrap().replacen(
        "[listeners]\n",
        &format!("[listeners]\nmanagesieve = [\"127.0.0.1:{port}\"]\n"),
        1,
    );
    fs::write(&server.config, config).unwrap();
    server.start();
    let dir = server.dir.path().to_owned();
    let script = dir.join("rules.sieve");
    fs::write(
        &script,
        "require [\"fileinto\", \"imap4flags\"];\n\
         if address :is \"from\" \"boss@elsewhere.example\" {\n\
         \x20 setflag \"\\\\Flagged\";\n\
         \x20 fileinto \"Trash\";\n\
         }\n",
    )
    .unwrap();
    let script = script.to_str().unwrap();
    for args in [
        &["--upload", "--localsieve", script, "--remotesieve", "boss"][..],
        &["--activate", "--remotesieve", "boss"][..],
    ] {
        let output = sieve_connect(&dir, port, args);
        assert!(
            output.status.success(),
            "{args:?}: {}\n{}",
            String::from_utf8_lossy(&output.stderr),
            server.log()
        );
    }
    let text = message("status", "where is it?").replace(
        "From: Sender <sender@elsewhere.example>",
        "From: The Boss <boss@elsewhere.example>",
    );
    let reply = smtp(
        &server,
        "boss@elsewhere.example",
        &["pat@example.test"],
        &text,
    );
    assert_eq!(reply[..9], *"250 2.0.0");
    let filed = folder_files(&server, "pat", "Trash");
    assert_eq!(filed.len(), 1, "{}", server.log());
    let name = filed[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.ends_with(":2,F"), "{name}");
    assert!(server.inbox("pat").is_empty());
}
