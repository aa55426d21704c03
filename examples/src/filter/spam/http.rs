//! The HTTP backend: one `POST /checkv2` per message to rspamd's normal worker, the
//! envelope in request headers and the message streamed from the spool as the body.

use bytes::BytesMut;
use milter_proto::rspamd::{CheckReply, CheckRequest, ReadStatus, ResponseReader, check_reply};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::SpamError;
use crate::delivery::{Envelope, Spooled};
use crate::filter::message::Chunks;

/// Largest rspamd answer read (its JSON is a few KiB; symbols can make it longer).
const MAX_RESPONSE: usize = 1 << 20;

/// Asks rspamd at `address` about the message; the caller bounds the time.
pub(super) async fn check(
    address: &str,
    hostname: &str,
    envelope: &Envelope,
    body: &Spooled,
) -> Result<CheckReply, SpamError> {
    let mut request = CheckRequest::new();
    request.from = Some(envelope.sender.clone().unwrap_or_default());
    request.recipients = envelope.recipients.clone();
    request.ip = envelope.client_ip;
    request.helo = envelope.helo.clone();
    request.user = envelope.authenticated.clone();
    request.queue_id = Some(envelope.id.clone());
    request.mta_name = Some(hostname.to_owned());
    let length = usize::try_from(body.len())
        .map_err(|_| SpamError::Protocol("message too large for this platform".into()))?;
    let mut head = BytesMut::new();
    request.encode_head(address, length, &mut head)?;

    let mut stream = TcpStream::connect(address)
        .await
        .map_err(SpamError::Connect)?;
    stream.write_all(&head).await.map_err(SpamError::Io)?;
    let mut chunks = Chunks::new(body);
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(SpamError::Spool)?;
        stream.write_all(&chunk).await.map_err(SpamError::Io)?;
    }
    stream.flush().await.map_err(SpamError::Io)?;

    let mut reader = ResponseReader::new(MAX_RESPONSE);
    let mut buffer = vec![0u8; 16 * 1024];
    let response = loop {
        let n = stream.read(&mut buffer).await.map_err(SpamError::Io)?;
        if n == 0 {
            break reader.handle_eof()?;
        }
        if let ReadStatus::Complete(response) = reader.handle_input(&buffer[..n])? {
            break response;
        }
    };
    Ok(check_reply(&response)?)
}
