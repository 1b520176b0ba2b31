//! Data directory management: the `LOCK` file and the `FORMAT` marker.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{ErrorKind, Write};
use std::path::Path;

use crate::{StoreError, FORMAT_VERSION};

pub(crate) const LOCK_FILE: &str = "LOCK";
pub(crate) const FORMAT_FILE: &str = "FORMAT";
pub(crate) const ENGINE_DIR: &str = "fjall";

/// Creates `dir` if needed and takes an exclusive advisory lock on
/// `dir/LOCK`. The lock lives as long as the returned file handle.
pub(crate) fn lock(dir: &Path) -> Result<File, StoreError> {
    fs::create_dir_all(dir)?;
    let path = dir.join(LOCK_FILE);
    // No truncation before the lock is held: the current holder's pid stays.
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            return Err(StoreError::Locked {
                path: dir.to_path_buf(),
            })
        }
        Err(TryLockError::Error(e)) => return Err(StoreError::Io(e)),
    }
    // Purely informational, for an operator looking at a locked directory.
    file.set_len(0)?;
    writeln!(file, "{}", std::process::id())?;
    Ok(file)
}

/// Oldest format this version reads (and upgrades to [`FORMAT_VERSION`]).
const OLDEST_FORMAT: u32 = 1;

/// Checks `dir/FORMAT`, or writes it when the directory is new; an older
/// supported format is upgraded (format 2 added the range deletion records, format 3 binary SQS message
/// records; both are read as they are, only `FORMAT` is rewritten).
pub(crate) fn check_format(dir: &Path) -> Result<(), StoreError> {
    let path = dir.join(FORMAT_FILE);
    match fs::read_to_string(&path) {
        Ok(text) => {
            let found: u32 = text.trim().parse().map_err(|_| {
                StoreError::Engine(format!(
                    "{} is corrupt: expected a format version number, found {:?}",
                    path.display(),
                    text.trim()
                ))
            })?;
            if !(OLDEST_FORMAT..=FORMAT_VERSION).contains(&found) {
                return Err(StoreError::UnsupportedFormat {
                    found,
                    supported: FORMAT_VERSION,
                });
            }
            if found < FORMAT_VERSION {
                tracing::info!(
                    from = found,
                    to = FORMAT_VERSION,
                    "upgrading the storage format"
                );
                write_format(dir)?;
            }
            Ok(())
        }
        Err(e) if e.kind() == ErrorKind::NotFound => {
            if dir.join(ENGINE_DIR).exists() {
                return Err(StoreError::Engine(format!(
                    "{} holds storage data but no {FORMAT_FILE} file; refusing to guess its format",
                    dir.display()
                )));
            }
            write_format(dir)
        }
        Err(e) => Err(StoreError::Io(e)),
    }
}

/// Writes the `FORMAT` file atomically (temp file, fsync, rename, fsync dir).
fn write_format(dir: &Path) -> Result<(), StoreError> {
    let tmp = dir.join(format!("{FORMAT_FILE}.tmp"));
    {
        let mut file = File::create(&tmp)?;
        writeln!(file, "{FORMAT_VERSION}")?;
        file.sync_all()?;
    }
    fs::rename(&tmp, dir.join(FORMAT_FILE))?;
    sync_dir(dir)
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)?.sync_all()?;
    Ok(())
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> Result<(), StoreError> {
    Ok(())
}
