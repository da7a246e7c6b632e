//! The fields a query-builder or ORM read selects its rows by, compared by equality, from
//! where its model says the filter is: `where` (a key of an object argument: Prisma,
//! TypeORM, Sequelize), `#0` (an argument: Mongoose `findOne({ email })`), `where()` (the
//! arguments of every chained call of that name: knex `.where('a', x)`, Kysely
//! `.where('a', '=', x)`, Drizzle `.where(and(eq(t.a, x), ..))`, Diesel and SeaORM
//! `.filter(a.eq(x).and(b.eq(y)))`).

use super::shape::{Arg, ArgValue, CallShape};
use crate::ir::{FieldEq, Filter};

/// The filter found at each of `specs`, for the call at `trigger`: its equalities, and
/// whether it has other conditions.
pub fn equalities(shape: &CallShape, trigger: usize, specs: &[String]) -> Filter {
    let mut out = Filter::default();
    let Some(call) = shape.segments.get(trigger) else {
        return out;
    };
    for spec in specs {
        if let Some(name) = spec.strip_suffix("()") {
            for segment in shape.calls_named(name) {
                call_arguments(segment.args(), &mut out);
            }
        } else if let Some(index) = spec.strip_prefix('#') {
            let arg = index.parse::<usize>().ok().and_then(|i| call.args().get(i));
            arg.into_iter().for_each(|a| argument(a, &mut out));
        } else if let Some(arg) = call.args().iter().find_map(|a| a.lookup(spec)) {
            argument(arg, &mut out);
        }
    }
    out.equalities.sort();
    out.equalities.dedup();
    out
}

/// A chained filter call: `('a', x)`, `('a', '=', x)`, or one condition argument.
fn call_arguments(args: &[Arg], out: &mut Filter) {
    match args {
        [field, value] if field.as_str().is_some() => push(out, field, value),
        [field, op, value] if field.as_str().is_some() && op.as_str() == Some("=") => {
            push(out, field, value)
        }
        [condition] => argument(condition, out),
        _ => out.more = true,
    }
}

fn push(out: &mut Filter, field: &Arg, value: &Arg) {
    match (field.as_str(), compared_with(value)) {
        (Some(field), Some(constant)) => out.equalities.push(FieldEq {
            field: field.to_string(),
            constant,
        }),
        _ => out.more = true,
    }
}

/// The equalities one filter argument states: an object of fields, or a condition written as
/// code.
fn argument(arg: &Arg, out: &mut Filter) {
    match &arg.value {
        ArgValue::Object(fields) => {
            for (field, value) in fields {
                // `OR`, `NOT`, `$or`, `[Op.or]`: alternatives select by no one key; a nested
                // relation filter selects by the related row's fields.
                let plain = field
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_lowercase() || c == '_');
                // A relation filter or a range object compares with no value.
                let compared = plain.then(|| compared_with(value)).flatten();
                match compared {
                    Some(constant) => out.equalities.push(FieldEq {
                        field: field.clone(),
                        constant,
                    }),
                    None => out.more = true,
                }
            }
        }
        ArgValue::Other(text) => condition(text, out),
        ArgValue::Function { text, .. } => match arrow_result(text) {
            Some(result) => condition(result, out),
            None => out.more = true,
        },
        _ => out.more = true,
    }
}

/// What an arrow function given as a filter returns (Drizzle's relational `where: (t, { eq })
/// => eq(t.orgId, id)`): the expression after the top-level `=>`, or a block's lone `return`.
fn arrow_result(text: &str) -> Option<&str> {
    let body = text[find_top_level(text, "=>")? + 2..].trim();
    let Some(block) = body.strip_prefix('{').and_then(|b| b.strip_suffix('}')) else {
        return Some(body);
    };
    let returned = block.trim().strip_prefix("return")?;
    Some(returned.trim().trim_end_matches(';'))
}

/// `{ equals: x }` (Prisma, also with `mode: 'insensitive'`) or `{ $eq: x }` (Mongo): an
/// equality written as an operator.
fn is_equals(fields: &[(String, Arg)]) -> bool {
    fields.iter().any(|(op, _)| op == "equals" || op == "$eq")
        && fields
            .iter()
            .all(|(op, _)| matches!(op.as_str(), "equals" | "$eq" | "mode"))
}

/// What a field is compared with: Some(None) for a variable or an expression,
/// Some(Some(constant)) for a literal, None when it is no equality (a find operator such as
/// TypeORM's `In([..])` or `MoreThan(x)`, a range object).
fn compared_with(value: &Arg) -> Option<Option<String>> {
    match &value.value {
        ArgValue::Str(s) => Some(Some(s.to_lowercase())),
        ArgValue::Bool(b) => Some(Some(b.to_string())),
        ArgValue::Path(_) => Some(None),
        ArgValue::Object(fields) if is_equals(fields) => fields
            .iter()
            .find(|(op, _)| op != "mode")
            .and_then(|(_, value)| compared_with(value)),
        ArgValue::Other(text) => {
            let text = text.trim();
            if text.chars().next().is_some_and(char::is_uppercase) && text.ends_with(')') {
                return None;
            }
            Some(constant(text))
        }
        _ => None,
    }
}

/// A literal's value as the schema would spell it: `'paid'` -> `paid`, `null`, `42`.
fn constant(text: &str) -> Option<String> {
    let unquoted = text
        .strip_prefix(['"', '\''])
        .and_then(|t| t.strip_suffix(['"', '\'']));
    if let Some(s) = unquoted {
        return Some(s.to_lowercase());
    }
    let literal = matches!(text, "null" | "None" | "true" | "false")
        || (!text.is_empty() && text.chars().all(|c| c.is_ascii_digit() || c == '.'));
    literal.then(|| text.to_lowercase().replace("none", "null"))
}

/// Equalities in a condition written as code: Drizzle `and(eq(t.a, x), eq(t.b, 'y'))`,
/// Diesel and SeaORM `a.eq(x).and(Column::B.eq(y))`. Alternatives (`or(..)`, `.or(..)`)
/// select by no one key, so a condition holding one states nothing.
fn condition(text: &str, out: &mut Filter) {
    let text = text.trim();
    if text.starts_with("or(") || text.contains(".or(") {
        out.more = true;
        return;
    }
    if let Some(inner) = call_body(text, "and(") {
        split_top_level(inner)
            .into_iter()
            .for_each(|part| condition(part, out));
        return;
    }
    if let Some(inner) = call_body(text, "eq(") {
        match split_top_level(inner).as_slice() {
            [column, value] => push_column(out, column, value),
            _ => out.more = true,
        }
        return;
    }
    // Method form: `a.eq(x)`, `a.eq(x).and(b.eq(y))`; anything else is another condition.
    let mut rest = text;
    loop {
        // `a.is_null()` is the equality with null (`scheduled_at IS NULL`).
        if let Some(column) = rest.strip_suffix(".is_null()").filter(|c| !c.contains('(')) {
            push_column(out, column, "None");
            return;
        }
        let Some(at) = find_top_level(rest, ".eq(") else {
            out.more = true;
            return;
        };
        let column = &rest[..at];
        let after = &rest[at + ".eq(".len()..];
        let Some(close) = closing(after) else {
            out.more = true;
            return;
        };
        push_column(out, column, &after[..close]);
        rest = after[close + 1..].trim_start();
        if rest.is_empty() {
            return;
        }
        match rest.strip_prefix(".and(").and_then(|r| r.strip_suffix(')')) {
            Some(inner) => rest = inner,
            None => {
                out.more = true;
                return;
            }
        }
    }
}

/// A column named in code (`t.orderId`, `orders::idempotency_key`,
/// `order::Column::IdempotencyKey`) compared with a value.
fn push_column(out: &mut Filter, column: &str, value: &str) {
    // A case-folded column (`lower(community::ap_id)`) still selects rows by that column:
    // two requests for one key look up and insert the same value.
    let column = ["lower(", "upper(", "LOWER(", "UPPER("]
        .iter()
        .find_map(|f| call_body(column.trim(), f))
        .unwrap_or(column);
    let field = column
        .rsplit(['.', ':'])
        .next()
        .unwrap_or(column)
        .trim_start_matches('&')
        .trim();
    let ident = !field.is_empty() && field.chars().all(|c| c.is_alphanumeric() || c == '_');
    if ident {
        // SeaORM names a column by its enum variant: `Column::PushToken` is `push_token`.
        let field = if column.contains("Column::") {
            snake_case(field)
        } else {
            field.to_string()
        };
        out.equalities.push(FieldEq {
            field,
            constant: constant(value.trim().trim_start_matches('&')),
        });
    } else {
        out.more = true;
    }
}

fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// The text inside `name(..)` when the whole text is that one call.
fn call_body<'a>(text: &'a str, open: &str) -> Option<&'a str> {
    let after = text.strip_prefix(open)?;
    let close = closing(after)?;
    (close + 1 == after.len()).then(|| &after[..close])
}

/// The index of the `)` that closes a group opened just before `text`.
fn closing(text: &str) -> Option<usize> {
    scan(text, |i, c, depth| (c == ')' && depth == 0).then_some(i))
}

/// The first `needle` outside brackets and quotes.
fn find_top_level(text: &str, needle: &str) -> Option<usize> {
    scan(text, |i, _, depth| {
        (depth == 0 && text[i..].starts_with(needle)).then_some(i)
    })
}

/// Calls `at` with each character outside quotes and the bracket depth before it, until it
/// answers.
fn scan(text: &str, mut at: impl FnMut(usize, char, usize) -> Option<usize>) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'' | '`') => quote = Some(c),
            (None, c) => {
                if let Some(found) = at(i, c, depth) {
                    return Some(found);
                }
                match c {
                    '(' | '[' | '{' => depth += 1,
                    ')' | ']' | '}' => depth = depth.saturating_sub(1),
                    _ => {}
                }
            }
        }
    }
    None
}

/// Comma-separated parts outside brackets and quotes.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = text;
    while let Some(at) = find_top_level(rest, ",") {
        parts.push(rest[..at].trim());
        rest = &rest[at + 1..];
    }
    if !rest.trim().is_empty() {
        parts.push(rest.trim());
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eqs(out: &Filter) -> Vec<String> {
        out.equalities
            .iter()
            .map(|f| match &f.constant {
                Some(c) => format!("{}={c}", f.field),
                None => f.field.clone(),
            })
            .collect()
    }

    fn cond(text: &str) -> Vec<String> {
        let mut out = Filter::default();
        condition(text, &mut out);
        eqs(&out)
    }

    #[test]
    fn conditions_that_are_no_equality_are_noted() {
        let more = |text: &str| {
            let mut out = Filter::default();
            condition(text, &mut out);
            out.more
        };
        assert!(!more("and(eq(t.a, x), eq(t.b, 'y'))"));
        assert!(!more("a.eq(x).and(b.eq(y))"));
        assert!(more("and(eq(t.a, x), gt(t.at, since))"));
        assert!(more("a.eq(x).or(b.eq(y))"));
        assert!(more("a.gt(x)"));
    }

    #[test]
    fn conditions_written_as_code() {
        assert_eq!(cond("eq(orders.orderId, id)"), ["orderId"]);
        assert_eq!(
            cond("and(eq(t.userId, user.id), eq(t.status, 'PENDING'))"),
            ["userId", "status=pending"]
        );
        assert_eq!(cond("or(eq(t.a, x), eq(t.b, y))"), Vec::<String>::new());
        assert_eq!(
            cond("dsl::idempotency_key.eq(&key).and(status.eq(\"paid\"))"),
            ["idempotency_key", "status=paid"]
        );
        assert_eq!(cond("order::Column::ExternalId.eq(id)"), ["external_id"]);
        assert_eq!(cond("a.eq(x).or(b.eq(y))"), Vec::<String>::new());
        // Ranges select by no key; a case-folded column still selects by the column.
        assert_eq!(cond("gt(t.createdAt, since)"), Vec::<String>::new());
        assert_eq!(cond("lower(community::ap_id).eq(x)"), ["ap_id"]);
        assert_eq!(
            cond("post::ap_id.eq(id).and(post::scheduled_at.is_null())"),
            ["ap_id", "scheduled_at=null"]
        );
        assert_eq!(cond("lower(t.email).gt(x)"), Vec::<String>::new());
    }

    #[test]
    fn arrow_functions_filter_by_what_they_return() {
        assert_eq!(
            arrow_result("(t, { and, eq }) => and(eq(t.orgId, id), isNull(t.deletedAt))"),
            Some("and(eq(t.orgId, id), isNull(t.deletedAt))")
        );
        assert_eq!(
            arrow_result("(t, { eq }) => { return eq(t.slug, slug); }"),
            Some("eq(t.slug, slug)")
        );
        assert_eq!(arrow_result("(t) => { const x = 1; return x; }"), None);
        assert_eq!(arrow_result("eq(t.a, b)"), None);
    }

    #[test]
    fn literals_become_constants() {
        assert_eq!(constant("'PAID'"), Some("paid".into()));
        assert_eq!(constant("None"), Some("null".into()));
        assert_eq!(constant("42"), Some("42".into()));
        assert_eq!(constant("user.id"), None);
    }
}
