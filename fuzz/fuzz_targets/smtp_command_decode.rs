//! The SMTP command decoder and line framing on arbitrary bytes: no panic, the consumed
//! length always covers exactly the first line, and decoded values survive `into_owned`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smtp_proto::codec::{DecodeError, LineFrame, decode_command, frame_line, skip_line};

fuzz_target!(|data: &[u8]| {
    let first_line = data.iter().position(|&b| b == b'\n').map(|i| i + 1);
    match decode_command(data) {
        Ok((consumed, command)) => {
            assert_eq!(Some(consumed), first_line);
            let owned = command.clone().into_owned();
            assert_eq!(owned, command);
            let _ = format!("{command:?} {}", command.verb());
        }
        Err(DecodeError::Incomplete) => assert_eq!(first_line, None),
        Err(DecodeError::Invalid { consumed, reason }) => {
            assert_eq!(Some(consumed), first_line);
            assert!(!reason.is_empty());
        }
        Err(e) => panic!("unexpected error {e:?}"),
    }
    // Framing with a limit taken from the input.
    let max = usize::from(data.first().copied().unwrap_or(0)) + 1;
    match frame_line(data, max) {
        LineFrame::Complete { len } => {
            assert!(len <= max && Some(len) == first_line);
        }
        LineFrame::Incomplete => assert!(first_line.is_none() && data.len() < max),
        LineFrame::TooLong { discard, complete } => {
            assert!(discard >= max.min(data.len()) && discard <= data.len());
            assert_eq!(complete, first_line == Some(discard));
        }
    }
    let (skip, complete) = skip_line(data);
    assert_eq!(complete, first_line.is_some());
    assert_eq!(skip, first_line.unwrap_or(data.len()));
});
