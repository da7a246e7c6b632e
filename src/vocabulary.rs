//! The words rules look for in names of tables, fields and keys (`rules/vocabulary.toml`), the
//! one splitter that cuts a name into words, and whole-word matching against a list.

use serde::Deserialize;
use std::sync::LazyLock;

/// The built-in vocabulary, parsed once: it is fixed data, like a table of constants.
static BUILTIN: LazyLock<Vocabulary> = LazyLock::new(|| {
    toml::from_str(include_str!("../rules/vocabulary.toml"))
        .unwrap_or_else(|e| panic!("rules/vocabulary.toml: {e}"))
});

/// The word lists of `rules/vocabulary.toml`; what each list means is documented there.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Vocabulary {
    /// Words that make a table an audit log wherever they stand (`audit_events`).
    pub audit_words: WordList,
    /// Last words of an append-only log's name (`email_log`, `status_history`).
    pub log_words: WordList,
    /// Tables that log or measure what happened (`audit_log`, `page_stats`).
    pub log_tables: WordList,
    /// Tables whose rows record that an operation happened (`processed_events`).
    pub record_tables: WordList,
    /// Words of a column holding an idempotency or dedup key (`idempotency_key`).
    pub dedup_columns: WordList,
    /// Subjects whose id or key is a dedup key (`event_id`, `stripe_session_id`).
    pub dedup_column_subjects: WordList,
    /// Verbs whose past participle marks an operation done (`sent`, `delivered`).
    pub done_verbs: WordList,
    /// The last word of a field holding the time something happened (`sent_at`).
    pub time_suffixes: WordList,
    /// Fields holding the state of a record as a whole (`status`).
    pub status_fields: WordList,
    /// Words that mark a key as a record of an operation done (`processed:`).
    pub dedup_keys: WordList,
    /// Words that mark a key as a lock, rate limit, counter, cache or session.
    pub non_dedup_keys: WordList,
    /// Words of a name that holds a credential (`password_resets`, `apiKey`, `magic_links`).
    pub credential_words: WordList,
    /// Words of a field that marks a single-use credential spent (`usedAt`, `revoked`).
    pub spent_words: WordList,
    /// Words of a field stamping the latest use, never a spent mark (`lastUsedAt`).
    pub latest_words: WordList,
    /// Last words naming the container of a resource, not the resource (`orderRepository`);
    /// matched without plurals (`user_repos` is not `user`).
    pub container_suffixes: WordList,
}

/// The vocabulary shipped in the binary.
pub fn vocabulary() -> &'static Vocabulary {
    &BUILTIN
}

/// Words and stems (`deliver*`), matched against whole words of a name.
#[derive(Debug, Deserialize)]
#[serde(try_from = "Vec<String>")]
pub struct WordList(Vec<Entry>);

#[derive(Debug)]
enum Entry {
    /// Matches the word and its plural.
    Word(String),
    /// Matches every word it begins.
    Stem(String),
}

impl TryFrom<Vec<String>> for WordList {
    type Error = String;

    fn try_from(entries: Vec<String>) -> Result<WordList, String> {
        entries
            .into_iter()
            .map(|e| {
                let (word, stem) = match e.strip_suffix('*') {
                    Some(w) => (w, true),
                    None => (e.as_str(), false),
                };
                // An entry the splitter could never produce would silently match nothing.
                if words(word) != [word] {
                    return Err(format!(
                        "`{e}` is not one lower-case word (or stem with `*`)"
                    ));
                }
                let word = word.to_string();
                Ok(if stem {
                    Entry::Stem(word)
                } else {
                    Entry::Word(word)
                })
            })
            .collect::<Result<_, _>>()
            .map(WordList)
    }
}

impl WordList {
    /// One lower-case word (as [`words`] gives them) is in the list.
    pub fn has(&self, word: &str) -> bool {
        self.0.iter().any(|entry| match entry {
            Entry::Stem(stem) => word.starts_with(stem.as_str()),
            Entry::Word(w) => word == w || is_plural_of(word, w),
        })
    }

    /// Like [`WordList::has`], without plurals.
    pub fn has_singular(&self, word: &str) -> bool {
        self.0.iter().any(|entry| match entry {
            Entry::Stem(stem) => word.starts_with(stem.as_str()),
            Entry::Word(w) => word == w,
        })
    }

    /// Some word of `name` is in the list, or two adjacent words written together:
    /// `processed:account:${id}` has `processed`, `api_keys` has `apikey`.
    pub fn any_word_of(&self, name: &str) -> bool {
        let words = words(name);
        words.iter().any(|w| self.has(w)) || words.windows(2).any(|pair| self.has(&pair.concat()))
    }

    /// The last word of `name` is in the list: `sentAt` ends in `at`, `format` does not.
    pub fn is_last_word_of(&self, name: &str) -> bool {
        words(name).last().is_some_and(|w| self.has(w))
    }

    /// `name` is a single word, and in the list: `Status`, not `order_status`.
    pub fn is_whole(&self, name: &str) -> bool {
        matches!(words(name).as_slice(), [w] if self.has(w))
    }
}

impl Vocabulary {
    /// A column that holds an idempotency or dedup key: `idempotency_key`, `event_id`,
    /// `stripeSessionId`; not `user_id` or `key`.
    pub fn is_dedup_column(&self, name: &str) -> bool {
        let words = words(name);
        let subject_key = match words.as_slice() {
            [.., subject, last] if last == "id" || last == "key" => {
                self.dedup_column_subjects.has_singular(subject)
            }
            _ => false,
        };
        subject_key || words.iter().any(|w| self.dedup_columns.has(w))
    }
}

/// `logs` of `log`, `statuses` of `status`, `histories` of `history`; not `states` of `stat`:
/// `-es` follows only a hissing end.
fn is_plural_of(word: &str, singular: &str) -> bool {
    let hissing = ["s", "x", "z", "ch", "sh"]
        .iter()
        .any(|end| singular.ends_with(end));
    match word.strip_prefix(singular) {
        Some("s") => !hissing,
        Some("es") => hissing,
        Some(_) => false,
        None => singular
            .strip_suffix('y')
            .is_some_and(|stem| word.strip_prefix(stem) == Some("ies")),
    }
}

/// The lower-case words of a name in any case style: `documentAuditLog`, `sent_at`,
/// `export:{id}:notified`, `processed-account`, `HTTPRequest` (an acronym is one word).
pub fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut word = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            continue;
        }
        // A hump starts a word: `sentAt`, `v2Keys`, and the last capital of an acronym
        // followed by a lower-case letter (`HTTPRequest`).
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
        let hump = c.is_uppercase()
            && prev.is_some_and(|p| {
                p.is_lowercase() || p.is_numeric() || (p.is_uppercase() && next_lower)
            });
        if hump && !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        word.extend(c.to_lowercase());
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(entries: &[&str]) -> WordList {
        WordList::try_from(entries.iter().map(|e| e.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn names_split_into_words_in_every_case_style() {
        let cases: &[(&str, &[&str])] = &[
            ("documentAuditLog", &["document", "audit", "log"]),
            ("sent_at", &["sent", "at"]),
            ("SENT_AT", &["sent", "at"]),
            ("processed:account:${id}", &["processed", "account", "id"]),
            ("dedup:__hole0", &["dedup", "hole0"]),
            ("webhook-deliveries", &["webhook", "deliveries"]),
            (
                "public.\"SentStatements\"",
                &["public", "sent", "statements"],
            ),
            ("HTTPRequestLog", &["http", "request", "log"]),
            ("v2Keys", &["v2", "keys"]),
            ("", &[]),
        ];
        for (name, expected) in cases {
            assert_eq!(words(name), *expected, "{name}");
        }
    }

    #[test]
    fn entries_match_whole_words_never_inside_one() {
        let non_dedup = list(&["count*", "lock*"]);
        assert!(!non_dedup.any_word_of("processed:account:${id}"));
        assert!(!non_dedup.any_word_of("unblock:{id}"));
        assert!(non_dedup.any_word_of("rate:counter:${ip}"));
        assert!(non_dedup.any_word_of("job:{id}:lockedBy"));

        let logs = list(&["stat", "log", "history"]);
        assert!(!logs.any_word_of("sent_statements"));
        assert!(!logs.any_word_of("product_catalog"));
        assert!(logs.any_word_of("page_stats"));
        assert!(logs.any_word_of("EmailLogs"));
        assert!(logs.any_word_of("status_histories"));
        // `-es` makes a plural only after a hissing end: `states` are no `stat`s.
        assert!(!logs.any_word_of("order_states"));
        assert!(list(&["status"]).has("statuses"));
        assert!(!list(&["repo"]).has_singular("repos"));

        // Two adjacent words written together match a compound entry.
        let credentials = list(&["apikey", "token*"]);
        assert!(credentials.any_word_of("api_keys"));
        assert!(credentials.any_word_of("ApiKey"));
        assert!(credentials.any_word_of("passwordResetTokens"));
        assert!(!credentials.any_word_of("api_requests"));
    }

    #[test]
    fn credentials_and_their_spent_marks_are_named_by_the_vocabulary() {
        let v = vocabulary();
        for name in [
            "password_resets",
            "magicLinks",
            "api_keys",
            "ApiKey",
            "invites",
            "refresh_tokens",
        ] {
            assert!(v.credential_words.any_word_of(name), "{name}");
        }
        for name in ["support_tickets", "accounts", "orders", "keys"] {
            assert!(!v.credential_words.any_word_of(name), "{name}");
        }
        for name in ["usedAt", "used", "revoked_at", "consumedAt"] {
            assert!(v.spent_words.any_word_of(name), "{name}");
        }
        assert!(v.latest_words.any_word_of("lastUsedAt"));
    }

    #[test]
    fn dedup_columns_are_keys_of_an_operation() {
        let v = vocabulary();
        for name in [
            "idempotency_key",
            "idempotencyKey",
            "dedupKey",
            "event_id",
            "stripeSessionId",
            "message_id",
            "nonce",
        ] {
            assert!(v.is_dedup_column(name), "{name}");
        }
        for name in [
            "user_id",
            "key",
            "email",
            "session",
            "eventName",
            "organizationId",
        ] {
            assert!(!v.is_dedup_column(name), "{name}");
        }
    }

    #[test]
    fn a_whole_name_is_one_word_of_the_list() {
        let status = list(&["status", "state"]);
        assert!(status.is_whole("Status"));
        assert!(status.is_whole("state"));
        assert!(!status.is_whole("order_status"));
        assert!(!status.is_whole("estate"));

        let time = list(&["at"]);
        assert!(time.is_last_word_of("sentAt"));
        assert!(!time.is_last_word_of("format"));
    }

    #[test]
    fn an_entry_must_be_one_lower_case_word() {
        for bad in ["sentAt", "sent_at", "Log", "", "*"] {
            assert!(WordList::try_from(vec![bad.to_string()]).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_builtin_vocabulary_parses() {
        let v = vocabulary();
        assert!(v.log_tables.has("audit"));
        assert!(v.dedup_keys.has("processed"));
        assert!(v.non_dedup_keys.has("counter"));
    }

    #[test]
    fn unknown_lists_are_refused() {
        let err = toml::from_str::<Vocabulary>("log-table = [\"log\"]").unwrap_err();
        assert!(err.to_string().contains("unknown field"), "{err}");
    }
}
