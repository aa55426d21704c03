//! Body receivers: DATA (dot-terminated, un-dot-stuffed) and BDAT (counted chunks).
//!
//! Both stream: every call consumes what it can from the input and describes the body
//! bytes in it as [`Pieces`], keeping only a few bytes of state between calls, so chunk
//! boundaries anywhere (even inside `<CRLF>.<CRLF>`) give the same result. Nearly all of
//! a body is input passed through unchanged, which the server then hands on without
//! copying it. Once a body is known to be rejected, nothing more is emitted and the rest
//! is only scanned for its end, so a rejected body is never buffered.

use std::ops::Range;

#[cfg(test)]
use bytes::BytesMut;
use memchr::memchr2;

use super::config::BareLineEndings;
use super::event::BodyError;

/// Where the DATA scanner is within the current line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DotState {
    /// At the start of a line (after CRLF, or at the start of the body).
    LineStart,
    /// Saw `.` at the start of a line.
    Dot,
    /// Saw `.` CR at the start of a line.
    DotCr,
    /// Inside a line.
    Mid,
    /// Saw CR inside a line (not yet emitted).
    Cr,
}

/// The DATA body receiver. Only `<CRLF>.<CRLF>` ends the body.
#[derive(Debug)]
pub(crate) struct DotReceiver {
    state: DotState,
    line_len: usize,
    size: u64,
    started: bool,
    failure: Option<BodyError>,
    max_line_text: usize,
    max_size: u64,
    bare: BareLineEndings,
}

/// What one call of a receiver did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Progress {
    /// Input bytes consumed.
    pub(crate) consumed: usize,
    /// Whether the body ended within them.
    pub(crate) finished: bool,
}

/// One piece of a body, in the order of the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    /// Bytes of the input, passed through unchanged.
    Input(Range<usize>),
    /// Bytes that are not in the input as they are: a dot or a line end whose first
    /// byte arrived in an earlier input, or a CRLF for a bare LF.
    Made(&'static [u8]),
}

/// The body bytes of one call of a receiver, as pieces; adjacent input ranges are merged.
#[derive(Debug, Default)]
pub(crate) struct Pieces(Vec<Piece>);

impl Pieces {
    fn input(&mut self, range: Range<usize>) {
        if range.is_empty() {
            return;
        }
        match self.0.last_mut() {
            Some(Piece::Input(last)) if last.end == range.start => last.end = range.end,
            _ => self.0.push(Piece::Input(range)),
        }
    }

    fn made(&mut self, bytes: &'static [u8]) {
        if !bytes.is_empty() {
            self.0.push(Piece::Made(bytes));
        }
    }

    pub(crate) fn iter(&self) -> std::slice::Iter<'_, Piece> {
        self.0.iter()
    }

    /// Takes the pieces out, leaving the buffer empty for the next call.
    pub(crate) fn drain(&mut self) -> std::vec::Drain<'_, Piece> {
        self.0.drain(..)
    }

    /// The body bytes the pieces stand for, given the input they were made from.
    #[cfg(test)]
    fn render(&self, input: &[u8], out: &mut BytesMut) {
        for piece in &self.0 {
            match piece {
                Piece::Input(range) => out.extend_from_slice(&input[range.clone()]),
                Piece::Made(bytes) => out.extend_from_slice(bytes),
            }
        }
    }
}

/// Body bytes to emit: a range of the input, or bytes the receiver made.
#[derive(Clone)]
enum Span {
    Input(Range<usize>),
    Made(&'static [u8]),
}

impl Span {
    fn len(&self) -> usize {
        match self {
            Self::Input(range) => range.len(),
            Self::Made(bytes) => bytes.len(),
        }
    }

    /// The first `len` bytes.
    fn truncate(self, len: usize) -> Self {
        match self {
            Self::Input(range) => Self::Input(range.start..range.start + len),
            Self::Made(bytes) => Self::Made(&bytes[..len]),
        }
    }

    fn add_to(self, out: &mut Pieces) {
        match self {
            Self::Input(range) => out.input(range),
            Self::Made(bytes) => out.made(bytes),
        }
    }
}

impl DotReceiver {
    pub(crate) fn new(max_line_length: usize, max_size: u64, bare: BareLineEndings) -> Self {
        Self {
            state: DotState::LineStart,
            line_len: 0,
            size: 0,
            started: false,
            failure: None,
            max_line_text: max_line_length.saturating_sub(2),
            max_size,
            bare,
        }
    }

    /// Whether any body byte has arrived yet.
    pub(crate) fn started(&self) -> bool {
        self.started
    }

    /// Why the body will be rejected, if it will.
    pub(crate) fn failure(&self) -> Option<BodyError> {
        self.failure
    }

    fn fail(&mut self, error: BodyError) {
        self.failure.get_or_insert(error);
    }

    /// Emits body bytes, enforcing the size limit exactly.
    fn emit(&mut self, bytes: Span, out: &mut Pieces) {
        if self.failure.is_some() {
            return;
        }
        let room = self.max_size - self.size;
        let len = bytes.len() as u64;
        if len > room {
            bytes.truncate(room as usize).add_to(out);
            self.size = self.max_size;
            self.fail(BodyError::TooBig);
        } else {
            bytes.add_to(out);
            self.size += len;
        }
    }

    /// Emits text bytes of the current line, enforcing the line length limit exactly.
    fn text(&mut self, bytes: Span, out: &mut Pieces) {
        let room = self.max_line_text.saturating_sub(self.line_len);
        let len = bytes.len();
        self.line_len = self.line_len.saturating_add(len);
        if len > room {
            self.emit(bytes.truncate(room), out);
            self.fail(BodyError::LineTooLong);
        } else {
            self.emit(bytes, out);
        }
    }

    /// The line ends with the LF at `input[lf]`, after a CR: at `lf - 1`, or at the end
    /// of an earlier input.
    fn line_end(&mut self, lf: usize, out: &mut Pieces) {
        let crlf = match lf.checked_sub(1) {
            Some(cr) => Span::Input(cr..lf + 1),
            None => Span::Made(b"\r\n"),
        };
        self.emit(crlf, out);
        self.line_len = 0;
        self.state = DotState::LineStart;
    }

    fn bare_lf(&mut self, out: &mut Pieces) {
        match self.bare {
            BareLineEndings::NormalizeLf => {
                self.emit(Span::Made(b"\r\n"), out);
                self.line_len = 0;
            }
            BareLineEndings::Reject => self.fail(BodyError::BareLineEnding),
        }
        // Never a line start: a dot after a bare LF is plain text and cannot end the body.
        self.state = DotState::Mid;
    }

    fn bare_cr(&mut self) {
        self.fail(BodyError::BareLineEnding);
        self.state = DotState::Mid;
    }

    /// The fast path: consumes complete lines from `input[start..]` that need no change
    /// (CRLF-terminated, within the limits, not starting with a dot) and passes them on
    /// in one piece. Returns where it stopped; everything else is left to the byte-wise
    /// state machine in [`DotReceiver::feed`], which gives the same result.
    fn plain_lines(&mut self, input: &[u8], start: usize, out: &mut Pieces) -> usize {
        if self.failure.is_some() || !matches!(self.state, DotState::LineStart | DotState::Mid) {
            return start;
        }
        let mut at_line_start = self.state == DotState::LineStart;
        let mut line_len = self.line_len;
        let mut size = self.size;
        let mut i = start;
        loop {
            let rest = &input[i..];
            if at_line_start && rest.first() == Some(&b'.') {
                break;
            }
            let Some(end) = memchr2(b'\r', b'\n', rest) else {
                break;
            };
            let crlf = rest[end] == b'\r' && rest.get(end + 1) == Some(&b'\n');
            let fits = line_len.saturating_add(end) <= self.max_line_text
                && (end as u64 + 2) <= self.max_size - size;
            if !crlf || !fits {
                break;
            }
            size += end as u64 + 2;
            line_len = 0;
            at_line_start = true;
            i += end + 2;
        }
        if i > start {
            out.input(start..i);
            self.size = size;
            self.line_len = 0;
            self.state = DotState::LineStart;
        }
        i
    }

    /// Consumes body bytes from `input`, describing the un-dot-stuffed content in `out`.
    pub(crate) fn feed(&mut self, input: &[u8], out: &mut Pieces) -> Progress {
        use DotState::{Cr, Dot, DotCr, LineStart, Mid};
        if !input.is_empty() {
            self.started = true;
        }
        let mut i = 0;
        while i < input.len() {
            i = self.plain_lines(input, i, out);
            let Some(&b) = input.get(i) else {
                break;
            };
            match (self.state, b) {
                (Mid, _) if b != b'\r' && b != b'\n' => {
                    let end = memchr2(b'\r', b'\n', &input[i..]).map_or(input.len(), |p| i + p);
                    self.text(Span::Input(i..end), out);
                    i = end;
                    continue;
                }
                (LineStart, b'.') => {
                    self.line_len += 1;
                    self.state = Dot;
                }
                (LineStart | Mid, b'\r') => self.state = Cr,
                (LineStart | Mid, b'\n') => self.bare_lf(out),
                (LineStart, _) => {
                    self.text(Span::Input(i..i + 1), out);
                    self.state = Mid;
                }
                (Dot, b'\r') => self.state = DotCr,
                (Dot, b'\n') => {
                    let dot = match i.checked_sub(1) {
                        Some(dot) => Span::Input(dot..i),
                        None => Span::Made(b"."),
                    };
                    self.text(dot, out);
                    self.bare_lf(out);
                }
                (Dot, _) => {
                    // A leading dot followed by more text is removed (RFC 5321 4.5.2).
                    self.text(Span::Input(i..i + 1), out);
                    self.state = Mid;
                }
                (DotCr, b'\n') => {
                    return Progress {
                        consumed: i + 1,
                        finished: true,
                    };
                }
                (Cr, b'\n') => self.line_end(i, out),
                (DotCr | Cr, _) => {
                    // A bare CR; look at this byte again as ordinary line content.
                    self.bare_cr();
                    continue;
                }
                (Mid, _) => unreachable!("CR and LF inside a line are matched above"),
            }
            i += 1;
        }
        Progress {
            consumed: input.len(),
            finished: false,
        }
    }
}

/// The receiver for one BDAT chunk: exactly `remaining` bytes, passed through as is.
#[derive(Debug)]
pub(crate) struct BdatReceiver {
    pub(crate) remaining: u64,
    pub(crate) last: bool,
    /// Whether the bytes are delivered (false: read and discard).
    pub(crate) deliver: bool,
    /// The line-end check carried from chunk to chunk; `None` for a BINARYMIME body.
    pub(crate) ends: Option<LineEnds>,
}

impl BdatReceiver {
    /// Consumes chunk bytes from `input`; delivered bytes are passed on in `out`.
    pub(crate) fn feed(&mut self, input: &[u8], out: &mut Pieces) -> Progress {
        let take = usize::try_from(self.remaining).map_or(input.len(), |r| r.min(input.len()));
        if self.deliver {
            match &mut self.ends {
                None => out.input(0..take),
                Some(ends) => {
                    ends.scan(&input[..take], out);
                    self.deliver = ends.failure.is_none();
                }
            }
        }
        self.remaining -= take as u64;
        Progress {
            consumed: take,
            finished: self.remaining == 0,
        }
    }
}

/// The bare CR / LF check of a BDAT body that is not BINARYMIME: RFC 3030 chunks carry
/// the message as it is, so a bare line ending is not an end of anything here, but a
/// message with one could end early when it is relayed with DATA (SMTP smuggling). A
/// CRLF split between two chunks is a line end like any other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LineEnds {
    bare: BareLineEndings,
    /// The previous chunk ended with a CR: the next byte must be LF.
    after_cr: bool,
    failure: Option<BodyError>,
}

impl LineEnds {
    pub(crate) fn new(bare: BareLineEndings) -> Self {
        Self {
            bare,
            after_cr: false,
            failure: None,
        }
    }

    /// Why the body is rejected, if it is; `last`: the body ended after this chunk, so
    /// a CR waiting for its LF is bare.
    pub(crate) fn failure(&self, last: bool) -> Option<BodyError> {
        self.failure
            .or((last && self.after_cr).then_some(BodyError::BareLineEnding))
    }

    /// Checks one chunk's bytes, passing them on (a bare LF as CRLF when normalising).
    fn scan(&mut self, chunk: &[u8], out: &mut Pieces) {
        let mut i = 0;
        if self.after_cr {
            if chunk.first() != Some(&b'\n') {
                return self.fail();
            }
            self.after_cr = false;
            i = 1;
        }
        let mut run_start = 0;
        while let Some(offset) = memchr2(b'\r', b'\n', &chunk[i..]) {
            let at = i + offset;
            if chunk[at] == b'\r' {
                match chunk.get(at + 1) {
                    Some(b'\n') => i = at + 2,
                    Some(_) => {
                        // The CR is passed on as if it had ended the input, so the
                        // events do not depend on where the input was split.
                        out.input(run_start..at + 1);
                        return self.fail();
                    }
                    None => {
                        self.after_cr = true;
                        break;
                    }
                }
            } else if self.bare == BareLineEndings::NormalizeLf {
                out.input(run_start..at);
                out.made(b"\r\n");
                run_start = at + 1;
                i = at + 1;
            } else {
                out.input(run_start..at);
                return self.fail();
            }
        }
        out.input(run_start..chunk.len());
    }

    fn fail(&mut self) {
        self.failure = Some(BodyError::BareLineEnding);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `input` to `r`, appending the body bytes to `out`.
    fn feed(r: &mut DotReceiver, input: &[u8], out: &mut BytesMut) -> Progress {
        let mut pieces = Pieces::default();
        let progress = r.feed(input, &mut pieces);
        pieces.render(input, out);
        progress
    }

    fn run(input: &[u8], bare: BareLineEndings) -> (Vec<u8>, Option<usize>, Option<BodyError>) {
        let mut r = DotReceiver::new(1000, 1 << 20, bare);
        let mut out = BytesMut::new();
        let p = feed(&mut r, input, &mut out);
        (out.to_vec(), p.finished.then_some(p.consumed), r.failure())
    }

    #[test]
    fn unstuffs_and_ends() {
        let (out, end, fail) = run(b"a\r\n..b\r\n.c\r\n.\r\nMAIL", BareLineEndings::Reject);
        assert_eq!(out, b"a\r\n.b\r\nc\r\n");
        assert_eq!(end, Some(15));
        assert_eq!(fail, None);
        assert_eq!(run(b".\r\n", BareLineEndings::Reject).1, Some(3));
    }

    #[test]
    fn bare_endings_never_end_the_body() {
        for body in [
            &b"a\n.\nb"[..],
            b"a\r.\rb",
            b"a\n.\r\nb",
            b"a\r\n.\nb",
            b"a\r\r\n.\r\r\n",
        ] {
            let (_, end, fail) = run(body, BareLineEndings::Reject);
            assert_eq!(end, None, "{body:?}");
            assert_eq!(fail, Some(BodyError::BareLineEnding), "{body:?}");
        }
        let (out, end, fail) = run(b"a\nb\n.\r\n.\r\n", BareLineEndings::NormalizeLf);
        assert_eq!(out, b"a\r\nb\r\n.\r\n");
        assert_eq!(end, Some(10));
        assert_eq!(fail, None);
    }

    /// Feeds `input` in pieces of `step` bytes; returns the output, where the body ended
    /// and the failure. One byte at a time never takes the whole-line fast path.
    fn run_in_steps(
        input: &[u8],
        step: usize,
        max_line: usize,
        max_size: u64,
        bare: BareLineEndings,
    ) -> (Vec<u8>, Option<usize>, Option<BodyError>) {
        let mut r = DotReceiver::new(max_line, max_size, bare);
        let mut out = BytesMut::new();
        let mut offset = 0;
        for piece in input.chunks(step) {
            let p = feed(&mut r, piece, &mut out);
            if p.finished {
                return (out.to_vec(), Some(offset + p.consumed), r.failure());
            }
            assert_eq!(p.consumed, piece.len());
            offset += piece.len();
        }
        (out.to_vec(), None, r.failure())
    }

    #[test]
    fn fast_path_matches_byte_by_byte() {
        let bodies: [&[u8]; 9] = [
            b"Subject: a\r\n\r\nline one\r\n..stuffed\r\n.x\r\n\r\n.\r\ntail",
            b"0123456789\r\n012345678\r\n01234567890\r\n.\r\n",
            b"abc\r\ndef\nghi\r\n.\r\n",
            b"abc\r\nd\ref\r\n.\r\n",
            b"abc\r\n.\n.\r\n",
            b"\r\n\r\n\r\n.\r\n",
            b"aaaa\r\nbbbb\r\ncccc\r\ndddd\r\n.\r\n",
            b"..\r\n...\r\n.\r\r\n.\r\n",
            b"no end yet\r\nstill\r",
        ];
        for body in bodies {
            for bare in [BareLineEndings::Reject, BareLineEndings::NormalizeLf] {
                // Line limits of 10 and 11 text bytes; sizes around the body length.
                for (max_line, max_size) in [
                    (1000, 1 << 20),
                    (12, 1 << 20),
                    (13, 1 << 20),
                    (1000, 9),
                    (1000, 12),
                    (1000, 14),
                ] {
                    let whole = run_in_steps(body, body.len(), max_line, max_size, bare);
                    for step in [1, 2, 3, 7] {
                        let stepped = run_in_steps(body, step, max_line, max_size, bare);
                        assert_eq!(stepped, whole, "{body:?} step {step} {max_line} {max_size}");
                    }
                }
            }
        }
        let (out, end, fail) = run_in_steps(bodies[1], 64, 12, 1 << 20, BareLineEndings::Reject);
        assert_eq!(out, b"0123456789\r\n012345678\r\n0123456789");
        assert_eq!(end, Some(39));
        assert_eq!(fail, Some(BodyError::LineTooLong));
        let (out, _, fail) = run_in_steps(bodies[6], 64, 1000, 14, BareLineEndings::Reject);
        assert_eq!(out, b"aaaa\r\nbbbb\r\ncc");
        assert_eq!(fail, Some(BodyError::TooBig));
    }

    #[test]
    fn bdat_counts_exactly() {
        let mut r = BdatReceiver {
            remaining: 5,
            last: false,
            deliver: true,
            ends: None,
        };
        let mut out = Pieces::default();
        assert_eq!(
            r.feed(b"abc", &mut out),
            Progress {
                consumed: 3,
                finished: false
            }
        );
        assert_eq!(out.drain().collect::<Vec<_>>(), [Piece::Input(0..3)]);
        assert_eq!(
            r.feed(b"defg", &mut out),
            Progress {
                consumed: 2,
                finished: true
            }
        );
        assert_eq!(out.drain().collect::<Vec<_>>(), [Piece::Input(0..2)]);
    }

    /// Runs chunks through one line-end check; the body bytes, and the failure at the end.
    fn bdat_chunks(chunks: &[&[u8]], bare: BareLineEndings) -> (Vec<u8>, Option<BodyError>) {
        let mut ends = LineEnds::new(bare);
        let mut body = BytesMut::new();
        for chunk in chunks {
            let mut out = Pieces::default();
            ends.scan(chunk, &mut out);
            out.render(chunk, &mut body);
            if ends.failure.is_some() {
                break;
            }
        }
        (body.to_vec(), ends.failure(true))
    }

    #[test]
    fn bdat_bare_line_endings_are_refused_or_normalised() {
        use BareLineEndings::{NormalizeLf, Reject};
        let fine: [&[&[u8]]; 3] = [&[b"a\r\nb\r\n"], &[b"a\r", b"\nb\r\n"], &[b"a\r\n", b""]];
        for chunks in fine {
            assert_eq!(bdat_chunks(chunks, Reject), (chunks.concat(), None));
        }
        let bare: [&[&[u8]]; 6] = [
            &[b"a\n.\nMAIL FROM:<x@y>\r\n"],
            &[b"a\r.\r\n"],
            &[b"a\r", b"x\r\n"],
            &[b"a\r\n.\r"],
            &[b"a\r\n", b"\n.\r\n"],
            &[b"a\r\n", b"b\r"],
        ];
        for chunks in bare {
            let (_, failure) = bdat_chunks(chunks, Reject);
            assert_eq!(failure, Some(BodyError::BareLineEnding), "{chunks:?}");
        }
        let (body, failure) = bdat_chunks(&[b"a\nb\r", b"\nc\n"], NormalizeLf);
        assert_eq!((body.as_slice(), failure), (&b"a\r\nb\r\nc\r\n"[..], None));
        let (_, failure) = bdat_chunks(&[b"a\rb\r\n"], NormalizeLf);
        assert_eq!(failure, Some(BodyError::BareLineEnding));
    }

    /// Nearly all of a body is passed through as input: a dot-stuffed line splits it, and
    /// only a line end or dot begun in an earlier input is made anew.
    #[test]
    fn passes_input_through() {
        let mut r = DotReceiver::new(1000, 1 << 20, BareLineEndings::Reject);
        let mut out = Pieces::default();
        r.feed(b"abc\r\n..def\r\nghi\r", &mut out);
        let pieces: Vec<Piece> = out.drain().collect();
        assert_eq!(pieces, [Piece::Input(0..5), Piece::Input(6..15)]);
        let p = r.feed(b"\n.\r\n", &mut out);
        assert!(p.finished);
        assert_eq!(out.drain().collect::<Vec<_>>(), [Piece::Made(b"\r\n")]);
    }
}
