//! SMTP: command parsing and DATA un-stuffing, Postroom's smtp-proto next to Stalwart's
//! smtp-proto 0.2 on the same bytes.
//!
//! `cargo bench -p postroom-benches --bench smtp`
//!
//! - `smtp_command_parse/*`: one iteration parses every line of a fixed corpus of
//!   realistic client commands, each line at every alignment modulo 8 (so that where
//!   the compiler happens to place the lines does not change the result), with
//!   throughput in bytes and commands.
//! - `smtp_data_unstuff/*`: one iteration receives a fixed ~4 MiB dot-stuffed message
//!   body in 64 KiB reads. Postroom's number goes through the whole [`Server`] (input
//!   buffering, the DATA receiver, `Event::DataChunk` events), as an application sees
//!   it; Stalwart's goes through `DataReceiver::ingest` into a reused `Vec`.
//!
//! Instruction counts: with `SMTP_BENCH_PASSES=<postroom|stalwart>:<n>[:<line>]` in the
//! environment, the bench binary only parses the command corpus (or one line of it) `n`
//! times with one parser and exits, for `valgrind --tool=callgrind`; the difference
//! between two values of `n` divided by their difference is the cost of one pass (see
//! benches/README.md). With `SMTP_BENCH_FASTEST=<n>[:<line>]` it times `n` passes of
//! each parser, alternating, and prints the fastest of each: a wall-clock figure that
//! the load of a shared machine disturbs less than criterion's mean or median.

use std::hint::black_box;
use std::time::Instant;

use criterion::{BatchSize, Criterion, Throughput, criterion_group};
use smtp_proto::codec::decode_command;
use smtp_proto::server::{Config, Event, Output, Server};
use stalwart_smtp_proto::Request as StalwartRequest;
use stalwart_smtp_proto::request::receiver::DataReceiver as StalwartDataReceiver;

/// Bytes handed to the receivers per read, as a server reading a socket would.
const READ_SIZE: usize = 64 * 1024;
/// Approximate size of the DATA corpus.
const BODY_SIZE: usize = 4 << 20;

/// Commands a busy MX and submission server see, one per line.
const COMMANDS: &[&str] = &[
    "EHLO mail-wr1-f54.google.com\r\n",
    "EHLO [192.0.2.17]\r\n",
    "HELO relay.example.net\r\n",
    "MAIL FROM:<bounces+1234567-abcd-user=example.org@em123.sendgrid.net> SIZE=48213 BODY=8BITMIME\r\n",
    "MAIL FROM:<alice.smith@example.com> SIZE=1048576\r\n",
    "MAIL FROM:<> BODY=7BIT\r\n",
    "MAIL FROM:<newsletter@lists.example.org> BODY=8BITMIME SIZE=20480\r\n",
    "RCPT TO:<bob@example.org>\r\n",
    "RCPT TO:<carol.jones@mail.example.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;carol.jones@example.org\r\n",
    "RCPT TO:<dave+tag@example.org> NOTIFY=NEVER\r\n",
    "RCPT TO:<\"john smith\"@example.org>\r\n",
    "RCPT TO:<\"quoted.local\"@sub.example.co.uk>\r\n",
    "RCPT TO:<Postmaster>\r\n",
    "DATA\r\n",
    "BDAT 65536\r\n",
    "BDAT 1234 LAST\r\n",
    "AUTH PLAIN AHVzZXJAZXhhbXBsZS5vcmcAY29ycmVjdCBob3JzZSBiYXR0ZXJ5IHN0YXBsZQ==\r\n",
    "AUTH LOGIN\r\n",
    "NOOP\r\n",
    "RSET\r\n",
    "QUIT\r\n",
    "STARTTLS\r\n",
];

/// Each line is placed at every offset from 0 to `ALIGNMENTS - 1` from an 8-byte
/// aligned address.
const ALIGNMENTS: usize = 8;
/// Room for one line in the arena.
const SLOT: usize = 128;

/// The corpus, every line at every alignment, in one buffer.
struct Corpus {
    arena: Vec<u8>,
    /// Where each line is in `arena`.
    lines: Vec<std::ops::Range<usize>>,
}

impl Corpus {
    fn new() -> Self {
        let slots = ALIGNMENTS * COMMANDS.len();
        let mut arena = vec![0; slots * SLOT + ALIGNMENTS];
        let base = arena.as_ptr().align_offset(ALIGNMENTS);
        let mut lines = Vec::with_capacity(slots);
        for shift in 0..ALIGNMENTS {
            for line in COMMANDS {
                assert!(line.len() + shift <= SLOT);
                let start = base + lines.len() * SLOT + shift;
                arena[start..start + line.len()].copy_from_slice(line.as_bytes());
                lines.push(start..start + line.len());
            }
        }
        Self { arena, lines }
    }

    /// The lines, each at each alignment.
    fn lines(&self) -> Vec<&[u8]> {
        self.lines.iter().map(|r| &self.arena[r.clone()]).collect()
    }
}

// Each result is shown to `black_box` by reference and dropped where it was made. Passed
// by value, it was copied whole first (a `memcpy` call per line on both sides, about 700
// instructions per corpus pass each), which measured the benchmark, not the parsers.

/// One pass of Postroom's parser over the corpus.
fn postroom_pass(lines: &[&[u8]]) {
    for line in lines {
        black_box(&decode_command(black_box(line)));
    }
}

/// One pass of Stalwart's parser over the corpus.
fn stalwart_pass(lines: &[&[u8]]) {
    for line in lines {
        black_box(&StalwartRequest::parse(&mut black_box(*line).iter()));
    }
}

/// Checks that both parsers accept every line, so neither is timed on an error path.
fn check_corpus(lines: &[&[u8]]) {
    for &bytes in lines {
        let line = String::from_utf8_lossy(bytes);
        let (consumed, _) =
            decode_command(bytes).unwrap_or_else(|e| panic!("ours rejects {line:?}: {e}"));
        assert_eq!(consumed, bytes.len());
        StalwartRequest::parse(&mut bytes.iter())
            .unwrap_or_else(|e| panic!("Stalwart rejects {line:?}: {e:?}"));
    }
}

fn command_parse(c: &mut Criterion) {
    let corpus = Corpus::new();
    let lines = select_lines(&corpus, None);
    let mut group = c.benchmark_group("smtp_command_parse");
    group.throughput(Throughput::ElementsAndBytes {
        elements: lines.len() as u64,
        bytes: lines.iter().map(|l| l.len() as u64).sum(),
    });
    group.bench_function("postroom", |b| b.iter(|| postroom_pass(&lines)));
    group.bench_function("stalwart", |b| b.iter(|| stalwart_pass(&lines)));
    group.finish();
}

/// The checked lines of `corpus`, or only `COMMANDS[only]` at each alignment.
fn select_lines(corpus: &Corpus, only: Option<usize>) -> Vec<&[u8]> {
    let lines = corpus.lines();
    check_corpus(&lines);
    let Some(only) = only else {
        return lines;
    };
    assert!(only < COMMANDS.len(), "there is no line {only}");
    lines
        .into_iter()
        .skip(only)
        .step_by(COMMANDS.len())
        .collect()
}

/// The `<n>[:<line>]` that ends both bench modes' specifications.
fn passes_and_line<'a>(
    mut parts: impl Iterator<Item = &'a str>,
    usage: &str,
) -> (usize, Option<usize>) {
    let passes = parts.next().and_then(|n| n.parse().ok()).expect(usage);
    let only = parts.next().map(|i| i.parse().expect(usage));
    (passes, only)
}

/// `SMTP_BENCH_PASSES=<postroom|stalwart>:<n>[:<line>]`: parses the corpus `n` times with
/// one parser and nothing else, for counting instructions; with `<line>`, only that line
/// of `COMMANDS` (by index, still at every alignment), to see what each line costs.
/// Whether it was asked for.
fn count_passes() -> bool {
    let Ok(spec) = std::env::var("SMTP_BENCH_PASSES") else {
        return false;
    };
    let usage = "SMTP_BENCH_PASSES=<postroom|stalwart>:<n>[:<line>]";
    let mut parts = spec.split(':');
    let side = parts.next().expect(usage);
    let (passes, only) = passes_and_line(parts, usage);
    let corpus = Corpus::new();
    let lines = select_lines(&corpus, only);
    let pass = match side {
        "postroom" => postroom_pass,
        "stalwart" => stalwart_pass,
        _ => panic!("SMTP_BENCH_PASSES: unknown side {side:?}"),
    };
    for _ in 0..passes {
        pass(&lines);
    }
    true
}

/// `SMTP_BENCH_FASTEST=<n>[:<line>]`: times `n` passes of each parser over the command
/// corpus (or over one line of `COMMANDS`, at every alignment), alternating them, and
/// prints the fastest pass of each and their ratio. The fastest of many is the figure
/// least disturbed by other work on a shared machine. Whether it was asked for.
fn fastest_passes() -> bool {
    let Ok(spec) = std::env::var("SMTP_BENCH_FASTEST") else {
        return false;
    };
    let usage = "SMTP_BENCH_FASTEST=<n>[:<line>]";
    let (passes, only) = passes_and_line(spec.split(':'), usage);
    let corpus = Corpus::new();
    let lines = select_lines(&corpus, only);
    let time = |pass: fn(&[&[u8]])| {
        let start = Instant::now();
        pass(&lines);
        start.elapsed()
    };
    let (mut ours, mut theirs) = (std::time::Duration::MAX, std::time::Duration::MAX);
    for _ in 0..passes {
        ours = ours.min(time(postroom_pass));
        theirs = theirs.min(time(stalwart_pass));
    }
    println!(
        "fastest of {passes} passes: postroom {ours:?}, stalwart {theirs:?}, ratio {:.3}",
        theirs.as_secs_f64() / ours.as_secs_f64()
    );
    true
}

/// A deterministic multi-part message: headers, text paragraphs with dot-stuffed lines
/// (as a client sends them), and a base64 attachment, ending in `CRLF.CRLF`.
fn data_corpus() -> Vec<u8> {
    const WORDS: &[&str] = &[
        "the",
        "delivery",
        "of",
        "mail",
        "server",
        "queue",
        "message",
        "to",
        "a",
        "recipient",
        "and",
        "Postfix",
        "Dovecot",
        "is",
        "configured",
        "with",
        "TLS",
        "for",
        "every",
        "domain",
    ];
    let mut body = Vec::with_capacity(BODY_SIZE + 4096);
    body.extend_from_slice(
        b"Received: from relay.example.net (relay.example.net [192.0.2.17])\r\n\
          \tby mx.example.org (Postroom) with ESMTPS id 4Xyz\r\n\
          From: Alice <alice@example.net>\r\nTo: Bob <bob@example.org>\r\n\
          Subject: Quarterly report\r\nMessage-ID: <1234.5678@example.net>\r\n\
          MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
          --b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n",
    );
    let mut seed: u32 = 0x2545_f491;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed
    };
    // Text part: about a third of the body.
    while body.len() < BODY_SIZE / 3 {
        let r = next();
        if r % 17 == 0 {
            // A line that starts with a dot, stuffed by the client.
            body.extend_from_slice(b"... and so on, as discussed");
        } else if r % 23 == 0 {
            body.extend_from_slice(b"");
        } else {
            let target = 40 + (r % 38) as usize;
            let mut line = 0;
            while line < target {
                let w = WORDS[(next() % WORDS.len() as u32) as usize];
                if line > 0 {
                    body.push(b' ');
                    line += 1;
                }
                body.extend_from_slice(w.as_bytes());
                line += w.len();
            }
        }
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(
        b"--b1\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n",
    );
    const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    while body.len() < BODY_SIZE {
        for _ in 0..76 {
            body.push(B64[(next() % 64) as usize]);
        }
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"--b1--\r\n.\r\n");
    body
}

/// A server that has answered `354` and waits for the body.
fn server_in_data() -> Server {
    let now = Instant::now();
    let mut server = Server::new(Config::new("mx.example.org"), now);
    server.handle_input(
        b"EHLO relay.example.net\r\nMAIL FROM:<alice@example.net>\r\n\
          RCPT TO:<bob@example.org>\r\nDATA\r\n",
    );
    loop {
        match server.poll_output() {
            Output::Event(Event::Mail(_)) => server.accept_mail().unwrap(),
            Output::Event(Event::Rcpt(_)) => server.accept_rcpt().unwrap(),
            Output::Event(Event::DataStart { .. }) => break,
            Output::NeedInput => panic!("server did not reach DATA"),
            _ => {}
        }
    }
    while !matches!(server.poll_output(), Output::NeedInput) {}
    server
}

/// Feeds the body in reads, handing every un-stuffed chunk to `sink`.
fn postroom_receive(mut server: Server, body: &[u8], mut sink: impl FnMut(&[u8])) {
    let mut ended = false;
    for read in body.chunks(READ_SIZE) {
        server.handle_input(read);
        loop {
            match server.poll_output() {
                Output::Event(Event::DataChunk(chunk)) => sink(&chunk),
                Output::Event(Event::MessageEnd { .. }) => ended = true,
                Output::NeedInput => break,
                _ => {}
            }
        }
    }
    assert!(ended, "the body did not end");
}

fn stalwart_receive(body: &[u8], mut sink: impl FnMut(&[u8])) {
    let mut receiver = StalwartDataReceiver::new();
    let mut buf = Vec::with_capacity(2 * READ_SIZE);
    let mut ended = false;
    for read in body.chunks(READ_SIZE) {
        let mut bytes = read.iter();
        ended |= receiver.ingest(&mut bytes, &mut buf);
        sink(&buf);
        buf.clear();
    }
    assert!(ended, "the body did not end");
}

fn data_unstuff(c: &mut Criterion) {
    let body = data_corpus();
    // Both receivers must agree on the content before they are timed.
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    postroom_receive(server_in_data(), &body, |c| ours.extend_from_slice(c));
    stalwart_receive(&body, |c| theirs.extend_from_slice(c));
    assert!(ours == theirs, "the receivers disagree on the body");
    assert!(ours.len() < body.len() && ours.ends_with(b"--b1--\r\n"));
    let mut group = c.benchmark_group("smtp_data_unstuff");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.sample_size(20);
    group.bench_function("postroom_server", |b| {
        b.iter_batched(
            server_in_data,
            |server| postroom_receive(server, &body, |c| _ = black_box(c)),
            BatchSize::LargeInput,
        );
    });
    group.bench_function("stalwart", |b| {
        b.iter(|| stalwart_receive(&body, |c| _ = black_box(c)));
    });
    group.finish();
}

criterion_group!(benches, command_parse, data_unstuff);

fn main() {
    if count_passes() || fastest_passes() {
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
