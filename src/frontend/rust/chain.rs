//! Call chains: `sqlx::query(..).bind(x).fetch_optional(&mut *tx)` becomes a call shape,
//! the library models classify it, and a classified call becomes an effect.

use super::combinators::keeps_result;
use super::lower::{Lowerer, Val};
use super::macros;
use super::syntax::{self, TRANSPARENT};
use crate::frontend::builder::{chain_sources, window_in_args, CallFacts};
use crate::frontend::project::{project_call, ProjectCall};
use crate::ir::{
    Block, Derived, EffectKind, Isolation, Key, Node as IrNode, Resource, ScopeKind, Source,
    WriteKind,
};
use crate::models::filter;
use crate::models::schema::HandleFrom;
use crate::models::{
    call_key, Arg, ArgValue, CallShape, Classified, EffectModel, Language, Segment,
};
use syn::spanned::Spanned;
use syn::{Expr, Lit};

/// Calls that pick an element of a result without computing anything new from it.
const PICKS: &[&str] = &[
    "into_iter",
    "iter",
    "next",
    "first",
    "last",
    "cloned",
    "copied",
];

/// Calls that map or recover from the error of the call before them.
const ERROR_HANDLERS: &[&str] = &["map_err", "or_else", "unwrap_or_else", "inspect_err"];

/// One link of a chain: a name, with arguments when it is a call.
struct Link<'e> {
    name: String,
    args: Option<Args<'e>>,
    /// Where the name ends: an effect's span runs from the chain's start to here.
    end: usize,
    /// A module or type leading a `::` path to a function.
    module: bool,
}

enum Args<'e> {
    Syntax(Vec<&'e Expr>),
    /// Parsed from a macro body.
    Macro(Vec<Expr>),
}

impl Args<'_> {
    fn exprs(&self) -> Vec<&Expr> {
        match self {
            Args::Syntax(v) => v.clone(),
            Args::Macro(v) => v.iter().collect(),
        }
    }
}

/// The declared types of a call's receiver and of its first name, when known.
type CallTypes = (Option<String>, Option<String>);

impl Lowerer<'_> {
    pub fn chain(&mut self, e: &Expr, out: &mut Block) -> Val {
        let (mut links, root) = flatten(e);
        links.reverse();
        if root.is_none() {
            self.expand_use(&mut links);
        }
        let val = match root {
            Some(r) => self.expr(r, out),
            None => links
                .first()
                .filter(|l| l.args.is_none())
                .and_then(|l| self.vars.get(&l.name).cloned())
                .unwrap_or_default(),
        };
        let mut segments = Vec::with_capacity(links.len());
        let mut closures = Vec::new();
        let mut args_val = Val::default();
        // Fields of results the arguments computed a value from (`balance - amount`); a field
        // passed as it was read (`&member.user_uuid`) is a value, not one computed from it.
        let mut computed = Val::default();
        for (i, link) in links.iter().enumerate() {
            let args = link.args.as_ref().map(|a| {
                a.exprs()
                    .into_iter()
                    .map(|arg| {
                        let arg = self.arg((i, arg), &mut closures, &mut args_val, out);
                        let v = self.arg_vals.last().filter(|v| v.effect.is_none());
                        computed
                            .fields
                            .extend(v.into_iter().flat_map(|v| v.fields.clone()));
                        arg
                    })
                    .collect()
            });
            segments.push(Segment {
                name: link.name.clone(),
                args,
                declared_type: self.declared_type(i, &link.name, root.is_some()),
                local: false,
                not_model: false,
                module: link.module,
                bound_resource: (i == 0)
                    .then(|| self.aliases.get(&link.name).cloned())
                    .flatten(),
            });
        }
        let shape = CallShape { segments };
        if let Some(c) = self.ctx.libraries.classify(&shape) {
            let start = e.span().byte_range().start;
            let span = self.ctx.lines.span(start, links[c.trigger].end.max(start));
            let mut evaluated = Block::new();
            let v = self.classified(&shape, &c, span, &args_val, &closures, &mut evaluated);
            // `.map_err(http_error_on_conflict)` after the call handles its duplicate error.
            let handler: Vec<String> = shape.segments[c.trigger + 1..]
                .iter()
                .filter(|s| ERROR_HANDLERS.contains(&s.name.as_str()))
                .flat_map(|s| s.args().iter().map(Arg::text))
                .collect();
            self.handled_duplicates(evaluated, &handler.join(" "), out);
            if let Some(v) = v {
                return v;
            }
        }
        self.last_shape = Some(shape.clone());
        let call = self
            .project_call(root.is_some(), &shape)
            .map(|(path, receiver)| {
                let start = e.span().byte_range().start;
                let called = path.len() - 1;
                let end = links[called].end.max(start);
                let span = self.ctx.lines.span(start, end);
                let txn = self.b.txn_for(&shape);
                let computed = std::mem::take(&mut computed);
                (
                    called,
                    self.b.call(path, receiver, (&computed, txn), span, out),
                )
            });
        // Closures given to a project function run inside it: linking tells whether it holds
        // a lock around them. Those given to a combinator after it, or after the result the
        // chain starts from (`found.or_else(..)`), branch on that result.
        let mut body = Block::new();
        let subject = match call {
            Some((called, id)) => Some((called + 1, id)),
            None => val.effect.map(|e| (usize::from(root.is_none()), e)),
        };
        let mut returned = None;
        for (at, closure) in closures {
            let branch = subject
                .filter(|&(from, _)| at >= from)
                .filter(|&(from, _)| {
                    keeps_result(links[from..at].iter().map(|l| (&*l.name, l.args.is_some())))
                })
                .and_then(|(_, e)| self.branch_closure(closure, &links[at].name, e, out));
            let inner = match branch {
                Some(v) => v,
                None => {
                    let into = if call.is_some() { &mut body } else { &mut *out };
                    let v = match closure {
                        Expr::Closure(c) => self.closure(c, into),
                        other => self.expr(other, into),
                    };
                    returned = v.effect;
                    v.derived()
                }
            };
            args_val.merge(inner);
        }
        let call_at = call;
        let call = call.map(|(_, id)| id);
        if let (Some(call), false) = (call, body.is_empty()) {
            out.push(IrNode::Scope {
                kind: ScopeKind::Callback { call },
                body,
            });
        }
        if let Some((called, id)) = call_at {
            self.form_fields(id, &links[called]);
        }
        let on_record = root.is_none() && links.first().is_some_and(|l| self.holds_result(&l.name));
        if let (Some(call), true) = (call, on_record) {
            self.record_assignments(call, &links[0].name);
        }
        let mut v = self.unclassified(&links, &shape, root.is_some(), val, args_val);
        // What a record's own method returns still describes the record (`t.is_open()`); a
        // function given a closure returns what the closure does (`conn.run(|c| t.first(c))`).
        if call.is_some() && !on_record {
            v.effect = returned.or(call);
        }
        v
    }

    /// A record's method call carries the fields assigned on the record so far, and those
    /// computed from their old values (`wallet.balance -= amount; wallet.save(conn)`).
    fn record_assignments(&mut self, call: crate::ir::EffectId, record: &str) {
        let assigned = self.mutations.get(record).cloned().unwrap_or_default();
        if let EffectKind::Call(site) = &mut self.b.effects[call].kind {
            for (field, from_old) in assigned {
                if from_old && !site.derived.contains(&field) {
                    site.derived.push(field.clone());
                }
                if !site.assigned.contains(&field) {
                    site.assigned.push(field);
                }
            }
        }
    }

    /// A form built as a struct literal and passed to a project function
    /// (`Post::update(pool, id, &form)`, `form = PostUpdateForm { nsfw, ..Default::default() }`)
    /// carries the fields it names: a write of the form that names no columns (`.set(form)`)
    /// sets those.
    fn form_fields(&mut self, call: crate::ir::EffectId, link: &Link) {
        let Some(args) = &link.args else { return };
        let fields: Vec<String> = args
            .exprs()
            .into_iter()
            .filter_map(|a| syntax::name_of(super::rows::peeled(a)))
            .filter_map(|name| self.rows.get(&name))
            .flat_map(|row| row.fields.iter().cloned())
            .collect();
        if let EffectKind::Call(site) = &mut self.b.effects[call].kind {
            for field in fields {
                if !site.assigned.contains(&field) {
                    site.assigned.push(field);
                }
            }
        }
    }

    fn holds_result(&self, name: &str) -> bool {
        self.vars.get(name).is_some_and(|v| v.effect.is_some())
    }

    /// The names up to the first call, when they may name one of the project's functions:
    /// `helper(..)`, `repo::find(..)`, `Self::load(..)`, `self.method(..)`, or a method on a
    /// receiver of known type (`repo: &OrderRepo`).
    fn project_call(&self, has_root: bool, shape: &CallShape) -> Option<(Vec<String>, CallTypes)> {
        let ProjectCall {
            path,
            first_call,
            receiver,
        } = project_call(self.ctx.models, Language::Rust, shape, has_root)?;
        // `Some(..)`, `Ok(..)`, `Order(..)`: constructors.
        let last = path.last()?;
        let root = &path[0];
        // A result's methods describe it (`rows.first()`), unless it is a typed record whose
        // type may be the project's (`transfer.save(conn)`).
        if last.starts_with(char::is_uppercase)
            || (self.holds_result(root) && !self.records.contains(root))
        {
            return None;
        }
        // A name that is no local: a function, a module path, `Self`, a type.
        // `state.repo.find(..)` with `state: State<AppState>`: the fields are followed when
        // linking, in whichever file declares them.
        let root_type = (receiver.is_none() && first_call >= 2)
            .then(|| shape.segments[0].declared_type.clone())
            .flatten();
        let plausible = !self.vars.contains_key(root)
            || root == "self"
            || receiver.is_some()
            || root_type.is_some();
        plausible.then_some((path, (receiver, root_type)))
    }

    /// A name imported by `use` stands for its full path (`query(..)` -> `sqlx::query(..)`).
    fn expand_use(&self, links: &mut Vec<Link>) {
        let Some(first) = links.first() else { return };
        if first.args.is_none() || self.vars.contains_key(&first.name) {
            return;
        }
        if let Some(full) = self.ctx.uses.get(&first.name) {
            let prefix = full[..full.len().saturating_sub(1)].iter().map(|n| Link {
                name: n.clone(),
                args: None,
                end: first.end,
                module: true,
            });
            let prefix: Vec<Link> = prefix.collect();
            links.splice(0..0, prefix);
        }
    }

    fn declared_type(&self, index: usize, name: &str, has_root: bool) -> Option<String> {
        if index == 0 && !has_root {
            if let Some(t) = self.types.get(name) {
                return Some(t.clone());
            }
        }
        self.ctx.types.get(name).cloned()
    }

    /// Lowers one argument (closures wait: a transaction runs them inside its scope).
    fn arg<'e>(
        &mut self,
        (link, arg): (usize, &'e Expr),
        closures: &mut Vec<(usize, &'e Expr)>,
        args_val: &mut Val,
        out: &mut Block,
    ) -> Arg {
        let v = if matches!(arg, Expr::Closure(_)) {
            closures.push((link, arg));
            Val::default()
        } else {
            self.expr(arg, out)
        };
        self.b.pass_on(&v);
        args_val.merge(v.clone());
        self.arg_vals.push(v);
        if let (Expr::Struct(_), Some(row)) = (super::rows::peeled(arg), self.last_row.take()) {
            self.arg_rows.insert(self.arg_vals.len() - 1, row);
        }
        Arg {
            value: self.resolve_text(arg_value(arg)),
            span: self.ctx.span(arg.span()),
            node: self.arg_vals.len() - 1,
        }
    }

    fn classified(
        &mut self,
        shape: &CallShape,
        c: &Classified,
        span: crate::ir::Span,
        args_val: &Val,
        closures: &[(usize, &Expr)],
        out: &mut Block,
    ) -> Option<Val> {
        let root = shape
            .segments
            .first()
            .map(|s| s.name.clone())
            .unwrap_or_default();
        let handle = c.txn_handle.clone().unwrap_or_else(|| root.clone());
        let db_txn = self.b.db_txn(c, &root);
        let resource = c.resource.clone().map(Resource::new);
        let kind = match c.effect {
            EffectModel::Txn | EffectModel::LockScope => {
                return Some(self.scope(c, span, closures, &root, out));
            }
            EffectModel::Commit | EffectModel::Rollback => self.b.end(&root),
            EffectModel::Sql => {
                let sql = c.sql.as_ref()?;
                let clock = has_source(args_val, |s| matches!(s, Source::Clock(_)));
                let fresh = has_source(args_val, Source::is_unstable);
                let on_pool = self.ctx.models.is_pool_handle(Language::Rust, &handle);
                self.b
                    .sql_effect(sql, &handle, span, (clock, fresh), on_pool)
            }
            EffectModel::Nothing | EffectModel::Flush => None,
            _ => {
                let mut facts = CallFacts {
                    clock: has_source(args_val, |s| matches!(s, Source::Clock(_)))
                        || window_in_args(shape),
                    random: has_source(args_val, |s| matches!(s, Source::Random(_))),
                    key: c
                        .key
                        .as_ref()
                        .or_else(|| self.key_from_built(c, shape))
                        .map(|k| self.key(k)),
                    ..CallFacts::default()
                };
                if matches!(c.effect, EffectModel::Update | EffectModel::Conditional) {
                    (facts.sets, facts.derived) = self.assigned_values(shape, c.trigger);
                }
                facts.filter = filter::equalities(shape, c.trigger, &c.model.filter);
                facts.stored(shape, c.trigger, |a| self.arg_vals.get(a.node).cloned());
                let mut kind = self.b.simple_effect(c, shape, resource, facts);
                if let Some(EffectKind::Write {
                    kind: WriteKind::Insert { fresh },
                    sets,
                    ..
                }) = &mut kind
                {
                    let row = self.inserted_row(shape, c.trigger, args_val);
                    (*sets, *fresh) = (row.fields, row.fresh);
                }
                kind
            }
        };
        let mut kind = kind?;
        derive_from_bound_values(&mut kind, args_val);
        let id = self.b.push_call(kind, db_txn, c, shape, span, out);
        if let Some(sql) = c.sql.as_ref().filter(|s| !s.selected.is_empty()) {
            self.columns.insert(id, sql.selected.clone());
        }
        for &(at, closure) in closures {
            let names = shape.segments[c.trigger + 1..at.max(c.trigger + 1)].iter();
            let follows = at > c.trigger && keeps_result(names.map(|s| (&*s.name, s.is_call())));
            let combinator = &shape.segments[at].name;
            let branch = follows
                .then(|| self.branch_closure(closure, combinator, id, out))
                .flatten();
            if branch.is_none() {
                self.expr(closure, out);
            }
        }
        Some(Val::result(id))
    }

    /// A transaction or lock: the callback runs inside a scope; without one the transaction
    /// lives on the variable it is assigned to (`let mut tx = pool.begin().await?`) or on the
    /// receiver.
    fn scope(
        &mut self,
        c: &Classified,
        span: crate::ir::Span,
        closures: &[(usize, &Expr)],
        root: &str,
        out: &mut Block,
    ) -> Val {
        let isolation = c.txn.as_ref().map_or(Isolation::Default, |t| t.isolation);
        let is_txn = c.effect == EffectModel::Txn;
        // Only a closure given to the call itself runs in its scope, not one of a later
        // `.map_err(|e| ..)`.
        let own = c.txn.as_ref().is_some_and(|t| t.callback.is_some());
        let Some(Expr::Closure(closure)) = closures.last().map(|&(_, c)| c).filter(|_| own) else {
            if !is_txn {
                return Val::default();
            }
            let handle = match c.model.handle {
                HandleFrom::Receiver => Some(root.to_string()),
                _ => self.assign_target.clone(),
            };
            let id = self
                .b
                .begin_on_handle(handle, span, isolation, c.library, out);
            return Val {
                effect: Some(id),
                ..Val::default()
            };
        };
        let param = closure.inputs.first().and_then(syntax::pat_ident);
        let kind = self
            .b
            .callback_scope(is_txn, (span, isolation), param, c.library);
        let mut body = Block::new();
        let v = self.expr(&closure.body, &mut body);
        if let ScopeKind::Txn(t) = kind {
            self.b.close(t);
        }
        out.push(IrNode::Scope { kind, body });
        v
    }

    /// Diesel `.set(stock.eq(stock - qty))` or `.set((a.eq(x), b.eq(y)))`, or the fields
    /// assigned on the saved value (`active.update(db)`): the columns assigned, and those whose
    /// new value reads their old one.
    fn assigned_values(&self, shape: &CallShape, trigger: usize) -> (Vec<String>, Derived) {
        let mut sets = Vec::new();
        let mut derived = Derived::Nothing;
        let Some(set) = shape.calls_named("set").next() else {
            let receiver = trigger.checked_sub(1).map(|i| &shape.segments[i]);
            let assigned = receiver
                .filter(|r| !r.is_call())
                .and_then(|r| self.mutations.get(&r.name));
            for (field, from_old) in assigned.into_iter().flatten() {
                if *from_old {
                    derived.add(field);
                }
                sets.push(field.clone());
            }
            return (sets, derived);
        };
        for arg in set.args() {
            let text = arg.text();
            for (field, value) in super::rows::eq_pairs(&text) {
                // `revision_date.eq(revision_date)` assigns a local named like the column, and
                // `uuid.eq(&self.uuid)` a field of a value as it is: neither computes from the
                // stored column.
                let value = value.trim_end_matches([')', ' ']).trim();
                let path = value
                    .trim_start_matches('&')
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '.');
                let reads_self = value != field
                    && !path
                    && value
                        .split(|c: char| !c.is_alphanumeric() && c != '_')
                        .any(|w| w == field);
                if reads_self {
                    derived.add(&field);
                }
                sets.push(field);
            }
        }
        (sets, derived)
    }

    /// A local bound to a string or a `format!` template stands for that text where it is
    /// passed (`let key = format!("idem:{id}"); .arg(&key)`, `let sql = "SELECT .."`).
    /// A local bound to a string stands for the string; a constant for its number.
    fn resolve_text(&self, value: ArgValue) -> ArgValue {
        let ArgValue::Path(name) = &value else {
            return value;
        };
        if let Some(text) = self.texts.get(name) {
            return ArgValue::Str(text.clone());
        }
        match self.ctx.constants.get(name) {
            Some(n) if !self.vars.contains_key(name) => ArgValue::Other(n.clone()),
            _ => value,
        }
    }

    /// A key set on a client the call is given (`Refund::create(&client, ..)` after
    /// `let client = stripe.with_strategy(RequestStrategy::Idempotent(key))`).
    fn key_from_built<'s>(&'s self, c: &'s Classified, shape: &CallShape) -> Option<&'s Arg> {
        let trigger = &shape.segments[c.trigger];
        let receiver = c.trigger.checked_sub(1).map(|i| &shape.segments[i]);
        let names = trigger
            .args()
            .iter()
            .filter_map(|a| match &a.value {
                ArgValue::Path(p) => Some(p.as_str()),
                _ => None,
            })
            .chain(receiver.filter(|r| !r.is_call()).map(|r| r.name.as_str()));
        let built: Vec<&CallShape> = names.filter_map(|n| self.built_by.get(n)).collect();
        c.model
            .key
            .iter()
            .find_map(|spec| built.iter().find_map(|b| call_key(spec, b)))
    }

    fn key(&self, arg: &Arg) -> Key {
        Key {
            span: arg.span,
            text: arg.text().chars().take(120).collect(),
            sources: self
                .arg_vals
                .get(arg.node)
                .map(|v| v.sources.clone())
                .unwrap_or_default(),
        }
    }

    /// A chain no model knows: a projection of its root (`order.status`) or a value computed
    /// from it and its arguments; clock and randomness calls are sources.
    fn unclassified(
        &mut self,
        links: &[Link],
        shape: &CallShape,
        has_root: bool,
        root: Val,
        args: Val,
    ) -> Val {
        // Picking from a result (`rows.into_iter().next()`, `.first()`) still describes it.
        let calls = links
            .iter()
            .any(|l| l.args.is_some() && !PICKS.contains(&l.name.as_str()));
        let mut v = root;
        let skip = usize::from(!has_root);
        if let Some(e) = v.effect {
            for l in links.iter().skip(skip).take_while(|l| l.args.is_none()) {
                v.fields.insert((e, self.column(e, &l.name)));
            }
            // `row.get("uses_left")`, `row.try_get("id")`: a column of the row read.
            if let [getter] = &shape.segments[skip..] {
                let column = getter.args().first().and_then(Arg::as_str);
                let getter_named = self.ctx.models.is_row_getter(Language::Rust, &getter.name);
                if let (true, Some(column)) = (getter_named, column) {
                    v.fields.insert((e, column.to_string()));
                    return v;
                }
            }
        }
        if calls {
            v.merge(args);
            v = v.derived();
            chain_sources(
                self.ctx.models,
                Language::Rust,
                shape,
                &mut v,
                self.b.effects.len(),
            );
        }
        v
    }

    /// The shared value a local stands for: `SEEN.lock().unwrap()` -> `SEEN`.
    pub fn shared_path(&self, init: &Expr) -> Option<String> {
        let (mut links, root) = flatten(init);
        if root.is_some() {
            return None;
        }
        links.reverse();
        let locked = links
            .iter()
            .any(|l| l.args.is_some() && self.ctx.libraries.is_lock_call(&l.name));
        if !locked {
            return None;
        }
        let names: Vec<&str> = links
            .iter()
            .take_while(|l| l.args.is_none())
            .map(|l| l.name.as_str())
            .filter(|n| *n != "self")
            .collect();
        (!names.is_empty()).then(|| names.join("."))
    }

    /// The declared type of the value an initialiser evaluates to, when it is a path
    /// through known names (a guard of `SEEN` has `SEEN`'s type).
    pub fn type_of(&self, init: &Expr) -> Option<String> {
        if let Expr::Struct(s) = init {
            return Some(syntax::path_text(&s.path));
        }
        let (mut links, root) = flatten(init);
        if root.is_some() {
            return None;
        }
        links.reverse();
        let named = links.iter().take_while(|l| l.args.is_none());
        let last = named.last()?;
        if links.len() == 1 {
            return self.types.get(&last.name).cloned();
        }
        self.ctx
            .types
            .get(&last.name)
            .or_else(|| self.types.get(&last.name))
            .cloned()
    }
}

/// `UPDATE t SET seats = $1` bound to `team.seats - 1`: a column whose new value is computed
/// from the same field of an earlier read is derived, even when the SQL text cannot show it.
fn derive_from_bound_values(kind: &mut EffectKind, args: &Val) {
    let EffectKind::Write {
        kind: WriteKind::Update { derived } | WriteKind::Conditional { derived },
        sets,
        ..
    } = kind
    else {
        return;
    };
    let computed = !args.deps.is_empty();
    for (_, field) in &args.fields {
        if computed && sets.iter().any(|s| crate::ir::same_field(s, field)) {
            derived.add(field);
        }
    }
}

fn has_source(v: &Val, f: impl Fn(&Source) -> bool) -> bool {
    v.sources.iter().any(f)
}

/// The links of a chain from the outermost call inwards, and the expression it starts from
/// when that is not a name.
fn flatten(e: &Expr) -> (Vec<Link<'_>>, Option<&Expr>) {
    let mut links = Vec::new();
    let mut cur = e;
    loop {
        match cur {
            Expr::MethodCall(m) => {
                let name = m.method.to_string();
                if !(TRANSPARENT.contains(&name.as_str()) && m.args.is_empty()) {
                    links.push(Link {
                        name,
                        args: Some(Args::Syntax(m.args.iter().collect())),
                        end: m.method.span().byte_range().end,
                        module: false,
                    });
                }
                cur = &m.receiver;
            }
            Expr::Field(f) => {
                let name = match &f.member {
                    syn::Member::Named(i) => i.to_string(),
                    syn::Member::Unnamed(i) => i.index.to_string(),
                };
                links.push(Link {
                    name,
                    args: None,
                    end: f.member.span().byte_range().end,
                    module: false,
                });
                cur = &f.base;
            }
            Expr::Await(a) => cur = &a.base,
            Expr::Paren(p) => cur = &p.expr,
            Expr::Group(g) => cur = &g.expr,
            Expr::Call(c) => match &*c.func {
                Expr::Path(p) => {
                    path_links(
                        &p.path,
                        Some(Args::Syntax(c.args.iter().collect())),
                        &mut links,
                    );
                    return (links, None);
                }
                _ => return (links, Some(cur)),
            },
            Expr::Path(p) => {
                path_links(&p.path, None, &mut links);
                return (links, None);
            }
            Expr::Macro(m) => {
                // `db_run! { conn: { .. } }.map(..)`: a body of statements or blocks is no call
                // with arguments but an expression the chain starts from.
                let Some(args) = macros::args(&m.mac) else {
                    return (links, Some(cur));
                };
                let name_at = links.len();
                path_links(&m.mac.path, Some(Args::Macro(args)), &mut links);
                if let Some(name) = links.get_mut(name_at) {
                    // `sqlx::query!` and `sqlx::query` are different calls.
                    name.name.push('!');
                }
                return (links, None);
            }
            _ => return (links, Some(cur)),
        }
    }
}

/// `sqlx::query(..)`: the path's names, the last one carrying the call's arguments; pushed
/// outermost first like the rest of the chain.
/// The names of a path, last first; those before a called function are its modules or type.
fn path_links<'e>(path: &'e syn::Path, args: Option<Args<'e>>, links: &mut Vec<Link<'e>>) {
    let call = args.is_some();
    let mut args = args;
    for (i, seg) in path.segments.iter().rev().enumerate() {
        links.push(Link {
            name: seg.ident.to_string(),
            args: args.take(),
            end: seg.ident.span().byte_range().end,
            module: call && i > 0,
        });
    }
}

/// The text of a string literal or `format!`/`concat!` template (holes as SQL-neutral
/// placeholders), or nothing for any other expression.
pub(super) fn literal_text(e: &Expr) -> Option<String> {
    match arg_value(e) {
        ArgValue::Str(s) => Some(s),
        _ => None,
    }
}

/// What an argument is, for the models: a string (SQL, a header name), a name, a struct
/// literal's fields, a closure.
fn arg_value(e: &Expr) -> ArgValue {
    match e {
        Expr::Lit(l) => match &l.lit {
            Lit::Str(s) => ArgValue::Str(s.value()),
            Lit::Bool(b) => ArgValue::Bool(b.value),
            other => ArgValue::Other(syntax::tokens_text(other)),
        },
        Expr::Macro(m) if m.mac.path.is_ident("format") || m.mac.path.is_ident("concat") => {
            match macros::args(&m.mac).as_deref() {
                Some([Expr::Lit(l), ..]) => match &l.lit {
                    Lit::Str(s) => ArgValue::Str(macros::format_template(&s.value())),
                    _ => ArgValue::Other(syntax::tokens_text(e)),
                },
                _ => ArgValue::Other(syntax::tokens_text(e)),
            }
        }
        Expr::Struct(s) => ArgValue::Object(
            s.fields
                .iter()
                .filter_map(|f| match &f.member {
                    syn::Member::Named(i) => Some((i.to_string(), field_arg(&f.expr))),
                    syn::Member::Unnamed(_) => None,
                })
                .collect(),
        ),
        Expr::Closure(c) => ArgValue::Function {
            param: c.inputs.first().and_then(syntax::pat_ident),
            text: syntax::tokens_text(&c.body),
        },
        Expr::Reference(r) => arg_value(&r.expr),
        Expr::Paren(p) => arg_value(&p.expr),
        _ => match syntax::name_of(e) {
            Some(name) => ArgValue::Path(name),
            None => ArgValue::Other(syntax::tokens_text(e)),
        },
    }
}

fn field_arg(e: &Expr) -> Arg {
    Arg {
        value: arg_value(e),
        span: crate::ir::Span::default(),
        node: usize::MAX,
    }
}
