//! IMAP commands (client to server) as Rust values.

use std::borrow::Cow;
use std::num::{NonZeroU32, NonZeroU64};

use super::capability::Capability;
use super::core::{
    AString, Atom, IString, Literal, NString, NonEmptyVec, Secret, Tag, ValidationError, owned,
};
use super::datetime::DateTime;
use super::fetch::{FetchItems, FetchModifiers};
use super::flag::{Flag, MailboxAttribute};
use super::mailbox::{ListPattern, Mailbox};
use super::response_data::Resource;
use super::search::{Search, Sort, Thread};
use super::sequence::SequenceSet;

/// A tagged command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command<'a> {
    /// The tag, echoed in the command's completion response.
    pub tag: Tag<'a>,
    /// The command itself.
    pub body: CommandBody<'a>,
}

impl<'a> Command<'a> {
    /// A command with the given tag.
    pub fn new(tag: Tag<'a>, body: CommandBody<'a>) -> Self {
        Self { tag, body }
    }

    /// Detaches the command from the buffer it was decoded from.
    pub fn into_owned(self) -> Command<'static> {
        Command {
            tag: self.tag.into_owned(),
            body: self.body.into_owned(),
        }
    }
}

/// The command name and its arguments.
///
/// `Debug` hides passwords and SASL responses (they are [`Secret`]s).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CommandBody<'a> {
    /// `CAPABILITY`.
    Capability,
    /// `NOOP`.
    Noop,
    /// `LOGOUT`.
    Logout,
    /// `STARTTLS`.
    StartTls,
    /// `AUTHENTICATE mechanism [initial-response]` (SASL-IR, RFC 4959).
    Authenticate {
        /// The SASL mechanism, as sent.
        mechanism: Atom<'a>,
        /// The initial response, base64-decoded; `=` on the wire is `Some(empty)`.
        initial_response: Option<Secret<Cow<'a, [u8]>>>,
    },
    /// `LOGIN user password`.
    Login {
        /// User name.
        username: AString<'a>,
        /// Password.
        password: Secret<AString<'a>>,
    },
    /// `ENABLE capability...` (RFC 5161).
    Enable(NonEmptyVec<Capability<'a>>),
    /// `SELECT mailbox [(params)]`.
    Select {
        /// The mailbox.
        mailbox: Mailbox<'a>,
        /// CONDSTORE / QRESYNC parameters.
        params: SelectParams,
    },
    /// `EXAMINE mailbox [(params)]`.
    Examine {
        /// The mailbox.
        mailbox: Mailbox<'a>,
        /// CONDSTORE / QRESYNC parameters.
        params: SelectParams,
    },
    /// `CREATE mailbox [(USE (attrs))]` (CREATE-SPECIAL-USE, RFC 6154).
    Create {
        /// The mailbox.
        mailbox: Mailbox<'a>,
        /// Special-use attributes requested; empty when none.
        special_use: Vec<MailboxAttribute<'a>>,
    },
    /// `DELETE mailbox`.
    Delete(Mailbox<'a>),
    /// `RENAME from to`.
    Rename {
        /// Existing name.
        from: Mailbox<'a>,
        /// New name.
        to: Mailbox<'a>,
    },
    /// `SUBSCRIBE mailbox`.
    Subscribe(Mailbox<'a>),
    /// `UNSUBSCRIBE mailbox`.
    Unsubscribe(Mailbox<'a>),
    /// `LIST`, basic or extended (RFC 5258, RFC 5819, RFC 6154).
    List(List<'a>),
    /// `LSUB reference pattern` (IMAP4rev1).
    Lsub {
        /// Reference name.
        reference: Mailbox<'a>,
        /// Pattern.
        pattern: ListPattern<'a>,
    },
    /// `NAMESPACE` (RFC 2342).
    Namespace,
    /// `STATUS mailbox (items)`.
    Status {
        /// The mailbox.
        mailbox: Mailbox<'a>,
        /// Requested items.
        items: NonEmptyVec<StatusAttribute>,
    },
    /// `APPEND mailbox message...` (several messages: MULTIAPPEND, RFC 3502).
    Append {
        /// Target mailbox.
        mailbox: Mailbox<'a>,
        /// The messages.
        messages: NonEmptyVec<AppendMessage<'a>>,
    },
    /// `IDLE` (RFC 2177); the client ends it with a `DONE` line.
    Idle,
    /// `CHECK` (IMAP4rev1).
    Check,
    /// `CLOSE`.
    Close,
    /// `UNSELECT` (RFC 3691).
    Unselect,
    /// `EXPUNGE`.
    Expunge,
    /// `UID EXPUNGE set` (UIDPLUS, RFC 4315).
    UidExpunge(SequenceSet),
    /// `[UID] SEARCH ...`.
    Search(Search<'a>),
    /// `[UID] FETCH set items [(modifiers)]`.
    Fetch {
        /// `UID FETCH`.
        uid: bool,
        /// Messages.
        set: SequenceSet,
        /// What to fetch.
        items: FetchItems<'a>,
        /// CHANGEDSINCE / VANISHED.
        modifiers: FetchModifiers,
    },
    /// `[UID] STORE set [(UNCHANGEDSINCE n)] [+|-]FLAGS[.SILENT] (flags)`.
    Store {
        /// `UID STORE`.
        uid: bool,
        /// Messages.
        set: SequenceSet,
        /// `UNCHANGEDSINCE n` (RFC 7162; 0 allowed).
        unchanged_since: Option<u64>,
        /// Replace, add or remove.
        action: StoreAction,
        /// `.SILENT`.
        silent: bool,
        /// The flags (may be empty).
        flags: Vec<Flag<'a>>,
    },
    /// `[UID] COPY set mailbox`.
    Copy {
        /// `UID COPY`.
        uid: bool,
        /// Messages.
        set: SequenceSet,
        /// Target mailbox.
        mailbox: Mailbox<'a>,
    },
    /// `[UID] MOVE set mailbox` (RFC 6851).
    Move {
        /// `UID MOVE`.
        uid: bool,
        /// Messages.
        set: SequenceSet,
        /// Target mailbox.
        mailbox: Mailbox<'a>,
    },
    /// `ID (field value ...)` or `ID NIL` (RFC 2971).
    Id(Option<Vec<(IString<'a>, NString<'a>)>>),
    /// `GETQUOTA root` (RFC 9208).
    GetQuota(AString<'a>),
    /// `GETQUOTAROOT mailbox` (RFC 9208).
    GetQuotaRoot(Mailbox<'a>),
    /// `SETQUOTA root (resource limit ...)` (RFC 9208).
    SetQuota {
        /// Quota root.
        root: AString<'a>,
        /// New limits (may be empty: remove all).
        limits: Vec<QuotaLimit<'a>>,
    },
    /// `[UID] SORT ...` (RFC 5256).
    Sort(Sort<'a>),
    /// `[UID] THREAD ...` (RFC 5256).
    Thread(Thread<'a>),
    /// `COMPRESS DEFLATE` (RFC 4978).
    CompressDeflate,
}

impl CommandBody<'_> {
    /// The command name as sent (`UID FETCH` for UID commands).
    pub fn name(&self) -> &'static str {
        use CommandBody as C;
        let uid = |uid: bool, with: &'static str, without: &'static str| {
            if uid { with } else { without }
        };
        match self {
            C::Capability => "CAPABILITY",
            C::Noop => "NOOP",
            C::Logout => "LOGOUT",
            C::StartTls => "STARTTLS",
            C::Authenticate { .. } => "AUTHENTICATE",
            C::Login { .. } => "LOGIN",
            C::Enable(_) => "ENABLE",
            C::Select { .. } => "SELECT",
            C::Examine { .. } => "EXAMINE",
            C::Create { .. } => "CREATE",
            C::Delete(_) => "DELETE",
            C::Rename { .. } => "RENAME",
            C::Subscribe(_) => "SUBSCRIBE",
            C::Unsubscribe(_) => "UNSUBSCRIBE",
            C::List(_) => "LIST",
            C::Lsub { .. } => "LSUB",
            C::Namespace => "NAMESPACE",
            C::Status { .. } => "STATUS",
            C::Append { .. } => "APPEND",
            C::Idle => "IDLE",
            C::Check => "CHECK",
            C::Close => "CLOSE",
            C::Unselect => "UNSELECT",
            C::Expunge => "EXPUNGE",
            C::UidExpunge(_) => "UID EXPUNGE",
            C::Search(s) => uid(s.uid, "UID SEARCH", "SEARCH"),
            C::Fetch { uid: u, .. } => uid(*u, "UID FETCH", "FETCH"),
            C::Store { uid: u, .. } => uid(*u, "UID STORE", "STORE"),
            C::Copy { uid: u, .. } => uid(*u, "UID COPY", "COPY"),
            C::Move { uid: u, .. } => uid(*u, "UID MOVE", "MOVE"),
            C::Id(_) => "ID",
            C::GetQuota(_) => "GETQUOTA",
            C::GetQuotaRoot(_) => "GETQUOTAROOT",
            C::SetQuota { .. } => "SETQUOTA",
            C::Sort(s) => uid(s.uid, "UID SORT", "SORT"),
            C::Thread(t) => uid(t.uid, "UID THREAD", "THREAD"),
            C::CompressDeflate => "COMPRESS",
        }
    }

    /// Detaches the command from the buffer it was decoded from.
    pub fn into_owned(self) -> CommandBody<'static> {
        use CommandBody as C;
        match self {
            C::Capability => C::Capability,
            C::Noop => C::Noop,
            C::Logout => C::Logout,
            C::StartTls => C::StartTls,
            C::Authenticate {
                mechanism,
                initial_response,
            } => C::Authenticate {
                mechanism: mechanism.into_owned(),
                initial_response: initial_response.map(|s| Secret(owned(s.0))),
            },
            C::Login { username, password } => C::Login {
                username: username.into_owned(),
                password: Secret(password.0.into_owned()),
            },
            C::Enable(caps) => C::Enable(caps.map(Capability::into_owned)),
            C::Select { mailbox, params } => C::Select {
                mailbox: mailbox.into_owned(),
                params,
            },
            C::Examine { mailbox, params } => C::Examine {
                mailbox: mailbox.into_owned(),
                params,
            },
            C::Create {
                mailbox,
                special_use,
            } => C::Create {
                mailbox: mailbox.into_owned(),
                special_use: special_use
                    .into_iter()
                    .map(MailboxAttribute::into_owned)
                    .collect(),
            },
            C::Delete(m) => C::Delete(m.into_owned()),
            C::Rename { from, to } => C::Rename {
                from: from.into_owned(),
                to: to.into_owned(),
            },
            C::Subscribe(m) => C::Subscribe(m.into_owned()),
            C::Unsubscribe(m) => C::Unsubscribe(m.into_owned()),
            C::List(l) => C::List(l.into_owned()),
            C::Lsub { reference, pattern } => C::Lsub {
                reference: reference.into_owned(),
                pattern: pattern.into_owned(),
            },
            C::Namespace => C::Namespace,
            C::Status { mailbox, items } => C::Status {
                mailbox: mailbox.into_owned(),
                items,
            },
            C::Append { mailbox, messages } => C::Append {
                mailbox: mailbox.into_owned(),
                messages: messages.map(AppendMessage::into_owned),
            },
            C::Idle => C::Idle,
            C::Check => C::Check,
            C::Close => C::Close,
            C::Unselect => C::Unselect,
            C::Expunge => C::Expunge,
            C::UidExpunge(s) => C::UidExpunge(s),
            C::Search(s) => C::Search(s.into_owned()),
            C::Fetch {
                uid,
                set,
                items,
                modifiers,
            } => C::Fetch {
                uid,
                set,
                items: items.into_owned(),
                modifiers,
            },
            C::Store {
                uid,
                set,
                unchanged_since,
                action,
                silent,
                flags,
            } => C::Store {
                uid,
                set,
                unchanged_since,
                action,
                silent,
                flags: flags.into_iter().map(Flag::into_owned).collect(),
            },
            C::Copy { uid, set, mailbox } => C::Copy {
                uid,
                set,
                mailbox: mailbox.into_owned(),
            },
            C::Move { uid, set, mailbox } => C::Move {
                uid,
                set,
                mailbox: mailbox.into_owned(),
            },
            C::Id(params) => C::Id(params.map(|p| {
                p.into_iter()
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })),
            C::GetQuota(r) => C::GetQuota(r.into_owned()),
            C::GetQuotaRoot(m) => C::GetQuotaRoot(m.into_owned()),
            C::SetQuota { root, limits } => C::SetQuota {
                root: root.into_owned(),
                limits: limits.into_iter().map(QuotaLimit::into_owned).collect(),
            },
            C::Sort(s) => C::Sort(s.into_owned()),
            C::Thread(t) => C::Thread(t.into_owned()),
            C::CompressDeflate => C::CompressDeflate,
        }
    }
}

/// SELECT/EXAMINE parameters (RFC 7162).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct SelectParams {
    /// `CONDSTORE`.
    pub condstore: bool,
    /// `QRESYNC (...)`.
    pub qresync: Option<QResync>,
}

/// `QRESYNC (uidvalidity modseq [known-uids] [(seq-match-data)])`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QResync {
    /// The last known UIDVALIDITY.
    pub uid_validity: NonZeroU32,
    /// The last known HIGHESTMODSEQ.
    pub modseq: NonZeroU64,
    /// UIDs the client knows.
    pub known_uids: Option<SequenceSet>,
    /// Message numbers and the matching UIDs.
    pub seq_match: Option<(SequenceSet, SequenceSet)>,
}

/// `LIST [(selection)] reference pattern(s) [RETURN (options)]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct List<'a> {
    /// Selection options (RFC 5258); empty for a basic LIST.
    pub selection: Vec<ListSelectOption<'a>>,
    /// Reference name.
    pub reference: Mailbox<'a>,
    /// Patterns; more than one is sent in parentheses.
    pub patterns: NonEmptyVec<ListPattern<'a>>,
    /// Return options (RFC 5258, RFC 5819, RFC 6154).
    pub return_options: Vec<ListReturnOption<'a>>,
}

impl List<'_> {
    /// Detaches the command from the buffer it was decoded from.
    pub fn into_owned(self) -> List<'static> {
        List {
            selection: self
                .selection
                .into_iter()
                .map(ListSelectOption::into_owned)
                .collect(),
            reference: self.reference.into_owned(),
            patterns: self.patterns.map(ListPattern::into_owned),
            return_options: self
                .return_options
                .into_iter()
                .map(ListReturnOption::into_owned)
                .collect(),
        }
    }
}

/// A LIST selection option.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ListSelectOption<'a> {
    /// `SUBSCRIBED`.
    Subscribed,
    /// `REMOTE`.
    Remote,
    /// `RECURSIVEMATCH` (only together with another option).
    RecursiveMatch,
    /// `SPECIAL-USE` (RFC 6154).
    SpecialUse,
    /// Another option without value (never one of the names above).
    Other(Atom<'a>),
}

impl ListSelectOption<'_> {
    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> ListSelectOption<'static> {
        match self {
            Self::Subscribed => ListSelectOption::Subscribed,
            Self::Remote => ListSelectOption::Remote,
            Self::RecursiveMatch => ListSelectOption::RecursiveMatch,
            Self::SpecialUse => ListSelectOption::SpecialUse,
            Self::Other(a) => ListSelectOption::Other(a.into_owned()),
        }
    }
}

/// A LIST return option.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ListReturnOption<'a> {
    /// `SUBSCRIBED`.
    Subscribed,
    /// `CHILDREN`.
    Children,
    /// `SPECIAL-USE` (RFC 6154).
    SpecialUse,
    /// `STATUS (items)` (RFC 5819).
    Status(NonEmptyVec<StatusAttribute>),
    /// Another option without value (never one of the names above).
    Other(Atom<'a>),
}

impl ListReturnOption<'_> {
    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> ListReturnOption<'static> {
        match self {
            Self::Subscribed => ListReturnOption::Subscribed,
            Self::Children => ListReturnOption::Children,
            Self::SpecialUse => ListReturnOption::SpecialUse,
            Self::Status(items) => ListReturnOption::Status(items),
            Self::Other(a) => ListReturnOption::Other(a.into_owned()),
        }
    }
}

/// A STATUS item name, as requested by STATUS and `LIST ... RETURN (STATUS (...))`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusAttribute {
    /// `MESSAGES`.
    Messages,
    /// `RECENT` (IMAP4rev1).
    Recent,
    /// `UIDNEXT`.
    UidNext,
    /// `UIDVALIDITY`.
    UidValidity,
    /// `UNSEEN`.
    Unseen,
    /// `DELETED` (RFC 9051).
    Deleted,
    /// `SIZE` (RFC 8438).
    Size,
    /// `HIGHESTMODSEQ` (RFC 7162).
    HighestModSeq,
    /// `APPENDLIMIT` (RFC 7889).
    AppendLimit,
    /// `DELETED-STORAGE` (RFC 9208).
    DeletedStorage,
}

impl StatusAttribute {
    /// Every item with its wire name.
    pub const ALL: [(Self, &'static str); 10] = [
        (Self::Messages, "MESSAGES"),
        (Self::Recent, "RECENT"),
        (Self::UidNext, "UIDNEXT"),
        (Self::UidValidity, "UIDVALIDITY"),
        (Self::Unseen, "UNSEEN"),
        (Self::Deleted, "DELETED"),
        (Self::Size, "SIZE"),
        (Self::HighestModSeq, "HIGHESTMODSEQ"),
        (Self::AppendLimit, "APPENDLIMIT"),
        (Self::DeletedStorage, "DELETED-STORAGE"),
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(item, _)| *item == self)
            .map_or("", |(_, name)| name)
    }

    /// Recognises a wire name (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(name))
            .map(|(item, _)| *item)
    }
}

/// One message of an APPEND.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendMessage<'a> {
    /// Flags to set (never `\Recent`).
    pub flags: Vec<Flag<'a>>,
    /// The internal date to set.
    pub date: Option<DateTime>,
    /// The message.
    pub data: AppendData<'a>,
}

impl AppendMessage<'_> {
    /// Detaches the message from the buffer it was decoded from.
    pub fn into_owned(self) -> AppendMessage<'static> {
        AppendMessage {
            flags: self.flags.into_iter().map(Flag::into_owned).collect(),
            date: self.date,
            data: self.data.into_owned(),
        }
    }
}

/// The message data of an APPEND: a literal, a literal8 (BINARY) or `UTF8 (~{n})`
/// (UTF8=ACCEPT, RFC 6855).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendData<'a> {
    literal: Literal<'a>,
    utf8: bool,
}

impl<'a> AppendData<'a> {
    /// A message sent as `{n}` or, for a binary literal, `~{n}`.
    pub fn new(literal: Literal<'a>) -> Self {
        Self {
            literal,
            utf8: false,
        }
    }

    /// A message sent as `UTF8 (~{n})`.
    pub fn utf8(data: impl Into<Cow<'a, [u8]>>) -> Result<Self, ValidationError> {
        Ok(Self {
            literal: Literal::binary(data)?,
            utf8: true,
        })
    }

    /// The message literal.
    pub fn literal(&self) -> &Literal<'a> {
        &self.literal
    }

    /// Whether it is sent with the `UTF8` wrapper.
    pub fn is_utf8(&self) -> bool {
        self.utf8
    }

    /// Detaches the data from the buffer it was decoded from.
    pub fn into_owned(self) -> AppendData<'static> {
        AppendData {
            literal: self.literal.into_owned(),
            utf8: self.utf8,
        }
    }
}

/// `+FLAGS`, `-FLAGS` or `FLAGS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StoreAction {
    /// `FLAGS`: replace.
    Replace,
    /// `+FLAGS`: add.
    Add,
    /// `-FLAGS`: remove.
    Remove,
}

/// `resource limit` in SETQUOTA.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QuotaLimit<'a> {
    /// The resource.
    pub resource: Resource<'a>,
    /// The limit (at most 2^63 - 1).
    pub limit: u64,
}

impl QuotaLimit<'_> {
    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> QuotaLimit<'static> {
        QuotaLimit {
            resource: self.resource.into_owned(),
            limit: self.limit,
        }
    }
}
