//! SEARCH, SORT and THREAD over the messages of the selected mailbox.
//!
//! - [`matches_all`] evaluates search keys (RFC 9051 6.4.4 with CONDSTORE
//!   `MODSEQ`, WITHIN `OLDER`/`YOUNGER`, SEARCHRES `$`) against one [`Candidate`].
//!   Cheap keys (flags, sets, sizes, dates) run before the ones that read the message,
//!   so `UNSEEN BODY x` opens only unseen messages.
//! - [`sort`] orders candidates by RFC 5256 / RFC 5957 criteria.
//! - [`thread`] builds ORDEREDSUBJECT or REFERENCES threads (RFC 5256), using the
//!   base subject of RFC 5256 section 2.1 (`subject::base_subject`).
//!
//! Choices the RFCs leave to the server:
//! - `BEFORE`/`ON`/`SINCE` compare the internal date's day in UTC (the server time
//!   zone of this implementation); `SENT*` compare the day of the `Date:` header in
//!   the zone written there, and a message without a valid `Date:` never matches them.
//! - Substring keys compare after simple per-character case folding of both sides, on
//!   decoded (RFC 2047, charset-converted) header values and body text. Search strings
//!   may be US-ASCII or UTF-8 ([`check_charset`]).
//! - `MODSEQ` with an entry name (`"/flags/\\seen" priv`) compares the message's
//!   mod-sequence: per-flag mod-sequences are not kept, which RFC 7162 3.1.5 allows.
//! - A message whose content cannot be read matches no key that needs it.
//! - TEXT searches the raw header lines plus the decoded values of fields that carry
//!   encoded words (of at most 64 distinct fields), then the body text.
//! - THREAD uses the last 256 identifiers of a `References:` field, and sends branches
//!   nested deeper than 64 levels as one chain (see `thread::MAX_THREAD_DEPTH`).
//!
//! Hostile input: key nesting is capped ([`MAX_KEY_DEPTH`]); every pass over subjects,
//! headers and thread trees is linear or bounded, with no recursion on message data
//! beyond the capped thread depth, so Message-ID loops and deep chains end.

mod dates;
mod keys;
mod references;
mod sort;
mod subject;
mod text;
mod thread;

#[cfg(test)]
mod tests;

use std::time::SystemTime;

pub(crate) use keys::matches_all;
pub(crate) use sort::sort;
pub(crate) use text::{CHARSETS, check_charset};
pub(crate) use thread::thread;

/// How deeply `NOT`, `OR` and parenthesised lists may nest. The command parser already
/// stops at 32; keys built elsewhere are checked against this before evaluation.
pub(crate) const MAX_KEY_DEPTH: usize = 64;

/// What the content-reading keys need of a parsed message.
pub(crate) trait Content {
    /// Decoded (RFC 2047, UTF-8) values of every field `name` (case-insensitive).
    fn header_values(&self, name: &str) -> Vec<String>;
    /// The raw header block.
    fn header_bytes(&self) -> &[u8];
    /// Decoded text of the text parts.
    fn body_text(&self) -> String;
    /// The `Date:` header: seconds since the epoch (UTC) and the zone offset in
    /// seconds east of UTC.
    fn sent_date(&self) -> Option<(i64, i32)>;
    /// The first address of `header`: (decoded display name, local part, domain).
    fn first_address(&self, header: &str) -> Option<(Option<String>, String, String)>;
}

impl Content for crate::imap::mime::Message<'_> {
    fn header_values(&self, name: &str) -> Vec<String> {
        Self::header_values(self, name)
    }
    fn header_bytes(&self) -> &[u8] {
        Self::header_bytes(self)
    }
    fn body_text(&self) -> String {
        Self::body_text(self)
    }
    fn sent_date(&self) -> Option<(i64, i32)> {
        Self::sent_date(self)
    }
    fn first_address(&self, header: &str) -> Option<(Option<String>, String, String)> {
        Self::first_address(self, header)
    }
}

/// What search needs of one message. Cheap fields first; content loads lazily.
pub(crate) trait Candidate {
    /// The message sequence number.
    fn seq(&self) -> u32;
    /// The UID.
    fn uid(&self) -> u32;
    /// `\Seen \Answered \Flagged \Deleted \Draft` as Maildir letters.
    fn flags(&self) -> maildir::Flags;
    /// The keywords set on the message.
    fn keywords(&self) -> &[String];
    /// Whether the message is `\Recent` in this session.
    fn recent(&self) -> bool;
    /// RFC822.SIZE.
    fn size(&self) -> u64;
    /// INTERNALDATE.
    fn internal_date(&self) -> SystemTime;
    /// The CONDSTORE mod-sequence.
    fn modseq(&self) -> u64;
    /// The message content, loaded on first use and kept (`None` if it cannot be
    /// read). A [`crate::imap::mime::Message`] is a [`Content`].
    fn content(&mut self) -> Option<&dyn Content>;
}

/// The mailbox facts keys refer to.
pub(crate) struct SearchContext<'a> {
    /// The highest sequence number (`*` in a sequence set).
    pub(crate) max_seq: u32,
    /// The highest UID (`*` in a UID set).
    pub(crate) max_uid: u32,
    /// The UIDs saved by `SEARCH RETURN (SAVE)` in ascending order (`$`); `None`
    /// when nothing was saved, which makes `$` empty.
    pub(crate) saved: Option<&'a [u32]>,
    /// The current time, for `OLDER` and `YOUNGER`.
    pub(crate) now: SystemTime,
}

/// Why a search, sort or thread request cannot be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum SearchError {
    /// The charset is neither US-ASCII nor UTF-8: answer
    /// `NO [BADCHARSET (UTF-8 US-ASCII)]`.
    #[error("unsupported charset {0:?}")]
    BadCharset(String),
    /// A search string or header name is not valid UTF-8 (answer BAD).
    #[error("search string is not valid UTF-8")]
    InvalidText,
    /// Keys nested deeper than [`MAX_KEY_DEPTH`] (answer BAD).
    #[error("search keys nested more than {MAX_KEY_DEPTH} levels deep")]
    TooDeep,
    /// A THREAD algorithm other than ORDEREDSUBJECT and REFERENCES (answer BAD).
    #[error("unsupported threading algorithm {0:?}")]
    UnknownAlgorithm(String),
}
