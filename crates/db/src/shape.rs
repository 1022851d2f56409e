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
        ColumnType::String(StringLen::None | StringLen::Max | StringLen::N(_)) | ColumnType::Text => {
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
