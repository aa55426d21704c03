//! BINARY and BINARY.SIZE (RFC 3516) known answers.

use std::borrow::Cow;

use super::super::binary::{decode_base64, decode_quoted_printable};
use super::super::{BinaryError, Message};
use super::corpus::{ALTERNATIVE, FORWARD, MIXED};

#[test]
fn decodes_each_encoding_of_a_mixed_message() {
    let message = Message::parse(MIXED.as_bytes());
    // Quoted-printable: escapes, soft line break; `=ZZ` is not an escape and stays.
    let text = "caf\u{e9} softbreak =ZZ bad";
    assert_eq!(message.binary(&[1]).as_deref(), Ok(text.as_bytes()));
    assert_eq!(message.binary_size(&[1]), Ok(text.len() as u64));
    assert_eq!(message.binary(&[2]).as_deref(), Ok(&[0u8, 1, 2, 3][..]));
    assert_eq!(message.binary_size(&[2]), Ok(4));
    assert_eq!(message.binary(&[3]), Err(BinaryError::UnknownCte));
    assert_eq!(message.binary_size(&[3]), Err(BinaryError::UnknownCte));
}

#[test]
fn missing_parts() {
    let message = Message::parse(MIXED.as_bytes());
    assert_eq!(message.binary(&[4]), Err(BinaryError::NoSuchPart));
    assert_eq!(message.binary(&[0]), Err(BinaryError::NoSuchPart));
    assert_eq!(message.binary(&[1, 2]), Err(BinaryError::NoSuchPart));
    // Part 1 of a leaf part is the part itself.
    assert_eq!(message.binary(&[1, 1]), message.binary(&[1]));
    assert_eq!(message.binary_size(&[9, 9]), Err(BinaryError::NoSuchPart));
}

#[test]
fn identity_encodings_borrow() {
    let message = Message::parse(ALTERNATIVE.as_bytes());
    assert!(matches!(message.binary(&[1]), Ok(Cow::Borrowed(b"plain"))));
    assert_eq!(message.binary(&[2, 2]).as_deref(), Ok(&b"GIF89a"[..]));
    // The whole message and composite parts are sent as they are.
    assert_eq!(message.binary(&[]).as_deref(), Ok(ALTERNATIVE.as_bytes()));
    let forward = Message::parse(FORWARD.as_bytes());
    assert_eq!(
        forward.binary(&[2]).as_deref(),
        Ok(&forward.section(&super::section("2", None))[..])
    );
}

#[test]
fn single_part_base64_message() {
    let raw = "Content-Type: text/plain\r\nContent-Transfer-Encoding: BASE64\r\n\r\naGVsbG8g\r\nd29ybGQ=\r\n";
    let message = Message::parse(raw.as_bytes());
    assert_eq!(message.binary(&[1]).as_deref(), Ok(&b"hello world"[..]));
    assert_eq!(message.binary_size(&[1]), Ok(11));
}

#[test]
fn base64_is_lenient() {
    // RFC 2045 section 6.8: characters outside the alphabet are ignored.
    assert_eq!(decode_base64(b"aGVsbG8g!!d29y\r\nbGQ="), b"hello world");
    assert_eq!(decode_base64(b"YQ==Yg=="), b"ab");
    assert_eq!(decode_base64(b"YWJj\r\nZA"), b"abcd");
    assert_eq!(decode_base64(b"Y"), b"");
    assert_eq!(decode_base64(b""), b"");
}

#[test]
fn quoted_printable_rules() {
    // What Dovecot 2.3 decodes for the same input: trailing whitespace dropped, soft
    // breaks joined (also with padding after `=`), escapes in either case.
    let input = b"line1   \r\nsoft =\r\nbreak=20\r\n=3D=c3=a9 ok =  \r\nend\r\n";
    assert_eq!(
        decode_quoted_printable(input),
        "line1\r\nsoft break \r\n=\u{e9} ok end\r\n".as_bytes()
    );
    assert_eq!(decode_quoted_printable(b"a=\r\n"), b"a");
    assert_eq!(decode_quoted_printable(b"x="), b"x");
    assert_eq!(decode_quoted_printable(b"=4"), b"=4");
    assert_eq!(decode_quoted_printable(b"=G1 = x"), b"=G1 = x");
    assert_eq!(decode_quoted_printable(b"  lead"), b"  lead");
}
