//! Unsolicited responses from the application (other sessions' changes) and the EXPUNGE
//! rule of RFC 9051 section 7.5.1.

use super::{DecisionError, Pending, Phase, Server, State};
use crate::types::{Response, Untagged};

/// Responses that shift message sequence numbers.
pub(crate) fn is_expunge(response: &Untagged<'_>) -> bool {
    matches!(
        response,
        Untagged::Expunge(_) | Untagged::Vanished { earlier: false, .. }
    )
}

impl Server {
    /// Queues an unsolicited update (EXISTS, FETCH flags, EXPUNGE, VANISHED, `* OK
    /// [ALERT]` ...) for the client. Responses go out in order at once, except that an
    /// expunge waits (with everything queued after it) until [`Server::may_send_expunge`].
    /// Drain [`Server::poll_output`] afterwards.
    ///
    /// Errors when not logged in, or for an expunge without a selected mailbox.
    pub fn push_unsolicited(&mut self, response: Untagged<'_>) -> Result<(), DecisionError> {
        if !self.state.is_authenticated() || self.is_closed() {
            return Err(DecisionError::NotNow {
                reason: "not logged in",
            });
        }
        if is_expunge(&response) && !matches!(self.state, State::Selected { .. }) {
            return Err(DecisionError::NotNow {
                reason: "no mailbox selected",
            });
        }
        self.unsolicited.push_back(response.into_owned());
        self.release_unsolicited();
        Ok(())
    }

    /// Whether an untagged EXPUNGE may be sent now: a mailbox is selected and a command
    /// that does not use sequence numbers is in progress (including NOOP and IDLE).
    pub fn may_send_expunge(&self) -> bool {
        if !matches!(self.state, State::Selected { .. }) {
            return false;
        }
        if self.noop.is_some() || matches!(self.phase, Phase::Idle { .. }) {
            return true;
        }
        match &self.pending {
            Some(Pending::Command { blocks_expunge, .. }) => !blocks_expunge,
            Some(Pending::AppendEnd { .. }) => true,
            _ => false,
        }
    }

    /// Unsolicited responses waiting for a moment when an expunge may be sent.
    pub fn queued_unsolicited(&self) -> usize {
        self.unsolicited.len()
    }

    /// Sends queued unsolicited responses up to the first expunge that must wait.
    pub(super) fn release_unsolicited(&mut self) {
        while let Some(front) = self.unsolicited.front() {
            if is_expunge(front) && !self.may_send_expunge() {
                break;
            }
            if let Some(response) = self.unsolicited.pop_front() {
                self.send_response(&Response::Untagged(response));
            }
        }
    }

    /// Leaves the selected state; updates queued for the old mailbox are dropped.
    pub(super) fn leave_selected(&mut self) {
        if matches!(self.state, State::Selected { .. }) {
            self.state = State::Authenticated;
            self.unsolicited.clear();
        }
    }
}
