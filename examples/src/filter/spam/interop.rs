//! The spam check against Debian's rspamd (`apt-get install rspamd`), started by the
//! test on 127.0.0.1 with a throwaway configuration (the approach of milter-proto's
//! interop test): a proxy worker in milter mode that scans by itself, a normal worker
//! for HTTP, a controller; no redis, modules that would ask the network disabled, DNS
//! pointed at a closed local port. rspamd is stopped at the end.

use std::net::SocketAddr;

use testkit::rspamd::Rspamd;

use super::*;
use crate::filter::testing::{Logs, envelope, spool};

const GTUBE: &str = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";

fn message(body: &str) -> Vec<u8> {
    format!(
        "From: Sender <sender@origin.test>\r\n\
         To: rcpt@dest.test\r\n\
         Subject: lunch\r\n\
         Date: Thu, 26 Nov 2026 10:00:00 +0000\r\n\
         Message-ID: <{}.interop@origin.test>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=us-ascii\r\n\
         \r\n\
         {body}\r\n",
        body.len()
    )
    .into_bytes()
}

fn config(backend: SpamBackend, addr: SocketAddr) -> SpamConfig {
    SpamConfig {
        enabled: true,
        backend,
        address: Some(addr.to_string()),
        timeout: Duration::from_secs(60),
        ..SpamConfig::default()
    }
}

#[tokio::test]
#[ignore = "interop: rspamd"]
async fn rspamd_rejects_gtube_accepts_ham_and_its_absence_follows_the_policy() {
    let rspamd = Rspamd::start();
    let dir = tempfile::tempdir().unwrap();
    let gtube = spool(dir.path(), &message(&format!("Hello,\r\n\r\n{GTUBE}\r\n"))).await;
    let ham = spool(
        dir.path(),
        &message("Shall we meet at noon at the usual place?\r\nAlice"),
    )
    .await;
    let env = envelope(&["rcpt@dest.test"]);

    for (backend, addr) in [
        (SpamBackend::Milter, rspamd.milter),
        (SpamBackend::Http, rspamd.normal),
    ] {
        let check = SpamCheck::new(config(backend, addr), "mx.dest.test");
        let decision = check.check(&env, &gtube).await;
        let SpamDecision::Reject(reply) = &decision else {
            panic!(
                "{backend:?}: GTUBE not rejected: {decision:?}\n{}",
                rspamd.log_tail()
            );
        };
        assert_eq!(reply.code, 554, "{backend:?}");
        assert_eq!(reply.enhanced, Some(EnhancedCode::new(5, 7, 1)));
        assert!(reply.text().contains("Gtube"), "{backend:?}: {reply:?}");

        let decision = check.check(&env, &ham).await;
        let SpamDecision::Accept(accepted) = &decision else {
            panic!(
                "{backend:?}: ham refused: {decision:?}\n{}",
                rspamd.log_tail()
            );
        };
        assert!(accepted.checked, "{backend:?}");
        if backend == SpamBackend::Http {
            // Without DNS (SPF, DKIM, rDNS all fail) ham may still reach "add header".
            let score = accepted.score.expect("a score over HTTP");
            assert!(score < 15.0, "{score}");
            let header = accepted.changes.value_of("X-Spam-Score");
            assert_eq!(header, Some(format!("{score:.2}")));
        }
    }

    let stopped = [
        (SpamBackend::Milter, rspamd.milter),
        (SpamBackend::Http, rspamd.normal),
    ];
    drop(rspamd);
    for (backend, addr) in stopped {
        let logs = Logs::capture();
        let open = SpamCheck::new(config(backend, addr), "mx.dest.test");
        let decision = open.check(&env, &ham).await;
        assert_eq!(decision, SpamDecision::Accept(Accepted::unchecked()));
        assert!(
            logs.text()
                .contains("accepting the message unchecked (fail_open)"),
            "{}",
            logs.text()
        );
        let closed = SpamCheck::new(
            SpamConfig {
                fail_open: false,
                ..config(backend, addr)
            },
            "mx.dest.test",
        );
        let decision = closed.check(&env, &gtube).await;
        assert_eq!(decision.reply().map(|r| r.code), Some(451), "{backend:?}");
    }
}
