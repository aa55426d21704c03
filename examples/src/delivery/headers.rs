//! The trace headers prepended to a delivered message: `Return-Path`, `Delivered-To`
//! and `Received` (RFC 5321 section 4.4, protocol names of RFC 3848).

use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use super::Envelope;

/// The headers for one delivery of `envelope` to `target` (an address of ours), CRLF
/// line endings, ready to be written before the message.
pub(crate) fn trace_headers(envelope: &Envelope, hostname: &str, target: &str) -> Vec<u8> {
    let mut h = delivery_headers(envelope, target);
    h.extend_from_slice(received(envelope, hostname).as_bytes());
    h
}

/// `Return-Path` and `Delivered-To` alone, for a copy from the outbound queue (which
/// carries our `Received` already).
pub(crate) fn delivery_headers(envelope: &Envelope, target: &str) -> Vec<u8> {
    let sender = envelope.sender.as_deref().unwrap_or("");
    format!("Return-Path: <{sender}>\r\nDelivered-To: {target}\r\n").into_bytes()
}

/// The `Received` header alone, for a copy that leaves through the outbound queue (the
/// final hop adds `Return-Path` and `Delivered-To`).
pub(crate) fn received_header(envelope: &Envelope, hostname: &str) -> Vec<u8> {
    received(envelope, hostname).into_bytes()
}

/// The `Received` header (folded, CRLF-terminated). After AUTH it names the login, as
/// Postfix does with `smtpd_sasl_authenticated_header`: the sender's own server vouches
/// for who sent the message, which helps abuse handling (never anything of the
/// credentials but the login name).
fn received(envelope: &Envelope, hostname: &str) -> String {
    let mut h = String::from("Received: from ");
    h.push_str(envelope.helo.as_deref().unwrap_or("unknown"));
    match envelope.client_ip {
        Some(ip) if ip.is_ipv6() => {
            let _ = write!(h, " ([IPv6:{ip}])");
        }
        Some(ip) => {
            let _ = write!(h, " ([{ip}])");
        }
        None => h.push_str(" (unix socket)"),
    }
    if let Some(tls) = &envelope.tls {
        let _ = write!(h, "\r\n\t(using {tls})");
    }
    if let Some(login) = &envelope.authenticated {
        let _ = write!(h, "\r\n\t(Authenticated sender: {login})");
    }
    let _ = write!(
        h,
        "\r\n\tby {hostname} (Postroom) with {} id {}",
        envelope.protocol, envelope.id
    );
    if let [only] = envelope.recipients.as_slice() {
        let _ = write!(h, "\r\n\tfor <{only}>");
    }
    let _ = write!(h, ";\r\n\t{}\r\n", rfc5322_date(SystemTime::now()));
    h
}

/// `Thu, 13 Feb 2025 09:05:00 +0000` (RFC 5322 section 3.3), in UTC: the one date
/// writer of trace headers, DSNs, vacation replies and queue listings.
pub(crate) fn rfc5322_date(time: SystemTime) -> String {
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    mail_parser::DateTime::from_timestamp(i64::try_from(secs).unwrap_or(i64::MAX)).to_rfc822()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn dates_match_known_instants() {
        assert_eq!(rfc5322_date(at(0)), "Thu, 1 Jan 1970 00:00:00 +0000");
        // `date -u -d @951782400`: the leap day of a year divisible by 400.
        assert_eq!(
            rfc5322_date(at(951_782_400)),
            "Tue, 29 Feb 2000 00:00:00 +0000"
        );
        assert_eq!(
            rfc5322_date(at(1_739_437_500)),
            "Thu, 13 Feb 2025 09:05:00 +0000"
        );
        assert_eq!(
            rfc5322_date(at(4_102_444_799)),
            "Thu, 31 Dec 2099 23:59:59 +0000"
        );
    }

    fn envelope() -> Envelope {
        Envelope {
            id: "S7".into(),
            helo: Some("client.example".into()),
            client_ip: Some("192.0.2.7".parse().unwrap()),
            protocol: "ESMTPS",
            tls: Some("TLSv1.3 with cipher TLS13_AES_128_GCM_SHA256".into()),
            sender: Some("a@example.com".into()),
            recipients: vec!["pat@example.test".into()],
            authenticated: None,
        }
    }

    #[test]
    fn trace_headers_name_client_server_and_recipient() {
        let text = String::from_utf8(trace_headers(
            &envelope(),
            "mx.example.test",
            "pat@example.test",
        ))
        .unwrap();
        assert!(
            text.starts_with(
                "Return-Path: <a@example.com>\r\nDelivered-To: pat@example.test\r\n\
             Received: from client.example ([192.0.2.7])\r\n\t(using TLSv1.3 with cipher \
             TLS13_AES_128_GCM_SHA256)\r\n\tby mx.example.test (Postroom) with ESMTPS id S7\r\n\
             \tfor <pat@example.test>;\r\n\t"
            ),
            "{text}"
        );
        assert!(text.ends_with(" +0000\r\n"));
        assert!(text.lines().all(|l| l.len() < 200));
    }

    #[test]
    fn bounce_sender_unix_socket_and_several_recipients() {
        let mut e = envelope();
        e.sender = None;
        e.client_ip = None;
        e.tls = None;
        e.protocol = "LMTP";
        e.recipients.push("sam@example.test".into());
        let text =
            String::from_utf8(trace_headers(&e, "mx.example.test", "sam@example.test")).unwrap();
        assert!(text.starts_with("Return-Path: <>\r\n"));
        assert!(text.contains("from client.example (unix socket)\r\n\tby mx.example.test (Postroom) with LMTP id S7;"), "{text}");
        assert!(!text.contains("for <"));
    }

    #[test]
    fn submission_names_the_login_and_the_queued_copy_has_only_received() {
        let mut e = envelope();
        e.protocol = "ESMTPSA";
        e.authenticated = Some("pat@example.test".into());
        let text = String::from_utf8(received_header(&e, "mx.example.test")).unwrap();
        assert!(text.starts_with("Received: from client.example ([192.0.2.7])\r\n"));
        assert!(
            text.contains(
                "TLS13_AES_128_GCM_SHA256)\r\n\t(Authenticated sender: pat@example.test)\r\n\
                 \tby mx.example.test (Postroom) with ESMTPSA id S7\r\n"
            ),
            "{text}"
        );
        assert!(!text.contains("Return-Path") && !text.contains("Delivered-To"));
        assert_eq!(text.matches("\r\n").count(), 6, "{text}");
    }
}
