"""IDLE (RFC 2177): a delivery over SMTP shows up within a second, as do another
session's APPEND, flag change and expunge; VANISHED while idling with QRESYNC; IDLE
without a selected mailbox; DONE ends it; over IMAPS too."""

import time

from common import *

# How long a change may take to reach an idling client (issue 7: one second).
BOUND = 1.0


class Idler:
    def __init__(self, m):
        self.m = m
        self.raw = Raw(m)

    def start(self, tag=b'I1'):
        self.tag = tag
        self.m.send(tag + b' IDLE\r\n')
        go = self.raw.line()
        check(go.startswith(b'+ '), 'IDLE continuation', go)

    def wait(self, wanted, limit=5.0):
        """Reads untagged responses until one equals `wanted`; returns the seconds it
        took and the responses seen on the way."""
        start = time.monotonic()
        seen = []
        self.m.sock.settimeout(limit)
        try:
            while True:
                line = self.raw.line()
                seen.append(line)
                if line == wanted:
                    return time.monotonic() - start, seen
        except (TimeoutError, OSError):
            raise AssertionError(('never got', wanted, seen))
        finally:
            self.m.sock.settimeout(30)

    def done(self):
        self.m.send(b'DONE\r\n')
        lines, status = self.raw.until(self.tag)
        eq(status, b'OK IDLE terminated', 'DONE')
        return lines


def select(m, box='INBOX'):
    ok(m, 'SELECT', box)


m = logged_in()
deliver(USER, message('before idle'))
data, untagged = ok(m, 'SELECT', 'INBOX')
eq(untagged['EXISTS'], [b'1'], 'one message')
idler = Idler(m)
idler.start()
# An SMTP delivery.
deliver(USER, message('during idle'))
took, seen = idler.wait(b'* 2 EXISTS')
check(took <= BOUND, 'EXISTS after %.2f s' % took, seen)
# Another session: APPEND, a flag change, an expunge.
other = logged_in()
typ, data = other.append('INBOX', '(\\Flagged)', None, message('appended by other'))
eq(typ, 'OK', 'APPEND')
took, seen = idler.wait(b'* 3 EXISTS')
check(took <= BOUND, 'APPEND seen after %.2f s' % took, seen)
select(other)
ok(other, 'STORE', '1', '+FLAGS', '(\\Answered $Idle)')
took, seen = idler.wait(b'* 1 FETCH (UID 1 FLAGS (\\Answered $Idle \\Recent))')
check(took <= BOUND, 'flag change seen after %.2f s' % took, seen)
ok(other, 'STORE', '2', '+FLAGS.SILENT', '(\\Deleted)')
ok(other, 'EXPUNGE')
took, seen = idler.wait(b'* 2 EXPUNGE')
check(took <= BOUND, 'EXPUNGE seen after %.2f s' % took, seen)
lines = idler.done()
eq(lines, [], 'nothing left over at DONE')
got = fetches(ok(m, 'FETCH', '1:*', '(UID)')[1])
eq([got[s].item('UID') for s in sorted(got)], ['1', '3'], 'the view after IDLE')

# QRESYNC: expunges arrive as VANISHED while idling.
q = logged_in()
ok(q, 'ENABLE', 'QRESYNC')
select(q)
idler = Idler(q)
idler.start(b'I2')
ok(other, 'UID', 'STORE', '3', '+FLAGS.SILENT', '(\\Deleted)')
ok(other, 'UID', 'EXPUNGE', '3')
took, seen = idler.wait(b'* VANISHED 3')
check(took <= BOUND, 'VANISHED after %.2f s' % took, seen)
check(all(b'MODSEQ' in l for l in seen if b'FETCH' in l), 'QRESYNC updates carry MODSEQ', seen)
idler.done()

# IDLE with no mailbox selected is allowed and ends cleanly.
ok(q, 'UNSELECT')
idler.start(b'I3')
eq(idler.done(), [], 'IDLE without a mailbox')

# Over implicit TLS.
s = connect_ssl()
ok(s, 'LOGIN', quoted(USER), quoted(PASSWORD))
select(s)
idler = Idler(s)
idler.start(b'I4')
deliver(USER, message('to the tls idler'))
took, seen = idler.wait(b'* 2 EXISTS')
check(took <= BOUND, 'EXISTS over IMAPS after %.2f s' % took, seen)
idler.done()
for session in (m, other, q, s):
    session.logout()
print('idle ok')
