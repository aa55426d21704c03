//! Sans-IO IMAP for Postroom: IMAP4rev2 (RFC 9051) and IMAP4rev1 (RFC 3501) with extensions.
//!
//! **Not implemented yet.** This crate is a placeholder in the workspace so that the layout
//! of `DESIGN.md` is in place; it exports nothing. It will hold, in three modules, the
//! message types (`types`), the streaming parsers and encoders (`codec`) and the server and
//! client state machines (`server`, `client`), following the driving contract shared by
//! every Postroom protocol crate (`handle_input`, `handle_timeout`, `poll_output`).
#![forbid(unsafe_code)]
#![deny(missing_docs)]
