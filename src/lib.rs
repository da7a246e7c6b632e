//! `toctou`: finds check-then-act races and idempotency-key bugs in TypeScript/JavaScript
//! and Rust services. Front-ends lower each function to an effect IR, rules read the IR, reporters
//! render the diagnostics.

pub mod baseline;
pub mod budget;
pub mod config;
pub mod diagnostic;
pub mod dump;
pub mod frontend;
pub mod ir;
pub mod link;
pub mod models;
pub mod report;
pub mod rules;
pub mod schema;
pub mod suppress;
pub mod vocabulary;
mod walk;

use budget::Deadline;
use config::Config;
use diagnostic::{Diagnostic, ScanNote};
use frontend::Grammar;
use rayon::prelude::*;
use schema::Schema;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// SQL classification lives with the library models; `toctou::sql` stays its public path for
/// the fuzz targets and tests.
pub use models::sql;
pub use walk::{discover, Discovery, Selection};

/// Files larger than this are skipped with a note; generated bundles are rarely worth it.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 2 * 1024 * 1024;

/// Deep syntax is parsed and walked recursively; threads that do it get a stack this large, so
/// hostile input within the size limit cannot overflow it.
pub const PARSE_STACK_SIZE: usize = 64 * 1024 * 1024;

pub struct Options {
    pub max_file_size: u64,
    /// A suppression comment without a reason is an error.
    pub require_reasons: bool,
    /// Stop early: the benchmark's floors, to show what analysis costs over reading and parsing.
    pub stop_after: Stage,
    /// Time one file may take to lower, and again to analyse, before it is abandoned.
    pub file_budget: Duration,
    /// The paths the scan was asked for, where the project and its schema are looked for;
    /// none: the scanned files' common directory.
    pub roots: Vec<PathBuf>,
}

/// How far a scan goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Stage {
    /// Read every file, nothing more.
    Read,
    /// Read and parse every file, then drop the syntax trees.
    Parse,
    #[default]
    Analyse,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            require_reasons: false,
            stop_after: Stage::Analyse,
            file_budget: budget::DEFAULT_FILE_BUDGET,
            roots: Vec::new(),
        }
    }
}

#[derive(Debug, Default)]
pub struct Outcome {
    pub diagnostics: Vec<Diagnostic>,
    pub notes: Vec<ScanNote>,
    pub files_scanned: usize,
}

/// Scans files, each under the nearest `toctou.toml` above it (or the one given): its models,
/// excludes and rule levels. A configuration that does not load is an error.
pub fn check_project(
    files: &[PathBuf],
    explicit: Option<&Path>,
    options: &Options,
) -> Result<Outcome, miette::Report> {
    let mut groups: std::collections::BTreeMap<Option<PathBuf>, Vec<PathBuf>> = Default::default();
    // Files of one directory share its configuration: look it up once per directory.
    let mut by_dir: std::collections::HashMap<PathBuf, Option<PathBuf>> = Default::default();
    for f in files {
        let dir = f.parent().unwrap_or(Path::new("")).to_path_buf();
        let path = match explicit {
            Some(p) => Some(p.to_path_buf()),
            None => by_dir
                .entry(dir)
                .or_insert_with(|| config::find_for(f))
                .clone(),
        };
        groups.entry(path).or_default().push(f.clone());
    }
    let mut outcome = Outcome::default();
    for (path, files) in groups {
        let config = match &path {
            Some(p) => config::Config::load(p)?,
            None => config::Config::builtin(),
        };
        let files = without_excluded(files, &config)?;
        let mut part = check(&files, &config, options);
        config.apply_levels(&mut part.diagnostics);
        outcome.diagnostics.append(&mut part.diagnostics);
        outcome.notes.append(&mut part.notes);
        outcome.files_scanned += part.files_scanned;
    }
    outcome
        .diagnostics
        .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    Ok(outcome)
}

/// The configuration's `include` and `exclude` patterns, relative to its directory.
fn without_excluded(
    files: Vec<PathBuf>,
    config: &config::Config,
) -> Result<Vec<PathBuf>, miette::Report> {
    let Some(root) = config.root() else {
        return Ok(files);
    };
    let matcher = |patterns: &[String]| {
        Selection {
            exclude: patterns.to_vec(),
            no_default_excludes: true,
            force_exclude: true,
        }
        .matcher(root)
        .map_err(|e| miette::miette!("{e}"))
    };
    let (include, exclude) = (matcher(&config.include)?, matcher(&config.exclude)?);
    Ok(files
        .into_iter()
        .filter(|f| {
            let absolute = std::path::absolute(f).unwrap_or_else(|_| f.clone());
            (config.include.is_empty() || include.excludes(&absolute, false))
                && !exclude.excludes(&absolute, false)
        })
        .collect())
}

/// Scans files and returns findings and notes, both sorted. Every file is lowered first, so
/// calls link to the project's functions in other files; then the rules run on each.
pub fn check(files: &[PathBuf], config: &Config, options: &Options) -> Outcome {
    let read: Vec<Result<Source, ScanNote>> = files
        .par_iter()
        .filter_map(|path| {
            let kind = Grammar::from_path(path)?;
            Some(match read_source(path, options) {
                Ok(text) => Ok(Source {
                    path: path.clone(),
                    kind,
                    text,
                }),
                Err(message) => Err(ScanNote {
                    file: path.clone(),
                    line: None,
                    message,
                }),
            })
        })
        .collect();
    let mut outcome = Outcome::default();
    let mut sources = Vec::new();
    for result in read {
        match result {
            Ok(source) => sources.push(source),
            Err(note) => outcome.notes.push(note),
        }
    }
    outcome.files_scanned = sources.len();
    match options.stop_after {
        Stage::Read => return outcome,
        Stage::Parse => {
            sources
                .par_iter()
                .for_each(|s| frontend::parse_only(s.kind, &s.text));
            return outcome;
        }
        Stage::Analyse => {}
    }
    let lower = |source: &Source| {
        let deadline = Deadline::after(options.file_budget);
        let Source { path, kind, text } = source;
        link::Unit::new(path, *kind, text, &config.models, deadline)
    };
    // A file's text is dropped once it is lowered, unless suppression comments in it are
    // still to be read: holding every text until the rules have run would double the memory.
    // The schema is read while the code is lowered: neither needs the other.
    let ((mut units, suppressing), schema): ((Vec<link::Unit>, Vec<Option<String>>), _) =
        rayon::join(
            || {
                sources
                    .into_par_iter()
                    .map(|source| {
                        let unit = lower(&source);
                        (
                            unit,
                            suppress::mentioned(&source.text).then_some(source.text),
                        )
                    })
                    .unzip()
            },
            || Schema::discover(&schema_roots(files, config, options)),
        );
    let scanned = units.len();
    let context = imported_context(&units, files, options, &lower);
    units.extend(context);
    let mut project = link::Project::new(units, &config.models);
    project.reclassify_clients(&config.models, &|unit, libraries| {
        let text = read_source(&unit.path, options).ok()?;
        let deadline = Deadline::after(options.file_budget);
        Some(frontend::lower(
            unit.kind,
            &text,
            &config.models,
            deadline,
            libraries,
        ))
    });
    let results: Vec<(Vec<Diagnostic>, Vec<ScanNote>)> = (0..scanned)
        .into_par_iter()
        .map(|u| {
            let text = suppressing[u].as_deref().unwrap_or_default();
            analyse(&project, &schema, u, text, config, options)
        })
        .collect();
    for (diagnostics, notes) in results {
        outcome.diagnostics.extend(diagnostics);
        outcome.notes.extend(notes);
    }
    outcome
        .notes
        .extend(unused_models(&project, config, options));
    outcome
        .diagnostics
        .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    merge_same_site(&mut outcome.diagnostics);
    let code: std::collections::HashSet<&Path> = files.iter().map(PathBuf::as_path).collect();
    suppress_elsewhere(&mut outcome.diagnostics, &code, options);
    outcome.notes.sort();
    outcome.notes.dedup();
    outcome
}

/// The user's models that no call of a scan of the whole project matched (a misspelt method
/// or receiver, a wrapper since renamed), each noted at its declaration. A scan of a few files
/// says nothing of the calls elsewhere, so only a scan of the configuration's directory, or
/// one above it, notes them.
fn unused_models(project: &link::Project, config: &Config, options: &Options) -> Vec<ScanNote> {
    let Some(path) = &config.path else {
        return Vec::new();
    };
    let cwd = std::env::current_dir().unwrap_or_default();
    let dir = link::normal(&cwd, path.parent().unwrap_or(Path::new("")));
    let whole = options
        .roots
        .iter()
        .any(|root| root.is_dir() && dir.starts_with(link::normal(&cwd, root)));
    if !whole {
        return Vec::new();
    }
    let used: std::collections::HashSet<&str> = project
        .units
        .iter()
        .flat_map(|u| &u.ir.functions)
        .flat_map(|f| &f.effects)
        .map(|e| e.library.as_str())
        .collect();
    let text = std::fs::read_to_string(path).unwrap_or_default();
    config
        .models
        .user_libraries()
        .map(|l| l.library.name.as_str())
        .filter(|name| !used.contains(name))
        .map(|name| {
            let quoted = format!("\"{name}\"");
            let line = text.lines().position(|l| l.contains(&quoted));
            ScanNote {
                file: path.strip_prefix(&cwd).unwrap_or(path).to_path_buf(),
                line: line.and_then(|l| u32::try_from(l + 1).ok()),
                message: format!(
                    "the model `{name}` matches no call in the scan: check its `methods` and `receiver` patterns"
                ),
            }
        })
        .collect()
}

/// Findings of one rule at one site, reached from several files (a schema declaration the
/// code of several files relies on), are one finding listing every site that relies on it.
fn merge_same_site(diagnostics: &mut Vec<Diagnostic>) {
    let mut kept: Vec<Diagnostic> = Vec::with_capacity(diagnostics.len());
    for d in diagnostics.drain(..) {
        match kept.last_mut() {
            Some(k) if k.rule == d.rule && k.file == d.file && k.primary.span == d.primary.span => {
                for label in d.secondary {
                    if !k.secondary.contains(&label) {
                        k.secondary.push(label);
                    }
                }
            }
            _ => kept.push(d),
        }
    }
    *diagnostics = kept;
}

/// Suppression comments in the files findings sit in that are not scanned code (a schema
/// file): each such file is read once.
fn suppress_elsewhere(
    diagnostics: &mut Vec<Diagnostic>,
    code: &std::collections::HashSet<&Path>,
    options: &Options,
) {
    let mut elsewhere: Vec<PathBuf> = diagnostics
        .iter()
        .filter(|d| !code.contains(d.file.as_path()))
        .map(|d| d.file.clone())
        .collect();
    elsewhere.dedup();
    for file in elsewhere {
        if let Ok(text) = std::fs::read_to_string(&file) {
            suppress::apply(&text, &file, diagnostics, options.require_reasons);
        }
    }
}

/// Where the schema of the scanned code is: the configuration's directory (the project it
/// configures) or the repository around the scanned paths, and the configuration's
/// `[schema] paths`.
fn schema_roots(files: &[PathBuf], config: &Config, options: &Options) -> Vec<PathBuf> {
    let scanned = if options.roots.is_empty() {
        files
    } else {
        &options.roots
    };
    let project = config
        .root()
        .map(Path::to_path_buf)
        .or_else(|| schema::project_root(scanned));
    // Schema files under the working directory are shown relative to it, as code files are.
    let cwd = std::env::current_dir().unwrap_or_default();
    project
        .into_iter()
        .chain(config.schema_paths.iter().cloned())
        .map(|root| match root.strip_prefix(&cwd) {
            Ok(rel) if rel.as_os_str().is_empty() => PathBuf::from("."),
            Ok(rel) => rel.to_path_buf(),
            Err(_) => root,
        })
        .collect()
}

/// A file to analyse.
struct Source {
    path: PathBuf,
    kind: Grammar,
    text: String,
}

/// Files outside the scan that the scanned files import, and what those import, as deep as
/// calls are linked: read so calls into them link, never reported. A scan of the whole tree
/// finds nothing new here; a scan of ten changed files reads their imports, not the tree.
fn imported_context(
    units: &[link::Unit],
    scanned: &[PathBuf],
    options: &Options,
    lower: &(dyn Fn(&Source) -> link::Unit + Sync),
) -> Vec<link::Unit> {
    let cwd = std::env::current_dir().unwrap_or_default();
    let normal = |p: &Path| link::normal(&cwd, p);
    let mut known: std::collections::HashSet<PathBuf> = scanned.iter().map(|p| normal(p)).collect();
    let near = link::Neighbourhood::default();
    let mut frontier: Vec<PathBuf> = {
        let loaded = |p: &Path| known.contains(&normal(p));
        units
            .par_iter()
            .flat_map_iter(|u| u.imported_files(&near, &loaded))
            .collect()
    };
    let mut context = Vec::new();
    for _ in 0..link::MAX_LINK_DEPTH {
        frontier.retain(|p| known.insert(normal(p)));
        if frontier.is_empty() {
            break;
        }
        let lowered: Vec<link::Unit> = frontier
            .par_iter()
            .filter_map(|path| {
                let kind = Grammar::from_path(path)?;
                let text = read_source(path, options).ok()?;
                Some(lower(&Source {
                    path: path.clone(),
                    kind,
                    text,
                }))
            })
            .collect();
        let loaded = |p: &Path| known.contains(&normal(p));
        frontier = lowered
            .par_iter()
            .flat_map_iter(|u| u.imported_files(&near, &loaded))
            .collect();
        context.extend(lowered);
    }
    context
}

/// A file's text, or why it is skipped.
fn read_source(path: &Path, options: &Options) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("skipped: {e}"))?;
    if meta.len() > options.max_file_size {
        return Err(format!(
            "skipped: {} bytes is over the {} byte limit",
            meta.len(),
            options.max_file_size
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("skipped: {e}"))?;
    let text = String::from_utf8(bytes).map_err(|_| "skipped: not valid UTF-8".to_string())?;
    if looks_minified(&text) {
        return Err("skipped: looks minified or generated (very long lines)".into());
    }
    Ok(text)
}

/// Findings of one file of the project after its suppression comments, and its notes.
fn analyse(
    project: &link::Project,
    schema: &Schema,
    u: usize,
    text: &str,
    config: &Config,
    options: &Options,
) -> (Vec<Diagnostic>, Vec<ScanNote>) {
    let path = &project.units[u].path;
    let deadline = Deadline::after(options.file_budget);
    let (mut diagnostics, analysis_notes) = rules::run(project, schema, u, config, deadline);
    suppress::apply(text, path, &mut diagnostics, options.require_reasons);
    let notes = project.units[u]
        .ir
        .notes
        .iter()
        .chain(&analysis_notes)
        .map(|n| ScanNote {
            file: path.clone(),
            line: n.span.map(|s| s.line),
            message: n.message.clone(),
        })
        .collect();
    (diagnostics, notes)
}

/// A buffer from an editor, analysed as if it were the file at `path` (its language, its
/// configuration, its suppressions).
pub fn check_buffer(
    path: &Path,
    text: &str,
    explicit: Option<&Path>,
    options: &Options,
) -> Result<Outcome, miette::Report> {
    let kind = Grammar::from_path(path).ok_or_else(|| {
        miette::miette!(
            "{} is not a TypeScript, JavaScript or Rust file name",
            path.display()
        )
    })?;
    let config = match explicit
        .map(Path::to_path_buf)
        .or_else(|| config::find_for(path))
    {
        Some(p) => config::Config::load(&p)?,
        None => config::Config::builtin(),
    };
    let unit = link::Unit::new(
        path,
        kind,
        text,
        &config.models,
        Deadline::after(options.file_budget),
    );
    let project = link::Project::new(vec![unit], &config.models);
    let schema = Schema::discover(&schema_roots(&[path.to_path_buf()], &config, options));
    let (mut diagnostics, notes) = analyse(&project, &schema, 0, text, &config, options);
    config.apply_levels(&mut diagnostics);
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    Ok(Outcome {
        diagnostics,
        notes,
        files_scanned: 1,
    })
}

/// Bundled or minified code (vendored `swagger-ui-bundle.js`) is machine-written: its lines
/// run to thousands of characters, where hand-written code averages well under a hundred.
pub(crate) fn looks_minified(text: &str) -> bool {
    let lines = text.lines().count().max(1);
    text.len() > 64 * 1024 && text.len() / lines > 500
}

/// Analyses one source text on its own (calls link only within it, no schema) with a
/// configuration's models and rule settings, not its levels, until the deadline. `path`
/// labels findings.
pub fn check_source(
    path: &Path,
    kind: Grammar,
    text: &str,
    config: &Config,
    deadline: Deadline,
) -> (Vec<Diagnostic>, Vec<ir::FileNote>) {
    let unit = link::Unit::new(path, kind, text, &config.models, deadline);
    let mut project = link::Project::new(vec![unit], &config.models);
    let (diagnostics, more) = rules::run(&project, &Schema::default(), 0, config, deadline);
    let mut notes = std::mem::take(&mut project.units[0].ir.notes);
    notes.extend(more);
    (diagnostics, notes)
}
