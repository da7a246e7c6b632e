//! IR construction shared by the front-ends: the effect arena, transactions and the handles
//! that name them, and the mapping from a classified call to an effect.

use crate::frontend::val::Val;
use crate::ir::{
    Block, CallSite, Derived, Effect, EffectId, EffectKind, Filter, Isolation, Key, Node, Resource,
    ScopeKind, Source, Span, Txn, TxnId, WriteKind,
};
use crate::models::sql::{Conflict, SqlInfo, SqlKind};
use crate::models::{Arg, CallShape, Classified, EffectModel, Language, Models, UnstableSource};
use std::collections::{BTreeSet, HashMap};

#[derive(Debug, Default)]
pub(crate) struct Builder {
    pub effects: Vec<Effect>,
    pub txns: Vec<Txn>,
    /// Transaction handles in scope: `tx`, `client`, `manager`, `t`.
    pub handles: HashMap<String, TxnId>,
    pub open_txns: Vec<TxnId>,
    /// See [`crate::ir::FunctionIr::duplicates_handled`].
    pub duplicates_handled: Vec<EffectId>,
    /// See [`crate::ir::FunctionIr::passed_on`].
    pub passed_on: BTreeSet<EffectId>,
    /// See [`crate::ir::FunctionIr::returns`].
    pub returns: BTreeSet<EffectId>,
    /// The current [`Effect::turn`]; the front-end advances it where the function yields.
    pub turn: u32,
    /// Other requests run between any two effects (threads), not only where it yields.
    pub preemptive: bool,
}

/// What the front-end learned about a call's arguments and assigned values.
#[derive(Debug, Default)]
pub(crate) struct CallFacts {
    /// An argument reads the clock: the read filters on a time window.
    pub clock: bool,
    /// An argument was generated at random for this request: nobody else can hold the key.
    pub random: bool,
    pub sets: Vec<String>,
    pub derived: Derived,
    /// See [`EffectKind::Read`]'s `filter`.
    pub filter: Filter,
    pub key: Option<Key>,
    /// See [`WriteKind::Put`].
    pub made_at: Option<usize>,
    pub given: bool,
}

impl CallFacts {
    /// A map store's value (`set(key, value)`; none for `add(key)`): when it was loaded or
    /// made, as [`Val::made_at`], and whether it came in as a parameter. `val` gives an
    /// argument's value.
    pub fn stored(&mut self, shape: &CallShape, trigger: usize, val: impl Fn(&Arg) -> Option<Val>) {
        let value = shape.segments[trigger].args().get(1).and_then(val);
        if let Some(v) = value {
            self.made_at = v.made_at();
            self.given = v.sources.contains(&Source::Input);
        }
    }
}

impl Builder {
    pub fn push(&mut self, mut effect: Effect, out: &mut Block) -> EffectId {
        effect.turn = self.turn;
        if self.preemptive {
            self.turn += 1;
        }
        self.effects.push(effect);
        let id = self.effects.len() - 1;
        out.push(Node::Effect(id));
        id
    }

    /// A call that may name one of the project's functions.
    /// The transaction a call runs in: one whose handle it is given (`save(&mut *tx, ..)`),
    /// else whatever is open.
    pub fn txn_for(&self, shape: &CallShape) -> Option<TxnId> {
        let given = shape
            .segments
            .iter()
            .flat_map(|s| s.args())
            .find_map(|a| match &a.value {
                crate::models::ArgValue::Path(name) => self.handles.get(name).copied(),
                _ => None,
            });
        given.or(self.open_txns.last().copied())
    }

    pub fn call(
        &mut self,
        path: Vec<String>,
        (receiver_type, root_type): (Option<String>, Option<String>),
        (args, txn): (&Val, Option<TxnId>),
        span: Span,
        out: &mut Block,
    ) -> EffectId {
        let mut derived: Vec<String> = args.fields.iter().map(|(_, f)| f.clone()).collect();
        derived.dedup();
        let effect = Effect {
            span,
            callee: path.join("."),
            kind: EffectKind::Call(CallSite {
                path,
                receiver_type,
                root_type,
                awaited: false,
                derived,
                assigned: Vec::new(),
                callbacks: Vec::new(),
                fallback: None,
            }),
            library: String::new(),
            txn,
            turn: 0,
            via: Vec::new(),
        };
        self.push(effect, out)
    }

    /// After an awaited expression: a call it made is awaited; one that pushed no effect at
    /// all still waits on unknown work. Other requests may run from here on.
    pub fn awaited(
        &mut self,
        effects_before: usize,
        call: Option<(String, Span)>,
        out: &mut Block,
    ) {
        let made = &mut self.effects[effects_before..];
        if let Some(EffectKind::Call(site)) = made.last_mut().map(|e| &mut e.kind) {
            site.awaited = true;
        } else if let (true, Some((callee, span))) = (made.is_empty(), call) {
            let path = callee
                .split(['.', ':'])
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect();
            let txn = self.open_txns.last().copied();
            let id = self.call(path, (None, None), (&Val::default(), txn), span, out);
            if let EffectKind::Call(site) = &mut self.effects[id].kind {
                site.awaited = true;
            }
        }
        self.turn += 1;
    }

    /// A returned value: the result it is, or the one result it was computed from
    /// (`hit ? hit.value : undefined`), which a caller's test then tests.
    pub fn returned(&mut self, value: &Val) {
        let single = match value.deps.len() {
            1 if value.effect.is_none() => value.deps.first().copied(),
            _ => None,
        };
        self.returns.extend(value.effect.or(single));
    }

    /// The value leaves the function's conditions: returned, passed to a call, stored.
    pub fn pass_on(&mut self, value: &Val) {
        self.passed_on.extend(value.all_deps());
    }

    pub fn begin(&mut self, span: Span, isolation: Isolation, on_pool: bool) -> TxnId {
        self.txns.push(Txn {
            span,
            isolation,
            on_pool,
        });
        let id = self.txns.len() - 1;
        self.open_txns.push(id);
        id
    }

    /// A transaction begun without a callback: it lives on `handle` (the receiver, or the
    /// variable the call is assigned to) until a commit or rollback through it.
    pub fn begin_on_handle(
        &mut self,
        handle: Option<String>,
        span: Span,
        isolation: Isolation,
        library: &str,
        out: &mut Block,
    ) -> EffectId {
        let txn = self.begin(span, isolation, false);
        if let Some(h) = handle {
            self.handles.insert(h, txn);
        }
        let effect = Effect {
            span,
            kind: EffectKind::TxnBegin(txn),
            library: library.to_string(),
            callee: String::new(),
            txn: Some(txn),
            turn: 0,
            via: Vec::new(),
        };
        self.push(effect, out)
    }

    /// What a callback given to a classified call runs in: a transaction begun here, whose
    /// handle is the callback's parameter, or a lock the library holds around it.
    pub fn callback_scope(
        &mut self,
        is_txn: bool,
        (span, isolation): (Span, Isolation),
        param: Option<String>,
        library: &str,
    ) -> ScopeKind {
        if !is_txn {
            return ScopeKind::Lock {
                library: library.to_string(),
            };
        }
        let txn = self.begin(span, isolation, false);
        if let Some(p) = param {
            self.handles.insert(p, txn);
        }
        ScopeKind::Txn(txn)
    }

    pub fn close(&mut self, txn: TxnId) {
        self.open_txns.retain(|o| *o != txn);
    }

    /// Commit or rollback through a handle: the transaction it named ends.
    pub fn end(&mut self, handle: &str) -> Option<EffectKind> {
        let t = self.handles.remove(handle)?;
        self.close(t);
        Some(EffectKind::TxnEnd(t))
    }

    /// The transaction a database call runs in: the handle the model points at (an option or
    /// an executor argument), else the chain's root (`tx.query`).
    pub fn db_txn(&self, c: &Classified, root: &str) -> Option<TxnId> {
        c.txn_handle
            .as_ref()
            .and_then(|h| self.handles.get(h))
            .or_else(|| self.handles.get(root))
            .copied()
    }

    /// The transaction an effect belongs to: database effects run where their handle says,
    /// others inside whatever transaction is open.
    pub fn txn_of(&self, kind: &EffectKind, db_txn: Option<TxnId>) -> Option<TxnId> {
        let is_db = matches!(
            kind,
            EffectKind::Read { .. } | EffectKind::Write { .. } | EffectKind::TxnEnd(_)
        );
        if is_db {
            db_txn
        } else {
            self.open_txns.last().copied()
        }
    }

    /// Pushes the effect of a classified call, in the transaction it belongs to.
    pub fn push_call(
        &mut self,
        kind: EffectKind,
        db_txn: Option<TxnId>,
        c: &Classified,
        shape: &CallShape,
        span: Span,
        out: &mut Block,
    ) -> EffectId {
        let txn = self.txn_of(&kind, db_txn);
        let effect = Effect {
            span,
            kind,
            library: c.library.to_string(),
            callee: shape.callee(),
            txn,
            turn: 0,
            via: Vec::new(),
        };
        self.push(effect, out)
    }

    /// Effects whose shape follows from the model alone; transactions, scopes, SQL and
    /// language-specific saves are the front-end's.
    pub fn simple_effect(
        &self,
        c: &Classified,
        shape: &CallShape,
        resource: Option<Resource>,
        facts: CallFacts,
    ) -> Option<EffectKind> {
        let write = |kind| EffectKind::Write {
            resource: resource.clone(),
            kind,
            sets: vec![],
        };
        Some(match c.effect {
            EffectModel::Read => EffectKind::Read {
                resource,
                locking: c.locking,
                window: facts.clock,
                fresh_key: facts.random,
                filters_state: c.state_filter,
                in_process: c.in_process,
                unique_key: c.model.unique_key,
                aggregate: c.aggregate,
                filter: facts.filter,
            },
            EffectModel::Insert => write(WriteKind::Insert { fresh: vec![] }),
            EffectModel::Update | EffectModel::Conditional => EffectKind::Write {
                kind: if c.effect == EffectModel::Update {
                    WriteKind::Update {
                        derived: facts.derived,
                    }
                } else {
                    WriteKind::Conditional {
                        derived: facts.derived,
                    }
                },
                resource,
                sets: facts.sets,
            },
            EffectModel::Delete => write(WriteKind::Delete),
            EffectModel::Upsert => write(WriteKind::Upsert),
            EffectModel::ClaimInsert => write(WriteKind::InsertIgnore),
            EffectModel::Put => write(WriteKind::Put {
                made_at: facts.made_at,
                given: facts.given,
            }),
            EffectModel::KvSet => {
                let kv = c.kv.clone().unwrap_or_default();
                if kv.if_absent {
                    EffectKind::Claim {
                        resource: None,
                        key: kv.key,
                        ttl_ms: kv.ttl_ms,
                    }
                } else {
                    EffectKind::KvPut {
                        key: kv.key,
                        ttl_ms: kv.ttl_ms,
                    }
                }
            }
            EffectModel::Lock => EffectKind::Lock {
                key: shape.segments[c.trigger].args().first().map(|a| a.text()),
                in_process: c.in_process,
            },
            EffectModel::Unlock => EffectKind::Unlock,
            EffectModel::External => EffectKind::External {
                provider: c
                    .model
                    .provider
                    .clone()
                    .unwrap_or_else(|| c.library.to_string()),
                operation: c
                    .model
                    .operation
                    .clone()
                    .unwrap_or_else(|| operation(shape, c.trigger)),
                accepts_key: !c.model.key.is_empty(),
                cost: c.model.cost,
                key: facts.key,
            },
            EffectModel::FsCheck => EffectKind::FsCheck {
                path: resource?.name().to_string(),
            },
            EffectModel::FsWrite | EffectModel::FsRemove | EffectModel::FsRename => {
                // Renaming a file this function wrote publishes it whole, whoever wins.
                let source = shape.segments[c.trigger].args().first();
                let publishes = c.effect == EffectModel::FsRename
                    && source.is_some_and(|s| self.wrote(&s.source_text()));
                EffectKind::FsWrite {
                    path: resource?.name().to_string(),
                    op: shape.segments[c.trigger].name.clone(),
                    exclusive: c.exclusive || publishes,
                    refuses: c.refuses,
                    removes: c.effect == EffectModel::FsRemove,
                }
            }
            _ => return None,
        })
    }

    /// Whether an earlier effect wrote this path.
    fn wrote(&self, path: &str) -> bool {
        self.effects
            .iter()
            .any(|e| matches!(&e.kind, EffectKind::FsWrite { path: p, .. } if p == path))
    }

    /// The effect of an SQL statement run through `handle`. `clock`: a bound parameter reads
    /// the clock (`$2` is `Utc::now() - Duration::minutes(5)`), so a SELECT filters on a window.
    /// `on_pool`: the handle is a connection pool ([`Models::is_pool_handle`]), so a `BEGIN`
    /// through it opens no transaction on one connection. `fresh`: a bound value is made
    /// fresh for this call (random, or the time).
    pub fn sql_effect(
        &mut self,
        sql: &SqlInfo,
        handle: &str,
        span: Span,
        (clock, fresh): (bool, bool),
        on_pool: bool,
    ) -> Option<EffectKind> {
        let table = sql.tables.first().cloned().map(Resource::new);
        let derived = if sql.derived.is_empty() {
            Derived::Nothing
        } else {
            Derived::Fields(sql.derived.clone())
        };
        Some(match &sql.kind {
            SqlKind::Select => EffectKind::Read {
                resource: table,
                locking: sql.locking,
                window: sql.window || clock,
                fresh_key: false,
                filters_state: sql.conditional,
                in_process: false,
                unique_key: false,
                aggregate: sql.aggregate,
                filter: sql.filter.clone(),
            },
            SqlKind::Insert => EffectKind::Write {
                resource: table,
                kind: match sql.on_conflict {
                    Some(Conflict::DoNothing) => WriteKind::InsertIgnore,
                    Some(Conflict::DoUpdate) => WriteKind::Upsert,
                    // Which column a fresh bound value goes to is not followed: any may.
                    None => WriteKind::Insert {
                        fresh: if fresh { sql.columns.clone() } else { vec![] },
                    },
                },
                // An upsert's assignments are what it changes in a row that exists.
                sets: if sql.on_conflict == Some(Conflict::DoUpdate) {
                    sql.sets.clone()
                } else {
                    sql.columns.clone()
                },
            },
            SqlKind::Update => EffectKind::Write {
                resource: table,
                kind: if sql.conditional {
                    WriteKind::Conditional { derived }
                } else {
                    WriteKind::Update { derived }
                },
                sets: sql.sets.clone(),
            },
            SqlKind::Delete => EffectKind::Write {
                resource: table,
                kind: if sql.conditional {
                    WriteKind::Conditional {
                        derived: Derived::Nothing,
                    }
                } else {
                    WriteKind::Delete
                },
                sets: vec![],
            },
            SqlKind::Begin(isolation) => {
                let txn = self.begin(span, *isolation, on_pool);
                self.handles.insert(handle.to_string(), txn);
                EffectKind::TxnBegin(txn)
            }
            SqlKind::SetIsolation(isolation) => {
                if let Some(&t) = self.handles.get(handle) {
                    self.txns[t].isolation = *isolation;
                }
                return None;
            }
            SqlKind::Commit | SqlKind::Rollback => return self.end(handle),
            SqlKind::AdvisoryLock { .. } | SqlKind::LockTable => EffectKind::Lock {
                key: None,
                in_process: false,
            },
            SqlKind::AdvisoryUnlock => EffectKind::Unlock,
            SqlKind::Other => return None,
        })
    }
}

/// A raw SQL fragment among the chain's arguments filters on a window relative to now
/// (`.where('created_at', '>', knex.raw("now() - interval '30 seconds'"))`).
pub(crate) fn window_in_args(shape: &CallShape) -> bool {
    shape
        .segments
        .iter()
        .flat_map(|s| s.args())
        .any(|a| crate::models::sql::mentions_window(&a.source_text()))
}

/// Sources of a chain no model classifies: the clock or randomness it calls
/// (`Math.random().toString(36)`), unless it cuts a time down to its calendar date, which
/// also makes a clock value it was given stable for the day; and whether it makes a value.
pub(crate) fn chain_sources(
    models: &Models,
    language: Language,
    shape: &CallShape,
    value: &mut Val,
    effects_so_far: usize,
) {
    if models.truncates_to_date(language, shape) {
        value.sources.retain(|s| !matches!(s, Source::Clock(_)));
        return;
    }
    match models.chain_source(language, shape) {
        Some((UnstableSource::Clock, path)) => {
            value.sources.insert(Source::Clock(path));
        }
        Some((UnstableSource::Random, path)) => {
            value.sources.insert(Source::Random(path));
        }
        None if models.makes_value(language, shape) => value.made = Some(effects_so_far),
        None => {}
    }
}

/// `stripe.refunds.create` -> `refunds.create`: the last two names up to the trigger.
fn operation(shape: &CallShape, trigger: usize) -> String {
    let segs = &shape.segments[..=trigger];
    let start = segs.len().saturating_sub(2);
    segs[start..]
        .iter()
        .map(|s| s.name.as_str())
        .collect::<Vec<_>>()
        .join(".")
}
