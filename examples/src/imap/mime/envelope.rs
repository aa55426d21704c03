//! `ENVELOPE` (RFC 9051 section 7.5.2, RFC 3501 section 7.4.2) from a header block.
//!
//! Strings are the raw field values, unfolded and without leading whitespace (encoded
//! words are not decoded; the subject's folds become single spaces, as Dovecot sends
//! it); a missing field is `NIL`. Address lists follow the RFC's
//! group syntax; `Sender` and `Reply-To` default to `From` when missing or empty.
//! Mailboxes without a local part or domain get Dovecot's `MISSING_MAILBOX` /
//! `MISSING_DOMAIN`, so a `NIL` host keeps meaning "group marker".

use imap_proto::types::{Address, Envelope, NString};

use super::address::{self, Item};
use super::header;
use super::wire::{nstring, string};

/// Stand-in for a missing local part.
const MISSING_MAILBOX: &[u8] = b"MISSING_MAILBOX";
/// Stand-in for a missing domain.
const MISSING_DOMAIN: &[u8] = b"MISSING_DOMAIN";

/// The envelope of the message whose header block is `block`.
pub(super) fn envelope(block: &[u8]) -> Envelope<'static> {
    let from = addresses(block, b"from");
    let or_from = |list: Vec<Address<'static>>| {
        if list.is_empty() { from.clone() } else { list }
    };
    Envelope {
        date: raw_value(block, b"date"),
        subject: nstring(header::first_value(block, b"subject").map(header::unfold_collapsing)),
        sender: or_from(addresses(block, b"sender")),
        reply_to: or_from(addresses(block, b"reply-to")),
        to: addresses(block, b"to"),
        cc: addresses(block, b"cc"),
        bcc: addresses(block, b"bcc"),
        in_reply_to: raw_value(block, b"in-reply-to"),
        message_id: raw_value(block, b"message-id"),
        from,
    }
}

/// The first field `name`, unfolded, as an nstring.
fn raw_value(block: &[u8], name: &[u8]) -> NString<'static> {
    nstring(header::first_value(block, name).map(header::unfold))
}

/// The address list of the first field `name` (empty when missing).
fn addresses(block: &[u8], name: &[u8]) -> Vec<Address<'static>> {
    let Some(value) = header::first_value(block, name) else {
        return Vec::new();
    };
    address::parse_list(value)
        .into_iter()
        .map(|item| match item {
            Item::Mailbox(mailbox) => Address {
                name: nstring(mailbox.name),
                adl: nstring(mailbox.route),
                mailbox: nstring(Some(or_missing(mailbox.local, MISSING_MAILBOX))),
                host: nstring(Some(or_missing(mailbox.domain, MISSING_DOMAIN))),
            },
            Item::GroupStart(name) => Address {
                mailbox: NString(Some(string(name))),
                ..Address::default()
            },
            Item::GroupEnd => Address::default(),
        })
        .collect()
}

fn or_missing(value: Vec<u8>, missing: &[u8]) -> Vec<u8> {
    if value.is_empty() {
        missing.to_vec()
    } else {
        value
    }
}
