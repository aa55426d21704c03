"""CONDSTORE and QRESYNC (RFC 7162): SELECT/EXAMINE (CONDSTORE), HIGHESTMODSEQ in
SELECT and STATUS, FETCH MODSEQ and CHANGEDSINCE, STORE UNCHANGEDSINCE with MODIFIED,
SEARCH MODSEQ (with ESEARCH), flag updates of other sessions with MODSEQ, ENABLE
QRESYNC, SELECT (QRESYNC ...) with VANISHED (EARLIER), UID FETCH ... VANISHED, VANISHED
instead of EXPUNGE, and the CLOSED response code."""

import re

from common import *


def modseq(text):
    found = re.search(r'MODSEQ \((\d+)\)', text)
    check(found, 'no MODSEQ in', text)
    return int(found.group(1))


def fetch(m, *args):
    data, untagged = ok(m, *args)
    return fetches(untagged)


m = logged_in()
for i in range(1, 5):
    typ, data = m.append('INBOX', None, None, message('cs %d' % i))
    eq(typ, 'OK', 'APPEND')

# --- CONDSTORE enabled by SELECT (CONDSTORE). ---------------------------------------
data, untagged = ok(m, 'SELECT', 'INBOX', '(CONDSTORE)')
eq(tagged(data), '[READ-WRITE] SELECT completed', 'SELECT (CONDSTORE)')
highest = int(untagged['HIGHESTMODSEQ'][0])
uid_validity = int(untagged['UIDVALIDITY'][0])
got = fetch(m, 'FETCH', '1:*', '(MODSEQ)')
eq(sorted(got), [1, 2, 3, 4], 'FETCH MODSEQ')
seqs = {s: modseq(got[s].text) for s in got}
eq(max(seqs.values()), highest, 'HIGHESTMODSEQ is the largest MODSEQ')
check(len(set(seqs.values())) == 4, 'each append got its own modseq', seqs)
# STORE reports the new modseq with the flags.
got = fetch(m, 'STORE', '1', '+FLAGS', '(\\Seen)')
after_store = modseq(got[1].text)
check(after_store > highest, 'STORE raises the modseq', got[1].text)
eq(got[1].flags(), ['\\Seen'], 'flags')
data, untagged = ok(m, 'STATUS', 'INBOX', '(HIGHESTMODSEQ)')
eq(untagged['STATUS'], [b'INBOX (HIGHESTMODSEQ %d)' % after_store], 'STATUS HIGHESTMODSEQ')
# CHANGEDSINCE: only what changed after the given modseq; MODSEQ comes along.
got = fetch(m, 'FETCH', '1:*', '(FLAGS)', '(CHANGEDSINCE %d)' % highest)
eq(list(got), [1], 'FETCH CHANGEDSINCE')
eq(modseq(got[1].text), after_store, 'CHANGEDSINCE adds MODSEQ')
got = fetch(m, 'UID', 'FETCH', '1:*', '(FLAGS)', '(CHANGEDSINCE %d)' % seqs[2])
eq(sorted(got), [1, 3, 4], 'UID FETCH CHANGEDSINCE')
check('UID 3' in got[3].text, got[3].text)
# UNCHANGEDSINCE: the message changed since is refused ([MODIFIED]), the rest stored.
data, untagged = ok(m, 'STORE', '1:2', '(UNCHANGEDSINCE %d)' % highest, '+FLAGS', '(\\Flagged)')
eq(tagged(data).split(']')[0], '[MODIFIED 1', 'MODIFIED')
got = fetches(untagged)
eq(list(got), [2], 'only message 2 stored')
eq(got[2].flags(), ['\\Flagged'], 'flags of 2')
flagged_modseq = modseq(got[2].text)
data, untagged = ok(m, 'UID', 'STORE', '3', '(UNCHANGEDSINCE %d)' % seqs[3], '+FLAGS.SILENT',
                    '(\\Answered)')
got = fetches(untagged)
eq(tagged(data), 'STORE completed', 'UNCHANGEDSINCE met')
check(re.fullmatch(r'3 \(UID 3 MODSEQ \(\d+\)\)', got[3].text),
      '.SILENT still reports the new MODSEQ', got[3].text)
answered_modseq = modseq(got[3].text)
data, untagged = ok(m, 'UID', 'STORE', '4', '(UNCHANGEDSINCE 0)', '+FLAGS', '(\\Seen)')
eq(tagged(data), '[MODIFIED 4] Conditional STORE failed for some messages', 'UNCHANGEDSINCE 0')
# SEARCH MODSEQ: the highest modseq of the result comes along.
data, untagged = ok(m, 'SEARCH', 'MODSEQ', str(after_store))
eq(untagged['SEARCH'], [b'1 2 3 (MODSEQ %d)' % answered_modseq], 'SEARCH MODSEQ')
data, untagged = ok(m, 'UID', 'SEARCH', 'MODSEQ', '"/flags/\\\\flagged"', 'all',
                    str(flagged_modseq))
eq(untagged['SEARCH'], [b'2 3 (MODSEQ %d)' % answered_modseq], 'SEARCH MODSEQ entry')
data, untagged = ok(m, 'SEARCH', 'RETURN', '(ALL COUNT)', 'MODSEQ', str(flagged_modseq))
line = untagged['ESEARCH'][0].decode()
check(re.fullmatch(r'\(TAG "[^"]+"\)(?: ALL 2:3| COUNT 2| MODSEQ %d){3}' % answered_modseq,
                   line), 'ESEARCH with MODSEQ', line)

# --- Another session's change arrives with its MODSEQ. ------------------------------
other = logged_in()
data, untagged = ok(other, 'EXAMINE', 'INBOX', '(CONDSTORE)')
eq(untagged['HIGHESTMODSEQ'], [b'%d' % answered_modseq], 'EXAMINE (CONDSTORE)')
writer = logged_in()
ok(writer, 'SELECT', 'INBOX')
ok(writer, 'STORE', '4', '+FLAGS', '($Remote)')
data, untagged = ok(m, 'NOOP')
got = fetches(untagged)
eq(list(got), [4], 'NOOP reports the change')
check(re.fullmatch(r'4 \(UID 4 FLAGS \(\$Remote( \\Recent)?\) MODSEQ \(\d+\)\)', got[4].text),
      'flag update with UID and MODSEQ', got[4].text)
remote_modseq = modseq(got[4].text)
data, untagged = ok(other, 'NOOP')
eq(fetches(untagged)[4].flags(), ['$Remote'], 'EXAMINE session sees it too')

# --- QRESYNC. -----------------------------------------------------------------------
q = logged_in()
bad(q, 'SELECT', 'INBOX', '(QRESYNC (%d %d))' % (uid_validity, highest))
data, untagged = ok(q, 'ENABLE', 'QRESYNC')
check(untagged['ENABLED'][0] in (b'QRESYNC', b'QRESYNC CONDSTORE', b'CONDSTORE QRESYNC'),
      untagged)
# The writer expunges 2; the CONDSTORE session (no QRESYNC) gets EXPUNGE.
ok(writer, 'STORE', '2', '+FLAGS.SILENT', '(\\Deleted)')
data, untagged = ok(writer, 'EXPUNGE')
eq(untagged['EXPUNGE'], [b'2'], 'EXPUNGE in a plain session')
data, untagged = ok(m, 'NOOP')
eq(untagged.get('EXPUNGE'), [b'2'], 'EXPUNGE reaches a CONDSTORE session')
# A QRESYNC client that knew the mailbox at `highest` learns what vanished and changed.
data, untagged = ok(q, 'SELECT', 'INBOX', '(QRESYNC (%d %d 1:4))' % (uid_validity, highest))
eq(untagged.get('VANISHED'), [b'(EARLIER) 2'], 'VANISHED (EARLIER) on SELECT')
got = fetches(untagged)
eq(sorted(got), [1, 2, 3], 'FETCH of what changed (uids 1, 3, 4 at seqs 1-3)')
eq([got[s].item('UID') for s in sorted(got)], ['1', '3', '4'], 'UIDs')
eq(modseq(got[3].text), remote_modseq, 'MODSEQ of the last change')
eq(got[3].flags(), ['$Remote'], 'flags in the resync')
current = int(untagged['HIGHESTMODSEQ'][0])
# Nothing changed since `current`: a resync reports nothing.
data, untagged = ok(q, 'EXAMINE', 'INBOX', '(QRESYNC (%d %d))' % (uid_validity, current))
check('VANISHED' not in untagged and 'FETCH' not in untagged, 'nothing to resync', untagged)
check('CLOSED' in untagged, '[CLOSED] when switching mailboxes', untagged)
# A wrong UIDVALIDITY: a plain SELECT.
data, untagged = ok(q, 'SELECT', 'INBOX', '(QRESYNC (%d %d))' % (uid_validity + 1, highest))
check('VANISHED' not in untagged and 'FETCH' not in untagged, 'other UIDVALIDITY', untagged)
# UID FETCH ... (CHANGEDSINCE n VANISHED).
data, untagged = ok(q, 'UID', 'FETCH', '1:*', '(FLAGS)', '(CHANGEDSINCE %d VANISHED)' % highest)
eq(untagged.get('VANISHED'), [b'(EARLIER) 2'], 'UID FETCH VANISHED')
eq(sorted(fetches(untagged)), [1, 2, 3], 'and the changed messages')
bad(q, 'FETCH', '1:*', '(FLAGS)', '(CHANGEDSINCE %d VANISHED)' % highest)
# With QRESYNC, expunges are VANISHED, also another session's.
ok(q, 'STORE', '1', '+FLAGS.SILENT', '(\\Deleted)')
data, untagged = ok(q, 'EXPUNGE')
eq(untagged.get('VANISHED'), [b'1'], 'own EXPUNGE as VANISHED')
check('EXPUNGE' not in untagged, untagged)
ok(writer, 'NOOP')
ok(writer, 'UID', 'STORE', '4', '+FLAGS.SILENT', '(\\Deleted)')
ok(writer, 'UID', 'EXPUNGE', '4')
data, untagged = ok(q, 'NOOP')
eq(untagged.get('VANISHED'), [b'4'], "another session's expunge as VANISHED")
data, untagged = ok(q, 'STATUS', 'INBOX', '(MESSAGES HIGHESTMODSEQ)')
now = int(re.search(rb'HIGHESTMODSEQ (\d+)', untagged['STATUS'][0]).group(1))
check(now > remote_modseq, 'expunges raise HIGHESTMODSEQ', now)
eq(untagged['STATUS'][0].split(b' HIGHESTMODSEQ')[0], b'INBOX (MESSAGES 1', 'one left')
for session in (q, m, other, writer):
    session.logout()
print('condstore ok')
