//! The tree being imported, in memory, and the checks that need all of
//! it: where every path goes, and where every symlink leads.

use std::collections::{BTreeMap, HashMap};

use crate::error::{Rejection, Result};
use crate::id::{Hash, TreeId};
use crate::import::Batch;
use crate::tree::{Entry, EntryKind, Tree};

/// A directory entry of the tree being imported.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    Dir(BTreeMap<Vec<u8>, Node>),
    /// A file or symlink whose object is known.
    Leaf {
        kind: EntryKind,
        hash: Hash,
        size: u64,
    },
}

/// How many symlinks one path may go through before it counts as a loop
/// (the kernel's limit).
const MAX_HOPS: u32 = 40;

pub(crate) fn show(path: &[u8]) -> String {
    String::from_utf8_lossy(path).into_owned()
}

/// Splits an archive entry's name into components, refusing absolute
/// names and `..`; `.` and empty components are dropped.
pub(crate) fn components(name: &[u8]) -> Result<Vec<&[u8]>, &'static str> {
    if name.first() == Some(&b'/') {
        return Err("an absolute path");
    }
    let mut out = Vec::new();
    for c in name.split(|&b| b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => return Err("the path contains `..`"),
            c if c.contains(&0) => return Err("the name contains a NUL byte"),
            c => out.push(c),
        }
    }
    Ok(out)
}

impl Node {
    pub fn new_dir() -> Node {
        Node::Dir(BTreeMap::new())
    }

    /// Puts `node` at `path` (not empty), creating parent directories.
    /// Refuses a path through a symlink or a file, and a name given twice
    /// (except a directory given again).
    pub fn insert(&mut self, path: &[&[u8]], node: Node) -> Result<(), String> {
        let (last, parents) = path.split_last().expect("insert is given a non-empty path");
        let mut here = self;
        for (i, c) in parents.iter().enumerate() {
            let Node::Dir(children) = here else {
                unreachable!("only directories are descended into")
            };
            here = children.entry(c.to_vec()).or_insert_with(Node::new_dir);
            match here {
                Node::Dir(_) => {}
                Node::Leaf {
                    kind: EntryKind::Symlink,
                    ..
                } => {
                    return Err(format!(
                        "the path goes through the symlink `{}`",
                        show(&parents[..=i].join(&b'/'))
                    ));
                }
                _ => {
                    return Err(format!(
                        "`{}` is a file, not a directory",
                        show(&parents[..=i].join(&b'/'))
                    ));
                }
            }
        }
        let Node::Dir(children) = here else {
            unreachable!("only directories are descended into")
        };
        match children.get(*last) {
            None => {
                children.insert(last.to_vec(), node);
                Ok(())
            }
            Some(Node::Dir(_)) if matches!(node, Node::Dir(_)) => Ok(()),
            Some(_) => Err("the name appears twice".into()),
        }
    }

    pub fn get(&self, path: &[&[u8]]) -> Option<&Node> {
        let mut here = self;
        for c in path {
            let Node::Dir(children) = here else {
                return None;
            };
            here = children.get(*c)?;
        }
        Some(here)
    }

    /// Every symlink whose use would lead out of the tree: an absolute
    /// target (unless `absolute_ok`: a sysroot's absolute symlinks, which
    /// mean the tree's own root once it is the root of a system), or one
    /// whose resolution (through the tree's own symlinks) climbs above the
    /// root. `targets` maps symlink objects to targets.
    pub fn escaping_symlinks(&self, targets: &Targets, absolute_ok: bool) -> Vec<Rejection> {
        let mut out = Vec::new();
        let mut walk = SymlinkWalk {
            root: self,
            targets,
            absolute_ok,
            out: &mut out,
        };
        walk.dir(self, &mut Vec::new());
        out
    }
}

struct SymlinkWalk<'a> {
    root: &'a Node,
    targets: &'a Targets,
    absolute_ok: bool,
    out: &'a mut Vec<Rejection>,
}

impl SymlinkWalk<'_> {
    fn dir(&mut self, node: &Node, at: &mut Vec<Vec<u8>>) {
        let Node::Dir(children) = node else { return };
        for (name, child) in children {
            match child {
                Node::Dir(_) => {
                    at.push(name.clone());
                    self.dir(child, at);
                    at.pop();
                }
                Node::Leaf {
                    kind: EntryKind::Symlink,
                    hash,
                    ..
                } => {
                    let t = self.targets.get(hash).map_or(&[][..], Vec::as_slice);
                    let how = Resolve {
                        root: self.root,
                        targets: self.targets,
                        absolute_ok: self.absolute_ok,
                    };
                    if let Err(why) = how.resolve(at.clone(), t, &mut 0) {
                        let mut path = at.clone();
                        path.push(name.clone());
                        self.out.push(Rejection {
                            entry: show(&path.join(&b'/')),
                            reason: format!("symlink to `{}`: {why}", show(t)),
                        });
                    }
                }
                _ => {}
            }
        }
    }
}

impl Node {
    /// Writes every directory as a tree into the batch, bottom-up.
    pub fn write(&self, batch: &Batch<'_>) -> Result<(TreeId, u64)> {
        let Node::Dir(children) = self else {
            unreachable!("write starts at a directory")
        };
        let mut entries = Vec::with_capacity(children.len());
        for (name, child) in children {
            let (kind, hash, size) = match child {
                Node::Dir(_) => {
                    let (id, size) = child.write(batch)?;
                    (EntryKind::Dir, id.0, size)
                }
                Node::Leaf { kind, hash, size } => (*kind, *hash, *size),
            };
            entries.push(Entry {
                name: name.clone(),
                kind,
                hash,
                size,
            });
        }
        let tree = Tree::new(entries).expect("names were checked on the way in");
        let size = tree.size();
        Ok((batch.add_tree(&tree)?, size))
    }
}

/// Symlink objects' targets.
pub(crate) type Targets = HashMap<Hash, Vec<u8>>;

struct Resolve<'a> {
    root: &'a Node,
    targets: &'a Targets,
    absolute_ok: bool,
}

impl Resolve<'_> {
    /// Follows `target` from the directory `at` the way the kernel would,
    /// through the tree's own symlinks (an allowed absolute target from the
    /// tree's root). A component that does not exist (or is a file) ends
    /// the walk harmlessly: using the path fails there.
    fn resolve(
        &self,
        mut at: Vec<Vec<u8>>,
        target: &[u8],
        hops: &mut u32,
    ) -> Result<Option<Vec<Vec<u8>>>, String> {
        if target.is_empty() {
            return Err("an empty target".into());
        }
        if target[0] == b'/' {
            if !self.absolute_ok {
                return Err(
                    "an absolute target leads out of the tree (a sysroot's absolute symlinks are \
                     let in by --allow-absolute-symlinks)"
                        .into(),
                );
            }
            at.clear();
        }
        for c in target.split(|&b| b == b'/') {
            match c {
                b"" | b"." => {}
                b".." => {
                    if at.pop().is_none() {
                        return Err("it climbs above the root of the tree".into());
                    }
                }
                name => {
                    let mut path: Vec<&[u8]> = at.iter().map(Vec::as_slice).collect();
                    path.push(name);
                    match self.root.get(&path) {
                        Some(Node::Dir(_)) => at.push(name.to_vec()),
                        Some(Node::Leaf {
                            kind: EntryKind::Symlink,
                            hash,
                            ..
                        }) => {
                            *hops += 1;
                            if *hops > MAX_HOPS {
                                return Err("symlinks loop".into());
                            }
                            let next = self.targets.get(hash).map_or(&[][..], Vec::as_slice);
                            match self.resolve(at.clone(), next, hops)? {
                                Some(p) => at = p,
                                None => return Ok(None),
                            }
                        }
                        _ => return Ok(None),
                    }
                }
            }
        }
        Ok(Some(at))
    }
}
