//! Known answers for the command decoder: `(input, consumed, canonical encoding)` for
//! commands modelled on the examples of RFC 9051, RFC 3501 and the extension RFCs (some
//! altered into canonical form; the verbatim RFC 3501 and RFC 9051 examples are in
//! `tests/rfc_examples.rs`), plus tables with fully spelled-out expected values for the
//! structured commands.

use std::borrow::Cow;
use std::num::{NonZeroU32, NonZeroU64};

use bytes::BytesMut;
use imap_proto::codec::{DecodeError, decode_command, encode_command};
use imap_proto::types::{
    AString, AppendData, AppendMessage, Atom, Capability, ChangedSince, Command, CommandBody, Date,
    DateTime, EntryKind, FetchAttribute, FetchItems, FetchModifiers, Flag, IString, List,
    ListPattern, ListReturnOption, ListSelectOption, Literal, Mailbox, MailboxAttribute,
    ModSeqEntry, NString, NonEmptyVec, Partial, QResync, Search, SearchKey, SearchReturnOption,
    Section, SectionText, SelectParams, SeqNumber, SeqRange, SequenceSet, StatusAttribute,
    StoreAction, Tag,
};

fn encode(cmd: &Command<'_>) -> String {
    let mut out = BytesMut::new();
    encode_command(cmd, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Decodes `input`, checks the consumed count, and checks that encoding the value gives
/// `canonical` (the input itself when it is already in canonical form).
fn check_canonical(table: &[(&str, usize, &str)]) {
    let mut failures = Vec::new();
    for (input, consumed, canonical) in table {
        let (n, cmd) = match decode_command(input.as_bytes()) {
            Ok(ok) => ok,
            Err(e) => {
                failures.push(format!("{input:?} did not decode: {e:?}"));
                continue;
            }
        };
        let encoded = encode(&cmd);
        if n != *consumed || encoded != *canonical {
            failures.push(format!("{input:?}: consumed {n}, encoded {encoded:?}"));
            continue;
        }
        let (_, again) = decode_command(canonical.as_bytes()).unwrap();
        assert_eq!(
            again, cmd,
            "canonical form of {input:?} decodes to the same value"
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn same(lines: &[&'static str]) -> Vec<(&'static str, usize, &'static str)> {
    lines.iter().map(|l| (*l, l.len(), *l)).collect()
}

/// Commands in canonical form, modelled on RFC 9051 and RFC 3501 examples. Not verbatim:
/// tags, quoting and arguments differ from the RFC texts in places.
#[test]
fn canonical_forms_of_rfc_style_commands() {
    check_canonical(&same(&[
        "abcd CAPABILITY\r\n",
        "a002 NOOP\r\n",
        "A023 LOGOUT\r\n",
        "a001 STARTTLS\r\n",
        "A001 AUTHENTICATE GSSAPI\r\n",
        "A001 AUTHENTICATE PLAIN dGVzdAB0ZXN0AHRlc3Q=\r\n",
        "a001 LOGIN SMITH SESAME\r\n",
        "A142 SELECT INBOX\r\n",
        "A932 EXAMINE blurdybloop\r\n",
        "A003 CREATE owatagusiam/\r\n",
        "A004 CREATE owatagusiam/blurdybloop\r\n",
        "A682 LIST \"\" *\r\n",
        "A683 DELETE blurdybloop\r\n",
        "A685 DELETE foo\r\n",
        "A683 RENAME blurdybloop sarasoop\r\n",
        "A684 RENAME foo zowie\r\n",
        "A002 SUBSCRIBE #news.comp.mail.mime\r\n",
        "A002 UNSUBSCRIBE #news.comp.mail.mime\r\n",
        "A101 LIST \"\" \"\"\r\n",
        "A102 LIST #news.comp.mail.misc \"\"\r\n",
        "A103 LIST /usr/staff/jones \"\"\r\n",
        "A202 LIST ~/Mail/ %\r\n",
        "A002 LSUB #news. comp.mail.*\r\n",
        "A003 LSUB #news. comp.%\r\n",
        "A042 STATUS blurdybloop (UIDNEXT MESSAGES)\r\n",
        "FXXZ CHECK\r\n",
        "A341 CLOSE\r\n",
        "A202 EXPUNGE\r\n",
        "A282 SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM Smith\r\n",
        "A283 SEARCH TEXT \"string not in mailbox\"\r\n",
        "A003 STORE 2:4 +FLAGS (\\Deleted)\r\n",
        "A003 COPY 2:4 MEETING\r\n",
        "A999 UID FETCH 4827313:4828442 FLAGS\r\n",
        "A003 UID COPY 2:4 MEETING\r\n",
        "a UID MOVE 42:69 foo\r\n",
        "A001 NAMESPACE\r\n",
        "A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])\r\n",
        "a003 FETCH 12 FULL\r\n",
        "a004 FETCH 12 BODY[HEADER]\r\n",
        "a005 FETCH 12 BODY.PEEK[TEXT]<0.2048>\r\n",
        "t1 ENABLE IMAP4rev2\r\n",
        "A01 LIST \"\" %\r\n",
        "A02 LIST (SUBSCRIBED) \"\" *\r\n",
        "A04 LIST \"\" % RETURN (SUBSCRIBED)\r\n",
        "A05 LIST (SUBSCRIBED RECURSIVEMATCH) \"\" % RETURN (CHILDREN)\r\n",
        "A06 LIST \"\" (foo foo/*)\r\n",
        "A07 LIST \"\" % RETURN (STATUS (MESSAGES UNSEEN))\r\n",
        "A001 IDLE\r\n",
        "A003 UID EXPUNGE 3000:3002\r\n",
        "A282 SEARCH RETURN (MIN COUNT) FLAGGED SINCE 1-Feb-1994 NOT FROM Smith\r\n",
        "A283 SEARCH RETURN () FLAGGED SINCE 1-Feb-1994 NOT FROM Smith\r\n",
        "A302 FETCH $ (UID FLAGS INTERNALDATE)\r\n",
    ]));
}

#[test]
fn non_canonical_forms_are_normalised() {
    check_canonical(&[
        ("a002 select inbox\r\n", 19, "a002 SELECT INBOX\r\n"),
        ("a003 fetch 12 full\r\n", 20, "a003 FETCH 12 FULL\r\n"),
        (
            "a004 fetch 12 body[header]\r\n",
            28,
            "a004 FETCH 12 BODY[HEADER]\r\n",
        ),
        (
            "A282 SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"\r\n",
            55,
            "A282 SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM Smith\r\n",
        ),
        (
            "A03 LIST () \"\" \"%\" RETURN (CHILDREN)\r\n",
            38,
            "A03 LIST \"\" % RETURN (CHILDREN)\r\n",
        ),
        (
            "A999 UID FETCH 4827313:4828442 (FLAGS)\r\n",
            40,
            "A999 UID FETCH 4827313:4828442 FLAGS\r\n",
        ),
        (
            "a001 LOGIN {11}\r\nFRED FOOBAR {7}\r\nfat man\r\n",
            43,
            "a001 LOGIN \"FRED FOOBAR\" \"fat man\"\r\n",
        ),
        (
            "A1 STORE 1 flags \\seen \\draft\r\n",
            31,
            "A1 STORE 1 FLAGS (\\Seen \\Draft)\r\n",
        ),
        (
            "A1 AUTHENTICATE PLAIN =\r\n",
            25,
            "A1 AUTHENTICATE PLAIN =\r\n",
        ),
        (
            "A1 SEARCH CHARSET UTF-8 (SEEN)\r\n",
            32,
            "A1 SEARCH CHARSET UTF-8 (SEEN)\r\n",
        ),
    ]);
}

#[test]
fn extension_examples() {
    check_canonical(&same(&[
        // CONDSTORE / QRESYNC (RFC 7162)
        "a SELECT INBOX (CONDSTORE)\r\n",
        "A02 SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))\r\n",
        "B01 SELECT INBOX (QRESYNC (67890007 90060115194045000 1:29997 (5000,7500,9000,9990:9999 15000,22500,27000,29970,29973,29976,29979,29982,29985,29988,29991,29994,29997)))\r\n",
        "a102 STORE 1 (UNCHANGEDSINCE 12345) +FLAGS.SILENT (\\Deleted)\r\n",
        "a SEARCH MODSEQ \"/flags/\\\\Draft\" all 620162338\r\n",
        "a FETCH 1:* MODSEQ\r\n",
        "A142 ENABLE QRESYNC CONDSTORE\r\n",
        "a STATUS blurdybloop (HIGHESTMODSEQ)\r\n",
        // WITHIN (RFC 5032)
        "a1 SEARCH UNSEEN YOUNGER 259200\r\n",
        "a2 UID SEARCH OLDER 3600\r\n",
        // QUOTA (RFC 9208)
        "A003 GETQUOTAROOT INBOX\r\n",
        "S0001 SETQUOTA \"\" ()\r\n",
        // SORT / THREAD (RFC 5256)
        "A282 SORT (SUBJECT) UTF-8 SINCE 1-Feb-1994\r\n",
        "A283 SORT (SUBJECT REVERSE DATE) UTF-8 ALL\r\n",
        "A284 SORT (SUBJECT) US-ASCII TEXT \"not in mailbox\"\r\n",
        "A285 UID SORT (REVERSE ARRIVAL) UTF-8 ALL\r\n",
        "A286 UID THREAD REFERENCES UTF-8 ALL\r\n",
        // BINARY (RFC 3516)
        "A001 FETCH 1 (BINARY.SIZE[1] BINARY[1]<0.1024>)\r\n",
        "A002 UID FETCH 5 BINARY.PEEK[1.2]\r\n",
        "A003 FETCH 1 BINARY[]\r\n",
        "A003 APPEND Drafts (\\Seen $MDNSent) ~{5}\r\na\0b\r\n\r\n",
        // MULTIAPPEND (RFC 3502)
        "A003 APPEND saved-messages (\\Seen) {5}\r\nabcde {3}\r\nxyz\r\n",
        // UTF8=ACCEPT (RFC 6855)
        "A004 APPEND INBOX UTF8 (~{6}\r\nhello!)\r\n",
        // SPECIAL-USE / CREATE-SPECIAL-USE (RFC 6154)
        "t1 CREATE MySpecialArchive (USE (\\Archive))\r\n",
        "t1 LIST (SPECIAL-USE) \"\" *\r\n",
        "t3 LIST \"\" % RETURN (SPECIAL-USE)\r\n",
        // STATUS=SIZE (RFC 8438) and APPENDLIMIT (RFC 7889)
        "t1 STATUS INBOX (MESSAGES SIZE DELETED APPENDLIMIT RECENT)\r\n",
        // ID (RFC 2971)
        "a023 ID (\"name\" \"sodr\" \"version\" \"19.34\" \"vendor\" \"Pink Floyd Music Limited\")\r\n",
        "a024 ID NIL\r\n",
        "a025 ID (\"name\" NIL)\r\n",
        // UNSELECT, COMPRESS, MOVE, UIDPLUS
        "A342 UNSELECT\r\n",
        "a COMPRESS DEFLATE\r\n",
        "a MOVE 2:4 Archive\r\n",
        "a UID EXPUNGE 3000:3002,4000\r\n",
        // SASL-IR with an empty initial response
        "a1 AUTHENTICATE EXTERNAL =\r\n",
    ]));
}

#[test]
fn rfc_examples_with_normalised_strings() {
    check_canonical(&[
        (
            "a103 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345)\r\n",
            49,
            "a103 UID FETCH 1:* FLAGS (CHANGEDSINCE 12345)\r\n",
        ),
        (
            "s100 UID FETCH 300:500 (FLAGS) (CHANGEDSINCE 12345 VANISHED)\r\n",
            62,
            "s100 UID FETCH 300:500 FLAGS (CHANGEDSINCE 12345 VANISHED)\r\n",
        ),
        (
            "G0001 GETQUOTA \"!partition/sda4\"\r\n",
            34,
            "G0001 GETQUOTA !partition/sda4\r\n",
        ),
        (
            "S0000 SETQUOTA \"#user/alice\" (STORAGE 510)\r\n",
            44,
            "S0000 SETQUOTA #user/alice (STORAGE 510)\r\n",
        ),
        (
            "A283 THREAD ORDEREDSUBJECT UTF-8 SINCE 5-MAR-2000\r\n",
            51,
            "A283 THREAD ORDEREDSUBJECT UTF-8 SINCE 5-Mar-2000\r\n",
        ),
        (
            "A284 THREAD REFERENCES US-ASCII TEXT \"gewp\"\r\n",
            45,
            "A284 THREAD REFERENCES US-ASCII TEXT gewp\r\n",
        ),
        (
            "A301 SEARCH RETURN (SAVE) SINCE 28-Oct-2006 NOT FROM \"eric@example.org\"\r\n",
            73,
            "A301 SEARCH RETURN (SAVE) SINCE 28-Oct-2006 NOT FROM eric@example.org\r\n",
        ),
        (
            "a UID SEARCH OR $ 1,3000:3021 TEXT {8+}\r\nmatching\r\n",
            51,
            "a UID SEARCH OR $ 1,3000:3021 TEXT matching\r\n",
        ),
    ]);
}

fn tag(s: &str) -> Tag<'static> {
    Tag::new(s.to_owned()).unwrap()
}

fn astr(s: &str) -> AString<'static> {
    AString::text(s.to_owned()).unwrap()
}

fn mbox(s: &str) -> Mailbox<'static> {
    Mailbox::new(s.to_owned()).unwrap()
}

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap()
}

fn range(a: u32, b: Option<u32>) -> SeqRange {
    SeqRange {
        from: SeqNumber::new(a).unwrap(),
        to: b.map(|b| SeqNumber::new(b).unwrap()),
    }
}

fn keys(k: Vec<SearchKey<'static>>) -> NonEmptyVec<SearchKey<'static>> {
    NonEmptyVec::new(k).unwrap()
}

fn check_values(table: Vec<(&str, usize, Command<'static>)>) {
    for (input, consumed, expected) in table {
        assert_eq!(
            decode_command(input.as_bytes()).map(|(n, c)| (n, c.into_owned())),
            Ok((consumed, expected)),
            "input {input:?}"
        );
    }
}

#[test]
fn structured_values() {
    let feb1 = Date::new(1994, 2, 1).unwrap();
    check_values(vec![
        (
            "A282 SEARCH RETURN (MIN COUNT) FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"\r\nX",
            74,
            Command::new(
                tag("A282"),
                CommandBody::Search(Search {
                    uid: false,
                    return_options: Some(vec![SearchReturnOption::Min, SearchReturnOption::Count]),
                    charset: None,
                    criteria: keys(vec![
                        SearchKey::Flagged,
                        SearchKey::Since(feb1),
                        SearchKey::Not(Box::new(SearchKey::From(astr("Smith")))),
                    ]),
                }),
            ),
        ),
        (
            "a UID SEARCH OR (2,5:* DELETED) UID $ HEADER Message-ID \"<a@b>\" MODSEQ \"/flags/$Junk\" priv 0 LARGER 10 SMALLER 20\r\n",
            115,
            Command::new(
                tag("a"),
                CommandBody::Search(Search {
                    uid: true,
                    return_options: None,
                    charset: None,
                    criteria: keys(vec![
                        SearchKey::Or(
                            Box::new(SearchKey::And(keys(vec![
                                SearchKey::SequenceSet(
                                    SequenceSet::new(vec![
                                        range(2, None),
                                        SeqRange::range(
                                            SeqNumber::new(5).unwrap(),
                                            SeqNumber::Largest,
                                        ),
                                    ])
                                    .unwrap(),
                                ),
                                SearchKey::Deleted,
                            ]))),
                            Box::new(SearchKey::Uid(SequenceSet::saved())),
                        ),
                        SearchKey::Header(astr("Message-ID"), astr("<a@b>")),
                        SearchKey::ModSeq {
                            entry: Some(ModSeqEntry {
                                flag: Flag::keyword("$Junk").unwrap(),
                                kind: EntryKind::Private,
                            }),
                            modseq: 0,
                        },
                        SearchKey::Larger(10),
                        SearchKey::Smaller(20),
                    ]),
                }),
            ),
        ),
        (
            "A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])\r\n",
            56,
            Command::new(
                tag("A654"),
                CommandBody::Fetch {
                    uid: false,
                    set: SequenceSet::new(vec![range(2, Some(4))]).unwrap(),
                    items: FetchItems::Attributes(
                        NonEmptyVec::new(vec![
                            FetchAttribute::Flags,
                            FetchAttribute::BodySection {
                                peek: false,
                                section: Section::new(
                                    vec![],
                                    Some(SectionText::HeaderFields(
                                        NonEmptyVec::new(vec![astr("DATE"), astr("FROM")]).unwrap(),
                                    )),
                                )
                                .unwrap(),
                                partial: None,
                            },
                        ])
                        .unwrap(),
                    ),
                    modifiers: FetchModifiers::default(),
                },
            ),
        ),
        (
            "a UID FETCH 1 (BODY.PEEK[1.2.HEADER.FIELDS.NOT (To)]<0.100> BODY[3.MIME] BODY[] RFC822.SIZE) (CHANGEDSINCE 7 VANISHED)\r\n",
            120,
            Command::new(
                tag("a"),
                CommandBody::Fetch {
                    uid: true,
                    set: SequenceSet::single(1).unwrap(),
                    items: FetchItems::Attributes(
                        NonEmptyVec::new(vec![
                            FetchAttribute::BodySection {
                                peek: true,
                                section: Section::new(
                                    vec![nz(1), nz(2)],
                                    Some(SectionText::HeaderFieldsNot(NonEmptyVec::one(astr(
                                        "To",
                                    )))),
                                )
                                .unwrap(),
                                partial: Some(Partial {
                                    offset: 0,
                                    length: NonZeroU64::new(100).unwrap(),
                                }),
                            },
                            FetchAttribute::BodySection {
                                peek: false,
                                section: Section::new(vec![nz(3)], Some(SectionText::Mime))
                                    .unwrap(),
                                partial: None,
                            },
                            FetchAttribute::BodySection {
                                peek: false,
                                section: Section::default(),
                                partial: None,
                            },
                            FetchAttribute::Rfc822Size,
                        ])
                        .unwrap(),
                    ),
                    modifiers: FetchModifiers {
                        changed_since: Some(ChangedSince {
                            modseq: 7,
                            vanished: true,
                        }),
                    },
                },
            ),
        ),
        (
            "A003 APPEND saved-messages (\\Seen) \"17-Jul-1996 02:44:25 -0700\" {5}\r\nHello UTF8 (~{2}\r\nHi)\r\n",
            92,
            Command::new(
                tag("A003"),
                CommandBody::Append {
                    mailbox: mbox("saved-messages"),
                    messages: NonEmptyVec::new(vec![
                        AppendMessage {
                            flags: vec![Flag::Seen],
                            date: Some(
                                DateTime::new(Date::new(1996, 7, 17).unwrap(), (2, 44, 25), -420)
                                    .unwrap(),
                            ),
                            data: AppendData::new(
                                Literal::new(&b"Hello"[..]).unwrap().into_owned(),
                            ),
                        },
                        AppendMessage {
                            flags: vec![],
                            date: None,
                            data: AppendData::utf8(b"Hi".to_vec()).unwrap(),
                        },
                    ])
                    .unwrap(),
                },
            ),
        ),
        (
            "A02 SELECT INBOX (CONDSTORE QRESYNC (67890007 20050715194045000 41,43:211))\r\n",
            77,
            Command::new(
                tag("A02"),
                CommandBody::Select {
                    mailbox: Mailbox::INBOX,
                    params: SelectParams {
                        condstore: true,
                        qresync: Some(QResync {
                            uid_validity: nz(67890007),
                            modseq: NonZeroU64::new(20050715194045000).unwrap(),
                            known_uids: Some(
                                SequenceSet::new(vec![range(41, None), range(43, Some(211))])
                                    .unwrap(),
                            ),
                            seq_match: None,
                        }),
                    },
                },
            ),
        ),
        (
            "A05 LIST (SUBSCRIBED RECURSIVEMATCH) \"\" (\"%\" INBOX.*) RETURN (CHILDREN STATUS (MESSAGES SIZE))\r\n",
            96,
            Command::new(
                tag("A05"),
                CommandBody::List(List {
                    selection: vec![
                        ListSelectOption::Subscribed,
                        ListSelectOption::RecursiveMatch,
                    ],
                    reference: mbox(""),
                    patterns: NonEmptyVec::new(vec![
                        ListPattern::new("%").unwrap(),
                        ListPattern::new("INBOX.*").unwrap(),
                    ])
                    .unwrap(),
                    return_options: vec![
                        ListReturnOption::Children,
                        ListReturnOption::Status(
                            NonEmptyVec::new(vec![
                                StatusAttribute::Messages,
                                StatusAttribute::Size,
                            ])
                            .unwrap(),
                        ),
                    ],
                }),
            ),
        ),
        (
            "t1 CREATE Junk (USE (\\Junk \\Sent))\r\n",
            36,
            Command::new(
                tag("t1"),
                CommandBody::Create {
                    mailbox: mbox("Junk"),
                    special_use: vec![MailboxAttribute::Junk, MailboxAttribute::Sent],
                },
            ),
        ),
        (
            "a1 STORE 1:* (UNCHANGEDSINCE 0) -FLAGS.SILENT ($Forwarded \\Xyz)\r\n",
            65,
            Command::new(
                tag("a1"),
                CommandBody::Store {
                    uid: false,
                    set: SequenceSet::all(),
                    unchanged_since: Some(0),
                    action: StoreAction::Remove,
                    silent: true,
                    flags: vec![
                        Flag::keyword("$Forwarded").unwrap(),
                        Flag::from_name("\\Xyz").unwrap(),
                    ],
                },
            ),
        ),
        (
            "a1 ENABLE UTF8=ACCEPT X-FOO\r\n",
            29,
            Command::new(
                tag("a1"),
                CommandBody::Enable(
                    NonEmptyVec::new(vec![
                        Capability::Utf8Accept,
                        Capability::Other(Atom::new("X-FOO").unwrap()),
                    ])
                    .unwrap(),
                ),
            ),
        ),
        (
            "a1 ID (\"name\" NIL)\r\n",
            20,
            Command::new(
                tag("a1"),
                CommandBody::Id(Some(vec![(IString::text("name").unwrap(), NString::NIL)])),
            ),
        ),
    ]);
}

#[test]
fn secrets_are_hidden_and_decoded() {
    let (_, cmd) = decode_command(b"a1 AUTHENTICATE PLAIN AGZyZWQAc2VjcmV0\r\n").unwrap();
    let CommandBody::Authenticate {
        mechanism,
        initial_response: Some(ir),
    } = &cmd.body
    else {
        panic!("not AUTHENTICATE with IR: {cmd:?}");
    };
    assert_eq!(mechanism.as_str(), "PLAIN");
    assert_eq!(ir.expose().as_ref(), b"\0fred\0secret");
    assert!(!format!("{cmd:?}").contains("AGZy"));
    let (_, login) = decode_command(b"a2 LOGIN fred \"se cret\"\r\n").unwrap();
    assert!(!format!("{login:?}").contains("se cret"));
    let (_, empty) = decode_command(b"a3 AUTHENTICATE PLAIN =\r\n").unwrap();
    assert!(matches!(
        empty.body,
        CommandBody::Authenticate { initial_response: Some(ref ir), .. } if ir.expose().is_empty()
    ));
}

#[test]
fn mailbox_names() {
    let (_, cmd) = decode_command(b"a SELECT \"Entw&APw-rfe\"\r\n").unwrap();
    let CommandBody::Select { mailbox, .. } = cmd.body else {
        panic!()
    };
    assert_eq!(mailbox.decode_name().unwrap(), "Entwürfe");
    let (_, cmd) = decode_command("a SELECT \"Entwürfe\"\r\n".as_bytes()).unwrap();
    assert!(
        matches!(cmd.body, CommandBody::Select { ref mailbox, .. } if mailbox.as_str() == "Entwürfe")
    );
    let (_, cmd) = decode_command(b"a DELETE InBoX\r\n").unwrap();
    assert_eq!(cmd.body, CommandBody::Delete(Mailbox::INBOX));
}

fn invalid(input: &[u8]) -> (usize, Option<String>, String) {
    match decode_command(input) {
        Err(DecodeError::Invalid {
            consumed,
            tag,
            reason,
        }) => (
            consumed,
            tag.map(|t| t.as_str().to_owned()),
            reason.into_owned(),
        ),
        other => panic!(
            "{:?}: expected Invalid, got {other:?}",
            String::from_utf8_lossy(input)
        ),
    }
}

#[test]
fn invalid_commands_keep_their_tag() {
    let table: &[(&[u8], usize, Option<&str>, &str)] = &[
        (b"a1 FROB\r\nnext", 9, Some("a1"), "unknown command FROB"),
        (b"a2 SELECT\r\n", 11, Some("a2"), "syntax error in SELECT"),
        (b"a3 NOOP extra\r\n", 15, Some("a3"), "syntax error in NOOP"),
        (b"a4 NOOP\n", 8, Some("a4"), "line must end with CRLF"),
        (
            b"a5 FETCH 0 FLAGS\r\n",
            18,
            Some("a5"),
            "syntax error in FETCH",
        ),
        (
            b"a6 LOGIN {3}\r\nabc\r\n",
            19,
            Some("a6"),
            "syntax error in LOGIN",
        ),
        (b"a7 SEARCH\r\n", 11, Some("a7"), "syntax error in SEARCH"),
        (
            b"a8 STORE 1 +FLAGS (\\*)\r\n",
            24,
            Some("a8"),
            "syntax error in STORE",
        ),
        (
            b"a9 FETCH 1 (FLAGS) (VANISHED)\r\n",
            31,
            Some("a9"),
            "syntax error in FETCH",
        ),
        (
            b"b1 FETCH 1 FLAGS (CHANGEDSINCE 1 VANISHED)\r\n",
            44,
            Some("b1"),
            "syntax error in FETCH",
        ),
        (
            b"b2 LIST (RECURSIVEMATCH) \"\" *\r\n",
            31,
            Some("b2"),
            "syntax error in LIST",
        ),
        (
            b"b3 SELECT a\0b\r\n",
            15,
            Some("b3"),
            "syntax error in SELECT",
        ),
        (b"b4 UID\r\n", 8, Some("b4"), "UID needs a command"),
        (
            b"b5 UID FROB 1\r\n",
            15,
            Some("b5"),
            "unknown command UID FROB",
        ),
        (
            b"b6 APPEND x abc\r\n",
            17,
            Some("b6"),
            "syntax error in APPEND",
        ),
        (
            b"b7 APPEND x UTF8 ({2}\r\nab)\r\n",
            28,
            Some("b7"),
            "syntax error in APPEND",
        ),
        (
            b"b8 FETCH 1 BODY[MIME]\r\n",
            23,
            Some("b8"),
            "syntax error in FETCH",
        ),
        (
            b"b9 AUTHENTICATE PLAIN abc\r\n",
            27,
            Some("b9"),
            "syntax error in AUTHENTICATE",
        ),
        (
            b"c1 SEARCH SINCE 30-Feb-2020\r\n",
            29,
            Some("c1"),
            "syntax error in SEARCH",
        ),
        (b"c2  NOOP\r\n", 10, Some("c2"), "missing command"),
        (b"* NOOP\r\n", 8, None, "missing or invalid tag"),
        (b"+x NOOP\r\n", 9, None, "missing or invalid tag"),
        (b"\r\n", 2, None, "missing or invalid tag"),
    ];
    for (input, consumed, tag, reason) in table {
        let got = invalid(input);
        assert_eq!(
            got,
            (*consumed, tag.map(str::to_owned), (*reason).to_owned()),
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn search_nesting_is_bounded() {
    let deep = format!("a SEARCH {}ALL\r\n", "NOT ".repeat(40));
    assert!(matches!(
        decode_command(deep.as_bytes()),
        Err(DecodeError::Invalid { tag: Some(_), .. })
    ));
    let parens = format!("a SEARCH {}ALL{}\r\n", "(".repeat(40), ")".repeat(40));
    assert!(matches!(
        decode_command(parens.as_bytes()),
        Err(DecodeError::Invalid { .. })
    ));
    let ok = format!("a SEARCH {}ALL\r\n", "NOT ".repeat(20));
    assert!(decode_command(ok.as_bytes()).is_ok());
}

#[test]
fn borrowed_values_stay_borrowed() {
    let input = b"a1 LOGIN fred \"pass\"\r\n";
    let (_, cmd) = decode_command(input).unwrap();
    let CommandBody::Login { username, password } = &cmd.body else {
        panic!()
    };
    assert!(matches!(username.clone().into_inner(), Cow::Borrowed(_)));
    assert!(matches!(
        password.expose().clone().into_inner(),
        Cow::Borrowed(_)
    ));
}
