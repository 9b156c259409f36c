//! A batch of staged writes: temp files in `tmp/<batch>/`, flushed with
//! one `syncfs`, then renamed into place objects first, trees after, so a
//! tree is never visible before what it names. Dropped uncommitted, a
//! batch removes its temp files; killed, it leaves them for fsck/gc.

use std::collections::HashSet;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

use crate::Store;
use crate::error::{Result, io_err};
use crate::fsutil;
use crate::id::{Hash, ObjectId, TreeId};
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
    committed: bool,
}

impl<'s> Batch<'s> {
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
            committed: false,
        })
    }

    pub fn store(&self) -> &'s Store {
        self.store
    }

    /// Whether the object is in the store or staged in this batch.
    pub fn has_object(&self, id: &ObjectId) -> bool {
        self.store.has_object(id)
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
        if self.claim(id.0, fs::symlink_metadata(&dest).is_ok()) {
            let tmp = self.temp();
            object::write_object_temp(&tmp, kind, content)?;
            self.objects
                .lock()
                .expect("no panics while held")
                .push((tmp, dest));
        }
        Ok(id)
    }

    /// Adds a large file: the kernel copies it, the copy is hashed.
    pub fn add_large(&self, kind: ObjectKind, src: &Path) -> Result<(ObjectId, u64)> {
        let tmp = self.temp();
        let (id, size) = object::copy_large_temp(src, &tmp, kind)?;
        Ok((self.keep_or_drop(id, tmp)?, size))
    }

    /// Adds a file read from a stream (a tar entry), hashing as it goes.
    pub fn add_stream(&self, kind: ObjectKind, reader: &mut dyn Read) -> Result<(ObjectId, u64)> {
        let tmp = self.temp();
        let (id, size) = object::stream_temp(reader, &tmp, kind)?;
        Ok((self.keep_or_drop(id, tmp)?, size))
    }

    fn keep_or_drop(&self, id: ObjectId, tmp: PathBuf) -> Result<ObjectId> {
        let dest = self.store.object_path(&id);
        if self.claim(id.0, fs::symlink_metadata(&dest).is_ok()) {
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
            let tmp = self.temp();
            fs::write(&tmp, tree.encode()).map_err(io_err("write", &tmp))?;
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
        let objects = std::mem::take(&mut *self.objects.lock().expect("no panics while held"));
        let trees = std::mem::take(&mut *self.trees.lock().expect("no panics while held"));
        let adopted = std::mem::take(&mut *self.adopted.lock().expect("no panics while held"));
        let count = (objects.len() + trees.len() + adopted.len()) as u64;
        if count > 0 {
            let root = self.store.root();
            fsutil::sync_fs(root)?;
            objects
                .par_iter()
                .try_for_each(|(tmp, dest)| fsutil::rename_creating_parent(tmp, dest))?;
            adopted
                .par_iter()
                .try_for_each(|(src, dest)| fsutil::link_creating_parent(src, dest))?;
            if !trees.is_empty() {
                fsutil::sync_fs(root)?;
                // In the order they were made: subtrees before their parents.
                for (tmp, dest) in &trees {
                    fsutil::rename_creating_parent(tmp, dest)?;
                }
            }
            fsutil::sync_fs(root)?;
        }
        self.committed = true;
        let _ = fs::remove_dir_all(&self.dir);
        Ok(count)
    }
}

impl Drop for Batch<'_> {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fsutil::remove_any(&self.dir);
        }
    }
}
