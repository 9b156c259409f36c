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
    /// target, or one whose resolution (through the tree's own symlinks)
    /// climbs above the root. `targets` maps symlink objects to targets.
    pub fn escaping_symlinks(&self, targets: &Targets) -> Vec<Rejection> {
        let mut out = Vec::new();
        self.walk_symlinks(self, &mut Vec::new(), targets, &mut out);
        out
    }

    fn walk_symlinks(
        &self,
        root: &Node,
        at: &mut Vec<Vec<u8>>,
        targets: &Targets,
        out: &mut Vec<Rejection>,
    ) {
        let Node::Dir(children) = self else { return };
        for (name, child) in children {
            match child {
                Node::Dir(_) => {
                    at.push(name.clone());
                    child.walk_symlinks(root, at, targets, out);
                    at.pop();
                }
                Node::Leaf {
                    kind: EntryKind::Symlink,
                    hash,
                    ..
                } => {
                    let t = targets.get(hash).map_or(&[][..], Vec::as_slice);
                    if let Err(why) = resolve(root, at.clone(), t, targets, &mut 0) {
                        let mut path = at.clone();
                        path.push(name.clone());
                        out.push(Rejection {
                            entry: show(&path.join(&b'/')),
                            reason: format!("symlink to `{}`: {why}", show(t)),
                        });
                    }
                }
                _ => {}
            }
        }
    }

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

/// Follows `target` from the directory `at` the way the kernel would,
/// through the tree's own symlinks. A component that does not exist (or
/// is a file) ends the walk harmlessly: using the path fails there.
fn resolve(
    root: &Node,
    mut at: Vec<Vec<u8>>,
    target: &[u8],
    targets: &Targets,
    hops: &mut u32,
) -> Result<Option<Vec<Vec<u8>>>, String> {
    if target.is_empty() {
        return Err("an empty target".into());
    }
    if target[0] == b'/' {
        return Err("an absolute target leads out of the tree".into());
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
                match root.get(&path) {
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
                        let next = targets.get(hash).map_or(&[][..], Vec::as_slice);
                        match resolve(root, at.clone(), next, targets, hops)? {
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
