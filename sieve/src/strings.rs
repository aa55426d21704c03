//! String literals after compilation: the `encoded-character` decoding (RFC 5228
//! section 2.4.2.4) done once, and `${...}` variable references (RFC 5229 section 3)
//! split out so that a run only has to fill them in.

use crate::error::{CompileError, Position};

/// One piece of a string with variable references.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Part {
    Text(String),
    /// A named variable, lower-cased (names are case-insensitive).
    Variable(String),
    /// A match variable `${N}`; indexes too large to exist are kept as `usize::MAX`.
    Match(usize),
}

/// A compiled string argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Str {
    Const(String),
    /// Parts, and the total length of the literal text (the expansion budget grows
    /// from it).
    Template(Vec<Part>, usize),
}

impl Str {
    /// The value when it does not depend on variables.
    pub(crate) fn as_const(&self) -> Option<&str> {
        match self {
            Self::Const(value) => Some(value),
            Self::Template(..) => None,
        }
    }
}

/// Whether `name` is a valid variable name to `set` (RFC 5229: an identifier).
pub(crate) fn is_identifier(name: &str) -> bool {
    let mut chars = name.bytes();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == b'_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// Splits `${name}` and `${N}` references out of `text`. Sequences that are not valid
/// references stay literal; a valid reference with a namespace (`${ns.name}`) is an
/// error because no namespace extension is offered.
pub(crate) fn parse_template(text: String, at: Position) -> Result<Str, CompileError> {
    if !text.contains("${") {
        return Ok(Str::Const(text));
    }
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut literal_len = 0usize;
    let mut rest = text.as_str();
    while let Some(start) = rest.find("${") {
        literal.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match reference(after, at)? {
            Some((part, used)) => {
                if !literal.is_empty() {
                    literal_len += literal.len();
                    parts.push(Part::Text(std::mem::take(&mut literal)));
                }
                parts.push(part);
                rest = &after[used..];
            }
            None => {
                literal.push_str("${");
                rest = after;
            }
        }
    }
    literal.push_str(rest);
    if parts.is_empty() {
        return Ok(Str::Const(literal));
    }
    if !literal.is_empty() {
        literal_len += literal.len();
        parts.push(Part::Text(literal));
    }
    Ok(Str::Template(parts, literal_len))
}

/// A reference at the start of `text` (just after "${"): the part and the bytes used,
/// including the closing brace.
fn reference(text: &str, at: Position) -> Result<Option<(Part, usize)>, CompileError> {
    let Some(end) = text.find('}') else {
        return Ok(None);
    };
    let inner = &text[..end];
    let mut segments: Vec<&str> = inner.split('.').collect();
    let Some(name) = segments.pop() else {
        return Ok(None);
    };
    let numeric = !name.is_empty() && name.bytes().all(|c| c.is_ascii_digit());
    if !(numeric || is_identifier(name)) {
        return Ok(None);
    }
    if let Some((first, subs)) = segments.split_first() {
        // namespace = identifier "." *(variable-name ".")
        let valid = is_identifier(first)
            && subs.iter().all(|s| {
                is_identifier(s) || (!s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()))
            });
        if !valid {
            return Ok(None);
        }
        return Err(CompileError::InvalidValue {
            at,
            message: format!("unsupported variable namespace '{}'", segments.join(".")),
        });
    }
    let part = if numeric {
        Part::Match(name.parse().unwrap_or(usize::MAX))
    } else {
        Part::Variable(name.to_ascii_lowercase())
    };
    Ok(Some((part, end + 1)))
}

/// Replaces `${hex:..}` and `${unicode:..}` sequences. Malformed sequences are left as
/// they are; a well-formed one naming an invalid Unicode scalar is an error.
pub(crate) fn decode_encoded_characters(
    input: &[u8],
    at: Position,
) -> Result<Vec<u8>, CompileError> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i] == b'$'
            && input.get(i + 1) == Some(&b'{')
            && let Some((decoded, used)) = encoded_sequence(&input[i + 2..], at)?
        {
            out.extend_from_slice(&decoded);
            i += 2 + used;
            continue;
        }
        out.push(input[i]);
        i += 1;
    }
    Ok(out)
}

/// One encoded sequence after "${": the decoded bytes and the input used.
fn encoded_sequence(input: &[u8], at: Position) -> Result<Option<(Vec<u8>, usize)>, CompileError> {
    let (unicode, mut i) = if starts_with_ignore_case(input, b"hex:") {
        (false, 4)
    } else if starts_with_ignore_case(input, b"unicode:") {
        (true, 8)
    } else {
        return Ok(None);
    };
    let mut values: Vec<u32> = Vec::new();
    loop {
        let blanks_start = i;
        while matches!(input.get(i), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            i += 1;
        }
        let had_blank = i > blanks_start;
        match input.get(i) {
            Some(b'}') if !values.is_empty() => {
                i += 1;
                break;
            }
            Some(c) if c.is_ascii_hexdigit() && (values.is_empty() || had_blank) => {
                let start = i;
                while input.get(i).is_some_and(u8::is_ascii_hexdigit) {
                    i += 1;
                }
                let digits = &input[start..i];
                if !unicode && digits.len() > 2 {
                    return Ok(None);
                }
                // Leading zeros are allowed; anything past 8 significant digits is out
                // of range anyway.
                let significant = digits
                    .iter()
                    .skip_while(|&&d| d == b'0')
                    .copied()
                    .collect::<Vec<u8>>();
                let value = if significant.len() > 8 {
                    u32::MAX
                } else {
                    significant
                        .iter()
                        .fold(0u32, |acc, &d| acc * 16 + hex_value(d))
                };
                values.push(value);
            }
            _ => return Ok(None),
        }
    }
    let mut out = Vec::new();
    for value in values {
        if unicode {
            let Some(ch) = char::from_u32(value) else {
                return Err(CompileError::InvalidValue {
                    at,
                    message: format!("invalid Unicode character U+{value:X} in ${{unicode:...}}"),
                });
            };
            let mut buf = [0u8; 4];
            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
        } else {
            // Two hex digits at most, so this always fits.
            out.push(u8::try_from(value).unwrap_or(u8::MAX));
        }
    }
    Ok(Some((out, i)))
}

fn starts_with_ignore_case(input: &[u8], prefix: &[u8]) -> bool {
    input.len() >= prefix.len() && input[..prefix.len()].eq_ignore_ascii_case(prefix)
}

fn hex_value(digit: u8) -> u32 {
    match digit {
        b'0'..=b'9' => u32::from(digit - b'0'),
        b'a'..=b'f' => u32::from(digit - b'a' + 10),
        _ => u32::from(digit - b'A' + 10),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(input: &str) -> Result<String, CompileError> {
        decode_encoded_characters(input.as_bytes(), Position::new(1, 1))
            .map(|b| String::from_utf8(b).unwrap())
    }

    #[test]
    fn rfc5228_encoded_character_examples() {
        assert_eq!(enc("$${hex:40}").unwrap(), "$@");
        assert_eq!(enc("${hex: 40 }").unwrap(), "@");
        assert_eq!(enc("${HEX: 40}").unwrap(), "@");
        assert_eq!(enc("${hex:40").unwrap(), "${hex:40");
        assert_eq!(enc("${hex:400}").unwrap(), "${hex:400}");
        assert_eq!(enc("${hex:4${hex:30}}").unwrap(), "${hex:40}");
        assert_eq!(enc("${unicode:40}").unwrap(), "@");
        assert_eq!(enc("${ unicode:40}").unwrap(), "${ unicode:40}");
        assert_eq!(enc("${UNICODE:40}").unwrap(), "@");
        assert_eq!(enc("${UnICoDE:0000040}").unwrap(), "@");
        assert_eq!(enc("${Unicode:40}").unwrap(), "@");
        assert_eq!(enc("${Unicode:Cool}").unwrap(), "${Unicode:Cool}");
        assert!(enc("${unicode:200000}").is_err());
        assert!(enc("${Unicode:DF01}").is_err());
        assert_eq!(enc("$${hex:24 24}").unwrap(), "$$$");
        assert_eq!(enc("${hex:}").unwrap(), "${hex:}");
        assert_eq!(enc("${unicode:e9 263a}").unwrap(), "é☺");
    }

    fn parts(text: &str) -> Str {
        parse_template(text.to_owned(), Position::new(1, 1)).unwrap()
    }

    #[test]
    fn rfc5229_reference_syntax() {
        assert_eq!(parts("&%${}!"), Str::Const("&%${}!".into()));
        assert_eq!(parts("${doh!}"), Str::Const("${doh!}".into()));
        assert_eq!(
            parts("${BAD${Company}"),
            Str::Template(
                vec![Part::Text("${BAD".into()), Part::Variable("company".into())],
                5
            )
        );
        assert_eq!(
            parts("${President, ${Company} Inc.}"),
            Str::Template(
                vec![
                    Part::Text("${President, ".into()),
                    Part::Variable("company".into()),
                    Part::Text(" Inc.}".into())
                ],
                19
            )
        );
        assert_eq!(
            parts("${0}${01}${99999999999999999999999}"),
            Str::Template(
                vec![Part::Match(0), Part::Match(1), Part::Match(usize::MAX)],
                0
            )
        );
        assert!(parse_template("${env.name}".into(), Position::new(1, 1)).is_err());
        assert_eq!(parts("${.name}"), Str::Const("${.name}".into()));
    }
}
