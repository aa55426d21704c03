//! Test messages of a chosen size.

/// A message of exactly `size` bytes (at least its headers): RFC 5322 headers naming
/// `from`, `to` and `id`, and a body of 76-character lines of text, CRLF line endings. A
/// line starting with a dot is included, so dot-stuffing is exercised.
pub fn build(size: usize, from: &str, to: &str, id: u64) -> Vec<u8> {
    let mut msg = format!(
        "From: <{from}>\r\nTo: <{to}>\r\nSubject: postroom-load message {id}\r\n\
         Message-ID: <load-{id}@postroom-load.invalid>\r\n\
         Date: Fri, 27 Nov 2026 08:00:00 +0000\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=us-ascii\r\n\r\n"
    )
    .into_bytes();
    const LINE: &[u8] =
        b"The quick brown fox jumps over the lazy dog; load test text 0123456789abc\r\n";
    let mut line_no = 0usize;
    while msg.len() < size {
        let room = size - msg.len();
        if room <= LINE.len() {
            // The last line: pad with letters, end with CRLF when there is room for it.
            if room >= 2 {
                msg.extend(std::iter::repeat_n(b'x', room - 2));
                msg.extend_from_slice(b"\r\n");
            } else {
                msg.extend(std::iter::repeat_n(b'x', room));
            }
            break;
        }
        if line_no % 10 == 5 {
            msg.push(b'.');
            msg.extend_from_slice(&LINE[1..]);
        } else {
            msg.extend_from_slice(LINE);
        }
        line_no += 1;
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_have_the_asked_size_and_end_with_crlf() {
        for size in [0, 300, 301, 302, 1000, 4096, 65_536] {
            let msg = build(size, "a@b.test", "c@d.test", 3);
            assert!(msg.len() >= size, "{size}");
            if size > 400 {
                assert_eq!(msg.len(), size);
                assert!(msg.ends_with(b"\r\n"), "{size}");
                assert!(
                    msg.windows(3).any(|w| w == b"\n.h"),
                    "a line starts with a dot"
                );
            }
            assert!(msg.starts_with(b"From: <a@b.test>\r\n"));
        }
    }
}
