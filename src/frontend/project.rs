//! Calls of the project's own functions: which call chains may name one, the same question in
//! both front-ends (each then judges whether the chain's first name is plausible in its
//! language). The linker resolves the names; `Builder::call` emits the call.

use crate::models::{CallShape, Language, Models};

/// The names of a chain up to its first call, which may name a function of the project.
pub struct ProjectCall {
    /// `["this", "orders", "find"]`, `["repo", "find"]`.
    pub path: Vec<String>,
    /// Where the first call is in the chain.
    pub first_call: usize,
    /// The declared type of what the call is made on, when known (`repo: &OrderRepo`).
    pub receiver: Option<String>,
}

/// The names up to a chain's first call, unless they cannot name one of the project's
/// functions: the chain starts from an expression (`f()(x)`, `(await a).b()`), a name is
/// computed, or the call only converts a value or reads the clock or randomness.
pub fn project_call(
    models: &Models,
    language: Language,
    shape: &CallShape,
    has_root: bool,
) -> Option<ProjectCall> {
    if has_root {
        return None;
    }
    let first_call = shape.segments.iter().position(|s| s.is_call())?;
    let path: Vec<String> = shape.segments[..=first_call]
        .iter()
        .map(|s| s.name.clone())
        .collect();
    let last = path.last()?;
    if path.iter().any(String::is_empty)
        || models.is_conversion(language, last)
        || models.chain_source(language, shape).is_some()
    {
        return None;
    }
    let receiver = first_call
        .checked_sub(1)
        .and_then(|i| shape.segments[i].declared_type.clone());
    Some(ProjectCall {
        path,
        first_call,
        receiver,
    })
}
