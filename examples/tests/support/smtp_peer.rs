//! A scripted remote SMTP server on 127.0.0.1 for queue tests: it answers RCPT and the
//! end of the data as told (a 4xx first and a 250 next, a 5xx, a slow 250), and records
//! every message it received and which of them it accepted. No TLS, no PIPELINING.
//! Stopped (its accept loop ends, its sessions time out) when dropped.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// How the peer answers.
#[derive(Clone, Copy)]
pub(crate) struct Script {
    /// The reply to every RCPT TO.
    pub(crate) rcpt: &'static str,
    /// The reply after the data of the `n`-th message (from 0, over all connections).
    pub(crate) data: fn(usize) -> &'static str,
    /// How long to wait before the reply after the data.
    pub(crate) delay: Duration,
}

impl Default for Script {
    fn default() -> Self {
        Self {
            rcpt: "250 2.1.5 Ok",
            data: |_| "250 2.0.0 Ok: queued",
            delay: Duration::ZERO,
        }
    }
}

/// What the peer saw.
#[derive(Default)]
struct Seen {
    /// Every message whose data ended, un-dot-stuffed, CRLF line ends.
    received: Vec<String>,
    /// The messages answered with a 2xx, in order.
    accepted: Vec<String>,
    /// Every RCPT TO line.
    rcpts: Vec<String>,
}

/// A running scripted peer.
pub(crate) struct SmtpPeer {
    /// Where it listens.
    pub(crate) addr: SocketAddr,
    seen: Arc<Mutex<Seen>>,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl SmtpPeer {
    /// Listens on 127.0.0.1:`port` and answers by `script`.
    pub(crate) fn start(port: u16, script: Script) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind the peer");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("address");
        let seen = Arc::new(Mutex::new(Seen::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let counter = Arc::new(AtomicUsize::new(0));
        let accept = {
            let (seen, stop) = (Arc::clone(&seen), Arc::clone(&stop));
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            let session = Session {
                                script,
                                seen: Arc::clone(&seen),
                                counter: Arc::clone(&counter),
                                stop: Arc::clone(&stop),
                            };
                            std::thread::spawn(move || session.run(stream));
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(10)),
                    }
                }
            })
        };
        Self {
            addr,
            seen,
            stop,
            accept: Some(accept),
        }
    }

    /// The messages received so far (accepted or not).
    pub(crate) fn received(&self) -> Vec<String> {
        self.seen.lock().unwrap().received.clone()
    }

    /// The messages accepted (answered 2xx) so far.
    pub(crate) fn accepted(&self) -> Vec<String> {
        self.seen.lock().unwrap().accepted.clone()
    }

    /// The RCPT TO lines so far.
    pub(crate) fn rcpts(&self) -> Vec<String> {
        self.seen.lock().unwrap().rcpts.clone()
    }
}

impl Drop for SmtpPeer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

struct Session {
    script: Script,
    seen: Arc<Mutex<Seen>>,
    counter: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Session {
    fn run(self, stream: TcpStream) {
        let _ = stream.set_nonblocking(false);
        let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
        let Ok(mut writer) = stream.try_clone() else {
            return;
        };
        let mut reader = BufReader::new(stream);
        let mut say = |text: &str| writer.write_all(format!("{text}\r\n").as_bytes()).is_ok();
        if !say("220 remote.test ESMTP scripted") {
            return;
        }
        let mut rcpt_ok = false;
        loop {
            let Some(line) = read_line(&mut reader) else {
                return;
            };
            let verb = line
                .split(' ')
                .next()
                .unwrap_or_default()
                .to_ascii_uppercase();
            let ok = match verb.as_str() {
                "EHLO" => say("250-remote.test\r\n250-8BITMIME\r\n250 SIZE 100000000"),
                "HELO" | "NOOP" => say("250 2.0.0 Ok"),
                "RSET" => {
                    rcpt_ok = false;
                    say("250 2.0.0 Ok")
                }
                "MAIL" => {
                    rcpt_ok = false;
                    say("250 2.1.0 Ok")
                }
                "RCPT" => {
                    self.seen.lock().unwrap().rcpts.push(line.clone());
                    rcpt_ok |= self.script.rcpt.starts_with('2');
                    say(self.script.rcpt)
                }
                "DATA" if !rcpt_ok => say("554 5.5.1 Error: no valid recipients"),
                "DATA" => {
                    if !say("354 End data with <CR><LF>.<CR><LF>") {
                        return;
                    }
                    let Some(message) = read_data(&mut reader) else {
                        return;
                    };
                    let n = self.counter.fetch_add(1, Ordering::SeqCst);
                    let reply = (self.script.data)(n);
                    std::thread::sleep(self.script.delay);
                    if self.stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let mut seen = self.seen.lock().unwrap();
                    seen.received.push(message.clone());
                    if reply.starts_with('2') {
                        seen.accepted.push(message);
                    }
                    drop(seen);
                    rcpt_ok = false;
                    say(reply)
                }
                "QUIT" => {
                    let _ = say("221 2.0.0 Bye");
                    return;
                }
                _ => say("502 5.5.2 Error: command not recognized"),
            };
            if !ok {
                return;
            }
        }
    }
}

/// One line without its CRLF; `None` at the end of the stream or on a timeout.
fn read_line(reader: &mut BufReader<TcpStream>) -> Option<String> {
    let mut line = String::new();
    match reader.read_line(&mut line) {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(line.trim_end_matches(['\r', '\n']).to_owned()),
    }
}

/// The data up to the lone dot, un-dot-stuffed, with CRLF line ends.
fn read_data(reader: &mut BufReader<TcpStream>) -> Option<String> {
    let mut message = String::new();
    loop {
        let line = read_line(reader)?;
        if line == "." {
            return Some(message);
        }
        let line = line.strip_prefix('.').unwrap_or(&line);
        message.push_str(line);
        message.push_str("\r\n");
    }
}
