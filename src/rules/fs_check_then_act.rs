//! `fs-check-then-act`: a path is probed, and a later operation on the same path trusts what
//! the probe saw (CWE-367).

use super::flow::{Flow, GuardBranch};
use super::links::Calls;
use super::races::lock_held;
use super::{declare_rule, weight, Analysis, RuleContext};
use crate::diagnostic::{Actor, Diagnostic, Label, Security, Severity, Step};
use crate::ir::{Effect, EffectId, EffectKind, FunctionIr, TestKind};

declare_rule! {
    /// ## What it does
    /// Finds a file-system check of a path (`Path::exists`, `try_exists`, `is_file`,
    /// `metadata`; `fs.existsSync`, `access`, `stat`) whose outcome decides whether a later
    /// operation on the same path runs: a create, write, truncate, `mkdir`, rename or copy
    /// onto it, or a removal of what the check judged by more than its existence (a lock
    /// found stale by its age). It stays quiet when the operation itself refuses to replace
    /// what exists (`create_new(true)`, `File::create_new`, flag `'wx'`, `COPYFILE_EXCL`) or
    /// is idempotent (`create_dir_all`, `mkdir` with `recursive: true`), when a file this
    /// function wrote is renamed into place, when check and operation name different paths,
    /// and for a removal after a check of existence alone: without the check the removal
    /// would do the same, apart from reporting that the path was already gone. Level warning;
    /// error and a security finding (SARIF `security-severity`, tags `security` and `CWE-367`)
    /// when the path names a credential (`api-token`, `secrets/`, `session`:
    /// `credential-words` in `rules/vocabulary.toml`).
    ///
    /// ## Why is this bad?
    /// Between the check and the operation another process (a second worker, the cron job
    /// on another container sharing the volume, an attacker) can create, replace or remove
    /// the path. Process A sees no lock file and creates one; process B saw no lock file
    /// either and truncates A's. In the hostile case a symbolic link planted between the
    /// check and the write redirects the write to a file of the attacker's choosing.
    ///
    /// ## Example
    /// ```rust
    /// if !lock_path.exists() {
    ///     std::fs::write(&lock_path, std::process::id().to_string())?;
    ///     run_job()?;
    /// }
    /// ```
    /// Two workers both see no lock file, both write it, and both run the job.
    ///
    /// ## Fix
    /// Let the operation decide atomically instead of asking first: open with
    /// `OpenOptions::new().write(true).create_new(true)` (`fs.open(path, 'wx')` in Node) and
    /// treat `AlreadyExists`/`EEXIST` as "someone else has it"; create directories with
    /// `create_dir_all` or `mkdir(path, { recursive: true })`; write a temporary file and
    /// rename it into place.
    pub struct FsCheckThenAct {
        id: "fs-check-then-act",
        level: Severity::Warning,
        languages: &["typescript", "javascript", "rust"],
        summary: "a file-system check decides, and a later operation on the same path trusts it",
        links: super::Links::Linked,
        cwe: "CWE-367",
    }
}

pub fn check(func: &FunctionIr, shared: &Analysis, cx: &RuleContext, out: &mut Vec<Diagnostic>) {
    let flow = &shared.flow;
    for (check_id, check) in func.effects.iter().enumerate() {
        let EffectKind::FsCheck { path } = &check.kind else {
            continue;
        };
        let act =
            func.effects
                .iter()
                .enumerate()
                .skip(check_id + 1)
                .find(|(act_id, act)| match &act.kind {
                    EffectKind::FsWrite {
                        path: target,
                        exclusive: false,
                        removes,
                        ..
                    } => {
                        // A path variable names the same file only in the function it lives
                        // in: a helper's `path` parameter is not its caller's `path`, and a
                        // race inside one call of a helper is the helper's own finding.
                        same_path(path, target)
                            && (names_constant(path) || Calls::of(check, act) == Calls::Here)
                            && !flow.at[*act_id].unreachable
                            && flow.decided_by(check_id, *act_id)
                            && trusts_outcome(flow, check_id, *act_id, *removes)
                            // A lock held over both, a `Mutex` of this process included,
                            // serialises the requests that race on the path.
                            && !lock_held(func, check_id, *act_id, false)
                    }
                    _ => false,
                });
        if let Some((act_id, act)) = act {
            out.push(diagnostic(func, flow, cx, check_id, act_id, act, path));
        }
    }
}

/// The race is in trusting the outcome: creating what the check found absent (two creators,
/// or a link planted in between), or removing what it judged by more than its existence (a
/// lock found stale may be someone's fresh lock by then). Removing what was only found to
/// exist trusts nothing: without the check the removal does the same, and at worst it
/// reports that the path is gone. Rewriting a file found present creates and removes nothing.
fn trusts_outcome(flow: &Flow, check: EffectId, act: EffectId, removes: bool) -> bool {
    let failed = flow.at[check]
        .try_bodies
        .iter()
        .any(|t| flow.at[act].try_failures.contains(t));
    // What the check said on the act's path: a presence test decides; a value test of what
    // it found (`stats.mtimeMs < cutoff`) means it found something.
    let mut presence = None;
    let mut value = false;
    for &GuardBranch {
        guard: g,
        then: branch,
    } in &flow.at[act].guards
    {
        for test in flow.guards[g].tests.iter().filter(|t| t.effect == check) {
            match test.kind {
                TestKind::Presence { present_when_true } => {
                    presence = Some(present_when_true == branch)
                }
                TestKind::Value { .. } => value = true,
            }
        }
    }
    let found = presence.or(value.then_some(true));
    match (failed, found) {
        (true, _) | (false, Some(false)) => !removes,
        (false, Some(true)) => removes && value,
        (false, None) => !removes,
    }
}

/// A path written as literals and constants (`"/run/app.sock"`, `LOCK_FILE`,
/// `Path::new("/tmp/x")`) names the same file wherever it is written.
fn names_constant(path: &str) -> bool {
    let mut outside = String::new();
    let mut quote = None;
    for c in path.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if matches!(c, '"' | '\'' | '`') => quote = Some(c),
            None => outside.push(c),
        }
    }
    // An interpolated template is as variable as what it interpolates.
    !path.contains("${")
        && outside
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty())
            .all(|w| {
                matches!(w, "Path" | "PathBuf" | "new" | "from")
                    || !w.chars().any(|c| c.is_lowercase())
            })
}

/// `&lock_path` ~ `lock_path`; `path.join(dir, key)` ~ `path.join(dir,key)`.
fn same_path(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, '&' | '*' | '\'' | '"' | '`'))
            .collect::<String>()
    };
    norm(a) == norm(b)
}

/// A removal after a judgement of what is there: what is removed must be what was judged.
const REMOVAL_HELP: &str = "judge and remove as one step: hold a lock over both (`flock`, an advisory lock), or first rename the path to a name only this process knows and judge and remove the renamed file";

fn diagnostic(
    func: &FunctionIr,
    flow: &Flow,
    cx: &RuleContext,
    check_id: EffectId,
    act_id: EffectId,
    act: &Effect,
    path: &str,
) -> Diagnostic {
    let check = &func.effects[check_id];
    let (op, removes, refuses) = match &act.kind {
        EffectKind::FsWrite {
            op,
            removes,
            refuses,
            ..
        } => (op.as_str(), *removes, *refuses),
        _ => ("write", false, false),
    };
    let (cl, al) = (check.span.line, act.span.line);
    let mut secondary = vec![Label::at(check, format!("checks `{path}` here"))];
    let guard = flow
        .guards_testing(check_id)
        .find(|g| flow.at[act_id].guards.iter().any(|b| b.guard == *g));
    if let Some(g) = guard {
        secondary.push(Label::new(
            flow.guards[g].span,
            "decides on what the check saw",
        ));
    }
    let help = if removes {
        REMOVAL_HELP.to_string()
    } else {
        cx.models
        .help(&act.library, FsCheckThenAct::META.id)
        .or_else(|| cx.models.help(&check.library, FsCheckThenAct::META.id))
        .unwrap_or("drop the check and let the operation decide atomically: create with an exclusive flag and treat \"already exists\" as taken, or write a temporary file and rename it into place")
        .to_string()
    };
    let last = if removes {
        format!("B runs `{op}` at line {al} too, on what it judged at line {cl}: by then the path may be a new file another process made")
    } else if refuses {
        format!("B runs `{op}` at line {al} too and fails: the path exists now")
    } else {
        format!("B runs `{op}` at line {al} too, on a path that is no longer what it checked (or a symbolic link planted in between)")
    };
    // A file holding a credential is a target: reading or replacing it is the attack. A
    // create that refuses what exists replaces nothing and follows no link.
    let security = (!refuses && weight::names_credential(path)).then_some(Security::CredentialFile);
    let mut message = if refuses {
        format!("the process that loses this check-then-create fails: `{path}` can appear between the check at line {cl} and the `{op}` at line {al}, which then fails with \"already exists\" and nothing handles it")
    } else {
        format!("`{path}` can change between the check at line {cl} and the `{op}` at line {al}")
    };
    if let Some(s) = security {
        message = format!("{message}; {}", s.sentence());
    }
    Diagnostic {
        severity: if security.is_some() {
            Severity::Error
        } else if refuses {
            Severity::Note
        } else {
            FsCheckThenAct::META.level
        },
        security,
        secondary,
        steps: vec![
            Step::new(Actor::A, check.span, format!("process A checks `{path}` at line {cl}")),
            Step::new(Actor::B, check.span, format!("process B checks `{path}` at line {cl} before A reaches line {al}, and sees the same")),
            Step::new(Actor::A, act.span, format!("A runs `{op}` at line {al}")),
            Step::new(Actor::B, act.span, last),
        ],
        help,
        ..cx.diagnostic(&FsCheckThenAct::META, func, message, Label::at(act, format!("`{op}` trusts the check")))
    }
}
