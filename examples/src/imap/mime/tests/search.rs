//! The decoded views SEARCH and SORT use.

use super::super::Message;
use super::corpus::{ADDRESSES, ALTERNATIVE, MIXED, PLAIN};

#[test]
fn header_values_are_decoded() {
    let message = Message::parse(PLAIN.as_bytes());
    assert_eq!(message.header_values("subject"), ["caf\u{e9} and more"]);
    assert_eq!(message.header_values("SUBJECT"), ["caf\u{e9} and more"]);
    assert_eq!(
        message.header_values("to"),
        ["mooch@owatagu.siam.edu.example, \"Q. Public\" <qp@x.example>"]
    );
    assert!(message.header_values("x-missing").is_empty());

    let raw = "Received: from a\r\nX-Empty:\r\nReceived: from\r\n b\r\n\r\n";
    let message = Message::parse(raw.as_bytes());
    assert_eq!(message.header_values("received"), ["from a", "from b"]);
    assert_eq!(message.header_values("x-empty"), [""]);
}

#[test]
fn encoded_words_in_multi_byte_charsets_are_decoded() {
    // mail-parser decodes these with its `full_encoding` feature (encoding_rs).
    let raw = "Subject: =?Shift_JIS?B?k/qWe4zq?= =?EUC-KR?B?x9GxuQ==?=\r\n\
               From: =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <y@example.jp>\r\n\
               To: =?GB2312?B?1tDOxA==?= <z@example.cn>, =?Big5?B?pKSk5Q==?= <b@example.tw>\r\n\r\n";
    let message = Message::parse(raw.as_bytes());
    assert_eq!(
        message.header_values("subject"),
        ["\u{65e5}\u{672c}\u{8a9e}\u{d55c}\u{ad6d}"]
    );
    assert_eq!(
        message.first_address("from").and_then(|(name, _, _)| name),
        Some("\u{5c71}\u{7530}".to_owned())
    );
    let to = &message.header_values("to")[0];
    assert!(
        to.contains("\u{4e2d}\u{6587} <z@") && to.contains("\u{4e2d}\u{6587} <b@"),
        "{to}"
    );
}

#[test]
fn header_bytes_are_the_raw_header() {
    let message = Message::parse(MIXED.as_bytes());
    assert_eq!(
        message.header_bytes(),
        b"Subject: report\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n"
    );
}

#[test]
fn sent_date() {
    let message = Message::parse(PLAIN.as_bytes());
    // 1994-02-08T05:52:25Z, written in -0800.
    assert_eq!(message.sent_date(), Some((760_686_745, -8 * 3600)));
    let east = Message::parse(b"Date: Thu, 1 Jan 1970 02:30:00 +0230\r\n\r\n");
    assert_eq!(east.sent_date(), Some((0, 9000)));
    assert_eq!(
        Message::parse(b"Date: not a date\r\n\r\n").sent_date(),
        None
    );
    assert_eq!(Message::parse(b"Subject: none\r\n\r\n").sent_date(), None);
}

#[test]
fn first_address() {
    let message = Message::parse(ADDRESSES.as_bytes());
    let address = |name: Option<&str>, local: &str, domain: &str| {
        Some((name.map(str::to_owned), local.to_owned(), domain.to_owned()))
    };
    assert_eq!(
        message.first_address("from"),
        address(Some("John Doe"), "john", "example.com")
    );
    assert_eq!(
        message.first_address("sender"),
        address(Some("J\u{f6}rg"), "j", "x.example")
    );
    assert_eq!(
        message.first_address("cc"),
        address(None, "user", "host.example")
    );
    assert_eq!(message.first_address("bcc"), address(None, "foo", ""));
    // A group comes first as its start marker: the group name is its addr-mailbox.
    assert_eq!(
        message.first_address("to"),
        address(None, "undisclosed-recipients", "")
    );
    let group = Message::parse(b"Cc: Team: a@b.example, c@d.example;, e@f.example\r\n\r\n");
    assert_eq!(group.first_address("cc"), address(None, "Team", ""));
    assert_eq!(message.first_address("x-missing"), None);
    let plain = Message::parse(PLAIN.as_bytes());
    assert_eq!(
        plain.first_address("to"),
        address(None, "mooch", "owatagu.siam.edu.example")
    );
}

#[test]
fn body_text_decodes_text_parts_only() {
    let message = Message::parse(MIXED.as_bytes());
    assert_eq!(message.body_text(), "caf\u{e9} softbreak =ZZ bad");
    let message = Message::parse(ALTERNATIVE.as_bytes());
    assert_eq!(message.body_text(), "plain\n<b>x</b>");
    let latin1 = b"Content-Type: text/plain; charset=iso-8859-1\r\n\r\n\xe9t\xe9\r\n";
    assert_eq!(Message::parse(latin1).body_text(), "\u{e9}t\u{e9}\r\n");
    let nested = "Content-Type: message/rfc822\r\n\r\nSubject: in\r\n\r\ninside";
    assert_eq!(Message::parse(nested.as_bytes()).body_text(), "inside");
    assert_eq!(
        Message::parse(PLAIN.as_bytes()).body_text(),
        super::corpus::PLAIN_BODY
    );
}
