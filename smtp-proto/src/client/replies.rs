//! How the client reacts to each reply from the server.

use super::{
    Client, ClientError, Event, Expect, Mode, Phase, State, Transaction, TransactionResult,
    Transfer, encoded,
};
use crate::codec::{DecodeError, decode_reply};
use crate::types::{Command, EhloReply, Reply};
use base64::Engine;
use base64::engine::general_purpose::STANDARD_PAD_INDIFFERENT;
use bytes::{Buf, BytesMut};
use std::borrow::Cow;

impl Client {
    /// Decodes and handles every complete reply in the input buffer.
    pub(super) fn process_input(&mut self) {
        while self.state != State::Closed && !self.input.is_empty() {
            let decoded = decode_reply(&self.input);
            let (consumed, reply) = match decoded {
                Ok((consumed, reply)) => (consumed, reply.into_owned()),
                Err(DecodeError::Incomplete) => {
                    if let Err(reason) = self.check_partial() {
                        self.fail(ClientError::InvalidReply {
                            reason: reason.into(),
                        });
                    }
                    return;
                }
                Err(DecodeError::Invalid { reason, .. }) => {
                    return self.fail(ClientError::InvalidReply { reason });
                }
            };
            if let Err(reason) = self.check_complete(consumed, reply.lines.len()) {
                return self.fail(ClientError::InvalidReply {
                    reason: reason.into(),
                });
            }
            self.input.advance(consumed);
            self.on_reply(reply);
            if self.state == State::TlsHandshake && !self.input.is_empty() {
                self.fail(ClientError::DataBeforeTls);
            }
        }
    }

    /// Applies the configured limits (which can only be tighter than the codec's) to the
    /// start of an incomplete reply, so that input buffering stays bounded.
    fn check_partial(&self) -> Result<(), &'static str> {
        let partial_line = match memchr::memrchr(b'\n', &self.input) {
            Some(lf) => self.input.len() - lf - 1,
            None => self.input.len(),
        };
        if partial_line > self.config.max_reply_line_len {
            Err("reply line too long")
        } else if self.input.len() > self.config.max_reply_len {
            Err("reply too long")
        } else {
            Ok(())
        }
    }

    /// Applies the configured limits to a complete reply of `len` bytes.
    fn check_complete(&self, len: usize, lines: usize) -> Result<(), &'static str> {
        let longest = self.input[..len]
            .split_inclusive(|&b| b == b'\n')
            .map(<[u8]>::len)
            .max()
            .unwrap_or(0);
        if longest > self.config.max_reply_line_len {
            Err("reply line too long")
        } else if lines > self.config.max_reply_lines {
            Err("reply has too many lines")
        } else if len > self.config.max_reply_len {
            Err("reply too long")
        } else {
            Ok(())
        }
    }

    fn on_reply(&mut self, reply: Reply<'static>) {
        let Some((_, expect)) = self.expects.pop_front() else {
            return self.fail(unexpected(reply));
        };
        if reply.code == 421 && expect != Expect::Quit {
            return self.fail(ClientError::ServiceClosing(reply));
        }
        match expect {
            Expect::Greeting => self.on_greeting(reply),
            Expect::Ehlo | Expect::Lhlo => self.on_ehlo(reply),
            Expect::Helo => self.on_helo(reply),
            Expect::StartTls => self.on_starttls(reply),
            Expect::Auth => self.on_auth(reply),
            Expect::Mail => self.on_mail(reply),
            Expect::Rcpt(index) => self.on_rcpt(index, reply),
            Expect::Data => self.on_data(reply),
            Expect::Bdat => self.on_bdat(reply),
            Expect::DataEnd(index) => self.on_data_end(index, reply),
            Expect::Rset { internal: true } => self.complete_transaction(),
            Expect::Rset { internal: false } => self.ready_with(Event::Reset(reply)),
            Expect::Noop => self.ready_with(Event::Noop(reply)),
            Expect::Quit => self.close(),
        }
    }

    fn ready_with(&mut self, event: Event) {
        self.state = State::Ready;
        self.push_event(event);
    }

    fn on_greeting(&mut self, reply: Reply<'static>) {
        if reply.code == 220 {
            self.push_event(Event::Greeting(reply));
            self.send_hello();
        } else {
            // RFC 5321 section 3.1: after a 554 greeting the server waits for QUIT.
            self.push_transmit(encoded(&Command::Quit));
            self.fail(ClientError::GreetingRejected(reply));
        }
    }

    fn on_ehlo(&mut self, reply: Reply<'static>) {
        if let Some(hello) = EhloReply::from_reply(&reply) {
            let hello = hello.into_owned();
            self.become_ready(hello, true);
        } else if self.config.mode == Mode::Smtp && matches!(reply.code, 500 | 502) {
            let domain = Cow::Owned(self.config.hello_domain.clone());
            self.send(&Command::Helo(domain), Expect::Helo, State::Hello);
        } else {
            self.refuse_hello(reply);
        }
    }

    fn on_helo(&mut self, reply: Reply<'static>) {
        match EhloReply::from_reply(&reply) {
            Some(hello) => {
                let hello = EhloReply {
                    capabilities: Vec::new(),
                    ..hello.into_owned()
                };
                self.become_ready(hello, false);
            }
            None => self.refuse_hello(reply),
        }
    }

    fn become_ready(&mut self, hello: EhloReply<'static>, extended: bool) {
        self.hello = Some(hello.clone());
        self.extended = extended;
        self.ready_with(Event::Ready { hello, extended });
    }

    fn refuse_hello(&mut self, reply: Reply<'static>) {
        self.push_transmit(encoded(&Command::Quit));
        self.fail(ClientError::HelloRejected(reply));
    }

    fn on_starttls(&mut self, reply: Reply<'static>) {
        if reply.code == 220 {
            self.state = State::TlsHandshake;
            self.push_event(Event::StartTls);
        } else {
            self.ready_with(Event::StartTlsRefused(reply));
        }
    }

    fn on_auth(&mut self, reply: Reply<'static>) {
        match reply.code {
            235 => self.ready_with(Event::AuthSucceeded(reply)),
            334 => {
                let text = reply.lines.first().map_or("", |l| l.trim());
                match STANDARD_PAD_INDIFFERENT.decode(text) {
                    Ok(challenge) => {
                        self.state = State::AuthChallenge;
                        self.push_event(Event::AuthChallenge(challenge));
                    }
                    Err(_) => self.fail(ClientError::InvalidChallenge),
                }
            }
            _ => self.ready_with(Event::AuthFailed(reply)),
        }
    }

    fn on_mail(&mut self, reply: Reply<'static>) {
        let accepted = reply.is_positive();
        self.push_event(Event::MailReply(reply.clone()));
        let Some(tx) = self.tx.as_mut() else {
            return;
        };
        tx.mail = Some(reply);
        if tx.pipelined {
            return;
        }
        if accepted {
            self.send_next_rcpt();
        } else {
            self.complete_transaction();
        }
    }

    fn on_rcpt(&mut self, index: usize, reply: Reply<'static>) {
        self.push_event(Event::Recipient {
            index,
            reply: reply.clone(),
        });
        let Some(tx) = self.tx.as_mut() else {
            return;
        };
        if let Some(result) = tx.recipients.get_mut(index) {
            result.rcpt = Some(reply);
        }
        let last = index + 1 == tx.recipients.len();
        if !tx.pipelined {
            self.send_next_rcpt();
        } else if last && tx.transfer == Transfer::Bdat {
            self.after_envelope();
        }
    }

    /// Without PIPELINING: sends the next RCPT, or moves on once all are answered.
    fn send_next_rcpt(&mut self) {
        let Some(tx) = self.tx.as_mut() else {
            return;
        };
        match tx.unsent_rcpts.pop_front() {
            Some(rcpt) => {
                let index = tx.recipients.len() - tx.unsent_rcpts.len() - 1;
                self.send_raw(rcpt, Expect::Rcpt(index), State::Transaction);
            }
            None => self.after_envelope(),
        }
    }

    /// All RCPT replies are in (and DATA not sent yet): start the data or give up.
    fn after_envelope(&mut self) {
        let Some(tx) = self.tx.as_mut() else {
            return;
        };
        if !tx.mail_accepted() {
            return self.complete_transaction();
        }
        if tx.accepted_count() == 0 {
            return self.reset_transaction();
        }
        match tx.transfer {
            Transfer::Data => self.send(&Command::Data, Expect::Data, State::Transaction),
            Transfer::Bdat => self.start_body(),
        }
    }

    fn start_body(&mut self) {
        if let Some(tx) = self.tx.as_mut() {
            tx.phase = Phase::Body;
            self.push_event(Event::SendBody);
        }
    }

    fn on_data(&mut self, reply: Reply<'static>) {
        let Some(tx) = self.tx.as_mut() else {
            return;
        };
        if reply.code != 354 {
            tx.data = Some(reply);
            return self.finish_or_reset();
        }
        if tx.mail_accepted() && tx.accepted_count() > 0 {
            return self.start_body();
        }
        // RFC 2920 section 3.1: DATA was pipelined but no recipient was accepted. Close
        // the data phase with an empty message, which the server cannot deliver.
        tx.phase = Phase::Finishing;
        let mut out = BytesMut::new();
        tx.stuffer.finish(&mut out);
        self.send_raw(out, Expect::DataEnd(None), State::Transaction);
    }

    fn on_bdat(&mut self, reply: Reply<'static>) {
        let Some(tx) = self.tx.as_mut() else {
            return;
        };
        if reply.is_positive() {
            tx.phase = Phase::Body;
            self.push_event(Event::SendBody);
        } else {
            // RFC 3030 section 4.2: after a failed chunk no more chunks are sent.
            tx.data = Some(reply);
            self.reset_transaction();
        }
    }

    fn on_data_end(&mut self, index: Option<usize>, reply: Reply<'static>) {
        let Some(tx) = self.tx.as_mut() else {
            return;
        };
        match index {
            Some(index) => {
                if let Some(result) = tx.recipients.get_mut(index) {
                    result.delivery = Some(reply);
                }
                let more = matches!(self.expects.front(), Some((_, Expect::DataEnd(_))));
                if !more {
                    self.complete_transaction();
                }
            }
            None => {
                for result in tx.recipients.iter_mut().filter(|r| r.is_accepted()) {
                    result.delivery = Some(reply.clone());
                }
                tx.data = Some(reply);
                self.complete_transaction();
            }
        }
    }

    /// After a refused DATA: the server may still hold the transaction if MAIL succeeded.
    fn finish_or_reset(&mut self) {
        if self.tx.as_ref().is_some_and(Transaction::mail_accepted) {
            self.reset_transaction();
        } else {
            self.complete_transaction();
        }
    }

    /// Sends RSET by itself; the transaction completes when it is answered.
    fn reset_transaction(&mut self) {
        if let Some(tx) = self.tx.as_mut() {
            tx.phase = Phase::Resetting;
        }
        let expect = Expect::Rset { internal: true };
        self.send(&Command::Rset, expect, State::Transaction);
    }

    fn complete_transaction(&mut self) {
        let Some(tx) = self.tx.take() else {
            return;
        };
        let result = TransactionResult {
            mail: tx.mail.unwrap_or_else(|| Reply::new(0, None, "")),
            recipients: tx.recipients,
            data: tx.data,
        };
        self.ready_with(Event::TransactionComplete(result));
    }
}

fn unexpected(reply: Reply<'static>) -> ClientError {
    ClientError::UnexpectedReply(reply)
}
