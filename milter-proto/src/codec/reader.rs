//! A cursor over a packet's data that reads the protocol's field types.

use super::DecodeError;
use crate::types::Text;

/// Reads fields from a packet's data; every failure names the packet.
pub(crate) struct Reader<'a> {
    data: &'a [u8],
    code: u8,
    consumed: usize,
}

impl<'a> Reader<'a> {
    /// A reader over the data of a packet `consumed` bytes long.
    pub(crate) fn new(code: u8, data: &'a [u8], consumed: usize) -> Self {
        Self {
            data,
            code,
            consumed,
        }
    }

    /// The error for this packet.
    pub(crate) fn invalid(&self, reason: &'static str) -> DecodeError {
        DecodeError::Invalid {
            code: char::from(self.code),
            reason,
            consumed: self.consumed,
        }
    }

    /// A NUL-terminated string.
    pub(crate) fn cstr(&mut self, missing: &'static str) -> Result<Text<'a>, DecodeError> {
        let Some(end) = memchr::memchr(0, self.data) else {
            return Err(self.invalid(missing));
        };
        let (text, rest) = self.data.split_at(end);
        self.data = &rest[1..];
        Ok(Text::from_checked(text))
    }

    /// A NUL-terminated string if any data is left.
    pub(crate) fn optional_cstr(
        &mut self,
        missing: &'static str,
    ) -> Result<Option<Text<'a>>, DecodeError> {
        if self.data.is_empty() {
            Ok(None)
        } else {
            self.cstr(missing).map(Some)
        }
    }

    /// A big-endian 32-bit number.
    pub(crate) fn u32(&mut self, missing: &'static str) -> Result<u32, DecodeError> {
        let Some((number, rest)) = self.data.split_first_chunk::<4>() else {
            return Err(self.invalid(missing));
        };
        self.data = rest;
        Ok(u32::from_be_bytes(*number))
    }

    /// A big-endian 16-bit number.
    pub(crate) fn u16(&mut self, missing: &'static str) -> Result<u16, DecodeError> {
        let Some((number, rest)) = self.data.split_first_chunk::<2>() else {
            return Err(self.invalid(missing));
        };
        self.data = rest;
        Ok(u16::from_be_bytes(*number))
    }

    /// One byte.
    pub(crate) fn byte(&mut self, missing: &'static str) -> Result<u8, DecodeError> {
        let Some((byte, rest)) = self.data.split_first() else {
            return Err(self.invalid(missing));
        };
        self.data = rest;
        Ok(*byte)
    }

    /// Whether all data has been read.
    pub(crate) fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Fails if data is left over.
    pub(crate) fn finish(self) -> Result<(), DecodeError> {
        if self.data.is_empty() {
            Ok(())
        } else {
            Err(self.invalid("unexpected bytes after the last field"))
        }
    }
}
