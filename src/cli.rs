//! The command line: `txlint [PATHS]...` lints; `txlint rules`, `txlint explain <id>` describe the
//! rules; `txlint debug model <file>` prints the semantic model. `run` returns the exit status;
//! only `main` exits.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, Parser, Subcommand};

use crate::diagnostic::Severity;
use crate::discover::{DiscoverOptions, discover};
use crate::engine::{RunOptions, collect, lint_files};
use crate::error::{Error, unknown_rule};
use crate::report::{self, Format, PrettyOptions};
use crate::rules::{self, Level, RuleSet};
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
    /// List the rules: id, default severity, fix availability, summary.
    Rules,
    /// Print a rule's documentation.
    Explain {
        /// Rule id, e.g. `missing-transaction`.
        rule: String,
    },
    /// Developer tools.
    #[command(hide = true)]
    Debug {
        #[command(subcommand)]
        what: DebugCommand,
    },
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
    /// Files and directories to lint (default: the current directory).
    pub paths: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Pretty)]
    pub format: Format,

    /// Write the report to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Which database the analysis assumes.
    #[arg(long, value_enum)]
    pub database: Option<DatabaseArg>,

    /// Do not honour .gitignore, .ignore and git excludes.
    #[arg(long)]
    pub no_ignore: bool,

    /// Worker threads (default: one per core).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub threads: usize,

    /// Exit with 1 when there are more than N warnings.
    #[arg(long, value_name = "N")]
    pub max_warnings: Option<usize>,

    /// Apply safe fixes (such as adding a missing `await`) to the files, then report what remains.
    #[arg(long)]
    pub fix: bool,
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
        Some(Command::Rules) => {
            write_rules(stdout).map_err(output_error)?;
            Ok(ExitStatus::Clean)
        }
        Some(Command::Explain { rule }) => {
            let r = rules::find(&rule).ok_or_else(|| unknown_rule(&rule))?;
            stdout.write_all(r.meta().doc.as_bytes()).map_err(output_error)?;
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

fn write_rules(out: &mut dyn Write) -> std::io::Result<()> {
    for r in rules::ALL {
        let m = r.meta();
        let fix = match m.fix {
            rules::FixAvailability::None => "-",
            rules::FixAvailability::Suggestion => "suggestion",
            rules::FixAvailability::Safe => "fix",
        };
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

fn debug_model(file: &std::path::Path, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let bytes = std::fs::read(file).map_err(|_| Error::PathNotFound(file.to_path_buf()))?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let src = crate::source::SourceFile::new(file, text);
    let dump = match crate::parse::parse(&src) {
        Ok(parsed) => crate::semantic::FileModel::build(&src, &parsed, Database::default()).dump(),
        Err(e) => format!("parse error: {}\n", e.message),
    };
    out.write_all(dump.as_bytes()).map_err(output_error)?;
    Ok(ExitStatus::Clean)
}

fn check(args: CheckArgs, stdout: &mut dyn Write) -> Result<ExitStatus, Error> {
    let started = Instant::now();
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let mut opts = RunOptions {
        rules: RuleSet::all(),
        threads: args.threads,
        ..Default::default()
    };
    if let Some(db) = args.database {
        opts.lint.database = db.into();
    }
    let _ = Level::Off;
    let found = discover(
        &paths,
        DiscoverOptions {
            no_ignore: args.no_ignore,
        },
    )?;
    let mut outcomes = lint_files(&found.files, &opts)?;
    if args.fix {
        for (path, outcome) in found.files.iter().zip(outcomes.iter_mut()) {
            let Some(src) = &outcome.source else { continue };
            let Some((fixed, _count)) = crate::fix::apply_safe_fixes(src, &outcome.diagnostics) else {
                continue;
            };
            std::fs::write(path, fixed.as_bytes()).map_err(|e| Error::Output {
                path: path.clone(),
                source: e,
            })?;
            *outcome = crate::engine::lint_path(path, &opts);
        }
    }
    let run = collect(outcomes, found.problems, found.files.len(), started, &opts);

    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let pretty = PrettyOptions {
        color: to_terminal && std::env::var_os("NO_COLOR").is_none(),
        width: 100,
        summary: true,
    };
    let mut buf = Vec::new();
    report::write(args.format, &run, &pretty, &mut buf).map_err(output_error)?;
    match &args.output {
        Some(path) => std::fs::write(path, &buf).map_err(|e| Error::Output {
            path: path.clone(),
            source: e,
        })?,
        None => stdout.write_all(&buf).map_err(output_error)?,
    }

    let errors = run.count(Severity::Error);
    let warnings = run.count(Severity::Warning);
    let too_many = args.max_warnings.is_some_and(|max| warnings > max);
    Ok(if errors > 0 || too_many {
        ExitStatus::Findings
    } else {
        ExitStatus::Clean
    })
}
