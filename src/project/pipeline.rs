//! The whole-project run: which files are parsed, in what order, and how their facts meet.
//!
//! 1. Every input file is read and prefiltered in parallel. Files that hold database calls are
//!    candidates; the others are set aside (not parsed).
//! 2. Candidates are parsed and lowered in parallel, in waves: each wave resolves the imports of
//!    the files it parsed and loads the project files they name that are not loaded yet (a SQL
//!    constants module, a `db.js`, a barrel `index.js`), transitively: only what is reached.
//! 3. The modules are linked bottom-up (`link`). A file set aside that imports a module whose
//!    exports touch the database (a DAL, a transaction wrapper, a pool) may call it, so it is
//!    parsed too, with what it reaches, and linking runs again, until nothing new is reached.
//! 4. Each input file that was parsed is expanded with the linked facts and checked by the rules,
//!    in parallel. Syntax trees never outlive their file's lowering.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use super::cache::{CachedModule, ModuleCache};
use super::link::{Fact, LinkInput, Linked, ModuleFacts, ModuleId, Target};
use super::resolve::{ModuleResolver, Resolved};
use super::schema::Schema;
use crate::config::FileSettings;
use crate::diagnostic::{Diagnostic, Severity};
use crate::engine::{EngineOptions, FileOutcome, Stats, decode};
use crate::paths::lexical_absolute;
use crate::semantic::lower::{Lowered, lower_in_project};
use crate::source::SourceFile;
use crate::{PARSE_ERROR, check_lowered};
use std::sync::Arc;

/// Rounds of "parse the importers of database modules, link again".
const MAX_RELEVANCE_ROUNDS: usize = 8;
/// Import steps followed from the files a load starts with.
const MAX_LOAD_WAVES: usize = 5;

/// Text that stands in for files on disk, by absolute path (`lexical_absolute`): an editor's
/// unsaved buffers (`txlint lsp`). Every read of a project file goes through [`read_project_file`].
pub type Overlay = HashMap<PathBuf, String>;

/// What a long-lived caller (`txlint lsp`) brings to a run; the CLI brings nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct Session<'a> {
    /// Text standing in for files on disk.
    pub overlay: Option<&'a Overlay>,
    /// The modules of earlier runs: a file whose text is unchanged is not parsed again.
    pub cache: Option<&'a ModuleCache>,
    /// The inputs (by index) whose findings are wanted; `None`: all. The others are still read,
    /// parsed and linked (their facts reach the wanted ones) but not checked.
    pub check: Option<&'a HashSet<usize>>,
}

impl Session<'_> {
    fn checks(&self, input: usize) -> bool {
        self.check.is_none_or(|c| c.contains(&input))
    }
}

/// A project file's bytes: the overlay's text when it has the file, else the file on disk.
fn read_project_file(path: &Path, limit: u64, overlay: Option<&Overlay>) -> Result<Vec<u8>, Box<Diagnostic>> {
    // The CLI has no overlay: no path to make absolute for every file it reads.
    match overlay.and_then(|o| o.get(&lexical_absolute(path))) {
        Some(text) => Ok(text.as_bytes().to_vec()),
        None => crate::engine::read_bytes(path, limit),
    }
}

/// An input file after reading and prefiltering.
enum Scanned {
    /// Done: unreadable, not UTF-8, binary.
    Done(Vec<Diagnostic>),
    /// Holds database calls: to parse.
    Candidate(SourceFile),
    /// Set aside; parsed later only if it imports a database module.
    Aside,
}

/// A parsed (or unparsable) module of the project.
struct Module {
    input: Option<usize>,
    path: PathBuf,
    /// Kept until the file is checked (and after, for reporting, when it has findings).
    source: Option<SourceFile>,
    lowered: Option<Arc<Lowered>>,
    parse_error: Option<Diagnostic>,
    targets: BTreeMap<String, Resolved>,
    /// Specifiers whose modules its database code needs (see `Lowered::needed_specifiers`).
    needed: BTreeSet<String>,
    /// A module that needs no other module is linked and checked as soon as it is loaded, and
    /// only its facts and findings are kept.
    facts: Option<Arc<ModuleFacts>>,
    checked: Option<Vec<Diagnostic>>,
    parse: Duration,
    resolve: Duration,
    analyse: Duration,
}

/// knex migrations and Sequelize models live, by convention, under `migrations/`, `models/`,
/// `db/`, `schema/` or `entities/`: only there is a file's text searched for schema.
fn may_hold_schema(path: &Path) -> bool {
    path.components().any(|c| {
        let c = c.as_os_str().to_string_lossy().to_ascii_lowercase();
        ["migration", "model", "schema", "entit", "db", "database"]
            .iter()
            .any(|k| c.contains(k))
    })
}

/// knex migrations (`createTable` with `knex`, or SQL in `.raw(...)`) and Sequelize models
/// (`unique: true` with `DataTypes` or `Sequelize`) among the inputs: read for the schema whether
/// or not they are linted.
fn schema_text(bytes: &[u8]) -> Option<String> {
    let has = |needle: &str| memchr::memmem::find(bytes, needle.as_bytes()).is_some();
    let knex = has("createTable") && has("knex");
    let sequelize =
        (has("unique: true") || has("primaryKey: true")) && (has("DataTypes") || has("Sequelize") || has("sequelize"));
    // `knex.raw('CREATE UNIQUE INDEX ...')` in a migration.
    let raw = has(".raw(") && (has("UNIQUE") || has("unique"));
    (knex || sequelize || raw).then(|| String::from_utf8_lossy(bytes).into_owned())
}

fn scan_input(
    path: &Path,
    engine: EngineOptions,
    overlay: Option<&Overlay>,
    stats: &mut Stats,
    schema: &mut Option<String>,
) -> Scanned {
    let started = Instant::now();
    let bytes = match read_project_file(path, engine.max_file_size, overlay) {
        Ok(b) => b,
        Err(d) => return Scanned::Done(vec![*d]),
    };
    stats.read = started.elapsed();
    stats.files = 1;
    stats.bytes = bytes.len() as u64;
    if std::str::from_utf8(&bytes).is_err() {
        return Scanned::Done(decode(path, bytes).err().map(|d| *d).into_iter().collect());
    }
    if may_hold_schema(path) {
        *schema = schema_text(&bytes);
    }
    if engine.prefilter {
        let started = Instant::now();
        let candidate = crate::prefilter::may_have_findings(&bytes);
        stats.prefilter = started.elapsed();
        if !candidate {
            return Scanned::Aside;
        }
    }
    match decode(path, bytes) {
        Ok(file) => Scanned::Candidate(file),
        Err(d) => Scanned::Done(vec![*d]),
    }
}

/// Reads (if needed), resolves the imports of, parses and lowers one module; checks it right
/// away when it needs no other module.
fn load_module(
    path: &Path,
    input: Option<usize>,
    text: Option<SourceFile>,
    project: &Project<'_>,
    follow_exports: bool,
    settings: Option<&FileSettings>,
    schema: Option<&Arc<Schema>>,
) -> Option<Module> {
    let source = match text {
        Some(s) => s,
        None => {
            let bytes = read_project_file(path, project.max_file_size, project.session.overlay).ok()?;
            decode(path, bytes).ok()?
        }
    };
    let resolving = Instant::now();
    let specifiers = super::scan::imported_specifiers(source.text.as_bytes());
    let targets: BTreeMap<String, Resolved> = specifiers
        .into_iter()
        .map(|s| {
            let r = project.resolver.resolve(path, &s);
            (s, r)
        })
        .collect();
    let local: BTreeSet<String> = targets
        .iter()
        .filter(|(_, r)| matches!(r, Resolved::File(_)))
        .map(|(s, _)| s.clone())
        .collect();
    let resolve = resolving.elapsed();
    let started = Instant::now();
    let cache = project.session.cache;
    let key = cache.map(|_| lexical_absolute(path));
    let cached = cache
        .zip(key.as_ref())
        .and_then(|(c, k)| c.get(k, &source.text, &local));
    let (lowered, parse_error) = match &cached {
        Some(c) => (c.lowered.clone(), c.parse_error.clone()),
        None => match crate::parse::parse(&source) {
            Ok(parsed) => {
                let l = lower_in_project(&parsed, &source.text, Some(&local));
                drop(parsed);
                (Some(Arc::new(l)), None)
            }
            Err(e) => {
                let mut d = Diagnostic::new(PARSE_ERROR, Severity::Error, e.range, e.message);
                d.path = path.to_path_buf();
                (None, Some(d))
            }
        },
    };
    let parse = started.elapsed();
    let needs = lowered.as_deref().map(super::needs::needs).unwrap_or_default();
    // Its facts and findings depend on no other module (re-exports included): done early.
    let self_contained = lowered.is_some() && needs.code.iter().chain(&needs.exports).all(|s| !local.contains(s));
    let facts = match &cached {
        Some(c) => c.facts.clone(),
        None => lowered
            .as_deref()
            .filter(|_| self_contained)
            .map(|l| Arc::new(Linked::standalone_facts(&source, l))),
    };
    if let (Some(cache), Some(key), None) = (cache, &key, &cached) {
        let entry = CachedModule::new(
            &source.text,
            local.clone(),
            lowered.clone(),
            parse_error.clone(),
            facts.clone(),
        );
        cache.insert(key, entry);
    }
    let needed: BTreeSet<String> = needs
        .code
        .into_iter()
        .chain(if follow_exports { needs.exports } else { BTreeSet::new() })
        .filter(|s| local.contains(s))
        .collect();
    let mut m = Module {
        input,
        path: path.to_path_buf(),
        source: Some(source),
        lowered,
        parse_error,
        targets,
        needed,
        facts,
        checked: None,
        parse,
        resolve,
        analyse: Duration::ZERO,
    };
    // Self-contained: linked already, and checked now when it is to be, so only its facts and
    // findings are kept.
    if self_contained {
        let started = Instant::now();
        if let (Some(l), Some(src), Some(s)) = (m.lowered.take(), m.source.take(), settings) {
            let diagnostics = check_lowered(&src, Arc::unwrap_or_clone(l), &s.rules, &s.lint, schema);
            if !diagnostics.is_empty() {
                m.source = Some(src);
            }
            m.checked = Some(diagnostics);
        }
        m.analyse = started.elapsed();
    }
    Some(m)
}

/// A file reached by resolution (absolute), named as the user would: relative to the current
/// directory when it is under it.
fn relative_to_cwd(p: &Path) -> PathBuf {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| p.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| p.to_path_buf())
}

/// Whether a module exports something through which a file with no database call of its own can
/// hold a finding: a helper that sends known SQL, or the SQL its caller passes, through a pool (two such calls may need a
/// transaction, a check and an insert may race), hands out a client (`getClient()`), or is a
/// transaction wrapper (its callback gets a client, or for a fake one the pool, to pass to
/// data-access helpers). A pool, or a helper that only uses the client its caller passes, needs
/// a database call in the importer, which makes it a candidate already.
fn exports_database(facts: &ModuleFacts) -> bool {
    fn is_db(f: &Fact, depth: usize) -> bool {
        if depth > 4 {
            return false;
        }
        match f {
            Fact::Function(s) => {
                s.effects.iter().any(|e| {
                    matches!(
                        e.channel,
                        super::link::Channel::Pool(_) | super::link::Channel::Injected(_)
                    ) && (e.info.is_some() || e.sql_param.is_some())
                }) || matches!(
                    s.returns,
                    super::link::Returns::Client(_) | super::link::Returns::SharedClient
                ) || s.wrapper.is_some()
                    || s.own_tx
                    || s.ends_pool.is_some()
                    || s.shared_client_tx.is_some()
            }
            Fact::Pool(_) | Fact::Client => false,
            Fact::Object(members) => members.iter().any(|(_, m)| is_db(m, depth + 1)),
            Fact::Class(c) | Fact::Instance(c) => c
                .methods
                .iter()
                .chain(&c.statics)
                .any(|(_, s)| is_db(&Fact::Function(s.clone()), depth + 1)),
            Fact::Sql(_) | Fact::Unknown => false,
        }
    }
    facts.named.iter().any(|(_, f)| is_db(f, 0)) || facts.module_exports.as_ref().is_some_and(|f| is_db(f, 0))
}

/// The names an importer may use for a module: its file stem, and for an `index` file its
/// directory too (`./db` and `./db/index.js` both name `db/index.js`).
fn import_names(path: &Path) -> Vec<String> {
    let Some(name) = path.file_name().map(|n| n.to_string_lossy()) else {
        return Vec::new();
    };
    let stem = name.split('.').next().unwrap_or_default().to_string();
    let mut out = vec![stem.clone()];
    if stem == "index"
        && let Some(dir) = path.parent().and_then(|p| p.file_name())
    {
        out.push(dir.to_string_lossy().into_owned());
    }
    out
}

/// The last segment of a specifier without its extension (`../dal/users.js` → `users`).
fn specifier_name(spec: &str) -> &str {
    let last = spec.rsplit('/').next().unwrap_or(spec);
    last.split('.').next().unwrap_or(last)
}

struct Project<'f> {
    files: &'f [(PathBuf, FileSettings)],
    resolver: ModuleResolver,
    modules: Vec<Module>,
    by_path: HashMap<PathBuf, ModuleId>,
    input_by_path: HashMap<PathBuf, usize>,
    /// Inputs set aside and not loaded yet.
    aside: BTreeSet<usize>,
    /// Inputs set aside and then loaded because they import a database module or are imported.
    pulled: BTreeSet<usize>,
    /// Modules already known to touch the database (their importers were looked for).
    database_modules: BTreeSet<PathBuf>,
    /// What each set-aside input imports, read when first needed.
    aside_imports: Option<Vec<(usize, Vec<String>)>>,
    /// Each package's unique keys (a package without schema sources has none).
    schemas: BTreeMap<PathBuf, Arc<Schema>>,
    roots: std::sync::Mutex<PackageRoots>,
    /// Files over this size are not read.
    max_file_size: u64,
    session: Session<'f>,
}

/// The nearest ancestor directory holding a `package.json` (a package of a monorepo), cached.
#[derive(Default)]
struct PackageRoots {
    by_dir: HashMap<PathBuf, PathBuf>,
}

impl PackageRoots {
    fn of(&mut self, file: &Path) -> PathBuf {
        let abs = lexical_absolute(file);
        let Some(dir) = abs.parent() else { return PathBuf::new() };
        if let Some(r) = self.by_dir.get(dir) {
            return r.clone();
        }
        let root = dir
            .ancestors()
            .find(|d| d.join("package.json").is_file())
            .map(Path::to_path_buf)
            .unwrap_or_default();
        self.by_dir.insert(dir.to_path_buf(), root.clone());
        root
    }
}

impl Project<'_> {
    /// The schema of the package a file belongs to.
    fn schema_for(&self, file: &Path) -> Option<Arc<Schema>> {
        if self.schemas.is_empty() {
            return None;
        }
        let root = self.roots.lock().unwrap_or_else(|e| e.into_inner()).of(file);
        self.schemas.get(&root).cloned()
    }
}

impl Project<'_> {
    /// Loads modules in waves until every project file they import is loaded.
    fn load(&mut self, mut pending: Vec<(PathBuf, Option<usize>, Option<SourceFile>)>) {
        let mut wave = 0;
        while !pending.is_empty() {
            wave += 1;
            // Beyond this many import steps from the files that started the load, facts would
            // not reach them anyway (summaries follow helpers a few calls deep).
            let last_wave = wave >= MAX_LOAD_WAVES;
            for (p, _, _) in &pending {
                self.by_path.insert(lexical_absolute(p), usize::MAX);
            }
            let (files, pulled, session) = (self.files, &self.pulled, self.session);
            let this = &*self;
            let loaded: Vec<Option<Module>> = std::mem::take(&mut pending)
                .into_par_iter()
                .map(|(p, input, text)| {
                    // What a module re-exports is loaded only when the module itself was loaded
                    // because another needs it (a barrel `index.js`), not for every candidate.
                    let follow_exports = input.is_none_or(|i| pulled.contains(&i));
                    let settings = input.filter(|&i| session.checks(i)).map(|i| &files[i].1);
                    let schema = this.schema_for(&p);
                    load_module(&p, input, text, this, follow_exports, settings, schema.as_ref())
                })
                .collect();
            for m in loaded.into_iter().flatten() {
                let id = self.modules.len();
                self.by_path.insert(lexical_absolute(&m.path), id);
                for (spec, r) in &m.targets {
                    let Resolved::File(target) = r else { continue };
                    if last_wave || !m.needed.contains(spec) {
                        continue;
                    }
                    let key = lexical_absolute(target);
                    if self.by_path.contains_key(&key) {
                        continue;
                    }
                    self.by_path.insert(key.clone(), usize::MAX);
                    match self.input_by_path.get(&key) {
                        Some(&i) if self.aside.remove(&i) => {
                            self.pulled.insert(i);
                            pending.push((self.files[i].0.clone(), Some(i), None));
                        }
                        Some(_) => {}
                        None => pending.push((relative_to_cwd(target), None, None)),
                    }
                }
                self.modules.push(m);
            }
        }
    }

    fn link(&self) -> Linked {
        let targets: Vec<BTreeMap<String, Target>> = self
            .modules
            .iter()
            .map(|m| {
                m.targets
                    .iter()
                    .map(|(s, r)| {
                        let t = match r {
                            Resolved::File(p) => match self.by_path.get(&lexical_absolute(p)) {
                                Some(&id) if id != usize::MAX => Target::Module(id),
                                _ => Target::Outside,
                            },
                            _ => Target::Outside,
                        };
                        (s.clone(), t)
                    })
                    .collect()
            })
            .collect();
        let empty = Lowered::default();
        let no_source = SourceFile::new("", String::new());
        let inputs: Vec<LinkInput<'_>> = self
            .modules
            .iter()
            .zip(&targets)
            .map(|(m, t)| LinkInput {
                source: m.source.as_ref().unwrap_or(&no_source),
                lowered: m.lowered.as_deref().unwrap_or(&empty),
                targets: t,
                precomputed: m.facts.as_deref(),
            })
            .collect();
        let comps = super::graph::bottom_up_components(&super::link::import_edges(&targets));
        Linked::build(&inputs, &comps)
    }

    /// Inputs set aside that import a module whose exports touch the database.
    fn importers_of_database_modules(&mut self, linked: &Linked) -> Vec<usize> {
        // Only modules found to touch the database since the last round: the importers of the
        // others were pulled already.
        let db: BTreeSet<PathBuf> = self
            .modules
            .iter()
            .enumerate()
            .filter(|(id, _)| linked.facts.get(*id).is_some_and(exports_database))
            .map(|(_, m)| lexical_absolute(&m.path))
            .filter(|p| !self.database_modules.contains(p))
            .collect();
        self.database_modules.extend(db.iter().cloned());
        if db.is_empty() || self.aside.is_empty() {
            return Vec::new();
        }
        let names: BTreeSet<String> = db.iter().flat_map(|p| import_names(p)).collect();
        // The set-aside files' imports, read once (the files are read again only here).
        if self.aside_imports.is_none() {
            let aside: Vec<usize> = self.aside.iter().copied().collect();
            let files = self.files;
            self.aside_imports = Some(
                aside
                    .into_par_iter()
                    .map(|i| {
                        let specs = read_project_file(&files[i].0, self.max_file_size, self.session.overlay)
                            .map(|b| super::scan::imported_specifiers(&b))
                            .unwrap_or_default();
                        (i, specs)
                    })
                    .collect(),
            );
        }
        let imports = self.aside_imports.as_deref().unwrap_or(&[]);
        imports
            .par_iter()
            .filter(|(i, _)| self.aside.contains(i))
            .filter(|(i, specs)| {
                let path = &self.files[*i].0;
                specs.iter().any(|s| {
                    let name = specifier_name(s);
                    // `.`, `..`, `./`: a directory's index, whatever its name.
                    let directory = name.is_empty() || name.chars().all(|c| c == '.');
                    (directory || names.contains(name))
                        && matches!(self.resolver.resolve(path, s), Resolved::File(t) if db.contains(&lexical_absolute(&t)))
                })
            })
            .map(|(i, _)| *i)
            .collect()
    }
}

/// What checking one input file gave.
struct Checked {
    input: usize,
    diagnostics: Vec<Diagnostic>,
    source: Option<SourceFile>,
    parse: Duration,
    analyse: Duration,
}

/// Lints the input files as one project; outcomes come in input order.
pub fn lint_project(
    files: &[(PathBuf, FileSettings)],
    schema_files: &[PathBuf],
    engine: EngineOptions,
) -> Vec<FileOutcome> {
    lint_project_in(files, schema_files, engine, Session::default())
}

/// [`lint_project`] for a long-lived caller: the text of some files from an overlay, parsed
/// modules from a cache, findings only for some inputs (see [`Session`]).
pub fn lint_project_in(
    files: &[(PathBuf, FileSettings)],
    schema_files: &[PathBuf],
    engine: EngineOptions,
    session: Session<'_>,
) -> Vec<FileOutcome> {
    let overlay = session.overlay;
    let mut stats: Vec<Stats> = vec![Stats::default(); files.len()];
    let mut schema_texts: Vec<Option<String>> = vec![None; files.len()];
    let scanned: Vec<Scanned> = files
        .par_iter()
        .zip(stats.par_iter_mut())
        .zip(schema_texts.par_iter_mut())
        .map(|(((p, _), st), sch)| scan_input(p, engine, overlay, st, sch))
        .collect();
    // The schema of each package (the nearest directory with a package.json): SQL and Prisma
    // sources, and knex migrations / Sequelize models among the inputs.
    let mut roots = PackageRoots::default();
    let mut schemas: BTreeMap<PathBuf, Schema> = BTreeMap::new();
    let sources: Vec<(PathBuf, String)> = schema_files
        .iter()
        .filter_map(|p| {
            let text = match overlay.and_then(|o| o.get(&lexical_absolute(p))) {
                Some(t) => t.clone(),
                None => std::fs::read_to_string(p).ok()?,
            };
            Some((p.clone(), text))
        })
        .chain(
            schema_texts
                .into_iter()
                .enumerate()
                .filter_map(|(i, t)| t.map(|t| (files[i].0.clone(), t))),
        )
        .collect();
    let read: Vec<(PathBuf, Schema)> = sources
        .into_par_iter()
        .map(|(p, text)| {
            let mut s = Schema::default();
            s.read_source(&p, &text);
            (p, s)
        })
        .collect();
    for (p, s) in read {
        schemas.entry(roots.of(&p)).or_default().merge(s);
    }
    let schemas: BTreeMap<PathBuf, Arc<Schema>> = schemas
        .into_iter()
        .filter(|(_, s)| !s.is_empty())
        .map(|(root, s)| (root, Arc::new(s)))
        .collect();
    let mut project = Project {
        files,
        resolver: ModuleResolver::new(),
        modules: Vec::new(),
        by_path: HashMap::new(),
        input_by_path: HashMap::new(),
        aside: BTreeSet::new(),
        pulled: BTreeSet::new(),
        schemas,
        roots: std::sync::Mutex::new(roots),
        database_modules: BTreeSet::new(),
        aside_imports: None,
        max_file_size: engine.max_file_size,
        session,
    };
    let mut pending = Vec::new();
    let mut done: Vec<Option<Vec<Diagnostic>>> = vec![None; files.len()];
    for (i, s) in scanned.into_iter().enumerate() {
        project.input_by_path.insert(lexical_absolute(&files[i].0), i);
        match s {
            Scanned::Done(d) => done[i] = Some(d),
            Scanned::Candidate(src) => pending.push((files[i].0.clone(), Some(i), Some(src))),
            Scanned::Aside => {
                project.aside.insert(i);
            }
        }
    }
    project.load(pending);
    let linking = Instant::now();
    let mut linked = project.link();
    let mut link_time = linking.elapsed();
    for _ in 0..MAX_RELEVANCE_ROUNDS {
        let more = project.importers_of_database_modules(&linked);
        if more.is_empty() {
            break;
        }
        let pending: Vec<_> = more
            .into_iter()
            .filter(|i| project.aside.remove(i))
            .inspect(|i| {
                project.pulled.insert(*i);
            })
            .map(|i| (files[i].0.clone(), Some(i), None))
            .collect();
        project.load(pending);
        let linking = Instant::now();
        linked = project.link();
        link_time += linking.elapsed();
    }
    // Project-wide work, counted once: files reached by imports, resolution, linking.
    let mut project_stats = Stats {
        link: link_time,
        ..Stats::default()
    };
    for m in &project.modules {
        project_stats.resolve += m.resolve;
        if m.input.is_none() {
            project_stats.reached += 1;
            project_stats.parse += m.parse;
        }
    }

    // Check every parsed input against the linked facts.
    let linked = &linked;
    let schemas: Vec<Option<Arc<Schema>>> = project.modules.iter().map(|m| project.schema_for(&m.path)).collect();
    let results: Vec<Checked> = project
        .modules
        .into_par_iter()
        .enumerate()
        .filter_map(|(id, mut m)| {
            let i = m.input.filter(|&i| session.checks(i))?;
            let started = Instant::now();
            let diagnostics = match (m.checked.take(), m.lowered.take(), m.parse_error.take(), &m.source) {
                (Some(done), _, _, _) => done,
                (None, _, Some(e), _) => vec![e],
                (None, Some(l), None, Some(src)) => {
                    let mut l = Arc::unwrap_or_clone(l);
                    super::expand::expand(linked, id, &mut l);
                    let (rules, opts) = (&files[i].1.rules, &files[i].1.lint);
                    let d = check_lowered(src, l, rules, opts, schemas[id].as_ref());
                    m.analyse += started.elapsed();
                    d
                }
                _ => Vec::new(),
            };
            let source = if diagnostics.is_empty() { None } else { m.source.take() };
            Some(Checked {
                input: i,
                diagnostics,
                source,
                parse: m.parse,
                analyse: m.analyse,
            })
        })
        .collect();
    let mut outcomes: Vec<FileOutcome> = stats
        .into_iter()
        .zip(done)
        .map(|(mut st, d)| {
            if d.is_none() {
                st.skipped = 1;
            }
            FileOutcome {
                diagnostics: d.unwrap_or_default(),
                source: None,
                stats: st,
            }
        })
        .collect();
    for c in results {
        let o = &mut outcomes[c.input];
        o.diagnostics = c.diagnostics;
        o.source = c.source;
        o.stats.skipped = 0;
        o.stats.parse = c.parse;
        o.stats.analyse = c.analyse;
    }
    if let Some(first) = outcomes.first_mut() {
        first.stats.add(&project_stats);
    }
    outcomes
}
