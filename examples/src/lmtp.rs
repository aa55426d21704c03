//! The LMTP listener: a drop-in for Dovecot's LMTP service. Postfix (or any MTA)
//! delivers over TCP or a Unix socket (`virtual_transport = lmtp:unix:private/postroom-lmtp`
//! or `lmtp:inet:127.0.0.1:24`) and gets one reply per recipient after the message, so a
//! full mailbox (`452 4.2.2`) or an unknown user (`550 5.1.1`) fails only that recipient.
//!
//! The session is the MX's ([`SmtpSession`](crate::mx::SmtpSession) in
//! [`Flavor::Lmtp`]) and delivers through the same [delivery](crate::delivery) path.
//! Postfix normally expands aliases itself; a recipient that still forwards outside our
//! domains has its forwards queued, and fails alone (`451 4.3.0`) if that fails.
//!
//! With `[spam] enabled = true` every message is checked by rspamd at the end of DATA,
//! as on the MX; a refusal (5xx reject, 4xx soft reject or greylist, 451 when rspamd
//! is down and `fail_open = false`) is answered for every recipient alike. Postfix in
//! front may check with rspamd itself; then leave the check off here.

use std::sync::Arc;

use crate::config::Config;
use crate::delivery::Resolver;
use crate::delivery::dispatch::Dispatcher;
use crate::mx::{Flavor, SmtpService, smtp_config};

/// The LMTP service for `config`. STARTTLS is not offered: LMTP runs on loopback or a
/// Unix socket between two processes of one host.
pub(crate) fn service<R: Resolver>(
    config: &Config,
    dispatcher: Arc<Dispatcher<R>>,
) -> SmtpService<R> {
    let mut smtp = smtp_config(config, Flavor::Lmtp);
    smtp.extensions.starttls = false;
    SmtpService::new(Flavor::Lmtp, smtp, dispatcher)
}
