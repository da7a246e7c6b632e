//! The finding model shared by rules and reporters. Rules build [`Diagnostic`]s; reporters only
//! render them, so every output format says the same thing.

use crate::ir::{Effect, Frame, Span};
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A source site that takes part in a finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    /// What happens here, e.g. "reads `orders`", without where a linked site really is:
    /// reporters render that from `via` ([`Label::text`]).
    pub message: String,
    /// When it happens inside called functions: the calls, outermost first (the span is
    /// then the outermost call's).
    pub via: Vec<Frame>,
    /// The site's code as the IR names it (the call and the resource it touches), which
    /// fingerprints hash; empty for a site that is no effect (a guard, a key's source).
    pub code: String,
    /// The file the site is in when it is not the finding's (the code that relies on a
    /// schema declaration); the span is then that file's.
    pub file: Option<PathBuf>,
}

impl Label {
    pub fn new(span: Span, message: impl Into<String>) -> Label {
        Label {
            span,
            message: message.into(),
            via: Vec::new(),
            code: String::new(),
            file: None,
        }
    }

    /// A site in another file than the finding's.
    pub fn elsewhere(file: PathBuf, effect: &Effect, message: impl Into<String>) -> Label {
        Label {
            file: Some(file),
            ..Label::at(effect, message)
        }
    }

    /// A label at an effect, through the calls it was linked in from.
    pub fn at(effect: &Effect, message: impl Into<String>) -> Label {
        let code = match effect.kind.resource() {
            Some(r) => format!("{} {}", effect.callee, r.key()),
            None => effect.callee.clone(),
        };
        Label {
            span: effect.span,
            message: message.into(),
            via: effect.via.clone(),
            code,
            file: None,
        }
    }

    /// The message as shown: a linked site says where it really is.
    pub fn text(&self) -> String {
        match self.inside() {
            Some(inside) => format!("{} {inside}", self.message),
            None => self.message.clone(),
        }
    }

    /// `inside `find` (src/repo.ts:14)`: where a linked site really is.
    fn inside(&self) -> Option<String> {
        let last = self.via.last()?;
        let chain: Vec<&str> = self.via.iter().map(|f| &*f.function).collect();
        Some(format!(
            "inside `{}` ({}:{})",
            chain.join("` → `"),
            last.file,
            last.line
        ))
    }
}

/// Which of the two requests (or attempts, or processes) of an interleaving takes a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor {
    A,
    B,
    /// Both, A first.
    Both,
}

/// One step of the interleaving of two requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub actor: Actor,
    /// Where it happens: the span of one of the finding's labels.
    pub at: Span,
    /// The step in words, as every reporter shows it.
    pub text: String,
}

impl Step {
    pub fn new(actor: Actor, at: Span, text: impl Into<String>) -> Step {
        Step {
            actor,
            at,
            text: text.into(),
        }
    }
}

/// Why a finding is a security bug as well: anyone can send the concurrent requests that win
/// the race on purpose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Security {
    /// Money moves twice: a charge, a refund, a transfer, a payout.
    Money,
    /// A credential is minted or a single-use one used twice: a token, a session, an invite,
    /// a password reset, a magic link.
    Credential,
    /// A file holding a credential is created or replaced on a stale check of its path.
    CredentialFile,
}

impl Security {
    /// The sentence a finding's message ends with.
    pub fn sentence(self) -> &'static str {
        match self {
            Security::Money => {
                "anyone can send the two requests on purpose and have the money move twice"
            }
            Security::Credential => {
                "anyone can send the two requests on purpose and get two credentials, or use one twice"
            }
            Security::CredentialFile => {
                "another process, or a link planted in between, can take or replace the credential"
            }
        }
    }

    /// SARIF `security-severity` (GitHub reads 7.0 to 8.9 as high).
    pub fn severity_score(self) -> &'static str {
        match self {
            Security::Money => "8.1",
            Security::Credential | Security::CredentialFile => "7.5",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Public rule id, e.g. `check-then-act`.
    pub rule: &'static str,
    pub severity: Severity,
    /// What is wrong: lowercase, no final period; the helpers it goes through are rendered
    /// from the labels ([`Diagnostic::headline`]).
    pub message: String,
    /// Path as given or found by the walk, relative to the scan root where possible.
    pub file: PathBuf,
    /// The function the finding sits in.
    pub function: String,
    /// The act: where the damage happens.
    pub primary: Label,
    /// The other sites: the check, the guard, the record.
    pub secondary: Vec<Label>,
    /// The interleaving of two requests, step by step.
    pub steps: Vec<Step>,
    /// Further explanation (why a protection present does not protect).
    pub notes: Vec<String>,
    /// The fix that fits the library in use.
    pub help: String,
    /// Set when the race is a security bug; the message then says why.
    pub security: Option<Security>,
}

impl Diagnostic {
    /// Every label, the act first.
    pub fn labels(&self) -> impl Iterator<Item = &Label> {
        std::iter::once(&self.primary).chain(&self.secondary)
    }

    /// The message as shown: it names the helpers its sites sit in (`(through `find`)`).
    pub fn headline(&self) -> String {
        let mut through: Vec<&str> = Vec::new();
        for frame in self.labels().filter_map(|l| l.via.first()) {
            if !through.contains(&&*frame.function) {
                through.push(&frame.function);
            }
        }
        if through.is_empty() {
            self.message.clone()
        } else {
            format!("{} (through `{}`)", self.message, through.join("`, `"))
        }
    }

    /// Total order used before any reporter runs: output never depends on thread scheduling.
    pub fn sort_key(&self) -> (&PathBuf, usize, usize, &'static str, &str) {
        (
            &self.file,
            self.primary.span.start,
            self.primary.span.end,
            self.rule,
            &self.message,
        )
    }
}

/// Something the scan wants the user to know that is not a finding: a file skipped or only
/// partly parsed.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ScanNote {
    pub file: PathBuf,
    pub line: Option<u32>,
    pub message: String,
}
