//! Placeholder: the mailbox module of the IMAP service (being written).
