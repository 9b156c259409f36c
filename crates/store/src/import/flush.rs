//! Making a batch durable without a flush per file. Objects are written
//! unflushed; one `syncfs` before anything is renamed into place makes
//! them all durable at once (git's batched fsync and OSTree do the same).
//! So that this one flush does not wait for the whole batch's bytes to
//! reach the disk, a thread starts `syncfs` in the background every
//! `STEP` bytes staged: the disk writes while the walk still hashes and
//! copies, and the final flush has only the tail left.
//!
//! `syncfs` reports a write-back error to each open file of the file
//! system once, and only errors after that file was opened. The file the
//! final flush uses is therefore opened when the batch starts (an error
//! in between is not missed), and the background thread has its own (an
//! error it sees is still seen by the final flush, and also fails it).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use crate::error::{Result, io_err};

/// Bytes staged between two background flushes.
const STEP: u64 = 32 << 20;

pub(crate) struct Flusher {
    root: PathBuf,
    /// Opened before the batch wrote anything.
    fs: File,
    staged: AtomicU64,
    kick: Option<SyncSender<()>>,
    thread: Option<JoinHandle<std::io::Result<()>>>,
}

impl Flusher {
    pub fn new(root: &Path) -> Result<Flusher> {
        let fs = File::open(root).map_err(io_err("open", root))?;
        let background = File::open(root).map_err(io_err("open", root))?;
        let (kick, rx) = sync_channel(1);
        let thread = std::thread::Builder::new()
            .name("grove-flush".into())
            .spawn(move || flush_on_kick(&background, &rx))
            .map_err(io_err("start a flushing thread for", root))?;
        Ok(Flusher {
            root: root.to_path_buf(),
            fs,
            staged: AtomicU64::new(0),
            kick: Some(kick),
            thread: Some(thread),
        })
    }

    /// Counts `bytes` written; every `STEP` bytes, asks for a background
    /// flush (one waiting request at most: requests made while one runs
    /// fold into the next).
    pub fn staged(&self, bytes: u64) {
        let before = self.staged.fetch_add(bytes, Ordering::Relaxed);
        if before / STEP != (before + bytes) / STEP {
            if let Some(k) = &self.kick {
                let _ = k.try_send(());
            }
        }
    }

    /// Stops the background flushing, then flushes everything written to
    /// the file system since the batch started; fails if any write-back
    /// failed.
    pub fn flush_all(&mut self) -> Result<()> {
        self.stop()
            .map_err(io_err("flush the file system of", &self.root))?;
        self.flush()
    }

    /// One more `syncfs` (after the renames of a step).
    pub fn flush(&self) -> Result<()> {
        rustix::fs::syncfs(&self.fs)
            .map_err(|e| io_err("flush the file system of", &self.root)(e.into()))
    }

    fn stop(&mut self) -> std::io::Result<()> {
        self.kick = None;
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(r)) => r,
            Some(Err(_)) => Err(std::io::Error::other("the flushing thread panicked")),
            None => Ok(()),
        }
    }
}

impl Drop for Flusher {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

fn flush_on_kick(fs: &File, kicks: &Receiver<()>) -> std::io::Result<()> {
    for () in kicks {
        rustix::fs::syncfs(fs)?;
    }
    Ok(())
}
