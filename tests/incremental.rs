//! The module cache a long-lived caller (`txlint lsp`) keeps between runs: a run with it reports
//! exactly what a run without it does, an unchanged file is not parsed again, an edited one is,
//! alone, and its importers see the change.

mod common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use common::*;
use txlint::config::FileSettings;
use txlint::discover::{DiscoverOptions, discover};
use txlint::engine::{EngineOptions, FileOutcome};
use txlint::paths::lexical_absolute;
use txlint::project::cache::ModuleCache;
use txlint::project::pipeline::{Overlay, Session, lint_project, lint_project_in};

type Inputs = (Vec<(PathBuf, FileSettings)>, Vec<PathBuf>);

fn inputs(dir: &Path) -> Inputs {
    let found = discover(&[dir.to_path_buf()], DiscoverOptions { no_ignore: true }).expect("discover");
    let files = found
        .files
        .into_iter()
        .map(|f| (lexical_absolute(&f), FileSettings::default()))
        .collect();
    (files, found.schema_files)
}

/// Each finding as (file, rule, byte range, message): what a user would see.
fn findings(inputs: &Inputs, outcomes: &[FileOutcome]) -> Vec<(PathBuf, String, u32, u32, String)> {
    let mut out = Vec::new();
    for ((path, _), o) in inputs.0.iter().zip(outcomes) {
        for d in &o.diagnostics {
            out.push((
                path.clone(),
                d.rule.to_string(),
                d.range.start,
                d.range.end,
                d.message.clone(),
            ));
        }
    }
    out
}

fn run(inputs: &Inputs, session: Session<'_>) -> Vec<FileOutcome> {
    lint_project_in(&inputs.0, &inputs.1, EngineOptions::default(), session)
}

#[test]
fn warm_runs_report_what_cold_runs_do_on_every_project_fixture() {
    let dir = root().join("fixtures/_projects");
    let mut projects: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixtures/_projects")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    projects.sort();
    assert!(projects.len() > 20, "{} projects", projects.len());
    for project in projects {
        let inputs = inputs(&project);
        let cold = findings(&inputs, &lint_project(&inputs.0, &inputs.1, EngineOptions::default()));
        let cache = ModuleCache::new();
        let session = Session {
            cache: Some(&cache),
            ..Session::default()
        };
        let first = findings(&inputs, &run(&inputs, session));
        cache.finish_run();
        let parsed = cache.parsed();
        assert!(parsed > 0, "{}: nothing parsed", project.display());
        let second = findings(&inputs, &run(&inputs, session));
        cache.finish_run();
        assert_eq!(first, cold, "{}: first run with the cache", project.display());
        assert_eq!(second, cold, "{}: warm run", project.display());
        assert_eq!(
            cache.parsed(),
            parsed,
            "{}: the warm run parsed again",
            project.display()
        );
    }
}

const DB: &str = "const { Pool } = require('pg');
const pool = new Pool();
async function debit(id, amount) {
  await pool.query('UPDATE accounts SET balance = balance - $1 WHERE id = $2', [amount, id]);
}
async function credit(id, amount) {
  await pool.query('UPDATE accounts SET balance = balance + $1 WHERE id = $2', [amount, id]);
}
module.exports = { pool, debit, credit };
";

fn route(n: usize) -> String {
    format!(
        "const {{ debit, credit }} = require('../db');
exports.transfer{n} = async (req, res) => {{
  await debit(req.body.from, req.body.amount);
  await credit(req.body.to, req.body.amount);
  res.sendStatus(204);
}};
"
    )
}

#[test]
fn an_edited_module_is_parsed_alone_and_its_importers_see_the_change() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    std::fs::write(dir.join("db.js"), DB).expect("write");
    std::fs::create_dir(dir.join("routes")).expect("mkdir");
    for n in 0..5 {
        std::fs::write(dir.join(format!("routes/r{n}.js")), route(n)).expect("write");
    }
    let inputs = inputs(dir);
    let cache = ModuleCache::new();
    let rules_of = |f: &[(PathBuf, String, u32, u32, String)]| -> Vec<String> {
        f.iter()
            .map(|(p, r, ..)| format!("{}:{r}", p.file_name().unwrap_or_default().to_string_lossy()))
            .collect()
    };

    let overlay = Overlay::new();
    let session = Session {
        overlay: Some(&overlay),
        cache: Some(&cache),
        check: None,
    };
    let before = findings(&inputs, &run(&inputs, session));
    cache.finish_run();
    assert_eq!(
        rules_of(&before),
        (0..5)
            .map(|n| format!("r{n}.js:missing-transaction"))
            .collect::<Vec<_>>()
    );
    let parsed = cache.parsed();

    // `credit` becomes a read in the editor: the two calls no longer need a transaction.
    let mut overlay = Overlay::new();
    overlay.insert(
        lexical_absolute(&dir.join("db.js")),
        DB.replace(
            "UPDATE accounts SET balance = balance + $1 WHERE id = $2', [amount, id]",
            "SELECT balance FROM accounts WHERE id = $1', [id]",
        ),
    );
    let session = Session {
        overlay: Some(&overlay),
        cache: Some(&cache),
        check: None,
    };
    let after = findings(&inputs, &run(&inputs, session));
    cache.finish_run();
    assert_eq!(rules_of(&after), Vec::<String>::new());
    assert_eq!(cache.parsed(), parsed + 1, "only db.js is parsed again");
    let cold = Session {
        overlay: Some(&overlay),
        ..Session::default()
    };
    assert_eq!(after, findings(&inputs, &run(&inputs, cold)));

    // Only the inputs asked for are checked; the others still lend their facts.
    let r3 = inputs
        .0
        .iter()
        .position(|(p, _)| p.ends_with("routes/r3.js"))
        .expect("r3.js is an input");
    let check: HashSet<usize> = [r3].into();
    let session = Session {
        overlay: None,
        cache: Some(&cache),
        check: Some(&check),
    };
    let only = findings(&inputs, &run(&inputs, session));
    cache.finish_run();
    assert_eq!(rules_of(&only), vec!["r3.js:missing-transaction".to_string()]);
    assert_eq!(cache.parsed(), parsed + 2, "db.js's text on disk is parsed again");

    // A deleted file's module is forgotten.
    let fewer: Inputs = (
        inputs
            .0
            .iter()
            .filter(|(p, _)| !p.ends_with("r4.js"))
            .cloned()
            .collect(),
        Vec::new(),
    );
    std::fs::remove_file(dir.join("routes/r4.js")).expect("rm");
    let before_len = cache.len();
    run(
        &fewer,
        Session {
            cache: Some(&cache),
            ..Session::default()
        },
    );
    cache.finish_run();
    assert_eq!(cache.len(), before_len - 1);
}
