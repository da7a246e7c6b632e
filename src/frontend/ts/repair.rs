//! What TypeScript accepts and tree-sitter-typescript 0.23 (the newest release) cannot parse,
//! rewritten in a copy of the source for a second parse. Each rewrite keeps the length and the
//! line breaks, as type stripping does, so the new tree's offsets and lines are the original
//! text's, which the rest of the front-end goes on reading.

use tree_sitter::Node;

/// Rewrites in `out`, the text `root` was parsed from, the constructs behind the tree's errors,
/// and generic tagged templates the grammar read as comparisons; whether there was one.
pub(crate) fn repair(root: Node, out: &mut [u8]) -> bool {
    // `tag<T>`..`` parses without error as `(tag < T) > `..``: such a file is read whole.
    let whole = closes_before_template(out);
    if !whole && !root.has_error() {
        return false;
    }
    let mut changed = false;
    // Statements holding an error no rewrite explains, each searched once for import types.
    let mut statements = Vec::new();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            if repair_node(child, out) {
                changed = true;
            } else if child.is_error() || child.is_missing() {
                statements.push(statement(child));
            }
            if whole || child.has_error() {
                stack.push(child);
            }
        }
    }
    statements.sort_by_key(|s| s.id());
    statements.dedup_by_key(|s| s.id());
    for s in statements {
        changed |= import_types(s, out);
    }
    changed
}

/// Whether some `>` other than an arrow's is followed by a template literal.
fn closes_before_template(text: &[u8]) -> bool {
    text.iter().enumerate().any(|(i, &b)| {
        b == b'`'
            && text[..i]
                .iter()
                .rposition(|c| !c.is_ascii_whitespace())
                .is_some_and(|at| text[at] == b'>' && (at == 0 || text[at - 1] != b'='))
    })
}

/// Rewrites `node` if it is one of the grammar's gaps; whether it did.
fn repair_node(node: Node, out: &mut [u8]) -> bool {
    match node.kind() {
        // `tx.$queryRaw<Row[]>`SELECT ..``, `styled.div<Props>`..``: the grammar has no generic
        // tagged template; without its type arguments it is the tagged template it types.
        "instantiation_expression"
            if following(node).is_some_and(|n| n.kind() == "template_string") =>
        {
            node.child_by_field_name("type_arguments")
                .is_some_and(|args| blank(args, out))
        }
        "binary_expression" if is_tag_read_as_comparison(node) => {
            let less = node
                .child_by_field_name("left")
                .and_then(|l| l.child_by_field_name("operator"));
            let greater = node.child_by_field_name("operator");
            match (less, greater) {
                (Some(less), Some(greater)) => {
                    blank_range(less.start_byte()..greater.end_byte(), out)
                }
                _ => false,
            }
        }
        // `export type * from "./models"`: without `type`, the same re-export of every name.
        "ERROR" if is_export_type_star(node, out) => blank(node, out),
        // `Terms & conditions` in JSX text, `href="/a?b=1&c=2"`: an ampersand that starts no
        // character reference is text to JSX.
        "&" => jsx_ampersands(node, out),
        // A type member on its own line that starts with `in`, `instanceof` or `<` (a generic
        // call signature): the grammar ends the member before it only at a `;`.
        "ERROR" if node.parent().is_some_and(|p| p.kind() == "type_annotation") => {
            separate_members(node, out)
        }
        _ => false,
    }
}

/// The node after `node`, skipping the tokens error recovery made up.
fn following(mut node: Node) -> Option<Node> {
    loop {
        match node.next_sibling() {
            Some(next) if !next.is_missing() => return Some(next),
            Some(missing) => node = missing,
            None => node = node.parent()?,
        }
    }
}

/// `(tag < T) > `..``: the generic tagged template `tag<T>`..`` as the grammar reads it when
/// `T` is also an expression; TypeScript reads the tagged template.
fn is_tag_read_as_comparison(node: Node) -> bool {
    let operator = |n: Node, op: &str| {
        n.child_by_field_name("operator")
            .is_some_and(|o| o.kind() == op)
    };
    operator(node, ">")
        && node
            .child_by_field_name("right")
            .is_some_and(|r| r.kind() == "template_string")
        && node
            .child_by_field_name("left")
            .is_some_and(|l| l.kind() == "binary_expression" && operator(l, "<"))
}

fn is_export_type_star(node: Node, src: &[u8]) -> bool {
    node.parent()
        .is_some_and(|p| p.kind() == "export_statement")
        && &src[node.byte_range()] == b"type"
        && node
            .next_sibling()
            .is_some_and(|n| matches!(n.kind(), "*" | "namespace_export"))
}

/// Blanks an `&` token of JSX text (after an element, a tag or text), or every `&` of the JSX
/// attribute string it is in (which has no escapes: it ends at the next quote of its kind);
/// whether it was one.
fn jsx_ampersands(amp: Node, out: &mut [u8]) -> bool {
    let mut node = amp;
    while node.prev_sibling().is_none() && node.parent().is_some_and(|p| p.is_error()) {
        node = node.parent().unwrap_or(node);
    }
    let Some(prev) = node.prev_sibling() else {
        return false;
    };
    let mut around = amp.parent();
    while around.is_some_and(|a| a.is_error()) {
        around = around.and_then(|a| a.parent());
    }
    let in_attribute = around.is_some_and(|a| {
        a.kind().starts_with("jsx_")
            || (a.kind() == "string" && a.parent().is_some_and(|p| p.kind() == "jsx_attribute"))
    });
    // The attribute string's opening quote, before its text and character references.
    let mut open = Some(prev);
    while let Some(p) =
        open.filter(|p| matches!(p.kind(), "string_fragment" | "html_character_reference"))
    {
        open = p.prev_sibling();
    }
    let open = open
        .filter(|p| matches!(p.kind(), "\"" | "'"))
        .map(|p| p.start_byte());
    match open.filter(|_| in_attribute) {
        Some(open) => {
            let quote = out[open];
            let close = (amp.start_byte()..out.len())
                .find(|&i| out[i] == quote)
                .unwrap_or(out.len());
            for b in &mut out[open + 1..close] {
                if *b == b'&' {
                    *b = b' ';
                }
            }
            true
        }
        None if prev.kind().starts_with("jsx") => {
            out[amp.start_byte()] = b' ';
            true
        }
        None => false,
    }
}

/// Puts the missing `;` in the blank before a member that starts a line inside the error.
fn separate_members(error: Node, out: &mut [u8]) -> bool {
    let in_members = super::syntax::ancestor(error, "object_type").is_some()
        || super::syntax::ancestor(error, "interface_body").is_some();
    let (Some(first), Some(second)) = (error.child(0), error.child(1)) else {
        return false;
    };
    if !in_members || second.start_position().row <= first.end_position().row {
        return false;
    }
    let blank = (first.end_byte()..second.start_byte())
        .rev()
        .find(|&i| matches!(out[i], b' ' | b'\t'));
    blank.is_some_and(|i| {
        out[i] = b';';
        true
    })
}

/// The statement `node` is in: the outermost node below a block or the program.
fn statement(mut node: Node) -> Node {
    while let Some(parent) = node.parent() {
        if parent.kind() == "program" || parent.kind() == "statement_block" {
            break;
        }
        node = parent;
    }
    node
}

/// `typeof import("./db")`, `import("./db").Client`: an import type, which the grammar reads as a
/// call that then ends its statement early. In a statement holding an error, each import call
/// used as a type (the operand of `typeof`, or a namespace whose member or index is not called)
/// becomes a name of the same length, `import______`.
fn import_types(statement: Node, out: &mut [u8]) -> bool {
    let mut changed = false;
    let mut stack = vec![statement];
    while let Some(node) = stack.pop() {
        let mut cursor = node.walk();
        stack.extend(node.children(&mut cursor));
        let Some(args) = node.child_by_field_name("arguments") else {
            continue;
        };
        let is_import = node.kind() == "call_expression"
            && node
                .child_by_field_name("function")
                .is_some_and(|f| f.kind() == "import");
        if is_import && is_type_use(node) {
            out[args.byte_range()].fill(b'_');
            changed = true;
        }
    }
    changed
}

fn is_type_use(import: Node) -> bool {
    let Some(parent) = import.parent() else {
        return false;
    };
    match parent.kind() {
        "unary_expression" => parent.child(0).is_some_and(|op| op.kind() == "typeof"),
        "member_expression" | "subscript_expression" => !parent.parent().is_some_and(|p| {
            p.kind() == "call_expression" && p.child_by_field_name("function") == Some(parent)
        }),
        _ => false,
    }
}

/// Spaces over a node, line breaks kept.
fn blank(node: Node, out: &mut [u8]) -> bool {
    blank_range(node.byte_range(), out)
}

fn blank_range(range: std::ops::Range<usize>, out: &mut [u8]) -> bool {
    for b in &mut out[range] {
        if !matches!(*b, b'\n' | b'\r') {
            *b = b' ';
        }
    }
    true
}
