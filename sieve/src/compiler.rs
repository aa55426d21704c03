//! Semantic checks: from the generic syntax tree to validated commands and tests.

use std::collections::BTreeSet;

use crate::address::{AddressPart, is_mailbox_list, parse_sieve_address};
use crate::ast::{BodyTransform, Command, CommandKind, FlagOp, Modifier, Test, TestKind, Vacation};
use crate::config::{Config, Extension};
use crate::error::{CompileError, Position};
use crate::matching::{Comparator, MatchType, Matcher, Relation};
use crate::parser::{Argument, CommandNode, Literal, TestArgument, TestNode};
use crate::strings::{Str, decode_encoded_characters, is_identifier, parse_template};
use crate::vacation::{derive_handle, mime_headers_are_ascii};

/// Header fields the `address` test accepts (RFC 5228 section 5.1 restricts it to
/// fields holding addresses). `X-` fields are accepted too.
const ADDRESS_HEADERS: &[&str] = &[
    "from",
    "sender",
    "reply-to",
    "to",
    "cc",
    "bcc",
    "resent-from",
    "resent-sender",
    "resent-reply-to",
    "resent-to",
    "resent-cc",
    "resent-bcc",
    "return-path",
    "delivered-to",
    "envelope-to",
    "errors-to",
    "return-receipt-to",
    "disposition-notification-to",
    "mail-followup-to",
    "mail-reply-to",
    "original-recipient",
    "original-from",
];

/// Whether the `address` test may look at the field `name`.
pub(crate) fn is_address_header(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    ADDRESS_HEADERS.contains(&lower.as_str()) || lower.starts_with("x-")
}

/// A compiled script body and the extensions it required.
pub(crate) struct Compiled {
    pub(crate) commands: Vec<Command>,
    pub(crate) extensions: BTreeSet<Extension>,
}

pub(crate) fn compile(tree: &[CommandNode], config: &Config) -> Result<Compiled, CompileError> {
    let mut compiler = Compiler {
        config,
        required: BTreeSet::new(),
    };
    let commands = compiler.block(tree, true)?;
    Ok(Compiled {
        commands,
        extensions: compiler.required,
    })
}

struct Compiler<'c> {
    config: &'c Config,
    required: BTreeSet<Extension>,
}

/// Walks the arguments of one command or test: tags first, then positional ones.
struct Args<'n> {
    list: &'n [Argument],
    index: usize,
    name: &'n str,
    at: Position,
}

impl<'n> Args<'n> {
    fn new(name: &'n str, at: Position, list: &'n [Argument]) -> Self {
        Self {
            list,
            index: 0,
            name,
            at,
        }
    }

    fn next_tag(&mut self) -> Option<(&'n str, Position)> {
        match self.list.get(self.index) {
            Some(Argument::Tag { name, at }) => {
                self.index += 1;
                Some((name.as_str(), *at))
            }
            _ => None,
        }
    }

    fn remaining(&self) -> usize {
        self.list.len() - self.index
    }

    fn missing(&self, what: &str) -> CompileError {
        CompileError::InvalidArguments {
            at: self.at,
            message: format!("'{}' is missing its {what}", self.name),
        }
    }

    fn wrong(&self, arg: &Argument, what: &str) -> CompileError {
        let found = match arg {
            // A tag where a tag's value should be.
            Argument::Tag { .. } if what.contains(" after :") => "a tag",
            Argument::Tag { name, at } => {
                return CompileError::InvalidArguments {
                    at: *at,
                    message: format!(
                        "tag ':{name}' of '{}' must come before the positional arguments",
                        self.name
                    ),
                };
            }
            Argument::Number { .. } => "a number",
            Argument::Strings {
                bracketed: true, ..
            } => "a string list",
            Argument::Strings { .. } => "a string",
        };
        CompileError::InvalidArguments {
            at: arg.position(),
            message: format!("'{}' expects {what}, found {found}", self.name),
        }
    }

    fn string(&mut self, what: &str) -> Result<&'n Literal, CompileError> {
        let arg = self
            .list
            .get(self.index)
            .ok_or_else(|| self.missing(what))?;
        match arg {
            Argument::Strings {
                items,
                bracketed: false,
                ..
            } if items.len() == 1 => {
                self.index += 1;
                Ok(&items[0])
            }
            _ => Err(self.wrong(arg, what)),
        }
    }

    fn string_list(&mut self, what: &str) -> Result<&'n [Literal], CompileError> {
        let arg = self
            .list
            .get(self.index)
            .ok_or_else(|| self.missing(what))?;
        match arg {
            Argument::Strings { items, .. } => {
                self.index += 1;
                Ok(items)
            }
            _ => Err(self.wrong(arg, what)),
        }
    }

    fn number(&mut self, what: &str) -> Result<u64, CompileError> {
        let arg = self
            .list
            .get(self.index)
            .ok_or_else(|| self.missing(what))?;
        match arg {
            Argument::Number { value, .. } => {
                self.index += 1;
                Ok(*value)
            }
            _ => Err(self.wrong(arg, what)),
        }
    }

    fn finish(&self) -> Result<(), CompileError> {
        match self.list.get(self.index) {
            None => Ok(()),
            Some(Argument::Tag { name, at }) => Err(CompileError::InvalidArguments {
                at: *at,
                message: format!(
                    "tag ':{name}' of '{}' must come before the positional arguments",
                    self.name
                ),
            }),
            Some(arg) => Err(CompileError::InvalidArguments {
                at: arg.position(),
                message: format!("too many arguments for '{}'", self.name),
            }),
        }
    }
}

/// Comparator, match type and address part collected from tags.
#[derive(Default)]
struct MatchTags {
    comparator: Option<(Comparator, Position)>,
    match_type: Option<MatchType>,
    address_part: Option<AddressPart>,
}

impl Compiler<'_> {
    fn has(&self, ext: Extension) -> bool {
        self.required.contains(&ext)
    }

    fn need(
        &self,
        ext: Extension,
        what: impl FnOnce() -> String,
        at: Position,
    ) -> Result<(), CompileError> {
        if self.has(ext) {
            Ok(())
        } else {
            Err(CompileError::MissingRequire {
                at,
                what: what(),
                extension: ext.name(),
            })
        }
    }

    /// The text of a literal: encoded characters decoded when required, as UTF-8.
    fn text(&self, literal: &Literal) -> Result<String, CompileError> {
        let bytes = if self.has(Extension::EncodedCharacter) {
            decode_encoded_characters(&literal.bytes, literal.at)?
        } else {
            literal.bytes.clone()
        };
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    fn string(&self, literal: &Literal) -> Result<Str, CompileError> {
        let text = self.text(literal)?;
        if self.has(Extension::Variables) {
            parse_template(text, literal.at)
        } else {
            Ok(Str::Const(text))
        }
    }

    fn strings(&self, literals: &[Literal]) -> Result<Vec<Str>, CompileError> {
        literals.iter().map(|l| self.string(l)).collect()
    }

    /// A string that must not contain variable references (names, operators).
    fn constant(&self, literal: &Literal) -> Result<String, CompileError> {
        self.text(literal)
    }

    fn variable_name(&self, literal: &Literal) -> Result<String, CompileError> {
        let name = self.constant(literal)?;
        if is_identifier(&name) {
            Ok(name.to_ascii_lowercase())
        } else {
            Err(CompileError::InvalidValue {
                at: literal.at,
                message: format!("invalid variable name \"{name}\""),
            })
        }
    }

    fn block(&mut self, nodes: &[CommandNode], top: bool) -> Result<Vec<Command>, CompileError> {
        let mut out = Vec::new();
        let mut requires_allowed = top;
        let mut i = 0;
        while i < nodes.len() {
            let node = &nodes[i];
            i += 1;
            match node.name.as_str() {
                "require" => {
                    if !requires_allowed {
                        return Err(CompileError::MisplacedRequire { at: node.at });
                    }
                    self.require(node)?;
                    continue;
                }
                "if" => {
                    let mut branches = vec![self.conditional(node)?];
                    let mut otherwise = None;
                    while let Some(next) = nodes.get(i) {
                        match next.name.as_str() {
                            "elsif" => branches.push(self.conditional(next)?),
                            "else" => {
                                otherwise = Some(self.else_block(next)?);
                                i += 1;
                                break;
                            }
                            _ => break,
                        }
                        i += 1;
                    }
                    out.push(Command {
                        kind: CommandKind::If {
                            branches,
                            otherwise,
                        },
                        at: node.at,
                    });
                }
                "elsif" | "else" => {
                    return Err(CompileError::OrphanElse {
                        at: node.at,
                        name: node.name.clone(),
                    });
                }
                _ => out.push(self.command(node)?),
            }
            requires_allowed = false;
        }
        Ok(out)
    }

    fn require(&mut self, node: &CommandNode) -> Result<(), CompileError> {
        self.no_test_no_block(node)?;
        let mut args = Args::new("require", node.at, &node.arguments);
        let capabilities = args.string_list("capability list")?;
        args.finish()?;
        for literal in capabilities {
            let name = String::from_utf8_lossy(&literal.bytes);
            if matches!(
                name.as_ref(),
                "comparator-i;octet" | "comparator-i;ascii-casemap"
            ) {
                continue;
            }
            match Extension::from_name(&name) {
                Some(ext) if self.config.extensions.contains(&ext) => {
                    self.required.insert(ext);
                }
                _ => {
                    return Err(CompileError::UnsupportedExtension {
                        at: literal.at,
                        name: name.into_owned(),
                    });
                }
            }
        }
        Ok(())
    }

    fn no_test_no_block(&self, node: &CommandNode) -> Result<(), CompileError> {
        if let Some(tests) = &node.tests {
            return Err(CompileError::InvalidArguments {
                at: test_argument_position(tests),
                message: format!("'{}' does not take a test", node.name),
            });
        }
        if node.block.is_some() {
            return Err(CompileError::InvalidArguments {
                at: node.at,
                message: format!("'{}' must end with ';', not a block", node.name),
            });
        }
        Ok(())
    }

    /// `if` or `elsif`: one test and a block.
    fn conditional(&mut self, node: &CommandNode) -> Result<(Test, Vec<Command>), CompileError> {
        Args::new(&node.name, node.at, &node.arguments).finish()?;
        let test = match &node.tests {
            Some(TestArgument::Single(test)) => self.test(test)?,
            Some(TestArgument::List(_, at)) => {
                return Err(CompileError::InvalidArguments {
                    at: *at,
                    message: format!("'{}' takes one test, not a test list", node.name),
                });
            }
            None => return Err(Args::new(&node.name, node.at, &[]).missing("test")),
        };
        let Some(block) = &node.block else {
            return Err(CompileError::InvalidArguments {
                at: node.at,
                message: format!("'{}' needs a block", node.name),
            });
        };
        Ok((test, self.block(block, false)?))
    }

    fn else_block(&mut self, node: &CommandNode) -> Result<Vec<Command>, CompileError> {
        Args::new("else", node.at, &node.arguments).finish()?;
        if let Some(tests) = &node.tests {
            return Err(CompileError::InvalidArguments {
                at: test_argument_position(tests),
                message: "'else' does not take a test".to_owned(),
            });
        }
        match &node.block {
            Some(block) => self.block(block, false),
            None => Err(CompileError::InvalidArguments {
                at: node.at,
                message: "'else' needs a block".to_owned(),
            }),
        }
    }

    fn command(&mut self, node: &CommandNode) -> Result<Command, CompileError> {
        let known = matches!(
            node.name.as_str(),
            "stop"
                | "keep"
                | "discard"
                | "fileinto"
                | "redirect"
                | "vacation"
                | "setflag"
                | "addflag"
                | "removeflag"
                | "set"
        );
        if !known {
            return Err(CompileError::UnknownCommand {
                at: node.at,
                name: node.name.clone(),
            });
        }
        self.no_test_no_block(node)?;
        let at = node.at;
        let mut args = Args::new(&node.name, at, &node.arguments);
        let kind = match node.name.as_str() {
            "stop" => CommandKind::Stop,
            "discard" => CommandKind::Discard,
            "keep" => {
                let mut flags = None;
                while let Some((tag, tag_at)) = args.next_tag() {
                    match tag {
                        "flags" => self.flags_tag(&mut args, &mut flags, tag_at)?,
                        _ => return Err(unknown_tag(tag, "keep", tag_at)),
                    }
                }
                CommandKind::Keep { flags }
            }
            "fileinto" => self.fileinto(&mut args)?,
            "redirect" => {
                let mut copy = false;
                while let Some((tag, tag_at)) = args.next_tag() {
                    match tag {
                        "copy" => self.flag_tag(Extension::Copy, &mut copy, tag, tag_at)?,
                        _ => return Err(unknown_tag(tag, "redirect", tag_at)),
                    }
                }
                let literal = args.string("address (a string)")?;
                let address = self.string(literal)?;
                if let Some(value) = address.as_const()
                    && parse_sieve_address(value).is_none()
                {
                    return Err(CompileError::InvalidValue {
                        at: literal.at,
                        message: format!("invalid redirect address \"{value}\""),
                    });
                }
                CommandKind::Redirect { address, copy }
            }
            "vacation" => self.vacation(&mut args)?,
            "setflag" | "addflag" | "removeflag" => {
                self.need(Extension::Imap4Flags, || format!("'{}'", node.name), at)?;
                let op = match node.name.as_str() {
                    "setflag" => FlagOp::Set,
                    "addflag" => FlagOp::Add,
                    _ => FlagOp::Remove,
                };
                if let Some((tag, tag_at)) = args.next_tag() {
                    return Err(unknown_tag(tag, &node.name, tag_at));
                }
                let variable = if args.remaining() >= 2 {
                    let literal = args.string("variable name (a string)")?;
                    self.need(
                        Extension::Variables,
                        || "a flag variable name".to_owned(),
                        literal.at,
                    )?;
                    Some(self.variable_name(literal)?)
                } else {
                    None
                };
                let flags = self.strings(args.string_list("list of flags")?)?;
                CommandKind::Flags {
                    op,
                    variable,
                    flags,
                }
            }
            _ => self.set(&mut args)?,
        };
        args.finish()?;
        Ok(Command { kind, at })
    }

    /// A tag without a value, from `ext`, given at most once.
    fn flag_tag(
        &self,
        ext: Extension,
        seen: &mut bool,
        tag: &str,
        at: Position,
    ) -> Result<(), CompileError> {
        self.need(ext, || format!("':{tag}'"), at)?;
        if std::mem::replace(seen, true) {
            return Err(duplicate_tag(tag, at));
        }
        Ok(())
    }

    fn flags_tag(
        &self,
        args: &mut Args<'_>,
        flags: &mut Option<Vec<Str>>,
        at: Position,
    ) -> Result<(), CompileError> {
        self.need(Extension::Imap4Flags, || "':flags'".to_owned(), at)?;
        if flags.is_some() {
            return Err(duplicate_tag("flags", at));
        }
        *flags = Some(self.strings(args.string_list("list of flags after :flags")?)?);
        Ok(())
    }

    fn fileinto(&self, args: &mut Args<'_>) -> Result<CommandKind, CompileError> {
        self.need(Extension::FileInto, || "'fileinto'".to_owned(), args.at)?;
        let (mut copy, mut create, mut flags) = (false, false, None);
        while let Some((tag, tag_at)) = args.next_tag() {
            match tag {
                "copy" => self.flag_tag(Extension::Copy, &mut copy, tag, tag_at)?,
                "create" => self.flag_tag(Extension::Mailbox, &mut create, tag, tag_at)?,
                "flags" => self.flags_tag(args, &mut flags, tag_at)?,
                _ => return Err(unknown_tag(tag, "fileinto", tag_at)),
            }
        }
        let mailbox = self.string(args.string("mailbox (a string)")?)?;
        Ok(CommandKind::FileInto {
            mailbox,
            flags,
            copy,
            create,
        })
    }

    fn vacation(&self, args: &mut Args<'_>) -> Result<CommandKind, CompileError> {
        self.need(Extension::Vacation, || "'vacation'".to_owned(), args.at)?;
        let mut days = None;
        let mut subject: Option<&Literal> = None;
        let mut from: Option<&Literal> = None;
        let mut addresses = None;
        let mut mime = false;
        let mut handle: Option<&Literal> = None;
        while let Some((tag, tag_at)) = args.next_tag() {
            let duplicate = match tag {
                "days" => days.replace(args.number("number after :days")?).is_some(),
                "subject" => subject
                    .replace(args.string("string after :subject")?)
                    .is_some(),
                "from" => from.replace(args.string("string after :from")?).is_some(),
                "addresses" => addresses
                    .replace(args.string_list("string list after :addresses")?)
                    .is_some(),
                "handle" => handle
                    .replace(args.string("string after :handle")?)
                    .is_some(),
                "mime" => std::mem::replace(&mut mime, true),
                _ => return Err(unknown_tag(tag, "vacation", tag_at)),
            };
            if duplicate {
                return Err(duplicate_tag(tag, tag_at));
            }
        }
        let reason_literal = args.string("reason (a string)")?;
        let reason = self.string(reason_literal)?;
        if let Some(literal) = from {
            let text = self.text(literal)?;
            if !text.contains("${") && !is_mailbox_list(&text) {
                return Err(CompileError::InvalidValue {
                    at: literal.at,
                    message: format!("invalid vacation :from address \"{text}\""),
                });
            }
        }
        if mime
            && let Some(text) = reason.as_const()
            && !mime_headers_are_ascii(text)
        {
            return Err(CompileError::InvalidValue {
                at: reason_literal.at,
                message: "vacation :mime reason has non-ASCII header text".to_owned(),
            });
        }
        let handle = match handle {
            Some(literal) => self.text(literal)?,
            None => derive_handle(
                subject.map(|l| self.text(l)).transpose()?.as_deref(),
                from.map(|l| self.text(l)).transpose()?.as_deref(),
                mime,
                &self.text(reason_literal)?,
            ),
        };
        Ok(CommandKind::Vacation(Box::new(Vacation {
            days,
            subject: subject.map(|l| self.string(l)).transpose()?,
            from: from.map(|l| self.string(l)).transpose()?,
            addresses: addresses
                .map(|l| self.strings(l))
                .transpose()?
                .unwrap_or_default(),
            mime,
            handle,
            reason,
        })))
    }

    fn set(&self, args: &mut Args<'_>) -> Result<CommandKind, CompileError> {
        self.need(Extension::Variables, || "'set'".to_owned(), args.at)?;
        let mut modifiers: Vec<Modifier> = Vec::new();
        while let Some((tag, tag_at)) = args.next_tag() {
            let modifier = match tag {
                "lower" => Modifier::Lower,
                "upper" => Modifier::Upper,
                "lowerfirst" => Modifier::LowerFirst,
                "upperfirst" => Modifier::UpperFirst,
                "quotewildcard" => Modifier::QuoteWildcard,
                "length" => Modifier::Length,
                _ => return Err(unknown_tag(tag, "set", tag_at)),
            };
            if let Some(other) = modifiers
                .iter()
                .find(|m| m.precedence() == modifier.precedence())
            {
                return Err(CompileError::ConflictingTags {
                    at: tag_at,
                    message: format!(
                        "modifier ':{tag}' conflicts with {} of the same precedence",
                        modifier_name(*other)
                    ),
                });
            }
            modifiers.push(modifier);
        }
        modifiers.sort_by_key(|m| std::cmp::Reverse(m.precedence()));
        let name = self.variable_name(args.string("variable name (a string)")?)?;
        let value = self.string(args.string("value (a string)")?)?;
        Ok(CommandKind::Set {
            name,
            value,
            modifiers,
        })
    }

    fn test(&mut self, node: &TestNode) -> Result<Test, CompileError> {
        let at = node.at;
        let kind = match node.name.as_str() {
            "not" => {
                Args::new("not", at, &node.arguments).finish()?;
                match &node.tests {
                    Some(TestArgument::Single(inner)) => TestKind::Not(Box::new(self.test(inner)?)),
                    Some(TestArgument::List(_, list_at)) => {
                        return Err(CompileError::InvalidArguments {
                            at: *list_at,
                            message: "'not' takes one test, not a test list".to_owned(),
                        });
                    }
                    None => return Err(Args::new("not", at, &[]).missing("test")),
                }
            }
            "allof" | "anyof" => {
                Args::new(&node.name, at, &node.arguments).finish()?;
                let tests = match &node.tests {
                    Some(TestArgument::List(list, _)) => list
                        .iter()
                        .map(|t| self.test(t))
                        .collect::<Result<Vec<_>, _>>()?,
                    Some(TestArgument::Single(single)) => {
                        return Err(CompileError::InvalidArguments {
                            at: single.at,
                            message: format!("'{}' takes a test list in parentheses", node.name),
                        });
                    }
                    None => return Err(Args::new(&node.name, at, &[]).missing("test list")),
                };
                if node.name == "allof" {
                    TestKind::AllOf(tests)
                } else {
                    TestKind::AnyOf(tests)
                }
            }
            _ => {
                if let Some(tests) = &node.tests {
                    if !is_known_test(&node.name) {
                        return Err(CompileError::UnknownTest {
                            at,
                            name: node.name.clone(),
                        });
                    }
                    return Err(CompileError::InvalidArguments {
                        at: test_argument_position(tests),
                        message: format!("test '{}' does not take a test", node.name),
                    });
                }
                let mut args = Args::new(&node.name, at, &node.arguments);
                let kind = self.simple_test(node, &mut args)?;
                args.finish()?;
                kind
            }
        };
        Ok(Test { kind, at })
    }

    /// Tests without test arguments.
    fn simple_test(
        &mut self,
        node: &TestNode,
        args: &mut Args<'_>,
    ) -> Result<TestKind, CompileError> {
        let at = node.at;
        Ok(match node.name.as_str() {
            "true" | "false" => {
                if let Some((tag, tag_at)) = args.next_tag() {
                    return Err(unknown_tag(tag, &node.name, tag_at));
                }
                if node.name == "true" {
                    TestKind::True
                } else {
                    TestKind::False
                }
            }
            "address" | "envelope" => {
                let envelope = node.name == "envelope";
                if envelope {
                    self.need(Extension::Envelope, || "'envelope'".to_owned(), at)?;
                }
                let tags = self.match_tags(args, &node.name, true, |_, _, _| Ok(false))?;
                let names = args.string_list(if envelope {
                    "envelope-part list"
                } else {
                    "header list"
                })?;
                for literal in names {
                    self.check_address_source(literal, envelope)?;
                }
                let names = self.strings(names)?;
                let keys = self.strings(args.string_list("key list")?)?;
                let matcher = self.matcher(&tags)?;
                let part = tags.address_part.unwrap_or(AddressPart::All);
                if envelope {
                    TestKind::Envelope {
                        matcher,
                        part,
                        parts: names,
                        keys,
                    }
                } else {
                    TestKind::Address {
                        matcher,
                        part,
                        headers: names,
                        keys,
                    }
                }
            }
            "header" => {
                let tags = self.match_tags(args, "header", false, |_, _, _| Ok(false))?;
                let headers = self.strings(args.string_list("header list")?)?;
                let keys = self.strings(args.string_list("key list")?)?;
                TestKind::Header {
                    matcher: self.matcher(&tags)?,
                    headers,
                    keys,
                }
            }
            "exists" => {
                if let Some((tag, tag_at)) = args.next_tag() {
                    return Err(unknown_tag(tag, "exists", tag_at));
                }
                TestKind::Exists(self.strings(args.string_list("header list")?)?)
            }
            "size" => {
                let mut over = None;
                while let Some((tag, tag_at)) = args.next_tag() {
                    let value = match tag {
                        "over" => true,
                        "under" => false,
                        _ => return Err(unknown_tag(tag, "size", tag_at)),
                    };
                    if over.replace(value).is_some() {
                        return Err(CompileError::ConflictingTags {
                            at: tag_at,
                            message: "'size' takes exactly one of :over and :under".to_owned(),
                        });
                    }
                }
                let Some(over) = over else {
                    return Err(args.missing(":over or :under"));
                };
                TestKind::Size {
                    over,
                    limit: args.number("limit (a number)")?,
                }
            }
            "string" => {
                self.need(Extension::Variables, || "'string'".to_owned(), at)?;
                let tags = self.match_tags(args, "string", false, |_, _, _| Ok(false))?;
                let sources = self.strings(args.string_list("source list")?)?;
                let keys = self.strings(args.string_list("key list")?)?;
                TestKind::String {
                    matcher: self.matcher(&tags)?,
                    sources,
                    keys,
                }
            }
            "hasflag" => {
                self.need(Extension::Imap4Flags, || "'hasflag'".to_owned(), at)?;
                let tags = self.match_tags(args, "hasflag", false, |_, _, _| Ok(false))?;
                let variables = if args.remaining() >= 2 {
                    let names = args.string_list("variable list")?;
                    if let Some(first) = names.first() {
                        self.need(
                            Extension::Variables,
                            || "a flag variable list".to_owned(),
                            first.at,
                        )?;
                    }
                    Some(
                        names
                            .iter()
                            .map(|l| self.variable_name(l))
                            .collect::<Result<Vec<_>, _>>()?,
                    )
                } else {
                    None
                };
                let keys = self.strings(args.string_list("list of flags")?)?;
                TestKind::HasFlag {
                    matcher: self.matcher(&tags)?,
                    variables,
                    keys,
                }
            }
            "body" => {
                self.need(Extension::Body, || "'body'".to_owned(), at)?;
                let mut transform: Option<BodyTransform> = None;
                let tags =
                    self.match_tags(args, "body", false, |compiler, args, (tag, tag_at)| {
                        let value = match tag {
                            "raw" => BodyTransform::Raw,
                            "text" => BodyTransform::Text,
                            "content" => BodyTransform::Content(
                                compiler
                                    .strings(args.string_list("content types after :content")?)?,
                            ),
                            _ => return Ok(false),
                        };
                        if transform.replace(value).is_some() {
                            return Err(CompileError::ConflictingTags {
                                at: tag_at,
                                message: "'body' takes one of :raw, :content and :text".to_owned(),
                            });
                        }
                        Ok(true)
                    })?;
                let keys = self.strings(args.string_list("key list")?)?;
                TestKind::Body {
                    matcher: self.matcher(&tags)?,
                    transform: transform.unwrap_or(BodyTransform::Text),
                    keys,
                }
            }
            "mailboxexists" => {
                self.need(Extension::Mailbox, || "'mailboxexists'".to_owned(), at)?;
                if let Some((tag, tag_at)) = args.next_tag() {
                    return Err(unknown_tag(tag, "mailboxexists", tag_at));
                }
                TestKind::MailboxExists(self.strings(args.string_list("mailbox list")?)?)
            }
            _ => {
                return Err(CompileError::UnknownTest {
                    at,
                    name: node.name.clone(),
                });
            }
        })
    }

    /// Constant header names of `address` must hold addresses; constant envelope parts
    /// must be "from" or "to".
    fn check_address_source(&self, literal: &Literal, envelope: bool) -> Result<(), CompileError> {
        let name = self.text(literal)?;
        if self.has(Extension::Variables) && name.contains("${") {
            return Ok(());
        }
        if envelope && !name.eq_ignore_ascii_case("from") && !name.eq_ignore_ascii_case("to") {
            return Err(CompileError::InvalidValue {
                at: literal.at,
                message: format!("unknown envelope part \"{name}\""),
            });
        }
        if !envelope && !is_address_header(&name) {
            return Err(CompileError::InvalidValue {
                at: literal.at,
                message: format!("header \"{name}\" does not hold addresses"),
            });
        }
        Ok(())
    }

    /// Reads COMPARATOR, MATCH-TYPE and (if allowed) ADDRESS-PART tags; `extra` may
    /// claim other tags of the test by returning `Ok(true)`.
    fn match_tags<'n>(
        &self,
        args: &mut Args<'n>,
        test: &str,
        address_parts: bool,
        mut extra: impl FnMut(&Self, &mut Args<'n>, (&str, Position)) -> Result<bool, CompileError>,
    ) -> Result<MatchTags, CompileError> {
        let mut tags = MatchTags::default();
        while let Some((tag, at)) = args.next_tag() {
            if extra(self, args, (tag, at))? {
                continue;
            }
            match tag {
                "comparator" => {
                    let literal = args.string("comparator name after :comparator")?;
                    let name = self.constant(literal)?;
                    let comparator =
                        Comparator::from_name(&name).ok_or_else(|| CompileError::Comparator {
                            at: literal.at,
                            message: format!("unsupported comparator \"{name}\""),
                        })?;
                    if comparator == Comparator::AsciiNumeric {
                        self.need(
                            Extension::ComparatorAsciiNumeric,
                            || "comparator \"i;ascii-numeric\"".to_owned(),
                            literal.at,
                        )?;
                    }
                    if tags.comparator.replace((comparator, literal.at)).is_some() {
                        return Err(duplicate_tag(tag, at));
                    }
                }
                "is" | "contains" | "matches" | "count" | "value" => {
                    let match_type = match tag {
                        "is" => MatchType::Is,
                        "contains" => MatchType::Contains,
                        "matches" => MatchType::Matches,
                        _ => {
                            self.need(Extension::Relational, || format!("':{tag}'"), at)?;
                            let literal =
                                args.string(&format!("relational operator after :{tag}"))?;
                            let name = self.constant(literal)?;
                            let relation = Relation::from_name(&name).ok_or_else(|| {
                                CompileError::InvalidValue {
                                    at: literal.at,
                                    message: format!("invalid relational operator \"{name}\""),
                                }
                            })?;
                            if tag == "count" {
                                MatchType::Count(relation)
                            } else {
                                MatchType::Value(relation)
                            }
                        }
                    };
                    if tags.match_type.replace(match_type).is_some() {
                        return Err(CompileError::ConflictingTags {
                            at,
                            message: format!("'{test}' takes only one match type"),
                        });
                    }
                }
                "all" | "localpart" | "domain" | "user" | "detail" if address_parts => {
                    let part = match tag {
                        "all" => AddressPart::All,
                        "localpart" => AddressPart::LocalPart,
                        "domain" => AddressPart::Domain,
                        "user" => AddressPart::User,
                        _ => AddressPart::Detail,
                    };
                    if matches!(part, AddressPart::User | AddressPart::Detail) {
                        self.need(Extension::Subaddress, || format!("':{tag}'"), at)?;
                    }
                    if tags.address_part.replace(part).is_some() {
                        return Err(CompileError::ConflictingTags {
                            at,
                            message: format!("'{test}' takes only one address part"),
                        });
                    }
                }
                _ => return Err(unknown_tag(tag, test, at)),
            }
        }
        Ok(tags)
    }

    fn matcher(&self, tags: &MatchTags) -> Result<Matcher, CompileError> {
        let match_type = tags.match_type.unwrap_or(MatchType::Is);
        let Some((comparator, at)) = tags.comparator else {
            return Ok(Matcher {
                comparator: Comparator::AsciiCasemap,
                match_type,
            });
        };
        if matches!(match_type, MatchType::Contains | MatchType::Matches)
            && !comparator.supports_substring()
        {
            return Err(CompileError::Comparator {
                at,
                message: "comparator \"i;ascii-numeric\" cannot be used with :contains or :matches"
                    .to_owned(),
            });
        }
        Ok(Matcher {
            comparator,
            match_type,
        })
    }
}

fn is_known_test(name: &str) -> bool {
    matches!(
        name,
        "true"
            | "false"
            | "address"
            | "envelope"
            | "header"
            | "exists"
            | "size"
            | "string"
            | "hasflag"
            | "body"
            | "mailboxexists"
    )
}

fn test_argument_position(tests: &TestArgument) -> Position {
    match tests {
        TestArgument::Single(test) => test.at,
        TestArgument::List(_, at) => *at,
    }
}

fn unknown_tag(tag: &str, command: &str, at: Position) -> CompileError {
    CompileError::UnknownTag {
        at,
        tag: tag.to_owned(),
        command: command.to_owned(),
    }
}

fn duplicate_tag(tag: &str, at: Position) -> CompileError {
    CompileError::ConflictingTags {
        at,
        message: format!("tag ':{tag}' given more than once"),
    }
}

fn modifier_name(modifier: Modifier) -> &'static str {
    match modifier {
        Modifier::Lower => "':lower'",
        Modifier::Upper => "':upper'",
        Modifier::LowerFirst => "':lowerfirst'",
        Modifier::UpperFirst => "':upperfirst'",
        Modifier::QuoteWildcard => "':quotewildcard'",
        Modifier::Length => "':length'",
    }
}
