//! Session states (RFC 9051 section 3) and which commands each accepts.

use crate::types::{Capability, CommandBody};

use super::Config;

/// The IMAP connection state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Before LOGIN/AUTHENTICATE.
    NotAuthenticated,
    /// Logged in, no mailbox selected.
    Authenticated,
    /// A mailbox is selected.
    Selected {
        /// Selected with EXAMINE, or SELECT answered `[READ-ONLY]`.
        read_only: bool,
    },
    /// LOGOUT was processed, or the session ended otherwise.
    Logout,
}

impl State {
    /// Whether the user is logged in (authenticated or selected).
    pub fn is_authenticated(self) -> bool {
        matches!(self, Self::Authenticated | Self::Selected { .. })
    }
}

/// Why a command is refused before it reaches the application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Not valid in this state.
    WrongState(&'static str),
    /// The extension is not offered.
    NotOffered,
}

/// In which states a command is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Validity {
    Any,
    NotAuthenticated,
    /// Authenticated or selected.
    LoggedIn,
    /// Authenticated only (ENABLE).
    AuthenticatedOnly,
    Selected,
}

fn validity(body: &CommandBody<'_>) -> Validity {
    use CommandBody as C;
    match body {
        C::Capability | C::Noop | C::Logout | C::Id(_) => Validity::Any,
        C::StartTls | C::Authenticate { .. } | C::Login { .. } => Validity::NotAuthenticated,
        C::Enable(_) => Validity::AuthenticatedOnly,
        C::Check
        | C::Close
        | C::Unselect
        | C::Expunge
        | C::UidExpunge(_)
        | C::Search(_)
        | C::Fetch { .. }
        | C::Store { .. }
        | C::Copy { .. }
        | C::Move { .. }
        | C::Sort(_)
        | C::Thread(_) => Validity::Selected,
        _ => Validity::LoggedIn,
    }
}

/// Checks that `body` may run in `state`; the capability checks follow [`offered`].
pub(crate) fn check(state: State, body: &CommandBody<'_>, config: &Config) -> Result<(), Refusal> {
    let ok = match (validity(body), state) {
        (_, State::Logout) => false,
        (Validity::Any, _) | (Validity::NotAuthenticated, State::NotAuthenticated) => true,
        (Validity::LoggedIn, s) => s.is_authenticated(),
        (Validity::AuthenticatedOnly, s) => s == State::Authenticated,
        (Validity::Selected, s) => matches!(s, State::Selected { .. }),
        _ => false,
    };
    if !ok {
        let why = match state {
            State::NotAuthenticated => "Command not valid before authentication",
            State::Authenticated => match validity(body) {
                Validity::Selected => "No mailbox selected",
                _ => "Command not valid in the authenticated state",
            },
            State::Selected { .. } => "Command not valid in the selected state",
            State::Logout => "Logging out",
        };
        return Err(Refusal::WrongState(why));
    }
    if offered(body, config) {
        Ok(())
    } else {
        Err(Refusal::NotOffered)
    }
}

/// Whether the command's extension (if any) is offered: listed by the application, part
/// of an offered base protocol, or implemented by the machine and switched on.
fn offered(body: &CommandBody<'_>, config: &Config) -> bool {
    use CommandBody as C;
    let ext = |cap: Capability<'static>| config.has_extension(&cap);
    let rev2 = config.imap4rev2;
    match body {
        C::Idle => config.idle,
        C::Enable(_) => config.enable,
        C::StartTls => config.starttls,
        C::Unselect => rev2 || ext(Capability::Unselect),
        C::Move { .. } => rev2 || ext(Capability::Move),
        C::UidExpunge(_) => rev2 || ext(Capability::UidPlus),
        C::Namespace => rev2 || ext(Capability::Namespace),
        C::Lsub { .. } | C::Check => config.imap4rev1,
        C::Id(_) => ext(Capability::Id),
        C::GetQuota(_) | C::GetQuotaRoot(_) => ext(Capability::Quota),
        C::SetQuota { .. } => ext(Capability::QuotaSet),
        C::Sort(_) => ext(Capability::Sort),
        C::Thread(_) => config
            .extensions
            .iter()
            .any(|c| matches!(c, Capability::Thread(_))),
        C::CompressDeflate => ext(Capability::CompressDeflate),
        _ => true,
    }
}

/// Whether an untagged EXPUNGE may not be sent while `body` is in progress (RFC 9051
/// section 7.5.1: FETCH, STORE and SEARCH by sequence number; SORT and THREAD by
/// sequence number return sequence numbers too).
pub(crate) fn blocks_expunge(body: &CommandBody<'_>) -> bool {
    use CommandBody as C;
    match body {
        C::Fetch { uid, .. } | C::Store { uid, .. } => !uid,
        C::Search(s) => !s.uid,
        C::Sort(s) => !s.uid,
        C::Thread(t) => !t.uid,
        _ => false,
    }
}
