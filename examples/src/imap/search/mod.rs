//! Placeholder: the search module of the IMAP service (being written).
