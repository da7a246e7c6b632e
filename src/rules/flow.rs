//! Control facts over a function's IR shared by the rules: which guard branches each effect
//! depends on, and what encloses it.

use crate::ir::{
    exits, fails, Block, EffectId, EffectKind, FunctionIr, Guard, Node, ScopeKind, WriteKind,
};

/// A guard and the branch taken: `true` for `then`, `false` for `otherwise`.
pub type GuardBranch = (usize, bool);

#[derive(Clone, Debug, Default)]
pub struct At {
    /// Guard branches that decide whether the effect runs, outermost first.
    pub guards: Vec<GuardBranch>,
    pub scopes: Vec<ScopeKind>,
    /// Inside a `try` whose handler deals with unique-constraint violations.
    pub unique_try: bool,
    /// `try` blocks (numbered in order) whose body holds the effect.
    pub try_bodies: Vec<usize>,
    /// `try` blocks whose handler holds the effect, or whose body always leaves, so that the
    /// effect runs only when the body failed.
    pub try_failures: Vec<usize>,
    /// Inside a loop body.
    pub in_loop: bool,
    /// After a statement every way through which leaves (a `try` whose body and handler
    /// both return or throw): it never runs.
    pub unreachable: bool,
}

/// How a block ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// Control can fall out of its end.
    FallsThrough,
    /// It always leaves, at least sometimes without an error (`return`, `continue`).
    Leaves,
    /// It leaves only with an error.
    Fails,
}

impl End {
    fn of(block: &Block) -> End {
        if fails(block) {
            End::Fails
        } else if exits(block) {
            End::Leaves
        } else {
            End::FallsThrough
        }
    }
}

pub struct Flow<'f> {
    pub guards: Vec<&'f Guard>,
    /// Per guard, how its `then` and its `otherwise` branch end.
    branch_ends: Vec<(End, End)>,
    tries: usize,
    /// Indexed by effect id.
    pub at: Vec<At>,
}

impl<'f> Flow<'f> {
    pub fn new(func: &'f FunctionIr) -> Flow<'f> {
        let mut flow = Flow {
            guards: Vec::new(),
            branch_ends: Vec::new(),
            tries: 0,
            at: vec![At::default(); func.effects.len()],
        };
        flow.walk(&func.body, &mut At::default());
        for &id in &func.duplicates_handled {
            flow.at[id].unique_try = true;
        }
        flow
    }

    /// Walks a block; returns the guard branches that hold for the rest of it because the
    /// other branch fails (throws), which hold after a linked call's body as well.
    fn walk(&mut self, block: &'f Block, ctx: &mut At) -> Vec<GuardBranch> {
        let mut pushed = 0;
        let mut failed = 0;
        let mut dead = false;
        let mut on_failure = Vec::new();
        for node in block {
            match node {
                Node::Effect(id) => self.at[*id] = ctx.clone(),
                Node::Guard {
                    guard,
                    then,
                    otherwise,
                } => {
                    let g = self.guards.len();
                    self.guards.push(guard);
                    self.branch_ends.push((End::of(then), End::of(otherwise)));
                    for (branch, body) in [(true, then), (false, otherwise)] {
                        ctx.guards.push((g, branch));
                        self.walk(body, ctx);
                        ctx.guards.pop();
                    }
                    // When one branch leaves, everything after the guard runs on the other.
                    let rest = match (exits(then), exits(otherwise)) {
                        (true, false) => (g, false),
                        (false, true) => (g, true),
                        _ => continue,
                    };
                    ctx.guards.push(rest);
                    pushed += 1;
                    if fails(if rest.1 { otherwise } else { then }) {
                        on_failure.push(rest);
                    }
                }
                Node::Loop(body) => {
                    let outer = ctx.in_loop;
                    ctx.in_loop = true;
                    self.walk(body, ctx);
                    ctx.in_loop = outer;
                }
                Node::Try {
                    body,
                    catch,
                    finally,
                    catches_unique_violation,
                } => {
                    let t = self.tries;
                    self.tries += 1;
                    let outer = ctx.unique_try;
                    ctx.unique_try |= catches_unique_violation;
                    ctx.try_bodies.push(t);
                    self.walk(body, ctx);
                    ctx.try_bodies.pop();
                    ctx.unique_try = outer;
                    ctx.try_failures.push(t);
                    self.walk(catch, ctx);
                    ctx.try_failures.pop();
                    self.walk(finally, ctx);
                    if exits(body) && !exits(catch) {
                        ctx.try_failures.push(t);
                        failed += 1;
                    }
                    if exits(std::slice::from_ref(node)) && !ctx.unreachable {
                        ctx.unreachable = true;
                        dead = true;
                    }
                }
                Node::Scope { kind, body } => {
                    ctx.scopes.push(kind.clone());
                    let carried = self.walk(body, ctx);
                    ctx.scopes.pop();
                    // A helper that throws unless its check passes decides its caller's rest.
                    if matches!(kind, ScopeKind::Call { .. }) {
                        pushed += carried.len();
                        ctx.guards.extend(&carried);
                        on_failure.extend(carried);
                    }
                }
                Node::Exit(_) | Node::Fail(_) => {}
            }
        }
        ctx.guards.truncate(ctx.guards.len() - pushed);
        ctx.try_failures.truncate(ctx.try_failures.len() - failed);
        if dead {
            ctx.unreachable = false;
        }
        on_failure
    }

    /// Whether `act` runs only on an outcome of `check`: on a branch of a guard that tests
    /// it, or when the `try` holding it failed.
    pub fn decided_by(&self, check: EffectId, act: EffectId) -> bool {
        let tested: Vec<usize> = self.guards_testing(check).collect();
        self.at[act].guards.iter().any(|(g, _)| tested.contains(g))
            || self.at[check]
                .try_bodies
                .iter()
                .any(|t| self.at[act].try_failures.contains(t))
    }

    /// Guards that test the result of `effect`.
    pub fn guards_testing(&self, effect: EffectId) -> impl Iterator<Item = usize> + '_ {
        (0..self.guards.len())
            .filter(move |&g| self.guards[g].tests.iter().any(|t| t.effect == effect))
    }

    /// Whether two effects can run in one execution: no guard sends them down different
    /// branches.
    pub fn compatible(&self, a: EffectId, b: EffectId) -> bool {
        if self.at[a].unreachable || self.at[b].unreachable {
            return false;
        }
        self.at[a].guards.iter().all(|(g, branch)| {
            self.at[b]
                .guards
                .iter()
                .all(|(g2, branch2)| g != g2 || branch == branch2)
        })
    }

    /// How a guard's branch (`true` for `then`) ends.
    pub fn end(&self, guard: usize, branch: bool) -> End {
        let (then, otherwise) = self.branch_ends[guard];
        if branch {
            then
        } else {
            otherwise
        }
    }

    pub fn is_tested(&self, effect: EffectId) -> bool {
        self.guards_testing(effect).next().is_some()
    }
}

/// Whether the effect is a claim that lets one caller through: a set-if-absent, a claim-form
/// write whose result a guard tests (`ON CONFLICT DO NOTHING`, a conditional update's count,
/// `map.insert(k, v).is_none()`), or returns to its caller to test, or an insert whose
/// duplicate-key error is handled.
pub fn decides_as_claim(func: &FunctionIr, flow: &Flow, effect: EffectId) -> bool {
    let decided = || flow.is_tested(effect) || func.returns.contains(&effect);
    match &func.effects[effect].kind {
        EffectKind::Claim { .. } => decided(),
        EffectKind::Write { kind, .. } if kind.is_claim_form() => decided(),
        EffectKind::Write {
            kind: WriteKind::Insert,
            ..
        } => flow.at[effect].unique_try,
        _ => false,
    }
}
