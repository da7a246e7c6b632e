//! The language-neutral effect IR: what each function does to shared state, in order, with the
//! control structure that decides which effects run. Front-ends build it; rules only read it.

mod visit;

use std::collections::BTreeSet;
use std::fmt;
pub use visit::{walk, Part, Visitor};

/// A source range: byte offsets plus 1-based line and column (columns count characters).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub line: u32,
    pub col: u32,
    pub end_line: u32,
    pub end_col: u32,
}

/// Index of an effect in [`FunctionIr::effects`].
pub type EffectId = usize;
/// Index of a transaction in [`FunctionIr::txns`].
pub type TxnId = usize;

/// Everything the analysis knows about one source file.
#[derive(Debug, Default)]
pub struct FileIr {
    pub functions: Vec<FunctionIr>,
    pub imports: Imports,
    /// Declared field types of the file's structs and classes.
    pub fields: Vec<FieldType>,
    /// Problems met while reading the file (syntax errors, skipped constructs).
    pub notes: Vec<FileNote>,
    /// Macros the file defines that return from the function using them, whatever their
    /// arguments (`macro_rules! err { ($m:expr) => {{ return Err(..) }} }`).
    pub diverging_macros: Vec<String>,
    /// Module-level variables made by calling an imported name: (`db`, `drizzle`) for
    /// `export const db = drizzle(pool)`. Linking follows the name to the library it comes
    /// from, which the variable then belongs to wherever it is imported.
    pub made_by_import: Vec<(String, String)>,
}

/// A field's declared type: `OrderService.repo: OrderRepo`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldType {
    /// The struct or class declaring the field.
    pub owner: String,
    pub field: String,
    pub ty: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileNote {
    pub span: Option<Span>,
    pub message: String,
}

/// One function, method, arrow function or closure.
#[derive(Clone, Debug, Default)]
pub struct FunctionIr {
    /// Human name: `processPayment`, `OrdersService.pay`, `<anonymous at 12:3>`.
    pub name: String,
    /// The name calls use, when the function has one (not a callback or closure).
    pub id: Option<FnName>,
    /// Effects whose result the function returns (`return order`, a tail expression).
    pub returns: BTreeSet<EffectId>,
    /// The function's header, where a finding about the whole function points.
    pub span: Span,
    pub body: Block,
    /// Arena of effects; [`Node::Effect`] refers into it in program order.
    pub effects: Vec<Effect>,
    pub txns: Vec<Txn>,
    /// Writes whose duplicate-key error is handled where their result is examined later
    /// (`let res = insert.await; match res { Err(e) if e.is_unique_violation() => .. }`).
    pub duplicates_handled: Vec<EffectId>,
    /// Effects whose result the function passes on as a value (returns it, hands it to a
    /// call, stores it in a field) rather than only testing it: a cache lookup, not a check.
    pub passed_on: BTreeSet<EffectId>,
}

pub type Block = Vec<Node>;

/// Whether control never falls out of the end of the block.
pub fn exits(block: &[Node]) -> bool {
    leaves(block, &|n| matches!(n, Node::Exit(_) | Node::Fail(_)))
}

/// Whether control leaves the block only with an error (`throw`, `return Err(..)`, `panic!`).
pub fn fails(block: &[Node]) -> bool {
    leaves(block, &|n| matches!(n, Node::Fail(_)))
}

fn leaves(block: &[Node], way_out: &dyn Fn(&Node) -> bool) -> bool {
    block.iter().any(|n| match n {
        Node::Guard {
            then, otherwise, ..
        } => leaves(then, way_out) && leaves(otherwise, way_out),
        // A callee's `return` ends the call; only its failures leave the caller too.
        Node::Scope {
            kind: ScopeKind::Call { .. },
            body,
        } => leaves(body, &|n| matches!(n, Node::Fail(_)) && way_out(n)),
        // Whatever a closure does, its caller decides what the call's result means.
        Node::Scope {
            kind: ScopeKind::Callback { .. },
            ..
        } => false,
        Node::Scope { body, .. } => leaves(body, way_out),
        // Leaving the body by an error goes to the handler: the statement leaves when both
        // do, or when its `finally` does.
        Node::Try {
            body,
            catch,
            finally,
            ..
        } => (leaves(body, way_out) && leaves(catch, way_out)) || leaves(finally, way_out),
        other => way_out(other),
    })
}

/// Control structure around effects.
#[derive(Clone, Debug)]
pub enum Node {
    Effect(EffectId),
    /// A branch whose condition tests earlier results (`if`, `?:`, `&&`, `||`, `??`, `switch`).
    Guard {
        guard: Guard,
        then: Block,
        otherwise: Block,
    },
    /// A body that may run zero or more times.
    Loop(Block),
    Try {
        body: Block,
        catch: Block,
        finally: Block,
        /// The handler tests for a unique-constraint violation (`23505`, `P2002`, `11000`, ...).
        catches_unique_violation: bool,
    },
    /// A callback whose body runs inside a transaction or while a lock is held.
    Scope {
        kind: ScopeKind,
        body: Block,
    },
    /// `return`, `break`, `continue`: control leaves the enclosing block.
    Exit(Span),
    /// `throw`, `return Err(..)`, `?` on an error, `bail!`, `panic!`: control leaves with an
    /// error.
    Fail(Span),
    /// A statement macro that may be the project's own (`err!(..)`): linking makes it a
    /// [`Node::Fail`] when the project defines a macro of that name that returns in every arm,
    /// and drops it otherwise. Rules never see it.
    Macro {
        name: String,
        span: Span,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScopeKind {
    Txn(TxnId),
    /// A lock held for the whole callback (`redlock.using`, `withLock(key, fn)`).
    Lock {
        library: String,
    },
    /// The body of a project function called here, linked in from its definition.
    Call {
        function: String,
    },
    /// A closure given to a call that may be the project's function (`with_lock(.., || ..)`):
    /// linking makes it a lock scope when the callee holds a lock.
    Callback {
        call: EffectId,
    },
}

/// The condition of a branch and what it learns about earlier results.
#[derive(Clone, Debug)]
pub struct Guard {
    pub span: Span,
    pub tests: Vec<Test>,
    /// How the condition joins its tests.
    pub joined: Joined,
}

impl Guard {
    /// A guard whose tests all hold on its `then` branch (one test, or `a && b`).
    pub fn new(span: Span, tests: Vec<Test>) -> Guard {
        Guard {
            span,
            tests,
            joined: Joined::All,
        }
    }
}

/// How a condition joins the tests it makes, as far as its branches tell each one's outcome.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Joined {
    /// `a && b`, or one test: each holds on the `then` branch.
    #[default]
    All,
    /// `a || b`: each fails on the `otherwise` branch.
    Any,
    /// Both operators (`a && (b || c)`): no branch tells each outcome.
    Mixed,
}

impl Joined {
    /// `left op right` where `op` is `All` for `&&` and `Any` for `||` (after any negation
    /// around it); `None` for an operand that is a single test.
    pub fn of(op: Joined, left: Option<Joined>, right: Option<Joined>) -> Joined {
        let fits = |side: Option<Joined>| side.unwrap_or(op) == op;
        if fits(left) && fits(right) {
            op
        } else {
            Joined::Mixed
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Test {
    /// The effect whose result the condition inspects.
    pub effect: EffectId,
    pub kind: TestKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TestKind {
    /// Only whether a row/document/key exists (`!user`, `rows.length === 0`, `count > 0`).
    /// `present_when_true`: the `then` branch is the one where the result exists.
    Presence { present_when_true: bool },
    /// A value inside the result (`order.status === 'paid'`, `user.balance < amount`);
    /// `fields` names the properties read, when known.
    Value { fields: Vec<String> },
}

#[derive(Clone, Debug)]
pub struct Effect {
    pub span: Span,
    pub kind: EffectKind,
    /// Which library model classified the call (`pg`, `prisma`, `stripe`).
    pub library: String,
    /// The call as written, shortened: `prisma.order.findUnique`, `client.query`.
    pub callee: String,
    /// The transaction this effect runs in, if any.
    pub txn: Option<TxnId>,
    /// Effects of one turn run with no other request's code between them: in JavaScript,
    /// no `await` separates them; a front-end for threads gives every effect its own turn.
    pub turn: u32,
    /// For an effect linked in from a called function: the calls it happens inside,
    /// outermost first. Its span is then the outermost call's.
    pub via: Vec<Frame>,
}

impl Effect {
    /// What the effect acts on, as findings name it: its resource, or the call when it has
    /// none.
    pub fn subject(&self) -> String {
        self.kind
            .resource()
            .map_or_else(|| self.callee.clone(), |r| r.to_string())
    }
}

/// One call on the way to an effect inside a helper. Every effect copied from a helper carries
/// its frames, so their names are shared rather than copied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// The function called: `OrdersRepository.findByKey`, `repo::find_order`.
    pub function: std::sync::Arc<str>,
    /// Where the effect is inside it (or the next call on the way).
    pub file: std::sync::Arc<str>,
    pub line: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EffectKind {
    Read {
        resource: Option<Resource>,
        /// The read takes a row lock (`FOR UPDATE`, `lock: { mode: 'pessimistic_write' }`).
        locking: bool,
        /// The read filters on a time window relative to now (`created_at > NOW() - INTERVAL ..`).
        window: bool,
        /// The filter uses a value made fresh at random for this request (`slug-${nanoid()}`),
        /// so no concurrent request can be checking the same key.
        fresh_key: bool,
        /// The filter tests row state (`status = 'unpaid'`), so finding a row is a check of
        /// that state, not only of existence.
        filters_state: bool,
        /// The state lives in this process's memory (a module-level `Map`, a static
        /// `DashMap`): the service's other processes, and this one after a restart, never
        /// see it.
        in_process: bool,
        /// The lookup is by a key the database keeps unique (`findUnique`, `findByPk`): it
        /// refuses a second insert of what was not found.
        unique_key: bool,
        /// The read computes over many rows (`count()`, `SELECT sum(..)`): a test of it is a
        /// quota, which only a write to the same table overshoots.
        aggregate: bool,
        /// What the read selects rows by: the key a schema's unique constraint may cover.
        filter: Filter,
    },
    Write {
        resource: Option<Resource>,
        kind: WriteKind,
        /// Columns or fields the write assigns, when known.
        sets: Vec<String>,
    },
    /// An atomic set-if-absent on a key-value store or file system (`SET k v NX`,
    /// `create_new`) that reports who won. It decides only when a guard tests its result.
    Claim {
        resource: Option<Resource>,
        /// The key claimed, as written (`\`pay:${id}\``, `&key`).
        key: Option<String>,
        /// The claim's expiry, when the code states it in a way that evaluates.
        ttl_ms: Option<u64>,
    },
    /// A key-value store that replaces any value (`SET k v`, `setex`).
    KvPut {
        key: Option<String>,
        ttl_ms: Option<u64>,
    },
    Lock {
        key: Option<String>,
        /// A lock of this process's memory (`Mutex::lock`): it serialises this process's
        /// requests, not those another process serves.
        in_process: bool,
    },
    Unlock,
    TxnBegin(TxnId),
    TxnEnd(TxnId),
    External {
        provider: String,
        operation: String,
        /// The provider deduplicates calls that carry a key, so a key could be passed.
        accepts_key: bool,
        /// What a second run costs, when the model says (not for a generic HTTP request).
        cost: Option<crate::models::Cost>,
        key: Option<Key>,
    },
    /// A file-system probe of a path (`Path::exists`, `fs.existsSync`, `stat`).
    FsCheck {
        path: String,
    },
    /// A change to a path: create, write, mkdir, rename or copy onto it, remove it.
    FsWrite {
        path: String,
        op: String,
        /// Fails instead of replacing what exists, or is idempotent (`create_new`, `'wx'`,
        /// `recursive: true`), or publishes a file this function wrote (rename of a temp file).
        exclusive: bool,
        /// Fails when the path exists (`create_dir`, `mkdir` without `recursive`): a racer gets
        /// an error, never a replaced file or a followed link.
        refuses: bool,
        /// Removes the path rather than creating or replacing it.
        removes: bool,
    },
    /// A call no model classifies that may be the project's own function (`findOrder(id)`,
    /// `this.repo.findByKey(k)`, `repo::find(&pool, id)`). Linking replaces it with what the
    /// callee does; one left unresolved and awaited waits on work whose effects are unknown.
    Call(CallSite),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WriteKind {
    Insert {
        /// Columns whose value is made fresh for this row (a random id, the time): a second
        /// run's copy of the row differs there, so no key over them refuses it.
        fresh: Vec<String>,
    },
    Update {
        derived: Derived,
    },
    Delete,
    Upsert,
    /// Insert that skips duplicates and reports whether it inserted (`ON CONFLICT DO
    /// NOTHING`, `skipDuplicates`): a claim when its result is tested.
    InsertIgnore,
    /// Stores a key, replacing any value, and reports whether the key was new (a map's
    /// `insert`): races like an insert, and is a claim when its result is tested.
    Put {
        /// How many of the function's effects had run when the stored value was loaded or
        /// made (none when it is nothing, a constant, an input or the time). A value made
        /// after a check was made for the key (a cache's data, a registry's task handle);
        /// one that existed before only marks the key as seen, as a duplicate check's does.
        made_at: Option<usize>,
        /// The value comes from the function's parameters: for a helper, from its caller,
        /// as new as the call.
        given: bool,
    },
    /// Update or delete whose filter also tests state, so its count says whether this caller
    /// won: a claim when the count is tested.
    Conditional {
        derived: Derived,
    },
}

impl WriteKind {
    /// Writes whose result can decide a race when a guard tests it.
    pub fn is_claim_form(&self) -> bool {
        matches!(
            self,
            WriteKind::InsertIgnore | WriteKind::Put { .. } | WriteKind::Conditional { .. }
        )
    }
}

/// Fields whose new value an update computes from their old value, atomically in the store
/// (`balance = balance - $1`, `{ increment: 1 }`, `$inc`) or from an earlier read
/// (`balance: wallet.balance - amount`). A check that tested such a field is stale by then.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Derived {
    #[default]
    Nothing,
    Fields(Vec<String>),
    /// Derived fields the model cannot name (`increment(column, n)` with a computed column).
    Unknown,
}

impl Derived {
    pub fn add(&mut self, field: &str) {
        match self {
            Derived::Nothing => *self = Derived::Fields(vec![field.to_string()]),
            Derived::Fields(fields) if !fields.iter().any(|f| f == field) => {
                fields.push(field.to_string())
            }
            _ => {}
        }
    }
}

/// Field names as code and schema spell them: `redeemed_at` ~ `redeemedAt`.
pub fn same_field(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.chars()
            .filter(|c| *c != '_')
            .flat_map(char::to_lowercase)
            .collect::<String>()
    };
    norm(a) == norm(b)
}

/// What a read selects its rows by.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// The fields compared by equality.
    pub equalities: Vec<FieldEq>,
    /// It also has conditions that are no such equality (a range, an alternative, a related
    /// row's field): the equalities alone do not say which rows it selects.
    pub more: bool,
}

/// A field compared by equality in a filter (`where: { orderId }`, `WHERE order_id = $1`,
/// `.filter(status.eq("paid"))`), or in a partial index's condition.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FieldEq {
    pub field: String,
    /// The constant it is compared with, lower-cased without quotes (`pending`, `null`,
    /// `true`); none when it is compared with a variable or an expression.
    pub constant: Option<String>,
}

/// A call as written, for linking it to the function it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallSite {
    /// The names up to the call: `[this, repo, findByKey]`, `[crate, repo, find]`, `[helper]`.
    pub path: Vec<String>,
    /// The declared type of the receiver, when the front-end knows it (`OrdersRepository`).
    pub receiver_type: Option<String>,
    /// The declared type of the first name, when the receiver's is not known here
    /// (`state: State<AppState>` in `state.repo.find(..)`): linking follows the fields.
    pub root_type: Option<String>,
    pub awaited: bool,
    /// Fields of earlier results the arguments were computed from (`wallet.balance - amount`):
    /// a callee that writes them back writes a value derived from what was read.
    pub derived: Vec<String>,
    /// Fields assigned on the record the method is called on (`t.status = ..; t.save(conn)`):
    /// a write in the callee that does not name its columns (`.set(self)`) writes these.
    pub assigned: Vec<String>,
    /// Where the functions given as arguments start (byte offsets): callbacks analysed as
    /// functions of their own, which run under a lock the callee holds.
    pub callbacks: Vec<usize>,
    /// What a library model makes of the call (`this.customersRepository.create` looks like
    /// TypeORM's): the effect when the call does not resolve to a project function.
    pub fallback: Option<Box<EffectKind>>,
}

/// How other functions name a function: its own name, the class or impl type that owns it,
/// and (Rust) the inline modules around it in its file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FnName {
    pub name: String,
    /// The class, impl type or object literal (`const db = { .. }`) it is a method of.
    pub owner: Option<String>,
    pub modules: Vec<String>,
    /// Rust: the trait an impl method implements (`impl Gateway for Stripe`).
    pub implements: Option<String>,
}

/// What a file says about names from elsewhere, for linking its calls.
#[derive(Clone, Debug, Default)]
pub struct Imports {
    /// Names imported: the local name, the module, the name imported there.
    pub names: Vec<ImportedName>,
    /// `export * from './x'` and `export { a as b } from './x'`: the exported name (or `*`),
    /// the module, the name there.
    pub reexports: Vec<ImportedName>,
    /// The name of the function or class exported as `default`.
    pub default_export: Option<String>,
}

/// A name one module takes from another.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ImportedName {
    /// The name in this module (`*` for an `export *`).
    pub here: String,
    /// The module specifier (`./orders`, `@/lib/db`) or Rust path (`crate::repo`).
    pub module: String,
    /// The name in that module: `default`, `*` for a namespace, or the exported name.
    pub there: String,
}

impl ImportedName {
    pub fn new(
        here: impl Into<String>,
        module: impl Into<String>,
        there: impl Into<String>,
    ) -> Self {
        ImportedName {
            here: here.into(),
            module: module.into(),
            there: there.into(),
        }
    }
}

/// A table, model or collection name as written in the code, with its identity key computed
/// once: rules compare resources pairwise, so the key must not be rebuilt per comparison.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Resource {
    name: String,
    key: String,
    /// An append-only log: worked out once, as rules ask it for every pair of effects.
    log: bool,
}

impl Resource {
    pub fn new(name: String) -> Resource {
        let key = identity(&name);
        let log = is_log_name(&name);
        Resource { name, key, log }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Case-, quote-, schema- and plural-insensitive identity: `public."Orders"` ~ `order`.
    pub fn key(&self) -> &str {
        &self.key
    }

    pub fn same_as(&self, other: &Resource) -> bool {
        self.key == other.key
    }

    /// An append-only record of what happened (`documentAuditLog`, `email_log`,
    /// `status_history`), written once per action by design.
    pub fn is_log(&self) -> bool {
        self.log
    }
}

fn is_log_name(name: &str) -> bool {
    let v = crate::vocabulary::vocabulary();
    v.audit_words.any_word_of(name) || v.log_words.is_last_word_of(name)
}

fn identity(name: &str) -> String {
    let last = name.rsplit('.').next().unwrap_or(name);
    let mut words = crate::vocabulary::words(last);
    let suffixes = &crate::vocabulary::vocabulary().container_suffixes;
    // `orderRepository`, `OrderModel` hold orders; `timetable` is no `time` table.
    while words.len() > 1 && words.last().is_some_and(|w| suffixes.has_singular(w)) {
        words.pop();
    }
    let mut s = words.concat();
    if let Some(stem) = s.strip_suffix("ies") {
        return format!("{stem}y");
    }
    for plural in ["sses", "xes", "ches", "shes"] {
        if s.ends_with(plural) {
            s.truncate(s.len() - 2);
            return s;
        }
    }
    if s.len() > 1 && s.ends_with('s') && !s.ends_with("ss") {
        s.pop();
    }
    s
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// An idempotency key handed to a provider, and where its value comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Key {
    pub span: Span,
    pub text: String,
    pub sources: BTreeSet<Source>,
}

impl Test {
    pub fn presence(effect: EffectId, present_when_true: bool) -> Test {
        Test {
            effect,
            kind: TestKind::Presence { present_when_true },
        }
    }

    pub fn value(effect: EffectId, fields: Vec<String>) -> Test {
        Test {
            effect,
            kind: TestKind::Value { fields },
        }
    }
}

impl EffectKind {
    /// Effects whose result a condition can test: reads, writes (counts, returned rows),
    /// claims and file-system probes.
    pub fn is_testable(&self) -> bool {
        matches!(
            self,
            EffectKind::Read { .. }
                | EffectKind::Write { .. }
                | EffectKind::Claim { .. }
                | EffectKind::FsCheck { .. }
                | EffectKind::Call(_)
        )
    }
}

impl Key {
    /// Stable across retries: built only from inputs, stored values and constants.
    pub fn is_stable(&self) -> bool {
        !self.sources.iter().any(|s| s.is_unstable())
    }
}

/// Where a value comes from, as far as the function shows.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// The clock, e.g. `Date.now()`; the name is the call as written.
    Clock(String),
    /// Randomness, e.g. `crypto.randomUUID()`.
    Random(String),
    /// A parameter or request field.
    Input,
    /// A value loaded from storage.
    Stored,
    Constant,
}

impl Source {
    pub fn is_unstable(&self) -> bool {
        matches!(self, Source::Clock(_) | Source::Random(_))
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Txn {
    pub span: Span,
    pub isolation: Isolation,
    /// Begun on a pool rather than one connection, so later statements may run elsewhere
    /// (`pool.query('BEGIN')`).
    pub on_pool: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Isolation {
    Default,
    ReadCommitted,
    RepeatableRead,
    Serializable,
}

impl EffectKind {
    /// A read of state in this process's memory.
    pub fn in_process(&self) -> bool {
        matches!(
            self,
            EffectKind::Read {
                in_process: true,
                ..
            }
        )
    }

    pub fn resource(&self) -> Option<&Resource> {
        match self {
            EffectKind::Read { resource, .. }
            | EffectKind::Write { resource, .. }
            | EffectKind::Claim { resource, .. } => resource.as_ref(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Resource;

    #[test]
    fn logs_are_named_by_a_whole_word() {
        let log = |s: &str| Resource::new(s.to_string()).is_log();
        assert!(log("documentAuditLog"));
        assert!(log("email_log"));
        assert!(log("order_status_history"));
        assert!(log("audit_events"));
        assert!(!log("catalog"));
        assert!(!log("blog_posts"));
        assert!(!log("logins"));
        // A log word counts last only: a ledger's journal entries are acts, not a log.
        assert!(!log("journal_entries"));
        assert!(!log("order_states"));
        assert!(!log("sent_statements"));
    }

    #[test]
    fn resource_keys_fold_case_quotes_schema_and_plurals() {
        let key = |s: &str| Resource::new(s.to_string()).key().to_string();
        assert_eq!(key("orders"), "order");
        assert_eq!(key("Order"), "order");
        assert_eq!(key("public.\"Orders\""), "order");
        assert_eq!(key("orderRepository"), "order");
        assert_eq!(key("order_model_repo"), "order");
        assert_eq!(key("timetable"), "timetable");
        // Containers are matched without plurals: a user's repositories are not users.
        assert_eq!(key("user_repos"), "userrepo");
        assert_eq!(key("categories"), "category");
        assert_eq!(key("addresses"), "address");
        assert_eq!(key("charges"), "charge");
        assert_eq!(key("status"), "statu");
        assert_eq!(key("processed_events"), "processedevent");
    }
}
