//! `missing-unique-constraint`: a table used as an idempotency or dedup store has no unique
//! constraint on its key.

use super::unique_keys::unique_lookup;
use super::{declare_rule, unique_keys, Analysis, RuleContext};
use crate::diagnostic::{Actor, Diagnostic, Label, Severity, Step};
use crate::ir::{EffectKind, FieldEq, FunctionIr};
use crate::vocabulary::vocabulary;

declare_rule! {
    /// ## What it does
    /// Finds a table the code uses as an idempotency or dedup store (it looks a key up, an
    /// `idempotency_key`, an `event_id`, a `stripe_session_id`, or any key of a table named
    /// like `processed_events`, and then inserts a row of that key) whose schema declares no
    /// unique or primary key on that column. The finding sits on the table's declaration in
    /// the schema (the Prisma field, the migration's `CREATE TABLE`); the lookup and the
    /// insert that rely on it are listed with it.
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
    for (r, read) in func.effects.iter().enumerate() {
        let EffectKind::Read {
            filter,
            in_process: false,
            ..
        } = &read.kind
        else {
            continue;
        };
        let Some(table) = read.kind.resource().and_then(|t| cx.schema.table(t)) else {
            continue;
        };
        let inserted = func.effects[r + 1..]
            .iter()
            .find(|w| unique_keys::inserts_into(read, w) && shared.flow.is_tested(r));
        let Some(insert) = inserted else { continue };
        if unique_lookup(read, cx.schema).is_some() {
            continue;
        }
        // A table named as a record of operations done (`processed_events`, `sent_emails`)
        // is a dedup store whatever its key is called.
        let store = vocabulary().dedup_keys.any_word_of(&table.name);
        let keys: Vec<&FieldEq> = filter
            .iter()
            .filter(|f| f.constant.is_none())
            .filter(|f| store || vocabulary().is_dedup_column(&f.field))
            .collect();
        let Some(key) = keys.first() else { continue };
        let Some(site) = table.site_of(&key.field) else {
            continue;
        };
        let fields: Vec<&str> = keys.iter().map(|k| k.field.as_str()).collect();
        let sql = table.file.extension().is_some_and(|e| e == "sql");
        let spelled: Vec<String> = fields
            .iter()
            .map(|f| unique_keys::spelled(table, f, sql))
            .collect();
        let column = format!("`{}.{}`", table.name, spelled.join(", "));
        let (rl, il) = (read.span.line, insert.span.line);
        let code = cx.file.display();
        let mut primary = Label::new(site, format!("no unique constraint on {column}"));
        primary.code = format!("unique {} {}", table.name, fields.join(","));
        let secondary = vec![
            Label::elsewhere(
                cx.file.to_path_buf(),
                read,
                format!("`{}` looks the key up here", func.name),
            ),
            Label::elsewhere(
                cx.file.to_path_buf(),
                insert,
                "and inserts it here, trusting it is unique",
            ),
        ];
        let steps = vec![
            Step::new(Actor::A, read.span, format!("request A looks {column} up at {code}:{rl} and finds nothing")),
            Step::new(Actor::B, read.span, format!("request B looks the same key up at {code}:{rl} before A inserts it, and finds nothing too")),
            Step::new(Actor::Both, insert.span, format!("both insert it at {code}:{il}: nothing refuses the second row, and both go on as the first")),
        ];
        out.push(Diagnostic {
            file: table.file.clone(),
            function: format!("table {}", table.name),
            secondary,
            steps,
            help: unique_keys::declare_in(table, &fields, filter),
            ..cx.diagnostic(
                &MissingUniqueConstraint::META,
                func,
                format!("{column} is used as a dedup key, but the schema keeps it unique nowhere: concurrent requests both insert it"),
                primary,
            )
        });
    }
}
