//! What parsing and lowering each module gave, kept between runs by a long-lived caller
//! (`txlint lsp`), so that after an edit only the edited file is parsed again.
//!
//! The cache is a memo and nothing more: an entry is used only when the file's text and the set of
//! its imports that name project files (which lowering reads) are exactly those it was made from,
//! so a run with the cache reports what a run without it would. Everything that depends on other
//! files (resolution, linking, the expansion of calls into other modules, the rules) is computed
//! afresh on every run from the modules' facts.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use super::link::ModuleFacts;
use crate::diagnostic::Diagnostic;
use crate::semantic::lower::Lowered;

/// One module as parsing and lowering left it.
#[derive(Debug)]
pub struct CachedModule {
    /// The text it was made from.
    text: Arc<str>,
    /// The specifiers that named project files when it was lowered.
    local: BTreeSet<String>,
    pub lowered: Option<Arc<Lowered>>,
    pub parse_error: Option<Diagnostic>,
    /// Its exports' facts, when they depend on no other module.
    pub facts: Option<Arc<ModuleFacts>>,
}

impl CachedModule {
    pub fn new(
        text: &str,
        local: BTreeSet<String>,
        lowered: Option<Arc<Lowered>>,
        parse_error: Option<Diagnostic>,
        facts: Option<Arc<ModuleFacts>>,
    ) -> Self {
        Self {
            text: Arc::from(text),
            local,
            lowered,
            parse_error,
            facts,
        }
    }
}

/// The modules of the last runs, by absolute path.
#[derive(Debug, Default)]
pub struct ModuleCache {
    entries: Mutex<HashMap<PathBuf, Arc<CachedModule>>>,
    /// The paths looked up or stored since the last [`ModuleCache::finish_run`].
    used: Mutex<HashSet<PathBuf>>,
    /// Modules parsed (not found in the cache) since the cache was made.
    parsed: AtomicUsize,
}

fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic in another thread's analysis leaves the map whole: every write is one insert.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl ModuleCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// The module made from exactly this text with exactly these local imports, if any.
    pub fn get(&self, path: &Path, text: &str, local: &BTreeSet<String>) -> Option<Arc<CachedModule>> {
        locked(&self.used).insert(path.to_path_buf());
        let entries = locked(&self.entries);
        let hit = entries.get(path)?;
        (&*hit.text == text && &hit.local == local).then(|| Arc::clone(hit))
    }

    pub fn insert(&self, path: &Path, module: CachedModule) {
        self.parsed.fetch_add(1, Ordering::Relaxed);
        locked(&self.used).insert(path.to_path_buf());
        locked(&self.entries).insert(path.to_path_buf(), Arc::new(module));
    }

    /// Forgets the modules the last run did not reach (deleted files, files no longer imported),
    /// so memory follows the project.
    pub fn finish_run(&self) {
        let used = std::mem::take(&mut *locked(&self.used));
        locked(&self.entries).retain(|p, _| used.contains(p));
    }

    /// How many modules were parsed rather than taken from the cache, over the cache's life.
    pub fn parsed(&self) -> usize {
        self.parsed.load(Ordering::Relaxed)
    }

    pub fn len(&self) -> usize {
        locked(&self.entries).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
