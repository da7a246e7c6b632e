//! Matching one library model against a call chain.

use super::schema::{CallModel, EffectModel, LibraryModel, Modifier, ResourceFrom};
use super::shape::{Arg, ArgValue, CallShape, Segment};
use crate::ir::Isolation;
use crate::models::sql::{self, SqlInfo};

/// What a call does, according to the first model that matched it.
#[derive(Clone, Debug)]
pub struct Classified<'m> {
    pub library: &'m str,
    /// The model is the user's (see [`super::LibraryModel::user`]).
    pub user: bool,
    pub model: &'m CallModel,
    pub effect: EffectModel,
    /// Index of the triggering segment in the chain.
    pub trigger: usize,
    pub resource: Option<String>,
    pub locking: bool,
    pub sql: Option<SqlInfo>,
    /// The idempotency-key argument, when the call carries one.
    pub key: Option<Arg>,
    pub txn: Option<TxnInfo>,
    /// A transaction handle named by an option or chained call (`{ transaction: t }`).
    pub txn_handle: Option<String>,
    pub kv: Option<KvSet>,
    /// A file-system write that cannot replace an existing file.
    pub exclusive: bool,
    /// A file-system write that fails when the path exists.
    pub refuses: bool,
    /// A read that filters on row state.
    pub state_filter: bool,
    /// A read that computes over many rows.
    pub aggregate: bool,
    /// The call works on state in this process's memory.
    pub in_process: bool,
}

#[derive(Clone, Debug)]
pub struct TxnInfo {
    pub isolation: Isolation,
    /// The callback run inside the transaction or lock, when the call takes one.
    pub callback: Option<Arg>,
}

#[derive(Clone, Debug, Default)]
pub struct KvSet {
    /// Set only if absent (`NX`): a claim.
    pub if_absent: bool,
    /// The key, as written.
    pub key: Option<String>,
    /// The expiry, when it evaluates (`'EX', 60`, `{ PX: 30_000 }`, `setex(k, 600, v)`).
    pub ttl_ms: Option<u64>,
}

/// Classifies a call chain by one library; `lock_calls` are the language's (see
/// [`super::FileModels`]), left out of a `path` resource.
pub(super) fn classify<'m>(
    lib: &'m LibraryModel,
    imported: bool,
    shape: &CallShape,
    lock_calls: &[String],
) -> Option<Classified<'m>> {
    lib.calls.iter().find_map(|model| {
        if model.when_imported && !imported {
            return None;
        }
        let trigger = find_trigger(model, shape)?;
        if !module_path_is_ours(lib, model, shape, trigger) {
            return None;
        }
        // A map a function built for itself is not shared state.
        let receiver_local = trigger > 0 && shape.segments[trigger - 1].local;
        if lib.library.memory && receiver_local {
            return None;
        }
        build(lib, model, shape, trigger, lock_calls)
    })
}

/// A function reached through a module path (`diesel::dsl::exists(..)`) belongs to the crate
/// the path starts at: an entry open to any receiver (`path.exists()`) takes it only when
/// that crate is its library's.
fn module_path_is_ours(
    lib: &LibraryModel,
    model: &CallModel,
    shape: &CallShape,
    trigger: usize,
) -> bool {
    let segs = &shape.segments;
    let through_module = trigger > 0 && segs[trigger - 1].module;
    !through_module
        || !model.root.is_empty()
        || !model.receiver.is_empty()
        || lib.library.imports.iter().any(|i| *i == segs[0].name)
}

fn find_trigger(model: &CallModel, shape: &CallShape) -> Option<usize> {
    let segs = &shape.segments;
    let index = segs
        .iter()
        .position(|s| s.is_call() && model.methods.contains(&s.name))?;
    if !model.root.is_empty() && !matches_any(&model.root, &segs[0]) {
        return None;
    }
    if !model.receiver.is_empty() {
        let receiver = index.checked_sub(1).map(|i| &segs[i])?;
        if !matches_any(&model.receiver, receiver) {
            return None;
        }
    }
    if !model.chain.is_empty() && !segs.iter().any(|s| matches_any(&model.chain, s)) {
        return None;
    }
    if !model.arg0_new.is_empty() {
        let class = match segs[index].args().first().map(|a| &a.value) {
            Some(ArgValue::New { class, .. }) => class,
            _ => return None,
        };
        if !model.arg0_new.iter().any(|c| c == class) {
            return None;
        }
    }
    if !model.arg_keys.is_empty() {
        let first_object = segs[index].args().iter().find_map(Arg::object)?;
        let has = |k: &String| first_object.iter().any(|(name, _)| name == k);
        if !model.arg_keys.iter().all(has) {
            return None;
        }
    }
    if !model
        .requires
        .iter()
        .all(|r| shape.calls_named(r).next().is_some())
    {
        return None;
    }
    let option_holds = |(key, values): (&String, &Vec<String>)| {
        segs[index].args().iter().any(|a| {
            a.lookup(key)
                .and_then(Arg::as_str)
                .is_some_and(|v| values.iter().any(|want| want.eq_ignore_ascii_case(v)))
        })
    };
    if !model.when_option.iter().all(option_holds) {
        return None;
    }
    let arg0_holds = |(call, values): (&String, &Vec<String>)| {
        shape.calls_named(call).any(|s| {
            s.args()
                .first()
                .and_then(Arg::as_str)
                .is_some_and(|a| values.iter().any(|v| v.eq_ignore_ascii_case(a)))
        })
    };
    if !model.when_arg0.iter().all(arg0_holds) {
        return None;
    }
    if !model.url.is_empty() {
        let url = segs[index].args().first().and_then(Arg::as_str)?;
        if !model.url.iter().any(|p| glob(p, url)) {
            return None;
        }
    }
    Some(index)
}

fn build<'m>(
    lib: &'m LibraryModel,
    model: &'m CallModel,
    shape: &CallShape,
    trigger: usize,
    lock_calls: &[String],
) -> Option<Classified<'m>> {
    let mut out = Classified {
        library: &lib.library.name,
        user: lib.user,
        model,
        effect: model.effect,
        trigger,
        resource: resource(lib, &model.resource, shape, trigger, lock_calls),
        locking: false,
        sql: None,
        key: None,
        txn: None,
        txn_handle: None,
        kv: None,
        exclusive: false,
        refuses: false,
        state_filter: false,
        aggregate: false,
        in_process: lib.library.memory,
    };
    if model.effect == EffectModel::Sql {
        let text = sql_text(&shape.segments[trigger], model.sql_arg)?;
        out.sql = Some(sql::classify(&text)?);
    }
    for m in lib
        .modifiers
        .iter()
        .filter(|m| modifier_applies(m, shape, trigger))
    {
        out.locking |= m.locking;
        out.exclusive |= m.exclusive;
        out.refuses |= m.refuses;
        out.state_filter |= m.state_filter;
        out.aggregate |= m.aggregate;
        if let Some(becomes) = m.becomes {
            out.effect = becomes;
        }
        if m.txn_handle {
            out.txn_handle = modifier_handle(m, shape);
        }
    }
    // An update that selects its rows by their state (`update(t).filter(uses.lt(max))`)
    // changes only rows still in it: a claim when its count is tested.
    if out.state_filter && out.effect == EffectModel::Update {
        out.effect = EffectModel::Conditional;
    }
    let args = shape.segments[trigger].args();
    out.key = model
        .key
        .iter()
        .find_map(|path| call_key(path, shape).or_else(|| args.iter().find_map(|a| a.lookup(path))))
        .cloned();
    if matches!(out.effect, EffectModel::Txn | EffectModel::LockScope) {
        out.txn = Some(TxnInfo {
            isolation: isolation(shape),
            callback: args
                .iter()
                .rev()
                .find(|a| matches!(a.value, ArgValue::Function { .. }))
                .cloned(),
        });
    }
    if out.effect == EffectModel::KvSet {
        out.kv = Some(kv_set(shape, trigger));
    }
    Some(out)
}

/// A key passed through a call of the chain rather than an option: `name(marker)` is the
/// last argument of a `name` call one of whose arguments mentions `marker`
/// (`header(Idempotency-Key)`, `with_strategy(Idempotent)`).
pub fn call_key<'s>(spec: &'s str, shape: &'s CallShape) -> Option<&'s Arg> {
    let (name, marker) = spec.strip_suffix(')')?.split_once('(')?;
    shape
        .calls_named(name)
        .filter(|s| {
            s.args().iter().any(|a| {
                a.text()
                    .to_ascii_lowercase()
                    .contains(&marker.to_ascii_lowercase())
            })
        })
        .find_map(|s| s.args().last())
}

/// A key-value store: its key, whether it only sets an absent key, and its expiry. The
/// command's words are the call's arguments, or the `.arg(..)` calls of `redis::cmd("SET")`.
fn kv_set(shape: &CallShape, trigger: usize) -> KvSet {
    let command = shape.segments[trigger].name.to_ascii_lowercase();
    let words: Vec<&Arg> = if shape.calls_named("cmd").next().is_some() {
        shape.calls_named("arg").flat_map(Segment::args).collect()
    } else {
        shape.segments[trigger].args().iter().collect()
    };
    let is_word = |a: &Arg, w: &str| a.as_str().is_some_and(|s| s.eq_ignore_ascii_case(w));
    let option = |name: &str| words.iter().find_map(|a| a.lookup(name));
    // Redis names its set-if-absent commands with an NX suffix (SETNX, HSETNX).
    let if_absent = command.ends_with("nx")
        || words.iter().any(|a| is_word(a, "nx"))
        || option("NX").is_some_and(Arg::is_truthy)
        || option("condition").is_some_and(|c| is_word(c, "nx"));
    let after = |w: &str| {
        words
            .iter()
            .position(|a| is_word(a, w))
            .and_then(|i| words.get(i + 1))
            .and_then(|a| evaluate(&a.source_text()))
    };
    // `setex(key, seconds, value)` in Node, `set_ex(key, value, seconds)` in redis-rs.
    let positional = |i: usize| words.get(i).and_then(|a| evaluate(&a.source_text()));
    let ttl_ms = match command.as_str() {
        "setex" => positional(1).map(|s| s * 1000),
        "psetex" => positional(1),
        "set_ex" => positional(2).map(|s| s * 1000),
        "pset_ex" => positional(2),
        _ => after("ex")
            .map(|s| s * 1000)
            .or_else(|| after("px"))
            .or_else(|| {
                option("EX")
                    .and_then(|a| evaluate(&a.source_text()))
                    .map(|s| s * 1000)
            })
            .or_else(|| option("PX").and_then(|a| evaluate(&a.source_text()))),
    };
    KvSet {
        if_absent,
        key: words.first().map(|a| a.source_text()),
        ttl_ms,
    }
}

/// A duration written as digits and products (`60`, `30_000`, `60 * 60 * 24`).
/// A whole number written as a product of literals (`15 * 60`, `86_400`).
pub fn evaluate(text: &str) -> Option<u64> {
    text.split('*').try_fold(1u64, |acc, part| {
        let digits: String = part.trim().chars().filter(|c| *c != '_').collect();
        acc.checked_mul(digits.parse::<u64>().ok()?)
    })
}

fn resource(
    lib: &LibraryModel,
    from: &ResourceFrom,
    shape: &CallShape,
    trigger: usize,
    lock_calls: &[String],
) -> Option<String> {
    let segs = &shape.segments;
    let first_arg = |s: &Segment| s.args().first().map(Arg::source_text);
    match from {
        ResourceFrom::None => None,
        ResourceFrom::Member => {
            let member = segs.get(trigger.checked_sub(1)?)?;
            (trigger >= 2 && !member.is_call()).then(|| member.name.clone())
        }
        ResourceFrom::Receiver => {
            let receiver = segs.get(trigger.checked_sub(1)?)?;
            if receiver.is_call() {
                first_arg(receiver)
            } else {
                receiver
                    .bound_resource
                    .clone()
                    .or_else(|| (receiver.name != "this").then(|| receiver.name.clone()))
            }
        }
        ResourceFrom::Arg0 => first_arg(&segs[trigger]),
        ResourceFrom::Arg1 => segs[trigger]
            .args()
            .get(1)
            .and_then(Arg::as_name)
            .map(str::to_string),
        // A chain led by a function (`select(exists(orders::table.filter(..)))`) names its
        // table inside that function's argument.
        ResourceFrom::Head => match segs.first() {
            Some(s) if s.module || s.is_call() => segs
                .iter()
                .find(|s| s.is_call())
                .and_then(first_arg)
                .map(|text| innermost_head(&text).to_string()),
            s => s.map(|s| s.name.clone()),
        },
        ResourceFrom::Name(name) => Some(name.clone()),
        ResourceFrom::Entity => {
            let names: Vec<&str> = segs
                .iter()
                .take_while(|s| !s.is_call())
                .map(|s| s.name.as_str())
                .filter(|n| !lib.entity_types.iter().any(|t| t == n))
                .collect();
            names.last().map(|n| n.to_string())
        }
        ResourceFrom::Path => {
            let parts: Vec<String> = segs[..trigger]
                .iter()
                .enumerate()
                .filter(|(_, s)| !matches!(s.name.as_str(), "self" | "this"))
                .filter(|(_, s)| {
                    !(s.is_call() && s.args().is_empty() && lock_calls.contains(&s.name))
                })
                .map(|(i, s)| match (&s.bound_resource, &s.args) {
                    (Some(bound), _) if i == 0 => bound.clone(),
                    (_, None) => s.name.clone(),
                    (_, Some(args)) => {
                        let args: Vec<String> = args.iter().map(Arg::source_text).collect();
                        format!("{}({})", s.name, args.join(","))
                    }
                })
                .collect();
            (!parts.is_empty()).then(|| parts.join("."))
        }
        ResourceFrom::CallHead(name) => shape
            .calls_named(name)
            .next()
            .and_then(first_arg)
            .map(|text| leading_path(&text).to_string()),
        ResourceFrom::Root => segs
            .iter()
            .enumerate()
            .find(|(i, s)| s.is_call() && (*i == 0 || lib.table_calls.contains(&s.name)))
            .and_then(|(_, s)| first_arg(s)),
        ResourceFrom::Call(name) => shape.calls_named(name).next().and_then(first_arg),
    }
}

/// `exists(orders::table.filter(..))` -> `orders`: through wrapping function calls to the
/// first name of the path they wrap.
fn innermost_head(text: &str) -> &str {
    let mut t = text.trim();
    while let Some(open) = t.find('(') {
        let name = &t[..open];
        if name.is_empty() || name.contains('.') || !t.ends_with(')') {
            break;
        }
        t = t[open + 1..t.len() - 1].trim();
    }
    let end = t
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(t.len());
    &t[..end]
}

/// `orders::table.find(id)` -> `orders::table`: the path before the first method call.
fn leading_path(text: &str) -> &str {
    let head = text.split('(').next().unwrap_or(text);
    if head.len() < text.len() {
        head.rsplit_once('.').map_or(head, |(path, _)| path)
    } else {
        head
    }
}

/// SQL from a string argument or from `{ text }` / `{ sql }` in a config object.
fn sql_text(segment: &Segment, index: usize) -> Option<String> {
    let arg = segment.args().get(index)?;
    arg.as_str()
        .or_else(|| {
            ["text", "sql", "query"]
                .iter()
                .find_map(|k| arg.lookup(k).and_then(Arg::as_str))
        })
        .map(str::to_string)
}

fn modifier_applies(m: &Modifier, shape: &CallShape, trigger: usize) -> bool {
    if !m.methods.is_empty() {
        let hit = shape.segments.iter().any(|s| {
            s.is_call()
                && m.methods.contains(&s.name)
                && (m.first_arg.is_empty()
                    || s.args().first().is_some_and(|a| {
                        let text = a.text();
                        m.first_arg.iter().any(|f| f.eq_ignore_ascii_case(&text))
                    }))
                && (m.callback_contains.is_empty()
                    || s.args().iter().any(|a| match &a.value {
                        ArgValue::Function { text, .. } => m
                            .callback_contains
                            .iter()
                            .any(|c| text.contains(c.as_str())),
                        _ => false,
                    }))
        });
        if !hit {
            return false;
        }
    }
    if let Some(option) = &m.option {
        let hit = shape.objects().any(|o| {
            o.lookup(option).is_some_and(|v| {
                v.is_truthy()
                    && (m.option_value.is_empty() || {
                        let text = v.text().to_ascii_lowercase();
                        m.option_value
                            .iter()
                            .any(|want| text.contains(&want.to_ascii_lowercase()))
                    })
            })
        });
        if !hit {
            return false;
        }
    }
    if !m.string_arg.is_empty() {
        let hit = shape.segments[trigger].args().iter().any(|a| {
            a.as_str()
                .is_some_and(|s| m.string_arg.iter().any(|w| w.eq_ignore_ascii_case(s)))
        });
        if !hit {
            return false;
        }
    }
    if !m.arg_contains.is_empty() {
        let mut calls: Vec<&Segment> = if m.methods.is_empty() {
            vec![&shape.segments[trigger]]
        } else {
            shape
                .segments
                .iter()
                .filter(|s| s.is_call() && m.methods.contains(&s.name))
                .collect()
        };
        let hit = calls.drain(..).flat_map(Segment::args).any(|a| {
            let text = a.text();
            m.arg_contains.iter().any(|w| text.contains(w.as_str()))
        });
        if !hit {
            return false;
        }
    }
    !m.methods.is_empty()
        || m.option.is_some()
        || !m.string_arg.is_empty()
        || !m.arg_contains.is_empty()
}

fn modifier_handle(m: &Modifier, shape: &CallShape) -> Option<String> {
    if let Some(option) = &m.option {
        return shape
            .objects()
            .find_map(|o| o.lookup(option))
            .and_then(Arg::as_name)
            .map(str::to_string);
    }
    shape
        .segments
        .iter()
        .find(|s| s.is_call() && m.methods.contains(&s.name))
        .and_then(|s| s.args().first())
        .and_then(Arg::as_name)
        .map(str::to_string)
}

/// Isolation named anywhere in the chain's non-callback arguments
/// (`{ isolationLevel: 'serializable' }`, `transaction('SERIALIZABLE', ..)`,
/// `.setIsolationLevel('serializable')`), or by a call of the chain (Diesel
/// `build_transaction().serializable()`).
fn isolation(shape: &CallShape) -> Isolation {
    fn scan(arg: &Arg, found: &mut Isolation) {
        match &arg.value {
            ArgValue::Object(fields) => fields.iter().for_each(|(_, a)| scan(a, found)),
            ArgValue::Function { .. } => {}
            _ => *found = (*found).max(parse_isolation(&arg.text())),
        }
    }
    let mut found = Isolation::Default;
    for segment in shape.segments.iter().filter(|s| s.is_call()) {
        if segment.args().is_empty() {
            found = found.max(parse_isolation(&segment.name));
        }
        for arg in segment.args() {
            scan(arg, &mut found);
        }
    }
    found
}

pub(crate) fn parse_isolation(text: &str) -> Isolation {
    let t = text.to_ascii_lowercase().replace(['_', '-'], " ");
    if t.contains("serializable") {
        Isolation::Serializable
    } else if t.contains("repeatable") {
        Isolation::RepeatableRead
    } else if t.contains("read committed") || t.contains("readcommitted") {
        Isolation::ReadCommitted
    } else {
        Isolation::Default
    }
}

fn matches_any(patterns: &[String], seg: &Segment) -> bool {
    patterns.iter().any(|p| {
        if p == "Capitalized" && seg.not_model {
            return false;
        }
        glob(p, &seg.name) || seg.declared_type.as_deref().is_some_and(|t| glob(p, t))
    })
}

/// Case-insensitive glob with `*`; `Capitalized` matches names that start upper-case.
fn glob(pattern: &str, name: &str) -> bool {
    if pattern == "Capitalized" {
        return name.chars().next().is_some_and(char::is_uppercase);
    }
    let p = pattern.to_ascii_lowercase();
    let n = name.to_ascii_lowercase();
    let parts: Vec<&str> = p.split('*').collect();
    if parts.len() == 1 {
        return p == n;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !n.starts_with(first) || n.len() < first.len() + last.len() || !n.ends_with(last) {
        return false;
    }
    let mut rest = &n[first.len()..n.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(at) => rest = &rest[at + middle.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn glob_matches_case_insensitively_with_stars() {
        assert!(glob("*repository", "orderRepository"));
        assert!(glob("*redis*", "this_redisClient"));
        assert!(glob("stripe", "Stripe"));
        assert!(!glob("*repo", "repository2"));
        assert!(glob("Capitalized", "Order"));
        assert!(!glob("Capitalized", "order"));
        assert!(glob("a*b*c", "axxbyyc"));
        assert!(!glob("a*b*c", "ac"));
    }
}
