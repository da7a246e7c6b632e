//! Lowering one function's statements to IR blocks.

use super::syntax::{self, text};
use super::{Binding, FileCtx};
use crate::frontend::builder::Builder;
pub(super) use crate::frontend::val::Val;
use crate::frontend::MAX_SYNTAX_DEPTH;
use crate::ir::{Block, FunctionIr, Node as IrNode, Source, Span};
use crate::models::Language;
use std::collections::{BTreeSet, HashMap, HashSet};
use tree_sitter::Node;

pub(super) struct Lowerer<'a, 't> {
    pub ctx: &'a FileCtx<'a>,
    /// The class whose method this is.
    pub class: Option<String>,
    pub fields: HashMap<String, Binding>,
    pub locals: HashMap<String, Binding>,
    pub vars: HashMap<String, Val>,
    /// Fields assigned on variables (`order.status = 'paid'`), and whether derived.
    pub mutations: HashMap<String, Vec<(String, bool)>>,
    pub b: Builder,
    pub vals: HashMap<usize, Val>,
    /// Syntax nodes that call shapes refer to by index.
    pub nodes: Vec<Node<'t>>,
    pub inlined: Vec<usize>,
    /// Locals initialised with an object literal or a tagged template (`Prisma.sql`..``), by
    /// name: read where the local is passed.
    pub literals: HashMap<String, Node<'t>>,
    /// Error parameters of callbacks whose error means the thing looked for is absent.
    pub absent_when_set: HashSet<String>,
    /// The variable the expression being lowered is assigned to.
    pub assign_target: Option<String>,
    pub depth: usize,
}

pub(super) fn lower_function<'t>(
    ctx: &FileCtx,
    node: Node<'t>,
    class: Option<&str>,
    fields: Option<HashMap<String, Binding>>,
) -> (FunctionIr, Vec<usize>) {
    let mut l = Lowerer {
        ctx,
        class: class.map(String::from),
        fields: fields.unwrap_or_default(),
        locals: ctx.module_bindings.clone(),
        vars: HashMap::new(),
        mutations: HashMap::new(),
        b: Builder::default(),
        vals: HashMap::new(),
        nodes: Vec::new(),
        inlined: Vec::new(),
        absent_when_set: HashSet::new(),
        literals: HashMap::new(),
        assign_target: None,
        depth: 0,
    };
    l.params(node);
    let body = l.function_body(node);
    let header_end = node
        .child_by_field_name("body")
        .map_or(node.end_byte(), |b| b.start_byte());
    let id = match syntax::callable_name(node, ctx.src) {
        Some(name) => Some(crate::ir::FnName {
            name,
            owner: class
                .map(String::from)
                .or_else(|| syntax::object_owner(node, ctx.src)),
            modules: Vec::new(),
            implements: None,
        }),
        // An arrow function given to a call in a method (`items.map(async (x) =>
        // this.process(x))`) is called by no name, but its `this` is the method's.
        None if node.kind() == "arrow_function" => class.map(|c| crate::ir::FnName {
            owner: Some(c.to_string()),
            ..crate::ir::FnName::default()
        }),
        None => None,
    };
    let ir = FunctionIr {
        name: syntax::function_name(node, class, ctx.src),
        id,
        returns: std::mem::take(&mut l.b.returns),
        span: ctx
            .lines
            .span(node.start_byte(), header_end.max(node.start_byte())),
        body,
        effects: l.b.effects,
        txns: l.b.txns,
        duplicates_handled: l.b.duplicates_handled,
        passed_on: l.b.passed_on,
    };
    (ir, l.inlined)
}

impl<'a, 't> Lowerer<'a, 't> {
    pub fn span(&self, node: Node) -> Span {
        self.ctx.lines.span(node.start_byte(), node.end_byte())
    }

    pub fn text(&self, node: Node) -> &'a str {
        text(node, self.ctx.src)
    }

    /// A binary expression's operator and operands (`""` when the operator is missing).
    pub fn binary_parts(&self, node: Node<'t>) -> Option<(&'a str, Node<'t>, Node<'t>)> {
        let op = node
            .child_by_field_name("operator")
            .map_or("", |o| self.text(o));
        Some((
            op,
            node.child_by_field_name("left")?,
            node.child_by_field_name("right")?,
        ))
    }

    /// Parameters are request inputs; typed ones also tell what a receiver is.
    pub fn params(&mut self, func: Node) {
        let params = func
            .child_by_field_name("parameters")
            .or_else(|| func.child_by_field_name("parameter"));
        let Some(params) = params else { return };
        let mut names = Vec::new();
        collect_identifiers(params, self.ctx.src, &mut names);
        for name in names {
            self.vars.insert(
                name,
                Val {
                    sources: BTreeSet::from([Source::Input]),
                    ..Val::default()
                },
            );
        }
        let mut cursor = params.walk();
        for p in params.named_children(&mut cursor) {
            if let Some(pattern) = p.child_by_field_name("pattern") {
                if pattern.kind() == "identifier" {
                    let binding = syntax::binding_of(p, self.ctx.src, self.ctx.models);
                    self.bind_local(self.text(pattern).to_string(), Some(binding));
                }
            }
        }
    }

    /// The body of a function or callback as a block.
    pub fn function_body(&mut self, func: Node<'t>) -> Block {
        let mut out = Block::new();
        match func.child_by_field_name("body") {
            Some(body) if body.kind() == "statement_block" => self.statements(body, &mut out),
            Some(expr) => {
                let value = self.expr(expr, &mut out);
                self.b.pass_on(&value);
                self.b.returned(&value);
            }
            None => {}
        }
        out
    }

    pub fn statements(&mut self, block: Node<'t>, out: &mut Block) {
        let mut cursor = block.walk();
        let children: Vec<Node<'t>> = block.named_children(&mut cursor).collect();
        for stmt in children {
            self.statement(stmt, out);
        }
    }

    /// A statement as a block of its own (a branch or loop body).
    fn sub_block(&mut self, node: Option<Node<'t>>) -> Block {
        let mut out = Block::new();
        if let Some(node) = node {
            self.statement(node, &mut out);
        }
        out
    }

    fn statement(&mut self, node: Node<'t>, out: &mut Block) {
        if self.depth > MAX_SYNTAX_DEPTH {
            return;
        }
        self.depth += 1;
        match node.kind() {
            "statement_block" => self.statements(node, out),
            "expression_statement" => {
                if let Some(e) = node.named_child(0) {
                    self.expr(e, out);
                }
            }
            "lexical_declaration" | "variable_declaration" => self.declaration(node, out),
            "if_statement" => self.if_statement(node, out),
            "return_statement" | "throw_statement" => {
                let failing = node.kind() == "throw_statement";
                if let Some(e) = node.named_child(0) {
                    let value = self.expr(e, out);
                    self.b.pass_on(&value);
                    if !failing {
                        self.b.returned(&value);
                    }
                }
                let span = self.span(node);
                out.push(if failing {
                    IrNode::Fail(span)
                } else {
                    IrNode::Exit(span)
                });
            }
            "break_statement" | "continue_statement" => out.push(IrNode::Exit(self.span(node))),
            "try_statement" => self.try_statement(node, out),
            "for_statement" | "for_in_statement" | "while_statement" | "do_statement" => {
                self.loop_statement(node, out)
            }
            "switch_statement" => self.switch_statement(node, out),
            "labeled_statement" => {
                let body = node.child_by_field_name("body");
                let mut inner = self.sub_block(body);
                out.append(&mut inner);
            }
            _ => {}
        }
        self.depth -= 1;
    }

    fn declaration(&mut self, node: Node<'t>, out: &mut Block) {
        let mut cursor = node.walk();
        let declarators: Vec<Node<'t>> = node
            .named_children(&mut cursor)
            .filter(|d| d.kind() == "variable_declarator")
            .collect();
        for decl in declarators {
            let Some(name) = decl.child_by_field_name("name") else {
                continue;
            };
            let target = (name.kind() == "identifier").then(|| self.text(name).to_string());
            let value = match decl.child_by_field_name("value") {
                Some(v) => {
                    let literal = syntax::unwrap(v);
                    if let Some(t) = &target {
                        if literal.kind() == "object" || syntax::tagged_template(literal).is_some()
                        {
                            self.literals.insert(t.clone(), literal);
                        }
                    }
                    self.assign_target = target.clone();
                    let val = self.expr(v, out);
                    self.assign_target = None;
                    val
                }
                None => Val::default(),
            };
            if let Some(t) = &target {
                let binding = syntax::declared_binding(decl, self.ctx.src, self.ctx.models);
                self.bind_local(t.clone(), binding);
            }
            // `const [a, b] = await Promise.all([findA(), findB()])`: each name holds its own.
            let elements = decl
                .child_by_field_name("value")
                .and_then(|v| syntax::all_elements(v, self.ctx.src))
                .filter(|_| name.kind() == "array_pattern");
            match elements {
                Some(elements) => {
                    let mut cursor = name.walk();
                    let names: Vec<Node<'t>> = name.named_children(&mut cursor).collect();
                    for (n, e) in names.into_iter().zip(elements) {
                        let own = self.vals.get(&e.id()).cloned().unwrap_or_default();
                        self.bind_pattern(n, own);
                    }
                }
                None => self.bind_pattern(name, value),
            }
        }
    }

    /// A local name shadows any module-level binding of the same name, typed or not.
    fn bind_local(&mut self, name: String, binding: Option<super::Binding>) {
        match binding {
            Some(b) => {
                let local = super::Binding { local: true, ..b };
                self.locals.insert(name, local);
            }
            None => {
                self.locals.remove(&name);
            }
        }
    }

    pub fn bind_pattern(&mut self, pattern: Node, value: Val) {
        let mut names = Vec::new();
        collect_identifiers(pattern, self.ctx.src, &mut names);
        for n in names {
            self.mutations.remove(&n);
            self.vars.insert(n, value.clone());
        }
    }

    fn if_statement(&mut self, node: Node<'t>, out: &mut Block) {
        let Some(cond) = node.child_by_field_name("condition") else {
            return;
        };
        let guard = self.guard(cond, out);
        let then = self.branch(node.child_by_field_name("consequence"));
        let otherwise = self.branch(
            node.child_by_field_name("alternative")
                .and_then(|e| e.named_child(0)),
        );
        out.push(IrNode::Guard {
            guard,
            then,
            otherwise,
        });
    }

    /// A branch whose transaction bookkeeping (a `ROLLBACK` before `return`) only matters
    /// on its own path when it leaves.
    fn branch(&mut self, node: Option<Node<'t>>) -> Block {
        let saved = (self.b.handles.clone(), self.b.open_txns.clone());
        let block = self.sub_block(node);
        if crate::ir::exits(&block) {
            (self.b.handles, self.b.open_txns) = saved;
        }
        block
    }

    fn try_statement(&mut self, node: Node<'t>, out: &mut Block) {
        let body = self.sub_block(node.child_by_field_name("body"));
        let handler = node.child_by_field_name("handler");
        let catches_unique_violation = handler.is_some_and(|h| {
            self.ctx
                .models
                .handles_unique_violation(Language::Typescript, self.text(h))
        });
        let catch = self.branch(handler.and_then(|h| h.child_by_field_name("body")));
        let finally = self.sub_block(
            node.child_by_field_name("finalizer")
                .and_then(|f| f.named_child(0)),
        );
        out.push(IrNode::Try {
            body,
            catch,
            finally,
            catches_unique_violation,
        });
    }

    fn loop_statement(&mut self, node: Node<'t>, out: &mut Block) {
        // Headers run before the body: `for (const x of await findAll())`.
        for field in ["initializer", "right", "condition"] {
            if let Some(h) = node.child_by_field_name(field) {
                let val = self.expr(h, out);
                if field == "right" {
                    if let Some(left) = node.child_by_field_name("left") {
                        self.bind_pattern(left, val.derived());
                    }
                }
            }
        }
        let body = self.sub_block(node.child_by_field_name("body"));
        out.push(IrNode::Loop(body));
    }

    fn switch_statement(&mut self, node: Node<'t>, out: &mut Block) {
        let Some(value) = node.child_by_field_name("value") else {
            return;
        };
        let guard = self.guard(value, out);
        let Some(body) = node.child_by_field_name("body") else {
            return;
        };
        let mut cursor = body.walk();
        let cases: Vec<Node<'t>> = body.named_children(&mut cursor).collect();
        for case in cases {
            let mut then = Block::new();
            let mut c = case.walk();
            let stmts: Vec<Node<'t>> = case.children_by_field_name("body", &mut c).collect();
            for s in stmts {
                self.statement(s, &mut then);
            }
            out.push(IrNode::Guard {
                guard: guard.clone(),
                then,
                otherwise: Block::new(),
            });
        }
    }
}

/// Identifiers bound by a pattern or parameter list (`{ rows: [first] }`, `[a, b]`, `x = 1`).
pub(super) fn collect_identifiers(node: Node, src: &str, out: &mut Vec<String>) {
    match node.kind() {
        "identifier" | "shorthand_property_identifier_pattern" => {
            out.push(text(node, src).to_string())
        }
        "pair_pattern" => {
            if let Some(v) = node.child_by_field_name("value") {
                collect_identifiers(v, src, out);
            }
        }
        "assignment_pattern" | "object_assignment_pattern" => {
            if let Some(l) = node.child_by_field_name("left") {
                collect_identifiers(l, src, out);
            }
        }
        "required_parameter" | "optional_parameter" => {
            if let Some(p) = node.child_by_field_name("pattern") {
                collect_identifiers(p, src, out);
            }
        }
        "type_annotation" | "decorator" | "accessibility_modifier" => {}
        _ => {
            let mut cursor = node.walk();
            for child in node.named_children(&mut cursor) {
                collect_identifiers(child, src, out);
            }
        }
    }
}
