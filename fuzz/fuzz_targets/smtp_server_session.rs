//! The SMTP server machine fed arbitrary bytes in arbitrary chunks, with an application
//! that answers every decision with choices drawn from the input. It must not panic,
//! must only transmit valid replies, and must keep its buffered input bounded.
#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use postroom_fuzz::drive_server;
use smtp_proto::server::{BareLineEndings, Config, LookupPolicy, Server};

fn config(u: &mut Unstructured<'_>) -> Result<Config> {
    let mut config = Config::new("mx.example.org");
    config.auth_mechanisms = vec!["PLAIN".into(), "LOGIN".into()];
    config.auth_requires_tls = u.arbitrary()?;
    config.require_tls = u.ratio(1u8, 4)?;
    config.require_auth = u.ratio(1u8, 4)?;
    config.implicit_tls = u.arbitrary()?;
    config.extensions.dsn = u.arbitrary()?;
    config.extensions.starttls = u.arbitrary()?;
    config.extensions.requiretls = u.arbitrary()?;
    config.extensions.chunking = u.ratio(3u8, 4)?;
    config.vrfy = *u.choose(&[
        LookupPolicy::Disabled,
        LookupPolicy::CannotVerify,
        LookupPolicy::Ask,
    ])?;
    config.expn = *u.choose(&[
        LookupPolicy::Disabled,
        LookupPolicy::CannotVerify,
        LookupPolicy::Ask,
    ])?;
    config.bare_line_endings =
        *u.choose(&[BareLineEndings::Reject, BareLineEndings::NormalizeLf])?;
    // Small limits (raised to the protocol minimums by the server) reach the edge cases.
    let limits = &mut config.limits;
    limits.max_line_length = u.int_in_range(0..=1024)?;
    limits.max_data_line_length = u.int_in_range(0..=2048)?;
    limits.max_message_size = u.int_in_range(0..=100_000)?;
    limits.max_recipients = u.int_in_range(1..=5)?;
    limits.max_bad_commands = u.int_in_range(1..=50)?;
    limits.max_pending_input = u.int_in_range(0..=65536)?;
    Ok(config)
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(config) = config(&mut u) else {
        return;
    };
    let server = Server::new(config, std::time::Instant::now());
    let _ = drive_server(server, &mut u);
});
