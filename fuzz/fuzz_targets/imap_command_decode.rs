//! IMAP command decoders: never panic, every length they report lies inside the input,
//! and the streaming APPEND procedure agrees with whole-command decoding.
#![no_main]

use imap_proto::codec::{
    AppendNext, DecodeError, DecodeOptions, Streamed, decode_append_next,
    decode_authenticate_response, decode_command_streaming, decode_command_with, decode_idle_done,
};
use imap_proto::types::CommandBody;
use libfuzzer_sys::fuzz_target;

/// Small limits, so the fuzzer reaches them.
fn options() -> DecodeOptions {
    DecodeOptions::new(2048, 4096).with_max_message(16 * 1024)
}

fuzz_target!(|data: &[u8]| {
    let opts = options();
    let mut rest = data;
    while !rest.is_empty() {
        let before = rest.len();
        rest = whole_command(rest, &opts);
        if rest.len() == before {
            break;
        }
    }
    let mut rest = data;
    while !rest.is_empty() {
        let Some(next) = streamed_command(rest, &opts) else {
            break;
        };
        rest = next;
    }
    if let Ok(n) = decode_idle_done(data, 1024) {
        assert!(n <= data.len());
    }
    if let Ok((n, _)) = decode_authenticate_response(data, 1024) {
        assert!(n <= data.len());
    }
});

/// Decodes one command; returns the input after it (unchanged when decoding must stop).
fn whole_command<'a>(buf: &'a [u8], opts: &DecodeOptions) -> &'a [u8] {
    match decode_command_with(buf, opts) {
        Ok((n, _)) | Err(DecodeError::Invalid { consumed: n, .. }) => {
            assert!(n > 0 && n <= buf.len(), "consumed {n} of {}", buf.len());
            &buf[n..]
        }
        Err(DecodeError::LiteralTooLarge {
            consumed,
            non_sync: false,
            ..
        }) => {
            assert!(consumed > 0 && consumed <= buf.len());
            &buf[consumed..]
        }
        Err(DecodeError::Literal { offset, .. }) => {
            assert!(offset <= buf.len());
            buf
        }
        Err(_) => buf,
    }
}

/// Decodes one command the way a streaming server does, passing APPEND message data
/// through, and checks the outcome against whole-command decoding. Returns the input
/// after the command, or `None` when decoding must stop.
fn streamed_command<'a>(buf: &'a [u8], opts: &DecodeOptions) -> Option<&'a [u8]> {
    let whole = decode_command_with(buf, opts);
    match decode_command_streaming(buf, opts) {
        Ok((n, Streamed::Command(command))) => {
            assert!(!matches!(command.body, CommandBody::Append { .. }));
            assert_eq!(whole, Ok((n, command)));
            Some(&buf[n..])
        }
        Ok((n, Streamed::Append(start))) => {
            assert!(n > 0 && n <= buf.len());
            let mut head = start.message.into_owned();
            let mut largest = head.literal.length;
            let mut nul_in_text = false;
            let mut pos = n;
            loop {
                // The message data, passed through without parsing.
                let end = pos.checked_add(head.literal.length as usize)?;
                if end > buf.len() {
                    return None;
                }
                nul_in_text |= !head.literal.binary && buf[pos..end].contains(&0);
                pos = end;
                match decode_append_next(&buf[pos..], &head, opts) {
                    Ok((m, AppendNext::Message(next))) => {
                        assert!(m > 0);
                        head = next.into_owned();
                        largest = largest.max(head.literal.length);
                        pos += m;
                    }
                    Ok((m, AppendNext::End)) => {
                        pos += m;
                        break;
                    }
                    Err(DecodeError::Invalid { consumed, .. }) => {
                        assert!(consumed > 0 && pos + consumed <= buf.len());
                        assert!(!matches!(whole, Ok(_)), "whole decoding accepts: {whole:?}");
                        return Some(&buf[pos + consumed..]);
                    }
                    Err(_) => return None,
                }
            }
            // A complete APPEND within the whole-message limits decodes whole too, unless
            // a `{n}` message holds NUL: whole decoding rejects that (CHAR8 excludes NUL),
            // streaming passes message data through, and the server state machine refuses
            // it with BAD as the chunks go by (tests/server_append.rs).
            match &whole {
                Ok((m, command)) => {
                    assert_eq!(*m, pos);
                    assert!(matches!(command.body, CommandBody::Append { .. }));
                }
                Err(e) => assert!(
                    nul_in_text || largest > opts.max_literal || pos > opts.max_message,
                    "streaming accepts {pos} bytes, whole decoding says {e:?}"
                ),
            }
            Some(&buf[pos..])
        }
        Err(DecodeError::Invalid { consumed, .. }) => {
            assert!(consumed > 0 && consumed <= buf.len());
            Some(&buf[consumed..])
        }
        Err(_) => None,
    }
}
