//! The MIME tree of a message (RFC 2045, RFC 2046) as byte ranges of the raw message.
//!
//! Every entity is a header block and a body. A multipart body holds child entities
//! between boundary lines; a `message/rfc822` body holds one encapsulated message. The
//! ranges follow what IMAP servers report (RFC 9051 section 6.4.5):
//!
//! - a header block runs to its blank line, included; without a blank line it ends
//!   where the message ends or before the line end that precedes a boundary line, and
//!   the body is empty;
//! - a boundary line is a line that starts with `--` and an active boundary (the
//!   boundary of this multipart or of any enclosing one; when several match, the
//!   longest, then the innermost, wins); the line end before it belongs to the
//!   boundary, not to the body it ends (unless it ends a close delimiter's line);
//! - a multipart body runs from its preamble to the end of its epilogue, that is up to
//!   the next boundary line of an enclosing multipart (or the end of the message).
//!
//! Hostile input cannot make the tree unbounded: entities nested deeper than
//! [`MAX_DEPTH`] and parts beyond [`MAX_PARTS`] are not descended into.

use std::ops::Range;

use super::header;
use super::params::{self, MediaType};

/// Deepest nesting of multiparts and encapsulated messages that is parsed.
pub(super) const MAX_DEPTH: usize = 100;
/// Most entities parsed in one message.
pub(super) const MAX_PARTS: usize = 10_000;
/// Longest boundary accepted (RFC 2046 allows 70 characters).
const MAX_BOUNDARY_LEN: usize = 256;

/// One entity: a header block and a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Part {
    /// The header block, its blank line included when there is one.
    pub(super) header: Range<usize>,
    /// The body.
    pub(super) body: Range<usize>,
    /// The media type in effect (the default when the field is missing or invalid).
    pub(super) media: MediaType,
    /// What the body holds.
    pub(super) content: Content,
}

/// What the body of an entity holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Content {
    /// A leaf: text, image, ...
    Single,
    /// The parts of a multipart (at least one).
    Multipart(Vec<Part>),
    /// The encapsulated message of a `message/rfc822` part.
    Message(Box<Part>),
    /// A multipart or message that was not parsed (too deep or too many parts).
    Opaque,
}

/// The media type of an entity without a (valid) `Content-Type` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DefaultType {
    /// `text/plain` (RFC 2045 section 5.2).
    Text,
    /// `message/rfc822`, inside `multipart/digest` (RFC 2046 section 5.1.5).
    Message,
}

impl DefaultType {
    fn media(self) -> MediaType {
        match self {
            Self::Text => MediaType::new("text", "plain"),
            Self::Message => MediaType::new("message", "rfc822"),
        }
    }
}

/// Parses the MIME tree of `data` (CRLF line ends expected; bare LF also works).
pub(super) fn parse(data: &[u8]) -> Part {
    let mut parser = Parser {
        data,
        boundaries: Vec::new(),
        parts: 0,
    };
    parser.entity(0, 0, DefaultType::Text).0
}

/// What ended an entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// The end of the message.
    Eof,
    /// A boundary line.
    Boundary {
        /// Index of the boundary in the stack of active boundaries.
        level: usize,
        /// `--boundary--`: the close delimiter.
        close: bool,
        /// Where the boundary line starts.
        line: usize,
        /// Where the line after it starts.
        next: usize,
    },
}

struct Parser<'d> {
    data: &'d [u8],
    /// Active boundaries, outermost first.
    boundaries: Vec<Vec<u8>>,
    /// Entities parsed so far.
    parts: usize,
}

impl Parser<'_> {
    /// Parses the entity starting at `start`, `depth` levels down.
    fn entity(&mut self, start: usize, depth: usize, default: DefaultType) -> (Part, Stop) {
        self.parts += 1;
        let (header_end, header_stop) = self.header(start);
        let header = start..header_end;
        let media = header::first_value(&self.data[header.clone()], b"content-type")
            .and_then(params::media_type)
            .unwrap_or_else(|| default.media());
        let descend = depth < MAX_DEPTH && self.parts < MAX_PARTS;
        let multipart = media.is("multipart", None);
        let message = media.is("message", Some("rfc822"));

        let (content, body_end, stop) = match header_stop {
            // The entity ends inside its header: the body is empty.
            Some(stop) => {
                let content = match (multipart || message, descend) {
                    (false, _) => Content::Single,
                    (true, false) => Content::Opaque,
                    (true, true) if multipart => Content::Multipart(vec![empty_part(header_end)]),
                    (true, true) => Content::Message(Box::new(empty_part(header_end))),
                };
                (content, header_end, stop)
            }
            None if multipart && descend => self.multipart(header_end, &media, depth),
            None if message && descend => {
                let (inner, stop) = self.entity(header_end, depth + 1, DefaultType::Text);
                let end = inner.body.end;
                (Content::Message(Box::new(inner)), end, stop)
            }
            None => {
                let stop = self.scan(header_end);
                let content = if multipart || message {
                    Content::Opaque
                } else {
                    Content::Single
                };
                (content, self.end_before(stop, header_end), stop)
            }
        };
        let part = Part {
            header,
            body: header_end..body_end,
            media,
            content,
        };
        (part, stop)
    }

    /// Finds the end of the header block starting at `start`; a [`Stop`] when a
    /// boundary line or the end of the message comes before the blank line.
    fn header(&self, start: usize) -> (usize, Option<Stop>) {
        let mut pos = start;
        while pos < self.data.len() {
            let len = header::line_len(&self.data[pos..]);
            if header::is_blank_line(&self.data[pos..pos + len]) {
                return (pos + len, None);
            }
            if let Some(stop) = self.boundary_at(pos) {
                return (self.end_before(stop, start), Some(stop));
            }
            pos += len;
        }
        (self.data.len(), Some(Stop::Eof))
    }

    /// Parses a multipart body starting at `start`: preamble, parts, epilogue.
    fn multipart(
        &mut self,
        start: usize,
        media: &MediaType,
        depth: usize,
    ) -> (Content, usize, Stop) {
        let boundary = media
            .param("boundary")
            .filter(|b| !b.is_empty() && b.len() <= MAX_BOUNDARY_LEN);
        let Some(boundary) = boundary else {
            // No usable boundary: one empty part, the body is opaque.
            let stop = self.scan(start);
            let content = Content::Multipart(vec![empty_part(start)]);
            return (content, self.end_before(stop, start), stop);
        };
        let level = self.boundaries.len();
        self.boundaries.push(boundary.to_vec());
        let child_default = if media.is("multipart", Some("digest")) {
            DefaultType::Message
        } else {
            DefaultType::Text
        };

        let mut children = Vec::new();
        let mut stop = self.scan(start);
        // Where the body can end at the earliest: after the close delimiter's line end
        // (that line end is not the one before the next boundary).
        let (stop, floor) = loop {
            match stop {
                Stop::Boundary {
                    level: found,
                    close: false,
                    next,
                    ..
                } if found == level => {
                    if self.parts >= MAX_PARTS {
                        stop = self.scan(next);
                        continue;
                    }
                    let (child, child_stop) = self.entity(next, depth + 1, child_default);
                    children.push(child);
                    stop = child_stop;
                }
                Stop::Boundary {
                    level: found,
                    close: true,
                    next,
                    ..
                } if found == level => {
                    self.boundaries.truncate(level);
                    break (self.scan(next), next);
                }
                other => {
                    self.boundaries.truncate(level);
                    break (other, start);
                }
            }
        };
        if children.is_empty() {
            children.push(empty_part(start));
        }
        (
            Content::Multipart(children),
            self.end_before(stop, floor),
            stop,
        )
    }

    /// The first boundary line at or after `from` (a line start).
    fn scan(&self, from: usize) -> Stop {
        if self.boundaries.is_empty() {
            return Stop::Eof;
        }
        let mut pos = from;
        while pos < self.data.len() {
            if let Some(stop) = self.boundary_at(pos) {
                return stop;
            }
            pos += header::line_len(&self.data[pos..]);
        }
        Stop::Eof
    }

    /// The boundary line starting at `pos`, if the line there is one.
    fn boundary_at(&self, pos: usize) -> Option<Stop> {
        let line = &self.data[pos..];
        let after = line.strip_prefix(b"--")?;
        let mut best: Option<(usize, usize)> = None;
        for (level, boundary) in self.boundaries.iter().enumerate() {
            if after.starts_with(boundary) && best.is_none_or(|(_, len)| boundary.len() >= len) {
                best = Some((level, boundary.len()));
            }
        }
        let (level, len) = best?;
        Some(Stop::Boundary {
            level,
            close: after[len..].starts_with(b"--"),
            line: pos,
            next: pos + header::line_len(line),
        })
    }

    /// Where a body ends, given what stopped it: before the line end that precedes the
    /// boundary line, but not before `floor` (its start, or its epilogue's start).
    fn end_before(&self, stop: Stop, floor: usize) -> usize {
        match stop {
            Stop::Eof => self.data.len(),
            Stop::Boundary { line, .. } => {
                let before = &self.data[..line];
                let end = if before.ends_with(b"\r\n") {
                    line - 2
                } else if before.ends_with(b"\n") {
                    line - 1
                } else {
                    line
                };
                end.max(floor)
            }
        }
    }
}

/// An empty `text/plain` entity at `pos` (stands for a part the message lacks).
fn empty_part(pos: usize) -> Part {
    Part {
        header: pos..pos,
        body: pos..pos,
        media: DefaultType::Text.media(),
        content: Content::Single,
    }
}
