//! COMPRESS=DEFLATE (RFC 4978) in the client: accepted (later commands wait for the OK),
//! refused with NO or BAD, misuse errors, server bytes after the OK handed back as
//! compressed data (real deflate, split at every byte), and our client against our
//! server with a real deflate layer on both sides.

mod client_support;

use std::time::Instant;

use bytes::Bytes;
use client_support::*;
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};
use imap_proto::client::{Client, ClientError, Config, Event, Output};
use imap_proto::server::{self, Server, Status};
use imap_proto::types::{
    AString, Capability, CommandBody, Mailbox, Secret, SelectParams, StatusKind, Untagged,
};

const GREETING_PLAIN: &[u8] = b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] hi\r\n";
const LOGIN_OK: &[u8] = b"A1 OK [CAPABILITY IMAP4rev1 COMPRESS=DEFLATE] in\r\n";

fn login() -> CommandBody<'static> {
    CommandBody::Login {
        username: AString::text("alice").unwrap(),
        password: Secret(AString::text("pw").unwrap()),
    }
}

fn select() -> CommandBody<'static> {
    CommandBody::Select {
        mailbox: Mailbox::INBOX,
        params: SelectParams::default(),
    }
}

fn start(pending: &'static [u8]) -> Out {
    ev(Event::StartCompression {
        pending: Bytes::from_static(pending),
    })
}

/// Greeting, LOGIN and its OK (which announces COMPRESS=DEFLATE).
fn logged_in(rest: Vec<Step>) -> Vec<Step> {
    let mut steps = vec![
        server(GREETING_PLAIN),
        app(|c| c.command(login())),
        server(LOGIN_OK),
    ];
    steps.extend(rest);
    steps
}

/// What `logged_in` produces.
fn logged_in_log(rest: Vec<Out>) -> Vec<Out> {
    let (_, greeting) = imap_proto::codec::decode_greeting(GREETING_PLAIN).unwrap();
    let caps = |names: &[&str]| {
        ev(Event::Capabilities(
            names
                .iter()
                .map(|n| Capability::parse((*n).to_owned()).unwrap())
                .collect(),
        ))
    };
    let mut log = vec![
        ev(Event::Greeting(greeting.into_owned())),
        caps(&["IMAP4rev1", "AUTH=PLAIN"]),
        sent("A1 LOGIN alice pw\r\n"),
        completed(LOGIN_OK),
        caps(&["IMAP4rev1", "COMPRESS=DEFLATE"]),
    ];
    log.extend(rest);
    log
}

#[test]
fn accepted_and_later_commands_wait_for_the_ok() {
    let log = session(
        &Config::default(),
        &logged_in(vec![
            app(|c| c.command(CommandBody::Noop)),
            app(Client::compress),
            app(|c| c.command(select())),
            server(b"A2 OK done\r\n"),
            server(b"A3 OK DEFLATE active\r\n"),
            server(b"A4 OK [READ-WRITE] selected\r\n"),
        ]),
    );
    assert_eq!(
        log,
        logged_in_log(vec![
            sent("A2 NOOP\r\n"),
            // COMPRESS waits for NOOP, SELECT for COMPRESS.
            completed(b"A2 OK done\r\n"),
            sent("A3 COMPRESS DEFLATE\r\n"),
            completed(b"A3 OK DEFLATE active\r\n"),
            start(b""),
            sent("A4 SELECT INBOX\r\n"),
            completed(b"A4 OK [READ-WRITE] selected\r\n"),
        ])
    );
}

#[test]
fn refused_with_no_or_bad_stays_plain() {
    for reply in [
        &b"A2 NO [COMPRESSIONACTIVE] TLS compresses\r\n"[..],
        &b"A2 BAD unknown command\r\n"[..],
    ] {
        let log = session(
            &Config::default(),
            &logged_in(vec![
                app(Client::compress),
                app(|c| c.command(CommandBody::Noop)),
                server(reply),
                // Refused: asking again is allowed (sent once NOOP completed).
                app(Client::compress),
                server(b"A3 OK done\r\n"),
            ]),
        );
        assert_eq!(
            log,
            logged_in_log(vec![
                sent("A2 COMPRESS DEFLATE\r\n"),
                completed(reply),
                sent("A3 NOOP\r\n"),
                completed(b"A3 OK done\r\n"),
                sent("A4 COMPRESS DEFLATE\r\n"),
            ])
        );
    }
    let mut h = Harness::new(&Config::default());
    for step in logged_in(vec![app(Client::compress), server(b"A2 NO not now\r\n")]) {
        match step {
            Step::Server(bytes) => h.input(&bytes),
            Step::App(call) => h.call(|c| call(c)),
            Step::Advance(_) => {}
        }
    }
    assert!(!h.client.is_compressed());
}

#[test]
fn misuse_is_refused() {
    let invalid = |reason| {
        Err(ClientError::InvalidState {
            operation: "compress",
            reason,
        })
    };
    let mut h = Harness::new(&Config::default());
    assert_eq!(
        h.client.compress(),
        invalid("the server's capabilities are not known yet")
    );
    h.input(GREETING_PLAIN);
    assert_eq!(
        h.client.compress(),
        invalid("the server does not offer COMPRESS=DEFLATE")
    );
    h.call(|c| c.command(login()));
    h.input(LOGIN_OK);
    h.call(Client::compress);
    assert_eq!(
        h.client.compress(),
        invalid("COMPRESS was already requested")
    );
    assert_eq!(
        h.client.command(CommandBody::CompressDeflate),
        invalid("COMPRESS was already requested")
    );
    h.input(b"A2 OK go\r\n");
    assert!(h.client.is_compressed());
    assert_eq!(h.client.compress(), invalid("compression is active"));
}

// --- a real deflate layer ---

/// Raw deflate of `data`, ending with a sync flush (as RFC 4978 asks for each write).
fn deflate(c: &mut Compress, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 64);
    let start = c.total_in();
    loop {
        out.reserve(256);
        let done = usize::try_from(c.total_in() - start).unwrap();
        c.compress_vec(&data[done..], &mut out, FlushCompress::Sync)
            .unwrap();
        let done = usize::try_from(c.total_in() - start).unwrap();
        if done == data.len() && out.len() < out.capacity() {
            return out;
        }
    }
}

/// Everything `data` inflates to (the stream may end anywhere).
fn inflate(d: &mut Decompress, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() * 4 + 64);
    let start = d.total_in();
    loop {
        out.reserve(1024);
        d.decompress_vec(
            &data[usize::try_from(d.total_in() - start).unwrap()..],
            &mut out,
            FlushDecompress::None,
        )
        .unwrap();
        let done = usize::try_from(d.total_in() - start).unwrap();
        if done == data.len() && out.len() < out.capacity() {
            return out;
        }
    }
}

/// Both directions of one endpoint's deflate layer.
struct Layer {
    deflate: Compress,
    inflate: Decompress,
}

impl Layer {
    fn new() -> Self {
        Self {
            deflate: Compress::new(Compression::default(), false),
            inflate: Decompress::new(false),
        }
    }
}

/// The client side of a connection with an application that runs the deflate layer.
struct Driver {
    client: Client,
    /// The client's layer, and the server's inflater that reads what it deflates.
    layer: Option<(Layer, Decompress)>,
    events: Vec<Event>,
    /// What the client sent, as the server reads it (inflated once compressed).
    sent: Vec<u8>,
    pending: Vec<u8>,
}

impl Driver {
    /// Greeted, logged in, COMPRESS sent and NOOP queued behind it.
    fn new() -> Self {
        let mut d = Self {
            client: Client::new(Config::default(), Instant::now()),
            layer: None,
            events: Vec::new(),
            sent: Vec::new(),
            pending: Vec::new(),
        };
        d.input(GREETING_PLAIN);
        d.client.command(login()).unwrap();
        d.drain();
        d.input(LOGIN_OK);
        d.client.compress().unwrap();
        d.client.command(CommandBody::Noop).unwrap();
        d.drain();
        d
    }

    /// Bytes read from the server.
    fn input(&mut self, wire: &[u8]) {
        let plain = match &mut self.layer {
            Some((l, _)) => inflate(&mut l.inflate, wire),
            None => wire.to_vec(),
        };
        self.client.handle_input(&plain);
        self.drain();
    }

    fn drain(&mut self) {
        loop {
            match self.client.poll_output() {
                Output::Transmit(b) => match &mut self.layer {
                    Some((l, server_side)) => {
                        let wire = deflate(&mut l.deflate, &b);
                        self.sent.extend(inflate(server_side, &wire));
                    }
                    None => self.sent.extend_from_slice(&b),
                },
                Output::Event(Event::StartCompression { pending }) => {
                    self.pending = pending.to_vec();
                    self.events.push(Event::StartCompression {
                        pending: Bytes::new(),
                    });
                    self.layer = Some((Layer::new(), Decompress::new(false)));
                    self.input(&pending);
                }
                Output::Event(e) => self.events.push(e),
                Output::NeedInput => return,
            }
        }
    }
}

/// The server's OK for COMPRESS and compressed updates arrive in one read (or split
/// anywhere): the bytes after the OK are never parsed as plain text.
#[test]
fn bytes_after_the_ok_are_handed_back_compressed() {
    let mut wire = GREETING_PLAIN.to_vec();
    wire.extend_from_slice(LOGIN_OK);
    let prelude = wire.len();
    wire.extend_from_slice(b"* 4 EXISTS\r\nA2 OK DEFLATE active\r\n");
    let plain_end = wire.len();
    let mut server_deflate = Compress::new(Compression::default(), false);
    wire.extend(deflate(&mut server_deflate, b"* 5 EXISTS\r\n"));
    wire.extend(deflate(&mut server_deflate, b"* OK [ALERT] compressed\r\n"));

    let run = |chunks: &[&[u8]]| {
        let mut d = Driver::new();
        for chunk in chunks {
            d.input(chunk);
        }
        d
    };
    let whole = run(&[&wire[prelude..]]);
    assert_eq!(whole.pending, wire[plain_end..]);
    assert_eq!(
        whole.sent,
        b"A1 LOGIN alice pw\r\nA2 COMPRESS DEFLATE\r\nA3 NOOP\r\n"
    );
    let exists: Vec<u32> = whole
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Untagged(Untagged::Exists(n)) => Some(*n),
            _ => None,
        })
        .collect();
    assert_eq!(exists, [4, 5]);
    assert!(matches!(
        whole.events.last(),
        Some(Event::Untagged(Untagged::Condition { .. }))
    ));
    assert!(!whole.events.iter().any(|e| matches!(e, Event::Error(_))));
    assert!(whole.client.is_compressed());

    for at in prelude..=wire.len() {
        let d = run(&[&wire[prelude..at], &wire[at..]]);
        assert_eq!(d.events, whole.events, "split at {at}");
        assert_eq!(d.sent, whole.sent, "split at {at}");
        let read_end = if at >= plain_end { at } else { wire.len() };
        assert_eq!(d.pending, wire[plain_end..read_end], "split at {at}");
    }
}

// --- our client against our server, both compressing ---

struct Pair {
    client: Client,
    server: Server,
    client_layer: Option<Layer>,
    server_layer: Option<Layer>,
    events: Vec<Event>,
    /// Bytes on the wire each way after the switch.
    to_server: Vec<u8>,
    to_client: Vec<u8>,
}

impl Pair {
    fn new() -> Self {
        let now = Instant::now();
        let mut config = server::Config::new();
        config.plaintext_auth = true;
        config.extensions.push(Capability::CompressDeflate);
        let mut pair = Self {
            client: Client::new(Config::default(), now),
            server: Server::new(config, now),
            client_layer: None,
            server_layer: None,
            events: Vec::new(),
            to_server: Vec::new(),
            to_client: Vec::new(),
        };
        pair.pump();
        pair
    }

    fn pump(&mut self) {
        for _ in 0..1000 {
            let mut progress = false;
            while let Some(bytes) = self.client_output() {
                progress = true;
                let wire = match &mut self.client_layer {
                    Some(l) => {
                        let w = deflate(&mut l.deflate, &bytes);
                        self.to_server.extend_from_slice(&w);
                        w
                    }
                    None => bytes,
                };
                self.server_input(&wire);
            }
            while let Some(bytes) = self.server_output() {
                progress = true;
                let wire = match &mut self.server_layer {
                    Some(l) => {
                        let w = deflate(&mut l.deflate, &bytes);
                        self.to_client.extend_from_slice(&w);
                        w
                    }
                    None => bytes,
                };
                self.client_input(&wire);
            }
            if !progress {
                return;
            }
        }
        panic!("pair did not settle");
    }

    fn server_input(&mut self, wire: &[u8]) {
        let plain = match &mut self.server_layer {
            Some(l) => inflate(&mut l.inflate, wire),
            None => wire.to_vec(),
        };
        self.server.handle_input(&plain);
    }

    fn client_input(&mut self, wire: &[u8]) {
        let plain = match &mut self.client_layer {
            Some(l) => inflate(&mut l.inflate, wire),
            None => wire.to_vec(),
        };
        self.client.handle_input(&plain);
    }

    /// The client's next transmit, handling its events on the way.
    fn client_output(&mut self) -> Option<Vec<u8>> {
        loop {
            match self.client.poll_output() {
                Output::Transmit(b) => return Some(b.to_vec()),
                Output::Event(Event::StartCompression { pending }) => {
                    self.client_layer = Some(Layer::new());
                    self.client_input(&pending);
                    self.events.push(Event::StartCompression { pending });
                }
                Output::Event(e) => self.events.push(e),
                Output::NeedInput => return None,
            }
        }
    }

    /// The server's next transmit, answering its decisions on the way.
    fn server_output(&mut self) -> Option<Vec<u8>> {
        loop {
            match self.server.poll_output() {
                server::Output::Transmit(b) => return Some(b.to_vec()),
                server::Output::Event(server::Event::Compress { .. }) => {
                    self.server.accept_compression().unwrap();
                }
                server::Output::Event(server::Event::StartCompression { pending }) => {
                    self.server_layer = Some(Layer::new());
                    self.server_input(&pending);
                }
                server::Output::Event(server::Event::Command(cmd)) => {
                    if matches!(cmd.body, CommandBody::Select { .. }) {
                        self.server.send_untagged(Untagged::Exists(7)).unwrap();
                    }
                    let text = format!("{} completed", cmd.body.name());
                    self.server.complete(Status::ok(text)).unwrap();
                }
                server::Output::Event(_) => {}
                server::Output::NeedInput => return None,
            }
        }
    }

    fn run(&mut self, body: CommandBody<'static>) -> StatusKind {
        let tag = self.client.command(body).unwrap();
        self.pump();
        self.events
            .iter()
            .find_map(|e| match e {
                Event::Completed { tag: t, status, .. } if *t == tag => Some(*status),
                _ => None,
            })
            .unwrap_or_else(|| panic!("{tag} not completed: {:?}", self.events))
    }
}

#[test]
fn client_and_server_through_deflate() {
    let mut pair = Pair::new();
    assert_eq!(pair.run(login()), StatusKind::Ok);
    assert!(pair.client.offers(&Capability::CompressDeflate));
    assert_eq!(pair.run(CommandBody::CompressDeflate), StatusKind::Ok);
    assert!(pair.client.is_compressed() && pair.server.is_compressed());
    assert!(pair.to_server.is_empty() && pair.to_client.is_empty());

    assert_eq!(pair.run(select()), StatusKind::Ok);
    assert!(pair.events.contains(&Event::Untagged(Untagged::Exists(7))));
    assert_eq!(pair.run(CommandBody::Noop), StatusKind::Ok);
    // A second COMPRESS is refused by the client itself.
    assert!(pair.client.compress().is_err());
    let tag = pair.client.logout().unwrap();
    pair.pump();
    assert!(pair.events.contains(&Event::Closed), "{:?}", pair.events);
    assert!(pair.server.is_closed());
    assert!(pair.events.iter().any(
        |e| matches!(e, Event::Completed { tag: t, status: StatusKind::Ok, .. } if *t == tag)
    ));
    assert!(!pair.events.iter().any(|e| matches!(e, Event::Error(_))));
    // Everything after the switch crossed the wire deflated: both streams inflate
    // from the start to the plain protocol.
    let commands = inflate(&mut Decompress::new(false), &pair.to_server);
    assert_eq!(
        String::from_utf8(commands).unwrap(),
        "A3 SELECT INBOX\r\nA4 NOOP\r\nA5 LOGOUT\r\n"
    );
    let responses =
        String::from_utf8(inflate(&mut Decompress::new(false), &pair.to_client)).unwrap();
    assert!(
        responses.starts_with("* 7 EXISTS\r\nA3 OK [READ-WRITE] SELECT completed\r\n"),
        "{responses}"
    );
    assert!(
        responses.ends_with("* BYE Logging out\r\nA5 OK LOGOUT completed\r\n"),
        "{responses}"
    );
}
