//! Basic IMAP values shared by commands and responses: tags, atoms, strings and literals.
//!
//! Every type here validates its content on construction, so holding one means holding a
//! value that can be put on the wire. Strings are byte strings (IMAP literals may carry
//! 8-bit data); the encoder picks the wire form (atom, quoted string or literal) that is
//! cheapest and still correct for the value.

use std::borrow::Cow;
use std::fmt;

/// Why a value cannot be built: it would not be valid on the wire.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
#[error("invalid {what}: {reason}")]
pub struct ValidationError {
    /// Which kind of value was being built (e.g. `"tag"`).
    pub what: &'static str,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl ValidationError {
    pub(crate) const fn new(what: &'static str, reason: &'static str) -> Self {
        Self { what, reason }
    }
}

pub(crate) fn owned<T: ToOwned + ?Sized>(cow: Cow<'_, T>) -> Cow<'static, T> {
    Cow::Owned(cow.into_owned())
}

/// `ATOM-CHAR`: any CHAR except atom-specials (`(`, `)`, `{`, SP, CTL, `%`, `*`, `"`,
/// `\` and `]`).
pub const fn is_atom_char(b: u8) -> bool {
    matches!(b, 0x21..=0x7e) && !matches!(b, b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\' | b']')
}

/// `ASTRING-CHAR`: `ATOM-CHAR` or `]`.
pub const fn is_astring_char(b: u8) -> bool {
    is_atom_char(b) || b == b']'
}

/// A character allowed in a tag: `ASTRING-CHAR` except `+`.
pub const fn is_tag_char(b: u8) -> bool {
    is_astring_char(b) && b != b'+'
}

/// `list-char`: `ATOM-CHAR`, the list wildcards `%` and `*`, or `]`.
pub const fn is_list_char(b: u8) -> bool {
    is_astring_char(b) || b == b'%' || b == b'*'
}

/// A command tag (`tag = 1*<any ASTRING-CHAR except "+">`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag<'a>(Cow<'a, str>);

impl<'a> Tag<'a> {
    /// Builds a tag; it must be non-empty and made of tag characters only.
    pub fn new(tag: impl Into<Cow<'a, str>>) -> Result<Self, ValidationError> {
        let tag = tag.into();
        if tag.is_empty() {
            return Err(ValidationError::new("tag", "empty"));
        }
        if !tag.bytes().all(is_tag_char) {
            return Err(ValidationError::new(
                "tag",
                "contains a character not allowed in a tag",
            ));
        }
        Ok(Self(tag))
    }

    /// The tag text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Detaches the tag from the buffer it was decoded from.
    pub fn into_owned(self) -> Tag<'static> {
        Tag(owned(self.0))
    }
}

impl fmt::Display for Tag<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An atom (`1*ATOM-CHAR`), e.g. a keyword flag, a capability or an extension name.
///
/// Comparisons are exact; IMAP atoms such as command names are case-insensitive and the
/// decoders normalise the ones they recognise.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Atom<'a>(Cow<'a, str>);

impl<'a> Atom<'a> {
    /// Builds an atom; it must be non-empty and made of `ATOM-CHAR`s only.
    pub fn new(atom: impl Into<Cow<'a, str>>) -> Result<Self, ValidationError> {
        let atom = atom.into();
        if atom.is_empty() {
            return Err(ValidationError::new("atom", "empty"));
        }
        if !atom.bytes().all(is_atom_char) {
            return Err(ValidationError::new(
                "atom",
                "contains an atom-special character",
            ));
        }
        Ok(Self(atom))
    }

    /// The atom text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Detaches the atom from the buffer it was decoded from.
    pub fn into_owned(self) -> Atom<'static> {
        Atom(owned(self.0))
    }
}

impl fmt::Display for Atom<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn check_char8(what: &'static str, data: &[u8]) -> Result<(), ValidationError> {
    if data.contains(&0) {
        return Err(ValidationError::new(what, "contains NUL"));
    }
    if u32::try_from(data.len()).is_err() {
        return Err(ValidationError::new(what, "longer than 4 GiB"));
    }
    Ok(())
}

/// A `string` value: any bytes except NUL, sent as a quoted string or a literal.
///
/// The encoder quotes short 7-bit (or, with UTF-8 enabled, UTF-8) text without CR or LF
/// and sends anything else as a literal.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IString<'a>(Cow<'a, [u8]>);

impl<'a> IString<'a> {
    /// Builds a string; it must not contain NUL.
    pub fn new(data: impl Into<Cow<'a, [u8]>>) -> Result<Self, ValidationError> {
        let data = data.into();
        check_char8("string", &data)?;
        Ok(Self(data))
    }

    /// Wraps bytes the decoder has already checked to hold no NUL.
    pub(crate) fn from_checked(data: Cow<'a, [u8]>) -> Self {
        debug_assert!(!data.contains(&0));
        Self(data)
    }

    /// Builds a string from text; it must not contain NUL.
    pub fn text(text: impl Into<Cow<'a, str>>) -> Result<Self, ValidationError> {
        Self::new(cow_str_to_bytes(text.into()))
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The value as UTF-8 text, if it is.
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.0).ok()
    }

    /// Detaches the string from the buffer it was decoded from.
    pub fn into_owned(self) -> IString<'static> {
        IString(owned(self.0))
    }

    /// Gives the bytes back.
    pub fn into_inner(self) -> Cow<'a, [u8]> {
        self.0
    }
}

impl fmt::Debug for IString<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IString({:?})", String::from_utf8_lossy(&self.0))
    }
}

pub(crate) fn cow_str_to_bytes(text: Cow<'_, str>) -> Cow<'_, [u8]> {
    match text {
        Cow::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
        Cow::Owned(s) => Cow::Owned(s.into_bytes()),
    }
}

/// An `astring` value: like [`IString`], but sent as a bare atom when it is one.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AString<'a>(Cow<'a, [u8]>);

impl<'a> AString<'a> {
    /// Builds an astring; it must not contain NUL.
    pub fn new(data: impl Into<Cow<'a, [u8]>>) -> Result<Self, ValidationError> {
        let data = data.into();
        check_char8("astring", &data)?;
        Ok(Self(data))
    }

    /// Wraps bytes the decoder has already checked to hold no NUL.
    pub(crate) fn from_checked(data: Cow<'a, [u8]>) -> Self {
        debug_assert!(!data.contains(&0));
        Self(data)
    }

    /// Builds an astring from text; it must not contain NUL.
    pub fn text(text: impl Into<Cow<'a, str>>) -> Result<Self, ValidationError> {
        Self::new(cow_str_to_bytes(text.into()))
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The value as UTF-8 text, if it is.
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.0).ok()
    }

    /// Detaches the astring from the buffer it was decoded from.
    pub fn into_owned(self) -> AString<'static> {
        AString(owned(self.0))
    }

    /// Gives the bytes back.
    pub fn into_inner(self) -> Cow<'a, [u8]> {
        self.0
    }
}

impl fmt::Debug for AString<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AString({:?})", String::from_utf8_lossy(&self.0))
    }
}

impl<'a> From<IString<'a>> for AString<'a> {
    fn from(s: IString<'a>) -> Self {
        Self(s.0)
    }
}

impl<'a> From<AString<'a>> for IString<'a> {
    fn from(s: AString<'a>) -> Self {
        Self(s.0)
    }
}

impl<'a> From<Atom<'a>> for AString<'a> {
    fn from(a: Atom<'a>) -> Self {
        Self(cow_str_to_bytes(a.0))
    }
}

/// An `nstring`: a string or `NIL`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct NString<'a>(pub Option<IString<'a>>);

impl NString<'_> {
    /// `NIL`.
    pub const NIL: NString<'static> = NString(None);

    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> NString<'static> {
        NString(self.0.map(IString::into_owned))
    }
}

/// A literal that must be sent as a literal: an APPEND message or a BINARY section.
///
/// `binary` literals (`literal8`, `~{n}`, RFC 3516) may contain NUL; text literals may not.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Literal<'a> {
    data: Cow<'a, [u8]>,
    binary: bool,
}

impl<'a> Literal<'a> {
    /// A text literal (`{n}`); must not contain NUL.
    pub fn new(data: impl Into<Cow<'a, [u8]>>) -> Result<Self, ValidationError> {
        let data = data.into();
        check_char8("literal", &data)?;
        Ok(Self {
            data,
            binary: false,
        })
    }

    /// A `literal8` (`~{n}`, RFC 3516); any bytes.
    pub fn binary(data: impl Into<Cow<'a, [u8]>>) -> Result<Self, ValidationError> {
        let data = data.into();
        if u32::try_from(data.len()).is_err() {
            return Err(ValidationError::new("literal", "longer than 4 GiB"));
        }
        Ok(Self { data, binary: true })
    }

    /// The bytes of the literal.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// Whether this is a `literal8`.
    pub fn is_binary(&self) -> bool {
        self.binary
    }

    /// Gives the bytes back.
    pub fn into_data(self) -> Cow<'a, [u8]> {
        self.data
    }

    /// Detaches the literal from the buffer it was decoded from.
    pub fn into_owned(self) -> Literal<'static> {
        Literal {
            data: owned(self.data),
            binary: self.binary,
        }
    }
}

impl fmt::Debug for Literal<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Literal")
            .field("len", &self.data.len())
            .field("binary", &self.binary)
            .field("data", &String::from_utf8_lossy(&self.data))
            .finish()
    }
}

/// The header of a literal as found on the wire: `{n}`, `{n+}`, `~{n}` or `~{n+}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LiteralHeader {
    /// Number of octets that follow the header's CRLF.
    pub length: u32,
    /// `~{n}` (literal8, RFC 3516).
    pub binary: bool,
    /// `{n+}` (non-synchronising, RFC 7888): the sender does not wait for `+`.
    pub non_sync: bool,
}

/// A secret (password, SASL response) whose `Debug` prints `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T>(pub T);

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl<T> Secret<T> {
    /// The secret value.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

/// A list with at least one element.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NonEmptyVec<T>(Vec<T>);

impl<T> NonEmptyVec<T> {
    /// Wraps a list; fails when it is empty.
    pub fn new(items: Vec<T>) -> Result<Self, ValidationError> {
        if items.is_empty() {
            return Err(ValidationError::new("list", "must not be empty"));
        }
        Ok(Self(items))
    }

    /// A list of one element.
    pub fn one(item: T) -> Self {
        Self(vec![item])
    }

    /// The elements.
    pub fn as_slice(&self) -> &[T] {
        &self.0
    }

    /// Gives the elements back.
    pub fn into_vec(self) -> Vec<T> {
        self.0
    }

    /// The first element.
    pub fn first(&self) -> &T {
        &self.0[0]
    }

    /// Maps each element.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> NonEmptyVec<U> {
        NonEmptyVec(self.0.into_iter().map(f).collect())
    }
}

impl<T> std::ops::Deref for NonEmptyVec<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        &self.0
    }
}
