//! Tokio integration (the `tokio` feature): tokio-util codecs and a small async driver
//! for the [`Server`](crate::server::Server) state machine.
//!
//! - [`CommandCodec`] (server side) decodes command lines into [`Incoming`] items and
//!   encodes [`Reply`](crate::types::Reply)s; [`ReplyCodec`] (client side) decodes replies
//!   and encodes [`Command`](crate::types::Command)s. Both frame lines only: message
//!   bodies after `DATA`/`BDAT` are not lines, so take the bytes from the framed
//!   stream's read buffer, or use the state machines, which handle bodies.
//! - [`drive`] runs a [`Server`](crate::server::Server) over any `AsyncRead + AsyncWrite`
//!   stream, handing events to a [`Handler`]. It returns the stream when the client
//!   starts TLS, so the application can run the handshake (e.g. with tokio-rustls) and
//!   call `drive` again with the TLS stream.
//!
//! # Example
//!
//! A server that accepts every message, driven over an in-memory pipe:
//!
//! ```
//! use smtp_proto::server::{Config, Event, Server};
//! use smtp_proto::tokio::{Handler, Outcome, drive};
//! use smtp_proto::types::{EnhancedCode, Reply};
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! /// Accepts everything and counts body bytes.
//! struct Accept(usize);
//!
//! impl Handler for Accept {
//!     async fn on_event(&mut self, server: &mut Server, event: Event) {
//!         let ok = Reply::new(250, Some(EnhancedCode::new(2, 0, 0)), "Ok");
//!         let decided = match event {
//!             Event::Mail(_) => server.accept_mail(),
//!             Event::Rcpt(_) => server.accept_rcpt(),
//!             Event::MessageEnd { .. } => server.accept_message(ok),
//!             Event::DataChunk(bytes) => {
//!                 self.0 += bytes.len();
//!                 Ok(())
//!             }
//!             _ => Ok(()),
//!         };
//!         decided.expect("the server waits for this decision");
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let (mut client, server_side) = tokio::io::duplex(4096);
//! client
//!     .write_all(b"EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nHi\r\n.\r\nQUIT\r\n")
//!     .await?;
//! let mut server = Server::new(Config::new("mx.example"), std::time::Instant::now());
//! let mut handler = Accept(0);
//! let outcome = drive(&mut server, server_side, &mut handler).await?;
//! assert!(matches!(outcome, Outcome::Closed(_)));
//! assert_eq!(handler.0, 4);
//! let mut replies = String::new();
//! client.read_to_string(&mut replies).await?;
//! assert!(replies.ends_with("250 2.0.0 Ok\r\n221 2.0.0 Bye\r\n"));
//! # Ok(())
//! # }
//! ```

mod codec;
mod driver;
#[cfg(test)]
mod tests;

pub use codec::{CodecError, CommandCodec, Incoming, ReplyCodec};
pub use driver::{Handler, Outcome, drive};
