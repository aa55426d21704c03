//! Packet framing and the encoders/decoders of every command and response.
//!
//! A packet is a 4-byte big-endian length, then one command byte, then `length - 1`
//! bytes of data. Framing comes first ([`decode_frame`]): a packet whose data cannot be
//! parsed is still skipped whole, so the stream never desynchronises, and an oversized
//! one is refused from its header alone, before anything is buffered.
//!
//! ```
//! use milter_proto::codec::{decode_response, encode_response};
//! use milter_proto::types::Response;
//! use bytes::BytesMut;
//!
//! let mut wire = BytesMut::new();
//! encode_response(&Response::Continue, &mut wire).unwrap();
//! assert_eq!(&wire[..], b"\0\0\0\x01c");
//! let (consumed, response) = decode_response(&wire, 65_535).unwrap();
//! assert_eq!((consumed, response), (5, Response::Continue));
//! ```

mod command;
mod reader;
mod response;

pub use command::{decode_command, encode_command, parse_command};
pub use response::{decode_response, encode_response, parse_response};

use bytes::{BufMut, BytesMut};

/// Bytes of the length prefix.
pub const LENGTH_BYTES: usize = 4;

/// Why bytes could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Not a whole packet yet; read at least `needed` more bytes.
    #[error("incomplete packet: at least {needed} more bytes needed")]
    Incomplete {
        /// Bytes still missing.
        needed: usize,
    },
    /// The packet's data is longer than the limit.
    #[error("packet with {size} bytes of data exceeds the limit of {max}")]
    TooLarge {
        /// The announced data size.
        size: usize,
        /// The limit in force.
        max: usize,
    },
    /// The packet is complete but malformed; it is `consumed` bytes long.
    #[error("invalid packet {code:?}: {reason}")]
    Invalid {
        /// The command or response byte (0 for a packet without one).
        code: char,
        /// What is wrong.
        reason: &'static str,
        /// The length of the whole packet, to skip it.
        consumed: usize,
    },
}

/// Why a value could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The data does not fit the 32-bit length field.
    #[error("packet with {size} bytes of data does not fit the length field")]
    TooLarge {
        /// The data size.
        size: usize,
    },
}

/// One framed packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    /// The command or response byte.
    pub code: u8,
    /// The data after it.
    pub data: &'a [u8],
}

/// Frames one packet whose data is at most `max_data` bytes. Returns the bytes it spans.
pub fn decode_frame(input: &[u8], max_data: usize) -> Result<(usize, Frame<'_>), DecodeError> {
    let Some(header) = input.first_chunk::<LENGTH_BYTES>() else {
        return Err(DecodeError::Incomplete {
            needed: LENGTH_BYTES - input.len(),
        });
    };
    let length = usize::try_from(u32::from_be_bytes(*header)).unwrap_or(usize::MAX);
    let Some(size) = length.checked_sub(1) else {
        return Err(DecodeError::Invalid {
            code: '\0',
            reason: "zero length, no command byte",
            consumed: LENGTH_BYTES,
        });
    };
    if size > max_data {
        return Err(DecodeError::TooLarge {
            size,
            max: max_data,
        });
    }
    let total = LENGTH_BYTES.saturating_add(length);
    match input.get(LENGTH_BYTES..total) {
        Some([code, data @ ..]) => Ok((total, Frame { code: *code, data })),
        _ => Err(DecodeError::Incomplete {
            needed: total - input.len(),
        }),
    }
}

/// Writes a packet: length, `code`, then what `data` writes.
pub(crate) fn encode_frame(
    code: u8,
    out: &mut BytesMut,
    data: impl FnOnce(&mut BytesMut),
) -> Result<(), EncodeError> {
    let start = out.len();
    out.put_u32(0);
    out.put_u8(code);
    data(out);
    let length = out.len() - start - LENGTH_BYTES;
    match u32::try_from(length) {
        Ok(length) => {
            out[start..start + LENGTH_BYTES].copy_from_slice(&length.to_be_bytes());
            Ok(())
        }
        Err(_) => {
            out.truncate(start);
            Err(EncodeError::TooLarge { size: length - 1 })
        }
    }
}

/// Appends a NUL-terminated string.
pub(crate) fn put_cstr(out: &mut BytesMut, bytes: &[u8]) {
    out.put_slice(bytes);
    out.put_u8(0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_need_whole_packets_and_respect_the_limit() {
        assert_eq!(
            decode_frame(b"\0\0", 10),
            Err(DecodeError::Incomplete { needed: 2 })
        );
        assert_eq!(
            decode_frame(b"\0\0\0\x03ab", 10),
            Err(DecodeError::Incomplete { needed: 1 })
        );
        let (consumed, frame) = decode_frame(b"\0\0\0\x03abcZZ", 10).unwrap();
        assert_eq!((consumed, frame.code, frame.data), (7, b'a', &b"bc"[..]));
        assert_eq!(
            decode_frame(b"\0\0\0\x0c", 10),
            Err(DecodeError::TooLarge { size: 11, max: 10 })
        );
        assert_eq!(
            decode_frame(b"\xff\xff\xff\xff", 10),
            Err(DecodeError::TooLarge {
                size: 0xffff_fffe,
                max: 10
            })
        );
        assert!(matches!(
            decode_frame(b"\0\0\0\0", 10),
            Err(DecodeError::Invalid { consumed: 4, .. })
        ));
    }
}
