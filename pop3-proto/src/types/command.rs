//! POP3 commands (RFC 1939, RFC 2449 CAPA, RFC 2595 STLS, RFC 5034 AUTH, RFC 6856 UTF8/LANG).

use std::borrow::Cow;
use std::num::NonZeroU32;

use super::{ApopDigest, Password, SaslData};

/// A command from client to server.
///
/// Message numbers are 1-based (`NonZeroU32`), so `RETR 0` cannot be expressed; the
/// decoder reports it as invalid. Text arguments never contain CR, LF or NUL (the
/// decoder refuses them and the encoder replaces them with spaces).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command<'a> {
    /// `USER name`: the rest of the line is the name.
    User(Cow<'a, str>),
    /// `PASS string`: the rest of the line is the password (it may contain spaces).
    Pass(Password<'a>),
    /// `APOP name digest`.
    Apop {
        /// The mailbox name (no spaces).
        name: Cow<'a, str>,
        /// MD5 over the greeting timestamp and the shared secret.
        digest: ApopDigest,
    },
    /// `AUTH mechanism [initial-response]` (RFC 5034).
    Auth {
        /// The SASL mechanism name, upper case.
        mechanism: Cow<'a, str>,
        /// The decoded initial response; `Some(empty)` is sent as `=`.
        initial_response: Option<SaslData>,
    },
    /// `STLS` (RFC 2595).
    Stls,
    /// `CAPA` (RFC 2449).
    Capa,
    /// `UTF8` (RFC 6856).
    Utf8,
    /// `LANG [lang-range]` (RFC 6856): without an argument, list the languages.
    Lang(Option<Cow<'a, str>>),
    /// `STAT`.
    Stat,
    /// `LIST [msg]`.
    List(Option<NonZeroU32>),
    /// `RETR msg`.
    Retr(NonZeroU32),
    /// `DELE msg`.
    Dele(NonZeroU32),
    /// `NOOP`.
    Noop,
    /// `RSET`.
    Rset,
    /// `QUIT`.
    Quit,
    /// `TOP msg n`: the header and the first `lines` lines of the body.
    Top {
        /// The message number.
        msg: NonZeroU32,
        /// How many body lines to send.
        lines: u32,
    },
    /// `UIDL [msg]`.
    Uidl(Option<NonZeroU32>),
}

/// The keyword of a command, without its arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CommandKind {
    /// `USER`.
    User,
    /// `PASS`.
    Pass,
    /// `APOP`.
    Apop,
    /// `AUTH`.
    Auth,
    /// `STLS`.
    Stls,
    /// `CAPA`.
    Capa,
    /// `UTF8`.
    Utf8,
    /// `LANG`.
    Lang,
    /// `STAT`.
    Stat,
    /// `LIST`.
    List,
    /// `RETR`.
    Retr,
    /// `DELE`.
    Dele,
    /// `NOOP`.
    Noop,
    /// `RSET`.
    Rset,
    /// `QUIT`.
    Quit,
    /// `TOP`.
    Top,
    /// `UIDL`.
    Uidl,
}

impl CommandKind {
    /// Every keyword, in the order of RFC 1939 and the extensions.
    pub const ALL: [Self; 17] = [
        Self::User,
        Self::Pass,
        Self::Apop,
        Self::Auth,
        Self::Stls,
        Self::Capa,
        Self::Utf8,
        Self::Lang,
        Self::Stat,
        Self::List,
        Self::Retr,
        Self::Dele,
        Self::Noop,
        Self::Rset,
        Self::Quit,
        Self::Top,
        Self::Uidl,
    ];

    /// The keyword as sent on the wire (upper case).
    pub const fn keyword(self) -> &'static str {
        match self {
            Self::User => "USER",
            Self::Pass => "PASS",
            Self::Apop => "APOP",
            Self::Auth => "AUTH",
            Self::Stls => "STLS",
            Self::Capa => "CAPA",
            Self::Utf8 => "UTF8",
            Self::Lang => "LANG",
            Self::Stat => "STAT",
            Self::List => "LIST",
            Self::Retr => "RETR",
            Self::Dele => "DELE",
            Self::Noop => "NOOP",
            Self::Rset => "RSET",
            Self::Quit => "QUIT",
            Self::Top => "TOP",
            Self::Uidl => "UIDL",
        }
    }

    /// Looks a keyword up, ignoring case.
    pub fn from_keyword(word: &[u8]) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.keyword().as_bytes().eq_ignore_ascii_case(word))
    }
}

impl Command<'_> {
    /// The keyword of this command.
    pub const fn kind(&self) -> CommandKind {
        match self {
            Self::User(_) => CommandKind::User,
            Self::Pass(_) => CommandKind::Pass,
            Self::Apop { .. } => CommandKind::Apop,
            Self::Auth { .. } => CommandKind::Auth,
            Self::Stls => CommandKind::Stls,
            Self::Capa => CommandKind::Capa,
            Self::Utf8 => CommandKind::Utf8,
            Self::Lang(_) => CommandKind::Lang,
            Self::Stat => CommandKind::Stat,
            Self::List(_) => CommandKind::List,
            Self::Retr(_) => CommandKind::Retr,
            Self::Dele(_) => CommandKind::Dele,
            Self::Noop => CommandKind::Noop,
            Self::Rset => CommandKind::Rset,
            Self::Quit => CommandKind::Quit,
            Self::Top { .. } => CommandKind::Top,
            Self::Uidl(_) => CommandKind::Uidl,
        }
    }

    /// Detaches the command from the buffer it was decoded from.
    pub fn into_owned(self) -> Command<'static> {
        let own = |c: Cow<'_, str>| Cow::Owned(c.into_owned());
        match self {
            Self::User(name) => Command::User(own(name)),
            Self::Pass(p) => Command::Pass(p.into_owned()),
            Self::Apop { name, digest } => Command::Apop {
                name: own(name),
                digest,
            },
            Self::Auth {
                mechanism,
                initial_response,
            } => Command::Auth {
                mechanism: own(mechanism),
                initial_response,
            },
            Self::Lang(l) => Command::Lang(l.map(own)),
            Self::Stls => Command::Stls,
            Self::Capa => Command::Capa,
            Self::Utf8 => Command::Utf8,
            Self::Stat => Command::Stat,
            Self::List(m) => Command::List(m),
            Self::Retr(m) => Command::Retr(m),
            Self::Dele(m) => Command::Dele(m),
            Self::Noop => Command::Noop,
            Self::Rset => Command::Rset,
            Self::Quit => Command::Quit,
            Self::Top { msg, lines } => Command::Top { msg, lines },
            Self::Uidl(m) => Command::Uidl(m),
        }
    }
}
