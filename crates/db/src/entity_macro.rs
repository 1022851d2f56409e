//! The one way every crate declares a sea-orm entity.

/// One entity: the derive, the key columns (each a `primary_key` PostgreSQL never
/// generates: ids are UUIDv7 made here, codes and hashes are given), then the other
/// columns as written. Written once here because every table repeats the same frame.
/// No relations: no query goes through them, so `Relation` is empty.
///
/// ```ignore
/// use sea_orm::entity::prelude::*;
///
/// db::entity! { "visit_notes", derive(Eq), key { tenant_id: Uuid, id: Uuid }
///     pub visit_id: Uuid,
///     pub body: String,
/// }
/// ```
///
/// - `derive(...)` (optional) adds derives to `Model` beyond `Clone, Debug, PartialEq`.
/// - Key columns may carry doc comments. A key column that comes after other columns
///   keeps its place (the column order is the table's): write it among the columns
///   with `#[sea_orm(primary_key, auto_increment = false)]`.
///
/// The calling module must `use sea_orm::entity::prelude::*;` (every entity file does):
/// the expansion names `DeriveEntityModel`, `EnumIter`, `DeriveRelation` and
/// `ActiveModelBehavior` from there, and the column types usually come from it too.
#[macro_export]
macro_rules! entity {
    (
        $table:literal,
        $(derive($($extra:path),* $(,)?),)?
        key { $($(#[$kmeta:meta])* $key:ident: $kty:ty),+ $(,)? }
        $($columns:tt)*
    ) => {
        #[derive(Clone, Debug, PartialEq, $($($extra,)*)? DeriveEntityModel)]
        #[sea_orm(table_name = $table)]
        pub struct Model {
            $(
                $(#[$kmeta])*
                #[sea_orm(primary_key, auto_increment = false)]
                pub $key: $kty,
            )+
            $($columns)*
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    };
}
