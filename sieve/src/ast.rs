//! The compiled form of a script: validated commands and tests, ready to run.

use crate::address::AddressPart;
use crate::error::Position;
use crate::matching::Matcher;
use crate::strings::Str;

/// A command and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Command {
    pub(crate) kind: CommandKind,
    pub(crate) at: Position,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CommandKind {
    /// `if`, its `elsif`s and an optional `else`.
    If {
        branches: Vec<(Test, Vec<Command>)>,
        otherwise: Option<Vec<Command>>,
    },
    Stop,
    Keep {
        flags: Option<Vec<Str>>,
    },
    Discard,
    FileInto {
        mailbox: Str,
        flags: Option<Vec<Str>>,
        copy: bool,
        create: bool,
    },
    Redirect {
        address: Str,
        copy: bool,
    },
    Vacation(Box<Vacation>),
    /// `setflag`, `addflag` or `removeflag`; `variable` is `None` for the internal one.
    Flags {
        op: FlagOp,
        variable: Option<String>,
        flags: Vec<Str>,
    },
    Set {
        name: String,
        value: Str,
        modifiers: Vec<Modifier>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FlagOp {
    Set,
    Add,
    Remove,
}

/// `set` modifiers (RFC 5229 section 4.1), kept in the order they apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Modifier {
    Lower,
    Upper,
    LowerFirst,
    UpperFirst,
    QuoteWildcard,
    Length,
}

impl Modifier {
    /// RFC 5229 precedence: higher applies first; two of the same is an error.
    pub(crate) fn precedence(self) -> u8 {
        match self {
            Self::Lower | Self::Upper => 40,
            Self::LowerFirst | Self::UpperFirst => 30,
            Self::QuoteWildcard => 20,
            Self::Length => 10,
        }
    }
}

/// The arguments of `vacation`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Vacation {
    pub(crate) days: Option<u64>,
    pub(crate) subject: Option<Str>,
    pub(crate) from: Option<Str>,
    pub(crate) addresses: Vec<Str>,
    pub(crate) mime: bool,
    /// `:handle`, or one derived from the unexpanded arguments (RFC 5230 section 4.2).
    pub(crate) handle: String,
    pub(crate) reason: Str,
}

/// A test and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Test {
    pub(crate) kind: TestKind,
    pub(crate) at: Position,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TestKind {
    True,
    False,
    Not(Box<Test>),
    AllOf(Vec<Test>),
    AnyOf(Vec<Test>),
    Address {
        matcher: Matcher,
        part: AddressPart,
        headers: Vec<Str>,
        keys: Vec<Str>,
    },
    Envelope {
        matcher: Matcher,
        part: AddressPart,
        parts: Vec<Str>,
        keys: Vec<Str>,
    },
    Header {
        matcher: Matcher,
        headers: Vec<Str>,
        keys: Vec<Str>,
    },
    Exists(Vec<Str>),
    Size {
        over: bool,
        limit: u64,
    },
    String {
        matcher: Matcher,
        sources: Vec<Str>,
        keys: Vec<Str>,
    },
    HasFlag {
        matcher: Matcher,
        variables: Option<Vec<String>>,
        keys: Vec<Str>,
    },
    Body {
        matcher: Matcher,
        transform: BodyTransform,
        keys: Vec<Str>,
    },
    MailboxExists(Vec<Str>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BodyTransform {
    Raw,
    Content(Vec<Str>),
    Text,
}
