//! The TOML schema of a library model (`rules/*.toml`, and `[[models]]` in `toctou.toml`).
//! Documented for users in `rules/README.md`; unknown keys are errors.

use serde::Deserialize;
use std::collections::BTreeMap;

/// One library: which of its calls read, write, claim, lock, open transactions or call out.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LibraryModel {
    pub library: LibraryInfo,
    /// Declared in the user's `toctou.toml`: it describes the project's own wrapper, and
    /// wins over linking into the wrapper's source.
    #[serde(skip)]
    pub user: bool,
    /// Fix advice per rule id, shown when the finding involves this library.
    #[serde(default)]
    pub help: BTreeMap<String, String>,
    #[serde(default)]
    pub calls: Vec<CallModel>,
    /// Methods of a row or document the library returned (active records: Sequelize
    /// `instance.update({..})`, Mongoose `doc.save()`): `methods`, `effect` (`update` or
    /// `delete`), `values` and `derived` as for calls; an update without `values` writes back
    /// the fields assigned on the record before it.
    #[serde(default)]
    pub record_methods: Vec<CallModel>,
    /// Options or chained calls that change what a matched call does (`.forUpdate()`,
    /// `{ skipDuplicates: true }`).
    #[serde(default)]
    pub modifiers: Vec<Modifier>,
    /// Calls whose result is unstable across retries (clock, randomness).
    #[serde(default)]
    pub sources: Vec<SourceModel>,
    /// Calls that cut a time down to its calendar date (`toDateString`, `slice(0, 10)`,
    /// `date_naive`): a key built from the result is stable for the day.
    #[serde(default)]
    pub calendar_dates: Vec<String>,
    /// Text in a `catch` handler that shows it handles a unique-constraint violation
    /// (`23505`, `P2002`), turning the insert it guards into a claim.
    #[serde(default)]
    pub unique_violations: Vec<String>,
    /// Calls that only copy or convert a value (`clone`, `to_string`, `String::from`): what
    /// they return is still what they were given, not something made in the function.
    #[serde(default)]
    pub conversions: Vec<String>,
    /// Properties of a query's result that count the rows it found or changed (`rowCount`,
    /// `affectedRows`, `modifiedCount`): a test of one tests whether the query matched, not a
    /// stored field.
    #[serde(default)]
    pub count_properties: Vec<String>,
    /// Decorators whose first argument names the entity a class field is the repository of
    /// (`@InjectRepository(Order)`, `@InjectModel(User.name)`).
    #[serde(default)]
    pub entity_decorators: Vec<String>,
    /// Calls returning a handle on the entity their first argument names, by the type of the
    /// handle: `{ Repository = ["getRepository"] }` makes `getRepository(Order)` a
    /// `Repository` of `Order`, for the `receiver` patterns of `calls`.
    #[serde(default)]
    pub handle_factories: BTreeMap<String, Vec<String>>,
    /// Update operators whose new value is computed from the stored one (Prisma
    /// `{ increment: 1 }`, Mongo `$inc`): the write cannot lose an update made meanwhile.
    #[serde(default)]
    pub atomic_updates: Vec<String>,
    /// Type names standing for an entity, whose module names its table (SeaORM
    /// `order::ActiveModel`, `order::Entity`); an `entity` resource skips them.
    #[serde(default)]
    pub entity_types: Vec<String>,
    /// Calls reading a column of a fetched row by its name (`row.get("id")`,
    /// `row.try_get("id")`): the value is that field of the read.
    #[serde(default)]
    pub row_getters: Vec<String>,
    /// Calls of a query-builder chain whose first argument names the table of a `root`
    /// resource when the chain does not start with it (`from`, `table`, `into`).
    #[serde(default)]
    pub table_calls: Vec<String>,
    /// Packages (npm or crates) that make a package depending on them a user-interface client
    /// (`react-dom`, `tauri`), whose process serves one user.
    #[serde(default)]
    pub client_packages: Vec<String>,
    /// Functions whose boolean is true when the value given is absent or empty (lodash
    /// `isEmpty(rows)`, `isNil(user)`): a test of a result's presence.
    #[serde(default)]
    pub emptiness_tests: Vec<String>,
    /// Calls that turn an absent value into an error (`opt.ok_or(..)?`, anyhow
    /// `.context(..)?`): with `?` they leave the function when a result is absent.
    #[serde(default)]
    pub absent_errors: Vec<String>,
    /// Calls that lock the value they are called on and return a guard standing for it
    /// (`SEEN.lock()`, `cache.write()`): a `path` resource leaves them out, and a local bound
    /// to the guard stands for the value locked.
    #[serde(default)]
    pub lock_calls: Vec<String>,
    /// Words that name a connection pool in a handle's name (`pool`, `dbPool`, `pg_pool`):
    /// each statement run through a pool may take another connection, so a `BEGIN` sent on
    /// one opens no transaction the statements after it share.
    #[serde(default)]
    pub pool_handles: Vec<String>,
    /// Generic types that stand for the value they wrap (`Arc`, `Box`, actix-web `Data`, axum
    /// `State`): a call on a `web::Data<AppState>` is a call on the `AppState`.
    #[serde(default)]
    pub type_wrappers: Vec<String>,
    /// Packages that make a package depending on them a server, whatever else it depends on
    /// (`express`, `axum`).
    #[serde(default)]
    pub server_packages: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LibraryInfo {
    /// Short name shown in findings: `prisma`, `pg`, `stripe`.
    pub name: String,
    /// `typescript` (also covers JavaScript) or `rust`.
    pub language: Language,
    /// Import specifiers (or crate names) whose presence in a file makes this model win over
    /// others that match the same call.
    #[serde(default)]
    pub imports: Vec<String>,
    /// The library keeps its state in the process's memory (a `Map`, a `DashMap`): each
    /// process of a service has its own, and a receiver local to a function is nobody else's.
    #[serde(default)]
    pub memory: bool,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Typescript,
    Rust,
}

/// A call pattern. A call chain `a.b(x).c(y)` matches when one of its calls is named in
/// `methods` and every other given constraint holds; the first matching entry wins.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallModel {
    /// Names of the triggering call (`findUnique`, `query`, `fetch`).
    pub methods: Vec<String>,
    /// Patterns for what the method is called on: the name of the segment before it, or the
    /// receiver's declared type. `*` matches any run of characters; `Capitalized` matches a
    /// name starting with an upper-case letter. Case-insensitive. Empty: any receiver.
    #[serde(default)]
    pub receiver: Vec<String>,
    /// Patterns for the first segment of the chain (`stripe`, `prisma`, `this`).
    #[serde(default)]
    pub root: Vec<String>,
    /// Patterns of which at least one must match some segment of the chain (its name or
    /// declared type), e.g. `*stripe*` for `this.stripeClient.customers.create`.
    #[serde(default)]
    pub chain: Vec<String>,
    /// The first argument must construct one of these classes (`new SendMessageCommand(..)`).
    #[serde(default)]
    pub arg0_new: Vec<String>,
    /// Keys the first object-literal argument must contain (`data`, `where`).
    #[serde(default)]
    pub arg_keys: Vec<String>,
    /// Other calls that must appear in the same chain (`from` for `select().from(t)`).
    #[serde(default)]
    pub requires: Vec<String>,
    /// An option that must hold for the call to count, e.g. `{ method = ["POST", "PUT"] }`:
    /// some object argument has key `method` with one of the string values (case-insensitive).
    #[serde(default)]
    pub when_option: BTreeMap<String, Vec<String>>,
    /// Calls of the chain whose first argument must be one of these strings
    /// (case-insensitive): `{ cmd = ["SET"] }` for `redis::cmd("SET")`.
    #[serde(default)]
    pub when_arg0: BTreeMap<String, Vec<String>>,
    /// The first argument, a string or template, matches one of these patterns: the URL a
    /// request goes to (`*/access_tokens`; a template's holes read as any text).
    #[serde(default)]
    pub url: Vec<String>,
    pub effect: EffectModel,
    /// For reads: the call looks a row up by a key the database keeps unique (`findUnique`,
    /// `findByPk`, `findById`), so the database refuses a second insert of that key.
    #[serde(default)]
    pub unique_key: bool,
    /// The call counts only in a file that imports the library: for names too common to trust
    /// alone (`send` on a `Create*` builder is async-stripe's only where stripe is used).
    #[serde(default)]
    pub when_imported: bool,
    /// Where the table/model/collection name comes from.
    #[serde(default)]
    pub resource: ResourceFrom,
    /// For `effect = "sql"`: the argument holding the SQL text.
    #[serde(default)]
    pub sql_arg: usize,
    /// For writes: where the assigned values are, to tell which fields change and whether a
    /// new value derives from the old one. `data` (a key of the first object argument), `#1`
    /// (argument 1), or `set()` (the first argument of the chained call `set`).
    pub values: Option<String>,
    /// For reads: where the filter is, to tell which fields the read selects rows by:
    /// `where` (a key of an object argument), `#0` (an argument), `where()` (the arguments of
    /// every chained call of that name). See `src/models/filter.rs`.
    #[serde(default)]
    pub filter: Vec<String>,
    /// For writes: the new value always derives from the old one (`increment`).
    #[serde(default)]
    pub derived: bool,
    /// For externals: provider and operation as shown in findings (default: library name,
    /// and the receiver and method as written).
    pub provider: Option<String>,
    pub operation: Option<String>,
    /// For externals: where an idempotency key goes, as key paths into object arguments
    /// (`idempotencyKey`, `headers.Idempotency-Key`). Header names match case-insensitively.
    #[serde(default)]
    pub key: Vec<String>,
    /// For transactions and lock scopes: the transaction handle is the callback's first
    /// parameter (`callback`), the receiver the call is made on (`receiver`), or the variable
    /// the result is assigned to (`result`).
    #[serde(default)]
    pub handle: HandleFrom,
    /// Externals: what a second run of the call costs, which sets how the rules weigh it.
    pub cost: Option<Cost>,
    /// The result reaches a callback instead of the caller: as its first parameter
    /// (`result`, `fs.exists(p, (found) => ..)`), or as the second after an error that is set
    /// when the thing looked for is absent (`error-first`, `fs.stat(p, (err, st) => ..)`).
    pub callback: Option<CallbackResult>,
}

/// What it costs when a provider operation runs twice.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Cost {
    /// Charges, refunds, transfers, payouts, confirmed payment intents, paid invoices: the
    /// money moves twice. A key is expected.
    MovesMoney,
    /// Makes an object at the provider (a customer, a connected account, a product): a
    /// duplicate record. A key is expected.
    CreatesRecord,
    /// Acts on one object by its id whose state refuses a repeat (capturing or cancelling a
    /// given payment intent): the second call fails harmlessly.
    IdempotentByState,
    /// Makes an object nobody uses unless handed it (a Checkout session, a setup intent, an
    /// ephemeral key): a duplicate is an unused page that expires.
    Disposable,
    /// Delivers an e-mail, an SMS, a push or a call: the user gets it twice.
    SendsMessage,
    /// Publishes an event or enqueues a job: consumers handle it twice.
    Publishes,
}

impl Cost {
    /// A repeat does no harm: nothing to guard, and no key to ask for.
    pub fn harmless(self) -> bool {
        matches!(self, Cost::IdempotentByState | Cost::Disposable)
    }

    /// The provider should be given an idempotency key.
    pub fn expects_key(self) -> bool {
        matches!(self, Cost::MovesMoney | Cost::CreatesRecord)
    }

    /// What a repeat does, for findings: "the money moves twice".
    pub fn twice(self) -> &'static str {
        match self {
            Cost::MovesMoney => "the money moves twice",
            Cost::CreatesRecord => "the provider keeps a duplicate record",
            Cost::IdempotentByState => "the provider refuses the second call",
            Cost::Disposable => "the second object goes unused",
            Cost::SendsMessage => "the message goes out twice",
            Cost::Publishes => "consumers get the message twice",
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum CallbackResult {
    Result,
    ErrorFirst,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum EffectModel {
    Read,
    Insert,
    Update,
    Delete,
    Upsert,
    /// Insert that skips duplicates and reports whether it inserted.
    ClaimInsert,
    /// Stores a key, replacing any value, and reports whether the key was new (map `insert`).
    Put,
    /// Update or delete that is a claim when its filter tests state.
    Conditional,
    /// Key-value write; a claim when an `NX` option is present.
    KvSet,
    Lock,
    Unlock,
    /// A callback run while a lock is held.
    LockScope,
    /// A transaction: callback form, or begin when the call has no callback.
    Txn,
    Commit,
    Rollback,
    External,
    /// Classify by the SQL text in `sql_arg`.
    Sql,
    /// Matches and does nothing (builds objects in memory, like TypeORM `repo.create`).
    Nothing,
    /// Writes back the unit of work (MikroORM `em.flush()`): each entity the function read
    /// and then assigned fields of is updated on the resource its read named.
    Flush,
    /// Probes a path (`Path::exists`, `fs.existsSync`); the path comes from `resource`.
    FsCheck,
    /// Creates, writes or copies onto a path from `resource`.
    FsWrite,
    /// Removes the path from `resource`.
    FsRemove,
    /// Moves the first argument onto the path from `resource`.
    FsRename,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum ResourceFrom {
    #[default]
    None,
    /// The property before the method: `prisma.order.findUnique` -> `order`.
    Member,
    /// What the method is called on: `Order.findOne` -> `Order`, `getRepository(Order)` ->
    /// `Order`, `this.orderRepository` -> `orderRepository`, or its declared type argument.
    Receiver,
    /// The first argument: `manager.findOne(Order, ..)`, `db.insert(orders)`.
    Arg0,
    /// The second argument: the destination of `fs::rename(from, to)`.
    Arg1,
    /// The name the chain starts with: Diesel `orders::table.filter(..)` -> `orders`; when
    /// a function leads the chain, the table its argument names:
    /// `select(exists(orders::table.filter(..)))` -> `orders`.
    Head,
    /// The entity the chain starts from, its last name before the first call, or the module
    /// before `Entity`: SeaORM `model::User::find()` -> `User`, `user::Entity::find()` -> `user`.
    Entity,
    /// Everything before the method, as written, without `self` and lock calls: the value
    /// itself (`self.sessions`, `SEEN`, `cache_dir.join(key)`).
    Path,
    /// The table named where the chain starts: `knex('orders')`, `trx('orders')`, or a
    /// `from`/`table`/`into` call in it.
    Root,
    /// The first argument of another call in the chain: `{ call = "from" }`.
    Call(String),
    /// A fixed name, for a project's own wrappers: `{ name = "orders" }`.
    Name(String),
    /// The name another call's first argument starts with: Diesel
    /// `update(orders::table.find(id))` -> `orders::table` with `{ call-head = "update" }`.
    CallHead(String),
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum HandleFrom {
    #[default]
    Callback,
    Receiver,
    Result,
}

/// Changes the effect of a call of the same library when the chain or its arguments show it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Modifier {
    /// A call with one of these names appears in the chain (`forUpdate`, `onConflictDoNothing`).
    #[serde(default)]
    pub methods: Vec<String>,
    /// With `methods`: its first argument must be one of these strings (`for('update')`).
    #[serde(default)]
    pub first_arg: Vec<String>,
    /// With `methods`: a callback argument of that call whose text contains one of these
    /// (`onConflict((oc) => oc.doNothing())`).
    #[serde(default)]
    pub callback_contains: Vec<String>,
    /// An object argument has this key with a value that is not `false`/`null`/`undefined`.
    pub option: Option<String>,
    /// With `option`: the value's text must contain one of these (case-insensitive).
    #[serde(default)]
    pub option_value: Vec<String>,
    /// A string argument equal to one of these, case-insensitive (`'NX'`).
    #[serde(default)]
    pub string_arg: Vec<String>,
    /// An argument of the call named in `methods` (else of the matched call) whose text
    /// contains one of these (`'wx'`, `{ flag: 'wx' }`, `fs.constants.COPYFILE_EXCL`).
    #[serde(default)]
    pub arg_contains: Vec<String>,
    /// The read takes a row lock.
    #[serde(default)]
    pub locking: bool,
    /// The write becomes this effect instead.
    pub becomes: Option<EffectModel>,
    /// The option's value (or the method's first argument) names the transaction handle the
    /// call runs on (`{ transaction: t }`, `.transacting(trx)`).
    #[serde(default)]
    pub txn_handle: bool,
    /// A read whose chain has this call filters on row state (Diesel `.filter(status.eq("unpaid"))`).
    #[serde(default)]
    pub state_filter: bool,
    /// A read whose chain has this call computes over many rows (`.count()`, `aggregate`).
    #[serde(default)]
    pub aggregate: bool,
    /// The file-system write fails rather than replace what exists (`create_new(true)`,
    /// `flag: 'wx'`) or is idempotent (`recursive: true`, `create_dir_all`).
    #[serde(default)]
    pub exclusive: bool,
    /// The file-system write fails when the path exists and reports it as an error
    /// (`create_dir`, `mkdir` without `recursive`): after a check, the loser fails.
    #[serde(default)]
    pub refuses: bool,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceModel {
    /// Call paths as written, matched on their last segments: `Date.now`, `randomUUID`,
    /// `new Date` (a constructor call).
    pub calls: Vec<String>,
    /// What makes the value change: `clock` or `random`.
    pub kind: UnstableSource,
}

/// Why a value derived from a source call changes on every retry, so a key built from it is
/// no idempotency key.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum UnstableSource {
    Clock,
    Random,
}
