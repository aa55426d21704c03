//! Running a compiled script against one message.

use std::borrow::Cow;
use std::collections::HashMap;

use mail_parser::decoders::html::html_to_text;

use crate::Script;
use crate::actions::{Action, ActionSet, Outcome};
use crate::address::{is_mailbox_list, parse_address_list, parse_envelope, parse_sieve_address};
use crate::ast::{BodyTransform, Command, CommandKind, Modifier, Test, TestKind, Vacation};
use crate::compiler::is_address_header;
use crate::config::{Config, Extension};
use crate::error::{Position, RuntimeError};
use crate::flags;
use crate::matching::{Fuel, KeyMatch, MatchType, Matcher, quote_wildcard};
use crate::message::{Envelope, MessageContext};
use crate::strings::{Part, Str};
use crate::vacation::{
    VacationResponse, VacationStore, VacationSuppressed, check_reply_due, mime_headers_are_ascii,
};

/// Tells whether a mailbox exists (for `mailboxexists`, RFC 5490).
pub trait MailboxLookup {
    /// Whether `name` exists and the user may deliver into it.
    fn mailbox_exists(&self, name: &str) -> bool;
}

impl<F: Fn(&str) -> bool> MailboxLookup for F {
    fn mailbox_exists(&self, name: &str) -> bool {
        self(name)
    }
}

/// The default lookup: only INBOX exists.
struct InboxOnly;

impl MailboxLookup for InboxOnly {
    fn mailbox_exists(&self, name: &str) -> bool {
        name.eq_ignore_ascii_case(crate::actions::INBOX)
    }
}

static INBOX_ONLY: InboxOnly = InboxOnly;

/// What the server provides to a run besides the message: response tracking for
/// vacation, mailbox existence, and the user's own addresses.
pub struct Environment<'a> {
    vacation_store: &'a dyn VacationStore,
    mailboxes: &'a dyn MailboxLookup,
    user_addresses: Vec<String>,
}

impl<'a> Environment<'a> {
    /// An environment with a vacation store; only INBOX exists and the user's address
    /// is taken from the envelope recipient.
    pub fn new(vacation_store: &'a dyn VacationStore) -> Self {
        Self {
            vacation_store,
            mailboxes: &INBOX_ONLY,
            user_addresses: Vec::new(),
        }
    }

    /// Answers `mailboxexists` with `mailboxes`.
    pub fn with_mailboxes(mut self, mailboxes: &'a dyn MailboxLookup) -> Self {
        self.mailboxes = mailboxes;
        self
    }

    /// The addresses that belong to the user (aliases), used by vacation to tell
    /// personal mail and to avoid answering the user.
    pub fn with_user_addresses<I, S>(mut self, addresses: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.user_addresses = addresses.into_iter().map(Into::into).collect();
        self
    }
}

impl std::fmt::Debug for Environment<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Environment")
            .field("user_addresses", &self.user_addresses)
            .finish_non_exhaustive()
    }
}

enum Flow {
    Continue,
    Stop,
}

type Result<T> = std::result::Result<T, RuntimeError>;

/// The state of one run.
pub(crate) struct Run<'r, 'm> {
    config: &'r Config,
    variables_enabled: bool,
    message: &'r MessageContext<'m>,
    envelope: &'r Envelope,
    env: &'r Environment<'r>,
    variables: HashMap<String, String>,
    match_values: Vec<String>,
    internal_flags: String,
    actions: ActionSet,
    instructions: u64,
    fuel: Fuel,
    redirects: usize,
    vacation_done: bool,
    vacation_suppressed: Option<VacationSuppressed>,
}

pub(crate) fn run(
    script: &Script,
    message: &MessageContext<'_>,
    envelope: &Envelope,
    env: &Environment<'_>,
) -> Result<Outcome> {
    let mut run = Run {
        config: &script.config,
        variables_enabled: script.extensions.contains(&Extension::Variables),
        message,
        envelope,
        env,
        variables: HashMap::new(),
        match_values: Vec::new(),
        internal_flags: String::new(),
        actions: ActionSet::default(),
        instructions: 0,
        fuel: Fuel {
            remaining: script.config.max_match_steps,
        },
        redirects: 0,
        vacation_done: false,
        vacation_suppressed: None,
    };
    let stopped = matches!(run.block(&script.commands)?, Flow::Stop);
    Ok(run.finish(stopped))
}

impl Run<'_, '_> {
    fn finish(mut self, stopped: bool) -> Outcome {
        let implicit_keep = !self.actions.keep_cancelled;
        if implicit_keep {
            let flags = flags::storable([self.internal_flags.as_str()]);
            self.actions.add(Action::Keep { flags });
            // Keep the implicit keep last even if it merged with an earlier keep.
            if let Some(index) = self
                .actions
                .actions
                .iter()
                .position(|a| matches!(a, Action::Keep { .. }))
            {
                let keep = self.actions.actions.remove(index);
                self.actions.actions.push(keep);
            }
        }
        // The run succeeded: the replies it decided on count as sent.
        for action in &self.actions.actions {
            if let Action::Vacation(response) = action {
                self.env.vacation_store.record(
                    &response.handle,
                    &response.to.to_lowercase(),
                    response.days,
                );
            }
        }
        Outcome {
            actions: self.actions.actions,
            implicit_keep,
            stopped,
            vacation_suppressed: self.vacation_suppressed,
        }
    }

    fn tick(&mut self, at: Position) -> Result<()> {
        self.instructions += 1;
        if self.instructions > self.config.max_instructions {
            return Err(RuntimeError::InstructionLimit {
                at,
                limit: self.config.max_instructions,
            });
        }
        Ok(())
    }

    fn block(&mut self, commands: &[Command]) -> Result<Flow> {
        for command in commands {
            if let Flow::Stop = self.command(command)? {
                return Ok(Flow::Stop);
            }
        }
        Ok(Flow::Continue)
    }

    fn command(&mut self, command: &Command) -> Result<Flow> {
        let at = command.at;
        self.tick(at)?;
        match &command.kind {
            CommandKind::If {
                branches,
                otherwise,
            } => {
                for (test, block) in branches {
                    if self.test(test)? {
                        return self.block(block);
                    }
                }
                if let Some(block) = otherwise {
                    return self.block(block);
                }
            }
            CommandKind::Stop => return Ok(Flow::Stop),
            CommandKind::Keep { flags } => {
                let flags = self.action_flags(flags.as_deref(), at)?;
                self.add_action(Action::Keep { flags }, at)?;
            }
            CommandKind::Discard => self.add_action(Action::Discard, at)?,
            CommandKind::FileInto {
                mailbox,
                flags,
                copy,
                create,
            } => {
                let mailbox = self.expand(mailbox, at)?.into_owned();
                let flags = self.action_flags(flags.as_deref(), at)?;
                self.add_action(
                    Action::FileInto {
                        mailbox,
                        flags,
                        create: *create,
                        copy: *copy,
                    },
                    at,
                )?;
            }
            CommandKind::Redirect { address, copy } => {
                let value = self.expand(address, at)?;
                let Some(address) = parse_sieve_address(&value) else {
                    return Err(RuntimeError::InvalidAddress {
                        at,
                        address: value.into_owned(),
                    });
                };
                let already = self.actions.actions.iter().any(
                    |a| matches!(a, Action::Redirect { address: other, .. } if other.eq_ignore_ascii_case(&address)),
                );
                if !already {
                    self.redirects += 1;
                    if self.redirects > self.config.max_redirects {
                        return Err(RuntimeError::RedirectLimit {
                            at,
                            limit: self.config.max_redirects,
                        });
                    }
                }
                self.add_action(
                    Action::Redirect {
                        address,
                        copy: *copy,
                    },
                    at,
                )?;
            }
            CommandKind::Vacation(vacation) => self.vacation(vacation, at)?,
            CommandKind::Flags {
                op,
                variable,
                flags: list,
            } => {
                let given = self.expand_all(list, at)?;
                let current = match variable {
                    Some(name) => self.variables.get(name).map_or("", String::as_str),
                    None => self.internal_flags.as_str(),
                };
                let updated = flags::apply(*op, current, &given);
                let name = variable.as_deref().unwrap_or("(internal flags)");
                self.check_size(name, &updated, at)?;
                match variable {
                    Some(name) => self.set_variable(name, updated, at)?,
                    None => self.internal_flags = updated,
                }
            }
            CommandKind::Set {
                name,
                value,
                modifiers,
            } => {
                let mut value = self.expand(value, at)?.into_owned();
                for modifier in modifiers {
                    value = apply_modifier(*modifier, &value);
                }
                self.check_size(name, &value, at)?;
                self.set_variable(name, value, at)?;
            }
        }
        Ok(Flow::Continue)
    }

    fn add_action(&mut self, action: Action, at: Position) -> Result<()> {
        if self.actions.add(action) && self.actions.len() > self.config.max_actions {
            return Err(RuntimeError::ActionLimit {
                at,
                limit: self.config.max_actions,
            });
        }
        Ok(())
    }

    /// The flags for keep or fileinto: `:flags`, or the internal variable.
    fn action_flags(&mut self, given: Option<&[Str]>, at: Position) -> Result<Vec<String>> {
        Ok(match given {
            Some(list) => {
                let values = self.expand_all(list, at)?;
                flags::storable(values.iter().map(String::as_str))
            }
            None => flags::storable([self.internal_flags.as_str()]),
        })
    }

    fn check_size(&self, name: &str, value: &str, at: Position) -> Result<()> {
        if value.len() > self.config.max_variable_size {
            return Err(RuntimeError::VariableTooLarge {
                at,
                name: name.to_owned(),
                limit: self.config.max_variable_size,
            });
        }
        Ok(())
    }

    fn set_variable(&mut self, name: &str, value: String, at: Position) -> Result<()> {
        if !self.variables.contains_key(name) && self.variables.len() >= self.config.max_variables {
            return Err(RuntimeError::TooManyVariables {
                at,
                limit: self.config.max_variables,
            });
        }
        self.variables.insert(name.to_owned(), value);
        Ok(())
    }

    /// A string with its `${...}` references filled in.
    fn expand<'s>(&self, value: &'s Str, at: Position) -> Result<Cow<'s, str>> {
        let (parts, literal_len) = match value {
            Str::Const(text) => return Ok(Cow::Borrowed(text)),
            Str::Template(parts, literal_len) => (parts, *literal_len),
        };
        let limit = literal_len.saturating_add(self.config.max_variable_size);
        let mut out = String::new();
        for part in parts {
            let piece = match part {
                Part::Text(text) => text.as_str(),
                Part::Variable(name) => self.variables.get(name).map_or("", String::as_str),
                Part::Match(index) => self.match_values.get(*index).map_or("", String::as_str),
            };
            if out.len() + piece.len() > limit {
                return Err(RuntimeError::ExpansionTooLarge { at, limit });
            }
            out.push_str(piece);
        }
        Ok(Cow::Owned(out))
    }

    fn expand_all(&self, values: &[Str], at: Position) -> Result<Vec<String>> {
        values
            .iter()
            .map(|v| self.expand(v, at).map(Cow::into_owned))
            .collect()
    }

    fn test(&mut self, test: &Test) -> Result<bool> {
        let at = test.at;
        self.tick(at)?;
        let separator = self.config.subaddress_separator;
        match &test.kind {
            TestKind::True => Ok(true),
            TestKind::False => Ok(false),
            TestKind::Not(inner) => Ok(!self.test(inner)?),
            TestKind::AllOf(tests) => {
                for t in tests {
                    if !self.test(t)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            TestKind::AnyOf(tests) => {
                for t in tests {
                    if self.test(t)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            TestKind::Address {
                matcher,
                part,
                headers,
                keys,
            } => {
                let keys = self.expand_all(keys, at)?;
                let mut values = Vec::new();
                for name in self.expand_all(headers, at)? {
                    if !is_address_header(&name) {
                        continue;
                    }
                    for field in self.message.fields(&name) {
                        values.extend(
                            parse_address_list(&field.raw)
                                .iter()
                                .filter_map(|a| a.part(*part, separator)),
                        );
                    }
                }
                self.match_values(matcher, &values, &keys, true, at)
            }
            TestKind::Envelope {
                matcher,
                part,
                parts,
                keys,
            } => {
                let keys = self.expand_all(keys, at)?;
                let mut values = Vec::new();
                for name in self.expand_all(parts, at)? {
                    let path = if name.eq_ignore_ascii_case("from") {
                        &self.envelope.from
                    } else if name.eq_ignore_ascii_case("to") {
                        &self.envelope.to
                    } else {
                        continue;
                    };
                    match parse_envelope(path) {
                        // The null reverse-path is the empty string for every part.
                        None => values.push(String::new()),
                        Some(address) => values.extend(address.part(*part, separator)),
                    }
                }
                self.match_values(matcher, &values, &keys, true, at)
            }
            TestKind::Header {
                matcher,
                headers,
                keys,
            } => {
                let keys = self.expand_all(keys, at)?;
                let mut values = Vec::new();
                for name in self.expand_all(headers, at)? {
                    values.extend(
                        self.message
                            .fields(&name)
                            .map(|f| f.decoded.trim().to_owned()),
                    );
                }
                self.match_values(matcher, &values, &keys, true, at)
            }
            TestKind::Exists(names) => {
                let names = self.expand_all(names, at)?;
                Ok(names.iter().all(|n| self.message.has_header(n)))
            }
            TestKind::Size { over, limit } => Ok(if *over {
                self.message.size() > *limit
            } else {
                self.message.size() < *limit
            }),
            TestKind::String {
                matcher,
                sources,
                keys,
            } => {
                let keys = self.expand_all(keys, at)?;
                let mut values = self.expand_all(sources, at)?;
                if matches!(matcher.match_type, MatchType::Count(_)) {
                    // RFC 5229 section 5: the empty string counts as nothing.
                    values.retain(|v| !v.is_empty());
                }
                self.match_values(matcher, &values, &keys, true, at)
            }
            TestKind::HasFlag {
                matcher,
                variables,
                keys,
            } => {
                let keys = self.expand_all(keys, at)?;
                let sources: Vec<&str> = match variables {
                    None => vec![self.internal_flags.as_str()],
                    Some(names) => names
                        .iter()
                        .map(|n| self.variables.get(n).map_or("", String::as_str))
                        .collect(),
                };
                let values: Vec<String> = flags::distinct(sources)
                    .into_iter()
                    .map(str::to_owned)
                    .collect();
                let keys: Vec<String> = if matches!(
                    matcher.match_type,
                    MatchType::Count(_) | MatchType::Value(_)
                ) {
                    keys
                } else {
                    flags::distinct(keys.iter().map(String::as_str))
                        .into_iter()
                        .map(str::to_owned)
                        .collect()
                };
                self.match_values(matcher, &values, &keys, true, at)
            }
            TestKind::Body {
                matcher,
                transform,
                keys,
            } => {
                let keys = self.expand_all(keys, at)?;
                let values = self.body_values(transform, at)?;
                // RFC 5173 section 6: body never sets match variables.
                self.match_values(matcher, &values, &keys, false, at)
            }
            TestKind::MailboxExists(names) => {
                let names = self.expand_all(names, at)?;
                Ok(names.iter().all(|n| self.env.mailboxes.mailbox_exists(n)))
            }
        }
    }

    fn body_values(&self, transform: &BodyTransform, at: Position) -> Result<Vec<String>> {
        Ok(match transform {
            BodyTransform::Raw => {
                vec![String::from_utf8_lossy(self.message.raw_body()).into_owned()]
            }
            BodyTransform::Content(types) => {
                let types = self.expand_all(types, at)?;
                self.message
                    .body_parts(self.config.max_mime_depth)
                    .iter()
                    .filter(|p| types.iter().any(|t| p.selected_by(t)))
                    .map(|p| p.content.clone())
                    .collect()
            }
            BodyTransform::Text => self
                .message
                .body_parts(self.config.max_mime_depth)
                .iter()
                .filter(|p| p.media_type == "text")
                .map(|p| {
                    if p.subtype == "html" {
                        html_to_text(&p.content)
                    } else {
                        p.content.clone()
                    }
                })
                .collect(),
        })
    }

    /// The core of every matching test: true if any value matches any key (for
    /// `:count`, if the number of values does). A `:matches` success sets the match
    /// variables when `capture` and the variables extension allow it.
    fn match_values(
        &mut self,
        matcher: &Matcher,
        values: &[String],
        keys: &[String],
        capture: bool,
        at: Position,
    ) -> Result<bool> {
        if let MatchType::Count(_) = matcher.match_type {
            let count = values.len().to_string();
            for key in keys {
                self.tick(at)?;
                if let KeyMatch::Yes = self.compare(matcher, &count, key, false, at)? {
                    return Ok(true);
                }
            }
            return Ok(false);
        }
        let capture = capture && self.variables_enabled && matcher.match_type == MatchType::Matches;
        for value in values {
            for key in keys {
                self.tick(at)?;
                match self.compare(matcher, value, key, capture, at)? {
                    KeyMatch::No => {}
                    KeyMatch::Yes => return Ok(true),
                    KeyMatch::Captured(captures) => {
                        let limit = self.config.max_variable_size;
                        self.match_values = std::iter::once(value.clone())
                            .chain(captures)
                            .map(|v| truncate(v, limit))
                            .collect();
                        return Ok(true);
                    }
                }
            }
        }
        Ok(false)
    }

    fn compare(
        &mut self,
        matcher: &Matcher,
        value: &str,
        key: &str,
        capture: bool,
        at: Position,
    ) -> Result<KeyMatch> {
        matcher
            .compare(value, key, capture, &mut self.fuel)
            .map_err(|_| RuntimeError::MatchLimit {
                at,
                limit: self.config.max_match_steps,
            })
    }

    fn vacation(&mut self, vacation: &Vacation, at: Position) -> Result<()> {
        if std::mem::replace(&mut self.vacation_done, true) {
            return Err(RuntimeError::DuplicateVacation { at });
        }
        let reason = self.expand(&vacation.reason, at)?.into_owned();
        if vacation.mime && !mime_headers_are_ascii(&reason) {
            return Err(RuntimeError::InvalidVacationMime { at });
        }
        let subject = vacation
            .subject
            .as_ref()
            .map(|s| self.expand(s, at).map(Cow::into_owned))
            .transpose()?;
        let from = vacation
            .from
            .as_ref()
            .map(|s| self.expand(s, at).map(Cow::into_owned))
            .transpose()?
            // RFC 5230 section 4.3: an invalid :from is ignored rather than failing.
            .filter(|f| is_mailbox_list(f));
        let mut own = self.env.user_addresses.clone();
        own.push(self.envelope.to.clone());
        own.extend(self.expand_all(&vacation.addresses, at)?);
        let (min, max) = (
            self.config.vacation_min_days.max(1),
            self.config.vacation_max_days.max(1),
        );
        let requested = vacation.days.unwrap_or(u64::from(min.max(7)));
        let days =
            u32::try_from(requested.clamp(u64::from(min), u64::from(max.max(min)))).unwrap_or(max);
        let sender = match check_reply_due(
            self.message,
            self.envelope,
            &own,
            self.config.subaddress_separator,
        ) {
            Ok(sender) => sender,
            Err(reason) => {
                self.vacation_suppressed = Some(reason);
                return Ok(());
            }
        };
        if self
            .env
            .vacation_store
            .seen_recently(&vacation.handle, &sender.to_lowercase(), days)
        {
            self.vacation_suppressed = Some(VacationSuppressed::AlreadyAnswered);
            return Ok(());
        }
        let subject =
            subject.unwrap_or_else(|| match self.message.header_values("subject").next() {
                Some(original) => format!("Auto: {}", original.trim()),
                None => "Automated reply".to_owned(),
            });
        let message_id = self
            .message
            .fields("message-id")
            .next()
            .map(|f| f.raw.clone())
            .filter(|id| !id.is_empty());
        let references = message_id.as_ref().map(|id| {
            match self
                .message
                .fields("references")
                .next()
                .map(|f| f.raw.trim())
            {
                Some(previous) if !previous.is_empty() => format!("{previous} {id}"),
                _ => id.clone(),
            }
        });
        let response = VacationResponse {
            to: sender,
            from: from.unwrap_or_else(|| self.envelope.to.clone()),
            subject,
            reason,
            mime: vacation.mime,
            handle: vacation.handle.clone(),
            days,
            in_reply_to: message_id,
            references,
        };
        self.add_action(Action::Vacation(response), at)
    }
}

fn truncate(mut value: String, limit: usize) -> String {
    if value.len() > limit {
        let mut end = limit;
        while !value.is_char_boundary(end) {
            end -= 1;
        }
        value.truncate(end);
    }
    value
}

fn apply_modifier(modifier: Modifier, value: &str) -> String {
    match modifier {
        Modifier::Lower => value.to_lowercase(),
        Modifier::Upper => value.to_uppercase(),
        Modifier::LowerFirst | Modifier::UpperFirst => {
            let mut chars = value.chars();
            match chars.next() {
                Some(first) => {
                    let mut out: String = if modifier == Modifier::LowerFirst {
                        first.to_lowercase().collect()
                    } else {
                        first.to_uppercase().collect()
                    };
                    out.push_str(chars.as_str());
                    out
                }
                None => String::new(),
            }
        }
        Modifier::QuoteWildcard => quote_wildcard(value),
        Modifier::Length => value.chars().count().to_string(),
    }
}
