//! Server responses (RFC 9051 section 7, RFC 3501 section 7): continuation requests,
//! status responses with their response codes, and the untagged data responses.
//!
//! The data of FETCH ([`FetchItem`](super::FetchItem)) and of the other data responses
//! ([`MailboxList`](super::MailboxList), [`ESearch`](super::ESearch), ...) is defined
//! next to this module; [`Response`] ties them together.

use std::borrow::Cow;
use std::num::NonZeroU32;

use super::core::{Atom, Tag, ValidationError, owned};
use super::response_data::{
    ESearch, IdParams, MailboxList, MailboxStatus, Namespace, Quota, QuotaRoot, SearchData,
    ThreadNode, UidSet,
};
use super::response_fetch::Fetch;
use super::{Capability, Flag, FlagPerm, SequenceSet};

/// One response from server to client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response<'a> {
    /// `+ ...`: the server waits for more client data (literal, AUTHENTICATE, IDLE).
    Continuation(Continuation<'a>),
    /// `tag OK|NO|BAD ...`: the completion of a command.
    Tagged(Tagged<'a>),
    /// `* ...`: status or data not tied to a command's completion.
    Untagged(Untagged<'a>),
}

impl Response<'_> {
    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> Response<'static> {
        match self {
            Self::Continuation(c) => Response::Continuation(c.into_owned()),
            Self::Tagged(t) => Response::Tagged(t.into_owned()),
            Self::Untagged(u) => Response::Untagged(u.into_owned()),
        }
    }
}

/// The result of a command: `OK`, `NO` or `BAD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusKind {
    /// `OK`: success.
    Ok,
    /// `NO`: operational failure.
    No,
    /// `BAD`: protocol error (unknown command, syntax error).
    Bad,
}

impl StatusKind {
    /// The keyword as sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::No => "NO",
            Self::Bad => "BAD",
        }
    }
}

/// A tagged status response: `tag OK|NO|BAD [code] text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tagged<'a> {
    /// The tag of the command this completes.
    pub tag: Tag<'a>,
    /// The result.
    pub status: StatusKind,
    /// Response code and human-readable text.
    pub text: RespText<'a>,
}

impl Tagged<'_> {
    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> Tagged<'static> {
        Tagged {
            tag: self.tag.into_owned(),
            status: self.status,
            text: self.text.into_owned(),
        }
    }
}

/// Human-readable text of a response (`text`): no CR, LF or NUL. It may be empty
/// (RFC 9051 makes it optional).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Text<'a>(Cow<'a, str>);

impl<'a> Text<'a> {
    /// Builds a text; fails on CR, LF or NUL.
    pub fn new(text: impl Into<Cow<'a, str>>) -> Result<Self, ValidationError> {
        let text = text.into();
        if text.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
            return Err(ValidationError::new(
                "response text",
                "contains CR, LF or NUL",
            ));
        }
        Ok(Self(text))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> Text<'static> {
        Text(owned(self.0))
    }
}

/// `resp-text`: an optional response code in brackets and a text.
///
/// Without a code the text must not start with `[`, or it would read as one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RespText<'a> {
    code: Option<Code<'a>>,
    text: Text<'a>,
}

impl<'a> RespText<'a> {
    /// Text with an optional code; fails when the text is invalid or, without a code,
    /// starts with `[`.
    pub fn new(
        code: Option<Code<'a>>,
        text: impl Into<Cow<'a, str>>,
    ) -> Result<Self, ValidationError> {
        let text = Text::new(text)?;
        if code.is_none() && text.as_str().starts_with('[') {
            return Err(ValidationError::new(
                "response text",
                "starts with [ but has no response code",
            ));
        }
        Ok(Self { code, text })
    }

    /// Plain text without a code.
    pub fn plain(text: impl Into<Cow<'a, str>>) -> Result<Self, ValidationError> {
        Self::new(None, text)
    }

    /// The response code, if any.
    pub fn code(&self) -> Option<&Code<'a>> {
        self.code.as_ref()
    }

    /// The text.
    pub fn text(&self) -> &str {
        self.text.as_str()
    }

    /// Splits into code and text.
    pub fn into_parts(self) -> (Option<Code<'a>>, Text<'a>) {
        (self.code, self.text)
    }

    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> RespText<'static> {
        RespText {
            code: self.code.map(Code::into_owned),
            text: self.text.into_owned(),
        }
    }

    pub(crate) fn from_parts(code: Option<Code<'a>>, text: Text<'a>) -> Self {
        Self { code, text }
    }
}

/// A continuation request (`continue-req = "+" SP (resp-text / base64)`).
///
/// On the wire the two forms cannot always be told apart (`+ idle` is valid base64). The
/// decoder reads a line without a response code that is valid base64 as
/// [`Continuation::Base64`] (an empty line too); a client that expects a text prompt can
/// still read it with [`Continuation::text`]. To keep the round trip exact, the text
/// form cannot be built with such a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Continuation<'a> {
    /// A human-readable prompt, with an optional response code.
    Text(ContinueText<'a>),
    /// Base64 data (an AUTHENTICATE challenge), held decoded.
    Base64(Cow<'a, [u8]>),
}

/// The text form of a continuation request. See [`Continuation`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContinueText<'a>(RespText<'a>);

impl<'a> ContinueText<'a> {
    /// A prompt; fails when the text has no code and is valid base64 (including empty).
    pub fn new(text: RespText<'a>) -> Result<Self, ValidationError> {
        if text.code().is_none() && base64_decode(text.text().as_bytes()).is_some() {
            return Err(ValidationError::new(
                "continuation text",
                "reads as base64; use Continuation::Base64",
            ));
        }
        Ok(Self(text))
    }

    /// The code and text.
    pub fn resp_text(&self) -> &RespText<'a> {
        &self.0
    }

    /// Wraps a decoded text, which the decoder only builds when it is not base64.
    pub(crate) fn from_decoded(text: RespText<'a>) -> Self {
        Self(text)
    }
}

/// Decodes RFC 4648 base64 with padding (IMAP's `base64` rule); `None` if it is not.
pub(crate) fn base64_decode(b: &[u8]) -> Option<Vec<u8>> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(b).ok()
}

/// Encodes bytes as base64 with padding.
pub(crate) fn base64_text(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(data)
}

impl<'a> Continuation<'a> {
    /// A prompt without a code, e.g. `+ Ready for literal data`; fails like
    /// [`ContinueText::new`].
    pub fn text(text: impl Into<Cow<'a, str>>) -> Result<Self, ValidationError> {
        Ok(Self::Text(ContinueText::new(RespText::plain(text)?)?))
    }

    /// The line as text: the prompt, or the base64 encoding of the data.
    pub fn line_text(&self) -> Cow<'_, str> {
        match self {
            Self::Text(t) => Cow::Borrowed(t.0.text()),
            Self::Base64(data) => Cow::Owned(base64_text(data)),
        }
    }

    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> Continuation<'static> {
        match self {
            Self::Text(t) => Continuation::Text(ContinueText(t.0.into_owned())),
            Self::Base64(d) => Continuation::Base64(owned(d)),
        }
    }
}

/// A response code (`resp-text-code`), the machine-readable part of a status response.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Code<'a> {
    /// `ALERT`: show the text to the user.
    Alert,
    /// `BADCHARSET [(charset ...)]`: the SEARCH charset is not supported.
    BadCharset(Vec<Charset<'a>>),
    /// `CAPABILITY ...`: the capabilities, sent in a greeting or after login.
    Capability(Vec<Capability<'a>>),
    /// `PARSE`: a message could not be parsed.
    Parse,
    /// `PERMANENTFLAGS (...)`: the flags that can be changed permanently.
    PermanentFlags(Vec<FlagPerm<'a>>),
    /// `READ-ONLY`.
    ReadOnly,
    /// `READ-WRITE`.
    ReadWrite,
    /// `TRYCREATE`: the target mailbox does not exist but could be created.
    TryCreate,
    /// `UIDNEXT n`.
    UidNext(NonZeroU32),
    /// `UIDVALIDITY n`.
    UidValidity(NonZeroU32),
    /// `UNSEEN n` (IMAP4rev1): the first unseen message.
    Unseen(NonZeroU32),
    /// `APPENDUID validity uids` (RFC 4315; several UIDs after MULTIAPPEND).
    AppendUid {
        /// UIDVALIDITY of the target mailbox.
        uid_validity: NonZeroU32,
        /// UIDs assigned to the appended messages.
        uids: UidSet,
    },
    /// `COPYUID validity source destination` (RFC 4315).
    CopyUid {
        /// UIDVALIDITY of the target mailbox.
        uid_validity: NonZeroU32,
        /// UIDs of the copied messages in the source mailbox.
        source: UidSet,
        /// Their UIDs in the target mailbox, in the same order.
        destination: UidSet,
    },
    /// `UIDNOTSTICKY` (RFC 4315).
    UidNotSticky,
    /// `CLOSED` (RFC 7162, RFC 9051): the previous mailbox is closed.
    Closed,
    /// `HIGHESTMODSEQ n` (RFC 7162).
    HighestModSeq(u64),
    /// `NOMODSEQ` (RFC 7162).
    NoModSeq,
    /// `MODIFIED set` (RFC 7162): messages a conditional STORE did not change.
    Modified(SequenceSet),
    /// `COMPRESSIONACTIVE` (RFC 4978).
    CompressionActive,
    /// `TOOBIG` (RFC 4469, RFC 7889): the message is too large.
    TooBig,
    /// `UNAVAILABLE` (RFC 5530).
    Unavailable,
    /// `AUTHENTICATIONFAILED`.
    AuthenticationFailed,
    /// `AUTHORIZATIONFAILED`.
    AuthorizationFailed,
    /// `EXPIRED`.
    Expired,
    /// `PRIVACYREQUIRED`.
    PrivacyRequired,
    /// `CONTACTADMIN`.
    ContactAdmin,
    /// `NOPERM`.
    NoPerm,
    /// `INUSE`.
    InUse,
    /// `EXPUNGEISSUED`.
    ExpungeIssued,
    /// `CORRUPTION`.
    Corruption,
    /// `SERVERBUG`.
    ServerBug,
    /// `CLIENTBUG`.
    ClientBug,
    /// `CANNOT`.
    Cannot,
    /// `LIMIT`.
    Limit,
    /// `OVERQUOTA`.
    OverQuota,
    /// `ALREADYEXISTS`.
    AlreadyExists,
    /// `NONEXISTENT`.
    NonExistent,
    /// `NOTSAVED` (RFC 5182).
    NotSaved,
    /// `HASCHILDREN` (RFC 9051).
    HasChildren,
    /// `UNKNOWN-CTE` (RFC 3516).
    UnknownCte,
    /// Any other code, with its text kept (`URLMECH ...`, `BADURL ...`, vendor codes).
    Other(OtherCode<'a>),
}

/// The atom-only codes, by name (the others carry arguments).
const SIMPLE_CODES: [(&str, Code<'static>); 30] = [
    ("ALERT", Code::Alert),
    ("PARSE", Code::Parse),
    ("READ-ONLY", Code::ReadOnly),
    ("READ-WRITE", Code::ReadWrite),
    ("TRYCREATE", Code::TryCreate),
    ("UIDNOTSTICKY", Code::UidNotSticky),
    ("CLOSED", Code::Closed),
    ("NOMODSEQ", Code::NoModSeq),
    ("COMPRESSIONACTIVE", Code::CompressionActive),
    ("TOOBIG", Code::TooBig),
    ("UNAVAILABLE", Code::Unavailable),
    ("AUTHENTICATIONFAILED", Code::AuthenticationFailed),
    ("AUTHORIZATIONFAILED", Code::AuthorizationFailed),
    ("EXPIRED", Code::Expired),
    ("PRIVACYREQUIRED", Code::PrivacyRequired),
    ("CONTACTADMIN", Code::ContactAdmin),
    ("NOPERM", Code::NoPerm),
    ("INUSE", Code::InUse),
    ("EXPUNGEISSUED", Code::ExpungeIssued),
    ("CORRUPTION", Code::Corruption),
    ("SERVERBUG", Code::ServerBug),
    ("CLIENTBUG", Code::ClientBug),
    ("CANNOT", Code::Cannot),
    ("LIMIT", Code::Limit),
    ("OVERQUOTA", Code::OverQuota),
    ("ALREADYEXISTS", Code::AlreadyExists),
    ("NONEXISTENT", Code::NonExistent),
    ("NOTSAVED", Code::NotSaved),
    ("HASCHILDREN", Code::HasChildren),
    ("UNKNOWN-CTE", Code::UnknownCte),
];

/// Names of codes that take arguments; [`OtherCode`] must not use them either.
const ARGUMENT_CODES: [&str; 10] = [
    "BADCHARSET",
    "PERMANENTFLAGS",
    "UIDNEXT",
    "UIDVALIDITY",
    "UNSEEN",
    "APPENDUID",
    "COPYUID",
    "HIGHESTMODSEQ",
    "MODIFIED",
    "CAPABILITY",
];

/// The atom-only codes and their names.
pub(crate) fn simple_codes() -> &'static [(&'static str, Code<'static>)] {
    &SIMPLE_CODES
}

/// Whether `name` is the name of a code this crate models with its own variant.
pub(crate) fn is_known_code(name: &str) -> bool {
    SIMPLE_CODES
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case(name))
        || ARGUMENT_CODES.iter().any(|n| n.eq_ignore_ascii_case(name))
}

impl Code<'_> {
    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> Code<'static> {
        match self {
            Self::BadCharset(c) => {
                Code::BadCharset(c.into_iter().map(Charset::into_owned).collect())
            }
            Self::Capability(c) => {
                Code::Capability(c.into_iter().map(Capability::into_owned).collect())
            }
            Self::PermanentFlags(f) => {
                Code::PermanentFlags(f.into_iter().map(FlagPerm::into_owned).collect())
            }
            Self::UidNext(n) => Code::UidNext(n),
            Self::UidValidity(n) => Code::UidValidity(n),
            Self::Unseen(n) => Code::Unseen(n),
            Self::AppendUid { uid_validity, uids } => Code::AppendUid { uid_validity, uids },
            Self::CopyUid {
                uid_validity,
                source,
                destination,
            } => Code::CopyUid {
                uid_validity,
                source,
                destination,
            },
            Self::HighestModSeq(n) => Code::HighestModSeq(n),
            Self::Modified(s) => Code::Modified(s),
            Self::Other(o) => Code::Other(o.into_owned()),
            simple => SIMPLE_CODES
                .iter()
                .find(|(_, c)| *c == simple)
                .map_or(Code::Alert, |(_, c)| c.clone()),
        }
    }
}

/// An unrecognised response code: its name and the rest of the bracket, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherCode<'a> {
    name: Atom<'a>,
    value: Option<Cow<'a, str>>,
}

impl<'a> OtherCode<'a> {
    /// A code; the name must not be one of the codes [`Code`] models, and the value must
    /// be non-empty text without `]`, CR, LF or NUL.
    pub fn new(name: Atom<'a>, value: Option<Cow<'a, str>>) -> Result<Self, ValidationError> {
        if is_known_code(name.as_str()) {
            return Err(ValidationError::new(
                "response code",
                "name of a known code",
            ));
        }
        if name.as_str().contains(']') {
            return Err(ValidationError::new("response code", "name contains ]"));
        }
        if let Some(v) = &value {
            let bad = v.is_empty() || v.bytes().any(|b| matches!(b, b']' | b'\r' | b'\n' | 0));
            if bad {
                return Err(ValidationError::new(
                    "response code",
                    "value empty or contains ], CR, LF or NUL",
                ));
            }
        }
        Ok(Self { name, value })
    }

    /// The code name as sent.
    pub fn name(&self) -> &str {
        self.name.as_str()
    }

    /// Text after the name, without the separating space.
    pub fn value(&self) -> Option<&str> {
        self.value.as_deref()
    }

    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> OtherCode<'static> {
        OtherCode {
            name: self.name.into_owned(),
            value: self.value.map(owned),
        }
    }
}

/// A charset name in `BADCHARSET` (`charset = atom / quoted`): non-empty printable ASCII
/// without CR or LF.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Charset<'a>(Cow<'a, str>);

impl<'a> Charset<'a> {
    /// A charset name; fails when empty or not printable ASCII.
    pub fn new(name: impl Into<Cow<'a, str>>) -> Result<Self, ValidationError> {
        let name = name.into();
        if name.is_empty() || !name.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            return Err(ValidationError::new(
                "charset",
                "empty or not printable ASCII",
            ));
        }
        Ok(Self(name))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> Charset<'static> {
        Charset(owned(self.0))
    }
}

/// An untagged response (`* ...`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Untagged<'a> {
    /// `* OK|NO|BAD [code] text`: a status not tied to a command's completion (also the
    /// usual greeting, `* OK`).
    Condition {
        /// OK, NO or BAD.
        status: StatusKind,
        /// Code and text.
        text: RespText<'a>,
    },
    /// `* PREAUTH`: the greeting of a connection that is already authenticated.
    PreAuth(RespText<'a>),
    /// `* BYE`: the server is closing the connection.
    Bye(RespText<'a>),
    /// `* CAPABILITY ...`.
    Capability(Vec<Capability<'a>>),
    /// `* ENABLED ...` (RFC 5161).
    Enabled(Vec<Capability<'a>>),
    /// `* FLAGS (...)`: the flags defined in the selected mailbox.
    Flags(Vec<Flag<'a>>),
    /// `* LIST ...`.
    List(MailboxList<'a>),
    /// `* LSUB ...` (IMAP4rev1).
    Lsub(MailboxList<'a>),
    /// `* STATUS mailbox (...)`.
    Status(MailboxStatus<'a>),
    /// `* SEARCH ...` (IMAP4rev1; with CONDSTORE's `(MODSEQ n)`).
    Search(SearchData),
    /// `* SORT ...` (RFC 5256; with CONDSTORE's `(MODSEQ n)`).
    Sort(SearchData),
    /// `* ESEARCH ...` (RFC 4731, IMAP4rev2).
    ESearch(ESearch<'a>),
    /// `* THREAD ...` (RFC 5256): the thread trees, possibly none.
    Thread(Vec<ThreadNode>),
    /// `* n EXISTS`.
    Exists(u32),
    /// `* n RECENT` (IMAP4rev1).
    Recent(u32),
    /// `* n EXPUNGE`.
    Expunge(NonZeroU32),
    /// `* n FETCH (...)`.
    Fetch(Fetch<'a>),
    /// `* VANISHED [(EARLIER)] uids` (RFC 7162 QRESYNC).
    Vanished {
        /// `(EARLIER)`: the answer to a FETCH/SELECT with VANISHED, not a new expunge.
        earlier: bool,
        /// The expunged UIDs.
        uids: UidSet,
    },
    /// `* NAMESPACE ...` (RFC 2342, IMAP4rev2).
    Namespace(Namespace<'a>),
    /// `* ID ...` (RFC 2971); `None` is `NIL`.
    Id(Option<IdParams<'a>>),
    /// `* QUOTA root (...)` (RFC 9208).
    Quota(Quota<'a>),
    /// `* QUOTAROOT mailbox root...` (RFC 9208).
    QuotaRoot(QuotaRoot<'a>),
}

impl Untagged<'_> {
    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> Untagged<'static> {
        let caps = |c: Vec<Capability<'_>>| c.into_iter().map(Capability::into_owned).collect();
        match self {
            Self::Condition { status, text } => Untagged::Condition {
                status,
                text: text.into_owned(),
            },
            Self::PreAuth(t) => Untagged::PreAuth(t.into_owned()),
            Self::Bye(t) => Untagged::Bye(t.into_owned()),
            Self::Capability(c) => Untagged::Capability(caps(c)),
            Self::Enabled(c) => Untagged::Enabled(caps(c)),
            Self::Flags(f) => Untagged::Flags(f.into_iter().map(Flag::into_owned).collect()),
            Self::List(l) => Untagged::List(l.into_owned()),
            Self::Lsub(l) => Untagged::Lsub(l.into_owned()),
            Self::Status(s) => Untagged::Status(s.into_owned()),
            Self::Search(s) => Untagged::Search(s),
            Self::Sort(s) => Untagged::Sort(s),
            Self::ESearch(e) => Untagged::ESearch(e.into_owned()),
            Self::Thread(t) => Untagged::Thread(t),
            Self::Exists(n) => Untagged::Exists(n),
            Self::Recent(n) => Untagged::Recent(n),
            Self::Expunge(n) => Untagged::Expunge(n),
            Self::Fetch(f) => Untagged::Fetch(f.into_owned()),
            Self::Vanished { earlier, uids } => Untagged::Vanished { earlier, uids },
            Self::Namespace(n) => Untagged::Namespace(n.into_owned()),
            Self::Id(p) => Untagged::Id(p.map(IdParams::into_owned)),
            Self::Quota(q) => Untagged::Quota(q.into_owned()),
            Self::QuotaRoot(q) => Untagged::QuotaRoot(q.into_owned()),
        }
    }
}

/// The first response of a connection (`greeting`): `* OK`, `* PREAUTH` or `* BYE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Greeting<'a> {
    /// `* OK`: log in next.
    Ok(RespText<'a>),
    /// `* PREAUTH`: already authenticated.
    PreAuth(RespText<'a>),
    /// `* BYE`: the server refuses the connection.
    Bye(RespText<'a>),
}

impl<'a> Greeting<'a> {
    /// The greeting as a response.
    pub fn into_response(self) -> Response<'a> {
        Response::Untagged(match self {
            Self::Ok(text) => Untagged::Condition {
                status: StatusKind::Ok,
                text,
            },
            Self::PreAuth(text) => Untagged::PreAuth(text),
            Self::Bye(text) => Untagged::Bye(text),
        })
    }

    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> Greeting<'static> {
        match self {
            Self::Ok(t) => Greeting::Ok(t.into_owned()),
            Self::PreAuth(t) => Greeting::PreAuth(t.into_owned()),
            Self::Bye(t) => Greeting::Bye(t.into_owned()),
        }
    }
}

impl<'a> TryFrom<Response<'a>> for Greeting<'a> {
    type Error = Response<'a>;

    /// A greeting from an untagged OK, PREAUTH or BYE; anything else is given back.
    fn try_from(response: Response<'a>) -> Result<Self, Self::Error> {
        match response {
            Response::Untagged(Untagged::Condition {
                status: StatusKind::Ok,
                text,
            }) => Ok(Self::Ok(text)),
            Response::Untagged(Untagged::PreAuth(text)) => Ok(Self::PreAuth(text)),
            Response::Untagged(Untagged::Bye(text)) => Ok(Self::Bye(text)),
            other => Err(other),
        }
    }
}
