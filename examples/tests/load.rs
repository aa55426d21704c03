//! Load on the real `postroom` binary over loopback: 1,000 SMTP sessions open at once,
//! each delivering a message to the MX, and 5,000 IMAP sessions logged in and selected
//! at once, each then fetching and logging out. Every session must succeed, every
//! message must be delivered, the server must hold a socket for every session at the
//! same moment, and the server's peak resident memory (VmHWM) may exceed its idle
//! size by at most [`RSS_PER_SESSION_KIB`] per session. The measured numbers are printed
//! (`--nocapture`).
//!
//! The test process and the server each hold one descriptor per session: the tests raise
//! their soft `RLIMIT_NOFILE` with `prlimit` when the hard limit allows it, and fail with
//! a clear message otherwise (`ulimit -n 20000` is enough).

mod support;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{Barrier, Semaphore};
use tokio::task::JoinHandle;

use support::{Options, PASSWORD, Postroom};

/// Concurrent SMTP sessions.
const SMTP_SESSIONS: usize = 1_000;
/// Concurrent IMAP sessions.
const IMAP_SESSIONS: usize = 5_000;
/// Messages in the INBOX the IMAP sessions fetch.
const IMAP_MESSAGES: usize = 3;
/// Sessions connecting (and greeting, logging in) at the same moment; the rest wait
/// their turn, and all of them are open together afterwards. A burst of thousands of
/// SYNs overflows the listen queue, and connections the kernel then drops hang (see
/// the report of the `ListenOverflows` counter in `/proc/net/netstat`).
const OPENING_AT_ONCE: usize = 250;
/// Resident memory the server may add per open session at its peak (measured: about
/// 20 KiB for SMTP and IMAP alike).
const RSS_PER_SESSION_KIB: u64 = 64;
/// The longest a client waits for a line.
const READ_TIMEOUT: Duration = Duration::from_secs(120);
/// The longest a load test may take.
const TIME_LIMIT: Duration = Duration::from_secs(300);

/// The load tests run one at a time: each needs the machine to itself.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

type Failures = Arc<Mutex<Vec<String>>>;

/// A line-oriented async client for SMTP and IMAP.
struct Client {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
}

impl Client {
    async fn connect(addr: SocketAddr) -> Result<Self, String> {
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        let (read, writer) = stream.into_split();
        Ok(Self {
            reader: BufReader::new(read),
            writer,
        })
    }

    async fn send(&mut self, text: &str) -> Result<(), String> {
        self.writer
            .write_all(text.as_bytes())
            .await
            .map_err(|e| format!("send {text:?}: {e}"))
    }

    async fn line(&mut self) -> Result<String, String> {
        let mut line = String::new();
        let n = tokio::time::timeout(READ_TIMEOUT, self.reader.read_line(&mut line))
            .await
            .map_err(|_| format!("no reply within {READ_TIMEOUT:?}"))?
            .map_err(|e| format!("read: {e}"))?;
        if n == 0 {
            return Err("connection closed".to_owned());
        }
        Ok(line.trim_end().to_owned())
    }

    /// The last line of one SMTP reply, which must start with `code`.
    async fn smtp_reply(&mut self, code: &str) -> Result<String, String> {
        loop {
            let line = self.line().await?;
            if line.as_bytes().get(3) == Some(&b'-') {
                continue;
            }
            return if line.starts_with(code) {
                Ok(line)
            } else {
                Err(format!("expected {code}, got {line:?}"))
            };
        }
    }

    async fn smtp(&mut self, command: &str, code: &str) -> Result<String, String> {
        self.send(&format!("{command}\r\n")).await?;
        self.smtp_reply(code).await
    }

    /// Sends a tagged IMAP command; returns the untagged lines once the status is OK.
    async fn imap(&mut self, tag: &str, command: &str) -> Result<Vec<String>, String> {
        self.send(&format!("{tag} {command}\r\n")).await?;
        let mut untagged = Vec::new();
        loop {
            let line = self.line().await?;
            if let Some(status) = line.strip_prefix(&format!("{tag} ")) {
                return if status.starts_with("OK") {
                    Ok(untagged)
                } else {
                    Err(format!("{command}: {line}"))
                };
            }
            untagged.push(line);
        }
    }
}

/// Raises this process's soft descriptor limit to `needed` (the server inherits it).
fn ensure_descriptors(needed: u64) {
    let (soft, hard) = descriptor_limits();
    if soft >= needed {
        return;
    }
    assert!(
        hard >= needed,
        "this test needs {needed} open files, the hard limit is {hard}: run `ulimit -n 20000`"
    );
    let status = Command::new("prlimit")
        .arg(format!("--pid={}", std::process::id()))
        .arg(format!("--nofile={needed}:{hard}"))
        .status();
    let (soft, _) = descriptor_limits();
    assert!(
        soft >= needed,
        "could not raise the open-file limit to {needed} ({status:?}): run `ulimit -n 20000`"
    );
}

/// The soft and hard `Max open files` of this process.
fn descriptor_limits() -> (u64, u64) {
    let limits = std::fs::read_to_string("/proc/self/limits").expect("/proc/self/limits");
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .expect("open files limit");
    let mut numbers = line.split_whitespace().filter_map(|w| {
        w.parse::<u64>()
            .ok()
            .or((w == "unlimited").then_some(u64::MAX))
    });
    (
        numbers.next().expect("soft limit"),
        numbers.next().expect("hard limit"),
    )
}

/// Sets up an installation allowing `sessions` connections from loopback.
fn installation(sessions: usize) -> Postroom {
    let allowed = sessions + 100;
    // `setup` validates the configuration, where the per-IP limit may not exceed the
    // total (1,000 by default); the harness writes `[limits]` itself, so both limits
    // are raised in the file afterwards.
    let placeholder = 1000;
    let server = Postroom::setup(&Options {
        connections_per_ip: placeholder,
        ..Options::default()
    });
    let config = std::fs::read_to_string(&server.config).expect("config");
    let per_ip = format!("connections_per_ip = {placeholder}\n");
    assert!(config.contains(&per_ip), "{config}");
    let config = config.replace(
        &per_ip,
        &format!("connections_per_ip = {allowed}\nconnections = {allowed}\n"),
    );
    std::fs::write(&server.config, config).expect("write config");
    server
}

/// The pid of the `postroom serve` child using the configuration `config`.
fn server_pid(config: &Path) -> u32 {
    let me = std::process::id().to_string();
    let config = config.to_string_lossy().into_owned();
    for entry in std::fs::read_dir("/proc").expect("/proc") {
        let Ok(entry) = entry else { continue };
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(pid) = name.parse::<u32>() else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let args: Vec<String> = cmdline
            .split(|b| *b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        if !args.contains(&config) || !args.iter().any(|a| a == "serve") {
            continue;
        }
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        // The parent pid is the second field after the parenthesised command name.
        let parent = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1));
        if parent == Some(me.as_str()) {
            return pid;
        }
    }
    panic!("no `postroom serve` child with {config}");
}

/// A field of `/proc/PID/status` in KiB (`VmRSS`, `VmHWM`).
fn memory_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{field} missing from /proc/{pid}/status"))
}

/// The open file descriptors of `pid`, and how many of them are sockets.
fn descriptors(pid: u32) -> (usize, usize) {
    let Ok(entries) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return (0, 0);
    };
    let mut all = 0;
    let mut sockets = 0;
    for entry in entries.flatten() {
        all += 1;
        if std::fs::read_link(entry.path())
            .is_ok_and(|target| target.to_string_lossy().starts_with("socket:"))
        {
            sockets += 1;
        }
    }
    (all, sockets)
}

/// Two meeting points: every session and the watcher meet at `open`, the watcher
/// measures the server, and then all go on together from `measured`.
struct Gate {
    open: Barrier,
    measured: Barrier,
}

impl Gate {
    fn new(sessions: usize) -> Arc<Self> {
        Arc::new(Self {
            open: Barrier::new(sessions + 1),
            measured: Barrier::new(sessions + 1),
        })
    }

    /// Waits until every session is open and the server has been measured.
    async fn pass(&self) {
        self.open.wait().await;
        self.measured.wait().await;
    }
}

/// The server with every session open.
#[derive(Debug)]
struct Snapshot {
    /// When every session was open.
    at: Instant,
    /// Sockets the server held.
    sockets: usize,
    /// Descriptors the server held.
    descriptors: usize,
    /// Its resident memory in KiB.
    rss: u64,
}

/// Measures server `pid` once every session has come to `gate`.
fn watch(rt: &tokio::runtime::Runtime, gate: &Arc<Gate>, pid: u32) -> JoinHandle<Snapshot> {
    let gate = Arc::clone(gate);
    rt.spawn(async move {
        gate.open.wait().await;
        let (descriptors, sockets) = descriptors(pid);
        let snapshot = Snapshot {
            at: Instant::now(),
            sockets,
            descriptors,
            rss: memory_kib(pid, "VmRSS"),
        };
        gate.measured.wait().await;
        snapshot
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// One SMTP session delivering the message `n` to pat; with a gate, opens (connect,
/// greeting, EHLO) with a permit from `opening` and then waits at the gate.
async fn deliver(
    addr: SocketAddr,
    n: usize,
    opening: &Semaphore,
    gate: Option<Arc<Gate>>,
) -> Result<(), String> {
    let opened = async {
        let _permit = opening.acquire().await.map_err(|e| e.to_string())?;
        let mut c = Client::connect(addr).await?;
        c.smtp_reply("220")
            .await
            .map_err(|e| format!("greeting: {e}"))?;
        c.smtp("EHLO load.example", "250")
            .await
            .map_err(|e| format!("ehlo: {e}"))?;
        Ok::<_, String>(c)
    }
    .await;
    // A failed session still passes the gate, so the others are not held up.
    if let Some(gate) = gate {
        gate.pass().await;
    }
    let mut c = opened?;
    c.smtp("MAIL FROM:<load@client.example>", "250").await?;
    c.smtp("RCPT TO:<pat@example.test>", "250").await?;
    c.smtp("DATA", "354").await?;
    c.send(&format!(
        "From: <load@client.example>\r\nSubject: load {n}\r\n\
         Message-ID: <load-{n}@load.test>\r\n\r\nMessage number {n}.\r\n.\r\n"
    ))
    .await?;
    c.smtp_reply("250").await?;
    c.smtp("QUIT", "221").await?;
    Ok(())
}

/// The Message-ID numbers of the messages in pat's INBOX.
fn delivered_numbers(server: &Postroom) -> Vec<usize> {
    server
        .inbox("pat")
        .iter()
        .filter_map(|text| {
            let start = text.find("Message-ID: <load-")? + "Message-ID: <load-".len();
            let end = start + text[start..].find('@')?;
            text[start..end].parse().ok()
        })
        .collect()
}

/// Panics with the first failures and the end of the server's log, if any failed.
fn assert_no_failures(failures: &[String], server: &Postroom) {
    if failures.is_empty() {
        return;
    }
    let log = server.log();
    let lines: Vec<&str> = log.lines().collect();
    panic!(
        "{} sessions failed, the first: {:?}\nthe end of the server's log:\n{}",
        failures.len(),
        &failures[..failures.len().min(10)],
        lines[lines.len().saturating_sub(40)..].join("\n")
    );
}

/// Runs `sessions` copies of `session` at once; returns the failures.
async fn run_all<F, Fut>(sessions: usize, session: F) -> Vec<String>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    let failures: Failures = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..sessions {
        let failures = Arc::clone(&failures);
        let session = session(n);
        tasks.spawn(async move {
            if let Err(e) = session.await {
                failures
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(format!("session {n}: {e}"));
            }
        });
    }
    let all = async { while tasks.join_next().await.is_some() {} };
    if tokio::time::timeout(TIME_LIMIT, all).await.is_err() {
        failures
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(format!("not finished within {TIME_LIMIT:?}"));
    }
    let failures = failures.lock().unwrap_or_else(PoisonError::into_inner);
    failures.clone()
}

#[test]
#[ignore = "load: 1000 SMTP / 5000 IMAP sessions"]
fn thousand_concurrent_smtp_sessions() {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    ensure_descriptors(2 * SMTP_SESSIONS as u64 + 1000);
    let mut server = installation(SMTP_SESSIONS);
    server.start();
    let pid = server_pid(&server.config);
    let idle = memory_kib(pid, "VmRSS");
    let began = Instant::now();
    let gate = Gate::new(SMTP_SESSIONS);
    let mx = server.mx;
    let rt = runtime();
    let watcher = watch(&rt, &gate, pid);
    let opening = Arc::new(Semaphore::new(OPENING_AT_ONCE));
    let failures = rt.block_on(run_all(SMTP_SESSIONS, |n| {
        let (opening, gate) = (Arc::clone(&opening), Arc::clone(&gate));
        async move { deliver(mx, n, &opening, Some(gate)).await }
    }));
    let elapsed = began.elapsed();
    assert_no_failures(&failures, &server);
    let open = rt.block_on(watcher).expect("watcher");
    let peak = memory_kib(pid, "VmHWM");
    let numbers: BTreeSet<usize> = delivered_numbers(&server).into_iter().collect();
    assert_eq!(
        numbers,
        (0..SMTP_SESSIONS).collect::<BTreeSet<_>>(),
        "every message delivered once"
    );
    assert_eq!(server.inbox("pat").len(), SMTP_SESSIONS);
    eprintln!(
        "{SMTP_SESSIONS} SMTP sessions: all open after {:?}, all delivered after {elapsed:?}; \
         server with all open: {} descriptors ({} sockets), VmRSS {} KiB; VmRSS idle {idle} \
         KiB, peak (VmHWM) {peak} KiB",
        open.at - began,
        open.descriptors,
        open.sockets,
        open.rss
    );
    assert!(
        open.sockets > SMTP_SESSIONS,
        "the server did not hold every session at once: {open:?}"
    );
    let limit = idle + SMTP_SESSIONS as u64 * RSS_PER_SESSION_KIB;
    assert!(peak < limit, "peak RSS {peak} KiB, more than {limit} KiB");
}

/// One IMAP session: login and select, wait for all others, then fetch and log out.
async fn imap_session(
    addr: SocketAddr,
    opening: Arc<Semaphore>,
    gate: Arc<Gate>,
) -> Result<(), String> {
    let opened = async {
        let _permit = opening.acquire().await.map_err(|e| e.to_string())?;
        let mut c = Client::connect(addr).await?;
        let greeting = c.line().await?;
        if !greeting.starts_with("* OK") {
            return Err(format!("greeting {greeting:?}"));
        }
        c.imap("a", &format!("LOGIN pat@example.test {PASSWORD}"))
            .await?;
        let select = c.imap("b", "SELECT INBOX").await?;
        let exists = format!("* {IMAP_MESSAGES} EXISTS");
        if !select.contains(&exists) {
            return Err(format!("SELECT: {select:?}"));
        }
        Ok(c)
    }
    .await;
    // A failed session still passes the gate, so the others are not held up.
    gate.pass().await;
    let mut c = opened?;
    let fetch = c.imap("c", "FETCH 1:* (UID FLAGS RFC822.SIZE)").await?;
    let fetched = fetch.iter().filter(|l| l.contains(" FETCH (")).count();
    if fetched != IMAP_MESSAGES {
        return Err(format!("FETCH: {fetch:?}"));
    }
    c.imap("d", "LOGOUT").await?;
    Ok(())
}

#[test]
#[ignore = "load: 1000 SMTP / 5000 IMAP sessions"]
fn five_thousand_concurrent_imap_sessions() {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    ensure_descriptors(2 * IMAP_SESSIONS as u64 + 1000);
    let mut server = installation(IMAP_SESSIONS);
    server.start();
    let rt = runtime();
    for n in 0..IMAP_MESSAGES {
        rt.block_on(deliver(server.mx, n, &Semaphore::new(1), None))
            .expect("deliver");
    }
    let pid = server_pid(&server.config);
    let idle = memory_kib(pid, "VmRSS");
    let began = Instant::now();
    let gate = Gate::new(IMAP_SESSIONS);
    let opening = Arc::new(Semaphore::new(OPENING_AT_ONCE));
    let imap = server.imap;
    let watcher = watch(&rt, &gate, pid);
    let failures = rt.block_on(run_all(IMAP_SESSIONS, |_| {
        imap_session(imap, Arc::clone(&opening), Arc::clone(&gate))
    }));
    let elapsed = began.elapsed();
    assert_no_failures(&failures, &server);
    let open = rt.block_on(watcher).expect("watcher");
    let peak = memory_kib(pid, "VmHWM");
    eprintln!(
        "{IMAP_SESSIONS} IMAP sessions: all logged in and selected after {:?}, all done after \
         {elapsed:?}; server with all open: {} descriptors ({} sockets), VmRSS {} KiB; VmRSS \
         idle {idle} KiB, peak (VmHWM) {peak} KiB",
        open.at - began,
        open.descriptors,
        open.sockets,
        open.rss
    );
    assert!(
        open.sockets > IMAP_SESSIONS,
        "the server did not hold every session at once: {open:?}"
    );
    let limit = idle + IMAP_SESSIONS as u64 * RSS_PER_SESSION_KIB;
    assert!(peak < limit, "peak RSS {peak} KiB, more than {limit} KiB");
    // The server still serves a new session normally afterwards.
    let after = rt.block_on(imap_session(
        imap,
        Arc::new(Semaphore::new(1)),
        Gate::new(0),
    ));
    assert_eq!(after, Ok(()));
}
