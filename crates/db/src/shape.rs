//! What an entity says its table looks like, so a test can hold every entity against
//! PostgreSQL's catalog after the migrations: a column renamed, retyped or made
//! nullable in SQL but not in Rust (or the reverse) fails there, not in production.

use sea_orm::sea_query::StringLen;
use sea_orm::{ColumnTrait, ColumnType, EntityTrait, IdenStatic, Iterable};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnShape {
    pub name: String,
    /// The PostgreSQL types (`pg_type.typname`) the Rust type accepts.
    pub pg_types: Vec<&'static str>,
    pub nullable: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableShape {
    pub table: String,
    pub columns: Vec<ColumnShape>,
}

/// The shape an entity declares.
pub fn shape_of<E: EntityTrait + Default>() -> TableShape {
    let e = E::default();
    TableShape {
        table: e.table_name().to_owned(),
        columns: E::Column::iter()
            .map(|c| {
                let def = c.def();
                ColumnShape {
                    name: c.as_str().to_owned(),
                    pg_types: pg_types(def.get_column_type()),
                    nullable: def.is_null(),
                }
            })
            .collect(),
    }
}

fn pg_types(t: &ColumnType) -> Vec<&'static str> {
    match t {
        // Strings: sea-orm says String for `String` fields and for string-valued codes;
        // the migrations write `text`, and `varchar` would hold the same values.
        ColumnType::String(StringLen::None | StringLen::Max | StringLen::N(_))
        | ColumnType::Text => {
            vec!["text", "varchar"]
        }
        ColumnType::Char(_) => vec!["bpchar"],
        ColumnType::Uuid => vec!["uuid"],
        ColumnType::SmallInteger => vec!["int2"],
        ColumnType::Integer => vec!["int4"],
        ColumnType::BigInteger => vec!["int8"],
        ColumnType::Float => vec!["float4"],
        ColumnType::Double => vec!["float8"],
        ColumnType::Decimal(_) | ColumnType::Money(_) => vec!["numeric"],
        ColumnType::Boolean => vec!["bool"],
        ColumnType::Date => vec!["date"],
        ColumnType::Time => vec!["time"],
        ColumnType::DateTime | ColumnType::Timestamp => vec!["timestamp"],
        ColumnType::TimestampWithTimeZone => vec!["timestamptz"],
        ColumnType::Json => vec!["json"],
        ColumnType::JsonBinary => vec!["jsonb"],
        ColumnType::Binary(_) | ColumnType::VarBinary(_) | ColumnType::Blob => vec!["bytea"],
        ColumnType::Interval(_, _) => vec!["interval"],
        ColumnType::Inet => vec!["inet"],
        ColumnType::Array(inner) => pg_types(inner)
            .into_iter()
            .map(|t| match t {
                "text" => "_text",
                "varchar" => "_varchar",
                "uuid" => "_uuid",
                "int2" => "_int2",
                "int4" => "_int4",
                "int8" => "_int8",
                "date" => "_date",
                "bool" => "_bool",
                "float8" => "_float8",
                _ => "_unknown",
            })
            .collect(),
        _ => vec!["unmapped"],
    }
}

/// One way an entity and its table disagree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Drift {
    pub table: String,
    pub column: Option<String>,
    pub what: String,
}

#[derive(Debug, sea_orm::FromQueryResult)]
struct CatalogColumn {
    table_name: String,
    column_name: String,
    type_name: String,
    nullable: bool,
}

/// Holds entities against the live catalog: every table of the `public` schema (but
/// the migrator's own) has exactly one entity, every entity names a table, and column
/// names, types and nullability agree both ways.
pub async fn drift(
    conn: &impl sea_orm::ConnectionTrait,
    shapes: &[TableShape],
) -> Result<Vec<Drift>, sea_orm::DbErr> {
    use sea_orm::FromQueryResult;
    use std::collections::BTreeMap;

    let rows = conn
        .query_all_raw(crate::stmt(
            "select c.relname::text as table_name, a.attname::text as column_name, \
                    t.typname::text as type_name, not a.attnotnull as nullable \
             from pg_class c \
             join pg_namespace n on n.oid = c.relnamespace \
             join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped \
             join pg_type t on t.oid = a.atttypid \
             where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relispartition \
               and c.relname <> 'seaql_migrations' \
             order by 1, a.attnum",
            vec![],
        ))
        .await?;
    let mut catalog: BTreeMap<String, BTreeMap<String, CatalogColumn>> = BTreeMap::new();
    for r in &rows {
        let c = CatalogColumn::from_query_result(r, "")?;
        catalog
            .entry(c.table_name.clone())
            .or_default()
            .insert(c.column_name.clone(), c);
    }

    let mut out = Vec::new();
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for shape in shapes {
        *seen.entry(shape.table.as_str()).or_default() += 1;
        let Some(columns) = catalog.get(&shape.table) else {
            out.push(Drift {
                table: shape.table.clone(),
                column: None,
                what: "no such table".into(),
            });
            continue;
        };
        for col in &shape.columns {
            let Some(c) = columns.get(&col.name) else {
                out.push(Drift {
                    table: shape.table.clone(),
                    column: Some(col.name.clone()),
                    what: "no such column".into(),
                });
                continue;
            };
            if !col.pg_types.contains(&c.type_name.as_str()) {
                out.push(Drift {
                    table: shape.table.clone(),
                    column: Some(col.name.clone()),
                    what: format!(
                        "type {} in the table, {:?} in the entity",
                        c.type_name, col.pg_types
                    ),
                });
            }
            if col.nullable != c.nullable {
                out.push(Drift {
                    table: shape.table.clone(),
                    column: Some(col.name.clone()),
                    what: format!(
                        "{} in the table, {} in the entity",
                        if c.nullable { "nullable" } else { "not null" },
                        if col.nullable { "nullable" } else { "not null" },
                    ),
                });
            }
        }
        for name in columns.keys() {
            if !shape.columns.iter().any(|c| &c.name == name) {
                out.push(Drift {
                    table: shape.table.clone(),
                    column: Some(name.clone()),
                    what: "column missing from the entity".into(),
                });
            }
        }
    }
    for (table, n) in &seen {
        if *n > 1 {
            out.push(Drift {
                table: (*table).to_owned(),
                column: None,
                what: format!("{n} entities for one table"),
            });
        }
    }
    for table in catalog.keys() {
        if !seen.contains_key(table.as_str()) {
            out.push(Drift {
                table: table.clone(),
                column: None,
                what: "table without an entity".into(),
            });
        }
    }
    Ok(out)
}
