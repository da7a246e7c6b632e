//! The `toctou` command line: argument parsing, output and exit codes. Analysis lives in the
//! library.

use clap::{Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use toctou::diagnostic::Severity;
use toctou::models::Models;
use toctou::report::{self, Format, Report};
use toctou::{check, discover, Options, Selection};

/// Exit codes: stable, documented in README.md.
const EXIT_CLEAN: u8 = 0;
const EXIT_FINDINGS: u8 = 1;
const EXIT_ERROR: u8 = 2;

#[derive(Parser)]
#[command(
    name = "toctou",
    version,
    about = "Finds check-then-act races and idempotency-key bugs in TypeScript/JavaScript and Rust services",
    after_help = "Examples:\n  toctou check                      scan the current directory\n  toctou check src/ --format sarif --output toctou.sarif\n  toctou check $(git diff --name-only) --fail-on error\n\nExit codes: 0 no findings at or above --fail-on, 1 findings, 2 usage or internal error."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scan files and directories for races.
    Check(CheckArgs),
    /// Print the effect IR of a file (for debugging front-ends).
    #[command(hide = true)]
    DumpIr { file: PathBuf },
}

#[derive(clap::Args)]
struct CheckArgs {
    /// Files or directories to scan. Directories are walked honouring .gitignore; files
    /// named here are scanned even when ignored.
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Write the report to this file instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Lowest severity that makes the exit code 1.
    #[arg(long, value_enum, default_value_t = FailOn::Warning)]
    fail_on: FailOn,
    /// Print nothing for a clean scan, and no summary line.
    #[arg(long, short)]
    quiet: bool,
    /// Worker threads (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
    /// Skip files larger than this many bytes.
    #[arg(long, default_value_t = toctou::DEFAULT_MAX_FILE_SIZE)]
    max_file_size: u64,
    /// Leave out paths matching this pattern (.gitignore syntax; repeatable), on top of the
    /// default excludes.
    #[arg(long, value_name = "PATTERN")]
    exclude: Vec<String>,
    /// Also scan tests, seeds and migrations, which are excluded by default.
    #[arg(long)]
    no_default_excludes: bool,
    /// Apply the excludes to files named on the command line too (for pre-commit hooks).
    #[arg(long)]
    force_exclude: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum FailOn {
    Error,
    Warning,
    Note,
}

impl FailOn {
    fn threshold(self) -> Severity {
        match self {
            FailOn::Error => Severity::Error,
            FailOn::Warning => Severity::Warning,
            FailOn::Note => Severity::Note,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check(args) => match run_check(args) {
            Ok(code) => ExitCode::from(code),
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(EXIT_ERROR)
            }
        },
        Command::DumpIr { file } => {
            let kind = toctou::frontend::SourceKind::from_path(&file);
            match (kind, std::fs::read_to_string(&file)) {
                (Some(kind), Ok(text)) => {
                    let ir = toctou::frontend::lower(kind, &text, &Models::builtin());
                    print!("{}", toctou::dump::dump(&ir));
                    ExitCode::from(EXIT_CLEAN)
                }
                (None, _) => {
                    eprintln!(
                        "error: {} is not a TypeScript, JavaScript or Rust file",
                        file.display()
                    );
                    ExitCode::from(EXIT_ERROR)
                }
                (_, Err(e)) => {
                    eprintln!("error: cannot read {}: {e}", file.display());
                    ExitCode::from(EXIT_ERROR)
                }
            }
        }
    }
}

fn run_check(args: CheckArgs) -> Result<u8, String> {
    // Deep syntax is walked recursively; a large stack keeps hostile input from overflowing it.
    let mut pool = rayon::ThreadPoolBuilder::new().stack_size(64 * 1024 * 1024);
    if let Some(n) = args.threads {
        pool = pool.num_threads(n.max(1));
    }
    let pool = pool
        .build()
        .map_err(|e| format!("cannot start worker threads: {e}"))?;
    let models = Models::builtin();
    let selection = Selection {
        exclude: args.exclude,
        no_default_excludes: args.no_default_excludes,
        force_exclude: args.force_exclude,
    };
    let found = discover(&args.paths, &selection)?;
    let options = Options {
        max_file_size: args.max_file_size,
    };
    let mut outcome = pool.install(|| check(&found.files, &models, &options));
    outcome.notes.extend(found.notes);
    outcome.notes.sort();
    outcome.notes.dedup();
    let source = |p: &Path| std::fs::read_to_string(p).ok();
    let to_stdout = args.output.is_none();
    let report = Report {
        diagnostics: &outcome.diagnostics,
        notes: &outcome.notes,
        files_scanned: outcome.files_scanned,
        source: &source,
        color: to_stdout
            && std::io::stdout().is_terminal()
            && std::env::var_os("NO_COLOR").is_none(),
    };
    let quiet_clean = args.quiet && outcome.diagnostics.is_empty() && args.format == Format::Human;
    let text = if quiet_clean {
        String::new()
    } else {
        report::render(args.format, &report)
    };
    match &args.output {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?,
        None => {
            let mut stdout = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error worth a non-zero exit.
            let _ = stdout.write_all(text.as_bytes());
        }
    }
    let threshold = args.fail_on.threshold();
    let failing = outcome.diagnostics.iter().any(|d| d.severity >= threshold);
    Ok(if failing { EXIT_FINDINGS } else { EXIT_CLEAN })
}
