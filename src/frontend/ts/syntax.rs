//! Small helpers over tree-sitter nodes of the TypeScript grammar.

use super::Binding;
use crate::models::{Language, Models};
use tree_sitter::Node;

pub fn text<'a>(node: Node, src: &'a str) -> &'a str {
    src.get(node.byte_range()).unwrap_or("")
}

pub fn unquote(s: &str) -> &str {
    s.trim_matches(|c| c == '"' || c == '\'' || c == '`')
}

/// The arguments a call passes: those of its list, or for a tagged template (`sql`..``) the
/// template itself.
pub fn call_arguments(args: Node) -> Vec<Node> {
    if args.kind() == "template_string" {
        return vec![args];
    }
    let mut cursor = args.walk();
    args.named_children(&mut cursor)
        .filter(|n| !n.is_extra())
        .collect()
}

/// The elements of the array given to `Promise.all([..])`, through `await` and parentheses.
pub fn all_elements<'t>(value: Node<'t>, src: &str) -> Option<Vec<Node<'t>>> {
    let call = unwrap(value);
    let callee = call.child_by_field_name("function")?;
    let array = call.child_by_field_name("arguments")?.named_child(0)?;
    let is_all = call.kind() == "call_expression"
        && src.get(callee.byte_range()) == Some("Promise.all")
        && array.kind() == "array";
    let mut cursor = array.walk();
    let elements = array.named_children(&mut cursor).collect();
    is_all.then_some(elements)
}

/// The template of a tagged template call (`sql`SELECT ..``).
pub fn tagged_template(call: Node) -> Option<Node> {
    let template = call.child_by_field_name("arguments")?;
    (call.kind() == "call_expression" && template.kind() == "template_string").then_some(template)
}

pub fn is_function(node: Node) -> bool {
    node.is_named()
        && matches!(
            node.kind(),
            "function_declaration"
                | "function_expression"
                | "function"
                | "arrow_function"
                | "method_definition"
                | "generator_function_declaration"
                | "generator_function"
        )
}

pub fn ancestor<'t>(node: Node<'t>, kind: &str) -> Option<Node<'t>> {
    let mut current = node.parent();
    while let Some(n) = current {
        if n.kind() == kind {
            return Some(n);
        }
        current = n.parent();
    }
    None
}

/// Strips wrappers that do not change a value: parentheses, `await`, `x!`, `x as T`.
pub fn unwrap(mut node: Node) -> Node {
    loop {
        match node.kind() {
            "parenthesized_expression"
            | "await_expression"
            | "non_null_expression"
            | "as_expression"
            | "satisfies_expression"
            | "type_assertion" => match node.named_child(0) {
                Some(inner) => node = inner,
                None => return node,
            },
            _ => return node,
        }
    }
}

/// Declared type and injected resource of a parameter or field:
/// `@InjectRepository(Order) private repo: Repository<Order>` -> (Repository, Order).
pub fn binding_of(node: Node, src: &str, models: &Models) -> Binding {
    let mut binding = Binding::default();
    if let Some(annotation) = node.child_by_field_name("type") {
        let (name, arg) = type_name(annotation, src);
        binding.declared_type = name;
        binding.resource = arg;
    }
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        if child.kind() != "decorator" {
            continue;
        }
        let Some(call) = child
            .named_child(0)
            .filter(|c| c.kind() == "call_expression")
        else {
            continue;
        };
        let callee = call.child_by_field_name("function").map(|f| text(f, src));
        if callee.is_some_and(|c| models.is_entity_decorator(Language::Typescript, c)) {
            let first = call
                .child_by_field_name("arguments")
                .and_then(|a| a.named_child(0))
                .map(|a| text(a, src).trim_end_matches(".name").to_string());
            if first.is_some() {
                binding.resource = first;
            }
        }
    }
    binding
}

/// `Repository<Order>` -> (`Repository`, `Order`); `Prisma.TransactionClient` ->
/// (`TransactionClient`, None).
pub fn type_name(annotation: Node, src: &str) -> (Option<String>, Option<String>) {
    let ty = annotation.named_child(0).unwrap_or(annotation);
    let last = |n: Node| text(n, src).rsplit('.').next().unwrap_or("").to_string();
    match ty.kind() {
        "generic_type" => {
            let name = ty.child_by_field_name("name").map(last);
            let arg = ty
                .child_by_field_name("type_arguments")
                .and_then(|a| a.named_child(0))
                .map(last);
            (name, arg)
        }
        "type_identifier" | "nested_type_identifier" => (Some(last(ty)), None),
        _ => (None, None),
    }
}

/// A readable name for a function node.
/// The name other code calls a function by: its own, or the variable, property or field it
/// is assigned to. Callbacks and anonymous functions have none.
pub fn callable_name(node: Node, src: &str) -> Option<String> {
    if let Some(n) = node.child_by_field_name("name") {
        return Some(text(n, src).to_string());
    }
    let parent = node.parent()?;
    match parent.kind() {
        "variable_declarator" | "pair" | "public_field_definition" | "assignment_expression" => {
            let key = parent
                .child_by_field_name("name")
                .or_else(|| parent.child_by_field_name("key"))
                .or_else(|| parent.child_by_field_name("left"))?;
            Some(text(key, src).to_string())
        }
        _ => None,
    }
}

/// The variable an object literal of functions is assigned to (`const db = { find() {} }`):
/// its methods are called as `db.find()`.
pub fn object_owner(node: Node, src: &str) -> Option<String> {
    let mut object = node.parent()?;
    if object.kind() == "pair" {
        object = object.parent()?;
    }
    if object.kind() != "object" {
        return None;
    }
    let decl = object
        .parent()
        .filter(|d| d.kind() == "variable_declarator")?;
    Some(text(decl.child_by_field_name("name")?, src).to_string())
}

pub fn function_name(node: Node, class: Option<&str>, src: &str) -> String {
    let name = callable_name(node, src).or_else(|| {
        let parent = node.parent().filter(|p| p.kind() == "arguments")?;
        let callee = callee_name(parent.parent()?.child_by_field_name("function")?, src);
        let first = parent
            .named_child(0)
            .filter(|a| a.kind() == "string")
            .map(|a| format!("({})", text(a, src)))
            .unwrap_or_default();
        Some(format!("{callee}{first} callback"))
    });
    let start = node.start_position();
    let name =
        name.unwrap_or_else(|| format!("<anonymous at {}:{}>", start.row + 1, start.column + 1));
    match (class, node.kind()) {
        (Some(c), "method_definition") => format!("{c}.{name}"),
        _ => name,
    }
}

/// A short name for what a callback is given to: `app.post`, `envelope.recipients.find`, or
/// for a chain over several lines (`new Hono<Ctx>()\n  /** doc */\n  .post`) its first name
/// and last member, `Hono..post`.
fn callee_name(callee: Node, src: &str) -> String {
    let written = text(callee, src);
    if !written.contains('\n') && written.len() <= 40 {
        return written.to_string();
    }
    let member = (callee.kind() == "member_expression")
        .then(|| {
            callee
                .child_by_field_name("object")
                .zip(callee.child_by_field_name("property"))
        })
        .flatten();
    match member {
        Some((object, property)) if matches!(object.kind(), "identifier" | "this") => {
            format!("{}.{}", text(object, src), text(property, src))
        }
        Some((object, property)) => {
            let mut first = object;
            while let Some(inner) = first.named_child(0) {
                first = inner;
            }
            format!("{}..{}", text(first, src), text(property, src))
        }
        None => text(callee, src)
            .split_whitespace()
            .collect::<String>()
            .chars()
            .take(40)
            .collect(),
    }
}

/// What a variable holds when its initializer shows it: `new Queue(..)` -> `Queue`,
/// `dataSource.getRepository(Order)` -> a repository of `Order`.
/// What a declaration (`const x: T = ..`, a class field) holds: its declared type, else what
/// its initializer builds.
pub fn declared_binding(decl: Node, src: &str, models: &Models) -> Option<Binding> {
    let typed = binding_of(decl, src, models);
    if typed.declared_type.is_some() {
        return Some(typed);
    }
    decl.child_by_field_name("value")
        .and_then(|v| receiver_binding(v, src, models))
}

pub fn receiver_binding(value: Node, src: &str, models: &Models) -> Option<Binding> {
    let value = unwrap(value);
    let callee_and_arg = |callee: Node| {
        let arg = value
            .child_by_field_name("arguments")
            .and_then(|a| a.named_child(0))
            .map(|a| unquote(text(a, src)).to_string());
        (text(callee, src), arg)
    };
    match value.kind() {
        "new_expression" => {
            let ctor = value.child_by_field_name("constructor")?;
            let name = text(ctor, src).rsplit('.').next()?.to_string();
            Some(Binding {
                declared_type: Some(name),
                ..Binding::default()
            })
        }
        "call_expression" => {
            let (callee, arg) = callee_and_arg(value.child_by_field_name("function")?);
            let method = callee.rsplit('.').next().unwrap_or(callee);
            let ty = models.handle_type(Language::Typescript, method)?;
            Some(Binding {
                declared_type: Some(ty.to_string()),
                resource: arg,
                local: false,
            })
        }
        _ => None,
    }
}
