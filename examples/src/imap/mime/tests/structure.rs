//! BODYSTRUCTURE and BODY known answers, encoded with imap-proto's encoder.
//!
//! The expected strings are what Dovecot 2.3.19 sends for the same messages, in our
//! case convention (Dovecot keeps types and parameter names as written; we send them
//! in upper case like the RFC's examples).

use super::corpus::{ALTERNATIVE, FORWARD, MIXED, PLAIN, lf};
use super::{body, bodystructure};

#[test]
fn plain_text_message() {
    assert_eq!(
        bodystructure(PLAIN.as_bytes()),
        r#"BODYSTRUCTURE ("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 55 1 NIL NIL NIL NIL)"#
    );
    assert_eq!(
        body(PLAIN.as_bytes()),
        r#"BODY ("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 55 1)"#
    );
}

#[test]
fn alternative_with_related_image() {
    assert_eq!(
        bodystructure(ALTERNATIVE.as_bytes()),
        concat!(
            r#"BODYSTRUCTURE (("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 5 0 NIL NIL NIL NIL)"#,
            r#"(("TEXT" "HTML" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 8 0 NIL NIL NIL NIL)"#,
            r#"("IMAGE" "GIF" ("NAME" "x.gif") NIL NIL "BASE64" 8 NIL ("INLINE" ("FILENAME" "x.gif")) NIL NIL)"#,
            r#" "RELATED" ("BOUNDARY" "b") NIL NIL NIL) "ALTERNATIVE" ("BOUNDARY" "a") NIL NIL NIL)"#,
        )
    );
    assert_eq!(
        body(ALTERNATIVE.as_bytes()),
        concat!(
            r#"BODY (("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 5 0)"#,
            r#"(("TEXT" "HTML" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 8 0)"#,
            r#"("IMAGE" "GIF" ("NAME" "x.gif") NIL NIL "BASE64" 8) "RELATED") "ALTERNATIVE")"#,
        )
    );
}

#[test]
fn mixed_with_every_mime_field() {
    // Raw parameters: RFC 2047 words stay encoded, RFC 2231 sections are joined (as
    // `FILENAME*`, after the plain parameters) but not decoded.
    assert_eq!(
        bodystructure(MIXED.as_bytes()),
        concat!(
            r#"BODYSTRUCTURE (("TEXT" "PLAIN" ("CHARSET" "UTF-8" "FORMAT" "flowed") "<id1@x>" "a description""#,
            r#" "QUOTED-PRINTABLE" 30 1 "Q2hlY2sgSW50ZWdyaXR5IQ==" NIL ("en" "de") "http://x.example/a")"#,
            r#"("APPLICATION" "OCTET-STREAM" ("NAME" "=?utf-8?q?f=C3=A9.bin?=") NIL NIL "BASE64" 10 NIL"#,
            r#" ("ATTACHMENT" ("SIZE" "3" "FILENAME*" "utf-8''%E2%82%AC.txt")) NIL NIL)"#,
            r#"("IMAGE" "PNG" NIL NIL NIL "X-UUENCODE" 9 NIL ("INLINE" NIL) "fr" NIL)"#,
            r#" "MIXED" ("BOUNDARY" "XX") NIL NIL NIL)"#,
        )
    );
}

/// What Dovecot 2.3.19 sends for [`FORWARD`], byte for byte.
const FORWARD_DOVECOT: &str = concat!(
    r#"BODYSTRUCTURE (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 5 0 NIL NIL NIL NIL)"#,
    r#"("message" "rfc822" NIL NIL NIL "7bit" 153 (NIL "inner" NIL NIL NIL NIL NIL NIL NIL NIL)"#,
    r#" (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 10 0 NIL NIL NIL NIL)"#,
    r#"("text" "html" ("charset" "us-ascii") NIL NIL "7bit" 8 0 NIL NIL NIL NIL)"#,
    r#" "alternative" ("boundary" "b2") NIL NIL NIL) 11 NIL NIL NIL NIL)"#,
    r#"(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 0 NIL NIL NIL NIL)"#,
    r#" "related" ("boundary" "b3") NIL NIL NIL) "mixed" ("boundary" "b1") NIL NIL NIL)"#,
);

#[test]
fn nested_message_matches_dovecot() {
    let ours = bodystructure(FORWARD.as_bytes());
    assert!(ours.contains(r#""MESSAGE" "RFC822" NIL NIL NIL "7BIT" 153 (NIL "inner""#));
    assert_eq!(
        ours.to_ascii_lowercase(),
        FORWARD_DOVECOT.to_ascii_lowercase()
    );
}

#[test]
fn lf_only_input_has_the_crlf_structure() {
    for message in [PLAIN, ALTERNATIVE, MIXED, FORWARD] {
        assert_eq!(
            bodystructure(lf(message).as_bytes()),
            bodystructure(message.as_bytes())
        );
    }
}

#[test]
fn digest_parts_default_to_message_rfc822() {
    let raw = concat!(
        "Subject: digest\r\n",
        "Content-Type: multipart/digest; boundary=\"d\"\r\n",
        "\r\n",
        "--d\r\n",
        "\r\n",
        "Subject: one\r\n",
        "From: a@b.example\r\n",
        "\r\n",
        "first\r\n",
        "--d\r\n",
        "Content-Type: text/plain\r\n",
        "\r\n",
        "not a message\r\n",
        "--d--\r\n",
    );
    assert_eq!(
        bodystructure(raw.as_bytes()),
        concat!(
            r#"BODYSTRUCTURE (("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 40 (NIL "one" ((NIL NIL "a" "b.example"))"#,
            r#" ((NIL NIL "a" "b.example")) ((NIL NIL "a" "b.example")) NIL NIL NIL NIL NIL)"#,
            r#" ("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 5 0 NIL NIL NIL NIL) 3 NIL NIL NIL NIL)"#,
            r#"("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 13 0 NIL NIL NIL NIL)"#,
            r#" "DIGEST" ("BOUNDARY" "d") NIL NIL NIL)"#,
        )
    );
}

#[test]
fn message_rfc822_at_top_level() {
    let raw = "Subject: x\r\nContent-Type: message/rfc822\r\n\r\nSubject: y\r\n\r\nbody\r\n";
    assert_eq!(
        body(raw.as_bytes()),
        concat!(
            r#"BODY ("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 20 (NIL "y" NIL NIL NIL NIL NIL NIL NIL NIL)"#,
            r#" ("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 6 1) 3)"#,
        )
    );
}

#[test]
fn missing_or_invalid_content_type_is_text_plain() {
    let expected = |size: u32, lines: u32| {
        format!(
            r#"BODYSTRUCTURE ("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" {size} {lines} NIL NIL NIL NIL)"#
        )
    };
    assert_eq!(bodystructure(b""), expected(0, 0));
    assert_eq!(bodystructure(b"\r\nbody only\r\n"), expected(11, 1));
    assert_eq!(
        bodystructure(b"Subject: no body\r\nFrom: a@b.example"),
        expected(0, 0)
    );
    // RFC 2045 section 5.2: an invalid Content-Type means the default.
    assert_eq!(
        bodystructure(b"Content-Type: text\r\n\r\nx\r\n"),
        expected(3, 1)
    );
    assert_eq!(
        bodystructure(b"Content-Type: garbage; charset=utf-8\r\n\r\nx\r\n"),
        expected(3, 1)
    );
}

#[test]
fn text_without_charset_gets_us_ascii_first() {
    let raw = "Content-Type: text/plain; format=flowed\r\n\r\nx";
    assert_eq!(
        body(raw.as_bytes()),
        r#"BODY ("TEXT" "PLAIN" ("CHARSET" "US-ASCII" "FORMAT" "flowed") NIL NIL "7BIT" 1 0)"#
    );
}

#[test]
fn multipart_without_boundary_has_one_empty_part() {
    let raw = "Content-Type: multipart/mixed\r\n\r\n--x\r\nhello\r\n--x--\r\n";
    assert_eq!(
        bodystructure(raw.as_bytes()),
        r#"BODYSTRUCTURE (("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 0 0 NIL NIL NIL NIL) "MIXED" NIL NIL NIL NIL)"#
    );
}

#[test]
fn boundaries_only_at_line_starts_and_by_prefix() {
    // `--b1` inside a line is text; `--b1x` starts with the boundary, so it is one
    // (as in Dovecot); a part that ends inside its header has an empty body.
    let raw = concat!(
        "Content-Type: multipart/mixed; boundary=\"b1\"\r\n",
        "\r\n",
        "--b1\r\n",
        "Content-Type: text/plain\r\n",
        "\r\n",
        "hello --b1 mid\r\n",
        "line2\r\n",
        "--b1x\r\n",
        "after\r\n",
        "--b1\r\n",
        "no headers here\r\n",
        "--b1\r\n",
        "\r\n",
        "last",
    );
    let part = |size: u32, lines: u32| {
        format!(r#"("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" {size} {lines})"#)
    };
    assert_eq!(
        body(raw.as_bytes()),
        format!(
            "BODY ({}{}{}{} \"MIXED\")",
            part(21, 1),
            part(0, 0),
            part(0, 0),
            part(4, 0)
        )
    );
}

#[test]
fn truncated_multipart_keeps_what_is_there() {
    let raw = "Content-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\n\r\nabc\r\n--q\r\n\r\ndef";
    let part = r#"("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3 0)"#;
    assert_eq!(
        body(raw.as_bytes()),
        format!("BODY ({part}{part} \"MIXED\")")
    );
}

#[test]
fn inner_multipart_ended_by_the_outer_boundary() {
    let raw = concat!(
        "Content-Type: multipart/mixed; boundary=o\r\n",
        "\r\n",
        "--o\r\n",
        "Content-Type: multipart/mixed; boundary=i\r\n",
        "\r\n",
        "preamble only\r\n",
        "--o\r\n",
        "\r\n",
        "second\r\n",
        "--o--\r\n",
    );
    let empty = r#"("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 0 0)"#;
    let second = r#"("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 6 0)"#;
    assert_eq!(
        body(raw.as_bytes()),
        format!("BODY (({empty} \"MIXED\"){second} \"MIXED\")")
    );
}

#[test]
fn message_part_without_body() {
    // A message/rfc822 part cut short by the boundary: empty envelope and body.
    let raw = concat!(
        "Content-Type: Multipart/Mixed; boundary=z\r\n",
        "\r\n",
        "--z\r\n",
        "Content-Type: message/rfc822\r\n",
        "--z\r\n",
        "Content-Type: text/plain\r\n",
        "\r\n",
        "x\r\n",
        "--z--\r\n",
    );
    assert_eq!(
        body(raw.as_bytes()),
        concat!(
            r#"BODY (("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 0 (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)"#,
            r#" ("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 0 0) 0)"#,
            r#"("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 1 0) "MIXED")"#,
        )
    );
}

#[test]
fn message_global_is_a_basic_part() {
    // As Dovecot 2.3 does: only message/rfc822 is described with its envelope.
    let raw = "Content-Type: message/global\r\n\r\nSubject: g\r\n\r\nx\r\n";
    assert_eq!(
        body(raw.as_bytes()),
        r#"BODY ("MESSAGE" "GLOBAL" NIL NIL NIL "7BIT" 17)"#
    );
}
