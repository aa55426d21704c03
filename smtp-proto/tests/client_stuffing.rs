//! The streaming dot-stuffer: known answers and round trips over arbitrary chunkings.

use bytes::BytesMut;
use proptest::prelude::*;
use smtp_proto::client::DotStuffer;

fn stuff(chunks: &[&[u8]]) -> Vec<u8> {
    let mut stuffer = DotStuffer::new();
    let mut out = BytesMut::new();
    for chunk in chunks {
        stuffer.stuff(chunk, &mut out);
    }
    stuffer.finish(&mut out);
    out.to_vec()
}

/// What a server does: drop the terminating line and one leading dot from each line.
fn unstuff(wire: &[u8]) -> Vec<u8> {
    let body = wire.strip_suffix(b".\r\n").expect("terminator");
    let mut out = Vec::new();
    for line in body.split_inclusive(|&b| b == b'\n') {
        out.extend_from_slice(line.strip_prefix(b".").unwrap_or(line));
    }
    out
}

#[test]
fn known_answers() {
    let cases: &[(&[&[u8]], &[u8])] = &[
        (&[], b".\r\n"),
        (&[b""], b".\r\n"),
        (&[b"a"], b"a\r\n.\r\n"),
        (&[b"a\r\n"], b"a\r\n.\r\n"),
        (&[b".a\r\n"], b"..a\r\n.\r\n"),
        (&[b"a\r\n.\r\nb"], b"a\r\n..\r\nb\r\n.\r\n"),
        (&[b"a\r\n", b".", b"\r\n"], b"a\r\n..\r\n.\r\n"),
        (&[b"a\r", b"\n.b"], b"a\r\n..b\r\n.\r\n"),
        (&[b"a\r", b"", b"\n", b"", b".b"], b"a\r\n..b\r\n.\r\n"),
        (&[b"x.y\r\n.."], b"x.y\r\n...\r\n.\r\n"),
        // Bare LF and bare CR become CRLF, and a dot after them is stuffed too.
        (&[b"a\n.b"], b"a\r\n..b\r\n.\r\n"),
        (&[b"a\r.b"], b"a\r\n..b\r\n.\r\n"),
        (&[b"a\r"], b"a\r\n.\r\n"),
        (&[b"a\r", b"\r", b"\n"], b"a\r\n\r\n.\r\n"),
        (&[b"\n.\n"], b"\r\n..\r\n.\r\n"),
    ];
    for (chunks, expected) in cases {
        assert_eq!(
            String::from_utf8_lossy(&stuff(chunks)),
            String::from_utf8_lossy(expected),
            "{chunks:?}"
        );
    }
}

#[test]
fn counts_body_octets_before_stuffing() {
    let mut stuffer = DotStuffer::new();
    let mut out = BytesMut::new();
    stuffer.stuff(b".a\nb", &mut out);
    assert_eq!(stuffer.body_len(), 5); // ".a" CRLF "b"
}

/// Body lines without CR or LF, joined with CRLF: the form a correct message has.
fn canonical_body() -> impl Strategy<Value = Vec<u8>> {
    let line = prop::collection::vec(
        prop_oneof![
            Just(b'.'),
            Just(b'a'),
            Just(b' '),
            any::<u8>().prop_filter("no CR/LF", |b| *b != b'\r' && *b != b'\n')
        ],
        0..12,
    );
    (prop::collection::vec(line, 0..10), any::<bool>()).prop_map(|(lines, trailing)| {
        let mut body = lines.join(&b"\r\n"[..]);
        if trailing && !body.is_empty() {
            body.extend_from_slice(b"\r\n");
        }
        body
    })
}

fn chunked(body: &[u8], cuts: &[prop::sample::Index]) -> Vec<Vec<u8>> {
    let mut points: Vec<usize> = cuts.iter().map(|i| i.index(body.len() + 1)).collect();
    points.sort_unstable();
    let mut chunks = Vec::new();
    let mut start = 0;
    for point in points.into_iter().chain([body.len()]) {
        chunks.push(body[start..point].to_vec());
        start = point;
    }
    chunks
}

proptest! {
    #[test]
    fn stuff_then_unstuff_is_identity(body in canonical_body(), cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..8)) {
        let chunks = chunked(&body, &cuts);
        let refs: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
        let wire = stuff(&refs);
        let mut expected = body.clone();
        if !expected.is_empty() && !expected.ends_with(b"\r\n") {
            expected.extend_from_slice(b"\r\n");
        }
        prop_assert_eq!(unstuff(&wire), expected);
    }

    #[test]
    fn any_bytes_give_a_well_formed_body(body in prop::collection::vec(prop_oneof![Just(b'\r'), Just(b'\n'), Just(b'.'), any::<u8>()], 0..80), cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..8)) {
        let chunks = chunked(&body, &cuts);
        let refs: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
        let wire = stuff(&refs);
        // The chunking does not matter.
        prop_assert_eq!(&wire, &stuff(&[&body]));
        // Only CRLF line endings.
        for (i, &b) in wire.iter().enumerate() {
            if b == b'\r' { prop_assert_eq!(wire.get(i + 1), Some(&b'\n')); }
            if b == b'\n' { prop_assert!(i > 0 && wire[i - 1] == b'\r'); }
        }
        // The end-of-data line appears exactly once, at the end.
        let terminators = wire.windows(5).filter(|w| w == b"\r\n.\r\n").count()
            + usize::from(wire.starts_with(b".\r\n"));
        prop_assert_eq!(terminators, 1);
        prop_assert!(wire.ends_with(b".\r\n"));
    }
}
