"""Messages: APPEND (flags, dates, MULTIAPPEND, LITERAL+, UTF8 literals, TRYCREATE),
SELECT/EXAMINE responses, FETCH (every item and section form, BINARY, partials,
macros), STORE (+/-FLAGS, .SILENT, keywords), SEARCH and UID SEARCH (keys, ESEARCH
RETURN (MIN MAX COUNT ALL SAVE), SEARCHRES $, WITHIN), SORT (every key), THREAD (both
algorithms), COPY/MOVE and UID variants with COPYUID, EXPUNGE, UID EXPUNGE, CHECK,
CLOSE, UNSELECT."""

import time
import re

from common import *

# --- The corpus. -------------------------------------------------------------------
QP_BODY = b'Gr=C3=BC=C3=9Fe, see the report.\r\n'
B64_BODY = b'AAECAwQFBgcICQ==\r\n'
INNER = (b'From: Dan <dan@example.test>\r\nSubject: Inner\r\n'
         b'Date: Sun, 1 Feb 2026 07:00:00 +0100\r\n\r\ninner body\r\n')
PART1_HEAD = (b'Content-Type: text/plain; charset=utf-8\r\n'
              b'Content-Transfer-Encoding: quoted-printable\r\n')
PART2_HEAD = (b'Content-Type: application/octet-stream; name="data.bin"\r\n'
              b'Content-Transfer-Encoding: base64\r\n'
              b'Content-Disposition: attachment; filename="data.bin"\r\n')
PART3_HEAD = b'Content-Type: message/rfc822\r\n'
REPORT_HEAD = (b'From: Alice <alice@example.test>\r\n'
               b'To: Bob <bob@example.test>, pat@example.test\r\n'
               b'Cc: Carol <carol@example.test>\r\n'
               b'Subject: Report\r\n'
               b'Date: Mon, 2 Feb 2026 08:00:00 +0100\r\n'
               b'Message-ID: <m1@example.test>\r\n'
               b'MIME-Version: 1.0\r\n'
               b'Content-Type: multipart/mixed; boundary="XX"\r\n')
REPORT_TEXT = (b'preamble\r\n--XX\r\n' + PART1_HEAD + b'\r\n' + QP_BODY + b'\r\n--XX\r\n'
               + PART2_HEAD + b'\r\n' + B64_BODY + b'\r\n--XX\r\n' + PART3_HEAD + b'\r\n'
               + INNER + b'\r\n--XX--\r\n')
REPORT = REPORT_HEAD + b'\r\n' + REPORT_TEXT
REPLY = (b'From: Carl <carl@example.test>\r\nTo: Alice <alice@example.test>\r\n'
         b'Subject: Re: Report\r\nDate: Wed, 4 Feb 2026 10:00:00 +0100\r\n'
         b'Message-ID: <m2@example.test>\r\nIn-Reply-To: <m1@example.test>\r\n'
         b'References: <m1@example.test>\r\n\r\nThanks\r\n')
LUNCH = (b'From: Zed <zed@example.test>\r\nTo: Bob <bob@example.test>\r\n'
         b'Subject: Lunch\r\nDate: Tue, 3 Feb 2026 09:00:00 +0100\r\n'
         b'Message-ID: <m3@example.test>\r\n\r\nPizza? The answer is yes.\r\n')
UTF8_MSG = ('From: Jürgen <juergen@example.test>\r\nTo: pat@example.test\r\n'
            'Subject: Grüße aus Köln\r\nDate: Thu, 5 Feb 2026 11:00:00 +0100\r\n'
            'Message-ID: <m4@example.test>\r\nContent-Type: text/plain; charset=utf-8\r\n'
            '\r\nSchöne Grüße\r\n').encode()
REPORT_DATE = '17-Jul-1996 02:44:25 -0700'


def epoch(internaldate):
    """Seconds since 1970 of an INTERNALDATE string."""
    parsed = imaplib.Internaldate2tuple(b'INTERNALDATE "%s"' % internaldate.encode())
    check(parsed is not None, 'bad INTERNALDATE', internaldate)
    return time.mktime(parsed)


def fetch(m, which, what, uid=False):
    if uid:
        data, untagged = ok(m, 'UID', 'FETCH', which, what)
    else:
        data, untagged = ok(m, 'FETCH', which, what)
    return fetches(untagged)


def search(m, *criteria, uid=False):
    if uid:
        data, untagged = ok(m, 'UID', 'SEARCH', *criteria)
    else:
        data, untagged = ok(m, 'SEARCH', *criteria)
    return untagged


def numbers(untagged, kind='SEARCH'):
    lines = untagged.get(kind, [])
    eq(len(lines), 1, '%s responses' % kind)
    return [int(n) for n in lines[0].split()]


m = logged_in()
raw = Raw(m)
# --- APPEND: flags and date, LITERAL+, MULTIAPPEND, UTF8 literals, TRYCREATE. --------
data, untagged = ok(m, 'STATUS', 'INBOX', '(UIDVALIDITY)')
uid_validity = int(re.search(rb'UIDVALIDITY (\d+)', untagged['STATUS'][0]).group(1))
typ, data = m.append('INBOX', '(\\Flagged)', '"%s"' % REPORT_DATE, REPORT)
eq((typ, tagged(data)), ('OK', '[APPENDUID %d 1] APPEND completed' % uid_validity), 'APPEND')
# LITERAL+ (no continuation) and MULTIAPPEND (two messages, one command).
lines, status = raw.command(b'APPEND INBOX () {%d+}\r\n' % len(REPLY) + REPLY
                            + b' ($Work \\Seen) "03-Feb-2026 09:00:00 +0100" {%d}\r\n'
                            % len(LUNCH), LUNCH)
eq(status, b'OK [APPENDUID %d 2:3] APPEND completed' % uid_validity, 'MULTIAPPEND')
# A MULTIAPPEND that fails stores nothing: the second message names a bad flag.
lines, status = raw.command(b'APPEND INBOX {%d+}\r\n' % len(REPLY) + REPLY
                            + b' (\\Bogus) {%d+}\r\n' % len(LUNCH) + LUNCH)
check(status.startswith(b'BAD') or status.startswith(b'NO'), 'bad flag', status)
data, untagged = ok(m, 'STATUS', 'INBOX', '(MESSAGES UIDNEXT)')
eq(untagged['STATUS'], [b'INBOX (MESSAGES 3 UIDNEXT 4)'], 'a failed MULTIAPPEND stores nothing')
try:
    typ, data = m.append('Nowhere', None, None, b'x\r\n')
except imaplib.IMAP4.error as e:
    typ, data = 'BAD', [str(e).encode()]
eq(typ, 'NO', 'APPEND to a missing mailbox')
check(data[0].startswith(b'[TRYCREATE]'), data)
# UTF8 literal (RFC 6855) once UTF8=ACCEPT is enabled.
data, untagged = ok(m, 'ENABLE', 'UTF8=ACCEPT')
lines, status = raw.command(b'APPEND INBOX (\\Draft) UTF8 (~{%d+}\r\n' % len(UTF8_MSG)
                            + UTF8_MSG + b')')
eq(status, b'OK [APPENDUID %d 4] APPEND completed' % uid_validity, 'APPEND UTF8')
SIZES = [len(REPORT), len(REPLY), len(LUNCH), len(UTF8_MSG)]
ok(m, 'NOOP')

# --- SELECT and EXAMINE (IMAP4rev1 session: RECENT and UNSEEN sent). -----------------
data, untagged = ok(m, 'EXAMINE', 'INBOX')
eq(tagged(data), '[READ-ONLY] EXAMINE completed', 'EXAMINE')
eq(untagged['EXISTS'], [b'4'], 'EXISTS')
# \Recent: only the message appended without flags is still in new/. (RFC 3501 wants
# every appended message \Recent; Postroom marks those stored in new/ only.)
eq(untagged['RECENT'], [b'1'], 'RECENT: EXAMINE sees it')
check('\\Recent' in fetch(m, '2', '(FLAGS)')[2].text, 'EXAMINE shows \\Recent')
eq(untagged['UIDVALIDITY'], [b'%d' % uid_validity], 'UIDVALIDITY')
eq(untagged['UIDNEXT'], [b'5'], 'UIDNEXT')
eq(untagged['UNSEEN'], [b'1'], 'first unseen')
eq(untagged['FLAGS'], [b'(\\Seen \\Answered \\Flagged \\Deleted \\Draft $Work)'], 'FLAGS')
eq(untagged['PERMANENTFLAGS'], [b'()'], 'no PERMANENTFLAGS when read-only')
# Read-only: STORE refused, BODY[] does not set \Seen.
no(m, 'STORE', '1', '+FLAGS', '(\\Seen)')
got = fetch(m, '1', '(BODY[TEXT])')
eq(got[1].value('BODY[TEXT]'), REPORT_TEXT, 'BODY[TEXT] read-only')
check('FLAGS' not in got[1].text, 'no \\Seen in a read-only mailbox', got[1])
data, _ = ok(m, 'CHECK')
eq(tagged(data), 'CHECK completed', 'CHECK')
data, untagged = ok(m, 'SELECT', 'INBOX')
eq(tagged(data), '[READ-WRITE] SELECT completed', 'SELECT')
eq(untagged['PERMANENTFLAGS'],
   [b'(\\Seen \\Answered \\Flagged \\Deleted \\Draft $Work \\*)'], 'PERMANENTFLAGS')
eq(untagged['RECENT'], [b'1'], 'RECENT: EXAMINE left it for this session')

# --- FETCH: every item. ------------------------------------------------------------
got = fetch(m, '1:4', '(UID FLAGS RFC822.SIZE INTERNALDATE)')
eq(sorted(got), [1, 2, 3, 4], 'one FETCH per message')
for seq in range(1, 5):
    eq(got[seq].item('UID'), str(seq), 'UID')
    eq(int(got[seq].item('RFC822.SIZE')), SIZES[seq - 1], 'RFC822.SIZE %d' % seq)
eq(got[1].flags(), ['\\Flagged'], 'FLAGS 1')
eq(got[3].flags(), ['$Work', '\\Seen'], 'FLAGS 3')
eq(got[4].flags(), ['\\Draft'], 'FLAGS 4')
date1 = re.search(r'INTERNALDATE "([^"]+)"', got[1].text).group(1)
eq(epoch(date1), epoch(REPORT_DATE), 'INTERNALDATE of APPEND')
date3 = re.search(r'INTERNALDATE "([^"]+)"', got[3].text).group(1)
eq(epoch(date3), epoch('03-Feb-2026 09:00:00 +0100'), 'INTERNALDATE of MULTIAPPEND')
date2 = re.search(r'INTERNALDATE "([^"]+)"', got[2].text).group(1)
check(abs(epoch(date2) - time.time()) < 600, 'INTERNALDATE defaults to now', date2)

got = fetch(m, '2', '(ENVELOPE)')
eq(got[2].paren('ENVELOPE'),
   '("Wed, 4 Feb 2026 10:00:00 +0100" "Re: Report" (("Carl" NIL "carl" "example.test")) '
   '(("Carl" NIL "carl" "example.test")) (("Carl" NIL "carl" "example.test")) '
   '(("Alice" NIL "alice" "example.test")) NIL NIL "<m1@example.test>" '
   '"<m2@example.test>")', 'ENVELOPE')
got = fetch(m, '1', '(ENVELOPE)')
eq(got[1].paren('ENVELOPE'),
   '("Mon, 2 Feb 2026 08:00:00 +0100" "Report" (("Alice" NIL "alice" "example.test")) '
   '(("Alice" NIL "alice" "example.test")) (("Alice" NIL "alice" "example.test")) '
   '(("Bob" NIL "bob" "example.test")(NIL NIL "pat" "example.test")) '
   '(("Carol" NIL "carol" "example.test")) NIL NIL "<m1@example.test>")', 'ENVELOPE 1')

inner_envelope = ('("Sun, 1 Feb 2026 07:00:00 +0100" "Inner" (("Dan" NIL "dan" "example.test")) '
                  '(("Dan" NIL "dan" "example.test")) (("Dan" NIL "dan" "example.test")) '
                  'NIL NIL NIL NIL NIL)')
inner_text = '("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 12 1'
part1 = '("TEXT" "PLAIN" ("CHARSET" "UTF-8") NIL NIL "QUOTED-PRINTABLE" %d 1' % len(QP_BODY)
part2 = '("APPLICATION" "OCTET-STREAM" ("NAME" "DATA.BIN") NIL NIL "BASE64" %d' % len(B64_BODY)
part3 = '("MESSAGE" "RFC822" NIL NIL NIL "7BIT" %d %s ' % (len(INNER), inner_envelope)
lines3 = INNER.count(b'\n')
body = '(%s)%s)%s%s) %d) "MIXED")' % (part1, part2, part3, inner_text, lines3)
got = fetch(m, '1', '(BODY)')
eq(got[1].paren('BODY').upper(), body.upper(), 'BODY of the multipart')
structure = ('(%s NIL NIL NIL NIL)%s NIL ("ATTACHMENT" ("FILENAME" "DATA.BIN")) NIL NIL)'
             '%s%s NIL NIL NIL NIL) %d NIL NIL NIL NIL) "MIXED" ("BOUNDARY" "XX") NIL NIL NIL)') % (
    part1, part2, part3, inner_text, lines3)
got = fetch(m, '1', '(BODYSTRUCTURE)')
eq(got[1].paren('BODYSTRUCTURE').upper(), structure.upper(), 'BODYSTRUCTURE of the multipart')
got = fetch(m, '2', '(BODYSTRUCTURE)')
eq(got[2].paren('BODYSTRUCTURE').upper(),
   '("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 8 1 NIL NIL NIL NIL)',
   'BODYSTRUCTURE of a plain message')

# Sections, all with BODY.PEEK (no \Seen yet).
sections = {
    'BODY[]': REPORT,
    'BODY[HEADER]': REPORT_HEAD + b'\r\n',
    'BODY[TEXT]': REPORT_TEXT,
    'BODY[1]': QP_BODY,
    'BODY[1.MIME]': PART1_HEAD + b'\r\n',
    'BODY[2]': B64_BODY,
    'BODY[2.MIME]': PART2_HEAD + b'\r\n',
    'BODY[3]': INNER,
    'BODY[3.HEADER]': INNER.split(b'\r\n\r\n')[0] + b'\r\n\r\n',
    'BODY[3.TEXT]': b'inner body\r\n',
    'BODY[3.1]': b'inner body\r\n',
    'BODY[HEADER.FIELDS (SUBJECT CC)]': b'Cc: Carol <carol@example.test>\r\n'
                                        b'Subject: Report\r\n\r\n',
    'BODY[3.HEADER.FIELDS (FROM)]': b'From: Dan <dan@example.test>\r\n\r\n',
    'BODY[HEADER.FIELDS.NOT (FROM TO CC SUBJECT DATE MESSAGE-ID)]':
        b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="XX"\r\n\r\n',
}
for name, want in sections.items():
    peek = name.replace('BODY[', 'BODY.PEEK[', 1)
    got = fetch(m, '1', '(%s)' % peek)
    eq(got[1].value(name), want, name)
    check('FLAGS' not in got[1].text, 'PEEK sets no flag', name, got[1].text)
# Partial fetches: <origin.count>, answered as BODY[...]<origin>.
got = fetch(m, '1', '(BODY.PEEK[]<6.5> BODY.PEEK[TEXT]<0.8> BODY.PEEK[1]<1000.5>)')
eq(got[1].value('BODY[]<6>'), REPORT[6:11], 'BODY[]<6.5>')
eq(got[1].value('BODY[TEXT]<0>'), b'preamble', 'BODY[TEXT]<0.8>')
eq(got[1].value('BODY[1]<1000>'), b'', 'partial beyond the end is empty')
# BINARY: the decoded content, its size, partials; a message/rfc822 part as is.
got = fetch(m, '1', '(BINARY.PEEK[1] BINARY.PEEK[2] BINARY.SIZE[1] BINARY.SIZE[2] '
                    'BINARY.PEEK[2]<2.3> BINARY.PEEK[3])')
eq(got[1].value('BINARY[1]'), 'Grüße, see the report.\r\n'.encode(), 'BINARY[1] (QP)')
eq(got[1].value('BINARY[2]'), bytes(range(10)), 'BINARY[2] (base64)')
eq(got[1].value('BINARY[2]<2>'), bytes([2, 3, 4]), 'BINARY[2]<2.3>')
eq(got[1].item('BINARY.SIZE[1]'), str(len('Grüße, see the report.\r\n'.encode())), 'SIZE[1]')
eq(got[1].item('BINARY.SIZE[2]'), '10', 'BINARY.SIZE[2]')
eq(got[1].value('BINARY[3]'), INNER, 'BINARY of a message/rfc822 part')
# RFC822 forms, macros.
got = fetch(m, '2', '(RFC822.HEADER RFC822.TEXT)')
eq(got[2].value('RFC822.HEADER'), REPLY.split(b'\r\n\r\n')[0] + b'\r\n\r\n', 'RFC822.HEADER')
eq(got[2].value('RFC822.TEXT'), b'Thanks\r\n', 'RFC822.TEXT')
eq(got[2].flags(), ['\\Seen'], 'RFC822.TEXT sets \\Seen and reports it')
got = fetch(m, '3', 'FAST')
check(re.fullmatch(r'3 \(FLAGS \([^)]*\) INTERNALDATE "[^"]+" RFC822.SIZE %d\)'
                   % len(LUNCH), got[3].text), 'FAST', got[3].text)
eq(got[3].flags(), ['$Work', '\\Seen'], 'FAST flags')
got = fetch(m, '3', 'ALL')
for name in ('FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE'):
    check(name in got[3].text, 'ALL has', name, got[3].text)
got = fetch(m, '2', 'FULL')
for name in ('FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODY ('):
    check(name in got[2].text, 'FULL has', name, got[2].text)
check('BODYSTRUCTURE' not in got[2].text, 'FULL has BODY, not BODYSTRUCTURE')
# Non-peek BODY[] and RFC822 set \Seen and report it.
got = fetch(m, '2', '(RFC822)')
eq(got[2].value('RFC822'), REPLY, 'RFC822')
check('FLAGS' not in got[2].text, 'no FLAGS when nothing changed', got[2].text)
got = fetch(m, '4', '(BODY[])')
eq(got[4].value('BODY[]'), UTF8_MSG, 'BODY[] of the UTF-8 message')
eq(got[4].flags(), ['\\Draft', '\\Seen'], 'BODY[] sets \\Seen')
# UID FETCH answers with the UID; ranges by UID; `*`.
got = fetch(m, '2:*', '(FLAGS)', uid=True)
eq(sorted(got), [2, 3, 4], 'UID FETCH 2:*')
eq(got[3].item('UID'), '3', 'UID FETCH includes UID')
got = fetch(m, '*', '(UID)')
eq(list(got), [4], 'FETCH *')
bad(m, 'FETCH', '5', '(FLAGS)')

# --- STORE: +FLAGS, -FLAGS, FLAGS, .SILENT, keywords, UID STORE. -------------------
data, untagged = ok(m, 'STORE', '1', '+FLAGS', '(\\Answered $Label1)')
eq(fetches(untagged)[1].flags(), ['$Label1', '\\Answered', '\\Flagged'], '+FLAGS')
data, untagged = ok(m, 'STORE', '1', '-FLAGS', '(\\Flagged)')
eq(fetches(untagged)[1].flags(), ['$Label1', '\\Answered'], '-FLAGS')
data, untagged = ok(m, 'STORE', '1', 'FLAGS', '(\\Flagged $Label2)')
eq(fetches(untagged)[1].flags(), ['$Label2', '\\Flagged'], 'FLAGS replaces')
data, untagged = ok(m, 'STORE', '1:2', '+FLAGS.SILENT', '(\\Answered)')
check('FETCH' not in untagged, '.SILENT sends no FETCH', untagged)
data, untagged = ok(m, 'UID', 'STORE', '2', '-FLAGS', '(\\Answered)')
eq(fetches(untagged)[2].text, '2 (UID 2 FLAGS (\\Seen \\Recent))', 'UID STORE answer')
got = fetch(m, '1', '(FLAGS)')
eq(got[1].flags(), ['$Label2', '\\Answered', '\\Flagged'], 'after .SILENT')
data, untagged = ok(m, 'SELECT', 'INBOX')
check(b'$Label2' in untagged['FLAGS'][0] and b'$Label1' not in untagged['FLAGS'][0],
      'FLAGS lists the keywords in use', untagged['FLAGS'])

# --- SEARCH: keys, sets, OR/NOT nesting, dates, sizes, charset. --------------------
# Flags now: 1 \Answered \Flagged $Label2; 2 \Seen; 3 \Seen $Work; 4 \Draft \Seen.
cases = [
    (('ALL',), [1, 2, 3, 4]),
    (('SEEN',), [2, 3, 4]),
    (('UNSEEN',), [1]),
    (('FLAGGED',), [1]),
    (('UNFLAGGED', 'SEEN'), [2, 3, 4]),
    (('ANSWERED',), [1]),
    (('UNANSWERED',), [2, 3, 4]),
    (('DRAFT',), [4]),
    (('UNDRAFT',), [1, 2, 3]),
    (('DELETED',), []),
    (('UNDELETED',), [1, 2, 3, 4]),
    (('KEYWORD', '$Work'), [3]),
    (('UNKEYWORD', '$Work'), [1, 2, 4]),
    (('FROM', 'carl'), [2]),
    (('TO', 'bob'), [1, 3]),
    (('CC', 'carol'), [1]),
    (('BCC', 'anyone'), []),
    (('SUBJECT', 'report'), [1, 2]),
    (('BODY', 'pizza'), [3]),
    (('TEXT', 'Carol'), [1]),
    (('HEADER', 'In-Reply-To', '<m1@'), [2]),
    (('HEADER', 'Message-ID', '""'), [1, 2, 3, 4]),
    (('LARGER', str(len(LUNCH))), [i + 1 for i, s in enumerate(SIZES) if s > len(LUNCH)]),
    (('SMALLER', str(len(REPLY) + 1)), [i + 1 for i, s in enumerate(SIZES)
                                        if s < len(REPLY) + 1]),
    (('BEFORE', '1-Jan-2000'), [1]),
    (('ON', '17-Jul-1996'), [1]),
    (('SINCE', '1-Jan-2000'), [2, 3, 4]),
    (('SENTBEFORE', '3-Feb-2026'), [1]),
    (('SENTON', '3-Feb-2026'), [3]),
    (('SENTSINCE', '4-Feb-2026'), [2, 4]),
    (('2:3',), [2, 3]),
    (('UID', '1,4'), [1, 4]),
    (('*',), [4]),
    (('OR', 'FROM', 'zed', 'FROM', 'carl'), [2, 3]),
    (('NOT', 'SEEN'), [1]),
    (('(OR SEEN FLAGGED)', 'NOT', '(OR DRAFT KEYWORD $Work)'), [1, 2]),
    (('NEW',), []),
    (('OLD',), [1, 2, 3, 4]),
    (('RECENT',), []),
]
for criteria, want in cases:
    eq(numbers(search(m, *criteria)), want, 'SEARCH %s' % ' '.join(criteria))
eq(numbers(search(m, 'CHARSET', 'UTF-8', 'SUBJECT', '"Grüße"'.encode())), [4], 'CHARSET UTF-8')
eq(numbers(search(m, 'FROM', '"Jürgen"'.encode())), [4], 'UTF-8 string once UTF8=ACCEPT')
eq(numbers(search(m, 'BODY', '"Grüße"'.encode())), [1, 4], 'BODY decodes QP and charsets')
no(m, 'SEARCH', 'CHARSET', 'X-UNKNOWN', 'ALL', code='BADCHARSET')
eq(numbers(search(m, 'SEEN', uid=True)), [2, 3, 4], 'UID SEARCH')

# ESEARCH (RFC 4731) and SEARCHRES (RFC 5182).
def esearch(untagged, uid=False):
    """The ESEARCH result as {name: value}, checking the tag correlator and UID."""
    lines = untagged.get('ESEARCH', [])
    eq(len(lines), 1, 'one ESEARCH')
    found = re.fullmatch(r'\(TAG "[^"]+"\)( UID)?((?: [A-Z]+ [^ ]+)*)', lines[0].decode())
    check(found, 'ESEARCH', lines[0])
    eq(bool(found.group(1)), uid, 'ESEARCH UID marker')
    words = found.group(2).split()
    return dict(zip(words[::2], words[1::2]))


data, untagged = ok(m, 'SEARCH', 'RETURN', '(MIN MAX COUNT ALL)', 'SEEN')
eq(esearch(untagged), {'MIN': '2', 'MAX': '4', 'COUNT': '3', 'ALL': '2:4'}, 'ESEARCH')
data, untagged = ok(m, 'SEARCH', 'RETURN', '()', 'OR', 'FLAGGED', 'DRAFT')
eq(esearch(untagged), {'ALL': '1,4'}, 'RETURN () is ALL')
data, untagged = ok(m, 'UID', 'SEARCH', 'RETURN', '(COUNT)', 'DELETED')
eq(esearch(untagged, uid=True), {'COUNT': '0'}, 'UID SEARCH RETURN (COUNT)')
data, untagged = ok(m, 'SEARCH', 'RETURN', '(MIN)', 'DELETED')
eq(esearch(untagged), {}, 'no MIN of nothing')
data, untagged = ok(m, 'SEARCH', 'RETURN', '(SAVE)', 'SEEN')
check('ESEARCH' not in untagged and 'SEARCH' not in untagged, 'SAVE alone answers nothing')
got = fetch(m, '$', '(UID)')
eq(sorted(got), [2, 3, 4], 'FETCH $')
eq(numbers(search(m, '$', 'KEYWORD', '$Work')), [3], 'SEARCH $')
eq(numbers(search(m, 'UID', '$', uid=True)), [2, 3, 4], 'UID SEARCH UID $')
data, untagged = ok(m, 'SEARCH', 'RETURN', '(SAVE MIN COUNT)', 'SEEN')
eq(esearch(untagged), {'MIN': '2', 'COUNT': '3'}, 'SAVE MIN COUNT')
got = fetch(m, '$', '(UID)')
eq(sorted(got), [2, 3, 4], 'SAVE with COUNT saves everything (RFC 5182 section 2.4)')
data, untagged = ok(m, 'SEARCH', 'RETURN', '(SAVE MIN)', 'SEEN')
eq(esearch(untagged), {'MIN': '2'}, 'SAVE MIN')
eq(sorted(fetch(m, '$', '(UID)')), [2], 'SAVE with MIN alone saves the minimum')
data, untagged = ok(m, 'UID', 'SEARCH', 'RETURN', '(SAVE MIN MAX)', 'SEEN')
eq(esearch(untagged, uid=True), {'MIN': '2', 'MAX': '4'}, 'SAVE MIN MAX')
eq(sorted(fetch(m, '$', '(UID)')), [2, 4], 'SAVE with MIN and MAX')
# WITHIN (RFC 5032): by INTERNALDATE, in seconds.
eq(numbers(search(m, 'OLDER', '86400')), [1, 3], 'OLDER a day')
eq(numbers(search(m, 'YOUNGER', '86400')), [2, 4], 'YOUNGER a day')
bad(m, 'SEARCH', 'OLDER', '0')

# --- SORT (RFC 5256 and 5957): every key. ------------------------------------------
sorts = [
    # INTERNALDATE: 1996, now, 3 Feb 2026, now (ties keep mailbox order).
    ('(ARRIVAL)', [1, 3, 2, 4]),
    ('(DATE)', [1, 3, 2, 4]),
    ('(REVERSE DATE)', [4, 2, 3, 1]),
    ('(FROM)', [1, 2, 4, 3]),
    ('(DISPLAYFROM)', [1, 2, 4, 3]),
    ('(TO)', [2, 1, 3, 4]),
    ('(DISPLAYTO)', [2, 1, 3, 4]),
    ('(CC ARRIVAL)', [3, 2, 4, 1]),
    ('(SUBJECT)', [4, 3, 1, 2]),
    ('(SIZE)', sorted(range(1, 5), key=lambda i: SIZES[i - 1])),
    ('(REVERSE SIZE)', sorted(range(1, 5), key=lambda i: -SIZES[i - 1])),
]
for keys, want in sorts:
    data, untagged = ok(m, 'SORT', keys, 'UTF-8', 'ALL')
    eq(numbers(untagged, 'SORT'), want, 'SORT %s' % keys)
data, untagged = ok(m, 'UID', 'SORT', '(REVERSE DATE)', 'UTF-8', 'SEEN')
eq(numbers(untagged, 'SORT'), [4, 2, 3], 'UID SORT')
bad(m, 'SORT', '(NOSUCHKEY)', 'UTF-8', 'ALL')

# --- THREAD (RFC 5256): both algorithms. -------------------------------------------
data, untagged = ok(m, 'THREAD', 'REFERENCES', 'UTF-8', 'ALL')
eq(untagged['THREAD'], [b'(1 2)(3)(4)'], 'THREAD=REFERENCES')
data, untagged = ok(m, 'THREAD', 'ORDEREDSUBJECT', 'UTF-8', 'ALL')
eq(untagged['THREAD'], [b'(1 2)(3)(4)'], 'THREAD=ORDEREDSUBJECT')
data, untagged = ok(m, 'UID', 'THREAD', 'REFERENCES', 'UTF-8', 'UNDRAFT')
eq(untagged['THREAD'], [b'(1 2)(3)'], 'UID THREAD')
bad(m, 'THREAD', 'NOSUCH', 'UTF-8', 'ALL')

# --- COPY and MOVE with COPYUID; TRYCREATE. ----------------------------------------
ok(m, 'CREATE', 'Keep')
data, untagged = ok(m, 'STATUS', 'Keep', '(UIDVALIDITY)')
keep_validity = int(re.search(rb'UIDVALIDITY (\d+)', untagged['STATUS'][0]).group(1))
data, untagged = ok(m, 'COPY', '1:2', 'Keep')
eq(tagged(data), '[COPYUID %d 1:2 1:2] COPY completed' % keep_validity, 'COPY')
data, untagged = ok(m, 'UID', 'COPY', '4', 'Keep')
eq(tagged(data), '[COPYUID %d 4 3] COPY completed' % keep_validity, 'UID COPY')
no(m, 'COPY', '1', 'Nowhere', code='TRYCREATE')
data, untagged = ok(m, 'STATUS', 'Keep', '(MESSAGES UIDNEXT)')
eq(untagged['STATUS'], [b'Keep (MESSAGES 3 UIDNEXT 4)'], 'copies')
data, untagged = ok(m, 'MOVE', '3', 'Keep')
eq(untagged.get('COPYUID'), [b'%d 3 4' % keep_validity], 'MOVE sends COPYUID untagged')
eq(untagged.get('EXPUNGE'), [b'3'], 'MOVE expunges')
eq(tagged(data), 'MOVE completed', 'MOVE')
data, untagged = ok(m, 'UID', 'MOVE', '4', 'Keep')
eq(untagged.get('COPYUID'), [b'%d 4 5' % keep_validity], 'UID MOVE COPYUID')
eq(untagged.get('EXPUNGE'), [b'3'], 'UID MOVE expunges by sequence number')
no(m, 'MOVE', '1', 'Nowhere', code='TRYCREATE')
got = fetch(m, '1:*', '(UID)')
eq([got[s].item('UID') for s in sorted(got)], ['1', '2'], 'INBOX after MOVE')
ok(m, 'EXAMINE', 'Keep')
got = fetch(m, '1:*', '(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])')
eq([got[s].value('BODY[HEADER.FIELDS (SUBJECT)]') for s in sorted(got)],
   [b'Subject: Report\r\n\r\n', b'Subject: Re: Report\r\n\r\n',
    'Subject: Grüße aus Köln\r\n\r\n'.encode(), b'Subject: Lunch\r\n\r\n',
    'Subject: Grüße aus Köln\r\n\r\n'.encode()], 'Keep holds the copies and moves')
eq(got[4].flags(), ['$Work', '\\Seen'], 'MOVE keeps flags and keywords')

# --- EXPUNGE, UID EXPUNGE, CLOSE, UNSELECT. ----------------------------------------
ok(m, 'SELECT', 'Keep')
ok(m, 'STORE', '1,2,4', '+FLAGS.SILENT', '(\\Deleted)')
data, untagged = ok(m, 'UID', 'EXPUNGE', '2:3')
eq(untagged.get('EXPUNGE'), [b'2'], 'UID EXPUNGE removes only the given \\Deleted UIDs')
data, untagged = ok(m, 'EXPUNGE')
check(untagged.get('EXPUNGE') in ([b'3', b'1'], [b'1', b'2']), 'EXPUNGE', untagged)
got = fetch(m, '1:*', '(UID FLAGS)')
eq([(got[s].item('UID'), got[s].flags()) for s in sorted(got)],
   [('3', ['\\Draft', '\\Seen']), ('5', ['\\Draft', '\\Seen'])], 'left after EXPUNGE')
ok(m, 'STORE', '1', '+FLAGS.SILENT', '(\\Deleted)')
data, untagged = ok(m, 'UNSELECT')
eq(tagged(data), 'UNSELECT completed', 'UNSELECT')
data, untagged = ok(m, 'STATUS', 'Keep', '(MESSAGES DELETED)')
eq(untagged['STATUS'], [b'Keep (MESSAGES 2 DELETED 1)'], 'UNSELECT does not expunge')
ok(m, 'SELECT', 'Keep')
data, untagged = ok(m, 'CLOSE')
check('EXPUNGE' not in untagged, 'CLOSE expunges silently', untagged)
data, untagged = ok(m, 'STATUS', 'Keep', '(MESSAGES DELETED)')
eq(untagged['STATUS'], [b'Keep (MESSAGES 1 DELETED 0)'], 'CLOSE expunged')
lines, status = raw.command(b'FETCH 1 (FLAGS)')
check(status.startswith(b'BAD'), 'no mailbox selected after CLOSE', status)
ok(m, 'EXAMINE', 'INBOX')
data, untagged = ok(m, 'CLOSE')
data, untagged = ok(m, 'STATUS', 'INBOX', '(MESSAGES)')
eq(untagged['STATUS'], [b'INBOX (MESSAGES 2)'], 'CLOSE of EXAMINE expunges nothing')

# --- BINARY (RFC 3516): APPEND with literal8, binary parts, unknown encodings. -----
ok(m, 'CREATE', 'Bin')
BIN = (b'Subject: bin\r\nContent-Type: application/octet-stream\r\n'
       b'Content-Transfer-Encoding: binary\r\n\r\n\x00\x01\x02\xff\r\n')
lines, status = raw.command(b'APPEND Bin {%d+}\r\n' % len(BIN) + BIN)
check(status.startswith(b'BAD'), 'NUL in a plain literal', status)
lines, status = raw.command(b'APPEND Bin ~{%d+}\r\n' % len(BIN) + BIN)
check(status.startswith(b'OK [APPENDUID '), 'APPEND literal8', status)
ODD = (b'Subject: odd\r\nContent-Type: text/plain\r\n'
       b'Content-Transfer-Encoding: x-unknown\r\n\r\nbegin 644 x\r\n')
typ, data = m.append('Bin', None, None, ODD)
eq(typ, 'OK', 'APPEND with an unknown encoding')
ok(m, 'EXAMINE', 'Bin')
lines, status = raw.command(b'FETCH 1 (BINARY.PEEK[1] BINARY.SIZE[1] RFC822.SIZE)')
eq(lines, [b'* 1 FETCH (BINARY[1] ~{6}\r\n\x00\x01\x02\xff\r\n BINARY.SIZE[1] 6 '
           b'RFC822.SIZE %d)' % len(BIN)], 'binary part as literal8')
eq(status, b'OK FETCH completed', 'FETCH BINARY')
lines, status = raw.command(b'FETCH 1 (BINARY.PEEK[])')
eq(lines, [b'* 1 FETCH (BINARY[] ~{%d}\r\n%s)' % (len(BIN), BIN)], 'BINARY[] byte for byte')
# A plain literal cannot carry NUL: BODY[] replaces it with 0x80, as Dovecot does.
got = fetch(m, '1', '(BODY.PEEK[])')
eq(got[1].value('BODY[]'), BIN.replace(b'\x00', b'\x80'), 'BODY[] without NUL')
lines, status = raw.command(b'FETCH 2 (BINARY.PEEK[1])')
check(status.startswith(b'NO [UNKNOWN-CTE]'), 'unknown encoding', status)
m.logout()
print('messages ok')

