//! The [`Machine`] adapter for smtp-proto's server, in SMTP and in LMTP mode.

use smtp_proto::server::{CloseReason, Event, Output as SmtpOutput, Server};
use smtp_proto::types::{EnhancedCode, Reply};

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
            SmtpOutput::Transmit(bytes) => Output::Transmit(bytes),
            SmtpOutput::Event(Event::StartTls) => Output::StartTls,
            SmtpOutput::Event(Event::Closed(reason)) => Output::Closed(describe(reason)),
            SmtpOutput::Event(event) => Output::Event(event),
            SmtpOutput::NeedInput => Output::NeedInput,
        }
    }

    fn awaiting_decision(&self) -> bool {
        Self::awaiting_decision(self)
    }

    fn tls_established(&mut self) {
        // The driver calls this only after `Output::StartTls`, when the machine waits
        // for exactly this; an error would mean the machine is already closed.
        let _ = Self::tls_established(self);
    }

    fn close_for_shutdown(&mut self) {
        let text = format!(
            "{} Service shutting down, try again later",
            self.config().hostname
        );
        self.close(Reply::new(421, Some(EnhancedCode::new(4, 3, 2)), text));
    }

    fn close_internal_error(&mut self) {
        let text = "Error: internal server error, try again later";
        self.close(Reply::new(421, Some(EnhancedCode::new(4, 3, 0)), text));
    }
}

/// Why an SMTP/LMTP session closed, for the log.
fn describe(reason: CloseReason) -> &'static str {
    match reason {
        CloseReason::Quit => "quit",
        CloseReason::Timeout => "timeout",
        CloseReason::TooManyErrors => "too many errors",
        CloseReason::LostFraming => "lost BDAT framing",
        CloseReason::TooMuchInput => "too much pipelined input",
        CloseReason::Application => "closed by server",
        _ => "closed",
    }
}

/// The line sent to an SMTP or LMTP client refused for being over the connection limits.
pub(crate) fn refusal(hostname: &str) -> bytes::Bytes {
    format!("421 4.7.0 {hostname} Error: too many connections, try again later\r\n").into()
}
