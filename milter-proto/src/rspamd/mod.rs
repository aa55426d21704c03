//! rspamd's HTTP protocol, the alternative to its milter proxy: build a `/checkv2`
//! request ([`CheckRequest`]), read the HTTP response ([`ResponseReader`], Sans-IO),
//! parse its JSON ([`CheckReply`]) and turn it into the same [`Verdict`](crate::Verdict)
//! the milter client gives ([`CheckReply::to_verdict`]).
//!
//! The driver writes the request head then the message, reads until the reader says
//! [`ReadStatus::Complete`] (or calls [`ResponseReader::handle_eof`] when the server
//! closes), and checks the status:
//!
//! ```
//! use milter_proto::rspamd::{check_reply, CheckRequest, ReadStatus, ResponseReader, VerdictOptions};
//! use bytes::BytesMut;
//!
//! let message = b"Subject: hi\r\n\r\nhello\r\n";
//! let mut wire = BytesMut::new();
//! CheckRequest::new().encode_head("localhost:11333", message.len(), &mut wire).unwrap();
//! wire.extend_from_slice(message);
//! // ... write `wire` to rspamd, read its answer ...
//! let json = r#"{"action":"add header","score":7.5,"required_score":15}"#;
//! let answer = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{json}", json.len());
//! let mut reader = ResponseReader::new(1 << 20);
//! let ReadStatus::Complete(response) = reader.handle_input(answer.as_bytes()).unwrap() else {
//!     panic!("complete");
//! };
//! let reply = check_reply(&response).unwrap();
//! assert_eq!(reply.score, 7.5);
//! let verdict = reply.to_verdict(&VerdictOptions::default());
//! assert!(verdict.is_accept());
//! assert_eq!(verdict.header_value("X-Spam").unwrap(), "Yes");
//! ```

mod http;
mod reply;
mod request;

pub use http::{HttpResponse, ReadStatus, ResponseReader};
pub use reply::{CheckReply, HeaderAddition, MilterChanges, SpamAction, VerdictOptions};
pub use request::CheckRequest;

/// What went wrong talking to rspamd over HTTP.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RspamdError {
    /// A request header value contains CR, LF or NUL, or a header name is not a token.
    #[error("invalid value for request header {name}")]
    InvalidHeader {
        /// The header.
        name: &'static str,
    },
    /// The response is not valid HTTP/1.x.
    #[error("invalid HTTP response: {reason}")]
    Http {
        /// What is wrong.
        reason: &'static str,
    },
    /// The response is larger than the reader's limit.
    #[error("response larger than {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: usize,
    },
    /// rspamd answered with an error status.
    #[error("rspamd answered HTTP {status}: {message}")]
    Status {
        /// The status code.
        status: u16,
        /// rspamd's error text, or the start of the body.
        message: String,
    },
    /// The body is not a scan result.
    #[error("invalid rspamd reply: {0}")]
    Json(String),
}

/// The scan result of a complete response: [`CheckReply::from_json`] for status 200,
/// [`RspamdError::Status`] otherwise.
pub fn check_reply(response: &HttpResponse) -> Result<CheckReply, RspamdError> {
    if response.status == 200 {
        return CheckReply::from_json(&response.body);
    }
    let message = serde_json::from_slice::<serde_json::Value>(&response.body)
        .ok()
        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
        .unwrap_or_else(|| {
            let end = response.body.len().min(200);
            String::from_utf8_lossy(&response.body[..end]).into_owned()
        });
    Err(RspamdError::Status {
        status: response.status,
        message,
    })
}
