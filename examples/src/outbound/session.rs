//! The async loop around the Sans-IO SMTP [`Client`]: it moves bytes between the client
//! machine and a TCP or TLS stream, tells it the time, and hands its events to the
//! delivery code, which makes every decision.
//!
//! (smtp-proto's `tokio::drive` is a driver for its *server* machine; the client needs
//! its own small loop, this one.)

use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use rustls::pki_types::ServerName;
use smtp_proto::client::{Client, ClientError, Config, Event, Output};
use smtp_proto::types::{EhloReply, Reply};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::{Instant, sleep_until, timeout};
use tokio_rustls::TlsConnector;

/// Bytes read from the peer at a time.
const READ_SIZE: usize = 16 * 1024;

/// A byte stream to a peer: plain TCP or TLS over it.
pub(super) trait Io: AsyncRead + AsyncWrite + Unpin + Send {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// Who is at the other end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Peer {
    /// The host name we looked up (or the IP literal we were given).
    pub(super) host: String,
    /// The address connected to.
    pub(super) addr: SocketAddr,
}

impl fmt::Display for Peer {
    /// `mx.example.org [192.0.2.1]`, the form of [`Outcome::remote`](super::Outcome).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} [{}]", self.host, self.addr.ip())
    }
}

/// Why a session cannot go on. The connection is unusable after any of these.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(super) enum SessionError {
    /// Reading or writing the socket failed.
    #[error("{0}")]
    Io(io::Error),
    /// The peer closed the connection.
    #[error("connection closed by the server")]
    Closed,
    /// The peer went quiet while nothing was expected of it, or stopped reading.
    #[error("timed out {0}")]
    Stalled(&'static str),
    /// The client machine ended the session (a timeout, an invalid reply, 421...).
    #[error("{0}")]
    Protocol(ClientError),
    /// The TLS handshake failed.
    #[error("TLS handshake failed: {0}")]
    Handshake(io::Error),
    /// An event came that the session did not expect at this point.
    #[error("unexpected SMTP client event: {0}")]
    Unexpected(String),
}

impl SessionError {
    /// The reply behind the error, when the server sent one (a 421, a refused greeting).
    pub(super) fn reply(&self) -> Option<&Reply<'static>> {
        match self {
            Self::Protocol(
                ClientError::ServiceClosing(reply)
                | ClientError::GreetingRejected(reply)
                | ClientError::HelloRejected(reply),
            ) => Some(reply),
            _ => None,
        }
    }
}

/// What became of a STARTTLS request.
pub(super) enum StartTls {
    /// The session now runs over TLS and the server was greeted again.
    Established(Session),
    /// The server answered STARTTLS with an error; the plain session goes on.
    Refused(Session, Reply<'static>),
}

/// One SMTP client session over one connection.
pub(super) struct Session {
    client: Client,
    io: Box<dyn Io>,
    read_buf: Box<[u8]>,
    /// Events already taken from the client while only transmitting.
    pending: VecDeque<Event>,
    /// Limit for writes and for waiting when the client expects nothing.
    stall_timeout: Duration,
    /// Who we talk to.
    pub(super) peer: Peer,
}

impl Session {
    /// Starts a session on a connected stream: the client waits for the greeting.
    pub(super) fn new(io: Box<dyn Io>, peer: Peer, config: Config, stall: Duration) -> Self {
        Self {
            client: Client::new(config, Instant::now().into_std()),
            io,
            read_buf: vec![0; READ_SIZE].into_boxed_slice(),
            pending: VecDeque::new(),
            stall_timeout: stall,
            peer,
        }
    }

    /// The server's capabilities from the last EHLO.
    pub(super) fn capabilities(&self) -> Option<&EhloReply<'static>> {
        self.client.capabilities()
    }

    /// Whether the session runs over TLS.
    pub(super) fn is_tls(&self) -> bool {
        self.client.is_tls()
    }

    /// The client machine, to call its command methods.
    pub(super) fn client(&mut self) -> &mut Client {
        &mut self.client
    }

    /// Waits for the greeting and the EHLO (or HELO) reply.
    pub(super) async fn ready(&mut self) -> Result<EhloReply<'static>, SessionError> {
        loop {
            match self.next_event().await? {
                Event::Greeting(_) => {}
                Event::Ready { hello, .. } => return Ok(hello),
                other => return Err(unexpected(&other)),
            }
        }
    }

    /// Sends STARTTLS and, on 220, runs the handshake and greets the server again.
    pub(super) async fn start_tls(
        mut self,
        connector: &TlsConnector,
        name: ServerName<'static>,
    ) -> Result<StartTls, SessionError> {
        self.client.starttls().map_err(SessionError::Protocol)?;
        match self.next_event().await? {
            Event::StartTls => {}
            Event::StartTlsRefused(reply) => return Ok(StartTls::Refused(self, reply)),
            other => return Err(unexpected(&other)),
        }
        let handshake = connector.connect(name, self.io);
        let tls = match timeout(self.stall_timeout, handshake).await {
            Ok(Ok(tls)) => tls,
            Ok(Err(e)) => return Err(SessionError::Handshake(e)),
            Err(_) => return Err(SessionError::Stalled("in the TLS handshake")),
        };
        self.io = Box::new(tls);
        self.client
            .tls_established()
            .map_err(SessionError::Protocol)?;
        self.ready().await?;
        Ok(StartTls::Established(self))
    }

    /// Sends QUIT and waits (briefly) for the reply; errors do not matter any more.
    pub(super) async fn quit(mut self) {
        if self.client.quit().is_ok() {
            let wait =
                async { while !matches!(self.next_event().await, Ok(Event::Closed) | Err(_)) {} };
            let _ = timeout(Duration::from_secs(10), wait).await;
        }
        let _ = timeout(Duration::from_secs(5), self.io.shutdown()).await;
    }

    /// Writes what the client wants sent, without reading: used while streaming a body.
    /// Events that come out meanwhile are kept for [`Session::next_event`].
    pub(super) async fn transmit(&mut self) -> Result<(), SessionError> {
        loop {
            match self.client.poll_output() {
                Output::Transmit(bytes) => self.write(&bytes).await?,
                Output::Event(event) => self.pending.push_back(event),
                Output::NeedInput => return Ok(()),
            }
        }
    }

    /// Drives the session until the client reports an event. A fatal error (the
    /// client's `Event::Error`, or the connection breaking) is returned as `Err`.
    pub(super) async fn next_event(&mut self) -> Result<Event, SessionError> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return match event {
                    Event::Error(error) => Err(SessionError::Protocol(error)),
                    event => Ok(event),
                };
            }
            match self.client.poll_output() {
                Output::Transmit(bytes) => self.write(&bytes).await?,
                Output::Event(event) => self.pending.push_back(event),
                Output::NeedInput if self.client.is_closed() => return Err(SessionError::Closed),
                Output::NeedInput => {
                    self.flush().await?;
                    self.wait_for_input().await?;
                }
            }
        }
    }

    /// Reads once from the peer, or tells the client the time when its timer expires.
    async fn wait_for_input(&mut self) -> Result<(), SessionError> {
        let deadline = self.client.poll_timeout().map(Instant::from_std);
        // The client always has a timer while it waits for a reply; without one, nothing
        // is expected, and a silent peer must not hold the session for ever.
        let deadline = deadline.unwrap_or_else(|| Instant::now() + self.stall_timeout);
        let timed = self.client.poll_timeout().is_some();
        tokio::select! {
            read = self.io.read(&mut self.read_buf) => {
                let n = read.map_err(SessionError::Io)?;
                if n == 0 {
                    return Err(SessionError::Closed);
                }
                self.client.handle_timeout(Instant::now().into_std());
                self.client.handle_input(&self.read_buf[..n]);
            }
            () = sleep_until(deadline) => {
                if !timed {
                    return Err(SessionError::Stalled("waiting for the server"));
                }
                self.client.handle_timeout(Instant::now().into_std());
            }
        }
        Ok(())
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<(), SessionError> {
        match timeout(self.stall_timeout, self.io.write_all(bytes)).await {
            Ok(result) => result.map_err(SessionError::Io),
            Err(_) => Err(SessionError::Stalled("sending to the server")),
        }
    }

    async fn flush(&mut self) -> Result<(), SessionError> {
        match timeout(self.stall_timeout, self.io.flush()).await {
            Ok(result) => result.map_err(SessionError::Io),
            Err(_) => Err(SessionError::Stalled("sending to the server")),
        }
    }
}

fn unexpected(event: &Event) -> SessionError {
    SessionError::Unexpected(format!("{event:?}"))
}
