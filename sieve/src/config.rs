//! Limits and the set of extensions a script may require.

use std::collections::BTreeSet;

/// A Sieve extension (capability string) this crate implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Extension {
    /// `fileinto` (RFC 5228 section 4.1).
    FileInto,
    /// `envelope` test (RFC 5228 section 5.4).
    Envelope,
    /// `${hex:..}` and `${unicode:..}` in strings (RFC 5228 section 2.4.2.4).
    EncodedCharacter,
    /// The `i;ascii-numeric` comparator (RFC 4790).
    ComparatorAsciiNumeric,
    /// `:count` and `:value` match types (RFC 5231).
    Relational,
    /// `setflag`, `addflag`, `removeflag`, `hasflag` and `:flags` (RFC 5232).
    Imap4Flags,
    /// `:copy` on `fileinto` and `redirect` (RFC 3894).
    Copy,
    /// `mailboxexists` and `fileinto :create` (RFC 5490).
    Mailbox,
    /// `vacation` (RFC 5230).
    Vacation,
    /// `set`, `${name}` expansion, match variables and the `string` test (RFC 5229).
    Variables,
    /// `body` test (RFC 5173).
    Body,
    /// `:user` and `:detail` address parts (RFC 5233).
    Subaddress,
}

impl Extension {
    /// Every extension, in the order of [`Extension::name`] listings.
    pub const ALL: [Self; 12] = [
        Self::FileInto,
        Self::Envelope,
        Self::EncodedCharacter,
        Self::ComparatorAsciiNumeric,
        Self::Relational,
        Self::Imap4Flags,
        Self::Copy,
        Self::Mailbox,
        Self::Vacation,
        Self::Variables,
        Self::Body,
        Self::Subaddress,
    ];

    /// The capability string used with `require` (and in ManageSieve's SIEVE capability).
    pub const fn name(self) -> &'static str {
        match self {
            Self::FileInto => "fileinto",
            Self::Envelope => "envelope",
            Self::EncodedCharacter => "encoded-character",
            Self::ComparatorAsciiNumeric => "comparator-i;ascii-numeric",
            Self::Relational => "relational",
            Self::Imap4Flags => "imap4flags",
            Self::Copy => "copy",
            Self::Mailbox => "mailbox",
            Self::Vacation => "vacation",
            Self::Variables => "variables",
            Self::Body => "body",
            Self::Subaddress => "subaddress",
        }
    }

    /// The extension for a capability string (case-sensitive, RFC 5228 section 6).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.name() == name)
    }
}

/// Compiler and interpreter limits, and the extensions scripts may use.
///
/// The defaults are meant for per-user scripts on a shared server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Extensions that `require` accepts. Default: all of [`Extension::ALL`].
    pub extensions: BTreeSet<Extension>,
    /// Largest script source accepted, in bytes. Default 1 MiB.
    pub max_script_size: usize,
    /// Deepest nesting of blocks, and separately of tests, at compile time. Default 32
    /// (RFC 5228 section 2.10.7 asks for at least 15 of each).
    pub max_nesting_depth: usize,
    /// Most commands, tests and single comparisons one run may execute. Default 1,000,000.
    pub max_instructions: u64,
    /// Most matching work one run may spend: bytes scanned by `:is`, `:contains`,
    /// `:value` and `:count` comparisons plus `:matches` wildcard steps. Default
    /// 200,000,000.
    pub max_match_steps: u64,
    /// Most redirects one run may perform. Default 4.
    pub max_redirects: usize,
    /// Most actions (after duplicate removal) one run may produce. Default 64.
    pub max_actions: usize,
    /// Largest value of a variable, in bytes; `set` beyond it is an error, match
    /// variables are truncated to it. Default 16 KiB (RFC 5229 asks for at least 4000).
    pub max_variable_size: usize,
    /// Most distinct variables one run may create. Default 256.
    pub max_variables: usize,
    /// Deepest MIME nesting the `body` test descends into. Default 16.
    pub max_mime_depth: usize,
    /// Smallest `vacation :days` period (values below are raised to it). Default 1.
    pub vacation_min_days: u32,
    /// Largest `vacation :days` period (values above are lowered to it). Default 60.
    pub vacation_max_days: u32,
    /// Separator between user and detail for the `subaddress` extension. Default '+'.
    pub subaddress_separator: char,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            extensions: Extension::ALL.into_iter().collect(),
            max_script_size: 1 << 20,
            max_nesting_depth: 32,
            max_instructions: 1_000_000,
            max_match_steps: 200_000_000,
            max_redirects: 4,
            max_actions: 64,
            max_variable_size: 16 * 1024,
            max_variables: 256,
            max_mime_depth: 16,
            vacation_min_days: 1,
            vacation_max_days: 60,
            subaddress_separator: '+',
        }
    }
}

impl Config {
    /// The space-separated capability list for ManageSieve's `SIEVE` capability
    /// (RFC 5804 section 1.7), e.g. `"fileinto envelope ..."`.
    pub fn capability_string(&self) -> String {
        let mut out = String::new();
        for ext in &self.extensions {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(ext.name());
        }
        out
    }

    /// This configuration without `ext`, e.g. to forbid `redirect`-like side effects
    /// in a global script by dropping [`Extension::Vacation`].
    pub fn without(mut self, ext: Extension) -> Self {
        self.extensions.remove(&ext);
        self
    }
}
