//! Lowering expressions: values, operators (the short-circuit ones branch), assignments and
//! constructions; call chains are in `chain`.

use super::cond;
use super::lower::{Lowerer, Val};
use super::syntax;
use crate::ir::{Block, Node as IrNode, Source};
use crate::models::{Language, UnstableSource};
use tree_sitter::Node;

impl<'a, 't> Lowerer<'a, 't> {
    pub fn expr(&mut self, node: Node<'t>, out: &mut Block) -> Val {
        if self.depth > crate::frontend::MAX_SYNTAX_DEPTH {
            return Val::default();
        }
        self.depth += 1;
        let val = self.expr_inner(node, out);
        self.depth -= 1;
        self.vals.insert(node.id(), val.clone());
        val
    }

    fn expr_inner(&mut self, node: Node<'t>, out: &mut Block) -> Val {
        match node.kind() {
            // Other requests run while this one waits.
            "await_expression" | "yield_expression" => {
                let before = self.b.effects.len();
                let inner = node.named_child(0).map(syntax::unwrap);
                let v = inner.map_or_else(Val::default, |n| self.expr(n, out));
                let call = inner
                    .filter(|n| n.kind() == "call_expression")
                    .and_then(|n| n.child_by_field_name("function"))
                    .map(|f| (self.text(f).chars().take(80).collect(), self.span(f)));
                self.b.awaited(before, call, out);
                v
            }
            "parenthesized_expression"
            | "non_null_expression"
            | "as_expression"
            | "satisfies_expression"
            | "type_assertion" => node
                .named_child(0)
                .map_or_else(Val::default, |n| self.expr(n, out)),
            "call_expression" => self.call(node, out),
            "new_expression" => self.new_expression(node, out),
            "member_expression" | "subscript_expression" => {
                let object = node.child_by_field_name("object");
                let mut v = object.map_or_else(Val::default, |o| self.expr(o, out));
                let property = node.child_by_field_name("property").map(|p| self.text(p));
                if let (Some(e), Some(p)) = (
                    v.effect,
                    property.filter(|p| cond::is_field(self.ctx.models, p)),
                ) {
                    v.fields.insert((e, p.to_string()));
                }
                if let Some(index) = node.child_by_field_name("index") {
                    let i = self.expr(index, out);
                    v.deps.extend(i.all_deps());
                }
                v
            }
            "identifier" => self.vars.get(self.text(node)).cloned().unwrap_or_default(),
            "string" | "number" | "true" | "false" | "null" | "undefined" | "regex" => {
                Val::constant()
            }
            "template_string" => {
                let mut v = Val::constant();
                let mut cursor = node.walk();
                let subs: Vec<Node<'t>> = node
                    .named_children(&mut cursor)
                    .filter(|c| c.kind() == "template_substitution")
                    .collect();
                for s in subs {
                    if let Some(e) = s.named_child(0) {
                        let inner = self.expr(e, out);
                        v.merge(inner);
                    }
                }
                v
            }
            "binary_expression" => self.binary(node, out),
            "ternary_expression" => self.ternary(node, out),
            "assignment_expression" | "augmented_assignment_expression" => {
                self.assignment(node, out)
            }
            "arrow_function" | "function_expression" | "function" | "class" => Val::default(),
            _ => {
                let mut v = Val::default();
                let mut cursor = node.walk();
                let children: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
                for c in children {
                    if c.kind() == "pair" {
                        if let Some(value) = c.child_by_field_name("value") {
                            let inner = self.expr(value, out);
                            v.merge(inner);
                        }
                    } else if c.kind() == "shorthand_property_identifier" {
                        let inner = self.vars.get(self.text(c)).cloned().unwrap_or_default();
                        self.vals.insert(c.id(), inner.clone());
                        v.merge(inner);
                    } else {
                        let inner = self.expr(c, out);
                        v.merge(inner);
                    }
                }
                v
            }
        }
    }

    fn binary(&mut self, node: Node<'t>, out: &mut Block) -> Val {
        let Some((op, left, right)) = self.binary_parts(node) else {
            return Val::default();
        };
        if matches!(op, "&&" | "||" | "??") && contains_call(right) {
            // `existing ?? await create()` runs the right side only on one outcome.
            let guard = self.guard(left, out);
            let mut branch = Block::new();
            let mut v = self.vals.get(&left.id()).cloned().unwrap_or_default();
            let r = self.expr(right, &mut branch);
            v.merge(r);
            let (then, otherwise) = if op == "&&" {
                (branch, Block::new())
            } else {
                (Block::new(), branch)
            };
            out.push(IrNode::Guard {
                guard,
                then,
                otherwise,
            });
            return v;
        }
        let mut v = self.expr(left, out);
        let r = self.expr(right, out);
        // `teamTemplate ?? orgTemplate`: one of two rows, which the code then tests as the
        // row it has; taken as the first, with the other among what it came from.
        if let (Some(_), Some(other), "??" | "||") = (v.effect, r.effect, op) {
            if v.deps.is_empty() && r.deps.is_empty() {
                v.deps.insert(other);
                v.sources.extend(r.sources);
                return v;
            }
        }
        v.merge(r);
        v.derived()
    }

    fn ternary(&mut self, node: Node<'t>, out: &mut Block) -> Val {
        let Some(cond) = node.child_by_field_name("condition") else {
            return Val::default();
        };
        let guard = self.guard(cond, out);
        let mut then = Block::new();
        let mut otherwise = Block::new();
        let mut v = Val::default();
        if let Some(c) = node.child_by_field_name("consequence") {
            let t = self.expr(c, &mut then);
            v.merge(t);
        }
        if let Some(a) = node.child_by_field_name("alternative") {
            let e = self.expr(a, &mut otherwise);
            v.merge(e);
        }
        out.push(IrNode::Guard {
            guard,
            then,
            otherwise,
        });
        v
    }

    fn assignment(&mut self, node: Node<'t>, out: &mut Block) -> Val {
        let compound = node.kind() == "augmented_assignment_expression";
        let Some(left) = node.child_by_field_name("left") else {
            return Val::default();
        };
        let value = node
            .child_by_field_name("right")
            .map_or_else(Val::default, |r| self.expr(r, out));
        match left.kind() {
            "identifier" => {
                let name = self.text(left).to_string();
                // A result's variable given a fallback (`if (!hit) hit = load()`) holds a
                // value used on, not a flag.
                if let Some(old) = self.vars.insert(name, value.clone()) {
                    self.b.pass_on(&old);
                }
            }
            "member_expression" => {
                self.b.pass_on(&value);
                let object = left.child_by_field_name("object").map(syntax::unwrap);
                let field = left.child_by_field_name("property").map(|p| self.text(p));
                if let (Some(object), Some(field)) = (object, field) {
                    let var = self.text(object).to_string();
                    let right = node.child_by_field_name("right");
                    let derived =
                        compound || right.is_some_and(|r| self.overwrites_from_old_value(r, field));
                    self.mutations
                        .entry(var)
                        .or_default()
                        .push((field.to_string(), derived));
                }
            }
            _ => {}
        }
        value
    }

    fn new_expression(&mut self, node: Node<'t>, out: &mut Block) -> Val {
        let mut v = Val::default();
        if let Some(args) = node.child_by_field_name("arguments") {
            let inner = self.arguments(args, out);
            v.merge(inner);
        }
        // `new Date()` reads the clock and `new ObjectId()` generates; with an argument they
        // only convert a value they were given.
        let no_args = node
            .child_by_field_name("arguments")
            .map_or(true, |a| a.named_child_count() == 0);
        if let Some(ctor) = node.child_by_field_name("constructor") {
            let path = format!("new {}", self.text(ctor));
            if no_args {
                self.add_source(&path, &mut v);
            }
            // `new AbortController()`, `new S3(config)`: an object made here.
            let class = self.text(ctor).rsplit('.').next().unwrap_or_default();
            if v.sources.iter().all(|s| !s.is_unstable())
                && !self.ctx.models.is_conversion(Language::Typescript, class)
            {
                v.made = Some(self.b.effects.len());
            }
        }
        v.derived()
    }

    fn add_source(&self, path: &str, v: &mut Val) {
        match self.ctx.models.unstable_source(Language::Typescript, path) {
            Some(UnstableSource::Clock) => {
                v.sources.insert(Source::Clock(path.to_string()));
            }
            Some(UnstableSource::Random) => {
                v.sources.insert(Source::Random(path.to_string()));
            }
            None => {}
        }
    }

    pub(super) fn arguments(&mut self, args: Node<'t>, out: &mut Block) -> Val {
        let mut v = Val::default();
        for a in syntax::call_arguments(args) {
            let inner = self.expr(a, out);
            self.b.pass_on(&inner);
            v.merge(inner);
        }
        v
    }
}

/// Whether an expression calls anything outside nested functions.
fn contains_call(node: Node) -> bool {
    let mut stack = vec![node];
    let mut seen = 0;
    while let Some(n) = stack.pop() {
        seen += 1;
        if seen > 10_000 {
            return false;
        }
        match n.kind() {
            "call_expression" | "await_expression" | "new_expression" => return true,
            "arrow_function" | "function_expression" | "function" => continue,
            _ => {}
        }
        let mut cursor = n.walk();
        stack.extend(n.named_children(&mut cursor));
    }
    false
}
