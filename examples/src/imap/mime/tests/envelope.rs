//! ENVELOPE known answers (Dovecot 2.3.19 sends the same for these messages, except
//! where a test says otherwise).

use super::corpus::{ADDRESSES, PLAIN};
use super::envelope;

#[test]
fn plain_message() {
    // Subject: raw (encoded words kept), the fold turned into one space.
    assert_eq!(
        envelope(PLAIN.as_bytes()),
        concat!(
            r#"ENVELOPE ("Mon, 7 Feb 1994 21:52:25 -0800 (PST)" "=?utf-8?q?caf=C3=A9?= and more""#,
            r#" (("Fred Foobar" NIL "foobar" "Blurdybloop.example"))"#,
            r#" (("Fred Foobar" NIL "foobar" "Blurdybloop.example"))"#,
            r#" (("Fred Foobar" NIL "foobar" "Blurdybloop.example"))"#,
            r#" ((NIL NIL "mooch" "owatagu.siam.edu.example")("Q. Public" NIL "qp" "x.example"))"#,
            r#" ((NIL NIL "Team" NIL)(NIL NIL "a" "x.example")("B b" NIL "b" "y.example")(NIL NIL NIL NIL)"#,
            r#"(NIL NIL "c" "z.example")) NIL "<parent@x.example>" "<B27397-0100000@Blurdybloop.example>")"#,
        )
    );
}

#[test]
fn addresses_of_every_shape() {
    assert_eq!(
        envelope(ADDRESSES.as_bytes()),
        concat!(
            r#"ENVELOPE (NIL "s" (("John Doe" NIL "john" "example.com"))"#,
            r#" (("=?utf-8?q?J=C3=B6rg?=" NIL "j" "x.example"))"#,
            r#" ((NIL NIL "MISSING_MAILBOX" "MISSING_DOMAIN"))"#,
            r#" ((NIL NIL "undisclosed-recipients" NIL)(NIL NIL NIL NIL))"#,
            r#" ((NIL "@r1.example,@r2.example" "user" "host.example")("Joe Q. Public" NIL "jqp" "x.example")"#,
            r#"("a\"b" NIL "ab" "x")(NIL NIL "bad" "MISSING_DOMAIN")(NIL NIL "MISSING_MAILBOX" "nolocal")"#,
            r#"(NIL NIL "x" "[1.2.3.4]")("c2" NIL "john doe" "x.example"))"#,
            r#" ((NIL NIL "foo" "MISSING_DOMAIN")) NIL NIL)"#,
        )
    );
}

#[test]
fn missing_headers_are_nil() {
    let all_nil = "ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)";
    assert_eq!(envelope(b""), all_nil);
    assert_eq!(envelope(b"\r\nbody"), all_nil);
    assert_eq!(envelope(b"X-Other: 1\r\n\r\n"), all_nil);
}

#[test]
fn empty_fields() {
    // Present but empty: an empty string, or NIL for an address list; an empty
    // Sender or Reply-To means From.
    let raw = "Date: \r\nSubject:\r\nFrom:\r\n  a@b.example\r\nSender: \r\nTo: \r\n\r\n";
    assert_eq!(
        envelope(raw.as_bytes()),
        concat!(
            r#"ENVELOPE ("" "" ((NIL NIL "a" "b.example")) ((NIL NIL "a" "b.example"))"#,
            r#" ((NIL NIL "a" "b.example")) NIL NIL NIL NIL NIL)"#,
        )
    );
}

#[test]
fn unfolding() {
    // Other fields lose only their line ends; the subject's folds become one space.
    let raw =
        "Subject: x \r\n  y\r\n\tz\r\nIn-Reply-To: x \r\n  y\r\nMessage-ID: <m@x>\r\n\tc\r\n\r\n";
    assert_eq!(
        envelope(raw.as_bytes()),
        "ENVELOPE (NIL \"x y z\" NIL NIL NIL NIL NIL NIL \"x   y\" \"<m@x>\tc\")"
    );
}

#[test]
fn nul_and_eight_bit_bytes() {
    // NUL cannot travel in an IMAP string: U+FFFD in text, the end of an address
    // list. 8-bit text is sent as a literal.
    let raw =
        b"Subject: nul\0here\r\nTo: x\0y@z.example\r\nFrom: \"J\xf6rg\" <j@x.example>\r\n\r\n";
    let expected = concat!(
        "ENVELOPE (NIL {10}\r\nnul\u{fffd}here",
        " (({4}\r\nJ\u{fffd}rg NIL \"j\" \"x.example\"))",
    );
    let ours = envelope(raw);
    // The 8-bit name is a 4-byte literal (shown lossily here).
    assert!(ours.starts_with(expected), "{ours}");
    assert!(
        ours.ends_with(r#" ((NIL NIL "x" "MISSING_DOMAIN")) NIL NIL NIL NIL)"#),
        "{ours}"
    );
}

#[test]
fn nested_message_envelope_comes_from_its_own_header() {
    let raw = "Subject: outer\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\nFrom: i@x.example\r\n\r\nhi";
    let structure = super::bodystructure(raw.as_bytes());
    assert!(
        structure.contains(r#"(NIL "inner" ((NIL NIL "i" "x.example"))"#),
        "{structure}"
    );
    assert!(envelope(raw.as_bytes()).starts_with(r#"ENVELOPE (NIL "outer" NIL"#));
}
