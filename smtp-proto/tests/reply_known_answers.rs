//! Known-answer tables for the reply codec: `(input, consumed, expected)`.

use bytes::BytesMut;
use smtp_proto::codec::{DecodeError, decode_reply, encode_reply};
use smtp_proto::types::{Capability, EhloReply, EnhancedCode, Reply};
use std::borrow::Cow;

fn reply(code: u16, enhanced: Option<(u8, u16, u16)>, lines: &[&str]) -> Reply<'static> {
    Reply {
        code,
        enhanced: enhanced.map(|(c, s, d)| EnhancedCode::new(c, s, d)),
        lines: lines.iter().map(|l| Cow::Owned((*l).to_owned())).collect(),
    }
}

#[test]
fn decodes_valid_replies() {
    let cases: Vec<(&[u8], usize, Reply<'static>)> = vec![
        // RFC 5321 appendix D.1 scenario.
        (b"220 foo.com Simple Mail Transfer Service Ready\r\n", 48, reply(220, None, &["foo.com Simple Mail Transfer Service Ready"])),
        (
            b"250-foo.com greets bar.com\r\n250-8BITMIME\r\n250-SIZE\r\n250-DSN\r\n250 HELP\r\n",
            71,
            reply(250, None, &["foo.com greets bar.com", "8BITMIME", "SIZE", "DSN", "HELP"]),
        ),
        (b"250 OK\r\n", 8, reply(250, None, &["OK"])),
        (b"550 No such user here\r\n", 23, reply(550, None, &["No such user here"])),
        (b"354 Start mail input; end with <CRLF>.<CRLF>\r\n", 46, reply(354, None, &["Start mail input; end with <CRLF>.<CRLF>"])),
        (b"221 foo.com Service closing transmission channel\r\n", 50, reply(221, None, &["foo.com Service closing transmission channel"])),
        // The layout of RFC 5321 section 4.2.1's multi-line example, with a real code.
        (
            b"250-First line\r\n250-Second line\r\n250-234 text beginning with numbers\r\n250 The last line\r\n",
            89,
            reply(250, None, &["First line", "Second line", "234 text beginning with numbers", "The last line"]),
        ),
        // Bare code with no text, with and without the space.
        (b"250\r\n", 5, reply(250, None, &[""])),
        (b"250 \r\n", 6, reply(250, None, &[""])),
        (b"250-\r\n250 x\r\n", 13, reply(250, None, &["", "x"])),
        // Enhanced status codes (RFC 2034 examples).
        (b"250 2.1.5 Destination address valid\r\n", 37, reply(250, Some((2, 1, 5)), &["Destination address valid"])),
        (b"550 5.1.1 Mailbox \"nosuchuser\" does not exist\r\n", 47, reply(550, Some((5, 1, 1)), &["Mailbox \"nosuchuser\" does not exist"])),
        (
            b"550-5.7.1 first\r\n550 5.7.1 second\r\n",
            35,
            reply(550, Some((5, 7, 1)), &["first", "second"]),
        ),
        (b"250 2.0.0\r\n", 11, reply(250, Some((2, 0, 0)), &[""])),
        (b"451 4.3.999 busy\r\n", 18, reply(451, Some((4, 3, 999)), &["busy"])),
        // Not enhanced: class mismatch, leading zero, missing on one line, different codes.
        (b"250 5.1.1 odd\r\n", 15, reply(250, None, &["5.1.1 odd"])),
        (b"250 2.01.0 x\r\n", 14, reply(250, None, &["2.01.0 x"])),
        (b"250-2.1.0 a\r\n250 b\r\n", 20, reply(250, None, &["2.1.0 a", "b"])),
        (b"250-2.1.0 a\r\n250 2.1.5 b\r\n", 26, reply(250, None, &["2.1.0 a", "2.1.5 b"])),
        (b"250 2.1.0x\r\n", 12, reply(250, None, &["2.1.0x"])),
        (b"250 3.1.0 x\r\n", 13, reply(250, None, &["3.1.0 x"])),
        // Bare LF tolerated; bytes after the reply are not consumed.
        (b"250 OK\n250 next\r\n", 7, reply(250, None, &["OK"])),
        // Non-UTF-8 text is converted lossily rather than refused.
        (b"250 caf\xe9\r\n", 10, reply(250, None, &["caf\u{fffd}"])),
        // UTF-8 text (RFC 6531) kept.
        (b"250 d\xc3\xa9j\xc3\xa0\r\n", 12, reply(250, None, &["d\u{e9}j\u{e0}"])),
    ];
    for (input, consumed, expected) in cases {
        if expected.code == 0 {
            // 1yz codes are not valid reply codes in RFC 5321's grammar.
            assert!(matches!(
                decode_reply(input),
                Err(DecodeError::Invalid { .. })
            ));
            continue;
        }
        let (n, got) = decode_reply(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
        assert_eq!(
            n,
            consumed,
            "consumed for {:?}",
            String::from_utf8_lossy(input)
        );
        assert_eq!(
            got,
            expected,
            "value for {:?}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn incomplete_replies_wait() {
    let cases: &[&[u8]] = &[
        b"",
        b"2",
        b"250",
        b"250 OK",
        b"250 OK\r",
        b"250-first\r\n",
        b"250-first\r\n250",
        b"250-first\r\n250-second\r\n250 last",
    ];
    for input in cases {
        assert_eq!(
            decode_reply(input),
            Err(DecodeError::Incomplete),
            "{input:?}"
        );
    }
}

#[test]
fn rejects_invalid_replies() {
    let cases: &[(&[u8], usize)] = &[
        (b"hello world\r\n", 13),
        (b"HTTP/1.1 400 Bad Request\r\n", 26),
        (b"\r\n", 2),
        (b"25\r\n", 4),
        (b"2500 x\r\n", 8),
        (b"250x\r\n", 6),
        (b"650 x\r\n", 7),
        (b"260 x\r\n", 7),
        (b"199 x\r\n", 7),
        // RFC 5321 section 4.2.1 illustrates with code 123, outside the reply-code grammar.
        (b"123-First line\r\n123 The last line\r\n", 16),
        (b"250 a\rb\r\n", 9),
        (b"250 a\0b\r\n", 9),
        // Inconsistent codes: consumed covers the lines up to the bad one.
        (b"250-a\r\n251 b\r\n", 14),
        (b"250-a\r\n550-b\r\n550 c\r\n", 14),
        (b"250-a\r\ngarbage\r\n250 c\r\n", 16),
    ];
    for (input, consumed) in cases {
        match decode_reply(input) {
            Err(DecodeError::Invalid {
                consumed: n,
                reason,
            }) => {
                assert_eq!(
                    n,
                    *consumed,
                    "{:?}: {reason}",
                    String::from_utf8_lossy(input)
                );
                assert!(!reason.is_empty());
            }
            other => panic!(
                "{:?}: expected Invalid, got {other:?}",
                String::from_utf8_lossy(input)
            ),
        }
    }
}

#[test]
fn bounds_reply_size() {
    // A line without end longer than the limit is refused instead of buffered forever.
    let long = vec![b'2'; 5000];
    assert!(matches!(
        decode_reply(&long),
        Err(DecodeError::Invalid { .. })
    ));
    // A complete line over the limit.
    let mut line = b"250 ".to_vec();
    line.extend(std::iter::repeat_n(b'x', 5000));
    line.extend_from_slice(b"\r\n");
    assert!(matches!(
        decode_reply(&line),
        Err(DecodeError::Invalid { .. })
    ));
    // Too many continuation lines.
    let many = b"250-x\r\n".repeat(300);
    assert!(matches!(
        decode_reply(&many),
        Err(DecodeError::Invalid { .. })
    ));
    // 256 lines are still fine.
    let mut ok = b"250-x\r\n".repeat(255);
    ok.extend_from_slice(b"250 x\r\n");
    let (n, r) = decode_reply(&ok).unwrap();
    assert_eq!((n, r.lines.len()), (ok.len(), 256));
    // Total size bound: 20 lines of 4000 bytes exceed 64 KiB.
    let mut big = Vec::new();
    for _ in 0..20 {
        big.extend_from_slice(b"250-");
        big.extend(std::iter::repeat_n(b'y', 3990));
        big.extend_from_slice(b"\r\n");
    }
    assert!(matches!(
        decode_reply(&big),
        Err(DecodeError::Invalid { .. })
    ));
}

#[test]
fn encodes_replies() {
    let cases: Vec<(Reply<'static>, &str)> = vec![
        (reply(250, None, &["OK"]), "250 OK\r\n"),
        (reply(250, None, &[""]), "250\r\n"),
        (reply(250, None, &[]), "250\r\n"),
        (
            reply(250, None, &["a", "b", "c"]),
            "250-a\r\n250-b\r\n250 c\r\n",
        ),
        (reply(250, None, &["", ""]), "250-\r\n250\r\n"),
        (reply(250, Some((2, 1, 5)), &["ok"]), "250 2.1.5 ok\r\n"),
        (
            reply(550, Some((5, 7, 1)), &["one", "two"]),
            "550-5.7.1 one\r\n550 5.7.1 two\r\n",
        ),
        (reply(250, Some((2, 0, 0)), &[""]), "250 2.0.0\r\n"),
        (
            reply(250, Some((2, 0, 0)), &["", "x"]),
            "250-2.0.0\r\n250 2.0.0 x\r\n",
        ),
        // Line breaks in text cannot be smuggled into the stream.
        (reply(250, None, &["a\r\n250 b"]), "250 a  250 b\r\n"),
    ];
    for (value, wire) in cases {
        let mut out = BytesMut::new();
        encode_reply(&value, &mut out);
        assert_eq!(String::from_utf8_lossy(&out), wire, "{value:?}");
    }
}

#[test]
fn ehlo_reply_capabilities() {
    let wire = b"250-mx.example.org Hello client.example [192.0.2.1]\r\n\
250-PIPELINING\r\n250-SIZE 35882577\r\n250-8BITMIME\r\n250-BINARYMIME\r\n\
250-CHUNKING\r\n250-SMTPUTF8\r\n250-DSN\r\n250-STARTTLS\r\n250-AUTH PLAIN LOGIN\r\n\
250-AUTH=LOGIN\r\n250-ENHANCEDSTATUSCODES\r\n250-REQUIRETLS\r\n250-size\r\n\
250-SIZE abc\r\n250-ETRN\r\n250 X-EXPS GSSAPI NTLM\r\n";
    let (n, r) = decode_reply(wire).unwrap();
    assert_eq!(n, wire.len());
    let ehlo = EhloReply::from_reply(&r).unwrap();
    assert_eq!(ehlo.domain, "mx.example.org");
    assert_eq!(
        ehlo.greeting.as_deref(),
        Some("Hello client.example [192.0.2.1]")
    );
    let b = |s: &'static str| Cow::Borrowed(s);
    assert_eq!(
        ehlo.capabilities,
        vec![
            Capability::Pipelining,
            Capability::Size(Some(35_882_577)),
            Capability::EightBitMime,
            Capability::BinaryMime,
            Capability::Chunking,
            Capability::SmtpUtf8,
            Capability::Dsn,
            Capability::StartTls,
            Capability::Auth(vec![b("PLAIN"), b("LOGIN")]),
            Capability::Auth(vec![b("LOGIN")]),
            Capability::EnhancedStatusCodes,
            Capability::RequireTls,
            Capability::Size(None),
            Capability::Other {
                keyword: b("SIZE"),
                params: vec![b("abc")]
            },
            Capability::Other {
                keyword: b("ETRN"),
                params: vec![]
            },
            Capability::Other {
                keyword: b("X-EXPS"),
                params: vec![b("GSSAPI"), b("NTLM")]
            },
        ]
    );
    assert_eq!(ehlo.auth_mechanisms(), vec!["PLAIN", "LOGIN"]);
    assert_eq!(ehlo.size(), Some(Some(35_882_577)));
    assert!(ehlo.has(&Capability::Pipelining));
    assert!(
        !EhloReply::from_reply(&reply(250, None, &["x"]))
            .unwrap()
            .has(&Capability::Pipelining)
    );
    // Only 250 is a positive EHLO reply.
    assert!(EhloReply::from_reply(&reply(502, None, &["no"])).is_none());
    // Single-line reply: no greeting, no capabilities.
    let one = reply(250, None, &["mx.example.org"]);
    let ehlo = EhloReply::from_reply(&one).unwrap();
    assert_eq!(
        (
            ehlo.domain.as_ref(),
            ehlo.greeting.is_none(),
            ehlo.capabilities.len()
        ),
        ("mx.example.org", true, 0)
    );
}

#[test]
fn ehlo_reply_to_wire() {
    let ehlo = EhloReply {
        domain: Cow::Borrowed("mx.example.org"),
        greeting: Some(Cow::Borrowed("greets you")),
        capabilities: vec![
            Capability::Pipelining,
            Capability::Size(Some(1000)),
            Capability::Auth(vec![Cow::Borrowed("PLAIN")]),
            Capability::Chunking,
        ],
    };
    let mut out = BytesMut::new();
    encode_reply(&ehlo.to_reply(), &mut out);
    assert_eq!(
        String::from_utf8_lossy(&out),
        "250-mx.example.org greets you\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250-AUTH PLAIN\r\n250 CHUNKING\r\n"
    );
}
