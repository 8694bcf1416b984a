//! The GitHub Action's shell part (`action/run.sh`), run the way `action.yml` runs it: inputs as
//! `INPUT_*` variables, `GITHUB_OUTPUT` set, and `TXLINT_BIN` pointing at the binary under test
//! instead of the npm install (tested by `tests/integrations.rs`). It must write the SARIF report
//! and exit per `fail-on`, and 2 whenever txlint itself cannot run.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::root;

fn action(dir: &Path, inputs: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new("bash");
    cmd.arg(root().join("action/run.sh"))
        .current_dir(dir)
        .env("TXLINT_BIN", env!("CARGO_BIN_EXE_txlint"))
        .env("GITHUB_OUTPUT", dir.join("github-output"))
        .env("NO_COLOR", "1");
    for var in [
        "INPUT_PATHS",
        "INPUT_DATABASE",
        "INPUT_CONFIG",
        "INPUT_FAIL_ON",
        "INPUT_VERSION",
    ] {
        cmd.env_remove(var);
    }
    for (k, v) in inputs {
        cmd.env(k, v);
    }
    cmd.output().expect("run action/run.sh")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A workspace with a file of error-level findings, one with warnings only, and a clean one.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (from, to) in [
        ("fixtures/_demo/naive_app.js", "errors/app.js"),
        (
            "fixtures/missing-retry/invalid/transfer_async.js",
            "warnings/transfer.js",
        ),
        ("fixtures/_clean/bank_app.js", "clean/bank.js"),
    ] {
        let to = dir.path().join(to);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::copy(root().join(from), to).expect("copy fixture");
    }
    dir
}

fn sarif_rules(dir: &Path) -> Vec<String> {
    let sarif: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("txlint.sarif")).expect("txlint.sarif written")).expect("json");
    assert_eq!(sarif["version"], "2.1.0");
    sarif["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["ruleId"].as_str().expect("ruleId").to_string())
        .collect()
}

#[test]
fn exit_code_follows_fail_on_and_the_sarif_report_is_written() {
    for (paths, fail_on, expected) in [
        ("errors", "error", 1),
        ("errors", "warning", 1),
        ("errors", "none", 0),
        ("warnings", "error", 0),
        ("warnings", "warning", 1),
        ("warnings", "none", 0),
        ("clean", "warning", 0),
        ("clean warnings", "warning", 1),
        ("clean  warnings", "error", 0),
    ] {
        let dir = workspace();
        let o = action(dir.path(), &[("INPUT_PATHS", paths), ("INPUT_FAIL_ON", fail_on)]);
        assert_eq!(
            o.status.code(),
            Some(expected),
            "paths {paths:?}, fail-on {fail_on}:\n{}",
            text(&o)
        );
        let rules = sarif_rules(dir.path());
        match paths.split_whitespace().last() {
            Some("errors") => assert!(rules.iter().any(|r| r == "missing-transaction"), "{rules:?}"),
            Some("warnings") => assert_eq!(rules, ["missing-retry"]),
            _ => assert!(rules.is_empty(), "{rules:?}"),
        }
        let outputs = std::fs::read_to_string(dir.path().join("github-output")).expect("GITHUB_OUTPUT");
        assert!(outputs.contains("sarif-file=txlint.sarif\n"), "{outputs}");
        let code = if rules.is_empty() || (fail_on != "warning" && !paths.contains("errors")) {
            0
        } else {
            1
        };
        assert!(outputs.contains(&format!("exit-code={code}\n")), "{outputs}");
        // The findings are in the log too, one line each.
        if expected == 1 {
            assert!(text(&o).contains("::error title=txlint::"), "{}", text(&o));
        }
    }
}

#[test]
fn default_paths_database_and_config_reach_txlint() {
    let dir = workspace();
    // Default paths: the whole workspace.
    let o = action(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let rules = sarif_rules(dir.path());
    assert!(rules.iter().any(|r| r == "missing-transaction") && rules.iter().any(|r| r == "missing-retry"));
    // A configuration that turns the error rules off leaves warnings: fail-on error passes.
    std::fs::write(
        dir.path().join("quiet.json"),
        r#"{ "rules": { "missing-transaction": "off", "client-leak": "off", "early-return-in-transaction": "off", "check-then-insert": "off", "read-modify-write": "off" } }"#,
    )
    .expect("write");
    let o = action(dir.path(), &[("INPUT_CONFIG", "quiet.json"), ("INPUT_PATHS", "errors")]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(!sarif_rules(dir.path()).iter().any(|r| r == "missing-transaction"));
    // PostgreSQL (READ COMMITTED): a transaction without SERIALIZABLE needs no 40001 retry.
    let o = action(
        dir.path(),
        &[
            ("INPUT_DATABASE", "postgres"),
            ("INPUT_PATHS", "warnings"),
            ("INPUT_FAIL_ON", "warning"),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(sarif_rules(dir.path()).is_empty());
}

#[test]
fn txlint_that_cannot_run_fails_whatever_fail_on_says() {
    let dir = workspace();
    for inputs in [
        vec![("INPUT_PATHS", "no-such-dir"), ("INPUT_FAIL_ON", "none")],
        vec![("INPUT_CONFIG", "missing.json"), ("INPUT_FAIL_ON", "none")],
        vec![("INPUT_FAIL_ON", "sometimes")],
        vec![("INPUT_DATABASE", "mysql")],
    ] {
        let o = action(dir.path(), &inputs);
        assert_eq!(o.status.code(), Some(2), "{inputs:?}:\n{}", text(&o));
        assert!(text(&o).contains("::error title=txlint::"), "{}", text(&o));
    }
}

/// `action.yml` hands every input to the script under the name the script reads, and the
/// inputs are the documented ones.
#[test]
fn action_yml_passes_each_input_to_the_script() {
    let yml = std::fs::read_to_string(root().join("action.yml")).expect("action.yml");
    let script = std::fs::read_to_string(root().join("action/run.sh")).expect("run.sh");
    assert!(yml.contains("using: composite"));
    assert!(yml.contains("run: bash \"$GITHUB_ACTION_PATH/action/run.sh\""));
    assert!(yml.contains("uses: github/codeql-action/upload-sarif@v3"));
    let inputs = &yml[yml.find("\ninputs:\n").expect("inputs") + 9..yml.find("\noutputs:\n").expect("outputs")];
    let declared: Vec<&str> = inputs
        .split('\n')
        .filter_map(|l| l.strip_prefix("  ")?.strip_suffix(':'))
        .filter(|name| !name.starts_with(' '))
        .collect();
    assert_eq!(declared, ["paths", "database", "config", "fail-on", "version"]);
    for name in declared {
        let var = format!("INPUT_{}", name.replace('-', "_").to_uppercase());
        assert!(
            yml.contains(&format!("{var}: ${{{{ inputs.{name} }}}}")),
            "action.yml does not pass {name} as {var}"
        );
        assert!(script.contains(&format!("${{{var}:-")), "run.sh does not read {var}");
    }
    // The SARIF file the script writes is the one uploaded.
    assert!(yml.contains("INPUT_SARIF: txlint.sarif") && yml.contains("sarif_file: txlint.sarif"));
}
