//! Counting `Received:` headers as a message streams in, to stop mail loops.
//!
//! A forwarding alias can send a message back and forth between two servers forever
//! (`a@here` forwards to `b@there`, which forwards to `a@here`). Every hop adds a
//! `Received` header, so, like Postfix's `hopcount_limit`, a message with more than
//! [`MAX_HOPS`] of them is refused with `554 5.4.6`.

/// The most `Received` headers a message may carry (Postfix's default).
pub(crate) const MAX_HOPS: usize = 50;

/// The header name looked for, lower case, with its colon.
const RECEIVED: &[u8] = b"received:";

/// Counts `Received` header lines in the header section of a body fed in chunks of
/// any size. Memory is constant: only the start of the current line is kept.
#[derive(Debug, Default)]
pub(crate) struct HopCounter {
    /// `Received` headers seen so far.
    hops: usize,
    /// How many bytes of the current line matched [`RECEIVED`] so far; `None` once the
    /// line cannot be one (or is past the name).
    matched: Option<usize>,
    /// The current line is the first of its kind: we are at a line start.
    at_line_start: bool,
    /// The line so far is empty (only a CR): CRLF now ends the header section.
    empty_line: bool,
    /// The header section ended (an empty line was seen).
    done: bool,
    /// Bytes seen, so the very first byte counts as a line start.
    started: bool,
}

impl HopCounter {
    /// Feeds the next bytes of the message.
    pub(crate) fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if self.done {
                return;
            }
            if !self.started {
                self.started = true;
                self.start_line();
            }
            self.byte(b);
        }
    }

    /// The number of `Received` headers in the header section so far.
    pub(crate) fn hops(&self) -> usize {
        self.hops
    }

    fn start_line(&mut self) {
        self.at_line_start = true;
        self.empty_line = true;
        self.matched = Some(0);
    }

    fn byte(&mut self, b: u8) {
        if b == b'\n' {
            if self.empty_line {
                self.done = true;
            } else {
                self.start_line();
            }
            return;
        }
        let first = self.at_line_start;
        self.at_line_start = false;
        if b != b'\r' {
            self.empty_line = false;
        }
        if first && (b == b' ' || b == b'\t') {
            // A continuation line belongs to the header before it.
            self.matched = None;
            return;
        }
        if let Some(n) = self.matched {
            if RECEIVED.get(n) == Some(&b.to_ascii_lowercase()) {
                let n = n + 1;
                if n == RECEIVED.len() {
                    self.hops = self.hops.saturating_add(1);
                    self.matched = None;
                } else {
                    self.matched = Some(n);
                }
            } else {
                self.matched = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MESSAGE: &[u8] = b"Received: from a\r\n\tby b; date\r\nreceived:from c\r\n\
        X-Received: no\r\nRECEIVED: x\r\n Received: folded, not a header\r\n\
        Subject: Received: no\r\n\r\nReceived: in the body\r\n";

    #[test]
    fn counts_received_headers_in_the_header_section_only() {
        let mut counter = HopCounter::default();
        counter.feed(MESSAGE);
        assert_eq!(counter.hops(), 3);
    }

    #[test]
    fn any_chunking_gives_the_same_count() {
        for size in 1..=MESSAGE.len() {
            let mut counter = HopCounter::default();
            for chunk in MESSAGE.chunks(size) {
                counter.feed(chunk);
            }
            assert_eq!(counter.hops(), 3, "chunks of {size}");
        }
    }

    #[test]
    fn a_message_without_body_or_headers() {
        let mut counter = HopCounter::default();
        counter.feed(b"\r\nReceived: body\r\n");
        assert_eq!(counter.hops(), 0);
        let mut counter = HopCounter::default();
        counter.feed(b"Received: a\r\nReceived: b");
        assert_eq!(counter.hops(), 2);
        let mut many = HopCounter::default();
        many.feed(&b"Received: x\r\n".repeat(MAX_HOPS + 1));
        assert!(many.hops() > MAX_HOPS);
    }
}
