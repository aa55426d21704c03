//! Comparators (RFC 4790), match types (RFC 5228 section 2.7, RFC 5231) and wildcard
//! matching with captures for match variables (RFC 5229 section 3.2).

use std::cmp::Ordering;

/// A comparator named by `:comparator`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Comparator {
    /// `i;octet`: plain bytes.
    Octet,
    /// `i;ascii-casemap`: bytes with a-z mapped to A-Z (the default).
    AsciiCasemap,
    /// `i;ascii-numeric`: the leading digits as a number; no digits is +infinity.
    AsciiNumeric,
}

impl Comparator {
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "i;octet" => Some(Self::Octet),
            "i;ascii-casemap" => Some(Self::AsciiCasemap),
            "i;ascii-numeric" => Some(Self::AsciiNumeric),
            _ => None,
        }
    }

    /// Whether `:contains` and `:matches` can use this comparator.
    pub(crate) fn supports_substring(self) -> bool {
        !matches!(self, Self::AsciiNumeric)
    }

    pub(crate) fn equals(self, value: &str, key: &str) -> bool {
        match self {
            Self::Octet => value == key,
            Self::AsciiCasemap => value.eq_ignore_ascii_case(key),
            Self::AsciiNumeric => numeric_cmp(value, key) == Ordering::Equal,
        }
    }

    pub(crate) fn order(self, value: &str, key: &str) -> Ordering {
        match self {
            Self::Octet => value.as_bytes().cmp(key.as_bytes()),
            Self::AsciiCasemap => value
                .bytes()
                .map(|b| b.to_ascii_uppercase())
                .cmp(key.bytes().map(|b| b.to_ascii_uppercase())),
            Self::AsciiNumeric => numeric_cmp(value, key),
        }
    }

    fn contains(self, value: &str, key: &str) -> bool {
        match self {
            Self::Octet => value.contains(key),
            _ => value
                .to_ascii_lowercase()
                .contains(&key.to_ascii_lowercase()),
        }
    }

    fn char_eq(self, a: char, b: char) -> bool {
        match self {
            Self::Octet => a == b,
            _ => a.eq_ignore_ascii_case(&b),
        }
    }
}

/// The digits a string starts with, without leading zeros; `None` is +infinity.
fn numeric_digits(s: &str) -> Option<&str> {
    let digits_len = s.bytes().take_while(u8::is_ascii_digit).count();
    if digits_len == 0 {
        return None;
    }
    let digits = &s[..digits_len];
    let trimmed = digits.trim_start_matches('0');
    Some(if trimmed.is_empty() { "0" } else { trimmed })
}

/// Compares arbitrarily long numbers without overflow: length first, then digits.
fn numeric_cmp(a: &str, b: &str) -> Ordering {
    match (numeric_digits(a), numeric_digits(b)) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => x.len().cmp(&y.len()).then_with(|| x.cmp(y)),
    }
}

/// A relational operator of RFC 5231.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Relation {
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
    Ne,
}

impl Relation {
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "gt" => Some(Self::Gt),
            "ge" => Some(Self::Ge),
            "lt" => Some(Self::Lt),
            "le" => Some(Self::Le),
            "eq" => Some(Self::Eq),
            "ne" => Some(Self::Ne),
            _ => None,
        }
    }

    fn holds(self, ordering: Ordering) -> bool {
        match self {
            Self::Gt => ordering == Ordering::Greater,
            Self::Ge => ordering != Ordering::Less,
            Self::Lt => ordering == Ordering::Less,
            Self::Le => ordering != Ordering::Greater,
            Self::Eq => ordering == Ordering::Equal,
            Self::Ne => ordering != Ordering::Equal,
        }
    }
}

/// A match type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MatchType {
    Is,
    Contains,
    Matches,
    Count(Relation),
    Value(Relation),
}

/// Comparator and match type of one test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Matcher {
    pub(crate) comparator: Comparator,
    pub(crate) match_type: MatchType,
}

impl Default for Matcher {
    fn default() -> Self {
        Self {
            comparator: Comparator::AsciiCasemap,
            match_type: MatchType::Is,
        }
    }
}

/// The outcome of comparing one value with one key.
pub(crate) enum KeyMatch {
    No,
    Yes,
    /// A `:matches` success with the text of each wildcard, in order.
    Captured(Vec<String>),
}

/// Work budget for matching (bytes scanned and wildcard steps), shared by a whole run.
pub(crate) struct Fuel {
    pub(crate) remaining: u64,
}

/// Ran out of [`Fuel`].
#[derive(Debug)]
pub(crate) struct OutOfFuel;

impl Matcher {
    /// Compares one value with one key (`:count` is handled by the caller, on the
    /// number of values). `capture` asks for wildcard texts on a `:matches` success.
    pub(crate) fn compare(
        &self,
        value: &str,
        key: &str,
        capture: bool,
        fuel: &mut Fuel,
    ) -> Result<KeyMatch, OutOfFuel> {
        let c = self.comparator;
        if self.match_type != MatchType::Matches {
            // Every other comparison scans both strings at most once.
            let cost = u64::try_from(value.len() + key.len()).unwrap_or(u64::MAX);
            fuel.remaining = fuel.remaining.checked_sub(cost).ok_or(OutOfFuel)?;
        }
        let hit = match self.match_type {
            MatchType::Is => c.equals(value, key),
            MatchType::Contains => c.contains(value, key),
            MatchType::Value(relation) => relation.holds(c.order(value, key)),
            MatchType::Count(relation) => relation.holds(c.order(value, key)),
            MatchType::Matches => {
                return Ok(match wildcard(value, key, c, fuel)? {
                    Some(captures) if capture => KeyMatch::Captured(captures),
                    Some(_) => KeyMatch::Yes,
                    None => KeyMatch::No,
                });
            }
        };
        Ok(if hit { KeyMatch::Yes } else { KeyMatch::No })
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Glob {
    Literal(char),
    One,
    Many,
}

fn compile_pattern(pattern: &str) -> Vec<Glob> {
    let mut out = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        out.push(match c {
            '*' => Glob::Many,
            '?' => Glob::One,
            // "\" makes the next character literal; a trailing one is itself.
            '\\' => Glob::Literal(chars.next().unwrap_or('\\')),
            other => Glob::Literal(other),
        });
    }
    out
}

/// Wildcard match of the whole `value` against `pattern`: `*` is any run of
/// characters, `?` one character, `\` escapes. Returns the text of every wildcard on
/// success. Earlier `*`s take as little as possible (RFC 5229's examples: `"[*] *"`
/// splits `"[a] [b] c"` after `a`), which the classic last-star backtracking gives.
fn wildcard(
    value: &str,
    pattern: &str,
    comparator: Comparator,
    fuel: &mut Fuel,
) -> Result<Option<Vec<String>>, OutOfFuel> {
    let text: Vec<char> = value.chars().collect();
    let glob = compile_pattern(pattern);
    // For each pattern element: the text range it covered.
    let mut spans: Vec<(usize, usize)> = vec![(0, 0); glob.len()];
    let (mut p, mut t) = (0usize, 0usize);
    // The last star seen: (its pattern index, where its text starts, where it ends now).
    let mut star: Option<(usize, usize, usize)> = None;
    while t < text.len() {
        fuel.remaining = fuel.remaining.checked_sub(1).ok_or(OutOfFuel)?;
        match glob.get(p) {
            Some(Glob::Many) => {
                spans[p] = (t, t);
                star = Some((p, t, t));
                p += 1;
            }
            Some(Glob::One) => {
                spans[p] = (t, t + 1);
                p += 1;
                t += 1;
            }
            Some(Glob::Literal(c)) if comparator.char_eq(*c, text[t]) => {
                spans[p] = (t, t + 1);
                p += 1;
                t += 1;
            }
            _ => {
                let Some((sp, start, end)) = star else {
                    return Ok(None);
                };
                let end = end + 1;
                star = Some((sp, start, end));
                spans[sp] = (start, end);
                p = sp + 1;
                t = end;
            }
        }
    }
    while glob.get(p) == Some(&Glob::Many) {
        spans[p] = (text.len(), text.len());
        p += 1;
    }
    if p != glob.len() {
        return Ok(None);
    }
    let captures = glob
        .iter()
        .zip(&spans)
        .filter(|(g, _)| !matches!(g, Glob::Literal(_)))
        .map(|(_, &(a, b))| text[a..b].iter().collect())
        .collect();
    Ok(Some(captures))
}

/// Escapes `*`, `?` and `\` so that a value matches itself under `:matches`
/// (the `:quotewildcard` modifier of RFC 5229).
pub(crate) fn quote_wildcard(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '*' | '?' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fuel() -> Fuel {
        Fuel {
            remaining: 1_000_000,
        }
    }

    fn caps(value: &str, pattern: &str) -> Option<Vec<String>> {
        wildcard(value, pattern, Comparator::AsciiCasemap, &mut fuel()).unwrap()
    }

    #[test]
    fn wildcards() {
        assert!(caps("frobnitzm", "frob*").is_some());
        assert!(caps("frobnitzm", "*nit?m").is_some());
        assert!(caps("frobnitzm", "*nit?").is_none());
        assert!(caps("", "*").is_some());
        assert!(caps("", "?").is_none());
        assert!(caps("", "").is_some());
        assert!(caps("a", "").is_none());
        assert!(caps("a*b", "a\\*b").is_some());
        assert!(caps("axb", "a\\*b").is_none());
        assert!(caps("a?", "a\\?").is_some());
        assert!(caps("a\\", "a\\\\").is_some());
        assert!(caps("MAKE money FAST", "*make*money*fast*").is_some());
        assert!(
            wildcard("ABC", "abc", Comparator::Octet, &mut fuel())
                .unwrap()
                .is_none()
        );
        assert!(caps("héllo", "h?llo").is_some());
    }

    #[test]
    fn captures_follow_rfc5229() {
        assert_eq!(
            caps("[acme-users] [fwd] version 1.0 is out", "[*] *").unwrap(),
            vec!["acme-users", "[fwd] version 1.0 is out"]
        );
        assert_eq!(
            caps("coyote@ACME.Example.COM", "coyote@**.com").unwrap(),
            vec!["", "ACME.Example"]
        );
        assert_eq!(
            caps("List <l@example.org>", "*<*@*").unwrap(),
            vec!["List ", "l", "example.org>"]
        );
        assert_eq!(caps("abc", "?*?").unwrap(), vec!["a", "b", "c"]);
    }

    #[test]
    fn fuel_bounds_work() {
        let value = "a".repeat(5000);
        let pattern = "*".to_owned() + &"a".repeat(100) + "b";
        let mut small = Fuel { remaining: 100_000 };
        assert!(wildcard(&value, &pattern, Comparator::Octet, &mut small).is_err());
        let mut plenty = Fuel {
            remaining: 10_000_000,
        };
        assert!(
            wildcard(&value, &pattern, Comparator::Octet, &mut plenty)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn numeric_comparator() {
        let n = Comparator::AsciiNumeric;
        assert!(n.equals("007", "7"));
        assert!(n.equals("12abc", "12"));
        assert!(n.equals("abc", "xyz"));
        assert!(!n.equals("0", "abc"));
        assert_eq!(n.order("10", "9"), Ordering::Greater);
        assert_eq!(
            n.order("abc", "99999999999999999999999999"),
            Ordering::Greater
        );
        assert_eq!(
            n.order("123456789012345678901234567890", "2"),
            Ordering::Greater
        );
        assert_eq!(n.order("", "0"), Ordering::Greater);
    }

    #[test]
    fn casemap_and_octet() {
        let m = Matcher::default();
        let mut f = fuel();
        assert!(matches!(
            m.compare("Hello", "hELLO", false, &mut f),
            Ok(KeyMatch::Yes)
        ));
        let octet = Matcher {
            comparator: Comparator::Octet,
            match_type: MatchType::Contains,
        };
        assert!(matches!(
            octet.compare("You can MAKE MONEY FAST", "MAKE MONEY FAST", false, &mut f),
            Ok(KeyMatch::Yes)
        ));
        assert!(matches!(
            octet.compare("You can Make Money Fast", "MAKE MONEY FAST", false, &mut f),
            Ok(KeyMatch::No)
        ));
        // i;ascii-casemap orders as if upper-cased: '_' (0x5F) is above 'Z' but below 'a'.
        assert_eq!(Comparator::AsciiCasemap.order("_", "a"), Ordering::Greater);
        assert_eq!(Comparator::Octet.order("_", "a"), Ordering::Less);
        assert!(Relation::Ne.holds(Ordering::Less));
        assert!(!Relation::Ne.holds(Ordering::Equal));
        assert!(Relation::Ge.holds(Ordering::Equal));
        assert_eq!(quote_wildcard("Rock*"), "Rock\\*");
    }
}
