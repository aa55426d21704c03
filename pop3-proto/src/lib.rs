//! Sans-IO POP3 for Postroom: RFC 1939, CAPA (RFC 2449), STLS (RFC 2595), SASL (RFC 5034).
//!
//! **Not implemented yet.** This crate is a placeholder in the workspace so that the layout
//! of `DESIGN.md` is in place; it exports nothing. It will hold the command and response
//! types, their codec, and server and client state machines following the driving contract
//! shared by every Postroom protocol crate (`handle_input`, `handle_timeout`, `poll_output`).
#![forbid(unsafe_code)]
#![deny(missing_docs)]
