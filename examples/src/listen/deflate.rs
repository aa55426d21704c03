//! The raw DEFLATE layer of IMAP COMPRESS=DEFLATE (RFC 4978): a stream wrapper that
//! inflates what it reads and deflates what it writes, over TCP or TLS alike.
//!
//! RFC 4978 asks for raw DEFLATE (RFC 1951, no zlib header or checksum) in both
//! directions, with the sender flushing so that the peer can decode every complete
//! response: each `flush()` ends with a sync flush (an empty stored block). The driver
//! flushes at the end of every batch of transmits, so a reply never waits in the
//! compressor.
//!
//! Memory stays bounded whatever the peer sends: input is read [`CHUNK`] bytes at a time
//! and only when the inflater has no input left, and inflated bytes go straight into the
//! caller's read buffer, so a small compressed "bomb" only ever yields one read buffer
//! at a time, which the protocol machine consumes (or refuses by its own limits) before
//! the next read.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Buf, Bytes};
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Bytes read from the inner stream, and bytes compressed, at a time.
const CHUNK: usize = 16 * 1024;

/// A stream whose both directions are raw DEFLATE.
pub(crate) struct DeflateStream<S> {
    inner: S,
    inflate: Decompress,
    /// Compressed input received before compression started (inflated first).
    pending: Bytes,
    /// Compressed input read from `inner`: `input[start..end]` is not inflated yet.
    input: Box<[u8]>,
    start: usize,
    end: usize,
    /// The peer ended its compressed stream (a final block): no more input.
    ended: bool,
    deflate: Compress,
    /// Compressed output: `output[written..]` is not written to `inner` yet. Its capacity
    /// stays [`CHUNK`]; the compressor never writes beyond it.
    output: Vec<u8>,
    written: usize,
    /// Data was compressed since the last sync flush.
    unflushed: bool,
}

impl<S> DeflateStream<S> {
    /// Wraps `inner`; `pending` holds compressed bytes already read from it.
    pub(crate) fn new(inner: S, pending: Bytes) -> Self {
        Self {
            inner,
            inflate: Decompress::new(false),
            pending,
            input: vec![0; CHUNK].into_boxed_slice(),
            start: 0,
            end: 0,
            ended: false,
            deflate: Compress::new(Compression::default(), false),
            output: Vec::with_capacity(CHUNK),
            written: 0,
            unflushed: false,
        }
    }

    fn has_input(&self) -> bool {
        !self.pending.is_empty() || self.start < self.end
    }

    /// Inflates available input into `buf`; returns (input consumed, output produced).
    fn inflate_into(&mut self, buf: &mut ReadBuf<'_>) -> io::Result<(usize, usize)> {
        let input = if self.pending.is_empty() {
            &self.input[self.start..self.end]
        } else {
            &self.pending[..]
        };
        let (in_before, out_before) = (self.inflate.total_in(), self.inflate.total_out());
        let status = self
            .inflate
            .decompress(input, buf.initialize_unfilled(), FlushDecompress::None)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        let consumed = delta(in_before, self.inflate.total_in());
        let produced = delta(out_before, self.inflate.total_out());
        if self.pending.is_empty() {
            self.start += consumed;
        } else {
            self.pending.advance(consumed);
        }
        buf.advance(produced);
        if status == Status::StreamEnd {
            self.ended = true;
        }
        Ok((consumed, produced))
    }
}

/// The difference of two byte counters of one (de)compressor call: at most a buffer.
fn delta(before: u64, after: u64) -> usize {
    usize::try_from(after.saturating_sub(before)).unwrap_or(usize::MAX)
}

impl<S: AsyncWrite + Unpin> DeflateStream<S> {
    /// Writes all compressed output to `inner`.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.output.len() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.output[self.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        self.output.clear();
        self.written = 0;
        Poll::Ready(Ok(()))
    }

    /// Runs the compressor over `input` into the (drained, empty) output buffer.
    fn compress(&mut self, input: &[u8], flush: FlushCompress) -> io::Result<usize> {
        let before = self.deflate.total_in();
        self.deflate
            .compress_vec(input, &mut self.output, flush)
            .map_err(io::Error::other)?;
        Ok(delta(before, self.deflate.total_in()))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for DeflateStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        loop {
            if this.ended {
                return Poll::Ready(Ok(()));
            }
            let had_input = this.has_input();
            let (consumed, produced) = this.inflate_into(buf)?;
            if produced > 0 || this.ended {
                return Poll::Ready(Ok(()));
            }
            if consumed > 0 {
                continue;
            }
            if had_input {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "inflate made no progress",
                )));
            }
            // Everything received is inflated: read more (never while input is left,
            // so at most one chunk of compressed input is held).
            let mut chunk = ReadBuf::new(&mut this.input);
            ready!(Pin::new(&mut this.inner).poll_read(cx, &mut chunk))?;
            let n = chunk.filled().len();
            (this.start, this.end) = (0, n);
            if n == 0 {
                // The peer closed the connection.
                return Poll::Ready(Ok(()));
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for DeflateStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if data.is_empty() {
            return Poll::Ready(Ok(0));
        }
        loop {
            ready!(this.poll_drain(cx))?;
            let input = &data[..data.len().min(CHUNK)];
            let consumed = this.compress(input, FlushCompress::None)?;
            if consumed > 0 {
                this.unflushed = true;
                return Poll::Ready(Ok(consumed));
            }
            if this.output.is_empty() {
                return Poll::Ready(Err(io::Error::other("deflate made no progress")));
            }
            // The output buffer filled before any input was taken: write it, retry.
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            ready!(this.poll_drain(cx))?;
            if !this.unflushed {
                break;
            }
            let room = this.output.capacity();
            this.compress(&[], FlushCompress::Sync)?;
            // A flush that did not fill the buffer is complete; otherwise the compressor
            // holds more, which the next call (after writing this part) hands out.
            if this.output.len() < room {
                this.unflushed = false;
            }
        }
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.as_mut().poll_flush(cx))?;
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::time::Duration;

    use flate2::write::{DeflateDecoder, DeflateEncoder};
    use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream, duplex};
    use tokio::time::timeout;

    use super::*;

    /// Raw DEFLATE of `data`, sync-flushed, as a peer would send it.
    fn peer_compress(data: &[u8]) -> Vec<u8> {
        let mut encoder = DeflateEncoder::new(Vec::new(), Compression::best());
        encoder.write_all(data).unwrap();
        encoder.flush().unwrap();
        encoder.get_ref().clone()
    }

    /// Reads from `peer` until `inflater` produced `want` bytes.
    async fn peer_read(
        peer: &mut DuplexStream,
        inflater: &mut DeflateDecoder<Vec<u8>>,
        want: usize,
    ) -> Vec<u8> {
        let mut buf = [0; 4096];
        while inflater.get_ref().len() < want {
            let n = timeout(Duration::from_secs(5), peer.read(&mut buf))
                .await
                .expect("compressed data arrives")
                .unwrap();
            assert_ne!(n, 0, "stream closed early");
            inflater.write_all(&buf[..n]).unwrap();
            inflater.flush().unwrap();
        }
        std::mem::take(inflater.get_mut())
    }

    async fn read_exactly(stream: &mut DeflateStream<DuplexStream>, len: usize) -> Vec<u8> {
        let mut out = vec![0; len];
        timeout(Duration::from_secs(5), stream.read_exact(&mut out))
            .await
            .expect("inflated data arrives")
            .unwrap();
        out
    }

    #[tokio::test]
    async fn round_trip_with_a_flate2_peer() {
        let (ours, mut peer) = duplex(64 * 1024);
        let mut stream = DeflateStream::new(ours, Bytes::new());
        let mut inflater = DeflateDecoder::new(Vec::new());

        stream.write_all(b"* OK first reply\r\n").await.unwrap();
        stream.flush().await.unwrap();
        let got = peer_read(&mut peer, &mut inflater, 18).await;
        assert_eq!(got, b"* OK first reply\r\n");

        peer.write_all(&peer_compress(b"a1 NOOP\r\n"))
            .await
            .unwrap();
        assert_eq!(read_exactly(&mut stream, 9).await, b"a1 NOOP\r\n");

        // A large, varied reply crosses several compression chunks.
        let big: Vec<u8> = (0..20_000u32)
            .flat_map(|i| format!("* {i} FETCH (UID {})\r\n", i * 7).into_bytes())
            .collect();
        let writer = async {
            stream.write_all(&big).await.unwrap();
            stream.flush().await.unwrap();
            stream
        };
        let (mut stream, got) =
            tokio::join!(writer, peer_read(&mut peer, &mut inflater, big.len()));
        assert_eq!(got, big);

        // The peer closing ends the inflated stream too.
        drop(peer);
        let mut rest = Vec::new();
        stream.read_to_end(&mut rest).await.unwrap();
        assert!(rest.is_empty());
    }

    #[tokio::test]
    async fn pending_bytes_are_inflated_before_the_stream() {
        let (ours, mut peer) = duplex(1024);
        // The peer's compressor runs across both parts: `pending` and what follows.
        let mut encoder = DeflateEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(b"a3 SELECT INBOX\r\n").unwrap();
        encoder.flush().unwrap();
        let pending = std::mem::take(encoder.get_mut());
        encoder.write_all(b"a4 LOGOUT\r\n").unwrap();
        encoder.flush().unwrap();
        let later = std::mem::take(encoder.get_mut());

        let mut stream = DeflateStream::new(ours, Bytes::from(pending));
        assert_eq!(read_exactly(&mut stream, 17).await, b"a3 SELECT INBOX\r\n");
        peer.write_all(&later).await.unwrap();
        assert_eq!(read_exactly(&mut stream, 11).await, b"a4 LOGOUT\r\n");
    }

    #[tokio::test]
    async fn many_small_writes_then_one_flush() {
        let (ours, mut peer) = duplex(64 * 1024);
        let mut stream = DeflateStream::new(ours, Bytes::new());
        let mut expected = Vec::new();
        for i in 0..5000 {
            let line = format!("* {i} EXISTS\r\n");
            stream.write_all(line.as_bytes()).await.unwrap();
            expected.extend_from_slice(line.as_bytes());
        }
        let writer = async {
            stream.flush().await.unwrap();
            stream
        };
        let mut inflater = DeflateDecoder::new(Vec::new());
        let (mut stream, got) =
            tokio::join!(writer, peer_read(&mut peer, &mut inflater, expected.len()));
        assert_eq!(got, expected);
        // A flush with nothing new writes nothing, and data after it still decodes.
        stream.flush().await.unwrap();
        stream.write_all(b"a9 OK done\r\n").await.unwrap();
        stream.flush().await.unwrap();
        assert_eq!(
            peer_read(&mut peer, &mut inflater, 12).await,
            b"a9 OK done\r\n"
        );
    }

    #[tokio::test]
    async fn a_decompression_bomb_is_read_one_buffer_at_a_time() {
        const SIZE: usize = 8 * 1024 * 1024;
        let bomb = peer_compress(&vec![b'A'; SIZE]);
        // About 1000:1; the pipe holds a small part of it.
        assert!((4096..64 * 1024).contains(&bomb.len()), "{}", bomb.len());
        let (ours, mut peer) = duplex(512);
        let sender = tokio::spawn(async move {
            peer.write_all(&bomb).await.unwrap();
            peer
        });
        let mut stream = DeflateStream::new(ours, Bytes::new());
        let mut buf = vec![0; 4096];
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0 && n <= buf.len());
        // Compressed input is pulled only as needed: the sender is still blocked.
        tokio::task::yield_now().await;
        assert!(!sender.is_finished());
        let mut total = n;
        while total < SIZE {
            let n = stream.read(&mut buf).await.unwrap();
            assert!(n > 0 && n <= buf.len());
            assert!(buf[..n].iter().all(|&b| b == b'A'));
            total += n;
        }
        assert_eq!(total, SIZE);
        drop(sender.await.unwrap());
        assert_eq!(stream.read(&mut buf).await.unwrap(), 0);
    }

    #[tokio::test]
    async fn corrupt_input_is_an_error() {
        let (ours, mut peer) = duplex(1024);
        let mut stream = DeflateStream::new(ours, Bytes::new());
        // Block type 3 is reserved (RFC 1951 section 3.2.3).
        peer.write_all(&[0xff, 0xff, 0xff, 0xff]).await.unwrap();
        let mut buf = [0; 64];
        let error = stream.read(&mut buf).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
    }
}
