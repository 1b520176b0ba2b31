//! Error type of the storage layer.

use std::path::PathBuf;

/// Everything that can go wrong in the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// An operating-system level I/O error (open, read, write, fsync, ...).
    #[error("storage I/O error: {0}")]
    Io(#[from] std::io::Error),

    /// Another process (or another `Store` in this process) holds the
    /// exclusive lock on the data directory.
    #[error(
        "data directory {} is locked by another process (is another wharf server already using it?)",
        path.display()
    )]
    Locked {
        /// The data directory that could not be locked.
        path: PathBuf,
    },

    /// The data directory was written by a (newer or otherwise incompatible)
    /// version of the on-disk format.
    #[error(
        "data directory has on-disk format version {found}, but this build supports versions up to {supported}; \
         use a matching wharf release or a different data directory"
    )]
    UnsupportedFormat {
        /// Version found in the `FORMAT` file.
        found: u32,
        /// Version this build reads and writes.
        supported: u32,
    },

    /// A previous write or fsync failed. Nothing is accepted any more because
    /// the on-disk state can no longer be trusted; restart the process to
    /// recover from the journal.
    #[error(
        "store is poisoned by an earlier write/fsync failure ({0}); restart the server to recover"
    )]
    Poisoned(String),

    /// The writer thread is gone (the store was shut down or crashed).
    #[error("store writer has shut down")]
    Closed,

    /// Any other error reported by the storage engine, or an invalid request.
    #[error("storage engine error: {0}")]
    Engine(String),
}

impl StoreError {
    /// Produces an equivalent error value; used to report one failure to every
    /// caller of a group commit (`std::io::Error` is not `Clone`).
    pub(crate) fn duplicate(&self) -> StoreError {
        match self {
            StoreError::Io(e) => StoreError::Io(std::io::Error::new(e.kind(), e.to_string())),
            StoreError::Locked { path } => StoreError::Locked { path: path.clone() },
            StoreError::UnsupportedFormat { found, supported } => StoreError::UnsupportedFormat {
                found: *found,
                supported: *supported,
            },
            StoreError::Poisoned(reason) => StoreError::Poisoned(reason.clone()),
            StoreError::Closed => StoreError::Closed,
            StoreError::Engine(msg) => StoreError::Engine(msg.clone()),
        }
    }
}

impl From<fjall::Error> for StoreError {
    fn from(error: fjall::Error) -> Self {
        match error {
            fjall::Error::Io(e) => StoreError::Io(e),
            fjall::Error::Poisoned => StoreError::Poisoned(
                "the storage engine reported an earlier fatal I/O failure".into(),
            ),
            other => StoreError::Engine(other.to_string()),
        }
    }
}
