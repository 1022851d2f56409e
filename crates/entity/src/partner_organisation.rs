use kernel::code_enum;
use sea_orm::entity::prelude::*;

code_enum!(
    /// The partner's line of business.
    stored PartnerSector {
        Energy = "energy" / "Énergie",
        Water = "water" / "Eau",
        Transport = "transport" / "Transport",
        Postal = "postal" / "Courrier",
        Telecom = "telecom" / "Télécommunications",
        PublicBody = "public_body" / "Organisme public",
        SocialSecurity = "social_security" / "Protection sociale",
        Other = "other" / "Autre",
    }
);

code_enum!(
    /// National partners work with the whole network; local ones with one association.
    stored PartnerReach {
        National = "national" / "Nationale",
        Local = "local" / "Locale",
    }
);

db::entity! { "partner_organisations", derive(Eq), key { id: Uuid }
    pub name: String,
    pub sector: PartnerSector,
    pub reach: PartnerReach,
    pub created_at: DateTimeWithTimeZone,
}
