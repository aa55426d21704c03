"""Shared helpers of the imaplib scripts run by examples/tests/imap_imaplib.rs.

The Rust test starts the real postroom binary and passes where it listens in the
environment: PR_IMAP (STARTTLS port), PR_IMAPS (implicit TLS), PR_MX (SMTP), PR_CA (the
self-signed certificate), PR_USER / PR_PASSWORD (a user with a crypt hash), PR_SCRAM_USER
(a user whose password is stored as SCRAM-SHA-256 keys) and PR_QUOTA_USER (a user with a
2000 byte quota). Every check asserts what the server answered, not only that it said OK.
"""

import base64
import imaplib
import os
import re
import smtplib
import ssl

IMAP = int(os.environ['PR_IMAP'])
IMAPS = int(os.environ['PR_IMAPS'])
MX = int(os.environ['PR_MX'])
CA = os.environ['PR_CA']
USER = os.environ['PR_USER']
PASSWORD = os.environ['PR_PASSWORD']
SCRAM_USER = os.environ['PR_SCRAM_USER']
QUOTA_USER = os.environ['PR_QUOTA_USER']
# The certificate names localhost, which resolves to 127.0.0.1 here.
HOST = 'localhost'

# Commands imaplib does not know; it refuses to send unknown ones.
for name in ('ID', 'COMPRESS', 'IDLE', 'GETQUOTA', 'GETQUOTAROOT', 'ESEARCH'):
    imaplib.Commands.setdefault(name, ('NONAUTH', 'AUTH', 'SELECTED'))
imaplib.Commands['ENABLE'] = ('AUTH', 'SELECTED')


def check(condition, *what):
    if not condition:
        raise AssertionError(what)


def eq(got, want, what=''):
    if got != want:
        raise AssertionError('%s:\n  got  %r\n  want %r' % (what, got, want))


def context():
    ctx = ssl.create_default_context(cafile=CA)
    ctx.check_hostname = True
    return ctx


def connect(tls=True):
    """A connection to the STARTTLS port, upgraded unless `tls` is false."""
    m = imaplib.IMAP4(HOST, IMAP, timeout=30)
    if tls:
        m.starttls(context())
    return m


def connect_ssl():
    return imaplib.IMAP4_SSL(HOST, IMAPS, ssl_context=context(), timeout=30)


def logged_in(user=None):
    m = connect()
    ok(m, 'LOGIN', quoted(user or USER), quoted(PASSWORD))
    return m


def quoted(text):
    return '"%s"' % text.replace('\\', '\\\\').replace('"', '\\"')


def run(m, name, *args):
    """Runs a command with imaplib; returns (type, tagged data, untagged responses by
    kind). Untagged responses of earlier commands are forgotten first."""
    m.untagged_responses.clear()
    typ, data = m._simple_command(name, *args)
    if typ == 'OK':
        # imaplib tracks the state only in its own wrappers.
        if name in ('LOGIN', 'AUTHENTICATE'):
            m.state = 'AUTH'
        elif name in ('SELECT', 'EXAMINE'):
            m.state = 'SELECTED'
        elif name in ('CLOSE', 'UNSELECT'):
            m.state = 'AUTH'
    untagged = {k: list(v) for k, v in m.untagged_responses.items()}
    m.untagged_responses.clear()
    return typ, data, untagged


def ok(m, name, *args):
    typ, data, untagged = run(m, name, *args)
    check(typ == 'OK', name, args, typ, data)
    return data, untagged


def no(m, name, *args, code=None):
    """Asserts the command fails with NO (and the response code `code`); returns the
    text."""
    try:
        typ, data, _ = run(m, name, *args)
    except imaplib.IMAP4.error as e:
        raise AssertionError((name, args, 'BAD or error', str(e)))
    check(typ == 'NO', name, args, typ, data)
    text = data[0].decode()
    if code is not None:
        check(text.startswith('[%s' % code), name, args, 'code', code, text)
    return text


def bad(m, name, *args):
    try:
        typ, data, _ = run(m, name, *args)
    except imaplib.IMAP4.error as e:
        check('BAD' in str(e), name, args, str(e))
        return str(e)
    raise AssertionError((name, args, 'expected BAD', typ, data))


def tagged(data):
    return data[0].decode() if isinstance(data[0], bytes) else data[0]


def fetches(untagged):
    """The FETCH responses as {seq: Fetched}."""
    out = {}
    current = None
    for part in untagged.get('FETCH', []):
        if isinstance(part, tuple):
            head, literal = part
            index = len(current[1]) if current else 0
            head = re.sub(rb'~?\{\d+\}$', b'\x00%d\x00' % index, head)
            if current is None:
                current = [head, [literal]]
            else:
                current[0] += head
                current[1].append(literal)
            continue
        if current is not None:
            current[0] += part
            text, literals = current
            current = None
        else:
            text, literals = part, []
        seq = int(text.split(b' ', 1)[0])
        out[seq] = Fetched(text.decode('utf-8', 'replace'), literals)
    check(current is None, 'unterminated FETCH', untagged)
    return out


class Fetched:
    """One FETCH response: its text (each literal replaced by a marker) and literals."""

    def __init__(self, text, literals):
        self.text = text
        self.literals = literals

    def __repr__(self):
        return 'Fetched(%r, %r)' % (self.text, self.literals)

    def value(self, name):
        """The string after item `name` (a literal, a quoted string; NIL is None)."""
        at = self.text.find(' ' + name + ' ')
        if at < 0:
            at = self.text.find('(' + name + ' ')
        check(at >= 0, 'no item', name, self.text)
        rest = self.text[at + len(name) + 2:]
        marker = re.match(r'\x00(\d+)\x00', rest)
        if marker:
            return self.literals[int(marker.group(1))]
        if rest.startswith('NIL'):
            return None
        quoted = re.match(r'"((?:[^"\\]|\\.)*)"', rest)
        check(quoted, 'not a string', name, rest)
        return re.sub(r'\\(.)', r'\1', quoted.group(1)).encode()

    def item(self, name):
        return item(self.text, name)

    def flags(self):
        return flags_of(self.text)

    def paren(self, name):
        """The parenthesized value after `name` (ENVELOPE, BODYSTRUCTURE), literals
        left as markers."""
        at = self.text.find(name + ' (')
        check(at >= 0, 'no item', name, self.text)
        depth, quoted, i = 0, False, at + len(name) + 1
        start = i
        while True:
            c = self.text[i]
            if quoted:
                if c == '\\':
                    i += 1
                elif c == '"':
                    quoted = False
            elif c == '"':
                quoted = True
            elif c == '(':
                depth += 1
            elif c == ')':
                depth -= 1
                if depth == 0:
                    return self.text[start:i + 1]
            i += 1


def item(text, name):
    """The atom or number after `name` in a FETCH text."""
    m = re.search(r'[( ]' + re.escape(name) + r' ([^ ()]+)', text)
    return m.group(1) if m else None


def flags_of(text):
    m = re.search(r'FLAGS \(([^)]*)\)', text)
    check(m is not None, 'no FLAGS in', text)
    return sorted(f for f in m.group(1).split() if f != '\\Recent')


def message(subject, body='body\r\n', sender='Alice <alice@elsewhere.example>', extra=''):
    return ('From: %s\r\nTo: pat@example.test\r\nSubject: %s\r\n'
            'Message-ID: <%s@elsewhere.example>\r\nDate: Tue, 5 Mar 2024 10:11:12 +0100\r\n'
            '%s\r\n%s' % (sender, subject, subject.replace(' ', '-'), extra, body)).encode()


def deliver(to, data):
    with smtplib.SMTP('127.0.0.1', MX, timeout=30) as smtp:
        smtp.sendmail('a@elsewhere.example', [to], data)


class Raw:
    """Raw protocol on an imaplib connection (for what imaplib cannot send: UTF8
    literals, LITERAL+, IDLE). Responses are lines with literals inlined."""

    def __init__(self, m):
        self.m = m
        self.n = 0

    def line(self):
        out = b''
        while True:
            line = self.m._get_line() + b'\r\n'
            out += line
            lit = re.search(rb'~?\{(\d+)\}\r\n$', line)
            if not lit:
                return out[:-2]
            out += self.m.read(int(lit.group(1)))

    def command(self, *parts):
        """Sends `parts` (bytes; a part ending in `{n}\\r\\n` waits for the
        continuation) with a fresh tag; returns (untagged lines, tagged line)."""
        self.n += 1
        tag = b'R%d' % self.n
        first = True
        for part in parts:
            data = (tag + b' ' + part) if first else part
            first = False
            self.m.send(data)
            if re.search(rb'[^+]\}\r\n$', data):
                cont = self.line()
                check(cont.startswith(b'+'), 'no continuation', cont)
        self.m.send(b'\r\n')
        return self.until(tag)

    def until(self, tag):
        lines = []
        while True:
            line = self.line()
            if line.startswith(tag + b' '):
                return lines, line[len(tag) + 1:]
            lines.append(line)


def scram_client(user, password):
    """An imaplib authobject speaking SCRAM-SHA-256 (RFC 5802, RFC 7677) that checks
    the server's signature."""
    import hashlib
    import hmac
    nonce = base64.b64encode(os.urandom(18)).decode()
    bare = 'n=%s,r=%s' % (user.replace('=', '=3D').replace(',', '=2C'), nonce)
    state = {'step': 0}

    def step(challenge):
        state['step'] += 1
        if state['step'] == 1:
            return ('n,,' + bare).encode()
        if state['step'] == 2:
            server_first = challenge.decode()
            fields = dict(f.split('=', 1) for f in server_first.split(','))
            check(fields['r'].startswith(nonce), 'server nonce', fields)
            salt = base64.b64decode(fields['s'])
            salted = hashlib.pbkdf2_hmac('sha256', password.encode(), salt, int(fields['i']))
            client_key = hmac.new(salted, b'Client Key', hashlib.sha256).digest()
            stored = hashlib.sha256(client_key).digest()
            without_proof = 'c=biws,r=' + fields['r']
            auth_message = ','.join((bare, server_first, without_proof)).encode()
            signature = hmac.new(stored, auth_message, hashlib.sha256).digest()
            proof = bytes(a ^ b for a, b in zip(client_key, signature))
            server_key = hmac.new(salted, b'Server Key', hashlib.sha256).digest()
            state['expect'] = base64.b64encode(
                hmac.new(server_key, auth_message, hashlib.sha256).digest()).decode()
            return (without_proof + ',p=' + base64.b64encode(proof).decode()).encode()
        if challenge.startswith(b'e='):
            # The server's error message (RFC 5802 section 7); the exchange ends NO.
            state['error'] = challenge.decode()
            return b''
        eq(challenge.decode(), 'v=' + state['expect'], 'SCRAM server signature')
        state['verified'] = True
        return b''

    step.state = state
    return step
