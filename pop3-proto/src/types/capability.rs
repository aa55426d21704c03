//! Capabilities listed in answer to CAPA (RFC 2449 section 6, RFC 2595, RFC 6856).

use std::fmt::Write as _;

/// The `EXPIRE` policy (RFC 2449 section 6.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expire {
    /// `NEVER`: messages are never deleted by the server.
    Never,
    /// Messages may be deleted this many days after they were first retrieved (0 means
    /// right after the session that retrieved them).
    Days(u32),
}

/// One capability line.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Capability {
    /// `TOP`.
    Top,
    /// `USER`: USER/PASS login is available.
    User,
    /// `SASL mech...`: the AUTH mechanisms (RFC 5034).
    Sasl(Vec<String>),
    /// `RESP-CODES`: responses carry extended codes.
    RespCodes,
    /// `AUTH-RESP-CODE`: the `[AUTH]` code is used (RFC 3206).
    AuthRespCode,
    /// `LOGIN-DELAY seconds [USER]`.
    LoginDelay {
        /// Minimum seconds between logins.
        seconds: u32,
        /// Whether the value may differ per user (sent before login).
        per_user: bool,
    },
    /// `PIPELINING`.
    Pipelining,
    /// `EXPIRE policy [USER]`.
    Expire {
        /// The retention policy.
        policy: Expire,
        /// Whether the value may differ per user (sent before login).
        per_user: bool,
    },
    /// `UIDL`.
    Uidl,
    /// `IMPLEMENTATION text`.
    Implementation(String),
    /// `STLS` (RFC 2595).
    Stls,
    /// `UTF8 [USER]` (RFC 6856); `user` means UTF-8 user names and passwords are accepted.
    Utf8 {
        /// The `USER` argument was given.
        user: bool,
    },
    /// `LANG` (RFC 6856).
    Lang,
    /// Anything else.
    Other {
        /// The capability name, as sent.
        name: String,
        /// Its arguments.
        args: Vec<String>,
    },
}

impl Capability {
    /// Parses one line of a CAPA response (without its CRLF). Unknown or malformed
    /// capabilities become [`Capability::Other`]; `None` for an empty line.
    pub fn parse(line: &str) -> Option<Self> {
        let mut words = line.split_ascii_whitespace();
        let name = words.next()?;
        let args: Vec<&str> = words.collect();
        let upper = name.to_ascii_uppercase();
        let per_user = |rest: &[&str]| match rest {
            [] => Some(false),
            [u] if u.eq_ignore_ascii_case("USER") => Some(true),
            _ => None,
        };
        let parsed = match (upper.as_str(), args.as_slice()) {
            ("TOP", []) => Some(Self::Top),
            ("USER", []) => Some(Self::User),
            ("SASL", mechs) => Some(Self::Sasl(
                mechs.iter().map(|m| m.to_ascii_uppercase()).collect(),
            )),
            ("RESP-CODES", []) => Some(Self::RespCodes),
            ("AUTH-RESP-CODE", []) => Some(Self::AuthRespCode),
            ("PIPELINING", []) => Some(Self::Pipelining),
            ("UIDL", []) => Some(Self::Uidl),
            ("STLS", []) => Some(Self::Stls),
            ("LANG", []) => Some(Self::Lang),
            ("UTF8", rest) => per_user(rest).map(|user| Self::Utf8 { user }),
            ("LOGIN-DELAY", [n, rest @ ..]) => n
                .parse()
                .ok()
                .zip(per_user(rest))
                .map(|(seconds, per_user)| Self::LoginDelay { seconds, per_user }),
            ("EXPIRE", [p, rest @ ..]) => {
                let policy = if p.eq_ignore_ascii_case("NEVER") {
                    Some(Expire::Never)
                } else {
                    p.parse().ok().map(Expire::Days)
                };
                policy
                    .zip(per_user(rest))
                    .map(|(policy, per_user)| Self::Expire { policy, per_user })
            }
            ("IMPLEMENTATION", _) => {
                let text = line[name.len()..].trim_start();
                Some(Self::Implementation(text.to_owned()))
            }
            _ => None,
        };
        Some(parsed.unwrap_or_else(|| Self::Other {
            name: name.to_owned(),
            args: args.iter().map(|a| (*a).to_owned()).collect(),
        }))
    }

    /// The capability line, without CRLF.
    pub fn to_line(&self) -> String {
        let user = |per_user: bool| if per_user { " USER" } else { "" };
        match self {
            Self::Top => "TOP".into(),
            Self::User => "USER".into(),
            Self::Sasl(mechs) => {
                let mut s = String::from("SASL");
                for m in mechs {
                    s.push(' ');
                    s.push_str(m);
                }
                s
            }
            Self::RespCodes => "RESP-CODES".into(),
            Self::AuthRespCode => "AUTH-RESP-CODE".into(),
            Self::LoginDelay { seconds, per_user } => {
                format!("LOGIN-DELAY {seconds}{}", user(*per_user))
            }
            Self::Pipelining => "PIPELINING".into(),
            Self::Expire { policy, per_user } => match policy {
                Expire::Never => format!("EXPIRE NEVER{}", user(*per_user)),
                Expire::Days(d) => format!("EXPIRE {d}{}", user(*per_user)),
            },
            Self::Uidl => "UIDL".into(),
            Self::Implementation(text) => format!("IMPLEMENTATION {text}"),
            Self::Stls => "STLS".into(),
            Self::Utf8 { user: u } => format!("UTF8{}", user(*u)),
            Self::Lang => "LANG".into(),
            Self::Other { name, args } => {
                let mut s = name.clone();
                for a in args {
                    let _ = write!(s, " {a}");
                }
                s
            }
        }
    }
}

/// The capabilities a server listed, in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Capabilities(pub Vec<Capability>);

impl Capabilities {
    /// Whether `cap` is listed.
    pub fn contains(&self, cap: &Capability) -> bool {
        self.0.contains(cap)
    }

    /// Whether STLS is offered.
    pub fn stls(&self) -> bool {
        self.contains(&Capability::Stls)
    }

    /// Whether USER/PASS is offered.
    pub fn user(&self) -> bool {
        self.contains(&Capability::User)
    }

    /// The SASL mechanisms offered (empty if none).
    pub fn sasl_mechanisms(&self) -> &[String] {
        self.0
            .iter()
            .find_map(|c| match c {
                Capability::Sasl(m) => Some(m.as_slice()),
                _ => None,
            })
            .unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The capabilities of RFC 2449 section 6 and its examples.
    #[test]
    fn parses_rfc2449_capabilities() {
        let table = [
            ("TOP", Capability::Top),
            ("USER", Capability::User),
            (
                "SASL CRAM-MD5 KERBEROS_V4",
                Capability::Sasl(vec!["CRAM-MD5".into(), "KERBEROS_V4".into()]),
            ),
            ("RESP-CODES", Capability::RespCodes),
            (
                "LOGIN-DELAY 900",
                Capability::LoginDelay {
                    seconds: 900,
                    per_user: false,
                },
            ),
            ("PIPELINING", Capability::Pipelining),
            (
                "EXPIRE 60",
                Capability::Expire {
                    policy: Expire::Days(60),
                    per_user: false,
                },
            ),
            (
                "EXPIRE NEVER USER",
                Capability::Expire {
                    policy: Expire::Never,
                    per_user: true,
                },
            ),
            ("UIDL", Capability::Uidl),
            (
                "IMPLEMENTATION Shlemazle-Plotz-v302",
                Capability::Implementation("Shlemazle-Plotz-v302".into()),
            ),
            ("STLS", Capability::Stls),
            ("UTF8 USER", Capability::Utf8 { user: true }),
            ("LANG", Capability::Lang),
            (
                "X-FOO bar",
                Capability::Other {
                    name: "X-FOO".into(),
                    args: vec!["bar".into()],
                },
            ),
            (
                "LOGIN-DELAY soon",
                Capability::Other {
                    name: "LOGIN-DELAY".into(),
                    args: vec!["soon".into()],
                },
            ),
        ];
        for (line, cap) in table {
            assert_eq!(Capability::parse(line).as_ref(), Some(&cap), "{line}");
            assert_eq!(Capability::parse(&cap.to_line()), Some(cap), "{line}");
        }
        assert_eq!(Capability::parse("   "), None);
    }
}
