//! The command line: `txlint [PATHS]...` lints; `txlint rules`, `txlint explain <id>` describe the
//! rules; `txlint debug model <file>` prints the semantic model. `run` returns the exit status;
//! only `main` exits.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, Parser, Subcommand};

use crate::config::{CliSettings, Resolver};
use crate::diagnostic::{Diagnostic, Severity};
use crate::discover::{DiscoverOptions, discover};
use crate::engine::{EngineOptions, collect, lint_bytes, lint_files_with_schema};
use crate::error::{Error, unknown_rule};
use crate::report::{self, Format, PrettyOptions};
use crate::rules::{self, Level};
use crate::semantic::Database;

/// Finds data-integrity bugs in Node.js code that talks to CockroachDB or PostgreSQL through
/// node-postgres.
#[derive(Debug, Parser)]
#[command(name = "txlint", version, about, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub check: CheckArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the rules: id, default severity, fix availability, summary (and docs URL in JSON).
    Rules {
        /// `text`: one aligned line per rule; `json`: an array of objects, for scripts and editors.
        #[arg(long, value_enum, default_value_t = RulesFormat::Text)]
        format: RulesFormat,
    },
    /// Print a rule's documentation (or that of `parse-error`, `io-error`, `unused-suppression`).
    Explain {
        /// Rule id, e.g. `missing-transaction`.
        rule: String,
    },
    /// Print the JSON Schema of `.txlintrc.json`.
    ConfigSchema,
    /// Run the language server on standard input and output (for editors).
    Lsp,
    /// Print a shell completion script: `txlint completions bash > ~/.local/share/bash-completion/completions/txlint`.
    Completions {
        /// bash, zsh, fish (elvish and powershell too).
        shell: clap_complete::Shell,
    },
    /// Developer tools.
    #[command(hide = true)]
    Debug {
        #[command(subcommand)]
        what: DebugCommand,
    },
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether to colour, given the environment (`FORCE_COLOR`, `NO_COLOR`) and whether the report
    /// goes to a terminal.
    pub fn resolve(self, force_color: Option<&str>, no_color: Option<&str>, terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => match (force_color, no_color) {
                (Some(f), _) if f != "0" => true,
                // no-color.org: set and not empty.
                (_, Some(n)) if !n.is_empty() => false,
                _ => terminal,
            },
        }
    }
}

/// `txlint rules --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RulesFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum DebugCommand {
    /// Print the semantic model of a file.
    Model { file: PathBuf },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DatabaseArg {
    Cockroachdb,
    Postgres,
}

impl From<DatabaseArg> for Database {
    fn from(d: DatabaseArg) -> Self {
        match d {
            DatabaseArg::Cockroachdb => Database::Cockroachdb,
            DatabaseArg::Postgres => Database::Postgres,
        }
    }
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files and directories to lint (default: the current directory); `-` reads standard input
    /// (as `--stdin`).
    pub paths: Vec<PathBuf>,

    /// Do not lint files matching this pattern (gitignore syntax, relative to the current
    /// directory, as `ignorePatterns` in the configuration; repeatable).
    #[arg(long, visible_alias = "ignore-pattern", value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Pretty)]
    pub format: Format,

    /// Colours in the pretty report: `auto` colours a terminal, unless `NO_COLOR` is set (and
    /// `FORCE_COLOR`, set and not `0`, colours anything); `always` and `never` override both.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// Write the report to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Which database the analysis assumes.
    #[arg(long, value_enum)]
    pub database: Option<DatabaseArg>,

    /// Do not honour .gitignore, .ignore and git excludes.
    #[arg(long)]
    pub no_ignore: bool,

    /// Worker threads (default: one per core, or RAYON_NUM_THREADS). At most 256: a larger value
    /// is lowered to 256 with a warning.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub threads: usize,

    /// Files larger than this are reported (an `io-error` warning) and not analysed: a number of
    /// bytes, or with a unit: `512K`, `4MB`, `1G` (units of 1024).
    #[arg(long, value_name = "SIZE", default_value = "4MB", value_parser = parse_size)]
    pub max_file_size: u64,

    /// Exit with 1 when there are more than N warnings.
    #[arg(long, value_name = "N")]
    pub max_warnings: Option<usize>,

    /// Apply safe fixes (such as adding a missing `await`) to the files, then report what remains.
    /// Fixes are applied in passes until none is left (a fix can make room for another).
    #[arg(long)]
    pub fix: bool,

    /// With --fix or --diff, also apply the fixes that change behaviour on purpose: `ON CONFLICT`
    /// for check-then-insert, `FOR UPDATE` for read-modify-write, a transaction (with its 40001 retry
    /// on CockroachDB) around writes, a release moved into `finally`, a `ROLLBACK` added on the
    /// error path, a `ROLLBACK` before an early return. Review them.
    #[arg(long)]
    pub unsafe_fixes: bool,

    /// Print what --fix would change, as a unified diff, instead of the report; write nothing.
    #[arg(long, conflicts_with_all = ["fix", "write_baseline"])]
    pub diff: bool,

    /// Use this configuration file for every file (instead of the nearest `.txlintrc.json`);
    /// `/dev/null` or an empty file: no configuration.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Set a rule's level: `--rule missing-retry=off` (repeatable; levels: off, warn, error).
    #[arg(long = "rule", value_name = "ID=LEVEL")]
    pub rules: Vec<String>,

    /// Run only these rules (comma-separated ids).
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub select: Option<Vec<String>>,

    /// Report errors only.
    #[arg(long, short = 'q')]
    pub quiet: bool,

    /// Report only findings that are not in this baseline file.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Record the current findings in this baseline file (and report nothing).
    #[arg(long, value_name = "FILE", conflicts_with = "baseline")]
    pub write_baseline: Option<PathBuf>,

    /// With --baseline: remove the entries that no longer match a finding from the baseline file.
    #[arg(long, requires = "baseline")]
    pub prune_baseline: bool,

    /// Lint source read from standard input.
    #[arg(long, requires = "stdin_filename", conflicts_with = "fix")]
    pub stdin: bool,

    /// The path standard input is linted as (its extension picks the syntax, its directory the
    /// configuration).
    #[arg(long, value_name = "PATH")]
    pub stdin_filename: Option<PathBuf>,

    /// Print where the time went (discovery, reading, prefilter, parsing, analysis, reporting) to
    /// standard error.
    #[arg(long)]
    pub stats: bool,

    /// Parse every file, even those the prefilter shows cannot hold a finding (no `.query`, no
    /// pool `.connect()`, no `txlint-` comment, not imported by a file that has): their syntax
    /// errors are reported too. Slower: most files of a typical project are set aside unparsed.
    #[arg(long)]
    pub no_prefilter: bool,
}

/// How the process should exit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// No finding at error level, warnings within `--max-warnings`.
    Clean,
    /// Findings at error level, or too many warnings.
    Findings,
}

/// Runs the command line.
pub fn run(cli: Cli, stdout: &mut dyn Write) -> Result<ExitStatus, Error> {
    match cli.command {
        Some(Command::Rules { format }) => {
            match format {
                RulesFormat::Text => write_rules(stdout),
                RulesFormat::Json => write_rules_json(stdout),
            }
            .map_err(output_error)?;
            Ok(ExitStatus::Clean)
        }
        Some(Command::Explain { rule }) => {
            let doc = match rules::find(&rule) {
                Some(r) => r.meta().doc,
                // The diagnostics the tool itself reports have documentation too (as in SARIF).
                None => report::tool_diagnostic_doc(&rule).ok_or_else(|| unknown_rule(&rule))?.1,
            };
            stdout.write_all(doc.as_bytes()).map_err(output_error)?;
            Ok(ExitStatus::Clean)
        }
        Some(Command::ConfigSchema) => {
            stdout
                .write_all(crate::config::schema().as_bytes())
                .map_err(output_error)?;
            Ok(ExitStatus::Clean)
        }
        Some(Command::Lsp) => crate::lsp::run(),
        Some(Command::Completions { shell }) => {
            // Generated into memory: clap_complete panics on a failed write (`| head`).
            let mut script = Vec::new();
            clap_complete::generate(
                shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "txlint",
                &mut script,
            );
            stdout.write_all(&script).map_err(output_error)?;
            Ok(ExitStatus::Clean)
        }
        Some(Command::Debug {
            what: DebugCommand::Model { file },
        }) => debug_model(&file, stdout),
        None => check(cli.check, stdout),
    }
}

fn output_error(e: std::io::Error) -> Error {
    Error::Output {
        path: PathBuf::from("<stdout>"),
        source: e,
    }
}

fn fix_name(fix: rules::FixAvailability) -> &'static str {
    match fix {
        rules::FixAvailability::None => "-",
        rules::FixAvailability::Suggestion => "suggestion",
        rules::FixAvailability::Safe => "fix",
    }
}

fn write_rules(out: &mut dyn Write) -> std::io::Result<()> {
    for r in rules::ALL {
        let m = r.meta();
        let fix = fix_name(m.fix);
        writeln!(
            out,
            "{:<28} {:<8} {:<10} {}",
            m.id,
            m.severity.as_str(),
            fix,
            m.summary()
        )?;
    }
    Ok(())
}

/// `txlint rules --format json`: the same facts as the text list, plus each rule's docs URL.
fn write_rules_json(out: &mut dyn Write) -> std::io::Result<()> {
    let list: Vec<serde_json::Value> = rules::ALL
        .iter()
        .map(|r| {
            let m = r.meta();
            serde_json::json!({
                "id": m.id,
                "severity": m.severity.as_str(),
                "fix": match m.fix {
                    rules::FixAvailability::None => "none",
                    other => fix_name(other),
                },
                "summary": m.summary(),
                "docs_url": report::docs_url(m.id),
            })
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &list).map_err(std::io::Error::other)?;
    writeln!(out)
}

fn debug_model(file: &std::path::Path, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let bytes = std::fs::read(file).map_err(|e| crate::error::path_error(file, e))?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let src = crate::source::SourceFile::new(file, text);
    let dump = match crate::parse::parse(&src) {
        Ok(parsed) => crate::semantic::FileModel::build(&src, &parsed, Database::default()).dump(),
        Err(e) => format!("parse error: {}\n", e.message),
    };
    out.write_all(dump.as_bytes()).map_err(output_error)?;
    Ok(ExitStatus::Clean)
}

/// Parses `--rule id=level` values.
fn parse_rule_args(args: &[String]) -> Result<Vec<(String, Level)>, Error> {
    let ids = crate::config::known_ids();
    args.iter()
        .map(|a| {
            let (id, level) = a.split_once('=').ok_or_else(|| Error::Usage {
                message: format!("`--rule {a}` needs a level"),
                help: "write `--rule <id>=<off|warn|error>`".to_string(),
            })?;
            if !ids.contains(&id) {
                return Err(unknown_rule(id));
            }
            let level = Level::parse(level).ok_or_else(|| Error::Usage {
                message: format!("unknown level `{level}` in `--rule {a}`"),
                help: "use off, warn or error".to_string(),
            })?;
            Ok((id.to_string(), level))
        })
        .collect()
}

fn check(args: CheckArgs, stdout: &mut dyn Write) -> Result<ExitStatus, Error> {
    let started = Instant::now();
    let ids = crate::config::known_ids();
    if let Some(sel) = &args.select
        && let Some(bad) = sel.iter().find(|id| !ids.contains(&id.as_str()))
    {
        return Err(unknown_rule(bad));
    }
    let cli = CliSettings {
        database: args.database.map(Into::into),
        rules: parse_rule_args(&args.rules)?,
        select: args.select.clone(),
        exclude: crate::config::exclude_matcher(&args.exclude)?,
    };
    let dash = args.paths.iter().any(|p| p.as_os_str() == "-");
    if dash && (args.paths.len() > 1 || args.fix) {
        return Err(Error::Usage {
            message: "`-` (standard input) cannot be linted with other paths or with --fix".to_string(),
            help: "run `txlint - --stdin-filename PATH < file` on its own".to_string(),
        });
    }
    let stdin = args.stdin || dash;
    if let Some(c) = &args.config {
        crate::config::check_explicit(c)?;
    }
    let mut resolver = Resolver::new(args.config.as_deref(), cli)?;
    let (threads, warning) = crate::threads::effective(args.threads);
    if let Some(w) = warning {
        #[allow(clippy::print_stderr)]
        {
            eprintln!("{w}");
        }
    }
    let engine = EngineOptions {
        threads,
        prefilter: !args.no_prefilter,
        max_file_size: args.max_file_size,
    };
    let mut discovery = std::time::Duration::ZERO;
    // The files linted and their rules: which baseline entries this run can show stale.
    let mut linted: Vec<(PathBuf, crate::rules::RuleSet)> = Vec::new();

    // `--fix`: what was written, said on standard error after the report.
    let mut fix_note = None;
    let mut diff: Option<String> = None;
    let (outcomes, problems, scanned) = if stdin {
        let path = args.stdin_filename.clone().unwrap_or_else(|| PathBuf::from("stdin.js"));
        resolver.preload(std::slice::from_ref(&path))?;
        let settings = resolver.settings(&path);
        let read = crate::engine::read_stdin(engine.max_file_size)?;
        if settings.ignored {
            // An editor linting an excluded file as you type: nothing to say about it.
            return Ok(ExitStatus::Clean);
        }
        let outcome = match read {
            Ok(bytes) => {
                let pool = crate::engine::pool(1)?;
                pool.install(|| lint_bytes(&path, bytes, &settings, engine))
            }
            Err(mut d) => {
                d.path = path.clone();
                crate::engine::FileOutcome {
                    diagnostics: vec![*d],
                    source: None,
                    stats: crate::engine::Stats::default(),
                }
            }
        };
        linted.push((path, settings.rules));
        if args.diff {
            diff = Some(stdin_fix_diff(&outcome, args.unsafe_fixes));
        }
        (vec![outcome], Vec::new(), 1)
    } else {
        let paths = if args.paths.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            args.paths.clone()
        };
        let found = discover(
            &paths,
            DiscoverOptions {
                no_ignore: args.no_ignore,
            },
        )?;
        resolver.preload(&found.files)?;
        for out in [&args.output, &args.write_baseline].into_iter().flatten() {
            refuse_overwriting_an_input(out, &found.files)?;
        }
        discovery = started.elapsed();
        let files: Vec<(PathBuf, crate::config::FileSettings)> = found
            .files
            .into_iter()
            .map(|f| {
                let s = resolver.settings(&f);
                (f, s)
            })
            .filter(|(_, s)| !s.ignored)
            .collect();
        let mut outcomes = lint_files_with_schema(&files, &found.schema_files, engine)?;
        let mut problems = found.problems;
        // `--diff`: what `--fix` would write, from the same passes; the findings still set the
        // exit code.
        if args.diff {
            let passes =
                crate::fix::fix_to_fixed_point(&files, &found.schema_files, engine, &outcomes, args.unsafe_fixes)?;
            diff = Some(fix_diff(passes));
        }
        if args.fix {
            let passes =
                crate::fix::fix_to_fixed_point(&files, &found.schema_files, engine, &outcomes, args.unsafe_fixes)?;
            let (fixed, mut refused) = apply_fixes(passes);
            problems.append(&mut refused);
            // The fixed files are linted again with the whole project, as they are now.
            if fixed.files > 0 {
                outcomes = lint_files_with_schema(&files, &found.schema_files, engine)?;
                let (f, n) = (fixed.files, fixed.findings);
                let findings = if n == 1 { "finding" } else { "findings" };
                let files = if f == 1 { "file" } else { "files" };
                fix_note = Some(format!("Fixed {n} {findings} in {f} {files}."));
            }
        }
        let n = files.len();
        linted = files.iter().map(|(p, s)| (p.clone(), s.rules.clone())).collect();
        (outcomes, problems, n)
    };
    let mut run = collect(outcomes, problems, scanned, started);
    // The baseline's project root is the `--config` file's directory: not `/dev` for /dev/null.
    let root_config = args.config.as_deref().filter(|c| !crate::config::is_null_device(c));

    if let Some(path) = &args.write_baseline {
        if let Some(note) = fix_note.take() {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("{note}");
            }
        }
        let n = crate::baseline::write(path, &run, root_config)?;
        writeln!(stdout, "Wrote {n} findings to {}.", path.display()).map_err(output_error)?;
        return Ok(ExitStatus::Clean);
    }
    if let Some(path) = &args.baseline {
        let b = crate::baseline::load(path, root_config)?;
        if let Some(note) = crate::baseline::apply(&mut run, &b, &linted, args.prune_baseline)? {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("{note}");
            }
        }
    }
    if args.quiet {
        run.diagnostics.retain(|d| d.severity == Severity::Error);
    }

    let reporting = Instant::now();
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let env = |name| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned());
    let pretty = PrettyOptions {
        color: args
            .color
            .resolve(env("FORCE_COLOR").as_deref(), env("NO_COLOR").as_deref(), to_terminal),
        width: 100,
        summary: true,
    };
    let mut buf = Vec::new();
    match diff {
        Some(d) => buf = d.into_bytes(),
        None => report::write(args.format, &run, &pretty, &mut buf).map_err(output_error)?,
    }
    match &args.output {
        Some(path) => crate::paths::write_atomic(path, &buf).map_err(|e| Error::Output {
            path: path.clone(),
            source: e,
        })?,
        None => match stdout.write_all(&buf).and_then(|()| stdout.flush()) {
            // `txlint | head -1`: the reader went away; the exit code still says what was found.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            other => other.map_err(output_error)?,
        },
    }

    if let Some(note) = fix_note {
        #[allow(clippy::print_stderr)]
        {
            eprintln!("{note}");
        }
    }
    if args.stats {
        print_stats(&run.stats, threads, discovery, reporting.elapsed(), started.elapsed());
    }

    let errors = run.count(Severity::Error);
    let warnings = run.count(Severity::Warning);
    let too_many = args.max_warnings.filter(|max| warnings > *max);
    if let Some(max) = too_many {
        // The report may not show the count (written to a file, JSON, SARIF): say why the run failed.
        let noun = if warnings == 1 { "warning" } else { "warnings" };
        #[allow(clippy::print_stderr)]
        {
            eprintln!("txlint: {warnings} {noun}, more than --max-warnings {max}");
        }
    }
    Ok(if errors > 0 || too_many.is_some() {
        ExitStatus::Findings
    } else {
        ExitStatus::Clean
    })
}

/// `--max-file-size`: `4194304`, `512K`, `4MB`, `4MiB`, `1G` (units of 1024).
fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (n, unit) = t.split_at(digits);
    let n: u64 = n
        .parse()
        .map_err(|_| format!("`{s}` is not a size: write a number of bytes, or 512K, 4MB, 1G"))?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        other => return Err(format!("unknown size unit `{other}`: use K, MB or G")),
    };
    n.checked_mul(1 << shift).ok_or_else(|| format!("`{s}` is too large"))
}

/// `--output FILE` (or `--write-baseline FILE`) naming one of the files being linted would replace
/// that source file with the report: refused before anything is written.
fn refuse_overwriting_an_input(out: &std::path::Path, inputs: &[PathBuf]) -> Result<(), Error> {
    let Ok(target) = std::fs::canonicalize(out) else {
        // It does not exist yet: it cannot be an input.
        return Ok(());
    };
    let clash = inputs
        .iter()
        .filter(|p| p.file_name() == target.file_name() || p.is_symlink())
        .any(|p| std::fs::canonicalize(p).is_ok_and(|p| p == target));
    if clash {
        return Err(Error::Usage {
            message: format!(
                "{} is one of the files being linted; writing the report there would replace it",
                out.display()
            ),
            help: "write the report to another file, or to standard output".to_string(),
        });
    }
    Ok(())
}

/// What `--fix` wrote: files rewritten, and the findings fixed in them.
#[derive(Debug, Default)]
struct FixCount {
    files: usize,
    findings: usize,
}

/// `--fix`: writes what the fix passes made of each file (see `fix::passes`). Returns how many
/// files were rewritten (and findings fixed), and a warning for each file whose fixes were not
/// written (the result would not parse, the file is read-only, the disk is full): that file is left
/// as it was and the run goes on.
fn apply_fixes(passes: crate::fix::Passes) -> (FixCount, Vec<Diagnostic>) {
    let mut written = FixCount::default();
    let mut problems = passes.refused;
    for f in passes.files {
        match crate::fix::write_fixed(&f.original.path, &f.text) {
            Ok(()) => {
                written.files += 1;
                written.findings += f.fixes;
            }
            Err(why) => problems.push(crate::engine::io_problem(&f.original.path, format!("--fix: {why}"))),
        }
    }
    (written, problems)
}

/// `--diff`: the unified diff of every file `--fix` would rewrite, in the order linted. A file whose
/// fixes `--fix` would refuse says why on standard error.
fn fix_diff(passes: crate::fix::Passes) -> String {
    for d in &passes.refused {
        #[allow(clippy::print_stderr)]
        {
            let why = d.message.trim_start_matches("--fix: ");
            eprintln!("txlint: {}: not fixable: {why}", report::display_path(&d.path));
        }
    }
    passes
        .files
        .iter()
        .map(|f| crate::fix::unified(&f.original, &f.text))
        .collect()
}

/// `--diff` on standard input: one file, one pass (there is no project to lint it again in).
fn stdin_fix_diff(outcome: &crate::engine::FileOutcome, unsafe_fixes: bool) -> String {
    let Some(src) = &outcome.source else {
        return String::new();
    };
    match crate::fix::fix_file(src, &outcome.diagnostics, unsafe_fixes) {
        crate::fix::Fixed::Text(text, _) => crate::fix::unified(src, &text),
        crate::fix::Fixed::Nothing => String::new(),
        crate::fix::Fixed::Refused(why) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("txlint: {}: not fixable: {why}", report::display_path(&src.path));
            }
            String::new()
        }
    }
}

/// `--stats`: where the time went, on standard error (the report stays clean on stdout).
fn print_stats(
    s: &crate::engine::Stats,
    threads: usize,
    discovery: std::time::Duration,
    reporting: std::time::Duration,
    total: std::time::Duration,
) {
    let threads = if threads > 0 {
        threads
    } else {
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
    };
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    let lines = [
        format!("txlint --stats ({threads} threads)"),
        format!("  files        {:>8}  ({:.1} MB)", s.files, s.bytes as f64 / 1e6),
        format!("  prefiltered  {:>8}  (skipped: cannot hold a finding)", s.skipped),
        format!("  parsed       {:>8}", s.files - s.skipped),
        format!(
            "  reached      {:>8}  (imported by linted files, parsed, not linted)",
            s.reached
        ),
        format!("  discovery    {:>8.1} ms  wall", ms(discovery)),
        format!("  reading      {:>8.1} ms  CPU, all threads", ms(s.read)),
        format!("  prefilter    {:>8.1} ms  CPU", ms(s.prefilter)),
        format!(
            "  parsing      {:>8.1} ms  CPU, freeing the trees included",
            ms(s.parse)
        ),
        format!("  resolving    {:>8.1} ms  CPU: imports", ms(s.resolve)),
        format!("  linking      {:>8.1} ms  wall: module facts", ms(s.link)),
        format!("  analysis     {:>8.1} ms  CPU: model, flow, rules", ms(s.analyse)),
        format!(
            "  over budget  {:>8}  functions whose paths were too many to follow (no finding)",
            crate::semantic::flow::OVER_BUDGET.load(std::sync::atomic::Ordering::Relaxed)
        ),
        format!("  reporting    {:>8.1} ms  wall", ms(reporting)),
        format!("  total        {:>8.1} ms  wall", ms(total)),
    ];
    #[allow(clippy::print_stderr)]
    for l in lines {
        eprintln!("{l}");
    }
}
