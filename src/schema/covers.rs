//! Which declared key, if any, keeps unique what a read selects by: the question every
//! check-then-insert asks of the schema.

use super::{Key, Schema, Table};
use crate::ir::{same_field, FieldEq, Resource};

impl Schema {
    /// The table code names by `resource` (`prisma.orderItem`, `order_items`, `OrderItem`),
    /// by its model or table name, case, plural and container suffix aside.
    pub fn table(&self, resource: &Resource) -> Option<&Table> {
        self.index.get(resource.key()).map(|&i| &self.tables[i])
    }
}

impl Table {
    /// The first key (primary keys first) whose every field the read compares by equality,
    /// and whose partial index condition, if any, the read's filter repeats.
    pub fn key_covering(&self, filter: &[FieldEq]) -> Option<&Key> {
        let mut keys: Vec<&Key> = self.keys.iter().collect();
        keys.sort_by_key(|k| k.kind);
        keys.into_iter().find(|k| self.covers(k, filter))
    }

    /// Whether the filter compares every column of the key, and repeats the condition of a
    /// partial one.
    pub fn covers(&self, key: &Key, filter: &[FieldEq]) -> bool {
        let selects = |field: &str| filter.iter().any(|f| self.same_column(field, &f.field));
        let rows_kept = match &key.predicate {
            None => true,
            Some(p) => p.equalities.as_ref().is_some_and(|eqs| {
                eqs.iter().all(|eq| {
                    filter
                        .iter()
                        .any(|f| self.same_column(&eq.field, &f.field) && f.constant == eq.constant)
                })
            }),
        };
        !key.fields.is_empty() && key.fields.iter().all(|k| selects(k)) && rows_kept
    }

    /// A field as code spells it and a column as the schema does, through the table's
    /// `@map`/`name:` renames.
    pub fn same_column(&self, a: &str, b: &str) -> bool {
        same_field(a, b)
            || self.columns.iter().any(|(field, column)| {
                (same_field(a, field) && same_field(b, column))
                    || (same_field(a, column) && same_field(b, field))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Key, KeyKind, Predicate, Schema, Table};
    use crate::ir::{FieldEq, Resource};
    use std::path::Path;

    fn eq(field: &str, constant: Option<&str>) -> FieldEq {
        FieldEq {
            field: field.into(),
            constant: constant.map(Into::into),
        }
    }

    fn schema() -> Schema {
        let file = Path::new("schema.prisma");
        let mut t = Table::new("TeamMember", file, 1);
        t.name = "team_members".into();
        t.columns.push(("teamId".into(), "team_id".into()));
        let pair = vec!["teamId".to_string(), "userId".to_string()];
        t.keys.push(Key::new(KeyKind::Unique, pair, file, 3));
        let mut pending = Key::new(KeyKind::Unique, vec!["email".into()], file, 4);
        pending.predicate = Some(Predicate {
            text: "status = 'pending'".into(),
            equalities: Some(vec![eq("status", Some("pending"))]),
        });
        t.keys.push(pending);
        Schema::new(vec![t])
    }

    #[test]
    fn a_key_covers_a_read_by_all_its_fields() {
        let s = schema();
        let t = s
            .table(&Resource::new("teamMember".into()))
            .expect("by model");
        assert!(s
            .table(&Resource::new("public.team_members".into()))
            .is_some());
        // Through the column rename, in either spelling.
        let by = [
            eq("team_id", None),
            eq("user_id", None),
            eq("role", Some("admin")),
        ];
        assert_eq!(t.key_covering(&by).map(|k| k.line), Some(3));
        assert!(t.key_covering(&[eq("teamId", None)]).is_none());
    }

    #[test]
    fn a_partial_key_covers_only_reads_of_its_rows() {
        let s = schema();
        let t = s.table(&Resource::new("team_members".into())).unwrap();
        let pending = [eq("email", None), eq("status", Some("pending"))];
        assert_eq!(t.key_covering(&pending).map(|k| k.line), Some(4));
        assert!(t.key_covering(&[eq("email", None)]).is_none());
        let other = [eq("email", None), eq("status", Some("sent"))];
        assert!(t.key_covering(&other).is_none());
    }
}
