"""Connection-level commands: CAPABILITY (before and after STARTTLS and login),
NOOP, LOGOUT, STARTTLS, LOGIN, AUTHENTICATE PLAIN / LOGIN / SCRAM-SHA-256 (with and
without SASL-IR, cancelled, failing), ENABLE, ID, and COMPRESS=DEFLATE inside TLS."""

import base64
import socket
import ssl
import zlib

from common import *

# Everything issue 7 asks to be advertised once logged in (and nothing else).
AUTHENTICATED = {
    'IMAP4REV1', 'IMAP4REV2', 'LITERAL+', 'ENABLE', 'IDLE', 'NAMESPACE', 'ID', 'CHILDREN',
    'UNSELECT', 'UIDPLUS', 'MOVE', 'SPECIAL-USE', 'CREATE-SPECIAL-USE', 'LIST-EXTENDED',
    'LIST-STATUS', 'ESEARCH', 'SEARCHRES', 'WITHIN', 'CONDSTORE', 'QRESYNC', 'QUOTA',
    'QUOTA=RES-STORAGE', 'QUOTA=RES-MESSAGE', 'SORT', 'SORT=DISPLAY', 'THREAD=REFERENCES',
    'THREAD=ORDEREDSUBJECT', 'BINARY', 'MULTIAPPEND', 'UTF8=ACCEPT', 'STATUS=SIZE',
    'COMPRESS=DEFLATE',
}
MECHANISMS = {'AUTH=PLAIN', 'AUTH=LOGIN', 'AUTH=SCRAM-SHA-256'}


def capabilities(m):
    data, untagged = ok(m, 'CAPABILITY')
    eq(tagged(data), 'CAPABILITY completed', 'CAPABILITY status')
    eq(len(untagged['CAPABILITY']), 1, 'one CAPABILITY response')
    return set(untagged['CAPABILITY'][0].decode().upper().split())


# --- Before TLS: the greeting's CAPABILITY code, STARTTLS offered, NOOP. -----------
m = connect(tls=False)
greeting = m.welcome.decode()
check(greeting.startswith('* OK [CAPABILITY IMAP4rev1 '), greeting)
check(greeting.endswith('] mx.example.test Postroom IMAP ready'), greeting)
caps = capabilities(m)
eq(caps, AUTHENTICATED | MECHANISMS | {'STARTTLS', 'SASL-IR'}, 'capabilities before TLS')
data, _ = ok(m, 'NOOP')
eq(tagged(data), 'NOOP completed', 'NOOP')
# Not logged in: mailbox commands are refused, the session goes on.
raw = Raw(m)
for command in (b'SELECT INBOX', b'ENABLE CONDSTORE', b'LIST "" *'):
    lines, status = raw.command(command)
    check(status.startswith(b'BAD') or status.startswith(b'NO'), command, status)
# STARTTLS: the capabilities change (no STARTTLS), imaplib refreshes them.
typ, data = m.starttls(context())
eq(typ, 'OK', 'STARTTLS')
check(isinstance(m.sock, ssl.SSLSocket), 'TLS is on')
eq(capabilities(m), AUTHENTICATED | MECHANISMS | {'SASL-IR'}, 'capabilities after STARTTLS')
bad(m, 'STARTTLS')

# --- LOGIN: a wrong password, then the right one. ---------------------------------
no(m, 'LOGIN', quoted(USER), quoted('wrong'), code='AUTHENTICATIONFAILED')
data, untagged = ok(m, 'LOGIN', quoted(USER), quoted(PASSWORD))
text = tagged(data)
check(text.startswith('[CAPABILITY IMAP4rev1 ') and text.endswith('] Logged in'), text)
eq(set(text[len('[CAPABILITY '):text.index(']')].upper().split()), AUTHENTICATED,
   'CAPABILITY code of LOGIN')
eq(capabilities(m), AUTHENTICATED, 'capabilities once logged in')
lines, status = Raw(m).command(b'LOGIN %s %s' % (quoted(USER).encode(), quoted(PASSWORD).encode()))
check(status.startswith(b'BAD'), 'a second LOGIN', status)

# --- ENABLE (RFC 5161): each extension once, unknown ones ignored. -----------------
data, untagged = ok(m, 'ENABLE', 'CONDSTORE', 'X-UNKNOWN')
eq(untagged.get('ENABLED'), [b'CONDSTORE'], 'ENABLE CONDSTORE')
data, untagged = ok(m, 'ENABLE', 'QRESYNC', 'UTF8=ACCEPT')
eq(untagged.get('ENABLED'), [b'QRESYNC UTF8=ACCEPT'], 'ENABLE QRESYNC UTF8=ACCEPT')
data, untagged = ok(m, 'ENABLE', 'IMAP4rev2')
eq(untagged.get('ENABLED'), [b'IMAP4rev2'], 'ENABLE IMAP4rev2')
# IMAP4rev2 from now on: SELECT sends no RECENT but a LIST of the mailbox.
data, untagged = ok(m, 'SELECT', 'INBOX')
check('RECENT' not in untagged, 'rev2 SELECT has no RECENT', untagged)
eq(untagged.get('LIST'), [b'() "." INBOX'], 'rev2 SELECT sends LIST')
check(b'[READ-WRITE]' in data[0], data)

# --- ID (RFC 2971), before and after login. -----------------------------------------
data, untagged = ok(m, 'ID', '("name" "imaplib" "version" "3.11")')
server_id = untagged['ID'][0].decode()
check(server_id.startswith('("name" "Postroom" "version" "'), server_id)
check(server_id.endswith('"vendor" "Postroom developers")'), server_id)
eq(tagged(data), 'ID completed', 'ID status')

# --- LOGOUT: BYE, then the tagged OK. ----------------------------------------------
typ, data = m.logout()
eq(typ, 'BYE', 'LOGOUT answers BYE first')
check(data[0].startswith(b'Logging out') or data[0], data)

# --- AUTHENTICATE PLAIN (imaplib waits for the empty challenge). ------------------
m = connect()
data, untagged = ok(m, 'ID', 'NIL')
check(untagged['ID'][0].startswith(b'("name" "Postroom"'), untagged)
typ, data = m.authenticate('PLAIN', lambda _: ('\0%s\0%s' % (USER, PASSWORD)).encode())
eq(typ, 'OK', 'AUTHENTICATE PLAIN')
check(data[0].startswith(b'[CAPABILITY IMAP4rev1 '), data)
eq(m.state, 'AUTH', 'imaplib state')
m.logout()

# Wrong password, and an authorization identity that is somebody else.
m = connect()
try:
    m.authenticate('PLAIN', lambda _: ('\0%s\0nope' % USER).encode())
    raise AssertionError('a wrong PLAIN password was accepted')
except imaplib.IMAP4.error as e:
    check('[AUTHENTICATIONFAILED]' in str(e), str(e))
try:
    m.authenticate('PLAIN', lambda _: ('%s\0%s\0%s' % (SCRAM_USER, USER, PASSWORD)).encode())
    raise AssertionError('PLAIN as another user was accepted')
except imaplib.IMAP4.error as e:
    check('NO' in str(e) or 'AUTHENTICATIONFAILED' in str(e), str(e))
# SASL-IR (RFC 4959): the initial response on the command line; `=` is an empty one.
raw = Raw(m)
lines, status = raw.command(b'AUTHENTICATE PLAIN ' + base64.b64encode(
    ('\0%s\0%s' % (USER, PASSWORD)).encode()))
check(status.startswith(b'OK [CAPABILITY IMAP4rev1 '), status)
eq(lines, [], 'no untagged responses for AUTHENTICATE')
m.logout()

# A cancelled exchange is BAD (RFC 9051 section 6.2.2); an unknown mechanism is NO.
m = connect()
raw = Raw(m)
m.send(b'C1 AUTHENTICATE PLAIN\r\n')
eq(raw.line(), b'+ ', 'PLAIN asks for the response with an empty challenge')
m.send(b'*\r\n')
status = raw.until(b'C1')[1]
check(status.startswith(b'BAD'), 'cancel is BAD', status)
lines, status = raw.command(b'AUTHENTICATE X-NOPE')
check(status.startswith(b'NO'), 'unknown mechanism', status)
lines, status = raw.command(b'AUTHENTICATE PLAIN =')
check(status.startswith(b'NO [AUTHENTICATIONFAILED]'), 'empty initial response', status)

# --- AUTHENTICATE LOGIN: the two challenges, then OK. ------------------------------
challenges = []


def login_mechanism(challenge):
    challenges.append(challenge)
    return USER.encode() if len(challenges) == 1 else PASSWORD.encode()


typ, data = m.authenticate('LOGIN', login_mechanism)
eq(typ, 'OK', 'AUTHENTICATE LOGIN')
eq(challenges, [b'Username:', b'Password:'], 'LOGIN challenges')
m.logout()

# LOGIN with literals, one LITERAL+ (no continuation) and one synchronizing.
m = connect()
raw = Raw(m)
u, p = USER.encode(), PASSWORD.encode()
lines, status = raw.command(b'LOGIN {%d+}\r\n' % len(u) + u + b' {%d}\r\n' % len(p), p)
check(status.startswith(b'OK [CAPABILITY '), 'LOGIN with literals', status)
m.logout()

# --- AUTHENTICATE SCRAM-SHA-256, its server signature checked; over IMAPS too. ------
for open_connection in (connect, connect_ssl):
    m = open_connection()
    scram = scram_client(SCRAM_USER, PASSWORD)
    typ, data = m.authenticate('SCRAM-SHA-256', scram)
    eq(typ, 'OK', 'AUTHENTICATE SCRAM-SHA-256')
    check(scram.state.get('verified'), 'the server proved it knows the password')
    data, untagged = ok(m, 'STATUS', 'INBOX', '(MESSAGES)')
    eq(untagged['STATUS'], [b'INBOX (MESSAGES 0)'], 'SCRAM user is logged in')
    m.logout()
# A wrong SCRAM password: the server's e= message, then NO.
m = connect()
scram = scram_client(SCRAM_USER, 'not-the-password')
try:
    m.authenticate('SCRAM-SHA-256', scram)
    raise AssertionError('a wrong SCRAM proof was accepted')
except imaplib.IMAP4.error as e:
    check('[AUTHENTICATIONFAILED]' in str(e), str(e))
eq(scram.state.get('error'), 'e=invalid-proof', 'SCRAM server error')
# A user whose password is stored as a crypt hash cannot use SCRAM (nothing tells).
scram = scram_client(USER, PASSWORD)
try:
    m.authenticate('SCRAM-SHA-256', scram)
    raise AssertionError('SCRAM without SCRAM keys was accepted')
except imaplib.IMAP4.error as e:
    check('[AUTHENTICATIONFAILED]' in str(e), str(e))
eq(scram.state.get('error'), 'e=invalid-proof', 'SCRAM server error')
m.logout()

# --- COMPRESS=DEFLATE inside TLS (imaplib has none: raw socket, zlib). -------------
deliver(USER, message('compressed', 'x' * 70 + '\r\n'))
big = b''.join(b'line %05d of a long message for the compressed stream\r\n' % i
               for i in range(3000))
plain = socket.create_connection((HOST, IMAP), timeout=30)
reader = plain.makefile('rb')
check(reader.readline().startswith(b'* OK'), 'greeting')
plain.sendall(b'a STARTTLS\r\n')
check(reader.readline().startswith(b'a OK'), 'STARTTLS')
tls = context().wrap_socket(plain, server_hostname=HOST)
reader = tls.makefile('rb')
tls.sendall(b'b LOGIN %s %s\r\n' % (quoted(USER).encode(), quoted(PASSWORD).encode()))
while not (line := reader.readline()).startswith(b'b '):
    check(line, 'closed during LOGIN')
check(line.startswith(b'b OK'), line)
tls.sendall(b'c COMPRESS DEFLATE\r\n')
eq(reader.readline(), b'c OK DEFLATE active\r\n', 'COMPRESS')
deflate, inflate = zlib.compressobj(9, zlib.DEFLATED, -15), zlib.decompressobj(-15)
pending = b''


def read_until(marker):
    global pending
    while marker not in pending:
        chunk = tls.recv(65536)
        check(chunk, 'closed while compressed', pending[-200:])
        pending += inflate.decompress(chunk)
    done, _, rest = pending.partition(marker)
    pending = rest
    return done + marker


def compressed(command, tag):
    """Sends `command` compressed; returns everything up to the end of the tagged
    line of `tag` (the literals here never hold a line starting with the tag)."""
    tls.sendall(deflate.compress(command) + deflate.flush(zlib.Z_SYNC_FLUSH))
    out = b''
    while True:
        line = read_until(b'\r\n')
        out += line
        if line.startswith(tag + b' '):
            return out


out = compressed(b'd APPEND INBOX (\\Seen) {%d+}\r\n%s\r\n' % (len(big), big), b'd')
check(out.startswith(b'd OK [APPENDUID '), out)
out = compressed(b'e SELECT INBOX\r\n', b'e')
check(b'* 2 EXISTS\r\n' in out, out)
out = compressed(b'f FETCH 2 (RFC822.SIZE BODY.PEEK[])\r\n', b'f')
want = b'* 2 FETCH (RFC822.SIZE %d BODY[] {%d}\r\n%s)\r\n' % (len(big), len(big), big)
check(out.startswith(want), 'compressed FETCH of 160 KB', out[:200])
out = compressed(b'g COMPRESS DEFLATE\r\n', b'g')
check(out.startswith(b'g NO [COMPRESSIONACTIVE]'), out)
# IDLE inside the compressed stream: a delivery shows up, DONE ends it.
tls.sendall(deflate.compress(b'h IDLE\r\n') + deflate.flush(zlib.Z_SYNC_FLUSH))
check(read_until(b'\r\n').startswith(b'+ '), 'IDLE continuation')
deliver(USER, message('while compressed'))
check(b'* 3 EXISTS' in read_until(b'* 3 EXISTS\r\n'), 'EXISTS during compressed IDLE')
out = compressed(b'DONE\r\n', b'h')
check(b'h OK' in out, out)
out = compressed(b'i LOGOUT\r\n', b'i')
check(b'* BYE' in out and b'i OK' in out, out)
tls.close()
print('session ok')
