//! Dovecot's per-folder `dovecot-keywords` file: which keyword each letter
//! `a`-`z` in the file names stands for. One `<index> <name>` line each,
//! index 0 being `a`.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::flags::KeywordBits;
use crate::fsutil::{read_optional, replace_file};
use crate::lock::{DotLock, LockOptions};

pub(crate) const FILE_NAME: &str = "dovecot-keywords";
const MAX: usize = 26;

/// The keyword table of one folder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Keywords {
    names: Vec<Option<String>>,
}

/// Whether `keyword` is a valid IMAP flag keyword (an atom, not `\System`).
pub(crate) fn is_valid_keyword(keyword: &str) -> bool {
    !keyword.is_empty()
        && keyword.len() <= 255
        && keyword.bytes().all(|b| {
            (0x21..0x7f).contains(&b)
                && !matches!(b, b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\' | b']')
        })
}

impl Keywords {
    pub(crate) fn parse(text: &str, path: &Path) -> Result<Self> {
        let mut names: Vec<Option<String>> = vec![None; MAX];
        for (i, line) in text.lines().enumerate() {
            if line.is_empty() {
                continue;
            }
            let corrupt = |reason: &str| Error::CorruptKeywords {
                path: path.to_owned(),
                line: i + 1,
                reason: reason.to_owned(),
            };
            let (index, name) = line.split_once(' ').ok_or_else(|| corrupt("no space"))?;
            let index: usize = index
                .parse()
                .map_err(|_| corrupt("index is not a number"))?;
            if name.is_empty() {
                return Err(corrupt("empty keyword"));
            }
            // Dovecot never writes more than 26; ignore what no letter can name.
            if let Some(slot) = names.get_mut(index) {
                *slot = Some(name.to_owned());
            }
        }
        Ok(Self { names })
    }

    pub(crate) fn load(dir: &Path) -> Result<Self> {
        let path = dir.join(FILE_NAME);
        match read_optional(&path)? {
            Some(text) => Self::parse(&text, &path),
            None => Ok(Self {
                names: vec![None; MAX],
            }),
        }
    }

    fn to_text(&self) -> String {
        let mut out = String::new();
        for (i, name) in self.names.iter().enumerate() {
            if let Some(name) = name {
                out.push_str(&format!("{i} {name}\n"));
            }
        }
        out
    }

    fn index_of(&self, keyword: &str) -> Option<usize> {
        self.names.iter().position(|n| {
            n.as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(keyword))
        })
    }

    /// The names of the letters in `bits`; letters with no name are skipped,
    /// as Dovecot does.
    pub(crate) fn names(&self, bits: KeywordBits) -> Vec<String> {
        bits.indexes()
            .filter_map(|i| self.names.get(i).cloned().flatten())
            .collect()
    }

    /// The letters for `keywords` if all of them already have one.
    pub(crate) fn bits(&self, keywords: &[&str]) -> Option<KeywordBits> {
        let mut bits = KeywordBits::default();
        for k in keywords {
            bits.insert_index(self.index_of(k)?);
        }
        Some(bits)
    }
}

/// Where a folder's keywords file lives and how to lock it.
pub(crate) struct KeywordStore<'a> {
    pub(crate) dir: &'a Path,
    pub(crate) host: &'a str,
    pub(crate) lock: LockOptions,
    pub(crate) fsync: bool,
}

impl KeywordStore<'_> {
    /// Letters for `keywords`, adding new keywords to the file (under its
    /// dotlock) when needed. Returns the table that was used.
    pub(crate) fn resolve(&self, keywords: &[&str]) -> Result<(Keywords, KeywordBits)> {
        for k in keywords {
            if !is_valid_keyword(k) {
                return Err(Error::InvalidKeyword {
                    keyword: (*k).to_owned(),
                });
            }
        }
        let table = Keywords::load(self.dir)?;
        if let Some(bits) = table.bits(keywords) {
            return Ok((table, bits));
        }
        let path: PathBuf = self.dir.join(FILE_NAME);
        let _lock = DotLock::acquire(&path, self.host, self.lock)?;
        let mut table = Keywords::load(self.dir)?;
        for k in keywords {
            if table.index_of(k).is_none() {
                let free = table
                    .names
                    .iter()
                    .position(Option::is_none)
                    .ok_or_else(|| Error::TooManyKeywords { path: path.clone() })?;
                table.names[free] = Some((*k).to_owned());
            }
        }
        replace_file(self.dir, FILE_NAME, table.to_text().as_bytes(), self.fsync)?;
        let bits = table
            .bits(keywords)
            .ok_or_else(|| Error::TooManyKeywords { path: path.clone() })?;
        Ok((table, bits))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dovecot_file() {
        let k = Keywords::parse("0 $Forwarded\n1 Junk\n2 foo\n", Path::new("k")).unwrap();
        let mut bits = KeywordBits::default();
        bits.insert_index(0);
        bits.insert_index(2);
        bits.insert_index(5);
        assert_eq!(k.names(bits), ["$Forwarded", "foo"]);
        assert_eq!(
            k.bits(&["junk"]).unwrap().letters().collect::<String>(),
            "b"
        );
        assert!(k.bits(&["nope"]).is_none());
        assert_eq!(k.to_text(), "0 $Forwarded\n1 Junk\n2 foo\n");
    }

    #[test]
    fn corrupt_lines() {
        for text in ["0$x\n", "x y\n", "0 \n", "-1 a\n"] {
            assert!(
                matches!(
                    Keywords::parse(text, Path::new("k")),
                    Err(Error::CorruptKeywords { line: 1, .. })
                ),
                "{text:?}"
            );
        }
        // Indexes beyond the 26 letters are ignored.
        assert!(Keywords::parse("40 a\n", Path::new("k")).is_ok());
    }

    #[test]
    fn keyword_syntax() {
        assert!(is_valid_keyword("$Junk"));
        assert!(!is_valid_keyword(""));
        assert!(!is_valid_keyword("\\Seen"));
        assert!(!is_valid_keyword("a b"));
        assert!(!is_valid_keyword("a(b"));
        assert!(!is_valid_keyword("ünï"));
    }

    #[test]
    fn adds_until_full() {
        let dir = tempfile::tempdir().unwrap();
        let store = KeywordStore {
            dir: dir.path(),
            host: "h",
            lock: LockOptions::default(),
            fsync: false,
        };
        let (_, bits) = store.resolve(&["one", "two"]).unwrap();
        assert_eq!(bits.letters().collect::<String>(), "ab");
        let (_, bits) = store.resolve(&["TWO", "three"]).unwrap();
        assert_eq!(bits.letters().collect::<String>(), "bc");
        let names: Vec<String> = (3..26).map(|i| format!("k{i}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        store.resolve(&refs).unwrap();
        assert!(matches!(
            store.resolve(&["more"]),
            Err(Error::TooManyKeywords { .. })
        ));
        assert!(matches!(
            store.resolve(&["a b"]),
            Err(Error::InvalidKeyword { .. })
        ));
        let text = std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
        assert!(text.starts_with("0 one\n1 two\n2 three\n"));
    }
}
