//! Arbitrary bytes as rspamd's HTTP answer: fed to the response reader in two pieces,
//! then the body read as a /checkv2 reply and turned into a verdict. Nothing may panic
//! and the reader must stay within its size limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use milter_proto::rspamd::{CheckReply, ReadStatus, ResponseReader, VerdictOptions};

fuzz_target!(|data: &[u8]| {
    if let Ok(reply) = CheckReply::from_json(data) {
        let _ = reply.to_verdict(&VerdictOptions::default());
    }
    let split = data.first().map_or(0, |&b| usize::from(b)).min(data.len());
    let mut reader = ResponseReader::new(16 * 1024);
    let status = match reader.handle_input(&data[..split]) {
        Ok(ReadStatus::Incomplete) => reader.handle_input(&data[split..]),
        other => other,
    };
    if let Ok(ReadStatus::Incomplete) = status {
        let _ = reader.handle_eof();
    }
});
