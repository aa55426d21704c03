//! The SMTP/LMTP client machine fed arbitrary server bytes in arbitrary chunks, while an
//! application drives it through greetings, STARTTLS, AUTH and mail transactions with
//! choices drawn from the input. Whatever the server says, it must not panic and must
//! never ask for an empty write.
#![no_main]

use std::borrow::Cow;
use std::time::{Duration, Instant};

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use smtp_proto::client::{Client, Config, Envelope, Event, Output, Transfer};
use smtp_proto::types::{Address, MailFrom, MailParams, RcptTo};

fn envelope(u: &mut Unstructured<'_>) -> Result<Envelope<'static>> {
    let recipients = (0..u.int_in_range(1..=4)?)
        .map(|i| RcptTo {
            recipient: Address::new(format!("rcpt{i}"), "example.org"),
            params: Default::default(),
        })
        .collect();
    Ok(Envelope {
        mail_from: MailFrom {
            sender: if u.arbitrary()? {
                Some(Address::new(Cow::Borrowed("sender"), "example.net"))
            } else {
                None
            },
            params: MailParams {
                size: u.arbitrary()?,
                smtputf8: u.ratio(1u8, 8)?,
                requiretls: u.ratio(1u8, 8)?,
                ..MailParams::default()
            },
        },
        recipients,
        transfer: *u.choose(&[Transfer::Data, Transfer::Bdat])?,
    })
}

/// What the application does when the client is ready.
fn act_when_ready(client: &mut Client, u: &mut Unstructured<'_>) -> Result<()> {
    // Refusals (ClientError) are legitimate answers here: the capability may be missing.
    let _ = match u.int_in_range(0..=6)? {
        0 => client.starttls(),
        1 => {
            let initial: Option<Vec<u8>> = u.arbitrary()?;
            client.auth(
                u.choose(&["PLAIN", "LOGIN", "CRAM-MD5"])?,
                initial.as_deref(),
            )
        }
        2 => client.rset(),
        3 => client.noop(),
        4 => client.quit(),
        _ => client.send_mail(&envelope(u)?),
    };
    Ok(())
}

fn react(client: &mut Client, event: &Event, u: &mut Unstructured<'_>) -> Result<()> {
    match event {
        Event::Ready { .. }
        | Event::AuthSucceeded(_)
        | Event::AuthFailed(_)
        | Event::StartTlsRefused(_)
        | Event::TransactionComplete(_)
        | Event::MessageRefused(_)
        | Event::Reset(_)
        | Event::Noop(_)
            if client.is_ready() =>
        {
            act_when_ready(client, u)?;
        }
        Event::StartTls => {
            let _ = client.tls_established();
        }
        Event::AuthChallenge(_) => {
            let _ = if u.ratio(1u8, 8)? {
                client.auth_cancel()
            } else {
                client.auth_respond(u.arbitrary::<&[u8]>()?)
            };
        }
        Event::SendBody => {
            for _ in 0..u.int_in_range(0..=3)? {
                let _ = client.send_body_chunk(u.arbitrary::<&[u8]>()?);
            }
            let _ = client.end_body();
        }
        _ => {}
    }
    Ok(())
}

fn run(u: &mut Unstructured<'_>) -> Result<()> {
    let mut config = if u.arbitrary()? {
        Config::lmtp("client.example")
    } else {
        Config::smtp("client.example")
    };
    config.max_reply_len = u.int_in_range(0..=65536)?;
    let start = Instant::now();
    let mut now = start;
    let mut client = Client::new(config, now);
    let mut steps = 0u32;
    while !u.is_empty() && !client.is_closed() && steps < 10_000 {
        steps += 1;
        if u.ratio(1u8, 16)? {
            now += Duration::from_secs(u.int_in_range(1..=900)?);
        }
        client.handle_timeout(now);
        let len = u.int_in_range(1..=4096)?;
        let chunk = u.bytes(len.min(u.len()))?;
        client.handle_input(chunk);
        loop {
            match client.poll_output() {
                Output::Transmit(bytes) => assert!(!bytes.is_empty(), "empty transmit"),
                Output::Event(event) => react(&mut client, &event, u)?,
                Output::NeedInput => break,
            }
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
