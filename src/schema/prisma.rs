//! Prisma schema files: each `model` block's table name (`@@map`) and the keys the database
//! keeps unique (`@id`, `@unique`, `@@id`, `@@unique`), with field names mapped to columns
//! (`@map`).

use super::{Key, KeyKind, Table};
use std::path::Path;

/// The tables a `.prisma` file declares.
pub fn tables(file: &Path, text: &str) -> Vec<Table> {
    let mut tables = Vec::new();
    let mut open: Option<Table> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split("//").next().unwrap_or("").trim();
        let number = i as u32 + 1;
        match open.as_mut() {
            None => {
                let mut words = line.split_whitespace();
                if let (Some("model"), Some(name), Some("{")) =
                    (words.next(), words.next(), words.next())
                {
                    open = Some(Table::new(name, file, number));
                }
            }
            Some(_) if line.starts_with('}') => tables.extend(open.take()),
            Some(table) if line.starts_with("@@") => block_attribute(table, line, number),
            Some(table) => field(table, line, number),
        }
    }
    tables
}

/// `email String @unique @map("email_address")`.
fn field(table: &mut Table, line: &str, number: u32) {
    let Some(name) = line.split_whitespace().next() else {
        return;
    };
    if let Some(column) = argument(line, "@map(") {
        table.columns.push((name.to_string(), column));
    }
    for (attribute, kind) in [("@id", KeyKind::Primary), ("@unique", KeyKind::Unique)] {
        if has_attribute(line, attribute) {
            table
                .keys
                .push(Key::new(kind, vec![name.to_string()], &table.file, number));
        }
    }
}

/// `@@id([a, b])`, `@@unique([a, b], name: "x")`, `@@unique(fields: [a, b])`, `@@map("t")`.
fn block_attribute(table: &mut Table, line: &str, number: u32) {
    let kind = if line.starts_with("@@id(") {
        KeyKind::Primary
    } else if line.starts_with("@@unique(") {
        KeyKind::Unique
    } else {
        if let Some(name) = argument(line, "@@map(").filter(|_| line.starts_with("@@map(")) {
            table.name = name;
        }
        return;
    };
    let Some(list) = line
        .split_once('[')
        .and_then(|(_, rest)| rest.split_once(']'))
    else {
        return;
    };
    let fields = list
        .0
        .split(',')
        // `createdAt(sort: Desc)` names the field `createdAt`.
        .map(|f| f.split('(').next().unwrap_or("").trim().to_string())
        .filter(|f| !f.is_empty())
        .collect();
    table.keys.push(Key::new(kind, fields, &table.file, number));
}

/// An attribute standing alone, not the start of a longer one (`@id`, not `@identity`).
fn has_attribute(line: &str, attribute: &str) -> bool {
    line.match_indices(attribute).any(|(at, _)| {
        let next = line[at + attribute.len()..].chars().next();
        !matches!(next, Some(c) if c.is_alphanumeric() || c == '_')
    })
}

/// The quoted first argument of `call` in the line: `@map("email_address")`.
fn argument(line: &str, call: &str) -> Option<String> {
    let rest = &line[line.find(call)? + call.len()..];
    let rest = rest
        .trim_start()
        .strip_prefix("name:")
        .unwrap_or(rest)
        .trim_start();
    let quoted = rest.strip_prefix('"')?;
    Some(quoted[..quoted.find('"')?].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: &str = r#"
// A comment with model Fake {
model User {
  id        String   @id @default(cuid())
  email     String   @unique @map("email_address") // the login
  identity  String
  accounts  Account[]

  @@map("users")
}

model Account {
  provider          String
  providerAccountId String
  createdAt         DateTime @default(now())

  @@unique([provider, providerAccountId], name: "provider_account")
  @@index([createdAt(sort: Desc)])
}

model TeamMember {
  teamId String
  userId String
  @@id(fields: [teamId, userId])
}
"#;

    fn keys(table: &Table) -> Vec<(KeyKind, Vec<&str>, u32)> {
        table
            .keys
            .iter()
            .map(|k| {
                (
                    k.kind,
                    k.fields.iter().map(String::as_str).collect(),
                    k.line,
                )
            })
            .collect()
    }

    #[test]
    fn models_give_their_tables_keys_and_columns() {
        let tables = tables(Path::new("prisma/schema.prisma"), SCHEMA);
        let names: Vec<(&str, &str)> = tables
            .iter()
            .map(|t| (t.model.as_str(), t.name.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("User", "users"),
                ("Account", "Account"),
                ("TeamMember", "TeamMember")
            ]
        );
        assert_eq!(
            keys(&tables[0]),
            [
                (KeyKind::Primary, vec!["id"], 4),
                (KeyKind::Unique, vec!["email"], 5)
            ]
        );
        assert_eq!(
            tables[0].columns,
            [("email".to_string(), "email_address".to_string())]
        );
        assert_eq!(tables[0].line, 3);
        // An index is no key; a named composite unique is.
        assert_eq!(
            keys(&tables[1]),
            [(KeyKind::Unique, vec!["provider", "providerAccountId"], 17)]
        );
        assert_eq!(
            keys(&tables[2]),
            [(KeyKind::Primary, vec!["teamId", "userId"], 24)]
        );
    }

    #[test]
    fn an_attribute_is_matched_whole() {
        assert!(has_attribute("id String @id @default(cuid())", "@id"));
        assert!(!has_attribute("identity String @identity", "@id"));
        assert!(has_attribute("email String @unique(map: \"u\")", "@unique"));
    }
}
