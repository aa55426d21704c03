//! `imap-idle`: the memory an idle IMAP connection costs a server.
//!
//! Opens N connections (default 5000) to an IMAP server, logs each in, SELECTs INBOX and
//! enters IDLE; reads the memory of the server's processes from `/proc` before and
//! after and prints the difference per connection. Then it watches the CPU time the
//! server uses while every connection idles, and closes them all.
//!
//! ```text
//! imap-idle --addr 127.0.0.1:1143 --user demo@example.test --password PW --pid 1234
//!           [--connections 5000] [--parallel 100] [--limit-secs 600] [--settle-secs 5]
//!           [--warmup 100]
//! ```
//!
//! The warm-up connections go through the same steps and are closed before the first
//! reading, so one-time costs (the user's Maildir opened, password hashing buffers the
//! allocator keeps, thread stacks of blocking pools) are not charged to the idle ones.
//!
//! `--pid` may be given several times; each pid counts with all its descendants, so a
//! Dovecot master pid covers its login and `imap` processes. RSS is summed over the
//! processes (shared pages count once per process), PSS (from `smaps_rollup`) divides
//! shared pages between them: PSS is the fair sum when one process serves each
//! connection.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

use postroom_benches::load::procmem::{Usage, usage};

/// The command-line arguments.
#[derive(Debug, Clone)]
struct Args {
    addr: SocketAddr,
    user: String,
    password: String,
    pids: Vec<u32>,
    connections: usize,
    parallel: usize,
    limit: Duration,
    settle: Duration,
    warmup: usize,
}

const USAGE: &str = "usage: imap-idle --addr HOST:PORT --user USER --password PW --pid PID \
                     [--pid PID ...] [--connections N] [--parallel N] [--limit-secs S] \
                     [--settle-secs S] [--warmup N]";

fn parse_args(mut raw: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut addr = None;
    let mut user = None;
    let mut password = None;
    let mut pids = Vec::new();
    let mut connections = 5000;
    let mut parallel = 100;
    let mut limit = 600;
    let mut settle = 5;
    let mut warmup = 100;
    while let Some(flag) = raw.next() {
        let value = raw.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || {
            value
                .parse::<u64>()
                .map_err(|e| format!("{flag} {value}: {e}"))
        };
        match flag.as_str() {
            "--addr" => addr = Some(value.parse().map_err(|e| format!("--addr {value}: {e}"))?),
            "--user" => user = Some(value),
            "--password" => password = Some(value),
            "--pid" => pids.push(u32::try_from(number()?).map_err(|e| e.to_string())?),
            "--connections" => {
                connections = usize::try_from(number()?).map_err(|e| e.to_string())?
            }
            "--parallel" => parallel = usize::try_from(number()?).map_err(|e| e.to_string())?,
            "--limit-secs" => limit = number()?,
            "--settle-secs" => settle = number()?,
            "--warmup" => warmup = usize::try_from(number()?).map_err(|e| e.to_string())?,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if pids.is_empty() {
        return Err("--pid is required".to_owned());
    }
    Ok(Args {
        addr: addr.ok_or("--addr is required")?,
        user: user.ok_or("--user is required")?,
        password: password.ok_or("--password is required")?,
        pids,
        connections,
        parallel: parallel.max(1),
        limit: Duration::from_secs(limit),
        settle: Duration::from_secs(settle),
        warmup,
    })
}

/// An error of one connection, with the step it failed at.
#[derive(Debug)]
struct Failed(String);

type Reader = BufReader<TcpStream>;

/// Reads lines until one starts with `prefix`; fails on a tagged NO/BAD or on EOF.
async fn expect(stream: &mut Reader, prefix: &str) -> Result<(), Failed> {
    let mut line = String::new();
    for _ in 0..1000 {
        line.clear();
        let n = stream
            .read_line(&mut line)
            .await
            .map_err(|e| Failed(format!("waiting for {prefix}: {e}")))?;
        if n == 0 {
            return Err(Failed(format!("closed while waiting for {prefix}")));
        }
        if line.starts_with(prefix) {
            return Ok(());
        }
        if !line.starts_with('*') {
            return Err(Failed(format!("waiting for {prefix}: {}", line.trim_end())));
        }
        if line.starts_with("* BYE") {
            return Err(Failed(line.trim_end().to_owned()));
        }
    }
    Err(Failed(format!("no {prefix} after 1000 lines")))
}

/// One connection, logged in, INBOX selected, in IDLE.
async fn idle_connection(args: &Args) -> Result<Reader, Failed> {
    let tcp = TcpStream::connect(args.addr)
        .await
        .map_err(|e| Failed(format!("connect: {e}")))?;
    let mut stream = BufReader::new(tcp);
    expect(&mut stream, "* OK").await?;
    let quote = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    let commands = format!(
        "a LOGIN \"{}\" \"{}\"\r\n",
        quote(&args.user),
        quote(&args.password)
    );
    send(&mut stream, &commands).await?;
    expect(&mut stream, "a OK").await?;
    send(&mut stream, "b SELECT INBOX\r\n").await?;
    expect(&mut stream, "b OK").await?;
    send(&mut stream, "c IDLE\r\n").await?;
    expect(&mut stream, "+").await?;
    Ok(stream)
}

async fn send(stream: &mut Reader, text: &str) -> Result<(), Failed> {
    stream
        .get_mut()
        .write_all(text.as_bytes())
        .await
        .map_err(|e| Failed(format!("send: {e}")))
}

fn per_connection(before: u64, after: u64, connections: usize) -> f64 {
    let grown = after.saturating_sub(before) as f64;
    grown / connections.max(1) as f64
}

fn print_usage(label: &str, u: &Usage) {
    println!(
        "{label}: {} process(es), RSS {} KiB, PSS {} KiB",
        u.processes, u.rss_kib, u.pss_kib
    );
}

/// Opens `count` idle connections, at most `args.parallel` being set up at once, within
/// `args.limit`; returns the open ones and the reasons of the failed ones.
async fn open_idle(args: &Args, count: usize) -> Result<(Vec<Reader>, Vec<String>), String> {
    let gate = Arc::new(Semaphore::new(args.parallel));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..count {
        let gate = Arc::clone(&gate);
        let args = args.clone();
        tasks.spawn(async move {
            let _permit = gate
                .acquire_owned()
                .await
                .map_err(|e| Failed(e.to_string()))?;
            idle_connection(&args).await
        });
    }
    let mut open = Vec::with_capacity(count);
    let mut failures = Vec::new();
    let collected = tokio::time::timeout(args.limit, async {
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(Ok(stream)) => open.push(stream),
                Ok(Err(Failed(why))) => failures.push(why),
                Err(e) => failures.push(e.to_string()),
            }
        }
    })
    .await;
    if collected.is_err() {
        tasks.abort_all();
        return Err(format!(
            "only {} of {count} connections idle after {:?}",
            open.len(),
            args.limit
        ));
    }
    Ok((open, failures))
}

async fn run(args: Args) -> Result<(), String> {
    if usage(&args.pids).processes == 0 {
        return Err(format!("no process {:?}", args.pids));
    }
    if args.warmup > 0 {
        let (warm, failed) = open_idle(&args, args.warmup).await?;
        println!(
            "warm-up: {} connections idle, {} failed",
            warm.len(),
            failed.len()
        );
        drop(warm);
        tokio::time::sleep(args.settle).await;
    }
    let before = usage(&args.pids);
    print_usage("before", &before);
    let started = Instant::now();
    let (open, failures) = open_idle(&args, args.connections).await?;
    let ramp = started.elapsed();
    println!(
        "{} connections idle in {:.1} s ({} failed)",
        open.len(),
        ramp.as_secs_f64(),
        failures.len()
    );
    if let Some(first) = failures.first() {
        println!("first failure: {first}");
    }
    tokio::time::sleep(args.settle).await;
    let after = usage(&args.pids);
    print_usage("after", &after);
    // CPU used while everything idles, over the next ten seconds.
    let window = Duration::from_secs(10);
    let cpu_start = usage(&args.pids).cpu_ticks;
    tokio::time::sleep(window).await;
    let idle_cpu = usage(&args.pids).cpu_ticks.saturating_sub(cpu_start);
    let n = open.len();
    println!(
        "per idle connection: RSS {:.1} KiB, PSS {:.1} KiB",
        per_connection(before.rss_kib, after.rss_kib, n),
        per_connection(before.pss_kib, after.pss_kib, n)
    );
    // Linux reports CPU time in ticks of 1/100 s (USER_HZ).
    println!(
        "server CPU while idle: {:.2} s over {} s ({:.1} %)",
        idle_cpu as f64 / 100.0,
        window.as_secs(),
        idle_cpu as f64 / window.as_secs_f64()
    );
    let alive = end_idle(open, args.limit).await;
    println!("still open at the end (IDLE ended with DONE, tagged OK): {alive} of {n}");
    if failures.is_empty() && alive == n {
        Ok(())
    } else {
        Err(format!(
            "{} connections failed to start, {} were lost while idle",
            failures.len(),
            n - alive
        ))
    }
}

/// Ends IDLE on every connection; returns how many answered `c OK` (so were still
/// open and served during the measurement).
async fn end_idle(open: Vec<Reader>, limit: Duration) -> usize {
    let mut tasks = tokio::task::JoinSet::new();
    for mut stream in open {
        tasks.spawn(async move {
            send(&mut stream, "DONE\r\n").await?;
            expect(&mut stream, "c OK").await
        });
    }
    let mut alive = 0;
    let counted = tokio::time::timeout(limit, async {
        while let Some(joined) = tasks.join_next().await {
            if matches!(joined, Ok(Ok(()))) {
                alive += 1;
            }
        }
    })
    .await;
    if counted.is_err() {
        tasks.abort_all();
    }
    alive
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(why) => {
            eprintln!("{why}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("tokio: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(why) => {
            eprintln!("imap-idle: {why}");
            ExitCode::FAILURE
        }
    }
}
