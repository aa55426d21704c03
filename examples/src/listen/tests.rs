//! The generic driver with a second protocol: a POP3 session that streams a large
//! message in chunks through [`Flow::Resume`], so the machine never holds it whole.

use std::time::Duration;

use pop3_proto::server::{Config, Event, MessageInfo, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;
use crate::shutdown::Shutdown;

const LINES: usize = 5000;
const LINE: &[u8] = b".dotted line of a large message\r\n";
const CHUNK: usize = 4096;

struct Pop3Test;

/// Streams the message `CHUNK` bytes per resume.
struct Pop3Session {
    message: Vec<u8>,
    sent: usize,
}

impl Service for Pop3Test {
    type Machine = Server;
    type Session = Pop3Session;

    fn open(&self, _peer: &Peer) -> (Server, Pop3Session) {
        let mut config = Config::new("pop.example.test");
        config.allow_plaintext_without_tls = true;
        let session = Pop3Session {
            message: LINE.repeat(LINES),
            sent: 0,
        };
        (Server::new(config, std::time::Instant::now()), session)
    }

    fn refusal(&self) -> Bytes {
        pop3::refusal()
    }
}

impl Pop3Session {
    fn stream_chunk(&mut self, machine: &mut Server) -> Flow {
        let end = (self.sent + CHUNK).min(self.message.len());
        machine
            .message_chunk(&self.message[self.sent..end])
            .unwrap();
        self.sent = end;
        if self.sent == self.message.len() {
            machine.message_end().unwrap();
            Flow::Done
        } else {
            Flow::Resume
        }
    }
}

impl Session<Server> for Pop3Session {
    async fn on_event(&mut self, machine: &mut Server, event: Event) -> Flow {
        match event {
            Event::Login { .. } => machine.accept_login().unwrap(),
            Event::OpenMaildrop { .. } => {
                let size = self.message.len() as u64;
                machine
                    .maildrop_ready(vec![MessageInfo::new(size, "uid-1")])
                    .unwrap();
            }
            Event::Retrieve { .. } => {
                self.sent = 0;
                return self.stream_chunk(machine);
            }
            Event::Update { .. } => machine.update_complete().unwrap(),
            _ => {}
        }
        Flow::Done
    }

    async fn resume(&mut self, machine: &mut Server) -> Flow {
        self.stream_chunk(machine)
    }
}

#[tokio::test]
async fn pop3_retr_streams_through_resume() {
    let (mut client, server_side) = tokio::io::duplex(8192);
    let (_trigger, shutdown) = Shutdown::new(Duration::from_secs(1));
    let shared = Shared {
        limiter: Limiter::new(ConnectionLimits::default()),
        tls: None,
        shutdown,
    };
    let peer = Peer {
        id: 9,
        listener: "pop3",
        remote: Some("127.0.0.1:1100".parse().unwrap()),
        implicit_tls: false,
    };
    let session = tokio::spawn(async move {
        run_connection(&Pop3Test, peer, Box::new(server_side), &shared).await;
    });
    client
        .write_all(b"USER pat\r\nPASS pw\r\nRETR 1\r\nQUIT\r\n")
        .await
        .unwrap();
    let mut out = Vec::new();
    timeout(Duration::from_secs(10), client.read_to_end(&mut out))
        .await
        .expect("the session ends after QUIT")
        .unwrap();
    session.await.unwrap();
    let text = String::from_utf8(out).unwrap();
    let stuffed = format!("..{}", std::str::from_utf8(&LINE[1..]).unwrap()).repeat(LINES);
    let expected = format!("+OK {} octets\r\n{stuffed}.\r\n", LINE.len() * LINES);
    assert!(text.contains(&expected), "{}", &text[..200.min(text.len())]);
    let tail = &text[text.len().saturating_sub(100)..];
    assert!(
        tail.ends_with(".\r\n+OK pop.example.test POP3 server signing off (1 messages left)\r\n"),
        "{tail}"
    );
}

/// A line machine for the update hook: `ping` gets `pong`, `quit` ends the session, and
/// the session can queue lines of its own.
#[derive(Default)]
struct LineMachine {
    out: std::collections::VecDeque<Output<()>>,
}

impl LineMachine {
    fn say(&mut self, line: &str) {
        self.out
            .push_back(Output::Transmit(Bytes::from(line.to_owned())));
    }
}

impl Machine for LineMachine {
    type Event = ();

    fn handle_input(&mut self, bytes: &[u8]) {
        for line in bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            match line {
                b"ping\r" => self.say("pong\r\n"),
                b"quit\r" => {
                    self.say("bye\r\n");
                    self.out.push_back(Output::Closed("quit"));
                }
                _ => self.say("what?\r\n"),
            }
        }
    }

    fn handle_timeout(&mut self, _now: std::time::Instant) {}

    fn poll_timeout(&self) -> Option<std::time::Instant> {
        None
    }

    fn poll_output(&mut self) -> Output<()> {
        self.out.pop_front().unwrap_or(Output::NeedInput)
    }

    fn awaiting_decision(&self) -> bool {
        false
    }

    fn tls_established(&mut self) {}

    fn close_for_shutdown(&mut self) {
        self.out.push_back(Output::Closed("shutdown"));
    }

    fn close_internal_error(&mut self) {
        self.out.push_back(Output::Closed("internal error"));
    }
}

/// Reports updates as `* version N` (a change it had not seen) or `* tick` (none).
struct WatchingSession {
    rx: Option<watch::Receiver<u64>>,
    /// Whether `on_update` marks the change as seen on its own receiver.
    marks_seen: bool,
    updates: usize,
}

impl Session<LineMachine> for WatchingSession {
    async fn on_event(&mut self, _machine: &mut LineMachine, _event: ()) -> Flow {
        Flow::Done
    }

    fn wait_update(&mut self) -> Option<watch::Receiver<u64>> {
        self.rx.clone()
    }

    async fn on_update(&mut self, machine: &mut LineMachine) {
        self.updates += 1;
        let rx = self.rx.as_mut().expect("on_update only with a channel");
        if !self.marks_seen {
            machine.say("* update\r\n");
        } else if rx.has_changed().unwrap_or(false) {
            machine.say(&format!("* version {}\r\n", *rx.borrow_and_update()));
        } else {
            machine.say("* tick\r\n");
        }
    }
}

/// Runs `session` on a driver with the given tick; returns the client end and the task
/// (which yields the session and the driver's result).
fn drive(
    mut session: WatchingSession,
    tick: Duration,
) -> (
    tokio::io::DuplexStream,
    tokio::task::JoinHandle<(WatchingSession, io::Result<&'static str>)>,
) {
    let (client, server_side) = tokio::io::duplex(4096);
    let (trigger, shutdown) = Shutdown::new(Duration::from_secs(1));
    let task = tokio::spawn(async move {
        let _trigger = trigger;
        let mut driver = Driver {
            stream: Box::new(server_side),
            tls: None,
            shutdown,
            grace_deadline: None,
            update_tick: tick,
        };
        let result = driver.run(&mut LineMachine::default(), &mut session).await;
        (session, result)
    });
    (client, task)
}

/// Reads one line, failing after 10 s (a hang, not a speed check).
async fn read_line(client: &mut tokio::io::DuplexStream) -> String {
    let mut line = Vec::new();
    let mut byte = [0; 1];
    while !line.ends_with(b"\n") {
        let n = timeout(Duration::from_secs(10), client.read(&mut byte))
            .await
            .expect("a line arrives")
            .unwrap();
        assert_eq!(n, 1, "closed after {line:?}");
        line.push(byte[0]);
    }
    String::from_utf8(line).unwrap()
}

const HOUR: Duration = Duration::from_secs(3600);

#[tokio::test]
async fn a_change_wakes_the_waiting_session_without_the_tick() {
    let (tx, rx) = watch::channel(0);
    let session = WatchingSession {
        rx: Some(rx),
        marks_seen: true,
        updates: 0,
    };
    // The tick is an hour away, so only the change can wake the driver.
    let (mut client, task) = drive(session, HOUR);
    client.write_all(b"ping\r\n").await.unwrap();
    assert_eq!(read_line(&mut client).await, "pong\r\n");
    tx.send(7).unwrap();
    assert_eq!(read_line(&mut client).await, "* version 7\r\n");
    tx.send(8).unwrap();
    assert_eq!(read_line(&mut client).await, "* version 8\r\n");
    client.write_all(b"quit\r\n").await.unwrap();
    assert_eq!(read_line(&mut client).await, "bye\r\n");
    let (session, result) = task.await.unwrap();
    assert_eq!(result.unwrap(), "quit");
    assert_eq!(session.updates, 2);
}

#[tokio::test]
async fn the_tick_polls_a_waiting_session_without_changes() {
    let (_tx, rx) = watch::channel(0);
    let session = WatchingSession {
        rx: Some(rx),
        marks_seen: true,
        updates: 0,
    };
    let (mut client, task) = drive(session, Duration::from_millis(20));
    assert_eq!(read_line(&mut client).await, "* tick\r\n");
    assert_eq!(read_line(&mut client).await, "* tick\r\n");
    client.write_all(b"quit\r\n").await.unwrap();
    let mut rest = Vec::new();
    client.read_to_end(&mut rest).await.unwrap();
    assert!(rest.ends_with(b"bye\r\n"), "{rest:?}");
    let (session, result) = task.await.unwrap();
    assert_eq!(result.unwrap(), "quit");
    assert!(session.updates >= 2);
}

#[tokio::test]
async fn one_change_is_reported_once_even_if_the_session_never_marks_it_seen() {
    let (tx, rx) = watch::channel(0);
    let session = WatchingSession {
        rx: Some(rx),
        marks_seen: false,
        updates: 0,
    };
    let (mut client, task) = drive(session, HOUR);
    tx.send(1).unwrap();
    assert_eq!(read_line(&mut client).await, "* update\r\n");
    // A dropped sender wakes the driver once more, then it waits on input alone.
    drop(tx);
    assert_eq!(read_line(&mut client).await, "* update\r\n");
    for _ in 0..3 {
        client.write_all(b"ping\r\n").await.unwrap();
        assert_eq!(read_line(&mut client).await, "pong\r\n");
    }
    client.write_all(b"quit\r\n").await.unwrap();
    assert_eq!(read_line(&mut client).await, "bye\r\n");
    let (session, result) = task.await.unwrap();
    assert_eq!(result.unwrap(), "quit");
    assert_eq!(session.updates, 2);
}

#[tokio::test]
async fn sessions_without_a_channel_are_never_woken_for_updates() {
    let session = WatchingSession {
        rx: None,
        marks_seen: true,
        updates: 0,
    };
    let (mut client, task) = drive(session, Duration::from_millis(1));
    for _ in 0..3 {
        client.write_all(b"ping\r\n").await.unwrap();
        assert_eq!(read_line(&mut client).await, "pong\r\n");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    client.write_all(b"quit\r\n").await.unwrap();
    let mut rest = Vec::new();
    client.read_to_end(&mut rest).await.unwrap();
    assert_eq!(rest, b"bye\r\n");
    let (session, result) = task.await.unwrap();
    assert_eq!(result.unwrap(), "quit");
    assert_eq!(session.updates, 0);
}

/// IMAP with COMPRESS through the real driver: LOGIN, then COMPRESS DEFLATE with a
/// compressed command already pipelined behind it (the `pending` bytes).
struct ImapTest;

struct ImapTestSession;

impl Service for ImapTest {
    type Machine = imap_proto::server::Server;
    type Session = ImapTestSession;

    fn open(&self, _peer: &Peer) -> (Self::Machine, ImapTestSession) {
        let mut config = imap_proto::server::Config::new();
        config.plaintext_auth = true;
        config.extensions = vec![imap_proto::types::Capability::CompressDeflate];
        let machine = imap_proto::server::Server::new(config, std::time::Instant::now());
        (machine, ImapTestSession)
    }

    fn refusal(&self) -> Bytes {
        imap::refusal()
    }
}

impl Session<imap_proto::server::Server> for ImapTestSession {
    async fn on_event(
        &mut self,
        machine: &mut imap_proto::server::Server,
        event: imap_proto::server::Event,
    ) -> Flow {
        use imap_proto::server::{Event as E, Status};
        match event {
            E::Compress { .. } => machine.accept_compression().unwrap(),
            E::Command(_) => machine.complete(Status::ok("done")).unwrap(),
            _ => {}
        }
        Flow::Done
    }
}

/// Raw DEFLATE with a sync flush after each part, as an IMAP client compresses.
struct ClientDeflate(flate2::Compress);

impl ClientDeflate {
    fn part(&mut self, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(data.len() + 64);
        self.0
            .compress_vec(data, &mut out, flate2::FlushCompress::Sync)
            .unwrap();
        out
    }
}

#[tokio::test]
async fn imap_compress_deflate_through_the_driver() {
    use std::io::Write;

    let (mut client, server_side) = tokio::io::duplex(8192);
    let (_trigger, shutdown) = Shutdown::new(Duration::from_secs(1));
    let shared = Shared {
        limiter: Limiter::new(ConnectionLimits::default()),
        tls: None,
        shutdown,
    };
    let peer = Peer {
        id: 11,
        listener: "imap",
        remote: Some("127.0.0.1:1143".parse().unwrap()),
        implicit_tls: false,
    };
    let task = tokio::spawn(async move {
        run_connection(&ImapTest, peer, Box::new(server_side), &shared).await;
    });
    let mut deflate = ClientDeflate(flate2::Compress::new(flate2::Compression::fast(), false));
    let mut first = b"a1 LOGIN joe secret\r\na2 COMPRESS DEFLATE\r\n".to_vec();
    first.extend(deflate.part(b"a3 NOOP\r\n"));
    client.write_all(&first).await.unwrap();

    // Everything up to the COMPRESS OK is plain; what follows is deflated.
    let mut raw = Vec::new();
    let marker: &[u8] = b"a2 OK DEFLATE active\r\n";
    let mut buf = [0; 4096];
    let split = loop {
        if let Some(at) = raw.windows(marker.len()).position(|w| w == marker) {
            break at + marker.len();
        }
        let n = timeout(Duration::from_secs(10), client.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert_ne!(n, 0, "{:?}", String::from_utf8_lossy(&raw));
        raw.extend_from_slice(&buf[..n]);
    };
    let plain = String::from_utf8(raw[..split].to_vec()).unwrap();
    assert!(plain.starts_with("* OK "), "{plain}");
    assert!(plain.contains("a1 OK "), "{plain}");

    let mut inflater = flate2::write::DeflateDecoder::new(Vec::new());
    inflater.write_all(&raw[split..]).unwrap();
    client
        .write_all(&deflate.part(b"a4 LOGOUT\r\n"))
        .await
        .unwrap();
    let mut rest = Vec::new();
    timeout(Duration::from_secs(10), client.read_to_end(&mut rest))
        .await
        .expect("the session ends after LOGOUT")
        .unwrap();
    inflater.write_all(&rest).unwrap();
    inflater.flush().unwrap();
    let text = String::from_utf8(inflater.get_ref().clone()).unwrap();
    assert_eq!(
        text,
        "a3 OK NOOP completed\r\n* BYE Logging out\r\na4 OK LOGOUT completed\r\n"
    );
    task.await.unwrap();
}

#[test]
fn imap_refusal_is_one_bye_line() {
    assert_eq!(
        &imap::refusal()[..],
        b"* BYE [UNAVAILABLE] Too many connections, try again later\r\n"
    );
}
