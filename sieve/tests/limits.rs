//! Runaway and hostile scripts: every limit gives a clear error, nothing panics.

mod common;

use common::*;
use proptest::prelude::*;
use sieve::{
    CompileError, Config, Envelope, Environment, MemoryVacationStore, MessageContext, Position,
    RuntimeError, Script,
};

fn run_err(script: &str, config: &Config, message: &str) -> RuntimeError {
    let compiled = Script::compile_with(script.as_bytes(), config).expect("compiles");
    let store = MemoryVacationStore::new();
    let env = Environment::new(&store);
    compiled
        .evaluate(&MessageContext::new(message.as_bytes()), &envelope(), &env)
        .expect_err("run fails")
}

#[test]
fn script_size() {
    let config = Config {
        max_script_size: 100,
        ..Config::default()
    };
    let big = format!("# {}\nkeep;", "x".repeat(200));
    let err = Script::compile_with(big.as_bytes(), &config).unwrap_err();
    assert_eq!(
        err,
        CompileError::ScriptTooLarge {
            size: 208,
            limit: 100
        }
    );
    assert!(err.to_string().contains("exceeds the limit of 100 bytes"));
}

#[test]
fn nesting_depth() {
    // RFC 5228 section 2.10.7: at least 15 nested blocks and 15 nested test lists.
    let blocks = "if true {".repeat(15) + "keep;" + &"}".repeat(15);
    compile(&blocks);
    let tests = "if ".to_owned() + &"anyof(".repeat(15) + "true" + &")".repeat(15) + " { keep; }";
    compile(&tests);
    let too_deep = "if true {\n".repeat(40) + &"}".repeat(40);
    let err = compile_error(&too_deep);
    assert_eq!(
        err,
        CompileError::NestingTooDeep {
            at: Position::new(33, 9),
            limit: 32
        }
    );
    let config = Config {
        max_nesting_depth: 3,
        ..Config::default()
    };
    let err = Script::compile_with(b"if not not not not true {}", &config).unwrap_err();
    assert!(
        matches!(err, CompileError::NestingTooDeep { limit: 3, .. }),
        "{err}"
    );
    // Hostile depth is refused without exhausting the stack.
    let hostile = "if ".to_owned() + &"not ".repeat(200_000) + "true {}";
    assert!(matches!(
        compile_error(&hostile),
        CompileError::NestingTooDeep { .. }
    ));
    let hostile = "if ".to_owned() + &"anyof(".repeat(100_000);
    let err = compile_error(&hostile);
    assert!(matches!(err, CompileError::NestingTooDeep { .. }), "{err}");
}

#[test]
fn instruction_limit() {
    let config = Config {
        max_instructions: 50,
        ..Config::default()
    };
    let script = "keep;\n".repeat(60);
    let err = run_err(&script, &config, MESSAGE_A);
    assert_eq!(
        err,
        RuntimeError::InstructionLimit {
            at: Position::new(51, 1),
            limit: 50
        }
    );
    // Comparisons count too: many headers times many keys.
    let headers = "Received: x\r\n".repeat(100);
    let err = run_err(
        "if header :is \"Received\" [\"a\", \"b\", \"c\"] { keep; }",
        &config,
        &format!("{headers}\r\n"),
    );
    assert!(
        matches!(err, RuntimeError::InstructionLimit { limit: 50, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("more than 50 instructions"));
}

#[test]
fn wildcard_work_limit() {
    let config = Config {
        max_match_steps: 10_000,
        ..Config::default()
    };
    let value = "a".repeat(3000);
    let pattern = "*".to_owned() + &"a".repeat(50) + "b";
    let script = format!("if header :matches \"X\" \"{pattern}\" {{ discard; }}");
    let err = run_err(&script, &config, &format!("X: {value}\r\n\r\n"));
    assert_eq!(
        err,
        RuntimeError::MatchLimit {
            at: Position::new(1, 4),
            limit: 10_000
        }
    );
    // The same test is fine with the default budget.
    assert_eq!(
        run(&script, &format!("X: {value}\r\n\r\n")).actions,
        vec![keep()]
    );
}

#[test]
fn redirect_limit() {
    let script = "redirect \"a@example.com\";\nredirect \"b@example.com\";\nredirect \"a@example.com\";\nredirect \"c@example.com\";\nredirect \"d@example.com\";\nredirect \"e@example.com\";";
    let err = run_err(script, &Config::default(), MESSAGE_A);
    assert_eq!(
        err,
        RuntimeError::RedirectLimit {
            at: Position::new(6, 1),
            limit: 4
        }
    );
    let four = script.rsplit_once('\n').unwrap().0;
    assert_eq!(run(four, MESSAGE_A).actions.len(), 4);
}

#[test]
fn action_limit() {
    let config = Config {
        max_actions: 3,
        ..Config::default()
    };
    let script = "require \"fileinto\";\nfileinto \"a\"; fileinto \"b\"; fileinto \"a\"; fileinto \"c\";\nfileinto \"d\";";
    let err = run_err(script, &config, MESSAGE_A);
    assert_eq!(
        err,
        RuntimeError::ActionLimit {
            at: Position::new(3, 1),
            limit: 3
        }
    );
    // The implicit keep is always allowed on top.
    let ok = Script::compile_with(
        b"require [\"fileinto\", \"copy\"]; fileinto :copy \"a\";",
        &Config {
            max_actions: 1,
            ..Config::default()
        },
    )
    .unwrap();
    let store = MemoryVacationStore::new();
    let outcome = ok
        .evaluate(
            &MessageContext::new(MESSAGE_A.as_bytes()),
            &envelope(),
            &Environment::new(&store),
        )
        .unwrap();
    assert_eq!(outcome.actions.len(), 2);
}

#[test]
fn variable_limits() {
    let config = Config {
        max_variable_size: 10,
        max_variables: 2,
        ..Config::default()
    };
    let err = run_err(
        "require \"variables\";\nset \"a\" \"0123456789x\";",
        &config,
        MESSAGE_A,
    );
    assert_eq!(
        err,
        RuntimeError::VariableTooLarge {
            at: Position::new(2, 1),
            name: "a".into(),
            limit: 10
        }
    );
    let err = run_err(
        "require \"variables\";\nset \"a\" \"1\"; set \"b\" \"2\"; set \"a\" \"3\";\nset \"c\" \"4\";",
        &config,
        MESSAGE_A,
    );
    assert_eq!(
        err,
        RuntimeError::TooManyVariables {
            at: Position::new(3, 1),
            limit: 2
        }
    );
    // Expansion may add at most one variable's worth to the literal text.
    let err = run_err(
        "require [\"variables\", \"fileinto\"];\nset \"a\" \"0123456789\";\nfileinto \"${a}${a}\";",
        &config,
        MESSAGE_A,
    );
    assert_eq!(
        err,
        RuntimeError::ExpansionTooLarge {
            at: Position::new(3, 1),
            limit: 10
        }
    );
    // Flag variables are bounded as well.
    let err = run_err(
        "require [\"imap4flags\"];\naddflag \"aaaaaa\";\naddflag \"bbbbbb\";",
        &config,
        MESSAGE_A,
    );
    assert!(
        matches!(err, RuntimeError::VariableTooLarge { at, .. } if at == Position::new(3, 1)),
        "{err}"
    );
    // Match variables are truncated, not an error.
    let script = "require [\"variables\", \"fileinto\"];\nif header :matches \"Subject\" \"*\" { fileinto \"${1}\"; }";
    let compiled = Script::compile_with(script.as_bytes(), &config).unwrap();
    let store = MemoryVacationStore::new();
    let outcome = compiled
        .evaluate(
            &MessageContext::new(MESSAGE_A.as_bytes()),
            &envelope(),
            &Environment::new(&store),
        )
        .unwrap();
    assert_eq!(outcome.mailboxes().collect::<Vec<_>>(), ["I have a p"]);
}

#[test]
fn runtime_address_validation() {
    let script = "require \"variables\";\nset \"to\" \"not an address\";\nredirect \"${to}\";";
    let err = run_err(script, &Config::default(), MESSAGE_A);
    assert_eq!(
        err,
        RuntimeError::InvalidAddress {
            at: Position::new(3, 1),
            address: "not an address".into()
        }
    );
    let ok = "require \"variables\";\nif header :matches \"From\" \"*\" { redirect \"${1}\"; }";
    assert_eq!(
        run(ok, MESSAGE_A).actions,
        vec![redirect("coyote@desert.example.org")]
    );
}

#[test]
fn null_sender_and_odd_messages() {
    let store = MemoryVacationStore::new();
    let env = Environment::new(&store);
    let script = compile(RICH_SCRIPT);
    for message in [
        "",
        "\r\n",
        "no colon line\r\n\r\nbody",
        "Content-Type: multipart/mixed\r\n\r\nno boundary",
        "Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n--\r\n",
        "Content-Type: message/rfc822\r\n\r\n",
        "Subject: =?utf-8?b?====?= =?x?q?=ZZ?=\r\n\r\n",
        "From: \"unterminated\r\nTo: (comment <a@b>\r\n\r\n",
    ] {
        let outcome = script.evaluate(
            &MessageContext::new(message.as_bytes()),
            &Envelope::new("", ""),
            &env,
        );
        assert!(outcome.is_ok(), "{message:?}: {outcome:?}");
    }
}

/// Uses most tests and actions, to run against random messages.
const RICH_SCRIPT: &str = r#"require ["fileinto", "envelope", "body", "variables", "imap4flags", "relational",
         "comparator-i;ascii-numeric", "vacation", "subaddress", "mailbox", "copy"];
if header :matches "Subject" "*[*]*" { set "tag" "${2}"; addflag "$T"; }
if address :domain :matches ["From", "To", "Cc"] "*.*" { set :lower "dom" "${1}"; }
if envelope :detail "to" "*" { fileinto :copy "detail.${1}"; }
if header :count "ge" :comparator "i;ascii-numeric" "Received" "3" { addflag "\\Flagged"; }
if header :value "gt" :comparator "i;ascii-numeric" "X-Spam-Score" "5" { fileinto "Junk"; }
if body :content "text" :contains ["a", "b"] { setflag "x" "y"; }
if body :raw :matches "*?*?*" { set :length "len" "${0}"; }
if body :text :contains "z" { stop; }
if hasflag :contains "$t" { vacation :subject "${tag}" "away ${dom}"; }
if mailboxexists "Junk" { keep :flags "\\Seen"; }
"#;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn compile_never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = Script::compile_with(&bytes, &Config::default());
    }

    #[test]
    fn compile_and_run_never_panic_on_token_soup(
        tokens in proptest::collection::vec(proptest::sample::select(TOKENS.to_vec()), 0..60),
        message in proptest::collection::vec(proptest::sample::select(MESSAGE_PIECES.to_vec()), 0..12),
    ) {
        let source = tokens.join(" ");
        if let Ok(script) = Script::compile(&source) {
            let message = message.concat();
            let store = MemoryVacationStore::new();
            let env = Environment::new(&store);
            let _ = script.evaluate(&MessageContext::new(message.as_bytes()), &envelope(), &env);
        }
    }

    #[test]
    fn run_never_panics_on_random_messages(
        bytes in proptest::collection::vec(any::<u8>(), 0..800),
        from in "[a-z+@.<>-]{0,20}",
        to in "[a-z+@.-]{0,20}",
    ) {
        let script = compile(RICH_SCRIPT);
        let store = MemoryVacationStore::new();
        let env = Environment::new(&store);
        let _ = script.evaluate(&MessageContext::new(&bytes), &Envelope::new(from, to), &env);
    }
}

const TOKENS: &[&str] = &[
    "require",
    "[\"fileinto\", \"variables\", \"imap4flags\", \"relational\", \"body\", \"vacation\", \"envelope\", \"copy\", \"mailbox\", \"subaddress\", \"encoded-character\", \"comparator-i;ascii-numeric\"]",
    ";",
    "if",
    "elsif",
    "else",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ",",
    "not",
    "anyof",
    "allof",
    "true",
    "false",
    "header",
    "address",
    "envelope",
    "exists",
    "size",
    "string",
    "hasflag",
    "body",
    "mailboxexists",
    "keep",
    "discard",
    "stop",
    "fileinto",
    "redirect",
    "vacation",
    "set",
    "setflag",
    "addflag",
    "removeflag",
    ":is",
    ":contains",
    ":matches",
    ":count",
    ":value",
    ":comparator",
    ":over",
    ":under",
    ":all",
    ":localpart",
    ":domain",
    ":user",
    ":detail",
    ":copy",
    ":flags",
    ":create",
    ":days",
    ":subject",
    ":from",
    ":addresses",
    ":mime",
    ":handle",
    ":raw",
    ":content",
    ":text",
    ":lower",
    ":upper",
    ":length",
    ":quotewildcard",
    "\"Subject\"",
    "\"from\"",
    "\"to\"",
    "\"*\"",
    "\"?*\"",
    "\"a@b.c\"",
    "\"${1}\"",
    "\"${x}\"",
    "\"x\"",
    "\"ge\"",
    "\"i;ascii-numeric\"",
    "\"i;octet\"",
    "\"${hex:41}\"",
    "\"text\"",
    "\"\\\\Seen\"",
    "0",
    "1",
    "10K",
    "4G",
    "text:\n.\n",
    "text:\nline\n..x\n.\n",
    "#c\n",
    "/* c */",
];

const MESSAGE_PIECES: &[&str] = &[
    "Subject: a [tag] b\r\n",
    "From: A <a@b.example>\r\n",
    "To: x+y@z.example, g: h@i;\r\n",
    "Received: r\r\n",
    "X-Spam-Score: 9\r\n",
    "Content-Type: multipart/mixed; boundary=q\r\n",
    "Content-Transfer-Encoding: base64\r\n",
    "\r\n",
    "--q\r\n",
    "--q--\r\n",
    "body text z\r\n",
    "=?utf-8?q?=C3=A9?=\r\n",
    "Content-Type: message/rfc822\r\n",
];
