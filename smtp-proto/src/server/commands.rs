//! Command handling: sequencing (RFC 5321 section 4.1.4), extension checks, and the
//! events that hand decisions to the application.

use std::borrow::Cow;

use super::data::{BdatReceiver, DotReceiver};
use super::replies::{self, bad_sequence, not_implemented, ok, reply, unsupported_parameter};
use super::{
    BdatReject, BodyKind, CloseReason, Event, HelloKind, LookupPolicy, Mode, Pending, Phase,
    Server, UnknownParams,
};
use crate::codec::{CommandError, CommandErrorKind};
use crate::types::{
    Address, Body, Capability, Command, EhloReply, InitialResponse, MailFrom, Param, RcptTo, Reply,
};

impl Server {
    pub(super) fn handle_command(&mut self, command: Command<'_>) {
        match command {
            Command::Ehlo(d) => self.hello(HelloKind::Ehlo, &d),
            Command::Helo(d) => self.hello(HelloKind::Helo, &d),
            Command::Lhlo(d) => self.hello(HelloKind::Lhlo, &d),
            Command::Mail(mail) => self.mail(mail),
            Command::Rcpt(rcpt) => self.rcpt(rcpt),
            Command::Data => self.data(),
            Command::Bdat { size, last } => self.bdat(size, last),
            Command::Rset => {
                self.drop_transaction();
                self.send(ok());
            }
            Command::Noop(_) => self.send(ok()),
            Command::Quit => self.close_with(reply(221, (2, 0, 0), "Bye"), CloseReason::Quit),
            Command::Vrfy(arg) => self.lookup(self.config.vrfy, Event::Vrfy(arg.into_owned())),
            Command::Expn(arg) => self.lookup(self.config.expn, Event::Expn(arg.into_owned())),
            Command::Help(_) => {
                let text = self.config.help_text.clone();
                self.send(reply(214, (2, 0, 0), text));
            }
            Command::StartTls => self.starttls(),
            Command::Auth {
                mechanism,
                initial_response,
            } => self.auth(&mechanism, initial_response),
        }
    }

    pub(super) fn command_error(&mut self, error: &CommandError) {
        let reason = error.reason.clone();
        let r = match error.kind {
            CommandErrorKind::UnknownCommand => replies::unknown_command(),
            CommandErrorKind::LineEnding => {
                reply(500, (5, 5, 2), "Error: bare CR or LF in command")
            }
            CommandErrorKind::Encoding => {
                reply(500, (5, 5, 2), "Error: command is not valid UTF-8")
            }
            CommandErrorKind::Address if error.verb == Some("MAIL") => {
                reply(501, (5, 1, 7), reason)
            }
            CommandErrorKind::Address => reply(501, (5, 1, 3), reason),
            _ => reply(501, (5, 5, 4), reason),
        };
        if error.verb == Some("BDAT") {
            // The chunk size is unknown, so its bytes cannot be told from commands:
            // stop rather than execute message content as commands.
            self.send(r);
            let lost = reply(421, (4, 7, 0), "Error: BDAT framing lost, closing");
            self.close_with(lost, CloseReason::LostFraming);
        } else {
            self.protocol_error(r);
        }
    }

    fn lmtp(&self) -> bool {
        self.config.mode == Mode::Lmtp
    }

    fn greet_first(&self) -> &'static str {
        if self.lmtp() {
            "Error: send LHLO first"
        } else {
            "Error: send HELO/EHLO first"
        }
    }

    /// Drops the current transaction, telling the application if there was one.
    fn drop_transaction(&mut self) {
        if self.session.transaction.take().is_some() {
            self.push_event(Event::Reset);
        }
    }

    fn hello(&mut self, kind: HelloKind, domain: &str) {
        if (kind == HelloKind::Lhlo) != self.lmtp() {
            return self.protocol_error(replies::unknown_command());
        }
        self.drop_transaction();
        self.session.hello = Some((kind, domain.to_owned()));
        let r = match kind {
            HelloKind::Helo => Reply::new(250, None, self.config.hostname.clone()),
            HelloKind::Ehlo | HelloKind::Lhlo => self.ehlo_reply(),
        };
        self.send(r);
        self.push_event(Event::Hello {
            kind,
            domain: domain.to_owned(),
        });
    }

    fn auth_offered(&self) -> bool {
        !self.config.auth_mechanisms.is_empty()
            && (self.session.tls || !self.config.auth_requires_tls)
    }

    fn ehlo_reply(&self) -> Reply<'static> {
        let e = &self.config.extensions;
        let tls = self.session.tls;
        let offers = [
            (e.pipelining, Capability::Pipelining),
            (
                e.size,
                Capability::Size(Some(self.config.limits.max_message_size)),
            ),
            (e.eight_bit_mime, Capability::EightBitMime),
            (e.chunking, Capability::Chunking),
            (e.chunking && e.binary_mime, Capability::BinaryMime),
            (e.smtputf8, Capability::SmtpUtf8),
            (e.dsn, Capability::Dsn),
            (e.starttls && !tls, Capability::StartTls),
            (
                self.auth_offered(),
                Capability::Auth(
                    self.config
                        .auth_mechanisms
                        .iter()
                        .map(|m| Cow::Owned(m.clone()))
                        .collect(),
                ),
            ),
            (true, Capability::EnhancedStatusCodes),
            (e.requiretls && tls, Capability::RequireTls),
        ];
        EhloReply {
            domain: Cow::Owned(self.config.hostname.clone()),
            greeting: None,
            capabilities: offers
                .into_iter()
                .filter(|(on, _)| *on)
                .map(|(_, c)| c)
                .collect(),
        }
        .to_reply()
    }

    /// Whether an extension may be used: enabled and the client greeted with EHLO/LHLO.
    fn extension(&self, enabled: bool) -> bool {
        enabled && !matches!(self.session.hello, Some((HelloKind::Helo, _)))
    }

    fn mail(&mut self, mail: MailFrom<'_>) {
        if self.session.hello.is_none() {
            return self.protocol_error(bad_sequence(self.greet_first()));
        }
        if self.session.transaction.is_some() {
            return self.protocol_error(bad_sequence("Error: nested MAIL command"));
        }
        if self.config.require_tls && !self.session.tls {
            return self.protocol_error(reply(
                530,
                (5, 7, 0),
                "Must issue a STARTTLS command first",
            ));
        }
        if self.config.require_auth && self.session.identity.is_none() {
            return self.protocol_error(reply(530, (5, 7, 0), "Authentication required"));
        }
        if let Err((r, protocol_error)) = self.check_mail(&mail) {
            return if protocol_error {
                self.protocol_error(r)
            } else {
                self.send(r)
            };
        }
        let mail = mail.into_owned();
        self.pending = Some(Pending::Mail(mail.clone()));
        self.push_event(Event::Mail(mail));
    }

    /// Checks MAIL parameters against the offered extensions and limits. The error says
    /// whether it counts as a client protocol error.
    fn check_mail(&self, mail: &MailFrom<'_>) -> Result<(), (Reply<'static>, bool)> {
        let e = &self.config.extensions;
        let p = &mail.params;
        let unsupported = |k: &str| Err((unsupported_parameter(k), true));
        if let Some(other) = refused_unknown(self.config.unknown_params, &p.other) {
            return unsupported(&other.keyword);
        }
        if let Some(size) = p.size {
            if !self.extension(e.size) {
                return unsupported("SIZE");
            }
            if size > self.config.limits.max_message_size {
                return Err((replies::message_too_big(), false));
            }
        }
        let binary = e.chunking && e.binary_mime;
        let body_ok = match p.body {
            None => true,
            Some(Body::SevenBit) => self.extension(e.eight_bit_mime || binary),
            Some(Body::EightBitMime) => self.extension(e.eight_bit_mime),
            Some(Body::BinaryMime) => self.extension(binary),
        };
        if !body_ok {
            return unsupported("BODY");
        }
        if p.smtputf8 && !self.extension(e.smtputf8) {
            return unsupported("SMTPUTF8");
        }
        if (p.ret.is_some() || p.envid.is_some()) && !self.extension(e.dsn) {
            return unsupported(if p.ret.is_some() { "RET" } else { "ENVID" });
        }
        if p.requiretls && !(self.extension(e.requiretls) && self.session.tls) {
            return unsupported("REQUIRETLS");
        }
        if p.auth.is_some() && !self.extension(self.auth_offered()) {
            return unsupported("AUTH");
        }
        if !p.smtputf8 && mail.sender.as_ref().is_some_and(is_non_ascii) {
            return Err((non_ascii_address(), false));
        }
        Ok(())
    }

    fn rcpt(&mut self, rcpt: RcptTo<'_>) {
        let dsn = self.extension(self.config.extensions.dsn);
        let max = self.config.limits.max_recipients;
        let unknown = self.config.unknown_params;
        let Some(txn) = self.session.transaction.as_mut() else {
            return self.protocol_error(bad_sequence("Error: need MAIL command"));
        };
        if txn.bdat_received.is_some() {
            return self.protocol_error(bad_sequence("Error: RCPT after BDAT"));
        }
        txn.rcpt_seen = true;
        if let Some(other) = refused_unknown(unknown, &rcpt.params.other) {
            return self.protocol_error(unsupported_parameter(&other.keyword));
        }
        if (rcpt.params.notify.is_some() || rcpt.params.orcpt.is_some()) && !dsn {
            let keyword = if rcpt.params.notify.is_some() {
                "NOTIFY"
            } else {
                "ORCPT"
            };
            return self.protocol_error(unsupported_parameter(keyword));
        }
        if !txn.mail.params.smtputf8 && is_non_ascii(&rcpt.recipient) {
            return self.send(non_ascii_address());
        }
        if txn.recipients.len() >= max {
            return self.send(reply(452, (4, 5, 3), "Error: too many recipients"));
        }
        let rcpt = rcpt.into_owned();
        self.pending = Some(Pending::Rcpt(rcpt.clone()));
        self.push_event(Event::Rcpt(rcpt));
    }

    fn data(&mut self) {
        let lmtp = self.lmtp();
        let Some(txn) = self.session.transaction.as_ref() else {
            return self.protocol_error(bad_sequence("Error: need MAIL command"));
        };
        if txn.bdat_received.is_some() {
            return self.protocol_error(bad_sequence("Error: DATA after BDAT"));
        }
        if txn.mail.params.body == Some(Body::BinaryMime) {
            return self.protocol_error(bad_sequence("Error: BODY=BINARYMIME requires BDAT"));
        }
        if !txn.rcpt_seen {
            return self.protocol_error(bad_sequence("Error: need RCPT command"));
        }
        if txn.recipients.is_empty() {
            return self.send(replies::no_valid_recipients(lmtp));
        }
        self.send(Reply::new(354, None, "End data with <CR><LF>.<CR><LF>"));
        self.flush();
        let l = &self.config.limits;
        let rx = DotReceiver::new(
            l.max_data_line_length,
            l.max_message_size,
            self.config.bare_line_endings,
        );
        self.phase = Phase::Data(rx);
        self.push_event(Event::DataStart {
            kind: BodyKind::Data,
        });
    }

    fn bdat(&mut self, size: u64, last: bool) {
        let reject = self.bdat_check(size, last);
        if reject.is_none()
            && let Some(txn) = self.session.transaction.as_mut()
        {
            let first = txn.bdat_received.is_none();
            txn.bdat_received = Some(txn.bdat_received.unwrap_or(0).saturating_add(size));
            if first {
                self.push_event(Event::DataStart {
                    kind: BodyKind::Bdat,
                });
            }
        }
        let rx = BdatReceiver {
            remaining: size,
            last,
            deliver: reject.is_none(),
            ends: self.session.transaction.as_ref().and_then(|t| t.bdat_ends),
        };
        if size == 0 {
            self.bdat_done(&rx, size, reject);
        } else {
            self.phase = Phase::Bdat { rx, size, reject };
        }
    }

    /// Decides whether a BDAT chunk is delivered; `Some` means read and discard it, then
    /// send the given reply (RFC 3030 section 2).
    fn bdat_check(&mut self, size: u64, last: bool) -> Option<BdatReject> {
        let sequence = |text| {
            Some(BdatReject {
                reply: bad_sequence(text),
                count: 1,
                protocol_error: true,
            })
        };
        if !self.extension(self.config.extensions.chunking) {
            return Some(BdatReject {
                reply: not_implemented(),
                count: 1,
                protocol_error: true,
            });
        }
        let lmtp = self.lmtp();
        let max = self.config.limits.max_message_size;
        let txn = match self.session.transaction.as_ref() {
            None => return sequence("Error: need MAIL command"),
            Some(txn) if !txn.rcpt_seen => return sequence("Error: need RCPT command"),
            Some(txn) => txn,
        };
        if txn.recipients.is_empty() {
            return Some(BdatReject {
                reply: replies::no_valid_recipients(lmtp),
                count: 1,
                protocol_error: false,
            });
        }
        let received = txn.bdat_received.unwrap_or(0);
        if received.checked_add(size).is_none_or(|total| total > max) {
            let count = if lmtp && last {
                txn.recipients.len()
            } else {
                1
            };
            let started = txn.bdat_received.is_some();
            self.session.transaction = None;
            if started {
                self.push_event(Event::MessageRejected(super::BodyError::TooBig));
            }
            return Some(BdatReject {
                reply: replies::message_too_big(),
                count,
                protocol_error: false,
            });
        }
        None
    }

    fn lookup(&mut self, policy: LookupPolicy, event: Event) {
        match policy {
            LookupPolicy::Disabled => self.protocol_error(not_implemented()),
            LookupPolicy::CannotVerify => self.send(reply(
                252,
                (2, 5, 0),
                "Cannot VRFY user, but will accept message and attempt delivery",
            )),
            LookupPolicy::Ask => {
                self.pending = Some(Pending::Lookup);
                self.push_event(event);
            }
        }
    }

    fn starttls(&mut self) {
        if !self.config.extensions.starttls {
            return self.protocol_error(not_implemented());
        }
        if self.session.tls {
            return self.protocol_error(bad_sequence("Error: TLS already active"));
        }
        if self.session.transaction.is_some() {
            return self.protocol_error(bad_sequence("Error: MAIL transaction in progress"));
        }
        self.send(reply(220, (2, 0, 0), "Ready to start TLS"));
        self.flush();
        // Anything pipelined after STARTTLS arrived in plaintext: never execute it
        // (CVE-2011-0411).
        self.input.clear();
        self.phase = Phase::TlsHandshake;
        self.push_event(Event::StartTls);
    }

    fn auth(&mut self, mechanism: &str, initial_response: Option<InitialResponse<'_>>) {
        if self.config.auth_mechanisms.is_empty() {
            return self.protocol_error(bad_sequence("Error: authentication not enabled"));
        }
        if !self.auth_offered() {
            // A server that requires TLS answers everything but EHLO, STARTTLS, NOOP
            // and QUIT this way (RFC 3207 section 4); otherwise RFC 4954's 538.
            if self.config.require_tls && !self.session.tls {
                return self.protocol_error(reply(
                    530,
                    (5, 7, 0),
                    "Must issue a STARTTLS command first",
                ));
            }
            let text = "Encryption required for requested authentication mechanism";
            return self.protocol_error(reply(538, (5, 7, 11), text));
        }
        if !matches!(
            self.session.hello,
            Some((HelloKind::Ehlo | HelloKind::Lhlo, _))
        ) {
            return self.protocol_error(bad_sequence("Error: send EHLO first"));
        }
        if self.session.identity.is_some() {
            return self.protocol_error(bad_sequence("Error: already authenticated"));
        }
        if self.session.transaction.is_some() {
            return self.protocol_error(bad_sequence("Error: MAIL transaction in progress"));
        }
        if !self
            .config
            .auth_mechanisms
            .iter()
            .any(|m| m.eq_ignore_ascii_case(mechanism))
        {
            return self.protocol_error(reply(504, (5, 5, 4), "Unrecognized authentication type"));
        }
        self.pending = Some(Pending::Auth);
        self.push_event(Event::Auth {
            mechanism: mechanism.to_owned(),
            initial_response: initial_response.map(|r| super::SaslData(r.decode())),
        });
    }
}

/// The first unknown parameter the server refuses by itself, if any.
fn refused_unknown<'p, 'a>(policy: UnknownParams, other: &'p [Param<'a>]) -> Option<&'p Param<'a>> {
    match policy {
        UnknownParams::Reject => other.first(),
        UnknownParams::Ask => None,
    }
}

fn is_non_ascii(address: &Address<'_>) -> bool {
    !address.local_part.is_ascii() || !address.domain.is_ascii()
}

fn non_ascii_address() -> Reply<'static> {
    reply(553, (5, 6, 7), "Error: non-ASCII address requires SMTPUTF8")
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::super::{Config, Output, UnknownParams};
    use super::*;
    use crate::types::{EnhancedCode, Param};

    /// Runs `input` through a server that answers MAIL/RCPT with `answer`, returning the
    /// replies sent and the MAIL/RCPT events seen.
    fn run(
        config: Config,
        input: &[u8],
        answer: impl Fn(&mut Server, &Event),
    ) -> (String, Vec<Event>) {
        let mut server = Server::new(config, Instant::now());
        server.handle_input(input);
        let (mut sent, mut events) = (Vec::new(), Vec::new());
        loop {
            match server.poll_output() {
                Output::Transmit(b) => sent.extend_from_slice(&b),
                Output::Event(e @ (Event::Mail(_) | Event::Rcpt(_))) => {
                    answer(&mut server, &e);
                    events.push(e);
                }
                Output::Event(_) => {}
                Output::NeedInput => break,
            }
        }
        (String::from_utf8(sent).expect("ASCII replies"), events)
    }

    const INPUT: &[u8] = b"EHLO c.example\r\nMAIL FROM:<a@b.example> X-TRACE=abc XFLAG\r\n\
        RCPT TO:<c@d.example> X-PRIO=7\r\nRCPT TO:<e@d.example> X-BAD=1\r\n";

    fn param(keyword: &'static str, value: Option<&'static str>) -> Param<'static> {
        Param {
            keyword: keyword.into(),
            value: value.map(Into::into),
        }
    }

    #[test]
    fn unknown_parameters_rejected_by_default() {
        let (sent, events) = run(Config::new("mx.example"), INPUT, |_, _| {
            panic!("no decision expected")
        });
        assert!(events.is_empty());
        assert!(sent.ends_with(
            "555 5.5.4 Unsupported option: X-TRACE\r\n\
             503 5.5.1 Error: need MAIL command\r\n\
             503 5.5.1 Error: need MAIL command\r\n"
        ));
    }

    #[test]
    fn unknown_parameters_passed_to_the_application() {
        let mut config = Config::new("mx.example");
        config.unknown_params = UnknownParams::Ask;
        let refuse = Reply::new(555, Some(EnhancedCode::new(5, 5, 4)), "X-BAD refused");
        let (sent, events) = run(config, INPUT, |server, event| match event {
            Event::Mail(_) => server.accept_mail().expect("MAIL pending"),
            Event::Rcpt(r) if r.params.other.iter().any(|p| p.keyword == "X-BAD") => {
                server.reject_rcpt(refuse.clone()).expect("RCPT pending");
            }
            Event::Rcpt(_) => server.accept_rcpt().expect("RCPT pending"),
            _ => {}
        });
        let [Event::Mail(mail), Event::Rcpt(first), Event::Rcpt(second)] = &events[..] else {
            panic!("unexpected events {events:?}");
        };
        assert_eq!(
            mail.params.other,
            [param("X-TRACE", Some("abc")), param("XFLAG", None)]
        );
        assert_eq!(first.params.other, [param("X-PRIO", Some("7"))]);
        assert_eq!(second.params.other, [param("X-BAD", Some("1"))]);
        assert!(sent.ends_with("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n555 5.5.4 X-BAD refused\r\n"));
    }

    #[test]
    fn known_but_unoffered_parameters_still_refused_when_asking() {
        let mut config = Config::new("mx.example");
        config.unknown_params = UnknownParams::Ask;
        let input = b"EHLO c.example\r\nMAIL FROM:<a@b.example> RET=FULL\r\n";
        let (sent, events) = run(config, input, |_, _| panic!("no decision expected"));
        assert!(events.is_empty());
        assert!(sent.ends_with("555 5.5.4 Unsupported option: RET\r\n"));
    }
}
