//! SCRAM message grammar (RFC 5802 section 7), shared by client and server.

use super::Mechanism;
use super::{SaslError, malformed};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

/// The channel-binding flag of the GS2 header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum CbFlag {
    /// `n`: the client does not support channel binding.
    No,
    /// `y`: the client supports it but thinks the server does not.
    Yes,
    /// `p=type`: the client uses channel binding of this type.
    Plus(String),
}

/// A parsed client-first-message.
#[derive(Clone, Debug)]
pub(crate) struct ClientFirst {
    pub(crate) cb: CbFlag,
    pub(crate) authzid: Option<String>,
    /// The GS2 header as sent (needed for `c=`).
    pub(crate) gs2_header: String,
    /// client-first-message-bare (needed for the AuthMessage).
    pub(crate) bare: String,
    pub(crate) username: String,
    pub(crate) nonce: String,
}

/// Attributes `x=value` of a message, in order.
pub(crate) fn attributes(mech: Mechanism, s: &str) -> Result<Vec<(u8, &str)>, SaslError> {
    s.split(',')
        .map(|field| {
            let b = field.as_bytes();
            if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b'=' {
                Ok((b[0], &field[2..]))
            } else {
                Err(malformed(mech, "attribute is not x=value"))
            }
        })
        .collect()
}

/// Decodes a saslname (`=2C` is `,`, `=3D` is `=`; other `=` are invalid).
pub(crate) fn decode_saslname(mech: Mechanism, s: &str) -> Result<String, SaslError> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find('=') {
        out.push_str(&rest[..pos]);
        let esc = rest.get(pos..pos + 3);
        match esc {
            Some("=2C") | Some("=2c") => out.push(','),
            Some("=3D") | Some("=3d") => out.push('='),
            _ => return Err(malformed(mech, "invalid = escape in a name")),
        }
        rest = &rest[pos + 3..];
    }
    out.push_str(rest);
    if out.is_empty() {
        return Err(malformed(mech, "empty name"));
    }
    Ok(out)
}

/// Encodes a saslname.
pub(crate) fn encode_saslname(s: &str) -> String {
    s.replace('=', "=3D").replace(',', "=2C")
}

/// Nonces are printable ASCII without `,`.
pub(crate) fn valid_nonce(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| (0x21..=0x7e).contains(&b) && b != b',')
}

pub(crate) fn parse_client_first(mech: Mechanism, msg: &[u8]) -> Result<ClientFirst, SaslError> {
    let s = std::str::from_utf8(msg).map_err(|_| malformed(mech, "not valid UTF-8"))?;
    let mut it = s.splitn(3, ',');
    let (Some(flag), Some(authz), Some(bare)) = (it.next(), it.next(), it.next()) else {
        return Err(malformed(mech, "missing GS2 header"));
    };
    let cb = match flag {
        "n" => CbFlag::No,
        "y" => CbFlag::Yes,
        _ => match flag.strip_prefix("p=") {
            Some(name) if valid_cb_name(name) => CbFlag::Plus(name.to_owned()),
            _ => return Err(malformed(mech, "invalid channel-binding flag")),
        },
    };
    let authzid = match authz {
        "" => None,
        _ => match authz.strip_prefix("a=") {
            Some(name) => Some(decode_saslname(mech, name)?),
            None => return Err(malformed(mech, "invalid authzid in GS2 header")),
        },
    };
    let attrs = attributes(mech, bare)?;
    let (username, nonce) = match attrs.as_slice() {
        [(b'm', _), ..] => return Err(malformed(mech, "mandatory extensions are not supported")),
        [(b'n', user), (b'r', nonce), ..] => (decode_saslname(mech, user)?, *nonce),
        _ => return Err(malformed(mech, "expected n=user,r=nonce")),
    };
    if !valid_nonce(nonce) {
        return Err(malformed(mech, "invalid nonce"));
    }
    Ok(ClientFirst {
        cb,
        authzid,
        gs2_header: s[..flag.len() + authz.len() + 2].to_owned(),
        bare: bare.to_owned(),
        username,
        nonce: nonce.to_owned(),
    })
}

/// Channel-binding type names: letters, digits, `.` and `-`.
pub(crate) fn valid_cb_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
}

/// A parsed server-first-message.
pub(crate) struct ServerFirst {
    pub(crate) nonce: String,
    pub(crate) salt: Vec<u8>,
    pub(crate) iterations: u32,
}

pub(crate) fn parse_server_first(mech: Mechanism, msg: &str) -> Result<ServerFirst, SaslError> {
    let attrs = attributes(mech, msg)?;
    let (nonce, salt, iter) = match attrs.as_slice() {
        [(b'm', _), ..] => return Err(malformed(mech, "mandatory extensions are not supported")),
        [(b'r', nonce), (b's', salt), (b'i', iter), ..] => (*nonce, *salt, *iter),
        _ => return Err(malformed(mech, "expected r=,s=,i=")),
    };
    if !valid_nonce(nonce) {
        return Err(malformed(mech, "invalid nonce"));
    }
    let salt = B64
        .decode(salt)
        .map_err(|_| malformed(mech, "invalid salt base64"))?;
    if salt.is_empty() {
        return Err(malformed(mech, "empty salt"));
    }
    if iter.is_empty() || iter.len() > 10 || !iter.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed(mech, "invalid iteration count"));
    }
    let iterations = iter
        .parse::<u32>()
        .map_err(|_| malformed(mech, "invalid iteration count"))?;
    Ok(ServerFirst {
        nonce: nonce.to_owned(),
        salt,
        iterations,
    })
}

/// A parsed client-final-message.
pub(crate) struct ClientFinal<'a> {
    pub(crate) channel_binding: Vec<u8>,
    pub(crate) nonce: &'a str,
    /// client-final-message-without-proof.
    pub(crate) without_proof: &'a str,
    pub(crate) proof: Vec<u8>,
}

pub(crate) fn parse_client_final(
    mech: Mechanism,
    msg: &[u8],
) -> Result<ClientFinal<'_>, SaslError> {
    let s = std::str::from_utf8(msg).map_err(|_| malformed(mech, "not valid UTF-8"))?;
    let (without_proof, proof) = s
        .rsplit_once(",p=")
        .ok_or_else(|| malformed(mech, "missing proof"))?;
    let attrs = attributes(mech, without_proof)?;
    let (cb, nonce) = match attrs.as_slice() {
        [(b'c', cb), (b'r', nonce), ..] => (*cb, *nonce),
        _ => return Err(malformed(mech, "expected c=,r=")),
    };
    Ok(ClientFinal {
        channel_binding: B64
            .decode(cb)
            .map_err(|_| malformed(mech, "invalid channel-binding base64"))?,
        nonce,
        without_proof,
        proof: B64
            .decode(proof)
            .map_err(|_| malformed(mech, "invalid proof base64"))?,
    })
}

/// A parsed server-final-message.
pub(crate) enum ServerFinal {
    Verifier(Vec<u8>),
    Error(String),
}

pub(crate) fn parse_server_final(mech: Mechanism, msg: &[u8]) -> Result<ServerFinal, SaslError> {
    let s = std::str::from_utf8(msg).map_err(|_| malformed(mech, "not valid UTF-8"))?;
    match attributes(mech, s)?.first() {
        Some((b'v', v)) => Ok(ServerFinal::Verifier(
            B64.decode(v)
                .map_err(|_| malformed(mech, "invalid verifier base64"))?,
        )),
        Some((b'e', e)) => Ok(ServerFinal::Error((*e).to_owned())),
        _ => Err(malformed(mech, "expected v= or e=")),
    }
}

/// Byte-wise XOR of equal-length slices.
pub(crate) fn xor(a: &[u8], b: &[u8]) -> Vec<u8> {
    a.iter().zip(b).map(|(x, y)| x ^ y).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: Mechanism = Mechanism::ScramSha256;

    #[test]
    fn saslnames() {
        assert_eq!(decode_saslname(M, "a=2Cb=3Dc").unwrap(), "a,b=c");
        assert_eq!(encode_saslname("a,b=c"), "a=2Cb=3Dc");
        assert!(decode_saslname(M, "a=2").is_err());
        assert!(decode_saslname(M, "a=41").is_err());
        assert!(decode_saslname(M, "").is_err());
    }

    #[test]
    fn client_first_variants() {
        let m = parse_client_first(M, b"n,,n=user,r=abc").unwrap();
        assert_eq!(
            (m.cb, m.authzid, m.gs2_header.as_str()),
            (CbFlag::No, None, "n,,")
        );
        assert_eq!(
            (m.username.as_str(), m.nonce.as_str(), m.bare.as_str()),
            ("user", "abc", "n=user,r=abc")
        );
        let m = parse_client_first(M, b"p=tls-exporter,a=ad=2Cmin,n=user,r=abc,x=ext").unwrap();
        assert_eq!(m.cb, CbFlag::Plus("tls-exporter".into()));
        assert_eq!(m.authzid.as_deref(), Some("ad,min"));
        assert_eq!(m.gs2_header, "p=tls-exporter,a=ad=2Cmin,");
        for bad in [
            &b""[..],
            b"n",
            b"n,,",
            b"x,,n=user,r=abc",
            b"p=,,n=user,r=abc",
            b"n,b=x,n=user,r=abc",
            b"n,,m=ext,n=user,r=abc",
            b"n,,r=abc,n=user",
            b"n,,n=user,r=a,b",
            b"n,,n=user,r=",
            b"n,,n=us=er,r=abc",
            b"n,,n=user,r=ab\xffc",
        ] {
            assert!(parse_client_first(M, bad).is_err(), "{bad:?}");
        }
    }
}
