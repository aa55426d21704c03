//! IMAP (ports 143 with STARTTLS and 993 with implicit TLS) over each user's Maildir.

pub(crate) mod mailbox;
pub(crate) mod mime;
pub(crate) mod search;
pub(crate) mod session;
