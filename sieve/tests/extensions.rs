//! Known-answer tests for the extensions, with the examples of their RFCs.

mod common;

use common::*;
use sieve::{Action, CompileError, Envelope, Environment, MemoryVacationStore, Position};

fn fileinto_flags(mailbox: &str, flags: &[&str]) -> Action {
    Action::FileInto {
        mailbox: mailbox.into(),
        flags: flags.iter().map(|f| (*f).to_owned()).collect(),
        create: false,
        copy: false,
    }
}

fn keep_flags(flags: &[&str]) -> Action {
    Action::Keep {
        flags: flags.iter().map(|f| (*f).to_owned()).collect(),
    }
}

// --- RFC 3894 copy -------------------------------------------------------------

#[test]
fn rfc3894_copy() {
    let outcome = run(
        "require [\"copy\", \"fileinto\"];\nfileinto :copy \"incoming\";",
        MESSAGE_A,
    );
    assert_eq!(
        outcome.actions,
        vec![
            Action::FileInto {
                mailbox: "incoming".into(),
                flags: vec![],
                create: false,
                copy: true
            },
            keep()
        ]
    );
    assert!(outcome.implicit_keep);
    let outcome = run(
        "require \"copy\";\nredirect :copy \"sent@example.com\";",
        MESSAGE_A,
    );
    assert_eq!(
        outcome.actions,
        vec![
            Action::Redirect {
                address: "sent@example.com".into(),
                copy: true
            },
            keep()
        ]
    );
    // :copy does not cancel the implicit keep, a plain redirect does.
    let outcome = run(
        "require \"copy\";\nredirect :copy \"a@example.com\"; redirect \"b@example.com\";",
        MESSAGE_A,
    );
    assert!(!outcome.implicit_keep);
    assert_eq!(outcome.actions.len(), 2);
    let err = compile_error("redirect :copy \"a@example.com\";");
    assert!(
        matches!(
            err,
            CompileError::MissingRequire {
                extension: "copy",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(err.position(), Some(Position::new(1, 10)));
    let err = compile_error("require \"copy\"; redirect :copy :copy \"a@example.com\";");
    assert!(err.to_string().contains("given more than once"), "{err}");
}

// --- RFC 5490 mailbox ----------------------------------------------------------

#[test]
fn rfc5490_mailboxexists_and_create() {
    let script = "require [\"fileinto\", \"mailbox\"];\nif mailboxexists \"Partners\" {\n   fileinto \"Partners\";\n} else {\n   fileinto :create \"Others\";\n}";
    let store = MemoryVacationStore::new();
    let exists = |name: &str| matches!(name, "INBOX" | "Partners");
    let env = Environment::new(&store).with_mailboxes(&exists);
    assert_eq!(
        run_with(script, MESSAGE_A, &envelope(), &env).actions,
        vec![fileinto("Partners")]
    );
    let none = |_: &str| false;
    let env = Environment::new(&store).with_mailboxes(&none);
    assert_eq!(
        run_with(script, MESSAGE_A, &envelope(), &env).actions,
        vec![Action::FileInto {
            mailbox: "Others".into(),
            flags: vec![],
            create: true,
            copy: false
        }]
    );
    // All listed mailboxes must exist.
    let all = "require [\"fileinto\", \"mailbox\"];\nif mailboxexists [\"Partners\", \"Missing\"] { discard; }";
    let env = Environment::new(&store).with_mailboxes(&exists);
    assert_eq!(
        run_with(all, MESSAGE_A, &envelope(), &env).actions,
        vec![keep()]
    );
    // By default only INBOX exists.
    assert!(holds(", \"mailbox\"", "mailboxexists \"INBOX\"", MESSAGE_A));
    assert!(!holds(", \"mailbox\"", "mailboxexists \"Junk\"", MESSAGE_A));
    let err = compile_error("require \"fileinto\"; fileinto :create \"x\";");
    assert!(
        matches!(
            err,
            CompileError::MissingRequire {
                extension: "mailbox",
                ..
            }
        ),
        "{err}"
    );
    let err = compile_error("if mailboxexists \"x\" {}");
    assert!(
        matches!(
            err,
            CompileError::MissingRequire {
                extension: "mailbox",
                ..
            }
        ),
        "{err}"
    );
}

// --- RFC 5232 imap4flags -------------------------------------------------------

#[test]
fn rfc5232_internal_flags_apply_to_keep_and_fileinto() {
    let script = "require [\"imap4flags\", \"fileinto\"];\nif header :contains \"Subject\" \"present\" {\n   setflag \"\\\\Flagged\";\n   fileinto \"INBOX.important\";\n}";
    assert_eq!(
        run(script, MESSAGE_A).actions,
        vec![fileinto_flags("INBOX.important", &["\\Flagged"])]
    );
    // The implicit keep uses the internal variable as it is at the end.
    let outcome = run(
        "require \"imap4flags\"; addflag \"\\\\Seen\"; addflag [\"$Label1\", \"\\\\seen\"];",
        MESSAGE_A,
    );
    assert_eq!(outcome.actions, vec![keep_flags(&["\\Seen", "$Label1"])]);
    // :flags replaces the internal variable for that action only.
    let outcome = run(
        "require [\"imap4flags\", \"fileinto\"]; setflag \"\\\\Seen\"; fileinto :flags \"$A $B\" \"x\"; keep;",
        MESSAGE_A,
    );
    assert_eq!(
        outcome.actions,
        vec![fileinto_flags("x", &["$A", "$B"]), keep_flags(&["\\Seen"])]
    );
    let outcome = run(
        "require \"imap4flags\"; setflag \"A B C\"; removeflag \"b\"; keep :flags [\"\\\\Deleted\", \"\\\\Recent\"];",
        MESSAGE_A,
    );
    assert_eq!(outcome.actions, vec![keep_flags(&["\\Deleted"])]);
}

#[test]
fn rfc5232_example_with_variables() {
    let script = r#"require ["imap4flags", "fileinto", "variables"];
if size :over 1M {
    addflag "MyFlags" "Big";
    if header :is "From" "boss@company.example.com" {
        # The message will be marked as "\Flagged Big" when filed into
        # mailbox "Big messages"
        addflag "MyFlags" "\\Flagged";
    }
    fileinto :flags "${MyFlags}" "Big messages";
}
if header :is "From" "grandma@example.net" {
    addflag "MyFlags" ["\\Answered", "$MDNSent"];
    fileinto :flags "${MyFlags}" "GrandMa";
}
if header :contains "Subject" "Order" {
    setflag "MyFlags" "$Ordered";
    fileinto :flags "${MyFlags}" "Orders";
}
"#;
    let big_boss = format!(
        "From: boss@company.example.com\r\n\r\n{}",
        "x".repeat(1 << 20)
    );
    assert_eq!(
        run(script, &big_boss).actions,
        vec![fileinto_flags("Big messages", &["Big", "\\Flagged"])]
    );
    let grandma = "From: grandma@example.net\r\nSubject: Order\r\n\r\nhi";
    assert_eq!(
        run(script, grandma).actions,
        vec![
            fileinto_flags("GrandMa", &["\\Answered", "$MDNSent"]),
            fileinto_flags("Orders", &["$Ordered"]),
        ]
    );
    let big_grandma = format!("From: grandma@example.net\r\n\r\n{}", "x".repeat(1 << 20));
    assert_eq!(
        run(script, &big_grandma).actions,
        vec![
            fileinto_flags("Big messages", &["Big"]),
            fileinto_flags("GrandMa", &["Big", "\\Answered", "$MDNSent"]),
        ]
    );
}

#[test]
fn rfc5232_hasflag() {
    let req = ", \"imap4flags\", \"variables\", \"relational\", \"comparator-i;ascii-numeric\"";
    let with =
        |setup: &str, test: &str| holds(req, &format!("true {{ }} {setup} if {test}"), MESSAGE_A);
    assert!(with("setflag \"A B\";", "hasflag [\"b\", \"A\"]"));
    assert!(with("setflag \"A B\";", "hasflag :is \"b A\""));
    assert!(!with("setflag \"A B\";", "hasflag \"C\""));
    assert!(!with("", "hasflag \"\\\\Seen\""));
    assert!(!with("setflag \"\";", "hasflag \"\""));
    let my_var = "set \"MyVar\" \"NonJunk Junk gnus-forward $Forwarded NotJunk JunkRecorded $Junk $NotJunk\";";
    assert!(with(my_var, "hasflag :contains \"MyVar\" \"Junk\""));
    assert!(with(my_var, "hasflag :contains \"MyVar\" \"forward\""));
    assert!(with(
        my_var,
        "hasflag :contains \"MyVar\" [\"label\", \"forward\"]"
    ));
    assert!(with(
        my_var,
        "hasflag :contains \"MyVar\" [\"junk\", \"forward\"]"
    ));
    assert!(with(my_var, "hasflag :contains \"MyVar\" \"junk forward\""));
    assert!(!with(my_var, "hasflag :contains \"MyVar\" \"label\""));
    assert!(!with(
        my_var,
        "hasflag :contains \"MyVar\" [\"label1\", \"label2\"]"
    ));
    assert!(with(
        "set \"MyFlags\" \"A B\";",
        "hasflag :count \"ge\" :comparator \"i;ascii-numeric\" \"MyFlags\" \"2\""
    ));
    assert!(with(
        "set \"Flags\" \"A B C D E F A B C D E F\";",
        "hasflag :count \"eq\" :comparator \"i;ascii-numeric\" \"Flags\" \"6\""
    ));
    assert!(with(
        "setflag \"A\" \"Aflag\"; setflag \"B\" \"Bflag\";",
        "hasflag [\"a\", \"b\", \"c\"] \"bflag\""
    ));
    assert!(with(
        "setflag \"\\\\seen $x\"; removeflag \"$X\";",
        "hasflag :count \"eq\" :comparator \"i;ascii-numeric\" \"1\""
    ));
    assert!(with(
        "setflag \"frop\" \"A\"; addflag \"frop\" [\"C\", \"D\", \"E F\"];",
        "hasflag :count \"eq\" :comparator \"i;ascii-numeric\" \"frop\" \"5\""
    ));
    assert!(with("setflag \"$Foo\";", "hasflag :matches \"$f?o\""));
}

#[test]
fn imap4flags_errors() {
    let err = compile_error("setflag \"x\";");
    assert!(
        matches!(
            err,
            CompileError::MissingRequire {
                extension: "imap4flags",
                ..
            }
        ),
        "{err}"
    );
    let err = compile_error("require \"imap4flags\"; setflag \"var\" \"x\";");
    assert!(
        matches!(
            err,
            CompileError::MissingRequire {
                extension: "variables",
                ..
            }
        ),
        "{err}"
    );
    let err = compile_error("require [\"imap4flags\", \"variables\"]; setflag \"1bad\" \"x\";");
    assert_eq!(err.position(), Some(Position::new(1, 46)));
    let err = compile_error("require \"imap4flags\"; keep :flags \"a\" :flags \"b\";");
    assert!(err.to_string().contains("given more than once"), "{err}");
    let err = compile_error("keep :flags \"a\";");
    assert!(
        matches!(
            err,
            CompileError::MissingRequire {
                extension: "imap4flags",
                ..
            }
        ),
        "{err}"
    );
}

// --- RFC 5231 relational -------------------------------------------------------

const RELATIONAL_MESSAGE: &str = "Received: ...\r\nReceived: ...\r\nSubject: example\r\nTo: foo@example.com, baz@example.com\r\nCC: qux@example.com\r\n\r\nRFC Example\r\n";

#[test]
fn rfc5231_examples() {
    let req = ", \"relational\", \"comparator-i;ascii-numeric\"";
    let m = RELATIONAL_MESSAGE;
    assert!(holds(
        req,
        r#"address :count "ge" :comparator "i;ascii-numeric" ["to", "cc"] ["3"]"#,
        m
    ));
    assert!(!holds(
        req,
        r#"anyof (address :count "ge" :comparator "i;ascii-numeric" ["to"] ["3"], address :count "ge" :comparator "i;ascii-numeric" ["cc"] ["3"])"#,
        m
    ));
    assert!(!holds(
        req,
        r#"header :count "ge" :comparator "i;ascii-numeric" ["received"] ["3"]"#,
        m
    ));
    assert!(holds(
        req,
        r#"header :count "ge" :comparator "i;ascii-numeric" ["received", "subject"] ["3"]"#,
        m
    ));
    assert!(!holds(
        req,
        r#"header :count "ge" :comparator "i;ascii-numeric" ["to", "cc"] ["3"]"#,
        m
    ));
}

#[test]
fn relational_values_and_counts() {
    let req = ", \"relational\", \"comparator-i;ascii-numeric\"";
    let spam = "X-Spam-Score: 7.5 / 15.0\r\nX-Priority: 2\r\n\r\n";
    assert!(holds(
        req,
        r#"header :value "ge" :comparator "i;ascii-numeric" "X-Spam-Score" "5""#,
        spam
    ));
    assert!(!holds(
        req,
        r#"header :value "gt" :comparator "i;ascii-numeric" "X-Spam-Score" "7""#,
        spam
    ));
    assert!(holds(
        req,
        r#"header :value "eq" :comparator "i;ascii-numeric" "X-Spam-Score" "7""#,
        spam
    ));
    assert!(holds(
        req,
        r#"header :value "lt" :comparator "i;ascii-numeric" "X-Priority" ["1", "3"]"#,
        spam
    ));
    assert!(holds(
        req,
        r#"header :value "ne" :comparator "i;ascii-numeric" "X-Priority" "3""#,
        spam
    ));
    assert!(!holds(
        req,
        r#"header :value "le" :comparator "i;ascii-numeric" "X-Priority" "1""#,
        spam
    ));
    // Non-numeric values are +infinity: greater than any number.
    assert!(holds(
        req,
        r#"header :value "gt" :comparator "i;ascii-numeric" "X-Spam-Score" "99999999999999999999""#,
        "X-Spam-Score: n/a\r\n\r\n"
    ));
    // A missing header has no value, and a count of 0.
    assert!(!holds(
        req,
        r#"header :value "lt" :comparator "i;ascii-numeric" "X-None" "5""#,
        spam
    ));
    assert!(holds(
        req,
        r#"header :count "eq" :comparator "i;ascii-numeric" "X-None" "0""#,
        spam
    ));
    // The default comparator orders strings.
    assert!(holds(
        req,
        r#"header :value "gt" "Subject" "aaa""#,
        RELATIONAL_MESSAGE
    ));
    assert!(holds(
        req,
        r#"header :value "lt" "Subject" "EXZ""#,
        RELATIONAL_MESSAGE
    ));
    assert!(holds(
        req,
        r#"address :count "eq" :comparator "i;ascii-numeric" "to" "2""#,
        RELATIONAL_MESSAGE
    ));
    assert!(holds(
        req,
        r#"header :value "GE" :comparator "i;octet" "Subject" "example""#,
        RELATIONAL_MESSAGE
    ));
    let err = compile_error("require \"relational\"; if header :value \"gx\" \"a\" \"b\" {}");
    assert!(
        err.to_string()
            .contains("invalid relational operator \"gx\""),
        "{err}"
    );
    let err = compile_error("if header :count \"eq\" \"a\" \"1\" {}");
    assert!(
        matches!(
            err,
            CompileError::MissingRequire {
                extension: "relational",
                ..
            }
        ),
        "{err}"
    );
    let err = compile_error(
        "require \"relational\"; if header :count \"eq\" :value \"eq\" \"a\" \"1\" {}",
    );
    assert!(err.to_string().contains("only one match type"), "{err}");
}

// --- RFC 5229 variables --------------------------------------------------------

/// The value of `${name}` after `setup`.
fn variable_after(setup: &str, name: &str) -> String {
    let script = format!(
        "require [\"variables\", \"fileinto\", \"envelope\", \"relational\", \"imap4flags\"];\n{setup}\nfileinto \"${{{name}}}\";"
    );
    let outcome = run(&script, MESSAGE_A);
    match outcome.actions.first() {
        Some(Action::FileInto { mailbox, .. }) => mailbox.clone(),
        other => panic!("no fileinto: {other:?}"),
    }
}

#[test]
fn rfc5229_modifiers() {
    let a = "set \"a\" \"juMBlEd lETteRS\";";
    assert_eq!(variable_after(a, "a"), "juMBlEd lETteRS");
    assert_eq!(
        variable_after(&format!("{a} set :length \"b\" \"${{a}}\";"), "b"),
        "15"
    );
    assert_eq!(
        variable_after(&format!("{a} set :lower \"b\" \"${{a}}\";"), "b"),
        "jumbled letters"
    );
    assert_eq!(
        variable_after(&format!("{a} set :upperfirst \"b\" \"${{a}}\";"), "b"),
        "JuMBlEd lETteRS"
    );
    assert_eq!(
        variable_after(
            &format!("{a} set :upperfirst :lower \"b\" \"${{a}}\";"),
            "b"
        ),
        "Jumbled letters"
    );
    assert_eq!(
        variable_after("set :quotewildcard \"b\" \"Rock*\";", "b"),
        "Rock\\*"
    );
    assert_eq!(
        variable_after("set :upper :length \"b\" \"héllo\";", "b"),
        "5"
    );
    assert_eq!(variable_after("set :lowerfirst \"b\" \"ABC\";", "b"), "aBC");
    let err = compile_error("require \"variables\"; set :lower :upper \"b\" \"x\";");
    assert!(err.to_string().contains("same precedence"), "{err}");
    assert_eq!(err.position(), Some(Position::new(1, 33)));
}

#[test]
fn rfc5229_expansion() {
    let script = "require \"variables\";\nset \"honorific\"  \"Mr\";\nset \"first_name\" \"Wile\";\nset \"last_name\"  \"Coyote\";\nset \"vacation\" text:\nDear ${HONORIFIC} ${last_name},\nI'm out, please leave a message after the meep.\n.\n;";
    let value = variable_after(&script["require \"variables\";\n".len()..], "vacation");
    assert_eq!(
        value,
        "Dear Mr Coyote,\nI'm out, please leave a message after the meep.\n"
    );
    let company = "set \"company\" \"ACME\";";
    assert_eq!(
        variable_after(&format!("{company} set \"x\" \"${{BAD${{Company}}\";"), "x"),
        "${BADACME"
    );
    assert_eq!(
        variable_after(
            &format!("{company} set \"x\" \"${{President, ${{Company}} Inc.}}\";"),
            "x"
        ),
        "${President, ACME Inc.}"
    );
    assert_eq!(variable_after("set \"x\" \"&%${}!\";", "x"), "&%${}!");
    assert_eq!(variable_after("set \"x\" \"${doh!}\";", "x"), "${doh!}");
    assert_eq!(variable_after("set \"x\" \"[${unknown}]\";", "x"), "[]");
    assert_eq!(
        variable_after("set \"x\" \"a\"; set \"x\" \"${x}${x}\";", "x"),
        "aa"
    );
    // Expansion happens once: a value that looks like a reference stays literal.
    assert_eq!(
        variable_after("set \"y\" \"${x}\"; set \"x\" \"${y}\";", "x"),
        ""
    );
    assert_eq!(
        variable_after("set \"y\" \"$\"; set \"x\" \"${y}{y}\";", "x"),
        "${y}"
    );
    let err = compile_error("require \"variables\";\nset \"1\" \"x\";");
    assert_eq!(err.position(), Some(Position::new(2, 5)));
    let err = compile_error("require \"variables\";\nset \"env.x\" \"x\";");
    assert!(err.to_string().contains("invalid variable name"), "{err}");
    let err = compile_error("require \"variables\";\nset \"x\" \"${env.user}\";");
    assert!(
        err.to_string()
            .contains("unsupported variable namespace 'env'"),
        "{err}"
    );
    let err = compile_error("set \"x\" \"y\";");
    assert!(
        matches!(
            err,
            CompileError::MissingRequire {
                extension: "variables",
                ..
            }
        ),
        "{err}"
    );
    // Without the extension "${x}" is just text.
    assert_eq!(
        run("require \"fileinto\"; fileinto \"${x}\";", MESSAGE_A).actions,
        vec![fileinto("${x}")]
    );
}

#[test]
fn rfc5229_match_variables() {
    let script = r#"require ["fileinto", "variables"];
if header :matches "List-ID" "*<*@*" {
    fileinto "INBOX.lists.${2}"; stop;
}
# Imagine the header
# Subject: [acme-users] [fwd] version 1.0 is out
if header :matches "Subject" "[*] *" {
    # ${1} will hold "acme-users",
    # ${2} will hold "[fwd] version 1.0 is out"
    fileinto "INBOX.lists.${1}"; stop;
}
# Imagine the header
# To: coyote@ACME.Example.COM
if address :matches ["To", "Cc"] ["coyote@**.com",
        "wile@**.com"] {
    # ${0} is the matching address
    # ${1} is always the empty string
    # ${2} is part of the domain name ("ACME.Example")
    fileinto "INBOX.business.${2}"; stop;
} else {
    # Control wouldn't reach this block if any match was
    # successful, so no match variables are set at this
    # point.
}
if anyof (true, address :domain :matches "To" "*.com") {
    # The second test is never evaluated, so there are
    # still no match variables set.
    fileinto "INBOX.unclassified.[${0}][${1}]";
    stop;
}
"#;
    let list = "List-ID: Sieve <sieve@lists.example.org>\r\n\r\n";
    assert_eq!(
        run(script, list).actions,
        vec![fileinto("INBOX.lists.sieve")]
    );
    let subject = "Subject: [acme-users] [fwd] version 1.0 is out\r\n\r\n";
    assert_eq!(
        run(script, subject).actions,
        vec![fileinto("INBOX.lists.acme-users")]
    );
    let to = "To: coyote@ACME.Example.COM\r\n\r\n";
    assert_eq!(
        run(script, to).actions,
        vec![fileinto("INBOX.business.ACME.Example")]
    );
    let other = "To: someone@example.org\r\n\r\n";
    assert_eq!(
        run(script, other).actions,
        vec![fileinto("INBOX.unclassified.[][]")]
    );

    // ${0} is the whole value; a failed test leaves the variables alone.
    let script = "require [\"fileinto\", \"variables\"];\nif header :matches \"Subject\" \"I * a *\" { }\nif header :matches \"Subject\" \"nomatch*\" { }\nfileinto \"${0}|${1}|${2}|${3}\";";
    assert_eq!(
        run(script, MESSAGE_A).actions,
        vec![fileinto("I have a present for you|have|present for you|")]
    );
    // :is and :contains do not set them.
    let script = "require [\"fileinto\", \"variables\"];\nif header :matches \"Subject\" \"* *\" { }\nif header :contains \"Subject\" \"have\" { }\nfileinto \"${1}\";";
    assert_eq!(run(script, MESSAGE_A).actions, vec![fileinto("I")]);
    // ? captures one character.
    let script = "require [\"fileinto\", \"variables\"];\nif envelope :matches \"from\" \"?o*@*\" { fileinto \"${1}-${2}-${3}\"; }";
    let script = script.replace(
        "\"fileinto\", \"variables\"",
        "\"fileinto\", \"variables\", \"envelope\"",
    );
    assert_eq!(
        run(&script, MESSAGE_A).actions,
        vec![fileinto("c-yote-desert.example.org")]
    );
}

#[test]
fn rfc5229_string_test() {
    let req = ", \"variables\", \"relational\", \"comparator-i;ascii-numeric\"";
    let test = |setup: &str, t: &str| holds(req, &format!("true {{}} {setup} if {t}"), MESSAGE_A);
    assert!(test(
        "set \"state\" \"${state} pending\";",
        "string :matches \" ${state} \" \"* pending *\""
    ));
    assert!(test("set \"a\" \"x\";", "string :is \"${a}\" \"X\""));
    assert!(!test(
        "set \"a\" \"x\";",
        "string :is :comparator \"i;octet\" \"${a}\" \"X\""
    ));
    assert!(test(
        "",
        "string :count \"eq\" :comparator \"i;ascii-numeric\" [\"a\", \"\", \"b\"] \"2\""
    ));
    assert!(test(
        "",
        "string :count \"eq\" :comparator \"i;ascii-numeric\" \"\" \"0\""
    ));
    assert!(test("", "string :is \"${nothing}\" \"\""));
}

// --- RFC 5173 body -------------------------------------------------------------

const BODY_EXAMPLE: &str = "From: Whomever\r\n\
To: Someone\r\n\
Date: Whenever\r\n\
Subject: whatever\r\n\
Content-Type: multipart/mixed; boundary=outer\r\n\
\r\n\
This is a multi-part message in MIME format.\r\n\
\r\n\
--outer\r\n\
Content-Type: multipart/alternative; boundary=inner\r\n\
\r\n\
This is a nested multi-part message in MIME format.\r\n\
\r\n\
--inner\r\n\
Content-Type: text/plain; charset=\"us-ascii\"\r\n\
\r\n\
Hello\r\n\
\r\n\
--inner\r\n\
Content-Type: text/html; charset=\"us-ascii\"\r\n\
\r\n\
<html><body>Hello</body></html>\r\n\
\r\n\
--inner--\r\n\
\r\n\
This is the end of the inner MIME multipart.\r\n\
\r\n\
--outer\r\n\
Content-Type: message/rfc822\r\n\
\r\n\
From: Someone Else\r\n\
Subject: hello request\r\n\
\r\n\
Please say Hello\r\n\
\r\n\
--outer--\r\n\
\r\n\
This is the end of the outer MIME multipart.\r\n";

fn body(test: &str, message: &str) -> bool {
    holds(", \"body\"", &format!("body {test}"), message)
}

#[test]
fn rfc5173_content_example() {
    let m = BODY_EXAMPLE;
    // '&' lines: the multipart prologues and epilogues.
    assert!(body(r#":content "multipart" :contains "MIME""#, m));
    assert!(body(
        r#":content "multipart" :contains "end of the inner MIME""#,
        m
    ));
    assert!(!body(r#":content "multipart" :contains "Hello""#, m));
    // '$' lines: text/plain parts, the nested one included.
    assert!(body(r#":content "text/plain" :contains "Hello""#, m));
    assert!(body(r#":content "text/plain" :contains "Please say""#, m));
    assert!(!body(r#":content "text/plain" :contains "<html>""#, m));
    // '%' lines: text/html.
    assert!(body(r#":content "text/html" :contains "<body>Hello""#, m));
    assert!(body(r#":content "text" :contains "<html>""#, m));
    // '!' lines: only the header of the enclosed message.
    assert!(body(
        r#":content "message/rfc822" :contains "hello request""#,
        m
    ));
    assert!(!body(
        r#":content "message/rfc822" :contains "Please say""#,
        m
    ));
    // Matches never cross part boundaries and never include MIME headers.
    assert!(!body(r#":content "text" :contains "Content-Type""#, m));
    assert!(!body(r#":content "" :contains "--inner""#, m));
    assert!(!body(r#":content "text" :matches "*Hello*Please*""#, m));
    assert!(body(r#":content "" :contains """#, m));
    assert!(!body(r#":content "audio/mp3" :contains """#, m));
    assert!(!body(
        r#":content ["text/", "/plain", "text/plain/x"] :contains """#,
        m
    ));
    assert!(body(
        r#":content ["image", "TEXT/PLAIN"] :contains "Hello""#,
        m
    ));
    assert!(!body(r#":content ["image"] :contains """#, m));
}

#[test]
fn rfc5173_examples() {
    let raw = "Subject: x\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nMAKE MONEY =\r\nFAST\r\n";
    let script = "require \"body\";\n# This will match a message containing the literal text\n# \"MAKE MONEY FAST\" in body parts (ignoring any\n# content-transfer-encodings) or MIME headers other than\n# the outermost RFC 2822 header.\n\nif body :raw :contains \"MAKE MONEY FAST\" {\n        discard;\n}";
    // :raw does not decode, so the soft line break hides the phrase.
    assert_eq!(run(script, raw).actions, vec![keep()]);
    assert!(body(":text :contains \"MAKE MONEY FAST\"", raw));
    let plain = "Subject: x\r\n\r\nsend MAKE MONEY FAST now\r\n";
    assert_eq!(run(script, plain).actions, vec![Action::Discard]);
    // :raw sees MIME headers and boundaries of inner parts.
    assert!(body(":raw :contains \"--inner\"", BODY_EXAMPLE));
    assert!(body(
        ":raw :contains \"Content-Type: text/html\"",
        BODY_EXAMPLE
    ));

    let secrets = "require [\"body\", \"fileinto\"];\n\n# Save any message with any text MIME part that contains the\n# words \"missile\" or \"coordinates\" in the \"secrets\" folder.\n\nif body :content \"text\" :contains [\"missile\", \"coordinates\"] {\n        fileinto \"secrets\";\n}\n\n# Save any message with an audio/mp3 MIME part in\n# the \"jukebox\" folder.\n\nif body :content \"audio/mp3\" :contains \"\" {\n        fileinto \"jukebox\";\n}";
    let mp3 = "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nthe COORDINATES are\r\n--b\r\nContent-Type: audio/mp3\r\nContent-Transfer-Encoding: base64\r\n\r\nSUQz\r\n--b--\r\n";
    assert_eq!(
        run(secrets, mp3).actions,
        vec![fileinto("secrets"), fileinto("jukebox")]
    );
    assert_eq!(run(secrets, MESSAGE_A).actions, vec![keep()]);

    let schedule = "require [\"body\", \"fileinto\"];\n\n# Save messages mentioning the project schedule in the\n# project/schedule folder.\nif body :text :contains \"project schedule\" {\n        fileinto \"project/schedule\";\n}";
    let html = "Content-Type: text/html; charset=utf-8\r\n\r\n<p>The <b>project schedule</b> slipped</p>\r\n";
    assert_eq!(
        run(schedule, html).actions,
        vec![fileinto("project/schedule")]
    );
}

#[test]
fn body_decoding() {
    let b64 = "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\nQ2Fmw6kgY3LDqG1l\r\n";
    assert!(body(":contains \"Café crème\"", b64));
    let latin1 = "Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nl'=E9t=E9 est l=E0\r\n";
    assert!(body(":contains \"l'été est là\"", latin1));
    assert!(body(":content \"text\" :contains \"été\"", latin1));
    assert!(!body(":raw :contains \"été\"", latin1));
    assert!(body(":raw :contains \"=E9t=E9\"", latin1));
    // Default transform is :text; the default type is text/plain.
    assert!(body(":contains \"anvil\"", MESSAGE_A));
    assert!(body(":matches \"Look*Super Genius*\"", MESSAGE_A));
    // An attachment is not text.
    let attachment = "Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: application/octet-stream\r\n\r\nsecret words\r\n--x--\r\n";
    assert!(!body(":text :contains \"secret\"", attachment));
    assert!(body(
        ":content \"application\" :contains \"secret\"",
        attachment
    ));
    // multipart/digest parts default to message/rfc822.
    let digest = "Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\nSubject: inner one\r\n\r\ninner body\r\n--d--\r\n";
    assert!(body(
        ":content \"message/rfc822\" :contains \"inner one\"",
        digest
    ));
    assert!(body(":content \"text/plain\" :is \"inner body\"", digest));
}

#[test]
fn body_does_not_set_match_variables() {
    let script = "require [\"body\", \"variables\", \"fileinto\"];\nif header :matches \"Subject\" \"I *\" {}\nif body :matches \"Look*\" { fileinto \"[${1}]\"; }";
    assert_eq!(
        run(script, MESSAGE_A).actions,
        vec![fileinto("[have a present for you]")]
    );
    let err = compile_error("require \"body\"; if body :raw :text \"x\" {}");
    assert!(
        err.to_string().contains("one of :raw, :content and :text"),
        "{err}"
    );
    let err = compile_error("if body \"x\" {}");
    assert!(
        matches!(
            err,
            CompileError::MissingRequire {
                extension: "body",
                ..
            }
        ),
        "{err}"
    );
}

// --- RFC 5233 subaddress -------------------------------------------------------

#[test]
fn rfc5233_subaddress() {
    let script = "require [\"envelope\", \"subaddress\", \"fileinto\"];\n\n# In this example the same user account receives mail for both\n# \"ken@example.com\" and \"postmaster@example.com\"\n\n# File all messages to postmaster into a single mailbox,\n# ignoring the :detail part.\nif envelope :user \"to\" \"postmaster\" {\n    fileinto \"inbox.postmaster\";\n    stop;\n}\n\n# File mailing list messages (subscribed as \"ken+mta-filters\").\nif envelope :detail \"to\" \"mta-filters\" {\n    fileinto \"inbox.ietf-mta-filters\";\n}\n\n# Redirect all mail sent to \"ken+foo\".\nif envelope :detail \"to\" \"foo\" {\n    redirect \"ken@example.net\";\n}";
    let store = MemoryVacationStore::new();
    let env = Environment::new(&store);
    let go = |to: &str| run_with(script, MESSAGE_A, &Envelope::new("a@b.c", to), &env).actions;
    assert_eq!(
        go("postmaster+spam@example.com"),
        vec![fileinto("inbox.postmaster")]
    );
    assert_eq!(
        go("postmaster@example.com"),
        vec![fileinto("inbox.postmaster")]
    );
    assert_eq!(
        go("ken+mta-filters@example.com"),
        vec![fileinto("inbox.ietf-mta-filters")]
    );
    assert_eq!(go("ken+foo@example.com"), vec![redirect("ken@example.net")]);
    assert_eq!(go("ken@example.com"), vec![keep()]);
    // No separator: :detail matches nothing, not even ""; an empty detail is "".
    let detail = "require [\"subaddress\"]; if address :detail \"to\" \"\" { discard; }";
    assert_eq!(
        run(detail, "To: ken@example.com\r\n\r\n").actions,
        vec![keep()]
    );
    assert_eq!(
        run(detail, "To: ken+@example.com\r\n\r\n").actions,
        vec![Action::Discard]
    );
    assert!(holds(
        ", \"subaddress\"",
        "address :user :is \"to\" \"ken\"",
        "To: ken+x+y@example.com\r\n\r\n"
    ));
    assert!(holds(
        ", \"subaddress\"",
        "address :detail :is \"to\" \"x+y\"",
        "To: ken+x+y@example.com\r\n\r\n"
    ));
}
