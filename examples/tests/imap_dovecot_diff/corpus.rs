//! The messages both servers describe: generated here (no binary fixtures), each with
//! the INTERNALDATE and flags it is appended with.
//!
//! The corpus covers nested multiparts, `message/rfc822` parts nested twice, 8-bit
//! headers and bodies, RFC 2047 encoded words (B and Q, several charsets), broken MIME
//! (missing boundaries, bad Content-Type parameters, unterminated parts, headers
//! without a blank line), a header of more than 100 KB with long folded lines, base64
//! and quoted-printable parts, reply chains for THREAD, subjects with `Re:`/`Fwd:`/
//! `[list]` prefixes, and messages without a `Date:` or with a bad one.

/// One message of the corpus.
pub(crate) struct Mail {
    /// What the message is about (for failure messages).
    pub(crate) what: &'static str,
    /// The message as appended.
    pub(crate) raw: Vec<u8>,
    /// The INTERNALDATE given to APPEND.
    pub(crate) internal_date: &'static str,
    /// The flags given to APPEND.
    pub(crate) flags: &'static str,
}

/// `text` with every LF turned into CRLF (the corpus is written with LF).
fn crlf(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + text.len() / 20);
    for &b in text {
        if b == b'\n' {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

/// Base64 of `data` in lines of 76 characters, each ending with LF.
pub(crate) fn base64(data: &[u8]) -> String {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(data);
    let mut out = String::with_capacity(encoded.len() + encoded.len() / 76 + 1);
    for line in encoded.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        out.push('\n');
    }
    out
}

/// Bytes that look like a small binary file (every octet value, twice).
fn binary_blob() -> Vec<u8> {
    (0..512u32).map(|i| (i * 7 % 256) as u8).collect()
}

fn mail(what: &'static str, date: &'static str, flags: &'static str, raw: Vec<u8>) -> Mail {
    Mail {
        what,
        raw,
        internal_date: date,
        flags,
    }
}

/// A message written with LF line ends, appended with CRLF.
fn text(what: &'static str, date: &'static str, flags: &'static str, body: &str) -> Mail {
    mail(what, date, flags, crlf(body.as_bytes()))
}

/// The whole corpus, in the order it is appended (UID 1 first).
pub(crate) fn corpus() -> Vec<Mail> {
    let mut all = Vec::new();
    all.extend(structure());
    all.extend(encodings());
    all.extend(broken());
    all.extend(threads());
    all.extend(odd_headers());
    all
}

/// Well-formed MIME structures.
fn structure() -> Vec<Mail> {
    let pdf = base64(&binary_blob());
    let png = base64(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR tiny image bytes");
    vec![
        text(
            "plain ASCII with every address field",
            "01-Jan-2024 09:00:00 +0000",
            "\\Seen",
            "Return-Path: <alice@example.org>\n\
             From: Alice Example <alice@example.org>\n\
             Sender: list-bounces@lists.example.org\n\
             Reply-To: Team <team@example.org>\n\
             To: Bob <bob@example.net>, carol@example.com\n\
             Cc: \"Dave, D.\" <dave@example.com>\n\
             Bcc: eve@example.com\n\
             Subject: Quarterly report\n\
             Date: Mon, 1 Jan 2024 10:00:00 +0100\n\
             Message-ID: <plain-1@example.org>\n\
             X-Mailer: corpus 1.0\n\
             \n\
             Hello Bob,\n\
             the quarterly report is attached to the next message.\n\
             Regards, Alice\n",
        ),
        text(
            "multipart/alternative with quoted-printable HTML",
            "02-Jan-2024 23:30:00 -0500",
            "\\Seen \\Answered",
            "From: Carol <carol@example.com>\n\
             To: Alice Example <alice@example.org>\n\
             Subject: Meeting notes\n\
             Date: Tue, 2 Jan 2024 23:30:00 -0500\n\
             Message-ID: <alt-2@example.com>\n\
             MIME-Version: 1.0\n\
             Content-Type: multipart/alternative; boundary=\"alt-boundary\"\n\
             \n\
             This is a multi-part message in MIME format.\n\
             --alt-boundary\n\
             Content-Type: text/plain; charset=utf-8; format=flowed\n\
             Content-Transfer-Encoding: quoted-printable\n\
             \n\
             Notes: caf=C3=A9 at ten, then the =E2=80=9Cbig=E2=80=9D review. This line=\n\
              is soft-broken.\n\
             --alt-boundary\n\
             Content-Type: text/html; charset=\"utf-8\"\n\
             Content-Transfer-Encoding: quoted-printable\n\
             \n\
             <p>Notes: caf=C3=A9 at <b>ten</b></p>=0D=0A<p>a=3Db</p>\n\
             --alt-boundary--\n\
             epilogue text\n",
        ),
        text(
            "multipart/mixed with nested alternative and base64 attachments",
            "03-Jan-2024 00:00:01 +0000",
            "\\Flagged",
            &format!(
                "From: Alice Example <alice@example.org>\n\
                 To: Bob <bob@example.net>\n\
                 Subject: Report with attachments\n\
                 Date: Wed, 3 Jan 2024 00:00:01 +0000\n\
                 Message-ID: <mixed-3@example.org>\n\
                 MIME-Version: 1.0\n\
                 Content-Type: multipart/mixed;\n\
                 \tboundary=\"outer\"; report-type=none\n\
                 Content-Language: en\n\
                 \n\
                 preamble\n\
                 --outer\n\
                 Content-Type: multipart/alternative; boundary=inner\n\
                 \n\
                 --inner\n\
                 Content-Type: text/plain\n\
                 \n\
                 See the report attached.\n\
                 --inner\n\
                 Content-Type: text/html; charset=us-ascii\n\
                 Content-ID: <html-part@example.org>\n\
                 Content-Description: HTML version\n\
                 \n\
                 <p>See the report attached.</p>\n\
                 --inner--\n\
                 --outer\n\
                 Content-Type: application/pdf; name=\"report.pdf\"\n\
                 Content-Transfer-Encoding: base64\n\
                 Content-Disposition: attachment; filename=\"report.pdf\"; size=512\n\
                 Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\n\
                 Content-Language: en, de\n\
                 Content-Location: http://example.org/report.pdf\n\
                 \n\
                 {pdf}--outer\n\
                 Content-Type: image/png\n\
                 Content-Transfer-Encoding: BASE64\n\
                 Content-Disposition: inline\n\
                 Content-ID: <image@example.org>\n\
                 \n\
                 {png}\n\
                 --outer--\n"
            ),
        ),
        text(
            "forwarded message/rfc822 holding a multipart",
            "04-Jan-2024 12:00:00 +0200",
            "",
            "From: Bob <bob@example.net>\n\
             To: Carol <carol@example.com>\n\
             Subject: Fwd: Report with attachments\n\
             Date: Thu, 4 Jan 2024 12:00:00 +0200\n\
             Message-ID: <fwd-4@example.net>\n\
             MIME-Version: 1.0\n\
             Content-Type: multipart/mixed; boundary=\"fwd\"\n\
             \n\
             --fwd\n\
             Content-Type: text/plain; charset=us-ascii\n\
             \n\
             Forwarding this.\n\
             --fwd\n\
             Content-Type: message/rfc822\n\
             Content-Disposition: attachment; filename=\"original.eml\"\n\
             \n\
             From: Alice Example <alice@example.org>\n\
             To: Bob <bob@example.net>\n\
             Subject: Original report\n\
             Date: Wed, 3 Jan 2024 00:00:01 +0000\n\
             Message-ID: <orig@example.org>\n\
             Content-Type: multipart/alternative; boundary=\"orig-alt\"\n\
             \n\
             --orig-alt\n\
             Content-Type: text/plain\n\
             \n\
             original text\n\
             --orig-alt\n\
             Content-Type: text/enriched\n\
             \n\
             <bold>original</bold> text\n\
             --orig-alt--\n\
             \n\
             --fwd--\n",
        ),
        text(
            "message/rfc822 nested twice, inner one in a multipart",
            "05-Jan-2024 08:15:00 +0000",
            "\\Seen $Forwarded",
            "From: Dave <dave@example.com>\n\
             To: Bob <bob@example.net>\n\
             Subject: Fwd: Fwd: nested\n\
             Date: Fri, 5 Jan 2024 08:15:00 +0000\n\
             Message-ID: <nest-5@example.com>\n\
             MIME-Version: 1.0\n\
             Content-Type: message/rfc822\n\
             \n\
             From: Carol <carol@example.com>\n\
             To: Dave <dave@example.com>\n\
             Subject: Fwd: nested\n\
             Date: Thu, 4 Jan 2024 18:00:00 +0000\n\
             MIME-Version: 1.0\n\
             Content-Type: multipart/mixed; boundary=\"lvl2\"\n\
             \n\
             --lvl2\n\
             Content-Type: text/plain\n\
             \n\
             second level text\n\
             --lvl2\n\
             Content-Type: message/rfc822; name=\"inner.eml\"\n\
             Content-Description: innermost message\n\
             \n\
             From: =?utf-8?q?Zo=C3=AB?= <zoe@example.com>\n\
             To: Carol <carol@example.com>\n\
             Subject: =?utf-8?b?aW5uZXJtb3N0IMOcYmVyc2ljaHQ=?=\n\
             Date: Wed, 3 Jan 2024 07:00:00 -0800\n\
             Content-Type: multipart/alternative; boundary=\"lvl3\"\n\
             \n\
             --lvl3\n\
             Content-Type: text/plain; charset=utf-8\n\
             Content-Transfer-Encoding: base64\n\
             \n\
             aW5uZXJtb3N0IHRleHQ6IMOcYmVyc2ljaHQgbmVlZGxlLWRlZXA=\n\
             --lvl3\n\
             Content-Type: text/html; charset=utf-8\n\
             \n\
             <i>innermost</i>\n\
             --lvl3--\n\
             --lvl2--\n",
        ),
        text(
            "multipart/digest with default message/rfc822 parts",
            "06-Jan-2024 10:00:00 +0000",
            "",
            "From: digest@lists.example.org\n\
             To: subscribers@lists.example.org\n\
             Subject: [list] Digest, Vol 12\n\
             Date: Sat, 6 Jan 2024 10:00:00 +0000\n\
             Message-ID: <digest-6@lists.example.org>\n\
             Content-Type: multipart/digest; boundary=\"dig\"\n\
             \n\
             --dig\n\
             \n\
             From: one@example.com\n\
             Subject: first digest entry\n\
             \n\
             entry one\n\
             --dig\n\
             Content-Type: message/rfc822\n\
             \n\
             From: two@example.com\n\
             Subject: second digest entry\n\
             \n\
             entry two\n\
             --dig\n\
             Content-Type: text/plain\n\
             \n\
             not a message\n\
             --dig--\n",
        ),
        text(
            "RFC 2231 parameters, continuations and a boundary with spaces",
            "07-Jan-2024 10:00:00 +0000",
            "",
            "From: Erin <erin@example.com>\n\
             To: bob@example.net\n\
             Subject: parameters\n\
             Date: Sun, 7 Jan 2024 10:00:00 +0000\n\
             Content-Type: multipart/mixed; boundary=\"with spaces and 'quotes'\"\n\
             \n\
             --with spaces and 'quotes'\n\
             Content-Type: application/octet-stream;\n\
             \tname*0*=utf-8''%E2%82%AC%20rates;\n\
             \tname*1=\" 2024.txt\"\n\
             Content-Disposition: attachment;\n\
             \tfilename*=iso-8859-1'en'%A3%20rates.txt; creation-date=\"Sun, 7 Jan 2024 10:00:00 +0000\"\n\
             \n\
             rates\n\
             --with spaces and 'quotes'\n\
             Content-Type: TEXT/Plain; CharSet=ISO-8859-1; Format=Flowed; DelSp=Yes\n\
             Content-Transfer-Encoding: 8BIT\n\
             \n\
             mixed case types\n\
             --with spaces and 'quotes'--\n",
        ),
    ]
}

/// 8-bit data, RFC 2047 words, base64 and quoted-printable bodies.
fn encodings() -> Vec<Mail> {
    let latin1_body = b"From: Fran\xe7ois <francois@example.fr>\n\
To: =?ISO-8859-1?Q?J=FCrgen_M=FCller?= <juergen@example.de>\n\
Subject: Caf\xe9 cr\xe8me (raw Latin-1 header)\n\
Date: Mon, 8 Jan 2024 14:00:00 +0100\n\
Message-ID: <latin1-8@example.fr>\n\
MIME-Version: 1.0\n\
Content-Type: text/plain; charset=iso-8859-1\n\
Content-Transfer-Encoding: 8bit\n\
\n\
Le caf\xe9 est pr\xeat. Gr\xfc\xdfe aus M\xfcnchen, \xa3 and \xb5.\n";
    let utf8_text = base64("Grüße aus Köln: Straße, ΟΔΟΣ, 東京 needle-b64\n".as_bytes());
    vec![
        text(
            "8-bit UTF-8 header and body",
            "08-Jan-2024 09:00:00 +0000",
            "\\Seen",
            "From: Jürgen Müller <juergen@example.de>\n\
             To: Zoë <zoe@example.com>\n\
             Subject: Grüße aus München — Übersicht\n\
             Date: Mon, 8 Jan 2024 09:00:00 +0100\n\
             Message-ID: <utf8-7@example.de>\n\
             MIME-Version: 1.0\n\
             Content-Type: text/plain; charset=utf-8\n\
             Content-Transfer-Encoding: 8bit\n\
             \n\
             Schöne Grüße, the Straße is wide. Ελληνικά. 日本語のテキスト.\n",
        ),
        mail(
            "8-bit Latin-1 header and body",
            "08-Jan-2024 15:00:00 +0100",
            "",
            crlf(latin1_body),
        ),
        text(
            "RFC 2047 words in several charsets, B and Q",
            "09-Jan-2024 10:00:00 +0000",
            "",
            "From: =?ISO-8859-1?Q?Andr=E9?= Pirard <pirard@example.be>\n\
             To: =?KOI8-R?B?8NLJ18XU?= <privet@example.ru>,\n\
             \x20=?iso-8859-15?q?=A4uro_Desk?= <euro@example.eu>\n\
             Cc: =?windows-1252?Q?=93Quoted=94_Name?= <quoted@example.com>\n\
             Subject: =?UTF-8?B?w5xiZXJzaWNodA==?= =?UTF-8?Q?_und_Gr=C3=BC=C3=9Fe?=\n\
             \x20=?ISO-8859-2?Q?=BFaba?= plain\n\
             Date: Tue, 9 Jan 2024 10:00:00 +0000\n\
             Message-ID: <rfc2047-9@example.be>\n\
             X-Encoded: =?utf-8?q?needle=5Fin=5Fheader?=\n\
             \n\
             encoded words above\n",
        ),
        text(
            "RFC 2047 in Asian charsets",
            "10-Jan-2024 10:00:00 +0900",
            "",
            "From: =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <yamada@example.jp>\n\
             To: =?GB2312?B?1tDOxA==?= <zhong@example.cn>\n\
             Cc: =?Big5?B?pKSk5Q==?= <big5@example.tw>\n\
             Subject: =?Shift_JIS?B?k/qWe4zq?= =?EUC-KR?B?x9GxuQ==?=\n\
             Date: Wed, 10 Jan 2024 10:00:00 +0900\n\
             Message-ID: <asian-10@example.jp>\n\
             \n\
             asian charsets\n",
        ),
        text(
            "malformed encoded words",
            "11-Jan-2024 10:00:00 +0000",
            "",
            "From: \"=?utf-8?q?Quoted_Word?=\" <quoted-word@example.com>\n\
             To: =?unknown-charset?q?strange?= <strange@example.com>\n\
             Subject: =?utf-8?q?unterminated word Re: =?utf-8?x?bad_encoding?= tail\n\
             Date: Thu, 11 Jan 2024 10:00:00 +0000\n\
             Message-ID: <badwords-11@example.com>\n\
             \n\
             malformed encoded words\n",
        ),
        text(
            "base64 text and binary parts",
            "12-Jan-2024 10:00:00 +0000",
            "\\Seen \\Flagged",
            &format!(
                "From: Bob <bob@example.net>\n\
                 To: Alice Example <alice@example.org>\n\
                 Subject: base64 parts\n\
                 Date: Fri, 12 Jan 2024 10:00:00 +0000\n\
                 Message-ID: <b64-12@example.net>\n\
                 MIME-Version: 1.0\n\
                 Content-Type: multipart/mixed; boundary=b64\n\
                 \n\
                 --b64\n\
                 Content-Type: text/plain; charset=UTF-8\n\
                 Content-Transfer-Encoding: base64\n\
                 \n\
                 {utf8_text}--b64\n\
                 Content-Type: application/octet-stream\n\
                 Content-Transfer-Encoding: base64\n\
                 \n\
                 {blob}--b64\n\
                 Content-Type: text/plain; charset=us-ascii\n\
                 Content-Transfer-Encoding: base64\n\
                 \n\
                 bm8gcGFkZGluZw\n\
                 --b64--\n",
                blob = base64(&binary_blob()),
            ),
        ),
        text(
            "quoted-printable edge cases",
            "13-Jan-2024 10:00:00 +0000",
            "",
            "From: Carol <carol@example.com>\n\
             To: Bob <bob@example.net>\n\
             Subject: quoted-printable\n\
             Date: Sat, 13 Jan 2024 10:00:00 +0000\n\
             Message-ID: <qp-13@example.com>\n\
             MIME-Version: 1.0\n\
             Content-Type: text/plain; charset=iso-8859-1\n\
             Content-Transfer-Encoding: quoted-printable\n\
             \n\
             Caf=E9 cr=e8me, trailing spaces   \n\
             soft=\n\
             break and =3D sign, tab\t=09end\n\
             needle=2Dqp and a long line that goes on and on and on and on and on =\n\
             and on\n",
        ),
        text(
            "single-part base64 message with CRLF inside",
            "14-Jan-2024 10:00:00 +0000",
            "\\Draft",
            &format!(
                "From: Dave <dave@example.com>\n\
                 To: Bob <bob@example.net>\n\
                 Subject: single base64\n\
                 Date: Sun, 14 Jan 2024 10:00:00 +0000\n\
                 Message-ID: <single-b64-14@example.com>\n\
                 Content-Type: text/plain; charset=utf-8\n\
                 Content-Transfer-Encoding: base64\n\
                 \n\
                 {}",
                base64("line one\r\nline two ünïcödé\r\n".as_bytes())
            ),
        ),
    ]
}

/// Broken MIME.
fn broken() -> Vec<Mail> {
    vec![
        text(
            "multipart without boundary parameter",
            "15-Jan-2024 10:00:00 +0000",
            "",
            "From: broken@example.com\n\
             Subject: no boundary\n\
             Date: Mon, 15 Jan 2024 10:00:00 +0000\n\
             Content-Type: multipart/mixed\n\
             \n\
             --x\n\
             Content-Type: text/plain\n\
             \n\
             lost part\n\
             --x--\n",
        ),
        text(
            "multipart whose boundary never appears",
            "15-Jan-2024 11:00:00 +0000",
            "",
            "From: broken@example.com\n\
             Subject: missing boundaries\n\
             Date: Mon, 15 Jan 2024 11:00:00 +0000\n\
             Content-Type: multipart/mixed; boundary=\"never-used\"\n\
             \n\
             just text, no parts\n\
             --almost-never-used\n\
             more text\n",
        ),
        text(
            "unterminated multipart, nested part cut short",
            "15-Jan-2024 12:00:00 +0000",
            "",
            "From: broken@example.com\n\
             Subject: unterminated\n\
             Date: Mon, 15 Jan 2024 12:00:00 +0000\n\
             Content-Type: multipart/mixed; boundary=\"a\"\n\
             \n\
             --a\n\
             Content-Type: text/plain\n\
             \n\
             first part\n\
             --a\n\
             Content-Type: multipart/alternative; boundary=\"b\"\n\
             \n\
             --b\n\
             Content-Type: text/plain\n\
             \n\
             inner part never closed\n\
             --a\n\
             Content-Type: text/plain\n\
             \n\
             last part, no close delimiter",
        ),
        text(
            "bad Content-Type parameters",
            "16-Jan-2024 10:00:00 +0000",
            "",
            "From: broken@example.com\n\
             Subject: bad params\n\
             Date: Tue, 16 Jan 2024 10:00:00 +0000\n\
             Content-Type: multipart/mixed; boundary=\"p\"\n\
             \n\
             --p\n\
             Content-Type: text/plain; charset=\"utf-8; format=flowed\n\
             \n\
             unterminated quote\n\
             --p\n\
             Content-Type: text/plain; ; =novalue; charset; name=\"a b\"; x=\n\
             \n\
             empty params\n\
             --p\n\
             Content-Type: text\n\
             \n\
             no subtype\n\
             --p\n\
             Content-Type: /html\n\
             \n\
             no type\n\
             --p\n\
             Content-Type: text/plain charset=utf-8\n\
             Content-Transfer-Encoding: x-uuencode\n\
             \n\
             no semicolon and an unknown encoding\n\
             --p\n\
             Content-Type: image/jpeg; name=photo.jpg (a comment); x-extra = \"spaced\"\n\
             Content-Disposition: attachment; filename=photo.jpg;\n\
             \n\
             jpeg\n\
             --p--\n",
        ),
        text(
            "headers without a blank line before the body",
            "17-Jan-2024 10:00:00 +0000",
            "",
            "From: broken@example.com\n\
             Subject: no separator\n\
             Date: Wed, 17 Jan 2024 10:00:00 +0000\n\
             This line is not a header field\n\
             and the body follows without a blank line\n",
        ),
        text(
            "part headers without a blank line",
            "17-Jan-2024 11:00:00 +0000",
            "",
            "From: broken@example.com\n\
             Subject: part without separator\n\
             Date: Wed, 17 Jan 2024 11:00:00 +0000\n\
             Content-Type: multipart/mixed; boundary=sep\n\
             \n\
             --sep\n\
             Content-Type: text/plain\n\
             X-Header-Only: yes\n\
             --sep\n\
             Content-Type: message/rfc822\n\
             \n\
             Subject: inner without body\n\
             From: inner@example.com\n\
             --sep\n\
             \n\
             body without part headers\n\
             --sep--\n",
        ),
        mail(
            "header only, no body and no blank line",
            "18-Jan-2024 10:00:00 +0000",
            "",
            crlf(
                b"From: headeronly@example.com\n\
Subject: header only\n\
Date: Thu, 18 Jan 2024 10:00:00 +0000",
            ),
        ),
        text(
            "boundaries that prefix each other",
            "18-Jan-2024 11:00:00 +0000",
            "",
            "From: broken@example.com\n\
             Subject: prefix boundaries\n\
             Date: Thu, 18 Jan 2024 11:00:00 +0000\n\
             Content-Type: multipart/mixed; boundary=\"b\"\n\
             \n\
             --b\n\
             Content-Type: multipart/alternative; boundary=\"bb\"\n\
             \n\
             --bb\n\
             \n\
             inner one\n\
             --bbb\n\
             not a boundary of either? it starts with --bb\n\
             --bb--\n\
             --b\n\
             \n\
             outer two\n\
             --b--trailing garbage\n\
             epilogue\n",
        ),
        mail(
            "bare LF line ends",
            "19-Jan-2024 10:00:00 +0000",
            "",
            b"From: lf@example.com\n\
Subject: bare LF\n\
Date: Fri, 19 Jan 2024 10:00:00 +0000\n\
Content-Type: multipart/mixed; boundary=lf\n\
\n\
--lf\n\
Content-Type: text/plain\n\
\n\
unix line ends\n\
--lf--\n"
                .to_vec(),
        ),
    ]
}

/// Reply chains and subjects for SORT and THREAD.
fn threads() -> Vec<Mail> {
    let t = |what, date, flags, head: &str, body: &str| {
        text(
            what,
            date,
            flags,
            &format!(
                "From: Thread Tester <tt@example.com>\nTo: team@example.org\n{head}\n{body}\n"
            ),
        )
    };
    vec![
        t(
            "thread root",
            "20-Jan-2024 10:00:00 +0000",
            "\\Seen",
            "Subject: Lunch plans\nDate: Sat, 20 Jan 2024 10:00:00 +0000\nMessage-ID: <t1@example.com>\n",
            "where shall we eat?",
        ),
        t(
            "reply by In-Reply-To, with a second From field",
            "20-Jan-2024 11:00:00 +0000",
            "\\Seen \\Answered",
            "From: Bob <bob@example.net>\nSubject: Re: Lunch plans\nDate: Sat, 20 Jan 2024 11:00:00 +0000\n\
             Message-ID: <t2@example.com>\nIn-Reply-To: <t1@example.com>\n",
            "pizza",
        ),
        t(
            "reply by References",
            "20-Jan-2024 12:00:00 +0000",
            "",
            "Subject: RE: Re: Lunch plans\nDate: Sat, 20 Jan 2024 12:00:00 +0000\n\
             Message-ID: <t3@example.com>\nReferences: <t1@example.com>\n <t2@example.com>\n\
             In-Reply-To: <t2@example.com>\n",
            "again pizza",
        ),
        t(
            "list reply to the root",
            "20-Jan-2024 13:00:00 +0000",
            "",
            "Subject: [team] Re: Lunch plans\nDate: Sat, 20 Jan 2024 13:00:00 +0000\n\
             Message-ID: <t4@example.com>\nReferences: <t1@example.com>\n",
            "sushi",
        ),
        t(
            "forward without references",
            "21-Jan-2024 09:00:00 +0000",
            "",
            "Subject: Fwd: Lunch plans\nDate: Sun, 21 Jan 2024 09:00:00 +0000\nMessage-ID: <t5@example.com>\n",
            "forwarded",
        ),
        t(
            "(fwd) trailer",
            "21-Jan-2024 10:00:00 +0000",
            "",
            "Subject: Lunch plans (fwd)\nDate: Sun, 21 Jan 2024 10:00:00 +0000\nMessage-ID: <t6@example.com>\n",
            "trailer",
        ),
        t(
            "reply to a missing parent",
            "22-Jan-2024 10:00:00 +0000",
            "",
            "Subject: Re: Budget\nDate: Mon, 22 Jan 2024 10:00:00 +0000\nMessage-ID: <t7@example.com>\n\
             References: <missing@example.com>\n",
            "budget reply one",
        ),
        t(
            "second reply to the missing parent",
            "22-Jan-2024 11:00:00 +0000",
            "",
            "Subject: Re: Budget\nDate: Mon, 22 Jan 2024 09:00:00 +0000\nMessage-ID: <t8@example.com>\n\
             References: <missing@example.com>\n",
            "budget reply two, sent earlier",
        ),
        t(
            "same base subject, no references",
            "22-Jan-2024 12:00:00 +0000",
            "",
            "Subject: budget\nDate: Mon, 22 Jan 2024 12:00:00 +0000\nMessage-ID: <t9@example.com>\n",
            "new budget thread",
        ),
        t(
            "[Fwd: ...] wrapper",
            "22-Jan-2024 13:00:00 +0000",
            "",
            "Subject: [Fwd: Budget]\nDate: Mon, 22 Jan 2024 13:00:00 +0000\nMessage-ID: <t10@example.com>\n",
            "wrapped forward",
        ),
        t(
            "reference loop, first",
            "23-Jan-2024 10:00:00 +0000",
            "",
            "Subject: loop\nDate: Tue, 23 Jan 2024 10:00:00 +0000\nMessage-ID: <t11@example.com>\n\
             References: <t12@example.com>\n",
            "loop a",
        ),
        t(
            "reference loop, second",
            "23-Jan-2024 11:00:00 +0000",
            "",
            "Subject: Re: loop\nDate: Tue, 23 Jan 2024 11:00:00 +0000\nMessage-ID: <t12@example.com>\n\
             References: <t11@example.com>\n",
            "loop b",
        ),
        t(
            "duplicate Message-ID",
            "23-Jan-2024 12:00:00 +0000",
            "",
            "Subject: Lunch plans\nDate: Tue, 23 Jan 2024 12:00:00 +0000\nMessage-ID: <t1@example.com>\n",
            "same id as the root",
        ),
        t(
            "In-Reply-To with comments and two ids, deep References",
            "23-Jan-2024 13:00:00 +0000",
            "",
            "Subject: Re[2]: Lunch plans\nDate: Tue, 23 Jan 2024 13:00:00 +0000\nMessage-ID: <t14@example.com>\n\
             In-Reply-To: <t3@example.com> (Bob's message) <t2@example.com>\n",
            "re[2]",
        ),
        t(
            "References with a gap and junk",
            "24-Jan-2024 10:00:00 +0000",
            "",
            "Subject: Re: [team] Fw: Lunch plans\nDate: Wed, 24 Jan 2024 10:00:00 +0000\n\
             Message-ID: <t15@example.com>\n\
             References: <t1@example.com> junk <gap@example.com>\n\t<t4@example.com>\n",
            "gap",
        ),
        t(
            "reply subject only",
            "24-Jan-2024 11:00:00 +0000",
            "",
            "Subject: Re:\nDate: Wed, 24 Jan 2024 11:00:00 +0000\nMessage-ID: <t16@example.com>\n",
            "empty base subject",
        ),
        t(
            "no subject at all",
            "24-Jan-2024 12:00:00 +0000",
            "",
            "Date: Wed, 24 Jan 2024 12:00:00 +0000\nMessage-ID: <t17@example.com>\n",
            "no subject",
        ),
        t(
            "Fw and blobs",
            "24-Jan-2024 13:00:00 +0000",
            "",
            "Subject: [a] [b] Fw: Fwd[3]: Quarterly report\nDate: Wed, 24 Jan 2024 13:00:00 +0000\n\
             Message-ID: <t18@example.com>\n",
            "blobs",
        ),
    ]
}

/// Dates, addresses and a huge header.
fn odd_headers() -> Vec<Mail> {
    let mut huge = String::from(
        "From: Huge Header <huge@example.com>\nTo: bob@example.net\nSubject: huge header\n\
         Date: Thu, 25 Jan 2024 10:00:00 +0000\nMessage-ID: <huge-25@example.com>\n",
    );
    // More than 100 KB of header: one long folded field and many more fields.
    huge.push_str("X-Long-Folded: start");
    for i in 0..900 {
        huge.push_str(&format!(
            "\n\tfolded-line-{i:04} {}",
            "abcdefghij".repeat(5)
        ));
    }
    huge.push('\n');
    for i in 0..600 {
        huge.push_str(&format!(
            "X-Filler-{i}: {} needle-huge-{i}\n",
            "x".repeat(60)
        ));
    }
    huge.push_str(&format!("X-Unfolded: {}\n", "y".repeat(4000)));
    huge.push_str("\nsmall body after a huge header\n");
    vec![
        text(
            "no Date header",
            "26-Jan-2024 10:00:00 +0000",
            "",
            "From: nodate@example.com\nTo: bob@example.net\nSubject: no date\n\
             Message-ID: <nodate@example.com>\n\nno date header\n",
        ),
        text(
            "unparsable Date",
            "26-Jan-2024 11:00:00 +0000",
            "",
            "From: baddate@example.com\nTo: bob@example.net\nSubject: bad date\n\
             Date: yesterday afternoon\nMessage-ID: <baddate@example.com>\n\nbad date\n",
        ),
        text(
            "Date with obsolete zone, two-digit year, comment",
            "26-Jan-2024 12:00:00 +0000",
            "",
            "From: olddate@example.com\nTo: bob@example.net\nSubject: obsolete date\n\
             Date: 3 Feb 99 23:59:59 EST (Eastern)\nMessage-ID: <olddate@example.com>\n\nobsolete\n",
        ),
        text(
            "Date near midnight with a far zone",
            "27-Jan-2024 01:00:00 +0000",
            "",
            "From: zone@example.com\nTo: bob@example.net\nSubject: far zone\n\
             Date: Sat, 27 Jan 2024 00:30:00 +1130\nMessage-ID: <zone@example.com>\n\nzone\n",
        ),
        text(
            "Date without weekday, negative zone",
            "27-Jan-2024 02:00:00 +0000",
            "",
            "From: zone2@example.com\nTo: bob@example.net\nSubject: negative zone\n\
             Date: 26 Jan 2024 23:45:00 -0600\nMessage-ID: <zone2@example.com>\n\nzone\n",
        ),
        text(
            "two Date fields",
            "28-Jan-2024 10:00:00 +0000",
            "",
            "From: twodates@example.com\nTo: bob@example.net\nSubject: two dates\n\
             Date: Sun, 28 Jan 2024 10:00:00 +0000\nDate: Mon, 1 Jan 2001 00:00:00 +0000\n\
             Message-ID: <twodates@example.com>\n\ntwo dates\n",
        ),
        text(
            "address edge cases",
            "29-Jan-2024 10:00:00 +0000",
            "\\Flagged $Work",
            "From: \"Last, First\" <first.last@example.com> (comment)\n\
             To: undisclosed-recipients:;\n\
             Cc: Group Name: member1@example.com, \"Member Two\" <member2@example.com>;,\n\
             \x20outside@example.com, <@route.example,@other.example:routed@example.com>\n\
             Bcc: nodomain, (only comment) bare@example.com, \"quoted local\"@example.com\n\
             Reply-To:\n\
             Sender: \n\
             Subject: addresses\n\
             Date: Mon, 29 Jan 2024 10:00:00 +0000\n\
             Message-ID: <addresses@example.com>\n\
             \n\
             addresses\n",
        ),
        text(
            "large message",
            "30-Jan-2024 10:00:00 +0000",
            "",
            &format!(
                "From: big@example.com\nTo: bob@example.net\nSubject: large body\n\
                 Date: Tue, 30 Jan 2024 10:00:00 +0000\nMessage-ID: <large@example.com>\n\n{}",
                "0123456789 large body line with words to search through\n".repeat(1200)
            ),
        ),
        text("huge header", "31-Jan-2024 10:00:00 +0000", "", &huge),
        text(
            "case and whitespace in header names",
            "01-Feb-2024 10:00:00 +0000",
            "\\Deleted",
            "FROM: upper@example.com\nto : Spaced <spaced@example.com>\nsubject:no space after colon\n\
             DATE: Thu, 01 Feb 2024 10:00:00 GMT\nmessage-id:<case@example.com>\n\
             content-type: TEXT/PLAIN; CHARSET=US-ASCII\n\nheader case\n",
        ),
    ]
}
