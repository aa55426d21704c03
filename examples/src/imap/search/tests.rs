//! Known-answer tests for SEARCH keys, SORT and THREAD over hand-made candidates.

use std::cell::Cell;
use std::num::NonZeroU32;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use imap_proto::types::{
    AString, Atom, Date, EntryKind, Flag as ImapFlag, ModSeqEntry, NonEmptyVec, SearchKey,
    SeqNumber, SeqRange, SequenceSet, SortCriterion, SortKey, ThreadAlgorithm, ThreadNode,
};
use maildir::{Flag, Flags};

use super::text::raw_fields;
use super::*;

/// A parsed message made of a raw header, optional decoded values, and a body.
#[derive(Clone, Default)]
struct FakeContent {
    header: Vec<u8>,
    /// Decoded values that replace the raw ones of a field (as RFC 2047 decoding would).
    decoded: Vec<(&'static str, &'static str)>,
    body: String,
    sent: Option<(i64, i32)>,
}

impl Content for FakeContent {
    fn header_values(&self, name: &str) -> Vec<String> {
        let decoded: Vec<String> = self
            .decoded
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| (*v).to_owned())
            .collect();
        if !decoded.is_empty() {
            return decoded;
        }
        raw_fields(&self.header)
            .filter(|f| f.name.eq_ignore_ascii_case(name.as_bytes()))
            .map(|f| String::from_utf8_lossy(&f.value).trim().to_owned())
            .collect()
    }

    fn header_bytes(&self) -> &[u8] {
        &self.header
    }

    fn body_text(&self) -> String {
        self.body.clone()
    }

    fn sent_date(&self) -> Option<(i64, i32)> {
        self.sent
    }

    /// Understands `Name <local@domain>` and `local@domain` only.
    fn first_address(&self, header: &str) -> Option<(Option<String>, String, String)> {
        let value = self.header_values(header).into_iter().next()?;
        let first = value.split(',').next()?.trim().to_owned();
        let (name, addr) = match (first.find('<'), first.find('>')) {
            (Some(open), Some(close)) if open < close => {
                let name = first[..open].trim().trim_matches('"').to_owned();
                (
                    (!name.is_empty()).then_some(name),
                    first[open + 1..close].to_owned(),
                )
            }
            _ => (None, first),
        };
        let (local, domain) = addr.split_once('@').unwrap_or((&addr, ""));
        Some((name, local.to_owned(), domain.to_owned()))
    }
}

struct Fake {
    seq: u32,
    uid: u32,
    flags: Flags,
    keywords: Vec<String>,
    recent: bool,
    size: u64,
    internal: SystemTime,
    modseq: u64,
    content: Option<FakeContent>,
    loads: Cell<u32>,
}

impl Fake {
    fn new(seq: u32) -> Self {
        Self {
            seq,
            uid: seq * 10,
            flags: Flags::empty(),
            keywords: Vec::new(),
            recent: false,
            size: 1000,
            internal: at(0),
            modseq: 1,
            content: Some(FakeContent::default()),
            loads: Cell::new(0),
        }
    }

    fn header(mut self, header: &str) -> Self {
        self.content_mut().header = header.replace('\n', "\r\n").into_bytes();
        self
    }

    fn body(mut self, body: &str) -> Self {
        self.content_mut().body = body.to_owned();
        self
    }

    fn sent(mut self, seconds: i64, offset: i32) -> Self {
        self.content_mut().sent = Some((seconds, offset));
        self
    }

    fn decoded(mut self, name: &'static str, value: &'static str) -> Self {
        self.content_mut().decoded.push((name, value));
        self
    }

    fn content_mut(&mut self) -> &mut FakeContent {
        self.content.get_or_insert_with(FakeContent::default)
    }
}

impl Candidate for Fake {
    fn seq(&self) -> u32 {
        self.seq
    }
    fn uid(&self) -> u32 {
        self.uid
    }
    fn flags(&self) -> Flags {
        self.flags
    }
    fn keywords(&self) -> &[String] {
        &self.keywords
    }
    fn recent(&self) -> bool {
        self.recent
    }
    fn size(&self) -> u64 {
        self.size
    }
    fn internal_date(&self) -> SystemTime {
        self.internal
    }
    fn modseq(&self) -> u64 {
        self.modseq
    }
    fn content(&mut self) -> Option<&dyn Content> {
        self.loads.set(self.loads.get() + 1);
        self.content.as_ref().map(|c| c as &dyn Content)
    }
}

fn at(seconds: i64) -> SystemTime {
    if seconds >= 0 {
        UNIX_EPOCH + Duration::from_secs(seconds.unsigned_abs())
    } else {
        UNIX_EPOCH - Duration::from_secs(seconds.unsigned_abs())
    }
}

/// 2024-03-10 00:00:00 UTC.
const MAR_10: i64 = 1_710_028_800;
const DAY: i64 = 86_400;

fn date(y: u16, m: u8, d: u8) -> Date {
    Date::new(y, m, d).unwrap()
}

fn s(text: &str) -> AString<'static> {
    AString::text(text.to_owned()).unwrap()
}

fn set(ranges: &[(u32, Option<u32>)]) -> SequenceSet {
    let num = |n: u32| {
        if n == 0 {
            SeqNumber::Largest
        } else {
            SeqNumber::new(n).unwrap()
        }
    };
    SequenceSet::new(
        ranges
            .iter()
            .map(|&(a, b)| match b {
                Some(b) => SeqRange::range(num(a), num(b)),
                None => SeqRange::single(num(a)),
            })
            .collect(),
    )
    .unwrap()
}

/// One key, as a search with a single criterion.
fn matches(
    key: &SearchKey<'_>,
    m: &mut dyn Candidate,
    cx: &SearchContext<'_>,
) -> Result<bool, SearchError> {
    matches_all(std::slice::from_ref(key), m, cx)
}

fn cx() -> SearchContext<'static> {
    SearchContext {
        max_seq: 5,
        max_uid: 50,
        saved: None,
        now: at(MAR_10),
    }
}

fn hit(key: &SearchKey<'_>, m: &mut Fake) -> bool {
    matches(key, m, &cx()).unwrap()
}

fn not(key: SearchKey<'static>) -> SearchKey<'static> {
    SearchKey::Not(Box::new(key))
}

fn or(a: SearchKey<'static>, b: SearchKey<'static>) -> SearchKey<'static> {
    SearchKey::Or(Box::new(a), Box::new(b))
}

fn and(keys: Vec<SearchKey<'static>>) -> SearchKey<'static> {
    SearchKey::And(NonEmptyVec::new(keys).unwrap())
}

// ---------------------------------------------------------------- flags and metadata

#[test]
fn flag_keys() {
    use SearchKey as K;
    let mut m = Fake::new(1);
    m.flags = Flags::empty().with(Flag::Seen).with(Flag::Replied);
    for (key, want) in [
        (K::All, true),
        (K::Seen, true),
        (K::Answered, true),
        (K::Deleted, false),
        (K::Draft, false),
        (K::Flagged, false),
        (K::Unseen, false),
        (K::Unanswered, false),
        (K::Undeleted, true),
        (K::Undraft, true),
        (K::Unflagged, true),
        (K::Recent, false),
        (K::Old, true),
        (K::New, false),
    ] {
        assert_eq!(hit(&key, &mut m), want, "{key:?}");
    }
    m.flags = Flags::empty()
        .with(Flag::Trashed)
        .with(Flag::Draft)
        .with(Flag::Flagged);
    m.recent = true;
    for (key, want) in [
        (K::Seen, false),
        (K::Deleted, true),
        (K::Draft, true),
        (K::Flagged, true),
        (K::Recent, true),
        (K::Old, false),
        (K::New, true),
    ] {
        assert_eq!(hit(&key, &mut m), want, "{key:?}");
    }
}

#[test]
fn keywords_compare_without_case() {
    let mut m = Fake::new(1);
    m.keywords = vec!["$Forwarded".into(), "Work".into()];
    let kw = |k: &str| Atom::new(k.to_owned()).unwrap();
    assert!(hit(&SearchKey::Keyword(kw("$forwarded")), &mut m));
    assert!(hit(&SearchKey::Keyword(kw("WORK")), &mut m));
    assert!(!hit(&SearchKey::Keyword(kw("Home")), &mut m));
    assert!(hit(&SearchKey::Unkeyword(kw("Home")), &mut m));
    assert!(!hit(&SearchKey::Unkeyword(kw("work")), &mut m));
}

#[test]
fn sizes_are_strict() {
    let mut m = Fake::new(1);
    m.size = 1000;
    assert!(hit(&SearchKey::Larger(999), &mut m));
    assert!(!hit(&SearchKey::Larger(1000), &mut m));
    assert!(hit(&SearchKey::Smaller(1001), &mut m));
    assert!(!hit(&SearchKey::Smaller(1000), &mut m));
}

#[test]
fn internal_dates_use_the_utc_day() {
    let mut m = Fake::new(1);
    // 2024-03-10 23:59:59 UTC.
    m.internal = at(MAR_10 + DAY - 1);
    assert!(hit(&SearchKey::On(date(2024, 3, 10)), &mut m));
    assert!(!hit(&SearchKey::On(date(2024, 3, 11)), &mut m));
    assert!(hit(&SearchKey::Since(date(2024, 3, 10)), &mut m));
    assert!(!hit(&SearchKey::Since(date(2024, 3, 11)), &mut m));
    assert!(hit(&SearchKey::Before(date(2024, 3, 11)), &mut m));
    assert!(!hit(&SearchKey::Before(date(2024, 3, 10)), &mut m));
    // Before the epoch.
    m.internal = at(-1);
    assert!(hit(&SearchKey::On(date(1969, 12, 31)), &mut m));
    assert!(hit(&SearchKey::Before(date(1970, 1, 1)), &mut m));
}

#[test]
fn sent_dates_use_the_day_in_the_header_zone() {
    // Date: Sat, 9 Mar 2024 23:30:00 -0500, which is 04:30 on the 10th in UTC.
    let utc = MAR_10 + 4 * 3600 + 1800;
    let mut m = Fake::new(1).sent(utc, -5 * 3600);
    m.internal = at(utc);
    assert!(hit(&SearchKey::SentOn(date(2024, 3, 9)), &mut m));
    assert!(!hit(&SearchKey::SentOn(date(2024, 3, 10)), &mut m));
    assert!(hit(&SearchKey::SentBefore(date(2024, 3, 10)), &mut m));
    assert!(!hit(&SearchKey::SentBefore(date(2024, 3, 9)), &mut m));
    assert!(hit(&SearchKey::SentSince(date(2024, 3, 9)), &mut m));
    assert!(!hit(&SearchKey::SentSince(date(2024, 3, 10)), &mut m));
    // The internal date is on the 10th in UTC.
    assert!(hit(&SearchKey::On(date(2024, 3, 10)), &mut m));

    // Without a valid Date: no SENT* key matches, and their negations all do.
    let mut m = Fake::new(1);
    for key in [
        SearchKey::SentOn(date(1970, 1, 1)),
        SearchKey::SentBefore(date(9999, 1, 1)),
        SearchKey::SentSince(date(1970, 1, 1)),
    ] {
        assert!(!hit(&key, &mut m));
        assert!(hit(&not(key), &mut m));
    }
}

#[test]
fn within_older_and_younger() {
    let older = |n| SearchKey::Older(NonZeroU32::new(n).unwrap());
    let younger = |n| SearchKey::Younger(NonZeroU32::new(n).unwrap());
    let mut m = Fake::new(1);
    m.internal = at(MAR_10 - 3600);
    assert!(hit(&older(3599), &mut m));
    assert!(!hit(&older(3600), &mut m));
    assert!(hit(&younger(3600), &mut m));
    assert!(!hit(&younger(3599), &mut m));
    // A date in the future is younger than anything.
    m.internal = at(MAR_10 + 10);
    assert!(hit(&younger(1), &mut m));
    assert!(!hit(&older(1), &mut m));
}

#[test]
fn modseq_with_and_without_entry() {
    let mut m = Fake::new(1);
    m.modseq = 7;
    let key = |modseq, entry| SearchKey::ModSeq { entry, modseq };
    assert!(hit(&key(7, None), &mut m));
    assert!(hit(&key(0, None), &mut m));
    assert!(!hit(&key(8, None), &mut m));
    let entry = ModSeqEntry {
        flag: ImapFlag::Seen,
        kind: EntryKind::Private,
    };
    assert!(hit(&key(7, Some(entry.clone())), &mut m));
    assert!(!hit(&key(8, Some(entry)), &mut m));
}

#[test]
fn sequence_and_uid_sets() {
    let mut m = Fake::new(3); // UID 30
    assert!(hit(&SearchKey::SequenceSet(set(&[(1, Some(3))])), &mut m));
    assert!(!hit(&SearchKey::SequenceSet(set(&[(4, Some(0))])), &mut m));
    assert!(hit(
        &SearchKey::SequenceSet(set(&[(1, None), (0, Some(3))])),
        &mut m
    ));
    assert!(hit(&SearchKey::Uid(set(&[(30, None)])), &mut m));
    assert!(!hit(&SearchKey::Uid(set(&[(3, None)])), &mut m));
    // `*` is the largest UID (50): 40:* is 40:50.
    assert!(!hit(&SearchKey::Uid(set(&[(40, Some(0))])), &mut m));
    assert!(hit(&SearchKey::Uid(set(&[(0, Some(25))])), &mut m));
    // The last message: `*` as a sequence number.
    let mut last = Fake::new(5);
    assert!(hit(&SearchKey::SequenceSet(set(&[(0, None)])), &mut last));
}

#[test]
fn saved_result_dollar() {
    let saved = [10, 30, 40];
    let with_saved = SearchContext {
        saved: Some(&saved),
        ..cx()
    };
    let dollar = SearchKey::SequenceSet(SequenceSet::saved());
    let uid_dollar = SearchKey::Uid(SequenceSet::saved());
    let mut third = Fake::new(3); // UID 30
    let mut second = Fake::new(2); // UID 20
    assert!(matches(&dollar, &mut third, &with_saved).unwrap());
    assert!(matches(&uid_dollar, &mut third, &with_saved).unwrap());
    assert!(!matches(&dollar, &mut second, &with_saved).unwrap());
    assert!(!matches(&uid_dollar, &mut second, &with_saved).unwrap());
    // Nothing saved: `$` is empty.
    assert!(!matches(&dollar, &mut third, &cx()).unwrap());
    assert!(matches(&not(uid_dollar), &mut third, &cx()).unwrap());
}

#[test]
fn not_or_and_nesting() {
    use SearchKey as K;
    let mut m = Fake::new(2);
    m.flags = Flags::empty().with(Flag::Seen);
    assert!(hit(&or(K::Deleted, K::Seen), &mut m));
    assert!(!hit(&or(K::Deleted, K::Flagged), &mut m));
    assert!(hit(&not(or(K::Deleted, K::Flagged)), &mut m));
    assert!(hit(&and(vec![K::Seen, not(K::Deleted), K::All]), &mut m));
    assert!(!hit(&and(vec![K::Seen, K::Deleted]), &mut m));
    assert!(hit(
        &or(and(vec![K::Deleted, K::Seen]), not(not(K::Seen))),
        &mut m
    ));
    // The top level of a command is an AND too.
    assert!(matches_all(&[K::Seen, K::Undeleted], &mut m, &cx()).unwrap());
    assert!(!matches_all(&[K::Seen, K::Deleted], &mut m, &cx()).unwrap());
}

// ---------------------------------------------------------------- text keys

fn letter() -> Fake {
    Fake::new(1)
        .header(
            "From: \"Ann Example\" <ann@example.org>\n\
             To: bob@example.net, carol@example.net\n\
             Cc: Dave <dave@example.com>\n\
             Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= from Berlin\n\
             X-Empty:\n\
             X-Mailer: Fancy\n \tMailer 2.0\n\n",
        )
        .decoded("Subject", "Grüße from Berlin")
        .body("Dear Bob,\nthe ΣΥΝΑΝΤΗΣΗ is on Tuesday.\n")
}

#[test]
fn header_keys_are_case_insensitive_substrings() {
    use SearchKey as K;
    let mut m = letter();
    assert!(hit(&K::From(s("ann@EXAMPLE")), &mut m));
    assert!(hit(&K::From(s("ann example")), &mut m));
    assert!(!hit(&K::From(s("bob")), &mut m));
    assert!(hit(&K::To(s("carol")), &mut m));
    assert!(hit(&K::Cc(s("dave@")), &mut m));
    assert!(!hit(&K::Bcc(s("dave")), &mut m));
    // Decoded values, folded on both sides (ß and ü are not ASCII).
    assert!(hit(&K::Subject(s("GRÜßE")), &mut m));
    assert!(hit(&K::Subject(s("grüße from")), &mut m));
    assert!(!hit(&K::Subject(s("=?utf-8?")), &mut m));
    assert!(hit(&K::Header(s("x-mailer"), s("mailer 2.0")), &mut m));
    assert!(!hit(&K::Header(s("X-Mailer"), s("Berlin")), &mut m));
}

#[test]
fn header_with_empty_string_tests_presence() {
    use SearchKey as K;
    let mut m = letter();
    assert!(hit(&K::Header(s("X-Empty"), s("")), &mut m));
    assert!(hit(&K::Header(s("x-mailer"), s("")), &mut m));
    assert!(!hit(&K::Header(s("X-Missing"), s("")), &mut m));
    assert!(hit(&K::Subject(s("")), &mut m));
    assert!(!hit(&K::Bcc(s("")), &mut m));
    assert!(hit(&not(K::Bcc(s(""))), &mut m));
}

#[test]
fn body_and_text() {
    use SearchKey as K;
    let mut m = letter();
    assert!(hit(&K::Body(s("tuesday")), &mut m));
    assert!(
        !hit(&K::Body(s("συνάντηση")), &mut m),
        "accents are not folded away"
    );
    assert!(hit(&K::Body(s("συναντηση")), &mut m));
    assert!(hit(&K::Body(s("ΣΥΝΑΝΤΗΣΗ")), &mut m));
    // Header words are in TEXT, not in BODY.
    assert!(!hit(&K::Body(s("berlin")), &mut m));
    assert!(hit(&K::Text(s("berlin")), &mut m));
    assert!(hit(&K::Text(s("grüße")), &mut m));
    assert!(hit(&K::Text(s("x-mailer: fancy")), &mut m));
    assert!(hit(&K::Text(s("dear bob")), &mut m));
    assert!(!hit(&K::Text(s("absent")), &mut m));
    assert!(hit(&K::Body(s("")), &mut m));
    assert!(hit(&K::Text(s("")), &mut m));
}

#[test]
fn unreadable_message_matches_no_content_key() {
    use SearchKey as K;
    let mut m = Fake::new(1);
    m.content = None;
    assert!(!hit(&K::Body(s("x")), &mut m));
    assert!(!hit(&K::Text(s("x")), &mut m));
    assert!(!hit(&K::Subject(s("")), &mut m));
    assert!(hit(&not(K::Body(s("x"))), &mut m));
    assert!(hit(&K::All, &mut m));
}

#[test]
fn cheap_keys_run_before_content() {
    use SearchKey as K;
    let mut m = Fake::new(1);
    m.flags = Flags::empty().with(Flag::Seen);
    // The body key is written first; the flag decides without opening the message.
    assert!(!hit(&and(vec![K::Body(s("x")), K::Unseen]), &mut m));
    assert!(!matches_all(&[K::Text(s("x")), K::Unseen], &mut m, &cx()).unwrap());
    assert!(hit(&or(K::Body(s("x")), K::Seen), &mut m));
    assert_eq!(m.loads.get(), 0);
    // Several text keys on one message read it through one cache.
    let mut m = letter();
    assert!(hit(
        &and(vec![
            K::Body(s("bob")),
            K::Text(s("tuesday")),
            K::Body(s("dear"))
        ]),
        &mut m
    ));
    assert_eq!(
        m.loads.get(),
        2,
        "one load for the body, one for the header"
    );
}

// ---------------------------------------------------------------- errors and limits

#[test]
fn bad_strings_and_depth() {
    let mut m = Fake::new(1);
    let bad = AString::new(b"\xff\xfe".to_vec()).unwrap();
    assert_eq!(
        matches(&SearchKey::Body(bad.clone()), &mut m, &cx()),
        Err(SearchError::InvalidText)
    );
    // Even where evaluation would never reach it.
    assert_eq!(
        matches(
            &or(SearchKey::All, SearchKey::Header(bad, s("x"))),
            &mut m,
            &cx()
        ),
        Err(SearchError::InvalidText)
    );

    let nested = |levels: usize| {
        let mut key = SearchKey::Seen;
        for _ in 1..levels {
            key = not(key);
        }
        key
    };
    m.flags = Flags::empty().with(Flag::Seen);
    assert!(matches(&nested(MAX_KEY_DEPTH), &mut m, &cx()).is_ok());
    assert_eq!(
        matches(&nested(MAX_KEY_DEPTH + 1), &mut m, &cx()),
        Err(SearchError::TooDeep)
    );
    assert_eq!(
        matches(&nested(1_000), &mut m, &cx()),
        Err(SearchError::TooDeep)
    );
}

#[test]
fn charset_argument() {
    assert!(check_charset(b"UTF-8").is_ok());
    assert!(check_charset(b"us-ascii").is_ok());
    assert_eq!(
        check_charset(b"KOI8-R"),
        Err(SearchError::BadCharset("KOI8-R".into()))
    );
    assert_eq!(CHARSETS, ["UTF-8", "US-ASCII"]);
}

// ---------------------------------------------------------------- SORT

fn by(key: SortKey) -> SortCriterion {
    SortCriterion {
        reverse: false,
        key,
    }
}

fn reverse(key: SortKey) -> SortCriterion {
    SortCriterion { reverse: true, key }
}

/// Sorts and reports sequence numbers.
fn sorted(criteria: &[SortCriterion], ms: &mut [Fake]) -> Vec<u32> {
    let seqs: Vec<u32> = ms.iter().map(|m| m.seq).collect();
    let mut refs: Vec<&mut dyn Candidate> =
        ms.iter_mut().map(|m| m as &mut dyn Candidate).collect();
    sort(criteria, &mut refs)
        .into_iter()
        .map(|i| seqs[i as usize])
        .collect()
}

#[test]
fn sort_by_arrival_size_and_date() {
    let mut ms: Vec<Fake> = (1..=4).map(Fake::new).collect();
    for (m, (arrival, size)) in ms.iter_mut().zip([(30, 5), (10, 7), (20, 5), (10, 1)]) {
        m.internal = at(arrival);
        m.size = size;
    }
    assert_eq!(sorted(&[by(SortKey::Arrival)], &mut ms), [2, 4, 3, 1]);
    // REVERSE applies to the key; ties stay in mailbox order.
    assert_eq!(sorted(&[reverse(SortKey::Arrival)], &mut ms), [1, 3, 2, 4]);
    assert_eq!(sorted(&[by(SortKey::Size)], &mut ms), [4, 1, 3, 2]);
    assert_eq!(
        sorted(&[by(SortKey::Size), reverse(SortKey::Arrival)], &mut ms),
        [4, 1, 3, 2]
    );
    assert_eq!(
        sorted(&[reverse(SortKey::Size), by(SortKey::Arrival)], &mut ms),
        [2, 3, 1, 4]
    );
    // DATE: the Date header (an absolute time), else the internal date.
    ms[0].content_mut().sent = Some((15, 3600));
    ms[2].content_mut().sent = Some((5, -3600));
    assert_eq!(sorted(&[by(SortKey::Date)], &mut ms), [3, 2, 4, 1]);
    assert_eq!(sorted(&[reverse(SortKey::Date)], &mut ms), [1, 2, 4, 3]);
}

#[test]
fn sort_by_addresses_and_subject() {
    let mut ms = vec![
        Fake::new(1).header("From: Zed <b.user@x>\nTo: a@x\nSubject: Re: beta\n\n"),
        Fake::new(2).header("From: adam <C@y>\nSubject: Alpha\n\n"),
        Fake::new(3).header("From: a@z\nTo: \"Yann\" <z@x>\nCc: m@x\nSubject: [list] gamma\n\n"),
        Fake::new(4).header("Subject: Fwd: ALPHA (fwd)\n\n"),
    ];
    // Local parts without case: "" < "a" < "b.user" < "c".
    assert_eq!(sorted(&[by(SortKey::From)], &mut ms), [4, 3, 1, 2]);
    assert_eq!(sorted(&[by(SortKey::To)], &mut ms), [2, 4, 1, 3]);
    assert_eq!(sorted(&[by(SortKey::Cc)], &mut ms), [1, 2, 4, 3]);
    // Display names, or the address without one: "" < "a@z" < "adam" < "Zed".
    assert_eq!(sorted(&[by(SortKey::DisplayFrom)], &mut ms), [4, 3, 2, 1]);
    assert_eq!(sorted(&[by(SortKey::DisplayTo)], &mut ms), [2, 4, 1, 3]);
    // Base subjects: alpha (2, 4), beta, gamma.
    assert_eq!(sorted(&[by(SortKey::Subject)], &mut ms), [2, 4, 1, 3]);
    assert_eq!(
        sorted(
            &[reverse(SortKey::Subject), reverse(SortKey::From)],
            &mut ms
        ),
        [3, 1, 2, 4]
    );
}

#[test]
fn sort_of_nothing_and_of_unreadable_messages() {
    assert!(sorted(&[by(SortKey::Subject)], &mut []).is_empty());
    let mut ms: Vec<Fake> = (1..=3).map(Fake::new).collect();
    ms[1].content = None;
    ms[1].internal = at(-5);
    assert_eq!(sorted(&[by(SortKey::Date)], &mut ms), [2, 1, 3]);
    assert_eq!(sorted(&[by(SortKey::From)], &mut ms), [1, 2, 3]);
}

// ---------------------------------------------------------------- THREAD

/// A message for threading: its sequence number, sent date (seconds), and header.
fn mail(seq: u32, sent: i64, header: &str) -> Fake {
    Fake::new(seq)
        .header(&format!("{header}\n\n"))
        .sent(sent, 0)
}

/// The `thread-list`s as IMAP writes them.
fn render(threads: &[ThreadNode]) -> String {
    fn one(t: &ThreadNode, out: &mut String) {
        out.push('(');
        let ids: Vec<String> = t.ids().iter().map(ToString::to_string).collect();
        out.push_str(&ids.join(" "));
        if !t.children().is_empty() && !t.ids().is_empty() {
            out.push(' ');
        }
        for c in t.children() {
            one(c, out);
        }
        out.push(')');
    }
    let mut out = String::new();
    for t in threads {
        one(t, &mut out);
    }
    out
}

fn threaded(alg: ThreadAlgorithm<'static>, ms: &mut [Fake]) -> String {
    let mut refs: Vec<&mut dyn Candidate> =
        ms.iter_mut().map(|m| m as &mut dyn Candidate).collect();
    render(&thread(&alg, &mut refs, false).unwrap())
}

fn refs(ms: &mut [Fake]) -> String {
    threaded(ThreadAlgorithm::References, ms)
}

/// Every message appears exactly once, whatever the shape.
fn all_once(threads: &[ThreadNode], count: usize) {
    fn collect(t: &ThreadNode, ids: &mut Vec<u32>) {
        ids.extend(t.ids().iter().map(|n| n.get()));
        for c in t.children() {
            collect(c, ids);
        }
    }
    let mut ids = Vec::new();
    for t in threads {
        collect(t, &mut ids);
    }
    ids.sort_unstable();
    let want: Vec<u32> = (1..=u32::try_from(count).unwrap()).collect();
    assert_eq!(ids, want);
}

#[test]
fn ordered_subject() {
    let mut ms = vec![
        mail(1, 50, "Subject: lunch"),
        mail(2, 10, "Subject: Re: Lunch"),
        mail(3, 30, "Subject: dinner"),
        mail(4, 40, "Subject: [list] re: LUNCH (fwd)"),
        mail(5, 20, "Subject: Re: dinner"),
        mail(6, 60, "Subject: Re: lunch"),
        mail(7, 5, "Subject: breakfast"),
        mail(8, 35, ""),
        mail(9, 36, "Subject:   "),
    ];
    // Threads by their first message's date: breakfast (5), lunch (10), dinner (20),
    // no subject (35). Lunch: 2 first, then 4, 1 and 6 as its children.
    assert_eq!(
        threaded(ThreadAlgorithm::OrderedSubject, &mut ms),
        "(7)(2 (4)(1)(6))(5 3)(8 9)"
    );
}

#[test]
fn references_chains_and_branches() {
    let mut ms = vec![
        mail(1, 10, "Message-ID: <a@x>\nSubject: plan"),
        mail(
            2,
            20,
            "Message-ID: <b@x>\nReferences: <a@x>\nSubject: Re: plan",
        ),
        mail(
            3,
            30,
            "Message-ID: <c@x>\nReferences: <a@x> <b@x>\nSubject: Re: plan",
        ),
        mail(
            4,
            25,
            "Message-ID: <d@x>\nIn-Reply-To: <a@x>\nSubject: Re: plan",
        ),
        mail(
            5,
            40,
            "Message-ID: <e@x>\nReferences: <a@x>\n <b@x>\n\t<c@x>\nSubject: Re: plan",
        ),
        mail(6, 5, "Message-ID: <f@x>\nSubject: other"),
    ];
    // 1 has replies 2 and 4 (sorted by date); 2 continues with 3 then 5.
    assert_eq!(refs(&mut ms), "(6)(1 (2 3 5)(4))");
}

#[test]
fn references_missing_parents_become_dummies() {
    let mut ms = vec![
        mail(
            1,
            30,
            "Message-ID: <b@x>\nReferences: <gone@x>\nSubject: Re: one",
        ),
        mail(
            2,
            20,
            "Message-ID: <c@x>\nReferences: <gone@x>\nSubject: Re: one",
        ),
        mail(
            3,
            10,
            "Message-ID: <d@x>\nReferences: <gone2@x> <lost@x>\nSubject: two",
        ),
        mail(
            4,
            40,
            "Message-ID: <e@x>\nReferences: <b@x> <missing@x>\nSubject: three",
        ),
        mail(5, 50, "Message-ID: <f@x>\nSubject: Re: two"),
    ];
    // <gone@x> keeps 2 and 1 together under a dummy at the top; <gone2> and <lost>
    // with one child each are pruned; the dummy <missing> between 1 and 4 is spliced.
    // 3 itself (not a dummy) then takes the reply 5 by subject.
    assert_eq!(refs(&mut ms), "(3 5)((2)(1 4))");
}

#[test]
fn references_subject_merging() {
    let mut ms = vec![
        mail(1, 10, "Message-ID: <a@x>\nSubject: Hello"),
        mail(2, 20, "Message-ID: <b@x>\nSubject: Re: hello"),
        mail(3, 30, "Message-ID: <c@x>\nSubject: news"),
        mail(4, 40, "Message-ID: <d@x>\nSubject: NEWS"),
        mail(5, 50, "Message-ID: <e@x>\nSubject: Re: news"),
        mail(6, 5, "Message-ID: <f@x>\nSubject: Re: orphan"),
        mail(7, 60, "Message-ID: <g@x>\nSubject: Re: orphan"),
        mail(
            8,
            70,
            "Message-ID: <h@x>\nReferences: <lost@x>\nSubject: split",
        ),
        mail(
            9,
            80,
            "Message-ID: <i@x>\nReferences: <lost@x>\nSubject: Re: split",
        ),
        mail(
            10,
            90,
            "Message-ID: <j@x>\nReferences: <lost2@x>\nSubject: split",
        ),
        mail(
            11,
            95,
            "Message-ID: <k@x>\nReferences: <lost2@x>\nSubject: split",
        ),
        mail(12, 96, "Message-ID: <l@x>"),
        mail(13, 97, "Message-ID: <m@x>"),
    ];
    // A reply joins the original (1 2). Two originals get a dummy parent, and the
    // later reply joins the dummy ((3)(4)(5)). Two replies: dummy ((6)(7)). Two
    // dummies with one subject merge their children ((8)(9)(10)(11)). No subject: no
    // merging (12)(13).
    assert_eq!(
        refs(&mut ms),
        "((6)(7))(1 2)((3)(4)(5))((8)(9)(10)(11))(12)(13)"
    );
}

#[test]
fn references_keep_first_parent_and_ids() {
    let mut ms = vec![
        mail(1, 10, "Message-ID: <a@x>"),
        mail(2, 20, "Message-ID: <b@x>"),
        mail(3, 30, "Message-ID: <c@x>\nReferences: <a@x> <x@x>"),
        // Claims <b> is the parent of <x>: ignored, <x> already has <a> as parent.
        mail(4, 40, "Message-ID: <d@x>\nReferences: <b@x> <x@x>"),
        // A duplicate Message-ID is not the target of references.
        mail(5, 50, "Message-ID: <a@x>\nReferences: <b@x>"),
        // No Message-ID, an unparseable one, and In-Reply-To with several ids.
        mail(6, 60, "In-Reply-To: <b@x> <c@x>"),
        mail(7, 70, "Message-ID: not-an-id\nReferences: <d@x>"),
    ];
    // Message-IDs compare case-sensitively: <A@x> is not <a@x>.
    ms.push(mail(8, 80, "References: <A@x>"));
    assert_eq!(refs(&mut ms), "(1 (3)(4 7))(2 (5)(6))(8)");
}

#[test]
fn references_loops_terminate() {
    let mut ms = [
        mail(1, 10, "Message-ID: <a@x>\nReferences: <b@x>"),
        mail(2, 20, "Message-ID: <b@x>\nReferences: <a@x>"),
        mail(3, 30, "Message-ID: <c@x>\nReferences: <c@x>"),
        mail(4, 40, "Message-ID: <d@x>\nReferences: <e@x> <d@x> <e@x>"),
        mail(5, 50, "Message-ID: <e@x>\nReferences: <d@x> <e@x> <d@x>"),
    ];
    let mut refs_: Vec<&mut dyn Candidate> =
        ms.iter_mut().map(|m| m as &mut dyn Candidate).collect();
    let threads = thread(&ThreadAlgorithm::References, &mut refs_, false).unwrap();
    all_once(&threads, 5);
    // 1 takes <b> as parent; 2's own References then cannot make <a> its parent.
    // 3 cannot be its own parent. 4's last reference <e> becomes its parent (its
    // other links would close loops); 5 then cannot take <d> as parent.
    assert_eq!(render(&threads), "(2 1)(3)(5 4)");
}

#[test]
fn thread_by_uid_and_unknown_algorithm() {
    let mut ms = [
        mail(1, 10, "Message-ID: <a@x>"),
        mail(2, 20, "Message-ID: <b@x>\nReferences: <a@x>"),
    ];
    let mut refs_: Vec<&mut dyn Candidate> =
        ms.iter_mut().map(|m| m as &mut dyn Candidate).collect();
    let threads = thread(&ThreadAlgorithm::References, &mut refs_, true).unwrap();
    assert_eq!(render(&threads), "(10 20)");
    let other = ThreadAlgorithm::Other(Atom::new("REFS").unwrap());
    assert_eq!(
        thread(&other, &mut refs_, false),
        Err(SearchError::UnknownAlgorithm("REFS".into()))
    );
    assert!(
        thread(&ThreadAlgorithm::References, &mut [], false)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn long_chains_stay_flat_and_deep_branches_are_capped() {
    // A reply chain of 1,000 messages, each referencing all earlier ones (the last
    // 256 are used).
    let n = 1_000u32;
    let mut ms: Vec<Fake> = (1..=n)
        .map(|i| {
            let refs: Vec<String> = (1..i).map(|j| format!("<{j}@x>")).collect();
            mail(
                i,
                i64::from(i),
                &format!("Message-ID: <{i}@x>\nReferences: {}", refs.join(" ")),
            )
        })
        .collect();
    let mut r: Vec<&mut dyn Candidate> = ms.iter_mut().map(|m| m as &mut dyn Candidate).collect();
    let threads = thread(&ThreadAlgorithm::References, &mut r, false).unwrap();
    assert_eq!(threads.len(), 1);
    assert_eq!(threads[0].ids().len(), 1_000);
    assert_eq!(threads[0].depth(), 1);

    // 200 levels: message 1, then per level a message that branches again (2L) and a
    // leaf (2L + 1), both replies to the previous level's branching message.
    let mut ms = vec![mail(1, 1, "Message-ID: <1@x>")];
    for level in 1..200u32 {
        let parent = if level == 1 { 1 } else { 2 * (level - 1) };
        for seq in [2 * level, 2 * level + 1] {
            let header = format!("Message-ID: <{seq}@x>\nIn-Reply-To: <{parent}@x>");
            ms.push(mail(seq, i64::from(seq), &header));
        }
    }
    let count = ms.len();
    let mut r: Vec<&mut dyn Candidate> = ms.iter_mut().map(|m| m as &mut dyn Candidate).collect();
    let threads = thread(&ThreadAlgorithm::References, &mut r, false).unwrap();
    assert_eq!(threads.len(), 1);
    assert_eq!(threads[0].depth(), thread::MAX_THREAD_DEPTH);
    all_once(&threads, count);
    assert!(render(&threads).starts_with("(1 (2 (4 (6 (8 "));
}

#[test]
fn many_messages_with_one_message_id_and_cross_references() {
    // 2,000 messages claim the same Message-ID and reference each other in a ring.
    let n = 2_000u32;
    let mut ms: Vec<Fake> = (1..=n)
        .map(|i| {
            let next = i % n + 1;
            mail(
                i,
                i64::from(i),
                &format!("Message-ID: <same@x>\nReferences: <{next}@x> <same@x> <{i}@x>"),
            )
        })
        .collect();
    let mut r: Vec<&mut dyn Candidate> = ms.iter_mut().map(|m| m as &mut dyn Candidate).collect();
    let threads = thread(&ThreadAlgorithm::References, &mut r, false).unwrap();
    all_once(&threads, usize::try_from(n).unwrap());
}

// ---------------------------------------------------------------- real messages

/// A candidate over a message parsed by [`crate::imap::mime`].
struct Real {
    seq: u32,
    message: crate::imap::mime::Message<'static>,
}

impl Real {
    fn new(seq: u32, raw: &'static [u8]) -> Self {
        Self {
            seq,
            message: crate::imap::mime::Message::parse(raw),
        }
    }
}

impl Candidate for Real {
    fn seq(&self) -> u32 {
        self.seq
    }
    fn uid(&self) -> u32 {
        self.seq + 100
    }
    fn flags(&self) -> Flags {
        Flags::empty()
    }
    fn keywords(&self) -> &[String] {
        &[]
    }
    fn recent(&self) -> bool {
        false
    }
    fn size(&self) -> u64 {
        self.message.size()
    }
    fn internal_date(&self) -> SystemTime {
        at(MAR_10)
    }
    fn modseq(&self) -> u64 {
        1
    }
    fn content(&mut self) -> Option<&dyn Content> {
        Some(&self.message)
    }
}

const MULTIPART: &[u8] = b"From: =?UTF-8?Q?J=C3=B6rg?= <joerg@example.de>\r\n\
To: Ann <ann@example.org>\r\n\
Subject: =?ISO-8859-1?Q?Gr=FC=DFe?= aus Berlin\r\n\
Date: Sat, 9 Mar 2024 23:30:00 -0500\r\n\
Message-ID: <m1@example.de>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b\"\r\n\
\r\n\
--b\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
VHJlZmZlbiBhbSBEaWVuc3RhZywgU3RyYcOfZSAxMg==\r\n\
--b\r\n\
Content-Type: application/octet-stream\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
c2VjcmV0IGF0dGFjaG1lbnQ=\r\n\
--b--\r\n";

const REPLY_LF: &[u8] = b"From: Bob <bob@example.org>\n\
To: joerg@example.de\n\
Subject: Re: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= aus Berlin\n\
Date: Sun, 10 Mar 2024 08:00:00 +0100\n\
Message-ID: <m2@example.org>\n\
In-Reply-To: <m1@example.de>\n\
References:\n <m1@example.de>\n\
\n\
Danke!\n";

#[test]
fn real_messages_search() {
    use SearchKey as K;
    let mut first = Real::new(1, MULTIPART);
    let mut reply = Real::new(2, REPLY_LF);
    // RFC 2047 words in Latin-1 and UTF-8, folded.
    assert!(hit_real(&K::Subject(s("GRÜßE AUS")), &mut first));
    assert!(hit_real(&K::Subject(s("grüße aus")), &mut reply));
    assert!(hit_real(&K::From(s("jörg")), &mut first));
    assert!(hit_real(
        &K::Header(s("message-id"), s("m1@EXAMPLE")),
        &mut first
    ));
    assert!(hit_real(&K::Header(s("In-Reply-To"), s("")), &mut reply));
    assert!(!hit_real(&K::Header(s("In-Reply-To"), s("")), &mut first));
    // The base64 text part is decoded; the attachment is not text.
    assert!(hit_real(&K::Body(s("straße 12")), &mut first));
    assert!(!hit_real(&K::Body(s("secret")), &mut first));
    assert!(!hit_real(&K::Body(s("VHJlZmZl")), &mut first));
    assert!(hit_real(&K::Text(s("jörg")), &mut first));
    assert!(hit_real(&K::Body(s("danke")), &mut reply));
    // Sent on the 9th in its own zone (the 10th in UTC); the reply on the 10th.
    assert!(hit_real(&K::SentOn(date(2024, 3, 9)), &mut first));
    assert!(hit_real(&K::SentOn(date(2024, 3, 10)), &mut reply));
    assert!(hit_real(&K::SentBefore(date(2024, 3, 10)), &mut first));
}

fn hit_real(key: &SearchKey<'_>, m: &mut Real) -> bool {
    matches(key, m, &cx()).unwrap()
}

#[test]
fn real_messages_sort_and_thread() {
    let mut ms = [Real::new(1, MULTIPART), Real::new(2, REPLY_LF)];
    let mut refs: Vec<&mut dyn Candidate> =
        ms.iter_mut().map(|m| m as &mut dyn Candidate).collect();
    // Local parts: "bob" < "joerg"; display names: "Bob" < "Jörg"; both to "ann" < "joerg".
    assert_eq!(sort(&[by(SortKey::From)], &mut refs), [1, 0]);
    assert_eq!(sort(&[by(SortKey::DisplayFrom)], &mut refs), [1, 0]);
    assert_eq!(sort(&[by(SortKey::To)], &mut refs), [0, 1]);
    // The reply was sent 4.5 hours later (08:00 +0100 is 07:00 UTC; 23:30 -0500 is
    // 04:30 UTC).
    assert_eq!(sort(&[reverse(SortKey::Date)], &mut refs), [1, 0]);
    // Same base subject: an ARRIVAL tie, then mailbox order.
    assert_eq!(
        sort(
            &[by(SortKey::Subject), reverse(SortKey::Arrival)],
            &mut refs
        ),
        [0, 1]
    );
    let threads = thread(&ThreadAlgorithm::References, &mut refs, true).unwrap();
    assert_eq!(render(&threads), "(101 102)");
    let threads = thread(&ThreadAlgorithm::OrderedSubject, &mut refs, false).unwrap();
    assert_eq!(render(&threads), "(1 2)");
}
