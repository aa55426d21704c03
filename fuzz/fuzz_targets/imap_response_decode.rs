//! IMAP response decoders: `decode_response` never panics and reports lengths inside the
//! input; `ResponseStream` gives the same events whether the input arrives at once or in
//! arbitrary chunks (literal data merged), matches `decode_response` on whole
//! responses, and never needs more buffered input than its limits allow.
#![no_main]

use imap_proto::codec::{
    DecodeError, DecodeOptions, ResponseOptions, ResponseStream, StreamEvent, decode_response_with,
};
use libfuzzer_sys::fuzz_target;

const MAX_MESSAGE: usize = 16 * 1024;

fn options() -> ResponseOptions {
    ResponseOptions::new(
        DecodeOptions::new(2048, 4096).with_max_message(MAX_MESSAGE),
        16,
    )
}

/// What a client sees, with literal data and discarded bytes merged across chunks.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Event(String),
    Data(Vec<u8>),
    Discarded(usize),
    Invalid(usize),
    Fatal(String),
}

fn push(seen: &mut Vec<Seen>, item: Seen) {
    match (seen.last_mut(), item) {
        (Some(Seen::Data(a)), Seen::Data(b)) => a.extend_from_slice(&b),
        (Some(Seen::Discarded(a)), Seen::Discarded(b)) => *a += b,
        (_, item) => seen.push(item),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&control, input)) = data.split_first() else {
        return;
    };
    let opts = options();
    let mut rest = input;
    while !rest.is_empty() {
        match decode_response_with(rest, &opts) {
            Ok((n, _)) | Err(DecodeError::Invalid { consumed: n, .. }) => {
                assert!(n > 0 && n <= rest.len());
                rest = &rest[n..];
            }
            Err(_) => break,
        }
    }
    let threshold = u32::from(control & 0x3f) * 16;
    let chunk = usize::from(control >> 6) * 7 + 1;
    let at_once = run_stream(input, input.len().max(1), threshold, &opts);
    let chunked = run_stream(input, chunk, threshold, &opts);
    assert_eq!(at_once, chunked);
});

/// Feeds `input` in pieces of `chunk` bytes and records the events.
fn run_stream(input: &[u8], chunk: usize, threshold: u32, opts: &ResponseOptions) -> Vec<Seen> {
    let mut stream = ResponseStream::new(*opts, threshold);
    let mut buf: Vec<u8> = Vec::new();
    let mut seen = Vec::new();
    let mut pieces = input.chunks(chunk);
    let mut idle_steps = 0;
    loop {
        match stream.decode(&buf) {
            Ok((n, event)) => {
                assert!(n <= buf.len());
                idle_steps = if n == 0 { idle_steps + 1 } else { 0 };
                assert!(idle_steps < 4, "no progress: {event:?}");
                let item = match event {
                    StreamEvent::LiteralData(d) => Seen::Data(d.to_vec()),
                    StreamEvent::Discarded => Seen::Discarded(n),
                    StreamEvent::Response(r) => {
                        if chunk >= input.len() {
                            let whole = decode_response_with(&buf, opts);
                            assert_eq!(whole, Ok((n, r.clone())));
                        }
                        Seen::Event(format!("{r:?}"))
                    }
                    other => Seen::Event(format!("{other:?}")),
                };
                push(&mut seen, item);
                buf.drain(..n);
            }
            Err(DecodeError::Incomplete) | Err(DecodeError::Literal { .. }) => {
                // Waiting for more input must never mean holding more than the limits.
                assert!(
                    buf.len() <= MAX_MESSAGE,
                    "buffered {} bytes without a decision",
                    buf.len()
                );
                match pieces.next() {
                    Some(piece) => buf.extend_from_slice(piece),
                    None => break,
                }
            }
            Err(DecodeError::Invalid { consumed, .. }) => {
                assert!(consumed > 0 && consumed <= buf.len());
                push(&mut seen, Seen::Invalid(consumed));
                buf.drain(..consumed);
            }
            Err(e) => {
                push(&mut seen, Seen::Fatal(format!("{e:?}")));
                break;
            }
        }
    }
    seen
}
