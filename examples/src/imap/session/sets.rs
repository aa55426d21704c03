//! Which messages a sequence set names: by sequence number, by UID, or `$`.

use imap_proto::server::Status;
use imap_proto::types::{SeqNumber, SequenceSet};

use crate::imap::mailbox::MessageMeta;

/// The positions (sequence number - 1) of the messages `set` names, ascending and
/// without duplicates.
///
/// By sequence number, a number beyond the last message (or `*` in an empty mailbox)
/// is a client error (`BAD`). By UID, UIDs that do not exist are skipped, `*` is the
/// highest UID, and `n:*` always includes it (RFC 9051 section 6.4.8). `$` is the
/// SEARCHRES result `saved` (UIDs).
pub(super) fn resolve(
    set: &SequenceSet,
    uid: bool,
    messages: &[MessageMeta],
    saved: &[u32],
) -> Result<Vec<usize>, Status> {
    if set.is_saved() {
        let mut out: Vec<usize> = saved
            .iter()
            .filter_map(|&u| position(messages, u))
            .collect();
        out.sort_unstable();
        out.dedup();
        return Ok(out);
    }
    if uid {
        Ok(by_uid(set, messages))
    } else {
        by_seq(set, messages.len())
    }
}

fn position(messages: &[MessageMeta], uid: u32) -> Option<usize> {
    messages.binary_search_by_key(&uid, |m| m.uid).ok()
}

fn by_seq(set: &SequenceSet, count: usize) -> Result<Vec<usize>, Status> {
    let invalid = || Status::bad("Invalid message sequence number");
    let count32 = u32::try_from(count).map_err(|_| invalid())?;
    let value = |n: SeqNumber| match n {
        SeqNumber::Value(v) => Ok(v.get()),
        SeqNumber::Largest if count32 > 0 => Ok(count32),
        SeqNumber::Largest => Err(invalid()),
    };
    let mut spans = Vec::with_capacity(set.ranges().len());
    for range in set.ranges() {
        let a = value(range.from)?;
        let b = range.to.map_or(Ok(a), value)?;
        if a > count32 || b > count32 {
            return Err(invalid());
        }
        spans.push((a.min(b) as usize - 1, a.max(b) as usize));
    }
    Ok(merge(spans))
}

fn by_uid(set: &SequenceSet, messages: &[MessageMeta]) -> Vec<usize> {
    let largest = messages.last().map_or(0, |m| m.uid);
    let value = |n: SeqNumber| match n {
        SeqNumber::Value(v) => v.get(),
        SeqNumber::Largest => largest,
    };
    let spans = set
        .ranges()
        .iter()
        .map(|range| {
            let a = value(range.from);
            let b = range.to.map_or(a, value);
            let (low, high) = (a.min(b), a.max(b));
            let start = messages.partition_point(|m| m.uid < low);
            let end = messages.partition_point(|m| m.uid <= high);
            (start, end)
        })
        .collect();
    merge(spans)
}

/// The positions covered by the half-open spans, ascending, each once: sorted and
/// merged first, so overlapping ranges cost nothing extra.
fn merge(mut spans: Vec<(usize, usize)>) -> Vec<usize> {
    spans.sort_unstable();
    let mut out = Vec::new();
    let mut next = 0;
    for (start, end) in spans {
        for i in start.max(next)..end {
            out.push(i);
        }
        next = next.max(end);
    }
    out
}

#[cfg(test)]
mod tests {

    use imap_proto::types::SeqRange;

    use super::*;

    fn view(uids: &[u32]) -> Vec<MessageMeta> {
        uids.iter()
            .map(|&uid| MessageMeta {
                uid,
                flags: maildir::Flags::empty(),
                keywords: Default::default(),
                recent: false,
                modseq: 1,
                size: 10,
                date: 0,
            })
            .collect()
    }

    fn set(ranges: &[(u32, Option<u32>)]) -> SequenceSet {
        let n = |v: u32| {
            if v == 0 {
                SeqNumber::Largest
            } else {
                SeqNumber::new(v).unwrap()
            }
        };
        SequenceSet::new(
            ranges
                .iter()
                .map(|&(a, b)| match b {
                    Some(b) => SeqRange::range(n(a), n(b)),
                    None => SeqRange::single(n(a)),
                })
                .collect(),
        )
        .unwrap()
    }

    #[test]
    fn sequence_numbers_must_exist() {
        let messages = view(&[3, 7, 9, 20]);
        assert_eq!(
            resolve(&set(&[(4, Some(2)), (1, None)]), false, &messages, &[]).unwrap(),
            [0, 1, 2, 3]
        );
        assert_eq!(
            resolve(&set(&[(3, Some(0))]), false, &messages, &[]).unwrap(),
            [2, 3]
        );
        assert!(resolve(&set(&[(5, None)]), false, &messages, &[]).is_err());
        assert!(resolve(&set(&[(1, Some(0))]), false, &[], &[]).is_err());
    }

    #[test]
    fn uids_skip_holes_and_star_is_the_highest() {
        let messages = view(&[3, 7, 9, 20]);
        assert_eq!(
            resolve(&set(&[(4, Some(9))]), true, &messages, &[]).unwrap(),
            [1, 2]
        );
        // 100:* includes the highest UID even though 100 > 20.
        assert_eq!(
            resolve(&set(&[(100, Some(0))]), true, &messages, &[]).unwrap(),
            [3]
        );
        assert!(
            resolve(&set(&[(1, Some(0))]), true, &[], &[])
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            resolve(&SequenceSet::saved(), true, &messages, &[20, 3, 4]).unwrap(),
            [0, 3]
        );
    }
}
