//! The mailbox tree: CREATE, DELETE, RENAME, SUBSCRIBE, LIST (LIST-EXTENDED selection
//! and return options, LIST-STATUS, SPECIAL-USE, CHILDREN), LSUB, NAMESPACE, STATUS.

use std::collections::HashSet;
use std::num::NonZeroU32;

use imap_proto::server::Status;
use imap_proto::types::{
    Atom, Code, Delimiter, IString, List, ListExtendedItem, ListPattern, ListReturnOption,
    ListSelectOption, Mailbox, MailboxAttribute, MailboxList, MailboxStatus, Namespace,
    NamespaceDescr, NonEmptyVec, OtherCode, StatusAttribute, StatusItem, Untagged,
    decode_modified_utf7,
};

use super::convert::{mailbox_name, wire_name};
use super::{Mail, Mode, Reply, no, store_failure};
use crate::imap::mailbox::{DELIMITER, FolderEntry, Selected, StoreError, UserStore};

/// `CREATE name [(USE (attr))]`.
pub(super) fn create(
    mail: &Mail,
    mode: Mode,
    mailbox: &Mailbox<'_>,
    special_use: &[MailboxAttribute<'_>],
) -> Reply {
    let name = match mailbox_name(mailbox, mode) {
        Ok(name) => name,
        Err(status) => return Reply::new(status),
    };
    let use_attr = match special_use {
        [] => None,
        [one] => Some(one.to_string()),
        _ => return Reply::new(use_attr_failure("Only one special use per mailbox")),
    };
    match mail.store.create(&name, use_attr.as_deref()) {
        Ok(()) => Reply::new(Status::ok("CREATE completed")),
        Err(StoreError::Invalid(reason)) if use_attr.is_some() => {
            Reply::new(use_attr_failure(&reason))
        }
        Err(e) => Reply::new(store_failure(&e)),
    }
}

/// `NO [USEATTR]` (RFC 6154 section 6).
fn use_attr_failure(text: &str) -> Status {
    match Atom::new("USEATTR")
        .ok()
        .and_then(|name| OtherCode::new(name, None).ok())
    {
        Some(code) => no(Code::Other(code), text),
        None => Status::no(text),
    }
}

/// `DELETE name`.
pub(super) fn delete(mail: &Mail, mode: Mode, mailbox: &Mailbox<'_>) -> Reply {
    let name = match mailbox_name(mailbox, mode) {
        Ok(name) => name,
        Err(status) => return Reply::new(status),
    };
    match mail.store.delete(&name) {
        Ok(()) => Reply::new(Status::ok("DELETE completed")),
        Err(e) => Reply::new(store_failure(&e)),
    }
}

/// `RENAME from to`.
pub(super) fn rename(mail: &Mail, mode: Mode, from: &Mailbox<'_>, to: &Mailbox<'_>) -> Reply {
    let names = mailbox_name(from, mode).and_then(|f| Ok((f, mailbox_name(to, mode)?)));
    let (from, to) = match names {
        Ok(names) => names,
        Err(status) => return Reply::new(status),
    };
    match mail.store.rename(&from, &to) {
        Ok(()) => Reply::new(Status::ok("RENAME completed")),
        Err(e) => Reply::new(store_failure(&e)),
    }
}

/// `SUBSCRIBE name` / `UNSUBSCRIBE name`.
pub(super) fn subscribe(mail: &Mail, mode: Mode, mailbox: &Mailbox<'_>, on: bool) -> Reply {
    let name = match mailbox_name(mailbox, mode) {
        Ok(name) => name,
        Err(status) => return Reply::new(status),
    };
    let verb = if on { "SUBSCRIBE" } else { "UNSUBSCRIBE" };
    match mail.store.subscribe(&name, on) {
        Ok(()) => Reply::new(Status::ok(format!("{verb} completed"))),
        Err(e) => Reply::new(store_failure(&e)),
    }
}

/// `NAMESPACE`: one personal namespace, no prefix.
pub(super) fn namespace() -> Reply {
    let personal = IString::text("").ok().map(|prefix| NamespaceDescr {
        prefix,
        delimiter: Delimiter::new(DELIMITER).ok(),
        extensions: Vec::new(),
    });
    let ns = Namespace {
        personal: personal.into_iter().collect(),
        other: Vec::new(),
        shared: Vec::new(),
    };
    Reply::with(
        vec![Untagged::Namespace(ns)],
        Status::ok("NAMESPACE completed"),
    )
}

/// The LIST-EXTENDED options of one LIST command.
#[derive(Debug, Default)]
struct Options {
    /// Selection SUBSCRIBED: subscribed names, existing or not.
    subscribed_only: bool,
    /// Selection RECURSIVEMATCH: parents of matching children, with CHILDINFO.
    recursive: bool,
    /// Selection SPECIAL-USE: only mailboxes with a special use.
    special_use_only: bool,
    /// Return SUBSCRIBED (implied by the selection).
    return_subscribed: bool,
    /// Return STATUS (RFC 5819).
    status: Option<Vec<StatusAttribute>>,
}

impl Options {
    fn of(list: &List<'_>) -> Result<Self, Status> {
        let mut o = Self::default();
        for option in &list.selection {
            match option {
                ListSelectOption::Subscribed => o.subscribed_only = true,
                ListSelectOption::RecursiveMatch => o.recursive = true,
                ListSelectOption::SpecialUse => o.special_use_only = true,
                ListSelectOption::Remote => {}
                ListSelectOption::Other(name) => {
                    return Err(Status::bad(format!(
                        "Unknown LIST selection option {}",
                        name.as_str()
                    )));
                }
            }
        }
        if o.recursive && !o.subscribed_only && !o.special_use_only {
            return Err(Status::bad("RECURSIVEMATCH needs another selection option"));
        }
        for option in &list.return_options {
            match option {
                ListReturnOption::Subscribed => o.return_subscribed = true,
                // Always returned: CHILDREN and SPECIAL-USE are advertised.
                ListReturnOption::Children | ListReturnOption::SpecialUse => {}
                ListReturnOption::Status(items) => o.status = Some(items.to_vec()),
                ListReturnOption::Other(name) => {
                    return Err(Status::bad(format!(
                        "Unknown LIST return option {}",
                        name.as_str()
                    )));
                }
            }
        }
        o.return_subscribed |= o.subscribed_only;
        Ok(o)
    }
}

/// `LIST [(selection)] reference pattern(s) [RETURN (options)]`.
pub(super) fn list(mail: &Mail, mode: Mode, list: &List<'_>) -> Reply {
    let options = match Options::of(list) {
        Ok(options) => options,
        Err(status) => return Reply::new(status),
    };
    let reference = match decode_pattern(list.reference.as_str(), mode) {
        Ok(reference) => reference,
        Err(status) => return Reply::new(status),
    };
    let mut patterns = Vec::new();
    let mut responses = Vec::new();
    for pattern in list.patterns.iter() {
        match decode_pattern(pattern.as_str(), mode) {
            Ok(p) if p.is_empty() && list.patterns.len() == 1 => {
                // LIST "" "": the hierarchy delimiter and root.
                responses.push(delimiter_entry(&reference, mode));
            }
            Ok(p) if p.is_empty() => {}
            Ok(p) => patterns.push(Matcher::new(&format!("{reference}{p}"))),
            Err(status) => return Reply::new(status),
        }
    }
    if !patterns.is_empty() {
        let entries = match mail.store.list() {
            Ok(entries) => entries,
            Err(e) => return Reply::new(store_failure(&e)),
        };
        let subscribed = if options.subscribed_only || options.return_subscribed {
            match mail.store.subscribed() {
                Ok(names) => names,
                Err(e) => return Reply::new(store_failure(&e)),
            }
        } else {
            Vec::new()
        };
        let matches = |name: &str| patterns.iter().any(|p| p.matches(name));
        let rows = select_rows(&entries, &subscribed, &options, &matches);
        for row in rows {
            emit_row(mail, mode, &options, row, &mut responses);
        }
    }
    Reply::with(responses, Status::ok("LIST completed"))
}

/// One LIST response to send.
struct Row {
    name: String,
    attributes: Vec<MailboxAttribute<'static>>,
    child_info: bool,
    /// Can be selected (STATUS is returned for it).
    selectable: bool,
}

/// The rows of a LIST, in the store's order (INBOX first).
fn select_rows(
    entries: &[FolderEntry],
    subscribed: &[String],
    options: &Options,
    matches: &dyn Fn(&str) -> bool,
) -> Vec<Row> {
    let subscribed_set: HashSet<&str> = subscribed.iter().map(String::as_str).collect();
    let mut rows = Vec::new();
    for entry in entries {
        let is_subscribed = subscribed_set.contains(entry.name.as_str());
        let wanted = (!options.subscribed_only || is_subscribed)
            && (!options.special_use_only || entry.special_use.is_some());
        let child_info = !wanted
            && options.recursive
            && matches(&entry.name)
            && has_wanted_child(&entry.name, entries, &subscribed_set, options);
        if !(child_info || wanted && matches(&entry.name)) {
            continue;
        }
        let mut attributes = entry_attributes(entry);
        if options.return_subscribed && is_subscribed {
            attributes.push(MailboxAttribute::Subscribed);
        }
        rows.push(Row {
            name: entry.name.clone(),
            attributes,
            child_info,
            selectable: !entry.noselect,
        });
    }
    if options.subscribed_only {
        // Subscribed names that do not exist (RFC 5258: \NonExistent).
        let known: HashSet<&str> = entries.iter().map(|e| e.name.as_str()).collect();
        for name in subscribed {
            if !known.contains(name.as_str()) && matches(name) && !options.special_use_only {
                rows.push(Row {
                    name: name.clone(),
                    attributes: vec![MailboxAttribute::NonExistent, MailboxAttribute::Subscribed],
                    child_info: false,
                    selectable: false,
                });
            }
        }
    }
    rows
}

/// Whether a mailbox below `parent` meets the selection (RECURSIVEMATCH).
fn has_wanted_child(
    parent: &str,
    entries: &[FolderEntry],
    subscribed: &HashSet<&str>,
    options: &Options,
) -> bool {
    let below = |name: &str| {
        name.strip_prefix(parent)
            .is_some_and(|rest| rest.starts_with(DELIMITER))
    };
    let subscribed_child = subscribed.iter().any(|s| below(s));
    let special_child = entries
        .iter()
        .any(|e| below(&e.name) && e.special_use.is_some());
    (!options.subscribed_only || subscribed_child) && (!options.special_use_only || special_child)
}

/// The attributes of a mailbox: `\Noselect`, children, special use.
fn entry_attributes(entry: &FolderEntry) -> Vec<MailboxAttribute<'static>> {
    let mut out = Vec::new();
    if entry.noselect {
        out.push(MailboxAttribute::NoSelect);
    }
    out.push(if entry.has_children {
        MailboxAttribute::HasChildren
    } else {
        MailboxAttribute::HasNoChildren
    });
    if let Some(special) = entry.special_use {
        out.extend(MailboxAttribute::from_name(special).ok());
    }
    out
}

fn emit_row(
    mail: &Mail,
    mode: Mode,
    options: &Options,
    row: Row,
    out: &mut Vec<Untagged<'static>>,
) {
    let Some(mailbox) = wire_name(&row.name, mode) else {
        return;
    };
    let extended = if row.child_info {
        let reason = if options.subscribed_only {
            "SUBSCRIBED"
        } else {
            "SPECIAL-USE"
        };
        IString::text(reason)
            .ok()
            .map(|r| vec![ListExtendedItem::ChildInfo(NonEmptyVec::one(r))])
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    out.push(Untagged::List(MailboxList {
        attributes: row.attributes,
        delimiter: Delimiter::new(DELIMITER).ok(),
        mailbox: mailbox.clone(),
        extended,
    }));
    if let (Some(items), true) = (&options.status, row.selectable)
        && let Ok(status) = status_of(&mail.store, &row.name, mailbox, items)
    {
        out.push(status);
    }
}

/// `* LIST (\Noselect) "." ""`-style answer to an empty pattern.
fn delimiter_entry(reference: &str, mode: Mode) -> Untagged<'static> {
    let root = reference
        .split_once(DELIMITER)
        .map_or("", |(first, _)| first);
    let mailbox = wire_name(root, mode)
        .or_else(|| Mailbox::new("").ok())
        .unwrap_or(Mailbox::INBOX);
    Untagged::List(MailboxList {
        attributes: vec![MailboxAttribute::NoSelect],
        delimiter: Delimiter::new(DELIMITER).ok(),
        mailbox,
        extended: Vec::new(),
    })
}

/// A pattern or reference as text: UTF-8 as sent, or modified UTF-7 decoded.
fn decode_pattern(wire: &str, mode: Mode) -> Result<String, Status> {
    if mode.utf8 {
        return Ok(wire.to_owned());
    }
    decode_modified_utf7(wire)
        .map(|p| p.into_owned())
        .map_err(|_| Status::bad("Pattern is not valid modified UTF-7"))
}

/// A LIST pattern: `*` matches anything, `%` anything but the delimiter. `INBOX` as the
/// first level matches in any case.
struct Matcher {
    pattern: Vec<char>,
    /// Characters that must match one each (a quick length check).
    literal: usize,
}

impl Matcher {
    fn new(pattern: &str) -> Self {
        let pattern = canonical_inbox(pattern);
        let mut chars: Vec<char> = Vec::with_capacity(pattern.len());
        for c in pattern.chars() {
            // `**`, `*%` and `%*` match what `*` matches; `%%` what `%` matches.
            match (chars.last().copied(), c) {
                (Some('*'), '*' | '%') => {}
                (Some('%'), '*') => {
                    chars.pop();
                    chars.push('*');
                }
                (Some('%'), '%') => {}
                _ => chars.push(c),
            }
        }
        let literal = chars.iter().filter(|c| !matches!(c, '*' | '%')).count();
        Self {
            pattern: chars,
            literal,
        }
    }

    fn matches(&self, name: &str) -> bool {
        let name: Vec<char> = name.chars().collect();
        if self.literal > name.len() {
            return false;
        }
        // reachable[j]: the pattern so far can end just before name[j].
        let mut reachable = vec![false; name.len() + 1];
        reachable[0] = true;
        for &p in &self.pattern {
            let mut next = vec![false; name.len() + 1];
            match p {
                '*' | '%' => {
                    let mut open = false;
                    for j in 0..=name.len() {
                        open |= reachable[j];
                        next[j] = open;
                        if p == '%' && name.get(j) == Some(&DELIMITER) {
                            open = false;
                        }
                    }
                }
                c => {
                    for j in 0..name.len() {
                        next[j + 1] = reachable[j] && name[j] == c;
                    }
                }
            }
            reachable = next;
        }
        reachable[name.len()]
    }
}

/// `inbox` (any case) as the first level of a pattern is `INBOX`.
fn canonical_inbox(pattern: &str) -> String {
    let first_end = pattern.find(DELIMITER).unwrap_or(pattern.len());
    if pattern[..first_end].eq_ignore_ascii_case(maildir::INBOX) {
        format!("{}{}", maildir::INBOX, &pattern[first_end..])
    } else {
        pattern.to_owned()
    }
}

/// `LSUB reference pattern` (IMAP4rev1): subscribed names; a parent that is not
/// subscribed itself but matches `%` where a subscribed child does is listed
/// `\Noselect` (RFC 3501 section 6.3.9).
pub(super) fn lsub(
    mail: &Mail,
    mode: Mode,
    reference: &Mailbox<'_>,
    pattern: &ListPattern<'_>,
) -> Reply {
    let text = decode_pattern(reference.as_str(), mode)
        .and_then(|r| Ok(format!("{r}{}", decode_pattern(pattern.as_str(), mode)?)));
    let matcher = match text {
        Ok(text) => Matcher::new(&text),
        Err(status) => return Reply::new(status),
    };
    let subscribed = match mail.store.subscribed() {
        Ok(names) => names,
        Err(e) => return Reply::new(store_failure(&e)),
    };
    let names: HashSet<&str> = subscribed.iter().map(String::as_str).collect();
    let mut seen = HashSet::new();
    let mut responses = Vec::new();
    let mut push = |name: &str, noselect: bool| {
        if !seen.insert(name.to_owned()) {
            return;
        }
        if let Some(mailbox) = wire_name(name, mode) {
            let attributes = if noselect {
                vec![MailboxAttribute::NoSelect]
            } else {
                Vec::new()
            };
            responses.push(Untagged::Lsub(MailboxList {
                attributes,
                delimiter: Delimiter::new(DELIMITER).ok(),
                mailbox,
                extended: Vec::new(),
            }));
        }
    };
    for name in &subscribed {
        if matcher.matches(name) {
            push(name, false);
            continue;
        }
        let mut end = 0;
        while let Some(pos) = name[end..].find(DELIMITER) {
            end += pos;
            let parent = &name[..end];
            if !names.contains(parent) && matcher.matches(parent) {
                push(parent, true);
            }
            end += DELIMITER.len_utf8();
        }
    }
    Reply::with(responses, Status::ok("LSUB completed"))
}

/// `STATUS name (items)`.
pub(super) fn status(
    mail: &Mail,
    mode: Mode,
    mailbox: &Mailbox<'_>,
    items: &NonEmptyVec<StatusAttribute>,
) -> Reply {
    let name = match mailbox_name(mailbox, mode) {
        Ok(name) => name,
        Err(status) => return Reply::new(status),
    };
    let Some(wire) = wire_name(&name, mode) else {
        return Reply::new(Status::bad("Invalid mailbox name"));
    };
    match status_of(&mail.store, &name, wire, items) {
        Ok(response) => Reply::with(vec![response], Status::ok("STATUS completed")),
        Err(status) => Reply::new(status),
    }
}

/// The `* STATUS` response of `name`.
fn status_of(
    store: &UserStore,
    name: &str,
    wire: Mailbox<'static>,
    items: &[StatusAttribute],
) -> Result<Untagged<'static>, Status> {
    let st = store.status(name).map_err(|e| store_failure(&e))?;
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        out.push(match item {
            StatusAttribute::Messages => StatusItem::Messages(st.messages),
            StatusAttribute::Recent => StatusItem::Recent(st.recent),
            StatusAttribute::UidNext => match NonZeroU32::new(st.uid_next) {
                Some(n) => StatusItem::UidNext(n),
                None => continue,
            },
            StatusAttribute::UidValidity => match NonZeroU32::new(st.uid_validity) {
                Some(n) => StatusItem::UidValidity(n),
                None => continue,
            },
            StatusAttribute::Unseen => StatusItem::Unseen(st.unseen),
            StatusAttribute::Deleted => StatusItem::Deleted(st.deleted),
            StatusAttribute::Size => StatusItem::Size(st.size),
            StatusAttribute::HighestModSeq => StatusItem::HighestModSeq(st.highest_modseq),
            StatusAttribute::DeletedStorage => {
                StatusItem::DeletedStorage(deleted_storage(store, name)?)
            }
            StatusAttribute::AppendLimit => {
                return Err(Status::bad("STATUS APPENDLIMIT is not supported"));
            }
        });
    }
    Ok(Untagged::Status(MailboxStatus {
        mailbox: wire,
        items: out,
    }))
}

/// DELETED-STORAGE (RFC 9208): what EXPUNGE would free, in units of 1024 octets.
fn deleted_storage(store: &UserStore, name: &str) -> Result<u64, Status> {
    let view = Selected::open(store, name, true).map_err(|e| store_failure(&e))?;
    let bytes = view
        .messages()
        .iter()
        .filter(|m| m.flags.contains(maildir::Flag::Trashed))
        .fold(0u64, |sum, m| sum.saturating_add(m.size));
    Ok(bytes.div_ceil(1024))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_like_rfc_9051() {
        let m = Matcher::new("*");
        assert!(m.matches("INBOX") && m.matches("a.b.c"));
        let m = Matcher::new("%");
        assert!(m.matches("Sent") && !m.matches("a.b"));
        let m = Matcher::new("a.%");
        assert!(m.matches("a.b") && !m.matches("a.b.c") && !m.matches("a"));
        let m = Matcher::new("a*c");
        assert!(m.matches("abc") && m.matches("a.b.c") && !m.matches("a.b.d"));
        let m = Matcher::new("inbox");
        assert!(m.matches("INBOX") && !m.matches("inboxes"));
        let m = Matcher::new("Inbox.%");
        assert!(m.matches("INBOX.x"));
        let m = Matcher::new("%%%*%%x");
        assert!(m.matches("a.b.x") && !m.matches("a.b.y"));
        let long = Matcher::new(&"a".repeat(300));
        assert!(!long.matches("aaa"));
    }
}
