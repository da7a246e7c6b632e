//! Classification of statement forms, through the parser and through the token fallback.

use super::*;

fn c(sql: &str) -> SqlInfo {
    classify(sql).unwrap_or_else(|| panic!("not classified: {sql}"))
}

fn kind(sql: &str) -> SqlKind {
    c(sql).kind
}

fn tables(sql: &str) -> Vec<String> {
    c(sql).tables
}

/// The token-only path, as taken when no dialect parses the text.
fn fallback(sql: &str) -> SqlInfo {
    let toks: Vec<Tok> = Lexer::new(sql).take_while(|t| !t.is_punct(";")).collect();
    let body = statement_body(&toks);
    let mut info = scan_clauses(body);
    token_structure(&mut info, body);
    info
}

#[test]
fn select_lists_from_join_and_derived_tables_main_first() {
    let info =
        c("SELECT * FROM orders o JOIN users u ON u.id = o.uid LEFT JOIN items i ON i.x = u.id");
    assert_eq!(info.kind, SqlKind::Select);
    assert_eq!(info.tables, ["orders", "users", "items"]);
    assert!(!info.locking && !info.window && !info.conditional);
    assert_eq!(
        tables("SELECT * FROM a, b AS x WHERE a.id = x.id"),
        ["a", "b"]
    );
    assert_eq!(tables("SELECT * FROM (SELECT * FROM orders) o"), ["orders"]);
}

#[test]
fn select_locking_clauses() {
    for sql in [
        "SELECT * FROM orders WHERE id = $1 FOR UPDATE",
        "SELECT * FROM orders WHERE state = 'new' LIMIT 1 FOR UPDATE SKIP LOCKED",
        "SELECT * FROM orders WHERE id = $1 FOR SHARE NOWAIT",
        "SELECT * FROM orders WHERE id = $1 FOR NO KEY UPDATE",
        "SELECT * FROM orders WHERE id = $1 FOR KEY SHARE",
        "SELECT * FROM orders WHERE id = ? LOCK IN SHARE MODE",
    ] {
        let info = c(sql);
        assert!(info.locking, "{sql}");
        assert_eq!(info.tables, ["orders"], "{sql}");
    }
    assert!(!c("SELECT * FROM orders WHERE id = $1").locking);
}

#[test]
fn insert_plain() {
    let info = c("INSERT INTO charges (a,b) VALUES ($1,$2)");
    assert_eq!(info.kind, SqlKind::Insert);
    assert_eq!(info.tables, ["charges"]);
    assert_eq!(info.on_conflict, None);
    assert!(!info.returning && !info.conditional && info.sets.is_empty());
    assert_eq!(info.columns, ["a", "b"]);
}

#[test]
fn a_select_of_only_a_subquery_reads_the_subquerys_table() {
    let sql = "SELECT EXISTS(SELECT 1 FROM payments WHERE order_id = $1) AS paid";
    assert_eq!(tables(sql), ["payments"]);
    assert_eq!(c(sql).filter.equalities[0].field, "order_id");
    assert_eq!(
        tables("SELECT (SELECT count(*) FROM seats WHERE event_id = $1)"),
        ["seats"]
    );
    assert!(tables("SELECT 1").is_empty());
}

#[test]
fn a_select_names_the_columns_it_returns_in_order() {
    let selected = |sql: &str| c(sql).selected;
    assert_eq!(
        selected("SELECT c.id, Used, count(*) AS n, now() FROM codes c WHERE code = $1"),
        ["id", "used", "n", ""]
    );
    assert!(selected("SELECT *, id FROM codes").is_empty());
    assert!(selected("SELECT c.*, id FROM codes c").is_empty());
}

#[test]
fn a_select_of_aggregates_only_is_an_aggregate() {
    let aggregate = |sql: &str| c(sql).aggregate;
    assert!(aggregate("SELECT count(*) FROM posts WHERE author_id = $1"));
    assert!(aggregate(
        "SELECT COUNT(id) AS n, sum(amount)::int FROM payouts"
    ));
    assert!(aggregate(
        "SELECT (SELECT count(*) FROM seats WHERE event_id = $1)"
    ));
    assert!(!aggregate("SELECT id, count(*) FROM seats GROUP BY id"));
    assert!(!aggregate("SELECT * FROM seats"));
}

#[test]
fn where_equalities_are_the_key_a_statement_selects_by() {
    let eqs = |sql: &str| -> Vec<String> {
        c(sql)
            .filter
            .equalities
            .into_iter()
            .map(|f| match f.constant {
                Some(k) => format!("{}={k}", f.field),
                None => f.field,
            })
            .collect()
    };
    assert_eq!(
        eqs("SELECT * FROM p WHERE order_id = $1 AND status = 'PAID' AND deleted_at IS NULL"),
        ["order_id", "status=paid", "deleted_at=null"]
    );
    assert_eq!(
        eqs("SELECT * FROM p WHERE ($1 = p.key) AND active"),
        ["key", "active=true"]
    );
    // Alternatives, ranges, functions of a column other than case folding, and join
    // conditions select by no key.
    assert_eq!(
        eqs("SELECT * FROM p WHERE a = $1 OR b = $2"),
        Vec::<String>::new()
    );
    assert_eq!(
        eqs("SELECT * FROM p WHERE lower(email) = lower($1) AND n > 3"),
        ["email"]
    );
    assert_eq!(
        eqs("SELECT * FROM p WHERE length(email) = $1"),
        Vec::<String>::new()
    );
    assert_eq!(
        eqs("SELECT * FROM p JOIN q ON 1 = 1 WHERE p.id = q.pid"),
        Vec::<String>::new()
    );
    assert_eq!(eqs("UPDATE p SET a = 1 WHERE id = $1"), ["id"]);
}

#[test]
fn insert_conflict_clauses() {
    let conflict = |sql: &str| c(sql).on_conflict;
    for sql in [
        "INSERT INTO keys (key) VALUES ($1) ON CONFLICT (key) DO NOTHING",
        "INSERT IGNORE INTO t (a) VALUES (?)",
        "INSERT OR IGNORE INTO t (a) VALUES (?)",
    ] {
        assert_eq!(conflict(sql), Some(Conflict::DoNothing), "{sql}");
    }
    for sql in [
        "INSERT INTO t (k) VALUES ($1) ON CONFLICT (k) DO UPDATE SET a = EXCLUDED.a",
        "INSERT INTO t (k) VALUES (?) ON DUPLICATE KEY UPDATE n = VALUES(n)",
        "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET a = s.a",
    ] {
        assert_eq!(conflict(sql), Some(Conflict::DoUpdate), "{sql}");
        assert_eq!(kind(sql), SqlKind::Insert);
    }
    assert_eq!(conflict("REPLACE INTO t (a) VALUES (?)"), None);
    assert!(c("INSERT INTO k (a) VALUES ($1) ON CONFLICT DO NOTHING RETURNING id").returning);
}

#[test]
fn upsert_sets_and_derived() {
    let excluded = c("INSERT INTO t (k) VALUES ($1) ON CONFLICT (k) DO UPDATE SET a = EXCLUDED.a");
    assert_eq!(excluded.sets, ["a"]);
    assert!(excluded.derived.is_empty());
    let counter = c("INSERT INTO t (k, n) VALUES (?, 1) ON DUPLICATE KEY UPDATE n = n + 1");
    assert_eq!(counter.sets, ["n"]);
    assert_eq!(counter.derived, ["n"]);
    assert!(
        c("INSERT INTO t (k, n) VALUES (?, ?) ON DUPLICATE KEY UPDATE n = VALUES(n)")
            .derived
            .is_empty()
    );
}

#[test]
fn update_by_key_is_not_conditional() {
    let info = c("UPDATE orders SET status = $1 WHERE id = $2");
    assert_eq!(info.kind, SqlKind::Update);
    assert_eq!(info.tables, ["orders"]);
    assert_eq!(info.sets, ["status"]);
    assert!(!info.conditional && info.derived.is_empty() && !info.returning);
    for sql in [
        "UPDATE orders SET status = __hole0 WHERE id = __hole1 AND tenant = '__hole2'",
        "UPDATE jobs SET state = $1 WHERE id = ANY($2) AND 1 = 1",
        "UPDATE jobs SET state = $1 WHERE id IN ($2, $3) AND lower(email) = lower($4)",
    ] {
        assert!(!c(sql).conditional, "{sql}");
    }
}

#[test]
fn update_that_rechecks_state_is_conditional() {
    for sql in [
        "UPDATE orders SET status='paid' WHERE id=$1 AND status='pending' RETURNING *",
        "UPDATE accounts SET balance = balance - $1 WHERE id = $2 AND balance >= $1",
        "UPDATE coupons SET redeemed_at = NOW() WHERE code = $1 AND redeemed_at IS NULL",
        "UPDATE coupons SET owner = $1 WHERE code = $2 AND used = false",
        "UPDATE jobs SET state = $1 WHERE id = $2 AND state IN ('new', 'retry')",
        "UPDATE docs SET body = $1, version = $2 WHERE id = $3 AND version = $4",
        "UPDATE docs SET body = $1 WHERE id = $2 AND NOT locked",
    ] {
        assert!(c(sql).conditional, "{sql}");
    }
    assert!(c("UPDATE orders SET status='paid' WHERE id=$1 RETURNING *").returning);
}

#[test]
fn update_value_computed_from_a_column_is_derived() {
    let increment = c("UPDATE t SET n = n + 1 WHERE id = $1");
    assert!(increment.derived == ["n"] && !increment.conditional);
    let debit = c("UPDATE a SET balance = balance - $1, note = $3 WHERE id = $2");
    assert_eq!(debit.derived, ["balance"]);
    assert!(
        c("UPDATE t SET a = DEFAULT, b = now(), c = $1::int WHERE id = $2")
            .derived
            .is_empty()
    );
}

#[test]
fn delete_with_where_is_conditional() {
    let info = c("DELETE FROM tokens WHERE token = $1");
    assert_eq!(info.kind, SqlKind::Delete);
    assert_eq!(info.tables, ["tokens"]);
    assert!(info.conditional);
    assert!(!c("DELETE FROM tokens").conditional);
}

#[test]
fn time_window_relative_to_now() {
    let seed = c(
        "SELECT id FROM charges WHERE user_id = $1 AND product_id = $2 \
                  AND created_at > NOW() - INTERVAL '5 minutes'",
    );
    assert!(seed.window);
    assert_eq!(seed.tables, ["charges"]);
    for sql in [
        "SELECT 1 FROM c WHERE created_at > DATE_SUB(NOW(), INTERVAL 5 MINUTE)",
        "SELECT 1 FROM c WHERE created_at >= now() - interval '1 hour'",
        "SELECT 1 FROM c WHERE created_at > CURRENT_TIMESTAMP - INTERVAL '1 hour'",
        "SELECT 1 FROM c WHERE created_at > NOW() - $1::interval",
        "SELECT 1 FROM c WHERE created_at > datetime('now', '-5 minutes')",
        "DELETE FROM c WHERE created_at < now() - interval '1 day'",
    ] {
        assert!(c(sql).window, "{sql}");
    }
    assert!(!c("SELECT 1 FROM c WHERE expires_at > NOW()").window);
    assert!(!c("SELECT NOW() - INTERVAL '1 day' FROM c WHERE id = $1").window);
}

#[test]
fn holes_are_parameters_and_never_table_names() {
    assert_eq!(
        tables("SELECT * FROM orders WHERE id = __hole0"),
        ["orders"]
    );
    assert!(tables("SELECT * FROM __hole0 WHERE id = $1").is_empty());
    assert!(tables("SELECT * FROM __hole0 ORDER BY __hole1 __hole2").is_empty());
    assert!(tables("UPDATE __hole0 SET a = $1 WHERE id = $2").is_empty());
}

#[test]
fn transaction_control() {
    use Isolation::*;
    assert_eq!(kind("BEGIN"), SqlKind::Begin(Default));
    assert_eq!(kind("START TRANSACTION"), SqlKind::Begin(Default));
    assert_eq!(
        kind("BEGIN ISOLATION LEVEL SERIALIZABLE"),
        SqlKind::Begin(Serializable)
    );
    let repeatable = "BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ";
    assert_eq!(kind(repeatable), SqlKind::Begin(RepeatableRead));
    let start = "START TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ WRITE";
    assert_eq!(kind(start), SqlKind::Begin(Serializable));
    assert_eq!(kind("COMMIT"), SqlKind::Commit);
    assert_eq!(kind("END"), SqlKind::Commit);
    assert_eq!(kind("ROLLBACK"), SqlKind::Rollback);
    for sql in [
        "ROLLBACK TO SAVEPOINT a",
        "SAVEPOINT a",
        "RELEASE SAVEPOINT a",
    ] {
        assert_eq!(kind(sql), SqlKind::Other, "{sql}");
    }
}

#[test]
fn set_transaction_isolation() {
    let serializable = SqlKind::SetIsolation(Isolation::Serializable);
    assert_eq!(
        kind("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE"),
        serializable
    );
    let session = "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE";
    assert_eq!(kind(session), serializable);
    let mysql = "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED";
    assert_eq!(kind(mysql), SqlKind::SetIsolation(Isolation::ReadCommitted));
    assert_eq!(kind("SET search_path TO app"), SqlKind::Other);
}

#[test]
fn advisory_locks() {
    let lock = |try_lock, xact| SqlKind::AdvisoryLock { try_lock, xact };
    assert_eq!(kind("SELECT pg_advisory_xact_lock($1)"), lock(false, true));
    assert_eq!(
        kind("SELECT pg_try_advisory_lock(hashtext($1)) AS ok"),
        lock(true, false)
    );
    assert_eq!(
        kind("SELECT pg_try_advisory_xact_lock_shared(1, 2)"),
        lock(true, true)
    );
    assert_eq!(kind("SELECT GET_LOCK('x', 10)"), lock(true, false));
    assert_eq!(
        kind("SELECT pg_advisory_lock(__hole0 __hole1)"),
        lock(false, false)
    );
    assert_eq!(
        kind("SELECT pg_advisory_unlock($1)"),
        SqlKind::AdvisoryUnlock
    );
    assert_eq!(kind("SELECT RELEASE_LOCK('x')"), SqlKind::AdvisoryUnlock);
}

#[test]
fn lock_table() {
    assert_eq!(
        kind("LOCK TABLE orders IN EXCLUSIVE MODE"),
        SqlKind::LockTable
    );
    assert_eq!(tables("LOCK TABLE orders IN EXCLUSIVE MODE"), ["orders"]);
    assert_eq!(
        tables("LOCK TABLES orders WRITE, items READ"),
        ["orders", "items"]
    );
}

#[test]
fn cte_is_classified_by_its_body() {
    let update = c("WITH due AS (SELECT id FROM jobs WHERE run_at < now()) \
                    UPDATE jobs SET state = 'running' WHERE id IN (SELECT id FROM due)");
    assert_eq!(update.kind, SqlKind::Update);
    assert_eq!(update.tables, ["jobs"]);
    let select = c("WITH recent AS (SELECT * FROM orders) SELECT * FROM recent");
    assert_eq!(select.kind, SqlKind::Select);
    assert_eq!(select.tables, ["orders"]);
}

#[test]
fn identifier_quotes_are_stripped() {
    assert_eq!(
        tables(r#"SELECT * FROM "Order" WHERE "id" = $1"#),
        ["Order"]
    );
    assert_eq!(tables("SELECT * FROM `order` WHERE id = ?"), ["order"]);
    assert_eq!(tables("SELECT * FROM [order] WHERE id = @id"), ["order"]);
    assert_eq!(
        c(r#"UPDATE t SET "Status" = $1 WHERE id = $2"#).sets,
        ["status"]
    );
}

#[test]
fn schema_qualified_names_keep_the_schema() {
    assert_eq!(
        tables("SELECT * FROM public.orders WHERE id = $1"),
        ["public.orders"]
    );
    assert_eq!(
        tables("DELETE FROM public.orders WHERE id = ?; SELECT 1"),
        ["public.orders"]
    );
}

#[test]
fn text_that_is_not_sql_is_none() {
    for text in [
        "hello world",
        "user:123",
        "",
        "  ",
        "-- note",
        "((",
        "selection",
        "'SELECT'",
    ] {
        assert_eq!(classify(text), None, "{text:?}");
    }
}

#[test]
fn leading_comments_and_parens_are_skipped() {
    assert_eq!(
        kind("/* app */ -- note\n (SELECT 1) UNION (SELECT 2)"),
        SqlKind::Select
    );
}

#[test]
fn broken_sql_falls_back_to_tokens() {
    let info = c("SELECT * FROM orders WHERE");
    assert_eq!(info.kind, SqlKind::Select);
    assert_eq!(info.tables, ["orders"]);
    assert_eq!(tables("INSERT INTO charges (a, b) VALUES ("), ["charges"]);
}

#[test]
fn fallback_update_keeps_predicate_shape() {
    let guarded = c("UPDATE [orders] SET status = 'paid' WHERE id = @id AND status = 'pending'");
    assert_eq!(guarded.tables, ["orders"]);
    assert_eq!(guarded.sets, ["status"]);
    assert!(guarded.conditional && guarded.derived.is_empty());
    let keyed = c("UPDATE [orders] SET n = n + 1 WHERE id = @id");
    assert!(!keyed.conditional && keyed.derived == ["n"]);
}

#[test]
fn fallback_agrees_with_parser_on_common_forms() {
    for sql in [
        "SELECT * FROM orders o, users AS u JOIN items i ON i.x = o.id FOR SHARE",
        "SELECT id FROM charges WHERE user_id = $1 AND at > NOW() - INTERVAL '5 minutes'",
        "SELECT * FROM (SELECT * FROM orders) o WHERE EXTRACT(EPOCH FROM o.at) > 0",
        "INSERT INTO keys (key) VALUES ($1) ON CONFLICT (key) DO NOTHING RETURNING id",
        "INSERT INTO t (k, a) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET a = EXCLUDED.a",
        "INSERT INTO t (k, n) VALUES (?, 1) ON DUPLICATE KEY UPDATE n = n + 1",
        "UPDATE orders SET status = $1 WHERE id = $2",
        "UPDATE orders SET status='paid' WHERE id=$1 AND status='pending' RETURNING *",
        "UPDATE accounts SET balance = balance - $1 WHERE id = $2 AND balance >= $1",
        "UPDATE coupons SET redeemed_at = NOW() WHERE code = $1 AND redeemed_at IS NULL",
        "UPDATE t SET n = n + 1, m = $2 WHERE id = $1",
        "UPDATE t SET v = v + 1 WHERE id = $1 AND v = $2",
        "DELETE FROM public.tokens WHERE token = $1 RETURNING user_id",
        "LOCK TABLE orders IN EXCLUSIVE MODE",
    ] {
        // Only the parser lists an INSERT's columns, a WHERE's equalities and what a SELECT
        // returns.
        let parsed = SqlInfo {
            columns: Vec::new(),
            filter: Default::default(),
            selected: Vec::new(),
            ..c(sql)
        };
        assert_eq!(fallback(sql), parsed, "{sql}");
    }
}

#[test]
fn huge_text_uses_fallback_without_panicking() {
    let sql = format!(
        "SELECT * FROM orders WHERE id IN ({}1)",
        "1, ".repeat(70_000)
    );
    assert!(sql.len() > 200_000);
    assert_eq!(tables(&sql), ["orders"]);
}

#[test]
fn deep_nesting_does_not_panic() {
    assert_eq!(
        kind(&format!("SELECT {}", "(".repeat(10_000))),
        SqlKind::Select
    );
    assert_eq!(classify(&"(".repeat(10_000)), None);
    let chain = format!(
        "UPDATE t SET a = 1 WHERE id = $1{}",
        " OR id = $1".repeat(9_000)
    );
    assert!(!c(&chain).conditional);
    let casts = format!("SELECT 1 FROM t WHERE a = $1{}", "::int".repeat(15_000));
    assert_eq!(tables(&casts), ["t"]);
    let sum = format!("UPDATE t SET a = a{} WHERE id = $1", "+a".repeat(49_000));
    assert_eq!(c(&sum).derived, ["a"]);
    let union = format!("SELECT 1 FROM t{}", " UNION SELECT 1 FROM t".repeat(4_000));
    assert_eq!(tables(&union), ["t"]);
}

#[test]
fn garbage_does_not_panic() {
    let pieces = [
        "SELECT",
        "UPDATE",
        "INSERT",
        "WITH",
        "FROM",
        "WHERE",
        "SET",
        "INTO",
        "(",
        ")",
        "'",
        "\"",
        "`",
        "[",
        "]",
        "$1",
        "?",
        "::",
        "=",
        "<>",
        ",",
        ";",
        "--",
        "/*",
        "*/",
        "$$",
        "é",
        "€",
        "𝄞",
        "__hole0",
        "NOW()",
        "-",
        "INTERVAL",
        "ON CONFLICT",
        "DO",
        "x",
        "1.5e",
        "\\",
        "@",
        ":a",
        "\n",
        " ",
    ];
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    for round in 0..400 {
        let mut sql = String::from(["", "SELECT ", "UPDATE t SET "][round % 3]);
        for _ in 0..(seed % 40) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            sql.push_str(pieces[(seed % pieces.len() as u64) as usize]);
        }
        let _ = (classify(&sql), fallback(&sql));
    }
    for sql in [
        "SELECT 'abc",
        "SELECT \"a",
        "/* open",
        "SELECT $$x",
        "UPDATE [",
        "SELECT E'\\'",
    ] {
        let _ = (classify(sql), fallback(sql));
    }
}
