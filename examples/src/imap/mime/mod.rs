//! Placeholder: the mime module of the IMAP service (being written).
