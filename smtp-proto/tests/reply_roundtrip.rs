//! Round trips: `decode(encode(x)) == x` for replies and EHLO replies.

use bytes::BytesMut;
use proptest::prelude::*;
use smtp_proto::codec::{decode_reply, encode_reply};
use smtp_proto::types::{Capability, EhloReply, EnhancedCode, Reply};
use std::borrow::Cow;

fn code() -> impl Strategy<Value = u16> {
    (2u16..=5, 0u16..=5, 0u16..=9).prop_map(|(a, b, c)| a * 100 + b * 10 + c)
}

fn text() -> impl Strategy<Value = String> {
    "[ -~\u{e9}\u{20ac}]{0,40}"
}

fn reply() -> impl Strategy<Value = Reply<'static>> {
    (
        code(),
        any::<bool>(),
        0u16..=999,
        0u16..=999,
        prop::collection::vec(text(), 1..6),
    )
        .prop_map(|(code, with_enhanced, subject, detail, lines)| {
            let class = (code / 100) as u8;
            let enhanced =
                (with_enhanced && class != 3).then(|| EnhancedCode::new(class, subject, detail));
            Reply::multiline(code, enhanced, lines.into_iter().map(Cow::Owned).collect())
        })
        .prop_filter("text that looks like an enhanced code on every line", |r| {
            r.enhanced.is_some() || !r.lines.iter().all(|l| looks_enhanced(l))
        })
}

/// A crude superset of the decoder's enhanced-code check: `digit.`.
fn looks_enhanced(line: &str) -> bool {
    let b = line.as_bytes();
    b.len() >= 2 && b[0].is_ascii_digit() && b[1] == b'.'
}

fn word() -> impl Strategy<Value = String> {
    "[!-<>-~]{1,10}"
}

fn capability() -> impl Strategy<Value = Capability<'static>> {
    let known = [
        "PIPELINING",
        "SIZE",
        "8BITMIME",
        "BINARYMIME",
        "CHUNKING",
        "SMTPUTF8",
        "DSN",
        "STARTTLS",
        "AUTH",
        "ENHANCEDSTATUSCODES",
        "REQUIRETLS",
    ];
    prop_oneof![
        Just(Capability::Pipelining),
        prop::option::of(any::<u64>()).prop_map(Capability::Size),
        Just(Capability::EightBitMime),
        Just(Capability::BinaryMime),
        Just(Capability::Chunking),
        Just(Capability::SmtpUtf8),
        Just(Capability::Dsn),
        Just(Capability::StartTls),
        prop::collection::vec("[A-Z0-9_-]{1,12}", 0..4)
            .prop_map(|m| Capability::Auth(m.into_iter().map(Cow::Owned).collect())),
        Just(Capability::EnhancedStatusCodes),
        Just(Capability::RequireTls),
        (
            "[A-Za-z0-9][A-Za-z0-9-]{0,12}",
            prop::collection::vec(word(), 0..4)
        )
            .prop_filter("known keyword", move |(k, _)| {
                !known.iter().any(|known| known.eq_ignore_ascii_case(k))
            })
            .prop_map(|(keyword, params)| Capability::Other {
                keyword: Cow::Owned(keyword),
                params: params.into_iter().map(Cow::Owned).collect(),
            }),
    ]
}

fn ehlo_reply() -> impl Strategy<Value = EhloReply<'static>> {
    (
        "[a-z0-9][a-z0-9.-]{0,30}",
        prop::option::of("[!-~][ -~]{0,30}"),
        prop::collection::vec(capability(), 0..12),
    )
        .prop_map(|(domain, greeting, capabilities)| EhloReply {
            domain: Cow::Owned(domain),
            greeting: greeting.map(Cow::Owned),
            capabilities,
        })
}

proptest! {
    #[test]
    fn reply_round_trip(reply in reply(), trailing in prop::collection::vec(any::<u8>(), 0..8)) {
        let mut wire = BytesMut::new();
        encode_reply(&reply, &mut wire);
        let len = wire.len();
        wire.extend_from_slice(&trailing);
        let (consumed, decoded) = decode_reply(&wire).expect("decodes");
        prop_assert_eq!(consumed, len);
        prop_assert_eq!(decoded, reply);
    }

    #[test]
    fn reply_prefix_is_incomplete(reply in reply(), cut in any::<prop::sample::Index>()) {
        let mut wire = BytesMut::new();
        encode_reply(&reply, &mut wire);
        let cut = cut.index(wire.len());
        prop_assert_eq!(decode_reply(&wire[..cut]), Err(smtp_proto::codec::DecodeError::Incomplete));
    }

    #[test]
    fn ehlo_reply_round_trip(ehlo in ehlo_reply()) {
        let mut wire = BytesMut::new();
        encode_reply(&ehlo.to_reply(), &mut wire);
        let (consumed, decoded) = decode_reply(&wire).expect("decodes");
        prop_assert_eq!(consumed, wire.len());
        let parsed = EhloReply::from_reply(&decoded).expect("250 reply");
        prop_assert_eq!(parsed.into_owned(), ehlo);
    }

    #[test]
    fn decode_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        if let Ok((n, reply)) = decode_reply(&bytes) {
            prop_assert!(n <= bytes.len());
            prop_assert!(!reply.lines.is_empty());
        }
    }
}

/// Bytes that are not UTF-8 are decoded as U+FFFD, three bytes each: a reply line within
/// the 4096-byte limit can encode beyond it, and decoding that is then refused, never
/// mangled (a finding of the 2026-11-27 fuzz campaign, in the fuzz target's invariant).
#[test]
fn lossy_text_that_outgrows_the_line_limit_is_refused_again() {
    let mut raw = b"334 ".to_vec();
    raw.extend_from_slice(&[0xFF; 2000]);
    raw.extend_from_slice(b"\r\n");
    let (_, reply) = decode_reply(&raw).expect("within the limit");
    assert_eq!(reply.lines[0].chars().count(), 2000);
    let mut out = BytesMut::new();
    encode_reply(&reply, &mut out);
    assert!(out.len() > 4096);
    assert!(matches!(
        decode_reply(&out),
        Err(smtp_proto::codec::DecodeError::Invalid { .. })
    ));
}
