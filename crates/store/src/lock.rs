//! Locks between grove processes: `flock` on files under `locks/`, one per
//! artifact or ref, plus the store lock (shared for normal work, exclusive
//! for gc and repair). A process that has to wait says so through an
//! [`Event`] first, never by printing.

use std::fs::{File, OpenOptions};
use std::path::Path;
use std::sync::Arc;

use rustix::fs::{FlockOperation, flock};

use crate::error::{Result, io_err};

/// What the store tells its caller while it works.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Another process holds a lock this one needs; it now waits for it.
    Waiting { lock: String },
    /// The lock waited for was acquired.
    Acquired { lock: String },
}

/// Receives [`Event`]s. Costs nothing when none is installed.
pub type Observer = Arc<dyn Fn(&Event) + Send + Sync>;

/// How much of a lock is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Many holders at once: normal reading and writing.
    Shared,
    /// One holder: gc and repair, which delete.
    Exclusive,
}

/// A held lock, released when dropped (the file is closed).
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

/// Takes the lock on `path`, first without blocking; if someone else has
/// it, reports `Waiting { lock: what }` and blocks.
pub(crate) fn acquire(
    path: &Path,
    access: Access,
    what: &str,
    observer: Option<&Observer>,
) -> Result<Lock> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(io_err("open the lock", path))?;
    let (try_op, wait_op) = match access {
        Access::Shared => (
            FlockOperation::NonBlockingLockShared,
            FlockOperation::LockShared,
        ),
        Access::Exclusive => (
            FlockOperation::NonBlockingLockExclusive,
            FlockOperation::LockExclusive,
        ),
    };
    match flock(&file, try_op) {
        Ok(()) => return Ok(Lock { _file: file }),
        Err(rustix::io::Errno::WOULDBLOCK) => {}
        Err(e) => return Err(io_err("lock", path)(e.into())),
    }
    if let Some(o) = observer {
        o(&Event::Waiting {
            lock: what.to_string(),
        });
    }
    flock(&file, wait_op).map_err(|e| io_err("lock", path)(e.into()))?;
    if let Some(o) = observer {
        o(&Event::Acquired {
            lock: what.to_string(),
        });
    }
    Ok(Lock { _file: file })
}
