//! Sieve mail filtering: a compiler and interpreter for RFC 5228 scripts and the
//! extensions a mail server needs, without any I/O.
//!
//! A script is compiled once into a [`Script`]; each delivery then runs it against a
//! [`MessageContext`] and an [`Envelope`] and gets an [`Outcome`]: the actions for the
//! server to carry out (keep, fileinto, redirect, discard, vacation reply).
//!
//! ```
//! use sieve::{Action, Envelope, Environment, MemoryVacationStore, MessageContext, Script};
//!
//! let script = Script::compile(
//!     "require \"fileinto\";\n\
//!      if header :contains \"X-Spam\" \"Yes\" { fileinto \"Junk\"; }",
//! )?;
//!
//! let store = MemoryVacationStore::new();
//! let env = Environment::new(&store);
//! let envelope = Envelope::new("sender@example.org", "user@example.com");
//!
//! let spam = MessageContext::new(b"X-Spam: Yes\r\nSubject: win\r\n\r\nbody\r\n");
//! let outcome = script.evaluate(&spam, &envelope, &env)?;
//! assert_eq!(outcome.mailboxes().collect::<Vec<_>>(), ["Junk"]);
//!
//! let ham = MessageContext::new(b"Subject: hello\r\n\r\nbody\r\n");
//! let outcome = script.evaluate(&ham, &envelope, &env)?;
//! assert_eq!(outcome.actions, [Action::Keep { flags: vec![] }]);
//! assert!(outcome.implicit_keep);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What is supported
//!
//! The whole base language of RFC 5228 (`require`, `if`/`elsif`/`else`, `stop`,
//! `keep`, `discard`, `redirect`, the tests `address`, `allof`, `anyof`, `exists`,
//! `false`, `header`, `not`, `size`, `true`, the match types `:is`, `:contains`,
//! `:matches`, the comparators `i;octet` and `i;ascii-casemap`) and the extensions
//! listed in [`Extension`]: `fileinto`, `envelope`, `encoded-character`,
//! `comparator-i;ascii-numeric`, `relational` (RFC 5231), `imap4flags` (RFC 5232),
//! `copy` (RFC 3894), `mailbox` (RFC 5490: `mailboxexists`, `:create`), `vacation`
//! (RFC 5230), `variables` (RFC 5229), `body` (RFC 5173) and `subaddress` (RFC 5233).
//!
//! # Errors and limits
//!
//! Compile errors ([`CompileError`]) give the line and column. A run is bounded by
//! the limits of [`Config`] (instructions, wildcard work, redirects, actions,
//! variable sizes); exceeding one is a [`RuntimeError`], after which the server keeps
//! the message in INBOX as RFC 5228 section 2.10.6 requires. Hostile scripts and
//! messages never panic.
//!
//! # Notes for the server
//!
//! - `?` in `:matches` stands for one Unicode character (not one octet).
//! - A vacation reply is only decided here; [`VacationResponse::to_message`] renders
//!   it, and the server sends it with a null reverse-path. Response tracking is
//!   recorded in the [`VacationStore`] when a run succeeds.
//! - `fileinto` names are passed through as written (UTF-8); mapping them to the
//!   store's hierarchy and encoding is the server's job.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod actions;
mod address;
mod ast;
mod compiler;
mod config;
mod error;
mod flags;
mod interpreter;
mod lexer;
mod matching;
mod message;
mod mime;
mod parser;
mod strings;
mod vacation;

use std::collections::BTreeSet;

pub use actions::{Action, INBOX, Outcome};
pub use config::{Config, Extension};
pub use error::{CompileError, Position, RuntimeError};
pub use interpreter::{Environment, MailboxLookup};
pub use message::{Envelope, MessageContext};
pub use vacation::{MemoryVacationStore, VacationResponse, VacationStore, VacationSuppressed};

/// A compiled Sieve script, ready to run any number of times.
#[derive(Debug, Clone)]
pub struct Script {
    commands: Vec<ast::Command>,
    extensions: BTreeSet<Extension>,
    config: Config,
}

impl Script {
    /// Compiles `source` with the default [`Config`].
    pub fn compile(source: &str) -> Result<Self, CompileError> {
        Self::compile_with(source.as_bytes(), &Config::default())
    }

    /// Compiles `source` (UTF-8; other bytes in strings become U+FFFD) with `config`,
    /// which also sets the limits of later runs.
    pub fn compile_with(source: &[u8], config: &Config) -> Result<Self, CompileError> {
        if source.len() > config.max_script_size {
            return Err(CompileError::ScriptTooLarge {
                size: source.len(),
                limit: config.max_script_size,
            });
        }
        let tree = parser::parse(source, config.max_nesting_depth)?;
        let compiled = compiler::compile(&tree, config)?;
        Ok(Self {
            commands: compiled.commands,
            extensions: compiled.extensions,
            config: config.clone(),
        })
    }

    /// The extensions the script requires.
    pub fn extensions(&self) -> impl Iterator<Item = Extension> + '_ {
        self.extensions.iter().copied()
    }

    /// The configuration the script was compiled with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Runs the script against one message. On error, no action of this run may be
    /// carried out; the server does an implicit keep instead.
    pub fn evaluate(
        &self,
        message: &MessageContext<'_>,
        envelope: &Envelope,
        env: &Environment<'_>,
    ) -> Result<Outcome, RuntimeError> {
        interpreter::run(self, message, envelope, env)
    }
}
