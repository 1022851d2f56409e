//! The vocabulary every Passerelle crate shares: who is acting (`Ctx`), typed ids,
//! roles, and the error every layer speaks. No IO here, no web, no ORM: domain
//! crates and the gateway both depend on it, so it must stay small and cheap to build.

pub mod csv;
pub mod ctx;
pub mod error;
pub mod gid;
pub mod id;
pub mod input;
pub mod page;
pub mod role;
pub mod time;

pub use ctx::{Acting, Actor, ActorChoice, Ctx, RequestId, Scope, TenantScope};
pub use error::{Error, ErrorCode, Result};
pub use id::{ApiClientId, InvitationId, MembershipId, PartnerId, TenantId, UserId};
pub use page::{Page, PageRequest};
pub use role::{PartnerScope, TenantRole, UnionRole};

/// A closed set of codes stored in PostgreSQL (check constraints: part of the database
/// contract), each with its French label for people. One definition for every domain.
///
/// `code_enum!(stored Name { ... })` also derives the ORM's value type, so an entity's column
/// of this type is written and read as its code: the form every domain crate uses.
/// (The derive names `sea_orm`, resolved in the calling crate: kernel stays ORM-free.)
#[macro_export]
macro_rules! code_enum {
    (stored $(#[$m:meta])+ $name:ident { $($(#[$vm:meta])* $variant:ident = $code:literal / $label:literal),* $(,)? }) => {
        $crate::code_enum!($(#[$m])+ stored $name { $($(#[$vm])* $variant = $code / $label),* });
    };
    ($(#[$m:meta])* stored $name:ident { $($(#[$vm:meta])* $variant:ident = $code:literal / $label:literal),* $(,)? }) => {
        $crate::code_enum!(
            #[derive(sea_orm::DeriveValueType)]
            #[sea_orm(value_type = "String")]
            $(#[$m])*
            $name { $($(#[$vm])* $variant = $code / $label),* }
        );
    };
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $code:literal / $label:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vm])* $variant),* }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];
            pub fn as_str(self) -> &'static str { match self { $($name::$variant => $code),* } }
            pub fn label_fr(self) -> &'static str { match self { $($name::$variant => $label),* } }
            pub fn parse(s: &str) -> Option<Self> { Self::ALL.iter().copied().find(|v| v.as_str() == s) }
        }
        $crate::stored_as_code!($name);
    };
}

/// The stored form, both ways (`Display` writes the code, `FromStr` reads it): what
/// the ORM's value-type derive stores and reads, so a row maps to the enum by its
/// code without a parse at each read. For any type with `as_str` and `parse`.
#[doc(hidden)]
#[macro_export]
macro_rules! stored_as_code {
    ($($t:ident),*) => {$(
        impl ::std::fmt::Display for $t {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl ::std::str::FromStr for $t {
            type Err = $crate::UnknownCode;
            fn from_str(s: &str) -> ::std::result::Result<Self, Self::Err> {
                Self::parse(s).ok_or_else(|| $crate::UnknownCode {
                    kind: stringify!($t),
                    code: s.to_owned(),
                })
            }
        }
    )*};
}

/// A stored code no variant of its enum has: a database that drifted from the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCode {
    pub kind: &'static str,
    pub code: String,
}

impl std::fmt::Display for UnknownCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unknown {} code {:?}", self.kind, self.code)
    }
}

impl std::error::Error for UnknownCode {}
