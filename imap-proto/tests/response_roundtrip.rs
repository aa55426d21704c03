//! Round trips: `decode(encode(x)) == x` for every response type, with strategies that
//! generate valid values (BODYSTRUCTURE and THREAD recursion bounded).

use std::borrow::Cow;
use std::num::NonZeroU32;

use bytes::BytesMut;
use imap_proto::codec::{
    EncodeOptions, LiteralMode, decode_response, encode_response, encode_response_with,
};
use imap_proto::types::*;
use proptest::option::of;
use proptest::prelude::*;

fn nz() -> impl Strategy<Value = NonZeroU32> {
    prop_oneof![1u32..100, 1u32..=u32::MAX].prop_map(|n| NonZeroU32::new(n).unwrap())
}

fn bytes_text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[ -~]{0,12}",
        1 => "[a-z\r\n\u{e9}\"\\\\]{0,6}",
    ]
}

fn istring() -> impl Strategy<Value = IString<'static>> {
    bytes_text().prop_map(|t| IString::text(t).unwrap())
}

fn nstring() -> impl Strategy<Value = NString<'static>> {
    of(istring()).prop_map(NString)
}

fn astring() -> impl Strategy<Value = AString<'static>> {
    bytes_text().prop_map(|t| AString::text(t).unwrap())
}

fn atom() -> impl Strategy<Value = Atom<'static>> {
    "[A-Za-z0-9$=+.-]{1,10}".prop_map(|a| Atom::new(a).unwrap())
}

fn tag() -> impl Strategy<Value = Tag<'static>> {
    "[A-Za-z0-9.]{1,8}".prop_map(|t| Tag::new(t).unwrap())
}

fn text() -> impl Strategy<Value = String> {
    "[ -~\u{e9}]{0,20}"
}

fn capability() -> impl Strategy<Value = Capability<'static>> {
    prop_oneof![
        Just("IMAP4rev2".to_owned()),
        Just("AUTH=PLAIN".to_owned()),
        Just("APPENDLIMIT=100".to_owned()),
        Just("QUOTA=RES-STORAGE".to_owned()),
        "[A-Za-z0-9=+-]{1,10}",
    ]
    .prop_map(|c| Capability::parse(c).unwrap())
}

/// A `capability-data` list: IMAP4rev1 or IMAP4rev2 first, as the grammar requires.
fn capability_list(extra: usize) -> impl Strategy<Value = Vec<Capability<'static>>> {
    (
        prop_oneof![Just(Capability::Imap4Rev1), Just(Capability::Imap4Rev2)],
        prop::collection::vec(capability(), 0..extra),
    )
        .prop_map(|(revision, mut rest)| {
            rest.insert(0, revision);
            rest
        })
}

fn flag() -> impl Strategy<Value = Flag<'static>> {
    prop_oneof![
        Just(Flag::Seen),
        Just(Flag::Answered),
        Just(Flag::Flagged),
        Just(Flag::Deleted),
        Just(Flag::Draft),
        Just(Flag::Recent),
        "[A-Za-z$][A-Za-z0-9_-]{0,8}".prop_map(|k| Flag::keyword(k).unwrap()),
        "\\\\X[a-z]{1,5}".prop_map(|k| Flag::from_name(k).unwrap()),
    ]
}

fn seq_set() -> impl Strategy<Value = SequenceSet> {
    let num = prop_oneof![4 => nz().prop_map(SeqNumber::Value), 1 => Just(SeqNumber::Largest)];
    let range = (num.clone(), of(num)).prop_map(|(from, to)| SeqRange { from, to });
    prop_oneof![
        8 => prop::collection::vec(range, 1..4).prop_map(|r| SequenceSet::new(r).unwrap()),
        1 => Just(SequenceSet::saved()),
    ]
}

fn uid_set() -> impl Strategy<Value = UidSet> {
    prop::collection::vec((nz(), nz()), 1..4).prop_map(|r| UidSet::from_ranges(&r).unwrap())
}

fn charset() -> impl Strategy<Value = Charset<'static>> {
    "[A-Za-z0-9 \"\\\\-]{1,8}".prop_map(|c| Charset::new(c).unwrap())
}

fn code() -> impl Strategy<Value = Code<'static>> {
    let simple = [
        Code::Alert,
        Code::Parse,
        Code::ReadOnly,
        Code::ReadWrite,
        Code::TryCreate,
        Code::UidNotSticky,
        Code::Closed,
        Code::NoModSeq,
        Code::CompressionActive,
        Code::TooBig,
        Code::Unavailable,
        Code::AuthenticationFailed,
        Code::AuthorizationFailed,
        Code::Expired,
        Code::PrivacyRequired,
        Code::ContactAdmin,
        Code::NoPerm,
        Code::InUse,
        Code::ExpungeIssued,
        Code::Corruption,
        Code::ServerBug,
        Code::ClientBug,
        Code::Cannot,
        Code::Limit,
        Code::OverQuota,
        Code::AlreadyExists,
        Code::NonExistent,
        Code::NotSaved,
        Code::HasChildren,
        Code::UnknownCte,
    ];
    prop_oneof![
        prop::sample::select(simple.to_vec()),
        prop::collection::vec(charset(), 0..3).prop_map(Code::BadCharset),
        capability_list(4).prop_map(Code::Capability),
        prop::collection::vec(
            prop_oneof![flag().prop_map(FlagPerm::Flag), Just(FlagPerm::Wildcard)],
            0..4
        )
        .prop_map(Code::PermanentFlags),
        nz().prop_map(Code::UidNext),
        nz().prop_map(Code::UidValidity),
        nz().prop_map(Code::Unseen),
        (nz(), uid_set()).prop_map(|(uid_validity, uids)| Code::AppendUid { uid_validity, uids }),
        (nz(), uid_set(), uid_set()).prop_map(|(uid_validity, source, destination)| {
            Code::CopyUid {
                uid_validity,
                source,
                destination,
            }
        }),
        any::<u64>().prop_map(Code::HighestModSeq),
        seq_set().prop_map(Code::Modified),
        ("X-[A-Z]{1,6}", of("[!-\\\\^-~][ !-\\\\^-~]{0,10}")).prop_map(|(n, v)| {
            Code::Other(OtherCode::new(Atom::new(n).unwrap(), v.map(Cow::Owned)).unwrap())
        }),
    ]
}

fn resp_text() -> impl Strategy<Value = RespText<'static>> {
    (of(code()), text()).prop_filter_map("text reads as a code", |(c, t)| RespText::new(c, t).ok())
}

fn status() -> impl Strategy<Value = StatusKind> {
    prop_oneof![
        Just(StatusKind::Ok),
        Just(StatusKind::No),
        Just(StatusKind::Bad)
    ]
}

fn mailbox() -> impl Strategy<Value = Mailbox<'static>> {
    "[A-Za-z0-9 ./&\u{e9}-]{0,12}".prop_map(|m| Mailbox::new(m).unwrap())
}

fn delimiter() -> impl Strategy<Value = Option<Delimiter>> {
    of(prop::sample::select(vec!['/', '.', '\\', '"', '\u{e9}'])
        .prop_map(|c| Delimiter::new(c).unwrap()))
}

fn attribute() -> impl Strategy<Value = MailboxAttribute<'static>> {
    prop_oneof![
        prop::sample::select(vec![
            "\\Noselect",
            "\\HasChildren",
            "\\Sent",
            "\\Junk",
            "\\NonExistent",
            "\\Subscribed",
            "\\Marked"
        ])
        .prop_map(str::to_owned),
        "\\\\X[a-z]{1,5}",
    ]
    .prop_map(|a| MailboxAttribute::from_name(a).unwrap())
}

fn ext_comp() -> impl Strategy<Value = TaggedExtComp<'static>> {
    let leaf = astring().prop_map(TaggedExtComp::AString);
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop::collection::vec(inner, 0..3).prop_map(TaggedExtComp::List)
    })
}

fn tagged_ext_val() -> impl Strategy<Value = TaggedExtVal<'static>> {
    prop_oneof![
        any::<u64>().prop_map(TaggedExtVal::Number),
        seq_set()
            .prop_filter("a lone number reads as a number", |s| {
                s.is_saved()
                    || s.ranges().len() > 1
                    || s.ranges()[0].to.is_some()
                    || s.ranges()[0].from == SeqNumber::Largest
            })
            .prop_map(TaggedExtVal::SequenceSet),
        prop::collection::vec(ext_comp(), 0..3).prop_map(TaggedExtVal::List),
    ]
}

fn list_item() -> impl Strategy<Value = ListExtendedItem<'static>> {
    prop_oneof![
        prop::collection::vec(istring(), 1..3)
            .prop_map(|v| ListExtendedItem::ChildInfo(NonEmptyVec::new(v).unwrap())),
        mailbox().prop_map(ListExtendedItem::OldName),
        ("X-[A-Z]{1,5}", tagged_ext_val()).prop_map(|(n, v)| {
            ListExtendedItem::Other(ExtItem::new(AString::text(n).unwrap(), v).unwrap())
        }),
    ]
}

fn mailbox_list() -> impl Strategy<Value = MailboxList<'static>> {
    (
        prop::collection::vec(attribute(), 0..3),
        delimiter(),
        mailbox(),
        prop::collection::vec(list_item(), 0..3),
    )
        .prop_map(|(attributes, delimiter, mailbox, extended)| MailboxList {
            attributes,
            delimiter,
            mailbox,
            extended,
        })
}

fn status_item() -> impl Strategy<Value = StatusItem> {
    prop_oneof![
        any::<u32>().prop_map(StatusItem::Messages),
        any::<u32>().prop_map(StatusItem::Recent),
        nz().prop_map(StatusItem::UidNext),
        nz().prop_map(StatusItem::UidValidity),
        any::<u32>().prop_map(StatusItem::Unseen),
        any::<u32>().prop_map(StatusItem::Deleted),
        any::<u64>().prop_map(StatusItem::Size),
        any::<u64>().prop_map(StatusItem::HighestModSeq),
        of(any::<u64>()).prop_map(StatusItem::AppendLimit),
        any::<u64>().prop_map(StatusItem::DeletedStorage),
    ]
}

fn search_data() -> impl Strategy<Value = SearchData> {
    (prop::collection::vec(nz(), 0..5), of(any::<u64>())).prop_map(|(ids, m)| {
        let m = if ids.is_empty() { None } else { m };
        SearchData::new(ids, m).unwrap()
    })
}

fn search_return() -> impl Strategy<Value = SearchReturn<'static>> {
    prop_oneof![
        nz().prop_map(SearchReturn::Min),
        nz().prop_map(SearchReturn::Max),
        seq_set().prop_map(SearchReturn::All),
        any::<u32>().prop_map(SearchReturn::Count),
        any::<u64>().prop_map(SearchReturn::ModSeq),
        ("X-[A-Z]{1,5}", tagged_ext_val())
            .prop_map(|(n, v)| SearchReturn::Other(SearchReturnExt::new(n, v).unwrap())),
    ]
}

fn thread() -> impl Strategy<Value = ThreadNode> {
    let leaf =
        prop::collection::vec(nz(), 1..4).prop_map(|ids| ThreadNode::new(ids, vec![]).unwrap());
    leaf.prop_recursive(4, 24, 3, |inner| {
        (
            prop::collection::vec(nz(), 0..3),
            prop::collection::vec(inner, 2..4),
        )
            .prop_map(|(ids, children)| ThreadNode::new(ids, children).unwrap())
    })
}

fn namespace_descr() -> impl Strategy<Value = NamespaceDescr<'static>> {
    let ext = (istring(), prop::collection::vec(istring(), 1..3)).prop_map(|(name, v)| {
        NamespaceExtension {
            name,
            values: NonEmptyVec::new(v).unwrap(),
        }
    });
    (istring(), delimiter(), prop::collection::vec(ext, 0..2)).prop_map(
        |(prefix, delimiter, extensions)| NamespaceDescr {
            prefix,
            delimiter,
            extensions,
        },
    )
}

fn address() -> impl Strategy<Value = Address<'static>> {
    (nstring(), nstring(), nstring(), nstring()).prop_map(|(name, adl, mailbox, host)| Address {
        name,
        adl,
        mailbox,
        host,
    })
}

fn envelope() -> impl Strategy<Value = Envelope<'static>> {
    let list = || prop::collection::vec(address(), 0..3);
    (
        nstring(),
        nstring(),
        list(),
        list(),
        list(),
        list(),
        list(),
        list(),
        nstring(),
        nstring(),
    )
        .prop_map(
            |(date, subject, from, sender, reply_to, to, cc, bcc, in_reply_to, message_id)| {
                Envelope {
                    date,
                    subject,
                    from,
                    sender,
                    reply_to,
                    to,
                    cc,
                    bcc,
                    in_reply_to,
                    message_id,
                }
            },
        )
}

fn param() -> impl Strategy<Value = BodyParam<'static>> {
    (istring(), istring()).prop_map(|(name, value)| BodyParam { name, value })
}

fn fields() -> impl Strategy<Value = BodyFields<'static>> {
    (
        prop::collection::vec(param(), 0..3),
        nstring(),
        nstring(),
        istring(),
        any::<u32>(),
    )
        .prop_map(|(params, id, description, encoding, octets)| BodyFields {
            params,
            id,
            description,
            encoding,
            octets,
        })
}

fn body_extension() -> impl Strategy<Value = BodyExtension<'static>> {
    let leaf = prop_oneof![
        nstring().prop_map(BodyExtension::NString),
        any::<u64>().prop_map(BodyExtension::Number)
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop::collection::vec(inner, 1..3)
            .prop_map(|v| BodyExtension::List(ExtensionList::new(v).unwrap()))
    })
}

fn tail() -> impl Strategy<Value = Option<ExtensionTail<'static>>> {
    let disposition = of((istring(), prop::collection::vec(param(), 0..2))
        .prop_map(|(kind, params)| Disposition { kind, params }));
    let location = of(
        (nstring(), prop::collection::vec(body_extension(), 0..3)).prop_map(
            |(location, extensions)| LocationTail {
                location,
                extensions,
            },
        ),
    );
    let language = of((prop::collection::vec(istring(), 0..3), location).prop_map(
        |(languages, location)| LanguageTail {
            languages,
            location,
        },
    ));
    of(
        (disposition, language).prop_map(|(disposition, language)| ExtensionTail {
            disposition,
            language,
        }),
    )
}

fn body(with_ext: bool) -> impl Strategy<Value = BodyStructure<'static>> {
    let single_ext = move || {
        of((nstring(), tail()).prop_map(|(md5, tail)| SinglePartExtension { md5, tail }))
            .prop_map(move |e| if with_ext { e } else { None })
    };
    let media = prop::sample::select(vec!["TEXT", "IMAGE", "APPLICATION", "MESSAGE", "audio"]);
    let basic = (media, istring()).prop_map(|(m, subtype)| PartKind::Basic {
        media_type: IString::text(m).unwrap(),
        subtype,
    });
    let text =
        (istring(), any::<u64>()).prop_map(|(subtype, lines)| PartKind::Text { subtype, lines });
    let leaf =
        (prop_oneof![basic, text], fields(), single_ext()).prop_map(|(kind, fields, extension)| {
            BodyStructure::Single(SinglePart {
                kind,
                fields,
                extension,
            })
        });
    leaf.prop_recursive(3, 12, 3, move |inner| {
        let multi_ext = of((prop::collection::vec(param(), 0..2), tail())
            .prop_map(|(params, tail)| MultiPartExtension { params, tail }))
        .prop_map(move |e| if with_ext { e } else { None });
        let multi = (
            prop::collection::vec(inner.clone(), 1..3),
            istring(),
            multi_ext,
        )
            .prop_map(|(parts, subtype, ext)| {
                BodyStructure::Multi(MultiPart::new(parts, subtype, ext).unwrap())
            });
        let subtype = prop_oneof![Just(MessageSubtype::Rfc822), Just(MessageSubtype::Global)];
        let message = (
            subtype,
            envelope(),
            inner,
            any::<u64>(),
            fields(),
            single_ext(),
        )
            .prop_map(|(subtype, envelope, body, lines, fields, extension)| {
                BodyStructure::Single(SinglePart {
                    kind: PartKind::Message {
                        subtype,
                        envelope: Box::new(envelope),
                        body: Box::new(body),
                        lines,
                    },
                    fields,
                    extension,
                })
            });
        prop_oneof![multi, message]
    })
}

fn section() -> impl Strategy<Value = Section<'static>> {
    let names =
        || prop::collection::vec(astring(), 1..3).prop_map(|v| NonEmptyVec::new(v).unwrap());
    let text = of(prop_oneof![
        Just(SectionText::Header),
        names().prop_map(SectionText::HeaderFields),
        names().prop_map(SectionText::HeaderFieldsNot),
        Just(SectionText::Text),
        Just(SectionText::Mime),
    ]);
    (prop::collection::vec(nz(), 0..3), text)
        .prop_filter_map("MIME without part", |(p, t)| Section::new(p, t).ok())
}

fn date_time() -> impl Strategy<Value = DateTime> {
    (
        1900u16..2100,
        1u8..=12,
        1u8..=28,
        0u8..24,
        0u8..60,
        0u8..=60,
        -1439i16..=1439,
    )
        .prop_map(|(y, mo, d, h, mi, s, off)| {
            DateTime::new(Date::new(y, mo, d).unwrap(), (h, mi, s), off).unwrap()
        })
}

fn fetch_item() -> impl Strategy<Value = FetchItem<'static>> {
    let part = || prop::collection::vec(nz(), 0..3);
    prop_oneof![
        prop::collection::vec(flag(), 0..4).prop_map(FetchItem::Flags),
        date_time().prop_map(FetchItem::InternalDate),
        any::<u64>().prop_map(FetchItem::Rfc822Size),
        envelope().prop_map(|e| FetchItem::Envelope(Box::new(e))),
        body(false).prop_map(|b| FetchItem::Body(Box::new(b))),
        body(true).prop_map(|b| FetchItem::BodyStructure(Box::new(b))),
        (section(), of(any::<u32>()), nstring()).prop_map(|(section, origin, data)| {
            FetchItem::BodySection {
                section,
                origin,
                data,
            }
        }),
        (
            part(),
            of(any::<u32>()),
            of(prop::collection::vec(any::<u8>(), 0..20))
        )
            .prop_map(|(part, origin, data)| FetchItem::Binary {
                part,
                origin,
                data: data.map(Cow::Owned)
            }),
        (part(), any::<u32>()).prop_map(|(part, size)| FetchItem::BinarySize { part, size }),
        nz().prop_map(FetchItem::Uid),
        any::<u64>().prop_map(FetchItem::ModSeq),
        nstring().prop_map(FetchItem::Rfc822),
        nstring().prop_map(FetchItem::Rfc822Header),
        nstring().prop_map(FetchItem::Rfc822Text),
    ]
}

fn untagged_data() -> impl Strategy<Value = Untagged<'static>> {
    let descrs = || prop::collection::vec(namespace_descr(), 0..3);
    prop_oneof![
        capability_list(5).prop_map(Untagged::Capability),
        prop::collection::vec(capability(), 0..3).prop_map(Untagged::Enabled),
        prop::collection::vec(flag(), 0..5).prop_map(Untagged::Flags),
        mailbox_list().prop_map(Untagged::List),
        mailbox_list().prop_map(Untagged::Lsub),
        (mailbox(), prop::collection::vec(status_item(), 0..5))
            .prop_map(|(mailbox, items)| Untagged::Status(MailboxStatus { mailbox, items })),
        search_data().prop_map(Untagged::Search),
        search_data().prop_map(Untagged::Sort),
        (
            of(astring()),
            any::<bool>(),
            prop::collection::vec(search_return(), 0..4)
        )
            .prop_map(|(tag, uid, data)| Untagged::ESearch(ESearch { tag, uid, data })),
        prop::collection::vec(thread(), 0..4).prop_map(Untagged::Thread),
        any::<u32>().prop_map(Untagged::Exists),
        any::<u32>().prop_map(Untagged::Recent),
        nz().prop_map(Untagged::Expunge),
        (nz(), prop::collection::vec(fetch_item(), 1..4)).prop_map(|(seq, items)| Untagged::Fetch(
            Fetch {
                seq,
                items: NonEmptyVec::new(items).unwrap()
            }
        )),
        (any::<bool>(), uid_set()).prop_map(|(earlier, uids)| Untagged::Vanished { earlier, uids }),
        (descrs(), descrs(), descrs()).prop_map(|(personal, other, shared)| Untagged::Namespace(
            Namespace {
                personal,
                other,
                shared
            }
        )),
        of(prop::collection::vec((istring(), nstring()), 0..4).prop_map(IdParams))
            .prop_map(Untagged::Id),
        (
            astring(),
            prop::collection::vec((atom(), any::<u64>(), any::<u64>()), 1..4)
        )
            .prop_map(|(root, r)| {
                let resources = r
                    .into_iter()
                    .map(|(name, usage, limit)| QuotaResource {
                        name: Resource::from_atom(name),
                        usage,
                        limit,
                    })
                    .collect();
                Untagged::Quota(Quota {
                    root,
                    resources: NonEmptyVec::new(resources).unwrap(),
                })
            }),
        (mailbox(), prop::collection::vec(astring(), 0..3))
            .prop_map(|(mailbox, roots)| Untagged::QuotaRoot(QuotaRoot { mailbox, roots })),
    ]
}

fn response() -> impl Strategy<Value = Response<'static>> {
    prop_oneof![
        1 => (tag(), status(), resp_text()).prop_map(|(tag, status, text)| Response::Tagged(Tagged { tag, status, text })),
        1 => (status(), resp_text()).prop_map(|(status, text)| Response::Untagged(Untagged::Condition { status, text })),
        1 => resp_text().prop_map(|t| Response::Untagged(Untagged::PreAuth(t))),
        1 => resp_text().prop_map(|t| Response::Untagged(Untagged::Bye(t))),
        1 => resp_text().prop_filter_map("reads as base64", |t| ContinueText::new(t).ok().map(|c| Response::Continuation(Continuation::Text(c)))),
        1 => prop::collection::vec(any::<u8>(), 0..40).prop_map(|d| Response::Continuation(Continuation::Base64(Cow::Owned(d)))),
        4 => untagged_data().prop_map(Response::Untagged),
    ]
}

fn round_trip(resp: &Response<'static>, opts: EncodeOptions) -> Result<(), TestCaseError> {
    let mut out = BytesMut::new();
    encode_response_with(resp, opts, &mut out);
    let (n, decoded) = decode_response(&out).map_err(|e| {
        TestCaseError::fail(format!("{e:?} for {:?}", String::from_utf8_lossy(&out)))
    })?;
    prop_assert_eq!(n, out.len());
    prop_assert_eq!(&decoded, resp, "wire: {:?}", String::from_utf8_lossy(&out));
    prop_assert_eq!(decoded.into_owned(), resp.clone());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn every_response_round_trips(resp in response()) {
        round_trip(&resp, EncodeOptions::default())?;
        round_trip(&resp, EncodeOptions::new(LiteralMode::Sync, true))?;
    }

    #[test]
    fn fetch_responses_round_trip(seq in nz(), items in prop::collection::vec(fetch_item(), 1..6)) {
        let resp = Response::Untagged(Untagged::Fetch(Fetch { seq, items: NonEmptyVec::new(items).unwrap() }));
        round_trip(&resp, EncodeOptions::default())?;
    }

    #[test]
    fn untagged_data_round_trips(data in untagged_data()) {
        round_trip(&Response::Untagged(data), EncodeOptions::default())?;
    }

    #[test]
    fn status_responses_with_codes_round_trip(tag in tag(), status in status(), code in code(), text in text()) {
        let text = RespText::new(Some(code), text).unwrap();
        round_trip(&Response::Tagged(Tagged { tag, status, text }), EncodeOptions::default())?;
    }

    #[test]
    fn body_structures_round_trip(b in body(true)) {
        let resp = Response::Untagged(Untagged::Fetch(Fetch { seq: NonZeroU32::MIN, items: NonEmptyVec::one(FetchItem::BodyStructure(Box::new(b))) }));
        round_trip(&resp, EncodeOptions::default())?;
    }

    #[test]
    fn greeting_round_trips(t in resp_text(), kind in 0..3u8) {
        let g = match kind { 0 => Greeting::Ok(t), 1 => Greeting::PreAuth(t), _ => Greeting::Bye(t) };
        let mut out = BytesMut::new();
        imap_proto::codec::encode_greeting(&g, &mut out);
        let (n, back) = imap_proto::codec::decode_greeting(&out).unwrap();
        prop_assert_eq!(n, out.len());
        prop_assert_eq!(back, g);
    }
}

#[test]
fn encode_response_is_the_default_options() {
    let resp = Response::Untagged(Untagged::Bye(RespText::plain("x").unwrap()));
    let (mut a, mut b) = (BytesMut::new(), BytesMut::new());
    encode_response(&resp, &mut a);
    encode_response_with(&resp, EncodeOptions::default(), &mut b);
    assert_eq!(a, b);
}
