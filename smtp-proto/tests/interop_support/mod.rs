//! Shared helpers of the interop tests: the sink example served on a 127.0.0.1 port,
//! child processes with deadlines, reading the messages the sink stored, and a small
//! async driver for the client state machine.
#![allow(dead_code, unreachable_pub)]

#[path = "../../examples/sink.rs"]
pub mod sink;

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use smtp_proto::client::{self, Client, Envelope, TransactionResult};
use smtp_proto::server::Config;
use tempfile::TempDir;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// A sink serving on a free 127.0.0.1 port from a background thread (which ends with
/// the test process), storing messages in `dir`.
pub struct RunningSink {
    pub addr: SocketAddr,
    pub dir: TempDir,
}

pub fn start_sink(config: Config) -> RunningSink {
    let dir = tempfile::tempdir().expect("temp dir");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.set_nonblocking(true).expect("non-blocking");
    let addr = listener.local_addr().expect("local address");
    let tls = sink::tls_acceptor(None, "localhost").expect("self-signed certificate");
    let sink = sink::Sink::new(config, dir.path().to_owned(), tls).expect("sink");
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            sink.serve(listener).await
        })
    });
    RunningSink { addr, dir }
}

/// What a child process printed.
#[derive(Debug)]
pub struct Finished {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `command` with `stdin` as its input, killing it after `limit`.
pub fn run(command: &mut Command, stdin: &[u8], limit: Duration) -> Finished {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
    let mut input = child.stdin.take().expect("stdin");
    let stdin = stdin.to_vec();
    let writer = std::thread::spawn(move || input.write_all(&stdin));
    let reader = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = pipe.read_to_end(&mut text);
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let stdout = reader(Box::new(child.stdout.take().expect("stdout")));
    let stderr = reader(Box::new(child.stderr.take().expect("stderr")));
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = writer.join();
    let finished = Finished {
        success: status.is_some_and(|s| s.success()),
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
    };
    assert!(status.is_some(), "{command:?} timed out: {finished:?}");
    finished
}

/// A child process killed when dropped (servers run by a test).
pub struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The stored messages `(n, bytes)` in `dir`, sorted by number.
pub fn messages(dir: &Path) -> Vec<(u64, Vec<u8>)> {
    let mut found: Vec<(u64, Vec<u8>)> = std::fs::read_dir(dir)
        .expect("read dir")
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let n = path
                .file_name()?
                .to_str()?
                .strip_suffix(".eml")?
                .parse()
                .ok()?;
            Some((n, std::fs::read(&path).ok()?))
        })
        .collect();
    found.sort();
    found
}

/// Waits (bounded) until `dir` holds `count` messages, and returns them.
pub fn wait_for_messages(dir: &Path, count: usize) -> Vec<(u64, Vec<u8>)> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let found = messages(dir);
        if found.len() >= count || Instant::now() > deadline {
            return found;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Splits a stored message into its `Received:` header (unfolded) and the rest.
pub fn split_received(message: &[u8]) -> (String, &[u8]) {
    assert!(
        message.starts_with(b"Received: "),
        "no Received header first"
    );
    let mut end = 0;
    while let Some(lf) = message[end..].iter().position(|&b| b == b'\n') {
        end += lf + 1;
        if !matches!(message.get(end), Some(b' ' | b'\t')) {
            break;
        }
    }
    let header = String::from_utf8_lossy(&message[..end]);
    let unfolded = header.replace("\r\n\t", " ").trim_end().to_owned();
    (unfolded, &message[end..])
}

/// Where cargo put the examples of this package (built by `cargo test`).
pub fn example_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let path = exe
        .parent()
        .and_then(Path::parent)
        .expect("target dir")
        .join("examples")
        .join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo test` without a --test filter, or build it with \
         `cargo build --example {name} --features tokio`",
        path.display()
    );
    path
}

/// Checks one message as smtp-source generates it: its own headers, an empty line, then
/// `length` octets of payload in 80-octet lines (78 characters and CRLF: a line number
/// digit, then X's), the last line being the rest, and a final CRLF it adds.
pub fn check_smtp_source_message(message: &[u8], length: usize) {
    let text = std::str::from_utf8(message).expect("ASCII");
    let (headers, body) = text.split_once("\r\n\r\n").expect("header/body separator");
    let names: Vec<&str> = headers
        .split("\r\n")
        .map(|h| h.split_once(':').expect("header field").0)
        .collect();
    assert_eq!(names, ["From", "To", "Date", "Message-Id"], "{headers}");
    assert_eq!(body.len(), length + 2, "body length");
    let lines: Vec<&str> = body
        .strip_suffix("\r\n")
        .expect("CRLF")
        .split("\r\n")
        .collect();
    assert_eq!(lines.len(), length.div_ceil(80), "line count");
    for (i, line) in lines.iter().enumerate() {
        let xs = line.trim_start_matches(|c: char| c.is_ascii_digit());
        assert!(line.len() - xs.len() <= 1, "{line:?}");
        assert!(xs.bytes().all(|b| b == b'X'), "{line:?}");
        if i + 1 < lines.len() {
            assert_eq!(line.len(), 78, "{line:?}");
        }
    }
}

/// What the client should do whenever it is ready.
pub enum Step {
    Send(Envelope<'static>, Vec<u8>),
    Rset,
}

/// Drives `client` over `stream`: performs `steps` in order, then QUIT. Returns every
/// transaction result, and panics on any client error or after 30 s without progress.
pub async fn run_client<S>(
    stream: &mut S,
    client: &mut Client,
    steps: Vec<Step>,
) -> Vec<TransactionResult>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut steps = steps.into_iter();
    let mut body = Vec::new();
    let mut results = Vec::new();
    let mut buf = vec![0; 8192];
    loop {
        client.handle_timeout(Instant::now());
        loop {
            match client.poll_output() {
                client::Output::Transmit(bytes) => stream.write_all(&bytes).await.expect("write"),
                client::Output::Event(event) => match event {
                    client::Event::Ready { .. } | client::Event::Reset(_) => {
                        next_step(client, &mut steps, &mut body);
                    }
                    client::Event::TransactionComplete(result) => {
                        results.push(result);
                        next_step(client, &mut steps, &mut body);
                    }
                    client::Event::SendBody => {
                        // Odd-sized chunks, so that stuffing crosses chunk boundaries.
                        for chunk in body.chunks(777) {
                            client.send_body_chunk(chunk).expect("body chunk");
                        }
                        client.end_body().expect("end of body");
                    }
                    client::Event::Closed => return results,
                    client::Event::Error(e) => panic!("client error: {e}"),
                    client::Event::MessageRefused(e) => panic!("message refused: {e}"),
                    _ => {}
                },
                client::Output::NeedInput => break,
            }
        }
        stream.flush().await.expect("flush");
        let read = tokio::time::timeout(Duration::from_secs(30), stream.read(&mut buf));
        let n = read.await.expect("server answers in time").expect("read");
        assert!(n > 0, "server closed the connection early");
        client.handle_input(&buf[..n]);
    }
}

fn next_step(client: &mut Client, steps: &mut impl Iterator<Item = Step>, body: &mut Vec<u8>) {
    match steps.next() {
        Some(Step::Send(envelope, bytes)) => {
            *body = bytes;
            client.send_mail(&envelope).expect("send_mail");
        }
        Some(Step::Rset) => client.rset().expect("rset"),
        None => client.quit().expect("quit"),
    }
}
