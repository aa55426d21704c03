//! Reading commands: framing outcomes, per-state validity, and the commands the machine
//! answers itself (CAPABILITY, NOOP, LOGOUT, STARTTLS, ENABLE, IDLE, AUTHENTICATE
//! checks, LOGIN refusal before TLS; COMPRESS is in `compress.rs`).

use bytes::Buf;

use super::literals;
use super::state::{self, Refusal};
use super::{CommandKind, Event, LiteralPolicy, Pending, Phase, SaslData, Server, State, Status};
use crate::codec::{
    AuthenticateResponse, DecodeError, Streamed, decode_authenticate_response,
    decode_command_streaming, frame, read_tag,
};
use crate::types::{Capability, Code, Command, CommandBody, Response, StatusKind, Tag, Untagged};

impl Server {
    pub(super) fn step_command(&mut self) -> bool {
        if self.input.is_empty() {
            return false;
        }
        match decode_command_streaming(&self.input, &self.decode) {
            Ok((n, streamed)) => {
                if let Some((offset, header)) =
                    literals::next_unanswered(&self.input[..n], self.literal_acked, n)
                {
                    let tag = read_tag(&self.input);
                    self.sync_literal(tag, header.length, header.binary, offset);
                    return true;
                }
                match streamed {
                    Streamed::Command(command) => {
                        let command = command.into_owned();
                        self.consume(n);
                        self.dispatch(command);
                    }
                    Streamed::Append(start) => {
                        let start = start.into_owned();
                        self.consume(n);
                        self.append_start(start);
                    }
                }
            }
            Err(DecodeError::Incomplete) => return false,
            Err(DecodeError::Literal {
                tag,
                length,
                non_sync,
                binary,
                offset,
            }) => {
                let earlier =
                    literals::next_unanswered(&self.input[..offset], self.literal_acked, offset);
                if let Some((earlier, header)) = earlier {
                    self.sync_literal(tag, header.length, header.binary, earlier);
                } else if non_sync || offset <= self.literal_acked {
                    return false;
                } else {
                    self.sync_literal(tag, length, binary, offset);
                }
            }
            Err(DecodeError::Invalid {
                consumed,
                tag,
                reason,
            }) => {
                self.consume(consumed);
                self.bad(tag.as_ref(), &reason);
            }
            Err(DecodeError::LiteralTooLarge {
                tag,
                non_sync,
                consumed,
                ..
            }) => {
                if non_sync {
                    self.close_unframeable(tag, "Non-synchronizing literal too large");
                } else {
                    self.consume(consumed);
                    let status = Status::no("Literal too large").with_code(Code::TooBig);
                    match tag {
                        Some(tag) => self.send_tagged(&tag, &status),
                        None => self.bad(None, "Literal too large"),
                    }
                }
            }
            Err(DecodeError::TooLong { tag }) => {
                self.close_unframeable(tag, "Command line too long");
            }
        }
        true
    }

    /// Drops `n` bytes of input: a whole command or a refused literal's prefix. A
    /// complete line arrived, so the inactivity timeout restarts.
    pub(super) fn consume(&mut self, n: usize) {
        self.input.advance(n.min(self.input.len()));
        self.literal_acked = 0;
        self.anchor = self.clock;
    }

    /// A synchronising literal within the limits: ask, or accept at once.
    fn sync_literal(
        &mut self,
        tag: Option<Tag<'static>>,
        length: u32,
        binary: bool,
        offset: usize,
    ) {
        let Some(tag) = tag else {
            self.consume(offset);
            self.bad(None, "Missing or invalid tag");
            return;
        };
        match self.config.literal_policy {
            LiteralPolicy::Accept => {
                self.literal_acked = offset;
                self.anchor = self.clock;
                self.send_continuation("Ready for literal data");
            }
            LiteralPolicy::Ask => {
                let command = command_name(&self.input[..offset]);
                self.pending = Some(Pending::Literal {
                    tag: tag.clone(),
                    offset,
                });
                self.push_event(Event::Literal {
                    tag: Some(tag),
                    command,
                    length,
                    binary,
                });
            }
        }
    }

    fn dispatch(&mut self, command: Command<'static>) {
        let tag = command.tag.clone();
        match state::check(self.state, &command.body, &self.config) {
            Err(Refusal::WrongState(why)) => return self.bad(Some(&tag), why),
            Err(Refusal::NotOffered) => {
                let text = format!("{} not supported", command.body.name());
                return self.bad(Some(&tag), &text);
            }
            Ok(()) => {}
        }
        match &command.body {
            CommandBody::Capability => {
                let caps = self.capabilities();
                self.send_response(&Response::Untagged(Untagged::Capability(caps)));
                self.send_tagged(&tag, &Status::ok("CAPABILITY completed"));
            }
            CommandBody::Noop => {
                self.noop = Some(tag.clone());
                self.release_unsolicited();
                self.push_event(Event::Noop { tag });
            }
            CommandBody::Logout => self.logout(&tag),
            CommandBody::StartTls => self.starttls(&tag),
            CommandBody::CompressDeflate => self.compress(tag),
            CommandBody::Enable(caps) => {
                let caps = caps.as_slice().to_vec();
                self.enable(&tag, caps);
            }
            CommandBody::Idle => self.idle(tag),
            CommandBody::Authenticate { .. } => self.authenticate(command),
            CommandBody::Login { .. } if !self.auth_allowed() => {
                let status =
                    Status::no("Login not allowed without TLS").with_code(Code::PrivacyRequired);
                self.send_tagged(&tag, &status);
            }
            body => {
                let kind = match body {
                    CommandBody::Login { .. } => CommandKind::Login,
                    CommandBody::Select { .. } => CommandKind::Select { examine: false },
                    CommandBody::Examine { .. } => CommandKind::Select { examine: true },
                    CommandBody::Close | CommandBody::Unselect => CommandKind::Deselect,
                    _ => CommandKind::Other,
                };
                if matches!(kind, CommandKind::Select { .. }) {
                    self.deselect_for_select();
                }
                self.pending = Some(Pending::Command {
                    tag,
                    kind,
                    // CLOSE/UNSELECT drop queued updates instead of sending them.
                    blocks_expunge: kind == CommandKind::Deselect || state::blocks_expunge(body),
                });
                self.release_unsolicited();
                self.push_event(Event::Command(command));
            }
        }
    }

    /// SELECT/EXAMINE closes the selected mailbox first; IMAP4rev2 and QRESYNC clients
    /// are told with `* OK [CLOSED]`.
    fn deselect_for_select(&mut self) {
        if matches!(self.state, State::Selected { .. }) {
            self.leave_selected();
            if self.is_rev2() || self.is_enabled(&Capability::QResync) {
                let text = Status::ok("Previous mailbox is now closed")
                    .with_code(Code::Closed)
                    .resp_text();
                self.send_untagged_status(StatusKind::Ok, text);
            }
        }
    }

    /// Whether LOGIN and AUTHENTICATE are allowed now (TLS or plaintext allowed).
    pub(super) fn auth_allowed(&self) -> bool {
        self.tls || self.config.plaintext_auth
    }

    fn logout(&mut self, tag: &Tag<'_>) {
        let text = Status::ok(self.config.logout_text.clone()).resp_text();
        self.send_response(&Response::Untagged(Untagged::Bye(text)));
        self.send_tagged(tag, &Status::ok("LOGOUT completed"));
        self.flush();
        self.phase = Phase::Closed;
        self.state = State::Logout;
        self.input.clear();
        self.unsolicited.clear();
        self.push_event(Event::Closed(super::CloseReason::Logout));
    }

    fn starttls(&mut self, tag: &Tag<'_>) {
        if self.tls {
            return self.bad(Some(tag), "TLS is already active");
        }
        self.send_tagged(tag, &Status::ok("Begin TLS negotiation now"));
        self.flush();
        // Plaintext pipelined after STARTTLS is never executed (command injection).
        self.input.clear();
        self.literal_acked = 0;
        self.phase = Phase::TlsHandshake;
        self.push_event(Event::StartTls);
    }

    fn enable(&mut self, tag: &Tag<'_>, requested: Vec<Capability<'static>>) {
        let mut newly = Vec::new();
        for cap in requested {
            if self.can_enable(&cap) && !self.is_enabled(&cap) && !newly.contains(&cap) {
                newly.push(cap);
            }
        }
        for cap in &newly {
            self.enabled.push(cap.clone());
            if *cap == Capability::QResync && !self.is_enabled(&Capability::CondStore) {
                self.enabled.push(Capability::CondStore);
            }
        }
        self.send_response(&Response::Untagged(Untagged::Enabled(newly.clone())));
        self.send_tagged(tag, &Status::ok("ENABLE completed"));
        if !newly.is_empty() {
            self.push_event(Event::Enabled(newly));
        }
    }

    fn can_enable(&self, cap: &Capability<'_>) -> bool {
        match cap {
            Capability::Imap4Rev2 => self.config.imap4rev2,
            Capability::Utf8Accept | Capability::CondStore | Capability::QResync => {
                self.config.has_extension(cap)
            }
            _ => false,
        }
    }

    fn idle(&mut self, tag: Tag<'static>) {
        self.phase = Phase::Idle { tag };
        self.replies.extend_from_slice(b"+ idling\r\n");
        self.release_unsolicited();
        self.flush();
        self.push_event(Event::IdleStart);
    }

    pub(super) fn step_idle(&mut self) -> bool {
        let Phase::Idle { tag } = &self.phase else {
            return false;
        };
        let tag = tag.clone();
        match frame(&self.input, &self.decode) {
            Ok(len) => {
                let done = self.input[..len]
                    .strip_suffix(b"\r\n")
                    .is_some_and(|l| l.eq_ignore_ascii_case(b"DONE"));
                self.consume(len);
                self.end_idle(&tag, done);
            }
            Err(DecodeError::Incomplete | DecodeError::Literal { non_sync: true, .. }) => {
                return false;
            }
            Err(DecodeError::Literal { offset, .. }) => {
                self.consume(offset);
                self.end_idle(&tag, false);
            }
            Err(DecodeError::LiteralTooLarge {
                non_sync: false,
                consumed,
                ..
            }) => {
                self.consume(consumed);
                self.end_idle(&tag, false);
            }
            Err(_) => self.close_unframeable(Some(tag), "Expected DONE"),
        }
        true
    }

    /// Ends IDLE with OK after `DONE`, or BAD after anything else.
    fn end_idle(&mut self, tag: &Tag<'static>, done: bool) {
        self.phase = Phase::Command;
        self.push_event(Event::IdleDone);
        if done {
            self.send_tagged(tag, &Status::ok("IDLE terminated"));
        } else {
            self.bad(Some(tag), "Expected DONE");
        }
    }

    fn authenticate(&mut self, command: Command<'static>) {
        let tag = command.tag;
        let CommandBody::Authenticate {
            mechanism,
            initial_response,
        } = command.body
        else {
            return;
        };
        let mechanism = mechanism.as_str().to_ascii_uppercase();
        if !self.auth_allowed() {
            let status = Status::no("Authentication not allowed without TLS")
                .with_code(Code::PrivacyRequired);
            return self.send_tagged(&tag, &status);
        }
        if !self.config.auth_mechanisms.contains(&mechanism) {
            let status = Status::no("Unsupported authentication mechanism").with_code(Code::Cannot);
            return self.send_tagged(&tag, &status);
        }
        if initial_response.is_some() && !self.config.sasl_ir {
            return self.bad(Some(&tag), "SASL-IR not supported");
        }
        self.pending = Some(Pending::Authenticate { tag: tag.clone() });
        self.push_event(Event::Authenticate {
            tag,
            mechanism,
            initial_response: initial_response.map(|r| SaslData(r.0.into_owned())),
        });
    }

    pub(super) fn step_auth_response(&mut self) -> bool {
        let Phase::AuthResponse { tag } = &self.phase else {
            return false;
        };
        let tag = tag.clone();
        let max = self.config.limits.max_auth_line_length;
        match decode_authenticate_response(&self.input, max) {
            Err(DecodeError::Incomplete) => return false,
            Ok((n, AuthenticateResponse::Data(data))) => {
                self.consume(n);
                self.phase = Phase::Command;
                self.pending = Some(Pending::Authenticate { tag });
                self.push_event(Event::AuthResponse(SaslData(data.0)));
            }
            Ok((n, AuthenticateResponse::Cancel)) => {
                self.consume(n);
                self.phase = Phase::Command;
                self.push_event(Event::AuthCancelled);
                self.send_tagged(&tag, &Status::bad("Authentication cancelled"));
                self.auth_failed();
            }
            Err(DecodeError::Invalid { consumed, .. }) => {
                self.consume(consumed);
                self.phase = Phase::Command;
                self.push_event(Event::AuthCancelled);
                self.bad(Some(&tag), "Invalid base64 in authentication exchange");
            }
            Err(_) => self.close_unframeable(Some(tag), "Authentication line too long"),
        }
        true
    }
}

/// The command name after the tag (`UID FETCH` for UID commands), upper case.
fn command_name(prefix: &[u8]) -> Option<String> {
    let mut words = prefix
        .split(|&b| b == b' ' || b == b'\r' || b == b'\n')
        .filter(|w| !w.is_empty())
        .skip(1);
    let word = |w: &[u8]| {
        w.iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
            .then(|| String::from_utf8_lossy(w).to_ascii_uppercase())
    };
    let first = word(words.next()?)?;
    if first == "UID" {
        let second = word(words.next()?)?;
        return Some(format!("UID {second}"));
    }
    Some(first)
}
