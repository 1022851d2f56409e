//! The crate's declaration shapes, written once: an enum mirrored from a domain
//! crate, an object wrapping one domain row with a global id, the loader of such an
//! object, and a payload holding one object.

/// A GraphQL enum with the variants of a domain enum, converted both ways
/// (async-graphql's `remote`). Attributes on the enum and on each variant (their
/// docs become the schema's descriptions) pass through.
macro_rules! mirror_enum {
    ($(#[$m:meta])* $name:ident => $remote:literal { $($(#[$vm:meta])* $v:ident),* $(,)? }) => {
        $(#[$m])*
        #[derive(async_graphql::Enum, Copy, Clone, Eq, PartialEq, Debug)]
        #[graphql(remote = $remote)]
        pub enum $name { $($(#[$vm])* $v),* }
    };
}

/// Objects over one domain row that has a global id (the type's name): what
/// connections list (`connection::paged`) and loaders load (`loaders::load`). The
/// row must have an `id: Uuid`.
macro_rules! row_objects {
    ($($(#[$m:meta])* pub struct $name:ident(pub $row:ty);)*) => {$(
        $(#[$m])*
        pub struct $name(pub $row);

        impl $crate::node::RowObject for $name {
            type Row = $row;
            const NAME: &'static str = stringify!($name);
            fn wrap(row: $row) -> Self {
                Self(row)
            }
            fn key(row: &$row) -> uuid::Uuid {
                row.id
            }
            fn row(&self) -> &$row {
                &self.0
            }
        }
    )*};
}

/// Mutation payloads that hold one object: `Payload { field: Type }`.
macro_rules! payloads {
    ($($(#[$m:meta])* $name:ident { $field:ident: $ty:ty })*) => {$(
        $(#[$m])*
        #[derive(async_graphql::SimpleObject)]
        pub struct $name {
            $field: $ty,
        }
    )*};
}

/// Names the loader of each object: `Type => domain.field`.
macro_rules! loadable {
    ($($t:ty => $($f:ident).+),* $(,)?) => {$(
        impl $crate::loaders::Loadable for $t {
            fn loader(l: &$crate::loaders::Loaders) -> &$crate::loaders::Load<Self::Row> {
                &l.$($f).+
            }
        }
    )*};
}
