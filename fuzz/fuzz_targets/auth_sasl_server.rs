//! Every server-side SASL mechanism stepped with arbitrary client messages, the
//! application answering credential requests with choices drawn from the input. It must
//! not panic, and once it reports success or failure it must refuse further steps.
#![no_main]

use arbitrary::{Result, Unstructured};
use auth::sasl::{Answer, Mechanism, ServerMechanism, ServerOptions, ServerStep};
use auth::{Password, StoredPassword};
use libfuzzer_sys::fuzz_target;

fn answer(u: &mut Unstructured<'_>) -> Result<Answer> {
    Ok(match u.int_in_range(0..=5)? {
        0 => Answer::Stored(StoredPassword::parse("{PLAIN}secret").expect("valid")),
        1 => Answer::Cleartext(Password::from("secret")),
        2 => Answer::Accept,
        3 => Answer::AcceptAs(u.arbitrary()?),
        4 => Answer::Reject,
        _ => Answer::UnknownUser,
    })
}

fn run(u: &mut Unstructured<'_>) -> Result<()> {
    let mechanism = *u.choose(&Mechanism::ALL)?;
    let options = ServerOptions {
        external_identity: u.arbitrary()?,
        scram_iterations: 1,
        fixed_nonce: Some("fuzznonce".into()),
        max_message_len: 1024,
        ..ServerOptions::default()
    };
    let Ok(mut server) = ServerMechanism::new(mechanism, &options) else {
        return Ok(());
    };
    let initial: Option<&[u8]> = u.arbitrary()?;
    let mut step = server.start(initial);
    for _ in 0..16 {
        step = match step {
            ServerStep::Challenge(_) => server.step(u.arbitrary::<&[u8]>()?),
            ServerStep::NeedCredentials(request) => {
                let _ = request.user();
                server.answer(answer(u)?)
            }
            ServerStep::Success(_) | ServerStep::Failure(_) => {
                assert!(server.is_done());
                let after = server.step(b"more");
                assert!(matches!(after, ServerStep::Failure(_)), "{after:?}");
                let _ = server.failure_data();
                return Ok(());
            }
        };
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
