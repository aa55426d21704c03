//! Client configuration: what to offer the milter, limits and timeouts.

use std::time::Duration;

use crate::types::{Actions, MAX_BODY_CHUNK, ProtocolFlags};

/// What the client offers in option negotiation, and its limits.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// Actions the milter may take (default: all of version 6).
    pub actions: Actions,
    /// Protocol flags the milter may ask for (default: every `NO_*` and `NR_*` flag,
    /// `SKIP` and `HEADER_LEADING_SPACE`; not `RCPT_REJECTED`, which only makes sense
    /// when the application also reports recipients it rejected).
    pub protocol: ProtocolFlags,
    /// Largest data of one packet from the milter (default 1 MiB, the largest size a
    /// libmilter filter can be built for). A longer packet ends the session with
    /// [`DecodeError::TooLarge`](crate::codec::DecodeError::TooLarge).
    pub max_data_size: usize,
    /// Body bytes per BODY packet, 1..=65535 (default 65535).
    pub body_chunk_size: usize,
    /// Most modifications accepted for one message (default 1000).
    pub max_modifications: usize,
    /// Most bytes of header, address and reason text in the modifications of one
    /// message (default 1 MiB; replacement body chunks are streamed, not counted).
    pub max_modification_bytes: usize,
    /// How long to wait for the negotiation reply (default 30 s).
    pub negotiation_timeout: Duration,
    /// How long to wait for the reply to a command other than end-of-message
    /// (default 30 s).
    pub command_timeout: Duration,
    /// How long to wait for the end-of-message replies; each PROGRESS restarts it
    /// (default 300 s).
    pub end_of_message_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            actions: Actions::ALL,
            protocol: ProtocolFlags::NO_STAGES
                | ProtocolFlags::NO_REPLIES
                | ProtocolFlags::SKIP
                | ProtocolFlags::HEADER_LEADING_SPACE,
            max_data_size: 1 << 20,
            body_chunk_size: MAX_BODY_CHUNK,
            max_modifications: 1000,
            max_modification_bytes: 1 << 20,
            negotiation_timeout: Duration::from_secs(30),
            command_timeout: Duration::from_secs(30),
            end_of_message_timeout: Duration::from_secs(300),
        }
    }
}
