//! Control facts over a function's IR shared by the rules: which guard branches each effect
//! depends on, and what encloses it.

use crate::ir::{
    exits, fails, walk, Block, EffectId, EffectKind, FunctionIr, Guard, Joined, Node, Part,
    ScopeKind, Visitor, WriteKind,
};

/// A guard (its index in `Flow::guards`) and the branch taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuardBranch {
    pub guard: usize,
    /// `true` for `then`, `false` for `otherwise`.
    pub then: bool,
}

impl GuardBranch {
    pub fn new(guard: usize, then: bool) -> Self {
        GuardBranch { guard, then }
    }
}

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
    /// An insert the schema keeps no key of unique: `ON CONFLICT DO NOTHING` or a caught
    /// duplicate-key error never happens, so it claims nothing.
    pub never_conflicts: bool,
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
    /// Per guard, what its branches tell of global settings (`if CONFIG.mail_enabled()`):
    /// guards of one setting branch alike.
    settings: Vec<Vec<Setting<'f>>>,
    /// Per guard, how its `then` and its `otherwise` branch end.
    branch_ends: Vec<(End, End)>,
    /// Per guard, the guard branches that decide whether it is reached.
    guard_paths: Vec<Vec<GuardBranch>>,
    /// Per `try`, in order, how its handler ends.
    catch_ends: Vec<End>,
    /// Indexed by effect id.
    pub at: Vec<At>,
}

impl<'f> Flow<'f> {
    pub fn new(func: &'f FunctionIr) -> Flow<'f> {
        let mut flow = Flow {
            guards: Vec::new(),
            settings: Vec::new(),
            branch_ends: Vec::new(),
            guard_paths: Vec::new(),
            catch_ends: Vec::new(),
            at: vec![At::default(); func.effects.len()],
        };
        let mut walker = Walker {
            flow: &mut flow,
            ctx: At::default(),
            rest: Rest::default(),
        };
        walker.run(&func.body);
        for &id in &func.duplicates_handled {
            flow.at[id].unique_try = true;
        }
        flow.settings = flow.guards.iter().map(|g| settings(func, g)).collect();
        flow
    }

    /// Whether `act` runs only on an outcome of `check`: on a branch of a guard that tests
    /// it, or when the `try` holding it failed.
    pub fn decided_by(&self, check: EffectId, act: EffectId) -> bool {
        let tested: Vec<usize> = self.guards_testing(check).collect();
        self.at[act]
            .guards
            .iter()
            .any(|b| tested.contains(&b.guard))
            || self.at[check]
                .try_bodies
                .iter()
                .any(|t| self.at[act].try_failures.contains(t))
    }

    /// Whether a refused insert stops a second request before `act`: its error leaves the
    /// function, or `act` is in the body of the `try` holding it, or that `try`'s handler
    /// leaves, or `act` runs on an outcome of the insert a guard tests (`match` on its
    /// `Result`). A handler that logs the duplicate and carries on lets the loser run on.
    pub fn refusal_stops(&self, insert: EffectId, act: EffectId) -> bool {
        match self.at[insert].try_bodies.last() {
            Some(&t) => {
                self.at[act].try_bodies.contains(&t)
                    || self.catch_ends[t] != End::FallsThrough
                    || self.decided_by(insert, act)
            }
            // A handler chained on the call (`.catch(..)`, `.map_err(..)`) is the caller's.
            None => true,
        }
    }

    /// Guards that test the result of `effect`.
    pub fn guards_testing(&self, effect: EffectId) -> impl Iterator<Item = usize> + '_ {
        (0..self.guards.len())
            .filter(move |&g| self.guards[g].tests.iter().any(|t| t.effect == effect))
    }

    /// Whether two effects can run in one execution: no guard, nor two guards of one global
    /// setting, sends them down different branches.
    pub fn compatible(&self, a: EffectId, b: EffectId) -> bool {
        !self.at[a].unreachable
            && !self.at[b].unreachable
            && self.branches_agree(&self.at[a].guards, &self.at[b].guards)
    }

    /// Whether an effect can run in an execution that reaches a guard: a write in the `else`
    /// of `if (existing)` is not on the path of a check inside its `then`.
    pub fn reaches_guard(&self, effect: EffectId, guard: usize) -> bool {
        !self.at[effect].unreachable
            && self.branches_agree(&self.at[effect].guards, &self.guard_paths[guard])
    }

    fn branches_agree(&self, a: &[GuardBranch], b: &[GuardBranch]) -> bool {
        // The settings a branch tells, and whether each holds there.
        let told = |x: GuardBranch| {
            self.settings[x.guard]
                .iter()
                .filter(move |s| s.branch == x.then)
                .map(|s| (s.name, s.holds))
        };
        a.iter().all(|x| {
            b.iter().all(|y| {
                if x.guard == y.guard {
                    return x.then == y.then;
                }
                told(*x).all(|(s, hx)| told(*y).all(|(t, hy)| s != t || hx == hy))
            })
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

/// What a branch of a guard tells of a global setting read through a call on an upper-case
/// static (`CONFIG.mail_enabled()`): it does not change while a request runs.
struct Setting<'f> {
    name: &'f str,
    /// `true` for the `then` branch.
    branch: bool,
    holds: bool,
}

/// The settings a guard's branches tell: a lone test tells on both, `a && b` on `then`, and
/// `a || b` on `otherwise`.
fn settings<'f>(func: &'f FunctionIr, guard: &Guard) -> Vec<Setting<'f>> {
    let lone = guard.tests.len() == 1;
    let mut told = Vec::new();
    for test in &guard.tests {
        let crate::ir::TestKind::Presence { present_when_true } = test.kind else {
            continue;
        };
        let effect = &func.effects[test.effect];
        let on_static = effect.callee.split(['.', ':']).next().is_some_and(|root| {
            root.len() > 1 && root.chars().all(|c| c.is_uppercase() || c == '_')
        });
        if !(matches!(effect.kind, EffectKind::Call(_)) && on_static) {
            continue;
        }
        let name = effect.callee.as_str();
        for branch in [true, false] {
            let tells = lone
                || match guard.joined {
                    Joined::All => branch,
                    Joined::Any => !branch,
                    Joined::Mixed => false,
                };
            if tells {
                told.push(Setting {
                    name,
                    branch,
                    holds: present_when_true == branch,
                });
            }
        }
    }
    told
}

/// Walks a function's blocks, recording where each effect sits.
struct Walker<'w, 'f> {
    flow: &'w mut Flow<'f>,
    /// Where the walk is: what holds for the next effect.
    ctx: At,
    /// What the nodes walked so far in the current block decide for the rest of it.
    rest: Rest,
}

/// What earlier nodes of a block decide for the rest of it, undone when the block ends.
#[derive(Default)]
struct Rest {
    /// Guard branches pushed on `ctx.guards` because the other branch leaves.
    pushed: usize,
    /// `try` blocks pushed on `ctx.try_failures` because their body always leaves.
    failed: usize,
    /// A statement that always leaves made the rest unreachable.
    dead: bool,
    /// The pushed branches whose other branch fails (throws), which hold after a linked
    /// call's body as well.
    on_failure: Vec<GuardBranch>,
}

/// The guard branches a block decided for the rest of it: all of them, and those whose other
/// branch fails (throws).
#[derive(Default)]
struct Decided {
    all: Vec<GuardBranch>,
    on_failure: Vec<GuardBranch>,
}

/// What the walk keeps about a node while its blocks are walked.
enum Open<'f> {
    Leaf,
    Guard {
        guard: usize,
        /// What its branches that fall through decided (`if (!skip) { if (found) throw .. }`):
        /// it holds after the guard on the path through that branch.
        carried: Decided,
    },
    Loop,
    Try {
        number: usize,
        catches_unique: bool,
    },
    Scope {
        kind: &'f ScopeKind,
        carried: Vec<GuardBranch>,
    },
}

impl<'f> Walker<'_, 'f> {
    /// Walks a block; returns the guard branches that held for the rest of it because the
    /// other branch leaves.
    fn run(&mut self, block: &'f Block) -> Decided {
        let outer = std::mem::take(&mut self.rest);
        walk(self, block);
        let rest = std::mem::replace(&mut self.rest, outer);
        let ctx = &mut self.ctx;
        let all = ctx.guards.split_off(ctx.guards.len() - rest.pushed);
        ctx.try_failures
            .truncate(ctx.try_failures.len() - rest.failed);
        if rest.dead {
            ctx.unreachable = false;
        }
        Decided {
            all,
            on_failure: rest.on_failure,
        }
    }
}

impl<'f> Visitor<'f> for Walker<'_, 'f> {
    type Frame = Open<'f>;

    fn enter(&mut self, node: &'f Node) -> Open<'f> {
        match node {
            Node::Effect(id) => self.flow.at[*id] = self.ctx.clone(),
            Node::Guard {
                guard,
                then,
                otherwise,
            } => {
                let g = self.flow.guards.len();
                self.flow.guards.push(guard);
                self.flow
                    .branch_ends
                    .push((End::of(then), End::of(otherwise)));
                self.flow.guard_paths.push(self.ctx.guards.clone());
                return Open::Guard {
                    guard: g,
                    carried: Decided::default(),
                };
            }
            Node::Loop(_) => return Open::Loop,
            Node::Try {
                catch,
                catches_unique_violation,
                ..
            } => {
                self.flow.catch_ends.push(End::of(catch));
                return Open::Try {
                    number: self.flow.catch_ends.len() - 1,
                    catches_unique: *catches_unique_violation,
                };
            }
            Node::Scope { kind, .. } => {
                return Open::Scope {
                    kind,
                    carried: Vec::new(),
                }
            }
            Node::Exit(_) | Node::Fail(_) | Node::Macro { .. } => {}
        }
        Open::Leaf
    }

    fn block(&mut self, open: &mut Open<'f>, part: Part, block: &'f Block) {
        let ctx = &mut self.ctx;
        match (open, part) {
            (Open::Guard { guard, carried }, Part::Then | Part::Otherwise) => {
                ctx.guards
                    .push(GuardBranch::new(*guard, part == Part::Then));
                let decided = self.run(block);
                self.ctx.guards.pop();
                if End::of(block) == End::FallsThrough {
                    carried.all.extend(decided.all);
                    carried.on_failure.extend(decided.on_failure);
                }
            }
            (Open::Loop, _) => {
                let outer = ctx.in_loop;
                ctx.in_loop = true;
                self.run(block);
                self.ctx.in_loop = outer;
            }
            (
                Open::Try {
                    number,
                    catches_unique,
                },
                Part::TryBody,
            ) => {
                let outer = ctx.unique_try;
                ctx.unique_try |= *catches_unique;
                ctx.try_bodies.push(*number);
                self.run(block);
                self.ctx.try_bodies.pop();
                self.ctx.unique_try = outer;
            }
            (Open::Try { number, .. }, Part::Catch) => {
                ctx.try_failures.push(*number);
                self.run(block);
                self.ctx.try_failures.pop();
            }
            (Open::Scope { kind, carried }, _) => {
                ctx.scopes.push((*kind).clone());
                *carried = self.run(block).on_failure;
                self.ctx.scopes.pop();
            }
            _ => {
                self.run(block);
            }
        }
    }

    fn leave(&mut self, open: Open<'f>, node: &'f Node) {
        let (ctx, rest) = (&mut self.ctx, &mut self.rest);
        match (open, node) {
            (
                Open::Guard { guard, carried },
                Node::Guard {
                    then, otherwise, ..
                },
            ) => {
                // What a branch decided for its rest holds after the guard when it ran there.
                rest.pushed += carried.all.len();
                ctx.guards.extend(carried.all);
                rest.on_failure.extend(carried.on_failure);
                // When one branch leaves, everything after the guard runs on the other.
                let taken = match (exits(then), exits(otherwise)) {
                    (true, false) => GuardBranch::new(guard, false),
                    (false, true) => GuardBranch::new(guard, true),
                    _ => return,
                };
                ctx.guards.push(taken);
                rest.pushed += 1;
                if fails(if taken.then { otherwise } else { then }) {
                    rest.on_failure.push(taken);
                }
            }
            (Open::Try { number, .. }, Node::Try { body, catch, .. }) => {
                if exits(body) && !exits(catch) {
                    ctx.try_failures.push(number);
                    rest.failed += 1;
                }
                if exits(std::slice::from_ref(node)) && !ctx.unreachable {
                    ctx.unreachable = true;
                    rest.dead = true;
                }
            }
            // A helper that throws unless its check passes decides its caller's rest.
            (
                Open::Scope {
                    kind: ScopeKind::Call { .. },
                    carried,
                },
                _,
            ) => {
                rest.pushed += carried.len();
                ctx.guards.extend(&carried);
                rest.on_failure.extend(carried);
            }
            _ => {}
        }
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
        EffectKind::Write { kind, .. } if kind.is_claim_form() => {
            decided() && !flow.at[effect].never_conflicts
        }
        EffectKind::Write {
            kind: WriteKind::Insert { .. },
            ..
        } => flow.at[effect].unique_try && !flow.at[effect].never_conflicts,
        _ => false,
    }
}
