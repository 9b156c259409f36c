//! Bringing trees in: from a directory or a tar archive (plain, gzip,
//! bzip2, xz, zstd). Every entry is checked first (no absolute paths, no
//! `..`, no symlink or hard link leading out of the tree, no device nodes
//! unless allowed); one bad entry refuses the whole import, each bad entry
//! is named, and nothing half-imported stays behind: objects are staged in
//! a batch that is renamed into place only when everything is sound.

mod batch;
mod cache;
mod dir;
mod flush;
mod node;
mod tar;

use std::path::Path;

pub(crate) use batch::Batch;
#[cfg(test)]
pub(crate) use dir::BEFORE_OPEN;

use crate::Store;
use crate::error::{Rejection, Result, io_err};
use crate::id::TreeId;

/// What an import accepts beyond plain files, directories and symlinks.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Skip device nodes, FIFOs and sockets (each is reported) instead of
    /// refusing the import. They are never stored.
    pub allow_devices: bool,
    /// Let in symlinks with absolute targets, for a base sysroot whose
    /// `/usr/lib/libfoo.so -> /usr/lib/libfoo.so.1` mean the sysroot's own
    /// root. They are stored as they are and, like every symlink, never
    /// followed, by the import or by a checkout; where they lead is checked
    /// from the tree's root, so one that climbs above it is still refused.
    pub allow_absolute_symlinks: bool,
    /// The directory is handed over to the store: its files become the
    /// objects themselves (made read-only, mtime 0, hardlinked into the
    /// store, no byte copied) and the directory is removed once the import
    /// is in place. Files with other hard links, or on another file system,
    /// are copied as usual. If the import is refused the directory stays,
    /// but some of its files may have been made read-only already.
    pub consume: bool,
}

/// What an import produced.
#[derive(Debug, Clone)]
pub struct Imported {
    pub tree: TreeId,
    /// Regular files and symlinks in the tree.
    pub files: u64,
    /// Bytes of content in the tree.
    pub bytes: u64,
    /// Objects and trees that were not in the store before.
    pub new_objects: u64,
    /// Entries skipped because `allow_devices` allowed it.
    pub skipped: Vec<Rejection>,
}

impl Store {
    /// Imports a directory, or a tar archive (compression is recognized
    /// by its magic bytes, not the file name), as one tree.
    pub fn import_path(&self, path: &Path, options: &ImportOptions) -> Result<Imported> {
        let meta = std::fs::metadata(path).map_err(io_err("read", path))?;
        if meta.is_dir() {
            let imported = dir::stage(self, path, options)?.commit()?;
            if options.consume {
                crate::fsutil::remove_any(path)
                    .map_err(io_err("remove the consumed directory", path))?;
            }
            Ok(imported)
        } else {
            let file = std::fs::File::open(path).map_err(io_err("open", path))?;
            tar::stage(self, file, path, options, &[])?.0.commit()
        }
    }
}

/// An import whose objects are written but not yet in place.
pub(crate) struct Staged<'s> {
    pub batch: Batch<'s>,
    pub tree: TreeId,
    pub files: u64,
    pub bytes: u64,
    pub skipped: Vec<Rejection>,
    /// What a directory import saw, saved once it is in place.
    pub cache: Option<cache::Cache>,
}

impl Staged<'_> {
    pub fn commit(self) -> Result<Imported> {
        let store = self.batch.store();
        let new_objects = self.batch.commit()?;
        if let Some(cache) = self.cache {
            cache.save(store);
        }
        Ok(Imported {
            tree: self.tree,
            files: self.files,
            bytes: self.bytes,
            new_objects,
            skipped: self.skipped,
        })
    }
}

pub(crate) use tar::stage as stage_tar;
