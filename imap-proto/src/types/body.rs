//! Message structure as a server describes it in FETCH responses: `ENVELOPE`, `BODY` and
//! `BODYSTRUCTURE` (RFC 9051 section 7.5.2, RFC 3501 section 7.4.2).
//!
//! A [`BodyStructure`] is a tree: a multipart node holds one or more parts, and a
//! `MESSAGE/RFC822` (or `MESSAGE/GLOBAL`) part holds the envelope and structure of the
//! attached message. The extension data of `BODYSTRUCTURE` is optional and positional
//! (each field may only be present when all the ones before it are), which the nested
//! `Option`s of [`SinglePartExtension`] / [`MultiPartExtension`] and their tails express.
//! `BODY` (without `STRUCTURE`) carries the same tree without extension data.

use std::borrow::Cow;

use super::core::{IString, NString, ValidationError};

/// An address of an envelope (`(name adl mailbox host)`); group syntax uses a `NIL` host
/// (RFC 9051 section 7.5.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Address<'a> {
    /// Display name (RFC 2047 encoded words left as they are).
    pub name: NString<'a>,
    /// Source route (obsolete, normally `NIL`).
    pub adl: NString<'a>,
    /// Local part, or the group name at the start of a group (with a `NIL` host).
    pub mailbox: NString<'a>,
    /// Domain; `NIL` marks group start/end.
    pub host: NString<'a>,
}

impl Address<'_> {
    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> Address<'static> {
        Address {
            name: self.name.into_owned(),
            adl: self.adl.into_owned(),
            mailbox: self.mailbox.into_owned(),
            host: self.host.into_owned(),
        }
    }
}

/// The `ENVELOPE` of a message: its main header fields, parsed. An empty address list is
/// sent as `NIL`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Envelope<'a> {
    /// `Date:` as written in the message.
    pub date: NString<'a>,
    /// `Subject:` as written (encoded words are not decoded).
    pub subject: NString<'a>,
    /// `From:`.
    pub from: Vec<Address<'a>>,
    /// `Sender:` (servers default it to `From:`).
    pub sender: Vec<Address<'a>>,
    /// `Reply-To:` (servers default it to `From:`).
    pub reply_to: Vec<Address<'a>>,
    /// `To:`.
    pub to: Vec<Address<'a>>,
    /// `Cc:`.
    pub cc: Vec<Address<'a>>,
    /// `Bcc:`.
    pub bcc: Vec<Address<'a>>,
    /// `In-Reply-To:`.
    pub in_reply_to: NString<'a>,
    /// `Message-ID:`.
    pub message_id: NString<'a>,
}

fn owned_addresses(list: Vec<Address<'_>>) -> Vec<Address<'static>> {
    list.into_iter().map(Address::into_owned).collect()
}

impl Envelope<'_> {
    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> Envelope<'static> {
        Envelope {
            date: self.date.into_owned(),
            subject: self.subject.into_owned(),
            from: owned_addresses(self.from),
            sender: owned_addresses(self.sender),
            reply_to: owned_addresses(self.reply_to),
            to: owned_addresses(self.to),
            cc: owned_addresses(self.cc),
            bcc: owned_addresses(self.bcc),
            in_reply_to: self.in_reply_to.into_owned(),
            message_id: self.message_id.into_owned(),
        }
    }
}

/// A MIME parameter `name=value` (`body-fld-param`); an empty list is sent as `NIL`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BodyParam<'a> {
    /// Parameter name, e.g. `CHARSET`.
    pub name: IString<'a>,
    /// Parameter value, e.g. `UTF-8`.
    pub value: IString<'a>,
}

impl<'a> BodyParam<'a> {
    /// A parameter from text; fails when either part contains NUL.
    pub fn new(
        name: impl Into<Cow<'a, str>>,
        value: impl Into<Cow<'a, str>>,
    ) -> Result<Self, ValidationError> {
        Ok(Self {
            name: IString::text(name)?,
            value: IString::text(value)?,
        })
    }

    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> BodyParam<'static> {
        BodyParam {
            name: self.name.into_owned(),
            value: self.value.into_owned(),
        }
    }
}

fn owned_params(params: Vec<BodyParam<'_>>) -> Vec<BodyParam<'static>> {
    params.into_iter().map(BodyParam::into_owned).collect()
}

/// The fields every single part has (`body-fields`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BodyFields<'a> {
    /// Content-Type parameters (`CHARSET`, `NAME`, `BOUNDARY`...).
    pub params: Vec<BodyParam<'a>>,
    /// `Content-ID`.
    pub id: NString<'a>,
    /// `Content-Description`.
    pub description: NString<'a>,
    /// `Content-Transfer-Encoding` (`7BIT`, `BASE64`, ...).
    pub encoding: IString<'a>,
    /// Size of the body in its transfer encoding, in octets.
    pub octets: u32,
}

impl BodyFields<'_> {
    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> BodyFields<'static> {
        BodyFields {
            params: owned_params(self.params),
            id: self.id.into_owned(),
            description: self.description.into_owned(),
            encoding: self.encoding.into_owned(),
            octets: self.octets,
        }
    }
}

/// The subtype of an encapsulated message part (`media-message`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageSubtype {
    /// `MESSAGE/RFC822`.
    Rfc822,
    /// `MESSAGE/GLOBAL` (RFC 6532; recognised by IMAP4rev2).
    Global,
}

impl MessageSubtype {
    /// The subtype as sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rfc822 => "RFC822",
            Self::Global => "GLOBAL",
        }
    }
}

/// What kind of single part this is, with the fields specific to that kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PartKind<'a> {
    /// Any other media type (`body-type-basic`), e.g. `"IMAGE" "PNG"`.
    ///
    /// The grammar reserves `TEXT/*` and `MESSAGE/RFC822` for the other kinds, but some
    /// servers describe them as basic parts (omitting the line count or the
    /// encapsulated message); the decoder accepts that and keeps them here.
    Basic {
        /// Media type.
        media_type: IString<'a>,
        /// Media subtype.
        subtype: IString<'a>,
    },
    /// `MESSAGE/RFC822` or `MESSAGE/GLOBAL` with the encapsulated message.
    Message {
        /// The subtype.
        subtype: MessageSubtype,
        /// Envelope of the encapsulated message.
        envelope: Box<Envelope<'a>>,
        /// Structure of the encapsulated message.
        body: Box<BodyStructure<'a>>,
        /// Size of the encapsulated message in text lines.
        lines: u64,
    },
    /// `TEXT/<subtype>`.
    Text {
        /// Media subtype, e.g. `PLAIN`.
        subtype: IString<'a>,
        /// Size of the body in text lines.
        lines: u64,
    },
}

/// A single (non-multipart) part.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SinglePart<'a> {
    /// Media type and kind-specific fields.
    pub kind: PartKind<'a>,
    /// The fields every part has.
    pub fields: BodyFields<'a>,
    /// Extension data (`BODYSTRUCTURE` only).
    pub extension: Option<SinglePartExtension<'a>>,
}

/// A multipart node: one or more parts and the multipart subtype.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MultiPart<'a> {
    parts: Vec<BodyStructure<'a>>,
    /// Multipart subtype, e.g. `MIXED`, `ALTERNATIVE`.
    pub subtype: IString<'a>,
    /// Extension data (`BODYSTRUCTURE` only).
    pub extension: Option<MultiPartExtension<'a>>,
}

impl<'a> MultiPart<'a> {
    /// A multipart node; it must have at least one part.
    pub fn new(
        parts: Vec<BodyStructure<'a>>,
        subtype: IString<'a>,
        extension: Option<MultiPartExtension<'a>>,
    ) -> Result<Self, ValidationError> {
        if parts.is_empty() {
            return Err(ValidationError::new("multipart body", "no parts"));
        }
        Ok(Self {
            parts,
            subtype,
            extension,
        })
    }

    /// The parts, at least one.
    pub fn parts(&self) -> &[BodyStructure<'a>] {
        &self.parts
    }

    /// Gives the parts back.
    pub fn into_parts(self) -> Vec<BodyStructure<'a>> {
        self.parts
    }

    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> MultiPart<'static> {
        MultiPart {
            parts: self
                .parts
                .into_iter()
                .map(BodyStructure::into_owned)
                .collect(),
            subtype: self.subtype.into_owned(),
            extension: self.extension.map(MultiPartExtension::into_owned),
        }
    }
}

/// The structure of a message or of one of its parts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BodyStructure<'a> {
    /// A single part.
    Single(SinglePart<'a>),
    /// A multipart node.
    Multi(MultiPart<'a>),
}

impl BodyStructure<'_> {
    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> BodyStructure<'static> {
        match self {
            Self::Single(part) => BodyStructure::Single(part.into_owned()),
            Self::Multi(multi) => BodyStructure::Multi(multi.into_owned()),
        }
    }

    /// Whether this node or any node below it carries extension data.
    pub fn has_extension(&self) -> bool {
        match self {
            Self::Single(part) => {
                part.extension.is_some()
                    || matches!(&part.kind, PartKind::Message { body, .. } if body.has_extension())
            }
            Self::Multi(multi) => {
                multi.extension.is_some() || multi.parts.iter().any(Self::has_extension)
            }
        }
    }

    /// Nesting depth: 1 for a single part, one more per multipart or message level.
    pub fn depth(&self) -> usize {
        match self {
            Self::Single(SinglePart {
                kind: PartKind::Message { body, .. },
                ..
            }) => 1 + body.depth(),
            Self::Single(_) => 1,
            Self::Multi(multi) => 1 + multi.parts.iter().map(Self::depth).max().unwrap_or(0),
        }
    }
}

impl SinglePart<'_> {
    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> SinglePart<'static> {
        SinglePart {
            kind: self.kind.into_owned(),
            fields: self.fields.into_owned(),
            extension: self.extension.map(SinglePartExtension::into_owned),
        }
    }
}

impl PartKind<'_> {
    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> PartKind<'static> {
        match self {
            Self::Basic {
                media_type,
                subtype,
            } => PartKind::Basic {
                media_type: media_type.into_owned(),
                subtype: subtype.into_owned(),
            },
            Self::Message {
                subtype,
                envelope,
                body,
                lines,
            } => PartKind::Message {
                subtype,
                envelope: Box::new(envelope.into_owned()),
                body: Box::new(body.into_owned()),
                lines,
            },
            Self::Text { subtype, lines } => PartKind::Text {
                subtype: subtype.into_owned(),
                lines,
            },
        }
    }
}

/// Extension data of a single part: `body-fld-md5` and, optionally, what follows it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct SinglePartExtension<'a> {
    /// `Content-MD5`.
    pub md5: NString<'a>,
    /// Disposition and the fields after it, when sent.
    pub tail: Option<ExtensionTail<'a>>,
}

impl SinglePartExtension<'_> {
    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> SinglePartExtension<'static> {
        SinglePartExtension {
            md5: self.md5.into_owned(),
            tail: self.tail.map(ExtensionTail::into_owned),
        }
    }
}

/// Extension data of a multipart node: its Content-Type parameters and, optionally, what
/// follows them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct MultiPartExtension<'a> {
    /// Content-Type parameters (`BOUNDARY`...).
    pub params: Vec<BodyParam<'a>>,
    /// Disposition and the fields after it, when sent.
    pub tail: Option<ExtensionTail<'a>>,
}

impl MultiPartExtension<'_> {
    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> MultiPartExtension<'static> {
        MultiPartExtension {
            params: owned_params(self.params),
            tail: self.tail.map(ExtensionTail::into_owned),
        }
    }
}

/// The extension fields shared by single and multipart nodes: disposition, then
/// (optionally) language, then (optionally) location and further extensions.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ExtensionTail<'a> {
    /// `Content-Disposition`; `None` is sent as `NIL`.
    pub disposition: Option<Disposition<'a>>,
    /// Language and the fields after it, when sent.
    pub language: Option<LanguageTail<'a>>,
}

impl ExtensionTail<'_> {
    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> ExtensionTail<'static> {
        ExtensionTail {
            disposition: self.disposition.map(Disposition::into_owned),
            language: self.language.map(LanguageTail::into_owned),
        }
    }
}

/// `Content-Language` and, optionally, location and further extensions.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct LanguageTail<'a> {
    /// Language tags; empty is sent as `NIL`, one as a string, more as a list.
    pub languages: Vec<IString<'a>>,
    /// Location and the extensions after it, when sent.
    pub location: Option<LocationTail<'a>>,
}

impl LanguageTail<'_> {
    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> LanguageTail<'static> {
        LanguageTail {
            languages: self
                .languages
                .into_iter()
                .map(IString::into_owned)
                .collect(),
            location: self.location.map(LocationTail::into_owned),
        }
    }
}

/// `Content-Location` and any further extension data (defined by future RFCs).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct LocationTail<'a> {
    /// `Content-Location`.
    pub location: NString<'a>,
    /// Extension data after the location.
    pub extensions: Vec<BodyExtension<'a>>,
}

impl LocationTail<'_> {
    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> LocationTail<'static> {
        LocationTail {
            location: self.location.into_owned(),
            extensions: self
                .extensions
                .into_iter()
                .map(BodyExtension::into_owned)
                .collect(),
        }
    }
}

/// `Content-Disposition`: its type (`attachment`, `inline`) and parameters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Disposition<'a> {
    /// Disposition type as sent.
    pub kind: IString<'a>,
    /// Parameters (`FILENAME`...); empty is sent as `NIL`.
    pub params: Vec<BodyParam<'a>>,
}

impl Disposition<'_> {
    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> Disposition<'static> {
        Disposition {
            kind: self.kind.into_owned(),
            params: owned_params(self.params),
        }
    }
}

/// A future extension value (`body-extension`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BodyExtension<'a> {
    /// A string or `NIL`.
    NString(NString<'a>),
    /// A number.
    Number(u64),
    /// A parenthesised list of one or more values.
    List(ExtensionList<'a>),
}

/// A non-empty list of extension values.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExtensionList<'a>(Vec<BodyExtension<'a>>);

impl<'a> ExtensionList<'a> {
    /// A list; it must not be empty.
    pub fn new(items: Vec<BodyExtension<'a>>) -> Result<Self, ValidationError> {
        if items.is_empty() {
            return Err(ValidationError::new("body extension list", "empty"));
        }
        Ok(Self(items))
    }

    /// The values.
    pub fn items(&self) -> &[BodyExtension<'a>] {
        &self.0
    }
}

impl BodyExtension<'_> {
    /// Detaches the value from the buffer it was decoded from.
    pub fn into_owned(self) -> BodyExtension<'static> {
        match self {
            Self::NString(s) => BodyExtension::NString(s.into_owned()),
            Self::Number(n) => BodyExtension::Number(n),
            Self::List(list) => BodyExtension::List(ExtensionList(
                list.0.into_iter().map(Self::into_owned).collect(),
            )),
        }
    }
}
