//! Robustness: hostile and broken input never panics and stays bounded; properties
//! over generated messages.

use imap_proto::types::{BodyStructure, PartKind, SectionText};
use proptest::prelude::*;

use super::super::Message;
use super::super::parse::{MAX_DEPTH, MAX_PARTS};
use super::{body, section};

/// Every view of the message, to be run on hostile input.
fn exercise(raw: &[u8]) -> Message<'_> {
    let message = Message::parse(raw);
    let _ = message.envelope();
    let _ = message.body_structure(true);
    let _ = message.body_text();
    let _ = message.sent_date();
    let _ = message.first_address("from");
    let _ = message.header_values("subject");
    for part in [&[][..], &[1], &[1, 1], &[2, 1, 1]] {
        let _ = message.binary(part);
    }
    message
}

#[test]
fn truncated_and_degenerate_input() {
    for raw in [
        &b""[..],
        b"\r\n",
        b"\n",
        b"\r",
        b"Subject",
        b"Subject: x",
        b"Subject: x\r",
        b"Subject: x\r\n\r",
        b": no name\r\n\r\n",
        b" continuation first\r\nSubject: y\r\n\r\n",
        b"Content-Type: multipart/mixed; boundary=",
        b"Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n",
        b"Content-Type: multipart/mixed; boundary=a\r\n\r\n--a",
        b"Content-Type: multipart/mixed; boundary=a\r\n\r\n--a--",
        b"Content-Type: message/rfc822\r\n\r\n",
        b"Content-Type: message/rfc822",
        b"Content-Type: text/plain; charset=\"unterminated\r\n\r\n",
        b"Content-Type: text/plain; (((((((\r\n\r\n",
        b"From: \"unterminated <a@b>\r\nTo: (((((\r\nCc: <<<>>>@@@,,,;;;:::\r\n\r\n",
        b"Content-Disposition: ; ; =\r\nContent-Language: ,,,\r\n\r\n",
        b"Content-Type: text/plain; a*0*=x; a*1*=y; a*99999999999=z; a*=w\r\n\r\n",
        b"\0\0\0: \0\r\n\r\n\0",
    ] {
        let message = exercise(raw);
        let header = message.section(&section("", Some(SectionText::Header)));
        let text = message.section(&section("", Some(SectionText::Text)));
        assert_eq!([&header[..], &text[..]].concat(), message.raw(), "{raw:?}");
    }
}

/// `depth` multiparts, each inside the previous one.
fn nested_multiparts(depth: usize) -> String {
    let mut raw = String::new();
    for level in 0..depth {
        raw.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"b{level}\"\r\n\r\n--b{level}\r\n"
        ));
    }
    raw.push_str("\r\ninnermost\r\n");
    raw
}

#[test]
fn deep_multipart_nesting_is_bounded() {
    let raw = nested_multiparts(5_000);
    let message = exercise(raw.as_bytes());
    let structure = message.body_structure(true);
    assert!(
        structure.depth() <= MAX_DEPTH + 1,
        "depth {}",
        structure.depth()
    );
    assert!(
        structure.depth() >= MAX_DEPTH,
        "depth {}",
        structure.depth()
    );
    // Within the limit, parts are still addressable.
    let path = vec!["1"; 20].join(".");
    let part = message.section(&section(&path, Some(SectionText::Mime)));
    assert_eq!(
        &part[..],
        b"Content-Type: multipart/mixed; boundary=\"b20\"\r\n\r\n"
    );
}

#[test]
fn deep_message_nesting_is_bounded() {
    let raw = "Content-Type: message/rfc822\r\n\r\n".repeat(5_000) + "end";
    let message = exercise(raw.as_bytes());
    let structure = message.body_structure(false);
    assert!(
        structure.depth() <= MAX_DEPTH + 1,
        "depth {}",
        structure.depth()
    );
    assert_eq!(message.body_text(), "");
}

#[test]
fn part_count_is_bounded() {
    let raw = format!(
        "Content-Type: multipart/mixed; boundary=p\r\n\r\n{}--p--\r\n",
        "--p\r\n\r\nx\r\n".repeat(MAX_PARTS + 5_000)
    );
    let message = exercise(raw.as_bytes());
    let BodyStructure::Multi(multi) = message.body_structure(false) else {
        panic!("not multipart");
    };
    assert!(multi.parts().len() < MAX_PARTS);
    assert!(multi.parts().len() > MAX_PARTS - 10);
}

#[test]
fn overlong_boundary_is_ignored() {
    let boundary = "b".repeat(300);
    let raw = format!(
        "Content-Type: multipart/mixed; boundary={boundary}\r\n\r\n--{boundary}\r\n\r\nx\r\n--{boundary}--\r\n"
    );
    assert_eq!(
        body(raw.as_bytes()),
        r#"BODY (("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 0 0) "MIXED")"#
    );
}

/// (part path, octets, lines) of every single part the structure describes.
fn single_parts(structure: &BodyStructure<'_>) -> Vec<(Vec<u32>, u32, Option<u64>)> {
    fn visit(
        node: &BodyStructure<'_>,
        path: Vec<u32>,
        out: &mut Vec<(Vec<u32>, u32, Option<u64>)>,
    ) {
        match node {
            BodyStructure::Multi(multi) => children(multi.parts(), &path, out),
            BodyStructure::Single(part) => {
                let lines = match &part.kind {
                    PartKind::Text { lines, .. } | PartKind::Message { lines, .. } => Some(*lines),
                    PartKind::Basic { .. } => None,
                };
                out.push((path.clone(), part.fields.octets, lines));
                if let PartKind::Message { body, .. } = &part.kind {
                    match &**body {
                        BodyStructure::Multi(multi) => children(multi.parts(), &path, out),
                        single => visit(single, [path.as_slice(), &[1]].concat(), out),
                    }
                }
            }
        }
    }
    fn children(
        parts: &[BodyStructure<'_>],
        path: &[u32],
        out: &mut Vec<(Vec<u32>, u32, Option<u64>)>,
    ) {
        for (number, part) in (1..).zip(parts) {
            visit(part, [path, &[number]].concat(), out);
        }
    }
    let mut out = Vec::new();
    match structure {
        BodyStructure::Multi(multi) => children(multi.parts(), &[], &mut out),
        single => visit(single, vec![1], &mut out),
    }
    out
}

/// Checks that HEADER + TEXT is the message and that every part's BODYSTRUCTURE size
/// and line count match its BODY[part] and BINARY[part] (for identity encodings).
fn assert_consistent(raw: &[u8]) {
    let message = Message::parse(raw);
    let header = message.section(&section("", Some(SectionText::Header)));
    let text = message.section(&section("", Some(SectionText::Text)));
    assert_eq!([&header[..], &text[..]].concat(), message.raw());
    for (path, octets, lines) in single_parts(&message.body_structure(true)) {
        let dotted: Vec<String> = path.iter().map(u32::to_string).collect();
        let data = message.section(&section(&dotted.join("."), None));
        assert_eq!(data.len(), octets as usize, "size of {path:?}");
        if let Some(lines) = lines {
            let newlines = data.iter().filter(|&&b| b == b'\n').count();
            assert_eq!(newlines as u64, lines, "lines of {path:?}");
        }
    }
}

/// A generated MIME tree.
#[derive(Debug, Clone)]
enum Entity {
    Text(Vec<String>),
    Multipart {
        preamble: Vec<String>,
        parts: Vec<Self>,
        epilogue: Vec<String>,
    },
    Message(Box<Self>),
}

impl Entity {
    /// The entity with CRLF line ends; boundaries are numbered from `next`.
    fn render(&self, next: &mut usize) -> String {
        match self {
            Self::Text(lines) => format!("Content-Type: text/plain\r\n\r\n{}", lines.join("\r\n")),
            Self::Multipart {
                preamble,
                parts,
                epilogue,
            } => {
                *next += 1;
                let boundary = format!("=_{next}_=");
                let mut out = format!(
                    "Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n{}",
                    preamble.join("\r\n")
                );
                for part in parts {
                    out.push_str(&format!("\r\n--{boundary}\r\n{}", part.render(next)));
                }
                out.push_str(&format!("\r\n--{boundary}--\r\n{}", epilogue.join("\r\n")));
                out
            }
            Self::Message(inner) => {
                format!("Content-Type: message/rfc822\r\n\r\n{}", inner.render(next))
            }
        }
    }

    /// The BODY we expect for it.
    fn expected_body(&self, next: &mut usize) -> String {
        match self {
            Self::Text(lines) => {
                let body = lines.join("\r\n");
                format!(
                    r#"("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" {} {})"#,
                    body.len(),
                    body.matches('\n').count()
                )
            }
            Self::Multipart { parts, .. } => {
                *next += 1;
                let parts: String = parts.iter().map(|p| p.expected_body(next)).collect();
                format!("({parts} \"MIXED\")")
            }
            Self::Message(inner) => {
                let encapsulated = inner.render(&mut next.clone());
                format!(
                    r#"("MESSAGE" "RFC822" NIL NIL NIL "7BIT" {} (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) {} {})"#,
                    encapsulated.len(),
                    inner.expected_body(next),
                    encapsulated.matches('\n').count()
                )
            }
        }
    }
}

fn lines() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec("[a-z =:]{0,12}", 0..4)
}

fn entity() -> impl Strategy<Value = Entity> {
    lines()
        .prop_map(Entity::Text)
        .prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                (lines(), prop::collection::vec(inner.clone(), 1..4), lines()).prop_map(
                    |(preamble, parts, epilogue)| Entity::Multipart {
                        preamble,
                        parts,
                        epilogue,
                    }
                ),
                inner.prop_map(|e| Entity::Message(Box::new(e))),
            ]
        })
}

/// Bytes that are likely to hit MIME syntax.
fn hostile_bytes() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        any::<u8>(),
        Just(b'\n'),
        Just(b'\r'),
        Just(b'-'),
        Just(b':'),
        Just(b' '),
        Just(b'"'),
        Just(b'a'),
    ];
    let prefix = prop_oneof![
        Just(""),
        Just("Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\n"),
        Just(
            "Content-Type: message/rfc822\r\n\r\nContent-Type: multipart/x; boundary=\"-\"\r\n\r\n"
        ),
        Just("From: a <b@c>, (x\r\nContent-Type: multipart/digest; boundary=a\r\n\r\n--a\r\n\r\n"),
    ];
    (prefix, prop::collection::vec(byte, 0..600)).prop_map(|(prefix, tail)| {
        let mut raw = prefix.as_bytes().to_vec();
        raw.extend(tail);
        raw
    })
}

proptest! {
    #[test]
    fn generated_messages_have_the_generated_structure(tree in entity()) {
        let raw = tree.render(&mut 0);
        let expected = format!("BODY {}", tree.expected_body(&mut 0));
        prop_assert_eq!(body(raw.as_bytes()), expected.clone());
        prop_assert_eq!(body(raw.replace("\r\n", "\n").as_bytes()), expected);
        assert_consistent(raw.as_bytes());
    }

    #[test]
    fn hostile_bytes_never_panic_and_stay_consistent(raw in hostile_bytes()) {
        exercise(&raw);
        assert_consistent(&raw);
    }
}
