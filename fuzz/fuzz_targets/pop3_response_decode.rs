//! POP3 response decoder and multi-line un-stuffer: never panic; a decoded response
//! re-encodes to the same value (text with NUL aside, which the encoder blanks out);
//! stuffing what was un-stuffed and un-stuffing it again is the identity.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use pop3_proto::codec::{
    DecodeError, MultilineDecoder, MultilineEncoder, decode_response, encode_response,
};
use pop3_proto::types::Response;

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    while !rest.is_empty() {
        match decode_response(rest) {
            Ok((consumed, response)) => {
                let has_nul = match &response {
                    Response::Ok(s) | Response::Err(s) => s.text.contains('\0'),
                    Response::Continue(_) => false,
                };
                if !has_nul {
                    let mut wire = BytesMut::new();
                    encode_response(&response, &mut wire);
                    assert_eq!(decode_response(&wire), Ok((wire.len(), response)));
                }
                rest = &rest[consumed..];
            }
            Err(DecodeError::Invalid { consumed, .. }) => rest = &rest[consumed..],
            Err(_) => break,
        }
    }

    let mut decoder = MultilineDecoder::new();
    let mut body = BytesMut::new();
    let progress = decoder.feed(data, &mut body);
    assert!(progress.consumed <= data.len());
    if progress.finished && body.iter().all(|&b| b != b'\r') && !body.is_empty() {
        // LF-only bodies: the encoder turns LF into CRLF; un-stuffing gives that back.
        let mut wire = BytesMut::new();
        let mut encoder = MultilineEncoder::new();
        encoder.encode(&body, &mut wire);
        encoder.finish(&mut wire);
        let mut again = BytesMut::new();
        let p = MultilineDecoder::new().feed(&wire, &mut again);
        assert!(p.finished && p.consumed == wire.len());
        let crlf: Vec<u8> = body
            .iter()
            .flat_map(|&b| {
                if b == b'\n' {
                    vec![b'\r', b'\n']
                } else {
                    vec![b]
                }
            })
            .collect();
        let mut expected = crlf;
        if !expected.ends_with(b"\n") {
            expected.extend_from_slice(b"\r\n");
        }
        assert_eq!(&again[..], &expected[..]);
    }
});
