//! SEARCH / UID SEARCH (ESEARCH results, SEARCHRES `SAVE` and `$`, CONDSTORE MODSEQ),
//! SORT and THREAD (RFC 5256), over [`crate::imap::search`].

use std::num::NonZeroU32;
use std::time::SystemTime;

use imap_proto::server::Status;
use imap_proto::types::{
    AString, Charset, Code, ESearch, SearchData, SearchKey, SearchReturn, SearchReturnOption, Sort,
    Tag, Thread, Untagged,
};

use super::convert::sequence_set;
use super::{Mail, Mode, Reply, no};
use crate::imap::mailbox::{MessageMeta, Selected};
use crate::imap::mime::{Message, to_crlf};
use crate::imap::search::{
    self as engine, CHARSETS, Candidate, Content, SearchContext, SearchError,
};

/// Whether any key uses CONDSTORE's MODSEQ (the result then carries the highest).
pub(super) fn uses_modseq(keys: &[SearchKey<'_>]) -> bool {
    keys.iter().any(|key| match key {
        SearchKey::ModSeq { .. } => true,
        SearchKey::Not(k) => uses_modseq(std::slice::from_ref(k)),
        SearchKey::Or(a, b) => {
            uses_modseq(std::slice::from_ref(a)) || uses_modseq(std::slice::from_ref(b))
        }
        SearchKey::And(list) => uses_modseq(list),
        _ => false,
    })
}

/// The tagged answer to a failed search.
fn failure(e: &SearchError) -> Status {
    match e {
        SearchError::BadCharset(_) => {
            let charsets = CHARSETS
                .iter()
                .filter_map(|c| Charset::new(*c).ok())
                .collect();
            no(Code::BadCharset(charsets), "Unsupported charset")
        }
        other => Status::bad(other.to_string()),
    }
}

/// A message of the selected mailbox as the search engine sees it. The content is
/// read when a key first needs it; `headers_only` keeps just the header (SORT and
/// THREAD need nothing else and may hold many candidates at once).
struct Item<'a> {
    seq: u32,
    meta: &'a MessageMeta,
    selected: &'a Selected,
    headers_only: bool,
    /// `None` until loaded; `Some(None)` when the message cannot be read.
    loaded: Option<Option<Loaded>>,
}

impl Candidate for Item<'_> {
    fn seq(&self) -> u32 {
        self.seq
    }
    fn uid(&self) -> u32 {
        self.meta.uid
    }
    fn flags(&self) -> maildir::Flags {
        self.meta.flags
    }
    fn keywords(&self) -> &[String] {
        &self.meta.keywords
    }
    fn recent(&self) -> bool {
        self.meta.recent
    }
    fn size(&self) -> u64 {
        self.meta.size
    }
    fn internal_date(&self) -> SystemTime {
        self.meta.internal_date()
    }
    fn modseq(&self) -> u64 {
        self.meta.modseq
    }
    fn content(&mut self) -> Option<&dyn Content> {
        if self.loaded.is_none() {
            let raw = self.selected.read(self.meta.uid).ok();
            self.loaded = Some(raw.map(|raw| Loaded::new(raw, self.headers_only)));
        }
        match &self.loaded {
            Some(Some(loaded)) => Some(loaded),
            _ => None,
        }
    }
}

/// A message's bytes (CRLF line ends) and where its header ends.
struct Loaded {
    raw: Vec<u8>,
    header_len: usize,
}

impl Loaded {
    fn new(raw: Vec<u8>, headers_only: bool) -> Self {
        let mut raw = match to_crlf(&raw) {
            std::borrow::Cow::Borrowed(_) => raw,
            std::borrow::Cow::Owned(converted) => converted,
        };
        let header_len = {
            let message = Message::parse(&raw);
            let header = message.header_bytes();
            if raw.starts_with(header) {
                header.len()
            } else {
                raw.len()
            }
        };
        if headers_only {
            raw.truncate(header_len);
        }
        Self { raw, header_len }
    }

    /// The header alone, parsed (cheap: no body).
    fn header(&self) -> Message<'_> {
        Message::parse(&self.raw[..self.header_len])
    }
}

impl Content for Loaded {
    fn header_values(&self, name: &str) -> Vec<String> {
        self.header().header_values(name)
    }
    fn header_bytes(&self) -> &[u8] {
        &self.raw[..self.header_len]
    }
    fn body_text(&self) -> String {
        Message::parse(&self.raw).body_text()
    }
    fn sent_date(&self) -> Option<(i64, i32)> {
        self.header().sent_date()
    }
    fn first_address(&self, header: &str) -> Option<(Option<String>, String, String)> {
        self.header().first_address(header)
    }
}

/// The positions of the messages matching `keys` (ascending).
fn matching(
    selected: &Selected,
    saved: &[u32],
    charset: Option<&[u8]>,
    keys: &[SearchKey<'_>],
) -> Result<Vec<usize>, Status> {
    if let Some(charset) = charset {
        engine::check_charset(charset).map_err(|e| failure(&e))?;
    }
    let messages = selected.messages();
    let cx = SearchContext {
        max_seq: u32::try_from(messages.len()).unwrap_or(u32::MAX),
        max_uid: messages.last().map_or(0, |m| m.uid),
        saved: Some(saved),
        now: SystemTime::now(),
    };
    let mut out = Vec::new();
    for (i, meta) in messages.iter().enumerate() {
        let mut item = Item {
            seq: u32::try_from(i + 1).unwrap_or(u32::MAX),
            meta,
            selected,
            headers_only: false,
            loaded: None,
        };
        if engine::matches_all(keys, &mut item, &cx).map_err(|e| failure(&e))? {
            out.push(i);
        }
    }
    Ok(out)
}

/// The numbers to report for `positions`: UIDs or sequence numbers.
fn ids(messages: &[MessageMeta], positions: &[usize], uid: bool) -> Vec<u32> {
    positions
        .iter()
        .map(|&i| {
            if uid {
                messages[i].uid
            } else {
                u32::try_from(i + 1).unwrap_or(u32::MAX)
            }
        })
        .collect()
}

/// The highest mod-sequence among `positions` (reported when MODSEQ was searched).
fn highest_modseq(messages: &[MessageMeta], positions: &[usize]) -> Option<u64> {
    positions.iter().map(|&i| messages[i].modseq).max()
}

/// `[UID] SEARCH [RETURN (...)] [CHARSET x] keys`.
pub(super) fn search(
    mail: &mut Mail,
    mode: Mode,
    tag: &Tag<'_>,
    s: &imap_proto::types::Search<'_>,
) -> Reply {
    let Some(selected) = mail.selected.as_ref() else {
        return Reply::new(Status::bad("No mailbox selected"));
    };
    let options = s.return_options.as_deref();
    let save = options.is_some_and(|o| o.contains(&SearchReturnOption::Save));
    let charset = s.charset.as_ref().map(AString::as_bytes);
    let positions = match matching(selected, &mail.saved, charset, &s.criteria) {
        Ok(positions) => positions,
        Err(status) => {
            if save {
                // RFC 5182 section 2.1: a failed SAVE leaves `$` empty.
                mail.saved.clear();
            }
            return Reply::new(status);
        }
    };
    let messages = selected.messages();
    let modseq = uses_modseq(&s.criteria)
        .then(|| highest_modseq(messages, &positions))
        .flatten();
    let found = ids(messages, &positions, s.uid);
    let uids = ids(messages, &positions, true);
    let response = match options {
        None if !mode.rev2 => {
            let numbers = found.iter().filter_map(|&n| NonZeroU32::new(n)).collect();
            SearchData::new(numbers, modseq).ok().map(Untagged::Search)
        }
        None => Some(esearch(
            tag,
            s.uid,
            &found,
            &[SearchReturnOption::All],
            modseq,
        )),
        Some(options) => {
            if save {
                mail.saved = saved_result(options, uids);
            }
            let shown: Vec<SearchReturnOption> = if options.is_empty() {
                vec![SearchReturnOption::All]
            } else {
                options
                    .iter()
                    .copied()
                    .filter(|o| *o != SearchReturnOption::Save)
                    .collect()
            };
            // SAVE alone returns nothing (RFC 5182 section 2.4).
            (!shown.is_empty()).then(|| esearch(tag, s.uid, &found, &shown, modseq))
        }
    };
    Reply::with(
        response.into_iter().collect(),
        Status::ok("SEARCH completed"),
    )
}

/// What `SAVE` keeps: only MIN and/or MAX when those are the other options, else all
/// (RFC 5182 section 2.4). `uids` are ascending.
fn saved_result(options: &[SearchReturnOption], uids: Vec<u32>) -> Vec<u32> {
    use SearchReturnOption as O;
    let min = options.contains(&O::Min);
    let max = options.contains(&O::Max);
    let all = options.contains(&O::All) || options.contains(&O::Count);
    if all || !(min || max) {
        return uids;
    }
    let mut kept = Vec::new();
    if min {
        kept.extend(uids.first().copied());
    }
    if max {
        kept.extend(
            uids.last()
                .copied()
                .filter(|l| Some(l) != uids.first() || !min),
        );
    }
    kept
}

/// An ESEARCH response with the requested results.
fn esearch(
    tag: &Tag<'_>,
    uid: bool,
    found: &[u32],
    options: &[SearchReturnOption],
    modseq: Option<u64>,
) -> Untagged<'static> {
    use SearchReturnOption as O;
    let mut data = Vec::new();
    let nonzero = |n: Option<&u32>| n.copied().and_then(NonZeroU32::new);
    if options.contains(&O::Min) {
        data.extend(nonzero(found.iter().min()).map(SearchReturn::Min));
    }
    if options.contains(&O::Max) {
        data.extend(nonzero(found.iter().max()).map(SearchReturn::Max));
    }
    if options.contains(&O::All) {
        data.extend(sequence_set(found).map(SearchReturn::All));
    }
    if options.contains(&O::Count) {
        data.push(SearchReturn::Count(
            u32::try_from(found.len()).unwrap_or(u32::MAX),
        ));
    }
    if let Some(modseq) = modseq.filter(|_| !found.is_empty()) {
        data.push(SearchReturn::ModSeq(modseq));
    }
    Untagged::ESearch(ESearch {
        tag: AString::text(tag.as_str().to_owned()).ok(),
        uid,
        data,
    })
}

/// Candidates (headers only) for the matching positions.
fn items<'a>(selected: &'a Selected, positions: &[usize]) -> Vec<Item<'a>> {
    positions
        .iter()
        .map(|&i| Item {
            seq: u32::try_from(i + 1).unwrap_or(u32::MAX),
            meta: &selected.messages()[i],
            selected,
            headers_only: true,
            loaded: None,
        })
        .collect()
}

/// `[UID] SORT (criteria) charset keys`.
pub(super) fn sort(mail: &mut Mail, _mode: Mode, s: &Sort<'_>) -> Reply {
    let Some(selected) = mail.selected.as_ref() else {
        return Reply::new(Status::bad("No mailbox selected"));
    };
    let positions = match matching(selected, &mail.saved, Some(s.charset.as_bytes()), &s.search) {
        Ok(positions) => positions,
        Err(status) => return Reply::new(status),
    };
    let mut candidates = items(selected, &positions);
    let mut refs: Vec<&mut dyn Candidate> = candidates
        .iter_mut()
        .map(|c| c as &mut dyn Candidate)
        .collect();
    let order = engine::sort(&s.criteria, &mut refs);
    let messages = selected.messages();
    let sorted: Vec<usize> = order
        .iter()
        .filter_map(|&k| positions.get(k as usize).copied())
        .collect();
    let numbers = ids(messages, &sorted, s.uid)
        .into_iter()
        .filter_map(NonZeroU32::new)
        .collect();
    let modseq = uses_modseq(&s.search)
        .then(|| highest_modseq(messages, &positions))
        .flatten();
    let response = SearchData::new(numbers, modseq).ok().map(Untagged::Sort);
    Reply::with(response.into_iter().collect(), Status::ok("SORT completed"))
}

/// `[UID] THREAD algorithm charset keys`.
pub(super) fn thread(mail: &mut Mail, _mode: Mode, t: &Thread<'_>) -> Reply {
    let Some(selected) = mail.selected.as_ref() else {
        return Reply::new(Status::bad("No mailbox selected"));
    };
    let positions = match matching(selected, &mail.saved, Some(t.charset.as_bytes()), &t.search) {
        Ok(positions) => positions,
        Err(status) => return Reply::new(status),
    };
    let mut candidates = items(selected, &positions);
    let mut refs: Vec<&mut dyn Candidate> = candidates
        .iter_mut()
        .map(|c| c as &mut dyn Candidate)
        .collect();
    match engine::thread(&t.algorithm, &mut refs, t.uid) {
        Ok(threads) => Reply::with(
            vec![Untagged::Thread(threads)],
            Status::ok("THREAD completed"),
        ),
        Err(e) => Reply::new(failure(&e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SearchReturnOption as O;

    #[test]
    fn save_keeps_min_and_max_only_when_asked_alone() {
        assert_eq!(saved_result(&[O::Save], vec![3, 5, 9]), [3, 5, 9]);
        assert_eq!(saved_result(&[O::Save, O::Min], vec![3, 5, 9]), [3]);
        assert_eq!(
            saved_result(&[O::Save, O::Min, O::Max], vec![3, 5, 9]),
            [3, 9]
        );
        assert_eq!(saved_result(&[O::Save, O::Max], vec![3, 5, 9]), [9]);
        assert_eq!(saved_result(&[O::Save, O::Min, O::Max], vec![4]), [4]);
        assert_eq!(
            saved_result(&[O::Save, O::Min, O::Count], vec![3, 5]),
            [3, 5]
        );
        assert!(saved_result(&[O::Save, O::Min], Vec::new()).is_empty());
    }
}
