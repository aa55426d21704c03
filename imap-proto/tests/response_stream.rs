//! The streaming response decoder: large FETCH literals come out in chunks, whatever the
//! input chunking, and everything else matches whole-response decoding.

use imap_proto::codec::{
    DecodeError, ResponseOptions, ResponseStream, StreamEvent, decode_response,
};
use imap_proto::types::*;

/// What a client would collect from the events, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    Response(Response<'static>),
    FetchStart(u32),
    Item(FetchItem<'static>),
    Literal {
        item: StreamedItem<'static>,
        length: u32,
        data: Vec<u8>,
    },
    FetchEnd,
    Error(usize),
    Discarded,
}

/// Feeds `input` in pieces of `chunk` bytes (the client appends each piece to its buffer
/// and drains events until `Incomplete`), with `threshold` for streaming.
fn run(input: &[u8], chunk: usize, threshold: u32) -> Vec<Seen> {
    let mut stream = ResponseStream::new(ResponseOptions::default(), threshold);
    let mut buf: Vec<u8> = Vec::new();
    let mut seen = Vec::new();
    let mut literal: Option<(StreamedItem<'static>, u32, Vec<u8>)> = None;
    let mut fed = 0;
    let mut steps = 0;
    while fed < input.len() || !buf.is_empty() {
        let end = (fed + chunk).min(input.len());
        buf.extend_from_slice(&input[fed..end]);
        fed = end;
        loop {
            steps += 1;
            assert!(steps < 1_000_000, "no progress");
            match stream.decode(&buf) {
                Ok((n, event)) => {
                    match event {
                        StreamEvent::Response(r) => seen.push(Seen::Response(r.into_owned())),
                        StreamEvent::FetchStart { seq } => seen.push(Seen::FetchStart(seq.get())),
                        StreamEvent::FetchItem(i) => seen.push(Seen::Item(i.into_owned())),
                        StreamEvent::LiteralStart { item, length, .. } => {
                            assert!(literal.is_none());
                            literal = Some((item.into_owned(), length, Vec::new()));
                        }
                        StreamEvent::LiteralData(d) => {
                            assert!(!d.is_empty());
                            literal.as_mut().unwrap().2.extend_from_slice(d);
                        }
                        StreamEvent::LiteralEnd => {
                            let (item, length, data) = literal.take().unwrap();
                            assert_eq!(data.len(), length as usize);
                            seen.push(Seen::Literal { item, length, data });
                        }
                        StreamEvent::FetchEnd => seen.push(Seen::FetchEnd),
                        StreamEvent::Discarded => {
                            if seen.last() != Some(&Seen::Discarded) {
                                seen.push(Seen::Discarded);
                            }
                        }
                    }
                    buf.drain(..n);
                }
                Err(DecodeError::Incomplete | DecodeError::Literal { .. }) => break,
                Err(DecodeError::Invalid { consumed, .. }) => {
                    seen.push(Seen::Error(consumed));
                    buf.drain(..consumed);
                }
                Err(e) => panic!("fatal: {e:?}"),
            }
        }
        if fed == input.len() && !buf.is_empty() && stream.is_idle() {
            // Leftover that never completes.
            let before = buf.len();
            if matches!(stream.decode(&buf), Err(DecodeError::Incomplete)) {
                break;
            }
            assert_ne!(before, 0);
        }
    }
    assert!(stream.is_idle(), "ended inside a response");
    seen
}

fn big_fetch(size: usize) -> (Vec<u8>, Vec<u8>) {
    let body: Vec<u8> = (0..size).map(|k| b"0123456789\r\n"[k % 12]).collect();
    let mut input = b"* 1 EXISTS\r\n".to_vec();
    input.extend_from_slice(format!("* 7 FETCH (UID 99 BODY[]<0> {{{size}}}\r\n").as_bytes());
    input.extend_from_slice(&body);
    input.extend_from_slice(
        b" FLAGS (\\Seen) BODY[HEADER] {4}\r\nab\r\n BINARY[1] ~{3}\r\na\0c)\r\n",
    );
    input.extend_from_slice(b"a1 OK done\r\n");
    (input, body)
}

fn nz(n: u32) -> std::num::NonZeroU32 {
    std::num::NonZeroU32::new(n).unwrap()
}

fn expected_big(body: Vec<u8>) -> Vec<Seen> {
    let (_, ok) = decode_response(b"a1 OK done\r\n").unwrap();
    let (_, exists) = decode_response(b"* 1 EXISTS\r\n").unwrap();
    vec![
        Seen::Response(exists.into_owned()),
        Seen::FetchStart(7),
        Seen::Item(FetchItem::Uid(nz(99))),
        Seen::Literal {
            item: StreamedItem::BodySection {
                section: Section::default(),
                origin: Some(0),
            },
            length: body.len() as u32,
            data: body,
        },
        Seen::Item(FetchItem::Flags(vec![Flag::Seen])),
        Seen::Item(FetchItem::BodySection {
            section: Section::new(vec![], Some(SectionText::Header)).unwrap(),
            origin: None,
            data: NString(Some(IString::new(&b"ab\r\n"[..]).unwrap().into_owned())),
        }),
        Seen::Item(FetchItem::Binary {
            part: vec![nz(1)],
            origin: None,
            data: Some(b"a\0c".to_vec().into()),
        }),
        Seen::FetchEnd,
        Seen::Response(ok.into_owned()),
    ]
}

#[test]
fn streams_a_large_literal_in_any_chunking() {
    let (input, body) = big_fetch(5000);
    let expected = expected_big(body);
    for chunk in [1, 2, 3, 7, 64, 1000, 4999, 5000, 100_000] {
        assert_eq!(run(&input, chunk, 1024), expected, "chunk size {chunk}");
    }
}

#[test]
fn streams_thirty_megabytes_without_buffering_them() {
    let (input, body) = big_fetch(30 * 1024 * 1024);
    let expected = expected_big(body);
    // 64 KiB socket reads: the decoder's buffer never holds much more than that.
    assert_eq!(run(&input, 64 * 1024, 256 * 1024), expected);
}

#[test]
fn small_literals_and_other_responses_come_whole() {
    let input: &[u8] = b"* 3 FETCH (BODY[] {5}\r\nhello FLAGS ())\r\n* OK [ALERT] hi\r\n+ go on\r\n* SEARCH 1 2\r\n";
    let mut expected = Vec::new();
    let mut rest = input;
    while !rest.is_empty() {
        let (n, r) = decode_response(rest).unwrap();
        expected.push(Seen::Response(r.into_owned()));
        rest = &rest[n..];
    }
    for chunk in [1, 5, 1000] {
        assert_eq!(run(input, chunk, 1024), expected);
    }
}

#[test]
fn empty_and_threshold_sized_literals() {
    // A literal exactly at the threshold is not streamed; one above is, even with no
    // other items.
    let at = b"* 1 FETCH (RFC822 {4}\r\nabcd)\r\n";
    assert!(matches!(run(at, 3, 4).as_slice(), [Seen::Response(_)]));
    let above = b"* 1 FETCH (RFC822.TEXT {5}\r\nabcde)\r\n";
    assert_eq!(
        run(above, 3, 4),
        vec![
            Seen::FetchStart(1),
            Seen::Literal {
                item: StreamedItem::Rfc822Text,
                length: 5,
                data: b"abcde".to_vec()
            },
            Seen::FetchEnd,
        ]
    );
}

#[test]
fn malformed_streamed_response_is_skipped() {
    let mut input = b"* 1 FETCH (BODY[] {2000}\r\n".to_vec();
    input.extend(std::iter::repeat_n(b'x', 2000));
    input.extend_from_slice(b" X-UNKNOWN 5 BODY[TEXT] {3000}\r\n");
    input.extend(std::iter::repeat_n(b'y', 3000));
    input.extend_from_slice(b")\r\na1 OK done\r\n");
    for chunk in [1, 100, 10_000] {
        let seen = run(&input, chunk, 1000);
        assert_eq!(seen[0], Seen::FetchStart(1));
        assert!(matches!(&seen[1], Seen::Literal { length: 2000, .. }));
        // The bad item is reported once, then the rest of the response is discarded
        // (its second big literal included) and decoding carries on.
        assert_eq!(seen[2], Seen::Error(32));
        assert_eq!(seen[3], Seen::Discarded);
        assert!(
            matches!(&seen[4], Seen::Response(Response::Tagged(_))),
            "{:?}",
            &seen[4..]
        );
        assert_eq!(seen.len(), 5);
    }
}

#[test]
fn streamed_literal_is_not_limited_by_max_literal() {
    let opts = ResponseOptions::new(imap_proto::codec::DecodeOptions::new(1024, 100), 16);
    let mut stream = ResponseStream::new(opts, 100);
    let mut input = b"* 1 FETCH (BODY[] {100000}\r\n".to_vec();
    let (n, ev) = stream.decode(&input).unwrap();
    assert_eq!(ev, StreamEvent::FetchStart { seq: nz(1) });
    input.drain(..n);
    let (n, ev) = stream.decode(&input).unwrap();
    assert!(matches!(
        ev,
        StreamEvent::LiteralStart {
            length: 100000,
            binary: false,
            ..
        }
    ));
    assert_eq!(n, input.len());
    assert_eq!(stream.decode(b""), Err(DecodeError::Incomplete));
    let (n, ev) = stream.decode(b"abc").unwrap();
    assert_eq!((n, ev), (3, StreamEvent::LiteralData(b"abc")));
}
