"""The mailbox tree: CREATE (hierarchies, USE special uses), DELETE, RENAME
(hierarchies and the INBOX rule), SUBSCRIBE/UNSUBSCRIBE, LIST (LIST-EXTENDED selection
and return options, LIST-STATUS, SPECIAL-USE, CHILDREN, several patterns, references),
LSUB, NAMESPACE, STATUS (every item), GETQUOTA/GETQUOTAROOT/SETQUOTA and modified
UTF-7 versus UTF8=ACCEPT names."""

import re

from common import *


def listing(m, *args, kind='LIST'):
    """The LIST (or LSUB) responses as {name: (attributes, extra)}, and STATUS ones as
    {name: text}; also checks the delimiter of each."""
    data, untagged = ok(m, kind, *args)
    eq(tagged(data), '%s completed' % kind, kind)
    rows = {}
    for line in untagged.get(kind, []):
        text = line.decode()
        found = re.fullmatch(r'\(([^)]*)\) "\." ("(?:[^"\\]|\\.)*"|[^ ]+)(?: (\(.*\)))?', text)
        check(found, 'unexpected %s line' % kind, text)
        attributes, name, extra = found.groups()
        rows[name.strip('"')] = (sorted(attributes.split()), extra)
    statuses = {}
    for line in untagged.get('STATUS', []):
        name, _, items = line.decode().partition(' ')
        statuses[name.strip('"')] = items
    return rows, statuses


m = logged_in()

# --- A new user's tree: INBOX and the special-use folders, subscribed. -------------
rows, _ = listing(m, '""', '*')
eq(rows, {
    'INBOX': (['\\HasNoChildren'], None),
    'Drafts': (['\\Drafts', '\\HasNoChildren'], None),
    'Junk': (['\\HasNoChildren', '\\Junk'], None),
    'Sent': (['\\HasNoChildren', '\\Sent'], None),
    'Trash': (['\\HasNoChildren', '\\Trash'], None),
}, 'LIST of a new user')
data, untagged = ok(m, 'LIST', '""', '""')
eq(untagged['LIST'], [b'(\\Noselect) "." ""'], 'LIST "" "" gives the delimiter')
data, untagged = ok(m, 'NAMESPACE')
eq(untagged['NAMESPACE'], [b'(("" ".")) NIL NIL'], 'NAMESPACE')

# --- CREATE: special uses, duplicates, hierarchies, a trailing delimiter. ----------
data, _ = ok(m, 'CREATE', 'Archive', '(USE (\\Archive))')
eq(tagged(data), 'CREATE completed', 'CREATE with USE')
no(m, 'CREATE', 'Stuff', '(USE (\\Archive))', code='USEATTR')
no(m, 'CREATE', 'Archive', code='ALREADYEXISTS')
no(m, 'CREATE', 'inbox', code='ALREADYEXISTS')
ok(m, 'CREATE', 'Work.2026.Q1')
ok(m, 'CREATE', 'Work.')
no(m, 'CREATE', 'Bad..Name')
no(m, 'CREATE', '"a*b"')
rows, _ = listing(m, '""', '*')
eq(rows['Archive'], (['\\Archive', '\\HasNoChildren'], None), 'CREATE USE (\\Archive)')
check('Stuff' not in rows, 'a refused USE creates nothing', rows)
eq(rows['Work'], (['\\HasChildren'], None), 'Work')
eq(rows['Work.2026'], (['\\HasChildren', '\\Noselect'], None), 'a hole in the hierarchy')
eq(rows['Work.2026.Q1'], (['\\HasNoChildren'], None), 'Work.2026.Q1')

# --- LIST patterns, references, several patterns. ---------------------------------
rows, _ = listing(m, '""', '%')
eq(sorted(rows), ['Archive', 'Drafts', 'INBOX', 'Junk', 'Sent', 'Trash', 'Work'], '%')
rows, _ = listing(m, '""', 'Work.%')
eq(sorted(rows), ['Work.2026'], 'Work.%')
rows, _ = listing(m, 'Work.', '*')
eq(sorted(rows), ['Work.2026', 'Work.2026.Q1'], 'reference Work.')
rows, _ = listing(m, '""', 'inbox')
eq(sorted(rows), ['INBOX'], 'inbox matches in any case')
rows, _ = listing(m, '""', '("Sent" "Tr*" "nothing")')
eq(sorted(rows), ['Sent', 'Trash'], 'several patterns')

# --- SUBSCRIBE, UNSUBSCRIBE, LSUB. -------------------------------------------------
ok(m, 'SUBSCRIBE', 'Work.2026.Q1')
ok(m, 'SUBSCRIBE', 'Ghost')
ok(m, 'UNSUBSCRIBE', 'Junk')
rows, _ = listing(m, '""', '*', kind='LSUB')
eq(sorted(rows), ['Drafts', 'Ghost', 'Sent', 'Trash', 'Work.2026.Q1'], 'LSUB *')
eq(rows['Sent'][0], [], 'LSUB attributes')
rows, _ = listing(m, '""', 'Work.%', kind='LSUB')
eq(rows, {'Work.2026': (['\\Noselect'], None)}, 'LSUB of an unsubscribed parent')

# --- LIST-EXTENDED selection options. ----------------------------------------------
rows, _ = listing(m, '(SUBSCRIBED)', '""', '*')
eq(rows, {
    'Drafts': (['\\Drafts', '\\HasNoChildren', '\\Subscribed'], None),
    'Sent': (['\\HasNoChildren', '\\Sent', '\\Subscribed'], None),
    'Trash': (['\\HasNoChildren', '\\Subscribed', '\\Trash'], None),
    'Work.2026.Q1': (['\\HasNoChildren', '\\Subscribed'], None),
    'Ghost': (['\\NonExistent', '\\Subscribed'], None),
}, 'LIST (SUBSCRIBED)')
rows, _ = listing(m, '(SUBSCRIBED RECURSIVEMATCH)', '""', '%')
eq(rows['Work'], (['\\HasChildren'], '("CHILDINFO" ("SUBSCRIBED"))'), 'CHILDINFO')
eq(sorted(rows), ['Drafts', 'Ghost', 'Sent', 'Trash', 'Work'], 'RECURSIVEMATCH')
rows, _ = listing(m, '(SPECIAL-USE)', '""', '*')
eq(sorted(rows), ['Archive', 'Drafts', 'Junk', 'Sent', 'Trash'], 'LIST (SPECIAL-USE)')
bad(m, 'LIST', '(RECURSIVEMATCH)', '""', '*')
bad(m, 'LIST', '(NO-SUCH-OPTION)', '""', '*')

# --- LIST-EXTENDED return options. -------------------------------------------------
rows, _ = listing(m, '""', '%', 'RETURN', '(SUBSCRIBED CHILDREN SPECIAL-USE)')
eq(rows['Sent'], (['\\HasNoChildren', '\\Sent', '\\Subscribed'], None), 'RETURN')
eq(rows['Junk'], (['\\HasNoChildren', '\\Junk'], None), 'RETURN, unsubscribed')
eq(rows['Work'], (['\\HasChildren'], None), 'RETURN (CHILDREN)')

# --- STATUS, and LIST RETURN (STATUS): every item, exact values. -------------------
first = message('status one', 'a' * 100 + '\r\n')
second = message('status two')
typ, data = m.append('Archive', '(\\Seen)', None, first)
eq(typ, 'OK', 'APPEND')
uid_validity = int(re.search(rb'APPENDUID (\d+) 1\]', data[0]).group(1))
typ, data = m.append('Archive', '(\\Deleted)', None, second)
eq(typ, 'OK', 'APPEND')
data, untagged = ok(m, 'STATUS', 'Archive',
                    '(MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN DELETED SIZE HIGHESTMODSEQ)')
status = untagged['STATUS'][0].decode()
found = re.fullmatch(r'Archive \(MESSAGES 2 RECENT (\d) UIDNEXT 3 UIDVALIDITY (\d+) UNSEEN 1 '
                     r'DELETED 1 SIZE (\d+) HIGHESTMODSEQ (\d+)\)', status)
check(found, 'STATUS', status)
eq(int(found.group(2)), uid_validity, 'STATUS UIDVALIDITY is APPENDUID\'s')
eq(int(found.group(3)), len(first) + len(second), 'STATUS SIZE')
highest = int(found.group(4))
check(highest > 0, 'HIGHESTMODSEQ', status)
no(m, 'STATUS', 'Ghost', '(MESSAGES)', code='NONEXISTENT')
no(m, 'STATUS', 'Work.2026', '(MESSAGES)', code='NONEXISTENT')
rows, statuses = listing(m, '""', '*', 'RETURN', '(STATUS (MESSAGES UNSEEN SIZE))')
eq(statuses['Archive'], '(MESSAGES 2 UNSEEN 1 SIZE %d)' % (len(first) + len(second)),
   'LIST-STATUS')
eq(statuses['INBOX'], '(MESSAGES 0 UNSEEN 0 SIZE 0)', 'LIST-STATUS INBOX')
check('Work.2026' not in statuses, 'no STATUS for a \\Noselect name', statuses)
eq(set(statuses), set(rows) - {'Work.2026'}, 'a STATUS for each selectable mailbox')

# --- DELETE: holes, parents, INBOX, missing names. ---------------------------------
no(m, 'DELETE', 'INBOX')
no(m, 'DELETE', 'Ghost', code='NONEXISTENT')
no(m, 'DELETE', 'Work.2026')
ok(m, 'DELETE', 'Work')
rows, _ = listing(m, '""', 'Work*')
eq(rows, {
    'Work': (['\\HasChildren', '\\Noselect'], None),
    'Work.2026': (['\\HasChildren', '\\Noselect'], None),
    'Work.2026.Q1': (['\\HasNoChildren'], None),
}, 'DELETE of a parent leaves a \\Noselect name')
no(m, 'SELECT', 'Work', code='NONEXISTENT')

# --- RENAME: hierarchies, refusals, and INBOX. -------------------------------------
ok(m, 'CREATE', 'Jobs')
ok(m, 'CREATE', 'Jobs.Old')
typ, data = m.append('Jobs.Old', '(\\Flagged)', None, message('kept'))
eq(typ, 'OK', 'APPEND to Jobs.Old')
data, _ = ok(m, 'RENAME', 'Jobs', 'Tasks')
eq(tagged(data), 'RENAME completed', 'RENAME')
rows, _ = listing(m, '""', '*')
check('Jobs' not in rows and 'Jobs.Old' not in rows, 'old names gone', rows)
eq(rows['Tasks'], (['\\HasChildren'], None), 'renamed parent')
eq(rows['Tasks.Old'], (['\\HasNoChildren'], None), 'renamed child')
data, untagged = ok(m, 'STATUS', 'Tasks.Old', '(MESSAGES)')
eq(untagged['STATUS'], [b'Tasks.Old (MESSAGES 1)'], 'messages move with the child')
no(m, 'RENAME', 'Tasks', 'Archive', code='ALREADYEXISTS')
no(m, 'RENAME', 'Ghost', 'Other', code='NONEXISTENT')
no(m, 'RENAME', 'Tasks', 'Tasks.Inner')
no(m, 'RENAME', 'Tasks', 'INBOX', code='ALREADYEXISTS')
# The INBOX rule: its messages move to the new name, INBOX stays (empty), and its
# sub-folders stay where they are.
deliver(USER, message('inbox one'))
deliver(USER, message('inbox two'))
ok(m, 'CREATE', 'INBOX.Sub')
data, _ = ok(m, 'RENAME', 'INBOX', 'Old-Inbox')
data, untagged = ok(m, 'STATUS', 'Old-Inbox', '(MESSAGES UIDNEXT)')
eq(untagged['STATUS'], [b'Old-Inbox (MESSAGES 2 UIDNEXT 3)'], 'RENAME INBOX moves messages')
data, untagged = ok(m, 'STATUS', 'INBOX', '(MESSAGES)')
eq(untagged['STATUS'], [b'INBOX (MESSAGES 0)'], 'INBOX is empty and still there')
rows, _ = listing(m, '""', '*')
eq(rows['INBOX'], (['\\HasChildren'], None), 'INBOX keeps its sub-folder')
check('INBOX.Sub' in rows and 'Old-Inbox.Sub' not in rows, rows)

# --- Names outside ASCII: modified UTF-7, or UTF-8 once UTF8=ACCEPT is enabled. ----
ok(m, 'CREATE', 'Entw&APw-rfe')
rows, _ = listing(m, '""', 'Entw*')
eq(sorted(rows), ['Entw&APw-rfe'], 'modified UTF-7 name')
bad(m, 'CREATE', '"Entw&APw"')  # not valid modified UTF-7
data, untagged = ok(m, 'ENABLE', 'UTF8=ACCEPT')
eq(untagged['ENABLED'], [b'UTF8=ACCEPT'], 'ENABLE UTF8=ACCEPT')
rows, _ = listing(m, '""', 'Entw*')
eq(sorted(rows), ['Entwürfe'], 'the same name in UTF-8')
m._encoding = 'utf-8'
ok(m, 'CREATE', '"Ablage-ß"')
data, untagged = ok(m, 'STATUS', '"Ablage-ß"', '(MESSAGES)')
eq(untagged['STATUS'], ['"Ablage-ß" (MESSAGES 0)'.encode()], 'STATUS of a UTF-8 name')
m.logout()
m = logged_in()
rows, _ = listing(m, '""', 'Ablage*')
eq(sorted(rows), ['Ablage-&AN8-'], 'UTF-8 name in modified UTF-7 without UTF8=ACCEPT')

# --- QUOTA (RFC 9208): no quota, then the 2000-byte user. --------------------------
data, untagged = ok(m, 'GETQUOTAROOT', 'INBOX')
eq(untagged.get('QUOTAROOT'), [b'INBOX'], 'no quota root without a quota')
check('QUOTA' not in untagged, untagged)
no(m, 'GETQUOTA', '""', code='NONEXISTENT')
no(m, 'GETQUOTAROOT', 'Ghost', code='NONEXISTENT')
m.logout()
q = logged_in(QUOTA_USER)
data, untagged = ok(q, 'GETQUOTAROOT', 'INBOX')
eq(untagged.get('QUOTAROOT'), [b'INBOX ""'], 'QUOTAROOT')
eq(untagged.get('QUOTA'), [b'"" (STORAGE 0 1)'], 'QUOTA in KiB')
typ, data = q.append('INBOX', None, None, message('small', 'x' * 900 + '\r\n'))
eq(typ, 'OK', 'APPEND within the quota')
data, untagged = ok(q, 'GETQUOTA', '""')
eq(untagged.get('QUOTA'), [b'"" (STORAGE 1 1)'], 'usage after APPEND')
try:
    typ, data = q.append('INBOX', None, None, message('big', 'x' * 1500 + '\r\n'))
except imaplib.IMAP4.error as e:
    typ, data = 'NO', [str(e).encode()]
eq(typ, 'NO', 'APPEND over the quota')
check(b'[OVERQUOTA]' in data[0], data)
data, untagged = ok(q, 'STATUS', 'INBOX', '(MESSAGES)')
eq(untagged['STATUS'], [b'INBOX (MESSAGES 1)'], 'nothing stored over the quota')
# QUOTASET is not advertised: SETQUOTA is unknown.
bad(q, 'SETQUOTA', '""', '(STORAGE 100)')
q.logout()
print('mailboxes ok')
