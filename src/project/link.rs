//! Linking: what each module exports, as facts the rules understand, computed bottom-up over the
//! module graph's strongly connected components (modules that import each other are iterated
//! until their facts stop changing, at most [`MAX_ROUNDS`] times).
//!
//! A fact is one of: a pool (with an identity, so two helpers of one `db.js` pool write through
//! the same handle), a standalone client, a SQL text, an object of facts, a class, an instance, or
//! a function summary ([`FnSummary`]: the statements it sends and through which parameter or pool,
//! whether it checks out and returns a client, whether it is a transaction wrapper that hands a
//! client in an open transaction, or the pool, to a callback, whether it retries 40001, and which
//! of its statements' results it returns). Anything else is [`Fact::Unknown`], and unknown never
//! produces a finding.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::semantic::handles::is_pool_name;
use crate::semantic::lower::Lowered;
use crate::semantic::model::*;
use crate::semantic::sql::{self, SqlInfo, StmtKind};
use crate::source::SourceFile;

/// Index of a module in the project.
pub type ModuleId = usize;

/// Rounds of linking for modules that import each other.
pub const MAX_ROUNDS: usize = 4;
/// How deep helpers calling helpers are followed.
const MAX_DEPTH: usize = 4;

/// What an import specifier of a module names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Module(ModuleId),
    /// A package or a file we do not analyse: its values are unknown.
    Outside,
}

/// A pool's identity across modules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolId {
    /// Unique key (`src/db.js#pool`).
    pub key: Arc<str>,
    /// The name its own module gives it (`pool`).
    pub name: Arc<str>,
}

/// Through what a helper sends a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Channel {
    /// The client (or pool) its caller passes as this argument.
    Param(usize),
    /// A pool, each statement in its own implicit transaction.
    Pool(PoolId),
    /// A handle the helper's object was given (`this.db`, injected): a database handle by what
    /// it is sent, whose transaction state is its owner's (unknown).
    Injected(PoolId),
}

/// Effects a call does not send: a helper that sends a statement on the client its caller passes,
/// or through its pool when none is passed (`client ? client.query(t, p) : pool.query(t, p)`),
/// sends it through the pool only when the call passes nothing there. A call that passes a
/// binding (a client, or a parameter that may hold one) sends it on that binding.
pub fn pool_fallbacks_not_taken(effects: &[Effect], args: &[Arg]) -> Vec<bool> {
    let passed_client = |p: usize| matches!(args.get(p), Some(Arg::Binding(_)));
    effects
        .iter()
        .map(|e| {
            let Channel::Pool(_) = e.channel else { return false };
            effects.iter().any(|o| {
                matches!(o.channel, Channel::Param(p) if passed_client(p))
                    && o.site.function == e.site.function
                    && o.sql_param == e.sql_param
                    && o.text == e.text
            })
        })
        .collect()
}

/// One statement a helper sends, in source order.
#[derive(Debug, Clone)]
pub struct Effect {
    pub channel: Channel,
    pub text: Option<String>,
    pub info: Option<Arc<SqlInfo>>,
    /// Runs only on some paths (under an `if` or `switch`).
    pub conditional: bool,
    /// Runs once per iteration of a loop.
    pub repeated: bool,
    /// Where it is: for labels and SARIF related locations.
    pub site: Arc<Via>,
    /// Its text is this parameter of the helper (`execute(text, params)` forwarding `text` to
    /// `pool.query`): each call sends the SQL it passes there.
    pub sql_param: Option<usize>,
}

/// What a helper hands to the callback it is given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handed {
    /// A client it checked out (and, for a real wrapper, began a transaction on).
    TxClient,
    /// The pool: no transaction at all.
    Pool(PoolId),
}

/// A helper that calls one of its parameters with a handle (`withTransaction(fn)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wrapper {
    pub callback_param: usize,
    pub handle_arg: usize,
    pub hands: Handed,
}

/// What a helper returns, as far as the database goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Returns {
    Unknown,
    /// A client checked out of this pool (`getClient()`).
    Client(PoolId),
    /// The result of its `effects[i]` (a row, the rows or the result object).
    Result(usize),
    /// The client its module shares with the whole process (a module-level `new Client()`).
    SharedClient,
}

/// What one function does to the database.
#[derive(Debug, Clone)]
pub struct FnSummary {
    pub name: String,
    pub effects: Vec<Effect>,
    pub returns: Returns,
    pub wrapper: Option<Wrapper>,
    /// Tests SQLSTATE 40001 or calls a retry helper.
    pub retries: bool,
    /// Runs its own transaction on a client it checks out: an atomic unit to its callers.
    pub own_tx: bool,
    /// An `async` function: a call returns a promise (callback-style helpers do not).
    pub is_async: bool,
    /// It (or a function it calls) closes a pool: where the `.end()` is.
    pub ends_pool: Option<Arc<Via>>,
    /// It (or a function it calls) sends BEGIN on a client shared by the whole process (a
    /// module-level `new Client()`, here or imported): where the BEGIN is.
    pub shared_client_tx: Option<Arc<Via>>,
    /// A query builder's text (`export function byIdSql() { return '...' }`): what a call sends
    /// when passed to `query`. Its holes carry no taint (those of this module mean nothing to a
    /// caller's).
    pub returns_sql: Option<SqlTemplate>,
}

/// A class of a module: its methods.
#[derive(Debug, Clone)]
pub struct ClassFact {
    pub name: String,
    pub methods: Vec<(String, Arc<FnSummary>)>,
    pub statics: Vec<(String, Arc<FnSummary>)>,
}

/// What a value of a module is.
#[derive(Debug, Clone, Default)]
pub enum Fact {
    #[default]
    Unknown,
    Pool(PoolId),
    Client,
    Sql(SqlTemplate),
    Object(Arc<Vec<(String, Fact)>>),
    Function(Arc<FnSummary>),
    Class(Arc<ClassFact>),
    Instance(Arc<ClassFact>),
}

impl Fact {
    /// The fact of `fact.path[0].path[1]...`; `()` is a call or `new`.
    pub fn member(&self, path: &[String]) -> Fact {
        let Some((first, rest)) = path.split_first() else {
            return self.clone();
        };
        let next = match (self, first.as_str()) {
            (Fact::Object(members), name) => members
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, f)| f.clone())
                .unwrap_or_default(),
            (Fact::Class(c), ImportRef::CALL) => Fact::Instance(c.clone()),
            // A query builder's call is its text.
            (Fact::Function(s), ImportRef::CALL) => s.returns_sql.clone().map_or(Fact::Unknown, Fact::Sql),
            (Fact::Class(c), name) => c
                .statics
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, s)| Fact::Function(s.clone()))
                .unwrap_or_default(),
            (Fact::Instance(c), name) => c
                .methods
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, s)| Fact::Function(s.clone()))
                .unwrap_or_default(),
            _ => Fact::Unknown,
        };
        next.member(rest)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Fact::Unknown)
    }
}

/// A module's exports, linked.
#[derive(Debug, Clone, Default)]
pub struct ModuleFacts {
    pub named: Vec<(String, Fact)>,
    pub module_exports: Option<Fact>,
    pub stars: Vec<ModuleId>,
}

/// A module as linking sees it.
pub struct LinkInput<'a> {
    pub source: &'a SourceFile,
    pub lowered: &'a Lowered,
    /// Each specifier it imports, resolved.
    pub targets: &'a BTreeMap<String, Target>,
    /// Facts computed when the module was loaded (it depends on no other module).
    pub precomputed: Option<&'a ModuleFacts>,
}

/// The linked project: every module's facts.
#[derive(Debug, Default)]
pub struct Linked {
    pub facts: Vec<ModuleFacts>,
    pub targets: Vec<BTreeMap<String, Target>>,
}

impl Linked {
    /// Links modules given bottom-up components of their import graph.
    pub fn build(modules: &[LinkInput<'_>], components: &[Vec<ModuleId>]) -> Linked {
        let mut linked = Linked {
            facts: vec![ModuleFacts::default(); modules.len()],
            targets: modules.iter().map(|m| m.targets.clone()).collect(),
        };
        for comp in components {
            let rounds = if comp.len() == 1 && !imports_itself(modules, comp[0]) {
                1
            } else {
                MAX_ROUNDS
            };
            for _ in 0..rounds {
                let mut changed = false;
                for &m in comp {
                    let facts = match modules[m].precomputed {
                        Some(f) => f.clone(),
                        None => ModuleLinker::new(&linked, m, &modules[m]).module_facts(),
                    };
                    if rounds > 1 && format!("{facts:?}") != format!("{:?}", linked.facts[m]) {
                        changed = true;
                    }
                    linked.facts[m] = facts;
                }
                if !changed {
                    break;
                }
            }
        }
        linked
    }

    /// The facts of a module that depends on no other module (computed as soon as it is loaded).
    pub fn standalone_facts(source: &SourceFile, lowered: &Lowered) -> ModuleFacts {
        let linked = Linked::default();
        let targets = BTreeMap::new();
        let input = LinkInput {
            source,
            lowered,
            targets: &targets,
            precomputed: None,
        };
        ModuleLinker::new(&linked, 0, &input).module_facts()
    }

    /// The fact of a value `r` read in module `m`.
    pub fn import_fact(&self, m: ModuleId, r: &ImportRef) -> Fact {
        match self.targets.get(m).and_then(|t| t.get(&r.specifier)) {
            Some(Target::Module(t)) => self.lookup(*t, &r.path, 0),
            _ => Fact::Unknown,
        }
    }

    fn lookup(&self, m: ModuleId, path: &[String], depth: usize) -> Fact {
        let Some(mf) = self.facts.get(m) else {
            return Fact::Unknown;
        };
        if depth > 8 {
            return Fact::Unknown;
        }
        let named = |name: &str| mf.named.iter().find(|(n, _)| n == name).map(|(_, f)| f.clone());
        match path.split_first() {
            None => match &mf.module_exports {
                Some(f) => f.clone(),
                None => Fact::Object(Arc::new(mf.named.clone())),
            },
            Some((first, rest)) if first == "default" => {
                // ESM default, else CommonJS interop: `module.exports` is the default export.
                match named("default").or_else(|| mf.module_exports.clone()) {
                    Some(f) => f.member(rest),
                    None => Fact::Object(Arc::new(mf.named.clone())).member(rest),
                }
            }
            Some((first, rest)) => {
                if let Some(f) = named(first) {
                    return f.member(rest);
                }
                if let Some(f) = &mf.module_exports {
                    let found = f.member(path);
                    if !found.is_unknown() {
                        return found;
                    }
                }
                for &s in &mf.stars {
                    let found = self.lookup(s, path, depth + 1);
                    if !found.is_unknown() {
                        return found;
                    }
                }
                Fact::Unknown
            }
        }
    }
}

/// The import graph's edges: the modules each module's specifiers name.
pub fn import_edges(targets: &[BTreeMap<String, Target>]) -> Vec<Vec<ModuleId>> {
    targets
        .iter()
        .map(|t| {
            t.values()
                .filter_map(|x| match x {
                    Target::Module(id) => Some(*id),
                    Target::Outside => None,
                })
                .collect()
        })
        .collect()
}

fn imports_itself(modules: &[LinkInput<'_>], m: ModuleId) -> bool {
    modules[m].targets.values().any(|t| *t == Target::Module(m))
}

/// Links one module against the facts of the modules it imports.
struct ModuleLinker<'l, 'a> {
    linked: &'l Linked,
    m: ModuleId,
    input: &'l LinkInput<'a>,
    /// Summaries computed so far (functions of this module).
    summaries: std::cell::RefCell<BTreeMap<FuncId, Arc<FnSummary>>>,
    /// Functions being summarised (recursion guard).
    active: std::cell::RefCell<Vec<FuncId>>,
    /// Handle kinds of the module by use (computed once, on demand).
    kinds: std::cell::OnceCell<BTreeMap<HandleKey, HandleKind>>,
    /// The `.end()` calls of the module that close a pool or client the process shares
    /// (computed once: each summary only asks which are inside its function).
    pool_ends: std::cell::OnceCell<Vec<usize>>,
}

impl<'l, 'a> ModuleLinker<'l, 'a> {
    fn new(linked: &'l Linked, m: ModuleId, input: &'l LinkInput<'a>) -> Self {
        Self {
            linked,
            m,
            input,
            summaries: Default::default(),
            active: Default::default(),
            kinds: Default::default(),
            pool_ends: Default::default(),
        }
    }

    fn pool_ends(&self) -> &[usize] {
        self.pool_ends.get_or_init(|| {
            let l = self.l();
            let uses_pg = l.bindings.iter().any(|b| {
                matches!(
                    b.origin,
                    Origin::PgModule
                        | Origin::PoolClass
                        | Origin::ClientClass
                        | Origin::NewPool
                        | Origin::NewClient
                        | Origin::TypedPool
                )
            });
            (0..l.end_calls.len())
                .filter(|i| self.is_pool_handle(&l.end_calls[*i].handle, &l.end_calls[*i].receiver, uses_pg))
                .collect()
        })
    }

    fn kinds(&self) -> &BTreeMap<HandleKey, HandleKind> {
        self.kinds.get_or_init(|| crate::semantic::handles::classify(self.l()))
    }

    fn l(&self) -> &'a Lowered {
        self.input.lowered
    }

    fn module_facts(&self) -> ModuleFacts {
        let ex = &self.l().exports;
        ModuleFacts {
            named: ex
                .named
                .iter()
                .map(|(n, v)| (n.clone(), self.export_fact(v, 0)))
                .collect(),
            module_exports: ex.module_exports.as_ref().map(|v| self.export_fact(v, 0)),
            stars: ex
                .stars
                .iter()
                .filter_map(|s| match self.input.targets.get(s) {
                    Some(Target::Module(t)) => Some(*t),
                    _ => None,
                })
                .collect(),
        }
    }

    fn pool_id(&self, name: &str) -> PoolId {
        PoolId {
            key: format!("{}#{name}", self.input.source.path.display()).into(),
            name: name.into(),
        }
    }

    fn export_fact(&self, v: &ExportValue, depth: usize) -> Fact {
        if depth > MAX_DEPTH {
            return Fact::Unknown;
        }
        match v {
            ExportValue::Binding(b) => self.binding_fact(*b, depth + 1),
            ExportValue::Func(f) => Fact::Function(self.summary(*f, depth + 1)),
            ExportValue::Class(c) => Fact::Class(self.class_fact(*c, depth + 1)),
            ExportValue::Instance(c) => Fact::Instance(self.class_fact(*c, depth + 1)),
            ExportValue::Import(r) => self.linked.import_fact(self.m, r),
            ExportValue::Sql(t) => Fact::Sql(t.clone()),
            ExportValue::Object(members) => Fact::Object(Arc::new(
                members
                    .iter()
                    .map(|(n, v)| (n.clone(), self.export_fact(v, depth + 1)))
                    .collect(),
            )),
            ExportValue::Handle(HandleKind::Pool) => Fact::Pool(self.pool_id("pool")),
            ExportValue::Handle(HandleKind::StandaloneClient) => Fact::Client,
            ExportValue::Handle(_) | ExportValue::Unknown => Fact::Unknown,
        }
    }

    fn class_fact(&self, c: ClassId, depth: usize) -> Arc<ClassFact> {
        let class = &self.l().classes[c as usize];
        Arc::new(ClassFact {
            name: class.name.clone(),
            methods: class
                .methods
                .iter()
                .map(|(n, f)| (n.clone(), self.summary(*f, depth + 1)))
                .collect(),
            statics: class
                .statics
                .iter()
                .map(|(n, f)| (n.clone(), self.summary(*f, depth + 1)))
                .collect(),
        })
    }

    fn binding_fact(&self, b: BindingId, depth: usize) -> Fact {
        let binding = &self.l().bindings[b as usize];
        if let Some(r) = &binding.import {
            return self.linked.import_fact(self.m, r);
        }
        if let Some(c) = self.l().classes.iter().find(|c| c.binding == Some(b)) {
            return Fact::Class(self.class_fact(c.id, depth));
        }
        match &binding.origin {
            Origin::NewPool => return Fact::Pool(self.pool_id(&binding.name)),
            Origin::NewClient => return Fact::Client,
            Origin::Function(f) => return Fact::Function(self.summary(*f, depth)),
            _ => {}
        }
        if let Some(t) = &binding.sql {
            return Fact::Sql(t.clone());
        }
        if !binding.object.is_empty() {
            return Fact::Object(Arc::new(
                binding
                    .object
                    .iter()
                    .map(|(n, v)| (n.clone(), self.export_fact(v, depth + 1)))
                    .collect(),
            ));
        }
        Fact::Unknown
    }

    /// The pool a handle key of this module names, if it is one.
    fn pool_of(&self, key: &HandleKey) -> Option<PoolId> {
        match key {
            HandleKey::Binding(b) => match self.binding_fact(*b, MAX_DEPTH) {
                Fact::Pool(p) => Some(p),
                // `db.query(text, params)` where `db` is a module whose `query` sends the text
                // through its pool (the node-postgres docs' `db/index.js`).
                Fact::Object(members) => members.iter().find_map(|(n, f)| match (n.as_str(), f) {
                    ("query", Fact::Function(s)) => s.effects.iter().find_map(|e| match &e.channel {
                        Channel::Pool(p) => Some(p.clone()),
                        Channel::Param(_) | Channel::Injected(_) => None,
                    }),
                    _ => None,
                }),
                _ => {
                    let binding = &self.l().bindings[*b as usize];
                    let module_level = binding.func == MODULE_FN && binding.kind != BindingKind::Param;
                    let typed = binding.origin == Origin::TypedPool;
                    ((module_level && is_pool_name(&binding.name)) || typed).then(|| self.pool_id(&binding.name))
                }
            },
            HandleKey::Global(name) | HandleKey::Path(name) => {
                (is_pool_name(name) || self.l().typed_pool_paths.contains(name)).then(|| self.pool_id(name))
            }
        }
    }

    /// `pool.end()`'s receiver: a pool by what linking knows, or named like one.
    /// Only a pool the process shares counts: bound at module level or imported (a pool created
    /// inside the function is its own, ended by it).
    fn is_pool_handle(&self, key: &HandleKey, receiver: &str, uses_pg: bool) -> bool {
        if let HandleKey::Binding(b) = key
            && !self.l().bindings[*b as usize].is_process_wide()
        {
            return false;
        }
        // A pool by what linking knows, or, in a module that uses pg, by kind or name: a
        // library's own `this.pool.end()` (a worker pool, another driver's) is none of ours.
        // Known without summarising anything (this runs while a summary is being built): a
        // `new Pool()` here, or a pool another module exports.
        let known = match key {
            HandleKey::Binding(b) => {
                let binding = &self.l().bindings[*b as usize];
                matches!(binding.origin, Origin::NewPool | Origin::TypedPool)
                    || binding
                        .import
                        .as_ref()
                        .is_some_and(|r| matches!(self.linked.import_fact(self.m, r), Fact::Pool(_)))
            }
            _ => false,
        };
        known
            || (uses_pg && (self.kinds().get(key) == Some(&HandleKind::Pool) || is_pool_name(receiver)))
            || self.is_shared_client(key)
    }

    /// A client shared by the whole process: a module-level binding that is a standalone client
    /// (`const client = new Client()` here, or such a client imported from another module).
    fn is_shared_client(&self, key: &HandleKey) -> bool {
        let HandleKey::Binding(b) = key else {
            return false;
        };
        let binding = &self.l().bindings[*b as usize];
        // Without summarising anything: this also runs while a summary is being built.
        binding.func == MODULE_FN
            && (binding.origin == Origin::NewClient
                || binding
                    .import
                    .as_ref()
                    .is_some_and(|r| matches!(self.linked.import_fact(self.m, r), Fact::Client)))
    }

    fn site(&self, func: FuncId, range: crate::source::TextRange) -> Arc<Via> {
        let src = self.input.source;
        let start = src.line_col(range.start);
        let end = src.line_col(range.end);
        Arc::new(Via {
            function: self.function_name(func),
            path: src.path.clone(),
            line: start.line,
            column: start.column,
            end_line: end.line,
            end_column: end.column,
        })
    }

    fn function_name(&self, f: FuncId) -> String {
        let mut cur = Some(f);
        while let Some(id) = cur {
            let func = &self.l().functions[id as usize];
            if let Some(n) = &func.name
                && id != MODULE_FN
            {
                return n.clone();
            }
            cur = func.parent;
        }
        "<module>".to_string()
    }

    fn summary(&self, f: FuncId, depth: usize) -> Arc<FnSummary> {
        if let Some(s) = self.summaries.borrow().get(&f) {
            return s.clone();
        }
        if depth > MAX_DEPTH || self.active.borrow().contains(&f) {
            return Arc::new(FnSummary {
                name: self.function_name(f),
                effects: Vec::new(),
                returns: Returns::Unknown,
                wrapper: None,
                retries: false,
                own_tx: false,
                is_async: false,
                ends_pool: None,
                shared_client_tx: None,
                returns_sql: None,
            });
        }
        self.active.borrow_mut().push(f);
        let s = Arc::new(Summariser::new(self, f, depth).run());
        self.active.borrow_mut().retain(|x| *x != f);
        self.summaries.borrow_mut().insert(f, s.clone());
        s
    }
}

/// Builds one function's summary from its lowered IR.
struct Summariser<'s, 'l, 'a> {
    ml: &'s ModuleLinker<'l, 'a>,
    f: FuncId,
    depth: usize,
    effects: Vec<Effect>,
    /// Effect index of each query of this module.
    effect_of: BTreeMap<QueryId, usize>,
    /// Clients this function checks out, and the pool they come from.
    own_clients: BTreeMap<BindingId, Option<PoolId>>,
    begins_own: bool,
    wrapper: Option<Wrapper>,
    ends_pool: Option<Arc<Via>>,
    shared_client_tx: Option<Arc<Via>>,
    /// Bindings that receive the process-wide client from a getter of another module
    /// (`const client = await getConnection()`).
    shared_bindings: Vec<BindingId>,
}

impl<'s, 'l, 'a> Summariser<'s, 'l, 'a> {
    fn new(ml: &'s ModuleLinker<'l, 'a>, f: FuncId, depth: usize) -> Self {
        Self {
            ml,
            f,
            depth,
            effects: Vec::new(),
            effect_of: BTreeMap::new(),
            own_clients: BTreeMap::new(),
            begins_own: false,
            wrapper: None,
            ends_pool: None,
            shared_client_tx: None,
            shared_bindings: Vec::new(),
        }
    }

    fn l(&self) -> &'a Lowered {
        self.ml.l()
    }

    fn run(mut self) -> FnSummary {
        let l = self.l();
        let func = &l.functions[self.f as usize];
        for c in &l.connects {
            if let Some(t) = c.target
                && self.is_within(c.func)
            {
                self.own_clients.insert(t, self.ml.pool_of(&c.handle));
            }
        }
        if let Some(e) = self
            .ml
            .pool_ends()
            .iter()
            .map(|i| &l.end_calls[*i])
            .find(|e| self.is_within(e.func))
        {
            self.ends_pool = Some(self.ml.site(e.func, e.range));
        }
        let mut seen = Vec::new();
        self.walk(&func.body, false, false, &mut seen);
        // BEGIN and COMMIT/ROLLBACK on a client the caller passes: the helper runs a whole
        // transaction itself (with its own error handling, which summaries do not carry).
        let self_contained = (0..func.params.len()).any(|p| {
            let on_param = |k: fn(&StmtKind) -> bool| {
                self.effects.iter().any(|e| {
                    e.channel == Channel::Param(p) && e.info.as_ref().is_some_and(|i| i.statements.iter().any(k))
                })
            };
            on_param(|s| matches!(s, StmtKind::Begin { .. }))
                && on_param(|s| matches!(s, StmtKind::Commit | StmtKind::Rollback))
        });
        let own_tx = self.begins_own || self_contained;
        if own_tx {
            // Statements of its own transaction are one atomic unit to callers.
            self.effects.retain(|e| matches!(e.channel, Channel::Param(_)));
            self.effect_of.retain(|_, i| *i < self.effects.len());
        }
        let returns = if let Some(cid) = func.returns_connect {
            let c = &l.connects[cid as usize];
            match self.ml.pool_of(&c.handle) {
                Some(p) => Returns::Client(p),
                None => Returns::Unknown,
            }
        } else if self.returns_shared_client(&func.body) {
            Returns::SharedClient
        } else if own_tx {
            Returns::Unknown
        } else {
            func.return_taint
                .iter()
                .filter_map(|(q, _)| self.effect_of.get(q).copied())
                .max()
                .map_or(Returns::Unknown, Returns::Result)
        };
        let retries = func.mentions_retry
            || func.retry_wrapped
            || l.functions.iter().any(|g| g.mentions_retry && self.is_within(g.id));
        FnSummary {
            name: self.ml.function_name(self.f),
            effects: self.effects,
            returns,
            wrapper: self.wrapper,
            retries,
            own_tx,
            is_async: func.is_async,
            ends_pool: self.ends_pool,
            shared_client_tx: self.shared_client_tx,
            returns_sql: func.returns_sql.clone().map(|t| SqlTemplate {
                holes: vec![Taint::new(); t.holes.len()],
                ..t
            }),
        }
    }

    /// `return client` where `client` is the process-wide client (a getter of it).
    fn returns_shared_client(&self, body: &Block) -> bool {
        let mut found = false;
        crate::semantic::flow::walk_ops(body, &mut |op| {
            if let Op::Return { escapes, .. } = op {
                found |= escapes
                    .iter()
                    .any(|b| self.ml.is_shared_client(&HandleKey::Binding(*b)));
            }
        });
        found
    }

    /// Whether function `g` is `f` or nested in it.
    fn is_within(&self, mut g: FuncId) -> bool {
        loop {
            if g == self.f {
                return true;
            }
            match self.l().functions[g as usize].parent {
                Some(p) => g = p,
                None => return false,
            }
        }
    }

    fn param_index(&self, b: BindingId) -> Option<usize> {
        self.l().functions[self.f as usize]
            .params
            .iter()
            .position(|p| p.as_slice() == [b])
    }

    fn walk(&mut self, block: &Block, conditional: bool, repeated: bool, seen: &mut Vec<FuncId>) {
        for op in &block.0 {
            match op {
                Op::Query(q) => self.query(*q, conditional, repeated, seen),
                Op::Inline { func, .. } => self.walk_fn(*func, conditional, repeated, seen),
                Op::If { then_, else_, .. } => {
                    self.walk(then_, true, repeated, seen);
                    self.walk(else_, true, repeated, seen);
                }
                Op::Loop { body, .. } => self.walk(body, conditional, true, seen),
                Op::Switch { cases, .. } => cases.iter().for_each(|c| self.walk(c, true, repeated, seen)),
                // Statements on error paths (`catch`) are compensations; `finally` releases.
                Op::Try { body, .. } => self.walk(body, conditional, repeated, seen),
                Op::Labeled { body, .. } | Op::Group { body } => self.walk(body, conditional, repeated, seen),
                Op::CallBinding { binding, args, .. } => self.call_binding(*binding, args, conditional, repeated),
                Op::ExtCall(id) => {
                    let call = &self.l().ext_calls[*id as usize];
                    if let Fact::Function(s) = self.ml.linked.import_fact(self.ml.m, &call.callee) {
                        if let (Returns::SharedClient, Some(t)) = (&s.returns, call.target) {
                            self.shared_bindings.push(t);
                        }
                        let placed = self.inline_summary(&s, &call.args, conditional, repeated);
                        // What the callee returns is what this call's value is tainted by.
                        if let Returns::Result(k) = s.returns
                            && let Some(Some(j)) = placed.get(k)
                        {
                            self.effect_of.insert(call.result, *j);
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn walk_fn(&mut self, func: FuncId, conditional: bool, repeated: bool, seen: &mut Vec<FuncId>) {
        if seen.contains(&func) || seen.len() > 64 {
            return;
        }
        seen.push(func);
        let body = &self.l().functions[func as usize].body;
        self.walk(body, conditional, repeated, seen);
    }

    fn query(&mut self, q: QueryId, conditional: bool, repeated: bool, seen: &mut Vec<FuncId>) {
        let l = self.l();
        let ev = &l.queries[q as usize];
        let (text, info) = match (&ev.sql.text, &ev.sql.import) {
            (Some(t), _) => (Some(t.clone()), ev.sql.info.clone()),
            (None, Some(r)) => match self.ml.linked.import_fact(self.ml.m, r) {
                Fact::Sql(t) => {
                    let info = sql::classify(&t.text);
                    (Some(t.text), info)
                }
                _ => (None, None),
            },
            _ => (None, None),
        };
        let begins = info.as_ref().is_some_and(|i| i.begins());
        let shared = self.ml.is_shared_client(&ev.handle)
            || matches!(ev.handle, HandleKey::Binding(b) if self.shared_bindings.contains(&b));
        if begins && self.shared_client_tx.is_none() && shared {
            self.shared_client_tx = Some(self.ml.site(ev.func, ev.head));
        }
        let channel = match &ev.handle {
            HandleKey::Binding(b) if self.param_index(*b).is_some() => self.param_index(*b).map(Channel::Param),
            HandleKey::Binding(b) if self.own_clients.contains_key(b) => {
                if begins {
                    self.begins_own = true;
                }
                self.own_clients.get(b).cloned().flatten().map(Channel::Pool)
            }
            key => self.ml.pool_of(key).map(Channel::Pool).or_else(|| match key {
                HandleKey::Path(path) if self.ml.kinds().get(key) == Some(&HandleKind::ParamClient) => {
                    // One identity per class and path: `UsersRepository:this.db`.
                    let owner = self.ml.function_name(ev.func);
                    let owner = owner.split('.').next().unwrap_or("");
                    let mut id = self.ml.pool_id(&format!("{owner}:{path}"));
                    id.name = path.as_str().into();
                    Some(Channel::Injected(id))
                }
                _ => None,
            }),
        };
        if let Some(channel) = channel {
            self.effect_of.insert(q, self.effects.len());
            let sql_param = match &text {
                None => ev.sql.param.and_then(|b| self.param_index(b)),
                Some(_) => None,
            };
            self.effects.push(Effect {
                channel,
                text,
                info,
                conditional,
                repeated,
                site: self.ml.site(ev.func, ev.head),
                sql_param,
            });
        }
        if let Some(cb) = ev.callback {
            self.walk_fn(cb, conditional, repeated, seen);
        }
    }

    /// A call of a function of this module: its statements; or a call of a parameter with a
    /// handle: a transaction wrapper calling its callback.
    fn call_binding(&mut self, binding: BindingId, args: &[Arg], conditional: bool, repeated: bool) {
        let l = self.l();
        if let Some(cb_param) = self.param_index(binding) {
            for (i, a) in args.iter().enumerate() {
                let Arg::Binding(b) = a else { continue };
                let hands = if self.own_clients.contains_key(b) {
                    Some(Handed::TxClient)
                } else {
                    self.ml.pool_of(&HandleKey::Binding(*b)).map(Handed::Pool)
                };
                if let Some(hands) = hands {
                    self.wrapper = Some(Wrapper {
                        callback_param: cb_param,
                        handle_arg: i,
                        hands,
                    });
                    break;
                }
            }
            return;
        }
        if let Origin::Function(g) = l.bindings[binding as usize].origin {
            let s = self.ml.summary(g, self.depth + 1);
            self.inline_summary(&s, args, conditional, repeated);
        }
    }

    /// The statements of a callee, with its parameters bound to this function's arguments; where
    /// each of the callee's effects landed.
    fn inline_summary(&mut self, s: &FnSummary, args: &[Arg], conditional: bool, repeated: bool) -> Vec<Option<usize>> {
        let mut placed = Vec::with_capacity(s.effects.len());
        if self.ends_pool.is_none() {
            self.ends_pool = s.ends_pool.clone();
        }
        if self.shared_client_tx.is_none() {
            self.shared_client_tx = s.shared_client_tx.clone();
        }
        if s.own_tx {
            return placed;
        }
        let skipped = pool_fallbacks_not_taken(&s.effects, args);
        for (e, skip) in s.effects.iter().zip(skipped) {
            if skip {
                placed.push(None);
                continue;
            }
            let channel = match &e.channel {
                Channel::Pool(p) => Some(Channel::Pool(p.clone())),
                Channel::Injected(p) => Some(Channel::Injected(p.clone())),
                Channel::Param(i) => match args.get(*i) {
                    Some(Arg::Binding(b)) => match self.param_index(*b) {
                        Some(j) => Some(Channel::Param(j)),
                        None => self.ml.pool_of(&HandleKey::Binding(*b)).map(Channel::Pool),
                    },
                    _ => None,
                },
            };
            if let Some(channel) = channel {
                placed.push(Some(self.effects.len()));
                // The callee's SQL parameter, when this function passes one of its own.
                let sql_param = e.sql_param.and_then(|i| match args.get(i) {
                    Some(Arg::Binding(b)) => self.param_index(*b),
                    _ => None,
                });
                self.effects.push(Effect {
                    channel,
                    conditional: conditional || e.conditional,
                    repeated: repeated || e.repeated,
                    sql_param,
                    ..e.clone()
                });
            } else {
                placed.push(None);
            }
        }
        if let Some(w) = &s.wrapper
            && let Some(Arg::Binding(b)) = args.get(w.callback_param)
            && let Some(p) = self.param_index(*b)
        {
            self.wrapper = Some(Wrapper {
                callback_param: p,
                ..w.clone()
            });
        }
        placed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::semantic::lower::lower_in_project;

    /// An in-memory module: path, source, and (specifier, index of the module it names).
    type TestModule<'a> = (&'a str, &'a str, &'a [(&'a str, usize)]);

    /// Links in-memory modules.
    fn link(modules: &[TestModule<'_>]) -> Linked {
        let sources: Vec<SourceFile> = modules
            .iter()
            .map(|(p, text, _)| SourceFile::new(*p, text.to_string()))
            .collect();
        let targets: Vec<BTreeMap<String, Target>> = modules
            .iter()
            .map(|(_, _, t)| t.iter().map(|(s, m)| (s.to_string(), Target::Module(*m))).collect())
            .collect();
        let lowered: Vec<Lowered> = sources
            .iter()
            .zip(&targets)
            .map(|(src, t)| {
                let parsed = crate::parse::parse(src).expect("parses");
                let local = t.keys().cloned().collect();
                lower_in_project(&parsed, &src.text, Some(&local))
            })
            .collect();
        let inputs: Vec<LinkInput<'_>> = sources
            .iter()
            .zip(&lowered)
            .zip(&targets)
            .map(|((source, lowered), targets)| LinkInput {
                source,
                lowered,
                targets,
                precomputed: None,
            })
            .collect();
        Linked::build(
            &inputs,
            &super::super::graph::bottom_up_components(&import_edges(&targets)),
        )
    }

    fn import(spec: &str, path: &[&str]) -> ImportRef {
        ImportRef {
            specifier: spec.to_string(),
            path: path.iter().map(|s| s.to_string()).collect(),
        }
    }

    const DAL: &str = "const { Pool } = require('pg');\nconst pool = new Pool();\nasync function insertUser(n) { await pool.query('INSERT INTO users (name) VALUES ($1)', [n]); }\nmodule.exports = { insertUser };\n";

    #[test]
    fn re_exports_and_renames_reach_the_function() {
        let linked = link(&[
            ("dal.js", DAL, &[]),
            (
                "index.js",
                "export * from './dal.js';\nexport { insertUser as addUser } from './dal.js';\n",
                &[("./dal.js", 0)],
            ),
            (
                "route.js",
                "import { addUser } from './index.js';\n",
                &[("./index.js", 1)],
            ),
        ]);
        for name in ["insertUser", "addUser"] {
            match linked.import_fact(2, &import("./index.js", &[name])) {
                Fact::Function(s) => {
                    assert_eq!(s.effects.len(), 1, "{name}");
                    assert!(matches!(s.effects[0].channel, Channel::Pool(_)));
                }
                other => panic!("{name}: {other:?}"),
            }
        }
        assert!(linked.import_fact(2, &import("./index.js", &["missing"])).is_unknown());
        assert!(linked.import_fact(2, &import("./nowhere.js", &["x"])).is_unknown());
    }

    #[test]
    fn modules_that_import_each_other_reach_a_fixpoint() {
        // a.js's helper calls b.js's, which calls back into a.js's SQL constant.
        let a = "const b = require('./b');\nconst SQL = 'INSERT INTO t (x) VALUES ($1)';\nasync function outer(c) { await b.inner(c); }\nmodule.exports = { SQL, outer };\n";
        let b = "const a = require('./a');\nasync function inner(c) { await c.query(a.SQL, [1]); }\nmodule.exports = { inner };\n";
        let linked = link(&[("a.js", a, &[("./b", 1)]), ("b.js", b, &[("./a", 0)])]);
        match linked.import_fact(1, &import("./a", &["outer"])) {
            Fact::Function(s) => {
                assert_eq!(s.effects.len(), 1);
                assert_eq!(s.effects[0].channel, Channel::Param(0));
                assert!(s.effects[0].text.as_deref().is_some_and(|t| t.starts_with("INSERT")));
            }
            other => panic!("{other:?}"),
        }
    }
}
