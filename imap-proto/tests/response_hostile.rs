//! Hostile server output: deep nesting is refused with a clear error (no stack
//! overflow), absurd sizes are refused, and arbitrary bytes never panic.

use imap_proto::codec::{
    DecodeError, DecodeOptions, ResponseOptions, ResponseStream, decode_response,
    decode_response_with,
};
use proptest::prelude::*;

const LEAF: &str = "(\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 1 1)";

fn nested_multipart(depth: usize) -> String {
    let mut s = String::from("* 1 FETCH (BODYSTRUCTURE ");
    s.push_str(&"(".repeat(depth - 1));
    s.push_str(LEAF);
    s.push_str(&" \"MIXED\")".repeat(depth - 1));
    s.push_str(")\r\n");
    s
}

fn nested_thread(depth: usize) -> String {
    // (1 (2 (3 ...)(x))(y)) : every level has two branches so nothing folds.
    let mut s = String::from("* THREAD ");
    for k in 1..=depth {
        s.push_str(&format!("({k} "));
    }
    s.push_str("(9999)(9998)");
    s.push_str(&")(9997)".repeat(depth - 1));
    s.push_str(")\r\n");
    s
}

fn assert_too_deep(input: &[u8]) {
    match decode_response(input) {
        Err(DecodeError::Invalid {
            consumed, reason, ..
        }) => {
            assert_eq!(consumed, input.len());
            assert!(reason.contains("nests too deeply"), "{reason}");
        }
        other => panic!("expected a depth error, got {other:?}"),
    }
}

#[test]
fn deep_bodystructure_is_refused() {
    // Up to the limit decodes; far beyond it is a clear error, not a stack overflow.
    assert!(decode_response(nested_multipart(60).as_bytes()).is_ok());
    assert_too_deep(nested_multipart(65).as_bytes());
    assert_too_deep(nested_multipart(100_000).as_bytes());
    // Unbalanced opening parentheses alone.
    let mut s = "* 1 FETCH (BODYSTRUCTURE ".to_string();
    s.push_str(&"(".repeat(1_000_000));
    s.push_str("\r\n");
    assert_too_deep(s.as_bytes());
}

#[test]
fn deep_message_rfc822_nesting_is_refused() {
    let env = "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)";
    let depth = 5000;
    let mut s = String::from("* 1 FETCH (BODYSTRUCTURE ");
    for _ in 0..depth {
        s.push_str(&format!(
            "(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 1 {env} "
        ));
    }
    s.push_str(LEAF);
    s.push_str(&" 1)".repeat(depth));
    s.push_str(")\r\n");
    assert_too_deep(s.as_bytes());
}

#[test]
fn deep_extension_data_is_refused() {
    let mut s = String::from(
        "* 1 FETCH (BODYSTRUCTURE (\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 1 1 NIL NIL NIL NIL ",
    );
    s.push_str(&"(".repeat(50_000));
    s.push('1');
    s.push_str(&")".repeat(50_000));
    s.push_str("))\r\n");
    assert_too_deep(s.as_bytes());
    let mut s = String::from("* LIST () \"/\" x (X-EXT ");
    s.push_str(&"(".repeat(50_000));
    s.push_str(&")".repeat(50_000));
    s.push_str(")\r\n");
    assert_too_deep(s.as_bytes());
}

#[test]
fn deep_thread_is_refused() {
    assert!(decode_response(nested_thread(60).as_bytes()).is_ok());
    assert_too_deep(nested_thread(200_000).as_bytes());
    let mut s = String::from("* THREAD ");
    s.push_str(&"(".repeat(1_000_000));
    s.push_str("\r\n");
    assert_too_deep(s.as_bytes());
}

#[test]
fn depth_limit_is_configurable() {
    let shallow = ResponseOptions::new(ResponseOptions::default().framing, 3);
    assert!(decode_response_with(nested_multipart(3).as_bytes(), &shallow).is_ok());
    assert!(matches!(
        decode_response_with(nested_multipart(4).as_bytes(), &shallow),
        Err(DecodeError::Invalid { .. })
    ));
}

#[test]
fn absurd_sizes_are_refused() {
    // A literal length that does not fit in 32 bits.
    assert!(matches!(
        decode_response(b"* 1 FETCH (BODY[] {99999999999999999999}\r\n"),
        Err(DecodeError::LiteralTooLarge { .. })
    ));
    // Above the configured limit.
    assert!(matches!(
        decode_response(b"* 1 FETCH (BODY[] {4294967295}\r\n"),
        Err(DecodeError::LiteralTooLarge {
            length: 4294967295,
            ..
        })
    ));
    // An endless line.
    let opts = ResponseOptions::new(DecodeOptions::new(1024, 1024), 8);
    assert!(matches!(
        decode_response_with(&vec![b'a'; 5000], &opts),
        Err(DecodeError::TooLong { .. })
    ));
    // Numbers out of range are syntax errors, not overflows.
    for input in [
        &b"* 4294967296 EXISTS\r\n"[..],
        b"* OK [UIDNEXT 4294967296] x\r\n",
        b"* 1 FETCH (MODSEQ (18446744073709551616))\r\n",
        b"* 1 FETCH (BINARY.SIZE[1] 4294967296)\r\n",
    ] {
        assert!(
            matches!(decode_response(input), Err(DecodeError::Invalid { .. })),
            "{input:?}"
        );
    }
}

fn wire_bytes() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        Just(b"* ".to_vec()),
        Just(b"(".to_vec()),
        Just(b")".to_vec()),
        Just(b" ".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"NIL".to_vec()),
        Just(b"FETCH".to_vec()),
        Just(b"BODYSTRUCTURE".to_vec()),
        Just(b"BODY[]".to_vec()),
        Just(b"{3}\r\n".to_vec()),
        Just(b"{300}\r\n".to_vec()),
        Just(b"\"TEXT\"".to_vec()),
        Just(b"1".to_vec()),
        Just(b"THREAD".to_vec()),
        Just(b"OK [".to_vec()),
        Just(b"]".to_vec()),
        prop::collection::vec(any::<u8>(), 0..8),
    ];
    prop::collection::vec(token, 0..40).prop_map(|t| t.concat())
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(input in wire_bytes()) {
        match decode_response(&input) {
            Ok((n, _)) => prop_assert!(n > 0 && n <= input.len()),
            Err(DecodeError::Invalid { consumed, .. }) => prop_assert!(consumed > 0 && consumed <= input.len()),
            Err(_) => {}
        }
        let mut stream = ResponseStream::new(ResponseOptions::default(), 100);
        let mut rest: &[u8] = &input;
        for _ in 0..1000 {
            match stream.decode(rest) {
                Ok((n, _)) => rest = &rest[n..],
                Err(DecodeError::Invalid { consumed, .. }) => {
                    prop_assert!(consumed <= rest.len());
                    rest = &rest[consumed..];
                }
                Err(_) => break,
            }
        }
    }
}
