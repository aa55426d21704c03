//! Time keeping: the greeting and command timeouts, and the IDLE refresh reminder.
//!
//! The client learns the time only from [`Client::new`] and [`Client::handle_timeout`].
//! Whenever it sends or receives something it needs the time of, it asks for it by
//! returning the last known time from [`Client::poll_timeout`]; the next
//! `handle_timeout(now)` stamps those things with `now`.

use std::borrow::Cow;
use std::time::Instant;

use super::queue::{Hold, InFlight};
use super::{Client, ClientError, Event, Phase};
use crate::types::Tag;

impl Client {
    /// Tells the client the time: stamps what happened since the last call, and fires
    /// the timeouts that have expired.
    pub fn handle_timeout(&mut self, now: Instant) {
        if now > self.clock {
            self.clock = now;
        }
        let now = self.clock;
        if self.needs_stamp {
            self.stamp(now);
        }
        if self.phase == Phase::Closed {
            return;
        }
        if self.greeting_deadline.is_some_and(|d| now >= d) {
            self.fail(ClientError::Timeout {
                tag: None,
                waiting_for: Cow::Borrowed("the greeting"),
            });
            return;
        }
        let expired = self
            .in_flight
            .iter()
            .find(|c| self.deadline(c).is_some_and(|d| now >= d));
        if let Some(command) = expired {
            let error = ClientError::Timeout {
                tag: Some(command.tag.clone()),
                waiting_for: Cow::Owned(format!("the completion of {}", command.name)),
            };
            self.fail(error);
            return;
        }
        let refresh = self.config.timeouts.idle_refresh;
        if let Some(Hold::Idle {
            tag,
            since: Some(since),
            hinted,
            done: false,
            ..
        }) = &mut self.hold
            && !*hinted
            && since.checked_add(refresh).is_some_and(|at| now >= at)
        {
            *hinted = true;
            let tag = tag.clone();
            self.push_event(Event::IdleRefresh { tag });
        }
    }

    /// When [`Client::handle_timeout`] should be called next, if at all. An instant in
    /// the past means "now".
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.phase == Phase::Closed {
            return None;
        }
        if self.needs_stamp {
            return Some(self.clock);
        }
        let commands = self.in_flight.iter().filter_map(|c| self.deadline(c));
        let refresh = match &self.hold {
            Some(Hold::Idle {
                since: Some(since),
                hinted: false,
                done: false,
                ..
            }) => since.checked_add(self.config.timeouts.idle_refresh),
            _ => None,
        };
        commands.chain(self.greeting_deadline).chain(refresh).min()
    }

    /// Restarts a command's timeout (the client sent something more for it).
    pub(super) fn restart_timer(&mut self, tag: &Tag<'static>) {
        if let Some(command) = self.in_flight.iter_mut().find(|c| c.tag == *tag) {
            command.sent_at = None;
        }
        self.needs_stamp = true;
    }

    fn stamp(&mut self, now: Instant) {
        self.needs_stamp = false;
        if self.input_unstamped {
            self.input_unstamped = false;
            self.last_input = Some(now);
        }
        for command in &mut self.in_flight {
            command.sent_at.get_or_insert(now);
        }
        if let Some(Hold::Idle {
            accepted: true,
            since,
            ..
        }) = &mut self.hold
        {
            since.get_or_insert(now);
        }
    }

    /// A command's deadline: its timeout after the later of when it was sent and the last
    /// input, unless the application has the next move.
    fn deadline(&self, command: &InFlight) -> Option<Instant> {
        let timeout = command.timeout?;
        let sent = command.sent_at?;
        if self.hold.as_ref().is_some_and(|h| h.pauses(&command.tag)) {
            return None;
        }
        let start = self.last_input.map_or(sent, |input| input.max(sent));
        start.checked_add(timeout)
    }
}
