//! The `/checkv2` request: an HTTP/1.1 POST whose headers carry the envelope and the
//! connection facts, and whose body is the message as received.

use std::net::IpAddr;

use bytes::{BufMut, BytesMut};

use super::RspamdError;

/// The facts rspamd is told about a message. Unset fields send no header.
///
/// ```
/// use milter_proto::rspamd::CheckRequest;
/// use bytes::BytesMut;
///
/// let mut request = CheckRequest::new();
/// request.from = Some("alice@example.org".into());
/// request.recipients = vec!["bob@example.net".into()];
/// request.ip = Some("192.0.2.7".parse().unwrap());
/// let mut head = BytesMut::new();
/// request.encode_head("127.0.0.1:11333", 42, &mut head).unwrap();
/// let head = String::from_utf8(head.to_vec()).unwrap();
/// assert!(head.starts_with("POST /checkv2 HTTP/1.1\r\nHost: 127.0.0.1:11333\r\n"));
/// assert!(head.contains("\r\nRcpt: bob@example.net\r\n"));
/// assert!(head.ends_with("Content-Length: 42\r\n\r\n"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CheckRequest {
    /// `From`: the envelope sender (empty for the null sender `<>`).
    pub from: Option<String>,
    /// `Rcpt`: the envelope recipients, one header each.
    pub recipients: Vec<String>,
    /// `IP`: the SMTP client's address.
    pub ip: Option<IpAddr>,
    /// `Helo`: the HELO/EHLO argument.
    pub helo: Option<String>,
    /// `Hostname`: the SMTP client's verified host name.
    pub hostname: Option<String>,
    /// `User`: the SASL login of an authenticated client.
    pub user: Option<String>,
    /// `Queue-Id`: the MTA's id of the message, for rspamd's logs.
    pub queue_id: Option<String>,
    /// `Deliver-To`: the final recipient, when there is one.
    pub deliver_to: Option<String>,
    /// `Settings-ID`: a settings profile configured in rspamd.
    pub settings_id: Option<String>,
    /// `Settings`: settings for this scan (UCL or JSON).
    pub settings: Option<String>,
    /// `MTA-Name`: the name of the MTA.
    pub mta_name: Option<String>,
    /// `Pass: all`: run every rule, even after a pre-result.
    pub pass_all: bool,
    /// Keep the connection open after the reply (otherwise `Connection: close`).
    pub keep_alive: bool,
    /// Further headers, sent as given.
    pub extra_headers: Vec<(String, String)>,
}

impl CheckRequest {
    /// A request with nothing set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends the request line and headers, for a message of `content_length` bytes that
    /// the caller sends right after. `host` is the `Host` header (the server's address).
    pub fn encode_head(
        &self,
        host: &str,
        content_length: usize,
        out: &mut BytesMut,
    ) -> Result<(), RspamdError> {
        let mut head = BytesMut::new();
        head.put_slice(b"POST /checkv2 HTTP/1.1\r\n");
        put_header(&mut head, "Host", host)?;
        let ip = self.ip.map(|ip| ip.to_string());
        let optional = [
            ("From", self.from.as_deref()),
            ("IP", ip.as_deref()),
            ("Helo", self.helo.as_deref()),
            ("Hostname", self.hostname.as_deref()),
            ("User", self.user.as_deref()),
            ("Queue-Id", self.queue_id.as_deref()),
            ("Deliver-To", self.deliver_to.as_deref()),
            ("Settings-ID", self.settings_id.as_deref()),
            ("Settings", self.settings.as_deref()),
            ("MTA-Name", self.mta_name.as_deref()),
        ];
        for (name, value) in optional {
            if let Some(value) = value {
                put_header(&mut head, name, value)?;
            }
        }
        for recipient in &self.recipients {
            put_header(&mut head, "Rcpt", recipient)?;
        }
        if self.pass_all {
            put_header(&mut head, "Pass", "all")?;
        }
        if !self.keep_alive {
            put_header(&mut head, "Connection", "close")?;
        }
        for (name, value) in &self.extra_headers {
            if name.is_empty() || !name.bytes().all(is_token_byte) {
                return Err(RspamdError::InvalidHeader {
                    name: "extra header name",
                });
            }
            if !write_header(&mut head, name, value) {
                return Err(RspamdError::InvalidHeader {
                    name: "extra header value",
                });
            }
        }
        put_header(&mut head, "Content-Length", &content_length.to_string())?;
        head.put_slice(b"\r\n");
        out.put_slice(&head);
        Ok(())
    }
}

/// Writes one of the known headers.
fn put_header(out: &mut BytesMut, name: &'static str, value: &str) -> Result<(), RspamdError> {
    if write_header(out, name, value) {
        Ok(())
    } else {
        Err(RspamdError::InvalidHeader { name })
    }
}

/// Writes `name: value` unless the value could break out of its line.
fn write_header(out: &mut BytesMut, name: &str, value: &str) -> bool {
    if value.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
        return false;
    }
    out.put_slice(name.as_bytes());
    out.put_slice(b": ");
    out.put_slice(value.as_bytes());
    out.put_slice(b"\r\n");
    true
}

/// An HTTP token character (RFC 9110 section 5.6.2).
fn is_token_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}
