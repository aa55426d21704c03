//! Evaluation of search keys against one candidate message.

use imap_proto::types::{AString, Date, SearchKey, SequenceSet};
use maildir::Flag;

use super::dates::{day_number, day_of, unix_seconds};
use super::text::{fold, has_field, raw_fields};
use super::{Candidate, MAX_KEY_DEPTH, SearchContext, SearchError};

/// How many distinct header fields with encoded words TEXT decodes; the rest of a
/// hostile header is searched in its raw form only.
const MAX_DECODED_FIELDS: usize = 64;

/// Whether `m` satisfies every key of `keys` (the top level of a SEARCH command).
pub(crate) fn matches_all(
    keys: &[SearchKey<'_>],
    m: &mut dyn Candidate,
    cx: &SearchContext<'_>,
) -> Result<bool, SearchError> {
    let plans = and_plans(keys.iter(), MAX_KEY_DEPTH)?;
    let mut eval = Eval {
        m,
        cx,
        texts: Texts::default(),
    };
    Ok(plans.iter().all(|p| eval.plan(p)))
}

/// A key with the work its evaluation costs (0 reads only metadata, 1 the header,
/// 2 the body), and its sub-keys in the order to try them: cheapest first, so that
/// `AND` and `OR` can often decide before the message is read.
struct Plan<'k, 'a> {
    key: &'k SearchKey<'a>,
    cost: u8,
    parts: Vec<Self>,
}

/// Plans a key, rejecting keys nested too deeply or carrying strings that are not
/// UTF-8 before any message is looked at (so the answer does not depend on them).
fn plan<'k, 'a>(key: &'k SearchKey<'a>, depth: usize) -> Result<Plan<'k, 'a>, SearchError> {
    use SearchKey as K;
    let depth = depth.checked_sub(1).ok_or(SearchError::TooDeep)?;
    let (own_cost, parts) = match key {
        K::Not(k) => (0, vec![plan(k, depth)?]),
        K::Or(a, b) => (0, and_plans([&**a, &**b].into_iter(), depth)?),
        K::And(keys) => (0, and_plans(keys.as_slice().iter(), depth)?),
        K::Body(s) | K::Text(s) => (text(s).map(|_| 2)?, Vec::new()),
        K::Bcc(s) | K::Cc(s) | K::From(s) | K::Subject(s) | K::To(s) => {
            (text(s).map(|_| 1)?, Vec::new())
        }
        K::Header(name, value) => (text(name).and(text(value)).map(|_| 1)?, Vec::new()),
        K::SentBefore(_) | K::SentOn(_) | K::SentSince(_) => (1, Vec::new()),
        _ => (0, Vec::new()),
    };
    let cost = parts.iter().map(|p| p.cost).fold(own_cost, u8::max);
    Ok(Plan { key, cost, parts })
}

/// Plans several keys and orders them cheapest first (keeping the written order
/// among equals).
fn and_plans<'k, 'a>(
    keys: impl Iterator<Item = &'k SearchKey<'a>>,
    depth: usize,
) -> Result<Vec<Plan<'k, 'a>>, SearchError>
where
    'a: 'k,
{
    let mut plans = keys
        .map(|k| plan(k, depth))
        .collect::<Result<Vec<_>, _>>()?;
    plans.sort_by_key(|p| p.cost);
    Ok(plans)
}

fn text<'k>(s: &'k AString<'_>) -> Result<&'k str, SearchError> {
    s.as_str().ok_or(SearchError::InvalidText)
}

/// Folded texts of the current message, computed once per evaluation.
#[derive(Default)]
struct Texts {
    /// (lower-case field name, folded decoded values).
    fields: Vec<(String, Vec<String>)>,
    header: Option<String>,
    body: Option<String>,
}

struct Eval<'m, 'c, 'a> {
    m: &'m mut dyn Candidate,
    cx: &'c SearchContext<'a>,
    texts: Texts,
}

impl Eval<'_, '_, '_> {
    fn plan(&mut self, plan: &Plan<'_, '_>) -> bool {
        match plan.key {
            SearchKey::Not(_) => !plan.parts.iter().all(|p| self.plan(p)),
            SearchKey::Or(..) => plan.parts.iter().any(|p| self.plan(p)),
            SearchKey::And(_) => plan.parts.iter().all(|p| self.plan(p)),
            key => self.key(key),
        }
    }

    /// One key that is not a combination of others.
    fn key(&mut self, key: &SearchKey<'_>) -> bool {
        use SearchKey as K;
        match key {
            K::All => true,
            K::Answered => self.flag(Flag::Replied),
            K::Deleted => self.flag(Flag::Trashed),
            K::Draft => self.flag(Flag::Draft),
            K::Flagged => self.flag(Flag::Flagged),
            K::Seen => self.flag(Flag::Seen),
            K::Unanswered => !self.flag(Flag::Replied),
            K::Undeleted => !self.flag(Flag::Trashed),
            K::Undraft => !self.flag(Flag::Draft),
            K::Unflagged => !self.flag(Flag::Flagged),
            K::Unseen => !self.flag(Flag::Seen),
            K::New => self.m.recent() && !self.flag(Flag::Seen),
            K::Old => !self.m.recent(),
            K::Recent => self.m.recent(),
            K::Keyword(k) => self.keyword(k.as_str()),
            K::Unkeyword(k) => !self.keyword(k.as_str()),
            K::Larger(n) => self.m.size() > *n,
            K::Smaller(n) => self.m.size() < *n,
            K::Before(d) => self.internal_day() < day_number(*d),
            K::On(d) => self.internal_day() == day_number(*d),
            K::Since(d) => self.internal_day() >= day_number(*d),
            K::SentBefore(d) => self.sent_day(*d, |day, want| day < want),
            K::SentOn(d) => self.sent_day(*d, |day, want| day == want),
            K::SentSince(d) => self.sent_day(*d, |day, want| day >= want),
            K::Older(n) => self.age() > i64::from(n.get()),
            K::Younger(n) => self.age() <= i64::from(n.get()),
            K::ModSeq { modseq, .. } => self.m.modseq() >= *modseq,
            K::Uid(set) => self.in_set(set, self.m.uid(), self.cx.max_uid),
            K::SequenceSet(set) => self.in_set(set, self.m.seq(), self.cx.max_seq),
            // Combinations go through their plan.
            K::Not(_) | K::Or(..) | K::And(_) => false,
            K::Bcc(s) => self.field("Bcc", s),
            K::Cc(s) => self.field("Cc", s),
            K::From(s) => self.field("From", s),
            K::To(s) => self.field("To", s),
            K::Subject(s) => self.field("Subject", s),
            K::Header(name, s) => name.as_str().is_some_and(|name| self.field(name, s)),
            K::Body(s) => self.body(s),
            K::Text(s) => self.whole_text(s),
            // A key added to the protocol types later: matches nothing until handled.
            _ => false,
        }
    }

    fn flag(&self, flag: Flag) -> bool {
        self.m.flags().contains(flag)
    }

    fn keyword(&self, keyword: &str) -> bool {
        self.m
            .keywords()
            .iter()
            .any(|k| k.eq_ignore_ascii_case(keyword))
    }

    fn internal_day(&self) -> i64 {
        day_of(unix_seconds(self.m.internal_date()))
    }

    /// Seconds since the internal date (negative for a date in the future).
    fn age(&self) -> i64 {
        unix_seconds(self.cx.now).saturating_sub(unix_seconds(self.m.internal_date()))
    }

    /// Compares the day of the `Date:` header, in its own zone, with `want`.
    fn sent_day(&mut self, want: Date, compare: fn(i64, i64) -> bool) -> bool {
        let Some((seconds, offset)) = self.m.content().and_then(|c| c.sent_date()) else {
            return false;
        };
        compare(
            day_of(seconds.saturating_add(i64::from(offset))),
            day_number(want),
        )
    }

    /// `$` means the saved UIDs, whether it stands for a sequence set or a UID set.
    fn in_set(&self, set: &SequenceSet, n: u32, largest: u32) -> bool {
        if set.is_saved() {
            let uid = self.m.uid();
            return self
                .cx
                .saved
                .is_some_and(|saved| saved.binary_search(&uid).is_ok());
        }
        set.contains(n, largest)
    }

    /// `HEADER name s` (and the address and subject keys): a substring of one decoded
    /// value; the empty string matches every message that has the field.
    fn field(&mut self, name: &str, needle: &AString<'_>) -> bool {
        let Some(needle) = needle.as_str() else {
            return false;
        };
        if needle.is_empty() {
            return self.m.content().is_some_and(|c| {
                has_field(c.header_bytes(), name) || !c.header_values(name).is_empty()
            });
        }
        let needle = fold(needle);
        let lower = name.to_ascii_lowercase();
        if let Some((_, values)) = self.texts.fields.iter().find(|(n, _)| *n == lower) {
            return values.iter().any(|v| v.contains(&needle));
        }
        let Some(content) = self.m.content() else {
            return false;
        };
        let values: Vec<String> = content
            .header_values(name)
            .iter()
            .map(|v| fold(v))
            .collect();
        let found = values.iter().any(|v| v.contains(&needle));
        self.texts.fields.push((lower, values));
        found
    }

    fn body(&mut self, needle: &AString<'_>) -> bool {
        let Some(needle) = needle.as_str() else {
            return false;
        };
        if needle.is_empty() {
            return true;
        }
        let needle = fold(needle);
        self.folded_body().is_some_and(|b| b.contains(&needle))
    }

    fn whole_text(&mut self, needle: &AString<'_>) -> bool {
        let Some(needle) = needle.as_str() else {
            return false;
        };
        if needle.is_empty() {
            return true;
        }
        let needle = fold(needle);
        self.folded_header().is_some_and(|h| h.contains(&needle))
            || self.folded_body().is_some_and(|b| b.contains(&needle))
    }

    fn folded_body(&mut self) -> Option<&str> {
        if self.texts.body.is_none() {
            let body = fold(&self.m.content()?.body_text());
            self.texts.body = Some(body);
        }
        self.texts.body.as_deref()
    }

    /// The header for TEXT: the raw lines (unfolded), then the decoded values of the
    /// fields that carry encoded words.
    fn folded_header(&mut self) -> Option<&str> {
        if self.texts.header.is_none() {
            let content = self.m.content()?;
            let raw = content.header_bytes();
            let mut all = String::new();
            let mut decoded_names: Vec<String> = Vec::new();
            for field in raw_fields(raw) {
                let name = String::from_utf8_lossy(field.name);
                all.push_str(&name);
                all.push(':');
                all.push_str(&String::from_utf8_lossy(&field.value));
                all.push('\n');
                let encoded = field.value.windows(2).any(|w| w == b"=?");
                let known = decoded_names.iter().any(|n| n.eq_ignore_ascii_case(&name));
                if encoded && !known && decoded_names.len() < MAX_DECODED_FIELDS {
                    decoded_names.push(name.into_owned());
                }
            }
            for name in &decoded_names {
                for value in content.header_values(name) {
                    all.push_str(name);
                    all.push_str(": ");
                    all.push_str(&value);
                    all.push('\n');
                }
            }
            self.texts.header = Some(fold(&all));
        }
        self.texts.header.as_deref()
    }
}
