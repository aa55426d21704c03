//! Streaming APPEND: decoding a command up to a message literal so that a server can pass
//! the message bytes through in chunks instead of buffering them.
//!
//! # How a server uses it
//!
//! 1. Call [`decode_command_streaming`] on the input buffer instead of
//!    [`decode_command`](super::decode_command). For every command but APPEND it behaves
//!    the same and returns [`Streamed::Command`]. For an APPEND it stops as soon as the
//!    head of the first message is framed and returns [`Streamed::Append`] with the tag,
//!    the mailbox and the message's [`AppendMessageHead`] (flags, date, literal length,
//!    whether it is `~{n}` / `UTF8 (~{n})`, whether it is `{n+}`). The consumed count
//!    reaches up to and including the literal header's CRLF; the message data follows.
//!    The data need not have arrived yet, and the literal limits of [`DecodeOptions`] do
//!    not apply to it: the server checks the length against its own APPENDLIMIT.
//! 2. For a synchronising literal the server now either sends `+ Ready` or refuses with
//!    `tag NO [TOOBIG]` and is done with this command (the client sends nothing more of
//!    it). A non-synchronising literal's data is coming anyway: a refusing server still
//!    reads and discards `length` bytes and continues with step 3, answering NO at the
//!    end.
//! 3. The server passes exactly `length` bytes on (or drops them), in whatever chunks
//!    they arrive. It must check those bytes itself: a NUL octet is only allowed in a
//!    literal8 (`~{n}`, RFC 3516; CHAR8 excludes NUL), so a chunk of a plain `{n}` data
//!    literal with a NUL makes the APPEND fail with `tag BAD` (the rest of the literal is
//!    still read and dropped, never parsed as commands), as
//!    [`decode_command`](super::decode_command) rejects them. Then it calls [`decode_append_next`] on the bytes that follow, passing the
//!    head of the message just finished. That returns [`AppendNext::Message`] with the
//!    next message's head (MULTIAPPEND, RFC 3502; go to step 2) or [`AppendNext::End`]
//!    when the command line ends.
//!
//! Errors follow [`DecodeError`]: after an `Invalid` from step 3, skip `consumed` bytes
//! (the rest of the command, literals included) and answer `tag BAD` with the tag from
//! step 1; appended messages of the failed command are discarded (APPEND is atomic).

use nom::Parser;
use nom::bytes::complete::tag;
use nom::combinator::opt;

use super::command::{append_message_head, decode_command_with};
use super::frame::{Framed, frame_until, read_tag};
use super::primitives::{PResult, crlf, mailbox, sp, tag_value};
use super::{DecodeError, DecodeOptions};
use crate::types::{Command, DateTime, Flag, LiteralHeader, Mailbox, Tag};

/// The head of one APPEND message: everything before its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendMessageHead<'a> {
    /// Flags to set.
    pub flags: Vec<Flag<'a>>,
    /// Internal date to set.
    pub date: Option<DateTime>,
    /// The literal header: length, literal8, non-synchronising.
    pub literal: LiteralHeader,
    /// `UTF8 (~{n})` (RFC 6855): a `)` follows the data.
    pub utf8: bool,
}

impl AppendMessageHead<'_> {
    /// Detaches the head from the buffer it was decoded from.
    pub fn into_owned(self) -> AppendMessageHead<'static> {
        AppendMessageHead {
            flags: self.flags.into_iter().map(Flag::into_owned).collect(),
            date: self.date,
            literal: self.literal,
            utf8: self.utf8,
        }
    }
}

/// An APPEND command up to its first message's data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendStart<'a> {
    /// The command's tag.
    pub tag: Tag<'a>,
    /// The target mailbox.
    pub mailbox: Mailbox<'a>,
    /// The first message.
    pub message: AppendMessageHead<'a>,
}

impl AppendStart<'_> {
    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> AppendStart<'static> {
        AppendStart {
            tag: self.tag.into_owned(),
            mailbox: self.mailbox.into_owned(),
            message: self.message.into_owned(),
        }
    }
}

/// What [`decode_command_streaming`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Streamed<'a> {
    /// A complete command (never an APPEND with a valid message head).
    Command(Command<'a>),
    /// An APPEND, up to its first message's data.
    Append(AppendStart<'a>),
}

/// What follows an APPEND message's data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppendNext<'a> {
    /// Another message (MULTIAPPEND); its data follows.
    Message(AppendMessageHead<'a>),
    /// The command ended (its CRLF was consumed).
    End,
}

type HeadParts<'a> = (Vec<Flag<'a>>, Option<DateTime>, LiteralHeader, bool);

fn head(parts: HeadParts<'_>) -> AppendMessageHead<'_> {
    let (flags, date, literal, utf8) = parts;
    AppendMessageHead {
        flags,
        date,
        literal,
        utf8,
    }
}

/// `tag SP "APPEND" SP mailbox` + the first message head, filling the whole prefix.
fn append_start(i: &[u8]) -> PResult<'_, AppendStart<'_>> {
    let (rest, (tag, _, _, _, mailbox, parts)) = (
        tag_value,
        sp,
        nom::bytes::complete::tag_no_case(&b"APPEND"[..]),
        sp,
        mailbox,
        append_message_head,
    )
        .parse(i)?;
    Ok((
        rest,
        AppendStart {
            tag,
            mailbox,
            message: head(parts),
        },
    ))
}

/// Decodes a command, stopping at the first message literal of an APPEND (see the
/// module docs for the whole procedure).
pub fn decode_command_streaming<'a>(
    buf: &'a [u8],
    opts: &DecodeOptions,
) -> Result<(usize, Streamed<'a>), DecodeError> {
    let framed = frame_until(buf, opts, &mut |prefix, _| {
        matches!(append_start(prefix), Ok((b"", _)))
    })?;
    match framed {
        Framed::Stopped { consumed, .. } => match append_start(&buf[..consumed]) {
            Ok((_, start)) => Ok((consumed, Streamed::Append(start))),
            Err(_) => Err(DecodeError::Invalid {
                consumed,
                tag: read_tag(buf),
                reason: "syntax error in APPEND".into(),
            }),
        },
        Framed::Complete(_) => {
            decode_command_with(buf, opts).map(|(n, command)| (n, Streamed::Command(command)))
        }
    }
}

/// `[")"]` closing a `UTF8 (` wrapper.
fn close_utf8(utf8: bool) -> impl FnMut(&[u8]) -> PResult<'_, ()> {
    move |i| {
        if utf8 {
            let (i, _) = tag(&b")"[..]).parse(i)?;
            Ok((i, ()))
        } else {
            Ok((i, ()))
        }
    }
}

/// Decodes what follows the data of an APPEND message: the next message's head or the
/// end of the command. `previous` is the head of the message whose data just ended.
///
/// `Invalid` errors carry no tag (use the one from [`AppendStart`]); their `consumed`
/// covers the rest of the command.
pub fn decode_append_next<'a>(
    buf: &'a [u8],
    previous: &AppendMessageHead<'_>,
    opts: &DecodeOptions,
) -> Result<(usize, AppendNext<'a>), DecodeError> {
    let utf8 = previous.utf8;
    let next_head = |i: &'a [u8]| -> PResult<'a, AppendMessageHead<'a>> {
        let (i, ()) = close_utf8(utf8)(i)?;
        let (i, parts) = append_message_head(i)?;
        Ok((i, head(parts)))
    };
    let framed = frame_until(buf, opts, &mut |prefix, _| {
        let parse = |i| -> PResult<'_, ()> {
            let (i, ()) = close_utf8(utf8)(i)?;
            let (i, _) = append_message_head(i)?;
            Ok((i, ()))
        };
        matches!(parse(prefix), Ok((b"", ())))
    })?;
    let invalid = |consumed| DecodeError::Invalid {
        consumed,
        tag: None,
        reason: "syntax error in APPEND".into(),
    };
    match framed {
        Framed::Stopped { consumed, .. } => match next_head(&buf[..consumed]) {
            Ok((_, h)) => Ok((consumed, AppendNext::Message(h))),
            Err(_) => Err(invalid(consumed)),
        },
        Framed::Complete(len) => {
            let mut end = (close_utf8(utf8), opt(sp), crlf);
            match end.parse(&buf[..len]) {
                Ok((b"", ((), None, ()))) => Ok((len, AppendNext::End)),
                _ => Err(invalid(len)),
            }
        }
    }
}
