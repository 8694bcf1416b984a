//! Tests against the real outside tools: Microsoft's SARIF validator with GitHub's ingestion
//! rules, `pre-commit try-repo` with the hooks, `cargo install`, the Python wheel and the npm
//! packages. They need those tools and minutes of build time, so they are `#[ignore]`d in a plain
//! `cargo test`;
//! `.ci/run` installs the tools and runs them with `cargo test -- --ignored`. Tool locations come
//! from environment variables (`TXLINT_SARIF_MULTITOOL`, `TXLINT_PRE_COMMIT`, `TXLINT_MATURIN`,
//! `TXLINT_NPM`) or `PATH`.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::root;

fn tool(var: &str, name: &str) -> PathBuf {
    if let Some(p) = std::env::var_os(var) {
        return PathBuf::from(p);
    }
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| panic!("{name} not found: set {var} or put it on PATH (`.ci/run` installs it)"))
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn txlint(args: &[&str], cwd: &Path) -> Output {
    run(Command::new(env!("CARGO_BIN_EXE_txlint")).args(args).current_dir(cwd))
}

#[test]
#[ignore = "needs Sarif.Multitool (npm @microsoft/sarif-multitool); run by .ci/run"]
fn sarif_passes_the_official_validator_with_github_rules() {
    let validator = tool("TXLINT_SARIF_MULTITOOL", "Sarif.Multitool");
    let dir = tempfile::tempdir().expect("tempdir");
    // A tree with every kind of result: rule findings with fixes and related locations, a parse
    // error, an unreadable (binary) file, an unused suppression, a path that needs escaping.
    let tree = dir.path().join("tree");
    std::fs::create_dir_all(tree.join("with space")).expect("mkdir");
    let copy = |from: &str, to: &str| {
        std::fs::copy(root().join(from), tree.join(to)).expect("copy fixture");
    };
    copy("fixtures/_demo/naive_app.js", "naive_app.js");
    copy(
        "fixtures/unawaited-query/invalid/loop_without_await.js",
        "with space/unawaited.js",
    );
    copy("fixtures/check-then-insert/invalid/if_rows_length_zero.js", "tags.js");
    copy("fixtures/pool-transaction/invalid/begin_commit_on_pool.js", "pool.js");
    std::fs::write(tree.join("broken.js"), "pool.query(function (").expect("write");
    std::fs::write(tree.join("binary.js"), b"\x00\xff\xfe").expect("write");
    std::fs::write(tree.join("stale.js"), "// txlint-disable-next-line client-leak\nx();\n").expect("write");
    for (name, args) in [
        (
            "tree.sarif",
            vec!["--format", "sarif", "--output", "tree.sarif", "tree"],
        ),
        (
            "clean.sarif",
            vec![
                "--format",
                "sarif",
                "--output",
                "clean.sarif",
                "tree/stale.js",
                "--rule",
                "unused-suppression=off",
            ],
        ),
    ] {
        let o = txlint(&args, dir.path());
        assert!(matches!(o.status.code(), Some(0 | 1)), "{}", text(&o));
        let report = dir.path().join(format!("{name}.report"));
        let o = run(Command::new(&validator)
            .args(["validate", "--rule-kind", "Gh;Sarif", name, "-o"])
            .arg(&report)
            .current_dir(dir.path()));
        assert!(o.status.success(), "validator failed on {name}:\n{}", text(&o));
        let log: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&report).expect("validator report")).expect("report is JSON");
        let results = log["runs"][0]["results"].as_array().cloned().unwrap_or_default();
        assert!(
            results.is_empty(),
            "{name}: the validator reports {} problem(s):\n{:#}",
            results.len(),
            serde_json::Value::Array(results)
        );
    }
    // The tree run really carried the interesting parts.
    let sarif: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("tree.sarif")).expect("sarif")).expect("json");
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert!(results.iter().any(|r| r["fixes"].is_array()));
    assert!(results.iter().any(|r| r["ruleId"] == "parse-error"));
    assert!(results.iter().any(|r| r["ruleId"] == "io-error"));
    assert!(
        results
            .iter()
            .any(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                == "tree/with%20space/unawaited.js")
    );
}

fn git(dir: &Path, args: &[&str]) {
    let o = run(Command::new("git").args(args).current_dir(dir));
    assert!(o.status.success(), "git {args:?}: {}", text(&o));
}

const BAD: &str = "const { Pool } = require('pg');\nconst pool = new Pool();\nasync function f(a) {\n  await pool.query('INSERT INTO a (x) VALUES ($1)', [a]);\n  await pool.query('INSERT INTO b (x) VALUES ($1)', [a]);\n}\nmodule.exports = { f };\n";
const GOOD: &str = "const { Pool } = require('pg');\nconst pool = new Pool();\nasync function f(a) {\n  await pool.query('INSERT INTO a (x) VALUES ($1)', [a]);\n}\nmodule.exports = { f };\n";

/// A pre-commit hook run on `bad.js` fails and shows the finding; on `good.js` it passes.
fn hook_fails_on_the_finding_and_passes_clean_code(attempt: impl Fn(&str) -> Output) {
    let bad = attempt("bad.js");
    let out = text(&bad);
    assert!(!bad.status.success(), "the hook must fail on a finding:\n{out}");
    assert!(out.contains("missing-transaction"), "the finding must be shown:\n{out}");
    let good = attempt("good.js");
    assert!(
        good.status.success(),
        "the hook must pass on a clean file:\n{}",
        text(&good)
    );
}

fn try_repo(hook: &str) {
    try_repo_with_path(hook, None);
}

fn try_repo_with_path(hook: &str, path: Option<&std::ffi::OsStr>) {
    let pre_commit = tool("TXLINT_PRE_COMMIT", "pre-commit");
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("project");
    std::fs::create_dir_all(&repo).expect("mkdir");
    git(&repo, &["init", "-q"]);
    std::fs::write(repo.join("bad.js"), BAD).expect("write");
    std::fs::write(repo.join("good.js"), GOOD).expect("write");
    git(&repo, &["add", "."]);
    let home = std::env::var_os("PRE_COMMIT_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| dir.path().join("pre-commit-home"));
    let attempt = |file: &str| {
        let mut cmd = Command::new(&pre_commit);
        cmd.args(["try-repo"])
            .arg(root())
            .args([hook, "--files", file])
            .current_dir(&repo)
            .env("PRE_COMMIT_HOME", &home)
            .env("NO_COLOR", "1");
        if let Some(path) = path {
            cmd.env("PATH", path);
        }
        run(&mut cmd)
    };
    hook_fails_on_the_finding_and_passes_clean_code(attempt);
}

#[test]
#[ignore = "needs pre-commit and a release build (minutes); run by .ci/run"]
fn pre_commit_hook_builds_from_source() {
    try_repo("txlint");
}

#[test]
#[ignore = "needs pre-commit and maturin (minutes); run by .ci/run"]
fn pre_commit_hook_from_the_python_wheel() {
    try_repo("txlint-py");
}

#[test]
#[ignore = "needs maturin (minutes); run by .ci/run"]
fn python_wheel_carries_a_working_binary() {
    let maturin = tool("TXLINT_MATURIN", "maturin");
    let dir = tempfile::tempdir().expect("tempdir");
    let wheels = dir.path().join("wheels");
    let o = run(Command::new(&maturin)
        .args(["build", "--release", "--out"])
        .arg(&wheels)
        .current_dir(root()));
    assert!(o.status.success(), "maturin build failed:\n{}", text(&o));
    let wheel = std::fs::read_dir(&wheels)
        .expect("wheels dir")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "whl"))
        .expect("a wheel was built");
    let venv = dir.path().join("venv");
    let python = std::env::var("TXLINT_PYTHON").unwrap_or_else(|_| "python3".to_string());
    let o = run(Command::new(&python).args(["-m", "venv"]).arg(&venv));
    assert!(o.status.success(), "venv: {}", text(&o));
    let o = run(Command::new(venv.join("bin/pip"))
        .args(["install", "--no-index", "-q"])
        .arg(&wheel));
    assert!(o.status.success(), "pip install: {}", text(&o));
    installed_binary_runs_and_lints(&venv.join("bin/txlint"), "wheel");
}

/// An installed `txlint` prints this version and finds the demo's missing transaction.
fn installed_binary_runs_and_lints(bin: &Path, route: &str) {
    let o = run(Command::new(bin).arg("--version"));
    assert!(
        o.status.success() && text(&o).starts_with(&format!("txlint {}", env!("CARGO_PKG_VERSION"))),
        "{route}: {}",
        text(&o)
    );
    let o = run(Command::new(bin)
        .args(["--format", "compact", "fixtures/_demo/naive_app.js"])
        .current_dir(root()));
    assert_eq!(o.status.code(), Some(1), "{route}: {}", text(&o));
    assert!(text(&o).contains("[missing-transaction]"), "{route}: {}", text(&o));
}

/// The README's first install route, both ways: `cargo install --path .` and `cargo install
/// --git` (from this repository's own history, a `file://` URL, so no network is needed). Both
/// share the target directory `.ci/run` sets, so only txlint itself is compiled again.
#[test]
#[ignore = "compiles txlint in release mode; run by .ci/run"]
fn cargo_install_from_the_path_and_from_git() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let repo_url = format!("file://{}", root().display());
    let routes: [(&str, Vec<String>); 2] = [
        ("path", vec!["--path".into(), root().display().to_string()]),
        ("git", vec!["--git".into(), repo_url]),
    ];
    for (name, source) in routes {
        let prefix = dir.path().join(name);
        let o = run(Command::new(&cargo)
            .args(["install", "--locked", "--quiet", "--root"])
            .arg(&prefix)
            .args(&source)
            .current_dir(dir.path()));
        assert!(o.status.success(), "cargo install ({name}) failed:\n{}", text(&o));
        installed_binary_runs_and_lints(&prefix.join("bin/txlint"), name);
    }
}

/// Runs `npm` (or `npx`, found next to it) with its cache in `cache`, offline: everything installed
/// comes from the tarballs the test packed.
fn npm(name: &str, args: &[&str], cwd: &Path, cache: &Path) -> Output {
    let npm = tool("TXLINT_NPM", "npm");
    let exe = if name == "npm" { npm } else { npm.with_file_name(name) };
    run(Command::new(exe)
        .args(args)
        .current_dir(cwd)
        .env("npm_config_cache", cache)
        .env("npm_config_offline", "true")
        .env("npm_config_audit", "false")
        .env("npm_config_fund", "false")
        .env("npm_config_update_notifier", "false")
        .env("NO_COLOR", "1"))
}

/// Writes the npm packages (`npm/build.mjs`) with the binary under test into `out`.
fn build_npm_packages(out: &Path) {
    let o = run(Command::new("node")
        .arg(root().join("npm/build.mjs"))
        .arg("--out")
        .arg(out)
        .arg("--binary")
        .arg(env!("CARGO_BIN_EXE_txlint"))
        .arg("--platform")
        .arg("linux-x64-gnu"));
    assert!(o.status.success(), "npm/build.mjs: {}", text(&o));
}

/// Packs the launcher and the linux-x64-gnu package of `out` into `packs`: [launcher, platform].
fn pack(out: &Path, packs: &Path, cache: &Path) -> Vec<PathBuf> {
    std::fs::create_dir_all(packs).expect("mkdir");
    let mut tarballs = Vec::new();
    for pkg in ["txlint", "cli-linux-x64-gnu"] {
        let o = npm(
            "npm",
            &["pack", "--pack-destination", packs.to_str().expect("utf-8 path")],
            &out.join(pkg),
            cache,
        );
        assert!(o.status.success(), "npm pack {pkg}: {}", text(&o));
        let file = String::from_utf8_lossy(&o.stdout)
            .trim()
            .rsplit('\n')
            .next()
            .expect("tarball name")
            .to_string();
        tarballs.push(packs.join(file));
    }
    tarballs
}

#[test]
#[ignore = "needs node and npm; run by .ci/run"]
fn npm_packages_install_offline_and_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = dir.path().join("npm-cache");
    let out = dir.path().join("packages");
    // The build script, as a release would run it, with the binary this test was built with.
    build_npm_packages(&out);
    let version = env!("CARGO_PKG_VERSION");
    let main: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("txlint/package.json")).expect("package.json")).expect("json");
    assert_eq!(main["version"], version);
    assert_eq!(main["bin"]["txlint"], "bin/txlint.js");
    let optional = main["optionalDependencies"].as_object().expect("optionalDependencies");
    assert_eq!(optional.len(), 5);
    assert!(optional.values().all(|v| v == version), "{optional:?}");
    // The templates of every platform are the ones the launcher names, at Cargo.toml's version.
    let launcher = std::fs::read_to_string(root().join("npm/txlint/bin/txlint.js")).expect("launcher");
    for name in optional.keys() {
        let short = name.strip_prefix("@txlint/").expect("scoped");
        let tpl: serde_json::Value = serde_json::from_slice(
            &std::fs::read(root().join("npm/platforms").join(short).join("package.json")).expect("template"),
        )
        .expect("json");
        assert_eq!(&tpl["name"], name);
        assert_eq!(tpl["version"], version, "{name}: the template's version");
        assert!(
            launcher.contains(&format!("'{name}'")),
            "the launcher does not know {name}"
        );
    }

    let tarballs = pack(&out, &dir.path().join("packs"), &cache);

    let project = dir.path().join("project");
    std::fs::create_dir_all(&project).expect("mkdir");
    std::fs::write(
        project.join("package.json"),
        "{ \"name\": \"app\", \"version\": \"1.0.0\", \"private\": true }\n",
    )
    .expect("write");
    let mut install = vec!["install".to_string()];
    install.extend(tarballs.iter().map(|t| t.display().to_string()));
    let install: Vec<&str> = install.iter().map(String::as_str).collect();
    let o = npm("npm", &install, &project, &cache);
    assert!(o.status.success(), "npm install: {}", text(&o));

    let o = npm("npx", &["txlint", "--version"], &project, &cache);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), format!("txlint {version}"));

    std::fs::copy(root().join("fixtures/_demo/naive_app.js"), project.join("app.js")).expect("copy fixture");
    let o = npm("npx", &["txlint", "--format", "compact", "app.js"], &project, &cache);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("app.js:25:11: error [missing-transaction]"),
        "{}",
        text(&o)
    );
    // Standard input reaches the binary too (stdio is inherited, not piped through the launcher).
    let o = run(Command::new(project.join("node_modules/.bin/txlint"))
        .args(["--format", "compact", "--stdin", "--stdin-filename", "clean.js"])
        .current_dir(&project)
        .stdin(std::fs::File::open(root().join("fixtures/_demo/naive_app.js")).expect("open")));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("clean.js:25:11: error [missing-transaction]"),
        "{}",
        text(&o)
    );

    // On a platform with no package (here faked by a preloaded script), the launcher names the
    // package that would be needed, and what is supported.
    for (fake, wanted) in [
        (
            "Object.defineProperty(process, 'arch', { value: 'riscv64' });",
            "@txlint/cli-linux-riscv64-gnu",
        ),
        (
            "process.report.getReport = () => ({ header: {} });",
            "@txlint/cli-linux-x64-musl",
        ),
        (
            "Object.defineProperty(process, 'platform', { value: 'win32' }); \
             Object.defineProperty(process, 'arch', { value: 'arm64' });",
            "@txlint/cli-win32-arm64-msvc",
        ),
    ] {
        std::fs::write(project.join("fake.js"), fake).expect("write");
        let o = run(Command::new("node")
            .args(["-r", "./fake.js", "node_modules/txlint/bin/txlint.js", "--version"])
            .current_dir(&project));
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        let err = text(&o);
        assert!(
            err.contains(&format!("there is no package {wanted}")) && err.contains("@txlint/cli-linux-x64-gnu"),
            "{err}"
        );
    }

    // Installed without its optional dependencies, the launcher names the package it lacks.
    std::fs::remove_dir_all(project.join("node_modules/@txlint")).expect("remove the platform package");
    let o = npm("npx", &["txlint", "--version"], &project, &cache);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("@txlint/cli-linux-x64-gnu is not installed"),
        "{}",
        text(&o)
    );
}

#[test]
#[ignore = "needs pre-commit; run by .ci/run"]
fn pre_commit_system_hook_runs_the_installed_binary() {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_txlint")).parent().expect("bin dir");
    let path = std::env::join_paths(
        std::iter::once(bin_dir.to_path_buf())
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .expect("PATH");
    try_repo_with_path("txlint-system", Some(&path));
}

#[test]
#[ignore = "needs pre-commit, node and npm; run by .ci/run"]
fn pre_commit_node_hook_from_the_npm_packages() {
    let pre_commit = tool("TXLINT_PRE_COMMIT", "pre-commit");
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = dir.path().join("npm-cache");
    let out = dir.path().join("packages");
    build_npm_packages(&out);
    let tarballs = pack(&out, &dir.path().join("packs"), &cache);

    // The manifest pins the npm package at Cargo.toml's version.
    let manifest = std::fs::read_to_string(root().join(".pre-commit-hooks.yaml")).expect("manifest");
    let pin = format!("additional_dependencies: [\"txlint@{}\"]", env!("CARGO_PKG_VERSION"));
    assert!(manifest.contains(&pin), "the txlint-npm hook must pin {pin}");

    // A hook repository that is this one's manifest alone (no package.json, as here), so
    // pre-commit installs only the additional dependencies; the test's config replaces the
    // published package with the tarballs just packed, installed offline.
    let hooks = dir.path().join("hooks");
    std::fs::create_dir_all(&hooks).expect("mkdir");
    git(&hooks, &["init", "-q"]);
    std::fs::write(hooks.join(".pre-commit-hooks.yaml"), &manifest).expect("write");
    git(&hooks, &["add", "."]);
    git(
        &hooks,
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "commit",
            "-q",
            "-m",
            "hooks",
        ],
    );
    let rev = run(Command::new("git").args(["rev-parse", "HEAD"]).current_dir(&hooks));
    let rev = String::from_utf8_lossy(&rev.stdout).trim().to_string();

    let repo = dir.path().join("project");
    std::fs::create_dir_all(&repo).expect("mkdir");
    git(&repo, &["init", "-q"]);
    std::fs::write(repo.join("bad.js"), BAD).expect("write");
    std::fs::write(repo.join("good.js"), GOOD).expect("write");
    let deps: Vec<String> = tarballs.iter().map(|t| format!("\"{}\"", t.display())).collect();
    std::fs::write(
        repo.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: txlint-npm\n        additional_dependencies: [{}]\n",
            hooks.display(),
            deps.join(", ")
        ),
    )
    .expect("write");
    git(&repo, &["add", "."]);
    let attempt = |file: &str| {
        run(Command::new(&pre_commit)
            .args(["run", "txlint-npm", "--files", file])
            .current_dir(&repo)
            .env("PRE_COMMIT_HOME", dir.path().join("pre-commit-home"))
            .env("npm_config_cache", &cache)
            .env("npm_config_offline", "true")
            .env("npm_config_audit", "false")
            .env("npm_config_fund", "false")
            .env("NO_COLOR", "1"))
    };
    hook_fails_on_the_finding_and_passes_clean_code(attempt);
}

/// A local npm registry (`tests/npm/registry.mjs`) serving the packed launcher and linux-x64-gnu
/// package, and the packuments of the other platform packages (with no tarball: npm must skip
/// them by their os/cpu/libc). Requests it could not answer are listed in `dir/misses`. It stops
/// when the returned child's standard input closes.
fn registry(dir: &Path, out: &Path, tarballs: &[PathBuf]) -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut entries = vec![
        serde_json::json!({ "package": out.join("txlint/package.json"), "tarball": tarballs[0] }),
        serde_json::json!({ "package": out.join("cli-linux-x64-gnu/package.json"), "tarball": tarballs[1] }),
    ];
    for other in [
        "cli-linux-arm64-gnu",
        "cli-darwin-x64",
        "cli-darwin-arm64",
        "cli-win32-x64-msvc",
    ] {
        let package = root().join("npm/platforms").join(other).join("package.json");
        entries.push(serde_json::json!({ "package": package, "tarball": null }));
    }
    let list = dir.join("registry.json");
    std::fs::write(&list, serde_json::Value::Array(entries).to_string()).expect("write");
    let mut child = Command::new("node")
        .arg(root().join("tests/npm/registry.mjs"))
        .arg(&list)
        .arg(dir.join("misses"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start the registry");
    let mut url = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut url)
        .expect("registry URL");
    assert!(url.starts_with("http://127.0.0.1:"), "registry printed {url:?}");
    (child, url.trim().to_string())
}

#[test]
#[ignore = "needs node and npm; run by .ci/run"]
fn npm_install_resolves_the_platform_package_and_the_action_installs_from_npm() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = dir.path().join("npm-cache");
    let out = dir.path().join("packages");
    build_npm_packages(&out);
    let tarballs = pack(&out, &dir.path().join("packs"), &cache);
    let (mut server, url) = registry(dir.path(), &out, &tarballs);
    let npm_env = |cmd: &mut Command| {
        cmd.env("npm_config_registry", &url)
            .env("npm_config_cache", &cache)
            .env("npm_config_audit", "false")
            .env("npm_config_fund", "false")
            .env("npm_config_update_notifier", "false")
            .env("NO_COLOR", "1");
    };

    // What the README tells users to run: npm picks @txlint/cli-linux-x64-gnu among the optional
    // dependencies and skips the other platforms (their tarballs do not exist here).
    let project = dir.path().join("project");
    std::fs::create_dir_all(&project).expect("mkdir");
    std::fs::write(
        project.join("package.json"),
        "{ \"name\": \"app\", \"version\": \"1.0.0\", \"private\": true }\n",
    )
    .expect("write");
    let mut cmd = Command::new(tool("TXLINT_NPM", "npm"));
    cmd.args(["install", "--save-dev", "txlint"]).current_dir(&project);
    npm_env(&mut cmd);
    let o = run(&mut cmd);
    assert!(o.status.success(), "npm install --save-dev txlint: {}", text(&o));
    let installed: Vec<String> = std::fs::read_dir(project.join("node_modules/@txlint"))
        .expect("node_modules/@txlint")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(installed, ["cli-linux-x64-gnu"]);
    let manifest = std::fs::read_to_string(project.join("package.json")).expect("package.json");
    assert!(manifest.contains("\"devDependencies\""), "{manifest}");
    let o = run(Command::new(project.join("node_modules/.bin/txlint"))
        .arg("--version")
        .current_dir(&project));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        format!("txlint {}", env!("CARGO_PKG_VERSION"))
    );

    // The GitHub Action's script with no TXLINT_BIN: it installs from npm outside the workspace.
    let workspace = dir.path().join("workspace");
    std::fs::create_dir_all(&workspace).expect("mkdir");
    std::fs::copy(root().join("fixtures/_demo/naive_app.js"), workspace.join("app.js")).expect("copy");
    let runner_temp = dir.path().join("runner-temp");
    std::fs::create_dir_all(&runner_temp).expect("mkdir");
    let mut cmd = Command::new("bash");
    cmd.arg(root().join("action/run.sh"))
        .current_dir(&workspace)
        .env_remove("TXLINT_BIN")
        .env("RUNNER_TEMP", &runner_temp)
        .env("INPUT_VERSION", env!("CARGO_PKG_VERSION"))
        .env("INPUT_FAIL_ON", "error");
    npm_env(&mut cmd);
    let o = run(&mut cmd);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("app.js:25:11: error [missing-transaction]"),
        "{}",
        text(&o)
    );
    assert!(runner_temp.join("txlint-action/node_modules/.bin/txlint").exists());
    let sarif: serde_json::Value =
        serde_json::from_slice(&std::fs::read(workspace.join("txlint.sarif")).expect("txlint.sarif")).expect("json");
    assert!(sarif["runs"][0]["results"].as_array().is_some_and(|r| !r.is_empty()));
    let left: Vec<_> = std::fs::read_dir(&workspace)
        .expect("workspace")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(
        left.len(),
        2,
        "the action must leave only app.js and txlint.sarif: {left:?}"
    );

    drop(server.stdin.take());
    let _ = server.wait();
    // Nothing was asked for that does not exist: no other platform's tarball was downloaded.
    let misses = std::fs::read_to_string(dir.path().join("misses")).unwrap_or_default();
    assert!(misses.is_empty(), "npm asked the registry for:\n{misses}");
}
