//! IMAP decode -> encode -> decode: whatever the decoders accept, the encoders write in a
//! form the decoders read back as the same value, and encoding that value again gives
//! the same bytes. Commands, responses and greetings.
#![no_main]

use bytes::BytesMut;
use imap_proto::codec::{
    decode_command, decode_greeting, decode_response, encode_command, encode_greeting,
    encode_response,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((_, command)) = decode_command(data) {
        let mut wire = BytesMut::new();
        encode_command(&command, &mut wire);
        let (n, again) = decode_command(&wire)
            .unwrap_or_else(|e| panic!("{command:?} encodes as {wire:?}, which fails: {e:?}"));
        assert_eq!(n, wire.len());
        assert_eq!(again, command, "encoded as {wire:?}");
        let mut twice = BytesMut::new();
        encode_command(&again, &mut twice);
        assert_eq!(twice, wire);
    }
    if let Ok((_, response)) = decode_response(data) {
        let mut wire = BytesMut::new();
        encode_response(&response, &mut wire);
        let (n, again) = decode_response(&wire)
            .unwrap_or_else(|e| panic!("{response:?} encodes as {wire:?}, which fails: {e:?}"));
        assert_eq!(n, wire.len());
        assert_eq!(again, response, "encoded as {wire:?}");
        let mut twice = BytesMut::new();
        encode_response(&again, &mut twice);
        assert_eq!(twice, wire);
    }
    if let Ok((_, greeting)) = decode_greeting(data) {
        let mut wire = BytesMut::new();
        encode_greeting(&greeting, &mut wire);
        let (n, again) = decode_greeting(&wire)
            .unwrap_or_else(|e| panic!("{greeting:?} encodes as {wire:?}, which fails: {e:?}"));
        assert_eq!(n, wire.len());
        assert_eq!(again, greeting);
    }
});
