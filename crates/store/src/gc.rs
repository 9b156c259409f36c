//! `gc`: keep everything reachable from refs and gc roots, remove the
//! rest (and every temp file), report the space freed. Runs with the store
//! to itself, and deletes nothing if what is reachable cannot be read.

use std::fs;
use std::path::Path;

use crate::error::{Result, StoreError};
use crate::lock::Access;
use crate::reach::{self, list_hashed};
use crate::{Store, fsutil};

#[derive(Debug, Clone, Default)]
pub struct GcReport {
    pub dry_run: bool,
    /// Objects, trees, commits, artifacts and logs removed (or that would be).
    pub removed: u64,
    /// Temp files and directories removed.
    pub temp_files: u64,
    /// Bytes of the files removed. A removed object still hardlinked from a
    /// checkout keeps its space until the checkout goes.
    pub freed: u64,
    /// Objects, trees, commits, artifacts and logs kept.
    pub kept: u64,
}

impl Store {
    pub fn gc(&self, dry_run: bool) -> Result<GcReport> {
        if !dry_run && self.access != Access::Exclusive {
            return Err(StoreError::NeedsExclusive { what: "gc" });
        }
        let (r, problems) = reach::mark(self)?;
        if let Some(p) = problems.first() {
            return Err(StoreError::GcUnsafe {
                detail: p.to_string(),
            });
        }
        let mut report = GcReport {
            dry_run,
            ..GcReport::default()
        };
        // Whatever names something goes before what it names, so a gc that
        // is killed leaves few records naming missing things (fsck calls
        // those incomplete; only trees naming subtrees can still be).
        for (dir, suffix, keep) in [
            ("commits", "", &r.commits),
            ("artifacts", "", &r.artifacts),
            ("trees", "", &r.trees),
            ("logs", ".zst", &r.logs),
            ("objects", "", &r.objects),
        ] {
            for (path, hash) in list_hashed(&self.dir(dir), suffix)? {
                if hash.is_some_and(|h| keep.contains(&h)) {
                    report.kept += 1;
                    continue;
                }
                report.removed += 1;
                report.freed += size_of(&path);
                if !dry_run {
                    fsutil::remove_any(&path).map_err(crate::error::io_err("remove", &path))?;
                }
            }
        }
        for path in reach::temp_files(self)? {
            report.temp_files += 1;
            report.freed += size_of(&path);
            if !dry_run {
                fsutil::remove_any(&path).map_err(crate::error::io_err("remove", &path))?;
            }
        }
        if !dry_run {
            fsutil::sync_fs(self.root())?;
        }
        Ok(report)
    }
}

/// Bytes in a file, or in everything below a directory.
fn size_of(path: &Path) -> u64 {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => fs::read_dir(path)
            .map(|d| d.flatten().map(|e| size_of(&e.path())).sum())
            .unwrap_or(0),
        Ok(m) => m.len(),
        Err(_) => 0,
    }
}
