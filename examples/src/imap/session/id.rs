//! `ID` (RFC 2971): the client's identification is logged, the server's returned.

use imap_proto::server::Status;
use imap_proto::types::{IString, IdParams, NString, Untagged};
use tracing::info;

use super::Reply;
use crate::listen::Peer;
use crate::logging::sanitize;

/// Fields of the client's ID that are logged (at most this many).
const MAX_LOGGED_FIELDS: usize = 8;

/// `ID (field value ...)` or `ID NIL`.
pub(super) fn id(peer: &Peer, params: Option<&[(IString<'_>, NString<'_>)]>) -> Reply {
    if let Some(params) = params {
        let fields: Vec<String> = params
            .iter()
            .take(MAX_LOGGED_FIELDS)
            .map(|(name, value)| {
                let text = |b: &[u8]| sanitize(&String::from_utf8_lossy(b));
                let value = value
                    .0
                    .as_ref()
                    .map_or("NIL".to_owned(), |v| text(v.as_bytes()));
                format!("{}={value}", text(name.as_bytes()))
            })
            .collect();
        info!("id: session={} {}", peer.id, fields.join(" "));
    }
    let field = |name: &str, value: &str| {
        Some((
            IString::text(name.to_owned()).ok()?,
            NString(IString::text(value.to_owned()).ok()),
        ))
    };
    let server: Vec<_> = [
        field("name", "Postroom"),
        field("version", env!("CARGO_PKG_VERSION")),
        field("vendor", "Postroom developers"),
    ]
    .into_iter()
    .flatten()
    .collect();
    Reply::with(
        vec![Untagged::Id(Some(IdParams(server)))],
        Status::ok("ID completed"),
    )
}
