//! IMAP: command and response parsing and encoding, Postroom's imap-proto next to
//! imap-codec 2.0.0-alpha.10 on the same bytes.
//!
//! `cargo bench -p postroom-benches --bench imap`
//!
//! The messages come from the differential-test corpus (`imap-proto/tests/corpus`):
//! every message both codecs accept, in stream order.
//! - `imap_command_parse/*`: one iteration decodes every client command of the
//!   Thunderbird, iOS Mail, Roundcube, mutt, mbsync and misc transcripts (APPEND
//!   literals included).
//! - `imap_response_parse_fetch/*`: one iteration decodes the FETCH-heavy server stream
//!   (ENVELOPE, nested BODYSTRUCTURE, BODY[] and BINARY literals).
//! - `imap_response_parse_mix/*`: one iteration decodes every server response of the
//!   Dovecot, Cyrus and Gmail transcripts.
//! - `imap_command_encode/*`, `imap_response_encode/*`: one iteration encodes the
//!   decoded values again; ours into a reused `BytesMut`, imap-codec's through
//!   `Encoder::encode(..).dump()` (its API returns a fresh `Vec` per message).

use std::hint::black_box;

use bytes::BytesMut;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use imap_codec::decode::Decoder;
use imap_codec::encode::Encoder;
use imap_codec::{CommandCodec, ResponseCodec};
use imap_proto::codec::{
    decode_command, decode_response, encode_command, encode_response, frame_line,
};
use imap_proto::types::CommandBody;

const CLIENT_STREAMS: &[&[u8]] = &[
    include_bytes!("../../imap-proto/tests/corpus/thunderbird.imap"),
    include_bytes!("../../imap-proto/tests/corpus/ios-mail.imap"),
    include_bytes!("../../imap-proto/tests/corpus/roundcube.imap"),
    include_bytes!("../../imap-proto/tests/corpus/mutt.imap"),
    include_bytes!("../../imap-proto/tests/corpus/mbsync.imap"),
    include_bytes!("../../imap-proto/tests/corpus/misc-commands.imap"),
];
const FETCH_STREAM: &[u8] = include_bytes!("../../imap-proto/tests/corpus/fetch-heavy.imap");
const SERVER_STREAMS: &[&[u8]] = &[
    include_bytes!("../../imap-proto/tests/corpus/dovecot.imap"),
    include_bytes!("../../imap-proto/tests/corpus/dovecot-qresync.imap"),
    FETCH_STREAM,
    include_bytes!("../../imap-proto/tests/corpus/gmail.imap"),
];

const MAX_LINE: usize = 64 * 1024;

/// The commands of the client streams that both codecs accept whole.
fn commands() -> Vec<&'static [u8]> {
    let mut out = Vec::new();
    for stream in CLIENT_STREAMS {
        let mut rest: &'static [u8] = stream;
        while !rest.is_empty() {
            let (len, skip_line) = match decode_command(rest) {
                Ok((len, cmd)) => {
                    let skip = matches!(
                        cmd.body,
                        CommandBody::Idle
                            | CommandBody::Authenticate {
                                initial_response: None,
                                ..
                            }
                    );
                    let theirs = CommandCodec::default().decode(&rest[..len]);
                    if matches!(theirs, Ok((b"", _))) {
                        out.push(&rest[..len]);
                    }
                    (len, skip)
                }
                Err(_) => (frame_line(rest, MAX_LINE).expect("corpus line"), false),
            };
            rest = &rest[len..];
            if skip_line {
                // The DONE or SASL line that follows IDLE or AUTHENTICATE.
                rest = &rest[frame_line(rest, MAX_LINE).expect("corpus line")..];
            }
        }
    }
    out
}

/// The responses of server streams that both codecs accept whole (greetings included).
fn responses(streams: &[&'static [u8]]) -> Vec<&'static [u8]> {
    let mut out = Vec::new();
    for stream in streams {
        let mut rest: &'static [u8] = stream;
        while !rest.is_empty() {
            let len = match decode_response(rest) {
                Ok((len, _)) => {
                    if matches!(ResponseCodec::default().decode(&rest[..len]), Ok((b"", _))) {
                        out.push(&rest[..len]);
                    }
                    len
                }
                Err(_) => frame_line(rest, MAX_LINE).expect("corpus line"),
            };
            rest = &rest[len..];
        }
    }
    out
}

fn throughput(messages: &[&[u8]]) -> Throughput {
    Throughput::ElementsAndBytes {
        elements: messages.len() as u64,
        bytes: messages.iter().map(|m| m.len() as u64).sum(),
    }
}

fn parse_commands(c: &mut Criterion) {
    let messages = commands();
    assert!(messages.len() > 100, "command corpus: {}", messages.len());
    let mut group = c.benchmark_group("imap_command_parse");
    group.throughput(throughput(&messages));
    group.bench_function("postroom", |b| {
        b.iter(|| {
            for m in &messages {
                let _ = black_box(decode_command(black_box(m)));
            }
        });
    });
    group.bench_function("imap-codec", |b| {
        let codec = CommandCodec::default();
        b.iter(|| {
            for m in &messages {
                let _ = black_box(codec.decode(black_box(m)));
            }
        });
    });
    group.finish();
}

fn parse_responses(c: &mut Criterion, name: &str, messages: &[&[u8]]) {
    let mut group = c.benchmark_group(name);
    group.throughput(throughput(messages));
    group.bench_function("postroom", |b| {
        b.iter(|| {
            for m in messages {
                let _ = black_box(decode_response(black_box(m)));
            }
        });
    });
    group.bench_function("imap-codec", |b| {
        let codec = ResponseCodec::default();
        b.iter(|| {
            for m in messages {
                let _ = black_box(codec.decode(black_box(m)));
            }
        });
    });
    group.finish();
}

fn parse_fetch_responses(c: &mut Criterion) {
    let messages = responses(&[FETCH_STREAM]);
    assert!(messages.len() > 15, "FETCH corpus: {}", messages.len());
    parse_responses(c, "imap_response_parse_fetch", &messages);
}

fn parse_response_mix(c: &mut Criterion) {
    let messages = responses(SERVER_STREAMS);
    assert!(messages.len() > 100, "response corpus: {}", messages.len());
    parse_responses(c, "imap_response_parse_mix", &messages);
}

fn encode_commands(c: &mut Criterion) {
    let messages = commands();
    let ours: Vec<_> = messages
        .iter()
        .map(|m| decode_command(m).unwrap().1)
        .collect();
    let codec = CommandCodec::default();
    let theirs: Vec<_> = messages
        .iter()
        .map(|m| codec.decode(m).unwrap().1)
        .collect();
    let mut group = c.benchmark_group("imap_command_encode");
    group.throughput(throughput(&messages));
    group.bench_function("postroom", |b| {
        let mut out = BytesMut::with_capacity(64 * 1024);
        b.iter(|| {
            out.clear();
            for cmd in &ours {
                encode_command(black_box(cmd), &mut out);
            }
            black_box(out.len())
        });
    });
    group.bench_function("imap-codec", |b| {
        b.iter(|| {
            for cmd in &theirs {
                black_box(codec.encode(black_box(cmd)).dump());
            }
        });
    });
    group.finish();
}

fn encode_responses(c: &mut Criterion) {
    let messages = responses(SERVER_STREAMS);
    let ours: Vec<_> = messages
        .iter()
        .map(|m| decode_response(m).unwrap().1)
        .collect();
    let codec = ResponseCodec::default();
    let theirs: Vec<_> = messages
        .iter()
        .map(|m| codec.decode(m).unwrap().1)
        .collect();
    let mut group = c.benchmark_group("imap_response_encode");
    group.throughput(throughput(&messages));
    group.bench_function("postroom", |b| {
        let mut out = BytesMut::with_capacity(64 * 1024);
        b.iter(|| {
            out.clear();
            for resp in &ours {
                encode_response(black_box(resp), &mut out);
            }
            black_box(out.len())
        });
    });
    group.bench_function("imap-codec", |b| {
        b.iter(|| {
            for resp in &theirs {
                black_box(codec.encode(black_box(resp)).dump());
            }
        });
    });
    group.finish();
}

criterion_group!(
    benches,
    parse_commands,
    parse_fetch_responses,
    parse_response_mix,
    encode_commands,
    encode_responses
);
criterion_main!(benches);
