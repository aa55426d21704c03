//! The SMTP reply decoder on arbitrary bytes, and the EHLO capability parser on what it
//! decodes: no panic, consumed lengths within the input, every line of a reply kept.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smtp_proto::codec::{DecodeError, decode_reply};
use smtp_proto::types::{Capability, EhloReply};

fuzz_target!(|data: &[u8]| {
    match decode_reply(data) {
        Ok((consumed, reply)) => {
            assert!(consumed > 0 && consumed <= data.len());
            assert!((100..=599).contains(&reply.code), "code {}", reply.code);
            assert!(!reply.lines.is_empty());
            let _ = (reply.class(), reply.text(), reply.is_positive());
            if let Some(ehlo) = EhloReply::from_reply(&reply) {
                let _ = (ehlo.size(), ehlo.auth_mechanisms(), ehlo.to_reply());
                for cap in &ehlo.capabilities {
                    let line = cap.to_line();
                    assert_eq!(Capability::parse(&line).as_ref(), Some(cap), "{line:?}");
                }
            }
            let owned = reply.clone().into_owned();
            assert_eq!(owned, reply);
        }
        Err(DecodeError::Incomplete) => {}
        Err(DecodeError::Invalid { consumed, .. }) => {
            assert!(consumed > 0 && consumed <= data.len());
        }
        Err(e) => panic!("unexpected error {e:?}"),
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Capability::parse(text);
    }
});
