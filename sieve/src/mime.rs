//! MIME structure for the `body` test (RFC 5173 section 4): every part with its type
//! and decoded content, in message order.

use crate::message::{
    HeaderField, decode_base64, decode_charset, hex_pair, parse_header_section, text_from_bytes,
};

/// One MIME part as the `body` test sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BodyPart {
    /// Lower-case media type, e.g. "text".
    pub(crate) media_type: String,
    /// Lower-case subtype, e.g. "plain".
    pub(crate) subtype: String,
    /// For a leaf: the content with transfer encoding removed, text converted to UTF-8.
    /// For a multipart: its prologue and epilogue. For message/rfc822: the header
    /// section of the enclosed message.
    pub(crate) content: String,
}

impl BodyPart {
    /// Whether `spec` of `:content` selects this part: "" selects all, "type" any
    /// subtype, "type/subtype" exactly; other forms with slashes select nothing.
    pub(crate) fn selected_by(&self, spec: &str) -> bool {
        if spec.is_empty() {
            return true;
        }
        match spec.split_once('/') {
            None => self.media_type.eq_ignore_ascii_case(spec),
            Some((t, s)) if !t.is_empty() && !s.is_empty() && !s.contains('/') => {
                self.media_type.eq_ignore_ascii_case(t) && self.subtype.eq_ignore_ascii_case(s)
            }
            Some(_) => false,
        }
    }
}

/// All parts of a message body. `max_depth` bounds nesting; deeper containers are
/// treated as opaque leaves.
pub(crate) fn parts(headers: &[HeaderField], body: &[u8], max_depth: usize) -> Vec<BodyPart> {
    // Recursion depth stays small whatever the configuration says.
    const HARD_LIMIT: usize = 64;
    let mut out = Vec::new();
    walk(
        headers,
        body,
        0,
        max_depth.min(HARD_LIMIT),
        ("text", "plain"),
        &mut out,
    );
    out
}

fn walk(
    headers: &[HeaderField],
    body: &[u8],
    depth: usize,
    max_depth: usize,
    default_type: (&str, &str),
    out: &mut Vec<BodyPart>,
) {
    let content_type = header(headers, "content-type");
    let (media_type, subtype) = content_type
        .and_then(parse_media_type)
        .unwrap_or_else(|| (default_type.0.to_owned(), default_type.1.to_owned()));
    let can_descend = depth < max_depth;
    if media_type == "multipart"
        && can_descend
        && let Some(boundary) = content_type.and_then(|v| parameter(v, "boundary"))
    {
        let split = split_multipart(body, boundary.as_bytes());
        let mut outer = text_from_bytes(split.prologue);
        outer.push_str(&text_from_bytes(split.epilogue));
        out.push(BodyPart {
            media_type,
            subtype: subtype.clone(),
            content: outer,
        });
        let child_default = if subtype == "digest" {
            ("message", "rfc822")
        } else {
            ("text", "plain")
        };
        for part in split.parts {
            let (child_headers, offset) = parse_header_section(part);
            let child_body = part.get(offset..).unwrap_or_default();
            walk(
                &child_headers,
                child_body,
                depth + 1,
                max_depth,
                child_default,
                out,
            );
        }
        return;
    }
    let decoded = decode_transfer(headers, body);
    if media_type == "message" && subtype == "rfc822" && can_descend {
        let (inner_headers, offset) = parse_header_section(&decoded);
        let header_text = text_from_bytes(&decoded[..offset.min(decoded.len())]);
        out.push(BodyPart {
            media_type,
            subtype,
            content: header_text,
        });
        let inner_body = decoded.get(offset..).unwrap_or_default();
        walk(
            &inner_headers,
            inner_body,
            depth + 1,
            max_depth,
            ("text", "plain"),
            out,
        );
        return;
    }
    let content = if media_type == "text" {
        match content_type.and_then(|v| parameter(v, "charset")) {
            Some(charset) => decode_charset(&charset, &decoded),
            None => text_from_bytes(&decoded),
        }
    } else {
        String::from_utf8_lossy(&decoded).into_owned()
    };
    out.push(BodyPart {
        media_type,
        subtype,
        content,
    });
}

fn header<'h>(headers: &'h [HeaderField], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.raw.as_str())
}

/// "type/subtype" of a Content-Type value, lower-cased.
fn parse_media_type(value: &str) -> Option<(String, String)> {
    let main = value.split(';').next()?.trim();
    let (t, s) = main.split_once('/')?;
    let (t, s) = (t.trim(), s.trim());
    if t.is_empty() || s.is_empty() {
        return None;
    }
    Some((t.to_ascii_lowercase(), s.to_ascii_lowercase()))
}

/// A parameter of a structured header value (quoted or not), by case-insensitive name.
fn parameter(value: &str, name: &str) -> Option<String> {
    let mut rest = value.split_once(';')?.1;
    loop {
        let (key, after_eq) = rest.split_once('=')?;
        let key = key.trim().trim_start_matches(';').trim();
        let after_eq = after_eq.trim_start();
        let (val, remaining) = if let Some(quoted) = after_eq.strip_prefix('"') {
            let mut val = String::new();
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, next)) = chars.next() {
                            val.push(next);
                        }
                    }
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    other => val.push(other),
                }
            }
            let remaining = &quoted[end..];
            (val, remaining.split_once(';').map_or("", |(_, r)| r))
        } else {
            let (val, remaining) = after_eq.split_once(';').unwrap_or((after_eq, ""));
            (val.trim().to_owned(), remaining)
        };
        if key.eq_ignore_ascii_case(name) {
            return Some(val);
        }
        if remaining.is_empty() {
            return None;
        }
        rest = remaining;
    }
}

fn decode_transfer(headers: &[HeaderField], body: &[u8]) -> Vec<u8> {
    let encoding = header(headers, "content-transfer-encoding")
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match encoding.as_str() {
        "base64" => decode_base64(body),
        "quoted-printable" => decode_quoted_printable(body),
        _ => body.to_vec(),
    }
}

/// Lenient quoted-printable: soft line breaks removed, "=XX" decoded, other "=" kept.
pub(crate) fn decode_quoted_printable(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i] == b'=' {
            if input.get(i + 1) == Some(&b'\n') {
                i += 2;
                continue;
            }
            if input.get(i + 1..i + 3) == Some(b"\r\n") {
                i += 3;
                continue;
            }
            if let Some(byte) = hex_pair(input.get(i + 1..i + 3)) {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(input[i]);
        i += 1;
    }
    out
}

struct Multipart<'a> {
    prologue: &'a [u8],
    parts: Vec<&'a [u8]>,
    epilogue: &'a [u8],
}

/// Splits a multipart body at its delimiter lines. The line break before a delimiter
/// belongs to the delimiter. Without a closing delimiter the last part runs to the end.
fn split_multipart<'a>(body: &'a [u8], boundary: &[u8]) -> Multipart<'a> {
    let mut delimiter = b"--".to_vec();
    delimiter.extend_from_slice(boundary);
    let mut prologue: Option<&[u8]> = None;
    let mut parts = Vec::new();
    let mut part_start: Option<usize> = None;
    let mut pos = 0;
    while pos < body.len() {
        let end = body[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(body.len(), |i| pos + i);
        let next = (end + 1).min(body.len());
        let line = &body[pos..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let Some(rest) = line.strip_prefix(delimiter.as_slice()) {
            let closing = rest.starts_with(b"--");
            if closing || rest.iter().all(u8::is_ascii_whitespace) {
                let content_end = before_line_break(body, pos);
                match part_start {
                    Some(start) => parts.push(&body[start..content_end.max(start)]),
                    None => prologue = Some(&body[..content_end]),
                }
                if closing {
                    return Multipart {
                        prologue: prologue.unwrap_or_default(),
                        parts,
                        epilogue: &body[next..],
                    };
                }
                part_start = Some(next);
            }
        }
        pos = next;
    }
    match (part_start, prologue) {
        (Some(start), Some(prologue)) => {
            parts.push(&body[start..]);
            Multipart {
                prologue,
                parts,
                epilogue: &[],
            }
        }
        _ => Multipart {
            prologue: body,
            parts,
            epilogue: &[],
        },
    }
}

/// Where the content before the line starting at `line_start` ends: without the CRLF
/// or LF that precedes it.
fn before_line_break(body: &[u8], line_start: usize) -> usize {
    let mut end = line_start;
    if end > 0 && body[end - 1] == b'\n' {
        end -= 1;
        if end > 0 && body[end - 1] == b'\r' {
            end -= 1;
        }
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters() {
        let v = "multipart/mixed; boundary=\"a b;c\"; charset=UTF-8";
        assert_eq!(parameter(v, "boundary").unwrap(), "a b;c");
        assert_eq!(parameter(v, "CHARSET").unwrap(), "UTF-8");
        assert_eq!(parameter(v, "other"), None);
        assert_eq!(parameter("text/plain", "charset"), None);
        assert_eq!(
            parse_media_type("Text/HTML ; x=y").unwrap(),
            ("text".into(), "html".into())
        );
        assert_eq!(parse_media_type("garbage"), None);
    }

    #[test]
    fn quoted_printable() {
        assert_eq!(
            decode_quoted_printable(b"caf=C3=A9 =\r\nsoft= =zz"),
            "café soft= =zz".as_bytes()
        );
    }

    #[test]
    fn content_selection() {
        let part = BodyPart {
            media_type: "text".into(),
            subtype: "plain".into(),
            content: String::new(),
        };
        assert!(part.selected_by(""));
        assert!(part.selected_by("text"));
        assert!(part.selected_by("TEXT/Plain"));
        assert!(!part.selected_by("text/html"));
        assert!(!part.selected_by("/plain"));
        assert!(!part.selected_by("text/"));
        assert!(!part.selected_by("text/plain/x"));
        assert!(!part.selected_by("image"));
    }

    #[test]
    fn unterminated_multipart_keeps_last_part() {
        let split = split_multipart(b"pre\r\n--b\r\none\r\n--b\r\ntwo", b"b");
        assert_eq!(split.prologue, b"pre");
        assert_eq!(split.parts, vec![&b"one"[..], &b"two"[..]]);
        let none = split_multipart(b"no delimiters", b"b");
        assert_eq!(none.prologue, b"no delimiters");
        assert!(none.parts.is_empty());
    }
}
