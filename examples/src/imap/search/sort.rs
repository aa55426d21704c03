//! SORT (RFC 5256 section 3, with DISPLAYFROM and DISPLAYTO of RFC 5957).

use std::cmp::Ordering;

use imap_proto::types::{SortCriterion, SortKey};

use super::dates::unix_seconds;
use super::subject::base_subject;
use super::text::collation_key;
use super::{Candidate, Content};

/// One message's value for one sort key.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Value {
    Number(i64),
    Size(u64),
    Text(String),
}

/// Orders `ms` by `criteria` and returns indices into `ms`, first to last. Messages
/// equal under every criterion keep mailbox order (ascending sequence number);
/// `REVERSE` reverses only its own criterion.
///
/// - ARRIVAL: internal date; DATE: the `Date:` header, or the internal date when it
///   is missing or invalid (both to the second, time zones applied).
/// - FROM, TO, CC: the local part of the first address; DISPLAYFROM, DISPLAYTO: its
///   display name, or `local@domain` without one. SUBJECT: the base subject.
///   Missing values are empty strings; strings compare case-insensitively.
pub(crate) fn sort(criteria: &[SortCriterion], ms: &mut [&mut dyn Candidate]) -> Vec<u32> {
    let rows: Vec<(Vec<Value>, u32)> = ms
        .iter_mut()
        .map(|m| {
            let values = criteria.iter().map(|c| value(c.key, &mut **m)).collect();
            (values, m.seq())
        })
        .collect();
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by(|&a, &b| {
        let (va, seq_a) = &rows[a];
        let (vb, seq_b) = &rows[b];
        criteria
            .iter()
            .zip(va.iter().zip(vb))
            .map(|(c, (x, y))| if c.reverse { y.cmp(x) } else { x.cmp(y) })
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
            .then(seq_a.cmp(seq_b))
    });
    order
        .into_iter()
        .map(|i| u32::try_from(i).unwrap_or(u32::MAX))
        .collect()
}

fn value(key: SortKey, m: &mut dyn Candidate) -> Value {
    match key {
        SortKey::Arrival => Value::Number(unix_seconds(m.internal_date())),
        SortKey::Size => Value::Size(m.size()),
        SortKey::Date => Value::Number(sent_or_internal(m)),
        SortKey::Subject => Value::Text(collation_key(&base_subject(
            &first_subject(m).unwrap_or_default(),
        ))),
        SortKey::From => mailbox_value(m, "From"),
        SortKey::To => mailbox_value(m, "To"),
        SortKey::Cc => mailbox_value(m, "Cc"),
        SortKey::DisplayFrom => display_value(m, "From"),
        SortKey::DisplayTo => display_value(m, "To"),
    }
}

/// The sent date (RFC 5256 2.2): the `Date:` header, else the internal date.
pub(crate) fn sent_or_internal(m: &mut dyn Candidate) -> i64 {
    match m.content().and_then(Content::sent_date) {
        Some((seconds, _)) => seconds,
        None => unix_seconds(m.internal_date()),
    }
}

/// The decoded first `Subject:` value.
pub(crate) fn first_subject(m: &mut dyn Candidate) -> Option<String> {
    m.content()?.header_values("Subject").into_iter().next()
}

fn mailbox_value(m: &mut dyn Candidate, header: &str) -> Value {
    let local = m
        .content()
        .and_then(|c| c.first_address(header))
        .map(|(_, local, _)| local)
        .unwrap_or_default();
    Value::Text(collation_key(&local))
}

fn display_value(m: &mut dyn Candidate, header: &str) -> Value {
    let shown = match m.content().and_then(|c| c.first_address(header)) {
        Some((Some(name), _, _)) if !name.trim().is_empty() => name,
        Some((_, local, domain)) if domain.is_empty() => local,
        Some((_, local, domain)) => format!("{local}@{domain}"),
        None => String::new(),
    };
    Value::Text(collation_key(&shown))
}
