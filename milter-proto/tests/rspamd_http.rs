//! rspamd's HTTP protocol: the request head, the response reader and the JSON reply's
//! verdict for every action.

use std::net::IpAddr;
use std::num::NonZeroU32;

use bytes::BytesMut;
use milter_proto::rspamd::{
    CheckReply, CheckRequest, ReadStatus, ResponseReader, RspamdError, SpamAction, VerdictOptions,
    check_reply,
};
use milter_proto::types::{Disposition, HeaderOccurrence, Modification, Reply, Text};

fn t(s: &str) -> Text<'static> {
    Text::try_from(s.to_owned()).unwrap()
}

#[test]
fn the_request_head_carries_every_field() {
    let mut request = CheckRequest::new();
    request.from = Some("alice@example.org".into());
    request.recipients = vec!["bob@example.net".into(), "carol@example.net".into()];
    request.ip = Some("2001:db8::7".parse::<IpAddr>().unwrap());
    request.helo = Some("client.example.net".into());
    request.hostname = Some("client.example.net".into());
    request.user = Some("alice".into());
    request.queue_id = Some("4F1".into());
    request.deliver_to = Some("bob@example.net".into());
    request.settings_id = Some("inbound".into());
    request.settings = Some("{symbol1 = 10.0}".into());
    request.mta_name = Some("postroom".into());
    request.pass_all = true;
    request.extra_headers = vec![("TLS-Version".into(), "TLSv1.3".into())];
    let mut out = BytesMut::new();
    request
        .encode_head("127.0.0.1:11333", 1234, &mut out)
        .unwrap();
    assert_eq!(
        std::str::from_utf8(&out).unwrap(),
        "POST /checkv2 HTTP/1.1\r\n\
         Host: 127.0.0.1:11333\r\n\
         From: alice@example.org\r\n\
         IP: 2001:db8::7\r\n\
         Helo: client.example.net\r\n\
         Hostname: client.example.net\r\n\
         User: alice\r\n\
         Queue-Id: 4F1\r\n\
         Deliver-To: bob@example.net\r\n\
         Settings-ID: inbound\r\n\
         Settings: {symbol1 = 10.0}\r\n\
         MTA-Name: postroom\r\n\
         Rcpt: bob@example.net\r\n\
         Rcpt: carol@example.net\r\n\
         Pass: all\r\n\
         Connection: close\r\n\
         TLS-Version: TLSv1.3\r\n\
         Content-Length: 1234\r\n\r\n"
    );
}

#[test]
fn header_injection_is_refused() {
    let mut request = CheckRequest::new();
    request.helo = Some("evil\r\nSettings: {}".into());
    let mut out = BytesMut::new();
    assert_eq!(
        request.encode_head("h", 0, &mut out),
        Err(RspamdError::InvalidHeader { name: "Helo" })
    );
    assert!(out.is_empty());
    let mut request = CheckRequest::new();
    request.extra_headers = vec![("Bad Name".into(), "x".into())];
    assert!(request.encode_head("h", 0, &mut out).is_err());
}

/// Feeds `response` to a reader cut at `cut`, returning the complete response.
fn read_split(
    response: &[u8],
    cut: usize,
) -> Result<milter_proto::rspamd::HttpResponse, RspamdError> {
    let mut reader = ResponseReader::new(4096);
    match reader.handle_input(&response[..cut])? {
        ReadStatus::Complete(done) => {
            assert_eq!(cut, response.len(), "complete before the end");
            Ok(done)
        }
        ReadStatus::Incomplete => match reader.handle_input(&response[cut..])? {
            ReadStatus::Complete(done) => Ok(done),
            ReadStatus::Incomplete => reader.handle_eof(),
        },
    }
}

#[test]
fn responses_are_read_whatever_the_split_and_framing() {
    let body = br#"{"action":"no action","score":1.5,"required_score":15.0}"#;
    let length = format!(
        "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{}",
        body.len(),
        std::str::from_utf8(body).unwrap()
    );
    let chunked = format!(
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10;ext=1\r\n{}\r\n{:x}\r\n{}\r\n0\r\nX-Trailer: y\r\n\r\n",
        std::str::from_utf8(&body[..16]).unwrap(),
        body.len() - 16,
        std::str::from_utf8(&body[16..]).unwrap()
    );
    let until_close = format!(
        "HTTP/1.0 200 OK\r\nServer: rspamd\r\n\r\n{}",
        std::str::from_utf8(body).unwrap()
    );
    for wire in [length, chunked, until_close] {
        for cut in 0..=wire.len() {
            let response = read_split(wire.as_bytes(), cut).unwrap();
            assert_eq!(
                (response.status, &response.body[..]),
                (200, &body[..]),
                "{wire:?} cut at {cut}"
            );
            let reply = check_reply(&response).unwrap();
            assert_eq!(
                (reply.action.clone(), reply.score),
                (SpamAction::NoAction, 1.5)
            );
        }
    }
}

#[test]
fn malformed_or_oversized_responses_are_errors() {
    let cases: [(&[u8], RspamdError); 6] = [
        (
            b"SMTP/1.1 200 OK\r\n\r\n",
            RspamdError::Http {
                reason: "malformed status line",
            },
        ),
        (
            b"HTTP/1.1 2000 OK\r\n\r\n",
            RspamdError::Http {
                reason: "malformed status line",
            },
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
            RspamdError::Http {
                reason: "malformed Content-Length",
            },
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 99999\r\n\r\n",
            RspamdError::TooLarge { limit: 4096 },
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
            RspamdError::Http {
                reason: "unsupported Transfer-Encoding",
            },
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            RspamdError::Http {
                reason: "malformed chunk size",
            },
        ),
    ];
    for (wire, error) in cases {
        assert_eq!(
            ResponseReader::new(4096).handle_input(wire),
            Err(error),
            "{wire:?}"
        );
    }
    let mut reader = ResponseReader::new(4096);
    assert_eq!(
        reader.handle_input(&[b'x'; 5000]),
        Err(RspamdError::TooLarge { limit: 4096 })
    );
    let mut reader = ResponseReader::new(4096);
    let head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    assert_eq!(reader.handle_input(head), Ok(ReadStatus::Incomplete));
    assert_eq!(
        reader.handle_input(b"2000\r\n"),
        Err(RspamdError::TooLarge { limit: 4096 })
    );
    let mut reader = ResponseReader::new(4096);
    assert_eq!(
        reader.handle_input(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab"),
        Ok(ReadStatus::Incomplete)
    );
    assert!(matches!(reader.handle_eof(), Err(RspamdError::Http { .. })));
    let mut reader = ResponseReader::new(4096);
    assert!(matches!(
        reader.handle_input(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nab"),
        Err(RspamdError::Http {
            reason: "data after the end of the response"
        })
    ));
}

#[test]
fn an_error_status_carries_rspamds_message() {
    let mut reader = ResponseReader::new(4096);
    let body = r#"{"error":"Message has no body"}"#;
    let wire = format!(
        "HTTP/1.1 400 Bad Request\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let ReadStatus::Complete(response) = reader.handle_input(wire.as_bytes()).unwrap() else {
        panic!()
    };
    assert_eq!(
        check_reply(&response),
        Err(RspamdError::Status {
            status: 400,
            message: "Message has no body".into()
        })
    );
    assert!(matches!(
        CheckReply::from_json(b"[1]"),
        Err(RspamdError::Json(_))
    ));
    assert!(matches!(
        CheckReply::from_json(b"{\"score\":1}"),
        Err(RspamdError::Json(_))
    ));
    assert!(matches!(
        CheckReply::from_json(b"{\"action\":"),
        Err(RspamdError::Json(_))
    ));
}

fn verdict(json: &str) -> milter_proto::Verdict {
    CheckReply::from_json(json.as_bytes())
        .unwrap()
        .to_verdict(&VerdictOptions::default())
}

#[test]
fn every_action_maps_to_a_verdict() {
    let reject = verdict(r#"{"action":"reject","score":16,"required_score":15}"#);
    assert_eq!(
        reject.disposition,
        Disposition::Reject(Reply::parse(b"554 5.7.1 Spam message rejected").unwrap())
    );
    let gtube = verdict(r#"{"action":"reject","messages":{"smtp_message":"Gtube pattern"}}"#);
    assert_eq!(
        gtube.reply().unwrap().to_smtp(),
        "554 5.7.1 Gtube pattern\r\n"
    );
    for action in ["soft reject", "greylist", "my custom action"] {
        let json = format!(r#"{{"action":"{action}"}}"#);
        assert_eq!(
            verdict(&json).disposition,
            Disposition::TempFail(Reply::parse(b"451 4.7.1 Try again later").unwrap()),
            "{action}"
        );
    }
    let greylisted = verdict(
        r#"{"action":"soft reject","messages":{"smtp_message":"Try again later\r\nplease"}}"#,
    );
    assert_eq!(
        greylisted.reply().unwrap().lines(),
        ["Try again later  please"]
    );
    let add_header = verdict(r#"{"action":"add header","score":7}"#);
    assert_eq!(
        add_header.modifications,
        [
            Modification::RemoveHeader {
                name: t("X-Spam"),
                which: HeaderOccurrence::All
            },
            Modification::AddHeader {
                name: t("X-Spam"),
                value: t("Yes")
            },
        ]
    );
    assert!(add_header.is_accept());
    let rewrite = verdict(r#"{"action":"rewrite subject","subject":"***SPAM*** lunch"}"#);
    assert_eq!(
        rewrite.modifications,
        [Modification::ChangeHeader {
            index: NonZeroU32::MIN,
            name: t("Subject"),
            value: t("***SPAM*** lunch")
        }]
    );
    assert_eq!(
        verdict(r#"{"action":"no action"}"#),
        milter_proto::Verdict::accept()
    );
    assert_eq!(
        verdict(r#"{"action":"discard"}"#).disposition,
        Disposition::Discard
    );
    let quarantine = verdict(r#"{"action":"quarantine"}"#);
    assert_eq!(quarantine.quarantine().unwrap(), "Rejected by rspamd");
    assert!(quarantine.is_accept());
}

#[test]
fn the_milter_block_becomes_modifications_in_order() {
    let json = r#"{
        "action": "add header",
        "milter": {
            "remove_headers": {"X-Old": 0, "X-Second": 2, "X-Last": -1},
            "add_headers": {
                "X-Spamd-Bar": "+++++++",
                "X-Ordered": {"value": "top", "order": 0},
                "X-Multi": [{"value": "a"}, "b"]
            },
            "change_from": "<bounce@example.org>",
            "add_rcpt": ["<copy@example.org>"],
            "del_rcpt": ["<bob@example.net>"],
            "spam_header": {"X-Is-Spam": "definitely"}
        },
        "dkim-signature": ["v=1; a", "v=1; b"]
    }"#;
    let reply = CheckReply::from_json(json.as_bytes()).unwrap();
    let two = NonZeroU32::new(2).unwrap();
    let mods = reply.to_verdict(&VerdictOptions::default()).modifications;
    let mut expected = vec![
        Modification::RemoveHeader {
            name: t("X-Old"),
            which: HeaderOccurrence::All,
        },
        Modification::RemoveHeader {
            name: t("X-Second"),
            which: HeaderOccurrence::Nth(two),
        },
        Modification::RemoveHeader {
            name: t("X-Last"),
            which: HeaderOccurrence::NthFromEnd(NonZeroU32::MIN),
        },
        Modification::AddHeader {
            name: t("X-Spamd-Bar"),
            value: t("+++++++"),
        },
        Modification::InsertHeader {
            index: 0,
            name: t("X-Ordered"),
            value: t("top"),
        },
        Modification::AddHeader {
            name: t("X-Multi"),
            value: t("a"),
        },
        Modification::AddHeader {
            name: t("X-Multi"),
            value: t("b"),
        },
        Modification::ChangeFrom {
            address: t("<bounce@example.org>"),
            args: None,
        },
        Modification::AddRecipient {
            address: t("<copy@example.org>"),
            args: None,
        },
        Modification::DeleteRecipient {
            address: t("<bob@example.net>"),
        },
        Modification::InsertHeader {
            index: 1,
            name: t("DKIM-Signature"),
            value: t("v=1; a"),
        },
        Modification::InsertHeader {
            index: 2,
            name: t("DKIM-Signature"),
            value: t("v=1; b"),
        },
        Modification::RemoveHeader {
            name: t("X-Is-Spam"),
            which: HeaderOccurrence::All,
        },
        Modification::AddHeader {
            name: t("X-Is-Spam"),
            value: t("definitely"),
        },
    ];
    // JSON objects keep their order only with serde_json's preserve_order; compare as sets
    // within each group by sorting the debug strings of the header removals and additions.
    let key = |m: &Modification| format!("{m:?}");
    let mut got = mods.clone();
    got[..3].sort_by_key(key);
    expected[..3].sort_by_key(key);
    got[3..7].sort_by_key(key);
    expected[3..7].sort_by_key(key);
    assert_eq!(got, expected);
}

#[test]
fn reject_can_become_discard_or_quarantine() {
    let discard = verdict(r#"{"action":"reject","milter":{"reject":"discard"}}"#);
    assert_eq!(discard.disposition, Disposition::Discard);
    let held = verdict(r#"{"action":"reject","milter":{"reject":"quarantine"}}"#);
    assert!(held.is_accept() && held.quarantine().is_some());
    let mut options = VerdictOptions::default();
    options.discard_on_reject = true;
    let reply = CheckReply::from_json(br#"{"action":"reject"}"#).unwrap();
    assert_eq!(reply.to_verdict(&options).disposition, Disposition::Discard);
    let reported = verdict(r#"{"action":"reject","milter":{"no_action":true}}"#);
    assert_eq!(
        reported.modifications,
        [Modification::AddHeader {
            name: t("X-Rspamd-Action"),
            value: t("reject")
        }]
    );
    assert!(reported.is_accept());
}

#[test]
fn nul_in_a_header_is_refused() {
    let json = r#"{"action":"add header","milter":{"add_headers":{"X-A":"a\u0000b"}}}"#;
    assert!(matches!(
        CheckReply::from_json(json.as_bytes()),
        Err(RspamdError::Json(_))
    ));
}
