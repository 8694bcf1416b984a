//! Module resolution, as Node and TypeScript do it, by `oxc_resolver` (a port of webpack's
//! enhanced-resolve: relative paths, extension and `index` probing, `package.json` `main` /
//! `exports`, `tsconfig.json` `paths` / `baseUrl` found next to the importing file).
//!
//! What it decides: which file of the project a specifier names, or that it names a package
//! (anything under `node_modules`, which is never analysed) or nothing we can find. A specifier
//! that does not resolve is unknown, and unknown facts never produce a finding.

use std::path::{Path, PathBuf};

use oxc_resolver::{ResolveOptions, Resolver, TsconfigDiscovery};

/// Extensions probed, in the order TypeScript prefers them.
pub const EXTENSIONS: &[&str] = &[".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"];

/// What a specifier names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// A source file of the project.
    File(PathBuf),
    /// A package (`pg`, `knex`, a dependency under `node_modules`), by its name.
    Package(String),
    /// Neither: a missing file, a JSON or native module, a URL.
    Missing,
}

/// Packages known by name: what they resolve to does not matter (their code is never analysed),
/// so they are not looked up under `node_modules`. Most imports of an Express + node-postgres
/// project are these.
const KNOWN_PACKAGES: &[&str] = &[
    "pg",
    "pg-pool",
    "pg-native",
    "pg-promise",
    "pg-format",
    "pg-query-stream",
    "pg-cursor",
    "postgres",
    "@vercel/postgres",
    "@neondatabase/serverless",
    "knex",
    "sequelize",
    "typeorm",
    "@prisma/client",
    "mysql",
    "mysql2",
    "mongoose",
    "mongodb",
    "redis",
    "ioredis",
    "express",
    "koa",
    "fastify",
    "@hapi/hapi",
    "body-parser",
    "cors",
    "helmet",
    "morgan",
    "dotenv",
    "jsonwebtoken",
    "bcrypt",
    "bcryptjs",
    "uuid",
    "lodash",
    "axios",
    "zod",
    "joi",
    "winston",
    "pino",
    "react",
    "next",
    "@nestjs/common",
    "@nestjs/core",
];

/// Node's built-in modules, which `require('fs')` names without the `node:` prefix.
const NODE_BUILTINS: &[&str] = &[
    "assert",
    "async_hooks",
    "buffer",
    "child_process",
    "cluster",
    "console",
    "constants",
    "crypto",
    "dgram",
    "diagnostics_channel",
    "dns",
    "domain",
    "events",
    "fs",
    "http",
    "http2",
    "https",
    "inspector",
    "module",
    "net",
    "os",
    "path",
    "perf_hooks",
    "process",
    "punycode",
    "querystring",
    "readline",
    "repl",
    "stream",
    "string_decoder",
    "timers",
    "tls",
    "trace_events",
    "tty",
    "url",
    "util",
    "v8",
    "vm",
    "wasi",
    "worker_threads",
    "zlib",
];

/// A resolver shared by every thread (its cache is concurrent).
pub struct ModuleResolver {
    inner: Resolver,
    /// Relative specifiers resolved from a directory: every file of the directory gets the same
    /// answer, so it is computed once (most files of a directory import the same few modules).
    relative: std::sync::RwLock<std::collections::HashMap<(PathBuf, String), Resolved>>,
}

impl Default for ModuleResolver {
    fn default() -> Self {
        Self::new()
    }
}

impl ModuleResolver {
    pub fn new() -> Self {
        let js_alias = |ext: &str, to: &[&str]| (ext.to_string(), to.iter().map(|s| s.to_string()).collect());
        let options = ResolveOptions {
            tsconfig: Some(TsconfigDiscovery::Auto),
            extensions: EXTENSIONS.iter().map(|s| s.to_string()).collect(),
            // ESM TypeScript writes `import './db.js'` for `db.ts`.
            extension_alias: vec![
                js_alias(".js", &[".ts", ".tsx", ".js", ".jsx"]),
                js_alias(".mjs", &[".mts", ".mjs"]),
                js_alias(".cjs", &[".cts", ".cjs"]),
            ],
            condition_names: vec!["node".into(), "require".into(), "import".into(), "default".into()],
            main_fields: vec!["main".into(), "module".into()],
            builtin_modules: true,
            ..ResolveOptions::default()
        };
        Self {
            inner: Resolver::new(options),
            relative: Default::default(),
        }
    }

    /// Resolves `specifier` as written in `from` (a file path).
    pub fn resolve(&self, from: &Path, specifier: &str) -> Resolved {
        if specifier.is_empty() || specifier.starts_with("node:") {
            return Resolved::Package(specifier.to_string());
        }
        let name = package_name(specifier);
        if !is_path_like(specifier)
            && (KNOWN_PACKAGES.contains(&name.as_str()) || NODE_BUILTINS.contains(&name.as_str()))
        {
            return Resolved::Package(name);
        }
        // `./src/a.ts` given on the command line: `/cwd/./src/a.ts` would defeat tsconfig discovery.
        let from = crate::paths::lexical_absolute(from);
        // tsconfig `paths` apply to bare specifiers only: a relative one depends on the directory.
        let key = match (is_path_like(specifier), from.parent()) {
            (true, Some(dir)) => {
                let key = (dir.to_path_buf(), specifier.to_string());
                if let Some(r) = self.relative.read().unwrap_or_else(|e| e.into_inner()).get(&key) {
                    return r.clone();
                }
                Some(key)
            }
            _ => None,
        };
        let resolved = self.resolve_uncached(&from, specifier);
        if let Some(key) = key {
            self.relative
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .insert(key, resolved.clone());
        }
        resolved
    }

    fn resolve_uncached(&self, from: &Path, specifier: &str) -> Resolved {
        match self.inner.resolve_file(from, specifier) {
            Ok(r) => {
                let path = r.into_path_buf();
                if is_in_node_modules(&path) {
                    Resolved::Package(package_name(specifier))
                } else if is_source_file(&path) {
                    Resolved::File(path)
                } else {
                    Resolved::Missing
                }
            }
            Err(_) if !is_path_like(specifier) => Resolved::Package(package_name(specifier)),
            Err(_) => Resolved::Missing,
        }
    }
}

/// `./x`, `../x`, `/x`: a path rather than a package name.
pub fn is_path_like(specifier: &str) -> bool {
    specifier.starts_with("./") || specifier.starts_with("../") || specifier.starts_with('/') || specifier == "."
}

/// A specifier that names a file of the project by its look alone: a path, or the `@/` and `~/`
/// aliases most projects configure. Used when no resolver ran (a single file, standard input).
pub fn is_local_specifier(specifier: &str) -> bool {
    is_path_like(specifier) || specifier.starts_with("@/") || specifier.starts_with("~/")
}

/// `pg` for `pg/lib/client`, `@scope/pkg` for `@scope/pkg/sub`.
pub fn package_name(specifier: &str) -> String {
    let mut parts = specifier.splitn(3, '/');
    match (parts.next(), parts.next()) {
        (Some(scope), Some(name)) if scope.starts_with('@') => format!("{scope}/{name}"),
        (Some(name), _) => name.to_string(),
        _ => specifier.to_string(),
    }
}

fn is_in_node_modules(path: &Path) -> bool {
    path.components().any(|c| c.as_os_str() == "node_modules")
}

fn is_source_file(path: &Path) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    let name = name.as_ref();
    EXTENSIONS.iter().any(|e| name.ends_with(e)) && !name.ends_with(".d.ts")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().expect("has parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }

    #[test]
    fn relative_index_extensions_and_packages() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        write(root, "src/db/index.js", "module.exports = {}");
        write(root, "src/dal/users.ts", "export {}");
        write(root, "src/sql.cjs", "");
        write(root, "src/routes/a.js", "");
        write(
            root,
            "node_modules/pg/package.json",
            r#"{"name":"pg","main":"lib/index.js"}"#,
        );
        write(root, "node_modules/pg/lib/index.js", "");
        let r = ModuleResolver::new();
        let from = root.join("src/routes/a.js");
        assert_eq!(r.resolve(&from, "../db"), Resolved::File(root.join("src/db/index.js")));
        assert_eq!(
            r.resolve(&from, "../dal/users"),
            Resolved::File(root.join("src/dal/users.ts"))
        );
        assert_eq!(
            r.resolve(&from, "../dal/users.js"),
            Resolved::File(root.join("src/dal/users.ts"))
        );
        assert_eq!(r.resolve(&from, "../sql.cjs"), Resolved::File(root.join("src/sql.cjs")));
        assert_eq!(r.resolve(&from, "pg"), Resolved::Package("pg".into()));
        assert_eq!(r.resolve(&from, "pg/lib/client"), Resolved::Package("pg".into()));
        assert_eq!(
            r.resolve(&from, "@acme/missing/x"),
            Resolved::Package("@acme/missing".into())
        );
        assert_eq!(r.resolve(&from, "./nope"), Resolved::Missing);
        assert_eq!(r.resolve(&from, "fs"), Resolved::Package("fs".into()));
    }

    #[test]
    fn tsconfig_paths_and_workspace_packages() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        write(
            root,
            "tsconfig.json",
            r#"{ "compilerOptions": { "baseUrl": ".", "paths": { "@db/*": ["src/db/*"] } } }"#,
        );
        write(root, "src/db/pool.ts", "export {}");
        write(root, "src/routes/a.ts", "");
        write(
            root,
            "packages/shared/package.json",
            r#"{"name":"@acme/shared","main":"src/index.js"}"#,
        );
        write(root, "packages/shared/src/index.js", "");
        let r = ModuleResolver::new();
        let from = root.join("src/routes/a.ts");
        assert_eq!(
            r.resolve(&from, "@db/pool"),
            Resolved::File(root.join("src/db/pool.ts"))
        );
        assert_eq!(
            r.resolve(&from, "../../packages/shared"),
            Resolved::File(root.join("packages/shared/src/index.js"))
        );
    }

    #[test]
    fn base_url_imports_from_dotted_paths() {
        // `"baseUrl": "./src", "paths": { "*": ["./*"] }, "include": ["src/**/*.ts"]`, and a file
        // named as `txlint .` names it (`./src/...`): the include globs match only the
        // normalized path.
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        write(
            root,
            "tsconfig.json",
            r#"{ "compilerOptions": { "baseUrl": "./src", /* comment */ "paths": { "*": ["./*"] } }, "include": ["src/**/*.ts"] }"#,
        );
        write(root, "src/users/users.service.ts", "export {}");
        write(root, "src/auth/auth.service.ts", "");
        let r = ModuleResolver::new();
        let dotted = root.join(".").join("src/auth/../auth/auth.service.ts");
        assert_eq!(
            r.resolve(&dotted, "users/users.service"),
            Resolved::File(root.join("src/users/users.service.ts"))
        );
    }
}
