//! Configuration: `.txlintrc.json`, found by walking up from each linted file's directory (the
//! nearest wins) or given with `--config`, plus command-line overrides.
//!
//! ```json
//! {
//!   "database": "postgres",
//!   "rules": { "missing-retry": "off", "read-modify-write": "warn" },
//!   "ignorePatterns": ["generated/", "*.spec.js"],
//!   "overrides": [{ "files": ["scripts/**"], "rules": { "missing-transaction": "off" } }]
//! }
//! ```
//!
//! A bad file is a usage error (exit 2) reported by miette at the line and column in the file:
//! invalid JSON, an unknown key or rule id (with "did you mean"), an unknown level, a bad glob.
//! Settings resolve in this order: the file's `rules`, matching `overrides` in order, then
//! `--rule`, then `--select`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use miette::{Diagnostic, NamedSource, SourceSpan};
use serde_json::Value;
use thiserror::Error;

use crate::LintOptions;
use crate::error::closest;
use crate::rules::{self, Level, RuleSet};
use crate::semantic::Database;

/// The file name looked for in each directory.
pub const FILE_NAME: &str = ".txlintrc.json";

/// A configuration file that cannot be used, pointing at the place in it.
#[derive(Debug, Error, Diagnostic)]
#[error("{message}")]
#[diagnostic(code(txlint::config))]
pub struct ConfigError {
    pub message: String,
    #[source_code]
    pub src: NamedSource<String>,
    #[label("{label}")]
    pub span: SourceSpan,
    pub label: String,
    #[help]
    pub help: Option<String>,
}

/// Rule ids a configuration may name: the rules, and the suppression check.
pub fn known_ids() -> Vec<&'static str> {
    let mut ids: Vec<&'static str> = rules::ids().collect();
    ids.push(crate::UNUSED_SUPPRESSION);
    ids
}

/// One `overrides` entry.
#[derive(Debug)]
pub struct Override {
    pub files: GlobSet,
    pub rules: Vec<(String, Level)>,
}

/// A loaded, validated configuration file.
#[derive(Debug)]
pub struct ConfigFile {
    pub path: PathBuf,
    /// Directory the patterns are relative to.
    pub dir: PathBuf,
    pub database: Option<Database>,
    pub rules: Vec<(String, Level)>,
    pub ignore: Option<Gitignore>,
    pub overrides: Vec<Override>,
}

struct Loader<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Loader<'_> {
    fn error(
        &self,
        at: Option<(usize, usize)>,
        message: String,
        label: &str,
        help: Option<String>,
    ) -> Box<ConfigError> {
        let (start, len) = at.unwrap_or((0, 0));
        Box::new(ConfigError {
            message,
            src: NamedSource::new(self.path.display().to_string(), self.text.to_string()).with_language("json"),
            span: SourceSpan::new(start.into(), len),
            label: label.to_string(),
            help,
        })
    }

    /// Where a JSON string with this value is written (first occurrence after `after`).
    fn find_string(&self, value: &str, after: usize) -> Option<(usize, usize)> {
        let quoted = serde_json::to_string(value).ok()?;
        let start = self.text.get(after..)?.find(&quoted)? + after;
        Some((start, quoted.len()))
    }

    /// Where the value of `"key":` starts (first occurrence after `after`), spanning one token.
    fn find_value_of(&self, key: &str, after: usize) -> Option<(usize, usize)> {
        let (k, len) = self.find_string(key, after)?;
        let rest = &self.text[k + len..];
        let colon = rest.find(':')?;
        let value_start = k + len + colon + 1 + (rest[colon + 1..].len() - rest[colon + 1..].trim_start().len());
        let rest = &self.text[value_start..];
        let token = &rest[..rest.find([',', '\n', '}']).unwrap_or(rest.len())];
        let token_len = token.trim_end().len().max(1);
        Some((value_start, token_len))
    }

    fn levels(&self, obj: &Value, key_path: &str, after: usize) -> Result<Vec<(String, Level)>, Box<ConfigError>> {
        let Some(map) = obj.as_object() else {
            return Err(self.error(
                self.find_value_of(key_path, after),
                format!("`{key_path}` must be an object of rule id to \"off\", \"warn\" or \"error\""),
                "expected an object",
                None,
            ));
        };
        let ids = known_ids();
        let mut out = Vec::new();
        for (id, level) in map {
            if !ids.contains(&id.as_str()) {
                let help = match closest(id, &ids) {
                    Some(best) => format!("did you mean `{best}`? Valid rules: {}", ids.join(", ")),
                    None => format!("valid rules: {}", ids.join(", ")),
                };
                return Err(self.error(
                    self.find_string(id, after),
                    format!("unknown rule `{id}`"),
                    "not a txlint rule",
                    Some(help),
                ));
            }
            let parsed = level.as_str().and_then(Level::parse);
            let Some(level) = parsed else {
                return Err(self.error(
                    self.find_value_of(id, after),
                    format!("unknown level {level} for `{id}`"),
                    "not a level",
                    Some("use \"off\", \"warn\" or \"error\"".to_string()),
                ));
            };
            out.push((id.clone(), level));
        }
        Ok(out)
    }

    fn strings<'v>(&self, v: &'v Value, key: &str, after: usize) -> Result<Vec<&'v str>, Box<ConfigError>> {
        let list: Vec<&Value> = match v {
            Value::String(_) => vec![v],
            Value::Array(a) => a.iter().collect(),
            _ => vec![],
        };
        let strings: Option<Vec<&str>> = list.iter().map(|x| x.as_str()).collect();
        match strings {
            Some(s) if !list.is_empty() || matches!(v, Value::Array(_)) => Ok(s),
            _ => Err(self.error(
                self.find_value_of(key, after),
                format!("`{key}` must be a list of glob patterns"),
                "expected a list of strings",
                None,
            )),
        }
    }

    fn load(&self) -> Result<ConfigFile, Box<ConfigError>> {
        let value: Value = serde_json::from_str(self.text).map_err(|e| {
            let offset = line_col_offset(self.text, e.line(), e.column());
            self.error(Some((offset, 1)), format!("invalid JSON: {e}"), "here", None)
        })?;
        let Some(obj) = value.as_object() else {
            return Err(self.error(
                Some((0, 1)),
                "the configuration must be a JSON object".to_string(),
                "expected `{`",
                None,
            ));
        };
        let dir = self.path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut cfg = ConfigFile {
            path: self.path.to_path_buf(),
            dir: normalized(&dir),
            database: None,
            rules: Vec::new(),
            ignore: None,
            overrides: Vec::new(),
        };
        const KEYS: &[&str] = &["$schema", "database", "rules", "ignorePatterns", "overrides"];
        for (key, v) in obj {
            match key.as_str() {
                "$schema" => {}
                "database" => {
                    cfg.database = match v.as_str() {
                        Some("cockroachdb") => Some(Database::Cockroachdb),
                        Some("postgres") => Some(Database::Postgres),
                        _ => {
                            return Err(self.error(
                                self.find_value_of("database", 0),
                                format!("unknown database {v}"),
                                "not a database",
                                Some("use \"cockroachdb\" or \"postgres\"".to_string()),
                            ));
                        }
                    }
                }
                "rules" => cfg.rules = self.levels(v, "rules", 0)?,
                "ignorePatterns" => {
                    let patterns = self.strings(v, "ignorePatterns", 0)?;
                    cfg.ignore = Some(ignore_matcher(&cfg.dir, &patterns).map_err(|(bad, e)| match bad {
                        Some(p) => self.error(
                            self.find_string(p, 0),
                            format!("bad ignore pattern `{p}`: {e}"),
                            "invalid pattern",
                            None,
                        ),
                        None => self.error(
                            self.find_value_of("ignorePatterns", 0),
                            format!("bad ignore patterns: {e}"),
                            "here",
                            None,
                        ),
                    })?);
                }
                "overrides" => {
                    let Some(list) = v.as_array() else {
                        return Err(self.error(
                            self.find_value_of("overrides", 0),
                            "`overrides` must be a list of { \"files\": [...], \"rules\": {...} }".to_string(),
                            "expected a list",
                            None,
                        ));
                    };
                    let mut after = self.find_string("overrides", 0).map(|(s, _)| s).unwrap_or(0);
                    for entry in list {
                        let Some(eo) = entry.as_object() else {
                            return Err(self.error(
                                self.find_value_of("overrides", 0),
                                "each override must be an object with `files` and `rules`".to_string(),
                                "here",
                                None,
                            ));
                        };
                        for k in eo.keys() {
                            if k != "files" && k != "rules" {
                                return Err(self.error(
                                    self.find_string(k, after),
                                    format!("unknown key `{k}` in an override"),
                                    "unknown key",
                                    Some("an override has `files` and `rules`".to_string()),
                                ));
                            }
                        }
                        let files_v = eo.get("files").ok_or_else(|| {
                            self.error(
                                self.find_value_of("overrides", 0),
                                "an override needs `files`".to_string(),
                                "here",
                                None,
                            )
                        })?;
                        let files = self.strings(files_v, "files", after)?;
                        let mut gs = GlobSetBuilder::new();
                        for f in &files {
                            let pattern = if f.contains('/') {
                                f.trim_start_matches("./").to_string()
                            } else {
                                format!("**/{f}")
                            };
                            let glob = GlobBuilder::new(&pattern)
                                .literal_separator(true)
                                .build()
                                .map_err(|e| {
                                    self.error(
                                        self.find_string(f, after),
                                        format!("bad glob `{f}`: {}", e.kind()),
                                        "invalid glob",
                                        None,
                                    )
                                })?;
                            gs.add(glob);
                        }
                        let files = gs.build().map_err(|e| {
                            self.error(
                                self.find_value_of("files", after),
                                format!("bad globs: {e}"),
                                "here",
                                None,
                            )
                        })?;
                        let rules = match eo.get("rules") {
                            Some(r) => self.levels(r, "rules", after)?,
                            None => Vec::new(),
                        };
                        cfg.overrides.push(Override { files, rules });
                        after = self.find_string("files", after).map(|(s, l)| s + l).unwrap_or(after);
                    }
                }
                other => {
                    let help = match closest(other, KEYS) {
                        Some(best) => format!("did you mean `{best}`? Valid keys: {}", KEYS.join(", ")),
                        None => format!("valid keys: {}", KEYS.join(", ")),
                    };
                    return Err(self.error(
                        self.find_string(other, 0),
                        format!("unknown key `{other}`"),
                        "unknown key",
                        Some(help),
                    ));
                }
            }
        }
        Ok(cfg)
    }
}

/// Byte offset of a 1-based line and column (as serde_json reports them).
fn line_col_offset(text: &str, line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            return (offset + column.saturating_sub(1)).min(text.len());
        }
        offset += l.len();
    }
    text.len().saturating_sub(1)
}

/// The matcher of `ignorePatterns` and `--exclude`: gitignore lines, relative to `dir`. On error,
/// the pattern at fault (if one is) and why.
pub fn ignore_matcher<'p>(dir: &Path, patterns: &[&'p str]) -> Result<Gitignore, (Option<&'p str>, String)> {
    let mut b = GitignoreBuilder::new(dir);
    for p in patterns {
        b.add_line(None, p).map_err(|e| (Some(*p), e.to_string()))?;
    }
    b.build().map_err(|e| (None, e.to_string()))
}

/// Whether the matcher of patterns relative to `dir` excludes `abs` (or a directory above it).
fn is_ignored(ig: &Gitignore, dir: &Path, abs: &Path) -> bool {
    abs.strip_prefix(dir)
        .is_ok_and(|rel| ig.matched_path_or_any_parents(rel, false).is_ignore())
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

/// `absolute`, with `.` and `..` folded away: `../src/a.js` linted from `gen/` is `src/a.js` under
/// the project, not a path under `gen/` whose parents include a `gen` (patterns and override globs
/// would match it).
fn normalized(p: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in absolute(p).components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Loads and validates one configuration file.
pub fn load(path: &Path) -> Result<ConfigFile, Box<ConfigError>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            return Err(Box::new(ConfigError {
                message: format!("cannot read configuration {}: {e}", path.display()),
                src: NamedSource::new(path.display().to_string(), String::new()),
                span: SourceSpan::new(0.into(), 0),
                label: "here".to_string(),
                help: Some("pass a readable JSON file to --config".to_string()),
            }));
        }
    };
    // Editors on Windows may write a UTF-8 byte order mark: it is not JSON, skip it.
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    if text.trim().is_empty() {
        // `--config /dev/null`, or an empty file: no configuration (defaults for every file).
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        return Ok(ConfigFile {
            path: path.to_path_buf(),
            dir: normalized(&dir),
            database: None,
            rules: Vec::new(),
            ignore: None,
            overrides: Vec::new(),
        });
    }
    Loader { path, text }.load()
}

/// `--config /dev/null`: the null device, which stands for "no configuration" (as an empty file).
pub fn is_null_device(path: &Path) -> bool {
    path == Path::new("/dev/null")
}

/// Checks a `--config FILE` argument before loading it: missing, a directory, not a regular file,
/// or refused by the OS, each said as such.
pub fn check_explicit(path: &Path) -> Result<(), crate::error::Error> {
    use crate::error::Error;
    let help = "pass an existing .txlintrc.json to --config (or /dev/null for none)".to_string();
    if is_null_device(path) {
        return Ok(());
    }
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => Err(Error::Usage {
            message: format!("configuration file {} is a directory", path.display()),
            help,
        }),
        // A FIFO or a device would block or never end: never opened.
        Ok(m) if !m.is_file() => Err(Error::Usage {
            message: format!("configuration file {} is not a regular file", path.display()),
            help,
        }),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::Usage {
            message: format!("configuration file not found: {}", path.display()),
            help,
        }),
        Err(e) => Err(crate::error::path_error(path, e)),
    }
}

/// Settings given on the command line, applied after every file's configuration.
#[derive(Debug, Clone, Default)]
pub struct CliSettings {
    pub database: Option<Database>,
    /// `--rule id=level`, in order.
    pub rules: Vec<(String, Level)>,
    /// `--select a,b`: only these rules.
    pub select: Option<Vec<String>>,
    /// `--exclude GLOB`: see `exclude_matcher`.
    pub exclude: Option<Exclude>,
}

/// `--exclude` patterns, matched as `ignorePatterns`, relative to `dir` (the current directory).
#[derive(Debug, Clone)]
pub struct Exclude {
    pub matcher: Gitignore,
    pub dir: PathBuf,
}

/// Builds the `--exclude` matcher (none without patterns); a bad pattern is a usage error.
pub fn exclude_matcher(patterns: &[String]) -> Result<Option<Exclude>, crate::error::Error> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let dir = normalized(Path::new("."));
    let patterns: Vec<&str> = patterns.iter().map(String::as_str).collect();
    let matcher = ignore_matcher(&dir, &patterns).map_err(|(bad, e)| crate::error::Error::Usage {
        message: match bad {
            Some(p) => format!("bad --exclude pattern `{p}`: {e}"),
            None => format!("bad --exclude patterns: {e}"),
        },
        help: "--exclude takes gitignore patterns, as `ignorePatterns` in the configuration".to_string(),
    })?;
    Ok(Some(Exclude { matcher, dir }))
}

/// The effective settings for one file.
#[derive(Debug, Clone, Default)]
pub struct FileSettings {
    pub rules: RuleSet,
    pub lint: LintOptions,
    /// Matched by the configuration's `ignorePatterns`.
    pub ignored: bool,
}

/// Finds and caches the configuration of each directory.
pub struct Resolver {
    explicit: Option<Arc<ConfigFile>>,
    by_dir: HashMap<PathBuf, Option<Arc<ConfigFile>>>,
    cli: CliSettings,
}

impl Resolver {
    pub fn new(explicit: Option<&Path>, cli: CliSettings) -> Result<Self, Box<ConfigError>> {
        let explicit = match explicit {
            Some(p) => Some(Arc::new(load(p)?)),
            None => None,
        };
        Ok(Self {
            explicit,
            by_dir: HashMap::new(),
            cli,
        })
    }

    /// The configuration governing `dir` (nearest `.txlintrc.json` at or above it).
    pub fn config_for_dir(&mut self, dir: &Path) -> Result<Option<Arc<ConfigFile>>, Box<ConfigError>> {
        if let Some(c) = &self.explicit {
            return Ok(Some(c.clone()));
        }
        let dir = normalized(dir);
        if let Some(hit) = self.by_dir.get(&dir) {
            return Ok(hit.clone());
        }
        let candidate = dir.join(FILE_NAME);
        let found = if candidate.is_file() {
            Some(Arc::new(load(&candidate)?))
        } else {
            match dir.parent() {
                Some(parent) => self.config_for_dir(parent)?,
                None => None,
            }
        };
        self.by_dir.insert(dir, found.clone());
        Ok(found)
    }

    /// Loads the configuration of every directory that holds one of `files` (errors surface here,
    /// before any linting).
    pub fn preload(&mut self, files: &[PathBuf]) -> Result<(), Box<ConfigError>> {
        let mut dirs: Vec<PathBuf> = files.iter().map(|f| parent_dir(f)).collect();
        dirs.sort();
        dirs.dedup();
        for d in dirs {
            self.config_for_dir(&d)?;
        }
        Ok(())
    }

    /// Effective settings for a file. Configurations must have been loaded (see `preload`).
    pub fn settings(&self, file: &Path) -> FileSettings {
        let config = match &self.explicit {
            Some(c) => Some(c.clone()),
            None => self.by_dir.get(&normalized(&parent_dir(file))).cloned().flatten(),
        };
        let mut s = FileSettings::default();
        let abs = normalized(file);
        if let Some(c) = &config {
            let rel = abs.strip_prefix(&c.dir).ok();
            if let Some(db) = c.database {
                s.lint.database = db;
            }
            apply(&mut s.rules, &c.rules);
            if let Some(rel) = rel {
                for o in &c.overrides {
                    if o.files.is_match(rel) {
                        apply(&mut s.rules, &o.rules);
                    }
                }
            }
            if let Some(ig) = &c.ignore {
                s.ignored = is_ignored(ig, &c.dir, &abs);
            }
        }
        if let Some(x) = &self.cli.exclude {
            s.ignored |= is_ignored(&x.matcher, &x.dir, &abs);
        }
        if let Some(db) = self.cli.database {
            s.lint.database = db;
        }
        apply(&mut s.rules, &self.cli.rules);
        if let Some(sel) = &self.cli.select {
            s.rules.select(sel);
        }
        s
    }
}

fn parent_dir(file: &Path) -> PathBuf {
    match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn apply(rules: &mut RuleSet, levels: &[(String, Level)]) {
    for (id, level) in levels {
        rules.set(id, *level);
    }
}

/// The JSON Schema of `.txlintrc.json` (`txlint config-schema`), so editors complete it.
pub fn schema() -> String {
    let ids = known_ids();
    let level = serde_json::json!({ "enum": ["off", "warn", "error"] });
    let mut props = serde_json::Map::new();
    for id in &ids {
        let description = rules::find(id)
            .map(|r| r.meta().summary())
            .unwrap_or("A txlint-disable comment suppresses nothing.");
        let mut entry = level.clone();
        entry["description"] = Value::String(description.to_string());
        props.insert((*id).to_string(), entry);
    }
    let rules_schema = serde_json::json!({
        "type": "object",
        "description": "Rule id to level.",
        "properties": props,
        "additionalProperties": false
    });
    let doc = serde_json::json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "https://github.com/txlint/txlint/blob/main/txlint.schema.json",
        "title": "txlint configuration (.txlintrc.json)",
        "type": "object",
        "properties": {
            "$schema": { "type": "string" },
            "database": {
                "description": "Which database the analysis assumes.",
                "enum": ["cockroachdb", "postgres"]
            },
            "rules": rules_schema,
            "ignorePatterns": {
                "description": "Files not to lint (gitignore syntax, relative to this file).",
                "type": "array",
                "items": { "type": "string" }
            },
            "overrides": {
                "description": "Rule levels for files matching globs (relative to this file).",
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "files": { "type": "array", "items": { "type": "string" } },
                        "rules": rules_schema
                    },
                    "required": ["files"],
                    "additionalProperties": false
                }
            }
        },
        "additionalProperties": false
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> Result<ConfigFile, Box<ConfigError>> {
        Loader {
            path: Path::new("/p/.txlintrc.json"),
            text,
        }
        .load()
    }

    #[test]
    fn valid_config() {
        let c = load_text(
            r#"{"database": "postgres", "rules": {"missing-retry": "off"}, "ignorePatterns": ["gen/"],
               "overrides": [{"files": ["scripts/**"], "rules": {"missing-transaction": "warn"}}]}"#,
        )
        .expect("valid");
        assert_eq!(c.database, Some(Database::Postgres));
        assert_eq!(c.rules, vec![("missing-retry".to_string(), Level::Off)]);
        assert_eq!(c.overrides.len(), 1);
        assert!(c.overrides[0].files.is_match("scripts/seed.js"));
    }

    #[test]
    fn errors_point_at_the_problem() {
        let text = "{\n  \"rules\": {\n    \"missing-retri\": \"off\"\n  }\n}";
        let e = load_text(text).expect_err("error");
        assert_eq!(e.message, "unknown rule `missing-retri`");
        assert_eq!(
            &text[e.span.offset()..e.span.offset() + e.span.len()],
            "\"missing-retri\""
        );
        assert!(e.help.as_deref().unwrap_or("").contains("did you mean `missing-retry`"));

        let text = "{\"rules\": {\"missing-retry\": \"loud\"}}";
        let e = load_text(text).expect_err("error");
        assert!(e.message.contains("unknown level"), "{}", e.message);
        assert!(text[e.span.offset()..].starts_with("\"loud\""));

        let e = load_text("{\"rules\": {\n  \"missing-retry\": \"off\",\n}}").expect_err("error");
        assert!(e.message.starts_with("invalid JSON"), "{}", e.message);

        let e = load_text("{\"overides\": []}").expect_err("error");
        assert!(e.help.as_deref().unwrap_or("").contains("did you mean `overrides`"));

        let e = load_text("{\"overrides\": [{\"files\": [\"src/[\"]}]}").expect_err("error");
        assert!(e.message.starts_with("bad glob"), "{}", e.message);
    }

    #[test]
    fn byte_order_mark_is_skipped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, "\u{feff}{\"rules\": {\"missing-retry\": \"off\"}}").expect("write");
        let c = load(&path).expect("a BOM is not an error");
        assert_eq!(c.rules, vec![("missing-retry".to_string(), Level::Off)]);
        std::fs::write(&path, "\u{feff}{\"rules\": {\"missing-retri\": \"off\"}}").expect("write");
        let e = load(&path).expect_err("unknown rule");
        assert!(e.src.inner()[e.span.offset()..].starts_with("\"missing-retri\""));
    }

    #[test]
    fn json_error_offsets() {
        assert_eq!(line_col_offset("ab\ncd", 2, 2), 4);
    }
}
