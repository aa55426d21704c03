//! Postfix's test tools: smtp-source against the sink example, and our client state
//! machine against smtp-sink.

mod interop_support;

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use interop_support::{
    KillOnDrop, Step, check_smtp_source_message, run, run_client, split_received, start_sink,
    wait_for_messages,
};
use smtp_proto::client::{self, Envelope, Transfer};
use smtp_proto::server::Config;
use smtp_proto::types::{Address, MailFrom, RcptParams, RcptTo};
use testkit::{free_port, wait_for_port};

#[test]
#[ignore = "interop: needs postfix (smtp-source)"]
fn smtp_source_500_messages_arrive_intact() {
    let sink = start_sink(Config::new("sink.example"));
    let target = sink.addr.to_string();
    let mut command = Command::new("/usr/sbin/smtp-source");
    command.args([
        "-c",
        "-l",
        "10000",
        "-m",
        "500",
        "-s",
        "10",
        "-M",
        "source.example",
    ]);
    command.arg(&target);
    let done = run(&mut command, b"", Duration::from_secs(180));
    assert!(done.success, "smtp-source failed: {done:?}");
    let stored = wait_for_messages(sink.dir.path(), 500);
    assert_eq!(stored.len(), 500);
    for (n, message) in &stored {
        let (received, rest) = split_received(message);
        assert!(
            received.starts_with(
                "Received: from source.example ([127.0.0.1]) by sink.example with SMTP id"
            ),
            "{n}: {received}"
        );
        check_smtp_source_message(rest, 10000);
    }
}

/// Postfix's smtp-sink on a free port, dumping each transaction into `dir`.
struct PostfixSink {
    _process: KillOnDrop,
    addr: SocketAddr,
    dir: tempfile::TempDir,
}

fn start_postfix_sink() -> PostfixSink {
    let dir = tempfile::tempdir().expect("temp dir");
    // smtp-sink drops root privileges to the postfix user, which must be able to write.
    set_mode_777(dir.path());
    let port = free_port();
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let mut command = Command::new("/usr/sbin/smtp-sink");
    if is_root() {
        command.args(["-u", "postfix"]);
    }
    let template = format!("{}/%M%S.", dir.path().display());
    let child = command
        .args(["-d", &template, &format!("127.0.0.1:{port}"), "10"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start smtp-sink");
    let process = KillOnDrop(child);
    wait_for_port(addr);
    PostfixSink {
        _process: process,
        addr,
        dir,
    }
}

fn set_mode_777(path: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o777)).expect("chmod");
}

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// The dump files smtp-sink wrote (lines end in LF there), once `count` exist.
fn dumps(dir: &std::path::Path, count: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let files: Vec<_> = std::fs::read_dir(dir)
            .expect("dump dir")
            .filter_map(|e| Some(e.ok()?.path()))
            .collect();
        if files.len() >= count || Instant::now() > deadline {
            return files
                .iter()
                .map(|p| std::fs::read_to_string(p).expect("dump"))
                .collect();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn envelope(from: &str, to: &[&str]) -> Envelope<'static> {
    let address = |a: &str| {
        let (local, domain) = a.split_once('@').expect("address");
        Address::new(local.to_owned(), domain.to_owned())
    };
    Envelope {
        mail_from: MailFrom {
            sender: Some(address(from)),
            ..MailFrom::default()
        },
        recipients: to
            .iter()
            .map(|t| RcptTo {
                recipient: address(t),
                params: RcptParams::default(),
            })
            .collect(),
        transfer: Transfer::Data,
    }
}

const FIRST: &[u8] = b"Subject: first\r\n\r\n.starts with a dot\r\n..two\r\n.\r\nend\r\n";
const SECOND: &[u8] = b"Subject: second\r\n\r\nafter RSET\r\n";

/// Our client, pipelining, against smtp-sink: dot-stuffing, several recipients, RSET and
/// a second message on the same connection.
#[test]
#[ignore = "interop: needs postfix (smtp-sink)"]
fn our_client_against_postfix_smtp_sink() {
    let sink = start_postfix_sink();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let results = runtime.block_on(async {
        let mut stream = tokio::net::TcpStream::connect(sink.addr)
            .await
            .expect("connect");
        let mut client =
            client::Client::new(client::Config::smtp("client.example"), Instant::now());
        let steps = vec![
            Step::Send(
                envelope("a@example.com", &["b@example.org", "c@example.org"]),
                FIRST.to_vec(),
            ),
            Step::Rset,
            Step::Send(
                envelope("d@example.com", &["e@example.org"]),
                SECOND.to_vec(),
            ),
        ];
        let work = run_client(&mut stream, &mut client, steps);
        tokio::time::timeout(Duration::from_secs(60), work)
            .await
            .expect("bounded")
    });
    assert_eq!(results.len(), 2);
    for result in &results {
        assert!(result.mail.is_positive(), "{result:?}");
        assert_eq!(
            result.delivered_count(),
            result.recipients.len(),
            "{result:?}"
        );
    }
    let dumps = dumps(sink.dir.path(), 2);
    assert_eq!(dumps.len(), 2, "{dumps:?}");
    let lf = |bytes: &[u8]| {
        String::from_utf8(bytes.to_vec())
            .expect("ASCII")
            .replace("\r\n", "\n")
    };
    for (mail, rcpts, body) in [
        (
            "<a@example.com>",
            &["<b@example.org>", "<c@example.org>"][..],
            FIRST,
        ),
        ("<d@example.com>", &["<e@example.org>"][..], SECOND),
    ] {
        let dump = dumps
            .iter()
            .find(|d| d.contains(&format!("X-Mail-Args: {mail}\n")))
            .unwrap_or_else(|| panic!("no transaction from {mail}: {dumps:?}"));
        assert!(dump.contains("X-Helo-Args: client.example\n"), "{dump}");
        assert!(dump.contains("X-Client-Proto: ESMTP\n"), "{dump}");
        let rcpt_lines: Vec<&str> = dump
            .lines()
            .filter(|l| l.starts_with("X-Rcpt-Args: "))
            .collect();
        let expected: Vec<String> = rcpts.iter().map(|r| format!("X-Rcpt-Args: {r}")).collect();
        assert_eq!(rcpt_lines, expected, "{dump}");
        // smtp-sink's own Received header ends with the date line; the message follows,
        // then one empty line.
        let message = dump
            .split_once("(UTC)\n")
            .expect("smtp-sink Received header")
            .1;
        assert_eq!(message, format!("{}\n", lf(body)), "{dump}");
    }
}

/// Our client against our server (the sink example) over loopback TCP.
#[test]
fn our_client_against_our_sink_over_tcp() {
    let sink = start_sink(Config::new("sink.example"));
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let results = runtime.block_on(async {
        let mut stream = tokio::net::TcpStream::connect(sink.addr)
            .await
            .expect("connect");
        let mut client =
            client::Client::new(client::Config::smtp("client.example"), Instant::now());
        let big: Vec<u8> = (0..5000)
            .flat_map(|n| format!(".{n}\r\n").into_bytes())
            .collect();
        let steps = vec![
            Step::Send(
                envelope("a@example.com", &["b@example.org", "c@example.org"]),
                FIRST.to_vec(),
            ),
            Step::Rset,
            Step::Send(
                envelope("d@example.com", &["e@example.org"]),
                SECOND.to_vec(),
            ),
            Step::Send(envelope("f@example.com", &["g@example.org"]), big),
        ];
        let work = run_client(&mut stream, &mut client, steps);
        tokio::time::timeout(Duration::from_secs(60), work)
            .await
            .expect("bounded")
    });
    assert_eq!(results.len(), 3);
    assert!(
        results
            .iter()
            .all(|r| r.delivered_count() == r.recipients.len())
    );
    let stored = wait_for_messages(sink.dir.path(), 3);
    let bodies: Vec<&[u8]> = stored.iter().map(|(_, m)| split_received(m).1).collect();
    assert_eq!(bodies[0], FIRST);
    assert_eq!(bodies[1], SECOND);
    assert_eq!(
        bodies[2].len(),
        (0..5000)
            .map(|n: u32| n.to_string().len() + 3)
            .sum::<usize>()
    );
    assert!(
        split_received(&stored[2].1)
            .0
            .contains("for <g@example.org>;")
    );
}
