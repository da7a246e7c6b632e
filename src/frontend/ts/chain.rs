//! Lowering call chains: `a.b(x).c(y)` flattened into links, shaped for the library models
//! that classify it, and a classified call turned into effects; an unclassified one may be a
//! call of the project's own function.

use super::cond;
use super::lower::{Lowerer, Val};
use super::syntax::{self, unquote};
use crate::frontend::builder::{chain_sources, window_in_args, CallFacts};
use crate::frontend::project::{project_call, ProjectCall};
use crate::ir::{
    Block, Derived, Effect, EffectKind, Isolation, Key, Node as IrNode, Resource, ScopeKind,
    Source, WriteKind,
};
use crate::models::filter;
use crate::models::schema::CallbackResult;
use crate::models::{
    Arg, ArgValue, CallModel, CallShape, Classified, EffectModel, Language, Segment,
};
use tree_sitter::Node;

/// One link of a call chain in syntax: `name`, its arguments when called, and its node.
struct Link<'t> {
    name: String,
    args: Option<Node<'t>>,
}

impl<'a, 't> Lowerer<'a, 't> {
    pub(super) fn call(&mut self, node: Node<'t>, out: &mut Block) -> Val {
        // `work().catch((err) => ..)`: the handler takes what `work` throws, as a `catch`
        // block would; the handler itself is a function of its own.
        if let Some(handler) = promise_catch(node, self.ctx.src) {
            let mut body = Block::new();
            let v = self.chain_call(node, &mut body);
            let text = self.text(handler);
            let catches_unique_violation = self
                .ctx
                .models
                .handles_unique_violation(Language::Typescript, text);
            out.push(IrNode::Try {
                body,
                catch: Block::new(),
                finally: Block::new(),
                catches_unique_violation,
            });
            return v;
        }
        self.chain_call(node, out)
    }

    fn chain_call(&mut self, node: Node<'t>, out: &mut Block) -> Val {
        let mut links = Vec::new();
        let root = self.flatten(node, &mut links);
        let mut v = match root {
            Some(r) => self.expr(r, out),
            None => links
                .first()
                .and_then(|l| self.vars.get(&l.name).cloned())
                .unwrap_or_default(),
        };
        let root_effect = v.effect;
        if root.is_none() {
            self.read_fields(&links, &mut v);
        }
        let mut args_val = Val::default();
        for link in &links {
            if let Some(args) = link.args {
                let a = self.arguments(args, out);
                args_val.merge(a);
            }
        }
        let shape = self.shape(&links);
        let classified = self.ctx.libraries.classify(&shape);
        match classified {
            Some(c) => {
                // The user's model of the project's own wrapper is what the user says it does.
                let project = (!c.user)
                    .then(|| self.project_method(&shape, c.trigger))
                    .flatten();
                let receiver = shape.segments[c.trigger.saturating_sub(1)]
                    .declared_type
                    .clone();
                let before = self.b.effects.len();
                let mut v = self.classified(node, &shape, c, args_val, out);
                // A method of the project's own class that a model also matches by name: the
                // project's function, when it has one.
                if let (Some(path), true) = (&project, self.b.effects.len() == before) {
                    let txn = self.b.txn_for(&shape);
                    let span = self.span(node);
                    let types = (receiver.clone(), None);
                    v.effect = Some(
                        self.b
                            .call(path.clone(), types, (&v.clone(), txn), span, out),
                    );
                }
                if let (Some(path), true) = (project, self.b.effects.len() == before + 1) {
                    let e = &mut self.b.effects[before];
                    if matches!(e.kind, EffectKind::Read { .. } | EffectKind::Write { .. }) {
                        let model = std::mem::replace(&mut e.kind, EffectKind::Unlock);
                        e.kind = EffectKind::Call(crate::ir::CallSite {
                            path,
                            receiver_type: receiver,
                            root_type: None,
                            awaited: false,
                            derived: Vec::new(),
                            assigned: Vec::new(),
                            callbacks: Vec::new(),
                            fallback: Some(Box::new(model)),
                        });
                    }
                }
                v
            }
            None => {
                v.merge(args_val);
                let models = self.ctx.models;
                chain_sources(
                    models,
                    Language::Typescript,
                    &shape,
                    &mut v,
                    self.b.effects.len(),
                );
                if let Some(written) = self.record_method(&links, root_effect, &shape, node, out) {
                    return written;
                }
                // Methods on a result still describe that result: `rows.find(..)`; a call
                // of the project's own function stands for what it returns.
                v.effect = match self.project_call(root.is_some(), &shape) {
                    Some((path, receiver)) => {
                        let txn = self.b.txn_for(&shape);
                        let span = self.span(node);
                        let id = self.b.call(path, (receiver, None), (&v, txn), span, out);
                        let callbacks = shape.segments.iter().flat_map(|s| s.args());
                        let callbacks = callbacks.filter_map(|a| {
                            matches!(a.value, ArgValue::Function { .. }).then_some(a.span.start)
                        });
                        if let EffectKind::Call(site) = &mut self.b.effects[id].kind {
                            site.callbacks.extend(callbacks);
                        }
                        Some(id)
                    }
                    None => root_effect,
                };
                v
            }
        }
    }

    /// The fields of a result a method is called on (`invite.status.toUpperCase()` computes
    /// from `status`): the properties between the variable and the first call.
    fn read_fields(&self, links: &[Link], v: &mut Val) {
        let (Some(e), Some(first)) = (v.effect, links.first()) else {
            return;
        };
        if first.args.is_some() {
            return;
        }
        for link in links.iter().skip(1).take_while(|l| l.args.is_none()) {
            if cond::is_field(self.ctx.models, &link.name) {
                v.fields.insert((e, link.name.clone()));
            }
        }
    }

    /// `this.customersRepository.create(..)` on a field whose type is a class of the project
    /// (declared here or imported from the project): the names up to the call.
    fn project_method(&self, shape: &CallShape, trigger: usize) -> Option<Vec<String>> {
        let receiver = shape.segments.get(trigger.checked_sub(1)?)?;
        let class = receiver.declared_type.as_deref()?;
        let imported = self.ctx.imported.names.iter().any(|n| n.here == class);
        let ours =
            self.ctx.classes.contains(class) || (imported && !self.ctx.is_from_package(class));
        let path: Vec<String> = shape.segments[..=trigger]
            .iter()
            .map(|s| s.name.clone())
            .collect();
        (ours && shape.segments[..trigger].iter().all(|s| !s.is_call())).then_some(path)
    }

    /// The names up to the first call, when they may name one of the project's functions:
    /// `helper(..)`, `this.method(..)`, `this.repo.find(..)` on a typed field, `imported.f(..)`.
    fn project_call(
        &self,
        has_root: bool,
        shape: &CallShape,
    ) -> Option<(Vec<String>, Option<String>)> {
        let ProjectCall { path, receiver, .. } =
            project_call(self.ctx.models, Language::Typescript, shape, has_root)?;
        let root = &path[0];
        let plausible = root == "this"
            || (path.len() == 1 && !self.vars.contains_key(root))
            || self.ctx.imported.names.iter().any(|n| n.here == *root)
            || receiver.is_some();
        plausible.then_some((path, receiver))
    }

    /// Splits `a.b(x).c(y)` into links; returns the root expression when it is not a name.
    fn flatten(&self, node: Node<'t>, links: &mut Vec<Link<'t>>) -> Option<Node<'t>> {
        let node = syntax::unwrap(node);
        match node.kind() {
            "call_expression" => {
                let func = node.child_by_field_name("function")?;
                let root = self.flatten(func, links);
                let args = node.child_by_field_name("arguments");
                match links.last_mut() {
                    Some(last) if last.args.is_none() => last.args = args,
                    _ => links.push(Link {
                        name: String::new(),
                        args,
                    }),
                }
                root
            }
            "member_expression" => {
                let root = self.flatten(node.child_by_field_name("object")?, links);
                let prop = node.child_by_field_name("property")?;
                links.push(Link {
                    name: self.text(prop).to_string(),
                    args: None,
                });
                root
            }
            "subscript_expression" => {
                let root = self.flatten(node.child_by_field_name("object")?, links);
                let index = node.child_by_field_name("index")?;
                links.push(Link {
                    name: unquote(self.text(index)).to_string(),
                    args: None,
                });
                root
            }
            "identifier" | "this" | "super" => {
                links.push(Link {
                    name: self.text(node).to_string(),
                    args: None,
                });
                None
            }
            _ => {
                links.push(Link {
                    name: String::new(),
                    args: None,
                });
                Some(node)
            }
        }
    }

    fn shape(&mut self, links: &[Link<'t>]) -> CallShape {
        let mut segments: Vec<Segment> = Vec::with_capacity(links.len());
        for (i, link) in links.iter().enumerate() {
            let binding = match i {
                0 => self.locals.get(&link.name),
                1 if links[0].name == "this" => self.fields.get(&link.name),
                _ => None,
            }
            .cloned();
            let args = link.args.map(|a| {
                syntax::call_arguments(a)
                    .into_iter()
                    .map(|n| self.arg(n, 0))
                    .collect()
            });
            segments.push(Segment {
                name: link.name.clone(),
                args,
                declared_type: binding.as_ref().and_then(|b| b.declared_type.clone()),
                local: binding.as_ref().is_some_and(|b| b.local),
                not_model: i == 0 && self.ctx.is_not_model(&link.name),
                module: false,
                bound_resource: binding.and_then(|b| b.resource),
            });
        }
        CallShape { segments }
    }

    fn arg(&mut self, node: Node<'t>, depth: usize) -> Arg {
        let node = syntax::unwrap(node);
        self.nodes.push(node);
        let handle = self.nodes.len() - 1;
        let value = if depth > 8 {
            ArgValue::Other(String::new())
        } else {
            self.arg_value(node, depth)
        };
        Arg {
            value,
            span: self.span(node),
            node: handle,
        }
    }

    fn arg_value(&mut self, node: Node<'t>, depth: usize) -> ArgValue {
        match node.kind() {
            "string" => ArgValue::Str(unquote(self.text(node)).to_string()),
            "template_string" => ArgValue::Str(template_text(node, self.ctx.src)),
            // Options or SQL built in a local first (`const opts = { idempotencyKey }`,
            // `const q = Prisma.sql`..``) are read where they are passed.
            "identifier" if depth < 4 && self.literals.contains_key(self.text(node)) => {
                let literal = self.literals[self.text(node)];
                self.arg_value(literal, depth + 1)
            }
            // A module constant stands for its number (`'EX', TTL_SECONDS`).
            "identifier" if !self.vars.contains_key(self.text(node)) => {
                match self.ctx.constants.get(self.text(node)) {
                    Some(n) => ArgValue::Other(n.clone()),
                    None => ArgValue::Path(self.text(node).to_string()),
                }
            }
            "identifier" | "member_expression" | "this" => {
                ArgValue::Path(self.text(node).to_string())
            }
            "true" => ArgValue::Bool(true),
            "false" => ArgValue::Bool(false),
            "arrow_function" | "function_expression" | "function" => {
                let params = node
                    .child_by_field_name("parameters")
                    .or_else(|| node.child_by_field_name("parameter"));
                let mut names = Vec::new();
                if let Some(p) = params {
                    super::lower::collect_identifiers(p, self.ctx.src, &mut names);
                }
                ArgValue::Function {
                    param: names.into_iter().next(),
                    text: self.text(node).chars().take(2000).collect(),
                }
            }
            "object" => {
                let mut fields = Vec::new();
                let mut cursor = node.walk();
                let children: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
                for c in children {
                    match c.kind() {
                        "pair" => {
                            let (Some(k), Some(v)) =
                                (c.child_by_field_name("key"), c.child_by_field_name("value"))
                            else {
                                continue;
                            };
                            let key = unquote(self.text(k)).to_string();
                            fields.push((key, self.arg(v, depth + 1)));
                        }
                        "shorthand_property_identifier" => {
                            let key = self.text(c).to_string();
                            fields.push((key, self.arg(c, depth + 1)));
                        }
                        _ => {}
                    }
                }
                ArgValue::Object(fields)
            }
            "new_expression" => {
                let class = node
                    .child_by_field_name("constructor")
                    .map(|c| self.text(c).to_string())
                    .unwrap_or_default();
                let args = node
                    .child_by_field_name("arguments")
                    .map_or_else(Vec::new, |a| {
                        let mut cursor = a.walk();
                        let list: Vec<Node<'t>> = a
                            .named_children(&mut cursor)
                            .filter(|n| !n.is_extra())
                            .collect();
                        list.into_iter().map(|n| self.arg(n, depth + 1)).collect()
                    });
                ArgValue::New { class, args }
            }
            _ => match syntax::tagged_template(node) {
                Some(template) => ArgValue::Str(template_text(template, self.ctx.src)),
                None => ArgValue::Other(self.text(node).chars().take(200).collect()),
            },
        }
    }

    fn classified(
        &mut self,
        node: Node<'t>,
        shape: &CallShape,
        c: Classified,
        args_val: Val,
        out: &mut Block,
    ) -> Val {
        // Point at the callee (`stripe.charges.create`), not the whole multi-line call.
        let callee_end = node
            .child_by_field_name("function")
            .map_or(node.end_byte(), |f| f.end_byte());
        let span = self.ctx.lines.span(node.start_byte(), callee_end);
        let handle_name = shape
            .segments
            .first()
            .map(|s| s.name.clone())
            .unwrap_or_default();
        let db_txn = self.b.db_txn(&c, &handle_name);
        // `this.#entries` of one class is not another class's `#entries`.
        let owner = match (&self.class, c.in_process, handle_name.as_str()) {
            (Some(class), true, "this") => Some(class),
            _ => None,
        };
        let resource = c.resource.clone().map(|r| match owner {
            Some(class) => Resource::new(format!("{class}::{r}")),
            None => Resource::new(r),
        });
        let kind = match c.effect {
            EffectModel::Insert => Some(self.insert_or_save(shape, &c, resource)),
            EffectModel::Txn | EffectModel::LockScope => {
                return self.scope(node, &c, out);
            }
            EffectModel::Commit | EffectModel::Rollback => self.b.end(&handle_name),
            EffectModel::Sql => c.sql.as_ref().and_then(|sql| {
                let clock = args_val
                    .sources
                    .iter()
                    .any(|s| matches!(s, Source::Clock(_)));
                let fresh = args_val.sources.iter().any(Source::is_unstable);
                let pool = self
                    .ctx
                    .models
                    .is_pool_handle(Language::Typescript, &handle_name);
                self.b
                    .sql_effect(sql, &handle_name, span, (clock, fresh), pool)
            }),
            EffectModel::Nothing => None,
            EffectModel::Flush => {
                let mut last = None;
                for kind in self.unit_of_work() {
                    last = Some(self.b.push_call(kind, db_txn, &c, shape, span, out));
                }
                return last.map_or_else(|| args_val.derived(), Val::result);
            }
            _ => {
                let mut facts = CallFacts {
                    clock: args_val
                        .sources
                        .iter()
                        .any(|s| matches!(s, Source::Clock(_)))
                        || window_in_args(shape),
                    random: args_val
                        .sources
                        .iter()
                        .any(|s| matches!(s, Source::Random(_))),
                    key: c.key.as_ref().map(|k| self.key(k)),
                    ..CallFacts::default()
                };
                if matches!(c.effect, EffectModel::Update | EffectModel::Conditional) {
                    (facts.sets, facts.derived) = self.assigned_values(shape, c.model, c.trigger);
                }
                facts.filter = filter::equalities(shape, c.trigger, &c.model.filter);
                facts.stored(shape, c.trigger, |a| {
                    self.vals.get(&self.nodes[a.node].id()).cloned()
                });
                self.b.simple_effect(&c, shape, resource, facts)
            }
        };
        let Some(kind) = kind else {
            return args_val.derived();
        };
        let id = self.b.push_call(kind, db_txn, &c, shape, span, out);
        if let Some(kind) = c.model.callback {
            self.result_callback(shape, &c, kind, id, out);
        }
        Val::result(id)
    }

    /// A callback that receives the result (`fs.exists(p, (found) => ..)`) is lowered where
    /// the call is, with its parameters bound to the result; it runs later, so as a loop body.
    fn result_callback(
        &mut self,
        shape: &CallShape,
        c: &Classified,
        kind: CallbackResult,
        id: usize,
        out: &mut Block,
    ) {
        let callback = shape.segments[c.trigger]
            .args()
            .iter()
            .rev()
            .find(|a| matches!(a.value, ArgValue::Function { .. }));
        let Some(func) = callback.map(|a| self.nodes[a.node]) else {
            return;
        };
        self.inlined.push(func.id());
        self.params(func);
        let mut names = Vec::new();
        if let Some(params) = func
            .child_by_field_name("parameters")
            .or_else(|| func.child_by_field_name("parameter"))
        {
            super::lower::collect_identifiers(params, self.ctx.src, &mut names);
        }
        let result = Val {
            effect: Some(id),
            ..Val::default()
        };
        match (kind, names.as_slice()) {
            (CallbackResult::Result, [found, ..]) => {
                self.vars.insert(found.clone(), result);
            }
            (CallbackResult::ErrorFirst, [err, rest @ ..]) => {
                self.vars.insert(err.clone(), result.clone());
                self.absent_when_set.insert(err.clone());
                if let Some(value) = rest.first() {
                    self.vars.insert(value.clone(), result);
                }
            }
            _ => {}
        }
        let body = self.function_body(func);
        out.push(IrNode::Loop(body));
    }

    /// `repo.save(order)` of an entity read earlier updates that row rather than inserting.
    fn insert_or_save(
        &self,
        shape: &CallShape,
        c: &Classified,
        resource: Option<Resource>,
    ) -> EffectKind {
        let arg = shape.segments[c.trigger].args().first();
        let var = arg.and_then(|a| match &a.value {
            ArgValue::Path(p) if !p.contains('.') => Some(p.clone()),
            _ => None,
        });
        let read = var
            .as_ref()
            .and_then(|v| self.vars.get(v))
            .and_then(|v| v.effect);
        match (var, read) {
            (Some(var), Some(read)) => {
                let (sets, derived) = self.mutated(&var);
                EffectKind::Write {
                    resource: self.b.effects[read].kind.resource().cloned().or(resource),
                    kind: WriteKind::Update { derived },
                    sets,
                }
            }
            _ => EffectKind::Write {
                resource,
                kind: WriteKind::Insert {
                    fresh: self.fresh_values(shape, c.model, c.trigger),
                },
                sets: self.assigned_values(shape, c.model, c.trigger).0,
            },
        }
    }

    fn mutated(&self, var: &str) -> (Vec<String>, Derived) {
        let m = self.mutations.get(var).cloned().unwrap_or_default();
        let mut derived = Derived::Nothing;
        for (field, _) in m.iter().filter(|(_, d)| *d) {
            derived.add(field);
        }
        (m.into_iter().map(|(f, _)| f).collect(), derived)
    }

    /// What a unit-of-work flush writes: an update of each variable holding a read's result
    /// whose fields were assigned, on the read's resource (in name order, to be stable).
    fn unit_of_work(&self) -> Vec<EffectKind> {
        let mut loaded: Vec<(&String, usize)> = self
            .mutations
            .keys()
            .filter_map(|var| {
                let read = self.vars.get(var)?.effect?;
                matches!(self.b.effects[read].kind, EffectKind::Read { .. }).then_some((var, read))
            })
            .collect();
        loaded.sort();
        loaded
            .into_iter()
            .map(|(var, read)| self.written_back(var, read))
            .collect()
    }

    /// The update of the row `read` loaded that writes back the fields assigned on `var`.
    fn written_back(&self, var: &str, read: usize) -> EffectKind {
        let (sets, derived) = self.mutated(var);
        EffectKind::Write {
            resource: self.b.effects[read].kind.resource().cloned(),
            kind: WriteKind::Update { derived },
            sets,
        }
    }

    /// A method of a row or document read earlier (`order.save()`, Sequelize
    /// `instance.update({..})`, `instance.increment('n')`): what the read's library says it
    /// does to that row; an update without values writes back the fields assigned on the
    /// record before it (`order.status = 'paid'; await order.save()`).
    fn record_method(
        &mut self,
        links: &[Link<'t>],
        root_effect: Option<usize>,
        shape: &CallShape,
        node: Node<'t>,
        out: &mut Block,
    ) -> Option<Val> {
        let read_id = root_effect?;
        let [var, method] = links else { return None };
        method.args?;
        let read = &self.b.effects[read_id];
        let library = match read.kind {
            EffectKind::Call(_) => None,
            _ => Some(read.library.as_str()),
        };
        let model = self.ctx.libraries.record_method(library, &method.name)?;
        let resource = read.kind.resource().cloned();
        let kind = match model.effect {
            EffectModel::Delete => EffectKind::Write {
                resource,
                kind: WriteKind::Delete,
                sets: Vec::new(),
            },
            EffectModel::Update if model.values.is_none() => self.written_back(&var.name, read_id),
            EffectModel::Update => {
                // `instance.increment('redemptions')`: the fields named.
                let named: Vec<String> = shape.segments[1]
                    .args()
                    .iter()
                    .filter_map(|a| a.as_str().map(str::to_string))
                    .collect();
                let (sets, derived) = if model.derived && !named.is_empty() {
                    let mut derived = Derived::Nothing;
                    named.iter().for_each(|f| derived.add(f));
                    (named, derived)
                } else {
                    self.assigned_values(shape, model, 1)
                };
                EffectKind::Write {
                    resource,
                    kind: WriteKind::Update { derived },
                    sets,
                }
            }
            _ => return None,
        };
        let read = &self.b.effects[read_id];
        let effect = Effect {
            span: self.span(node),
            kind,
            library: read.library.clone(),
            callee: format!("{}.{}", var.name, method.name),
            txn: read.txn,
            turn: 0,
            via: Vec::new(),
        };
        let id = self.b.push(effect, out);
        Some(Val {
            effect: Some(id),
            ..Val::default()
        })
    }

    /// The object of values a write assigns, where its model says it is.
    fn values<'s>(
        &self,
        shape: &'s CallShape,
        model: &'s CallModel,
        trigger: usize,
    ) -> Option<&'s [(String, Arg)]> {
        let trigger = &shape.segments[trigger];
        let spec = model.values.as_deref()?;
        let values = if let Some(index) = spec.strip_prefix('#') {
            index
                .parse::<usize>()
                .ok()
                .and_then(|i| trigger.args().get(i))
        } else if let Some(call) = spec.strip_suffix("()") {
            shape
                .calls_named(call)
                .next()
                .and_then(|s| s.args().first())
        } else {
            trigger.args().iter().find_map(|a| a.lookup(spec))
        };
        values.and_then(Arg::object)
    }

    /// Fields an insert sets to a value made fresh for the row (`id: randomUUID()`,
    /// `createdAt: new Date()`).
    fn fresh_values(&self, shape: &CallShape, model: &CallModel, trigger: usize) -> Vec<String> {
        let fields = self.values(shape, model, trigger).unwrap_or_default();
        fields
            .iter()
            .filter(|(_, value)| {
                self.vals
                    .get(&self.nodes[value.node].id())
                    .is_some_and(|v| v.sources.iter().any(Source::is_unstable))
            })
            .map(|(field, _)| field.clone())
            .collect()
    }

    /// Fields a write assigns and those whose new value derives from the old one.
    fn assigned_values(
        &self,
        shape: &CallShape,
        model: &CallModel,
        trigger: usize,
    ) -> (Vec<String>, Derived) {
        let model_derived = if model.derived {
            Derived::Unknown
        } else {
            Derived::Nothing
        };
        let Some(fields) = self.values(shape, model, trigger) else {
            return (vec![], model_derived);
        };
        let mut sets = Vec::new();
        let mut derived = model_derived;
        for (key, value) in fields {
            if let (Some(nested), true) = (value.object(), key.starts_with('$')) {
                // Mongo operators: `$set: { status }`, `$inc: { n: 1 }`.
                for (field, _) in nested {
                    if self.ctx.models.is_atomic_update(Language::Typescript, key) {
                        derived.add(field);
                    }
                    sets.push(field.clone());
                }
                continue;
            }
            sets.push(key.clone());
            let atomic = value.object().is_some_and(|obj| {
                obj.iter()
                    .any(|(k, _)| self.ctx.models.is_atomic_update(Language::Typescript, k))
            });
            if atomic || self.overwrites_from_old_value(self.nodes[value.node], key) {
                derived.add(key);
            }
        }
        (sets, derived)
    }

    /// A lost update needs the new value of `field` computed from its old value as read
    /// (`balance: wallet.balance - amount`); other fields of the row (its id) do not count.
    pub(super) fn overwrites_from_old_value(&self, value: Node, field: &str) -> bool {
        let from_read = self
            .vals
            .get(&value.id())
            .is_some_and(|v| v.all_deps().any(|d| self.is_read(d)));
        let text = self.text(value);
        from_read
            && (text.contains(&format!(".{field}")) || text.contains(&format!("[\"{field}\"]")))
    }

    fn is_read(&self, id: usize) -> bool {
        matches!(self.b.effects[id].kind, EffectKind::Read { .. })
    }

    fn key(&self, arg: &Arg) -> Key {
        let node = self.nodes[arg.node];
        let sources = self
            .vals
            .get(&node.id())
            .map(|v| v.sources.clone())
            .unwrap_or_default();
        Key {
            span: arg.span,
            text: self.text(node).chars().take(120).collect(),
            sources,
        }
    }

    /// A transaction or lock: callback form becomes a scope around the inlined callback;
    /// without a callback it begins a transaction on a handle.
    fn scope(&mut self, node: Node<'t>, c: &Classified, out: &mut Block) -> Val {
        let span = self.span(node);
        let info = c.txn.clone();
        let callback = info.as_ref().and_then(|i| i.callback.clone());
        let isolation = info.as_ref().map_or(Isolation::Default, |i| i.isolation);
        let is_txn = c.effect == EffectModel::Txn;
        let Some(callback) = callback else {
            if is_txn {
                // Without a callback the transaction lives on the receiver (`conn.beginTransaction()`)
                // or on the variable it is assigned to (`const trx = await knex.transaction()`).
                let handle = if c.model.handle == crate::models::schema::HandleFrom::Receiver {
                    self.receiver_root(node)
                } else {
                    self.assign_target.clone()
                };
                let id = self
                    .b
                    .begin_on_handle(handle, span, isolation, c.library, out);
                return Val {
                    effect: Some(id),
                    ..Val::default()
                };
            }
            return Val::default();
        };
        let func = self.nodes[callback.node];
        self.inlined.push(func.id());
        let param = match &callback.value {
            ArgValue::Function { param, .. } => param.clone(),
            _ => None,
        };
        let kind = self
            .b
            .callback_scope(is_txn, (span, isolation), param, c.library);
        let saved_vars = self.vars.clone();
        self.params(func);
        let body = self.function_body(func);
        self.vars.extend(saved_vars);
        if let ScopeKind::Txn(t) = kind {
            self.b.close(t);
        }
        out.push(IrNode::Scope { kind, body });
        Val::default()
    }

    fn receiver_root(&self, call: Node) -> Option<String> {
        let func = call.child_by_field_name("function")?;
        let mut node = func;
        while node.kind() == "member_expression" {
            node = node.child_by_field_name("object")?;
        }
        Some(self.text(node).to_string())
    }
}

/// A template literal's text with `${..}` holes replaced by `__hole0`, `__hole1`, ...
/// The handler of `p.catch(handler)` when `p` is a call (`work(..).catch(..)`).
fn promise_catch<'t>(call: Node<'t>, src: &str) -> Option<Node<'t>> {
    let func = call.child_by_field_name("function")?;
    let property = func.child_by_field_name("property")?;
    let object = func.child_by_field_name("object").map(syntax::unwrap)?;
    let handler = call.child_by_field_name("arguments")?.named_child(0)?;
    let is_function = matches!(
        handler.kind(),
        "arrow_function" | "function_expression" | "function"
    );
    (func.kind() == "member_expression"
        && syntax::text(property, src) == "catch"
        && object.kind() == "call_expression"
        && is_function)
        .then_some(handler)
}

fn template_text(node: Node, src: &str) -> String {
    let mut out = String::new();
    let mut at = node.start_byte() + 1;
    let end = node.end_byte().saturating_sub(1);
    let mut cursor = node.walk();
    for (i, sub) in node
        .named_children(&mut cursor)
        .filter(|c| c.kind() == "template_substitution")
        .enumerate()
    {
        out.push_str(src.get(at..sub.start_byte()).unwrap_or(""));
        out.push_str(&format!("{}{i}", crate::models::sql::HOLE_PREFIX));
        at = sub.end_byte();
    }
    out.push_str(src.get(at..end.max(at)).unwrap_or(""));
    out
}
