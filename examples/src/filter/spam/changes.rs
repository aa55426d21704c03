//! Header changes a spam check asks for, and writing the changed message to a new
//! spool file.
//!
//! The operations have the milter protocol's meaning (the verdicts of both backends are
//! expressed in it): add at the end, insert at a position, change the n-th occurrence
//! of a name (append if there are fewer), remove some occurrences. Only the header
//! section is rewritten; the body is copied through in chunks.

use std::io;
use std::num::NonZeroU32;

use milter_proto::{HeaderOccurrence, Modification, Verdict};
use tracing::warn;

use crate::delivery::{SpoolWriter, Spooled};
use crate::filter::message::{Chunks, Field, read_header_section};

/// One change to the header section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HeaderOp {
    /// Append `name: value` after the last field.
    Add {
        /// Field name.
        name: String,
        /// Value (line breaks become folds).
        value: Vec<u8>,
    },
    /// Insert `name: value` before the field at `index` (0 = top; past the end: append).
    Insert {
        /// Position.
        index: u32,
        /// Field name.
        name: String,
        /// Value.
        value: Vec<u8>,
    },
    /// Replace the `index`-th field called `name`; append it if there are fewer.
    Change {
        /// Occurrence, from 1.
        index: NonZeroU32,
        /// Field name.
        name: String,
        /// New value.
        value: Vec<u8>,
    },
    /// Remove fields called `name`.
    Remove {
        /// Field name.
        name: String,
        /// Which of them.
        which: HeaderOccurrence,
    },
}

/// The header changes to make before delivery, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct HeaderChanges {
    ops: Vec<HeaderOp>,
}

impl HeaderChanges {
    /// Whether nothing is to change (the spool can be delivered as it is).
    pub(crate) fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Adds one change (an invalid field name is dropped with a log line).
    pub(crate) fn push(&mut self, op: HeaderOp) {
        let name = match &op {
            HeaderOp::Add { name, .. }
            | HeaderOp::Insert { name, .. }
            | HeaderOp::Change { name, .. }
            | HeaderOp::Remove { name, .. } => name,
        };
        if is_field_name(name) {
            self.ops.push(op);
        } else {
            warn!("spam check: ignoring a header change with the invalid name {name:?}");
        }
    }

    /// Removes every `name` field and adds one with `value`.
    pub(crate) fn replace(&mut self, name: &str, value: &str) {
        self.push(HeaderOp::Remove {
            name: name.to_owned(),
            which: HeaderOccurrence::All,
        });
        self.push(HeaderOp::Add {
            name: name.to_owned(),
            value: value.as_bytes().to_vec(),
        });
    }

    /// The header changes of `verdict`. A quarantine request becomes `X-Spam: Yes`
    /// (there is no quarantine here; the global Sieve rule files the message into
    /// Junk). Envelope changes are never offered to the milter, so none can appear.
    pub(crate) fn from_verdict(verdict: &Verdict) -> Self {
        let mut changes = Self::default();
        for modification in &verdict.modifications {
            let text = |t: &milter_proto::Text<'_>| t.to_str_lossy().into_owned();
            match modification {
                Modification::AddHeader { name, value } => changes.push(HeaderOp::Add {
                    name: text(name),
                    value: value.as_bytes().to_vec(),
                }),
                Modification::InsertHeader { index, name, value } => {
                    changes.push(HeaderOp::Insert {
                        index: *index,
                        name: text(name),
                        value: value.as_bytes().to_vec(),
                    });
                }
                Modification::ChangeHeader { index, name, value } => {
                    changes.push(HeaderOp::Change {
                        index: *index,
                        name: text(name),
                        value: value.as_bytes().to_vec(),
                    });
                }
                Modification::RemoveHeader { name, which } => changes.push(HeaderOp::Remove {
                    name: text(name),
                    which: *which,
                }),
                Modification::Quarantine { reason } => {
                    warn!(
                        "spam check: quarantine requested ({}); marking the message as spam",
                        reason.to_str_lossy()
                    );
                    changes.replace("X-Spam", "Yes");
                }
                other => warn!("spam check: ignoring the unsupported change {other:?}"),
            }
        }
        changes
    }

    /// The value the changes give the last added or changed `name` field, if any.
    pub(crate) fn value_of(&self, name: &str) -> Option<String> {
        self.ops.iter().rev().find_map(|op| match op {
            HeaderOp::Add { name: n, value }
            | HeaderOp::Insert { name: n, value, .. }
            | HeaderOp::Change { name: n, value, .. }
                if n.eq_ignore_ascii_case(name) =>
            {
                Some(String::from_utf8_lossy(value).trim().to_owned())
            }
            _ => None,
        })
    }

    /// Applies the changes to a header section.
    pub(crate) fn apply(&self, fields: &mut Vec<Field>) {
        for op in &self.ops {
            match op {
                HeaderOp::Add { name, value } => fields.push(Field::new(name, value)),
                HeaderOp::Insert { index, name, value } => {
                    let at = usize::try_from(*index).map_or(fields.len(), |i| i.min(fields.len()));
                    fields.insert(at, Field::new(name, value));
                }
                HeaderOp::Change { index, name, value } => {
                    let nth = usize::try_from(index.get()).unwrap_or(usize::MAX);
                    let found = positions(fields, name).nth(nth - 1);
                    match found {
                        Some(at) => fields[at] = Field::new(name, value),
                        None => fields.push(Field::new(name, value)),
                    }
                }
                HeaderOp::Remove { name, which } => remove(fields, name, *which),
            }
        }
    }

    /// Writes `body` with the changes applied to `out` (a new spool file) and returns
    /// the new spooled message.
    pub(crate) async fn rewrite(
        &self,
        body: &Spooled,
        mut out: SpoolWriter,
    ) -> io::Result<Spooled> {
        let mut chunks = Chunks::new(body);
        let mut section = read_header_section(&mut chunks).await?;
        self.apply(&mut section.fields);
        let mut head = Vec::new();
        for field in &section.fields {
            head.extend_from_slice(&field.raw);
        }
        head.extend_from_slice(&section.separator);
        out.write(&head).await?;
        out.write(&section.rest).await?;
        while let Some(chunk) = chunks.next().await {
            out.write(&chunk?).await?;
        }
        out.finish().await
    }
}

/// Indexes of the fields called `name`, top to bottom.
fn positions<'a>(
    fields: &'a [Field],
    name: &'a str,
) -> impl DoubleEndedIterator<Item = usize> + 'a {
    fields
        .iter()
        .enumerate()
        .filter(move |(_, f)| f.is(name))
        .map(|(i, _)| i)
}

fn remove(fields: &mut Vec<Field>, name: &str, which: HeaderOccurrence) {
    let target = match which {
        HeaderOccurrence::All => {
            fields.retain(|f| !f.is(name));
            return;
        }
        HeaderOccurrence::Nth(n) => positions(fields, name).nth(to_index(n)),
        HeaderOccurrence::NthFromEnd(n) => positions(fields, name).rev().nth(to_index(n)),
    };
    if let Some(at) = target {
        fields.remove(at);
    }
}

fn to_index(n: NonZeroU32) -> usize {
    usize::try_from(n.get() - 1).unwrap_or(usize::MAX)
}

/// A field name: printable ASCII without the colon (RFC 5322 section 3.6.8).
fn is_field_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| (33..=126).contains(&b) && b != b':')
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use bytes::Bytes;

    use super::*;
    use crate::filter::message::split_header_section;

    fn fields(text: &str) -> Vec<Field> {
        split_header_section(Bytes::copy_from_slice(text.as_bytes()), false).fields
    }

    fn render(fields: &[Field]) -> String {
        fields
            .iter()
            .map(|f| String::from_utf8_lossy(&f.raw).into_owned())
            .collect()
    }

    fn nth(n: u32) -> NonZeroU32 {
        NonZeroU32::new(n).unwrap()
    }

    #[test]
    fn milter_operations_on_a_header_section() {
        let mut section = fields("A: 1\r\nX: a\r\nB: 2\r\nx: b\r\nX: c\r\n\r\n");
        let mut changes = HeaderChanges::default();
        changes.push(HeaderOp::Remove {
            name: "X".into(),
            which: HeaderOccurrence::NthFromEnd(nth(1)),
        });
        changes.push(HeaderOp::Change {
            index: nth(2),
            name: "X".into(),
            value: b"B".to_vec(),
        });
        changes.push(HeaderOp::Change {
            index: nth(5),
            name: "Subject".into(),
            value: b"[SPAM] hi".to_vec(),
        });
        changes.push(HeaderOp::Insert {
            index: 1,
            name: "I".into(),
            value: b"top".to_vec(),
        });
        changes.push(HeaderOp::Insert {
            index: 99,
            name: "J".into(),
            value: b"end".to_vec(),
        });
        changes.push(HeaderOp::Remove {
            name: "B".into(),
            which: HeaderOccurrence::Nth(nth(1)),
        });
        changes.apply(&mut section);
        assert_eq!(
            render(&section),
            "A: 1\r\nI: top\r\nX: a\r\nX: B\r\nSubject: [SPAM] hi\r\nJ: end\r\n"
        );
        changes.replace("a", "new");
        let mut again = section.clone();
        changes.apply(&mut again);
        assert!(render(&again).ends_with("a: new\r\n"));
        assert!(!render(&again).starts_with("A: 1"));
    }

    #[test]
    fn invalid_names_are_dropped() {
        let mut changes = HeaderChanges::default();
        changes.replace("Bad Name", "x");
        changes.replace("Bad:Name", "x");
        assert!(changes.is_empty());
        changes.replace("X-Spam-Score", "7.50");
        assert_eq!(changes.value_of("x-spam-score").as_deref(), Some("7.50"));
    }

    #[tokio::test]
    async fn rewrite_keeps_the_body_and_untouched_fields_byte_for_byte() {
        let dir = tempfile::tempdir().unwrap();
        let mut text = b"Received: from a\r\n\tby b\r\nSubject: hi\r\nX-Spam: No\r\n\r\n".to_vec();
        text.extend(std::iter::repeat_n(b'y', 200_000));
        let body = crate::filter::testing::spool(dir.path(), &text).await;
        let mut changes = HeaderChanges::default();
        changes.replace("X-Spam", "Yes");
        let out = SpoolWriter::create(dir.path());
        let rewritten = changes.rewrite(&body, out).await.unwrap();
        let mut read = Vec::new();
        rewritten.reader(Vec::new()).read_to_end(&mut read).unwrap();
        let expected_head = b"Received: from a\r\n\tby b\r\nSubject: hi\r\nX-Spam: Yes\r\n\r\n";
        assert!(read.starts_with(expected_head));
        assert_eq!(read.len(), expected_head.len() + 200_000);
        assert!(read[expected_head.len()..].iter().all(|&b| b == b'y'));
    }
}
