//! The one reply timer of the client, armed lazily from the time the driver reports.

use std::time::{Duration, Instant};

/// What the timer measures; a new key restarts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TimerKey {
    /// Waiting for the reply with this sequence number.
    Reply(u64),
    /// Waiting for the application's next body chunk (after this many chunks).
    Body(u64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Deadline {
    /// Started, but the client has not been told the time since.
    Unarmed,
    At(Instant),
    /// The duration is too long to be represented: never fires.
    Never,
}

/// A timer that learns its start time from the next `handle_timeout(now)`.
#[derive(Debug, Clone)]
pub(super) struct Timer {
    key: TimerKey,
    duration: Duration,
    waiting_for: &'static str,
    deadline: Deadline,
}

impl Timer {
    pub(super) const fn new(key: TimerKey, duration: Duration, waiting_for: &'static str) -> Self {
        Self {
            key,
            duration,
            waiting_for,
            deadline: Deadline::Unarmed,
        }
    }

    pub(super) const fn key(&self) -> TimerKey {
        self.key
    }

    /// When the driver should call `handle_timeout`: at once (`clock`, the last known
    /// time) while unarmed, at the deadline once armed.
    pub(super) fn deadline(&self, clock: Instant) -> Option<Instant> {
        match self.deadline {
            Deadline::Unarmed => Some(clock),
            Deadline::At(at) => Some(at),
            Deadline::Never => None,
        }
    }

    /// Arms the timer at `now`, or returns what was awaited when it has expired.
    pub(super) fn on_time(&mut self, now: Instant) -> Option<&'static str> {
        match self.deadline {
            Deadline::Unarmed => {
                self.deadline = now
                    .checked_add(self.duration)
                    .map_or(Deadline::Never, Deadline::At);
                None
            }
            Deadline::At(at) if now >= at => Some(self.waiting_for),
            Deadline::At(_) | Deadline::Never => None,
        }
    }
}
