//! Command handling per state: AUTHORIZATION and TRANSACTION.

use std::num::NonZeroU32;

use super::config::is_plaintext_mechanism;
use super::maildrop::{Lookup, Maildrop};
use super::{Event, Pending, Phase, Server, Streaming};
use crate::codec::{MultilineEncoder, parse_command_line};
use crate::types::{Capability, Command, ResponseCode, Status};

/// The one language this server speaks (RFC 6856 section 3).
const LANGUAGE: (&str, &str) = ("en", "English");

impl Server {
    pub(super) fn command_line(&mut self, line: &[u8]) {
        let Some(content) = line.strip_suffix(b"\r\n") else {
            return self.protocol_error(Status::new("lines must end with CRLF"));
        };
        match parse_command_line(content) {
            Ok(command) => self.command(command),
            Err(reason) => self.protocol_error(Status::new(reason)),
        }
    }

    fn command(&mut self, command: Command<'_>) {
        match command {
            Command::Capa => self.capa(),
            Command::Lang(range) => self.lang(range.as_deref()),
            Command::Quit if self.session.maildrop.is_none() => {
                let text = format!("{} POP3 server signing off", self.config.hostname);
                self.ok(text);
                self.finish_close(super::CloseReason::Quit);
            }
            command if self.session.maildrop.is_some() => self.transaction(command),
            command => self.authorization(command),
        }
    }

    /// Whether USER/PASS and plaintext SASL mechanisms are allowed now.
    fn plaintext_allowed(&self) -> bool {
        self.session.tls || self.config.allow_plaintext_without_tls
    }

    fn plaintext_refused(&mut self) {
        self.err(Status::with_code(
            ResponseCode::Auth,
            "plaintext authentication disallowed on non-secure connections",
        ));
    }

    /// SASL mechanisms usable now.
    fn mechanisms(&self) -> Vec<String> {
        self.config
            .auth_mechanisms
            .iter()
            .filter(|m| self.plaintext_allowed() || !is_plaintext_mechanism(m))
            .cloned()
            .collect()
    }

    fn authorization(&mut self, command: Command<'_>) {
        match command {
            Command::User(name) => {
                if !self.plaintext_allowed() {
                    return self.plaintext_refused();
                }
                if !name.is_ascii() && !self.config.utf8_user {
                    return self.err(Status::with_code(
                        ResponseCode::Utf8,
                        "UTF-8 user names are not supported",
                    ));
                }
                self.session.user = Some(name.into_owned());
                self.ok("send PASS");
            }
            Command::Pass(password) => {
                if !self.plaintext_allowed() {
                    return self.plaintext_refused();
                }
                let Some(user) = self.session.user.take() else {
                    return self.protocol_error(Status::new("send USER first"));
                };
                self.pending = Some(Pending::Login { user: user.clone() });
                self.push_event(Event::Login {
                    user,
                    password: password.into_owned(),
                });
            }
            Command::Apop { name, digest } => {
                let Some(timestamp) = self.timestamp.clone() else {
                    return self.protocol_error(Status::new("APOP not available"));
                };
                let user = name.into_owned();
                self.pending = Some(Pending::Login { user: user.clone() });
                self.push_event(Event::Apop {
                    user,
                    timestamp,
                    digest,
                });
            }
            Command::Auth {
                mechanism,
                initial_response,
            } => self.auth(&mechanism, initial_response),
            Command::Stls => self.stls(),
            Command::Utf8 => {
                self.session.utf8 = true;
                self.ok("UTF8 enabled");
            }
            _ => self.protocol_error(Status::new("command not valid in AUTHORIZATION state")),
        }
    }

    fn auth(&mut self, mechanism: &str, initial_response: Option<crate::types::SaslData>) {
        if !self.config.auth_mechanisms.iter().any(|m| m == mechanism) {
            return self.protocol_error(Status::new("unsupported authentication mechanism"));
        }
        if !self.plaintext_allowed() && is_plaintext_mechanism(mechanism) {
            return self.plaintext_refused();
        }
        self.pending = Some(Pending::Auth);
        self.push_event(Event::Auth {
            mechanism: mechanism.to_owned(),
            initial_response,
        });
    }

    fn stls(&mut self) {
        if !self.config.stls {
            return self.protocol_error(Status::new("STLS not available"));
        }
        if self.session.tls {
            return self.protocol_error(Status::new("TLS already active"));
        }
        self.ok("Begin TLS negotiation");
        self.flush();
        // RFC 2595 / CVE-2011-0411: whatever the client pipelined after STLS was sent
        // in plaintext and must not be executed after the handshake.
        self.input.clear();
        self.phase = Phase::TlsHandshake;
        self.push_event(Event::StartTls);
    }

    fn transaction(&mut self, command: Command<'_>) {
        let Some(maildrop) = self.session.maildrop.as_mut() else {
            return;
        };
        match command {
            Command::Stat => {
                let text = format!("{} {}", maildrop.count(), maildrop.size());
                self.ok(text);
            }
            Command::List(None) => {
                let mut body = String::new();
                for (n, m) in maildrop.live() {
                    body.push_str(&format!("{n} {}\r\n", m.size));
                }
                let head = format!("{} messages ({} octets)", maildrop.count(), maildrop.size());
                self.multiline(head, &body);
            }
            Command::List(Some(msg)) => match maildrop.get(msg) {
                Ok(m) => {
                    let text = format!("{msg} {}", m.size);
                    self.ok(text);
                }
                Err(e) => self.no_message(msg, e),
            },
            Command::Uidl(None) => {
                let mut body = String::new();
                for (n, m) in maildrop.live() {
                    body.push_str(&format!("{n} {}\r\n", m.uid));
                }
                self.multiline("unique-id listing follows".into(), &body);
            }
            Command::Uidl(Some(msg)) => match maildrop.get(msg) {
                Ok(m) => {
                    let text = format!("{msg} {}", m.uid);
                    self.ok(text);
                }
                Err(e) => self.no_message(msg, e),
            },
            Command::Retr(msg) => match maildrop.get(msg) {
                Ok(m) => {
                    let first_line = format!("{} octets", m.size);
                    self.retrieve(msg, None, first_line, MultilineEncoder::new());
                }
                Err(e) => self.no_message(msg, e),
            },
            Command::Top { msg, lines } => match maildrop.get(msg) {
                Ok(_) => {
                    let encoder = MultilineEncoder::top(lines);
                    self.retrieve(msg, Some(lines), "top of message follows".into(), encoder);
                }
                Err(e) => self.no_message(msg, e),
            },
            Command::Dele(msg) => match maildrop.delete(msg) {
                Ok(()) => self.ok(format!("message {msg} deleted")),
                Err(e) => self.no_message(msg, e),
            },
            Command::Noop => self.ok(""),
            Command::Rset => {
                maildrop.reset();
                let text = format!(
                    "maildrop has {} messages ({} octets)",
                    maildrop.count(),
                    maildrop.size()
                );
                self.ok(text);
            }
            Command::Quit => {
                let deleted = maildrop.deleted_numbers();
                self.pending = Some(Pending::Update);
                self.push_event(Event::Update { deleted });
            }
            _ => self.protocol_error(Status::new("command not valid in TRANSACTION state")),
        }
    }

    fn retrieve(
        &mut self,
        msg: NonZeroU32,
        top: Option<u32>,
        first_line: String,
        encoder: MultilineEncoder,
    ) {
        self.pending = Some(Pending::Message(Streaming {
            encoder,
            first_line,
            started: false,
        }));
        self.push_event(Event::Retrieve { msg, top });
    }

    fn no_message(&mut self, msg: NonZeroU32, lookup: Lookup) {
        let text = match lookup {
            Lookup::Deleted => format!("message {msg} already deleted"),
            Lookup::NoSuchMessage => {
                let len = self.session.maildrop.as_ref().map_or(0, Maildrop::len);
                format!("no such message, only {len} messages in maildrop")
            }
        };
        self.err(Status::new(text));
    }

    /// A multi-line response whose lines never start with `.` (listings).
    fn multiline(&mut self, head: String, body: &str) {
        self.ok(head);
        self.replies.extend_from_slice(body.as_bytes());
        self.replies.extend_from_slice(b".\r\n");
    }

    fn capa(&mut self) {
        let mut caps = vec![
            Capability::Top,
            Capability::Uidl,
            Capability::RespCodes,
            Capability::AuthRespCode,
            Capability::Pipelining,
        ];
        let authorization = self.session.maildrop.is_none();
        if authorization {
            if self.plaintext_allowed() {
                caps.push(Capability::User);
            }
            let mechanisms = self.mechanisms();
            if !mechanisms.is_empty() {
                caps.push(Capability::Sasl(mechanisms));
            }
            if self.config.stls && !self.session.tls {
                caps.push(Capability::Stls);
            }
            caps.push(Capability::Utf8 {
                user: self.config.utf8_user,
            });
        }
        caps.push(Capability::Lang);
        if let Some(seconds) = self.config.login_delay {
            caps.push(Capability::LoginDelay {
                seconds,
                per_user: false,
            });
        }
        if let Some(policy) = self.config.expire {
            caps.push(Capability::Expire {
                policy,
                per_user: false,
            });
        }
        if let Some(text) = &self.config.implementation {
            caps.push(Capability::Implementation(text.clone()));
        }
        let mut body = String::new();
        for cap in caps {
            body.push_str(&cap.to_line().replace(['\r', '\n'], " "));
            body.push_str("\r\n");
        }
        self.multiline("Capability list follows".into(), &body);
    }

    fn lang(&mut self, range: Option<&str>) {
        let (tag, name) = LANGUAGE;
        match range {
            None => {
                let body = format!("{tag} {name}\r\n");
                self.multiline("Language listing follows".into(), &body);
            }
            Some(range) if language_matches(range, tag) => {
                self.ok(format!("Language is now {tag}"));
            }
            Some(_) => self.err(Status::new("invalid language")),
        }
    }
}

/// Whether a language range (RFC 4647 basic filtering, as RFC 6856 uses) selects `tag`.
fn language_matches(range: &str, tag: &str) -> bool {
    range == "*"
        || range.eq_ignore_ascii_case(tag)
        || range.eq_ignore_ascii_case("i-default")
        || range
            .get(..tag.len() + 1)
            .is_some_and(|p| p.eq_ignore_ascii_case(&format!("{tag}-")))
}
