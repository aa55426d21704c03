//! The LMTP server (lmtp-proto: smtp-proto's server in LMTP mode) fed arbitrary bytes
//! in arbitrary chunks, answering every decision (including one reply per recipient
//! after the body) with choices drawn from the input. It must not panic, must only
//! transmit valid replies, and must keep its buffered input bounded.
#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use lmtp_proto::server::{BareLineEndings, config, new};
use postroom_fuzz::drive_server;

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok((small, normalize)) = u.arbitrary::<(bool, bool)>() else {
        return;
    };
    let mut config = config("lmtp.example.org");
    if small {
        config.limits.max_message_size = 4096;
        config.limits.max_recipients = 3;
        config.limits.max_data_line_length = 0;
    }
    if normalize {
        config.bare_line_endings = BareLineEndings::NormalizeLf;
    }
    let server = new(config, std::time::Instant::now());
    let _ = drive_server(server, &mut u);
});
