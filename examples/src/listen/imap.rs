//! The [`Machine`] adapter for imap-proto's server.

use imap_proto::server::{CloseReason, Event, Output as ImapOutput, Server, Status};
use imap_proto::types::Code;

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
            ImapOutput::Transmit(bytes) => Output::Transmit(bytes),
            ImapOutput::Event(Event::StartTls) => Output::StartTls,
            ImapOutput::Event(Event::StartCompression { pending }) => {
                Output::StartCompression(pending)
            }
            ImapOutput::Event(Event::Closed(reason)) => Output::Closed(describe(reason)),
            ImapOutput::Event(event) => Output::Event(event),
            ImapOutput::NeedInput => Output::NeedInput,
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
        self.close_with(Status::ok(SHUTDOWN_TEXT).with_code(Code::Unavailable));
    }

    fn close_internal_error(&mut self) {
        self.close_with(
            Status::ok("Internal server error, try again later").with_code(Code::ServerBug),
        );
    }
}

/// The `* BYE` text of a session closed because the server shuts down.
const SHUTDOWN_TEXT: &str = "Server shutting down";

/// Why an IMAP session closed, for the log.
fn describe(reason: CloseReason) -> &'static str {
    match reason {
        CloseReason::Logout => "logout",
        CloseReason::Refused => "refused",
        CloseReason::Timeout => "timeout",
        CloseReason::TooManyErrors => "too many errors",
        CloseReason::TooManyAuthFailures => "too many authentication failures",
        CloseReason::TooLong => "command too long",
        CloseReason::TooMuchInput => "too much pipelined input",
        CloseReason::Application => "closed by server",
        _ => "closed",
    }
}

/// The line sent to an IMAP client refused for being over the connection limits.
pub(crate) fn refusal() -> bytes::Bytes {
    bytes::Bytes::from_static(b"* BYE [UNAVAILABLE] Too many connections, try again later\r\n")
}
