//! What the machine hands to the application.

use bytes::Bytes;

use super::types::{SaslData, ScriptName};

/// One step of output.
#[derive(Debug)]
pub(crate) enum Output {
    /// Bytes to write to the client.
    Transmit(Bytes),
    /// Something the application must see or decide.
    Event(Event),
    /// Nothing more without input, a timeout or a decision.
    NeedInput,
}

/// Why the session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub(crate) enum CloseReason {
    /// The client sent LOGOUT.
    Logout,
    /// The client was idle too long, or the application did not decide in time.
    Timeout,
    /// Too many bad commands or failed logins.
    TooManyErrors,
    /// Too much input while a decision was pending.
    TooMuchInput,
    /// A literal length that cannot be skipped safely.
    ProtocolError,
    /// The application closed the session (shutdown, internal error).
    Application,
}

/// Something the application must see or decide. Decisions (noted below) must be
/// answered before the machine reads the next command.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub(crate) enum Event {
    /// Decision: `AUTHENTICATE` with an offered mechanism. Answer with
    /// `auth_challenge`, `auth_success` or `auth_failure`.
    Authenticate {
        /// The mechanism, upper-case.
        mechanism: String,
        /// The decoded initial response, if any.
        initial: Option<SaslData>,
    },
    /// Decision: the answer to the last challenge. Answered like `Authenticate`.
    AuthResponse(SaslData),
    /// The client cancelled the exchange (or broke it); the machine answered `NO`.
    AuthCancelled,
    /// `UNAUTHENTICATE`: the session is back in the non-authenticated state.
    Unauthenticated,
    /// Decision: `LISTSCRIPTS`. Answer with `scripts_listed` or `command_failed`.
    ListScripts,
    /// Decision: `PUTSCRIPT`. Validate and store; answer with `command_ok` or
    /// `command_failed`.
    PutScript {
        /// The script name.
        name: ScriptName,
        /// The script.
        content: Bytes,
    },
    /// Decision: `CHECKSCRIPT`. Validate only; `command_ok` or `command_failed`.
    CheckScript {
        /// The script.
        content: Bytes,
    },
    /// Decision: `GETSCRIPT`. Answer with `script_content` or `command_failed`.
    GetScript {
        /// The script name.
        name: ScriptName,
    },
    /// Decision: `SETACTIVE`; `None` deactivates. `command_ok` or `command_failed`.
    SetActive {
        /// The script to activate.
        name: Option<ScriptName>,
    },
    /// Decision: `DELETESCRIPT`. `command_ok` or `command_failed`.
    DeleteScript {
        /// The script name.
        name: ScriptName,
    },
    /// Decision: `RENAMESCRIPT`. `command_ok` or `command_failed`.
    RenameScript {
        /// The current name.
        from: ScriptName,
        /// The new name.
        to: ScriptName,
    },
    /// Decision: `HAVESPACE`. `command_ok` or `command_failed`.
    HaveSpace {
        /// The script to be stored.
        name: ScriptName,
        /// Its size in octets.
        size: u64,
    },
    /// STARTTLS was accepted and its `OK` queued: write it, run the TLS handshake,
    /// then call `tls_established`.
    StartTls,
    /// The session is over; write what came before and close the connection.
    Closed(CloseReason),
}

/// A decision answer that does not fit the pending decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum DecisionError {
    /// The machine waits for something else (or nothing).
    #[error("the machine is waiting for {waiting_for}")]
    Unexpected {
        /// What the machine waits for.
        waiting_for: &'static str,
    },
}
