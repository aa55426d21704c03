//! Streaming APPEND and MULTIAPPEND (see [`crate::codec::decode_command_streaming`]):
//! message data is passed on in chunks, never buffered.

use bytes::Buf;

use super::{AppendMessageInfo, Event, NonSyncLiterals, Pending, Phase, Server, Status};
use crate::codec::{AppendMessageHead, AppendNext, AppendStart, DecodeError, decode_append_next};
use crate::types::{Code, Mailbox, StatusKind, Tag};

/// An APPEND command in progress.
#[derive(Debug)]
pub(crate) struct AppendCtx {
    tag: Tag<'static>,
    mailbox: Mailbox<'static>,
    /// The head of the current message.
    head: AppendMessageHead<'static>,
    index: usize,
    /// Set once a message was refused: later data is discarded and this status ends the
    /// command.
    refused: Option<Status>,
    /// Whether an [`Event::AppendMessage`] was emitted for this command.
    announced: bool,
}

impl Server {
    /// The head of an APPEND was read (up to its first message's data).
    pub(super) fn append_start(&mut self, start: AppendStart<'static>) {
        let refused = (!self.state.is_authenticated())
            .then(|| Status::bad("Command not valid before authentication"));
        let ctx = AppendCtx {
            tag: start.tag,
            mailbox: start.mailbox,
            head: start.message,
            index: 0,
            refused,
            announced: false,
        };
        self.append_message(Box::new(ctx));
    }

    /// A message head was read: check the limits, then ask the application (or go on
    /// discarding after a refusal).
    fn append_message(&mut self, ctx: Box<AppendCtx>) {
        let literal = ctx.head.literal;
        let limit = match self.config.non_sync_literals {
            NonSyncLiterals::Minus => 4096.min(self.config.limits.max_append_size),
            NonSyncLiterals::Plus => self.config.limits.max_append_size,
        };
        if literal.non_sync && literal.length > limit {
            let tag = ctx.tag.clone();
            self.phase = Phase::AppendNext { ctx };
            return self.close_unframeable(Some(tag), "Non-synchronizing literal too large");
        }
        if let Some(status) = ctx.refused.clone() {
            if literal.non_sync {
                self.phase = Phase::AppendData {
                    remaining: u64::from(literal.length),
                    ctx,
                };
            } else {
                self.append_finish_refused(&ctx, &status);
            }
            return;
        }
        if literal.length > self.config.limits.max_append_size {
            let status = Status::no("Message too large").with_code(Code::TooBig);
            return self.append_finish_refused(&ctx, &status);
        }
        let info = AppendMessageInfo {
            tag: ctx.tag.clone(),
            mailbox: ctx.mailbox.clone(),
            index: ctx.index,
            flags: ctx.head.flags.clone(),
            date: ctx.head.date,
            length: literal.length,
            binary: literal.binary,
            utf8: ctx.head.utf8,
        };
        let mut ctx = ctx;
        ctx.announced = true;
        self.pending = Some(Pending::AppendMessage(ctx));
        self.push_event(Event::AppendMessage(info));
    }

    /// The application accepted the message: `+` for a synchronising literal, then data.
    pub(super) fn append_accepted(&mut self, ctx: Box<AppendCtx>) {
        let literal = ctx.head.literal;
        if !literal.non_sync {
            self.send_continuation("Ready for literal data");
        }
        self.phase = Phase::AppendData {
            remaining: u64::from(literal.length),
            ctx,
        };
    }

    /// The application refused the message.
    pub(super) fn append_refused(&mut self, mut ctx: Box<AppendCtx>, status: Status) {
        if ctx.head.literal.non_sync {
            ctx.refused = Some(status);
            self.phase = Phase::AppendData {
                remaining: u64::from(ctx.head.literal.length),
                ctx,
            };
        } else {
            self.append_finish_refused(&ctx, &status);
        }
    }

    /// Ends the APPEND with a failure status (counted as a bad command if BAD).
    fn append_finish_refused(&mut self, ctx: &AppendCtx, status: &Status) {
        self.phase = Phase::Command;
        if ctx.announced {
            self.push_event(Event::AppendAborted);
        }
        if status.kind() == StatusKind::Bad {
            let text = status.resp_text();
            self.bad(Some(&ctx.tag), text.text());
        } else {
            self.send_tagged(&ctx.tag, status);
        }
    }

    pub(super) fn step_append_data(&mut self) -> bool {
        let Phase::AppendData { remaining, ctx } = &mut self.phase else {
            return false;
        };
        let available = u64::try_from(self.input.len()).unwrap_or(u64::MAX);
        let take = (*remaining).min(available);
        if take == 0 && *remaining > 0 {
            return false;
        }
        *remaining -= take;
        let done = *remaining == 0;
        let n = usize::try_from(take).unwrap_or(usize::MAX);
        let chunk = self.input.split_to(n).freeze();
        if ctx.refused.is_none() && !ctx.head.literal.binary && memchr::memchr(0, &chunk).is_some()
        {
            // CHAR8 excludes NUL: only a literal8 (`~{n}`, RFC 3516) may carry one. The
            // streaming decoder never sees the data, so the check is here; the rest of
            // the literal is still read and discarded, and the APPEND ends with BAD.
            ctx.refused = Some(Status::bad("NUL octet in literal (use literal8 ~{n})"));
        }
        let discard = ctx.refused.is_some();
        if !discard && !chunk.is_empty() {
            self.push_event(Event::AppendChunk(chunk));
        }
        if done
            && let Phase::AppendData { ctx, .. } =
                std::mem::replace(&mut self.phase, Phase::Command)
        {
            self.phase = Phase::AppendNext { ctx };
        }
        true
    }

    pub(super) fn step_append_next(&mut self) -> bool {
        let Phase::AppendNext { ctx } = &self.phase else {
            return false;
        };
        let result = decode_append_next(&self.input, &ctx.head, &self.decode)
            .map(|(n, next)| (n, next.map_owned()));
        let (n, next) = match result {
            Ok(ok) => ok,
            Err(DecodeError::Incomplete | DecodeError::Literal { non_sync: true, .. }) => {
                return false;
            }
            Err(error) => {
                let Phase::AppendNext { ctx } = std::mem::replace(&mut self.phase, Phase::Command)
                else {
                    return false;
                };
                self.append_syntax_error(&ctx, error);
                return true;
            }
        };
        self.input.advance(n);
        self.anchor = self.clock;
        let Phase::AppendNext { mut ctx } = std::mem::replace(&mut self.phase, Phase::Command)
        else {
            return false;
        };
        match next {
            Some(head) => {
                ctx.head = head;
                ctx.index = ctx.index.saturating_add(1);
                self.append_message(ctx);
            }
            None => match ctx.refused.clone() {
                Some(status) => self.append_finish_refused(&ctx, &status),
                None => {
                    self.pending = Some(Pending::AppendEnd {
                        tag: ctx.tag.clone(),
                    });
                    self.release_unsolicited();
                    self.push_event(Event::AppendEnd { tag: ctx.tag });
                }
            },
        }
        true
    }

    /// Garbage after a message: skip the rest of the command and answer BAD.
    fn append_syntax_error(&mut self, ctx: &AppendCtx, error: DecodeError) {
        match error {
            DecodeError::Invalid { consumed, .. } => self.consume(consumed),
            DecodeError::Literal { offset, .. } => self.consume(offset),
            DecodeError::LiteralTooLarge {
                non_sync: false,
                consumed,
                ..
            } => self.consume(consumed),
            _ => {
                return self.close_unframeable(Some(ctx.tag.clone()), "APPEND command too long");
            }
        }
        self.append_finish_refused(ctx, &Status::bad("Syntax error in APPEND"));
    }

    /// Whether an APPEND whose messages the application saw is in progress.
    pub(super) fn append_announced(&self) -> bool {
        match (&self.phase, &self.pending) {
            (_, Some(Pending::AppendMessage(_) | Pending::AppendEnd { .. })) => true,
            (Phase::AppendData { ctx, .. } | Phase::AppendNext { ctx }, _) => ctx.announced,
            _ => false,
        }
    }
}

/// Detaches the decoded next step from the input buffer.
trait MapOwned {
    fn map_owned(self) -> Option<AppendMessageHead<'static>>;
}

impl MapOwned for AppendNext<'_> {
    fn map_owned(self) -> Option<AppendMessageHead<'static>> {
        match self {
            AppendNext::Message(head) => Some(head.into_owned()),
            AppendNext::End => None,
        }
    }
}
