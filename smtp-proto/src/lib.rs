//! Sans-IO SMTP for Postroom (crate docs are being written).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod client;
pub mod codec;
pub mod server;
pub mod types;
