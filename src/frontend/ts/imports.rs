//! The names a module takes from others and gives on, for linking calls across files.

use super::syntax::{text, unquote};
use crate::ir::{ImportedName, Imports};
use tree_sitter::Node;

/// `import x, { a as b } from './m'`, `import * as ns from './m'`, `const { a } =
/// require('./m')`, `export * from './m'`, `export { a as b } from './m'`, `export default f`.
pub fn imports(root: Node, src: &str) -> Imports {
    let mut out = Imports::default();
    let mut cursor = root.walk();
    for stmt in root.children(&mut cursor) {
        match stmt.kind() {
            "import_statement" => import(stmt, src, &mut out),
            "export_statement" => export(stmt, src, &mut out),
            "lexical_declaration" | "variable_declaration" => require(stmt, src, &mut out),
            _ => {}
        }
    }
    out
}

fn source(stmt: Node, src: &str) -> Option<String> {
    let s = stmt.child_by_field_name("source")?;
    Some(unquote(text(s, src)).to_string())
}

fn import(stmt: Node, src: &str, out: &mut Imports) {
    let Some(spec) = source(stmt, src) else {
        return;
    };
    let mut cursor = stmt.walk();
    let Some(clause) = stmt
        .named_children(&mut cursor)
        .find(|c| c.kind() == "import_clause")
    else {
        return;
    };
    let mut c = clause.walk();
    for part in clause.named_children(&mut c) {
        match part.kind() {
            "identifier" => {
                out.names
                    .push(ImportedName::new(text(part, src), spec.clone(), "default"))
            }
            "namespace_import" => {
                if let Some(name) = part.named_child(0) {
                    out.names
                        .push(ImportedName::new(text(name, src), spec.clone(), "*"));
                }
            }
            "named_imports" => {
                for (local, remote) in specifiers(part, src) {
                    out.names
                        .push(ImportedName::new(local, spec.clone(), remote));
                }
            }
            _ => {}
        }
    }
}

/// `{ a, b as c }` in an import or export clause: (local name, name in the other module).
fn specifiers(list: Node, src: &str) -> Vec<(String, String)> {
    let mut cursor = list.walk();
    list.named_children(&mut cursor)
        .filter(|s| matches!(s.kind(), "import_specifier" | "export_specifier"))
        .filter_map(|s| {
            let name = text(s.child_by_field_name("name")?, src).to_string();
            let alias = s
                .child_by_field_name("alias")
                .map_or_else(|| name.clone(), |a| text(a, src).to_string());
            Some((alias, name))
        })
        .collect()
}

fn export(stmt: Node, src: &str, out: &mut Imports) {
    let mut cursor = stmt.walk();
    let children: Vec<Node> = stmt.children(&mut cursor).collect();
    let is_default = children.iter().any(|c| c.kind() == "default");
    if let Some(spec) = source(stmt, src) {
        match children.iter().find(|c| c.kind() == "export_clause") {
            Some(clause) => {
                for (exported, there) in specifiers(*clause, src) {
                    out.reexports
                        .push(ImportedName::new(exported, spec.clone(), there));
                }
            }
            None => out.reexports.push(ImportedName::new("*", spec, "*")),
        }
        return;
    }
    if is_default {
        // `export default { find, create }` names nothing: its members are looked up by name.
        let named = stmt
            .child_by_field_name("declaration")
            .and_then(|d| d.child_by_field_name("name"))
            .or_else(|| stmt.child_by_field_name("value"))
            .filter(|n| n.kind() == "identifier");
        out.default_export = named.map(|n| text(n, src).to_string());
    }
}

fn require(stmt: Node, src: &str, out: &mut Imports) {
    let mut cursor = stmt.walk();
    for decl in stmt
        .named_children(&mut cursor)
        .filter(|d| d.kind() == "variable_declarator")
    {
        let (Some(name), Some(value)) = (
            decl.child_by_field_name("name"),
            decl.child_by_field_name("value"),
        ) else {
            continue;
        };
        let Some(spec) = required(value, src) else {
            continue;
        };
        match name.kind() {
            "identifier" => out
                .names
                .push(ImportedName::new(text(name, src), spec, "*")),
            "object_pattern" => {
                let mut c = name.walk();
                for p in name.named_children(&mut c) {
                    let (local, remote) = match p.kind() {
                        "shorthand_property_identifier_pattern" => {
                            (text(p, src).to_string(), text(p, src).to_string())
                        }
                        "pair_pattern" => {
                            match (p.child_by_field_name("value"), p.child_by_field_name("key")) {
                                (Some(v), Some(k)) => {
                                    (text(v, src).to_string(), text(k, src).to_string())
                                }
                                _ => continue,
                            }
                        }
                        _ => continue,
                    };
                    out.names
                        .push(ImportedName::new(local, spec.clone(), remote));
                }
            }
            _ => {}
        }
    }
}

/// The specifier of `require('./m')`.
fn required(value: Node, src: &str) -> Option<String> {
    if value.kind() != "call_expression" {
        return None;
    }
    let callee = value.child_by_field_name("function")?;
    if text(callee, src) != "require" {
        return None;
    }
    let arg = value.child_by_field_name("arguments")?.named_child(0)?;
    (arg.kind() == "string").then(|| unquote(text(arg, src)).to_string())
}
