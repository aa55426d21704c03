//! What the client hands to the application: bytes to write and events to act on.

use std::num::NonZeroU32;

use bytes::Bytes;

use super::ClientError;
use crate::types::{
    Capability, Code, FetchItem, Greeting, RespText, StatusKind, StreamedItem, Tag, Text, Untagged,
};

/// One step of output from [`Client::poll_output`](super::Client::poll_output).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Write these bytes to the server.
    Transmit(Bytes),
    /// Something the application must see or act on.
    Event(Event),
    /// Nothing more until new input, a timeout or an application call.
    NeedInput,
}

/// Something that happened in the session.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The server greeted with `* OK` (log in next) or `* PREAUTH` (already logged in).
    /// A `* BYE` greeting comes as [`Event::Bye`] followed by [`Event::Closed`].
    Greeting(Greeting<'static>),
    /// The client learnt the server's capabilities (from a `[CAPABILITY]` code, a
    /// `* CAPABILITY` response or its own CAPABILITY command); they replace the previous
    /// set, also available from [`Client::capabilities`](super::Client::capabilities).
    /// A `* CAPABILITY` response is reported only this way.
    Capabilities(Vec<Capability<'static>>),
    /// An untagged response (`* 3 EXISTS`, `* LIST ...`, `* OK [UIDNEXT 5] ...`, a whole
    /// `* 1 FETCH (...)` without large literals, ...), whenever it arrives: during the
    /// command it answers, during IDLE, or unsolicited.
    Untagged(Untagged<'static>),
    /// `* seq FETCH (` of a response with a literal above the streaming threshold: its
    /// items follow as [`Event::FetchItem`] and [`Event::LiteralStart`] ...
    /// [`Event::LiteralEnd`], in wire order, then [`Event::FetchEnd`]. Other responses may
    /// not come in between.
    FetchStart {
        /// Message sequence number.
        seq: NonZeroU32,
    },
    /// A complete small data item of the streamed FETCH response `seq`.
    FetchItem {
        /// Message sequence number.
        seq: NonZeroU32,
        /// The item.
        item: FetchItem<'static>,
    },
    /// A large literal item of the streamed FETCH response `seq` begins; its octets
    /// follow as [`Event::LiteralChunk`]s (as many as the input was split into), then
    /// [`Event::LiteralEnd`].
    LiteralStart {
        /// Message sequence number.
        seq: NonZeroU32,
        /// The item (`BODY[]`, `BINARY[1]`, `RFC822`, ...).
        item: StreamedItem<'static>,
        /// Octets in the literal.
        length: u32,
        /// `~{n}`: a literal8, which may contain NUL.
        binary: bool,
    },
    /// A piece of the literal announced by [`Event::LiteralStart`].
    LiteralChunk(Bytes),
    /// The literal is complete.
    LiteralEnd,
    /// `)`: the streamed FETCH response `seq` is complete.
    FetchEnd {
        /// Message sequence number.
        seq: NonZeroU32,
    },
    /// A command completed (`tag OK|NO|BAD [code] text`). Commands the client sends by
    /// itself (CAPABILITY) are not reported.
    Completed {
        /// The tag returned by [`Client::command`](super::Client::command).
        tag: Tag<'static>,
        /// OK, NO or BAD.
        status: StatusKind,
        /// The response code, if any.
        code: Option<Code<'static>>,
        /// The human-readable text.
        text: Text<'static>,
    },
    /// An AUTHENTICATE challenge (`+ base64`), decoded. Answer with
    /// [`Client::auth_respond`](super::Client::auth_respond) or cancel with
    /// [`Client::auth_cancel`](super::Client::auth_cancel).
    AuthChallenge {
        /// The AUTHENTICATE command's tag.
        tag: Tag<'static>,
        /// The challenge bytes (empty for `+ ` or `+ =`).
        data: Vec<u8>,
    },
    /// The server accepted IDLE (`+`): pushed updates come as [`Event::Untagged`] until
    /// [`Client::done`](super::Client::done).
    IdleStarted {
        /// The IDLE command's tag.
        tag: Tag<'static>,
    },
    /// IDLE has been running for [`Timeouts::idle_refresh`](super::Timeouts::idle_refresh):
    /// call [`Client::done`](super::Client::done) and [`Client::idle`](super::Client::idle)
    /// (the new IDLE waits for the old one to complete) before the server drops the
    /// connection. Reported once per IDLE.
    IdleRefresh {
        /// The running IDLE command's tag.
        tag: Tag<'static>,
    },
    /// The server accepted STARTTLS. Run the TLS handshake on the connection now and call
    /// [`Client::tls_established`](super::Client::tls_established); until then, any byte
    /// from the server is an error ([`ClientError::DataBeforeTls`]).
    StartTls,
    /// The server accepted COMPRESS DEFLATE (RFC 4978); the tagged OK was the last
    /// uncompressed response. Start the deflate layer now (raw DEFLATE, RFC 1951, no
    /// zlib header): write the transmits before this event in clear, deflate every later
    /// one (flushing at the end of each, e.g. a zlib sync flush), and inflate every byte
    /// read from the server before [`Client::handle_input`](super::Client::handle_input).
    StartCompression {
        /// Server bytes that followed the OK in the same input: the start of the
        /// compressed stream, never parsed. Inflate them first and feed the result back.
        pending: Bytes,
    },
    /// `* BYE`: the server is closing the connection. [`Event::Closed`] follows, at once
    /// or, during LOGOUT, after its completion.
    Bye(RespText<'static>),
    /// A fatal error; [`Event::Closed`] follows.
    Error(ClientError),
    /// The session is over: close the connection.
    Closed,
}
