//! Real-looking messages used by several tests (CRLF line ends unless said otherwise).

/// Header of [`PLAIN`] (a macro so `concat!` can build [`PLAIN`] from it).
macro_rules! plain_header {
    () => {
        concat!(
            "Return-Path: <bounce@example.org>\r\n",
            "Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\n",
            "From: Fred Foobar <foobar@Blurdybloop.example>\r\n",
            "Subject: =?utf-8?q?caf=C3=A9?= and\r\n",
            "  more\r\n",
            "To: mooch@owatagu.siam.edu.example, \"Q. Public\" <qp@x.example>\r\n",
            "Cc: Team: a@x.example, \"B b\" <b@y.example>;, c@z.example\r\n",
            "Message-Id: <B27397-0100000@Blurdybloop.example>\r\n",
            "In-Reply-To: <parent@x.example>\r\n",
            "MIME-Version: 1.0\r\n",
            "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n",
            "\r\n",
        )
    };
}

/// Header of [`PLAIN`], blank line included.
pub(super) const PLAIN_HEADER: &str = plain_header!();
/// Body of [`PLAIN`].
pub(super) const PLAIN_BODY: &str = "Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n";
/// A single-part message (the example of RFC 3501 section 8, extended).
pub(super) const PLAIN: &str = concat!(
    plain_header!(),
    "Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n"
);

/// multipart/alternative with a nested multipart/related holding an inline image.
pub(super) const ALTERNATIVE: &str = concat!(
    "From: Ann <ann@example.org>\r\n",
    "Subject: newsletter\r\n",
    "MIME-Version: 1.0\r\n",
    "Content-Type: multipart/alternative; boundary=\"a\"\r\n",
    "\r\n",
    "This is a multi-part message in MIME format.\r\n",
    "--a\r\n",
    "Content-Type: text/plain\r\n",
    "\r\n",
    "plain\r\n",
    "--a\r\n",
    "Content-Type: multipart/related; boundary=\"b\"\r\n",
    "\r\n",
    "--b\r\n",
    "Content-Type: text/html\r\n",
    "\r\n",
    "<b>x</b>\r\n",
    "--b\r\n",
    "Content-Type: image/gif; name=x.gif\r\n",
    "Content-Transfer-Encoding: base64\r\n",
    "Content-Disposition: inline; filename=x.gif\r\n",
    "\r\n",
    "R0lGODlh\r\n",
    "--b--\r\n",
    "--a--\r\n",
);

/// multipart/mixed: a quoted-printable text with every MIME field, a base64
/// attachment with RFC 2231 and RFC 2047 parameters, and an x-uuencode part.
pub(super) const MIXED: &str = concat!(
    "Subject: report\r\n",
    "Content-Type: multipart/mixed; boundary=XX\r\n",
    "\r\n",
    "--XX\r\n",
    "Content-Type: TEXT/plain; CHARSET=\"UTF-8\"; format=flowed\r\n",
    "Content-Transfer-Encoding: Quoted-Printable\r\n",
    "Content-ID: <id1@x>\r\n",
    "Content-Description: a description\r\n",
    "Content-Language: en, de\r\n",
    "Content-Location: http://x.example/a\r\n",
    "Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\r\n",
    "\r\n",
    "caf=C3=A9 soft=\r\n",
    "break =ZZ bad\r\n",
    "--XX\r\n",
    "Content-Type: application/octet-stream; name=\"=?utf-8?q?f=C3=A9.bin?=\"\r\n",
    "Content-Disposition: attachment; filename*0*=utf-8''%E2%82%AC; filename*1=\".txt\";",
    " size=3\r\n",
    "Content-Transfer-Encoding: base64\r\n",
    "\r\n",
    "AAEC\r\n",
    "Aw==\r\n",
    "--XX\r\n",
    "Content-Type: image/png\r\n",
    "Content-Transfer-Encoding: x-uuencode\r\n",
    "Content-Disposition: inline\r\n",
    "Content-Language: fr\r\n",
    "\r\n",
    "begin 644\r\n",
    "--XX--\r\n",
);

/// multipart/mixed with a forwarded message (itself multipart/alternative) and a
/// nested multipart/related; preamble and epilogues.
pub(super) const FORWARD: &str = concat!(
    "Subject: x\r\n",
    "Content-Type: multipart/mixed; boundary=\"b1\"\r\n",
    "\r\n",
    "preamble\r\n",
    "--b1\r\n",
    "Content-Type: text/plain\r\n",
    "\r\n",
    "hello\r\n",
    "--b1\r\n",
    "Content-Type: message/rfc822\r\n",
    "\r\n",
    "Subject: inner\r\n",
    "Content-Type: multipart/alternative; boundary=b2\r\n",
    "\r\n",
    "--b2\r\n",
    "\r\n",
    "inner text\r\n",
    "--b2\r\n",
    "Content-Type: text/html\r\n",
    "\r\n",
    "<p>x</p>\r\n",
    "--b2--\r\n",
    "inner epilogue\r\n",
    "--b1\r\n",
    "Content-Type: multipart/related; boundary=b3\r\n",
    "\r\n",
    "--b3\r\n",
    "\r\n",
    "rel\r\n",
    "--b3--\r\n",
    "\r\n",
    "--b1--\r\n",
    "epilogue\r\n",
);

/// Address fields of every shape: comments, groups, routes, quoted parts, broken ones.
pub(super) const ADDRESSES: &str = concat!(
    "From: john@example.com (John Doe)\r\n",
    "To: undisclosed-recipients:;\r\n",
    "Bcc: foo\r\n",
    "Reply-To: <>\r\n",
    "Sender: \"=?utf-8?q?J=C3=B6rg?=\" <j@x.example>\r\n",
    "Cc: <@r1.example,@r2.example:user@host.example>, Joe   Q.  Public <jqp@x.example>,",
    " \"a\\\"b\" <ab@x>, bad@, @nolocal, x@[1.2.3.4], \"john doe\"@x.example (c1) (c2)\r\n",
    "Subject: s\r\n",
    "\r\n",
    "body",
);

/// Converts CRLF line ends to bare LF (how Dovecot stores messages).
pub(super) fn lf(message: &str) -> String {
    message.replace("\r\n", "\n")
}
