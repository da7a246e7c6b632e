//! Lowering one function's statements and control flow to IR blocks.

use super::macros::{self, Body};
use super::rows::{peeled, row_of, Row};
use super::syntax::{self, pat_names};
use super::FileCtx;
use crate::frontend::builder::Builder;
pub(super) use crate::frontend::val::Val;
use crate::frontend::MAX_SYNTAX_DEPTH;
use crate::ir::{Block, FnName, FunctionIr, Node as IrNode, Source};
use std::collections::{BTreeSet, HashMap, HashSet};
use syn::spanned::Spanned;
use syn::{Expr, Stmt};

pub(super) struct Lowerer<'a> {
    pub ctx: &'a FileCtx<'a>,
    pub b: Builder,
    pub vars: HashMap<String, Val>,
    /// Declared or inferred types of local names (`tx: Transaction<..>`, a guard of a
    /// `Mutex<HashMap<..>>`), for the models' receiver patterns.
    pub types: HashMap<String, String>,
    /// Locals typed by the function that made or found them (`records`): their methods may
    /// be the project's even when they hold a read's result.
    pub records: HashSet<String>,
    /// The impl or trait type the function is a method of (what `Self` names).
    pub owner: Option<String>,
    /// A local that stands for a shared value (`let mut seen = SEEN.lock().unwrap()`): the
    /// value's path, so the guard and the map are one resource.
    pub aliases: HashMap<String, String>,
    /// Values of the arguments of the call shapes built so far, by `Arg::node`.
    pub arg_vals: Vec<Val>,
    /// The chain no model knew that a local was built by (`let client =
    /// stripe.clone().with_strategy(..)`): options set on it apply to calls that pass it.
    pub built_by: HashMap<String, crate::models::CallShape>,
    /// Fields assigned on locals (`active.status = Set(..)`), and whether each new value is
    /// computed from the same field as read.
    pub mutations: HashMap<String, Vec<(String, bool)>>,
    /// Locals bound to a string literal or a `format!` template, by name.
    pub texts: HashMap<String, String>,
    /// Locals bound to a struct literal (a Diesel insertable, a SeaORM `ActiveModel`), by name.
    pub rows: HashMap<String, Row>,
    /// Struct literals written as arguments, by `Arg::node`.
    pub arg_rows: HashMap<usize, Row>,
    /// The row of the last struct literal lowered, when its fields are known.
    pub last_row: Option<Row>,
    /// The last such chain lowered.
    pub last_shape: Option<crate::models::CallShape>,
    /// The local the expression being lowered is assigned to (`let tx = pool.begin()`).
    pub assign_target: Option<String>,
    /// The columns SQL reads select, in order, by effect (a tuple row's fields).
    pub columns: HashMap<crate::ir::EffectId, Vec<String>>,
    pub depth: usize,
}

pub(super) fn lower_function(
    ctx: &FileCtx,
    id: FnName,
    sig: &syn::Signature,
    body: &syn::Block,
) -> FunctionIr {
    let mut l = Lowerer {
        ctx,
        b: Builder {
            preemptive: true,
            ..Builder::default()
        },
        vars: HashMap::new(),
        types: HashMap::new(),
        records: HashSet::new(),
        owner: id.owner.clone(),
        aliases: HashMap::new(),
        arg_vals: Vec::new(),
        built_by: HashMap::new(),
        mutations: HashMap::new(),
        texts: HashMap::new(),
        rows: HashMap::new(),
        arg_rows: HashMap::new(),
        last_row: None,
        last_shape: None,
        assign_target: None,
        columns: HashMap::new(),
        depth: 0,
    };
    for input in &sig.inputs {
        if let syn::FnArg::Typed(t) = input {
            l.param(&t.pat, Some(syntax::type_text(&t.ty)));
        }
    }
    let mut out = Block::new();
    let tail = l.block(body, &mut out);
    l.b.pass_on(&tail);
    l.b.returned(&tail);
    let header_end = body.brace_token.span.open().byte_range().start;
    let start = sig.span().byte_range().start;
    FunctionIr {
        name: match &id.owner {
            Some(owner) => format!("{owner}::{}", id.name),
            None => id.name.clone(),
        },
        id: Some(id),
        returns: std::mem::take(&mut l.b.returns),
        span: ctx.lines.span(start, header_end.max(start)),
        body: out,
        effects: l.b.effects,
        txns: l.b.txns,
        duplicates_handled: l.b.duplicates_handled,
        passed_on: l.b.passed_on,
    }
}

impl<'a> Lowerer<'a> {
    /// Parameters are request inputs; their types tell what a receiver is.
    pub fn param(&mut self, pat: &syn::Pat, ty: Option<String>) {
        let mut names = Vec::new();
        pat_names(pat, &mut names);
        for name in names {
            if let Some(ty) = &ty {
                self.types.insert(name.clone(), ty.clone());
            }
            self.vars.insert(
                name,
                Val {
                    sources: BTreeSet::from([Source::Input]),
                    ..Val::default()
                },
            );
        }
    }

    pub fn block(&mut self, block: &syn::Block, out: &mut Block) -> Val {
        self.stmts(&block.stmts, out)
    }

    fn stmts(&mut self, stmts: &[Stmt], out: &mut Block) -> Val {
        let mut last = Val::default();
        for stmt in stmts {
            last = self.stmt(stmt, out);
        }
        last
    }

    fn stmt(&mut self, stmt: &Stmt, out: &mut Block) -> Val {
        match stmt {
            Stmt::Local(local) => {
                self.local(local, out);
                Val::default()
            }
            Stmt::Expr(e, semi) => {
                let v = self.expr(e, out);
                if semi.is_some() {
                    Val::default()
                } else {
                    v
                }
            }
            Stmt::Macro(m) => self.macro_call(&m.mac, out),
            Stmt::Item(_) => Val::default(),
        }
    }

    fn local(&mut self, local: &syn::Local, out: &mut Block) {
        let Some(init) = &local.init else { return };
        let target = syntax::pat_ident(&local.pat);
        self.assign_target = target.clone();
        self.last_shape = None;
        let val = self.expr(&init.expr, out);
        self.assign_target = None;
        if let Some((_, diverge)) = &init.diverge {
            // `let Some(x) = read else { return }`: the else branch runs when it is absent.
            let guard = self.pattern_guard(&local.pat, &val, local.pat.span());
            let mut otherwise = Block::new();
            self.expr(diverge, &mut otherwise);
            out.push(IrNode::Guard {
                guard,
                then: Block::new(),
                otherwise,
            });
        }
        if let Some(t) = &target {
            let ty = syntax::pat_type(&local.pat).or_else(|| self.type_of(&init.expr));
            if let Some(entity) = ty
                .as_deref()
                .and_then(|ty| syntax::entity_module(ty, self.ctx.models))
            {
                self.aliases.insert(t.clone(), entity.to_string());
            }
            if let Some(ty) = ty {
                self.types.insert(t.clone(), ty);
            }
            if let Some(path) = self.shared_path(&init.expr) {
                self.aliases.insert(t.clone(), path);
            }
            if let Some(shape) = self.last_shape.take() {
                self.built_by.insert(t.clone(), shape);
            }
            match super::chain::literal_text(&init.expr) {
                Some(text) => self.texts.insert(t.clone(), text),
                None => self.texts.remove(t),
            };
            match (peeled(&init.expr), self.last_row.take()) {
                (Expr::Struct(_), Some(row)) => self.rows.insert(t.clone(), row),
                _ => self.rows.remove(t),
            };
        }
        self.record_type(&local.pat, &init.expr);
        self.bind(&local.pat, val);
    }

    /// Binds every name of a pattern to the value (projections keep the effect).
    pub fn bind(&mut self, pat: &syn::Pat, val: Val) {
        if self.bind_columns(pat, &val) {
            return;
        }
        let mut names = Vec::new();
        pat_names(pat, &mut names);
        for n in names {
            self.vars.insert(n, val.clone());
        }
    }

    pub fn expr(&mut self, e: &Expr, out: &mut Block) -> Val {
        if self.depth > MAX_SYNTAX_DEPTH {
            return Val::default();
        }
        self.depth += 1;
        let v = self.expr_inner(e, out);
        self.depth -= 1;
        v
    }

    fn expr_inner(&mut self, e: &Expr, out: &mut Block) -> Val {
        match e {
            Expr::Await(a) => self.await_expr(a, out),
            Expr::Paren(p) => self.expr(&p.expr, out),
            Expr::Group(g) => self.expr(&g.expr, out),
            Expr::Reference(r) => self.expr(&r.expr, out),
            Expr::Cast(c) => self.expr(&c.expr, out),
            Expr::Unary(u) => {
                let v = self.expr(&u.expr, out);
                if matches!(u.op, syn::UnOp::Deref(_)) {
                    v
                } else {
                    v.derived()
                }
            }
            Expr::Try(t) => self.try_expr(t, out),
            // `f()(x)`, `fut.await(x)`: a call of a computed function is no chain of its own
            // (a chain would root at this call again): the function, then the arguments.
            Expr::Call(c) if !matches!(&*c.func, Expr::Path(_)) => {
                let mut v = self.expr(&c.func, out);
                for arg in &c.args {
                    let a = self.expr(arg, out);
                    v.merge(a);
                }
                v
            }
            Expr::MethodCall(_) | Expr::Call(_) | Expr::Path(_) | Expr::Field(_) => {
                self.chain(e, out)
            }
            Expr::Macro(m) => self.macro_call(&m.mac, out),
            Expr::Index(i) => {
                let mut v = self.expr(&i.expr, out);
                let idx = self.expr(&i.index, out);
                v.deps.extend(idx.deps);
                v
            }
            Expr::Lit(_) => Val::constant(),
            Expr::Binary(b) => {
                let mut v = self.expr(&b.left, out);
                let r = self.expr(&b.right, out);
                // `wallet.balance -= amount`: the field's new value is computed from its old.
                if compound_assignment(&b.op) {
                    self.b.pass_on(&r);
                    let left = syntax::name_of(&b.left);
                    if let Some((var, field)) = left.as_deref().and_then(|p| p.rsplit_once('.')) {
                        self.mutations
                            .entry(var.to_string())
                            .or_default()
                            .push((field.to_string(), true));
                    }
                }
                v.merge(r);
                v.derived()
            }
            Expr::Assign(a) => self.assign(a, out),
            Expr::If(i) => self.if_expr(i, out),
            Expr::Match(m) => self.match_expr(m, out),
            Expr::Block(b) => self.block(&b.block, out),
            Expr::Unsafe(u) => self.block(&u.block, out),
            Expr::Async(a) => self.block(&a.block, out),
            Expr::TryBlock(t) => self.block(&t.block, out),
            Expr::Closure(c) => self.closure(c, out).derived(),
            Expr::ForLoop(f) => self.for_loop(f, out),
            Expr::While(w) => self.while_loop(w, out),
            Expr::Loop(l) => {
                let mut body = Block::new();
                self.block(&l.body, &mut body);
                out.push(IrNode::Loop(body));
                Val::default()
            }
            Expr::Return(r) => self.return_expr(r, out),
            Expr::Break(b) => {
                if let Some(e) = &b.expr {
                    self.expr(e, out);
                }
                out.push(IrNode::Exit(self.ctx.span(b.span())));
                Val::default()
            }
            Expr::Continue(c) => {
                out.push(IrNode::Exit(self.ctx.span(c.span())));
                Val::default()
            }
            Expr::Struct(s) => {
                let mut v = Val::default();
                let mut fields = Vec::new();
                for f in &s.fields {
                    let inner = self.expr(&f.expr, out);
                    fields.push(inner.clone());
                    v.merge(inner);
                }
                if let Some(rest) = &s.rest {
                    let inner = self.expr(rest, out);
                    v.merge(inner);
                }
                self.last_row = row_of(s, &fields);
                v
            }
            Expr::Tuple(t) => self.all(t.elems.iter(), out),
            Expr::Array(a) => self.all(a.elems.iter(), out),
            Expr::Repeat(r) => self.expr(&r.expr, out),
            Expr::Range(r) => self.all(r.start.iter().chain(r.end.iter()).map(|b| &**b), out),
            Expr::Let(l) => self.expr(&l.expr, out),
            _ => Val::default(),
        }
    }

    /// `fut.await`: other requests may run from here on, and the awaited call finishes here.
    fn await_expr(&mut self, a: &syn::ExprAwait, out: &mut Block) -> Val {
        let before = self.b.effects.len();
        let v = self.expr(&a.base, out);
        let call = match &*a.base {
            Expr::Call(c) => Some(syntax::tokens_text(&c.func)),
            Expr::MethodCall(m) => Some(match syntax::name_of(&m.receiver) {
                Some(receiver) => format!("{receiver}.{}", m.method),
                None => m.method.to_string(),
            }),
            _ => None,
        };
        let span = self.ctx.span(a.base.span());
        self.b.awaited(before, call.map(|c| (c, span)), out);
        v
    }

    /// `x = v`, `active.field = Set(..)`: a variable rebound, or a field written back on save.
    fn assign(&mut self, a: &syn::ExprAssign, out: &mut Block) -> Val {
        let v = self.expr(&a.right, out);
        match syntax::name_of(&a.left) {
            // A result's variable given a fallback holds a value used on, not a flag.
            Some(name) if !name.contains('.') => {
                if let Some(old) = self.vars.insert(name, v) {
                    self.b.pass_on(&old);
                }
            }
            // `active.balance = Set(found.balance - amount)`: written back on save.
            Some(path) => {
                self.b.pass_on(&v);
                if let Some((var, field)) = path.rsplit_once('.') {
                    let derived = !v.deps.is_empty()
                        && v.fields
                            .iter()
                            .any(|(_, f)| crate::ir::same_field(f, field));
                    self.mutations
                        .entry(var.to_string())
                        .or_default()
                        .push((field.to_string(), derived));
                }
            }
            None => {}
        }
        Val::default()
    }

    /// A closure runs zero or more times, later or now: its effects are a loop body. The
    /// value is what it returns.
    pub fn closure(&mut self, c: &syn::ExprClosure, out: &mut Block) -> Val {
        let mut body = Block::new();
        for p in &c.inputs {
            self.param(p, None);
        }
        let v = self.expr(&c.body, &mut body);
        out.push(IrNode::Loop(body));
        v
    }

    /// `for x in iter { .. }`: the body runs zero or more times.
    fn for_loop(&mut self, f: &syn::ExprForLoop, out: &mut Block) -> Val {
        let iter = self.expr(&f.expr, out);
        self.record_type(&f.pat, &f.expr);
        self.bind(&f.pat, iter.derived());
        let mut body = Block::new();
        self.block(&f.body, &mut body);
        out.push(IrNode::Loop(body));
        Val::default()
    }

    /// `while cond { .. }`: each round tests the condition, then runs the body.
    fn while_loop(&mut self, w: &syn::ExprWhile, out: &mut Block) -> Val {
        let mut body = Block::new();
        let guard = self.guard(&w.cond, &mut body);
        let mut inner = Block::new();
        self.block(&w.body, &mut inner);
        body.push(IrNode::Guard {
            guard,
            then: inner,
            otherwise: Block::new(),
        });
        out.push(IrNode::Loop(body));
        Val::default()
    }

    /// `return v`: leaves the function, failing when `v` is an `Err(..)`.
    fn return_expr(&mut self, r: &syn::ExprReturn, out: &mut Block) -> Val {
        if let Some(e) = &r.expr {
            let v = self.expr(e, out);
            self.b.pass_on(&v);
            self.b.returned(&v);
        }
        let span = self.ctx.span(r.span());
        let error = r.expr.as_deref().is_some_and(syntax::is_err);
        out.push(if error {
            IrNode::Fail(span)
        } else {
            IrNode::Exit(span)
        });
        Val::default()
    }

    pub fn all<'e>(&mut self, exprs: impl Iterator<Item = &'e Expr>, out: &mut Block) -> Val {
        let mut v = Val::default();
        for e in exprs {
            let inner = self.expr(e, out);
            v.merge(inner);
        }
        v
    }

    /// A macro's content, lowered where the macro is called: its expressions, its statements,
    /// or its alternative blocks. Content that is no Rust stays opaque.
    pub fn macro_call(&mut self, mac: &syn::Macro, out: &mut Block) -> Val {
        if self.depth > MAX_SYNTAX_DEPTH {
            return Val::default();
        }
        self.depth += 1;
        let v = match macros::body(mac) {
            Some(Body::Exprs(args)) => self.macro_args(mac, &args, out),
            Some(Body::Stmts(stmts)) => self.stmts(&stmts, out),
            Some(Body::Arms(arms)) => self.alternatives(&arms, self.ctx.span(mac.span()), out),
            None => Val::default(),
        };
        self.depth -= 1;
        v
    }

    /// A macro whose body is a list of expressions: its calls are lowered; `format!` of
    /// request data is a value built from its arguments.
    fn macro_args(&mut self, mac: &syn::Macro, args: &[Expr], out: &mut Block) -> Val {
        let name = mac
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        let span = self.ctx.span(mac.path.span());
        if name == "ensure" {
            // `ensure!(cond, err)` returns the error unless the condition holds.
            if let Some(cond) = args.first() {
                let guard = self.guard(cond, out);
                out.push(IrNode::Guard {
                    guard,
                    then: Block::new(),
                    otherwise: vec![IrNode::Fail(span)],
                });
            }
            return Val::default();
        }
        let mut v = self.all(args.iter(), out);
        // `format!("sub-{account_id}-{nonce:016x}")` reads the locals it names.
        if let Some(syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        })) = args.first()
        {
            for name in macros::captured_names(&s.value()) {
                if let Some(captured) = self.vars.get(&name).cloned() {
                    v.merge(captured);
                }
            }
        }
        if macros::DIVERGING.contains(&name.as_str()) {
            out.push(IrNode::Fail(span));
        } else if macros::may_be_projects(&name) {
            out.push(IrNode::Macro {
                name: name.clone(),
                span,
            });
        }
        if name == "format" || name == "concat" {
            v.derived()
        } else {
            v
        }
    }

    /// Blocks of which exactly one is compiled in (`db_run!`'s arm per database backend): one
    /// choice between them, like a `match`, so every path runs one arm's effects. Lowered in
    /// sequence they would run every backend's insert one after the other, duplicates no build
    /// ever makes.
    fn alternatives(&mut self, arms: &[syn::Block], span: crate::ir::Span, out: &mut Block) -> Val {
        let mut v = Val::default();
        let mut bodies = Vec::with_capacity(arms.len());
        for arm in arms {
            let mut body = Block::new();
            let r = self.block(arm, &mut body);
            v.join(r);
            bodies.push(body);
        }
        let mut rest = bodies.pop().unwrap_or_default();
        for then in bodies.into_iter().rev() {
            rest = vec![IrNode::Guard {
                guard: crate::ir::Guard::new(span, Vec::new()),
                then,
                otherwise: rest,
            }];
        }
        out.extend(rest);
        v
    }

    fn if_expr(&mut self, i: &syn::ExprIf, out: &mut Block) -> Val {
        let mut evaluated = Block::new();
        let guard = self.guard(&i.cond, &mut evaluated);
        let handles_error = matches!(&*i.cond, Expr::Let(l) if syntax::pat_variant(&l.pat).as_deref() == Some("Err"));
        if handles_error {
            let text = syntax::tokens_text(&i.then_branch);
            self.handled_duplicates(evaluated, &text, out);
        } else {
            out.extend(evaluated);
        }
        let mut then = Block::new();
        let mut v = self.block(&i.then_branch, &mut then);
        let mut otherwise = Block::new();
        if let Some((_, e)) = &i.else_branch {
            let o = self.expr(e, &mut otherwise);
            v.join(o);
        }
        out.push(IrNode::Guard {
            guard,
            then,
            otherwise,
        });
        v
    }

    fn match_expr(&mut self, m: &syn::ExprMatch, out: &mut Block) -> Val {
        let mut evaluated = Block::new();
        let scrutinee = self.expr(&m.expr, &mut evaluated);
        let arms_text = syntax::tokens_text(&m.arms.iter().map(|a| (&a.pat, &a.guard)).fold(
            proc_macro2::TokenStream::new(),
            |mut ts, (pat, guard)| {
                quote::ToTokens::to_tokens(pat, &mut ts);
                if let Some((_, g)) = guard {
                    quote::ToTokens::to_tokens(g, &mut ts);
                }
                ts
            },
        ));
        if evaluated.is_empty() {
            // The write ran earlier and its result is examined here.
            if let Some(e) = scrutinee.effect {
                if self.handles_duplicates(&arms_text) {
                    self.b.duplicates_handled.push(e);
                }
            }
        }
        self.handled_duplicates(evaluated, &arms_text, out);
        let mut v = Val::default();
        // Each arm is a branch that runs when its pattern (and its `if`) matches: a chain of
        // guards, each in the previous one's `else`. A guarded arm tests both at once, since
        // the next arm also runs when the pattern matched but the `if` did not.
        let mut arms: Vec<(Block, crate::ir::Guard, Block)> = Vec::new();
        for arm in &m.arms {
            let mut guard = self.pattern_guard(&arm.pat, &scrutinee, arm.pat.span());
            self.record_type(&arm.pat, &m.expr);
            self.bind(&arm.pat, scrutinee.clone());
            let mut before = Block::new();
            if let Some((_, cond)) = &arm.guard {
                let g = self.guard(cond, &mut before);
                guard.tests.extend(g.tests);
            }
            let mut body = Block::new();
            let r = self.expr(&arm.body, &mut body);
            v.join(r);
            arms.push((before, guard, body));
        }
        let mut rest = Block::new();
        for ((mut before, guard, body), arm) in arms.into_iter().zip(&m.arms).rev() {
            // An arm every value reaches (`_ => return Err(..)`) is what runs when no earlier
            // arm matched: the earlier arms' `else`, not a branch of its own.
            if arm.guard.is_none() && syntax::irrefutable(&arm.pat) {
                before.extend(body);
            } else {
                before.push(IrNode::Guard {
                    guard,
                    then: body,
                    otherwise: rest,
                });
            }
            rest = before;
        }
        out.extend(rest);
        v
    }

    /// The statement that evaluated a write whose duplicate-key error the code handles
    /// (`Err(e) if e.is_unique_violation()`) runs as in a try block that catches it.
    pub fn handled_duplicates(&mut self, evaluated: Block, handler: &str, out: &mut Block) {
        if self.handles_duplicates(handler) {
            out.push(IrNode::Try {
                body: evaluated,
                catch: Block::new(),
                finally: Block::new(),
                catches_unique_violation: true,
            });
        } else {
            out.extend(evaluated);
        }
    }

    fn handles_duplicates(&self, handler: &str) -> bool {
        let models = self.ctx.models;
        models.handles_unique_violation(crate::models::Language::Rust, handler)
    }

    /// `expr?`: an `Option` turned into an error (`.ok_or(..)?`, `.context(..)?`) leaves the
    /// function when the value is absent, like `if x.is_none() { return Err(..) }`.
    fn try_expr(&mut self, t: &syn::ExprTry, out: &mut Block) -> Val {
        if let Expr::MethodCall(m) = &*t.expr {
            let method = m.method.to_string();
            if self
                .ctx
                .models
                .is_absent_error(crate::models::Language::Rust, &method)
            {
                let v = self.expr(&m.receiver, out);
                for a in &m.args {
                    self.expr(a, out);
                }
                if let Some(e) = v.effect {
                    out.push(IrNode::Guard {
                        guard: crate::ir::Guard::new(
                            self.ctx.span(t.span()),
                            vec![crate::ir::Test::presence(e, true)],
                        ),
                        then: Block::new(),
                        otherwise: vec![IrNode::Fail(self.ctx.span(t.question_token.span))],
                    });
                }
                return v;
            }
        }
        self.expr(&t.expr, out)
    }
}

/// `+=`, `-=`, `*=`, ..: an assignment whose new value is computed from the old one.
fn compound_assignment(op: &syn::BinOp) -> bool {
    use syn::BinOp::*;
    matches!(
        op,
        AddAssign(_)
            | SubAssign(_)
            | MulAssign(_)
            | DivAssign(_)
            | RemAssign(_)
            | BitXorAssign(_)
            | BitAndAssign(_)
            | BitOrAssign(_)
            | ShlAssign(_)
            | ShrAssign(_)
    )
}
