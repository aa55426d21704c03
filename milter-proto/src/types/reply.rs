//! SMTP replies a milter (or rspamd) asks the MTA to give: `4xx`/`5xx`, an optional
//! enhanced status code (RFC 3463) and one or more text lines.

use std::fmt;

/// An enhanced mail system status code `class.subject.detail` (RFC 3463).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EnhancedCode {
    /// 4 (persistent transient failure) or 5 (permanent failure) in a milter reply.
    pub class: u8,
    /// Subject, 0..=999.
    pub subject: u16,
    /// Detail, 0..=999.
    pub detail: u16,
}

impl fmt::Display for EnhancedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

/// A negative SMTP reply: code 400..=599, optional enhanced code, text lines without
/// CR, LF or NUL.
///
/// ```
/// use milter_proto::Reply;
///
/// let reply = Reply::parse(b"554 5.7.1 Gtube pattern").unwrap();
/// assert_eq!(reply.code(), 554);
/// assert_eq!(reply.enhanced().unwrap().to_string(), "5.7.1");
/// assert_eq!(reply.lines(), ["Gtube pattern"]);
/// assert!(reply.is_permanent());
/// assert_eq!(reply.to_smtp(), "554 5.7.1 Gtube pattern\r\n");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reply {
    code: u16,
    enhanced: Option<EnhancedCode>,
    lines: Vec<String>,
}

/// Why a reply was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplyError {
    /// The code is not 4xx or 5xx.
    #[error("reply code must be 4xx or 5xx")]
    BadCode,
    /// A line does not start with the same three digits as the first.
    #[error("reply line {line} has a different or missing code")]
    MixedCodes {
        /// The 1-based line number.
        line: usize,
    },
    /// A line other than the last is not a continuation (`-`), or the last one is.
    #[error("reply line {line} has the wrong separator")]
    BadSeparator {
        /// The 1-based line number.
        line: usize,
    },
    /// The enhanced code's class differs from the reply code's.
    #[error("enhanced status code class does not match the reply code")]
    ClassMismatch,
    /// Text contains CR, LF or NUL.
    #[error("reply text contains CR, LF or NUL")]
    BadText,
}

impl Reply {
    /// A reply from its parts; `text` may span several lines separated by `\n`.
    pub fn new(code: u16, enhanced: Option<EnhancedCode>, text: &str) -> Result<Self, ReplyError> {
        if !(400..=599).contains(&code) {
            return Err(ReplyError::BadCode);
        }
        if enhanced.is_some_and(|e| u16::from(e.class) != code / 100) {
            return Err(ReplyError::ClassMismatch);
        }
        let lines: Vec<String> = text.split('\n').map(str::to_owned).collect();
        if lines.iter().any(|l| l.contains(['\r', '\0'])) {
            return Err(ReplyError::BadText);
        }
        Ok(Self {
            code,
            enhanced,
            lines,
        })
    }

    /// The reply Postfix gives when a milter rejects without a reply code.
    pub fn default_reject() -> Self {
        Self::fixed(550, 1, "Command rejected")
    }

    /// The reply Postfix gives when a milter answers TEMPFAIL without a reply code.
    pub fn default_tempfail() -> Self {
        Self::fixed(451, 1, "Service unavailable - try again later")
    }

    /// The reply for a milter that shuts down or fails the connection.
    pub fn service_unavailable() -> Self {
        Self::fixed(
            421,
            0,
            "Service not available, closing transmission channel",
        )
    }

    /// A reply with an enhanced code `class.7.detail`, from constants known to be valid.
    fn fixed(code: u16, detail: u16, text: &str) -> Self {
        Self {
            code,
            enhanced: Some(EnhancedCode {
                class: if code >= 500 { 5 } else { 4 },
                subject: 7,
                detail,
            }),
            lines: vec![text.to_owned()],
        }
    }

    /// Parses a milter REPLYCODE argument: `550 5.7.1 text` or the multi-line form
    /// `550-5.7.1 first\r\n550 5.7.1 last` (bare `\n` is accepted too).
    pub fn parse(input: &[u8]) -> Result<Self, ReplyError> {
        let text = String::from_utf8_lossy(input);
        let text = text.strip_suffix("\r\n").unwrap_or(&text);
        let raw_lines: Vec<&str> = text
            .split('\n')
            .map(|l| l.strip_suffix('\r').unwrap_or(l))
            .collect();
        let first = raw_lines.first().copied().unwrap_or_default();
        let code = parse_code(first).ok_or(ReplyError::BadCode)?;
        let mut enhanced = None;
        let mut lines = Vec::with_capacity(raw_lines.len());
        let last = raw_lines.len() - 1;
        for (number, line) in raw_lines.iter().enumerate() {
            if parse_code(line) != Some(code) {
                return Err(ReplyError::MixedCodes { line: number + 1 });
            }
            let (separator, rest) = split_separator(&line[3..]);
            let continued = separator == Some('-');
            if continued == (number == last) {
                return Err(ReplyError::BadSeparator { line: number + 1 });
            }
            let (line_enhanced, rest) = split_enhanced(rest, code);
            if number == 0 {
                enhanced = line_enhanced;
            }
            if rest.contains(['\r', '\0']) {
                return Err(ReplyError::BadText);
            }
            lines.push(rest.to_owned());
        }
        Ok(Self {
            code,
            enhanced,
            lines,
        })
    }

    /// The three-digit code.
    pub fn code(&self) -> u16 {
        self.code
    }

    /// The enhanced status code, if any.
    pub fn enhanced(&self) -> Option<EnhancedCode> {
        self.enhanced
    }

    /// The text lines, at least one (possibly empty).
    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// Whether this is a permanent (5xx) failure.
    pub fn is_permanent(&self) -> bool {
        self.code >= 500
    }

    /// The milter REPLYCODE argument: lines joined by CRLF, `-` on all but the last.
    pub fn to_milter(&self) -> String {
        let mut out = self.to_smtp();
        out.truncate(out.len().saturating_sub(2));
        out
    }

    /// The reply as an SMTP server writes it, CRLF after every line.
    pub fn to_smtp(&self) -> String {
        let mut out = String::new();
        let last = self.lines.len().saturating_sub(1);
        for (number, line) in self.lines.iter().enumerate() {
            let separator = if number == last { ' ' } else { '-' };
            out.push_str(&format!("{}{separator}", self.code));
            if let Some(enhanced) = self.enhanced {
                out.push_str(&format!("{enhanced} "));
            }
            out.push_str(line);
            out.push_str("\r\n");
        }
        out
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_milter())
    }
}

/// The 4xx/5xx code at the start of a line.
fn parse_code(line: &str) -> Option<u16> {
    let digits = line.get(..3)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let code: u16 = digits.parse().ok()?;
    (400..=599).contains(&code).then_some(code)
}

/// The separator after the code (`' '`, `'-'`, or none at the end of the line).
fn split_separator(rest: &str) -> (Option<char>, &str) {
    match rest.chars().next() {
        Some(c @ (' ' | '-')) => (Some(c), &rest[1..]),
        _ => (None, rest),
    }
}

/// An enhanced code of the reply's class at the start of the text, and the text after it.
fn split_enhanced(text: &str, code: u16) -> (Option<EnhancedCode>, &str) {
    let end = text.find(' ').unwrap_or(text.len());
    let mut parts = text[..end].split('.');
    let parsed = (|| {
        let class: u8 = parse_number(parts.next()?, 1)?.try_into().ok()?;
        let subject = parse_number(parts.next()?, 3)?;
        let detail = parse_number(parts.next()?, 3)?;
        if parts.next().is_some() || u16::from(class) != code / 100 {
            return None;
        }
        Some(EnhancedCode {
            class,
            subject,
            detail,
        })
    })();
    match parsed {
        Some(enhanced) => (Some(enhanced), text[end..].strip_prefix(' ').unwrap_or("")),
        None => (None, text),
    }
}

/// A decimal of 1..=`max_digits` digits.
fn parse_number(digits: &str, max_digits: usize) -> Option<u16> {
    if digits.is_empty() || digits.len() > max_digits || !digits.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_single_and_multi_line_replies() {
        let reply = Reply::parse(b"451 4.7.1 Try again later").unwrap();
        assert_eq!(
            (reply.code(), reply.lines()),
            (451, &["Try again later".to_owned()][..])
        );
        let reply = Reply::parse(b"550-5.7.1 first\r\n550 5.7.1 second").unwrap();
        assert_eq!(reply.lines(), ["first", "second"]);
        assert_eq!(reply.to_milter(), "550-5.7.1 first\r\n550 5.7.1 second");
        let bare = Reply::parse(b"554").unwrap();
        assert_eq!(
            (bare.enhanced(), bare.lines()),
            (None, &[String::new()][..])
        );
        let no_enhanced = Reply::parse(b"550 4.7.1 wrong class is text").unwrap();
        assert_eq!(no_enhanced.enhanced(), None);
        assert_eq!(no_enhanced.lines(), ["4.7.1 wrong class is text"]);
    }

    #[test]
    fn refuses_malformed_replies() {
        assert_eq!(Reply::parse(b"250 ok"), Err(ReplyError::BadCode));
        assert_eq!(Reply::parse(b""), Err(ReplyError::BadCode));
        assert_eq!(Reply::parse(b"55"), Err(ReplyError::BadCode));
        assert_eq!(
            Reply::parse(b"550-a\r\n451 b"),
            Err(ReplyError::MixedCodes { line: 2 })
        );
        assert_eq!(
            Reply::parse(b"550 a\r\n550 b"),
            Err(ReplyError::BadSeparator { line: 1 })
        );
        assert_eq!(
            Reply::parse(b"550-a"),
            Err(ReplyError::BadSeparator { line: 1 })
        );
        assert_eq!(Reply::new(250, None, "x"), Err(ReplyError::BadCode));
        let enhanced = EnhancedCode {
            class: 4,
            subject: 7,
            detail: 1,
        };
        assert_eq!(
            Reply::new(550, Some(enhanced), "x"),
            Err(ReplyError::ClassMismatch)
        );
        assert_eq!(Reply::new(550, None, "a\rb"), Err(ReplyError::BadText));
    }
}
