//! Build logs: stored zstd-compressed under `logs/ab/<hash>.zst`, named by
//! the hash of their text; an artifact names its log.

use std::fs;
use std::path::PathBuf;

use crate::Store;
use crate::error::{Result, StoreError, corrupt, io_err};
use crate::fsutil;
use crate::id::{Hash, LogId};

pub(crate) const LOG_DOMAIN: &[u8] = b"grove/log\0";

impl Store {
    pub fn log_path(&self, id: &LogId) -> PathBuf {
        fsutil::fanout(&self.dir("logs"), &id.to_hex(), ".zst")
    }

    pub fn has_log(&self, id: &LogId) -> bool {
        self.log_path(id).exists()
    }

    /// Stores a log durably, compressed.
    pub fn put_log(&self, text: &[u8]) -> Result<LogId> {
        let id = LogId(Hash::of(LOG_DOMAIN, text));
        let path = self.log_path(&id);
        if !path.exists() {
            let packed =
                zstd::bulk::compress(text, 3).map_err(io_err("compress the log for", &path))?;
            fsutil::write_atomic(&self.tmp(), &path, &packed, 0o444)?;
        }
        Ok(id)
    }

    /// Reads a log back, checking its hash.
    pub fn read_log(&self, id: &LogId) -> Result<Vec<u8>> {
        let path = self.log_path(id);
        let packed = match fs::read(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::NotFound {
                    what: "log",
                    id: id.to_hex(),
                });
            }
            r => r.map_err(io_err("read", &path))?,
        };
        let text = zstd::stream::decode_all(&packed[..])
            .map_err(|e| corrupt("log", &path, e.to_string()))?;
        if Hash::of(LOG_DOMAIN, &text) != id.0 {
            return Err(corrupt("log", &path, "its text does not hash to its name"));
        }
        Ok(text)
    }

    /// The log of the build of `drv`, if it was built with one.
    pub fn log_of(&self, drv: &crate::DrvId) -> Result<Option<Vec<u8>>> {
        match self.artifact(drv)?.and_then(|a| a.log) {
            Some(log) => self.read_log(&log).map(Some),
            None => Ok(None),
        }
    }
}
