//! Macros (sendmail's "symbols"): name/value pairs the MTA sends before a command, such
//! as `{i}` (queue id), `j` (the MTA's host name) or `{auth_authen}` (SASL login).

use super::text::{InvalidText, Text};

/// The command a list of macros is sent for, as named by the first byte of SMFIC_MACRO.
///
/// Seven of them can also appear in the milter's negotiation reply, asking for a
/// specific list of macros at that stage ([`MacroStage::symbol_list_index`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum MacroStage {
    /// Before CONNECT (`C`).
    Connect,
    /// Before HELO (`H`).
    Helo,
    /// Before MAIL (`M`).
    Mail,
    /// Before RCPT (`R`).
    Rcpt,
    /// Before DATA (`T`).
    Data,
    /// Before a header (`L`).
    Header,
    /// Before end-of-headers (`N`).
    EndOfHeaders,
    /// Before a body chunk (`B`).
    Body,
    /// Before end-of-message (`E`).
    EndOfMessage,
    /// Before an unknown SMTP command (`U`).
    Unknown,
}

impl MacroStage {
    /// Every stage, in protocol order.
    pub const ALL: [Self; 10] = [
        Self::Connect,
        Self::Helo,
        Self::Mail,
        Self::Rcpt,
        Self::Data,
        Self::Header,
        Self::EndOfHeaders,
        Self::Body,
        Self::EndOfMessage,
        Self::Unknown,
    ];

    /// The command byte the macros precede.
    pub const fn command_code(self) -> u8 {
        match self {
            Self::Connect => b'C',
            Self::Helo => b'H',
            Self::Mail => b'M',
            Self::Rcpt => b'R',
            Self::Data => b'T',
            Self::Header => b'L',
            Self::EndOfHeaders => b'N',
            Self::Body => b'B',
            Self::EndOfMessage => b'E',
            Self::Unknown => b'U',
        }
    }

    /// The stage of a command byte.
    pub fn from_command_code(code: u8) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|stage| stage.command_code() == code)
    }

    /// The `SMFIM_*` index of the stage in a symbol-list request, if it has one.
    pub const fn symbol_list_index(self) -> Option<u32> {
        match self {
            Self::Connect => Some(0),
            Self::Helo => Some(1),
            Self::Mail => Some(2),
            Self::Rcpt => Some(3),
            Self::Data => Some(4),
            Self::EndOfMessage => Some(5),
            Self::EndOfHeaders => Some(6),
            Self::Header | Self::Body | Self::Unknown => None,
        }
    }

    /// The stage of an `SMFIM_*` index.
    pub fn from_symbol_list_index(index: u32) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|stage| stage.symbol_list_index() == Some(index))
    }
}

/// One macro definition.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Macro<'a> {
    /// The name as sent: one character (`i`, `j`, `_`) or a braced word (`{daemon_name}`).
    pub name: Text<'a>,
    /// The value.
    pub value: Text<'a>,
}

impl Macro<'_> {
    /// A copy that borrows nothing.
    pub fn into_owned(self) -> Macro<'static> {
        Macro {
            name: self.name.into_owned(),
            value: self.value.into_owned(),
        }
    }
}

/// The macros an application passes with a stage, e.g. for end-of-message:
///
/// ```
/// use milter_proto::Macros;
///
/// let macros = Macros::new()
///     .with("i", "4Fq3X81bz")?
///     .with("daemon_name", "postroom")?;
/// assert_eq!(macros.get("{daemon_name}").unwrap(), "postroom");
/// assert_eq!(macros.get("daemon_name").unwrap(), "postroom");
/// # Ok::<(), milter_proto::InvalidText>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Macros(Vec<Macro<'static>>);

impl Macros {
    /// No macros.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a macro and returns the set. A name longer than one character
    /// is put in braces unless it already is (`auth_authen` becomes `{auth_authen}`).
    pub fn with(mut self, name: &str, value: &str) -> Result<Self, InvalidText> {
        self.insert(name, value)?;
        Ok(self)
    }

    /// Adds (or replaces) a macro, naming it as [`Macros::with`] does.
    pub fn insert(&mut self, name: &str, value: &str) -> Result<(), InvalidText> {
        let name = if name.chars().count() > 1 && !name.starts_with('{') {
            format!("{{{name}}}")
        } else {
            name.to_owned()
        };
        let name = Text::try_from(name)?;
        let value = Text::try_from(value.to_owned())?;
        match self
            .0
            .iter_mut()
            .find(|m| bare_name(m.name.as_bytes()) == bare_name(name.as_bytes()))
        {
            Some(existing) => existing.value = value,
            None => self.0.push(Macro { name, value }),
        }
        Ok(())
    }

    /// The value of a macro, by name with or without braces.
    pub fn get(&self, name: &str) -> Option<&Text<'static>> {
        let wanted = bare_name(name.as_bytes());
        self.0
            .iter()
            .find(|m| bare_name(m.name.as_bytes()) == wanted)
            .map(|m| &m.value)
    }

    /// The macros in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = &Macro<'static>> {
        self.0.iter()
    }

    /// How many macros there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A macro name without its braces: `{i}` and `i` are the same macro.
pub(crate) fn bare_name(name: &[u8]) -> &[u8] {
    name.strip_prefix(b"{")
        .and_then(|inner| inner.strip_suffix(b"}"))
        .unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_map_both_ways() {
        for stage in MacroStage::ALL {
            assert_eq!(
                MacroStage::from_command_code(stage.command_code()),
                Some(stage)
            );
            if let Some(index) = stage.symbol_list_index() {
                assert_eq!(MacroStage::from_symbol_list_index(index), Some(stage));
            }
        }
        assert_eq!(MacroStage::from_command_code(b'Z'), None);
        assert_eq!(MacroStage::from_symbol_list_index(7), None);
    }

    #[test]
    fn insert_braces_long_names_and_replaces() {
        let mut macros = Macros::new().with("j", "mx.example.org").unwrap();
        macros.insert("{j}", "other").unwrap();
        macros.insert("auth_authen", "alice").unwrap();
        let names: Vec<_> = macros.iter().map(|m| m.name.to_string()).collect();
        assert_eq!(names, ["j", "{auth_authen}"]);
        assert_eq!(macros.get("j").unwrap(), "other");
        assert!(Macros::new().with("i", "a\0b").is_err());
    }
}
