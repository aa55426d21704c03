//! One ManageSieve connection: answers the machine's events with the shared
//! authenticator and the user's [`ScriptStore`].

use std::sync::Arc;

use bytes::Bytes;
use tracing::{info, warn};

use super::Shared;
use super::proto::{Event, ResponseCode, ScriptName, Server, Status};
use super::store::{ScriptInfo, ScriptStore, StoreError};
use crate::listen::{Flow, Peer, Session};
use crate::logging::sanitize;
use crate::login::{SaslExchange, SaslOutcome};

fn auth_failed() -> Status {
    Status::new("Authentication failed.")
}

fn try_later(text: &str) -> Status {
    Status::with_code(ResponseCode::TryLater, text)
}

/// One ManageSieve connection.
pub(crate) struct ManagesieveSession {
    shared: Arc<Shared>,
    peer: Peer,
    /// The SASL exchange in progress.
    sasl: Option<SaslExchange>,
    /// The logged-in user's directory address and scripts.
    user: Option<(String, ScriptStore)>,
}

impl ManagesieveSession {
    pub(crate) fn new(shared: Arc<Shared>, peer: Peer) -> Self {
        Self {
            shared,
            peer,
            sasl: None,
            user: None,
        }
    }

    async fn on_authenticate(
        &mut self,
        machine: &mut Server,
        mechanism: &str,
        initial: Option<&[u8]>,
    ) {
        let Some(mut exchange) = SaslExchange::new(mechanism, &self.shared.hostname, &self.peer)
        else {
            let _ = machine.auth_failure(&Status::new("Unsupported authentication mechanism."));
            return;
        };
        let outcome = exchange.start(&self.shared.auth, initial).await;
        self.sasl_outcome(machine, exchange, outcome).await;
    }

    async fn on_auth_response(&mut self, machine: &mut Server, response: &[u8]) {
        let Some(mut exchange) = self.sasl.take() else {
            let _ = machine.auth_failure(&auth_failed());
            return;
        };
        let outcome = exchange.respond(&self.shared.auth, response).await;
        self.sasl_outcome(machine, exchange, outcome).await;
    }

    async fn sasl_outcome(
        &mut self,
        machine: &mut Server,
        exchange: SaslExchange,
        outcome: SaslOutcome,
    ) {
        match outcome {
            SaslOutcome::Challenge(data) => {
                self.sasl = Some(exchange);
                let _ = machine.auth_challenge(&data);
            }
            SaslOutcome::Success(email) => self.logged_in(machine, email),
            SaslOutcome::Failure { user } => {
                self.shared.auth.failed(user.as_deref(), &self.peer).await;
                let _ = machine.auth_failure(&auth_failed());
            }
            SaslOutcome::Unavailable => {
                let _ = machine.auth_failure(&try_later(
                    "Temporary authentication failure, try again later.",
                ));
            }
        }
    }

    /// Opens the scripts of `email` (in the home holding its Maildir).
    fn logged_in(&mut self, machine: &mut Server, email: String) {
        let home = self
            .shared
            .directory
            .maildir_path(&email)
            .map(|maildir| maildir.parent().map(ToOwned::to_owned));
        let home = match home {
            Ok(Some(home)) => home,
            Ok(None) => {
                warn!("managesieve: no home directory for <{}>", sanitize(&email));
                let _ = machine.auth_failure(&try_later("Cannot open your scripts."));
                return;
            }
            Err(e) => {
                warn!(
                    "managesieve: no home directory for <{}>: {e}",
                    sanitize(&email)
                );
                let _ = machine.auth_failure(&try_later("Cannot open your scripts."));
                return;
            }
        };
        info!(
            "login: session={} user=<{}> method=AUTHENTICATE",
            self.peer.id,
            sanitize(&email)
        );
        let store = ScriptStore::new(home, self.shared.quota);
        self.user = Some((email.clone(), store));
        let _ = machine.auth_success(email);
    }

    /// Runs `op` on the user's store on the blocking pool, under the user's lock.
    async fn with_store<T: Send + 'static>(
        &self,
        op: impl FnOnce(&ScriptStore) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, Status> {
        let Some((_, store)) = &self.user else {
            return Err(Status::new("Authenticate first."));
        };
        let store = store.clone();
        let shared = Arc::clone(&self.shared);
        let result = tokio::task::spawn_blocking(move || {
            let _guard = shared.locks.lock(store.home());
            op(&store)
        })
        .await;
        match result {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(self.store_failure(&e)),
            Err(e) => {
                warn!(
                    "managesieve: session={} store task failed: {e}",
                    self.peer.id
                );
                Err(try_later("Temporary failure, try again later."))
            }
        }
    }

    /// The `NO` for a failed store operation (and a log line for system errors).
    fn store_failure(&self, error: &StoreError) -> Status {
        let text = capitalized(&error.to_string());
        match error {
            StoreError::NonExistent(_) => Status::with_code(ResponseCode::NonExistent, text),
            StoreError::AlreadyExists(_) => Status::with_code(ResponseCode::AlreadyExists, text),
            StoreError::Active(_) => Status::with_code(ResponseCode::Active, text),
            StoreError::TooManyScripts { .. } => {
                Status::with_code(ResponseCode::QuotaMaxScripts, text)
            }
            StoreError::TooLarge { .. } => Status::with_code(ResponseCode::QuotaMaxSize, text),
            StoreError::StorageFull { .. } => Status::with_code(ResponseCode::Quota, text),
            _ => {
                warn!("managesieve: session={} {error}", self.peer.id);
                try_later("Temporary failure, try again later.")
            }
        }
    }

    /// Logs a change to the user's scripts.
    fn log_change(&self, what: &str, detail: &str) {
        let user = self.user.as_ref().map_or("", |(email, _)| email.as_str());
        info!(
            "managesieve: session={} user=<{}> {what} {}",
            self.peer.id,
            sanitize(user),
            sanitize(detail)
        );
    }

    async fn on_list(&mut self, machine: &mut Server) {
        match self.with_store(|store| store.list()).await {
            Ok(scripts) => {
                let listing: Vec<(ScriptName, bool)> = scripts
                    .into_iter()
                    .map(|ScriptInfo { name, active, .. }| (name, active))
                    .collect();
                let _ = machine.scripts_listed(&listing);
            }
            Err(status) => {
                let _ = machine.command_failed(&status);
            }
        }
    }

    async fn on_get(&mut self, machine: &mut Server, name: ScriptName) {
        match self.with_store(move |store| store.read(&name)).await {
            Ok(content) => {
                let _ = machine.script_content(&content);
            }
            Err(status) => {
                let _ = machine.command_failed(&status);
            }
        }
    }

    async fn on_put(&mut self, machine: &mut Server, name: ScriptName, content: Bytes) {
        let size = content.len() as u64;
        let space = {
            let name = name.clone();
            self.with_store(move |store| store.check_space(&name, size))
                .await
        };
        if let Err(status) = space {
            let _ = machine.command_failed(&status);
            return;
        }
        let (content, checked) = self.validate(content).await;
        if let Err(status) = checked {
            let _ = machine.command_failed(&status);
            return;
        }
        let stored_name = name.clone();
        match self
            .with_store(move |store| store.put(&stored_name, &content))
            .await
        {
            Ok(()) => {
                self.log_change("putscript", &format!("{name} ({size} octets)"));
                let _ = machine.command_ok(&Status::new("Putscript completed."));
            }
            Err(status) => {
                let _ = machine.command_failed(&status);
            }
        }
    }

    async fn on_check(&mut self, machine: &mut Server, content: Bytes) {
        let size = content.len() as u64;
        let limit = self.shared.quota.max_script_size;
        if size > limit {
            let text = format!("Script too large ({size} octets, at most {limit}).");
            let _ = machine.command_failed(&Status::with_code(ResponseCode::QuotaMaxSize, text));
            return;
        }
        let _ = match self.validate(content).await.1 {
            Ok(()) => machine.command_ok(&Status::new("Script is valid.")),
            Err(status) => machine.command_failed(&status),
        };
    }

    /// Checks that `content` is a UTF-8 Sieve script that compiles, on the blocking
    /// pool; hands `content` back.
    async fn validate(&self, content: Bytes) -> (Bytes, Result<(), Status>) {
        let config = Arc::clone(&self.shared.sieve);
        let result = tokio::task::spawn_blocking(move || {
            let checked = validate_script(&content, &config);
            (content, checked)
        })
        .await;
        match result {
            Ok((content, checked)) => (content, checked.map_err(Status::new)),
            Err(e) => {
                warn!(
                    "managesieve: session={} compiling failed: {e}",
                    self.peer.id
                );
                (
                    Bytes::new(),
                    Err(try_later("Temporary failure, try again later.")),
                )
            }
        }
    }

    async fn on_set_active(&mut self, machine: &mut Server, name: Option<ScriptName>) {
        let target = name.clone();
        match self
            .with_store(move |store| store.set_active(target.as_ref()))
            .await
        {
            Ok(()) => {
                let detail = name
                    .as_ref()
                    .map_or("(none)", ScriptName::as_str)
                    .to_owned();
                self.log_change("setactive", &detail);
                let _ = machine.command_ok(&Status::new("Setactive completed."));
            }
            Err(status) => {
                let _ = machine.command_failed(&status);
            }
        }
    }

    async fn on_delete(&mut self, machine: &mut Server, name: ScriptName) {
        let target = name.clone();
        match self.with_store(move |store| store.delete(&target)).await {
            Ok(()) => {
                self.log_change("deletescript", name.as_str());
                let _ = machine.command_ok(&Status::new("Deletescript completed."));
            }
            Err(status) => {
                let _ = machine.command_failed(&status);
            }
        }
    }

    async fn on_rename(&mut self, machine: &mut Server, from: ScriptName, to: ScriptName) {
        let detail = format!("{from} -> {to}");
        match self.with_store(move |store| store.rename(&from, &to)).await {
            Ok(()) => {
                self.log_change("renamescript", &detail);
                let _ = machine.command_ok(&Status::new("Renamescript completed."));
            }
            Err(status) => {
                let _ = machine.command_failed(&status);
            }
        }
    }

    async fn on_have_space(&mut self, machine: &mut Server, name: ScriptName, size: u64) {
        match self
            .with_store(move |store| store.check_space(&name, size))
            .await
        {
            Ok(()) => {
                let _ = machine.command_ok(&Status::new("Putscript would succeed."));
            }
            Err(status) => {
                let _ = machine.command_failed(&status);
            }
        }
    }
}

/// Checks that `content` is UTF-8 and compiles with `config`; the error text names the
/// line and column.
pub(crate) fn validate_script(content: &[u8], config: &sieve::Config) -> Result<(), String> {
    if let Err(e) = std::str::from_utf8(content) {
        let valid = &content[..e.valid_up_to()];
        let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = valid.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
        let column = String::from_utf8_lossy(&valid[line_start..])
            .chars()
            .count()
            + 1;
        return Err(format!(
            "line {line}, column {column}: the script is not valid UTF-8"
        ));
    }
    sieve::Script::compile_with(content, config)
        .map(drop)
        .map_err(|e| e.to_string())
}

/// `text` with an upper-case first letter and a final period.
fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}

impl Session<Server> for ManagesieveSession {
    async fn on_event(&mut self, machine: &mut Server, event: Event) -> Flow {
        match event {
            Event::Authenticate { mechanism, initial } => {
                let initial = initial.as_ref().map(|d| d.expose());
                self.on_authenticate(machine, &mechanism, initial).await;
            }
            Event::AuthResponse(data) => self.on_auth_response(machine, data.expose()).await,
            Event::AuthCancelled => self.sasl = None,
            Event::Unauthenticated => {
                if let Some((email, _)) = self.user.take() {
                    info!(
                        "logout: session={} user=<{}> method=UNAUTHENTICATE",
                        self.peer.id,
                        sanitize(&email)
                    );
                }
            }
            Event::ListScripts => self.on_list(machine).await,
            Event::GetScript { name } => self.on_get(machine, name).await,
            Event::PutScript { name, content } => self.on_put(machine, name, content).await,
            Event::CheckScript { content } => self.on_check(machine, content).await,
            Event::SetActive { name } => self.on_set_active(machine, name).await,
            Event::DeleteScript { name } => self.on_delete(machine, name).await,
            Event::RenameScript { from, to } => self.on_rename(machine, from, to).await,
            Event::HaveSpace { name, size } => self.on_have_space(machine, name, size).await,
            // StartTls and Closed are handled by the driver.
            _ => {}
        }
        Flow::Done
    }
}
