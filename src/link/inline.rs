//! Copies a called function's body into its caller at the call, renumbering effects and
//! transactions so the result is one function's IR in program order.

use super::{FnRef, Project};
use crate::ir::{
    same_field, walk, Block, EffectId, EffectKind, Frame, FunctionIr, Guard, Node, Part, Resource,
    ScopeKind, Span, Test, TxnId, Visitor, WriteKind,
};

/// How deep calls are followed: deeper helpers stay unresolved calls.
pub const MAX_LINK_DEPTH: usize = 4;

/// How many effects a linked function may gather before further calls stay unresolved: wide
/// call trees in generated code would otherwise grow without bound.
pub const MAX_LINKED_EFFECTS: usize = 4096;

/// The linked function, and whether calls were left out for [`MAX_LINKED_EFFECTS`].
pub(super) fn link(project: &Project, at: FnRef) -> (FunctionIr, bool) {
    let caller = project.function(at);
    let mut out = FunctionIr {
        name: caller.name.clone(),
        id: caller.id.clone(),
        span: caller.span,
        ..FunctionIr::default()
    };
    let mut linker = Linker {
        project,
        out: &mut out,
        stack: vec![at],
        instances: 0,
        cut: false,
    };
    let instance = Instance {
        unit: at.unit,
        func: caller,
        map: vec![None; caller.effects.len()],
        reached: vec![None; caller.effects.len()],
        entry_turn: 0,
        txns: Vec::new(),
        turn_base: 0,
        start: 0,
        receiver: None,
        derived: None,
        assigned: Vec::new(),
        locking_calls: Default::default(),
        call: None,
    };
    let (body, instance) = linker.instance(instance);
    let cut = linker.cut;
    out.body = body;
    let map = |ids: &mut dyn Iterator<Item = &EffectId>| -> Vec<EffectId> {
        ids.filter_map(|&e| instance.map[e]).collect()
    };
    out.passed_on.extend(map(&mut caller.passed_on.iter()));
    out.returns.extend(map(&mut caller.returns.iter()));
    out.duplicates_handled
        .extend(map(&mut caller.duplicates_handled.iter()));
    (out, cut)
}

struct Linker<'p, 'o> {
    project: &'p Project,
    out: &'o mut FunctionIr,
    /// The functions being copied, outermost first, so recursion stops.
    stack: Vec<FnRef>,
    instances: u32,
    /// Calls were left unresolved because the linked body grew too large.
    cut: bool,
}

/// One function being copied: where its effects and transactions went.
struct Instance<'f> {
    unit: usize,
    func: &'f FunctionIr,
    /// Where each effect went; a linked call's own id stands for what the callee returns.
    map: Vec<Option<EffectId>>,
    /// The last effect emitted once each effect (or call) was done: how far a value made
    /// there is along.
    reached: Vec<Option<EffectId>>,
    /// The caller's turn at the call: a callee runs in it until it first waits.
    entry_turn: u32,
    txns: Vec<TxnId>,
    turn_base: u32,
    /// How many effects the linked function had when this instance began.
    start: usize,
    /// Calls resolved to helpers that hold a lock, by the helper's name: closures given to
    /// them run under it.
    locking_calls: std::collections::HashMap<EffectId, String>,
    /// For a callee: fields of the caller's results its arguments were computed from.
    derived: Option<Vec<String>>,
    /// For a method called on a record: the fields assigned on it before the call.
    assigned: Vec<String>,
    /// The object a method was called on, as the outermost caller names it
    /// (`this.resolver.cache`); none for the caller itself or a call on `this`.
    receiver: Option<String>,
    /// For a callee: the call's span, the frames that lead to it, and its transaction.
    call: Option<(Span, Vec<Frame>, Option<TxnId>)>,
}

impl<'p> Linker<'p, '_> {
    fn instance<'f>(&mut self, mut inst: Instance<'f>) -> (Block, Instance<'f>) {
        for t in &inst.func.txns {
            self.out.txns.push(t.clone());
            inst.txns.push(self.out.txns.len() - 1);
        }
        let body = self.block(&inst.func.body, &mut inst);
        (body, inst)
    }

    fn block(&mut self, block: &Block, inst: &mut Instance) -> Block {
        let mut copier = Copier {
            linker: self,
            inst,
            out: Block::new(),
        };
        walk(&mut copier, block);
        copier.out
    }

    fn turn_of(&self, turn: u32, inst: &Instance) -> u32 {
        match (turn, &inst.call) {
            (0, Some(_)) => inst.entry_turn,
            _ => inst.turn_base + turn,
        }
    }

    fn effect(&mut self, id: EffectId, inst: &mut Instance, out: &mut Block) {
        self.copy_effect(id, inst, out);
        inst.reached[id] = self.out.effects.len().checked_sub(1);
    }

    fn copy_effect(&mut self, id: EffectId, inst: &mut Instance, out: &mut Block) {
        let e = &inst.func.effects[id];
        if let EffectKind::Call(site) = &e.kind {
            if let Some(body) = self.call(id, site, inst) {
                out.push(body);
                return;
            }
        }
        let mut copy = e.clone();
        // Unresolved, a call a library model also matched is what the model says.
        if let EffectKind::Call(crate::ir::CallSite {
            fallback: Some(model),
            ..
        }) = &e.kind
        {
            copy.kind = (**model).clone();
        }
        copy.txn = e.txn.map(|t| inst.txns[t]);
        copy.turn = self.turn_of(e.turn, inst);
        instance_state(&mut copy.kind, inst);
        if let EffectKind::Write {
            kind: WriteKind::Put { made_at, given },
            ..
        } = &mut copy.kind
        {
            // Counted in the linked function: what ran before, the caller's part included.
            *made_at = made_at.map(|n| match n.checked_sub(1) {
                Some(last) => inst.reached[last].map_or(inst.start, |r| r + 1),
                None => inst.start,
            });
            // A helper's parameter is as new as its call.
            if *given && inst.call.is_some() {
                *made_at = (*made_at).max(Some(inst.start));
            }
        }
        // A record's method writing the record without naming columns (`.set(self)`) writes
        // what its caller assigned on it.
        if let EffectKind::Write {
            kind: WriteKind::Update { .. } | WriteKind::Conditional { .. } | WriteKind::Upsert,
            sets,
            ..
        } = &mut copy.kind
        {
            if sets.is_empty() {
                sets.clone_from(&inst.assigned);
            }
        }
        // A helper writing back a field its caller computed from a read (`store(id, balance
        // - amount)`) writes a derived value.
        if let (
            EffectKind::Write {
                kind: WriteKind::Update { derived } | WriteKind::Conditional { derived },
                sets,
                ..
            },
            Some(fields),
        ) = (&mut copy.kind, &inst.derived)
        {
            for f in sets
                .iter()
                .filter(|s| fields.iter().any(|f| same_field(s, f)))
            {
                derived.add(f);
            }
        }
        if let EffectKind::TxnBegin(t) | EffectKind::TxnEnd(t) = &mut copy.kind {
            *t = inst.txns[*t];
        }
        if let Some((span, frames, txn)) = &inst.call {
            copy.via = frames.clone();
            copy.via.last_mut().expect("a callee has a frame").line = e.span.line;
            copy.via.extend(e.via.iter().cloned());
            copy.span = *span;
            copy.txn = copy.txn.or(*txn);
        }
        self.out.effects.push(copy);
        let new = self.out.effects.len() - 1;
        inst.map[id] = Some(new);
        out.push(Node::Effect(new));
    }

    /// The callee's body in a call scope, when the call resolves and the depth allows; the
    /// call's own id then stands for the effect the callee returns.
    fn call(
        &mut self,
        id: EffectId,
        site: &crate::ir::CallSite,
        inst: &mut Instance,
    ) -> Option<Node> {
        if self.stack.len() > MAX_LINK_DEPTH {
            return None;
        }
        if self.out.effects.len() >= MAX_LINKED_EFFECTS {
            self.cut = true;
            return None;
        }
        let caller = inst.func.id.clone().unwrap_or_default();
        let target = self.project.resolve(inst.unit, &caller, site)?;
        if self.stack.contains(&target) {
            return None;
        }
        let callee = self.project.function(target);
        if takes_lock(callee) {
            inst.locking_calls.insert(id, callee.name.clone());
        }
        let e = &inst.func.effects[id];
        let file = self.project.units[target.unit].path.display().to_string();
        let frame = Frame {
            function: callee.name.as_str().into(),
            file: file.into(),
            line: callee.span.line,
        };
        // The callee runs in the transaction its call runs in (`lock(tx, ..)` inside a
        // helper's own transaction), else in the one its caller runs in.
        let own_txn = e.txn.map(|t| inst.txns[t]);
        let (span, mut frames, txn) = match &inst.call {
            Some((span, frames, txn)) => (*span, frames.clone(), own_txn.or(*txn)),
            None => (e.span, Vec::new(), own_txn),
        };
        if let Some(outer) = frames.last_mut() {
            outer.line = e.span.line;
        }
        frames.push(frame);
        self.instances += 1;
        let child = Instance {
            unit: target.unit,
            func: callee,
            map: vec![None; callee.effects.len()],
            reached: vec![None; callee.effects.len()],
            entry_turn: self.turn_of(e.turn, inst),
            txns: Vec::new(),
            turn_base: self.instances << 20,
            start: self.out.effects.len(),
            receiver: receiver(site, inst.receiver.as_deref()),
            derived: Some(site.derived.clone()),
            assigned: site.assigned.clone(),
            locking_calls: Default::default(),
            call: Some((span, frames, txn)),
        };
        self.stack.push(target);
        let (body, child) = self.instance(child);
        self.stack.pop();
        // What the caller tests of the call's result is what the callee returned.
        let returned: Vec<EffectId> = callee
            .returns
            .iter()
            .filter_map(|&r| child.map[r])
            .collect();
        if let [one] = returned.as_slice() {
            inst.map[id] = Some(*one);
        }
        self.out
            .passed_on
            .extend(callee.passed_on.iter().filter_map(|&p| child.map[p]));
        self.out.duplicates_handled.extend(
            callee
                .duplicates_handled
                .iter()
                .filter_map(|&d| child.map[d]),
        );
        Some(Node::Scope {
            kind: ScopeKind::Call {
                function: callee.name.clone(),
            },
            body,
        })
    }
}

/// Copies one instance's blocks into the linked function, node by node.
struct Copier<'l, 'p, 'o, 'f> {
    linker: &'l mut Linker<'p, 'o>,
    inst: &'l mut Instance<'f>,
    /// The block being filled.
    out: Block,
}

impl<'a> Visitor<'a> for Copier<'_, '_, '_, '_> {
    /// The copy of a node with nested blocks, filled in as they are copied.
    type Frame = Option<Node>;

    fn enter(&mut self, node: &'a Node) -> Option<Node> {
        let inst = &mut *self.inst;
        // Leaves are copied at once; a node with blocks is pushed once they are filled.
        let copy = match node {
            Node::Effect(id) => {
                self.linker.effect(*id, inst, &mut self.out);
                return None;
            }
            Node::Exit(span) => {
                self.out.push(Node::Exit(inst.span(*span)));
                return None;
            }
            Node::Fail(span) => {
                self.out.push(Node::Fail(inst.span(*span)));
                return None;
            }
            Node::Macro { name, span } => {
                if self.linker.project.diverges(name) {
                    self.out.push(Node::Fail(inst.span(*span)));
                }
                return None;
            }
            Node::Guard { guard, .. } => Node::Guard {
                guard: inst.guard(guard),
                then: Block::new(),
                otherwise: Block::new(),
            },
            Node::Loop(_) => Node::Loop(Block::new()),
            Node::Try {
                catches_unique_violation,
                ..
            } => Node::Try {
                body: Block::new(),
                catch: Block::new(),
                finally: Block::new(),
                catches_unique_violation: *catches_unique_violation,
            },
            Node::Scope { kind, .. } => Node::Scope {
                kind: inst.scope_kind(kind),
                body: Block::new(),
            },
        };
        Some(copy)
    }

    fn block(&mut self, copy: &mut Option<Node>, part: Part, block: &'a Block) {
        let outer = std::mem::take(&mut self.out);
        walk(self, block);
        let copied = std::mem::replace(&mut self.out, outer);
        if let Some(slot) = copy.as_mut().and_then(|c| c.block_mut(part)) {
            *slot = copied;
        }
    }

    fn leave(&mut self, copy: Option<Node>, _: &'a Node) {
        self.out.extend(copy);
    }
}

impl Instance<'_> {
    /// A span of this instance as the caller sees it: a callee's statements sit at its call.
    fn span(&self, own: Span) -> Span {
        self.call.as_ref().map_or(own, |c| c.0)
    }

    /// A guard with its tests renumbered; tests of effects that were not copied drop out.
    fn guard(&self, guard: &Guard) -> Guard {
        let tests = guard
            .tests
            .iter()
            .filter_map(|t| {
                let effect = self.map.get(t.effect).copied().flatten()?;
                Some(Test {
                    effect,
                    kind: t.kind.clone(),
                })
            })
            .collect();
        Guard {
            span: self.span(guard.span),
            tests,
            joined: guard.joined,
        }
    }

    /// A scope's kind renumbered; a closure given to a helper that holds a lock runs under it.
    fn scope_kind(&self, kind: &ScopeKind) -> ScopeKind {
        match kind {
            ScopeKind::Txn(t) => ScopeKind::Txn(self.txns[*t]),
            ScopeKind::Callback { call } => match self.locking_calls.get(call) {
                Some(helper) => ScopeKind::Lock {
                    library: helper.clone(),
                },
                None => ScopeKind::Callback {
                    call: self.map[*call].unwrap_or(*call),
                },
            },
            other => other.clone(),
        }
    }
}

/// The receiver of a method call, in the outermost caller's terms: `this.cache.get()` inside
/// a method called on `this.resolver` is a call on `this.resolver.cache`.
fn receiver(site: &crate::ir::CallSite, outer: Option<&str>) -> Option<String> {
    let (_, path) = site.path.split_last()?;
    match (path.split_first(), outer) {
        (None, _) => None,
        (Some((this, [])), outer) if this == "this" || this == "self" => outer.map(String::from),
        (Some((this, rest)), Some(outer)) if this == "this" || this == "self" => {
            Some(format!("{outer}.{}", rest.join(".")))
        }
        _ => Some(path.join(".")),
    }
}

/// A method's in-process state (`Cache::#entries`) belongs to the object it was called on:
/// two caches of one class are two maps.
fn instance_state(kind: &mut EffectKind, inst: &Instance) {
    let (Some(object), Some(owner)) = (
        &inst.receiver,
        inst.func.id.as_ref().and_then(|id| id.owner.as_ref()),
    ) else {
        return;
    };
    let resource = match kind {
        EffectKind::Read {
            resource: Some(r),
            in_process: true,
            ..
        } => r,
        EffectKind::Write {
            resource: Some(r),
            kind: WriteKind::Put { .. } | WriteKind::Delete,
            ..
        } => r,
        _ => return,
    };
    if let Some(field) = resource.name().strip_prefix(&format!("{owner}::")) {
        *resource = Resource::new(format!("{object}::{field}"));
    }
}

/// Whether a function takes a lock (an advisory lock, a lease) or runs work in a lock scope
/// (`redlock.using`): what it is given to run, runs under the lock.
pub(super) fn takes_lock(func: &FunctionIr) -> bool {
    func.effects
        .iter()
        .any(|e| matches!(e.kind, EffectKind::Lock { .. }))
        || holds_lock(&func.body)
}

fn holds_lock(block: &Block) -> bool {
    block.iter().any(|n| match n {
        Node::Scope {
            kind: ScopeKind::Lock { .. },
            ..
        } => true,
        Node::Scope { body, .. } | Node::Loop(body) => holds_lock(body),
        Node::Guard {
            then, otherwise, ..
        } => holds_lock(then) || holds_lock(otherwise),
        Node::Try {
            body,
            catch,
            finally,
            ..
        } => holds_lock(body) || holds_lock(catch) || holds_lock(finally),
        _ => false,
    })
}
