//! The maildrop as seen by one session: the listing, deletion marks and totals.

use std::num::NonZeroU32;

use super::event::{DecisionError, MessageInfo};

/// Why a message number cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lookup {
    NoSuchMessage,
    Deleted,
}

#[derive(Debug)]
pub(crate) struct Maildrop {
    messages: Vec<MessageInfo>,
    deleted: Vec<bool>,
    deleted_count: usize,
    deleted_size: u64,
    total_size: u64,
}

impl Maildrop {
    pub(crate) fn new(messages: Vec<MessageInfo>, max: usize) -> Result<Self, DecisionError> {
        let invalid = |reason: String| DecisionError::InvalidListing { reason };
        if messages.len() > max || u32::try_from(messages.len()).is_err() {
            return Err(invalid(format!("more than {max} messages")));
        }
        let mut total_size = 0u64;
        for (i, m) in messages.iter().enumerate() {
            let valid_uid = (1..=70).contains(&m.uid.len())
                && m.uid.bytes().all(|b| (0x21..=0x7e).contains(&b));
            if !valid_uid {
                return Err(invalid(format!(
                    "message {} has an invalid unique id",
                    i + 1
                )));
            }
            total_size = total_size
                .checked_add(m.size)
                .ok_or_else(|| invalid("total size overflows".into()))?;
        }
        Ok(Self {
            deleted: vec![false; messages.len()],
            messages,
            deleted_count: 0,
            deleted_size: 0,
            total_size,
        })
    }

    /// Messages not marked as deleted.
    pub(crate) fn count(&self) -> usize {
        self.messages.len() - self.deleted_count
    }

    /// Size of the messages not marked as deleted.
    pub(crate) fn size(&self) -> u64 {
        self.total_size - self.deleted_size
    }

    /// The number of messages in the listing, deleted or not.
    pub(crate) fn len(&self) -> usize {
        self.messages.len()
    }

    pub(crate) fn get(&self, msg: NonZeroU32) -> Result<&MessageInfo, Lookup> {
        let index = usize::try_from(msg.get() - 1).map_err(|_| Lookup::NoSuchMessage)?;
        match self.messages.get(index) {
            None => Err(Lookup::NoSuchMessage),
            Some(_) if self.deleted[index] => Err(Lookup::Deleted),
            Some(m) => Ok(m),
        }
    }

    pub(crate) fn delete(&mut self, msg: NonZeroU32) -> Result<(), Lookup> {
        let size = self.get(msg)?.size;
        let index = (msg.get() - 1) as usize;
        self.deleted[index] = true;
        self.deleted_count += 1;
        self.deleted_size += size;
        Ok(())
    }

    pub(crate) fn reset(&mut self) {
        self.deleted.iter_mut().for_each(|d| *d = false);
        self.deleted_count = 0;
        self.deleted_size = 0;
    }

    /// Messages not deleted, with their numbers.
    pub(crate) fn live(&self) -> impl Iterator<Item = (usize, &MessageInfo)> {
        self.messages
            .iter()
            .enumerate()
            .filter(|(i, _)| !self.deleted[*i])
            .map(|(i, m)| (i + 1, m))
    }

    /// Numbers of the messages marked as deleted.
    pub(crate) fn deleted_numbers(&self) -> Vec<NonZeroU32> {
        self.deleted
            .iter()
            .enumerate()
            .filter(|(_, d)| **d)
            .filter_map(|(i, _)| u32::try_from(i + 1).ok().and_then(NonZeroU32::new))
            .collect()
    }
}
