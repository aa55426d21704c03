//! Command encoding.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::BytesMut;

use super::encode::{EncodeOptions, Encoder, Fragment};
use super::fetch::{encode_fetch_items, encode_fetch_modifiers};
use super::search::{encode_return_opts, encode_search_keys, encode_sort_criteria};
use crate::types::{
    AppendMessage, Command, CommandBody, List, ListReturnOption, ListSelectOption,
    MailboxAttribute, QResync, SelectParams, StatusAttribute, StoreAction,
};

/// Encodes a command into `out` in one piece, literals inline.
///
/// This is the form for tests, logs and a client that knows every literal is accepted
/// (LITERAL+); a client that must wait for `+` uses [`encode_command_fragments`].
pub fn encode_command(command: &Command<'_>, out: &mut BytesMut) {
    let mut e = Encoder::flat(EncodeOptions::default(), out);
    write_command(&mut e, command);
    e.finish_flat(out);
}

/// Encodes a command for a client as fragments: send each [`Fragment::Line`] at once and,
/// before a [`Fragment::Literal`] with `sync: true`, wait for the server's `+` (a tagged
/// response instead means the command is over and the rest must not be sent).
pub fn encode_command_fragments(command: &Command<'_>, opts: EncodeOptions) -> Vec<Fragment> {
    let mut e = Encoder::new(opts);
    write_command(&mut e, command);
    e.into_fragments()
}

/// Writes a command (with its CRLF) into an encoder.
pub fn write_command(e: &mut Encoder, command: &Command<'_>) {
    e.tag(&command.tag).sp();
    write_body(e, &command.body);
    e.crlf();
}

fn uid(e: &mut Encoder, uid: bool) {
    if uid {
        e.raw(b"UID ");
    }
}

fn write_body(e: &mut Encoder, body: &CommandBody<'_>) {
    use CommandBody as C;
    match body {
        C::Capability
        | C::Noop
        | C::Logout
        | C::StartTls
        | C::Namespace
        | C::Idle
        | C::Check
        | C::Close
        | C::Unselect
        | C::Expunge => {
            e.raw(body.name().as_bytes());
        }
        C::Authenticate {
            mechanism,
            initial_response,
        } => {
            e.raw(b"AUTHENTICATE ").atom(mechanism);
            if let Some(ir) = initial_response {
                e.sp();
                write_sasl(e, ir.expose());
            }
        }
        C::Login { username, password } => {
            e.raw(b"LOGIN ")
                .astring(username)
                .sp()
                .astring(password.expose());
        }
        C::Enable(caps) => {
            e.raw(b"ENABLE");
            for cap in caps.iter() {
                e.sp().raw(cap.to_string().as_bytes());
            }
        }
        C::Select { mailbox, params } => {
            e.raw(b"SELECT ").mailbox(mailbox);
            write_select_params(e, params);
        }
        C::Examine { mailbox, params } => {
            e.raw(b"EXAMINE ").mailbox(mailbox);
            write_select_params(e, params);
        }
        C::Create {
            mailbox,
            special_use,
        } => {
            e.raw(b"CREATE ").mailbox(mailbox);
            if !special_use.is_empty() {
                e.raw(b" (USE ")
                    .list(special_use, |e, a: &MailboxAttribute<'_>| {
                        e.raw(a.to_string().as_bytes());
                    });
                e.raw(b")");
            }
        }
        C::Delete(m) => {
            e.raw(b"DELETE ").mailbox(m);
        }
        C::Rename { from, to } => {
            e.raw(b"RENAME ").mailbox(from).sp().mailbox(to);
        }
        C::Subscribe(m) => {
            e.raw(b"SUBSCRIBE ").mailbox(m);
        }
        C::Unsubscribe(m) => {
            e.raw(b"UNSUBSCRIBE ").mailbox(m);
        }
        C::List(list) => write_list(e, list),
        C::Lsub { reference, pattern } => {
            e.raw(b"LSUB ")
                .mailbox(reference)
                .sp()
                .list_mailbox(pattern.as_str());
        }
        C::Status { mailbox, items } => {
            e.raw(b"STATUS ").mailbox(mailbox).sp();
            write_status_items(e, items);
        }
        C::Append { mailbox, messages } => {
            e.raw(b"APPEND ").mailbox(mailbox);
            for m in messages.iter() {
                write_append_message(e, m);
            }
        }
        C::UidExpunge(set) => {
            e.raw(b"UID EXPUNGE ").sequence_set(set);
        }
        C::Search(s) => {
            uid(e, s.uid);
            e.raw(b"SEARCH");
            if let Some(opts) = &s.return_options {
                e.sp();
                encode_return_opts(e, opts);
            }
            if let Some(charset) = &s.charset {
                e.raw(b" CHARSET ").astring(charset);
            }
            e.sp();
            encode_search_keys(e, &s.criteria);
        }
        C::Fetch {
            uid: u,
            set,
            items,
            modifiers,
        } => {
            uid(e, *u);
            e.raw(b"FETCH ").sequence_set(set).sp();
            encode_fetch_items(e, items);
            encode_fetch_modifiers(e, modifiers);
        }
        C::Store {
            uid: u,
            set,
            unchanged_since,
            action,
            silent,
            flags,
        } => {
            uid(e, *u);
            e.raw(b"STORE ").sequence_set(set);
            if let Some(n) = unchanged_since {
                e.raw(b" (UNCHANGEDSINCE ").number(*n).raw(b")");
            }
            e.raw(match action {
                StoreAction::Replace => b" FLAGS",
                StoreAction::Add => b" +FLAGS",
                StoreAction::Remove => b" -FLAGS",
            });
            if *silent {
                e.raw(b".SILENT");
            }
            e.sp().flag_list(flags);
        }
        C::Copy {
            uid: u,
            set,
            mailbox,
        } => {
            uid(e, *u);
            e.raw(b"COPY ").sequence_set(set).sp().mailbox(mailbox);
        }
        C::Move {
            uid: u,
            set,
            mailbox,
        } => {
            uid(e, *u);
            e.raw(b"MOVE ").sequence_set(set).sp().mailbox(mailbox);
        }
        C::Id(None) => {
            e.raw(b"ID NIL");
        }
        C::Id(Some(params)) => {
            e.raw(b"ID ").list(params, |e, (k, v)| {
                e.string(k).sp().nstring(v);
            });
        }
        C::GetQuota(root) => {
            e.raw(b"GETQUOTA ").astring(root);
        }
        C::GetQuotaRoot(m) => {
            e.raw(b"GETQUOTAROOT ").mailbox(m);
        }
        C::SetQuota { root, limits } => {
            e.raw(b"SETQUOTA ").astring(root).sp().list(limits, |e, l| {
                e.raw(l.resource.as_str().as_bytes()).sp().number(l.limit);
            });
        }
        C::Sort(s) => {
            uid(e, s.uid);
            e.raw(b"SORT ");
            encode_sort_criteria(e, &s.criteria);
            e.sp().astring(&s.charset).sp();
            encode_search_keys(e, &s.search);
        }
        C::Thread(t) => {
            uid(e, t.uid);
            e.raw(b"THREAD ")
                .raw(t.algorithm.as_str().as_bytes())
                .sp()
                .astring(&t.charset)
                .sp();
            encode_search_keys(e, &t.search);
        }
        C::CompressDeflate => {
            e.raw(b"COMPRESS DEFLATE");
        }
    }
}

/// Writes a SASL response: base64, or `=` when empty.
pub(crate) fn write_sasl(e: &mut Encoder, data: &[u8]) {
    if data.is_empty() {
        e.raw(b"=");
    } else {
        e.raw(BASE64.encode(data).as_bytes());
    }
}

fn write_select_params(e: &mut Encoder, params: &SelectParams) {
    if !params.condstore && params.qresync.is_none() {
        return;
    }
    e.raw(b" (");
    if params.condstore {
        e.raw(b"CONDSTORE");
        if params.qresync.is_some() {
            e.sp();
        }
    }
    if let Some(q) = &params.qresync {
        write_qresync(e, q);
    }
    e.raw(b")");
}

fn write_qresync(e: &mut Encoder, q: &QResync) {
    e.raw(b"QRESYNC (")
        .number(q.uid_validity.get())
        .sp()
        .number(q.modseq.get());
    if let Some(known) = &q.known_uids {
        e.sp().sequence_set(known);
    }
    if let Some((seqs, uids)) = &q.seq_match {
        e.raw(b" (")
            .sequence_set(seqs)
            .sp()
            .sequence_set(uids)
            .raw(b")");
    }
    e.raw(b")");
}

fn write_status_items(e: &mut Encoder, items: &[StatusAttribute]) {
    e.list(items, |e, item| {
        e.raw(item.as_str().as_bytes());
    });
}

fn write_list(e: &mut Encoder, list: &List<'_>) {
    e.raw(b"LIST ");
    if !list.selection.is_empty() {
        e.list(&list.selection, |e, s| {
            e.raw(match s {
                ListSelectOption::Subscribed => b"SUBSCRIBED",
                ListSelectOption::Remote => b"REMOTE",
                ListSelectOption::RecursiveMatch => b"RECURSIVEMATCH",
                ListSelectOption::SpecialUse => b"SPECIAL-USE",
                ListSelectOption::Other(a) => a.as_str().as_bytes(),
            });
        });
        e.sp();
    }
    e.mailbox(&list.reference).sp();
    if list.patterns.len() == 1 {
        e.list_mailbox(list.patterns.first().as_str());
    } else {
        e.list(&list.patterns, |e, p| {
            e.list_mailbox(p.as_str());
        });
    }
    if !list.return_options.is_empty() {
        e.raw(b" RETURN ")
            .list(&list.return_options, |e, o| match o {
                ListReturnOption::Subscribed => {
                    e.raw(b"SUBSCRIBED");
                }
                ListReturnOption::Children => {
                    e.raw(b"CHILDREN");
                }
                ListReturnOption::SpecialUse => {
                    e.raw(b"SPECIAL-USE");
                }
                ListReturnOption::Status(items) => {
                    e.raw(b"STATUS ");
                    write_status_items(e, items);
                }
                ListReturnOption::Other(a) => {
                    e.atom(a);
                }
            });
    }
}

/// Writes ` [flags] [date] literal` for one APPEND message.
pub(crate) fn write_append_message(e: &mut Encoder, m: &AppendMessage<'_>) {
    e.sp();
    if !m.flags.is_empty() {
        e.flag_list(&m.flags).sp();
    }
    if let Some(date) = &m.date {
        e.date_time(date).sp();
    }
    if m.data.is_utf8() {
        e.raw(b"UTF8 (")
            .literal_bytes(m.data.literal().data(), true)
            .raw(b")");
    } else {
        e.literal(m.data.literal());
    }
}
