//! TypeScript/JavaScript front-end: tree-sitter syntax to the effect IR, one function at a time.

mod chain;
mod cond;
mod expr;
mod imports;
mod lower;
mod repair;
pub(crate) mod syntax;

use super::{LineIndex, MAX_SYNTAX_DEPTH};
use crate::budget::Deadline;
use crate::ir::{FileIr, FileNote};
use crate::models::{FileModels, Language, Models};
use std::collections::{HashMap, HashSet};
use tree_sitter::{Node, Parser};

/// What a class's fields are known to hold, from constructor parameters and field types.
#[derive(Clone, Debug, Default)]
pub(crate) struct Binding {
    pub declared_type: Option<String>,
    pub resource: Option<String>,
    /// A parameter or a variable of the function being lowered, not module-level state.
    pub local: bool,
}

pub(crate) struct FileCtx<'a> {
    pub src: &'a str,
    pub lines: LineIndex<'a>,
    pub models: &'a Models,
    /// The libraries in the order the file's calls are classified against them (those whose
    /// modules it imports or requires first), with what they say of locks.
    pub libraries: FileModels<'a>,
    /// The names it takes from them.
    pub imported: crate::ir::Imports,
    /// Module-level variables whose declaration shows what they hold.
    pub module_bindings: HashMap<String, Binding>,
    /// Module-level constants that evaluate to a number (`const TTL = 15 * 60`), as digits.
    pub constants: HashMap<String, String>,
    /// Classes the file declares at top level.
    pub classes: HashSet<String>,
    /// Module-level names bound to a literal (`const PLANS = ['pro'] as const`): data.
    pub literals: HashSet<String>,
}

/// Globals of the JavaScript runtime: capitalised, but no model of the project's.
const GLOBALS: &[&str] = &[
    "Array",
    "Atomics",
    "BigInt",
    "Buffer",
    "Date",
    "Intl",
    "JSON",
    "Map",
    "Math",
    "Number",
    "Object",
    "Promise",
    "Proxy",
    "Reflect",
    "RegExp",
    "Set",
    "String",
    "Symbol",
    "URL",
    "URLSearchParams",
    "WeakMap",
    "WeakSet",
];

impl FileCtx<'_> {
    /// Whether a capitalised name cannot be one of the project's model classes: it comes
    /// from a package, is a runtime global, or names a literal the module declares.
    pub fn is_not_model(&self, name: &str) -> bool {
        self.is_from_package(name) || GLOBALS.contains(&name) || self.literals.contains(name)
    }

    /// Whether the name is imported from a package rather than from the project (a relative
    /// path or an alias such as `@/lib`, `~/db`, `#models`).
    pub fn is_from_package(&self, name: &str) -> bool {
        self.imported.names.iter().any(|n| {
            n.here == name
                && ![".", "/", "@/", "~", "#"]
                    .iter()
                    .any(|p| n.module.starts_with(p))
        })
    }
}

/// Parses a file whose grammar gaps are repaired (`repair`) at most this many times: a repair
/// can bring the next gap in the same statement to light.
const REPAIR_PASSES: usize = 3;

/// The syntax tree of a file, or why there is none. Where the grammar fails on code TypeScript
/// accepts, the tree is that of the repaired text, whose offsets and lines are the file's.
pub(crate) fn parse(
    tsx: bool,
    text: &str,
    deadline: Deadline,
) -> Result<tree_sitter::Tree, &'static str> {
    let mut parser = Parser::new();
    let language = if tsx {
        tree_sitter_typescript::LANGUAGE_TSX
    } else {
        tree_sitter_typescript::LANGUAGE_TYPESCRIPT
    };
    parser
        .set_language(&language.into())
        .map_err(|_| "the TypeScript grammar could not be loaded")?;
    let mut stop = |_: &tree_sitter::ParseState| deadline.passed();
    let mut parse = |bytes: &[u8]| {
        parser
            .parse_with_options(
                &mut |at, _| &bytes[at.min(bytes.len())..],
                None,
                Some(tree_sitter::ParseOptions::new().progress_callback(&mut stop)),
            )
            .ok_or("the parser gave up on this file")
    };
    let mut tree = parse(text.as_bytes())?;
    let mut bytes = text.as_bytes().to_vec();
    for _ in 0..REPAIR_PASSES {
        if !repair::repair(tree.root_node(), &mut bytes) {
            break;
        }
        tree = parse(&bytes)?;
    }
    Ok(tree)
}

/// Parses and drops the tree (the benchmark's parse-only floor).
pub fn parse_only(tsx: bool, text: &str) {
    let _ = parse(tsx, text, Deadline::NONE);
}

/// `tsx`: parse with the TSX grammar (TSX, JSX and JavaScript) rather than TypeScript's.
/// `libraries`: import specifiers of libraries whose clients the file imports from the
/// project's own modules (`import { db } from '@/lib/db'` of a Drizzle client), tried first as
/// if the file imported them itself.
pub fn lower_file(
    tsx: bool,
    text: &str,
    models: &Models,
    deadline: Deadline,
    libraries: &[String],
) -> FileIr {
    let mut out = FileIr::default();
    let tree = match parse(tsx, text, deadline) {
        Ok(tree) => tree,
        Err(message) => {
            out.notes.push(FileNote {
                span: None,
                message: message.into(),
            });
            return out;
        }
    };
    let root = tree.root_node();
    let imported = imports::imports(root, text);
    let mut specifiers: Vec<String> = imported
        .names
        .iter()
        .chain(&imported.reexports)
        .map(|n| &n.module)
        .cloned()
        .collect();
    specifiers.dedup();
    specifiers.extend(libraries.iter().cloned());
    out.made_by_import = made_by_import(root, text, &imported);
    let ctx = FileCtx {
        src: text,
        lines: LineIndex::new(text),
        models,
        libraries: models.for_file(Language::Typescript, &specifiers),
        imported,
        module_bindings: module_bindings(root, text, models),
        constants: constants(root, text),
        classes: classes(root, text),
        literals: literals(root, text),
    };
    if root.has_error() {
        let span = first_error(root).map(|n| ctx.lines.span(n.start_byte(), n.end_byte()));
        out.notes.push(FileNote {
            span,
            message: "syntax error; analysed what the parser recovered".into(),
        });
    }
    let mut inlined = HashSet::new();
    let mut stack = vec![(root, None::<String>, 0usize)];
    // Document order, outer functions first, so callbacks inlined by an outer function are
    // known before they are reached.
    let mut functions = Vec::new();
    while let Some((node, class, depth)) = stack.pop() {
        if depth > MAX_SYNTAX_DEPTH {
            out.notes.push(FileNote {
                span: Some(ctx.lines.span(node.start_byte(), node.end_byte())),
                message: format!(
                    "nesting deeper than {MAX_SYNTAX_DEPTH} levels; the rest was skipped"
                ),
            });
            continue;
        }
        let class = if node.kind() == "class_declaration" || node.kind() == "class" {
            node.child_by_field_name("name")
                .map(|n| syntax::text(n, text).to_string())
                .or(class)
        } else {
            class
        };
        if syntax::is_function(node) {
            functions.push((node, class.clone()));
        }
        let mut cursor = node.walk();
        let children: Vec<Node> = node.children(&mut cursor).collect();
        for child in children.into_iter().rev() {
            stack.push((child, class.clone(), depth + 1));
        }
    }
    let mut classes: HashMap<String, HashMap<String, Binding>> = HashMap::new();
    for (node, class) in &functions {
        if deadline.passed() {
            break;
        }
        if inlined.contains(&node.id()) {
            continue;
        }
        let fields = class.as_ref().map(|c| {
            classes
                .entry(c.clone())
                .or_insert_with(|| class_fields(*node, text, models))
                .clone()
        });
        let (ir, callbacks) = lower::lower_function(&ctx, *node, class.as_deref(), fields);
        inlined.extend(callbacks);
        out.functions.push(ir);
    }
    out.imports = ctx.imported;
    out
}

fn first_error(root: Node) -> Option<Node> {
    let mut cursor = root.walk();
    let mut node = root;
    loop {
        if node.is_error() || node.is_missing() {
            return Some(node);
        }
        let next = node
            .children(&mut cursor)
            .find(|c| c.has_error() || c.is_error() || c.is_missing())?;
        node = next;
    }
}

/// `const queue = new Queue(..)`, `const stripe: Stripe = ..`, `export const repo = ..`.
fn module_bindings(root: Node, src: &str, models: &Models) -> HashMap<String, Binding> {
    let mut out = HashMap::new();
    for d in top_level_declarators(root) {
        let name = d
            .child_by_field_name("name")
            .filter(|n| n.kind() == "identifier");
        if let (Some(name), Some(b)) = (name, syntax::declared_binding(d, src, models)) {
            out.insert(syntax::text(name, src).to_string(), b);
        }
    }
    out
}

/// `const db = drizzle(pool)`, `export const prisma = globalThis.prisma ?? new PrismaClient()`:
/// module-level variables and the imported name whose call or construction made them.
fn made_by_import(root: Node, src: &str, imported: &crate::ir::Imports) -> Vec<(String, String)> {
    let is_imported = |name: &str| imported.names.iter().any(|n| n.here == name);
    let mut out = Vec::new();
    for d in top_level_declarators(root) {
        let name = d
            .child_by_field_name("name")
            .filter(|n| n.kind() == "identifier");
        let (Some(name), Some(value)) = (name, d.child_by_field_name("value")) else {
            continue;
        };
        let mut sides = vec![syntax::unwrap(value)];
        while let Some(node) = sides.pop() {
            match node.kind() {
                // `a ?? b`, `a || b`: either side may be the construction.
                "binary_expression" => sides.extend(
                    ["left", "right"]
                        .iter()
                        .filter_map(|f| node.child_by_field_name(f))
                        .map(syntax::unwrap),
                ),
                "call_expression" | "new_expression" => {
                    let callee = node
                        .child_by_field_name("function")
                        .or_else(|| node.child_by_field_name("constructor"));
                    let root = callee.map(|c| syntax::text(c, src).split('.').next().unwrap_or(""));
                    if let Some(root) = root.filter(|r| is_imported(r)) {
                        out.push((syntax::text(name, src).to_string(), root.to_string()));
                        break;
                    }
                }
                _ => {}
            }
        }
    }
    out
}

/// The `name = value` parts of the module's top-level declarations, exported or not.
fn top_level_declarators(root: Node) -> Vec<Node> {
    let mut out = Vec::new();
    let mut cursor = root.walk();
    for stmt in root.children(&mut cursor) {
        let decl = match stmt.kind() {
            "export_statement" => stmt.child_by_field_name("declaration"),
            "lexical_declaration" | "variable_declaration" => Some(stmt),
            _ => None,
        };
        let Some(decl) = decl else { continue };
        let mut c = decl.walk();
        out.extend(
            decl.named_children(&mut c)
                .filter(|d| d.kind() == "variable_declarator"),
        );
    }
    out
}

/// `class X`, `export class X`, `export default class X`.
fn classes(root: Node, src: &str) -> HashSet<String> {
    let mut out = HashSet::new();
    let mut cursor = root.walk();
    for stmt in root.children(&mut cursor) {
        let decl = match stmt.kind() {
            "export_statement" => stmt.child_by_field_name("declaration"),
            _ => Some(stmt),
        };
        let class =
            decl.filter(|d| matches!(d.kind(), "class_declaration" | "abstract_class_declaration"));
        if let Some(name) = class.and_then(|c| c.child_by_field_name("name")) {
            out.insert(syntax::text(name, src).to_string());
        }
    }
    out
}

/// `const TTL_SECONDS = 15 * 60;`, exported or not.
fn constants(root: Node, src: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for decl in top_level_declarators(root) {
        let name = decl.child_by_field_name("name");
        let value = decl.child_by_field_name("value");
        if let (Some(name), Some(value)) = (name, value) {
            if let Some(n) = crate::models::evaluate(syntax::text(value, src)) {
                out.insert(syntax::text(name, src).to_string(), n.to_string());
            }
        }
    }
    out
}

fn literals(root: Node, src: &str) -> HashSet<String> {
    let literal = |mut value: Node| {
        // `[..] as const`, `{..} satisfies Plans`
        while matches!(value.kind(), "as_expression" | "satisfies_expression") {
            match value.named_child(0) {
                Some(inner) => value = inner,
                None => break,
            }
        }
        matches!(
            value.kind(),
            "array" | "object" | "string" | "template_string" | "number"
        )
    };
    top_level_declarators(root)
        .into_iter()
        .filter(|d| d.child_by_field_name("value").is_some_and(literal))
        .filter_map(|d| d.child_by_field_name("name"))
        .map(|n| syntax::text(n, src).to_string())
        .collect()
}

/// Fields of the class enclosing `method`: constructor parameter properties and field
/// declarations, with their declared types and injected resources.
fn class_fields(method: Node, src: &str, models: &Models) -> HashMap<String, Binding> {
    let mut fields = HashMap::new();
    let Some(body) = syntax::ancestor(method, "class_body") else {
        return fields;
    };
    let mut cursor = body.walk();
    for member in body.named_children(&mut cursor) {
        match member.kind() {
            "public_field_definition" => {
                if let Some(name) = member.child_by_field_name("name") {
                    // `private seen = new Set<string>()`: the initializer tells what it holds.
                    let binding = syntax::declared_binding(member, src, models)
                        .unwrap_or_else(|| syntax::binding_of(member, src, models));
                    fields.insert(syntax::text(name, src).to_string(), binding);
                }
            }
            "method_definition"
                if member
                    .child_by_field_name("name")
                    .is_some_and(|n| syntax::text(n, src) == "constructor") =>
            {
                let Some(params) = member.child_by_field_name("parameters") else {
                    continue;
                };
                let mut c = params.walk();
                for p in params.named_children(&mut c) {
                    if let Some(name) = p.child_by_field_name("pattern") {
                        fields.insert(
                            syntax::text(name, src).to_string(),
                            syntax::binding_of(p, src, models),
                        );
                    }
                }
            }
            _ => {}
        }
    }
    fields
}
