//! Small file-system helpers: atomic replace, directory fsync, listings.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use crate::error::{Result, io_err};
use crate::filename::unique_base;

/// Makes a rename or link in `dir` durable.
pub(crate) fn fsync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err("fsync", dir))
}

/// Replaces `dir/name` with `contents`: written to a temporary file in the
/// same directory, optionally fsynced, then renamed over the old file.
pub(crate) fn replace_file(dir: &Path, name: &str, contents: &[u8], fsync: bool) -> Result<()> {
    let tmp = dir.join(format!("{name}.{}.tmp", unique_base("x")));
    let result = write_new(&tmp, contents, fsync)
        .and_then(|()| fs::rename(&tmp, dir.join(name)).map_err(io_err("rename", &tmp)));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
        return result;
    }
    if fsync {
        fsync_dir(dir)?;
    }
    Ok(())
}

fn write_new(path: &Path, contents: &[u8], fsync: bool) -> Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io_err("create", path))?;
    file.write_all(contents).map_err(io_err("write", path))?;
    if fsync {
        file.sync_all().map_err(io_err("fsync", path))?;
    }
    Ok(())
}

/// Reads a file to a string; `None` if it does not exist.
pub(crate) fn read_optional(path: &Path) -> Result<Option<String>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err("read", path)(e)),
    }
}

/// The names in a directory that do not start with `.` and are valid UTF-8.
pub(crate) fn list_names(dir: &Path) -> Result<Vec<String>> {
    let entries = fs::read_dir(dir).map_err(io_err("read directory", dir))?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(io_err("read directory", dir))?;
        if let Ok(name) = entry.file_name().into_string()
            && !name.starts_with('.')
        {
            names.push(name);
        }
    }
    Ok(names)
}

/// Creates a directory (mode 0700) unless it exists.
pub(crate) fn ensure_dir(path: &Path) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    match fs::DirBuilder::new().mode(0o700).create(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && path.is_dir() => Ok(()),
        Err(e) => Err(io_err("mkdir", path)(e)),
    }
}
