//! Addresses: RFC 5322 address lists in header fields (lenient), the stricter
//! "sieve-address" of RFC 5228 section 2.4.2.3 for outbound use, and address parts
//! (`:all`, `:localpart`, `:domain`, RFC 5233 `:user` and `:detail`).

/// One address found in a header field or the envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Address {
    /// A syntactically valid `local@domain`.
    Valid { local: String, domain: String },
    /// Something in an address position that is not a valid address; only `:all`
    /// sees it, as written.
    Invalid(String),
}

/// Which part of an address a test looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AddressPart {
    All,
    LocalPart,
    Domain,
    User,
    Detail,
}

impl Address {
    /// The part to compare, or `None` when the address has no such part (an invalid
    /// address has no local part or domain; an address without separator no detail).
    pub(crate) fn part(&self, part: AddressPart, separator: char) -> Option<String> {
        match self {
            Self::Invalid(raw) => (part == AddressPart::All).then(|| raw.clone()),
            Self::Valid { local, domain } => match part {
                AddressPart::All => Some(format!("{local}@{domain}")),
                AddressPart::LocalPart => Some(local.clone()),
                AddressPart::Domain => Some(domain.clone()),
                AddressPart::User => Some(
                    local
                        .split_once(separator)
                        .map_or(local.as_str(), |(user, _)| user)
                        .to_owned(),
                ),
                AddressPart::Detail => local
                    .split_once(separator)
                    .map(|(_, detail)| detail.to_owned()),
            },
        }
    }

    /// `local@domain`, or the raw text of an invalid address.
    pub(crate) fn full(&self) -> String {
        match self {
            Self::Valid { local, domain } => format!("{local}@{domain}"),
            Self::Invalid(raw) => raw.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    /// An atom, or a dot-separated run of atoms as written.
    Atom(String),
    /// A quoted string, unquoted.
    Quoted(String),
    /// `[...]` as written.
    DomainLiteral(String),
    Special(char),
}

/// Splits a header value into tokens, dropping comments and white space.
fn tokenize(value: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut chars = value.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            ' ' | '\t' | '\r' | '\n' => {
                chars.next();
            }
            '(' => {
                // Comments nest; an unterminated one runs to the end.
                let mut depth = 0usize;
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '(' => depth += 1,
                        ')' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                }
            }
            '"' => {
                chars.next();
                let mut text = String::new();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some(next) = chars.next() {
                                text.push(next);
                            }
                        }
                        '"' => break,
                        other => text.push(other),
                    }
                }
                out.push(Tok::Quoted(text));
            }
            '[' => {
                let mut text = String::new();
                for c in chars.by_ref() {
                    text.push(c);
                    if c == ']' {
                        break;
                    }
                }
                out.push(Tok::DomainLiteral(text));
            }
            '<' | '>' | '@' | ',' | ';' | ':' | '.' | ')' | ']' | '\\' => {
                chars.next();
                out.push(Tok::Special(c));
            }
            _ => {
                let mut text = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || "()<>@,;:\\\".[]".contains(c) {
                        break;
                    }
                    text.push(c);
                    chars.next();
                }
                out.push(Tok::Atom(text));
            }
        }
    }
    out
}

/// Every address in an RFC 5322 address-list header value. Group names and display
/// names are skipped; empty groups give nothing.
pub(crate) fn parse_address_list(value: &str) -> Vec<Address> {
    let tokens = tokenize(value);
    let mut out = Vec::new();
    let mut segment: Vec<Tok> = Vec::new();
    let mut in_angle = false;
    for tok in tokens {
        match tok {
            Tok::Special('<') => {
                in_angle = true;
                segment.push(tok);
            }
            Tok::Special('>') => {
                in_angle = false;
                segment.push(tok);
            }
            // "display-name:" opens a group; what came before is its name.
            Tok::Special(':') if !in_angle && !segment.is_empty() => segment.clear(),
            Tok::Special(',' | ';') if !in_angle => {
                push_mailbox(&mut out, &segment);
                segment.clear();
            }
            other => segment.push(other),
        }
    }
    push_mailbox(&mut out, &segment);
    out
}

fn push_mailbox(out: &mut Vec<Address>, segment: &[Tok]) {
    if segment.is_empty() {
        return;
    }
    let spec = match segment.iter().position(|t| *t == Tok::Special('<')) {
        Some(open) => {
            let inner = &segment[open + 1..];
            let close = inner
                .iter()
                .position(|t| *t == Tok::Special('>'))
                .unwrap_or(inner.len());
            strip_route(&inner[..close])
        }
        None => segment,
    };
    if spec.is_empty() {
        // "<>" (a null path) is no address.
        return;
    }
    out.push(addr_spec(spec));
}

/// Drops an obsolete source route `@a,@b:` in front of an addr-spec.
fn strip_route(tokens: &[Tok]) -> &[Tok] {
    if tokens.first() == Some(&Tok::Special('@'))
        && let Some(colon) = tokens.iter().position(|t| *t == Tok::Special(':'))
    {
        return &tokens[colon + 1..];
    }
    tokens
}

/// An addr-spec from its tokens: local-part "@" domain.
fn addr_spec(tokens: &[Tok]) -> Address {
    let Some(at) = tokens.iter().rposition(|t| *t == Tok::Special('@')) else {
        return Address::Invalid(render(tokens));
    };
    let local = local_part(&tokens[..at]);
    let domain = domain(&tokens[at + 1..]);
    match (local, domain) {
        (Some(local), Some(domain)) => Address::Valid { local, domain },
        _ => Address::Invalid(render(tokens)),
    }
}

/// A dot-atom or quoted-string local part (obsolete mixtures of words are accepted).
fn local_part(tokens: &[Tok]) -> Option<String> {
    let mut out = String::new();
    let mut expect_word = true;
    for tok in tokens {
        match (tok, expect_word) {
            (Tok::Atom(text) | Tok::Quoted(text), true) => {
                out.push_str(text);
                expect_word = false;
            }
            (Tok::Special('.'), false) => {
                out.push('.');
                expect_word = true;
            }
            _ => return None,
        }
    }
    (!out.is_empty() && !expect_word).then_some(out)
}

/// A dot-atom domain or a domain literal.
fn domain(tokens: &[Tok]) -> Option<String> {
    if let [Tok::DomainLiteral(text)] = tokens {
        return text.ends_with(']').then(|| text.clone());
    }
    let mut out = String::new();
    let mut expect_atom = true;
    for tok in tokens {
        match (tok, expect_atom) {
            (Tok::Atom(text), true) => {
                out.push_str(text);
                expect_atom = false;
            }
            (Tok::Special('.'), false) => {
                out.push('.');
                expect_atom = true;
            }
            _ => return None,
        }
    }
    (!out.is_empty() && !expect_atom).then_some(out)
}

fn render(tokens: &[Tok]) -> String {
    let mut out = String::new();
    let mut previous_word = false;
    for tok in tokens {
        let word = matches!(tok, Tok::Atom(_) | Tok::Quoted(_));
        if word && previous_word {
            out.push(' ');
        }
        previous_word = word;
        match tok {
            Tok::Atom(text) | Tok::DomainLiteral(text) => out.push_str(text),
            Tok::Quoted(text) => {
                out.push('"');
                out.push_str(text);
                out.push('"');
            }
            Tok::Special(c) => out.push(*c),
        }
    }
    out
}

/// An envelope address (SMTP path without angle brackets); source routes are dropped.
/// The empty string (null reverse-path) gives `None`.
pub(crate) fn parse_envelope(path: &str) -> Option<Address> {
    let trimmed = path.trim();
    let trimmed = trimmed
        .strip_prefix('<')
        .and_then(|s| s.strip_suffix('>'))
        .unwrap_or(trimmed);
    if trimmed.is_empty() {
        return None;
    }
    let tokens = tokenize(trimmed);
    Some(addr_spec(strip_route(&tokens)))
}

/// Validates a "sieve-address" (addr-spec, or phrase "<" addr-spec ">") and returns
/// the bare `local@domain`.
pub(crate) fn parse_sieve_address(value: &str) -> Option<String> {
    let tokens = tokenize(value);
    let spec: &[Tok] = match tokens.iter().position(|t| *t == Tok::Special('<')) {
        Some(open) => {
            let phrase_ok = tokens[..open]
                .iter()
                .all(|t| matches!(t, Tok::Atom(_) | Tok::Quoted(_) | Tok::Special('.')));
            if !phrase_ok || tokens.last() != Some(&Tok::Special('>')) {
                return None;
            }
            &tokens[open + 1..tokens.len() - 1]
        }
        None => &tokens,
    };
    if spec
        .iter()
        .any(|t| matches!(t, Tok::Special('<' | '>' | ',' | ';' | ':')))
    {
        return None;
    }
    match addr_spec(spec) {
        Address::Valid { local, domain } => Some(format!("{}@{domain}", quote_local(&local))),
        Address::Invalid(_) => None,
    }
}

/// Validates an RFC 5322 mailbox-list (for vacation `:from`).
pub(crate) fn is_mailbox_list(value: &str) -> bool {
    let addresses = parse_address_list(value);
    !addresses.is_empty() && addresses.iter().all(|a| matches!(a, Address::Valid { .. }))
}

/// Quotes a local part that is not a dot-atom.
fn quote_local(local: &str) -> String {
    let dot_atom = !local.is_empty()
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c == '.' || (!c.is_whitespace() && !"()<>@,;:\\\"[]".contains(c)));
    if dot_atom {
        return local.to_owned();
    }
    let mut out = String::from('"');
    for c in local.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid(local: &str, domain: &str) -> Address {
        Address::Valid {
            local: local.into(),
            domain: domain.into(),
        }
    }

    #[test]
    fn address_lists() {
        assert_eq!(
            parse_address_list(
                "\"Coyote, W.\" <coyote@desert.example.org>, road@acme.example.com (Road Runner)"
            ),
            vec![
                valid("coyote", "desert.example.org"),
                valid("road", "acme.example.com")
            ]
        );
        assert_eq!(
            parse_address_list("undisclosed-recipients:;"),
            Vec::<Address>::new()
        );
        assert_eq!(
            parse_address_list("friends: a@x.org, \"b c\"@y.org; d@z.org"),
            vec![
                valid("a", "x.org"),
                valid("b c", "y.org"),
                valid("d", "z.org")
            ]
        );
        assert_eq!(
            parse_address_list("youcouldberich!@reply-by-postal-mail.invalid"),
            vec![valid("youcouldberich!", "reply-by-postal-mail.invalid")]
        );
        assert_eq!(
            parse_address_list("<@route.example,@r2.example:user@host.example>"),
            vec![valid("user", "host.example")]
        );
        assert_eq!(
            parse_address_list("not an address"),
            vec![Address::Invalid("not an address".into())]
        );
        assert_eq!(
            parse_address_list("x@[127.0.0.1]"),
            vec![valid("x", "[127.0.0.1]")]
        );
        assert_eq!(
            parse_address_list("a@b..c"),
            vec![Address::Invalid("a@b..c".into())]
        );
    }

    #[test]
    fn parts() {
        let a = valid("ken+sieve", "example.org");
        assert_eq!(
            a.part(AddressPart::All, '+').unwrap(),
            "ken+sieve@example.org"
        );
        assert_eq!(a.part(AddressPart::LocalPart, '+').unwrap(), "ken+sieve");
        assert_eq!(a.part(AddressPart::Domain, '+').unwrap(), "example.org");
        assert_eq!(a.part(AddressPart::User, '+').unwrap(), "ken");
        assert_eq!(a.part(AddressPart::Detail, '+').unwrap(), "sieve");
        let plain = valid("ken", "example.org");
        assert_eq!(plain.part(AddressPart::User, '+').unwrap(), "ken");
        assert_eq!(plain.part(AddressPart::Detail, '+'), None);
        let empty_detail = valid("ken+", "example.org");
        assert_eq!(empty_detail.part(AddressPart::Detail, '+').unwrap(), "");
        let bad = Address::Invalid("junk".into());
        assert_eq!(bad.part(AddressPart::All, '+').unwrap(), "junk");
        assert_eq!(bad.part(AddressPart::Domain, '+'), None);
    }

    #[test]
    fn sieve_addresses() {
        assert_eq!(
            parse_sieve_address("bart@example.com").unwrap(),
            "bart@example.com"
        );
        assert_eq!(
            parse_sieve_address("Bart Simpson <bart@example.com>").unwrap(),
            "bart@example.com"
        );
        assert_eq!(
            parse_sieve_address("\"odd one\"@example.com").unwrap(),
            "\"odd one\"@example.com"
        );
        assert!(parse_sieve_address("bart").is_none());
        assert!(parse_sieve_address("a@b, c@d").is_none());
        assert!(parse_sieve_address("group: a@b;").is_none());
        assert!(parse_sieve_address("<@route:a@b>").is_none());
        assert!(parse_sieve_address("").is_none());
        assert!(parse_sieve_address("a@").is_none());
        assert!(is_mailbox_list("Me <me@example.org>"));
        assert!(!is_mailbox_list("me"));
    }

    #[test]
    fn envelope_paths() {
        assert_eq!(parse_envelope(""), None);
        assert_eq!(parse_envelope("<>"), None);
        assert_eq!(parse_envelope("<a@b.c>"), Some(valid("a", "b.c")));
        assert_eq!(
            parse_envelope("@relay.example:a@b.c"),
            Some(valid("a", "b.c"))
        );
    }
}
