//! A batch of staged writes, flushed with one `syncfs` and then renamed
//! into place objects first, trees after, so a tree is never visible
//! before what it names. A temp file whose destination is known when it
//! is written (most objects, every tree) sits beside it under a `.tmp-`
//! name, so that moving it into place is a rename within one directory;
//! streamed content, named only once read, waits in `tmp/<batch>/`.
//! Dropped uncommitted, a batch removes its temp files; killed, it leaves
//! them for fsck/gc.
//!
//! No object is flushed on its own: the one `syncfs` before the first
//! rename makes every staged file durable, so no object can be visible
//! under its name with less than its content, even after a power cut.

use std::collections::HashSet;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

use crate::Store;
use crate::error::{Result, StoreError, io_err};
use crate::fsutil;
use crate::id::{Hash, ObjectId, TreeId};
use crate::import::flush::Flusher;
use crate::object::{self, ObjectKind};
use crate::tree::Tree;

pub(crate) struct Batch<'s> {
    store: &'s Store,
    dir: PathBuf,
    counter: AtomicU64,
    claimed: Mutex<HashSet<Hash>>,
    objects: Mutex<Vec<(PathBuf, PathBuf)>>,
    trees: Mutex<Vec<(PathBuf, PathBuf)>>,
    /// Files adopted as they are (a consumed import): hardlinked into place.
    adopted: Mutex<Vec<(PathBuf, PathBuf)>>,
    flusher: Flusher,
    /// Objects whose content is at hand are written straight under their
    /// names (an import already checked whole), not staged.
    in_place: bool,
    /// How many objects were written in place.
    written: AtomicU64,
    committed: bool,
}

/// What a new file costs the disk beyond its bytes (its inode and name),
/// counted so that many small files also start background flushes.
const PER_FILE: u64 = 512;

impl<'s> Batch<'s> {
    /// A batch for an import that was checked before anything is written
    /// (a directory): objects are written in place at once, since nothing
    /// of it will be refused. Trees are still staged.
    pub fn in_place(store: &'s Store) -> Result<Batch<'s>> {
        let mut batch = Batch::new(store)?;
        batch.in_place = true;
        Ok(batch)
    }

    pub fn new(store: &'s Store) -> Result<Batch<'s>> {
        let dir = fsutil::temp_path(&store.tmp(), "batch");
        fs::create_dir(&dir).map_err(io_err("create", &dir))?;
        Ok(Batch {
            store,
            dir,
            counter: AtomicU64::new(0),
            claimed: Mutex::new(HashSet::new()),
            objects: Mutex::new(Vec::new()),
            trees: Mutex::new(Vec::new()),
            adopted: Mutex::new(Vec::new()),
            flusher: Flusher::new(store.root())?,
            in_place: false,
            written: AtomicU64::new(0),
            committed: false,
        })
    }

    pub fn store(&self) -> &'s Store {
        self.store
    }

    /// Whether the object (of `size` bytes) is whole in the store or staged
    /// in this batch.
    pub fn has_object(&self, id: &ObjectId, size: u64) -> bool {
        object::present(&self.store.object_path(id), size)
            || self
                .claimed
                .lock()
                .expect("no panics while held")
                .contains(&id.0)
    }

    fn temp(&self) -> PathBuf {
        self.dir
            .join(self.counter.fetch_add(1, Ordering::Relaxed).to_string())
    }

    /// True when `hash` is neither in the store nor already in this batch:
    /// the caller is the one to write it.
    fn claim(&self, hash: Hash, in_store: bool) -> bool {
        !in_store
            && self
                .claimed
                .lock()
                .expect("no panics while held")
                .insert(hash)
    }

    pub fn add_bytes(&self, kind: ObjectKind, content: &[u8]) -> Result<ObjectId> {
        let id = kind.id(content);
        let dest = self.store.object_path(&id);
        if self.in_place {
            // Creating it exclusively tells whether it is there: no `lstat`
            // first.
            if self.claim(id.0, false) && object::write_in_place(&dest, kind, content)? {
                self.flusher.staged(content.len() as u64 + PER_FILE);
                self.written.fetch_add(1, Ordering::Relaxed);
            }
            return Ok(id);
        }
        if self.claim(id.0, object::present(&dest, content.len() as u64)) {
            let tmp = write_beside(&dest, |tmp| object::write_object_temp(tmp, kind, content))?;
            self.flusher.staged(content.len() as u64 + PER_FILE);
            self.objects
                .lock()
                .expect("no panics while held")
                .push((tmp, dest));
        }
        Ok(id)
    }

    /// Adds a large file: the kernel copies it, the copy is hashed.
    pub fn add_large(
        &self,
        kind: ObjectKind,
        src: &mut fs::File,
        path: &Path,
    ) -> Result<(ObjectId, u64)> {
        let tmp = self.temp();
        let (id, size) = object::copy_large_temp(src, path, &tmp, kind)?;
        Ok((self.keep_or_drop(id, size, tmp)?, size))
    }

    /// Adds a file read from a stream (a tar entry), hashing as it goes.
    pub fn add_stream(&self, kind: ObjectKind, reader: &mut dyn Read) -> Result<(ObjectId, u64)> {
        let tmp = self.temp();
        let (id, size) = object::stream_temp(reader, &tmp, kind)?;
        Ok((self.keep_or_drop(id, size, tmp)?, size))
    }

    fn keep_or_drop(&self, id: ObjectId, size: u64, tmp: PathBuf) -> Result<ObjectId> {
        let dest = self.store.object_path(&id);
        if self.claim(id.0, object::present(&dest, size)) {
            self.flusher.staged(size + PER_FILE);
            self.objects
                .lock()
                .expect("no panics while held")
                .push((tmp, dest));
        } else {
            fs::remove_file(&tmp).map_err(io_err("remove", &tmp))?;
        }
        Ok(id)
    }

    /// Adopts `src`, already normalized and hashed to `id`, as the object
    /// itself: at commit it is hardlinked into place, no byte copied.
    pub fn adopt(&self, id: ObjectId, src: &Path) {
        let dest = self.store.object_path(&id);
        if self.claim(id.0, fs::symlink_metadata(&dest).is_ok()) {
            self.adopted
                .lock()
                .expect("no panics while held")
                .push((src.to_path_buf(), dest));
        }
    }

    pub fn add_tree(&self, tree: &Tree) -> Result<TreeId> {
        let id = tree.id();
        let dest = self.store.tree_path(&id);
        if self.claim(id.0, dest.exists()) {
            let bytes = tree.encode();
            let tmp = write_beside(&dest, |tmp| {
                fs::write(tmp, &bytes).map_err(io_err("write", tmp))
            })?;
            self.flusher.staged(bytes.len() as u64 + PER_FILE);
            self.trees
                .lock()
                .expect("no panics while held")
                .push((tmp, dest));
        }
        Ok(id)
    }

    /// Flushes and renames everything into place; returns how many
    /// objects and trees were new.
    pub fn commit(mut self) -> Result<u64> {
        let objects = self.objects.get_mut().expect("no panics while held");
        let trees = self.trees.get_mut().expect("no panics while held");
        let adopted = self.adopted.get_mut().expect("no panics while held");
        let count = (objects.len() + trees.len() + adopted.len()) as u64 + *self.written.get_mut();
        if count > 0 {
            self.flusher.flush_all()?;
            objects
                .par_iter()
                .try_for_each(|(tmp, dest)| fsutil::rename_creating_parent(tmp, dest))?;
            adopted
                .par_iter()
                .try_for_each(|(src, dest)| fsutil::link_creating_parent(src, dest))?;
            if !trees.is_empty() {
                self.flusher.flush()?;
                // In the order they were made: subtrees before their parents.
                for (tmp, dest) in trees.iter() {
                    fsutil::rename_creating_parent(tmp, dest)?;
                }
            }
            self.flusher.flush()?;
        }
        self.committed = true;
        let _ = fs::remove_dir_all(&self.dir);
        Ok(count)
    }
}

impl Drop for Batch<'_> {
    fn drop(&mut self) {
        if !self.committed {
            // Those already renamed into place are gone from here: nothing
            // else has these names.
            let objects = self.objects.get_mut().expect("no panics while held");
            let trees = self.trees.get_mut().expect("no panics while held");
            for (tmp, _) in objects.iter().chain(trees.iter()) {
                let _ = fs::remove_file(tmp);
            }
            let _ = fsutil::remove_any(&self.dir);
        }
    }
}

/// Writes a temp file beside `dest` with `write`, creating the fanned-out
/// directory the first time it is needed.
fn write_beside(dest: &Path, write: impl Fn(&Path) -> Result<()>) -> Result<PathBuf> {
    let tmp = fsutil::temp_beside(dest);
    match write(&tmp) {
        Err(StoreError::Io { error, .. }) if error.kind() == std::io::ErrorKind::NotFound => {
            let dir = dest.parent().expect("a fanned-out path has a parent");
            fs::create_dir_all(dir).map_err(io_err("create", dir))?;
            write(&tmp)?;
        }
        r => r?,
    }
    Ok(tmp)
}
