//! Round trips `decode(encode(x)) == x` for every command, with strategies generating
//! valid values; also checks that the client fragments concatenate to the same bytes.

use std::borrow::Cow;
use std::num::{NonZeroU32, NonZeroU64};

use bytes::BytesMut;
use imap_proto::codec::{
    EncodeOptions, Fragment, LiteralMode, decode_command, encode_command, encode_command_fragments,
};
use imap_proto::types::{
    AString, AppendData, AppendMessage, Atom, Capability, ChangedSince, Command, CommandBody, Date,
    DateTime, EntryKind, FetchAttribute, FetchItems, FetchModifiers, Flag, IString, List,
    ListPattern, ListReturnOption, ListSelectOption, Literal, Mailbox, MailboxAttribute,
    ModSeqEntry, NString, NonEmptyVec, Partial, QResync, QuotaLimit, Resource, Search, SearchKey,
    SearchReturnOption, Secret, Section, SectionText, SelectParams, SeqNumber, SeqRange,
    SequenceSet, Sort, SortCriterion, SortKey, StatusAttribute, StoreAction, Tag, Thread,
    ThreadAlgorithm,
};
use proptest::collection::vec;
use proptest::prelude::*;

fn tag() -> impl Strategy<Value = Tag<'static>> {
    "[A-Za-z0-9.]{1,8}".prop_map(|s| Tag::new(s).unwrap())
}

fn atom() -> impl Strategy<Value = Atom<'static>> {
    "[A-Za-z0-9$_-]{1,10}".prop_map(|s| Atom::new(s).unwrap())
}

fn bytes_no_nul() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        "[ -~]{0,12}".prop_map(String::into_bytes),
        "[a-zé€\"\\\\ ]{0,8}".prop_map(String::into_bytes),
        vec(1u8..=255, 0..20),
    ]
}

fn astring() -> impl Strategy<Value = AString<'static>> {
    bytes_no_nul().prop_map(|b| AString::new(b).unwrap())
}

fn istring() -> impl Strategy<Value = IString<'static>> {
    bytes_no_nul().prop_map(|b| IString::new(b).unwrap())
}

fn mailbox() -> impl Strategy<Value = Mailbox<'static>> {
    "[ -~é日]{0,12}".prop_filter_map("valid", |s| Mailbox::new(s).ok())
}

fn pattern() -> impl Strategy<Value = ListPattern<'static>> {
    "[ -~é]{0,10}".prop_map(|s| ListPattern::new(s).unwrap())
}

fn nz() -> impl Strategy<Value = NonZeroU32> {
    (1u32..=u32::MAX).prop_map(|n| NonZeroU32::new(n).unwrap())
}

fn modseq() -> impl Strategy<Value = u64> {
    0u64..=i64::MAX as u64
}

/// A `mod-sequence-value` (RFC 7162): zero is not allowed, e.g. in CHANGEDSINCE.
fn nonzero_modseq() -> impl Strategy<Value = u64> {
    1u64..=i64::MAX as u64
}

fn seq_number() -> impl Strategy<Value = SeqNumber> {
    prop_oneof![Just(SeqNumber::Largest), nz().prop_map(SeqNumber::Value)]
}

fn sequence_set() -> impl Strategy<Value = SequenceSet> {
    prop_oneof![
        1 => Just(SequenceSet::saved()),
        6 => vec((seq_number(), proptest::option::of(seq_number())), 1..4).prop_map(|r| {
            SequenceSet::new(r.into_iter().map(|(from, to)| SeqRange { from, to }).collect())
                .unwrap()
        }),
    ]
}

fn flag() -> impl Strategy<Value = Flag<'static>> {
    prop_oneof![
        Just(Flag::Seen),
        Just(Flag::Answered),
        Just(Flag::Flagged),
        Just(Flag::Deleted),
        Just(Flag::Draft),
        atom().prop_map(Flag::Keyword),
        "X[a-z]{1,6}".prop_map(|s| Flag::from_name(format!("\\{s}")).unwrap()),
    ]
}

fn date() -> impl Strategy<Value = Date> {
    (0u16..=9999, 1u8..=12, 1u8..=28).prop_map(|(y, m, d)| Date::new(y, m, d).unwrap())
}

fn date_time() -> impl Strategy<Value = DateTime> {
    (date(), 0u8..24, 0u8..60, 0u8..60, -1439i16..=1439)
        .prop_map(|(d, h, m, s, z)| DateTime::new(d, (h, m, s), z).unwrap())
}

fn search_key() -> impl Strategy<Value = SearchKey<'static>> {
    use SearchKey as K;
    let leaf = prop_oneof![
        Just(K::All),
        Just(K::Answered),
        Just(K::Deleted),
        Just(K::Draft),
        Just(K::Flagged),
        Just(K::New),
        Just(K::Old),
        Just(K::Recent),
        Just(K::Seen),
        Just(K::Unanswered),
        Just(K::Undeleted),
        Just(K::Undraft),
        Just(K::Unflagged),
        Just(K::Unseen),
        astring().prop_map(K::Bcc),
        astring().prop_map(K::Body),
        astring().prop_map(K::Cc),
        astring().prop_map(K::From),
        astring().prop_map(K::Subject),
        astring().prop_map(K::Text),
        astring().prop_map(K::To),
        date().prop_map(K::Before),
        date().prop_map(K::On),
        date().prop_map(K::Since),
        date().prop_map(K::SentBefore),
        date().prop_map(K::SentOn),
        date().prop_map(K::SentSince),
        atom().prop_map(K::Keyword),
        atom().prop_map(K::Unkeyword),
        (astring(), astring()).prop_map(|(f, v)| K::Header(f, v)),
        modseq().prop_map(K::Larger),
        modseq().prop_map(K::Smaller),
        sequence_set().prop_map(K::Uid),
        sequence_set().prop_map(K::SequenceSet),
        (
            proptest::option::of((
                flag(),
                prop_oneof![
                    Just(EntryKind::Private),
                    Just(EntryKind::Shared),
                    Just(EntryKind::All)
                ]
            )),
            modseq()
        )
            .prop_map(|(entry, modseq)| K::ModSeq {
                entry: entry.map(|(flag, kind)| ModSeqEntry { flag, kind }),
                modseq,
            }),
        nz().prop_map(K::Older),
        nz().prop_map(K::Younger),
    ];
    leaf.prop_recursive(4, 16, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(|k| K::Not(Box::new(k))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| K::Or(Box::new(a), Box::new(b))),
            vec(inner, 1..3).prop_map(|k| K::And(NonEmptyVec::new(k).unwrap())),
        ]
    })
}

fn keys() -> impl Strategy<Value = NonEmptyVec<SearchKey<'static>>> {
    vec(search_key(), 1..3).prop_map(|k| NonEmptyVec::new(k).unwrap())
}

fn part() -> impl Strategy<Value = Vec<NonZeroU32>> {
    vec((1u32..100).prop_map(|n| NonZeroU32::new(n).unwrap()), 0..3)
}

fn partial() -> impl Strategy<Value = Option<Partial>> {
    proptest::option::of(
        (modseq(), 1u64..=i64::MAX as u64).prop_map(|(offset, len)| Partial {
            offset,
            length: NonZeroU64::new(len).unwrap(),
        }),
    )
}

fn section() -> impl Strategy<Value = Section<'static>> {
    let names = || vec(astring(), 1..3).prop_map(|n| NonEmptyVec::new(n).unwrap());
    let text = prop_oneof![
        Just(None),
        Just(Some(SectionText::Header)),
        Just(Some(SectionText::Text)),
        Just(Some(SectionText::Mime)),
        names().prop_map(|n| Some(SectionText::HeaderFields(n))),
        names().prop_map(|n| Some(SectionText::HeaderFieldsNot(n))),
    ];
    (part(), text).prop_filter_map("MIME needs a part", |(p, t)| Section::new(p, t).ok())
}

fn fetch_attribute() -> impl Strategy<Value = FetchAttribute<'static>> {
    use FetchAttribute as A;
    prop_oneof![
        Just(A::Envelope),
        Just(A::Flags),
        Just(A::InternalDate),
        Just(A::Rfc822),
        Just(A::Rfc822Header),
        Just(A::Rfc822Size),
        Just(A::Rfc822Text),
        Just(A::Body),
        Just(A::BodyStructure),
        Just(A::Uid),
        Just(A::ModSeq),
        (any::<bool>(), section(), partial()).prop_map(|(peek, section, partial)| {
            A::BodySection {
                peek,
                section,
                partial,
            }
        }),
        (any::<bool>(), part(), partial()).prop_map(|(peek, part, partial)| A::Binary {
            peek,
            part,
            partial
        }),
        part().prop_map(|part| A::BinarySize { part }),
    ]
}

fn fetch_items() -> impl Strategy<Value = FetchItems<'static>> {
    prop_oneof![
        Just(FetchItems::All),
        Just(FetchItems::Fast),
        Just(FetchItems::Full),
        vec(fetch_attribute(), 1..4)
            .prop_map(|a| FetchItems::Attributes(NonEmptyVec::new(a).unwrap())),
    ]
}

fn status_attrs() -> impl Strategy<Value = NonEmptyVec<StatusAttribute>> {
    vec(
        proptest::sample::select(StatusAttribute::ALL.map(|(a, _)| a).to_vec()),
        1..4,
    )
    .prop_map(|a| NonEmptyVec::new(a).unwrap())
}

fn capability() -> impl Strategy<Value = Capability<'static>> {
    prop_oneof![
        Just(Capability::Imap4Rev2),
        Just(Capability::CondStore),
        Just(Capability::QResync),
        Just(Capability::Utf8Accept),
        "X-[A-Z]{1,6}".prop_map(|s| Capability::parse(s).unwrap()),
    ]
}

fn append_message() -> impl Strategy<Value = AppendMessage<'static>> {
    let data = prop_oneof![
        vec(1u8..=255, 0..30).prop_map(|d| AppendData::new(Literal::new(d).unwrap())),
        vec(any::<u8>(), 0..30).prop_map(|d| AppendData::new(Literal::binary(d).unwrap())),
        vec(any::<u8>(), 0..30).prop_map(|d| AppendData::utf8(d).unwrap()),
    ];
    (vec(flag(), 0..3), proptest::option::of(date_time()), data)
        .prop_map(|(flags, date, data)| AppendMessage { flags, date, data })
}

fn list() -> impl Strategy<Value = List<'static>> {
    let select = prop_oneof![
        Just(ListSelectOption::Subscribed),
        Just(ListSelectOption::Remote),
        Just(ListSelectOption::SpecialUse),
        "X-[A-Z]{1,5}".prop_map(|s| ListSelectOption::Other(Atom::new(s).unwrap())),
    ];
    let ret = prop_oneof![
        Just(ListReturnOption::Subscribed),
        Just(ListReturnOption::Children),
        Just(ListReturnOption::SpecialUse),
        status_attrs().prop_map(ListReturnOption::Status),
        "X-[A-Z]{1,5}".prop_map(|s| ListReturnOption::Other(Atom::new(s).unwrap())),
    ];
    (
        vec(select, 0..3),
        any::<bool>(),
        mailbox(),
        vec(pattern(), 1..3),
        vec(ret, 0..3),
    )
        .prop_map(
            |(mut selection, recursive, reference, patterns, return_options)| {
                if recursive && !selection.is_empty() {
                    selection.push(ListSelectOption::RecursiveMatch);
                }
                List {
                    selection,
                    reference,
                    patterns: NonEmptyVec::new(patterns).unwrap(),
                    return_options,
                }
            },
        )
}

fn select_params() -> impl Strategy<Value = SelectParams> {
    let qresync = (
        nz(),
        (1u64..=i64::MAX as u64).prop_map(|n| NonZeroU64::new(n).unwrap()),
        proptest::option::of(sequence_set()),
        proptest::option::of((sequence_set(), sequence_set())),
    )
        .prop_map(|(uid_validity, modseq, known_uids, seq_match)| QResync {
            uid_validity,
            modseq,
            known_uids,
            seq_match,
        });
    (any::<bool>(), proptest::option::of(qresync))
        .prop_map(|(condstore, qresync)| SelectParams { condstore, qresync })
}

fn body() -> impl Strategy<Value = CommandBody<'static>> {
    use CommandBody as C;
    let simple = prop_oneof![
        Just(C::Capability),
        Just(C::Noop),
        Just(C::Logout),
        Just(C::StartTls),
        Just(C::Namespace),
        Just(C::Idle),
        Just(C::Check),
        Just(C::Close),
        Just(C::Unselect),
        Just(C::Expunge),
        Just(C::CompressDeflate),
    ];
    let auth =
        (atom(), proptest::option::of(vec(any::<u8>(), 0..20))).prop_map(|(mechanism, ir)| {
            C::Authenticate {
                mechanism,
                initial_response: ir.map(|d| Secret(Cow::Owned(d))),
            }
        });
    let mailboxes = prop_oneof![
        (mailbox(), select_params()).prop_map(|(mailbox, params)| C::Select { mailbox, params }),
        (mailbox(), select_params()).prop_map(|(mailbox, params)| C::Examine { mailbox, params }),
        (
            mailbox(),
            vec(
                prop_oneof![
                    Just(MailboxAttribute::Sent),
                    Just(MailboxAttribute::Junk),
                    Just(MailboxAttribute::Archive),
                    "X[a-z]{1,5}"
                        .prop_map(|s| MailboxAttribute::from_name(format!("\\{s}")).unwrap()),
                ],
                0..3
            )
        )
            .prop_map(|(mailbox, special_use)| C::Create {
                mailbox,
                special_use
            }),
        mailbox().prop_map(C::Delete),
        (mailbox(), mailbox()).prop_map(|(from, to)| C::Rename { from, to }),
        mailbox().prop_map(C::Subscribe),
        mailbox().prop_map(C::Unsubscribe),
        list().prop_map(C::List),
        (mailbox(), pattern()).prop_map(|(reference, pattern)| C::Lsub { reference, pattern }),
        (mailbox(), status_attrs()).prop_map(|(mailbox, items)| C::Status { mailbox, items }),
        (mailbox(), vec(append_message(), 1..3)).prop_map(|(mailbox, m)| C::Append {
            mailbox,
            messages: NonEmptyVec::new(m).unwrap()
        }),
        mailbox().prop_map(C::GetQuotaRoot),
    ];
    let messages = prop_oneof![
        sequence_set().prop_map(C::UidExpunge),
        (
            any::<bool>(),
            proptest::option::of(vec(
                proptest::sample::select(vec![
                    SearchReturnOption::Min,
                    SearchReturnOption::Max,
                    SearchReturnOption::All,
                    SearchReturnOption::Count,
                    SearchReturnOption::Save
                ]),
                0..3
            )),
            proptest::option::of(astring()),
            keys()
        )
            .prop_map(
                |(uid, return_options, charset, criteria)| C::Search(Search {
                    uid,
                    return_options,
                    charset,
                    criteria
                })
            ),
        (
            any::<bool>(),
            sequence_set(),
            fetch_items(),
            proptest::option::of((nonzero_modseq(), any::<bool>()))
        )
            .prop_map(|(uid, set, items, cs)| C::Fetch {
                uid,
                set,
                items,
                modifiers: FetchModifiers {
                    changed_since: cs.map(|(modseq, vanished)| ChangedSince {
                        modseq,
                        vanished: vanished && uid
                    })
                },
            }),
        (
            any::<bool>(),
            sequence_set(),
            proptest::option::of(modseq()),
            proptest::sample::select(vec![
                StoreAction::Replace,
                StoreAction::Add,
                StoreAction::Remove
            ]),
            any::<bool>(),
            vec(flag(), 0..3)
        )
            .prop_map(
                |(uid, set, unchanged_since, action, silent, flags)| C::Store {
                    uid,
                    set,
                    unchanged_since,
                    action,
                    silent,
                    flags
                }
            ),
        (any::<bool>(), sequence_set(), mailbox()).prop_map(|(uid, set, mailbox)| C::Copy {
            uid,
            set,
            mailbox
        }),
        (any::<bool>(), sequence_set(), mailbox()).prop_map(|(uid, set, mailbox)| C::Move {
            uid,
            set,
            mailbox
        }),
        (
            any::<bool>(),
            vec(
                (
                    any::<bool>(),
                    proptest::sample::select(vec![
                        SortKey::Arrival,
                        SortKey::Cc,
                        SortKey::Date,
                        SortKey::From,
                        SortKey::Size,
                        SortKey::Subject,
                        SortKey::To,
                        SortKey::DisplayFrom,
                        SortKey::DisplayTo
                    ])
                ),
                1..3
            ),
            astring(),
            keys()
        )
            .prop_map(|(uid, c, charset, search)| C::Sort(Sort {
                uid,
                criteria: NonEmptyVec::new(
                    c.into_iter()
                        .map(|(reverse, key)| SortCriterion { reverse, key })
                        .collect()
                )
                .unwrap(),
                charset,
                search
            })),
        (
            any::<bool>(),
            prop_oneof![
                Just(ThreadAlgorithm::OrderedSubject),
                Just(ThreadAlgorithm::References),
                "X-[A-Z]{1,5}".prop_map(|s| ThreadAlgorithm::Other(Atom::new(s).unwrap())),
            ],
            astring(),
            keys()
        )
            .prop_map(|(uid, algorithm, charset, search)| C::Thread(Thread {
                uid,
                algorithm,
                charset,
                search
            })),
    ];
    let other = prop_oneof![
        (astring(), astring()).prop_map(|(username, p)| C::Login {
            username,
            password: Secret(p)
        }),
        vec(capability(), 1..3).prop_map(|c| C::Enable(NonEmptyVec::new(c).unwrap())),
        proptest::option::of(vec(
            (istring(), proptest::option::of(istring()).prop_map(NString)),
            0..3
        ))
        .prop_map(C::Id),
        astring().prop_map(C::GetQuota),
        (
            astring(),
            vec(
                (
                    prop_oneof![
                        Just(Resource::Storage),
                        Just(Resource::Message),
                        Just(Resource::Mailbox),
                        Just(Resource::AnnotationStorage),
                        "X-[A-Z]{1,5}".prop_map(|s| Resource::Other(Atom::new(s).unwrap())),
                    ],
                    modseq()
                ),
                0..3
            )
        )
            .prop_map(|(root, l)| C::SetQuota {
                root,
                limits: l
                    .into_iter()
                    .map(|(resource, limit)| QuotaLimit { resource, limit })
                    .collect()
            }),
    ];
    prop_oneof![simple, auth, mailboxes, messages, other]
}

fn command() -> impl Strategy<Value = Command<'static>> {
    (tag(), body()).prop_map(|(tag, body)| Command::new(tag, body))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn decode_encode_roundtrip(cmd in command()) {
        let mut out = BytesMut::new();
        encode_command(&cmd, &mut out);
        let decoded = decode_command(&out);
        prop_assert_eq!(decoded, Ok((out.len(), cmd.clone())), "wire {:?}", String::from_utf8_lossy(&out));
    }

    #[test]
    fn fragments_join_to_the_same_command(cmd in command(), plus in any::<bool>(), utf8 in any::<bool>()) {
        let mode = if plus { LiteralMode::Plus } else { LiteralMode::Sync };
        let fragments = encode_command_fragments(&cmd, EncodeOptions::new(mode, utf8));
        let mut joined = Vec::new();
        for f in &fragments {
            match f {
                Fragment::Line(b) => joined.extend_from_slice(b),
                Fragment::Literal { data, sync } => {
                    prop_assert_eq!(*sync, !plus);
                    prop_assert!(joined.ends_with(b"}\r\n"), "literal header before data");
                    joined.extend_from_slice(data);
                }
            }
        }
        prop_assert_eq!(decode_command(&joined), Ok((joined.len(), cmd.clone())));
        prop_assert_eq!(decode_command(&joined).unwrap().1.into_owned(), cmd);
    }
}
