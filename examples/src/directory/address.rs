//! Address and domain syntax as the directory needs it: lower-cased for comparisons (as
//! Postfix and Dovecot look keys up), and checked before anything becomes a path.

use std::fmt;

/// Why an address or domain was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum AddressError {
    /// No `@`, or nothing on one side of it.
    #[error("expected local-part@domain")]
    NotAnAddress,
    /// The local part is longer than 64 octets or has characters we do not accept.
    #[error("the local part is too long or has a space, control character or '\"'")]
    BadLocalPart,
    /// The domain is not a host name (labels of letters, digits and hyphens).
    #[error("the domain is not a valid host name")]
    BadDomain,
    /// The local part cannot name a directory below the vmail root.
    #[error("the local part cannot be a mailbox directory name ('/', '.', '..')")]
    UnsafeForPath,
}

/// An address split at its last `@`, both halves lower-cased.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Address {
    /// The local part, lower-cased.
    pub(crate) local: String,
    /// The domain, lower-cased.
    pub(crate) domain: String,
}

impl Address {
    /// Parses `local@domain` (surrounding `<>` and whitespace are ignored).
    pub(crate) fn parse(text: &str) -> Result<Self, AddressError> {
        let text = text.trim();
        let text = text
            .strip_prefix('<')
            .and_then(|t| t.strip_suffix('>'))
            .unwrap_or(text);
        let (local, domain) = text.rsplit_once('@').ok_or(AddressError::NotAnAddress)?;
        if local.is_empty() || domain.is_empty() {
            return Err(AddressError::NotAnAddress);
        }
        check_local_part(local)?;
        check_domain(domain)?;
        Ok(Self {
            local: local.to_lowercase(),
            domain: domain.to_ascii_lowercase(),
        })
    }

    /// The local part without a `+tag` (the recipient delimiter is `+`), if it has one.
    pub(crate) fn without_tag(&self) -> Option<Self> {
        let (base, _tag) = self.local.split_once('+')?;
        (!base.is_empty()).then(|| Self {
            local: base.to_owned(),
            domain: self.domain.clone(),
        })
    }

    /// Refuses local parts that would escape or confuse `<vmail>/<domain>/<local>/`.
    pub(crate) fn check_path_safe(&self) -> Result<(), AddressError> {
        let bad = self.local == "." || self.local == ".." || self.local.contains(['/', '\\']);
        if bad {
            Err(AddressError::UnsafeForPath)
        } else {
            Ok(())
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.local, self.domain)
    }
}

fn check_local_part(local: &str) -> Result<(), AddressError> {
    let bad_char = |c: char| c.is_whitespace() || c.is_control() || c == '"' || c == '@';
    if local.len() > 64 || local.chars().any(bad_char) {
        return Err(AddressError::BadLocalPart);
    }
    Ok(())
}

/// Checks a host name: 1 to 253 octets, labels of 1 to 63 letters, digits and hyphens
/// that neither start nor end with a hyphen. One trailing dot is allowed.
pub(crate) fn check_domain(domain: &str) -> Result<(), AddressError> {
    let domain = domain.strip_suffix('.').unwrap_or(domain);
    if domain.is_empty() || domain.len() > 253 {
        return Err(AddressError::BadDomain);
    }
    let label_ok = |label: &str| {
        (1..=63).contains(&label.len())
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if domain.split('.').all(label_ok) {
        Ok(())
    } else {
        Err(AddressError::BadDomain)
    }
}

/// Parses a domain name as stored and compared: checked and lower-cased, no trailing dot.
pub(crate) fn normalize_domain(domain: &str) -> Result<String, AddressError> {
    let domain = domain.trim();
    check_domain(domain)?;
    let domain = domain.strip_suffix('.').unwrap_or(domain);
    Ok(domain.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_lowercases() {
        let a = Address::parse(" <John.Doe@Example.TEST> ").unwrap();
        assert_eq!(a.local, "john.doe");
        assert_eq!(a.domain, "example.test");
        assert_eq!(a.to_string(), "john.doe@example.test");
    }

    #[test]
    fn refuses_malformed() {
        for bad in ["", "nobody", "@example.test", "user@", "a b@example.test"] {
            assert!(Address::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            Address::parse("user@exa_mple.test"),
            Err(AddressError::BadDomain)
        );
        assert_eq!(
            Address::parse(&format!("{}@example.test", "x".repeat(65))),
            Err(AddressError::BadLocalPart)
        );
    }

    #[test]
    fn tags_and_path_safety() {
        let a = Address::parse("jane+lists@example.test").unwrap();
        assert_eq!(a.without_tag().unwrap().to_string(), "jane@example.test");
        assert_eq!(
            Address::parse("+x@example.test").unwrap().without_tag(),
            None
        );
        assert_eq!(
            Address::parse("jane@example.test").unwrap().without_tag(),
            None
        );
        for unsafe_local in ["..@example.test", "a/b@example.test", ".@example.test"] {
            let a = Address::parse(unsafe_local).unwrap();
            assert_eq!(a.check_path_safe(), Err(AddressError::UnsafeForPath));
        }
    }

    #[test]
    fn domains() {
        assert_eq!(normalize_domain("Example.TEST.").unwrap(), "example.test");
        assert!(check_domain("localhost").is_ok());
        for bad in ["-a.test", "a-.test", "a..test", "", &"a".repeat(64)] {
            assert!(check_domain(bad).is_err(), "{bad:?}");
        }
    }
}
