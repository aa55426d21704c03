//! Byte-level building blocks of the command parser: character classes, word ends,
//! numbers, and the spans of a line handed out as text.
//!
//! The parser reads a command line as bytes in one left-to-right pass. Every byte it
//! accepts is either an ASCII byte of the class the grammar allows there, or part of a
//! span that is handed out as `&str`, which [`Line::text`] validates as UTF-8. Non-ASCII
//! bytes are accepted only where RFC 6531 allows UTF-8 and only inside such spans, so a
//! line the parser accepts is always valid UTF-8 without a separate validation pass.

use std::ops::Range;

use memchr::memchr2;

/// `atext` of RFC 5322 (local-part atoms), plus UTF-8.
pub(crate) const ATEXT: u16 = 1;
/// `Let-dig` and `-` (domain labels), plus UTF-8.
pub(crate) const LDH: u16 = 1 << 1;
/// `qtextSMTP`: printable ASCII and space except `"` and `\`, plus UTF-8.
pub(crate) const QTEXT: u16 = 1 << 2;
/// `esmtp-value`: printable ASCII except `=`, plus UTF-8.
pub(crate) const VALUE: u16 = 1 << 3;
/// Printable ASCII and space, plus UTF-8 (free text of NOOP, HELP, VRFY, EXPN).
pub(crate) const TEXT: u16 = 1 << 4;
/// Printable ASCII without space, plus UTF-8 (the EHLO/HELO/LHLO argument).
pub(crate) const GRAPHIC: u16 = 1 << 5;
/// `esmtp-keyword` characters: ASCII letters, digits and `-`.
pub(crate) const KEYWORD: u16 = 1 << 6;
/// The ASCII part of `atext`, for ORCPT's address type.
pub(crate) const ATOM: u16 = 1 << 7;
/// `dcontent` of address literals: printable ASCII except `[`, `]` and `\`.
pub(crate) const DCONTENT: u16 = 1 << 8;
/// SASL mechanism name characters: ASCII letters, digits, `-` and `_`.
pub(crate) const MECHANISM: u16 = 1 << 9;
/// `xchar` of RFC 3461 except `+`, which starts an escape: printable ASCII but `+`, `=`.
pub(crate) const XCHAR: u16 = 1 << 10;

/// The classes that also accept any non-ASCII, non-control character.
const UTF8_CLASSES: u16 = ATEXT | LDH | QTEXT | VALUE | TEXT | GRAPHIC;

/// The classes of every byte value. Bytes from 0x80 are in [`UTF8_CLASSES`], except 0xC2,
/// which starts both the C1 controls (U+0080 to U+009F) and ordinary characters and is
/// decided by [`span`] from the byte after it.
static CLASSES: [u16; 256] = classes();

const fn classes() -> [u16; 256] {
    let mut table = [0; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        let alnum = c.is_ascii_alphanumeric();
        let graphic = c.is_ascii_graphic();
        let mut class = 0;
        if alnum || is_in(c, b"!#$%&'*+-/=?^_`{|}~") {
            class |= ATEXT | ATOM;
        }
        if alnum || c == b'-' {
            class |= LDH | KEYWORD;
        }
        if (graphic || c == b' ') && c != b'"' && c != b'\\' {
            class |= QTEXT;
        }
        if graphic && c != b'=' {
            class |= VALUE;
        }
        if graphic || c == b' ' {
            class |= TEXT;
        }
        if graphic {
            class |= GRAPHIC;
        }
        if graphic && !is_in(c, b"[]\\") {
            class |= DCONTENT;
        }
        if alnum || c == b'-' || c == b'_' {
            class |= MECHANISM;
        }
        if graphic && c != b'+' && c != b'=' {
            class |= XCHAR;
        }
        if c >= 0x80 && c != 0xC2 {
            class = UTF8_CLASSES;
        }
        table[b] = class;
        b += 1;
    }
    table
}

const fn is_in(c: u8, set: &[u8]) -> bool {
    let mut i = 0;
    while i < set.len() {
        if set[i] == c {
            return true;
        }
        i += 1;
    }
    false
}

/// Whether the byte `b` is in `class` (an ASCII-only answer for 0xC2; see [`span`]).
#[inline]
pub(crate) fn is(b: u8, class: u16) -> bool {
    CLASSES[usize::from(b)] & class != 0
}

/// The end of the run of `class` characters that starts at `bytes[start]`.
///
/// For the classes that accept UTF-8, non-ASCII characters are accepted unless they are
/// C1 controls; invalid UTF-8 is left for [`Line::text`] to reject.
#[inline(always)]
pub(crate) fn span(bytes: &[u8], start: usize, class: u16) -> usize {
    let mut i = start;
    loop {
        // Four bytes at a time while all of them are in the class, then one at a time.
        while let Some(&[a, b, c, d]) = bytes.get(i..).and_then(<[u8]>::first_chunk::<4>) {
            let classes = |x: u8| CLASSES[usize::from(x)];
            if classes(a) & classes(b) & classes(c) & classes(d) & class == 0 {
                break;
            }
            i += 4;
        }
        while bytes.get(i).is_some_and(|&b| is(b, class)) {
            i += 1;
        }
        let c1_or_other = bytes.get(i) == Some(&0xC2) && class & UTF8_CLASSES != 0;
        if !(c1_or_other && matches!(bytes.get(i + 1), Some(0xA0..=0xBF))) {
            return i;
        }
        i += 2;
    }
}

/// Whether all of `bytes` is a non-empty run of `class` characters.
pub(crate) fn all(bytes: &[u8], class: u16) -> bool {
    !bytes.is_empty() && span(bytes, 0, class) == bytes.len()
}

/// The first byte at or after `at` that is not a space.
#[inline]
pub(crate) fn skip_spaces(bytes: &[u8], mut at: usize) -> usize {
    while bytes.get(at) == Some(&b' ') {
        at += 1;
    }
    at
}

/// `bytes[range]` without trailing spaces, as a range.
pub(crate) fn trim_end_spaces(bytes: &[u8], range: Range<usize>) -> Range<usize> {
    let mut end = range.end;
    while end > range.start && bytes[end - 1] == b' ' {
        end -= 1;
    }
    range.start..end
}

/// The end of the word that starts at `start`: the next space or CR, or the end of
/// `bytes`. The first eight bytes are looked at together; a longer word (an initial
/// response) is left to a vectorised search.
pub(crate) fn word_end(bytes: &[u8], start: usize) -> usize {
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
    // Marks the bytes of `word` equal to `byte`; the lowest mark is exact (the classic
    // test for a zero byte after an XOR; wrong marks can only follow a right one).
    let marks = |word: u64, byte: u8| {
        let x = word ^ (ONES * u64::from(byte));
        x.wrapping_sub(ONES) & !x & HIGHS
    };
    let rest = bytes.get(start..).unwrap_or_default();
    let Some(chunk) = rest.first_chunk::<8>() else {
        let len = rest.iter().position(|&c| c == b' ' || c == b'\r');
        return start + len.unwrap_or(rest.len());
    };
    let word = u64::from_le_bytes(*chunk);
    let found = marks(word, b' ') | marks(word, b'\r');
    if found != 0 {
        return start + (found.trailing_zeros() / 8) as usize;
    }
    start + 8 + memchr2(b' ', b'\r', &rest[8..]).unwrap_or(rest.len() - 8)
}

/// Whether `bytes[at..]` starts with `word`, its ASCII letters in either case.
#[inline(always)]
pub(crate) fn starts_with_ignore_case<const N: usize>(
    bytes: &[u8],
    at: usize,
    word: &[u8; N],
) -> bool {
    let Some(found) = bytes.get(at..).and_then(<[u8]>::first_chunk::<N>) else {
        return false;
    };
    // Clearing bit 5 upper-cases a letter and turns no other byte into one, so where
    // `word` has a letter, the byte found matches it in either case and nothing else.
    let mut differ = 0;
    for (&f, &w) in found.iter().zip(word) {
        let mask = if w.is_ascii_alphabetic() { 0xDF } else { 0xFF };
        differ |= (f ^ w) & mask;
    }
    differ == 0
}

/// Parses a decimal number of at most 20 digits; `Err(())` for other text, `Ok(None)`
/// when it does not fit in a `u64`.
#[inline]
pub(crate) fn decimal(digits: &[u8]) -> Result<Option<u64>, ()> {
    if digits.is_empty() || digits.len() > 20 {
        return Err(());
    }
    // Nineteen digits always fit in a u64; only the twentieth can overflow.
    let (first, last) = digits.split_at(digits.len().min(19));
    let mut value: u64 = 0;
    for &d in first {
        let digit = d.wrapping_sub(b'0');
        if digit > 9 {
            return Err(());
        }
        value = value * 10 + u64::from(digit);
    }
    let Some(&d) = last.first() else {
        return Ok(Some(value));
    };
    let digit = d.wrapping_sub(b'0');
    if digit > 9 {
        return Err(());
    }
    Ok(value
        .checked_mul(10)
        .and_then(|v| v.checked_add(u64::from(digit))))
}

/// One command line, and spans of it handed out as text.
///
/// `str::from_utf8`, the only safe way from bytes to `&str`, checks ASCII a block of 16
/// bytes at a time from an 8-byte aligned address, and the bytes before that address
/// and after the last block one at a time, which is most of its cost for spans as short
/// as those of a command line. So a span is validated together with some of the ASCII
/// bytes before it, from an aligned address chosen to leave a short tail.
pub(crate) struct Line<'a> {
    bytes: &'a [u8],
    /// Where the text handed out so far ends. The parser asks for its text spans left to
    /// right and accepts non-ASCII bytes only inside them, so every byte it accepted
    /// between here and a span it asks for next is ASCII.
    ascii_from: usize,
}

/// `from_utf8` reads ASCII in blocks of this many bytes from an aligned address.
const BLOCK: usize = 16;
/// The alignment `from_utf8` needs for its blocks.
const ALIGN: usize = 8;

impl<'a> Line<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            ascii_from: 0,
        }
    }

    pub(crate) fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// `bytes[range]` as text; `None` if it is not UTF-8.
    #[inline(always)]
    pub(crate) fn text(&mut self, range: Range<usize>) -> Option<&'a str> {
        let start = self.window_start(&range);
        let window = std::str::from_utf8(self.bytes.get(start..range.end)?);
        let text = match window.map(|w| w.get(range.start - start..)) {
            Ok(Some(text)) => text,
            // The bytes before the span were not ASCII after all: the span on its own.
            _ => std::str::from_utf8(self.bytes.get(range.clone())?).ok()?,
        };
        self.ascii_from = range.end;
        Some(text)
    }

    /// Where to start validating `range`: an aligned address at or before its start,
    /// over accepted bytes (ASCII, see `ascii_from`), from which the end is less than
    /// half a block past the last whole block; or the start itself.
    #[inline]
    fn window_start(&self, range: &Range<usize>) -> usize {
        let misaligned = self.bytes.as_ptr().addr().wrapping_add(range.start) % ALIGN;
        let Some(aligned) = range
            .start
            .checked_sub(misaligned)
            .filter(|&at| at >= self.ascii_from)
        else {
            return range.start;
        };
        match aligned.checked_sub(ALIGN) {
            Some(earlier)
                if earlier >= self.ascii_from && (range.end - aligned) % BLOCK >= ALIGN =>
            {
                earlier
            }
            _ => aligned,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_follow_the_grammar() {
        assert!(all(b"a!b#", ATEXT) && !all(b"a b", ATEXT) && !all(b"a@b", ATEXT));
        assert!(all("b\u{fc}cher".as_bytes(), LDH) && !all(b"a_b", LDH));
        assert!(all("a b \u{e9}".as_bytes(), QTEXT) && !all(b"a\"", QTEXT));
        assert!(!all(b"a=b", VALUE) && all(b"<>", VALUE));
        // U+00A0 is an ordinary character, U+0085 a C1 control; both start with 0xC2.
        assert!(all("x\u{a0}y".as_bytes(), TEXT));
        assert!(!all("x\u{85}y".as_bytes(), TEXT));
        assert!(!all("\u{e9}".as_bytes(), KEYWORD) && !all("\u{e9}".as_bytes(), ATOM));
        for b in [b'\r', b'\n', 0, b'\t', 0x7f] {
            let classes = [
                ATEXT, LDH, QTEXT, VALUE, TEXT, GRAPHIC, KEYWORD, ATOM, DCONTENT, XCHAR,
            ];
            assert!(classes.iter().all(|&c| !is(b, c)), "{b:#x}");
        }
    }

    #[test]
    fn splits_and_numbers() {
        let s = b"  a  bc d ";
        assert_eq!(skip_spaces(s, 0), 2);
        assert_eq!(skip_spaces(s, 10), 10);
        assert_eq!(trim_end_spaces(s, 0..s.len()), 0..9);
        assert_eq!(trim_end_spaces(b"   ", 1..3), 1..1);
        for (text, start, end) in [
            (&b"abc def"[..], 0, 3),
            (b"abc\r\n", 0, 3),
            (b"abcdefghijklmnop qrs", 2, 16),
            (b"abcdefghijklmnopqrs", 0, 19),
            (b"abcdefgh\rijklmnop qrs", 0, 8),
            (b" ", 0, 0),
            (b"", 0, 0),
        ] {
            assert_eq!(
                word_end(text, start),
                end,
                "{:?}",
                String::from_utf8_lossy(text)
            );
        }
        assert_eq!(decimal(b"0012"), Ok(Some(12)));
        assert_eq!(decimal(b"18446744073709551615"), Ok(Some(u64::MAX)));
        assert_eq!(decimal(b"18446744073709551616"), Ok(None));
        assert_eq!(decimal(b"123456789012345678901"), Err(()));
        assert_eq!(decimal(b"+1"), Err(()));
        assert_eq!(decimal(b""), Err(()));
    }

    #[test]
    fn text_spans_are_validated() {
        let mut line = Line::new(b"ab \xc3\xa9x \xff");
        assert_eq!(line.text(0..6), Some("ab \u{e9}x"));
        assert_eq!(line.text(3..6), Some("\u{e9}x"));
        assert_eq!(line.text(4..6), None, "not a character boundary");
        assert_eq!(line.text(0..2), Some("ab"));
        assert_eq!(line.text(0..8), None);
        assert_eq!(line.text(7..8), None);
    }

    /// Spans are validated from an aligned address before them: whatever the line's
    /// alignment and the span's place, the text is the span, and a span that is not
    /// UTF-8, or that follows bytes that are not ASCII, is still judged on its own.
    #[test]
    fn text_windows_at_every_alignment() {
        let mut buffer = [0; 128];
        let aligned = buffer.as_ptr().align_offset(ALIGN);
        let arena = &mut buffer[aligned..];
        /// A span of a line and its text.
        type Span = (usize, usize, Option<&'static str>);
        let lines: [(&[u8], &[Span]); 4] = [
            (
                b"RCPT TO:<user@example.org> X=\xc3\xa9t\xc3\xa9 Y=1\r\n",
                &[
                    (8, 26, Some("<user@example.org>")),
                    (27, 34, Some("X=\u{e9}t\u{e9}")),
                ],
            ),
            (b"EHLO a\r\n", &[(5, 6, Some("a"))]),
            (
                b"NOOP \xc3\xa9\xff\r\n",
                &[(5, 7, Some("\u{e9}")), (5, 8, None)],
            ),
            // Not ASCII before the span, against the parser's habits.
            (
                b"X \xc3\xa9\xc3\xa9 abcdefghijklmnopqrstuvwxyz\r\n",
                &[(7, 33, Some("abcdefghijklmnopqrstuvwxyz"))],
            ),
        ];
        for shift in 0..16 {
            for (bytes, spans) in lines {
                let buf = &mut arena[shift..shift + bytes.len()];
                buf.copy_from_slice(bytes);
                let mut line = Line::new(buf);
                for &(start, end, want) in spans {
                    assert_eq!(line.text(start..end), want, "{shift} {start}..{end}");
                }
            }
        }
    }
}
