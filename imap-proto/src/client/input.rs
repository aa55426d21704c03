//! Decoding the server's bytes and acting on each response.

use std::borrow::Cow;
use std::num::NonZeroU32;

use bytes::Buf;

use super::error::excerpt;
use super::queue::{Hold, Kind};
use super::{Client, ClientError, Compression, Event, Phase};
use crate::codec::{DecodeError, ResponseStream, StreamEvent};
use crate::types::{
    Capability, Code, Continuation, FetchItem, Greeting, Response, StatusKind, StreamedItem,
    Tagged, Untagged,
};

/// A decoded piece of input, detached from the buffer.
enum Piece {
    Response(Response<'static>),
    FetchStart(NonZeroU32),
    FetchItem(FetchItem<'static>),
    LiteralStart {
        item: StreamedItem<'static>,
        length: u32,
        binary: bool,
    },
    LiteralData,
    LiteralEnd,
    FetchEnd,
    Discarded,
}

impl Piece {
    fn from_event(event: StreamEvent<'_>) -> Self {
        match event {
            StreamEvent::Response(r) => Self::Response(r.into_owned()),
            StreamEvent::FetchStart { seq } => Self::FetchStart(seq),
            StreamEvent::FetchItem(item) => Self::FetchItem(item.into_owned()),
            StreamEvent::LiteralStart {
                item,
                length,
                binary,
            } => Self::LiteralStart {
                item: item.into_owned(),
                length,
                binary,
            },
            StreamEvent::LiteralData(_) => Self::LiteralData,
            StreamEvent::LiteralEnd => Self::LiteralEnd,
            StreamEvent::FetchEnd => Self::FetchEnd,
            StreamEvent::Discarded => Self::Discarded,
        }
    }
}

impl Client {
    /// Decodes and handles everything complete in the input buffer.
    pub(super) fn process_input(&mut self) {
        loop {
            match self.phase {
                Phase::Closed => return,
                Phase::TlsHandshake => {
                    if !self.input.is_empty() {
                        self.fail(ClientError::DataBeforeTls);
                    }
                    return;
                }
                Phase::Greeting | Phase::Open => {}
            }
            let (consumed, piece) = match self.stream.decode(&self.input) {
                Ok((n, event)) => (n, Piece::from_event(event)),
                Err(DecodeError::Incomplete | DecodeError::Literal { .. }) => return,
                Err(error) => {
                    let error = self.decode_failure(error);
                    self.fail(error);
                    return;
                }
            };
            if self.phase == Phase::Greeting {
                let text = excerpt(&self.input[..consumed]);
                self.input.advance(consumed);
                self.handle_greeting(piece, text);
                continue;
            }
            if let Piece::LiteralData = piece {
                let chunk = self.input.split_to(consumed).freeze();
                self.push_event(Event::LiteralChunk(chunk));
                continue;
            }
            let text = matches!(piece, Piece::Response(Response::Continuation(_)))
                .then(|| excerpt(&self.input[..consumed]));
            self.input.advance(consumed);
            self.handle_piece(piece, text);
        }
    }

    fn decode_failure(&self, error: DecodeError) -> ClientError {
        match error {
            DecodeError::Invalid {
                consumed, reason, ..
            } => {
                let text = excerpt(&self.input[..consumed.min(self.input.len())]);
                if self.phase == Phase::Greeting {
                    ClientError::InvalidGreeting { excerpt: text }
                } else {
                    ClientError::InvalidResponse {
                        reason,
                        excerpt: text,
                    }
                }
            }
            DecodeError::TooLong { .. } => {
                ClientError::ResponseTooLarge(Cow::Borrowed("line too long"))
            }
            DecodeError::LiteralTooLarge { length, .. } => {
                ClientError::ResponseTooLarge(Cow::Owned(format!("literal of {length} octets")))
            }
            other => ClientError::InvalidResponse {
                reason: Cow::Owned(other.to_string()),
                excerpt: String::new(),
            },
        }
    }

    fn handle_greeting(&mut self, piece: Piece, text: String) {
        let Piece::Response(response) = piece else {
            self.fail(ClientError::InvalidGreeting { excerpt: text });
            return;
        };
        let Ok(greeting) = Greeting::try_from(response) else {
            self.fail(ClientError::InvalidGreeting { excerpt: text });
            return;
        };
        self.greeting_deadline = None;
        let text = match &greeting {
            Greeting::Bye(text) => {
                self.push_event(Event::Bye(text.clone()));
                self.close();
                return;
            }
            Greeting::PreAuth(text) => {
                self.authenticated = true;
                text
            }
            Greeting::Ok(text) => text,
        };
        let capabilities = match text.code() {
            Some(Code::Capability(caps)) => Some(caps.clone()),
            _ => None,
        };
        self.phase = Phase::Open;
        self.push_event(Event::Greeting(greeting));
        match capabilities {
            Some(caps) => self.set_capabilities(caps),
            None => self.request_capabilities(),
        }
        self.pump();
    }

    fn handle_piece(&mut self, piece: Piece, text: Option<String>) {
        let seq = self.fetch_seq;
        match piece {
            Piece::Response(Response::Untagged(untagged)) => self.handle_untagged(untagged),
            Piece::Response(Response::Tagged(tagged)) => self.handle_tagged(tagged),
            Piece::Response(Response::Continuation(c)) => {
                self.handle_continuation(c, text.unwrap_or_default());
            }
            Piece::FetchStart(seq) => {
                self.fetch_seq = Some(seq);
                self.push_event(Event::FetchStart { seq });
            }
            Piece::FetchItem(item) => {
                if let Some(seq) = seq {
                    self.push_event(Event::FetchItem { seq, item });
                }
            }
            Piece::LiteralStart {
                item,
                length,
                binary,
            } => {
                if let Some(seq) = seq {
                    self.push_event(Event::LiteralStart {
                        seq,
                        item,
                        length,
                        binary,
                    });
                }
            }
            Piece::LiteralEnd => self.push_event(Event::LiteralEnd),
            Piece::FetchEnd => {
                self.fetch_seq = None;
                if let Some(seq) = seq {
                    self.push_event(Event::FetchEnd { seq });
                }
            }
            // A malformed streamed response is reported as an error first, which closes
            // the session, so nothing is ever discarded here.
            Piece::LiteralData | Piece::Discarded => {}
        }
    }

    fn handle_untagged(&mut self, untagged: Untagged<'static>) {
        match untagged {
            Untagged::Capability(caps) => self.set_capabilities(caps),
            Untagged::Bye(text) => {
                self.push_event(Event::Bye(text));
                if self.logging_out && !self.in_flight.is_empty() {
                    self.bye = true;
                } else {
                    self.close();
                }
            }
            Untagged::Enabled(caps) => {
                if caps
                    .iter()
                    .any(|c| matches!(c, Capability::Utf8Accept | Capability::Imap4Rev2))
                {
                    self.utf8 = true;
                }
                self.push_event(Event::Untagged(Untagged::Enabled(caps)));
            }
            Untagged::Condition { status, text } => {
                let caps = match text.code() {
                    Some(Code::Capability(caps)) => Some(caps.clone()),
                    _ => None,
                };
                self.push_event(Event::Untagged(Untagged::Condition { status, text }));
                if let Some(caps) = caps {
                    self.set_capabilities(caps);
                }
            }
            other => self.push_event(Event::Untagged(other)),
        }
    }

    fn handle_tagged(&mut self, tagged: Tagged<'static>) {
        let Some(index) = self.in_flight.iter().position(|c| c.tag == tagged.tag) else {
            self.fail(ClientError::UnknownTag(tagged.tag));
            return;
        };
        let command = self.in_flight.remove(index);
        if self.hold.as_ref().is_some_and(|h| *h.tag() == command.tag) {
            self.hold = None;
        }
        let status = tagged.status;
        let (code, text) = tagged.text.into_parts();
        let capabilities = match &code {
            Some(Code::Capability(caps)) => Some(caps.clone()),
            _ => None,
        };
        if !command.internal {
            self.push_event(Event::Completed {
                tag: command.tag,
                status,
                code,
                text,
            });
        }
        let fresh = capabilities.is_some();
        if let Some(caps) = capabilities {
            self.set_capabilities(caps);
        }
        if status != StatusKind::Ok {
            match command.kind {
                Kind::Logout => {
                    self.close();
                    return;
                }
                Kind::Compress => self.compression = Compression::Off,
                _ => {}
            }
            self.pump();
            return;
        }
        match command.kind {
            Kind::Login => {
                self.authenticated = true;
                // Capabilities may change at login; ask unless the server told us.
                if !fresh && self.capability_generation == command.capability_generation {
                    self.capabilities = None;
                    self.request_capabilities();
                }
            }
            Kind::StartTls => {
                self.phase = Phase::TlsHandshake;
                self.push_event(Event::StartTls);
                return;
            }
            Kind::Compress => self.start_compression(),
            Kind::Logout => {
                self.close();
                return;
            }
            Kind::Other => {}
        }
        if self.bye && self.in_flight.is_empty() {
            self.close();
            return;
        }
        self.pump();
    }

    /// The COMPRESS OK was the last uncompressed response: what follows it in the
    /// buffer is compressed data for the application to inflate.
    fn start_compression(&mut self) {
        self.compression = Compression::Active;
        let pending = self.input.split().freeze();
        self.stream = ResponseStream::new(self.config.response, self.config.stream_threshold);
        self.push_event(Event::StartCompression { pending });
    }

    fn handle_continuation(&mut self, continuation: Continuation<'static>, line: String) {
        match self.hold.take() {
            Some(Hold::Literal { tag, rest, then }) => {
                self.send_fragments(tag, rest, then.map(|h| *h));
                self.pump();
            }
            Some(Hold::Auth {
                tag,
                initial,
                awaiting_app: false,
            }) => {
                let Continuation::Base64(data) = continuation else {
                    self.fail(ClientError::InvalidChallenge { excerpt: line });
                    return;
                };
                match initial {
                    Some(response) if data.is_empty() => {
                        self.hold = Some(Hold::Auth {
                            tag,
                            initial: None,
                            awaiting_app: true,
                        });
                        if let Err(e) = self.auth_respond(response.expose()) {
                            self.fail(e);
                        }
                    }
                    _ => {
                        self.hold = Some(Hold::Auth {
                            tag: tag.clone(),
                            initial: None,
                            awaiting_app: true,
                        });
                        self.push_event(Event::AuthChallenge {
                            tag,
                            data: data.into_owned(),
                        });
                    }
                }
            }
            Some(Hold::Idle {
                tag,
                accepted: false,
                done,
                ..
            }) => {
                self.hold = Some(Hold::Idle {
                    tag: tag.clone(),
                    accepted: true,
                    done,
                    since: None,
                    hinted: false,
                });
                self.needs_stamp = true;
                self.push_event(Event::IdleStarted { tag: tag.clone() });
                if done {
                    self.send_done(&tag);
                }
            }
            other => {
                self.hold = other;
                self.fail(ClientError::UnexpectedContinuation { excerpt: line });
            }
        }
    }
}
