//! The [`Machine`] adapter for pop3-proto's server.

use pop3_proto::server::{CloseReason, Event, Output as Pop3Output, Server};

use super::{Machine, Output};

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
            Pop3Output::Transmit(bytes) => Output::Transmit(bytes),
            Pop3Output::Event(Event::StartTls) => Output::StartTls,
            Pop3Output::Event(Event::Closed(reason)) => Output::Closed(describe(reason)),
            Pop3Output::Event(event) => Output::Event(event),
            Pop3Output::NeedInput => Output::NeedInput,
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
        // `-ERR [SYS/TEMP] server closing connection`; nothing is deleted.
        self.close();
    }

    fn close_internal_error(&mut self) {
        self.close();
    }
}

/// Why a POP3 session closed, for the log.
fn describe(reason: CloseReason) -> &'static str {
    match reason {
        CloseReason::Quit => "quit",
        CloseReason::Timeout => "timeout",
        CloseReason::TooManyErrors => "too many errors",
        CloseReason::TooMuchInput => "too much pipelined input",
        CloseReason::Application => "closed by server",
        _ => "closed",
    }
}

/// The line sent to a POP3 client refused for being over the connection limits.
pub(crate) fn refusal() -> bytes::Bytes {
    bytes::Bytes::from_static(b"-ERR [SYS/TEMP] too many connections, try again later\r\n")
}
