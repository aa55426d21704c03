//! The filter stage between receiving a message and storing it.
//!
//! - [`spam`]: at the end of DATA on the MX and LMTP paths, rspamd's opinion, asked over
//!   the milter protocol (rspamd's proxy worker with `milter = yes`) or over HTTP
//!   (`/checkv2` on a normal worker). The [`SpamDecision`] is the SMTP answer (reject,
//!   fail temporarily) or the header changes to make before delivery (`X-Spam: Yes`,
//!   `X-Spam-Score`, a rewritten subject, whatever rspamd asks for).
//! - [`sieve`]: for each local mailbox, the global before-script (by default the seed
//!   setup's "spam goes to Junk" rule) then the user's active Pigeonhole script, giving
//!   a [`SieveDecision`]: the folders to store into with their flags, redirects for
//!   the outbound queue, and a vacation reply.
//!
//! Both read the spooled message from the spool file, in chunks, on the blocking pool
//! ([`message`]).

pub(crate) mod message;
pub(crate) mod sieve;
pub(crate) mod spam;

pub(crate) use self::sieve::{SieveConfig, SieveDecision, SieveFilter};
pub(crate) use self::spam::{Screened, SpamCheck, SpamConfig};

#[cfg(test)]
pub(crate) mod testing;
