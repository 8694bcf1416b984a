//! What the server knows: the workspace root, the open documents' text, the findings last
//! published for each, the project's files as last discovered, and every module's parse kept in
//! memory. Linting runs the whole-project pipeline, as the CLI does, with the open documents' text
//! standing in for the files on disk; only the files whose text changed are parsed again, the
//! modules are linked afresh (so a change in `db.js` reaches its importers), and only the open
//! documents are checked.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use lsp_types::Uri;

use crate::config::{CliSettings, FileSettings, Resolver};
use crate::diagnostic::Diagnostic;
use crate::discover::{DiscoverOptions, discover, is_lintable};
use crate::engine::EngineOptions;
use crate::paths::lexical_absolute;
use crate::project::cache::ModuleCache;
use crate::project::pipeline::{Overlay, Session, lint_project_in};
use crate::source::SourceFile;

/// An open document.
pub struct Document {
    pub uri: Uri,
    pub version: i32,
    /// Its text as the editor has it (saved or not), at its absolute path.
    pub file: SourceFile,
    /// txlint's findings in it, from the last lint.
    pub findings: Vec<Diagnostic>,
    /// What was last published for it (to publish only what changed).
    pub published: Option<Vec<lsp_types::Diagnostic>>,
}

/// The files to lint with their settings, and the schema sources.
type Inputs = (Vec<(PathBuf, FileSettings)>, Vec<PathBuf>);

/// A document whose diagnostics are to be published.
pub struct Publish {
    pub uri: Uri,
    pub version: i32,
    pub diagnostics: Vec<lsp_types::Diagnostic>,
}

pub struct State {
    /// The workspace folder (absolute); None when the editor opened no folder: only the open
    /// documents are the project then.
    pub root: Option<PathBuf>,
    pub docs: BTreeMap<PathBuf, Document>,
    /// The documents changed, or files on disk, since the last lint.
    pub dirty: bool,
    /// The project's files with their settings, as last discovered; `None`: to discover again
    /// (a file saved, created or deleted, the configuration changed, a new document opened).
    inputs: Option<Inputs>,
    /// Every module's parse and lowering, reused while its text is unchanged.
    pub cache: ModuleCache,
    pool: rayon::ThreadPool,
}

impl State {
    pub fn new(root: Option<PathBuf>) -> Result<Self, crate::error::Error> {
        Ok(Self {
            root: root.map(|r| lexical_absolute(&r)),
            docs: BTreeMap::new(),
            dirty: false,
            inputs: None,
            cache: ModuleCache::new(),
            pool: crate::engine::pool(0)?,
        })
    }

    pub fn open(&mut self, uri: Uri, path: PathBuf, version: i32, text: String) {
        let known = self
            .inputs
            .as_ref()
            .is_some_and(|(files, _)| files.iter().any(|(p, _)| *p == path));
        if !known {
            self.inputs = None;
        }
        let file = SourceFile::new(path.clone(), text);
        self.docs.insert(
            path,
            Document {
                uri,
                version,
                file,
                findings: Vec::new(),
                published: None,
            },
        );
        self.dirty = true;
    }

    /// Replaces a document's text (unknown documents are ignored).
    pub fn change(&mut self, path: &Path, version: i32, text: String) {
        if let Some(d) = self.docs.get_mut(path) {
            d.version = version;
            d.file = SourceFile::new(path.to_path_buf(), text);
            self.dirty = true;
        }
    }

    /// Forgets a closed document (its file is read from disk again); returns its URI, whose
    /// diagnostics the editor should clear.
    pub fn close(&mut self, path: &Path) -> Option<Uri> {
        let d = self.docs.remove(path)?;
        // It may exist only in the editor.
        self.disk_changed();
        Some(d.uri)
    }

    /// Files on disk or the configuration may have changed: discover the project again.
    pub fn disk_changed(&mut self) {
        self.inputs = None;
        self.dirty = true;
    }

    /// The text of a file: the open document's, else the file on disk.
    pub fn text_of(&self, path: &Path) -> Option<String> {
        match self.docs.get(path) {
            Some(d) => Some(d.file.text.clone()),
            None => std::fs::read_to_string(path).ok(),
        }
    }

    /// The project's input files with their settings: the workspace's files as the CLI discovers
    /// them (`.gitignore` and `.txlintrc.json` honoured, configuration read afresh) and every open
    /// document txlint lints, on disk yet or not.
    fn inputs(&self) -> Result<Inputs, crate::error::Error> {
        let (mut files, schema_files) = match &self.root {
            Some(root) => {
                let found = discover(std::slice::from_ref(root), DiscoverOptions::default())?;
                let files: Vec<PathBuf> = found.files.iter().map(|f| lexical_absolute(f)).collect();
                (files, found.schema_files)
            }
            None => (Vec::new(), Vec::new()),
        };
        for path in self.docs.keys() {
            if is_lintable(path) && !files.contains(path) {
                files.push(path.clone());
            }
        }
        let mut resolver = Resolver::new(None, CliSettings::default())?;
        resolver.preload(&files)?;
        let inputs = files
            .into_iter()
            .map(|f| {
                let s = resolver.settings(&f);
                (f, s)
            })
            .filter(|(_, s)| !s.ignored)
            .collect();
        Ok((inputs, schema_files))
    }

    /// Lints the project with the open documents' text and returns the documents whose
    /// diagnostics changed.
    pub fn lint(&mut self) -> Result<Vec<Publish>, crate::error::Error> {
        self.dirty = false;
        if self.inputs.is_none() {
            self.inputs = Some(self.inputs()?);
        }
        let Some((inputs, schema_files)) = &self.inputs else {
            return Ok(Vec::new());
        };
        let overlay: Overlay = self
            .docs
            .iter()
            .map(|(p, d)| (p.clone(), d.file.text.clone()))
            .collect();
        let check: HashSet<usize> = inputs
            .iter()
            .enumerate()
            .filter(|(_, (p, _))| self.docs.contains_key(p))
            .map(|(i, _)| i)
            .collect();
        let session = Session {
            overlay: Some(&overlay),
            cache: Some(&self.cache),
            check: Some(&check),
        };
        // A bug that panics on some file must not take the editor's server down with it.
        let outcomes = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.pool
                .install(|| lint_project_in(inputs, schema_files, EngineOptions::default(), session))
        }))
        .map_err(|_| crate::error::Error::Usage {
            message: "the analysis failed (a panic); the diagnostics shown are from before this change".to_string(),
            help: "please report it with the file that was being edited".to_string(),
        })?;
        let mut by_path: HashMap<PathBuf, Vec<Diagnostic>> = HashMap::new();
        self.cache.finish_run();
        for ((path, _), outcome) in inputs.iter().zip(outcomes) {
            if self.docs.contains_key(path) {
                by_path.entry(path.clone()).or_default().extend(outcome.diagnostics);
            }
        }
        let paths: Vec<PathBuf> = self.docs.keys().cloned().collect();
        let mut out = Vec::new();
        for path in paths {
            let findings = by_path.remove(&path).unwrap_or_default();
            let diagnostics: Vec<lsp_types::Diagnostic> = {
                let read = |p: &Path| self.text_of(p);
                let Some(d) = self.docs.get(&path) else { continue };
                findings
                    .iter()
                    .map(|f| super::convert::diagnostic(&d.file, &d.uri, f, &read))
                    .collect()
            };
            let Some(d) = self.docs.get_mut(&path) else { continue };
            d.findings = findings;
            if d.published.as_ref() != Some(&diagnostics) {
                d.published = Some(diagnostics.clone());
                out.push(Publish {
                    uri: d.uri.clone(),
                    version: d.version,
                    diagnostics,
                });
            }
        }
        Ok(out)
    }
}
