//! Runs the built `postroom` binary for the CLI tests.
#![allow(dead_code)] // each test file uses a different part

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The result of one run.
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    /// Panics with both streams unless the exit code is `code`.
    #[track_caller]
    pub(crate) fn expect(self, code: i32) -> Self {
        assert_eq!(
            self.code, code,
            "exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// Runs `postroom ARGS` with `stdin` piped in (empty if `None`), in `cwd`.
pub(crate) fn postroom_in(cwd: &Path, args: &[&str], stdin: Option<&str>) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_postroom"))
        .args(args)
        .current_dir(cwd)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn postroom");
    let mut pipe = child.stdin.take().unwrap();
    pipe.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(pipe);
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().unwrap();
    Run {
        code: status.code().expect("exited normally"),
        stdout: String::from_utf8(stdout).unwrap(),
        stderr: String::from_utf8(stderr).unwrap(),
    }
}

/// Runs `postroom ARGS` in the current directory.
pub(crate) fn postroom(args: &[&str]) -> Run {
    postroom_in(Path::new("."), args, None)
}

/// A quickstart installation made with `--init-only` in a fresh temporary directory.
pub(crate) struct Install {
    pub(crate) tmp: tempfile::TempDir,
    pub(crate) dir: PathBuf,
    pub(crate) config: String,
    pub(crate) first_run: Run,
}

impl Install {
    pub(crate) fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data");
        let first_run = postroom(&["quickstart", "--init-only", "--dir", dir.to_str().unwrap()]);
        let first_run = first_run.expect(0);
        let config = dir.join("postroom.toml").to_str().unwrap().to_owned();
        Self {
            tmp,
            dir,
            config,
            first_run,
        }
    }

    /// Runs `postroom ARGS --config <this install's config>`.
    pub(crate) fn run(&self, args: &[&str]) -> Run {
        self.run_with_stdin(args, None)
    }

    pub(crate) fn run_with_stdin(&self, args: &[&str], stdin: Option<&str>) -> Run {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--config", &self.config]);
        postroom_in(self.tmp.path(), &all, stdin)
    }
}
