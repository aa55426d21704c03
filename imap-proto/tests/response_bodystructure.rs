//! BODY / BODYSTRUCTURE / ENVELOPE known answers: the RFC example and realistic output
//! in the style of Gmail and Dovecot.

use bytes::BytesMut;
use imap_proto::codec::{decode_response, encode_response};
use imap_proto::types::*;

fn decode_fetch(input: &str) -> Fetch<'_> {
    let (n, resp) = decode_response(input.as_bytes()).unwrap_or_else(|e| panic!("{input}: {e:?}"));
    assert_eq!(n, input.len());
    match resp {
        Response::Untagged(Untagged::Fetch(f)) => f,
        other => panic!("not a FETCH: {other:?}"),
    }
}

fn structure<'a>(fetch: &'a Fetch<'_>) -> &'a BodyStructure<'a> {
    fetch
        .items
        .iter()
        .find_map(|i| match i {
            FetchItem::BodyStructure(b) | FetchItem::Body(b) => Some(&**b),
            _ => None,
        })
        .expect("no body structure")
}

fn encode(resp: &Response<'_>) -> String {
    let mut out = BytesMut::new();
    encode_response(resp, &mut out);
    String::from_utf8(out.to_vec()).unwrap()
}

fn text_of(s: &IString<'_>) -> String {
    String::from_utf8_lossy(s.as_bytes()).into_owned()
}

fn nstr(s: &NString<'_>) -> Option<String> {
    s.0.as_ref().map(text_of)
}

/// Decodes, re-encodes and decodes again: the value must survive.
fn assert_round_trip(input: &str) -> String {
    let (_, resp) = decode_response(input.as_bytes()).unwrap();
    let wire = encode(&resp);
    let (n, again) = decode_response(wire.as_bytes()).unwrap();
    assert_eq!(n, wire.len());
    assert_eq!(again, resp, "round trip of {input}");
    wire
}

const RFC_MIXED: &str = "* 12 FETCH (BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 1152 23)(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\" \"NAME\" \"cc.diff\") \"<960723163407.20117h@cac.washington.edu>\" \"Compiler diff\" \"BASE64\" 4554 73) \"MIXED\"))\r\n";

#[test]
fn rfc_multipart_example() {
    let fetch = decode_fetch(RFC_MIXED);
    let BodyStructure::Multi(multi) = structure(&fetch) else {
        panic!("not multipart")
    };
    assert_eq!(text_of(&multi.subtype), "MIXED");
    assert!(multi.extension.is_none());
    assert_eq!(multi.parts().len(), 2);
    let BodyStructure::Single(second) = &multi.parts()[1] else {
        panic!()
    };
    assert!(
        matches!(&second.kind, PartKind::Text { subtype, lines: 73 } if text_of(subtype) == "PLAIN")
    );
    assert_eq!(second.fields.params.len(), 2);
    assert_eq!(text_of(&second.fields.params[1].name), "NAME");
    assert_eq!(text_of(&second.fields.params[1].value), "cc.diff");
    assert_eq!(
        nstr(&second.fields.id).as_deref(),
        Some("<960723163407.20117h@cac.washington.edu>")
    );
    assert_eq!(
        nstr(&second.fields.description).as_deref(),
        Some("Compiler diff")
    );
    assert_eq!(text_of(&second.fields.encoding), "BASE64");
    assert_eq!(second.fields.octets, 4554);
    // Already canonical.
    assert_eq!(assert_round_trip(RFC_MIXED), RFC_MIXED);
}

const GMAIL_ALTERNATIVE: &str = "* 1 FETCH (UID 42 BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"UTF-8\") NIL NIL \"QUOTED-PRINTABLE\" 1234 30 NIL NIL NIL NIL)(\"TEXT\" \"HTML\" (\"CHARSET\" \"UTF-8\") NIL NIL \"QUOTED-PRINTABLE\" 5678 120 NIL NIL NIL NIL) \"ALTERNATIVE\" (\"BOUNDARY\" \"000000000000abcdef0123456789\") NIL NIL NIL))\r\n";

#[test]
fn gmail_multipart_alternative() {
    let fetch = decode_fetch(GMAIL_ALTERNATIVE);
    assert_eq!(fetch.uid().map(|u| u.get()), Some(42));
    let BodyStructure::Multi(multi) = structure(&fetch) else {
        panic!()
    };
    let ext = multi.extension.as_ref().unwrap();
    assert_eq!(
        text_of(&ext.params[0].value),
        "000000000000abcdef0123456789"
    );
    let tail = ext.tail.as_ref().unwrap();
    assert!(tail.disposition.is_none());
    let lang = tail.language.as_ref().unwrap();
    assert!(lang.languages.is_empty());
    let loc = lang.location.as_ref().unwrap();
    assert_eq!(loc.location, NString::NIL);
    assert!(loc.extensions.is_empty());
    for part in multi.parts() {
        let BodyStructure::Single(p) = part else {
            panic!()
        };
        let e = p.extension.as_ref().unwrap();
        assert_eq!(e.md5, NString::NIL);
        let t = e.tail.as_ref().unwrap();
        assert!(t.disposition.is_none());
        assert!(
            t.language
                .as_ref()
                .unwrap()
                .location
                .as_ref()
                .unwrap()
                .extensions
                .is_empty()
        );
    }
    assert_eq!(structure(&fetch).depth(), 2);
    assert_eq!(assert_round_trip(GMAIL_ALTERNATIVE), GMAIL_ALTERNATIVE);
}

const DOVECOT_MIXED: &str = "* 3 FETCH (BODYSTRUCTURE (((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 12 1 NIL NIL NIL NIL)(\"text\" \"html\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 40 1 NIL NIL NIL NIL) \"alternative\" (\"boundary\" \"b2\") NIL NIL NIL)(\"application\" \"pdf\" (\"name\" \"report.pdf\") NIL NIL \"base64\" 74620 NIL (\"attachment\" (\"filename\" \"report.pdf\" \"size\" \"54530\")) NIL NIL) \"mixed\" (\"boundary\" \"b1\") NIL NIL NIL))\r\n";

#[test]
fn dovecot_mixed_with_attachment() {
    let fetch = decode_fetch(DOVECOT_MIXED);
    let BodyStructure::Multi(mixed) = structure(&fetch) else {
        panic!()
    };
    assert_eq!(text_of(&mixed.subtype), "mixed");
    let BodyStructure::Multi(alt) = &mixed.parts()[0] else {
        panic!()
    };
    assert_eq!(text_of(&alt.subtype), "alternative");
    assert!(matches!(
        &alt.parts()[1],
        BodyStructure::Single(SinglePart {
            kind: PartKind::Text { lines: 1, .. },
            ..
        })
    ));
    let BodyStructure::Single(pdf) = &mixed.parts()[1] else {
        panic!()
    };
    assert!(
        matches!(&pdf.kind, PartKind::Basic { media_type, subtype } if text_of(media_type) == "application" && text_of(subtype) == "pdf")
    );
    assert_eq!(pdf.fields.octets, 74620);
    let disp = pdf
        .extension
        .as_ref()
        .unwrap()
        .tail
        .as_ref()
        .unwrap()
        .disposition
        .as_ref()
        .unwrap();
    assert_eq!(text_of(&disp.kind), "attachment");
    assert_eq!(disp.params.len(), 2);
    assert_eq!(text_of(&disp.params[1].value), "54530");
    assert_eq!(structure(&fetch).depth(), 3);
    // Lower-case text and message types are written in upper case; the value is the same.
    let wire = assert_round_trip(DOVECOT_MIXED);
    assert!(wire.contains("(\"TEXT\" \"plain\""), "{wire}");
}

const NESTED_MESSAGE: &str = "* 4 FETCH (BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 20 1 NIL NIL NIL NIL)(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 500 (\"Mon, 1 Jan 2024 10:00:00 +0000\" \"Fwd: hello\" ((\"Ann\" NIL \"ann\" \"example.com\")) ((\"Ann\" NIL \"ann\" \"example.com\")) ((\"Ann\" NIL \"ann\" \"example.com\")) ((NIL NIL \"bob\" \"example.org\")) NIL NIL NIL \"<id@example.com>\") ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 100 5 NIL NIL NIL NIL)(\"IMAGE\" \"PNG\" (\"NAME\" \"a.png\") \"<cid@x>\" NIL \"BASE64\" 1000 \"Q2hlY2s=\" (\"INLINE\" (\"FILENAME\" \"a.png\")) \"EN\" \"http://example.com/a.png\" 1 \"x\" (2 NIL (\"y\"))) \"RELATED\" (\"BOUNDARY\" \"inner\") NIL NIL NIL) 15 NIL (\"inline\" NIL) NIL NIL) \"MIXED\" (\"BOUNDARY\" \"xyz\") NIL (\"en\" \"de\") \"http://loc\" 5 (\"x\" 1 (NIL))))\r\n";

#[test]
fn nested_message_rfc822() {
    let fetch = decode_fetch(NESTED_MESSAGE);
    let BodyStructure::Multi(outer) = structure(&fetch) else {
        panic!()
    };
    let BodyStructure::Single(msg) = &outer.parts()[1] else {
        panic!()
    };
    let PartKind::Message {
        subtype,
        envelope,
        body,
        lines,
    } = &msg.kind
    else {
        panic!("not a message part: {:?}", msg.kind)
    };
    assert_eq!(*subtype, MessageSubtype::Rfc822);
    assert_eq!(*lines, 15);
    assert_eq!(nstr(&envelope.subject).as_deref(), Some("Fwd: hello"));
    assert_eq!(nstr(&envelope.to[0].mailbox).as_deref(), Some("bob"));
    assert!(envelope.cc.is_empty());
    assert_eq!(
        nstr(&envelope.message_id).as_deref(),
        Some("<id@example.com>")
    );
    let BodyStructure::Multi(related) = &**body else {
        panic!()
    };
    let BodyStructure::Single(png) = &related.parts()[1] else {
        panic!()
    };
    let ext = png.extension.as_ref().unwrap();
    assert_eq!(nstr(&ext.md5).as_deref(), Some("Q2hlY2s="));
    let lang = ext.tail.as_ref().unwrap().language.as_ref().unwrap();
    assert_eq!(lang.languages.len(), 1);
    let loc = lang.location.as_ref().unwrap();
    assert_eq!(
        nstr(&loc.location).as_deref(),
        Some("http://example.com/a.png")
    );
    assert_eq!(loc.extensions.len(), 3);
    assert_eq!(loc.extensions[0], BodyExtension::Number(1));
    let BodyExtension::List(list) = &loc.extensions[2] else {
        panic!()
    };
    assert_eq!(list.items().len(), 3);
    // Outer multipart: two languages, a location and extensions.
    let tail = outer.extension.as_ref().unwrap().tail.as_ref().unwrap();
    let lang = tail.language.as_ref().unwrap();
    assert_eq!(
        lang.languages.iter().map(text_of).collect::<Vec<_>>(),
        ["en", "de"]
    );
    assert_eq!(lang.location.as_ref().unwrap().extensions.len(), 2);
    assert_eq!(structure(&fetch).depth(), 4);
    assert!(structure(&fetch).has_extension());
    assert_eq!(assert_round_trip(NESTED_MESSAGE), NESTED_MESSAGE);
}

#[test]
fn message_global_and_truncated_extension_levels() {
    let cases = [
        // MESSAGE/GLOBAL (RFC 6532) with its encapsulated message.
        "* 1 FETCH (BODYSTRUCTURE (\"MESSAGE\" \"GLOBAL\" NIL NIL NIL \"8BIT\" 10 (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) (\"TEXT\" \"PLAIN\" NIL NIL NIL \"8BIT\" 4 1) 1))\r\n",
        // Extension data cut after each position.
        "* 1 FETCH (BODYSTRUCTURE (\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 1 1 NIL))\r\n",
        "* 1 FETCH (BODYSTRUCTURE (\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 1 1 NIL NIL))\r\n",
        "* 1 FETCH (BODYSTRUCTURE (\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 1 1 NIL NIL NIL))\r\n",
        "* 1 FETCH (BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 1 1) \"MIXED\" NIL))\r\n",
        "* 1 FETCH (BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 1 1) \"MIXED\" NIL (\"INLINE\" NIL)))\r\n",
        "* 1 FETCH (BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 1 1) \"MIXED\" NIL NIL \"FR\"))\r\n",
    ];
    for input in cases {
        assert_eq!(assert_round_trip(input), input);
    }
    let fetch = decode_fetch(cases[0]);
    assert!(matches!(
        structure(&fetch),
        BodyStructure::Single(SinglePart {
            kind: PartKind::Message {
                subtype: MessageSubtype::Global,
                ..
            },
            ..
        })
    ));
    let fetch = decode_fetch(cases[1]);
    let BodyStructure::Single(p) = structure(&fetch) else {
        panic!()
    };
    assert_eq!(
        p.extension,
        Some(SinglePartExtension {
            md5: NString::NIL,
            tail: None
        })
    );
}

#[test]
fn lenient_server_forms() {
    // A text part without a line count and a message part without the encapsulated
    // message are kept as basic parts; "()" stands for NIL; spaces between parts.
    let input = "* 1 FETCH (BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" () NIL NIL \"7BIT\" 10) (\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 10 NIL) \"MIXED\"))\r\n";
    let fetch = decode_fetch(input);
    let BodyStructure::Multi(m) = structure(&fetch) else {
        panic!()
    };
    for part in m.parts() {
        assert!(
            matches!(
                part,
                BodyStructure::Single(SinglePart {
                    kind: PartKind::Basic { .. },
                    ..
                })
            ),
            "{part:?}"
        );
    }
    let wire = assert_round_trip(input);
    assert_eq!(
        wire,
        "* 1 FETCH (BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 10)(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 10 NIL) \"MIXED\"))\r\n"
    );
}

#[test]
fn body_item_leaves_out_extension_data() {
    let fetch = decode_fetch(GMAIL_ALTERNATIVE);
    let body = structure(&fetch).clone();
    let resp = Response::Untagged(Untagged::Fetch(Fetch {
        seq: fetch.seq,
        items: NonEmptyVec::one(FetchItem::Body(Box::new(body))),
    }));
    let wire = encode(&resp);
    assert_eq!(
        wire,
        "* 1 FETCH (BODY ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"UTF-8\") NIL NIL \"QUOTED-PRINTABLE\" 1234 30)(\"TEXT\" \"HTML\" (\"CHARSET\" \"UTF-8\") NIL NIL \"QUOTED-PRINTABLE\" 5678 120) \"ALTERNATIVE\"))\r\n"
    );
    let again = decode_fetch(&wire);
    assert!(!structure(&again).has_extension());
}

#[test]
fn invalid_structures_are_rejected() {
    let cases = [
        // No parts.
        "* 1 FETCH (BODYSTRUCTURE (\"MIXED\"))\r\n",
        // Missing octets.
        "* 1 FETCH (BODYSTRUCTURE (\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\"))\r\n",
        // Odd number of parameter strings.
        "* 1 FETCH (BODYSTRUCTURE (\"TEXT\" \"PLAIN\" (\"CHARSET\") NIL NIL \"7BIT\" 1 1))\r\n",
        // Message part with a broken envelope.
        "* 1 FETCH (BODYSTRUCTURE (\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 1 (NIL) (\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 1 1) 1))\r\n",
        // Empty extension list.
        "* 1 FETCH (BODYSTRUCTURE (\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 1 1 NIL NIL NIL NIL ()))\r\n",
        // Unbalanced.
        "* 1 FETCH (BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 1 1) \"MIXED\")\r\n",
    ];
    for input in cases {
        match decode_response(input.as_bytes()) {
            Err(imap_proto::codec::DecodeError::Invalid { consumed, .. }) => {
                assert_eq!(consumed, input.len(), "{input}")
            }
            other => panic!("{input}: {other:?}"),
        }
    }
}
