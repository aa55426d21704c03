//! Finding the synchronising literals of a command that arrived whole.
//!
//! A client must wait for `+` after each `{n}` header, but one that does not (or a
//! driver that reads late) can deliver a whole command at once, which the codec then
//! frames without stopping. To answer every synchronising literal the same way however
//! the input was split, the machine walks the framed command for headers it has not yet
//! answered.

use crate::types::LiteralHeader;

/// The first synchronising literal in `framed` whose data starts after `acked` and
/// before `end`: its data offset and header. `framed` must be a complete frame (as
/// measured by the codec), so every header found here is one the codec found too.
pub(crate) fn next_unanswered(
    framed: &[u8],
    acked: usize,
    end: usize,
) -> Option<(usize, LiteralHeader)> {
    let mut pos = 0usize;
    while pos < framed.len() {
        let lf = memchr::memchr(b'\n', &framed[pos..])?;
        let line_end = pos + lf + 1;
        let content = strip_line_end(&framed[pos..line_end]);
        let header = header(content)?;
        if line_end >= end {
            return None;
        }
        if !header.non_sync && line_end > acked {
            return Some((line_end, header));
        }
        let length = usize::try_from(header.length).ok()?;
        pos = line_end.checked_add(length)?;
    }
    None
}

fn strip_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// A literal header (`{n}`, `{n+}`, `~{n}`) at the end of a line's content.
fn header(content: &[u8]) -> Option<LiteralHeader> {
    let inner = content.strip_suffix(b"}")?;
    let (inner, non_sync) = match inner.strip_suffix(b"+") {
        Some(i) => (i, true),
        None => (inner, false),
    };
    let open = inner.iter().rposition(|&b| !b.is_ascii_digit())?;
    if inner[open] != b'{' || open + 1 == inner.len() {
        return None;
    }
    let binary = open > 0 && inner[open - 1] == b'~';
    let length = inner[open + 1..].iter().try_fold(0u32, |acc, &d| {
        acc.checked_mul(10)?.checked_add(u32::from(d - b'0'))
    })?;
    Some(LiteralHeader {
        length,
        binary,
        non_sync,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_unanswered_sync_literals() {
        let cmd = b"a1 LOGIN {3}\r\njoe {6+}\r\nsecret {2}\r\nxy\r\n";
        let first = next_unanswered(cmd, 0, cmd.len()).unwrap();
        assert_eq!((first.0, first.1.length), (14, 3));
        let second = next_unanswered(cmd, 14, cmd.len()).unwrap();
        assert_eq!((second.0, second.1.length), (36, 2));
        assert_eq!(next_unanswered(cmd, 36, cmd.len()), None);
        // the literal whose data starts at `end` (an APPEND message) is not reported
        assert_eq!(next_unanswered(b"a APPEND x {5}\r\n", 0, 16), None);
        assert_eq!(next_unanswered(b"a NOOP\r\n", 0, 8), None);
    }
}
