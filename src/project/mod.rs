//! The project: the files that import each other, linked so that rules see across modules.
//!
//! Pass 1 (parallel, one parse per file): each file the analysis reaches is parsed and lowered
//! (`semantic::lower`), which records what it exports and its calls into other modules, and the
//! syntax tree is freed. Pass 2: the module graph is built with a resolver (`resolve`), and modules
//! are linked bottom-up over its strongly connected components (`graph`, `link`): each module's
//! exports become facts (a pool, a SQL text, a function and what it does to the database). Then
//! each linted file's calls into other modules are expanded with those facts (`expand`) and the
//! rules run on the result, as they do on a single file.

pub mod cache;
pub mod expand;
pub mod graph;
pub mod link;
pub mod needs;
pub mod pipeline;
pub mod resolve;
pub mod scan;
pub mod schema;
