//! The base subject of RFC 5256 section 2.1, used by SORT SUBJECT and both THREAD
//! algorithms.
//!
//! The input is an already decoded subject (RFC 2047 words turned into UTF-8). Every
//! step works on a shrinking slice of one normalised string, so a subject made of a
//! million `Re:` costs linear time.

/// The base subject of a decoded subject, case preserved (compare it with
/// [`super::text::collation_key`]).
pub(crate) fn base_subject(subject: &str) -> String {
    extract(subject).text
}

/// A base subject and whether the original marks a reply or forward (it had a
/// `subj-refwd`, a `(fwd)` trailer or a `[fwd: ...]` wrapper).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BaseSubject {
    pub(crate) text: String,
    pub(crate) reply_or_forward: bool,
}

/// Runs steps 1 to 7 of RFC 5256 section 2.1.
pub(crate) fn extract(subject: &str) -> BaseSubject {
    let normalised = normalise_blanks(subject);
    let mut s = normalised.as_str();
    let mut reply_or_forward = false;
    loop {
        s = strip_trailers(s, &mut reply_or_forward);
        s = strip_leaders_and_blobs(s, &mut reply_or_forward);
        match unwrap_fwd(s) {
            Some(inner) => {
                reply_or_forward = true;
                s = inner;
            }
            None => break,
        }
    }
    BaseSubject {
        text: s.to_owned(),
        reply_or_forward,
    }
}

/// Step 1 (after decoding): tabs and line breaks become spaces, runs of spaces one.
fn normalise_blanks(subject: &str) -> String {
    let mut out = String::with_capacity(subject.len());
    let mut last_blank = false;
    for c in subject.chars() {
        if matches!(c, ' ' | '\t' | '\r' | '\n') {
            if !last_blank {
                out.push(' ');
            }
            last_blank = true;
        } else {
            out.push(c);
            last_blank = false;
        }
    }
    out
}

fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

fn ends_with_ci(s: &str, suffix: &str) -> bool {
    s.len() >= suffix.len()
        && s.as_bytes()[s.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
}

/// Step 2: `subj-trailer = "(fwd)" / WSP`, removed until none is left.
fn strip_trailers<'a>(mut s: &'a str, reply_or_forward: &mut bool) -> &'a str {
    loop {
        if let Some(rest) = s.strip_suffix(' ') {
            s = rest;
        } else if ends_with_ci(s, "(fwd)") {
            s = &s[..s.len() - 5];
            *reply_or_forward = true;
        } else {
            return s;
        }
    }
}

/// Steps 3 to 5: leaders (`subj-leader`), and a leading blob when something remains
/// after it, until neither applies.
///
/// Removing `*subj-blob subj-refwd` as one leader removes the same text as removing
/// its blobs one by one with step 4 (a `subj-refwd` follows each of them), so one scan
/// from the left, token by token, gives the RFC's result without rescanning.
fn strip_leaders_and_blobs<'a>(mut s: &'a str, reply_or_forward: &mut bool) -> &'a str {
    loop {
        if let Some(rest) = s.strip_prefix(' ') {
            s = rest;
        } else if let Some(len) = refwd_len(s) {
            s = &s[len..];
            *reply_or_forward = true;
        } else if let Some(len) = blob_len(s).filter(|&len| len < s.len()) {
            s = &s[len..];
        } else {
            return s;
        }
    }
}

/// `subj-blob = "[" *BLOBCHAR "]" *WSP` at the start of `s`: its length.
fn blob_len(s: &str) -> Option<usize> {
    let inner = s.strip_prefix('[')?;
    let close = inner.find(['[', ']'])?;
    if inner.as_bytes()[close] != b']' {
        return None;
    }
    let after = 1 + close + 1;
    Some(after + blanks_len(&s[after..]))
}

fn blanks_len(s: &str) -> usize {
    s.len() - s.trim_start_matches(' ').len()
}

/// `subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":"` at the start of `s`.
fn refwd_len(s: &str) -> Option<usize> {
    let mut at = if starts_with_ci(s, "re") {
        2
    } else if starts_with_ci(s, "fwd") {
        3
    } else if starts_with_ci(s, "fw") {
        2
    } else {
        return None;
    };
    at += blanks_len(&s[at..]);
    if let Some(len) = blob_len(&s[at..]) {
        at += len;
    }
    s[at..].starts_with(':').then_some(at + 1)
}

/// Step 6: `"[fwd:" subject "]"` gives its inside.
fn unwrap_fwd(s: &str) -> Option<&str> {
    if s.len() >= 6 && starts_with_ci(s, "[fwd:") && s.ends_with(']') {
        Some(&s[5..s.len() - 1])
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(s: &str) -> (String, bool) {
        let b = extract(s);
        (b.text, b.reply_or_forward)
    }

    #[test]
    fn plain_subjects_stay() {
        assert_eq!(base("Hello world"), ("Hello world".into(), false));
        assert_eq!(base(""), (String::new(), false));
        assert_eq!(base("   "), (String::new(), false));
        // Only "re", "fw" and "fwd" followed by a colon are reply markers.
        assert_eq!(base("Rex: dinosaurs"), ("Rex: dinosaurs".into(), false));
        assert_eq!(base("Read this"), ("Read this".into(), false));
        assert_eq!(base("Re dinner"), ("Re dinner".into(), false));
    }

    #[test]
    fn step1_blanks_are_collapsed() {
        assert_eq!(base("a \t\r\n  b"), ("a b".into(), false));
    }

    #[test]
    fn step2_trailers() {
        assert_eq!(base("lunch (fwd)"), ("lunch".into(), true));
        assert_eq!(base("lunch (FWD) (fwd)  "), ("lunch".into(), true));
        assert_eq!(base("lunch(fwd)"), ("lunch".into(), true));
        assert_eq!(base("lunch (fw)"), ("lunch (fw)".into(), false));
    }

    #[test]
    fn step3_leaders() {
        assert_eq!(base("Re: lunch"), ("lunch".into(), true));
        assert_eq!(base("RE:lunch"), ("lunch".into(), true));
        assert_eq!(base("re : lunch"), ("lunch".into(), true));
        assert_eq!(base("Fw: lunch"), ("lunch".into(), true));
        assert_eq!(base("FWD: lunch"), ("lunch".into(), true));
        assert_eq!(base("Re: Re: Fwd: re: lunch"), ("lunch".into(), true));
        // A blob inside the marker, and blobs before it.
        assert_eq!(base("Re[2]: lunch"), ("lunch".into(), true));
        assert_eq!(base("Re [2] : lunch"), ("lunch".into(), true));
        assert_eq!(base("[list] Re: lunch"), ("lunch".into(), true));
        assert_eq!(base("[a][b] [c] Re: lunch"), ("lunch".into(), true));
    }

    #[test]
    fn step4_blob_only_when_something_remains() {
        assert_eq!(base("[list] lunch"), ("lunch".into(), false));
        assert_eq!(base("[list]"), ("[list]".into(), false));
        assert_eq!(base("[list] [other]"), ("[other]".into(), false));
        // Step 5 repeats 3 and 4: a leader that appears after a removed blob goes too.
        assert_eq!(base("[list] [x] Re: [y] lunch"), ("lunch".into(), true));
        // An unclosed bracket is not a blob.
        assert_eq!(base("[list lunch"), ("[list lunch".into(), false));
    }

    #[test]
    fn step6_fwd_wrapper_repeats_from_step2() {
        assert_eq!(base("[Fwd: lunch]"), ("lunch".into(), true));
        assert_eq!(
            base("Re: [fwd: [list] Re: lunch (fwd)]"),
            ("lunch".into(), true)
        );
        assert_eq!(base("[fwd: [fwd: x]]"), ("x".into(), true));
        assert_eq!(base("[fwd:]"), (String::new(), true));
        // The wrapper must end the subject; otherwise it is just a blob (step 4).
        assert_eq!(base("[fwd: x] y"), ("y".into(), false));
    }

    #[test]
    fn non_ascii_subjects() {
        assert_eq!(base("Re: Grüße [ö]"), ("Grüße [ö]".into(), true));
        assert_eq!(base("[ünï] Ärger"), ("Ärger".into(), false));
        assert_eq!(base("Ré: x"), ("Ré: x".into(), false));
    }

    #[test]
    fn hostile_subjects_finish() {
        let many = "Re: ".repeat(200_000) + "x";
        assert_eq!(base(&many), ("x".into(), true));
        let brackets = "[".repeat(100_000) + &"]".repeat(100_000);
        assert_eq!(base(&brackets).0.len(), 200_000);
        let blobs = "[x] ".repeat(200_000) + "y";
        assert_eq!(base(&blobs), ("y".into(), false));
        let nested = "[fwd: ".repeat(50_000) + "x" + &"]".repeat(50_000);
        assert_eq!(base(&nested), ("x".into(), true));
    }
}
