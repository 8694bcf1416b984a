//! The README's examples run: every `console` block is executed (from a copy of `examples/`, with
//! the built `txlint` first on `PATH`) and its output compared; every block tagged `file=PATH`
//! must equal that file. A `? N` line after a command gives its exit code (default: 0 or 1);
//! a `...` line matches any number of output lines.

mod common;

use std::path::Path;
use std::process::Command;

use common::root;

struct Block {
    info: String,
    body: String,
    line: usize,
}

fn blocks(readme: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut lines = readme.split('\n').enumerate();
    while let Some((n, l)) = lines.next() {
        if let Some(info) = l.strip_prefix("```")
            && !info.is_empty()
        {
            let mut body = String::new();
            for (_, l) in lines.by_ref() {
                if l.starts_with("```") {
                    break;
                }
                body.push_str(l);
                body.push('\n');
            }
            out.push(Block {
                info: info.to_string(),
                body,
                line: n + 1,
            });
        }
    }
    out
}

/// Matches output lines against expected lines, where `...` matches any run of lines.
fn matches(expected: &[&str], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((&"...", rest)) => (0..=actual.len()).any(|i| matches(rest, &actual[i..])),
        Some((e, rest)) => actual
            .split_first()
            .is_some_and(|(a, arest)| a.trim_end() == e.trim_end() && matches(rest, arest)),
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).expect("copy");
        }
    }
}

#[test]
fn readme_examples_run_as_written() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&root().join("examples"), &dir.path().join("examples"));
    std::fs::copy(root().join("txlint.schema.json"), dir.path().join("txlint.schema.json")).expect("schema");
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_txlint"))
        .parent()
        .expect("bin dir")
        .to_path_buf();
    let path = std::env::join_paths(
        std::iter::once(bin_dir).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .expect("PATH");
    let mut commands = 0;
    let mut files = 0;
    for b in blocks(&readme) {
        if let Some(file) = b.info.split_whitespace().find_map(|w| w.strip_prefix("file=")) {
            let on_disk = std::fs::read_to_string(root().join(file))
                .unwrap_or_else(|_| panic!("README line {}: {file} missing", b.line));
            assert_eq!(b.body, on_disk, "README line {}: the block differs from {file}", b.line);
            files += 1;
        }
        if b.info != "console" {
            continue;
        }
        let text = b.body.trim_end_matches('\n');
        let mut chunks: Vec<(String, Vec<&str>)> = Vec::new();
        for l in text.split('\n') {
            match l.strip_prefix("$ ") {
                Some(cmd) => chunks.push((cmd.to_string(), Vec::new())),
                None => chunks.last_mut().expect("a console block starts with `$ `").1.push(l),
            }
        }
        for (cmd, mut expected) in chunks {
            let mut code: Option<i32> = None;
            if let Some(first) = expected.first()
                && let Some(c) = first.strip_prefix("? ")
            {
                code = c.trim().parse().ok();
                expected.remove(0);
            }
            let o = Command::new("sh")
                .args(["-c", &cmd])
                .current_dir(dir.path())
                .env("PATH", &path)
                .env("NO_COLOR", "1")
                .output()
                .expect("run example");
            let got = o.status.code().unwrap_or(-1);
            match code {
                Some(c) => assert_eq!(got, c, "README line {}: `{cmd}` exited {got}", b.line),
                None => assert!(
                    got == 0 || got == 1,
                    "README line {}: `{cmd}` exited {got}:\n{}",
                    b.line,
                    String::from_utf8_lossy(&o.stderr)
                ),
            }
            let output = format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            );
            let actual: Vec<&str> = output
                .trim_end_matches('\n')
                .split('\n')
                .filter(|_| !output.is_empty())
                .collect();
            assert!(
                matches(&expected, &actual),
                "README line {}: `{cmd}` printed:\n{output}\nexpected:\n{}",
                b.line,
                expected.join("\n")
            );
            commands += 1;
        }
    }
    assert!(commands >= 8, "only {commands} README commands ran");
    assert!(files >= 1);
}
