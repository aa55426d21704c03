//! A message's envelope as the application gives it to the client.

use crate::types::{MailFrom, RcptTo};

/// How the body is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Transfer {
    /// `DATA`, with dot-stuffing (RFC 5321).
    #[default]
    Data,
    /// `BDAT` chunks (RFC 3030 CHUNKING); required for `BODY=BINARYMIME`.
    Bdat,
}

/// Sender, recipients and transfer method of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope<'a> {
    /// `MAIL FROM` with its parameters. Put the message size in `params.size` to let the
    /// client check it against the server's limit; the client drops the parameter when
    /// the server does not announce SIZE.
    pub mail_from: MailFrom<'a>,
    /// `RCPT TO` commands, in order.
    pub recipients: Vec<RcptTo<'a>>,
    /// DATA or BDAT.
    pub transfer: Transfer,
}
