//! The `toctou` command line: argument parsing, output and exit codes. Analysis lives in the
//! library.

use clap::{Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use toctou::budget::Deadline;
use toctou::diagnostic::Severity;
use toctou::link::FnRef;
use toctou::models::Models;
use toctou::report::{self, Format, Report};
use toctou::{check_buffer, check_project, discover, Options, Selection, Stage};

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
    /// Write a commented starter `toctou.toml` in the current directory.
    Init,
    /// List the rules with their default level and languages.
    Rules,
    /// Print a rule's documentation: what it finds, why it matters, an example, the fix.
    Explain { rule: String },
    /// Print the tables and unique keys of the project's Prisma schemas, SQL migrations and
    /// ORM declarations (TypeORM, Sequelize, Mongoose, Drizzle, MikroORM, knex and Kysely
    /// migrations, SeaORM entities and migrations, Diesel `table!`).
    DumpSchema {
        #[arg(default_value = ".")]
        path: PathBuf,
    },
    /// Print the effect IR of a file (for debugging front-ends).
    #[command(hide = true)]
    DumpIr {
        file: PathBuf,
        /// With calls linked in, to the file's own functions and those of `--with` files.
        #[arg(long)]
        linked: bool,
        #[arg(long = "with")]
        with: Vec<PathBuf>,
    },
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
    /// Abandon a file, with a note, when lowering it or analysing it takes longer than this.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = humantime::parse_duration)]
    file_budget: std::time::Duration,
    /// Leave out paths matching this pattern (.gitignore syntax; repeatable), on top of the
    /// default excludes.
    #[arg(long, value_name = "PATTERN")]
    exclude: Vec<String>,
    /// Also scan tests, seeds, migrations and scripts, which are excluded by default.
    #[arg(long)]
    no_default_excludes: bool,
    /// Apply the excludes to files named on the command line too (for pre-commit hooks).
    #[arg(long)]
    force_exclude: bool,
    /// A `toctou-ignore` comment without a reason is an error.
    #[arg(long)]
    require_reasons: bool,
    /// Use this configuration for every file instead of the nearest `toctou.toml`.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Record the findings of this run in FILE and exit 0, to adopt the tool in an existing
    /// codebase.
    #[arg(long, value_name = "FILE", conflicts_with = "baseline")]
    write_baseline: Option<PathBuf>,
    /// Report only findings that FILE (written by --write-baseline) does not record.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Read the source from standard input and report it as PATH (for editor plugins).
    #[arg(long, value_name = "PATH")]
    stdin_filename: Option<PathBuf>,
    /// Stop after reading or parsing every file (the benchmark's floors).
    #[arg(long, value_enum, hide = true, default_value_t = StopAfter::Analyse)]
    stop_after: StopAfter,
}

#[derive(Clone, Copy, ValueEnum)]
enum StopAfter {
    Read,
    Parse,
    Analyse,
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
                eprintln!("{e:?}");
                ExitCode::from(EXIT_ERROR)
            }
        },
        Command::Init => init(),
        Command::Rules => {
            for meta in toctou::rules::all_metas() {
                let level = match meta.preview {
                    true => "preview",
                    false => meta.level.as_str(),
                };
                println!(
                    "{:<26} {:<8} {:<32} {}",
                    meta.id,
                    level,
                    meta.languages.join(", "),
                    meta.summary
                );
            }
            ExitCode::from(EXIT_CLEAN)
        }
        Command::Explain { rule } => match toctou::rules::all_metas().find(|m| m.id == rule) {
            Some(meta) => {
                println!("# {}\n\n{}", meta.id, toctou::rules::docs(meta).trim_end());
                ExitCode::from(EXIT_CLEAN)
            }
            None => {
                let hint = toctou::rules::closest(&rule)
                    .map(|c| format!("; did you mean `{c}`?"))
                    .unwrap_or_default();
                eprintln!("error: unknown rule `{rule}`{hint} (`toctou rules` lists them)");
                ExitCode::from(EXIT_ERROR)
            }
        },
        Command::DumpSchema { path } => {
            print!("{}", toctou::schema::Schema::discover(&[path]).dump());
            ExitCode::from(EXIT_CLEAN)
        }
        Command::DumpIr { file, linked, with } => {
            let kind = toctou::frontend::Grammar::from_path(&file);
            match (kind, std::fs::read_to_string(&file)) {
                (Some(kind), Ok(text)) => {
                    let models = Models::builtin();
                    let others = with.iter().filter_map(|p| {
                        let kind = toctou::frontend::Grammar::from_path(p)?;
                        let text = std::fs::read_to_string(p).ok()?;
                        Some(toctou::link::Unit::new(
                            p,
                            kind,
                            &text,
                            &models,
                            Deadline::NONE,
                        ))
                    });
                    let unit = toctou::link::Unit::new(&file, kind, &text, &models, Deadline::NONE);
                    let mut project = toctou::link::Project::new(
                        std::iter::once(unit).chain(others).collect(),
                        &models,
                    );
                    if linked {
                        let functions = (0..project.units[0].ir.functions.len())
                            .map(|index| project.link(FnRef { unit: 0, index }).0.into_owned())
                            .collect();
                        project.units[0].ir.functions = functions;
                    }
                    print!("{}", toctou::dump::dump(&project.units[0].ir));
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

fn init() -> ExitCode {
    let path = Path::new(toctou::config::FILE_NAME);
    if path.exists() {
        eprintln!(
            "error: {} already exists; not overwriting it",
            path.display()
        );
        return ExitCode::from(EXIT_ERROR);
    }
    match std::fs::write(path, toctou::config::STARTER) {
        Ok(()) => {
            println!("wrote {}", path.display());
            ExitCode::from(EXIT_CLEAN)
        }
        Err(e) => {
            eprintln!("error: cannot write {}: {e}", path.display());
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn run_check(args: CheckArgs) -> Result<u8, miette::Report> {
    let mut pool = rayon::ThreadPoolBuilder::new().stack_size(toctou::PARSE_STACK_SIZE);
    if let Some(n) = args.threads {
        pool = pool.num_threads(n.max(1));
    }
    let pool = pool
        .build()
        .map_err(|e| miette::miette!("cannot start worker threads: {e}"))?;
    let selection = Selection {
        exclude: args.exclude,
        no_default_excludes: args.no_default_excludes,
        force_exclude: args.force_exclude,
    };
    let options = Options {
        max_file_size: args.max_file_size,
        require_reasons: args.require_reasons,
        file_budget: args.file_budget,
        stop_after: match args.stop_after {
            StopAfter::Read => Stage::Read,
            StopAfter::Parse => Stage::Parse,
            StopAfter::Analyse => Stage::Analyse,
        },
        roots: args.paths.clone(),
    };
    let mut buffer = String::new();
    let mut outcome = match &args.stdin_filename {
        Some(path) => {
            std::io::stdin()
                .read_to_string(&mut buffer)
                .map_err(|e| miette::miette!("cannot read standard input: {e}"))?;
            check_buffer(path, &buffer, args.config.as_deref(), &options)?
        }
        None => {
            let found = discover(&args.paths, &selection).map_err(|e| miette::miette!("{e}"))?;
            let mut outcome =
                pool.install(|| check_project(&found.files, args.config.as_deref(), &options))?;
            outcome.notes.extend(found.notes);
            outcome
        }
    };
    if let Some(path) = &args.write_baseline {
        toctou::baseline::write(path, &outcome.diagnostics).map_err(|e| miette::miette!("{e}"))?;
        eprintln!(
            "recorded {} findings in {}",
            outcome.diagnostics.len(),
            path.display()
        );
        return Ok(EXIT_CLEAN);
    }
    if let Some(path) = &args.baseline {
        let gone = toctou::baseline::filter(path, &mut outcome.diagnostics)
            .map_err(|e| miette::miette!("{e}"))?;
        if gone > 0 {
            outcome.notes.push(toctou::diagnostic::ScanNote {
                file: path.clone(),
                line: None,
                message: format!(
                    "{gone} baseline entries no longer occur; rewrite it with --write-baseline"
                ),
            });
        }
    }
    outcome.notes.sort();
    outcome.notes.dedup();
    let source = |p: &Path| match &args.stdin_filename {
        Some(named) if named == p => Some(buffer.clone()),
        _ => std::fs::read_to_string(p).ok(),
    };
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
            .map_err(|e| miette::miette!("cannot write {}: {e}", path.display()))?,
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
