//! Placeholder: the session module of the IMAP service (being written).
