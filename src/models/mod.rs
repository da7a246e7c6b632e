//! Library models: the built-in `rules/*.toml` plus the user's additions, and the matcher that
//! classifies a call chain with them.

pub mod filter;
mod matcher;
pub mod schema;
pub mod shape;
pub mod sql;

pub use matcher::{call_key, evaluate, Classified, KvSet, TxnInfo};
pub use schema::{CallModel, Cost, EffectModel, Language, LibraryModel, UnstableSource};
pub use shape::{Arg, ArgValue, CallShape, Segment};
use std::collections::HashSet;

/// The models shipped in the binary, embedded at build time. Written out rather than listed by
/// a build script because the order is meaningful: a call is classified by the first library
/// that matches it. A test fails when a file of `rules/` is missing here.
const BUILTIN: &[(&str, &str)] = &[
    (
        "rules/js-core.toml",
        include_str!("../../rules/js-core.toml"),
    ),
    (
        "rules/js-memory.toml",
        include_str!("../../rules/js-memory.toml"),
    ),
    ("rules/pg.toml", include_str!("../../rules/pg.toml")),
    ("rules/mysql2.toml", include_str!("../../rules/mysql2.toml")),
    ("rules/prisma.toml", include_str!("../../rules/prisma.toml")),
    (
        "rules/typeorm.toml",
        include_str!("../../rules/typeorm.toml"),
    ),
    (
        "rules/mikro-orm.toml",
        include_str!("../../rules/mikro-orm.toml"),
    ),
    (
        "rules/sequelize.toml",
        include_str!("../../rules/sequelize.toml"),
    ),
    (
        "rules/mongoose.toml",
        include_str!("../../rules/mongoose.toml"),
    ),
    (
        "rules/objection.toml",
        include_str!("../../rules/objection.toml"),
    ),
    ("rules/knex.toml", include_str!("../../rules/knex.toml")),
    ("rules/kysely.toml", include_str!("../../rules/kysely.toml")),
    (
        "rules/drizzle.toml",
        include_str!("../../rules/drizzle.toml"),
    ),
    ("rules/redis.toml", include_str!("../../rules/redis.toml")),
    ("rules/stripe.toml", include_str!("../../rules/stripe.toml")),
    ("rules/paypal.toml", include_str!("../../rules/paypal.toml")),
    (
        "rules/braintree.toml",
        include_str!("../../rules/braintree.toml"),
    ),
    ("rules/http.toml", include_str!("../../rules/http.toml")),
    ("rules/twilio.toml", include_str!("../../rules/twilio.toml")),
    ("rules/email.toml", include_str!("../../rules/email.toml")),
    ("rules/queues.toml", include_str!("../../rules/queues.toml")),
    ("rules/aws-s3.toml", include_str!("../../rules/aws-s3.toml")),
    (
        "rules/node-fs.toml",
        include_str!("../../rules/node-fs.toml"),
    ),
    (
        "rules/rust-core.toml",
        include_str!("../../rules/rust-core.toml"),
    ),
    ("rules/sqlx.toml", include_str!("../../rules/sqlx.toml")),
    (
        "rules/tokio-postgres.toml",
        include_str!("../../rules/tokio-postgres.toml"),
    ),
    ("rules/diesel.toml", include_str!("../../rules/diesel.toml")),
    (
        "rules/sea-orm.toml",
        include_str!("../../rules/sea-orm.toml"),
    ),
    (
        "rules/mongodb-rust.toml",
        include_str!("../../rules/mongodb-rust.toml"),
    ),
    (
        "rules/redis-rs.toml",
        include_str!("../../rules/redis-rs.toml"),
    ),
    (
        "rules/reqwest.toml",
        include_str!("../../rules/reqwest.toml"),
    ),
    (
        "rules/async-stripe.toml",
        include_str!("../../rules/async-stripe.toml"),
    ),
    (
        "rules/rust-messaging.toml",
        include_str!("../../rules/rust-messaging.toml"),
    ),
    (
        "rules/std-sync.toml",
        include_str!("../../rules/std-sync.toml"),
    ),
    ("rules/std-fs.toml", include_str!("../../rules/std-fs.toml")),
    ("rules/lodash.toml", include_str!("../../rules/lodash.toml")),
    (
        "rules/js-frameworks.toml",
        include_str!("../../rules/js-frameworks.toml"),
    ),
    (
        "rules/rust-frameworks.toml",
        include_str!("../../rules/rust-frameworks.toml"),
    ),
];

#[derive(Clone, Debug, Default)]
pub struct Models {
    libraries: Vec<LibraryModel>,
    /// The last name of every unstable-source call pattern (`now`, `randomUUID`): most calls
    /// are ruled out by it before any pattern is compared.
    source_names: HashSet<String>,
}

impl Models {
    /// The built-in models. They are tested to parse, so failure here is a build defect.
    pub fn builtin() -> Models {
        let libraries = BUILTIN
            .iter()
            .map(|(path, text)| {
                toml::from_str(text).unwrap_or_else(|e| panic!("built-in model {path}: {e}"))
            })
            .collect();
        Models::new(libraries)
    }

    fn new(libraries: Vec<LibraryModel>) -> Models {
        let source_names = libraries
            .iter()
            .flat_map(|l| &l.sources)
            .flat_map(|s| &s.calls)
            .filter_map(|c| segments_from_end(c).next())
            .map(String::from)
            .collect();
        Models {
            libraries,
            source_names,
        }
    }

    /// Adds user models; they are tried before the built-in ones so they can override them.
    pub fn extend_front(&mut self, user: Vec<LibraryModel>) {
        let builtin = std::mem::take(&mut self.libraries);
        let user = user.into_iter().map(|l| LibraryModel { user: true, ..l });
        *self = Models::new(user.chain(builtin).collect());
    }

    /// The libraries the user's configuration declares.
    pub fn user_libraries(&self) -> impl Iterator<Item = &LibraryModel> {
        self.libraries.iter().filter(|l| l.user)
    }

    pub fn libraries(&self, language: Language) -> impl Iterator<Item = &LibraryModel> {
        self.libraries
            .iter()
            .filter(move |l| l.library.language == language)
    }

    /// The fix advice a library gives for a rule, if any.
    pub fn help(&self, library: &str, rule: &str) -> Option<&str> {
        self.libraries
            .iter()
            .filter(|l| l.library.name == library)
            .find_map(|l| l.help.get(rule).map(String::as_str))
    }

    /// What a file's calls are classified against: the libraries of its language in the order
    /// it tries them, those it imports first, and the lists of the language the matcher reads.
    /// Worked out once per file, as every call of the file is classified against it.
    pub fn for_file(&self, language: Language, imports: &[String]) -> FileModels<'_> {
        let imported = |l: &LibraryModel| {
            l.library
                .imports
                .iter()
                .any(|i| imports.iter().any(|m| imports_package(m, i)))
        };
        let (first, rest): (Vec<&LibraryModel>, Vec<&LibraryModel>) =
            self.libraries(language).partition(|l| imported(l));
        let first = first.into_iter().map(|l| (l, true));
        FileModels {
            libraries: first.chain(rest.into_iter().map(|l| (l, false))).collect(),
            lock_calls: self.lists(language, |l| &l.lock_calls).cloned().collect(),
        }
    }

    /// The library a module specifier imports (`drizzle-orm/mysql2` -> `drizzle`).
    pub fn library_of_import(&self, language: Language, spec: &str) -> Option<&str> {
        self.libraries(language)
            .find(|l| l.library.imports.iter().any(|i| imports_package(spec, i)))
            .map(|l| l.library.name.as_str())
    }

    /// A module specifier that imports the library, to classify a file's calls as if it did.
    pub fn import_of(&self, language: Language, library: &str) -> Option<&String> {
        self.libraries(language)
            .find(|l| l.library.name == library)
            .and_then(|l| l.library.imports.first())
    }

    /// Whether a call path (`Date.now`, `crypto.randomUUID`, `new Date`) yields a value that
    /// changes on every retry.
    pub fn unstable_source(&self, language: Language, path: &str) -> Option<UnstableSource> {
        let last = segments_from_end(path).next()?;
        if !self.source_names.contains(last) {
            return None;
        }
        self.libraries(language)
            .flat_map(|l| &l.sources)
            .find(|s| s.calls.iter().any(|c| path_matches(path, c)))
            .map(|s| s.kind)
    }
}

/// Whether a module specifier imports a package or one of its subpaths (`drizzle-orm/pg-core`).
fn imports_package(spec: &str, package: &str) -> bool {
    spec.strip_prefix(package)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The models as one file sees them (from [`Models::for_file`]).
#[derive(Debug, Default)]
pub struct FileModels<'m> {
    /// Each library with whether the file imports it, in the order they are tried.
    libraries: Vec<(&'m LibraryModel, bool)>,
    /// Calls locking the value they are called on (`SEEN.lock()`): what they return stands
    /// for that value.
    lock_calls: Vec<String>,
}

impl<'m> FileModels<'m> {
    /// What a call chain does, by the first library that matches it.
    pub fn classify(&self, shape: &CallShape) -> Option<Classified<'m>> {
        self.libraries
            .iter()
            .find_map(|&(lib, imported)| matcher::classify(lib, imported, shape, &self.lock_calls))
    }

    /// What a method of a record does, by the model of the library that read the record, or
    /// of any library the file uses when a project function read it.
    pub fn record_method(&self, library: Option<&str>, method: &str) -> Option<&'m CallModel> {
        self.libraries
            .iter()
            .filter(|(l, _)| library.map_or(true, |name| l.library.name == name))
            .flat_map(|(l, _)| &l.record_methods)
            .find(|m| m.methods.iter().any(|n| n == method))
    }

    /// Whether a call locks the value it is called on and returns a guard for it.
    pub fn is_lock_call(&self, name: &str) -> bool {
        self.lock_calls.iter().any(|c| c == name)
    }
}

impl Models {
    /// The first call of a chain whose value changes on every retry (`Math.random` in
    /// `Math.random().toString(36)`, `Uuid::new_v4` in `Uuid::new_v4().to_string()`), as the
    /// path written up to it.
    pub fn chain_source(
        &self,
        language: Language,
        shape: &CallShape,
    ) -> Option<(UnstableSource, String)> {
        let separator = if language == Language::Rust {
            "::"
        } else {
            "."
        };
        let names: Vec<&str> = shape
            .segments
            .iter()
            .map(|s| s.name.trim_end_matches('!'))
            .collect();
        shape
            .segments
            .iter()
            .enumerate()
            .filter(|(i, s)| s.is_call() && self.source_names.contains(names[*i]))
            .find_map(|(i, _)| {
                let path = names[..=i].join(separator);
                self.unstable_source(language, &path).map(|k| (k, path))
            })
    }

    /// Whether a chain cuts a time down to its calendar date (`.toISOString().slice(0, 10)`,
    /// `.date_naive()`): a once-a-day key, stable for the day.
    pub fn truncates_to_date(&self, language: Language, shape: &CallShape) -> bool {
        let truncations: Vec<&String> = self
            .libraries(language)
            .flat_map(|l| &l.calendar_dates)
            .collect();
        shape.segments.iter().filter(|s| s.is_call()).any(|s| {
            let args: Vec<String> = s.args().iter().map(Arg::source_text).collect();
            let call = format!("{}({})", s.name, args.join(", "));
            truncations.iter().any(|t| **t == s.name || **t == call)
        })
    }

    /// Whether a chain makes a new value: it calls something other than conversions of what
    /// it was given (`broadcast::channel(16)`, `tokio::spawn(..)`, `compile(src)`).
    pub fn makes_value(&self, language: Language, shape: &CallShape) -> bool {
        shape
            .segments
            .iter()
            .filter(|s| s.is_call())
            .any(|s| !self.is_conversion(language, &s.name))
    }

    /// Whether `name` is in a list every model of the language may add to.
    fn listed(
        &self,
        language: Language,
        list: fn(&LibraryModel) -> &Vec<String>,
        name: &str,
    ) -> bool {
        self.lists(language, list).any(|c| c == name)
    }

    /// Whether a call or class only copies or converts what it is given.
    pub fn is_conversion(&self, language: Language, name: &str) -> bool {
        self.listed(language, |l| &l.conversions, name)
    }

    /// Whether a property of a result counts the rows it found or changed (`rowCount`).
    pub fn is_count_property(&self, language: Language, name: &str) -> bool {
        self.listed(language, |l| &l.count_properties, name)
    }

    /// Whether a decorator binds a class field to the entity its first argument names.
    pub fn is_entity_decorator(&self, language: Language, name: &str) -> bool {
        self.listed(language, |l| &l.entity_decorators, name)
    }

    /// The type of the handle a call returns on the entity its first argument names
    /// (`getRepository` -> `Repository`).
    pub fn handle_type(&self, language: Language, call: &str) -> Option<&str> {
        self.libraries(language)
            .flat_map(|l| &l.handle_factories)
            .find(|(_, calls)| calls.iter().any(|c| c == call))
            .map(|(ty, _)| ty.as_str())
    }

    /// Whether an update operator computes the new value from the stored one (`$inc`).
    pub fn is_atomic_update(&self, language: Language, operator: &str) -> bool {
        self.listed(language, |l| &l.atomic_updates, operator)
    }

    /// Whether a type name stands for an entity named by its module (`ActiveModel`).
    pub fn is_entity_type(&self, language: Language, name: &str) -> bool {
        self.listed(language, |l| &l.entity_types, name)
    }

    /// Whether a function's boolean is true when its argument is absent (`isEmpty`).
    pub fn is_emptiness_test(&self, language: Language, name: &str) -> bool {
        self.listed(language, |l| &l.emptiness_tests, name)
    }

    /// Whether a call turns an absent value into an error (`ok_or`, `context`).
    pub fn is_absent_error(&self, language: Language, name: &str) -> bool {
        self.listed(language, |l| &l.absent_errors, name)
    }

    /// Whether a call reads a column of a row by its name (`try_get`).
    pub fn is_row_getter(&self, language: Language, name: &str) -> bool {
        self.listed(language, |l| &l.row_getters, name)
    }

    /// Whether a handle's name has a word naming a connection pool (`dbPool`, not `spool`).
    pub fn is_pool_handle(&self, language: Language, handle: &str) -> bool {
        let words = crate::vocabulary::words(handle);
        self.lists(language, |l| &l.pool_handles)
            .any(|p| words.iter().any(|w| w.eq_ignore_ascii_case(p)))
    }

    /// The generic types of a language that stand for the type they wrap (`Arc`, `Data`).
    pub fn type_wrappers(&self, language: Language) -> Vec<String> {
        self.lists(language, |l| &l.type_wrappers)
            .cloned()
            .collect()
    }

    /// The packages that make a dependent package a user-interface client, and those that make
    /// it a server, of every language: a manifest names only its own language's packages.
    pub fn framework_packages(&self) -> (HashSet<String>, HashSet<String>) {
        let all = |list: fn(&LibraryModel) -> &Vec<String>| {
            self.libraries.iter().flat_map(list).cloned().collect()
        };
        (all(|l| &l.client_packages), all(|l| &l.server_packages))
    }

    /// One name list of every library of a language.
    fn lists(
        &self,
        language: Language,
        list: fn(&LibraryModel) -> &Vec<String>,
    ) -> impl Iterator<Item = &String> {
        self.libraries(language).flat_map(list)
    }

    /// Whether a `catch` handler's text shows it handles a unique-constraint violation.
    pub fn handles_unique_violation(&self, language: Language, handler: &str) -> bool {
        self.libraries(language)
            .flat_map(|l| &l.unique_violations)
            .any(|marker| handler.contains(marker.as_str()))
    }
}

/// `crypto.randomUUID` matches the pattern `randomUUID`; `Date.now` matches `Date.now`;
/// `chrono::Utc::now` matches `Utc::now`.
/// Compares segments from the end without allocating: it runs for every call of every file.
fn path_matches(path: &str, pattern: &str) -> bool {
    let mut path = segments_from_end(path);
    segments_from_end(pattern).all(|p| path.next() == Some(p))
}

fn segments_from_end(path: &str) -> impl Iterator<Item = &str> {
    path.rsplit("::").flat_map(|part| part.rsplit('.'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn builtin_models_parse_and_have_unique_names() {
        let models = Models::builtin();
        let mut names: Vec<&str> = models
            .libraries
            .iter()
            .map(|l| l.library.name.as_str())
            .collect();
        let count = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), count, "duplicate library names");
        assert!(count >= BUILTIN.len());
    }

    #[test]
    fn every_file_in_rules_is_built_in() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
        let mut missing: Vec<String> = std::fs::read_dir(&dir)
            .expect("rules/ is readable")
            .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
            .filter(|name| name.ends_with(".toml"))
            .map(|name| format!("rules/{name}"))
            .filter(|path| !BUILTIN.iter().any(|(built_in, _)| built_in == path))
            // Not a library model: src/vocabulary.rs embeds it.
            .filter(|path| path != "rules/vocabulary.toml")
            .collect();
        missing.sort();
        assert!(missing.is_empty(), "not in models::BUILTIN: {missing:?}");
    }

    #[test]
    fn lock_calls_are_the_languages_and_a_user_model_adds_to_them() {
        let mut models = Models::builtin();
        let rust = models.for_file(Language::Rust, &[]);
        assert!(rust.is_lock_call("lock") && rust.is_lock_call("write"));
        assert!(!rust.is_lock_call("insert"));
        let ts = models.for_file(Language::Typescript, &[]);
        assert!(!ts.is_lock_call("lock"));
        let user: LibraryModel = toml::from_str(
            "lock_calls = [\"lock_arc\"]\n[library]\nname = \"mine\"\nlanguage = \"rust\"\n",
        )
        .expect("a user model parses");
        models.extend_front(vec![user]);
        let rust = models.for_file(Language::Rust, &[]);
        assert!(rust.is_lock_call("lock_arc") && rust.is_lock_call("lock"));
    }

    #[test]
    fn pool_handles_match_whole_words() {
        let models = Models::builtin();
        for language in [Language::Typescript, Language::Rust] {
            for handle in ["pool", "dbPool", "pg_pool", "POOL"] {
                assert!(models.is_pool_handle(language, handle), "{handle}");
            }
            for handle in ["spool", "client", "poolside", "tx"] {
                assert!(!models.is_pool_handle(language, handle), "{handle}");
            }
        }
    }

    #[test]
    fn unstable_sources_match_on_path_suffix() {
        let models = Models::builtin();
        let ts = Language::Typescript;
        assert_eq!(
            models.unstable_source(ts, "Date.now"),
            Some(UnstableSource::Clock)
        );
        assert_eq!(
            models.unstable_source(ts, "crypto.randomUUID"),
            Some(UnstableSource::Random)
        );
        assert_eq!(models.unstable_source(ts, "order.id"), None);
    }
}
