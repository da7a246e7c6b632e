//! Locals that hold one of the project's records, typed by the function that made or found
//! them: `let Some(mut t) = Transfer::find(..) else { .. }` makes `t` a `Transfer`, so
//! `t.save(conn)` links to `impl Transfer`'s `save` (ActiveRecord-style model layers).

use super::syntax::{self, TRANSPARENT};
use syn::{Expr, Pat};

/// Unwrapping an `Option` or `Result` of a record still gives the record.
const UNWRAPPING: &[&str] = &[
    "ok",
    "ok_or",
    "ok_or_else",
    "map_err",
    "context",
    "with_context",
    "unwrap_or_default",
    "into_iter",
    "iter",
];

/// Types of the standard library, whose methods are never the project's.
const STD: &[&str] = &[
    "Arc", "BTreeMap", "BTreeSet", "Box", "Duration", "File", "HashMap", "HashSet", "Instant",
    "Mutex", "Option", "PathBuf", "Rc", "RefCell", "Result", "RwLock", "String", "Vec", "VecDeque",
];

/// The type whose associated function makes the value, looking through `?`, `.await` and
/// unwrapping: `Transfer::find_by_uuid(..).await?` -> `Transfer`, `models::Member::new(..)`
/// -> `models::Member`; `Self::find(..)` -> `Self`, which the caller knows.
pub fn made_by(init: &Expr) -> Option<String> {
    match init {
        Expr::Try(t) => made_by(&t.expr),
        Expr::Await(a) => made_by(&a.base),
        Expr::Paren(p) => made_by(&p.expr),
        Expr::Group(g) => made_by(&g.expr),
        Expr::Reference(r) => made_by(&r.expr),
        Expr::MethodCall(m) => {
            let name = m.method.to_string();
            let unwraps =
                TRANSPARENT.contains(&name.as_str()) || UNWRAPPING.contains(&name.as_str());
            unwraps.then(|| made_by(&m.receiver)).flatten()
        }
        Expr::Call(c) => {
            let Expr::Path(p) = &*c.func else { return None };
            let segments = &p.path.segments;
            let owner = segments.iter().nth_back(1)?.ident.to_string();
            let first = segments.first()?.ident.to_string();
            let std = STD.contains(&owner.as_str()) || ["std", "core", "alloc"].contains(&&*first);
            (!std && owner.starts_with(char::is_uppercase)).then(|| {
                let path = syntax::path_text(&p.path);
                path.rsplit_once("::")
                    .map_or(path.clone(), |(t, _)| t.to_string())
            })
        }
        Expr::Struct(s) => Some(syntax::path_text(&s.path)),
        _ => None,
    }
}

/// The name a pattern binds to the whole value, or to what a `Some`/`Ok` holds:
/// `mut t`, `Some(mut t)`, `Ok(t)`, `t: Transfer`.
fn bound_name(pat: &Pat) -> Option<String> {
    syntax::pat_ident(syntax::held(pat))
}

impl super::lower::Lowerer<'_> {
    /// Types the name a pattern binds when the value is a record its type made or found.
    pub fn record_type(&mut self, pat: &Pat, init: &Expr) {
        let Some(name) = bound_name(pat) else { return };
        let made_by = made_by(init).and_then(|ty| match ty.as_str() {
            "Self" => self.owner.clone(),
            _ => Some(ty),
        });
        match made_by {
            Some(ty) => {
                self.types.insert(name.clone(), ty);
                self.records.insert(name);
            }
            None => {
                self.records.remove(&name);
            }
        }
    }
}
