//! The milter backend: milter-proto's Sans-IO client driven over a TCP connection to
//! rspamd's proxy worker (`milter = yes`), one connection per message, as Postfix's
//! `smtpd_milters` do with rspamd.
//!
//! The whole SMTP transaction is replayed at the end of DATA: CONNECT, HELO, MAIL,
//! each RCPT, DATA, each header, the body in chunks from the spool, end of message.
//! The macros rspamd reads are sent: `j` and `{daemon_name}` (us), `{client_addr}`,
//! `{auth_authen}` (the login of an authenticated client), `{mail_addr}`,
//! `{rcpt_addr}`, and `i` (the queue id, here the session id) with DATA, the end of the
//! headers and the end of the message.
//!
//! Offered actions: adding, changing and removing headers and quarantine. Envelope and
//! body changes are not offered (Postroom does not apply them); a milter that sends one
//! anyway ends the session with an error, and the configured failure policy applies.

use std::time::Instant;

use bytes::BytesMut;
use milter_proto::client::{Action, Client, Config, Event, Output, Stage};
use milter_proto::{Actions, Address, InvalidText, Macros, Verdict};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::SpamError;
use crate::delivery::{Envelope, Spooled};
use crate::filter::message::{Chunks, read_header_section};

/// What the client may ask for.
fn client_config(timeout: std::time::Duration) -> Config {
    let mut config = Config::default();
    config.actions = Actions::ADD_HEADERS
        | Actions::CHANGE_HEADERS
        | Actions::QUARANTINE
        | Actions::SET_SYMBOL_LIST;
    config.negotiation_timeout = timeout;
    config.command_timeout = timeout;
    config.end_of_message_timeout = timeout;
    config
}

/// Asks the milter at `address` about the message; the caller bounds the time.
pub(super) async fn check(
    address: &str,
    hostname: &str,
    timeout: std::time::Duration,
    envelope: &Envelope,
    body: &Spooled,
) -> Result<Verdict, SpamError> {
    let stream = TcpStream::connect(address)
        .await
        .map_err(SpamError::Connect)?;
    let mut session = Session {
        stream,
        client: Client::new(client_config(timeout), Instant::now()),
        pending: BytesMut::new(),
        verdict: None,
        skip_body: false,
    };
    session.settle().await?;
    if session.client.negotiated().is_none() {
        return Err(SpamError::Protocol("no option negotiation".into()));
    }
    session.envelope(hostname, envelope).await?;
    session.message(&envelope.id, body).await?;
    let verdict = session
        .verdict
        .take()
        .ok_or_else(|| SpamError::Protocol("no verdict at the end of the message".into()))?;
    // Best effort: the verdict is in, a failing QUIT changes nothing.
    if session.client.quit().is_ok() {
        let _ = session.flush().await;
    }
    Ok(verdict)
}

/// One milter connection.
struct Session {
    stream: TcpStream,
    client: Client,
    /// Bytes for the milter not written yet (written before every read and at the end).
    pending: BytesMut,
    verdict: Option<Verdict>,
    skip_body: bool,
}

impl Session {
    /// CONNECT, HELO, MAIL and the RCPTs.
    async fn envelope(&mut self, hostname: &str, envelope: &Envelope) -> Result<(), SpamError> {
        let mut connect = Macros::new()
            .with("j", hostname)?
            .with("daemon_name", "postroom")?;
        let address = match envelope.client_ip {
            Some(ip) => {
                connect.insert("client_addr", &ip.to_string())?;
                // The session does not know the client's port; rspamd does not use it.
                Address::Inet { ip, port: 0 }
            }
            None => Address::Unknown,
        };
        // No reverse DNS here: "unknown", as Postfix reports an unverified client.
        self.client.connect("unknown", address, &connect)?;
        self.settle().await?;
        if let Some(helo) = &envelope.helo {
            self.client.helo(helo, &Macros::new())?;
            self.settle().await?;
        }
        let sender = envelope.sender.as_deref().unwrap_or("");
        let mut mail = Macros::new().with("mail_addr", sender)?;
        if let Some(user) = &envelope.authenticated {
            mail.insert("auth_authen", user)?;
        }
        self.client.mail(&format!("<{sender}>"), &[], &mail)?;
        self.settle().await?;
        for recipient in &envelope.recipients {
            let rcpt = Macros::new().with("rcpt_addr", recipient)?;
            self.client.rcpt(&format!("<{recipient}>"), &[], &rcpt)?;
            self.settle().await?;
        }
        Ok(())
    }

    /// DATA, the headers, the body and the end of the message.
    async fn message(&mut self, queue_id: &str, body: &Spooled) -> Result<(), SpamError> {
        let queue = Macros::new().with("i", queue_id)?;
        self.client.data(&queue)?;
        self.settle().await?;
        let mut chunks = Chunks::new(body);
        let section = read_header_section(&mut chunks)
            .await
            .map_err(SpamError::Spool)?;
        for field in &section.fields {
            self.client.header(&field.name, field.value())?;
            self.settle().await?;
        }
        self.client.end_of_headers(&queue)?;
        self.settle().await?;
        if !section.rest.is_empty() {
            self.body(&section.rest).await?;
        }
        while !self.skip_body {
            match chunks.next().await {
                Some(chunk) => self.body(&chunk.map_err(SpamError::Spool)?).await?,
                None => break,
            }
        }
        self.client.end_of_message(&queue)?;
        self.settle().await
    }

    async fn body(&mut self, chunk: &[u8]) -> Result<(), SpamError> {
        if self.skip_body {
            return Ok(());
        }
        self.client.body(chunk)?;
        self.settle().await
    }

    /// Handles the client's output, then reads from the milter until the client can
    /// take the next stage (or has closed).
    async fn settle(&mut self) -> Result<(), SpamError> {
        let mut buffer = vec![0u8; 16 * 1024];
        loop {
            self.drain()?;
            if self.client.is_ready() {
                return Ok(());
            }
            if self.client.is_closed() {
                return Err(SpamError::Protocol("the milter session ended".into()));
            }
            self.flush().await?;
            let n = self.stream.read(&mut buffer).await.map_err(SpamError::Io)?;
            if n == 0 {
                return Err(SpamError::Protocol(
                    "the milter closed the connection".into(),
                ));
            }
            self.client.handle_input(&buffer[..n]);
        }
    }

    /// Takes the client's outputs: bytes to send, and events.
    fn drain(&mut self) -> Result<(), SpamError> {
        loop {
            match self.client.poll_output() {
                Output::Transmit(bytes) => self.pending.extend_from_slice(&bytes),
                Output::Event(Event::Error(error)) => return Err(SpamError::Milter(error)),
                Output::Event(Event::Verdict(verdict)) => self.verdict = Some(verdict),
                Output::Event(Event::Reply {
                    stage: Stage::Body,
                    action: Action::Skip,
                }) => self.skip_body = true,
                Output::Event(_) => {}
                Output::NeedInput => return Ok(()),
            }
        }
    }

    async fn flush(&mut self) -> Result<(), SpamError> {
        if !self.pending.is_empty() {
            let bytes = self.pending.split();
            self.stream.write_all(&bytes).await.map_err(SpamError::Io)?;
        }
        Ok(())
    }
}

impl From<InvalidText> for SpamError {
    fn from(_: InvalidText) -> Self {
        Self::Protocol("a value contains NUL".into())
    }
}
