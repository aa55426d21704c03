//! The queue's router: one [`Transport`] that sends each destination domain the right
//! way. Domains we serve go to local delivery (the same Maildir path as inbound mail:
//! this is how DSNs reach local senders and how a message queued for a local alias is
//! stored); every other domain goes out over SMTP.

use crate::delivery::BoxFuture;
use crate::directory::{Directory, DirectoryError};
use crate::outbound::{OutboundMessage, Outcome, Progress, Status, Transport};

/// Tells whether a domain is one of ours.
pub(crate) trait LocalDomains: Send + Sync + 'static {
    /// `Ok(true)` for a domain we receive mail for.
    fn is_local<'a>(&'a self, domain: &'a str) -> BoxFuture<'a, Result<bool, DirectoryError>>;
}

impl LocalDomains for Directory {
    fn is_local<'a>(&'a self, domain: &'a str) -> BoxFuture<'a, Result<bool, DirectoryError>> {
        Box::pin(self.is_local_domain(domain))
    }
}

/// Sends local domains to `local` and the rest to `remote`.
pub(crate) struct Router<D, L, R> {
    domains: D,
    local: L,
    remote: R,
}

impl<D: LocalDomains, L: Transport, R: Transport> Router<D, L, R> {
    /// A router that asks `domains` which transport a domain takes.
    pub(crate) fn new(domains: D, local: L, remote: R) -> Self {
        Self {
            domains,
            local,
            remote,
        }
    }
}

impl<D: LocalDomains, L: Transport, R: Transport> Transport for Router<D, L, R> {
    fn deliver<'a>(
        &'a self,
        domain: &'a str,
        messages: &'a [OutboundMessage<'a>],
        progress: Progress,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            match self.domains.is_local(domain).await {
                Ok(true) => self.local.deliver(domain, messages, progress).await,
                Ok(false) => self.remote.deliver(domain, messages, progress).await,
                Err(e) => {
                    tracing::warn!("routing {domain}: directory lookup failed: {e}");
                    let outcome = Outcome {
                        status: Status::Deferred,
                        code: "4.3.0".to_owned(),
                        remote: None,
                        diagnostic: format!("directory lookup failed for {domain}"),
                    };
                    for (index, m) in messages.iter().enumerate() {
                        progress.settle(index, vec![outcome.clone(); m.recipients.len()]);
                    }
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::outbound::{OutboundRecipient, deliver_all};

    /// Our domains: `example.org`; `broken.test` makes the directory fail.
    struct Domains;

    impl LocalDomains for Domains {
        fn is_local<'a>(&'a self, domain: &'a str) -> BoxFuture<'a, Result<bool, DirectoryError>> {
            Box::pin(async move {
                match domain {
                    "broken.test" => Err(DirectoryError::NoSuchDomain(domain.to_owned())),
                    _ => Ok(domain == "example.org"),
                }
            })
        }
    }

    /// A transport that records the domains it is asked for and answers with `status`.
    #[derive(Clone)]
    struct Recording {
        status: Status,
        asked: Arc<Mutex<Vec<String>>>,
    }

    impl Recording {
        fn new(status: Status) -> Self {
            Self {
                status,
                asked: Arc::default(),
            }
        }

        fn asked(&self) -> Vec<String> {
            self.asked.lock().unwrap().clone()
        }
    }

    impl Transport for Recording {
        fn deliver<'a>(
            &'a self,
            domain: &'a str,
            messages: &'a [OutboundMessage<'a>],
            progress: Progress,
        ) -> BoxFuture<'a, ()> {
            self.asked.lock().unwrap().push(domain.to_owned());
            let outcome = Outcome {
                status: self.status,
                code: "2.0.0".to_owned(),
                remote: None,
                diagnostic: String::new(),
            };
            for (index, m) in messages.iter().enumerate() {
                progress.settle(index, vec![outcome.clone(); m.recipients.len()]);
            }
            Box::pin(async {})
        }
    }

    fn route(router: &Router<Domains, Recording, Recording>, domain: &str) -> Vec<Vec<Outcome>> {
        let recipients = [OutboundRecipient {
            address: format!("someone@{domain}"),
            notify: None,
            orcpt: None,
        }];
        let message = OutboundMessage {
            id: "Q1",
            sender: "alice@example.org",
            recipients: &recipients,
            envid: None,
            ret: None,
            body: Path::new("/nonexistent"),
            size: 10,
            eight_bit: false,
            smtputf8: false,
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(deliver_all(router, domain, std::slice::from_ref(&message)))
    }

    #[test]
    fn local_domains_are_stored_and_others_go_out() {
        let local = Recording::new(Status::Delivered);
        let remote = Recording::new(Status::Failed);
        let router = Router::new(Domains, local.clone(), remote.clone());

        assert_eq!(
            route(&router, "example.org")[0][0].status,
            Status::Delivered
        );
        assert_eq!(
            route(&router, "elsewhere.test")[0][0].status,
            Status::Failed
        );
        assert_eq!(local.asked(), ["example.org"]);
        assert_eq!(remote.asked(), ["elsewhere.test"]);
    }

    #[test]
    fn a_directory_failure_defers_every_recipient() {
        let local = Recording::new(Status::Delivered);
        let remote = Recording::new(Status::Delivered);
        let router = Router::new(Domains, local.clone(), remote.clone());

        let outcomes = route(&router, "broken.test");
        assert_eq!(outcomes[0][0].status, Status::Deferred);
        assert_eq!(outcomes[0][0].code, "4.3.0");
        assert!(local.asked().is_empty() && remote.asked().is_empty());
    }
}
