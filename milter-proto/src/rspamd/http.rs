//! A small Sans-IO reader for rspamd's HTTP/1.x response: status line, headers, and a
//! body framed by `Content-Length`, chunked encoding, or the end of the connection.

use bytes::{Buf, Bytes, BytesMut};

use super::RspamdError;

/// Longest chunk-size or trailer line accepted.
const MAX_LINE: usize = 1024;

/// A complete response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// The body, de-chunked.
    pub body: Bytes,
}

/// Progress of [`ResponseReader::handle_input`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadStatus {
    /// More bytes are needed.
    Incomplete,
    /// The response is complete.
    Complete(HttpResponse),
}

/// How the body ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    Length(usize),
    Chunked(Chunk),
    UntilClose,
}

/// Where chunked decoding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    Size,
    Data(usize),
    DataEnd,
    Trailers,
}

/// Reads one response, holding at most `max_size` bytes of head and body.
///
/// ```
/// use milter_proto::rspamd::{ReadStatus, ResponseReader};
///
/// let mut reader = ResponseReader::new(1 << 20);
/// assert_eq!(reader.handle_input(b"HTTP/1.1 200 OK\r\nContent-Le").unwrap(), ReadStatus::Incomplete);
/// let ReadStatus::Complete(response) = reader.handle_input(b"ngth: 2\r\n\r\n{}").unwrap() else {
///     panic!("the response is complete");
/// };
/// assert_eq!((response.status, &response.body[..]), (200, &b"{}"[..]));
/// ```
#[derive(Debug)]
pub struct ResponseReader {
    max_size: usize,
    input: BytesMut,
    /// Status and framing, once the head is read.
    head: Option<(u16, Framing)>,
    body: BytesMut,
    done: bool,
}

impl ResponseReader {
    /// A reader for one response of at most `max_size` bytes.
    pub fn new(max_size: usize) -> Self {
        Self {
            max_size,
            input: BytesMut::new(),
            head: None,
            body: BytesMut::new(),
            done: false,
        }
    }

    /// Bytes from the server.
    pub fn handle_input(&mut self, bytes: &[u8]) -> Result<ReadStatus, RspamdError> {
        if self.done {
            return Err(RspamdError::Http {
                reason: "data after the end of the response",
            });
        }
        self.input.extend_from_slice(bytes);
        self.advance()
    }

    /// The server closed the connection: complete a response that ends there.
    pub fn handle_eof(&mut self) -> Result<HttpResponse, RspamdError> {
        match self.head {
            Some((status, Framing::UntilClose)) if !self.done => {
                self.done = true;
                self.body.extend_from_slice(&self.input.split());
                Ok(self.response(status))
            }
            _ => Err(RspamdError::Http {
                reason: "connection closed before the end of the response",
            }),
        }
    }

    fn advance(&mut self) -> Result<ReadStatus, RspamdError> {
        while self.head.is_none() {
            if !self.read_head()? {
                return Ok(ReadStatus::Incomplete);
            }
        }
        let Some((status, framing)) = self.head else {
            return Ok(ReadStatus::Incomplete);
        };
        let complete = match framing {
            Framing::Length(length) => {
                let take = (length - self.body.len()).min(self.input.len());
                self.body.extend_from_slice(&self.input.split_to(take));
                self.body.len() == length
            }
            Framing::Chunked(state) => self.read_chunks(state)?,
            Framing::UntilClose => {
                self.body.extend_from_slice(&self.input.split());
                if self.body.len() > self.max_size {
                    return Err(RspamdError::TooLarge {
                        limit: self.max_size,
                    });
                }
                false
            }
        };
        if !complete {
            return Ok(ReadStatus::Incomplete);
        }
        if !self.input.is_empty() {
            return Err(RspamdError::Http {
                reason: "data after the end of the response",
            });
        }
        self.done = true;
        Ok(ReadStatus::Complete(self.response(status)))
    }

    fn response(&mut self, status: u16) -> HttpResponse {
        HttpResponse {
            status,
            body: self.body.split().freeze(),
        }
    }

    /// Parses the head if it is all there; interim (1xx) responses are skipped.
    fn read_head(&mut self) -> Result<bool, RspamdError> {
        let Some(end) = find(&self.input, b"\r\n\r\n") else {
            if self.input.len() > self.max_size {
                return Err(RspamdError::TooLarge {
                    limit: self.max_size,
                });
            }
            return Ok(false);
        };
        let head = self.input.split_to(end + 4);
        let head = std::str::from_utf8(&head[..end]).map_err(|_| RspamdError::Http {
            reason: "response head is not UTF-8",
        })?;
        let mut lines = head.split("\r\n");
        let status = parse_status_line(lines.next().unwrap_or_default())?;
        if (100..200).contains(&status) {
            return Ok(true);
        }
        let mut framing = Framing::UntilClose;
        for line in lines {
            let (name, value) = line.split_once(':').ok_or(RspamdError::Http {
                reason: "header line without a colon",
            })?;
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") && framing == Framing::UntilClose {
                let length = value
                    .parse::<usize>()
                    .ok()
                    .filter(|_| value.bytes().all(|b| b.is_ascii_digit()))
                    .ok_or(RspamdError::Http {
                        reason: "malformed Content-Length",
                    })?;
                if length > self.max_size {
                    return Err(RspamdError::TooLarge {
                        limit: self.max_size,
                    });
                }
                framing = Framing::Length(length);
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                if !value.eq_ignore_ascii_case("chunked") {
                    return Err(RspamdError::Http {
                        reason: "unsupported Transfer-Encoding",
                    });
                }
                framing = Framing::Chunked(Chunk::Size);
            }
        }
        self.head = Some((status, framing));
        Ok(true)
    }

    /// Decodes chunked data as far as the input goes; true once the last chunk is read.
    fn read_chunks(&mut self, mut state: Chunk) -> Result<bool, RspamdError> {
        let complete = loop {
            match state {
                Chunk::Size => {
                    let Some(line) = self.take_line()? else {
                        break false;
                    };
                    let digits = line.split(|b| *b == b';').next().unwrap_or_default();
                    let size = std::str::from_utf8(digits)
                        .ok()
                        .and_then(|d| usize::from_str_radix(d.trim(), 16).ok())
                        .ok_or(RspamdError::Http {
                            reason: "malformed chunk size",
                        })?;
                    if self.body.len().saturating_add(size) > self.max_size {
                        return Err(RspamdError::TooLarge {
                            limit: self.max_size,
                        });
                    }
                    state = if size == 0 {
                        Chunk::Trailers
                    } else {
                        Chunk::Data(size)
                    };
                }
                Chunk::Data(left) => {
                    if self.input.is_empty() {
                        break false;
                    }
                    let take = left.min(self.input.len());
                    self.body.extend_from_slice(&self.input.split_to(take));
                    state = if take == left {
                        Chunk::DataEnd
                    } else {
                        Chunk::Data(left - take)
                    };
                }
                Chunk::DataEnd => {
                    if self.input.len() < 2 {
                        break false;
                    }
                    if &self.input[..2] != b"\r\n" {
                        return Err(RspamdError::Http {
                            reason: "chunk not followed by CRLF",
                        });
                    }
                    self.input.advance(2);
                    state = Chunk::Size;
                }
                Chunk::Trailers => {
                    let Some(line) = self.take_line()? else {
                        break false;
                    };
                    if line.is_empty() {
                        break true;
                    }
                }
            }
        };
        if let Some((status, _)) = self.head {
            self.head = Some((status, Framing::Chunked(state)));
        }
        Ok(complete)
    }

    /// One CRLF-terminated line of chunk framing, if complete.
    fn take_line(&mut self) -> Result<Option<Bytes>, RspamdError> {
        match find(&self.input, b"\r\n") {
            Some(end) if end <= MAX_LINE => {
                let line = self.input.split_to(end + 2).freeze();
                Ok(Some(line.slice(..end)))
            }
            Some(_) => Err(RspamdError::Http {
                reason: "chunk framing line too long",
            }),
            None if self.input.len() > MAX_LINE => Err(RspamdError::Http {
                reason: "chunk framing line too long",
            }),
            None => Ok(None),
        }
    }
}

/// `HTTP/1.x NNN reason` to its status code.
fn parse_status_line(line: &str) -> Result<u16, RspamdError> {
    let mut parts = line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    let code = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/1.")
        || code.len() != 3
        || !code.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(RspamdError::Http {
            reason: "malformed status line",
        });
    }
    code.parse().map_err(|_| RspamdError::Http {
        reason: "malformed status line",
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(haystack, needle)
}
