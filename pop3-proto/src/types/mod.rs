//! POP3 messages as Rust values: commands, status responses, response codes,
//! capabilities, and the secrets that cross the wire (passwords, SASL data, APOP digests).

mod apop;
mod capability;
mod command;
mod response;
mod secret;

pub use apop::{ApopDigest, apop_timestamp};
pub use capability::{Capabilities, Capability, Expire};
pub use command::{Command, CommandKind};
pub use response::{Response, ResponseCode, Status};
pub use secret::{Password, SaslData};
