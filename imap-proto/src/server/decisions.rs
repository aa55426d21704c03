//! The application's answers to decision events.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

#[cfg(doc)]
use super::Event;
use super::{CommandKind, DecisionError, Pending, Phase, Server, State, Status};
use crate::types::{Code, Response, StatusKind, Untagged};

impl Server {
    /// Takes the pending decision if `matches` accepts it.
    pub(super) fn take_pending(
        &mut self,
        matches: impl Fn(&Pending) -> bool,
    ) -> Result<Pending, DecisionError> {
        match self.pending.take() {
            Some(p) if matches(&p) => {
                self.anchor = self.clock;
                Ok(p)
            }
            other => {
                let waiting_for = other.as_ref().map_or("nothing", Pending::name);
                self.pending = other;
                Err(DecisionError::Unexpected { waiting_for })
            }
        }
    }

    /// Sends an untagged data response (`* LIST ...`, `* 1 FETCH ...`) for the command in
    /// progress ([`Event::Command`] or [`Event::AppendEnd`]). An EXPUNGE or VANISHED that
    /// may not be sent now (see the module docs) is queued as an unsolicited response.
    pub fn send_untagged(&mut self, response: Untagged<'_>) -> Result<(), DecisionError> {
        match &self.pending {
            Some(Pending::Command { .. } | Pending::AppendEnd { .. }) => {}
            other => {
                return Err(DecisionError::Unexpected {
                    waiting_for: other.as_ref().map_or("nothing", Pending::name),
                });
            }
        }
        if super::unsolicited::is_expunge(&response) && !self.may_send_expunge() {
            self.unsolicited.push_back(response.into_owned());
            return Ok(());
        }
        self.send_response(&Response::Untagged(response));
        Ok(())
    }

    /// Ends the command in progress ([`Event::Command`] or [`Event::AppendEnd`]) with
    /// `tag status`, applying the state change it implies (see the module docs). The
    /// machine then reads the next command.
    pub fn complete(&mut self, status: Status) -> Result<(), DecisionError> {
        let pending = self
            .take_pending(|p| matches!(p, Pending::Command { .. } | Pending::AppendEnd { .. }))?;
        let (tag, kind) = match pending {
            Pending::Command { tag, kind, .. } => (tag, kind),
            Pending::AppendEnd { tag } => (tag, CommandKind::Other),
            _ => return Ok(()),
        };
        let ok = status.kind() == StatusKind::Ok;
        let status = match kind {
            CommandKind::Login if ok => {
                self.state = State::Authenticated;
                let caps = self.capabilities();
                status.or_code(|| Code::Capability(caps))
            }
            CommandKind::Login => {
                self.send_tagged(&tag, &status);
                self.auth_failed();
                return Ok(());
            }
            CommandKind::Select { examine } if ok => {
                let read_only = examine || status.code() == Some(&Code::ReadOnly);
                self.state = State::Selected { read_only };
                status.or_code(|| {
                    if read_only {
                        Code::ReadOnly
                    } else {
                        Code::ReadWrite
                    }
                })
            }
            CommandKind::Select { .. } if status.kind() == StatusKind::No => {
                self.leave_selected();
                status
            }
            CommandKind::Deselect if ok => {
                self.leave_selected();
                status
            }
            _ => status,
        };
        self.send_tagged(&tag, &status);
        Ok(())
    }

    /// Accepts the literal of [`Event::Literal`] (`+` is sent) or the message of
    /// [`Event::AppendMessage`] (its data follows as [`Event::AppendChunk`]s).
    pub fn accept_literal(&mut self) -> Result<(), DecisionError> {
        match self
            .take_pending(|p| matches!(p, Pending::Literal { .. } | Pending::AppendMessage(_)))?
        {
            Pending::Literal { offset, .. } => {
                self.literal_acked = offset;
                self.send_continuation("Ready for literal data");
            }
            Pending::AppendMessage(ctx) => self.append_accepted(ctx),
            _ => {}
        }
        Ok(())
    }

    /// Refuses the literal of [`Event::Literal`] or the message of
    /// [`Event::AppendMessage`] with `status` (NO or BAD; OK is sent as NO). For a
    /// synchronising literal the command ends now; a non-synchronising APPEND message is
    /// read and discarded and the status is sent at the end of the command.
    pub fn reject_literal(&mut self, status: Status) -> Result<(), DecisionError> {
        let status = if status.kind() == StatusKind::Ok {
            let code = status.code().cloned();
            let no = Status::no("Refused");
            match code {
                Some(c) => no.with_code(c),
                None => no,
            }
        } else {
            status
        };
        match self
            .take_pending(|p| matches!(p, Pending::Literal { .. } | Pending::AppendMessage(_)))?
        {
            Pending::Literal { tag, offset } => {
                self.consume(offset);
                self.send_tagged(&tag, &status);
            }
            Pending::AppendMessage(ctx) => self.append_refused(ctx, status),
            _ => {}
        }
        Ok(())
    }

    /// Sends a SASL challenge (`+ base64`) for [`Event::Authenticate`] or
    /// [`Event::AuthResponse`]; the client's answer arrives as [`Event::AuthResponse`]
    /// (or [`Event::AuthCancelled`]).
    pub fn auth_challenge(&mut self, data: &[u8]) -> Result<(), DecisionError> {
        let Pending::Authenticate { tag } =
            self.take_pending(|p| matches!(p, Pending::Authenticate { .. }))?
        else {
            return Ok(());
        };
        let encoded = BASE64.encode(data);
        self.send_continuation(&encoded);
        self.phase = Phase::AuthResponse { tag };
        Ok(())
    }

    /// Ends the SASL exchange successfully: `tag OK [CAPABILITY ...]`, authenticated.
    pub fn auth_success(&mut self) -> Result<(), DecisionError> {
        let Pending::Authenticate { tag } =
            self.take_pending(|p| matches!(p, Pending::Authenticate { .. }))?
        else {
            return Ok(());
        };
        self.state = State::Authenticated;
        let caps = self.capabilities();
        let status = Status::ok("Authenticated").with_code(Code::Capability(caps));
        self.send_tagged(&tag, &status);
        Ok(())
    }

    /// Ends the SASL exchange with a failure (usually `NO [AUTHENTICATIONFAILED]`; OK is
    /// sent as NO). Failures count towards [`Limits::max_auth_failures`](super::Limits).
    pub fn auth_failure(&mut self, status: Status) -> Result<(), DecisionError> {
        let Pending::Authenticate { tag } =
            self.take_pending(|p| matches!(p, Pending::Authenticate { .. }))?
        else {
            return Ok(());
        };
        let status = if status.kind() == StatusKind::Ok {
            Status::no("Authentication failed").with_code(Code::AuthenticationFailed)
        } else {
            status
        };
        self.send_tagged(&tag, &status);
        self.auth_failed();
        Ok(())
    }

    /// The TLS handshake after [`Event::StartTls`] completed; commands are read again
    /// (the client should ask for CAPABILITY anew).
    pub fn tls_established(&mut self) -> Result<(), DecisionError> {
        if !matches!(self.phase, Phase::TlsHandshake) {
            return Err(DecisionError::Unexpected {
                waiting_for: self.pending.as_ref().map_or("nothing", Pending::name),
            });
        }
        self.tls = true;
        self.phase = Phase::Command;
        self.anchor = self.clock;
        Ok(())
    }
}
