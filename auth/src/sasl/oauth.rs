//! OAUTHBEARER (RFC 7628) and Google's XOAUTH2. The token check is the
//! application's; a rejection sends a JSON error as a challenge, the client
//! answers with a dummy response (`%x01` for OAUTHBEARER, empty for XOAUTH2),
//! and only then does the exchange fail.

use super::scram_msg::{decode_saslname, encode_saslname};
use super::server::{Answer, CredentialRequest, ServerStep, Success};
use super::{Mechanism, SaslError, malformed, utf8};
use crate::Password;

const KVSEP: u8 = 0x01;

/// An OAuth error for the client (RFC 7628 section 3.2.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthError {
    /// `status`, e.g. `invalid_token` (OAUTHBEARER) or `401` (XOAUTH2).
    pub status: String,
    /// `scope` the client should ask for, if useful.
    pub scope: Option<String>,
    /// `openid-configuration` URL, if any.
    pub openid_configuration: Option<String>,
}

impl OAuthError {
    /// An error with this status only.
    pub fn new(status: impl Into<String>) -> Self {
        Self {
            status: status.into(),
            scope: None,
            openid_configuration: None,
        }
    }

    /// The default error of a mechanism: `invalid_token` for OAUTHBEARER,
    /// `401` for XOAUTH2.
    pub fn default_for(mechanism: Mechanism) -> Self {
        match mechanism {
            Mechanism::XOAuth2 => Self::new("401"),
            _ => Self::new("invalid_token"),
        }
    }

    /// The JSON object sent to the client. XOAUTH2 adds `"schemes":"bearer"`
    /// as Google does.
    pub fn to_json(&self, mechanism: Mechanism) -> String {
        let mut out = format!("{{\"status\":\"{}\"", json_escape(&self.status));
        if mechanism == Mechanism::XOAuth2 {
            out.push_str(",\"schemes\":\"bearer\"");
        }
        if let Some(scope) = &self.scope {
            out.push_str(&format!(",\"scope\":\"{}\"", json_escape(scope)));
        }
        if let Some(url) = &self.openid_configuration {
            out.push_str(&format!(
                ",\"openid-configuration\":\"{}\"",
                json_escape(url)
            ));
        }
        out.push('}');
        out
    }
}

fn json_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

/// A parsed client message.
#[derive(Debug)]
pub(crate) struct TokenMessage {
    pub(crate) user: Option<String>,
    pub(crate) token: Password,
    pub(crate) host: Option<String>,
    pub(crate) port: Option<u16>,
}

/// `key=value` pairs separated by `%x01`; the list ends with an empty pair.
fn kvpairs(mech: Mechanism, s: &[u8]) -> Result<Vec<(String, String)>, SaslError> {
    let body = s
        .strip_suffix(&[KVSEP, KVSEP])
        .ok_or_else(|| malformed(mech, "missing final separators"))?;
    body.split(|&b| b == KVSEP)
        .map(|pair| {
            let pair = utf8(mech, pair)?;
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| malformed(mech, "pair without ="))?;
            let key_ok = !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphabetic());
            // RFC 7628 allows VCHAR, SP, HTAB, CR, LF; UTF-8 is accepted too
            // for internationalised user names.
            let value_ok = value
                .bytes()
                .all(|b| b >= 0x20 && b != 0x7f || matches!(b, b'\t' | b'\r' | b'\n'));
            if !key_ok || !value_ok {
                return Err(malformed(mech, "invalid key or value"));
            }
            Ok((key.to_owned(), value.to_owned()))
        })
        .collect()
}

fn find<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// The token of an `auth` value `Bearer <b64token>` (scheme case-insensitive).
fn bearer_token(mech: Mechanism, auth: &str) -> Result<Password, SaslError> {
    let (scheme, token) = auth
        .split_once(' ')
        .ok_or_else(|| malformed(mech, "auth is not 'Bearer token'"))?;
    let body = token.trim_end_matches('=');
    let b64token = !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b));
    if !scheme.eq_ignore_ascii_case("Bearer") || !b64token {
        return Err(malformed(mech, "auth is not 'Bearer token'"));
    }
    Ok(Password::from(token))
}

pub(crate) fn parse_oauthbearer(msg: &[u8]) -> Result<TokenMessage, SaslError> {
    let mech = Mechanism::OAuthBearer;
    let first_comma = msg.iter().position(|&b| b == b',');
    let second_comma = first_comma.and_then(|i| {
        msg[i + 1..]
            .iter()
            .position(|&b| b == b',')
            .map(|j| i + 1 + j)
    });
    let (Some(c1), Some(c2)) = (first_comma, second_comma) else {
        return Err(malformed(mech, "missing GS2 header"));
    };
    match &msg[..c1] {
        b"n" | b"y" => {}
        f if f.starts_with(b"p=") => {
            return Err(SaslError::ChannelBinding(
                "OAUTHBEARER does not use channel binding",
            ));
        }
        _ => return Err(malformed(mech, "invalid GS2 flag")),
    }
    let user = match &msg[c1 + 1..c2] {
        b"" => None,
        a => match a.strip_prefix(b"a=") {
            Some(name) => Some(decode_saslname(mech, &utf8(mech, name)?)?),
            None => return Err(malformed(mech, "invalid authzid")),
        },
    };
    let rest = msg[c2 + 1..]
        .strip_prefix(&[KVSEP])
        .ok_or_else(|| malformed(mech, "missing separator after GS2 header"))?;
    let pairs = kvpairs(mech, rest)?;
    let auth = find(&pairs, "auth").ok_or_else(|| malformed(mech, "missing auth"))?;
    let port = match find(&pairs, "port") {
        Some(p) => Some(p.parse().map_err(|_| malformed(mech, "invalid port"))?),
        None => None,
    };
    Ok(TokenMessage {
        user,
        token: bearer_token(mech, auth)?,
        host: find(&pairs, "host").map(str::to_owned),
        port,
    })
}

pub(crate) fn parse_xoauth2(msg: &[u8]) -> Result<TokenMessage, SaslError> {
    let mech = Mechanism::XOAuth2;
    let pairs = kvpairs(mech, msg)?;
    let user = find(&pairs, "user").filter(|u| !u.is_empty());
    let user = user.ok_or_else(|| malformed(mech, "missing user"))?;
    let auth = find(&pairs, "auth").ok_or_else(|| malformed(mech, "missing auth"))?;
    Ok(TokenMessage {
        user: Some(user.to_owned()),
        token: bearer_token(mech, auth)?,
        host: None,
        port: None,
    })
}

#[derive(Debug)]
enum State {
    New,
    AwaitAnswer(Option<String>),
    AwaitDummy,
    Done,
}

/// Server side of OAUTHBEARER and XOAUTH2.
#[derive(Debug)]
pub(crate) struct OAuthServer {
    mechanism: Mechanism,
    state: State,
}

impl OAuthServer {
    pub(crate) fn new(mechanism: Mechanism) -> Self {
        Self {
            mechanism,
            state: State::New,
        }
    }

    pub(crate) fn start(&mut self, initial: Option<&[u8]>) -> Result<ServerStep, SaslError> {
        match initial {
            Some(message) => self.step(message),
            None => Ok(ServerStep::Challenge(Vec::new())),
        }
    }

    pub(crate) fn step(&mut self, input: &[u8]) -> Result<ServerStep, SaslError> {
        match std::mem::replace(&mut self.state, State::Done) {
            State::New => {
                let msg = if self.mechanism == Mechanism::XOAuth2 {
                    parse_xoauth2(input)?
                } else {
                    parse_oauthbearer(input)?
                };
                self.state = State::AwaitAnswer(msg.user.clone());
                Ok(ServerStep::NeedCredentials(
                    CredentialRequest::VerifyToken {
                        user: msg.user,
                        token: msg.token,
                        host: msg.host,
                        port: msg.port,
                    },
                ))
            }
            State::AwaitDummy => {
                let dummy_ok = self.mechanism == Mechanism::XOAuth2 || input == [KVSEP];
                if dummy_ok {
                    Err(SaslError::AuthenticationFailed)
                } else {
                    Err(malformed(self.mechanism, "expected the dummy response"))
                }
            }
            _ => Err(SaslError::OutOfOrder("no more input expected")),
        }
    }

    pub(crate) fn answer(&mut self, answer: Answer) -> Result<ServerStep, SaslError> {
        let State::AwaitAnswer(user) = std::mem::replace(&mut self.state, State::Done) else {
            return Err(SaslError::OutOfOrder("no token yet"));
        };
        let success = |identity| {
            Ok(ServerStep::Success(Success {
                identity,
                authzid: None,
                final_data: None,
            }))
        };
        let error = match answer {
            Answer::AcceptAs(identity) => return success(identity),
            Answer::Accept => match user {
                Some(user) => return success(user),
                None => return Err(SaslError::WrongAnswer("no user named: answer AcceptAs")),
            },
            Answer::Reject | Answer::UnknownUser => OAuthError::default_for(self.mechanism),
            Answer::RejectToken(e) => e,
            _ => return Err(SaslError::WrongAnswer("expected a token verdict")),
        };
        self.state = State::AwaitDummy;
        Ok(ServerStep::Challenge(
            error.to_json(self.mechanism).into_bytes(),
        ))
    }
}

/// Client side of OAUTHBEARER and XOAUTH2.
#[derive(Debug)]
pub(crate) struct OAuthClient {
    mechanism: Mechanism,
    message: Option<Vec<u8>>,
    error_seen: bool,
}

impl OAuthClient {
    pub(crate) fn oauthbearer(
        user: Option<&str>,
        token: &Password,
        host: Option<&str>,
        port: Option<u16>,
    ) -> Result<Self, SaslError> {
        let mech = Mechanism::OAuthBearer;
        let mut m = b"n,".to_vec();
        if let Some(user) = user {
            m.extend_from_slice(format!("a={}", encode_saslname(user)).as_bytes());
        }
        m.extend_from_slice(b",\x01");
        if let Some(host) = host {
            check_value(mech, host.as_bytes())?;
            m.extend_from_slice(format!("host={host}\x01").as_bytes());
        }
        if let Some(port) = port {
            m.extend_from_slice(format!("port={port}\x01").as_bytes());
        }
        push_auth(mech, &mut m, token)?;
        Ok(Self {
            mechanism: mech,
            message: Some(m),
            error_seen: false,
        })
    }

    pub(crate) fn xoauth2(user: &str, token: &Password) -> Result<Self, SaslError> {
        let mech = Mechanism::XOAuth2;
        check_value(mech, user.as_bytes())?;
        let mut m = format!("user={user}\x01").into_bytes();
        push_auth(mech, &mut m, token)?;
        Ok(Self {
            mechanism: mech,
            message: Some(m),
            error_seen: false,
        })
    }

    pub(crate) fn initial(&mut self) -> Result<Vec<u8>, SaslError> {
        self.message
            .take()
            .ok_or(SaslError::OutOfOrder("message already sent"))
    }

    /// An empty challenge before the message asks for it; any later challenge
    /// is the server's error, answered with the dummy response.
    pub(crate) fn step(&mut self, challenge: &[u8]) -> Result<Vec<u8>, SaslError> {
        if self.message.is_some() && challenge.is_empty() {
            return self.initial();
        }
        self.message = None;
        if std::mem::replace(&mut self.error_seen, true) {
            return Err(malformed(self.mechanism, "more than one error challenge"));
        }
        Ok(match self.mechanism {
            Mechanism::XOAuth2 => Vec::new(),
            _ => vec![KVSEP],
        })
    }
}

fn check_value(mech: Mechanism, v: &[u8]) -> Result<(), SaslError> {
    if v.iter().all(|&b| b >= 0x20 && b != 0x7f) {
        Ok(())
    } else {
        Err(malformed(mech, "value with control characters"))
    }
}

fn push_auth(mech: Mechanism, m: &mut Vec<u8>, token: &Password) -> Result<(), SaslError> {
    let text = token
        .as_str()
        .ok_or_else(|| malformed(mech, "token is not text"))?;
    bearer_token(mech, &format!("Bearer {text}"))?;
    m.extend_from_slice(b"auth=Bearer ");
    m.extend_from_slice(token.as_bytes());
    m.extend_from_slice(&[KVSEP, KVSEP]);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7628_client_message() {
        let msg = b"n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01";
        let m = parse_oauthbearer(msg).unwrap();
        assert_eq!(m.user.as_deref(), Some("user@example.com"));
        assert_eq!(
            m.token.as_bytes(),
            b"vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg=="
        );
        assert_eq!(m.host.as_deref(), Some("server.example.com"));
        assert_eq!(m.port, Some(143));
        let mut client = OAuthClient::oauthbearer(
            Some("user@example.com"),
            &"vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==".into(),
            Some("server.example.com"),
            Some(143),
        )
        .unwrap();
        assert_eq!(client.initial().unwrap(), msg);
    }

    #[test]
    fn rfc7628_error_json() {
        let e = OAuthError {
            status: "invalid_token".into(),
            scope: Some("example_scope".into()),
            openid_configuration: Some(
                "https://example.com/.well-known/openid-configuration".into(),
            ),
        };
        assert_eq!(
            e.to_json(Mechanism::OAuthBearer),
            r#"{"status":"invalid_token","scope":"example_scope","openid-configuration":"https://example.com/.well-known/openid-configuration"}"#
        );
        assert_eq!(
            OAuthError::new("a\"b\\c\n").to_json(Mechanism::OAuthBearer),
            r#"{"status":"a\"b\\c\u000a"}"#
        );
        assert_eq!(
            OAuthError::default_for(Mechanism::XOAuth2).to_json(Mechanism::XOAuth2),
            r#"{"status":"401","schemes":"bearer"}"#
        );
    }

    #[test]
    fn xoauth2_message() {
        // Google's documented example.
        let msg = b"user=someuser@example.com\x01auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\x01\x01";
        let m = parse_xoauth2(msg).unwrap();
        assert_eq!(m.user.as_deref(), Some("someuser@example.com"));
        assert_eq!(
            m.token.as_bytes(),
            b"ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg"
        );
        let mut c = OAuthClient::xoauth2(
            "someuser@example.com",
            &"ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg".into(),
        )
        .unwrap();
        assert_eq!(c.initial().unwrap(), msg);
    }

    #[test]
    fn malformed_token_messages() {
        for bad in [
            &b""[..],
            b"\x01",
            b"n,,",
            b"n,,\x01\x01",
            b"n,,\x01auth=Bearer abc\x01",
            b"n,,\x01auth=Basic abc\x01\x01",
            b"n,,\x01auth=Bearer \x01\x01",
            b"n,,\x01auth=Bearer a b\x01\x01",
            b"n,,\x01port=99999\x01auth=Bearer abc\x01\x01",
            b"n,,\x01=x\x01auth=Bearer abc\x01\x01",
            b"x,,\x01auth=Bearer abc\x01\x01",
            b"n,b=user,\x01auth=Bearer abc\x01\x01",
            b"n,,auth=Bearer abc\x01\x01",
            b"n,,\x01auth=Bearer abc\x01\xff\x01\x01",
        ] {
            assert!(
                matches!(parse_oauthbearer(bad), Err(SaslError::Malformed { .. })),
                "{bad:?}"
            );
        }
        assert!(matches!(
            parse_oauthbearer(b"p=tls-unique,,\x01auth=Bearer abc\x01\x01"),
            Err(SaslError::ChannelBinding(_))
        ));
        for bad in [
            &b""[..],
            b"auth=Bearer abc\x01\x01",
            b"user=\x01auth=Bearer abc\x01\x01",
            b"user=a\x01\x01",
        ] {
            assert!(parse_xoauth2(bad).is_err(), "{bad:?}");
        }
    }
}
