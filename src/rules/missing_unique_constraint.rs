//! `missing-unique-constraint`: a table used as an idempotency or dedup store has no unique
//! constraint on its key.

use super::unique_keys::unique_lookup;
use super::{declare_rule, unique_keys, Analysis, RuleContext};
use crate::diagnostic::{Actor, Diagnostic, Label, Severity, Step};
use crate::ir::{EffectKind, FieldEq, FunctionIr};
use crate::schema::{Syntax, Table};
use crate::vocabulary::vocabulary;

declare_rule! {
    /// ## What it does
    /// Finds a table the code uses as an idempotency or dedup store (it looks a key up, an
    /// `idempotency_key`, an `event_id`, a `stripe_session_id`, or any key of a table named
    /// like `processed_events`, and then inserts a row of that key) whose schema declares no
    /// unique or primary key on that column. The finding sits on the table's declaration in
    /// the schema (the Prisma field, the migration's `CREATE TABLE`); the lookup and the
    /// insert that rely on it are listed with it. The same holds for a claim by insert
    /// (`INSERT ... ON CONFLICT DO NOTHING` whose result is tested, a caught duplicate-key
    /// error) of such a key: with no unique key it never conflicts, so every request wins
    /// it, and the rules that trust claims no longer take it for one.
    ///
    /// ## Why is this bad?
    /// Two deliveries of one webhook, or a request and its retry, both look the key up before
    /// either has inserted it, both find nothing and both insert: the store now holds the key
    /// twice, and the work it was meant to do once has been done twice. Only the database
    /// can refuse the second row, and it refuses only what a unique constraint covers.
    ///
    /// ## Example
    /// ```prisma
    /// model ProcessedEvent {
    ///   id      String @id @default(cuid())
    ///   eventId String          // no @unique
    /// }
    /// ```
    /// ```ts
    /// const seen = await prisma.processedEvent.findFirst({ where: { eventId: event.id } });
    /// if (seen) return;
    /// await prisma.processedEvent.create({ data: { eventId: event.id } });
    /// await fulfil(event);
    /// ```
    /// Delivery A and delivery B of `evt_1` both find no row, both create one, both fulfil.
    ///
    /// ## Fix
    /// Declare the key unique where the schema declares the table (`eventId String @unique`;
    /// `CREATE UNIQUE INDEX ON processed_events (event_id)`; `@Column({ unique: true })`),
    /// then insert the key first and act only when the insert succeeded (`ON CONFLICT DO
    /// NOTHING RETURNING`, or catch the unique violation: `P2002`, `23505`, `ER_DUP_ENTRY`,
    /// `11000`).
    ///
    /// ## Known limits
    /// Only tables the project's schema declares are judged (Prisma schemas, SQL migrations,
    /// ORM declarations); a key made unique by other means (a trigger, a constraint added by
    /// hand in production) is not seen. A suppression goes in the schema file, on the line
    /// before the column: `// toctou-ignore[missing-unique-constraint]: reason` (`--` in SQL).
    ///
    /// ## Related rules
    /// `check-then-act` reports the same insert in the code, where its help names the key to
    /// declare; this rule reports the declaration that lacks it.
    pub struct MissingUniqueConstraint {
        id: "missing-unique-constraint",
        level: Severity::Error,
        languages: &["typescript", "javascript", "rust"],
        summary: "a table used as an idempotency or dedup store has no unique constraint on its key",
        links: super::Links::Linked,
    }
}

pub fn check(func: &FunctionIr, shared: &Analysis, cx: &RuleContext, out: &mut Vec<Diagnostic>) {
    for id in 0..func.effects.len() {
        let found =
            lookup_then_insert(func, shared, cx, id).or_else(|| void_claim(func, shared, cx, id));
        let Some(found) = found else { continue };
        let Some(site) = found.table.site_of(&found.fields[0]) else {
            continue;
        };
        let table = found.table;
        let column = table.syntax == Syntax::Migration;
        let spelled: Vec<String> = found
            .fields
            .iter()
            .map(|f| unique_keys::spelled(table, f, column))
            .collect();
        let column = format!("`{}.{}`", table.name, spelled.join(", "));
        let mut primary = Label::new(site, format!("no unique constraint on {column}"));
        primary.code = format!("unique {} {}", table.name, found.fields.join(","));
        let fields: Vec<&str> = found.fields.iter().map(String::as_str).collect();
        let steps = found
            .steps
            .into_iter()
            .map(|(actor, at, text)| Step::new(actor, at, text.replace("{column}", &column)))
            .collect();
        out.push(Diagnostic {
            file: table.file.clone(),
            function: format!("table {}", table.name),
            secondary: found.sites,
            steps,
            help: unique_keys::declare_in(table, &fields, &found.filter),
            ..cx.diagnostic(
                &MissingUniqueConstraint::META,
                func,
                format!("{column} is used as a dedup key, but the schema keeps it unique nowhere: concurrent requests both insert it"),
                primary,
            )
        })
    }
}

/// A dedup key the code relies on, and how.
struct Reliance<'s> {
    table: &'s Table,
    /// The key's columns, as the code names them; at least one.
    fields: Vec<String>,
    /// What the code selects by, for a partial index in the help.
    filter: Vec<FieldEq>,
    /// The code's sites, in its file.
    sites: Vec<Label>,
    /// The interleaving; `{column}` stands for the key as the finding names it.
    steps: Vec<(Actor, crate::ir::Span, String)>,
}

/// A lookup by a dedup key whose result is tested, then an insert of it into the same
/// table.
fn lookup_then_insert<'s>(
    func: &FunctionIr,
    shared: &Analysis,
    cx: &RuleContext<'s>,
    r: usize,
) -> Option<Reliance<'s>> {
    let read = &func.effects[r];
    let EffectKind::Read {
        filter,
        in_process: false,
        ..
    } = &read.kind
    else {
        return None;
    };
    let table = cx.schema.table(read.kind.resource()?)?;
    let insert = func.effects[r + 1..]
        .iter()
        .find(|w| unique_keys::inserts_into(read, w) && shared.flow.is_tested(r))?;
    // Both inside one helper: the helper's own finding.
    let in_helper = !read.via.is_empty() && !insert.via.is_empty();
    if in_helper || unique_lookup(read, cx.schema).is_some() {
        return None;
    }
    let fields = dedup_fields(
        table,
        filter
            .equalities
            .iter()
            .filter(|f| f.constant.is_none())
            .map(|f| &f.field),
    );
    fields.first()?;
    let (rl, il, code) = (read.span.line, insert.span.line, cx.file.display());
    Some(Reliance {
        table,
        filter: filter.equalities.clone(),
        sites: vec![
            Label::elsewhere(cx.file.to_path_buf(), read, format!("`{}` looks the key up here", func.name)),
            Label::elsewhere(cx.file.to_path_buf(), insert, "and inserts it here, trusting it is unique"),
        ],
        steps: vec![
            (Actor::A, read.span, format!("request A looks {{column}} up at {code}:{rl} and finds nothing")),
            (Actor::B, read.span, format!("request B looks the same key up at {code}:{rl} before A inserts it, and finds nothing too")),
            (Actor::Both, insert.span, format!("both insert it at {code}:{il}: nothing refuses the second row, and both go on as the first")),
        ],
        fields,
    })
}

/// A claim by insert (`ON CONFLICT DO NOTHING`, a caught duplicate-key error) whose result
/// decides, of a dedup key the schema keeps unique nowhere: it never conflicts, so every
/// request wins it.
fn void_claim<'s>(
    func: &FunctionIr,
    shared: &Analysis,
    cx: &RuleContext<'s>,
    c: usize,
) -> Option<Reliance<'s>> {
    let claim = &func.effects[c];
    let EffectKind::Write { sets, kind, .. } = &claim.kind else {
        return None;
    };
    // A helper's claim is the helper's finding.
    let decides = kind.is_claim_form() && shared.flow.is_tested(c) || shared.flow.at[c].unique_try;
    if !claim.via.is_empty() || !decides || !unique_keys::never_conflicts(claim, cx.schema) {
        return None;
    }
    let table = cx.schema.table(claim.kind.resource()?)?;
    let fields = dedup_fields(table, sets.iter());
    fields.first()?;
    let (line, code) = (claim.span.line, cx.file.display());
    Some(Reliance {
        table,
        fields,
        filter: Vec::new(),
        sites: vec![Label::elsewhere(
            cx.file.to_path_buf(),
            claim,
            format!("`{}` claims the key here, trusting a duplicate to conflict", func.name),
        )],
        steps: vec![
            (Actor::A, claim.span, format!("request A inserts {{column}} at {code}:{line} and wins the claim")),
            (Actor::B, claim.span, format!("request B inserts the same key at {code}:{line}: nothing conflicts, so it wins too")),
            (Actor::Both, claim.span, "both go on as the only one".to_string()),
        ],
    })
}

/// The columns among `fields` that hold a dedup key; any of them in a table named as a
/// record of operations done (`processed_events`, `sent_emails`), a dedup store whatever its
/// key is called.
fn dedup_fields<'a>(table: &Table, fields: impl Iterator<Item = &'a String>) -> Vec<String> {
    let store = vocabulary().dedup_keys.any_word_of(&table.name);
    fields
        .filter(|f| store || vocabulary().is_dedup_column(f))
        .cloned()
        .collect()
}
