//! An async driver that pumps bytes between a stream and a [`Server`].

use std::future::Future;
use std::io;

use ::tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use ::tokio::time::{Instant, sleep_until};

use crate::server::{CloseReason, Event, Output, Server};
use crate::types::{EnhancedCode, Reply};

/// How many bytes the driver reads at a time.
const READ_SIZE: usize = 16 * 1024;

/// The application side of [`drive`]: sees every event and answers decisions.
pub trait Handler {
    /// Called with every event except [`Event::StartTls`] (which makes [`drive`] return).
    ///
    /// A decision event ([`Event::Mail`], [`Event::Rcpt`], [`Event::MessageEnd`], ...)
    /// must be answered on `server` before this returns; if it is not, the driver closes
    /// the session with `421 4.3.0`.
    fn on_event(&mut self, server: &mut Server, event: Event) -> impl Future<Output = ()> + Send;
}

/// Why [`drive`] returned.
#[derive(Debug)]
#[non_exhaustive]
pub enum Outcome<S> {
    /// The session is over and its last reply was written; the stream was shut down.
    Closed(CloseReason),
    /// The client closed the connection without `QUIT`.
    Disconnected,
    /// The client asked for STARTTLS and the `220` was written. Run the TLS handshake on
    /// this stream, call [`Server::tls_established`], and call [`drive`] again with the
    /// TLS stream.
    StartTls(S),
}

/// Runs `server` over `stream` until the session ends or STARTTLS is accepted.
///
/// The driver follows the state machine's contract: it calls `handle_timeout` with the
/// current time before every input and when [`Server::poll_timeout`] expires, drains
/// `poll_output` after every input, timeout and decision, writes transmits in order and
/// hands events to `handler`. Time is read from `tokio::time`, so tests may pause it.
pub async fn drive<S, H>(
    server: &mut Server,
    mut stream: S,
    handler: &mut H,
) -> io::Result<Outcome<S>>
where
    S: AsyncRead + AsyncWrite + Unpin,
    H: Handler,
{
    let mut buf = vec![0; READ_SIZE];
    loop {
        server.handle_timeout(now());
        if let Some(outcome) = drain(server, &mut stream, handler).await? {
            return Ok(match outcome {
                Stop::StartTls => Outcome::StartTls(stream),
                Stop::Closed(reason) => {
                    // Best effort: the client may already be gone.
                    let _ = stream.shutdown().await;
                    Outcome::Closed(reason)
                }
            });
        }
        let deadline = server.poll_timeout();
        let timer = sleep_until(deadline.map_or_else(far_future, Instant::from_std));
        ::tokio::select! {
            read = stream.read(&mut buf) => {
                let n = read?;
                if n == 0 {
                    return Ok(Outcome::Disconnected);
                }
                server.handle_timeout(now());
                server.handle_input(&buf[..n]);
            }
            () = timer, if deadline.is_some() => {}
        }
    }
}

/// Why draining stopped the session loop.
enum Stop {
    StartTls,
    Closed(CloseReason),
}

/// Drains the server's outputs until it needs input; `Some` when the loop must end.
async fn drain<S, H>(
    server: &mut Server,
    stream: &mut S,
    handler: &mut H,
) -> io::Result<Option<Stop>>
where
    S: AsyncWrite + Unpin,
    H: Handler,
{
    loop {
        match server.poll_output() {
            Output::Transmit(bytes) => stream.write_all(&bytes).await?,
            Output::Event(Event::StartTls) => {
                stream.flush().await?;
                return Ok(Some(Stop::StartTls));
            }
            Output::Event(Event::Closed(reason)) => {
                stream.flush().await?;
                handler.on_event(server, Event::Closed(reason)).await;
                return Ok(Some(Stop::Closed(reason)));
            }
            Output::Event(event) => {
                handler.on_event(server, event).await;
                // The handler may have taken time to decide.
                server.handle_timeout(now());
            }
            // Driving a session that is already over: nothing more will happen.
            Output::NeedInput if server.is_closed() => {
                return Ok(Some(Stop::Closed(CloseReason::Application)));
            }
            Output::NeedInput if server.awaiting_decision() => {
                let text = "Error: internal error, decision not made";
                server.close(Reply::new(421, Some(EnhancedCode::new(4, 3, 0)), text));
            }
            Output::NeedInput => {
                stream.flush().await?;
                return Ok(None);
            }
        }
    }
}

fn now() -> std::time::Instant {
    Instant::now().into_std()
}

/// A deadline for the disabled timer branch of `select!` (never awaited).
fn far_future() -> Instant {
    Instant::now() + std::time::Duration::from_secs(86_400 * 365)
}
