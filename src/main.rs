//! The `txlint` binary: parse arguments, run, map the result to an exit code. Nothing else.

use std::process::ExitCode;

use clap::Parser;
use mimalloc::MiMalloc;
use txlint::cli::{Cli, ExitStatus, run};
use txlint::error::Error;

// mimalloc: 20 % faster than the system allocator on swc parsing (../shared/bench/ANCHORS.md §2).
#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

fn main() -> ExitCode {
    // A panic inside swc's parser is caught and reported as a parse error for that file; do not
    // also print it.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !txlint::parse::in_parser() {
            default_hook(info);
        }
    }));
    let cli = Cli::parse();
    // Not locked for the whole run: `txlint lsp` writes from its own output thread.
    let mut stdout = std::io::stdout();
    match run(cli, &mut stdout) {
        Ok(ExitStatus::Clean) => ExitCode::SUCCESS,
        Ok(ExitStatus::Findings) => ExitCode::from(1),
        Err(Error::Output { source, path })
            if source.kind() == std::io::ErrorKind::BrokenPipe && path.as_os_str() == "<stdout>" =>
        {
            // `txlint | head`: the reader went away; that is not an error.
            ExitCode::SUCCESS
        }
        Err(e) => {
            let report = miette::Report::new(e);
            #[allow(clippy::print_stderr)]
            {
                eprintln!("{report:?}");
            }
            ExitCode::from(2)
        }
    }
}
