//! Commands waiting to be sent, commands in flight, and the command holding the
//! connection: when each command may go out (pipelining rules, RFC 9051 section 5.5).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::codec::Fragment;
use crate::types::{CommandBody, Secret, Tag};

/// A command given by the application (or the client itself), not sent yet. It is
/// encoded only when sent, with the server's literal extensions as then known.
#[derive(Debug)]
pub(super) struct Queued {
    pub(super) tag: Tag<'static>,
    pub(super) body: CommandBody<'static>,
    pub(super) timeout: Option<Duration>,
    /// Sent by the client itself (CAPABILITY): its completion is not reported.
    pub(super) internal: bool,
    /// [`Client::done`](super::Client::done) was called before this IDLE was sent.
    pub(super) idle_done: bool,
}

/// What the client does when a command completes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Login,
    StartTls,
    Compress,
    Logout,
    Other,
}

impl Kind {
    pub(super) fn of(body: &CommandBody<'_>) -> Self {
        match body {
            CommandBody::Login { .. } | CommandBody::Authenticate { .. } => Self::Login,
            CommandBody::StartTls => Self::StartTls,
            CommandBody::CompressDeflate => Self::Compress,
            CommandBody::Logout => Self::Logout,
            _ => Self::Other,
        }
    }
}

/// A command whose first line was sent, waiting for its tagged completion.
#[derive(Debug)]
pub(super) struct InFlight {
    pub(super) tag: Tag<'static>,
    pub(super) kind: Kind,
    pub(super) name: &'static str,
    pub(super) internal: bool,
    pub(super) timeout: Option<Duration>,
    /// When the client last sent something for it; `None` until the driver tells the time.
    pub(super) sent_at: Option<Instant>,
    /// A non-UID FETCH, STORE or SEARCH: the server may not send EXPUNGE during it, so
    /// commands using message numbers can be pipelined behind it.
    pub(super) expunge_free: bool,
    /// The capability generation when it was sent (to see whether it brought new ones).
    pub(super) capability_generation: u64,
}

/// The command that owns the connection: nothing else is sent until it lets go.
#[derive(Debug)]
pub(super) enum Hold {
    /// The rest of a command waits for `+` before a synchronising literal; afterwards the
    /// command may still hold the connection (`then`).
    Literal {
        tag: Tag<'static>,
        rest: VecDeque<Fragment>,
        then: Option<Box<Self>>,
    },
    /// An AUTHENTICATE exchange, until its completion.
    Auth {
        tag: Tag<'static>,
        /// The initial response, to send on the first (empty) challenge when the server
        /// does not offer SASL-IR.
        initial: Option<Secret<Vec<u8>>>,
        /// A challenge was reported; the application has not answered yet.
        awaiting_app: bool,
    },
    /// IDLE, until its completion.
    Idle {
        tag: Tag<'static>,
        /// The server sent `+`.
        accepted: bool,
        /// `DONE` was requested (sent once accepted).
        done: bool,
        /// When the server accepted it; `None` until the driver tells the time.
        since: Option<Instant>,
        /// [`Event::IdleRefresh`](super::Event::IdleRefresh) was reported.
        hinted: bool,
    },
    /// A command that changes the session state, until its completion.
    Completion { tag: Tag<'static> },
}

impl Hold {
    pub(super) fn tag(&self) -> &Tag<'static> {
        match self {
            Self::Literal { tag, .. }
            | Self::Auth { tag, .. }
            | Self::Idle { tag, .. }
            | Self::Completion { tag } => tag,
        }
    }

    /// Whether the command's timeout is suspended: the application has the next move.
    pub(super) fn pauses(&self, tag: &Tag<'_>) -> bool {
        match self {
            Self::Auth {
                tag: t,
                awaiting_app,
                ..
            } => *awaiting_app && t == tag,
            Self::Idle {
                tag: t,
                accepted,
                done,
                ..
            } => *accepted && !*done && t == tag,
            Self::Literal { .. } | Self::Completion { .. } => false,
        }
    }
}

/// Commands that change the session state, or whose effect later commands depend on:
/// they wait for every command before them and hold back every command after them.
pub(super) fn is_exclusive(body: &CommandBody<'_>) -> bool {
    use CommandBody as C;
    matches!(
        body,
        C::Capability
            | C::Login { .. }
            | C::Authenticate { .. }
            | C::StartTls
            | C::CompressDeflate
            | C::Logout
            | C::Enable(_)
            | C::Select { .. }
            | C::Examine { .. }
            | C::Close
            | C::Unselect
            | C::Idle
            | C::Expunge
            | C::UidExpunge(_)
    )
}

/// Commands that name messages by sequence number: the numbers shift when the server
/// reports an EXPUNGE, so they are not pipelined behind a command that allows one.
pub(super) fn uses_sequence_numbers(body: &CommandBody<'_>) -> bool {
    use CommandBody as C;
    match body {
        C::Fetch { uid, .. } | C::Store { uid, .. } | C::Copy { uid, .. } | C::Move { uid, .. } => {
            !uid
        }
        C::Search(s) => !s.uid,
        C::Sort(s) => !s.uid,
        C::Thread(t) => !t.uid,
        _ => false,
    }
}

/// Non-UID FETCH, STORE and SEARCH: the server must not send EXPUNGE while they run.
pub(super) fn is_expunge_free(body: &CommandBody<'_>) -> bool {
    use CommandBody as C;
    match body {
        C::Fetch { uid, .. } | C::Store { uid, .. } => !uid,
        C::Search(s) => !s.uid,
        _ => false,
    }
}
