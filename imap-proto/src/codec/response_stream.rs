//! Streaming response decoder: FETCH responses with large literals are handed out in
//! pieces, so a client never buffers a whole 30 MB message.
//!
//! See [`ResponseStream`] for how a client drives it.

use std::borrow::Cow;
use std::num::NonZeroU32;

use nom::Parser;
use nom::bytes::complete::tag;
use nom::sequence::{preceded, terminated};

use super::frame::frame_until;
use super::primitives::{PResult, literal_header, nz_number, sp};
use super::response::{ResponseOptions, decode_response_with, invalid};
use super::response_common::{TOO_DEEP, is_too_deep, keyword, line_end};
use super::response_fetch::{fetch_item, streamed_item_name};
use super::{DecodeError, Framed};
use crate::types::{FetchItem, Response, StreamedItem};

/// Default size above which a literal in a FETCH response is streamed: 256 KiB.
pub const DEFAULT_STREAM_THRESHOLD: u32 = 256 * 1024;

/// One piece of decoded server output; see [`ResponseStream`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEvent<'a> {
    /// A whole response.
    Response(Response<'a>),
    /// `* n FETCH (`: a streamed FETCH response begins.
    FetchStart {
        /// Message sequence number.
        seq: NonZeroU32,
    },
    /// A complete data item of the streamed FETCH response.
    FetchItem(FetchItem<'a>),
    /// A data item whose value is a large literal: its name, and the literal's length.
    /// `LiteralData` chunks follow, then `LiteralEnd`.
    LiteralStart {
        /// The item (`BODY[]`, `BINARY[1]`, `RFC822`...).
        item: StreamedItem<'a>,
        /// Octets in the literal.
        length: u32,
        /// `~{n}`: a literal8, which may contain NUL.
        binary: bool,
    },
    /// A chunk of the literal's octets.
    LiteralData(&'a [u8]),
    /// The literal is complete (consumes nothing).
    LiteralEnd,
    /// `)` CRLF: the streamed FETCH response is complete.
    FetchEnd,
    /// Bytes of a malformed streamed response being skipped after an error.
    Discarded,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between responses.
    Idle,
    /// Inside a streamed FETCH, before an item or the closing parenthesis.
    Items {
        /// No item has been read yet (no SP before the next one).
        first: bool,
    },
    /// Inside a literal; this many octets remain.
    Literal { remaining: u32 },
    /// The literal's last octet was handed out; `LiteralEnd` is next.
    LiteralDone,
    /// Skipping the rest of a malformed streamed response.
    Discard,
    /// Skipping a literal of a malformed streamed response.
    DiscardLiteral { remaining: u32 },
}

/// A response decoder that streams large FETCH literals.
///
/// # How a client uses it
///
/// Keep one [`ResponseStream`] per connection and call [`ResponseStream::decode`] with the
/// unconsumed bytes received so far. Each call returns how many bytes it consumed and one
/// [`StreamEvent`]; drop the consumed bytes and call again until it returns
/// [`DecodeError::Incomplete`] (read more from the socket) or an error.
///
/// - A response without a literal above the threshold comes whole, as
///   [`StreamEvent::Response`] (exactly what [`decode_response_with`] returns).
/// - A FETCH response with a literal above the threshold comes as a sequence:
///   [`StreamEvent::FetchStart`], then for each data item either [`StreamEvent::FetchItem`]
///   (a small item, complete) or [`StreamEvent::LiteralStart`] followed by one or more
///   [`StreamEvent::LiteralData`] chunks (whatever part of the literal is buffered, at most
///   the rest of it) and [`StreamEvent::LiteralEnd`], and finally [`StreamEvent::FetchEnd`].
///   The items arrive in wire order, so `UID` may come before or after the body.
///
/// `LiteralEnd` consumes no bytes; every other event consumes at least one, so a loop
/// that stops on `Incomplete` always terminates.
///
/// # Errors
///
/// Outside a streamed FETCH the errors are those of [`decode_response_with`]. Inside one,
/// a malformed item is reported once as [`DecodeError::Invalid`] (skip `consumed`); the
/// stream then discards the rest of that response, reporting the skipped bytes as
/// [`StreamEvent::Discarded`], and returns to normal decoding after it.
/// [`DecodeError::TooLong`] means the stream cannot continue.
///
/// # Example
///
/// ```
/// use imap_proto::codec::{DecodeError, ResponseOptions, ResponseStream, StreamEvent};
///
/// let mut stream = ResponseStream::new(ResponseOptions::default(), 4);
/// let mut input = b"* 1 FETCH (UID 7 BODY[] {10}\r\n0123456789)\r\na1 OK done\r\n".to_vec();
/// let mut body = Vec::new();
/// let mut events = Vec::new();
/// loop {
///     match stream.decode(&input) {
///         Ok((n, event)) => {
///             if let StreamEvent::LiteralData(chunk) = event {
///                 body.extend_from_slice(chunk); // hand the chunk to the application
///             }
///             events.push(format!("{event:?}").split([' ', '(']).next().unwrap().to_owned());
///             input.drain(..n);
///         }
///         Err(DecodeError::Incomplete) => break, // read more from the socket
///         Err(e) => panic!("{e}"),
///     }
/// }
/// assert_eq!(body, b"0123456789");
/// assert_eq!(
///     events,
///     ["FetchStart", "FetchItem", "LiteralStart", "LiteralData", "LiteralEnd", "FetchEnd", "Response"]
/// );
/// ```

#[derive(Debug, Clone)]
pub struct ResponseStream {
    opts: ResponseOptions,
    threshold: u32,
    state: State,
}

impl Default for ResponseStream {
    fn default() -> Self {
        Self::new(ResponseOptions::default(), DEFAULT_STREAM_THRESHOLD)
    }
}

impl ResponseStream {
    /// A decoder with the given limits; FETCH literals longer than `threshold` octets
    /// are streamed (and are not subject to `opts.framing.max_literal`).
    pub fn new(opts: ResponseOptions, threshold: u32) -> Self {
        Self {
            opts,
            threshold,
            state: State::Idle,
        }
    }

    /// Whether the decoder is between responses (not inside a streamed FETCH).
    pub fn is_idle(&self) -> bool {
        self.state == State::Idle
    }

    /// Decodes the next event from the start of `buf`; see [`ResponseStream`].
    pub fn decode<'b>(&mut self, buf: &'b [u8]) -> Result<(usize, StreamEvent<'b>), DecodeError> {
        match self.state {
            State::Idle => self.decode_idle(buf),
            State::Items { first } => self.decode_item(buf, first),
            State::Literal { remaining } => {
                let (n, chunk) = take_chunk(buf, remaining)?;
                self.state = match remaining - n {
                    0 => State::LiteralDone,
                    remaining => State::Literal { remaining },
                };
                Ok((chunk.len(), StreamEvent::LiteralData(chunk)))
            }
            State::LiteralDone => {
                self.state = State::Items { first: false };
                Ok((0, StreamEvent::LiteralEnd))
            }
            State::Discard => self.discard(buf),
            State::DiscardLiteral { remaining } => {
                let (n, chunk) = take_chunk(buf, remaining)?;
                self.state = match remaining - n {
                    0 => State::Discard,
                    remaining => State::DiscardLiteral { remaining },
                };
                Ok((chunk.len(), StreamEvent::Discarded))
            }
        }
    }

    fn decode_idle<'b>(&mut self, buf: &'b [u8]) -> Result<(usize, StreamEvent<'b>), DecodeError> {
        if let Some(head) = fetch_head(buf) {
            let threshold = self.threshold;
            let framed = frame_until(buf, &self.opts.framing, &mut |_, h| h.length > threshold);
            if let Ok(Framed::Stopped { .. }) = framed {
                self.state = State::Items { first: true };
                return Ok((head.0, StreamEvent::FetchStart { seq: head.1 }));
            }
            if let Err(e) = framed
                && !matches!(e, DecodeError::Literal { .. })
            {
                return Err(e);
            }
        }
        let (len, resp) = decode_response_with(buf, &self.opts)?;
        Ok((len, StreamEvent::Response(resp)))
    }

    fn decode_item<'b>(
        &mut self,
        buf: &'b [u8],
        first: bool,
    ) -> Result<(usize, StreamEvent<'b>), DecodeError> {
        let threshold = self.threshold;
        let framed = frame_until(buf, &self.opts.framing, &mut |_, h| h.length > threshold)?;
        let (segment, big) = match framed {
            Framed::Complete(len) => (&buf[..len], None),
            Framed::Stopped { consumed, header } => (&buf[..consumed], Some(header)),
        };
        let fail = |this: &mut Self, reason: Cow<'static, str>| {
            this.state = State::Discard;
            Err(invalid(b"", segment.len(), reason))
        };
        if let Ok((rest, ())) = terminated(tag(&b")"[..]), line_end)
            .map(|_| ())
            .parse(segment)
        {
            let used = segment.len() - rest.len();
            self.state = State::Idle;
            return Ok((used, StreamEvent::FetchEnd));
        }
        let lead = if first { 0 } else { 1 };
        if !first && !segment.starts_with(b" ") {
            return fail(self, Cow::Borrowed("expected SP or ) in FETCH response"));
        }
        let body = &segment[lead..];
        if let Some(header) = big
            && let Ok((rest, item)) = terminated(streamed_item_name, sp).parse(body)
            && let Ok((b"", _)) = literal_header(rest)
        {
            self.state = match header.length {
                0 => State::LiteralDone,
                n => State::Literal { remaining: n },
            };
            let event = StreamEvent::LiteralStart {
                item,
                length: header.length,
                binary: header.binary,
            };
            return Ok((segment.len(), event));
        }
        match fetch_item(self.opts.max_depth, body) {
            Ok((rest, item)) => {
                self.state = State::Items { first: false };
                Ok((segment.len() - rest.len(), StreamEvent::FetchItem(item)))
            }
            Err(e) if is_too_deep(&e) => fail(self, Cow::Borrowed(TOO_DEEP)),
            Err(_) => fail(self, Cow::Borrowed("invalid FETCH data item")),
        }
    }

    fn discard<'b>(&mut self, buf: &'b [u8]) -> Result<(usize, StreamEvent<'b>), DecodeError> {
        let threshold = self.threshold;
        match frame_until(buf, &self.opts.framing, &mut |_, h| h.length > threshold)? {
            Framed::Complete(len) => {
                self.state = State::Idle;
                Ok((len, StreamEvent::Discarded))
            }
            Framed::Stopped { consumed, header } => {
                self.state = match header.length {
                    0 => State::Discard,
                    n => State::DiscardLiteral { remaining: n },
                };
                Ok((consumed, StreamEvent::Discarded))
            }
        }
    }
}

/// Up to `remaining` octets from `buf`; `Incomplete` when `buf` is empty.
fn take_chunk(buf: &[u8], remaining: u32) -> Result<(u32, &[u8]), DecodeError> {
    if buf.is_empty() {
        return Err(DecodeError::Incomplete);
    }
    let n = usize::try_from(remaining).map_or(buf.len(), |r| r.min(buf.len()));
    let n32 = u32::try_from(n).unwrap_or(remaining);
    Ok((n32, &buf[..n]))
}

/// `* n FETCH (`: its length and the message number.
fn fetch_head(buf: &[u8]) -> Option<(usize, NonZeroU32)> {
    let parsed: PResult<'_, NonZeroU32> = preceded(
        tag(&b"* "[..]),
        terminated(nz_number, (sp, keyword("FETCH"), sp, tag(&b"("[..]))),
    )
    .parse(buf);
    let (rest, seq) = parsed.ok()?;
    Some((buf.len() - rest.len(), seq))
}
