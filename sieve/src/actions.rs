//! What a run decided: the actions for the server to carry out, after the duplicate
//! rules of RFC 5228 section 2.10.3 and the implicit keep of section 2.10.2.

use crate::vacation::{VacationResponse, VacationSuppressed};

/// The name `keep` files into.
pub const INBOX: &str = "INBOX";

/// One thing to do with the message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// Deliver to the default mailbox (INBOX) with these IMAP flags.
    Keep {
        /// Flags to set on the stored message (valid IMAP flags only).
        flags: Vec<String>,
    },
    /// Deliver to `mailbox` (a UTF-8 name, hierarchy as the script wrote it).
    FileInto {
        /// The mailbox.
        mailbox: String,
        /// Flags to set on the stored message.
        flags: Vec<String>,
        /// Create the mailbox if it does not exist (RFC 5490 `:create`). Without it, a
        /// missing mailbox is an error the caller handles (RFC 5228 lets it file into
        /// INBOX instead).
        create: bool,
        /// Given with `:copy` (RFC 3894): it did not cancel the implicit keep.
        copy: bool,
    },
    /// Send the message, unchanged, to `address`. If the message has a null
    /// reverse-path, the redirected one must have a null reverse-path too.
    Redirect {
        /// The bare `local@domain` address.
        address: String,
        /// Given with `:copy`: it did not cancel the implicit keep.
        copy: bool,
    },
    /// The script discarded the message: nothing is delivered for it unless another
    /// action in the list says so.
    Discard,
    /// Send this vacation reply.
    Vacation(VacationResponse),
}

/// The result of a successful run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The actions in the order the script took them (duplicates merged); the implicit
    /// keep, if taken, is the last one.
    pub actions: Vec<Action>,
    /// Whether the implicit keep was taken (no keep, fileinto, redirect or discard
    /// cancelled it); it is then the last action, merged with any earlier keep.
    pub implicit_keep: bool,
    /// Whether the script ended with `stop`. A server running a global script before
    /// the user's can use it to skip the user's script, as Pigeonhole does.
    pub stopped: bool,
    /// Why a vacation action that ran produced no reply, if one did.
    pub vacation_suppressed: Option<VacationSuppressed>,
}

impl Outcome {
    /// The mailboxes to deliver into, INBOX for keep.
    pub fn mailboxes(&self) -> impl Iterator<Item = &str> {
        self.actions.iter().filter_map(|a| match a {
            Action::Keep { .. } => Some(INBOX),
            Action::FileInto { mailbox, .. } => Some(mailbox.as_str()),
            _ => None,
        })
    }
}

/// Collects actions during a run.
#[derive(Debug, Default)]
pub(crate) struct ActionSet {
    pub(crate) actions: Vec<Action>,
    /// Whether a keep, fileinto, redirect or discard cancelled the implicit keep.
    pub(crate) keep_cancelled: bool,
}

fn is_inbox(mailbox: &str) -> bool {
    mailbox.eq_ignore_ascii_case(INBOX)
}

fn merge_flags(into: &mut Vec<String>, more: Vec<String>) {
    for flag in more {
        if !into.iter().any(|f| f.eq_ignore_ascii_case(&flag)) {
            into.push(flag);
        }
    }
}

impl ActionSet {
    /// Adds `action`, merging it with an earlier one that stores into the same mailbox
    /// or redirects to the same address. Returns whether it was new.
    pub(crate) fn add(&mut self, action: Action) -> bool {
        match action {
            Action::Keep { flags } => self.store(INBOX, flags, false, false),
            Action::FileInto {
                mailbox,
                flags,
                create,
                copy,
            } => {
                if !copy {
                    self.keep_cancelled = true;
                }
                self.store(&mailbox, flags, create, copy)
            }
            Action::Redirect { address, copy } => {
                if !copy {
                    self.keep_cancelled = true;
                }
                let duplicate = self.actions.iter().any(
                    |a| matches!(a, Action::Redirect { address: other, .. } if other.eq_ignore_ascii_case(&address)),
                );
                if !duplicate {
                    self.actions.push(Action::Redirect { address, copy });
                }
                !duplicate
            }
            Action::Discard => {
                self.keep_cancelled = true;
                let first = !self.actions.contains(&Action::Discard);
                if first {
                    self.actions.push(Action::Discard);
                }
                first
            }
            other => {
                self.actions.push(other);
                true
            }
        }
    }

    /// Keep or fileinto; keep is fileinto INBOX (RFC 5228 section 2.10.3), and INBOX
    /// always exists, so any store into it becomes a keep.
    fn store(&mut self, mailbox: &str, flags: Vec<String>, create: bool, copy: bool) -> bool {
        let inbox = is_inbox(mailbox);
        if inbox && !copy {
            self.keep_cancelled = true;
        }
        for existing in &mut self.actions {
            match existing {
                Action::Keep { flags: old } if inbox => {
                    merge_flags(old, flags);
                    return false;
                }
                Action::FileInto {
                    mailbox: old_mailbox,
                    flags: old,
                    create: old_create,
                    ..
                } if !inbox && *old_mailbox == mailbox => {
                    merge_flags(old, flags);
                    *old_create |= create;
                    return false;
                }
                _ => {}
            }
        }
        self.actions.push(if inbox {
            Action::Keep { flags }
        } else {
            Action::FileInto {
                mailbox: mailbox.to_owned(),
                flags,
                create,
                copy,
            }
        });
        true
    }

    /// How many actions that count against the action limit are recorded.
    pub(crate) fn len(&self) -> usize {
        self.actions.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fileinto(mailbox: &str, flags: &[&str], copy: bool) -> Action {
        Action::FileInto {
            mailbox: mailbox.into(),
            flags: flags.iter().map(|f| (*f).to_owned()).collect(),
            create: false,
            copy,
        }
    }

    #[test]
    fn keep_and_fileinto_inbox_merge() {
        let mut set = ActionSet::default();
        assert!(set.add(fileinto("INBOX", &["\\Seen"], false)));
        assert!(!set.add(Action::Keep {
            flags: vec!["\\Flagged".into()]
        }));
        assert_eq!(
            set.actions,
            vec![Action::Keep {
                flags: vec!["\\Seen".into(), "\\Flagged".into()]
            }]
        );
        assert!(set.keep_cancelled);
    }

    #[test]
    fn duplicates_collapse() {
        let mut set = ActionSet::default();
        assert!(set.add(fileinto("Junk", &[], true)));
        assert!(!set.keep_cancelled);
        assert!(!set.add(fileinto("Junk", &["$x"], false)));
        assert!(set.keep_cancelled);
        assert!(set.add(Action::Redirect {
            address: "a@b.c".into(),
            copy: false
        }));
        assert!(!set.add(Action::Redirect {
            address: "A@B.C".into(),
            copy: true
        }));
        assert!(set.add(Action::Discard));
        assert!(!set.add(Action::Discard));
        assert_eq!(set.len(), 3);
        assert_eq!(set.actions[0], fileinto("Junk", &["$x"], true));
    }
}
