//! Known-answer tests for the base language of RFC 5228, with the examples of its text.

mod common;

use common::*;
use sieve::{Action, CompileError, Position};

#[test]
fn empty_script_keeps() {
    let outcome = run("", MESSAGE_A);
    assert_eq!(outcome.actions, vec![keep()]);
    assert!(outcome.implicit_keep);
}

#[test]
fn section_2_3_comments() {
    let hash = "if size :over 100k { # this is a comment\n   discard;\n}";
    assert_eq!(run(hash, MESSAGE_A).actions, vec![keep()]);
    let bracket = "if size :over 100K { /* this is a comment\n   this is still a comment */ discard /* this is a comment\n   */ ;\n}";
    assert_eq!(run(bracket, MESSAGE_A).actions, vec![keep()]);
    let small = "if size :over 1 { /* c */ discard; # c\n}";
    assert_eq!(run(small, MESSAGE_A).actions, vec![Action::Discard]);
}

#[test]
fn section_2_4_strings() {
    // Escapes: \" and \\ are the only defined ones; others drop the backslash.
    assert!(holds(
        "",
        r#"header :is "Subject" "I have a \p\r\e\sent for you""#,
        MESSAGE_A
    ));
    let quoted = "From: \"a\\\"b\" <x@y>\r\nX-Q: say \"hi\" \\o/\r\n\r\n";
    assert!(holds("", r#"header :is "X-Q" "say \"hi\" \\o/""#, quoted));
    // A multi-line string with dot-stuffing, ending with the CRLF before the dot.
    // A quoted string may span lines; the key below holds real CRLFs.
    let script = "require \"variables\";\nset \"t\" text:\r\n.. starts with a dot\r\nsecond\r\n.\r\n;\nif string :is \"${t}\" \". starts with a dot\r\nsecond\r\n\" { discard; }";
    assert_eq!(run(script, MESSAGE_A).actions, vec![Action::Discard]);
    let script = "require \"variables\";\nset \"t\" text:\r\n.. dot\r\n.\r\n;\nif string :matches \"${t}\" \". dot?*\" { discard; }";
    assert_eq!(run(script, MESSAGE_A).actions, vec![Action::Discard]);
}

#[test]
fn section_2_4_2_1_string_lists() {
    let msg = "To: me00@landru.example.com\r\n\r\n";
    assert!(holds(
        "",
        r#"header :contains ["To", "Cc"] ["me@example.com", "me00@landru.example.com"]"#,
        msg
    ));
    assert!(holds("", r#"exists "To""#, msg));
    assert!(holds("", r#"exists ["To"]"#, msg));
}

#[test]
fn section_2_4_2_4_encoded_character_example() {
    let script = "require \"encoded-character\";\nif header :contains \"Subject\" \"$${hex:24 24}\" {\n   discard;\n}";
    assert_eq!(run(script, MESSAGE_B).actions, vec![Action::Discard]);
    assert_eq!(run(script, MESSAGE_A).actions, vec![keep()]);
    // Without the require the sequence is literal.
    let literal = "if header :contains \"Subject\" \"$${hex:24 24}\" { discard; }";
    assert_eq!(run(literal, MESSAGE_B).actions, vec![keep()]);
    let unicode =
        "require \"encoded-character\";\nif header :is \"X\" \"caf${unicode:e9}\" { discard; }";
    assert_eq!(
        run(unicode, "X: café\r\n\r\n").actions,
        vec![Action::Discard]
    );
    let bad = compile_error(
        "require [\"encoded-character\", \"imap4flags\"];\nkeep :flags \"${unicode:D800}\";",
    );
    assert!(
        matches!(bad, CompileError::InvalidValue { at, .. } if at == Position::new(2, 13)),
        "{bad}"
    );
    let bad = compile_error(
        "require [\"encoded-character\", \"fileinto\"];\nfileinto \"${unicode:110000}\";",
    );
    assert_eq!(bad.position(), Some(Position::new(2, 10)));
}

#[test]
fn section_2_5_1_test_list_example() {
    let script = "if anyof (not exists [\"From\", \"Date\"],\n   header :contains \"from\" \"fool@example.com\") {\n   discard;\n}";
    assert_eq!(run(script, MESSAGE_A).actions, vec![keep()]);
    assert_eq!(
        run(script, "From: a@b\r\n\r\n").actions,
        vec![Action::Discard]
    );
    assert_eq!(
        run(script, "From: fool@example.com\r\nDate: x\r\n\r\n").actions,
        vec![Action::Discard]
    );
}

#[test]
fn section_2_7_1_match_types() {
    let msg = "X: frobnitzm\r\n\r\n";
    assert!(holds("", r#"header :contains "X" "frob""#, msg));
    assert!(holds("", r#"header :contains "X" "nit""#, msg));
    assert!(!holds("", r#"header :contains "X" "fbm""#, msg));
    assert!(holds("", r#"header :contains "X" """#, msg));
    assert!(holds("", r#"header :is "X" "frobnitzm""#, msg));
    assert!(holds("", r#"header "X" "FROBNITZM""#, msg));
    assert!(!holds("", r#"header :is "X" "frob""#, msg));
    assert!(holds("", r#"header :matches "X" "fr?b*m""#, msg));
    assert!(!holds("", r#"header :matches "X" "fr?b""#, msg));
    assert!(holds("", r#"header :is "X" ["a", "frobnitzm"]"#, msg));
    let star = "X: what?*\r\n\r\n";
    assert!(holds("", r#"header :matches "X" "what\\?\\*""#, star));
    assert!(!holds(
        "",
        r#"header :matches "X" "what\\?\\*""#,
        "X: what!!\r\n\r\n"
    ));
    assert!(holds("", r#"header :matches "X" "*""#, "X:\r\n\r\n"));
}

#[test]
fn section_2_7_3_comparators() {
    let script = "if header :contains :comparator \"i;octet\" \"Subject\"\n      \"MAKE MONEY FAST\" {\n   discard;\n}";
    assert_eq!(
        run(script, "Subject: You can MAKE MONEY FAST\r\n\r\n").actions,
        vec![Action::Discard]
    );
    assert_eq!(
        run(script, "Subject: You can Make Money Fast\r\n\r\n").actions,
        vec![keep()]
    );
    assert!(holds(
        "",
        r#"header :is :comparator "i;ascii-casemap" "X" "ABC""#,
        "X: abc\r\n\r\n"
    ));
    assert!(!holds(
        "",
        r#"header :is :comparator "i;octet" "X" "ABC""#,
        "X: abc\r\n\r\n"
    ));
    // ascii-casemap only folds ASCII letters.
    assert!(!holds("", r#"header :is "X" "É""#, "X: é\r\n\r\n"));
    assert!(holds(
        "",
        r#"header :matches :comparator "i;octet" "X" "a?c""#,
        "X: abc\r\n\r\n"
    ));
    let numeric = ", \"comparator-i;ascii-numeric\"";
    assert!(holds(
        numeric,
        r#"header :is :comparator "i;ascii-numeric" "X" "42""#,
        "X: 0042 apples\r\n\r\n"
    ));
    assert!(holds(
        numeric,
        r#"header :is :comparator "i;ascii-numeric" "X" "none""#,
        "X: zero\r\n\r\n"
    ));
    assert!(!holds(
        numeric,
        r#"header :is :comparator "i;ascii-numeric" "X" "0""#,
        "X: zero\r\n\r\n"
    ));
}

#[test]
fn section_2_10_2_implicit_keep() {
    let outcome = run("if size :over 500K { discard; }", MESSAGE_A);
    assert_eq!(outcome.actions, vec![keep()]);
    assert!(outcome.implicit_keep);
    let outcome = run("require \"fileinto\"; fileinto \"x\";", MESSAGE_A);
    assert!(!outcome.implicit_keep);
    assert_eq!(outcome.actions, vec![fileinto("x")]);
    let outcome = run("redirect \"a@example.com\";", MESSAGE_A);
    assert!(!outcome.implicit_keep);
    let outcome = run("discard;", MESSAGE_A);
    assert_eq!(outcome.actions, vec![Action::Discard]);
    assert!(!outcome.implicit_keep);
}

#[test]
fn section_2_10_3_message_uniqueness() {
    let outcome = run(
        "require \"fileinto\"; keep; fileinto \"INBOX\"; fileinto \"inbox\"; fileinto \"a\"; fileinto \"a\"; keep;",
        MESSAGE_A,
    );
    assert_eq!(outcome.actions, vec![keep(), fileinto("a")]);
    let outcome = run(
        "redirect \"a@example.com\"; redirect \"a@example.com\"; redirect \"b@example.com\";",
        MESSAGE_A,
    );
    assert_eq!(
        outcome.actions,
        vec![redirect("a@example.com"), redirect("b@example.com")]
    );
    // fileinto + discard is fileinto (section 4.4).
    let outcome = run("require \"fileinto\"; fileinto \"a\"; discard;", MESSAGE_A);
    assert_eq!(outcome.actions, vec![fileinto("a"), Action::Discard]);
    assert_eq!(outcome.mailboxes().collect::<Vec<_>>(), ["a"]);
}

#[test]
fn section_3_1_if_examples() {
    let script = "require \"fileinto\";\nif header :contains \"from\" \"coyote\" {\n   discard;\n} elsif header :contains [\"subject\"] [\"$$$\"] {\n   discard;\n} else {\n   fileinto \"INBOX\";\n}";
    assert_eq!(run(script, MESSAGE_A).actions, vec![Action::Discard]);
    assert_eq!(run(script, MESSAGE_B).actions, vec![Action::Discard]);
    assert_eq!(run(script, "Subject: hi\r\n\r\n").actions, vec![keep()]);

    let script = "if header :contains [\"From\"] [\"coyote\"] {\n   redirect \"acm@example.com\";\n} elsif header :contains \"Subject\" \"$$$\" {\n   redirect \"postmaster@example.com\";\n} else {\n   redirect \"field@example.com\";\n}";
    assert_eq!(
        run(script, MESSAGE_A).actions,
        vec![redirect("acm@example.com")]
    );
    assert_eq!(
        run(script, MESSAGE_B).actions,
        vec![redirect("postmaster@example.com")]
    );
    assert_eq!(
        run(script, "Subject: x\r\n\r\n").actions,
        vec![redirect("field@example.com")]
    );
}

#[test]
fn section_3_2_require() {
    let err = compile_error("require [\"fileinto\", \"reject\"];");
    assert_eq!(
        err,
        CompileError::UnsupportedExtension {
            at: Position::new(1, 22),
            name: "reject".into()
        }
    );
    compile("require \"fileinto\";\nrequire \"vacation\";");
    compile("require [\"comparator-i;octet\", \"comparator-i;ascii-casemap\"];");
    // Capability strings are case-sensitive.
    assert!(matches!(
        compile_error("require \"FileInto\";"),
        CompileError::UnsupportedExtension { .. }
    ));
    let err = compile_error("keep;\nrequire \"fileinto\";");
    assert_eq!(
        err,
        CompileError::MisplacedRequire {
            at: Position::new(2, 1)
        }
    );
    let err = compile_error("if true {\n  require \"fileinto\";\n}");
    assert_eq!(
        err,
        CompileError::MisplacedRequire {
            at: Position::new(2, 3)
        }
    );
}

#[test]
fn section_3_3_stop() {
    let outcome = run(
        "require \"fileinto\"; if true { stop; } fileinto \"never\";",
        MESSAGE_A,
    );
    assert_eq!(outcome.actions, vec![keep()]);
    assert!(outcome.stopped);
    let outcome = run("discard; stop; keep;", MESSAGE_A);
    assert_eq!(outcome.actions, vec![Action::Discard]);
    assert!(outcome.stopped);
    assert!(!run("keep;", MESSAGE_A).stopped);
}

#[test]
fn section_4_examples() {
    let fileinto_example = "require \"fileinto\";\nif header :contains [\"from\"] \"coyote\" {\n   fileinto \"INBOX.harassment\";\n}";
    assert_eq!(
        run(fileinto_example, MESSAGE_A).actions,
        vec![fileinto("INBOX.harassment")]
    );
    assert_eq!(run(fileinto_example, MESSAGE_B).actions, vec![keep()]);
    assert_eq!(
        run("redirect \"bart@example.com\";", MESSAGE_A).actions,
        vec![redirect("bart@example.com")]
    );
    let keep_a = "if size :under 1M { keep; } else { discard; }";
    let keep_b = "if not size :under 1M { discard; }";
    for script in [keep_a, keep_b] {
        assert_eq!(run(script, MESSAGE_A).actions, vec![keep()]);
        let huge = format!("Subject: big\r\n\r\n{}", "x".repeat(1 << 20));
        assert_eq!(run(script, &huge).actions, vec![Action::Discard]);
    }
    let discard = "if header :contains [\"from\"] [\"idiot@example.com\"] {\n   discard;\n}";
    assert_eq!(
        run(discard, "From: idiot@example.com\r\n\r\n").actions,
        vec![Action::Discard]
    );
    assert_eq!(run(discard, MESSAGE_A).actions, vec![keep()]);
}

#[test]
fn redirect_address_syntax() {
    assert_eq!(
        run("redirect \"Bart <bart@example.com>\";", MESSAGE_A).actions,
        vec![redirect("bart@example.com")]
    );
    let err = compile_error("redirect \"not an address\";");
    assert_eq!(err.position(), Some(Position::new(1, 10)));
    assert!(
        compile_error("redirect \"a@b.c, d@e.f\";")
            .to_string()
            .contains("invalid redirect address")
    );
}

#[test]
fn section_5_1_address() {
    let script = "if address :is :all \"from\" \"tim@example.com\" {\n   discard;\n}";
    assert_eq!(
        run(script, "From: Tim <tim@example.com>\r\n\r\n").actions,
        vec![Action::Discard]
    );
    assert_eq!(
        run(script, "From: tim@example.org\r\n\r\n").actions,
        vec![keep()]
    );
    let group = "To: friends: tim@example.com, x@y.org;\r\n\r\n";
    assert!(holds("", r#"address :domain "to" "y.org""#, group));
    assert!(holds("", r#"address :localpart "to" "tim""#, group));
    assert!(!holds("", r#"address :all "to" "friends""#, group));
    // Invalid addresses: only :all sees them.
    let invalid = "From: not-an-address\r\n\r\n";
    assert!(holds(
        "",
        r#"address :all "from" "not-an-address""#,
        invalid
    ));
    assert!(!holds(
        "",
        r#"address :localpart :matches "from" "*""#,
        invalid
    ));
    assert!(holds(
        "",
        r#"address :domain :is "from" "DESERT.example.ORG""#,
        MESSAGE_A
    ));
    assert!(holds(
        "",
        r#"address :is ["from", "to"] "roadrunner@acme.example.com""#,
        MESSAGE_A
    ));
    assert!(holds(
        "",
        r#"address "sender" "b1ff@de.res.example.com""#,
        MESSAGE_B
    ));
    assert!(!holds(
        "",
        r#"address :contains "from" "I have""#,
        MESSAGE_A
    ));
    let err = compile_error("if address \"subject\" \"x\" { keep; }");
    assert_eq!(err.position(), Some(Position::new(1, 12)));
}

#[test]
fn section_5_2_and_5_3_allof_anyof() {
    assert!(!holds("", "allof (false, false)", MESSAGE_A));
    assert!(!holds("", "allof (false, true)", MESSAGE_A));
    assert!(holds("", "allof (true, true)", MESSAGE_A));
    assert!(!holds("", "anyof (false, false)", MESSAGE_A));
    assert!(holds("", "anyof (false, true)", MESSAGE_A));
    assert!(holds("", "anyof (true, true)", MESSAGE_A));
    assert!(holds("", "allof (true)", MESSAGE_A));
}

#[test]
fn section_5_4_envelope() {
    let script = "require \"envelope\";\nif envelope :all :is \"from\" \"tim@example.com\" {\n   discard;\n}";
    let store = sieve::MemoryVacationStore::new();
    let env = sieve::Environment::new(&store);
    let tim = sieve::Envelope::new("tim@example.com", "me@example.org");
    assert_eq!(
        run_with(script, MESSAGE_A, &tim, &env).actions,
        vec![Action::Discard]
    );
    assert_eq!(run(script, MESSAGE_A).actions, vec![keep()]);
    let null = sieve::Envelope::new("", "me+box@example.org");
    let probe = |test: &str, envelope: &sieve::Envelope| {
        let script = format!("require [\"envelope\", \"subaddress\"]; if {test} {{ discard; }}");
        run_with(&script, MESSAGE_A, envelope, &env).actions == vec![Action::Discard]
    };
    // The null reverse-path is the empty string whatever the address part.
    assert!(probe(r#"envelope :localpart :is "from" """#, &null));
    assert!(probe(r#"envelope :domain :is "FROM" """#, &null));
    assert!(probe(r#"envelope :is "to" "me+box@example.org""#, &null));
    assert!(probe(r#"envelope :detail "to" "box""#, &null));
    assert!(probe(r#"envelope :user "to" "me""#, &null));
    let routed = sieve::Envelope::new("<@relay.example:tim@example.com>", "me@example.org");
    assert!(probe(
        r#"envelope :all :is "from" "tim@example.com""#,
        &routed
    ));
    let err = compile_error("require \"envelope\"; if envelope \"cc\" \"x\" { keep; }");
    assert_eq!(err.position(), Some(Position::new(1, 33)));
    let err = compile_error("if envelope \"from\" \"x\" { keep; }");
    assert!(
        matches!(
            err,
            CompileError::MissingRequire {
                extension: "envelope",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn section_5_5_exists() {
    let script = "if not exists [\"From\",\"Date\"] {\n   discard;\n}";
    assert_eq!(run(script, MESSAGE_A).actions, vec![keep()]);
    assert_eq!(
        run(script, "From: a@b\r\n\r\n").actions,
        vec![Action::Discard]
    );
    assert!(holds("", r#"exists "x-EMPTY""#, "X-Empty:\r\n\r\n"));
}

#[test]
fn section_5_7_header() {
    let msg = "X-Caffeine: C8H10N4O2\r\n\r\n";
    assert!(!holds("", r#"header :is ["X-Caffeine"] [""]"#, msg));
    assert!(holds("", r#"header :contains ["X-Caffeine"] [""]"#, msg));
    assert!(!holds("", r#"header :contains ["X-Decaf"] [""]"#, msg));
    // Absent or blank Cc.
    assert!(holds("", r#"not header :matches "Cc" "?*""#, msg));
    assert!(holds(
        "",
        r#"not header :matches "Cc" "?*""#,
        "Cc:   \r\n\r\n"
    ));
    assert!(!holds(
        "",
        r#"not header :matches "Cc" "?*""#,
        "Cc: x\r\n\r\n"
    ));
    // Leading and trailing white space is ignored; folded lines are unfolded.
    assert!(holds(
        "",
        r#"header :is "Subject" "a  b""#,
        "Subject:   a\r\n  b  \r\n\r\n"
    ));
    // Encoded words are decoded.
    // White space between two encoded words goes (RFC 2047 section 6.2).
    assert!(holds(
        "",
        r#"header :is "Subject" "cafécrème""#,
        "Subject: =?ISO-8859-1?Q?caf=E9?= =?utf-8?b?Y3LDqG1l?=\r\n\r\n"
    ));
    assert!(holds(
        "",
        r#"header :is "Subject" "un café noir""#,
        "Subject: un =?ISO-8859-1?Q?caf=E9?= noir\r\n\r\n"
    ));
    // Invalid header names are not an error and match nothing.
    assert!(!holds("", r#"header :contains "From:" """#, MESSAGE_A));
    assert!(holds("", r#"header :contains "from" "coyote""#, MESSAGE_A));
}

#[test]
fn section_5_9_size() {
    let exact = format!("X: y\r\n\r\n{}", "z".repeat(4000 - 8));
    assert_eq!(exact.len(), 4000);
    assert!(!holds("", "size :over 4000", &exact));
    assert!(!holds("", "size :under 4000", &exact));
    assert!(holds("", "size :over 3999", &exact));
    assert!(holds("", "size :under 4001", &exact));
    assert!(holds("", "size :under 4K", &exact));
}

#[test]
fn section_9_extended_example() {
    let script = r#"#
# Example Sieve Filter
# Declare any optional features or extension used by the script
#
require ["fileinto"];

#
# Handle messages from known mailing lists
# Move messages from IETF filter discussion list to filter mailbox
#
if header :is "Sender" "owner-ietf-mta-filters@imc.org"
        {
        fileinto "filter";  # move to "filter" mailbox
        }
#
# Keep all messages to or from people in my company
#
elsif address :DOMAIN :is ["From", "To"] "example.com"
        {
        keep;               # keep in "In" mailbox
        }

#
# Try and catch unsolicited email.  If a message is not to me,
# or it contains a subject known to be spam, file it away.
#
elsif anyof (NOT address :all :contains
               ["To", "Cc", "Bcc"] "me@example.com",
             header :matches "subject"
               ["*make*money*fast*", "*university*dipl*mas*"])
        {
        fileinto "spam";   # move to "spam" mailbox
        }
else
        {
        # Move all other (non-company) mail to "personal"
        # mailbox.
        fileinto "personal";
        }
"#;
    assert_eq!(run(script, MESSAGE_A).actions, vec![fileinto("spam")]);
    assert_eq!(run(script, MESSAGE_B).actions, vec![fileinto("spam")]);
    let list = "Sender: owner-ietf-mta-filters@imc.org\r\nTo: me@example.com\r\n\r\n";
    assert_eq!(run(script, list).actions, vec![fileinto("filter")]);
    let company = "From: boss@example.com\r\nTo: me@example.com\r\n\r\n";
    assert_eq!(run(script, company).actions, vec![keep()]);
    assert!(!run(script, company).implicit_keep);
    let spam = "From: x@spam.test\r\nTo: l@lists.test\r\nCc: me@example.com\r\nSubject: Make Money Fast now\r\n\r\n";
    assert_eq!(run(script, spam).actions, vec![fileinto("spam")]);
    let diploma = "From: x@spam.test\r\nCc: me@example.com\r\nSubject: University DIPLOMAS\r\n\r\n";
    assert_eq!(run(script, diploma).actions, vec![fileinto("spam")]);
    let personal = "From: friend@else.test\r\nTo: l@lists.test\r\nBcc: Me <me@example.com>\r\nSubject: lunch\r\n\r\n";
    assert_eq!(run(script, personal).actions, vec![fileinto("personal")]);
}

#[test]
fn compile_errors_with_positions() {
    let cases: &[(&str, (u32, u32), &str)] = &[
        (
            "keep;\nfileinot \"x\";",
            (2, 1),
            "unknown command 'fileinot'",
        ),
        ("fileinto \"x\";", (1, 1), "needs require \"fileinto\""),
        ("if foo { keep; }", (1, 4), "unknown test 'foo'"),
        (
            "if true { keep; }\nelse keep;",
            (2, 6),
            "'else' does not take a test",
        ),
        ("if true { keep; }\nelse;", (2, 1), "'else' needs a block"),
        (
            "elsif true { keep; }",
            (1, 1),
            "'elsif' without a preceding 'if'",
        ),
        (
            "keep;\nelse { keep; }",
            (2, 1),
            "'else' without a preceding 'if'",
        ),
        ("if true keep;", (1, 9), "test 'true' does not take a test"),
        ("keep \"x\";", (1, 6), "too many arguments for 'keep'"),
        ("redirect;", (1, 1), "'redirect' is missing its address"),
        (
            "redirect 42;",
            (1, 10),
            "'redirect' expects address (a string), found a number",
        ),
        (
            "require \"fileinto\";\nfileinto [\"a\", \"b\"];",
            (2, 10),
            "found a string list",
        ),
        (
            "if header :is :is \"a\" \"b\" { keep; }",
            (1, 15),
            "only one match type",
        ),
        (
            "if header :is :contains \"a\" \"b\" { keep; }",
            (1, 15),
            "only one match type",
        ),
        (
            "if header :comparator \"i;octet\" :comparator \"i;octet\" \"a\" \"b\" {}",
            (1, 33),
            "given more than once",
        ),
        (
            "if header :comparator \"i;klingon\" \"a\" \"b\" {}",
            (1, 23),
            "unsupported comparator",
        ),
        (
            "if header :comparator \"i;ascii-numeric\" \"a\" \"b\" {}",
            (1, 23),
            "needs require \"comparator-i;ascii-numeric\"",
        ),
        (
            "require \"comparator-i;ascii-numeric\";\nif header :contains :comparator \"i;ascii-numeric\" \"a\" \"b\" {}",
            (2, 33),
            "cannot be used with :contains",
        ),
        (
            "if header :over \"a\" \"b\" {}",
            (1, 11),
            "unknown tag ':over' for 'header'",
        ),
        ("if size 10 {}", (1, 4), "missing its :over or :under"),
        (
            "if size :over :under 10 {}",
            (1, 15),
            "exactly one of :over and :under",
        ),
        (
            "if size :over \"10\" {}",
            (1, 15),
            "expects limit (a number)",
        ),
        (
            "if header \"a\" :is \"b\" {}",
            (1, 15),
            "must come before the positional arguments",
        ),
        (
            "if not (true) {}",
            (1, 8),
            "'not' takes one test, not a test list",
        ),
        (
            "if allof true {}",
            (1, 10),
            "takes a test list in parentheses",
        ),
        (
            "if (true, false) {}",
            (1, 4),
            "'if' takes one test, not a test list",
        ),
        ("keep { }", (1, 1), "must end with ';', not a block"),
        ("discard true;", (1, 9), "'discard' does not take a test"),
        (
            "if address :localpart :domain \"from\" \"x\" {}",
            (1, 23),
            "only one address part",
        ),
        (
            "if address :user \"from\" \"x\" {}",
            (1, 12),
            "needs require \"subaddress\"",
        ),
        ("stop 1;", (1, 6), "too many arguments"),
        ("if true {\n  keep\n}", (3, 1), "expected ';' or '{'"),
        ("keep;\n\"x\";", (2, 1), "expected a command"),
        (
            "if header \"a\" \"b\" { keep; } \n/* unterminated",
            (2, 1),
            "unterminated comment",
        ),
    ];
    for (script, (line, column), message) in cases {
        let err = compile_error(script);
        assert_eq!(
            err.position(),
            Some(Position::new(*line, *column)),
            "{script:?}: {err}"
        );
        assert!(err.to_string().contains(message), "{script:?}: {err}");
        assert!(
            err.to_string()
                .starts_with(&format!("line {line}, column {column}: ")),
            "{err}"
        );
    }
}

#[test]
fn numbers_and_case_insensitive_tokens() {
    assert!(holds(
        "",
        "SIZE :OVER 1k",
        &format!("X: y\r\n\r\n{}", "a".repeat(1100))
    ));
    assert!(holds("", "size :under 1G", MESSAGE_A));
    assert!(holds("", "size :under 1M", MESSAGE_A));
    assert!(holds(
        "",
        "Header :Is \"subject\" \"I have a present for you\"",
        MESSAGE_A
    ));
}
