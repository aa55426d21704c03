//! THREAD (RFC 5256): what the algorithms need of each message, ORDEREDSUBJECT, and
//! the conversion of a thread forest into `thread-list`s.

use std::num::NonZeroU32;

use imap_proto::types::{ThreadAlgorithm, ThreadNode};

use super::references::references;
use super::sort::{first_subject, sent_or_internal};
use super::subject::extract;
use super::text::{collation_key, first_raw_value, message_ids};
use super::{Candidate, SearchError};

/// The deepest `thread-list` nesting sent (what a client, ours included, parses).
/// A branch that would go deeper is sent as one chain of its messages in thread
/// order, so no message is lost.
pub(crate) const MAX_THREAD_DEPTH: usize = 64;

/// At most this many identifiers of a `References:` field are used (the last ones,
/// nearest the message); RFC 5256 already expects truncated fields.
pub(crate) const MAX_REFERENCES: usize = 256;

/// What threading needs of one message.
#[derive(Debug, Clone)]
pub(crate) struct Info {
    /// The number to report (sequence number or UID).
    pub(crate) id: Option<NonZeroU32>,
    /// The sequence number (ties in sent date).
    pub(crate) seq: u32,
    /// The sent date (RFC 5256 2.2) in seconds since the epoch.
    pub(crate) sent: i64,
    /// The decoded `Subject:`; `None` without one.
    pub(crate) subject: Option<String>,
    /// The first valid identifier of `Message-ID:`.
    pub(crate) message_id: Option<String>,
    /// The parent chain: the `References:` identifiers, or else the first of
    /// `In-Reply-To:`.
    pub(crate) references: Vec<String>,
}

impl Info {
    /// Reads what threading needs from a candidate.
    fn read(m: &mut dyn Candidate, by_uid: bool) -> Self {
        let id = NonZeroU32::new(if by_uid { m.uid() } else { m.seq() });
        let ids_of = |m: &mut dyn Candidate, name| {
            raw_header(m, name)
                .map(|v| message_ids(&v))
                .unwrap_or_default()
        };
        let message_id = ids_of(&mut *m, "Message-ID").into_iter().next();
        let mut references = ids_of(&mut *m, "References");
        if references.is_empty() {
            references = ids_of(&mut *m, "In-Reply-To");
            references.truncate(1);
        }
        let excess = references.len().saturating_sub(MAX_REFERENCES);
        references.drain(..excess);
        Self {
            id,
            seq: m.seq(),
            sent: sent_or_internal(&mut *m),
            subject: first_subject(&mut *m),
            message_id,
            references,
        }
    }

    /// The order of messages in a thread: sent date, then sequence number.
    pub(crate) fn order(&self) -> (i64, u32) {
        (self.sent, self.seq)
    }
}

/// The unfolded raw value of the first `name` field of the candidate's header.
fn raw_header(m: &mut dyn Candidate, name: &str) -> Option<Vec<u8>> {
    let content = m.content()?;
    first_raw_value(content.header_bytes(), name).map(std::borrow::Cow::into_owned)
}

/// A forest of messages: what both algorithms produce.
#[derive(Debug, Default)]
pub(crate) struct Forest {
    /// Per node: the message (index into the `Info`s), `None` for a dummy.
    pub(crate) message: Vec<Option<usize>>,
    /// Per node: its children, in order.
    pub(crate) children: Vec<Vec<usize>>,
    /// The top-level nodes, in order.
    pub(crate) roots: Vec<usize>,
}

impl Forest {
    pub(crate) fn add(&mut self, message: Option<usize>) -> usize {
        self.message.push(message);
        self.children.push(Vec::new());
        self.message.len() - 1
    }
}

/// Threads `ms` with `algorithm`, reporting UIDs when `by_uid` and sequence numbers
/// otherwise.
pub(crate) fn thread(
    algorithm: &ThreadAlgorithm<'_>,
    ms: &mut [&mut dyn Candidate],
    by_uid: bool,
) -> Result<Vec<ThreadNode>, SearchError> {
    let build: fn(&[Info]) -> Forest = match algorithm {
        ThreadAlgorithm::OrderedSubject => ordered_subject,
        ThreadAlgorithm::References => references,
        other => return Err(SearchError::UnknownAlgorithm(other.as_str().to_owned())),
    };
    let mut infos: Vec<Info> = ms
        .iter_mut()
        .map(|m| Info::read(&mut **m, by_uid))
        .collect();
    infos.sort_by_key(|i| i.seq);
    let forest = build(&infos);
    Ok(to_thread_list(&forest, &infos))
}

/// A message for ORDEREDSUBJECT: (base subject key, thread order, index).
type Keyed = (String, (i64, u32), usize);

/// ORDEREDSUBJECT: messages grouped by base subject; in each group the earliest is
/// the parent of all the others; groups ordered by their first message.
pub(crate) fn ordered_subject(infos: &[Info]) -> Forest {
    let mut keyed: Vec<Keyed> = infos
        .iter()
        .enumerate()
        .map(|(i, info)| {
            let base = extract(info.subject.as_deref().unwrap_or_default()).text;
            (collation_key(&base), info.order(), i)
        })
        .collect();
    keyed.sort();
    let mut groups: Vec<&[Keyed]> = keyed.chunk_by(|a, b| a.0 == b.0).collect();
    groups.sort_by_key(|g| g[0].1);
    let mut forest = Forest::default();
    for group in groups {
        let first = forest.add(Some(group[0].2));
        for &(_, _, i) in &group[1..] {
            let child = forest.add(Some(i));
            forest.children[first].push(child);
        }
        forest.roots.push(first);
    }
    forest
}

/// Converts the forest into `thread-list`s: a node with one child continues its
/// parent's chain; deeper than [`MAX_THREAD_DEPTH`], a branch becomes one chain.
pub(crate) fn to_thread_list(forest: &Forest, infos: &[Info]) -> Vec<ThreadNode> {
    forest
        .roots
        .iter()
        .filter_map(|&root| convert(forest, infos, root, 1))
        .collect()
}

fn id_of(forest: &Forest, infos: &[Info], node: usize) -> Option<NonZeroU32> {
    forest.message[node].and_then(|m| infos[m].id)
}

fn convert(forest: &Forest, infos: &[Info], node: usize, depth: usize) -> Option<ThreadNode> {
    let mut chain = Vec::new();
    let mut current = node;
    loop {
        chain.extend(id_of(forest, infos, current));
        match forest.children[current].as_slice() {
            [only] => current = *only,
            _ => break,
        }
    }
    let branches = &forest.children[current];
    let mut children = Vec::new();
    if depth >= MAX_THREAD_DEPTH {
        chain.extend(preorder(forest, branches).filter_map(|n| id_of(forest, infos, n)));
    } else {
        children.extend(
            branches
                .iter()
                .filter_map(|&b| convert(forest, infos, b, depth + 1)),
        );
    }
    if let [only] = children.as_slice() {
        chain.extend_from_slice(only.ids());
        children = only.children().to_vec();
    }
    ThreadNode::new(chain, children).ok()
}

/// The nodes below `tops` (and `tops` themselves), parents before children.
fn preorder<'f>(forest: &'f Forest, tops: &'f [usize]) -> impl Iterator<Item = usize> + 'f {
    let mut stack: Vec<usize> = tops.iter().rev().copied().collect();
    std::iter::from_fn(move || {
        let node = stack.pop()?;
        stack.extend(forest.children[node].iter().rev());
        Some(node)
    })
}
