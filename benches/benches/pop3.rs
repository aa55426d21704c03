//! POP3: RETR streaming throughput through the server machine (dot-stuffing, bare-LF
//! normalisation, terminator) on a fixed corpus, the stuffer and the client's un-stuffer
//! alone, and TOP cutting.
//!
//! `cargo bench -p postroom-benches --bench pop3`

use std::hint::black_box;
use std::time::Instant;

use bytes::BytesMut;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pop3_proto::codec::{MultilineDecoder, MultilineEncoder};
use pop3_proto::server::{Config, Event, MessageInfo, Output, Server};

const MESSAGE_SIZE: usize = 1 << 20;
const CHUNK: usize = 64 * 1024;

/// A 1 MiB message with CRLF lines of varied length, one line in 16 starting with '.'.
fn corpus(line_ending: &[u8]) -> Vec<u8> {
    let mut m = b"From: a@example.org\r\nTo: b@example.org\r\nSubject: bench\r\n\r\n".to_vec();
    let words = b"The quick brown fox jumps over the lazy dog and keeps running";
    let mut i = 0usize;
    while m.len() < MESSAGE_SIZE {
        if i.is_multiple_of(16) {
            m.push(b'.');
        }
        m.extend_from_slice(&words[..20 + i % 40]);
        m.extend_from_slice(line_ending);
        i += 1;
    }
    m
}

/// A server logged in to a one-message maildrop, ready for commands.
fn logged_in(size: u64) -> Server {
    let mut config = Config::new("bench.example");
    config.allow_plaintext_without_tls = true;
    let mut server = Server::new(config, Instant::now());
    server.handle_input(b"USER u\r\nPASS p\r\n");
    loop {
        match server.poll_output() {
            Output::Event(Event::Login { .. }) => server.accept_login().unwrap(),
            Output::Event(Event::OpenMaildrop { .. }) => {
                server
                    .maildrop_ready(vec![MessageInfo::new(size, "m1")])
                    .unwrap();
            }
            Output::NeedInput => return server,
            _ => {}
        }
    }
}

/// Streams the message through `RETR 1` (or TOP) and returns the octets sent.
fn retrieve(server: &mut Server, command: &[u8], message: &[u8]) -> usize {
    server.handle_input(command);
    let mut sent = 0;
    loop {
        match server.poll_output() {
            Output::Transmit(b) => sent += b.len(),
            Output::Event(Event::Retrieve { .. }) => {
                for chunk in message.chunks(CHUNK) {
                    let more = server.message_chunk(chunk).unwrap();
                    while let Output::Transmit(b) = server.poll_output() {
                        sent += b.len();
                    }
                    if !more {
                        break;
                    }
                }
                server.message_end().unwrap();
            }
            Output::NeedInput => return sent,
            Output::Event(_) => {}
        }
    }
}

fn retr(c: &mut Criterion) {
    let mut group = c.benchmark_group("pop3/retr");
    group.throughput(Throughput::Bytes(MESSAGE_SIZE as u64));
    for (name, ending) in [("crlf", &b"\r\n"[..]), ("bare_lf", &b"\n"[..])] {
        let message = corpus(ending);
        let mut server = logged_in(message.len() as u64);
        group.bench_function(format!("server_machine_{name}"), |b| {
            b.iter(|| black_box(retrieve(&mut server, b"RETR 1\r\n", &message)));
        });
    }
    let message = corpus(b"\r\n");
    group.bench_function("encoder_only", |b| {
        let mut out = BytesMut::with_capacity(MESSAGE_SIZE * 2);
        b.iter(|| {
            out.clear();
            let mut encoder = MultilineEncoder::new();
            for chunk in message.chunks(CHUNK) {
                encoder.encode(chunk, &mut out);
            }
            encoder.finish(&mut out);
            black_box(out.len())
        });
    });
    let mut wire = BytesMut::new();
    let mut encoder = MultilineEncoder::new();
    encoder.encode(&message, &mut wire);
    encoder.finish(&mut wire);
    group.bench_function("client_unstuff", |b| {
        let mut out = BytesMut::with_capacity(MESSAGE_SIZE);
        b.iter(|| {
            out.clear();
            let mut decoder = MultilineDecoder::new();
            let mut finished = false;
            for chunk in wire.chunks(CHUNK) {
                finished = decoder.feed(chunk, &mut out).finished;
            }
            black_box((finished, out.len()))
        });
    });
    group.finish();

    let mut server = logged_in(message.len() as u64);
    c.bench_function("pop3/top_10_lines_of_1MiB", |b| {
        b.iter(|| black_box(retrieve(&mut server, b"TOP 1 10\r\n", &message)));
    });
}

criterion_group!(benches, retr);
criterion_main!(benches);
