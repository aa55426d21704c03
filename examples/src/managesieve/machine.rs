//! The [`Machine`](crate::listen::Machine) adapter for the ManageSieve server, so the
//! generic driver runs it like every other protocol.

use super::proto::{CloseReason, Event, Output as SieveOutput, ResponseCode, Server, Status};
use crate::listen::{Machine, Output};

impl Machine for Server {
    type Event = Event;

    fn handle_input(&mut self, bytes: &[u8]) {
        Self::handle_input(self, bytes);
    }

    fn handle_timeout(&mut self, now: std::time::Instant) {
        Self::handle_timeout(self, now);
    }

    fn poll_timeout(&self) -> Option<std::time::Instant> {
        Self::poll_timeout(self)
    }

    fn poll_output(&mut self) -> Output<Event> {
        match Self::poll_output(self) {
            SieveOutput::Transmit(bytes) => Output::Transmit(bytes),
            SieveOutput::Event(Event::StartTls) => Output::StartTls,
            SieveOutput::Event(Event::Closed(reason)) => Output::Closed(describe(reason)),
            SieveOutput::Event(event) => Output::Event(event),
            SieveOutput::NeedInput => Output::NeedInput,
        }
    }

    fn awaiting_decision(&self) -> bool {
        Self::awaiting_decision(self)
    }

    fn tls_established(&mut self) {
        // Called only after `Output::StartTls`, when the machine waits for exactly this.
        let _ = Self::tls_established(self);
    }

    fn close_for_shutdown(&mut self) {
        self.close_with(&Status::with_code(
            ResponseCode::TryLater,
            "Server shutting down.",
        ));
    }

    fn close_internal_error(&mut self) {
        self.close_with(&Status::with_code(
            ResponseCode::TryLater,
            "Internal error, try again later.",
        ));
    }
}

/// Why a ManageSieve session closed, for the log.
fn describe(reason: CloseReason) -> &'static str {
    match reason {
        CloseReason::Logout => "logout",
        CloseReason::Timeout => "timeout",
        CloseReason::TooManyErrors => "too many errors",
        CloseReason::TooMuchInput => "too much pipelined input",
        CloseReason::ProtocolError => "protocol error",
        CloseReason::Application => "closed by server",
    }
}

/// The line sent to a ManageSieve client refused for being over the connection limits.
pub(crate) fn refusal() -> bytes::Bytes {
    bytes::Bytes::from_static(b"BYE (TRYLATER) \"Too many connections, try again later.\"\r\n")
}
