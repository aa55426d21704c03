//! What is legitimately different between two correct servers, removed before the
//! comparison. Each rule names the RFC text that makes both forms equal.

use super::wire::Value;

/// Upper-cases a string value (types, subtypes, parameter names, encodings and
/// disposition types are case-insensitive).
fn upper(value: &Value) -> Value {
    match value {
        Value::Str(s) => Value::Str(s.to_ascii_uppercase()),
        other => other.clone(),
    }
}

/// A body parameter list `("NAME" "value" ...)` with the names upper-cased: RFC 2045
/// section 5.1, "the type, subtype, and parameter names are not case sensitive".
/// Values are compared as sent, except `charset` values, which are upper-cased: "the
/// values of the charset parameter are NOT case sensitive" (RFC 2046 section 4.1.2),
/// and Dovecot reports the default charset as `us-ascii` where Postroom writes
/// `US-ASCII`.
fn params(value: &Value) -> Value {
    let Value::List(items) = value else {
        return value.clone();
    };
    let mut out = Vec::with_capacity(items.len());
    for pair in items.chunks(2) {
        let name = upper(&pair[0]);
        out.push(name.clone());
        if let Some(value) = pair.get(1) {
            let charset = name.bytes() == Some(b"CHARSET".as_slice());
            out.push(if charset { upper(value) } else { value.clone() });
        }
    }
    Value::List(out)
}

/// `body-fld-dsp`: `("TYPE" (params))`; the disposition type is case-insensitive
/// (RFC 2183 section 2.8, "disposition-type ... case-insensitive").
fn disposition(value: &Value) -> Value {
    match value {
        Value::List(items) if items.len() == 2 => {
            Value::List(vec![upper(&items[0]), params(&items[1])])
        }
        other => other.clone(),
    }
}

/// `body-fld-lang = nstring / "(" string *(SP string) ")"` (RFC 9051 section 9): one
/// language may be sent as a string or as a list of one; both mean the same.
fn language(value: &Value) -> Value {
    match value {
        Value::Str(_) => Value::List(vec![value.clone()]),
        other => other.clone(),
    }
}

/// Normalises a BODY or BODYSTRUCTURE value:
///
/// - media type, subtype, parameter names, Content-Transfer-Encoding and disposition
///   type are upper-cased (RFC 2045 sections 5.1 and 6.1, RFC 2183: case-insensitive;
///   RFC 9051 section 7.5.2 sends them as strings without fixing the case);
/// - a single language is a list of one (see [`language`]);
/// - trailing `NIL`s of the extension data are dropped: the extension fields are
///   optional from the right ("body-ext-1part = body-fld-md5 [SP body-fld-dsp [SP
///   body-fld-lang ...]]" in RFC 9051 section 9), and an absent field means the same
///   as `NIL`.
pub(crate) fn body_structure(value: &Value) -> Value {
    let Some(items) = value.list() else {
        return value.clone();
    };
    let children = items.iter().take_while(|v| v.list().is_some()).count();
    let mut out: Vec<Value>;
    let extension_from;
    if children > 0 {
        // Multipart: parts, subtype, then params, dsp, lang, loc.
        out = items[..children].iter().map(body_structure).collect();
        let rest = &items[children..];
        for (i, v) in rest.iter().enumerate() {
            out.push(match i {
                0 => upper(v),
                1 => params(v),
                2 => disposition(v),
                3 => language(v),
                _ => v.clone(),
            });
        }
        extension_from = children + 1;
    } else {
        let message = items.len() > 8
            && items[0]
                .bytes()
                .is_some_and(|t| t.eq_ignore_ascii_case(b"message"))
            && items[1].bytes().is_some_and(|t| {
                t.eq_ignore_ascii_case(b"rfc822") || t.eq_ignore_ascii_case(b"global")
            });
        let text = items[0]
            .bytes()
            .is_some_and(|t| t.eq_ignore_ascii_case(b"text"));
        // Basic fields, then (message) envelope, body, lines or (text) lines.
        let basic_end = if message {
            10
        } else if text {
            8
        } else {
            7
        };
        out = Vec::with_capacity(items.len());
        for (i, v) in items.iter().enumerate() {
            out.push(match i {
                0 | 1 | 5 => upper(v),
                2 => params(v),
                8 if message => body_structure(v),
                _ if i == basic_end + 1 => disposition(v),
                _ if i == basic_end + 2 => language(v),
                _ => v.clone(),
            });
        }
        extension_from = basic_end;
    }
    while out.len() > extension_from && out.last() == Some(&Value::Nil) {
        out.pop();
    }
    Value::List(out)
}

/// A FLAGS list as a sorted set without `\Recent`: flag order carries no meaning (a
/// "parenthesized list of flags", RFC 9051 section 7.5.2), flags are case-insensitive
/// atoms, and `\Recent` depends on which session saw the message first (RFC 3501
/// section 2.3.2), not on the message.
pub(crate) fn flags(value: &Value) -> Value {
    let Some(items) = value.list() else {
        return value.clone();
    };
    let mut names: Vec<String> = items
        .iter()
        .filter_map(Value::atom)
        .filter(|f| !f.eq_ignore_ascii_case("\\Recent"))
        .map(str::to_ascii_lowercase)
        .collect();
    names.sort();
    Value::List(names.into_iter().map(Value::Atom).collect())
}

/// A FETCH item name: upper case (atoms are case-insensitive, RFC 9051 section 9,
/// "all alphabetic characters are case-insensitive") and, inside a section spec, the
/// header-list names too (field names are case-insensitive, RFC 5322 section 1.2.2).
pub(crate) fn item_name(name: &str) -> String {
    name.to_ascii_uppercase()
}

/// INTERNALDATE with a two-digit day: `date-day-fixed = (SP DIGIT) / 2DIGIT` (RFC 9051
/// section 9), so ` 1-Jan-2024` (Postroom) and `01-Jan-2024` (Dovecot) are the same date.
fn internal_date(value: &Value) -> Value {
    match value {
        Value::Str(s) if s.first() == Some(&b' ') => {
            let mut fixed = s.clone();
            fixed[0] = b'0';
            Value::Str(fixed)
        }
        other => other.clone(),
    }
}

/// Normalises one FETCH item by name.
pub(crate) fn item(name: &str, value: &Value) -> Value {
    match name {
        "BODY" | "BODYSTRUCTURE" => body_structure(value),
        "FLAGS" => flags(value),
        "INTERNALDATE" => internal_date(value),
        _ => value.clone(),
    }
}

#[test]
fn body_structures_compare_case_insensitively_without_trailing_nils() {
    use super::wire::parse;
    let one = |text: &str| body_structure(&parse(text.as_bytes()).unwrap()[0]);
    let dovecot = one(
        r#"("text" "plain" ("charset" "us-ascii" "name" "a") NIL NIL "7bit" 3 1 NIL NIL NIL NIL)"#,
    );
    let ours =
        one(r#"("TEXT" "PLAIN" ("CHARSET" "US-ASCII" "NAME" "a") NIL NIL "7BIT" 3 1 NIL NIL NIL)"#);
    assert_eq!(dovecot, ours);
    // Other values keep their case.
    let other = one(r#"("TEXT" "PLAIN" ("CHARSET" "US-ASCII" "NAME" "A") NIL NIL "7BIT" 3 1)"#);
    assert_ne!(dovecot, other);
    let multi = one(
        r#"(("text" "plain" NIL NIL NIL "7bit" 0 0) "mixed" ("boundary" "x") ("attachment" ("Filename" "a")) "en" NIL)"#,
    );
    let multi_ours = one(
        r#"(("TEXT" "PLAIN" NIL NIL NIL "7BIT" 0 0) "MIXED" ("BOUNDARY" "x") ("ATTACHMENT" ("FILENAME" "a")) ("en"))"#,
    );
    assert_eq!(multi, multi_ours);
    let boundary = one(r#"(("TEXT" "PLAIN" NIL NIL NIL "7BIT" 0 0) "MIXED" ("BOUNDARY" "X"))"#);
    assert_ne!(multi, boundary);
}

#[test]
fn flags_and_dates_normalise() {
    use super::wire::parse;
    let flags_of = |text: &str| flags(&parse(text.as_bytes()).unwrap()[0]);
    assert_eq!(
        flags_of(r"(\Seen \Recent $Work)"),
        flags_of(r"($work \SEEN)")
    );
    assert_ne!(flags_of(r"(\Seen)"), flags_of(r"(\Seen \Flagged)"));
    let date = |text: &[u8]| item("INTERNALDATE", &Value::Str(text.to_vec()));
    assert_eq!(
        date(b" 1-Jan-2024 09:00:00 +0000"),
        date(b"01-Jan-2024 09:00:00 +0000")
    );
    assert_ne!(
        date(b"11-Jan-2024 09:00:00 +0000"),
        date(b"01-Jan-2024 09:00:00 +0000")
    );
}
