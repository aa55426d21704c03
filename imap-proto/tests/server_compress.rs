//! COMPRESS=DEFLATE (RFC 4978) in the server: accepted, refused, repeated, before
//! authentication, not offered, unknown algorithm, and client bytes pipelined after the
//! COMPRESS line (handed back as compressed data, checked with a real deflate stream
//! split at every byte).

mod server_support;

use bytes::Bytes;
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};
use imap_proto::server::{Config, Event, Output, Server, Status};
use imap_proto::types::{Capability, Code};
use server_support::{Policy, inputs, open_config, run, session};

fn compress_config() -> Config {
    let mut c = open_config();
    c.extensions.push(Capability::CompressDeflate);
    c
}

#[test]
fn advertised_when_offered() {
    let t = session(&compress_config(), &Policy::default(), &[]);
    assert!(
        t.lines()[0].contains(" COMPRESS=DEFLATE"),
        "{}",
        t.lines()[0]
    );
    let t = session(&open_config(), &Policy::default(), &[]);
    assert!(!t.lines()[0].contains("COMPRESS"), "{}", t.lines()[0]);
}

#[test]
fn accepted_then_second_compress_is_refused() {
    let t = session(
        &compress_config(),
        &Policy::default(),
        &inputs(&[
            b"a1 LOGIN joe secret\r\n",
            b"a2 COMPRESS DEFLATE\r\n",
            b"a3 SELECT INBOX\r\n",
            b"a4 compress deflate\r\n",
            b"a5 LOGOUT\r\n",
        ]),
    );
    assert_eq!(
        &t.lines()[2..],
        [
            "a2 OK DEFLATE active",
            "* 3 EXISTS",
            "* FLAGS (\\Seen \\Deleted)",
            "a3 OK [READ-WRITE] Selected",
            "a4 NO [COMPRESSIONACTIVE] DEFLATE is already active",
            "* BYE Logging out",
            "a5 OK LOGOUT completed",
        ]
    );
    assert_eq!(
        t.kinds(),
        [
            "Command",
            "Compress",
            "StartCompression",
            "Command",
            "Closed"
        ]
    );
    assert_eq!(
        t.events[1],
        Event::Compress {
            tag: imap_proto::types::Tag::new("a2").unwrap()
        }
    );
    assert_eq!(
        t.events[2],
        Event::StartCompression {
            pending: Bytes::new()
        }
    );
}

#[test]
fn accepted_in_the_selected_state() {
    let (server, t) = run(
        &compress_config(),
        &Policy::default(),
        &inputs(&[
            b"a1 LOGIN joe secret\r\na2 SELECT INBOX\r\n",
            b"a3 COMPRESS DEFLATE\r\n",
        ]),
    );
    assert_eq!(t.lines().last().unwrap(), "a3 OK DEFLATE active");
    assert!(server.is_compressed());
}

#[test]
fn refused_by_the_application() {
    let policy = Policy {
        refuse_compress: Some(
            Status::no("TLS compresses already").with_code(Code::CompressionActive),
        ),
        ..Policy::default()
    };
    let t = session(
        &compress_config(),
        &policy,
        &inputs(&[
            b"a1 LOGIN joe secret\r\n",
            b"a2 COMPRESS DEFLATE\r\n",
            b"a3 NOOP\r\n",
        ]),
    );
    assert_eq!(
        &t.lines()[2..],
        [
            "a2 NO [COMPRESSIONACTIVE] TLS compresses already",
            "a3 OK NOOP completed",
        ]
    );
    assert_eq!(t.kinds(), ["Command", "Compress", "Noop"]);
    let (server, _) = run(
        &compress_config(),
        &policy,
        &inputs(&[b"a1 LOGIN joe secret\r\n"]),
    );
    assert!(!server.is_compressed());

    // OK is no refusal: it is sent as NO, and the session stays uncompressed.
    let policy = Policy {
        refuse_compress: Some(Status::ok("whatever")),
        ..Policy::default()
    };
    let (server, t) = run(
        &compress_config(),
        &policy,
        &inputs(&[b"a1 LOGIN joe secret\r\na2 COMPRESS DEFLATE\r\n"]),
    );
    assert_eq!(t.lines().last().unwrap(), "a2 NO Compression refused");
    assert!(!server.is_compressed());
}

#[test]
fn before_authentication_is_bad() {
    let t = session(
        &compress_config(),
        &Policy::default(),
        &inputs(&[b"a1 COMPRESS DEFLATE\r\n", b"a2 NOOP\r\n"]),
    );
    assert_eq!(
        &t.lines()[1..],
        [
            "a1 BAD Command not valid before authentication",
            "a2 OK NOOP completed",
        ]
    );
    assert_eq!(t.kinds(), ["Noop"]);
}

#[test]
fn not_offered_is_bad() {
    let t = session(
        &open_config(),
        &Policy::default(),
        &inputs(&[b"a1 LOGIN joe secret\r\n", b"a2 COMPRESS DEFLATE\r\n"]),
    );
    assert_eq!(t.lines().last().unwrap(), "a2 BAD COMPRESS not supported");
    assert_eq!(t.kinds(), ["Command"]);
}

#[test]
fn unknown_or_missing_algorithm_is_bad() {
    let t = session(
        &compress_config(),
        &Policy::default(),
        &inputs(&[
            b"a1 LOGIN joe secret\r\n",
            b"a2 COMPRESS GZIP\r\n",
            b"a3 COMPRESS\r\n",
            b"a4 COMPRESS DEFLATE EXTRA\r\n",
            b"a5 NOOP\r\n",
        ]),
    );
    let lines = t.lines();
    for (line, tag) in lines[2..5].iter().zip(["a2", "a3", "a4"]) {
        assert!(line.starts_with(&format!("{tag} BAD ")), "{line}");
    }
    assert_eq!(lines[5], "a5 OK NOOP completed");
    assert_eq!(t.kinds(), ["Command", "Noop"]);
}

#[test]
fn other_decisions_are_refused_while_compress_is_pending() {
    let mut server = Server::new(compress_config(), std::time::Instant::now());
    server.handle_input(b"a1 LOGIN joe secret\r\n");
    while !matches!(server.poll_output(), Output::NeedInput) {}
    server.complete(Status::ok("Logged in")).unwrap();
    server.handle_input(b"a2 COMPRESS DEFLATE\r\n");
    let mut compress_asked = false;
    loop {
        match server.poll_output() {
            Output::Event(Event::Compress { .. }) => compress_asked = true,
            Output::NeedInput => break,
            _ => {}
        }
    }
    assert!(compress_asked);
    assert!(server.awaiting_decision());
    assert!(server.complete(Status::ok("no")).is_err());
    assert!(server.accept_literal().is_err());
    server.accept_compression().unwrap();
    assert!(server.accept_compression().is_err());
    assert!(server.reject_compression(Status::no("late")).is_err());
}

// --- a real deflate layer around the server ---

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

/// An application around the server with an inflate/deflate layer once COMPRESS is
/// accepted. Returns the server's responses (inflated where compressed) and the
/// `pending` bytes of `StartCompression`.
fn drive_with_deflate(wire_chunks: &[&[u8]]) -> (String, Vec<u8>, Server) {
    let mut server = Server::new(compress_config(), std::time::Instant::now());
    let mut inflater: Option<Decompress> = None;
    // Server-to-client direction: what the server application deflates, and the
    // client's inflater that reads it back.
    let mut deflater: Option<(Compress, Decompress)> = None;
    let mut responses = Vec::new();
    let mut pending_seen = Vec::new();
    let mut compressed = Vec::new();
    let mut feed = Vec::new();
    for chunk in wire_chunks {
        let plain = match &mut inflater {
            Some(d) => inflate(d, chunk),
            None => chunk.to_vec(),
        };
        feed.push(plain);
        while let Some(bytes) = feed.pop() {
            server.handle_input(&bytes);
            loop {
                match server.poll_output() {
                    Output::Transmit(b) => match &mut deflater {
                        Some((c, d)) => {
                            let wire = deflate(c, &b);
                            compressed.extend_from_slice(&wire);
                            responses.extend(inflate(d, &wire));
                        }
                        None => responses.extend_from_slice(&b),
                    },
                    Output::Event(Event::Command(cmd)) => {
                        let text = format!("{} done", cmd.body.name());
                        server.complete(Status::ok(text)).unwrap();
                    }
                    Output::Event(Event::Compress { .. }) => server.accept_compression().unwrap(),
                    Output::Event(Event::StartCompression { pending }) => {
                        pending_seen = pending.to_vec();
                        let mut d = Decompress::new(false);
                        feed.push(inflate(&mut d, &pending));
                        inflater = Some(d);
                        deflater = Some((
                            Compress::new(Compression::default(), false),
                            Decompress::new(false),
                        ));
                    }
                    Output::Event(_) => {}
                    Output::NeedInput => break,
                }
            }
        }
    }
    // The responses after the switch went through deflate (inflate accepted them).
    assert!(!compressed.is_empty());
    (String::from_utf8(responses).unwrap(), pending_seen, server)
}

/// A client that (against RFC 4978 section 3) pipelines compressed commands right after
/// COMPRESS: those bytes belong to the compressed stream, whatever the read boundaries.
#[test]
fn bytes_after_compress_are_handed_back_compressed() {
    let mut wire = b"a1 LOGIN joe secret\r\na2 COMPRESS DEFLATE\r\n".to_vec();
    let plain_start = wire.len();
    let mut client_deflate = Compress::new(Compression::default(), false);
    wire.extend(deflate(&mut client_deflate, b"a3 NOOP\r\n"));
    wire.extend(deflate(&mut client_deflate, b"a4 LOGOUT\r\n"));

    let expected_tail = "a2 OK DEFLATE active\r\na3 OK NOOP completed\r\n* BYE Logging out\r\na4 OK LOGOUT completed\r\n";
    let (whole, pending, server) = drive_with_deflate(&[&wire]);
    assert!(whole.ends_with(expected_tail), "{whole}");
    assert_eq!(pending, wire[plain_start..]);
    assert!(server.is_closed() && server.is_compressed());

    for at in 0..=wire.len() {
        let (text, pending, server) = drive_with_deflate(&[&wire[..at], &wire[at..]]);
        assert_eq!(text, whole, "split at {at}");
        assert!(server.is_closed(), "split at {at}");
        // What was buffered after the COMPRESS line is what came in the same read.
        let read_end = if at >= plain_start { at } else { wire.len() };
        let expected_pending = &wire[plain_start..read_end];
        assert_eq!(pending, expected_pending, "split at {at}");
    }
}

/// Plain text pipelined after COMPRESS is not executed as commands: it reaches the
/// application as (broken) compressed data.
#[test]
fn plaintext_after_compress_is_not_executed() {
    let mut server = Server::new(compress_config(), std::time::Instant::now());
    server.handle_input(b"a1 LOGIN joe secret\r\n");
    while !matches!(server.poll_output(), Output::NeedInput) {}
    server.complete(Status::ok("Logged in")).unwrap();
    server.handle_input(b"a2 COMPRESS DEFLATE\r\na3 DELETE INBOX\r\n");
    let mut outputs = Vec::new();
    loop {
        match server.poll_output() {
            Output::Event(Event::Compress { .. }) => server.accept_compression().unwrap(),
            Output::NeedInput => break,
            other => outputs.push(other),
        }
    }
    let n = outputs.len();
    assert!(n >= 2, "{outputs:?}");
    // The OK is the last transmit before the switch; nothing ran for a3.
    let Output::Transmit(last_clear) = &outputs[n - 2] else {
        panic!("{outputs:?}")
    };
    assert!(last_clear.ends_with(b"a2 OK DEFLATE active\r\n"));
    assert_eq!(
        outputs[n - 1],
        Output::Event(Event::StartCompression {
            pending: Bytes::from_static(b"a3 DELETE INBOX\r\n")
        })
    );
    assert_eq!(server.buffered_input_len(), 0);
    assert!(!server.awaiting_decision());
}
