//! The vacation extension (RFC 5230): when replies are due, response tracking with a
//! fake store, and the examples of the RFC.

mod common;

use std::cell::RefCell;
use std::time::Duration;

use common::*;
use sieve::{
    Action, CompileError, Envelope, Environment, MemoryVacationStore, MessageContext, Outcome,
    RuntimeError, Script, VacationResponse, VacationStore, VacationSuppressed,
};

/// A store that remembers every call, and answers from what was recorded.
#[derive(Default)]
struct FakeStore {
    recorded: RefCell<Vec<(String, String, u32)>>,
    queries: RefCell<Vec<(String, String, u32)>>,
}

impl VacationStore for FakeStore {
    fn seen_recently(&self, handle: &str, sender: &str, days: u32) -> bool {
        self.queries
            .borrow_mut()
            .push((handle.to_owned(), sender.to_owned(), days));
        self.recorded
            .borrow()
            .iter()
            .any(|(h, s, _)| h == handle && s == sender)
    }

    fn record(&self, handle: &str, sender: &str, days: u32) {
        self.recorded
            .borrow_mut()
            .push((handle.to_owned(), sender.to_owned(), days));
    }
}

const PERSONAL: &str = "From: Coyote <coyote@desert.example.org>\r\n\
To: Road Runner <roadrunner@acme.example.com>\r\n\
Subject: anvil\r\n\
Message-ID: <m1@desert.example.org>\r\n\
\r\n\
Beep?\r\n";

fn deliver(
    script: &Script,
    message: &str,
    envelope: &Envelope,
    store: &dyn VacationStore,
) -> Outcome {
    let env = Environment::new(store).with_user_addresses(["roadrunner@acme.example.com"]);
    script
        .evaluate(&MessageContext::new(message.as_bytes()), envelope, &env)
        .expect("script runs")
}

fn reply(outcome: &Outcome) -> Option<&VacationResponse> {
    outcome.actions.iter().find_map(|a| match a {
        Action::Vacation(response) => Some(response),
        _ => None,
    })
}

fn suppressed(script: &str, message: &str, envelope: &Envelope) -> Option<VacationSuppressed> {
    let store = FakeStore::default();
    let outcome = deliver(&compile(script), message, envelope, &store);
    assert_eq!(
        reply(&outcome).is_none(),
        outcome.vacation_suppressed.is_some()
    );
    outcome.vacation_suppressed
}

const SIMPLE: &str = "require \"vacation\";\nvacation \"I'm away.\";";

#[test]
fn replies_once_per_sender_per_period() {
    let script = compile(SIMPLE);
    let store = FakeStore::default();
    let first = deliver(&script, PERSONAL, &envelope(), &store);
    let response = reply(&first).expect("a reply");
    assert_eq!(response.to, "coyote@desert.example.org");
    assert_eq!(response.from, "roadrunner@acme.example.com");
    assert_eq!(response.subject, "Auto: anvil");
    assert_eq!(response.reason, "I'm away.");
    assert_eq!(response.days, 7);
    assert_eq!(
        response.in_reply_to.as_deref(),
        Some("<m1@desert.example.org>")
    );
    assert_eq!(
        response.references.as_deref(),
        Some("<m1@desert.example.org>")
    );
    // Vacation does not cancel the implicit keep.
    assert!(first.implicit_keep);
    assert_eq!(first.actions.last(), Some(&keep()));
    assert_eq!(store.recorded.borrow().len(), 1);
    assert_eq!(store.recorded.borrow()[0].1, "coyote@desert.example.org");
    assert_eq!(store.recorded.borrow()[0].2, 7);

    let second = deliver(&script, PERSONAL, &envelope(), &store);
    assert!(reply(&second).is_none());
    assert_eq!(
        second.vacation_suppressed,
        Some(VacationSuppressed::AlreadyAnswered)
    );
    assert_eq!(store.recorded.borrow().len(), 1);

    // Another sender gets its own reply; the sender is compared without case.
    let other = Envelope::new("Wile@Desert.Example.org", "roadrunner@acme.example.com");
    let third = deliver(&script, PERSONAL, &other, &store);
    assert_eq!(
        reply(&third).map(|r| r.to.as_str()),
        Some("Wile@Desert.Example.org")
    );
    assert_eq!(store.recorded.borrow()[1].1, "wile@desert.example.org");
    let again = deliver(
        &script,
        PERSONAL,
        &Envelope::new("WILE@desert.example.org", "roadrunner@acme.example.com"),
        &store,
    );
    assert!(reply(&again).is_none());
}

#[test]
fn memory_store_answers_again_after_the_period() {
    let script = compile("require \"vacation\";\nvacation :days 2 \"away\";");
    let store = MemoryVacationStore::new();
    assert!(reply(&deliver(&script, PERSONAL, &envelope(), &store)).is_some());
    assert!(reply(&deliver(&script, PERSONAL, &envelope(), &store)).is_none());
    store.advance(Duration::from_secs(86_400));
    assert!(reply(&deliver(&script, PERSONAL, &envelope(), &store)).is_none());
    store.advance(Duration::from_secs(86_400));
    assert!(reply(&deliver(&script, PERSONAL, &envelope(), &store)).is_some());
}

#[test]
fn failed_runs_record_nothing() {
    let source = "require \"vacation\";\nvacation \"away\";\nredirect \"a@b.c\";";
    let script = compile(source);
    let store = FakeStore::default();
    let config = sieve::Config {
        max_redirects: 0,
        ..sieve::Config::default()
    };
    let limited = Script::compile_with(source.as_bytes(), &config).unwrap();
    let env = Environment::new(&store).with_user_addresses(["roadrunner@acme.example.com"]);
    let err = limited
        .evaluate(&MessageContext::new(PERSONAL.as_bytes()), &envelope(), &env)
        .unwrap_err();
    assert!(
        matches!(err, RuntimeError::RedirectLimit { limit: 0, .. }),
        "{err}"
    );
    assert!(store.recorded.borrow().is_empty());
    // The same script without the limit replies and records.
    assert!(reply(&deliver(&script, PERSONAL, &envelope(), &store)).is_some());
    assert_eq!(store.recorded.borrow().len(), 1);
}

#[test]
fn never_answers_bounces_daemons_and_lists() {
    let to = "roadrunner@acme.example.com";
    let cases = [
        ("", VacationSuppressed::NoSender),
        ("<>", VacationSuppressed::NoSender),
        (
            "MAILER-DAEMON@acme.example.com",
            VacationSuppressed::AutomatedSender,
        ),
        (
            "owner-ietf-mta-filters@imc.org",
            VacationSuppressed::AutomatedSender,
        ),
        (
            "ietf-mta-filters-request@imc.org",
            VacationSuppressed::AutomatedSender,
        ),
        ("LISTSERV@example.org", VacationSuppressed::AutomatedSender),
        ("majordomo@example.org", VacationSuppressed::AutomatedSender),
        (
            "RoadRunner@ACME.example.com",
            VacationSuppressed::OwnAddress,
        ),
        (
            "roadrunner+x@acme.example.com",
            VacationSuppressed::OwnAddress,
        ),
    ];
    for (from, expected) in cases {
        assert_eq!(
            suppressed(SIMPLE, PERSONAL, &Envelope::new(from, to)),
            Some(expected),
            "{from}"
        );
    }
    let headers = [
        (
            "List-Id: <list.example.org>",
            VacationSuppressed::MailingList,
        ),
        (
            "List-Unsubscribe: <mailto:x@y>",
            VacationSuppressed::MailingList,
        ),
        ("List-Post: <mailto:x@y>", VacationSuppressed::MailingList),
        ("List-Help: <mailto:x@y>", VacationSuppressed::MailingList),
        (
            "List-Subscribe: <mailto:x@y>",
            VacationSuppressed::MailingList,
        ),
        ("List-Owner: <mailto:x@y>", VacationSuppressed::MailingList),
        ("List-Archive: <http://x>", VacationSuppressed::MailingList),
        ("Precedence: bulk", VacationSuppressed::MailingList),
        ("Precedence: List", VacationSuppressed::MailingList),
        ("Precedence: junk", VacationSuppressed::MailingList),
        (
            "Auto-Submitted: auto-replied",
            VacationSuppressed::AutoSubmitted,
        ),
        (
            "Auto-Submitted: auto-generated; x=y",
            VacationSuppressed::AutoSubmitted,
        ),
    ];
    for (header, expected) in headers {
        let message = format!("{header}\r\n{PERSONAL}");
        assert_eq!(
            suppressed(SIMPLE, &message, &envelope()),
            Some(expected),
            "{header}"
        );
    }
    // "Auto-Submitted: no" and other precedences are fine.
    for header in ["Auto-Submitted: no (comment)", "Precedence: first-class"] {
        let message = format!("{header}\r\n{PERSONAL}");
        assert_eq!(suppressed(SIMPLE, &message, &envelope()), None, "{header}");
    }
}

#[test]
fn only_answers_personal_mail() {
    let bcc_or_list =
        "From: coyote@desert.example.org\r\nTo: all@acme.example.com\r\nSubject: x\r\n\r\n";
    assert_eq!(
        suppressed(SIMPLE, bcc_or_list, &envelope()),
        Some(VacationSuppressed::NotPersonal)
    );
    for field in ["Cc", "Bcc", "Resent-To", "Resent-Cc", "Resent-Bcc"] {
        let message = format!(
            "From: c@d.e\r\nTo: all@acme.example.com\r\n{field}: <RoadRunner@acme.example.com>\r\n\r\n"
        );
        assert_eq!(suppressed(SIMPLE, &message, &envelope()), None, "{field}");
    }
    // Addresses listed with :addresses belong to the user (RFC 5230 section 4.8).
    let script = "require \"vacation\";\nvacation :days 23 :addresses [\"tjs@example.edu\",\n                              \"ts4z@landru.example.edu\"]\n\"I'm away until October 19.\nIf it's an emergency, call 911, I guess.\" ;";
    let to_alias = "From: c@d.e\r\nTo: TJS@example.edu\r\n\r\n";
    let store = FakeStore::default();
    let outcome = deliver(
        &compile(script),
        to_alias,
        &Envelope::new("c@d.e", "tjs@mail.example.edu"),
        &store,
    );
    let response = reply(&outcome).expect("a reply to the alias");
    assert_eq!(response.days, 23);
    assert_eq!(
        response.reason,
        "I'm away until October 19.\nIf it's an emergency, call 911, I guess."
    );
    assert_eq!(response.subject, "Automated reply");
    // The envelope recipient counts too, with or without a +detail.
    let detail = "From: c@d.e\r\nTo: roadrunner@acme.example.com\r\n\r\n";
    let env = Envelope::new("c@d.e", "roadrunner+vacation@acme.example.com");
    assert_eq!(suppressed(SIMPLE, detail, &env), None);
}

#[test]
fn rfc5230_selective_example() {
    let script = "require \"vacation\";\nif header :contains \"from\" \"boss@example.edu\" {\n    redirect \"pleeb@isp.example.org\";\n} else {\n    vacation \"Sorry, I'm away, I'll read your\nmessage when I get around to it.\";\n}";
    let store = FakeStore::default();
    let boss = "From: boss@example.edu\r\nTo: roadrunner@acme.example.com\r\n\r\n";
    let outcome = deliver(
        &compile(script),
        boss,
        &Envelope::new("boss@example.edu", "roadrunner@acme.example.com"),
        &store,
    );
    assert_eq!(outcome.actions, vec![redirect("pleeb@isp.example.org")]);
    let outcome = deliver(&compile(script), PERSONAL, &envelope(), &store);
    assert!(reply(&outcome).is_some());
}

#[test]
fn rfc5230_tracking_is_per_response() {
    // Different reasons are different responses: both get sent.
    let script = compile(
        "require \"vacation\";\nif header :contains \"subject\" \"cyrus\" {\n    vacation \"I'm out -- send mail to cyrus-bugs\";\n} else {\n    vacation \"I'm out -- call me at +1 304 555 0123\";\n}",
    );
    let store = FakeStore::default();
    let bug = "To: roadrunner@acme.example.com\r\nSubject: Cyrus bug\r\n\r\n";
    let dinner = "To: roadrunner@acme.example.com\r\nSubject: come over for dinner\r\n\r\n";
    assert!(reply(&deliver(&script, bug, &envelope(), &store)).is_some());
    assert!(reply(&deliver(&script, dinner, &envelope(), &store)).is_some());
    assert!(reply(&deliver(&script, dinner, &envelope(), &store)).is_none());

    // Tracking uses the arguments before variable expansion.
    let script = compile(
        "require [\"vacation\", \"variables\"];\nif header :matches \"subject\" \"*\" {\n    vacation :subject \"Automatic response to: ${1}\"\n             \"I'm away -- send mail to foo in my absence\";\n}",
    );
    let store = FakeStore::default();
    let first = deliver(&script, bug, &envelope(), &store);
    assert_eq!(
        reply(&first).map(|r| r.subject.as_str()),
        Some("Automatic response to: Cyrus bug")
    );
    assert!(reply(&deliver(&script, dinner, &envelope(), &store)).is_none());

    // An explicit handle makes two responses one.
    let script = compile(
        "require \"vacation\";\nif header :contains \"subject\" \"lunch\" {\n    vacation :handle \"ran-away\" \"I'm out and can't meet for lunch\";\n} else {\n    vacation :handle \"ran-away\" \"I'm out\";\n}",
    );
    let store = FakeStore::default();
    let lunch = "To: roadrunner@acme.example.com\r\nSubject: lunch?\r\n\r\n";
    let dinner = "To: roadrunner@acme.example.com\r\nSubject: dinner?\r\n\r\n";
    let first = deliver(&script, lunch, &envelope(), &store);
    assert_eq!(reply(&first).map(|r| r.handle.as_str()), Some("ran-away"));
    assert!(reply(&deliver(&script, dinner, &envelope(), &store)).is_none());
}

#[test]
fn rfc5230_mime_and_language_examples() {
    let script = "require \"vacation\";\nvacation :mime text:\nContent-Type: multipart/alternative; boundary=foo\n\n--foo\n\nI'm at the beach relaxing.  Mmmm, surf...\n\n--foo\nContent-Type: text/html; charset=us-ascii\n\n<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.0//EN\"\n \"http://www.w3.org/TR/REC-html40/strict.dtd\">\n<HTML><HEAD><TITLE>How to relax</TITLE>\n<BASE HREF=\"http://home.example.com/pictures/\"></HEAD>\n<BODY><P>I'm at the <A HREF=\"beach.gif\">beach</A> relaxing.\nMmmm, <A HREF=\"ocean.gif\">surf</A>...\n</BODY></HTML>\n\n--foo--\n.\n;";
    let store = FakeStore::default();
    let outcome = deliver(&compile(script), PERSONAL, &envelope(), &store);
    let response = reply(&outcome).expect("reply");
    assert!(response.mime);
    let message = String::from_utf8(
        response.to_message("Mon, 1 Jan 2024 00:00:00 +0000", "<v1@acme.example.com>"),
    )
    .unwrap();
    assert!(message.contains("MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=foo\r\n\r\n--foo\r\n"), "{message}");
    assert!(!message.contains("text/plain; charset=utf-8"));
    let parsed = MessageContext::new(message.as_bytes());
    assert_eq!(
        parsed.header_values("to").collect::<Vec<_>>(),
        ["<coyote@desert.example.org>"]
    );
    assert_eq!(
        parsed.header_values("in-reply-to").collect::<Vec<_>>(),
        ["<m1@desert.example.org>"]
    );

    let language = compile(
        "require \"vacation\";\nif header :contains [\"accept-language\", \"content-language\"] \"en\"\n{\n    vacation \"I am away this week.\";\n} else {\n    vacation \"Estoy ausente esta semana.\";\n}",
    );
    let english = format!("Content-Language: en\r\n{PERSONAL}");
    let outcome = deliver(&language, &english, &envelope(), &FakeStore::default());
    assert_eq!(
        reply(&outcome).map(|r| r.reason.as_str()),
        Some("I am away this week.")
    );
    let outcome = deliver(&language, PERSONAL, &envelope(), &FakeStore::default());
    assert_eq!(
        reply(&outcome).map(|r| r.reason.as_str()),
        Some("Estoy ausente esta semana.")
    );

    let division = compile(
        "require \"vacation\";\nif address :matches \"from\" \"*@ourdivision.example.com\"\n{\n    vacation :subject \"Gone fishing\"\n             \"Having lots of fun! Back in a day or two!\";\n} else {\n    vacation :subject \"Je suis parti cette semaine\"\n             \"Je lirai votre message quand je retourne.\";\n}",
    );
    let colleague = "From: x@ourdivision.example.com\r\nTo: roadrunner@acme.example.com\r\n\r\n";
    let outcome = deliver(&division, colleague, &envelope(), &FakeStore::default());
    assert_eq!(
        reply(&outcome).map(|r| r.subject.as_str()),
        Some("Gone fishing")
    );
    let outcome = deliver(&division, PERSONAL, &envelope(), &FakeStore::default());
    assert_eq!(
        reply(&outcome).map(|r| r.subject.as_str()),
        Some("Je suis parti cette semaine")
    );
}

#[test]
fn from_subject_days_and_references() {
    let script = "require \"vacation\";\nvacation :days 0 :from \"Road Runner <rr@acme.example.com>\" :subject \"Out\" \"away\";";
    let threaded = "To: roadrunner@acme.example.com\r\nMessage-ID: <m2@x>\r\nReferences: <m0@x> <m1@x>\r\n\r\n";
    let outcome = deliver(
        &compile(script),
        threaded,
        &envelope(),
        &FakeStore::default(),
    );
    let response = reply(&outcome).unwrap();
    assert_eq!(response.from, "Road Runner <rr@acme.example.com>");
    assert_eq!(response.subject, "Out");
    assert_eq!(response.days, 1);
    assert_eq!(response.references.as_deref(), Some("<m0@x> <m1@x> <m2@x>"));
    let long = compile("require \"vacation\";\nvacation :days 1000 \"away\";");
    let outcome = deliver(&long, PERSONAL, &envelope(), &FakeStore::default());
    assert_eq!(reply(&outcome).unwrap().days, 60);
    // A :from that is invalid after expansion is ignored.
    let script = compile(
        "require [\"vacation\", \"variables\"];\nset \"f\" \"not an address\";\nvacation :from \"${f}\" \"away\";",
    );
    let outcome = deliver(&script, PERSONAL, &envelope(), &FakeStore::default());
    assert_eq!(reply(&outcome).unwrap().from, "roadrunner@acme.example.com");
    // No Message-ID: no In-Reply-To or References.
    let outcome = deliver(
        &compile(SIMPLE),
        "To: roadrunner@acme.example.com\r\n\r\n",
        &envelope(),
        &FakeStore::default(),
    );
    assert_eq!(reply(&outcome).unwrap().in_reply_to, None);
    assert_eq!(reply(&outcome).unwrap().references, None);
}

#[test]
fn vacation_errors() {
    let err = compile_error("require \"vacation\";\nvacation :from \"nobody\" \"away\";");
    assert_eq!(err.position(), Some(sieve::Position::new(2, 16)));
    let err =
        compile_error("require \"vacation\";\nvacation :mime \"Subject: caf\u{e9}\r\n\r\nbody\";");
    assert!(matches!(err, CompileError::InvalidValue { .. }), "{err}");
    let err = compile_error("require \"vacation\";\nvacation :days \"7\" \"away\";");
    assert!(err.to_string().contains("number after :days"), "{err}");
    let err = compile_error("require \"vacation\";\nvacation :subject :days 2 \"away\";");
    assert_eq!(
        err.to_string(),
        "line 2, column 19: 'vacation' expects string after :subject, found a tag"
    );
    let err = compile_error("require \"vacation\";\nvacation :days 1 :days 2 \"away\";");
    assert!(err.to_string().contains("given more than once"), "{err}");
    let err = compile_error("vacation \"away\";");
    assert!(
        matches!(
            err,
            CompileError::MissingRequire {
                extension: "vacation",
                ..
            }
        ),
        "{err}"
    );
    // Two vacations in one run is an error (RFC 5230 section 4.7).
    let script = compile("require \"vacation\";\nvacation \"a\";\nvacation \"b\";");
    let store = FakeStore::default();
    let env = Environment::new(&store);
    let err = script
        .evaluate(&MessageContext::new(PERSONAL.as_bytes()), &envelope(), &env)
        .unwrap_err();
    assert_eq!(
        err,
        RuntimeError::DuplicateVacation {
            at: sieve::Position::new(3, 1)
        }
    );
    assert!(store.recorded.borrow().is_empty());
    // A global configuration can leave vacation out.
    let config = sieve::Config::default().without(sieve::Extension::Vacation);
    let err = Script::compile_with(SIMPLE.as_bytes(), &config).unwrap_err();
    assert!(
        matches!(err, CompileError::UnsupportedExtension { .. }),
        "{err}"
    );
    assert!(!config.capability_string().contains("vacation"));
    assert!(
        sieve::Config::default()
            .capability_string()
            .contains("vacation")
    );
}
