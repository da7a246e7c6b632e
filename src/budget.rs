//! The time one file may take. A file past it is abandoned whole, with a note, so one
//! pathological file cannot hold up a pre-commit hook or a CI job; its partial findings are
//! dropped too, as they would depend on the machine's speed.

use std::time::{Duration, Instant};

/// Ten seconds: hand-written files take milliseconds; only generated or hostile ones come near.
pub const DEFAULT_FILE_BUDGET: Duration = Duration::from_secs(10);

/// When work on a file must stop, if ever.
#[derive(Clone, Copy, Debug)]
pub struct Deadline {
    at: Option<Instant>,
    budget: Duration,
}

impl Deadline {
    /// No limit (buffers from editors, tests).
    pub const NONE: Deadline = Deadline {
        at: None,
        budget: Duration::MAX,
    };

    pub fn after(budget: Duration) -> Deadline {
        Deadline {
            at: Instant::now().checked_add(budget),
            budget,
        }
    }

    pub fn passed(&self) -> bool {
        self.at.is_some_and(|at| Instant::now() >= at)
    }

    /// The note of a file that ran out of time.
    pub fn note(&self) -> String {
        format!(
            "analysis abandoned after the {} budget for one file (--file-budget); file skipped",
            humantime::format_duration(self.budget)
        )
    }
}
