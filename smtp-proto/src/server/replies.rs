//! The replies the server machine sends on its own.

use std::borrow::Cow;

use crate::types::{EnhancedCode, Reply};

/// A one-line reply with an enhanced status code.
pub(crate) fn reply(
    code: u16,
    enhanced: (u8, u16, u16),
    text: impl Into<Cow<'static, str>>,
) -> Reply<'static> {
    let (class, subject, detail) = enhanced;
    Reply::new(code, Some(EnhancedCode::new(class, subject, detail)), text)
}

/// Gives an application reply a default enhanced code (`x.0.0`) if it has none, since
/// the server advertises ENHANCEDSTATUSCODES.
pub(crate) fn with_enhanced(mut r: Reply<'_>) -> Reply<'_> {
    let class = r.code / 100;
    if r.enhanced.is_none() && matches!(class, 2 | 4 | 5) {
        r.enhanced = Some(EnhancedCode::new(class as u8, 0, 0));
    }
    r
}

pub(crate) fn ok() -> Reply<'static> {
    reply(250, (2, 0, 0), "Ok")
}

pub(crate) fn bad_sequence(text: &'static str) -> Reply<'static> {
    reply(503, (5, 5, 1), text)
}

pub(crate) fn not_implemented() -> Reply<'static> {
    reply(502, (5, 5, 1), "Error: command not implemented")
}

pub(crate) fn unknown_command() -> Reply<'static> {
    reply(500, (5, 5, 2), "Error: command not recognized")
}

pub(crate) fn line_too_long() -> Reply<'static> {
    reply(500, (5, 5, 6), "Error: line too long")
}

pub(crate) fn unsupported_parameter(keyword: &str) -> Reply<'static> {
    reply(555, (5, 5, 4), format!("Unsupported option: {keyword}"))
}

pub(crate) fn message_too_big() -> Reply<'static> {
    reply(552, (5, 3, 4), "Error: message size exceeds fixed limit")
}

pub(crate) fn no_valid_recipients(lmtp: bool) -> Reply<'static> {
    if lmtp {
        bad_sequence("Error: no valid recipients")
    } else {
        reply(554, (5, 5, 1), "Error: no valid recipients")
    }
}
