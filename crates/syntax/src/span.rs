//! Small spans (a file id and two byte offsets) and the files they point into.
//!
//! Spans stay small so every statement can carry one; they are turned into
//! line and column, or into a labelled snippet, only at the edge.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock, RwLock};

/// Identifies one loaded source file within a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A byte range in one source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span { file, start: start as u32, end: end.max(start) as u32 }
    }

    pub fn len(&self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// The span as miette wants it for a label.
    pub fn source_span(&self) -> miette::SourceSpan {
        (self.start as usize, self.len()).into()
    }
}

/// One source file: its path as the user should see it, and its text.
#[derive(Debug)]
pub struct SourceFile {
    pub id: FileId,
    pub path: PathBuf,
    pub text: Arc<str>,
    /// Where each line starts; computed on the first question (most files
    /// are never asked: only diagnostics need lines).
    line_starts: OnceLock<Vec<u32>>,
}

impl SourceFile {
    pub fn new(id: FileId, path: PathBuf, text: Arc<str>) -> SourceFile {
        SourceFile { id, path, text, line_starts: OnceLock::new() }
    }

    fn line_starts(&self) -> &[u32] {
        self.line_starts.get_or_init(|| {
            let mut starts = vec![0u32];
            starts.extend(memchr::memchr_iter(b'\n', self.text.as_bytes()).map(|i| i as u32 + 1));
            starts
        })
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: u32) -> (u32, u32) {
        let line_starts = self.line_starts();
        let line = line_starts.partition_point(|&s| s <= offset) - 1;
        let start = line_starts[line] as usize;
        let end = (offset as usize).min(self.text.len());
        let col = self.text.get(start..end).map_or(end - start, |s| s.chars().count());
        (line as u32 + 1, col as u32 + 1)
    }

    pub fn line(&self, offset: u32) -> u32 {
        self.line_col(offset).0
    }

    pub fn name(&self) -> String {
        self.path.display().to_string()
    }
}

/// Every file loaded in one session, by id. Shared between threads.
#[derive(Debug, Default)]
pub struct SourceMap {
    /// By id; `None` once released.
    files: RwLock<Vec<Option<Arc<SourceFile>>>>,
    /// The latest file registered for each path: a file read again with
    /// the same text (a recipe in each configuration of a matrix) is kept
    /// once.
    by_path: RwLock<rustc_hash::FxHashMap<OsString, Arc<SourceFile>>>,
}

impl SourceMap {
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    /// Registers a file and returns it with its new id.
    pub fn add(&self, path: &Path, text: Arc<str>) -> Arc<SourceFile> {
        if let Some(known) = self.by_path.read().unwrap_or_else(|e| e.into_inner()).get(path.as_os_str()) {
            if known.text == text {
                return known.clone();
            }
        }
        let mut files = self.files.write().unwrap_or_else(|e| e.into_inner());
        let id = FileId(files.len() as u32);
        let file = Arc::new(SourceFile::new(id, path.to_path_buf(), text));
        files.push(Some(file.clone()));
        self.by_path.write().unwrap_or_else(|e| e.into_inner()).insert(path.as_os_str().to_owned(), file.clone());
        file
    }

    pub fn get(&self, id: FileId) -> Option<Arc<SourceFile>> {
        let files = self.files.read().unwrap_or_else(|e| e.into_inner());
        files.get(id.0 as usize).cloned().flatten()
    }

    /// Forgets the file last registered for `path` if nothing else holds
    /// it: a recipe, once derived, is needed only by the diagnostics that
    /// point into it, and those hold the file themselves. Ten thousand
    /// recipes are megabytes of text that the next recipes' evaluation can
    /// reuse. A file still held (a parse kept for includes, an error) stays
    /// registered. Returns whether the file was forgotten.
    pub fn release(&self, path: &Path) -> bool {
        let mut files = self.files.write().unwrap_or_else(|e| e.into_inner());
        let mut by_path = self.by_path.write().unwrap_or_else(|e| e.into_inner());
        let Some(file) = by_path.get(path.as_os_str()) else { return false };
        // The map holds it twice, by id and by path; `add` clones it only
        // under the locks held here.
        if Arc::strong_count(file) != 2 {
            return false;
        }
        let id = file.id.0 as usize;
        by_path.remove(path.as_os_str());
        if let Some(slot) = files.get_mut(id) {
            *slot = None;
        }
        true
    }

    /// `file:line:col` of the start of a span.
    pub fn describe(&self, span: Span) -> String {
        match self.get(span.file) {
            Some(f) => {
                let (l, c) = f.line_col(span.start);
                format!("{}:{l}:{c}", f.name())
            }
            None => "<unknown>".to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_released_only_when_nothing_else_holds_it() {
        let map = SourceMap::new();
        let held = map.add(Path::new("/l/held.gr"), "A = 1\n".into());
        let free = map.add(Path::new("/l/free.gr"), "B = 2\n".into()).id;
        assert!(!map.release(Path::new("/l/held.gr")), "a holder keeps it");
        assert!(map.get(held.id).is_some());
        assert!(map.release(Path::new("/l/free.gr")));
        assert!(map.get(free).is_none());
        assert!(!map.release(Path::new("/l/free.gr")), "already gone");
        assert!(!map.release(Path::new("/l/never.gr")));
        // Read again, it is registered anew, under a new id.
        let again = map.add(Path::new("/l/free.gr"), "B = 2\n".into());
        assert_ne!(again.id, free);
        assert_eq!(map.describe(Span::new(again.id, 0, 1)), "/l/free.gr:1:1");
        drop(held);
        assert!(map.release(Path::new("/l/held.gr")), "its holder is gone");
    }

    #[test]
    fn line_and_column_are_one_based_and_count_characters() {
        let f = SourceFile::new(FileId(0), "x".into(), "ab\ncé d\n".into());
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(3), (2, 1));
        // 'é' is two bytes: byte 6 is the space after it, the third character.
        assert_eq!(f.line_col(6), (2, 3));
        assert_eq!(f.line_col(9), (3, 1));
    }
}
