//! POP3 command decoder: never panics; whatever decodes re-encodes to the same value.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use pop3_proto::codec::{DecodeError, decode_command, encode_command};

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    while !rest.is_empty() {
        match decode_command(rest) {
            Ok((consumed, command)) => {
                assert!(consumed > 0 && consumed <= rest.len());
                let mut wire = BytesMut::new();
                encode_command(&command, &mut wire);
                assert_eq!(decode_command(&wire), Ok((wire.len(), command)));
                rest = &rest[consumed..];
            }
            Err(DecodeError::Invalid { consumed, .. }) => {
                assert!(consumed > 0 && consumed <= rest.len());
                rest = &rest[consumed..];
            }
            Err(_) => break,
        }
    }
});
