//! Tables and keys that TypeScript/JavaScript ORM code gives the database: entity classes
//! (TypeORM, MikroORM, sequelize-typescript), model definitions (Sequelize, Mongoose,
//! Drizzle) and migrations written as code (knex, Kysely, Sequelize's queryInterface), read
//! from tree-sitter syntax.

mod drizzle;
mod knex;
mod kysely;
mod mikro_orm;
mod mongoose;
mod query_interface;
mod raw_sql;
mod sequelize;
mod typeorm;

use super::{Key, KeyKind, Predicate, Syntax, Table};
use crate::budget::{Deadline, DEFAULT_FILE_BUDGET};
use crate::frontend::ts::syntax::{text, unquote, unwrap};
use crate::frontend::{Grammar, MAX_SYNTAX_DEPTH};
use crate::ir::FieldEq;
use std::path::{Path, PathBuf};
use tree_sitter::Node;

/// The tables the TS/JS files declare, files read in the order given (migrations written as
/// code apply in path order, as SQL ones do), then the tables migrations built.
pub fn tables(files: &[PathBuf]) -> Vec<Table> {
    let mut declared = Vec::new();
    let mut migrated = Vec::new();
    for file in files {
        let tsx = match Grammar::from_path(file) {
            Some(Grammar::TypeScript) => false,
            Some(Grammar::Tsx) => true,
            _ => continue,
        };
        if let Ok(text) = std::fs::read_to_string(file) {
            read(file, &text, tsx, &mut declared, &mut migrated);
        }
    }
    declared.append(&mut migrated);
    declared
}

/// One file: most mention no ORM and are not parsed at all.
fn read(file: &Path, text: &str, tsx: bool, declared: &mut Vec<Table>, migrated: &mut Vec<Table>) {
    let has = |word: &str| text.contains(word);
    let mikro = has("@mikro-orm");
    let readers = [
        (has("@Entity") || has("EntitySchema")) && !mikro,
        mikro,
        has("sequelize"),
        has("mongoose"),
        has("drizzle-orm"),
        ["createTable", "alterTable", "createIndex", "dropTable"]
            .iter()
            .any(|w| has(w)),
        has("queryInterface"),
        has("queryRunner") || has("queryInterface") || has("knex"),
    ];
    if !readers.contains(&true) {
        return;
    }
    let deadline = Deadline::after(DEFAULT_FILE_BUDGET);
    let Ok(tree) = crate::frontend::ts::parse(tsx, text, deadline) else {
        return;
    };
    let src = Source {
        file,
        text,
        nodes: descendants(tree.root_node()),
    };
    let [typeorm, mikro, sequelize, mongoose, drizzle, migration, query_interface, raw] = readers;
    let orms = [
        (
            typeorm,
            typeorm::tables as fn(&Source) -> Vec<Table>,
            Syntax::TypeOrm,
        ),
        (mikro, mikro_orm::tables, Syntax::MikroOrm),
        (sequelize, sequelize::tables, Syntax::Sequelize),
        (mongoose, mongoose::tables, Syntax::Mongoose),
        (drizzle, drizzle::tables, Syntax::Drizzle),
    ];
    for (found, tables, syntax) in orms {
        if found {
            declared.extend(tables(&src).into_iter().map(|t| t.declared_in(syntax)));
        }
    }
    if migration {
        knex::apply(&src, migrated);
        kysely::apply(&src, migrated);
    }
    if query_interface {
        query_interface::apply(&src, migrated);
    }
    if raw {
        raw_sql::apply(&src, migrated);
    }
}

/// A parsed file and its nodes in document order.
struct Source<'t> {
    file: &'t Path,
    text: &'t str,
    nodes: Vec<Node<'t>>,
}

impl<'t> Source<'t> {
    fn text(&self, node: Node) -> &'t str {
        text(node, self.text)
    }

    fn table(&self, model: &str, node: Node) -> Table {
        Table::new(model, self.file, line(node))
    }

    fn key(&self, kind: KeyKind, fields: Vec<String>, node: Node) -> Key {
        Key::new(kind, fields, self.file, line(node))
    }

    /// The nodes inside `node`, in document order.
    fn within(&self, node: Node) -> impl Iterator<Item = Node<'t>> + '_ {
        let (range, id) = (node.byte_range(), node.id());
        self.nodes.iter().copied().filter(move |n| {
            range.start <= n.start_byte() && n.end_byte() <= range.end && n.id() != id
        })
    }

    /// Calls that are not a link inside a longer chain (`a.b().c()` once, at `.c()`), outside
    /// a migration's `down`.
    fn chains(&self) -> impl Iterator<Item = Vec<Link<'t>>> + '_ {
        self.nodes
            .iter()
            .filter(|n| n.kind() == "call_expression" && !is_inner_link(**n))
            .filter(|n| !self.in_down(**n))
            .map(|n| chain(*n, self.text))
    }

    /// Whether the node is in a migration's `down` (`export async function down`, `down()
    /// {..}`, `down: async () => ..`, `exports.down = ..`): it undoes the schema, never builds it.
    fn in_down(&self, node: Node) -> bool {
        let mut current = node.parent();
        while let Some(n) = current {
            let name = match n.kind() {
                "function_declaration" | "method_definition" | "variable_declarator" => {
                    n.child_by_field_name("name")
                }
                "pair" => n.child_by_field_name("key"),
                "assignment_expression" => n
                    .child_by_field_name("left")
                    .map(|l| l.child_by_field_name("property").unwrap_or(l)),
                _ => None,
            };
            if name.is_some_and(|name| unquote(self.text(name)) == "down") {
                return true;
            }
            current = n.parent();
        }
        false
    }

    /// The calls (and `new`) of a function or method named `name`, with their arguments.
    fn calls<'s>(&'s self, name: &'s str) -> impl Iterator<Item = (Node<'t>, Vec<Node<'t>>)> + 's {
        self.nodes
            .iter()
            .filter(move |n| {
                matches!(n.kind(), "call_expression" | "new_expression")
                    && n.child_by_field_name("function")
                        .or(n.child_by_field_name("constructor"))
                        .map(|f| f.child_by_field_name("property").unwrap_or(f))
                        .is_some_and(|f| self.text(f) == name)
            })
            .map(|n| (*n, arguments(*n)))
    }

    /// A literal as a partial index's constant: lower-cased, without quotes.
    fn literal(&self, node: Node) -> Option<String> {
        let node = unwrap(node);
        let literal = matches!(node.kind(), "number" | "true" | "false" | "null");
        self.string(node)
            .or_else(|| literal.then(|| self.text(node).to_string()))
            .map(|s| s.to_lowercase())
    }

    /// A partial index's condition written as an object of constants (Mongoose
    /// `partialFilterExpression`, Sequelize `where`): equalities when every value is a literal.
    fn object_predicate(&self, condition: Node) -> Predicate {
        Predicate {
            text: self.text(condition).to_string(),
            equalities: self
                .pairs(condition)
                .into_iter()
                .map(|(field, value)| {
                    Some(FieldEq {
                        field,
                        constant: Some(self.literal(value)?),
                    })
                })
                .collect(),
        }
    }

    /// A string literal, or a template without substitutions.
    fn string(&self, node: Node) -> Option<String> {
        let node = unwrap(node);
        let plain = node.kind() == "string"
            || (node.kind() == "template_string"
                && node
                    .named_children(&mut node.walk())
                    .all(|c| c.kind() != "template_substitution"));
        // Only the delimiters: `'"deletedAt" IS NULL'` keeps its inner quotes.
        let text = self.text(node);
        plain.then(|| {
            text.get(1..text.len().saturating_sub(1))
                .unwrap_or("")
                .to_string()
        })
    }

    /// `['a', 'b']`, or one string as a list of one.
    fn strings(&self, node: Node) -> Option<Vec<String>> {
        let node = unwrap(node);
        if node.kind() != "array" {
            return self.string(node).map(|s| vec![s]);
        }
        node.named_children(&mut node.walk())
            .filter(|c| c.kind() != "comment")
            .map(|c| self.string(c))
            .collect()
    }

    /// The value of `key` in an object literal (`{ key: value }` or the shorthand `{ key }`).
    fn prop(&self, object: Node<'t>, key: &str) -> Option<Node<'t>> {
        self.pairs(object)
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// The properties of an object literal with their values, in order.
    fn pairs(&self, object: Node<'t>) -> Vec<(String, Node<'t>)> {
        let object = unwrap(object);
        if object.kind() != "object" {
            return Vec::new();
        }
        let mut out = Vec::new();
        for child in object.named_children(&mut object.walk()) {
            match child.kind() {
                "pair" => {
                    if let (Some(k), Some(v)) = (
                        child.child_by_field_name("key"),
                        child.child_by_field_name("value"),
                    ) {
                        out.push((unquote(self.text(k)).to_string(), unwrap(v)));
                    }
                }
                "shorthand_property_identifier" => {
                    out.push((self.text(child).to_string(), child));
                }
                _ => {}
            }
        }
        out
    }

    /// Whether `key` of the object is the literal `true`.
    fn flag(&self, object: Node<'t>, key: &str) -> bool {
        self.prop(object, key).is_some_and(|v| v.kind() == "true")
    }

    /// The property a member expression names: `t.email` -> `email`.
    fn member(&self, node: Node) -> Option<String> {
        let node = unwrap(node);
        (node.kind() == "member_expression")
            .then(|| node.child_by_field_name("property"))
            .flatten()
            .map(|p| self.text(p).to_string())
    }
}

/// Every node under `root` in document order, no deeper than the front-end descends.
fn descendants(root: Node) -> Vec<Node> {
    let mut out = Vec::new();
    let mut stack = vec![(root, 0usize)];
    while let Some((node, depth)) = stack.pop() {
        out.push(node);
        if depth < MAX_SYNTAX_DEPTH {
            let children: Vec<Node> = node.named_children(&mut node.walk()).collect();
            stack.extend(children.into_iter().rev().map(|c| (c, depth + 1)));
        }
    }
    out
}

/// 1-based.
fn line(node: Node) -> u32 {
    u32::try_from(node.start_position().row + 1).unwrap_or(u32::MAX)
}

/// One call of a chain: `.unique('name')`.
struct Link<'t> {
    name: String,
    args: Vec<Node<'t>>,
    node: Node<'t>,
}

/// The object of a member call: `t` in `t.string('x')`, `knex.schema` in `knex.schema.createTable`.
fn receiver(call: Node) -> Option<Node> {
    let function = call.child_by_field_name("function")?;
    (function.kind() == "member_expression")
        .then(|| function.child_by_field_name("object"))
        .flatten()
}

fn is_inner_link(call: Node) -> bool {
    let Some(member) = call.parent() else {
        return false;
    };
    member.kind() == "member_expression"
        && member.child_by_field_name("object") == Some(call)
        && member
            .parent()
            .is_some_and(|p| p.kind() == "call_expression")
}

/// The calls of a chain, first to last: `text('k').notNull().unique()` -> text, notNull, unique.
fn chain<'t>(top: Node<'t>, src: &str) -> Vec<Link<'t>> {
    let mut links = Vec::new();
    let mut node = Some(top);
    while let Some(call) = node.filter(|n| n.kind() == "call_expression") {
        if links.len() > MAX_SYNTAX_DEPTH {
            break;
        }
        let Some(function) = call.child_by_field_name("function") else {
            break;
        };
        let name = match function.kind() {
            "member_expression" => function.child_by_field_name("property"),
            _ => Some(function),
        };
        links.push(Link {
            name: name.map(|n| text(n, src).to_string()).unwrap_or_default(),
            args: arguments(call),
            node: call,
        });
        node = receiver(call).map(unwrap);
    }
    links.reverse();
    links
}

fn arguments(call: Node) -> Vec<Node> {
    call.child_by_field_name("arguments")
        .map(|a| {
            a.named_children(&mut a.walk())
                .filter(|c| c.kind() != "comment")
                .map(unwrap)
                .collect()
        })
        .unwrap_or_default()
}

/// What a callback returns: `(t) => ({ .. })`, `(t) => [..]`, `(t) => { return [..] }`; any
/// other value as it is.
fn returned(node: Node) -> Node {
    let node = unwrap(node);
    if node.kind() != "arrow_function" && node.kind() != "function_expression" {
        return node;
    }
    let Some(body) = node.child_by_field_name("body") else {
        return node;
    };
    if body.kind() != "statement_block" {
        return unwrap(body);
    }
    body.named_children(&mut body.walk())
        .find(|s| s.kind() == "return_statement")
        .and_then(|r| r.named_child(0))
        .map_or(node, unwrap)
}

/// The table of that name built so far, or a new one for the keys a migration adds to a
/// table created elsewhere (by SQL, or before the files read).
fn altered<'a>(tables: &'a mut Vec<Table>, src: &Source, name: &str, at: Node) -> &'a mut Table {
    let index = match tables.iter().position(|t| t.name == name) {
        Some(index) => index,
        None => {
            tables.push(src.table(name, at));
            tables.len() - 1
        }
    };
    &mut tables[index]
}

/// A decorator as written: `@Index(['a', 'b'], { unique: true })`.
struct Decorator<'t> {
    name: String,
    args: Vec<Node<'t>>,
    node: Node<'t>,
}

/// A decorated class and its decorated fields.
struct Class<'t> {
    name: String,
    node: Node<'t>,
    decorators: Vec<Decorator<'t>>,
    fields: Vec<(String, Vec<Decorator<'t>>)>,
}

/// The classes of the file with their decorators (those before `export` too).
fn classes<'t>(src: &Source<'t>) -> Vec<Class<'t>> {
    let mut out = Vec::new();
    for node in src.nodes.iter().filter(|n| n.kind() == "class_declaration") {
        let Some(name) = node.child_by_field_name("name") else {
            continue;
        };
        let mut on_class = decorators(*node, src);
        if let Some(export) = node.parent().filter(|p| p.kind() == "export_statement") {
            on_class.extend(decorators(export, src));
        }
        let fields = node
            .child_by_field_name("body")
            .map(|body| {
                body.named_children(&mut body.walk())
                    .filter(|f| matches!(f.kind(), "public_field_definition" | "field_definition"))
                    .filter_map(|f| {
                        let name = f
                            .child_by_field_name("name")
                            .or(f.child_by_field_name("property"))?;
                        Some((unquote(src.text(name)).to_string(), decorators(f, src)))
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.push(Class {
            name: src.text(name).to_string(),
            node: name,
            decorators: on_class,
            fields,
        });
    }
    out
}

fn decorators<'t>(node: Node<'t>, src: &Source<'t>) -> Vec<Decorator<'t>> {
    node.named_children(&mut node.walk())
        .filter(|d| d.kind() == "decorator")
        .filter_map(|d| {
            let inner = d.named_child(0)?;
            let (callee, args) = if inner.kind() == "call_expression" {
                (inner.child_by_field_name("function")?, arguments(inner))
            } else {
                (inner, Vec::new())
            };
            let callee = callee.child_by_field_name("property").unwrap_or(callee);
            Some(Decorator {
                name: src.text(callee).to_string(),
                args,
                node: d,
            })
        })
        .collect()
}

/// The equalities of a condition written as SQL, when it is nothing but equalities of
/// columns with constants (`"deletedAt" IS NULL AND status = 'PENDING'`).
fn sql_equalities(text: &str) -> Option<Vec<FieldEq>> {
    Predicate::sql(text).equalities
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tables one source file declares and those its migration code builds.
    pub(super) fn read_one(text: &str) -> Vec<Table> {
        let (mut declared, mut migrated) = (Vec::new(), Vec::new());
        read(
            Path::new("src/x.ts"),
            text,
            false,
            &mut declared,
            &mut migrated,
        );
        declared.append(&mut migrated);
        declared
    }

    /// (kind, fields, line) of each key of the table named `name`.
    pub(super) fn keys(tables: &[Table], name: &str) -> Vec<(KeyKind, Vec<String>, u32)> {
        tables
            .iter()
            .filter(|t| t.name == name)
            .flat_map(|t| &t.keys)
            .map(|k| (k.kind, k.fields.clone(), k.line))
            .collect()
    }

    pub(super) fn key(kind: KeyKind, fields: &[&str], line: u32) -> (KeyKind, Vec<String>, u32) {
        (kind, fields.iter().map(|f| f.to_string()).collect(), line)
    }

    #[test]
    fn simple_sql_conditions_are_equalities() {
        let eqs = sql_equalities(r#""deletedAt" IS NULL AND status = 'PENDING'"#).unwrap();
        let eqs: Vec<(&str, Option<&str>)> = eqs
            .iter()
            .map(|e| (e.field.as_str(), e.constant.as_deref()))
            .collect();
        assert_eq!(
            eqs,
            [("deletedAt", Some("null")), ("status", Some("pending"))]
        );
        assert!(sql_equalities("amount > 0").is_none());
        assert!(sql_equalities("deleted_at IS NOT NULL").is_none());
        assert!(sql_equalities("lower(email) = 'x'").is_none());
    }

    #[test]
    fn files_without_an_orm_are_not_parsed_and_junk_does_not_panic() {
        assert!(read_one("export const x = 1;").is_empty());
        for junk in [
            "@Entity(",
            "@Entity() class { @Column({ unique: ",
            "pgTable('x', drizzle-orm",
            "knex.schema.createTable(",
            "new mongoose.Schema({ a: { unique: true",
        ] {
            let _ = read_one(junk);
        }
    }
}
