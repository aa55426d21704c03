//! Test helpers of the filter stage: spooled messages, envelopes, captured logs.

use std::io;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use tracing::subscriber::DefaultGuard;

use crate::delivery::{Envelope, SpoolWriter, Spooled};

/// `text` in a spool file in `dir`.
pub(crate) async fn spool(dir: &Path, text: &[u8]) -> Spooled {
    let mut writer = SpoolWriter::create(dir);
    writer.write(text).await.unwrap();
    writer.finish().await.unwrap()
}

/// The envelope of a message from `sender@origin.test` at 192.0.2.7 to `recipients`.
pub(crate) fn envelope(recipients: &[&str]) -> Envelope {
    Envelope {
        id: "S42".into(),
        helo: Some("client.origin.test".into()),
        client_ip: Some("192.0.2.7".parse().unwrap()),
        protocol: "ESMTP",
        tls: None,
        sender: Some("sender@origin.test".into()),
        recipients: recipients.iter().map(|r| (*r).to_owned()).collect(),
        authenticated: None,
    }
}

/// Log lines written while the guard lives (on this thread: current-thread tests).
pub(crate) struct Logs {
    buffer: Arc<Mutex<Vec<u8>>>,
    _guard: DefaultGuard,
}

impl Logs {
    /// Starts capturing.
    pub(crate) fn capture() -> Self {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = Arc::clone(&buffer);
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .with_writer(move || LogWriter(Arc::clone(&writer)))
            .finish();
        Self {
            buffer,
            _guard: tracing::subscriber::set_default(subscriber),
        }
    }

    /// Everything logged so far.
    pub(crate) fn text(&self) -> String {
        let bytes = self.buffer.lock().unwrap_or_else(PoisonError::into_inner);
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl io::Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
