//! BODY[section] known answers: every section form, exact bytes.

use std::borrow::Cow;

use imap_proto::types::SectionText;

use super::super::{Message, to_crlf};
use super::corpus::{FORWARD, PLAIN, PLAIN_BODY, PLAIN_HEADER, lf};
use super::{body_section, fields, section};

#[test]
fn single_part_message() {
    let raw = PLAIN.as_bytes();
    assert_eq!(body_section(raw, "", None), PLAIN);
    assert_eq!(
        body_section(raw, "", Some(SectionText::Header)),
        PLAIN_HEADER
    );
    assert_eq!(body_section(raw, "", Some(SectionText::Text)), PLAIN_BODY);
    // A message that is not multipart has one part: its body, with the message
    // header as MIME header.
    assert_eq!(body_section(raw, "1", None), PLAIN_BODY);
    assert_eq!(
        body_section(raw, "1", Some(SectionText::Mime)),
        PLAIN_HEADER
    );
    assert_eq!(body_section(raw, "1", Some(SectionText::Header)), "");
    assert_eq!(body_section(raw, "2", None), "");
    assert_eq!(body_section(raw, "1.1", None), "");
}

#[test]
fn header_fields_keep_message_order_and_folding() {
    let raw = PLAIN.as_bytes();
    assert_eq!(
        body_section(raw, "", fields(&["subject", "FROM"], false)),
        concat!(
            "From: Fred Foobar <foobar@Blurdybloop.example>\r\n",
            "Subject: =?utf-8?q?caf=C3=A9?= and\r\n",
            "  more\r\n",
            "\r\n",
        )
    );
    assert_eq!(
        body_section(
            raw,
            "",
            fields(
                &[
                    "Return-Path",
                    "Date",
                    "From",
                    "Subject",
                    "To",
                    "Cc",
                    "Message-Id",
                    "In-Reply-To"
                ],
                true
            )
        ),
        "MIME-Version: 1.0\r\nContent-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\r\n"
    );
    // No such field: only the blank line.
    assert_eq!(body_section(raw, "", fields(&["X-Missing"], false)), "\r\n");
}

#[test]
fn header_fields_of_a_header_without_blank_line() {
    let raw = b"Subject: eof\r\nX-B: 2";
    assert_eq!(
        body_section(raw, "", Some(SectionText::Header)),
        "Subject: eof\r\nX-B: 2"
    );
    assert_eq!(body_section(raw, "", Some(SectionText::Text)), "");
    // RFC 3501 section 6.4.5: no blank line when the message has none.
    assert_eq!(body_section(raw, "", fields(&["x-b"], false)), "X-B: 2\r\n");
    assert_eq!(
        body_section(raw, "", fields(&["x-b"], true)),
        "Subject: eof\r\n"
    );
}

#[test]
fn header_fields_not_keeps_lines_without_colon() {
    let raw = b"From: a@b\r\nno colon line\r\nX-A: 1\r\n\r\nbody\r\n";
    assert_eq!(
        body_section(raw, "", fields(&["x-a"], true)),
        "From: a@b\r\nno colon line\r\n\r\n"
    );
}

#[test]
fn nested_parts_and_messages() {
    let raw = FORWARD.as_bytes();
    let inner_header = "Subject: inner\r\nContent-Type: multipart/alternative; boundary=b2\r\n\r\n";
    let inner_text = concat!(
        "--b2\r\n\r\ninner text\r\n--b2\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n",
        "--b2--\r\ninner epilogue",
    );
    let cases: &[(&str, Option<SectionText<'static>>, String)] = &[
        ("1", None, "hello".into()),
        (
            "1",
            Some(SectionText::Mime),
            "Content-Type: text/plain\r\n\r\n".into(),
        ),
        ("1", Some(SectionText::Header), String::new()),
        ("2", None, format!("{inner_header}{inner_text}")),
        (
            "2",
            Some(SectionText::Mime),
            "Content-Type: message/rfc822\r\n\r\n".into(),
        ),
        ("2", Some(SectionText::Header), inner_header.into()),
        ("2", Some(SectionText::Text), inner_text.into()),
        ("2.1", None, "inner text".into()),
        ("2.1", Some(SectionText::Mime), "\r\n".into()),
        ("2.2", None, "<p>x</p>".into()),
        (
            "2.2",
            Some(SectionText::Mime),
            "Content-Type: text/html\r\n\r\n".into(),
        ),
        ("2.3", None, String::new()),
        ("3", None, "--b3\r\n\r\nrel\r\n--b3--\r\n".into()),
        ("3.1", None, "rel".into()),
        ("3.1", Some(SectionText::Header), String::new()),
        ("3.1.1", None, "rel".into()),
        ("3.1.2", None, String::new()),
        ("3.1.1.1", None, String::new()),
        ("4", None, String::new()),
        ("", fields(&["from"], false), "\r\n".into()),
    ];
    for (part, text, expected) in cases {
        assert_eq!(
            &body_section(raw, part, text.clone()),
            expected,
            "BODY[{part} {text:?}]"
        );
    }
    assert_eq!(
        body_section(raw, "2", fields(&["SUBJECT", "CONTENT-TYPE"], false)),
        inner_header
    );
    assert_eq!(
        body_section(raw, "", Some(SectionText::Text)),
        &FORWARD[FORWARD.find("preamble").expect("preamble")..]
    );
}

#[test]
fn message_rfc822_top_level_numbers() {
    let raw = b"Subject: x\r\nContent-Type: message/rfc822\r\n\r\nSubject: y\r\n\r\nbody\r\n";
    assert_eq!(body_section(raw, "1", None), "Subject: y\r\n\r\nbody\r\n");
    assert_eq!(
        body_section(raw, "1", Some(SectionText::Header)),
        "Subject: y\r\n\r\n"
    );
    assert_eq!(body_section(raw, "1.1", None), "body\r\n");
    assert_eq!(
        body_section(raw, "1.1", Some(SectionText::Mime)),
        "Subject: y\r\n\r\n"
    );
    assert_eq!(body_section(raw, "1.2", None), "");
}

#[test]
fn lf_messages_give_crlf_sections() {
    let stored = lf(FORWARD);
    let message = Message::parse(stored.as_bytes());
    assert_eq!(message.size(), FORWARD.len() as u64);
    assert_eq!(message.raw(), FORWARD.as_bytes());
    for (part, text) in [
        ("", None),
        ("", Some(SectionText::Header)),
        ("2", None),
        ("2", Some(SectionText::Text)),
        ("2.2", Some(SectionText::Mime)),
        ("3", None),
    ] {
        let section = section(part, text);
        assert_eq!(
            message.section(&section),
            Message::parse(FORWARD.as_bytes()).section(&section)
        );
    }
}

#[test]
fn sections_borrow_from_crlf_input() {
    let message = Message::parse(PLAIN.as_bytes());
    assert!(matches!(
        message.section(&section("1", None)),
        Cow::Borrowed(_)
    ));
    assert!(matches!(
        message.section(&section("", fields(&["to"], false))),
        Cow::Owned(_)
    ));
}

#[test]
fn to_crlf_converts_only_bare_lf() {
    assert!(matches!(to_crlf(b"a\r\nb\r\n"), Cow::Borrowed(_)));
    assert!(matches!(to_crlf(b"no line end"), Cow::Borrowed(_)));
    assert_eq!(&*to_crlf(b"a\nb\r\nc\n"), b"a\r\nb\r\nc\r\n");
    assert_eq!(&*to_crlf(b"\n\n"), b"\r\n\r\n");
    assert_eq!(&*to_crlf(b"lone\rcr\n"), b"lone\rcr\r\n");
}
