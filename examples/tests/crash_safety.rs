//! Crash safety of the real `postroom` binary: client threads deliver a stream of
//! numbered messages through the MX, LMTP and submission (to the outbound queue) while
//! the test kills the server with SIGKILL at seeded pseudo-random moments and restarts
//! it. Afterwards every acknowledged message is stored exactly once, no message file in
//! `new/` or `cur/` is truncated, nothing is stored twice, and the queue resumes: once a
//! sink listens on the route's port, every queued message reaches it exactly once.
//!
//! The kill schedule comes from `CRASH_SEED` (default below), printed at the start.

mod support;

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use support::smtp_peer::{Script, SmtpPeer};
use support::{Options, PASSWORD, Postroom, free_port, sasl_plain};

/// The kill schedule's default seed.
const DEFAULT_SEED: u64 = 0x5EED_C0DE;
/// How many times the server is killed.
const KILLS: usize = 7;
/// Client threads per protocol.
const THREADS: usize = 2;
/// Messages sent over one connection before it is closed and a new one opened.
const MESSAGES_PER_CONNECTION: usize = 5;
/// The domain routed to the sink (closed until the end).
const REMOTE: &str = "remote.example";

/// Where an acknowledged message must be found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Place {
    /// The INBOX of a local user.
    Inbox(&'static str),
    /// The outbound queue.
    Queue,
}

/// The protocols the clients speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Protocol {
    Mx,
    Lmtp,
    Submission,
}

impl Protocol {
    fn name(self) -> &'static str {
        match self {
            Self::Mx => "mx",
            Self::Lmtp => "lmtp",
            Self::Submission => "sub",
        }
    }

    /// The recipients of each message and where each must end up.
    fn recipients(self) -> Vec<(String, Place)> {
        match self {
            Self::Mx => vec![("pat@example.test".to_owned(), Place::Inbox("pat"))],
            Self::Lmtp => vec![
                ("pat@example.test".to_owned(), Place::Inbox("pat")),
                ("lee@example.test".to_owned(), Place::Inbox("lee")),
            ],
            Self::Submission => vec![(format!("friend@{REMOTE}"), Place::Queue)],
        }
    }
}

/// What the clients saw, shared between their threads.
#[derive(Debug, Default)]
struct Record {
    /// Tokens sent (at least the DATA command was tried).
    sent: Vec<String>,
    /// (place, token, server generation) for every `250` received for a recipient.
    acked: Vec<(Place, String, usize)>,
    /// Replies that were neither `250` nor a dropped connection.
    refused: Vec<String>,
    /// The last errors that ended a session (for the failure message).
    errors: Vec<String>,
}

/// State shared by the test and its client threads.
struct Shared {
    record: Mutex<Record>,
    stop: AtomicBool,
    /// How many times the server has been started.
    generation: AtomicUsize,
    tls: Arc<rustls::ClientConfig>,
}

impl Shared {
    fn record(&self) -> std::sync::MutexGuard<'_, Record> {
        self.record.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A deterministic generator for the kill schedule and message sizes (SplitMix64).
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `low..high`.
    fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low)
    }
}

/// An SMTP/LMTP client on any byte stream that reports every failure as an error, so a
/// killed server only ends the session.
struct Wire<S: Read + Write> {
    reader: BufReader<S>,
    /// The first line last sent (for error messages).
    last_sent: String,
}

impl<S: Read + Write> Wire<S> {
    fn new(stream: S) -> Self {
        Self {
            reader: BufReader::new(stream),
            last_sent: "(nothing: the greeting)".to_owned(),
        }
    }

    fn send(&mut self, text: &str) -> io::Result<()> {
        text.lines()
            .next()
            .unwrap_or_default()
            .clone_into(&mut self.last_sent);
        let stream = self.reader.get_mut();
        stream.write_all(text.as_bytes())?;
        stream.flush()
    }

    /// The last line of one complete reply.
    fn reply(&mut self) -> io::Result<String> {
        loop {
            let mut line = String::new();
            let read = self.reader.read_line(&mut line).map_err(|e| {
                io::Error::new(e.kind(), format!("{e}, after sending {:?}", self.last_sent))
            })?;
            if read == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("closed after {:?}", self.last_sent),
                ));
            }
            if line.as_bytes().get(3) != Some(&b'-') {
                return Ok(line.trim_end().to_owned());
            }
        }
    }

    /// Sends a command; returns the reply if it has the expected code.
    fn expect(&mut self, command: &str, code: &str, shared: &Shared) -> io::Result<String> {
        self.send(&format!("{command}\r\n"))?;
        let reply = self.reply()?;
        check(&reply, code, shared)?;
        Ok(reply)
    }
}

/// Accepts a reply with `code`; records and refuses any other.
fn check(reply: &str, code: &str, shared: &Shared) -> io::Result<()> {
    if reply.starts_with(code) {
        Ok(())
    } else {
        shared.record().refused.push(reply.to_owned());
        Err(io::Error::other(reply.to_owned()))
    }
}

/// A connection with a read timeout, so no client waits forever.
fn tcp(addr: SocketAddr) -> io::Result<TcpStream> {
    let stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(15)))?;
    stream.set_write_timeout(Some(Duration::from_secs(15)))?;
    Ok(stream)
}

/// The message carrying `token`: its Message-ID, subject, some padding, and a last line
/// that shows the file is complete.
fn message(token: &str, padding_lines: u64) -> String {
    let mut text = format!(
        "From: <sender@client.example>\r\nTo: <rcpt@example.test>\r\n\
         Subject: crash test {token}\r\nMessage-ID: <{token}@crash.test>\r\n\r\n"
    );
    for n in 0..padding_lines {
        text.push_str(&format!(
            "{token} line {n:05} abcdefghijklmnopqrstuvwxyz0123456789\r\n"
        ));
    }
    text.push_str(&format!("END {token}\r\n.\r\n"));
    text
}

/// One client thread: sessions one after another until the test says stop.
fn client(protocol: Protocol, index: usize, addr: SocketAddr, shared: &Shared) {
    let mut seq = 0usize;
    let mut sizes = SplitMix(u64::try_from(index).unwrap_or(0) * 1000 + protocol as u64);
    while !shared.stop.load(Ordering::Relaxed) {
        let Ok(stream) = tcp(addr) else {
            thread::sleep(Duration::from_millis(20));
            continue;
        };
        // Errors end the session: the server was killed, or refused something (recorded).
        let outcome = match protocol {
            Protocol::Submission => submission_session(stream, shared, |w| {
                transactions(w, protocol, index, &mut seq, &mut sizes, shared)
            }),
            _ => plain_session(stream, protocol, shared, |w| {
                transactions(w, protocol, index, &mut seq, &mut sizes, shared)
            }),
        };
        if let Err(e) = outcome {
            let generation = shared.generation.load(Ordering::SeqCst);
            let mut record = shared.record();
            if record.errors.len() == 30 {
                record.errors.remove(0);
            }
            let error = format!("{} {index} (start {generation}): {e}", protocol.name());
            record.errors.push(error);
        }
    }
}

/// Greets the MX or LMTP server, then runs `body`.
fn plain_session(
    stream: TcpStream,
    protocol: Protocol,
    shared: &Shared,
    body: impl FnOnce(&mut Wire<TcpStream>) -> io::Result<()>,
) -> io::Result<()> {
    let mut wire = Wire::new(stream);
    let greeting = wire.reply()?;
    check(&greeting, "220", shared)?;
    let hello = if protocol == Protocol::Lmtp {
        "LHLO"
    } else {
        "EHLO"
    };
    wire.expect(&format!("{hello} client.example"), "250", shared)?;
    body(&mut wire)
}

/// Greets submission, upgrades with STARTTLS, authenticates, then runs `body`.
fn submission_session(
    stream: TcpStream,
    shared: &Shared,
    body: impl FnOnce(
        &mut Wire<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>,
    ) -> io::Result<()>,
) -> io::Result<()> {
    let mut wire = Wire::new(stream);
    let greeting = wire.reply()?;
    check(&greeting, "220", shared)?;
    wire.expect("EHLO client.example", "250", shared)?;
    wire.expect("STARTTLS", "220", shared)?;
    let name = "mx.example.test".try_into().expect("server name");
    let conn =
        rustls::ClientConnection::new(Arc::clone(&shared.tls), name).map_err(io::Error::other)?;
    let mut tls = Wire::new(rustls::StreamOwned::new(conn, wire.reader.into_inner()));
    tls.expect("EHLO client.example", "250", shared)?;
    let plain = sasl_plain("sam@example.test", PASSWORD);
    tls.expect(&format!("AUTH PLAIN {plain}"), "235", shared)?;
    body(&mut tls)
}

/// Sends up to [`MESSAGES_PER_CONNECTION`] messages over one session, then QUIT.
fn transactions<S: Read + Write>(
    wire: &mut Wire<S>,
    protocol: Protocol,
    index: usize,
    seq: &mut usize,
    sizes: &mut SplitMix,
    shared: &Shared,
) -> io::Result<()> {
    let sender = if protocol == Protocol::Submission {
        "sam@example.test"
    } else {
        "sender@client.example"
    };
    let recipients = protocol.recipients();
    for _ in 0..MESSAGES_PER_CONNECTION {
        if shared.stop.load(Ordering::Relaxed) {
            break;
        }
        *seq += 1;
        let token = format!("T{}{index}x{:05}", protocol.name(), *seq);
        wire.expect(&format!("MAIL FROM:<{sender}>"), "250", shared)?;
        for (address, _) in &recipients {
            wire.expect(&format!("RCPT TO:<{address}>"), "250", shared)?;
        }
        wire.expect("DATA", "354", shared)?;
        shared.record().sent.push(token.clone());
        wire.send(&message(&token, sizes.between(1, 400)))?;
        // LMTP answers once per recipient, the others once for the message.
        let places: Vec<Place> = if protocol == Protocol::Lmtp {
            recipients.iter().map(|(_, place)| *place).collect()
        } else {
            vec![recipients[0].1]
        };
        for place in places {
            let reply = wire.reply()?;
            check(&reply, "250", shared)?;
            let generation = shared.generation.load(Ordering::SeqCst);
            shared
                .record()
                .acked
                .push((place, token.clone(), generation));
        }
    }
    let _ = wire.send("QUIT\r\n");
    Ok(())
}

/// The token of a stored message, and whether the message is complete.
fn parse_token(text: &str) -> Option<(String, bool)> {
    let start = text.find("Message-ID: <")? + "Message-ID: <".len();
    let end = start + text[start..].find("@crash.test>")?;
    let token = text[start..end].to_owned();
    let complete = text.ends_with(&format!("\r\nEND {token}\r\n"));
    Some((token, complete))
}

/// Every token found in a user's INBOX, with the count of files holding it; panics on a
/// truncated or unreadable message file.
fn inbox_tokens(server: &Postroom, user: &str) -> BTreeMap<String, usize> {
    let mut found = BTreeMap::new();
    for file in support::message_files(&server.maildir(user)) {
        let text =
            String::from_utf8_lossy(&std::fs::read(&file).expect("read message")).into_owned();
        let (token, complete) =
            parse_token(&text).unwrap_or_else(|| panic!("no token in {}", file.display()));
        assert!(complete, "truncated message visible: {}", file.display());
        *found.entry(token).or_insert(0) += 1;
    }
    found
}

/// Every token in the queue directory (messages that have a state file), counted.
fn queue_tokens(dir: &Path) -> BTreeMap<String, usize> {
    let messages = dir.join("messages");
    let mut found = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(&messages) else {
        return found;
    };
    for entry in entries {
        let path = entry.expect("queue entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("state") {
            continue;
        }
        let text = match std::fs::read_to_string(path.with_extension("msg")) {
            Ok(text) => text,
            // Delivered and removed (state first, message last) since the listing.
            Err(_) if !path.exists() => continue,
            Err(e) => panic!("{} without its message: {e}", path.display()),
        };
        let (token, complete) =
            parse_token(&text).unwrap_or_else(|| panic!("no token in {}", path.display()));
        assert!(complete, "truncated queued message: {}", path.display());
        *found.entry(token).or_insert(0) += 1;
    }
    found
}

/// The dotlock files under `dir` with their contents (for failure messages).
fn lock_files(dir: &Path) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(lock_files(&path));
        } else if path.extension().is_some_and(|e| e == "lock") {
            let content = std::fs::read_to_string(&path).unwrap_or_default();
            found.push((path.display().to_string(), content));
        }
    }
    found
}

/// The rustls client configuration trusting the installation's certificate.
fn tls_config(server: &Postroom) -> Arc<rustls::ClientConfig> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    let cert =
        CertificateDer::from_pem_file(server.cert.as_ref().expect("TLS on")).expect("certificate");
    roots.add(cert).expect("root");
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

#[test]
fn acknowledged_mail_survives_sigkill() {
    let seed = std::env::var("CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SEED);
    eprintln!("crash test seed: {seed} (set CRASH_SEED to repeat a run)");
    let began = Instant::now();
    let sink_port = free_port();
    let mut server = Postroom::setup(&Options {
        connections_per_ip: 100,
        users: vec![("pat", 0), ("lee", 0), ("sam", 0)],
        extra_config: format!(
            "[queue]\nretry_initial = 1\nretry_max = 2\n\
             [outbound.routes]\n\"{REMOTE}\" = {{ host = \"127.0.0.1\", port = {sink_port}, tls = \"none\" }}\n"
        ),
        ..Options::default()
    });
    server.start();
    let shared = Arc::new(Shared {
        record: Mutex::new(Record::default()),
        stop: AtomicBool::new(false),
        generation: AtomicUsize::new(1),
        tls: tls_config(&server),
    });
    let mut clients = Vec::new();
    for protocol in [Protocol::Mx, Protocol::Lmtp, Protocol::Submission] {
        let addr = match protocol {
            Protocol::Mx => server.mx,
            Protocol::Lmtp => server.lmtp,
            Protocol::Submission => server.submission,
        };
        for index in 0..THREADS {
            let shared = Arc::clone(&shared);
            clients.push(thread::spawn(move || {
                client(protocol, index, addr, &shared);
            }));
        }
    }

    let mut schedule = SplitMix(seed);
    for _ in 0..KILLS {
        thread::sleep(Duration::from_millis(schedule.between(150, 1500)));
        server.kill();
        thread::sleep(Duration::from_millis(schedule.between(0, 200)));
        shared.generation.fetch_add(1, Ordering::SeqCst);
        server.start();
    }
    // The last start must take mail again before the clients stop.
    let last = shared.generation.load(Ordering::SeqCst);
    let deadline = Instant::now() + Duration::from_secs(15);
    // Local delivery must resume too: a lock left by the killed server names a dead
    // process, so it is taken over within seconds.
    loop {
        thread::sleep(Duration::from_millis(200));
        let record = shared.record();
        let served = |place: Place| {
            record
                .acked
                .iter()
                .any(|(p, _, generation)| *p == place && *generation == last)
        };
        if served(Place::Queue) && served(Place::Inbox("pat")) && served(Place::Inbox("lee")) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the restarted server does not take mail for the queue and both inboxes; \
             refused: {:?}\nthe last errors: {:#?}\nlock files: {:?}\n{}",
            record.refused,
            record.errors,
            lock_files(&server.dir.path().join("vmail")),
            server.log()
        );
    }
    shared.stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.join().expect("client thread");
    }

    let record = shared.record();
    assert!(
        record.refused.is_empty(),
        "replies other than the expected ones: {:?}",
        record.refused
    );
    let sent: std::collections::BTreeSet<&String> = record.sent.iter().collect();
    let mut stored: BTreeMap<Place, BTreeMap<String, usize>> = BTreeMap::new();
    for user in ["pat", "lee", "sam"] {
        stored.insert(Place::Inbox(user), inbox_tokens(&server, user));
    }
    let queue_dir = server.dir.path().join("queue");
    stored.insert(Place::Queue, queue_tokens(&queue_dir));
    for (place, tokens) in &stored {
        for (token, count) in tokens {
            assert_eq!(*count, 1, "{token} stored {count} times in {place:?}");
            assert!(sent.contains(token), "{token} in {place:?} was never sent");
        }
    }
    assert!(stored[&Place::Inbox("sam")].is_empty(), "sam got mail");
    for (place, token, _) in &record.acked {
        assert_eq!(
            stored[place].get(token),
            Some(&1),
            "acknowledged {token} missing from {place:?}"
        );
    }
    let acked_in = |place: Place| record.acked.iter().filter(|(p, ..)| *p == place).count();
    let queued = stored[&Place::Queue].len();
    eprintln!(
        "{} kills in {:?}: {} messages sent, acknowledged: pat {}, lee {}, queue {}; \
         stored: pat {}, lee {}, queue {queued}",
        KILLS,
        began.elapsed(),
        record.sent.len(),
        acked_in(Place::Inbox("pat")),
        acked_in(Place::Inbox("lee")),
        acked_in(Place::Queue),
        stored[&Place::Inbox("pat")].len(),
        stored[&Place::Inbox("lee")].len(),
    );
    let list = server.admin_output(&["queue", "list"]);
    assert!(list.ends_with(&format!("{queued} messages\n")), "{list}");

    // The queue resumes: once the route's port listens, every queued message leaves,
    // exactly once.
    let sink = SmtpPeer::start(sink_port, Script::default());
    let deadline = Instant::now() + Duration::from_secs(30);
    while !queue_tokens(&queue_dir).is_empty() {
        assert!(
            Instant::now() < deadline,
            "the queue did not drain:\n{}\n{}",
            server.admin_output(&["queue", "list"]),
            server.log()
        );
        thread::sleep(Duration::from_millis(200));
    }
    let mut delivered: BTreeMap<String, usize> = BTreeMap::new();
    for body in &sink.accepted() {
        let (token, complete) = parse_token(body).expect("token in a relayed message");
        assert!(complete, "relayed message truncated: {token}");
        *delivered.entry(token).or_insert(0) += 1;
    }
    let expected: BTreeMap<String, usize> = stored[&Place::Queue]
        .keys()
        .map(|t| (t.clone(), 1))
        .collect();
    assert_eq!(
        delivered, expected,
        "relayed messages differ from the queue"
    );
    eprintln!(
        "queue drained to the sink in {:?} in total",
        began.elapsed()
    );
}
