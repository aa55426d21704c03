//! COMPRESS (RFC 4978): the command and the switch to a compressed stream. The deflate
//! layer itself belongs to the application; see the module docs of [`super`].

use bytes::Bytes;

use super::{DecisionError, Event, Pending, Server, Status};
use crate::types::{Code, StatusKind, Tag};

impl Server {
    /// `COMPRESS DEFLATE` in the authenticated or selected state, offered in
    /// [`Config::extensions`](super::Config::extensions).
    pub(super) fn compress(&mut self, tag: Tag<'static>) {
        if self.compressed {
            // RFC 4978 lets a server refuse a second COMPRESS with BAD; NO with the
            // COMPRESSIONACTIVE code tells the client why, as Dovecot does.
            let status = Status::no("DEFLATE is already active").with_code(Code::CompressionActive);
            return self.send_tagged(&tag, &status);
        }
        self.pending = Some(Pending::Compress { tag: tag.clone() });
        self.push_event(Event::Compress { tag });
    }

    /// Accepts [`Event::Compress`]: `tag OK` is sent and flushed as the last uncompressed
    /// bytes, then [`Event::StartCompression`] hands over the client bytes received after
    /// the COMPRESS line. From then on the application deflates every transmit and
    /// inflates what it passes to [`Server::handle_input`].
    pub fn accept_compression(&mut self) -> Result<(), DecisionError> {
        let Pending::Compress { tag } =
            self.take_pending(|p| matches!(p, Pending::Compress { .. }))?
        else {
            return Ok(());
        };
        self.send_tagged(&tag, &Status::ok("DEFLATE active"));
        self.flush();
        self.compressed = true;
        // Everything after the COMPRESS line belongs to the compressed stream (RFC 4978
        // section 3: the client compresses from the first command after COMPRESS).
        let pending: Bytes = self.input.split().freeze();
        self.literal_acked = 0;
        self.push_event(Event::StartCompression { pending });
        Ok(())
    }

    /// Refuses [`Event::Compress`] with `status` (NO or BAD; OK is sent as NO), e.g.
    /// `NO [COMPRESSIONACTIVE]` when TLS already compresses. The session goes on
    /// uncompressed.
    pub fn reject_compression(&mut self, status: Status) -> Result<(), DecisionError> {
        let Pending::Compress { tag } =
            self.take_pending(|p| matches!(p, Pending::Compress { .. }))?
        else {
            return Ok(());
        };
        let status = if status.kind() == StatusKind::Ok {
            Status::no("Compression refused")
        } else {
            status
        };
        self.send_tagged(&tag, &status);
        Ok(())
    }

    /// Whether COMPRESS was accepted: input and output pass through the application's
    /// deflate layer.
    pub fn is_compressed(&self) -> bool {
        self.compressed
    }
}
