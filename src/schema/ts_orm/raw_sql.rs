//! SQL that migrations written as code run as text, applied as a SQL migration: TypeORM's
//! `queryRunner.query(`CREATE TABLE ..`)` (all its generated migrations), Sequelize's
//! `queryInterface.sequelize.query(..)`, knex's `knex.raw(..)` and `knex.schema.raw(..)`.

use super::Source;
use crate::schema::{migrations, Table};

pub(super) fn apply(src: &Source, tables: &mut Vec<Table>) {
    for links in src.chains() {
        for link in &links {
            let Some(receiver) = super::receiver(link.node).map(|r| src.text(r)) else {
                continue;
            };
            let runs_sql = match link.name.as_str() {
                "query" => receiver.ends_with("queryRunner") || receiver.ends_with("sequelize"),
                "raw" => receiver == "knex" || receiver.ends_with(".schema"),
                _ => false,
            };
            let Some((sql, at)) = link
                .args
                .first()
                .filter(|_| runs_sql)
                .and_then(|a| Some((src.string(*a)?, a)))
            else {
                continue;
            };
            // Blank lines before it put the SQL's lines at the file's.
            let lines = "\n".repeat(super::line(*at).saturating_sub(1) as usize);
            migrations::apply(tables, src.file, &format!("{lines}{sql}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{key, keys, read_one};
    use crate::schema::KeyKind::{Primary, Unique};

    #[test]
    fn sql_run_by_migration_code_is_applied() {
        let tables = read_one(
            r#"export class Init1700000000000 implements MigrationInterface {
  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "order" ("id" SERIAL NOT NULL, "key" varchar NOT NULL,
      CONSTRAINT "UQ_order_key" UNIQUE ("key"), CONSTRAINT "PK_order" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "IDX_order_created" ON "order" ("created")`);
    await this.queryRunner.query(`SELECT 1`);
    await db.query(`CREATE UNIQUE INDEX not_a_migration ON "order" ("x")`);
  }
  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "order"`);
  }
}
exports.up = (knex) => knex.raw('CREATE UNIQUE INDEX invites_email ON invites (email)');
"#,
        );
        assert_eq!(
            keys(&tables, "order"),
            [key(Unique, &["key"], 3), key(Primary, &["id"], 3)]
        );
        // An index on a table no migration read creates is not kept (as in SQL migrations).
        assert_eq!(tables.len(), 1);
    }
}
