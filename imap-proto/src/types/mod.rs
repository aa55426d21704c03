//! IMAP messages as Rust values that cannot express an invalid message.
//!
//! Constructors validate (`new(..) -> Result<_, ValidationError>`); values decoded from the
//! wire borrow from the input buffer (`Cow`) and can be detached with `into_owned()`.

mod body;
mod capability;
mod command;
mod core;
mod datetime;
mod fetch;
mod flag;
mod mailbox;
mod response;
mod response_data;
mod response_fetch;
mod search;
mod sequence;

pub use body::{
    Address, BodyExtension, BodyFields, BodyParam, BodyStructure, Disposition, Envelope,
    ExtensionList, ExtensionTail, LanguageTail, LocationTail, MessageSubtype, MultiPart,
    MultiPartExtension, PartKind, SinglePart, SinglePartExtension,
};
pub use capability::Capability;
pub use command::{
    AppendData, AppendMessage, Command, CommandBody, List, ListReturnOption, ListSelectOption,
    QResync, QuotaLimit, SelectParams, StatusAttribute, StoreAction,
};
pub use core::{
    AString, Atom, IString, Literal, LiteralHeader, NString, NonEmptyVec, Secret, Tag,
    ValidationError, is_astring_char, is_atom_char, is_list_char, is_tag_char,
};
pub use datetime::{Date, DateTime, MONTHS};
pub use fetch::{
    ChangedSince, FetchAttribute, FetchItems, FetchModifiers, Partial, Section, SectionText,
};
pub use flag::{ExtensionName, Flag, FlagPerm, MailboxAttribute};
pub use mailbox::{ListPattern, Mailbox, decode_modified_utf7, encode_modified_utf7};
pub use response::{
    Charset, Code, Continuation, ContinueText, Greeting, OtherCode, RespText, Response, StatusKind,
    Tagged, Text, Untagged,
};
pub(crate) use response::{base64_decode, base64_text, simple_codes};
pub(crate) use response_data::is_label_char;
pub use response_data::{
    Delimiter, ESearch, ExtItem, IdParams, ListExtendedItem, MailboxList, MailboxStatus, Namespace,
    NamespaceDescr, NamespaceExtension, Quota, QuotaResource, QuotaRoot, Resource, SearchData,
    SearchReturn, SearchReturnExt, StatusItem, TaggedExtComp, TaggedExtVal, ThreadNode, UidSet,
};
pub use response_fetch::{Fetch, FetchItem, StreamedItem};
pub use search::{
    EntryKind, ModSeqEntry, Search, SearchKey, SearchReturnOption, Sort, SortCriterion, SortKey,
    Thread, ThreadAlgorithm,
};
pub use sequence::{SeqNumber, SeqRange, SequenceSet};
