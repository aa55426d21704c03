//! ManageSieve (RFC 5804) without I/O: types, codec and the server state machine.
//!
//! - [`types`]: script names that are safe file names, response codes, commands.
//! - [`codec`]: framing (lines and literals), parsing, and encoding of responses.
//! - [`Server`]: the session state machine, driven like every Postroom protocol
//!   machine (`handle_input`, `handle_timeout`, `poll_timeout`, `poll_output`); the
//!   application answers its [`Event`]s.
//!
//! A session as the machine sees it (the unit tests replay it byte by byte):
//!
//! ```text
//! S: "IMPLEMENTATION" "Postroom"
//! S: "SASL" "SCRAM-SHA-256"
//! S: "SIEVE" "fileinto envelope ..."
//! S: "STARTTLS"
//! S: "UNAUTHENTICATE"
//! S: "VERSION" "1.0"
//! S: OK "Postroom ManageSieve ready."
//! C: STARTTLS
//! S: OK "Begin TLS negotiation now."          -> Event::StartTls
//!    ... TLS handshake, then the capabilities again, now with PLAIN and LOGIN ...
//! C: AUTHENTICATE "PLAIN" "AGtlbgBzZWNyZXQ="   -> Event::Authenticate
//! S: OK "Logged in."                          <- Server::auth_success
//! C: PUTSCRIPT "vacation" {27+}
//! C: require "vacation"; keep;
//! C:                                          -> Event::PutScript
//! S: OK "Putscript completed."                <- Server::command_ok
//! ```

pub(crate) mod base64;
pub(crate) mod codec;
mod config;
mod event;
mod server;
pub(crate) mod types;

pub(crate) use config::Config;
pub(crate) use event::{CloseReason, Event, Output};
pub(crate) use server::Server;
pub(crate) use types::{ResponseCode, ScriptName, Status};

#[cfg(test)]
mod tests;
