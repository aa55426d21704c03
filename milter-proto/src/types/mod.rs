//! Protocol values as Rust types: commands, responses, flags, macros, replies and the
//! final [`Verdict`].

mod command;
mod flags;
mod macros;
mod reply;
mod response;
mod text;
mod verdict;

pub use command::{
    Address, Command, Connect, Envelope, MAX_BODY_CHUNK, OptionNegotiation, PROTOCOL_VERSION,
};
pub use flags::{Actions, ProtocolFlags};
pub(crate) use macros::bare_name;
pub use macros::{Macro, MacroStage, Macros};
pub use reply::{EnhancedCode, Reply, ReplyError};
pub use response::{MacroRequest, NegotiationReply, Response};
pub use text::{InvalidText, Text};
pub use verdict::{Disposition, HeaderOccurrence, Modification, Verdict};
