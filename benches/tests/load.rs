//! `postroom-load` against small scripted servers on 127.0.0.1 (and a Unix socket): each
//! run is bounded by its count, and the servers check what the tool sent.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use postroom_benches::load::conn::Target;
use postroom_benches::load::idle::{self, IdleOptions};
use postroom_benches::load::imap::{self, ImapOptions};
use postroom_benches::load::pop3::{self, Pop3Options};
use postroom_benches::load::smtp::{self, SmtpOptions};
use postroom_benches::load::{RunOptions, message};
use smtp_proto::client::Mode;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, UnixListener};

/// What a scripted server saw.
#[derive(Debug, Default)]
struct Seen {
    messages: AtomicU64,
    bytes: AtomicU64,
    sessions: AtomicU64,
}

fn run_options(concurrency: usize, count: u64) -> RunOptions {
    RunOptions {
        concurrency,
        count,
        duration: Duration::from_secs(60),
        op_timeout: Duration::from_secs(10),
    }
}

async fn local_listener() -> (TcpListener, Target) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let target = Target::Tcp(listener.local_addr().unwrap());
    (listener, target)
}

/// Reads one line (with its CRLF); `None` at EOF.
async fn line<S: AsyncRead + Unpin>(reader: &mut BufReader<S>) -> Option<String> {
    let mut line = String::new();
    match reader.read_line(&mut line).await {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(line),
    }
}

/// An SMTP (or LMTP) server that accepts everything but `reject@` recipients and counts
/// the messages and their un-stuffed bytes.
async fn smtp_session<S: AsyncRead + AsyncWrite + Unpin>(stream: S, lmtp: bool, seen: Arc<Seen>) {
    seen.sessions.fetch_add(1, Ordering::Relaxed);
    let mut reader = BufReader::new(stream);
    let _ = reader.get_mut().write_all(b"220 scripted ESMTP\r\n").await;
    let mut accepted = 0;
    while let Some(command) = line(&mut reader).await {
        let verb = command.get(..4).unwrap_or("").to_ascii_uppercase();
        let reply: String = match verb.as_str() {
            "EHLO" | "LHLO" => "250-scripted\r\n250-PIPELINING\r\n250 SIZE 1000000\r\n".into(),
            "MAIL" => {
                accepted = 0;
                "250 2.1.0 ok\r\n".into()
            }
            "RCPT" if command.contains("reject@") => "550 5.1.1 no such user\r\n".into(),
            "RCPT" => {
                accepted += 1;
                "250 2.1.5 ok\r\n".into()
            }
            "DATA" => {
                let _ = reader.get_mut().write_all(b"354 go\r\n").await;
                let mut bytes = 0;
                while let Some(body) = line(&mut reader).await {
                    if body == ".\r\n" {
                        break;
                    }
                    bytes += body.len() - usize::from(body.starts_with(".."));
                }
                seen.messages.fetch_add(1, Ordering::Relaxed);
                seen.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
                let replies = if lmtp { accepted } else { 1 };
                "250 2.0.0 stored\r\n".repeat(replies)
            }
            "RSET" => "250 ok\r\n".into(),
            "QUIT" => {
                let _ = reader.get_mut().write_all(b"221 bye\r\n").await;
                return;
            }
            _ => "502 5.5.1 unknown\r\n".into(),
        };
        if reader.get_mut().write_all(reply.as_bytes()).await.is_err() {
            return;
        }
    }
}

async fn serve_smtp(listener: TcpListener, lmtp: bool, seen: Arc<Seen>) {
    while let Ok((stream, _)) = listener.accept().await {
        tokio::spawn(smtp_session(stream, lmtp, Arc::clone(&seen)));
    }
}

fn mail_options(mode: Mode, target: Target, to: &str, recipients: usize) -> SmtpOptions {
    SmtpOptions {
        mode,
        target,
        from: "load@sender.test".into(),
        to: to.into(),
        users: 5,
        recipients,
        size: 2000,
        per_connection: 4,
        hello: "load.test".into(),
    }
}

#[tokio::test]
async fn smtp_sends_the_counted_messages() {
    let (listener, target) = local_listener().await;
    let seen = Arc::new(Seen::default());
    tokio::spawn(serve_smtp(listener, false, Arc::clone(&seen)));
    let options = mail_options(Mode::Smtp, target, "u{n}@example.test", 1);
    let report = smtp::run(&run_options(3, 21), options).await;
    assert_eq!(report.tally.errors, 0, "{:?}", report.tally.first_errors);
    assert_eq!(report.tally.latencies.len(), 21);
    assert_eq!(seen.messages.load(Ordering::Relaxed), 21);
    assert_eq!(seen.bytes.load(Ordering::Relaxed), 21 * 2000);
    // Four messages per connection: at least ceil(21 / 4) sessions.
    assert!(report.tally.sessions >= 6, "{}", report.tally.sessions);
    assert_eq!(report.tally.sessions, seen.sessions.load(Ordering::Relaxed));
}

#[tokio::test]
async fn lmtp_over_a_unix_socket_waits_for_every_recipient() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lmtp.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let seen = Arc::new(Seen::default());
    let counted = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(smtp_session(stream, true, Arc::clone(&counted)));
        }
    });
    let options = mail_options(Mode::Lmtp, Target::Unix(path), "u{n}@example.test", 3);
    let report = smtp::run(&run_options(2, 10), options).await;
    assert_eq!(report.tally.errors, 0, "{:?}", report.tally.first_errors);
    assert_eq!(report.tally.latencies.len(), 10);
    assert_eq!(seen.messages.load(Ordering::Relaxed), 10);
}

#[tokio::test]
async fn refused_recipients_are_errors() {
    let (listener, target) = local_listener().await;
    let seen = Arc::new(Seen::default());
    tokio::spawn(serve_smtp(listener, false, Arc::clone(&seen)));
    let options = mail_options(Mode::Smtp, target, "reject@example.test", 1);
    let mut report = smtp::run(&run_options(2, 6), options).await;
    assert_eq!(report.tally.errors, 6);
    assert!(report.tally.latencies.is_empty());
    assert!(
        report.tally.first_errors[0].contains("550"),
        "{:?}",
        report.tally.first_errors
    );
    assert!(report.render().contains("RESULT mode=smtp ok=0 errors=6"));
}

#[tokio::test]
async fn an_unreachable_server_ends_the_run_with_errors() {
    let (listener, target) = local_listener().await;
    drop(listener);
    let options = mail_options(Mode::Smtp, target, "u@example.test", 1);
    let report = smtp::run(&run_options(2, 5), options).await;
    assert_eq!(report.tally.errors, 5);
    assert!(report.tally.first_errors[0].contains("connect"));
}

/// IMAP: the commands of the mix, LOGIN with password `pw`, a five-message INBOX, IDLE.
async fn imap_session(stream: tokio::net::TcpStream, seen: Arc<Seen>) {
    seen.sessions.fetch_add(1, Ordering::Relaxed);
    let mut reader = BufReader::new(stream);
    let _ = reader
        .get_mut()
        .write_all(b"* OK [CAPABILITY IMAP4rev1 LITERAL+ IDLE] scripted\r\n")
        .await;
    let mut exists = 5u32;
    while let Some(command) = line(&mut reader).await {
        let mut words = command.split_whitespace();
        let tag = words.next().unwrap_or("*").to_owned();
        let verb = words.next().unwrap_or("").to_ascii_uppercase();
        let arg = words.next().unwrap_or("").to_owned();
        let header =
            "* {k} FETCH (UID {k} FLAGS () RFC822.SIZE 12 BODY[HEADER] {12}\r\nSubject: x\r\n)\r\n";
        let untagged = match verb.as_str() {
            "LOGIN"
                if command
                    .split_whitespace()
                    .last()
                    .map(|p| p.trim_matches('"'))
                    != Some("pw") =>
            {
                format!("{tag} NO [AUTHENTICATIONFAILED] wrong\r\n")
            }
            "LOGIN" | "NOOP" => String::new(),
            "CAPABILITY" => "* CAPABILITY IMAP4rev1 LITERAL+ IDLE\r\n".into(),
            "SELECT" => format!("* {exists} EXISTS\r\n* FLAGS (\\Seen \\Deleted)\r\n"),
            "FETCH" if command.contains("BODY.PEEK[]") => {
                seen.bytes.fetch_add(12, Ordering::Relaxed);
                format!("* {arg} FETCH (BODY[] {{12}}\r\nSubject: y\r\n)\r\n")
            }
            "FETCH" => header.replace("{k}", &arg),
            "SEARCH" => "* SEARCH 1 3\r\n".into(),
            "STORE" => format!("* {arg} FETCH (FLAGS (\\Seen))\r\n"),
            "APPEND" => {
                let size: usize = command
                    .rsplit_once('{')
                    .and_then(|(_, n)| {
                        n.trim_end()
                            .trim_end_matches('}')
                            .trim_end_matches('+')
                            .parse()
                            .ok()
                    })
                    .unwrap_or(0);
                if !command.contains("+}") {
                    // A synchronising literal: the client waits for the go-ahead.
                    let _ = reader.get_mut().write_all(b"+ go ahead\r\n").await;
                }
                let mut data = vec![0; size + 2];
                if reader.read_exact(&mut data).await.is_err() {
                    return;
                }
                seen.messages.fetch_add(1, Ordering::Relaxed);
                exists += 1;
                format!("* {exists} EXISTS\r\n")
            }
            "EXPUNGE" if exists > 5 => {
                exists -= 1;
                format!("* {} EXPUNGE\r\n", exists + 1)
            }
            "EXPUNGE" => String::new(),
            "IDLE" => {
                let _ = reader.get_mut().write_all(b"+ idling\r\n").await;
                match line(&mut reader).await {
                    Some(done) if done == "DONE\r\n" => String::new(),
                    _ => return,
                }
            }
            "LOGOUT" => {
                let reply = format!("* BYE bye\r\n{tag} OK done\r\n");
                let _ = reader.get_mut().write_all(reply.as_bytes()).await;
                return;
            }
            _ => format!("{tag} BAD unknown\r\n"),
        };
        let reply = if untagged.starts_with(&format!("{tag} ")) {
            untagged
        } else {
            format!("{untagged}{tag} OK done\r\n")
        };
        if reader.get_mut().write_all(reply.as_bytes()).await.is_err() {
            return;
        }
    }
}

async fn imap_server(seen: &Arc<Seen>) -> Target {
    let (listener, target) = local_listener().await;
    let seen = Arc::clone(seen);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(imap_session(stream, Arc::clone(&seen)));
        }
    });
    target
}

fn imap_options(target: Target, password: &str) -> ImapOptions {
    ImapOptions {
        target,
        user: "u{n}".into(),
        users: 2,
        password: password.into(),
        size: 700,
        per_session: 12,
    }
}

#[tokio::test]
async fn the_imap_mix_runs_whole_sessions() {
    let seen = Arc::new(Seen::default());
    let target = imap_server(&seen).await;
    let report = imap::run(&run_options(2, 48), imap_options(target, "pw")).await;
    assert_eq!(report.tally.errors, 0, "{:?}", report.tally.first_errors);
    assert_eq!(report.tally.latencies.len(), 48);
    // 12 commands per session (LOGIN, SELECT, 9 of the mix, LOGOUT): 4 sessions, and one
    // APPEND of the 8-command mix in each session's 9.
    assert_eq!(report.tally.sessions, 4);
    assert_eq!(seen.messages.load(Ordering::Relaxed), 4);
    // Per session FETCH BODY.PEEK[] once and FETCH (... BODY.PEEK[HEADER]) twice (the
    // ninth command starts the mix again), 12-byte literals each, counted by the tool.
    assert_eq!(seen.bytes.load(Ordering::Relaxed), 4 * 12);
    assert_eq!(report.tally.bytes, 4 * 3 * 12 + 4 * 700);
}

#[tokio::test]
async fn a_refused_imap_login_is_an_error() {
    let seen = Arc::new(Seen::default());
    let target = imap_server(&seen).await;
    let report = imap::run(&run_options(1, 3), imap_options(target, "wrong")).await;
    assert_eq!(report.tally.errors, 3);
    assert!(
        report.tally.first_errors[0].contains("No"),
        "{:?}",
        report.tally.first_errors
    );
}

#[tokio::test]
async fn idle_connections_are_held_and_still_served() {
    let seen = Arc::new(Seen::default());
    let target = imap_server(&seen).await;
    let options = IdleOptions {
        target,
        user: "u{n}".into(),
        users: 3,
        password: "pw".into(),
        connections: 20,
        parallel: 5,
        pids: vec![std::process::id()],
        warmup: 2,
        settle: Duration::ZERO,
        limit: Duration::from_secs(30),
    };
    let report = idle::run(options).await;
    assert_eq!((report.open, report.failed, report.alive), (20, 0, 20));
    assert_eq!(seen.sessions.load(Ordering::Relaxed), 22);
    assert!(report.after.rss_kib > 0);
    assert!(
        report
            .render()
            .contains("RESULT mode=idle ok=20 errors=0 alive=20")
    );
}

/// POP3: three messages of `body`, dot-stuffed on the way out; password `pw`.
async fn pop3_session(stream: tokio::net::TcpStream, body: Arc<Vec<u8>>, seen: Arc<Seen>) {
    seen.sessions.fetch_add(1, Ordering::Relaxed);
    let mut reader = BufReader::new(stream);
    let _ = reader.get_mut().write_all(b"+OK scripted\r\n").await;
    while let Some(command) = line(&mut reader).await {
        let upper = command.to_ascii_uppercase();
        let reply = if upper.starts_with("USER") {
            b"+OK\r\n".to_vec()
        } else if upper.starts_with("PASS") {
            if command.trim_end() == "PASS pw" {
                b"+OK in\r\n".to_vec()
            } else {
                b"-ERR [AUTH] wrong\r\n".to_vec()
            }
        } else if upper.starts_with("STAT") {
            format!("+OK 3 {}\r\n", 3 * body.len()).into_bytes()
        } else if upper.starts_with("RETR") {
            seen.messages.fetch_add(1, Ordering::Relaxed);
            let mut out = b"+OK message follows\r\n".to_vec();
            for text in body.split_inclusive(|&b| b == b'\n') {
                if text.starts_with(b".") {
                    out.push(b'.');
                }
                out.extend_from_slice(text);
            }
            out.extend_from_slice(b".\r\n");
            out
        } else if upper.starts_with("QUIT") {
            let _ = reader.get_mut().write_all(b"+OK bye\r\n").await;
            return;
        } else {
            b"-ERR unknown\r\n".to_vec()
        };
        if reader.get_mut().write_all(&reply).await.is_err() {
            return;
        }
    }
}

#[tokio::test]
async fn pop3_retrieves_and_unstuffs() {
    let (listener, target) = local_listener().await;
    let body = Arc::new(message::build(3000, "a@b.test", "c@d.test", 1));
    let seen = Arc::new(Seen::default());
    let (served, counted) = (Arc::clone(&body), Arc::clone(&seen));
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(pop3_session(
                stream,
                Arc::clone(&served),
                Arc::clone(&counted),
            ));
        }
    });
    let options = Pop3Options {
        target: target.clone(),
        user: "u{n}".into(),
        users: 1,
        password: "pw".into(),
        per_session: 10,
    };
    let report = pop3::run(&run_options(1, 10), options.clone()).await;
    assert_eq!(report.tally.errors, 0, "{:?}", report.tally.first_errors);
    assert_eq!(report.tally.latencies.len(), 10);
    // Three messages in the maildrop: a session retrieves each once, then quits.
    assert_eq!(report.tally.sessions, 4);
    assert_eq!(seen.messages.load(Ordering::Relaxed), 10);
    assert_eq!(report.tally.bytes, 10 * body.len() as u64);

    let wrong = Pop3Options {
        password: "nope".into(),
        ..options
    };
    let report = pop3::run(&run_options(1, 2), wrong).await;
    assert_eq!(report.tally.errors, 2);
    assert!(report.tally.first_errors[0].contains("wrong"));
}
