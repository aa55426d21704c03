//! Compile-time and run-time errors.

use std::fmt;

/// A place in the script source: 1-based line and column (columns count characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Position {
    /// Line number, starting at 1.
    pub line: u32,
    /// Column number in characters, starting at 1.
    pub column: u32,
}

impl Position {
    /// A position from a line and a column.
    pub const fn new(line: u32, column: u32) -> Self {
        Self { line, column }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// Why a script did not compile. Every variant says where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CompileError {
    /// The script is larger than [`Config::max_script_size`](crate::Config::max_script_size).
    #[error("script of {size} bytes exceeds the limit of {limit} bytes")]
    ScriptTooLarge {
        /// Size of the script in bytes.
        size: usize,
        /// The configured limit.
        limit: usize,
    },
    /// A lexical error: a character or token the grammar does not allow.
    #[error("{at}: {message}")]
    Syntax {
        /// Where.
        at: Position,
        /// What is wrong.
        message: String,
    },
    /// A string, comment or multi-line text runs to the end of the script.
    #[error("{at}: unterminated {what}")]
    Unterminated {
        /// Where the construct starts.
        at: Position,
        /// "string", "comment" or "multi-line string".
        what: &'static str,
    },
    /// A number does not fit in 64 bits.
    #[error("{at}: number too large")]
    NumberTooLarge {
        /// Where.
        at: Position,
    },
    /// Blocks or tests are nested deeper than the configured limit.
    #[error("{at}: nesting deeper than {limit} levels")]
    NestingTooDeep {
        /// Where the limit was crossed.
        at: Position,
        /// The configured limit.
        limit: usize,
    },
    /// A command name nobody knows.
    #[error("{at}: unknown command '{name}'")]
    UnknownCommand {
        /// Where.
        at: Position,
        /// The command.
        name: String,
    },
    /// A test name nobody knows.
    #[error("{at}: unknown test '{name}'")]
    UnknownTest {
        /// Where.
        at: Position,
        /// The test.
        name: String,
    },
    /// `require` of an extension this implementation (or configuration) does not offer.
    #[error("{at}: unsupported extension \"{name}\"")]
    UnsupportedExtension {
        /// Where.
        at: Position,
        /// The capability string.
        name: String,
    },
    /// A command, test or argument used without the `require` of its extension.
    #[error("{at}: {what} needs require \"{extension}\"")]
    MissingRequire {
        /// Where.
        at: Position,
        /// What was used (a command, test or tag).
        what: String,
        /// The capability string to require.
        extension: &'static str,
    },
    /// `require` after another command.
    #[error("{at}: require must come before any other command")]
    MisplacedRequire {
        /// Where.
        at: Position,
    },
    /// `elsif` or `else` that does not follow `if` or `elsif`.
    #[error("{at}: '{name}' without a preceding 'if'")]
    OrphanElse {
        /// Where.
        at: Position,
        /// "elsif" or "else".
        name: String,
    },
    /// A tagged argument the command does not accept.
    #[error("{at}: unknown tag ':{tag}' for '{command}'")]
    UnknownTag {
        /// Where.
        at: Position,
        /// The tag without its colon.
        tag: String,
        /// The command or test.
        command: String,
    },
    /// A tagged argument given twice, or two that exclude each other.
    #[error("{at}: {message}")]
    ConflictingTags {
        /// Where.
        at: Position,
        /// What conflicts.
        message: String,
    },
    /// Wrong number or type of arguments, tests or block.
    #[error("{at}: {message}")]
    InvalidArguments {
        /// Where.
        at: Position,
        /// What was expected.
        message: String,
    },
    /// A `:comparator` this implementation does not offer, or one not compatible with
    /// the match type.
    #[error("{at}: {message}")]
    Comparator {
        /// Where.
        at: Position,
        /// What is wrong.
        message: String,
    },
    /// A literal value that the command cannot use (an invalid address, variable name,
    /// relational operator, encoded character...).
    #[error("{at}: {message}")]
    InvalidValue {
        /// Where.
        at: Position,
        /// What is wrong.
        message: String,
    },
}

impl CompileError {
    /// Where the error is, when it is at a place in the script.
    pub fn position(&self) -> Option<Position> {
        match self {
            Self::ScriptTooLarge { .. } => None,
            Self::Syntax { at, .. }
            | Self::Unterminated { at, .. }
            | Self::NumberTooLarge { at }
            | Self::NestingTooDeep { at, .. }
            | Self::UnknownCommand { at, .. }
            | Self::UnknownTest { at, .. }
            | Self::UnsupportedExtension { at, .. }
            | Self::MissingRequire { at, .. }
            | Self::MisplacedRequire { at }
            | Self::OrphanElse { at, .. }
            | Self::UnknownTag { at, .. }
            | Self::ConflictingTags { at, .. }
            | Self::InvalidArguments { at, .. }
            | Self::Comparator { at, .. }
            | Self::InvalidValue { at, .. } => Some(*at),
        }
    }
}

/// Why a script stopped while running. RFC 5228 section 2.10.6: the caller then does
/// an implicit keep and tells the user; no action of this run should be carried out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RuntimeError {
    /// More commands, tests and comparisons than [`Config::max_instructions`](crate::Config::max_instructions).
    #[error("{at}: more than {limit} instructions executed")]
    InstructionLimit {
        /// The command or test being run.
        at: Position,
        /// The configured limit.
        limit: u64,
    },
    /// Matching work exceeded [`Config::max_match_steps`](crate::Config::max_match_steps).
    #[error("{at}: matching work exceeded {limit} steps")]
    MatchLimit {
        /// The test being run.
        at: Position,
        /// The configured limit.
        limit: u64,
    },
    /// More redirects than [`Config::max_redirects`](crate::Config::max_redirects).
    #[error("{at}: more than {limit} redirects")]
    RedirectLimit {
        /// The redirect command.
        at: Position,
        /// The configured limit.
        limit: usize,
    },
    /// More actions than [`Config::max_actions`](crate::Config::max_actions).
    #[error("{at}: more than {limit} actions")]
    ActionLimit {
        /// The action command.
        at: Position,
        /// The configured limit.
        limit: usize,
    },
    /// A variable (or a flag list) would grow beyond [`Config::max_variable_size`](crate::Config::max_variable_size).
    #[error("{at}: value of variable '{name}' is larger than {limit} bytes")]
    VariableTooLarge {
        /// The command.
        at: Position,
        /// The variable name.
        name: String,
        /// The configured limit.
        limit: usize,
    },
    /// More distinct variables than [`Config::max_variables`](crate::Config::max_variables).
    #[error("{at}: more than {limit} variables")]
    TooManyVariables {
        /// The command.
        at: Position,
        /// The configured limit.
        limit: usize,
    },
    /// Expanding `${...}` references made a string larger than allowed.
    #[error("{at}: expanded string is larger than {limit} bytes")]
    ExpansionTooLarge {
        /// The command or test.
        at: Position,
        /// The limit that applied.
        limit: usize,
    },
    /// An address argument (after variable expansion) is not a valid address.
    #[error("{at}: invalid address \"{address}\"")]
    InvalidAddress {
        /// The command.
        at: Position,
        /// The offending value.
        address: String,
    },
    /// A vacation `:mime` reason whose header contains 8-bit text (RFC 5230 section 5).
    #[error("{at}: vacation :mime reason has non-ASCII header text")]
    InvalidVacationMime {
        /// The command.
        at: Position,
    },
    /// A second `vacation` in one run (RFC 5230 section 4.7).
    #[error("{at}: vacation executed more than once")]
    DuplicateVacation {
        /// The second vacation command.
        at: Position,
    },
}

impl RuntimeError {
    /// Where in the script the error happened.
    pub fn position(&self) -> Position {
        match self {
            Self::InstructionLimit { at, .. }
            | Self::MatchLimit { at, .. }
            | Self::RedirectLimit { at, .. }
            | Self::ActionLimit { at, .. }
            | Self::VariableTooLarge { at, .. }
            | Self::TooManyVariables { at, .. }
            | Self::ExpansionTooLarge { at, .. }
            | Self::InvalidAddress { at, .. }
            | Self::InvalidVacationMime { at }
            | Self::DuplicateVacation { at } => *at,
        }
    }
}
