//! The register of processing activities (RGPD article 30), generated from the
//! code's own declarations: `PERSONAL_TABLES` is the one place saying which tables
//! hold personal data (and in which columns); `REGISTER` says, for each processing,
//! which of them it stores its data in, why, on what legal basis, for whom, how long,
//! and which job enforces that. `passerelle privacy register` prints it as Markdown;
//! a test fails when a table of `PERSONAL_TABLES` is in no processing, and the
//! end-to-end suite checks every declared table and column exists in the catalog.

/// A table holding personal data.
#[derive(Clone, Copy, Debug)]
pub struct PersonalTable {
    pub table: &'static str,
    /// Its columns holding personal data (or linking a row to a person).
    pub columns: &'static [&'static str],
}

/// One processing activity.
#[derive(Clone, Copy, Debug)]
pub struct Processing {
    pub name: &'static str,
    /// The categories of personal data, and whose.
    pub data: &'static str,
    /// Where it is stored: tables of `PERSONAL_TABLES` (and files, said in `data`).
    pub tables: &'static [&'static str],
    pub purpose: &'static str,
    pub legal_basis: &'static str,
    pub recipients: &'static str,
    pub retention: &'static str,
    /// The job, command or rule that enforces the retention.
    pub enforced_by: &'static str,
}

const fn t(table: &'static str, columns: &'static [&'static str]) -> PersonalTable {
    PersonalTable { table, columns }
}

/// Every table holding personal data. A new one goes here, and into a processing of
/// `REGISTER` (the unit test below fails until it does).
pub const PERSONAL_TABLES: &[PersonalTable] = &[
    // Residents followed by the associations (mediation journal).
    t(
        "beneficiaries",
        &["pseudonym", "age_band", "sex", "neighbourhood"],
    ),
    t(
        "beneficiary_revisions",
        &["beneficiary_id", "previous", "reason"],
    ),
    t(
        "consents",
        &[
            "beneficiary_id",
            "purpose",
            "recipient",
            "recipient_partner_id",
            "given_on",
            "withdrawn_on",
        ],
    ),
    t(
        "visits",
        &[
            "beneficiary_id",
            "age_band",
            "sex",
            "neighbourhood",
            "language",
        ],
    ),
    t("visit_requests", &["referred_to"]),
    t("visit_notes", &["body"]),
    t("visit_revisions", &["previous", "reason"]),
    t("workshop_attendees", &["beneficiary_id"]),
    // Partners' customers reached by outreach.
    t(
        "outreach_cases",
        &[
            "customer_ref",
            "full_name",
            "phone",
            "email",
            "address",
            "postal_code",
            "report_details",
            "beneficiary_id",
        ],
    ),
    t("outreach_attempts", &["note"]),
    // Employees' HR records.
    t("employees", &["full_name", "user_id", "birth_year", "sex"]),
    t(
        "employment_contracts",
        &["employee_id", "job_title", "end_reason"],
    ),
    t("subsidies", &["agreement_reference"]),
    t(
        "training_entries",
        &["employee_id", "title", "provider", "certification"],
    ),
    t("absences", &["employee_id", "starts_on", "ends_on"]),
    t("qualifications", &["employee_id", "title"]),
    t(
        "employee_exits",
        &["employee_id", "exit_on", "outcome", "followup_outcome"],
    ),
    // Staff and partners' people: accounts, invitations, contacts.
    t("users", &["email", "display_name"]),
    t("user_identities", &["user_id", "subject"]),
    t("invitations", &["email"]),
    t("union_invitations", &["email"]),
    t("partner_invitations", &["email"]),
    t("partner_contacts", &["full_name", "email", "phone"]),
    t("compliance_signatories", &["full_name", "role_title"]),
    // Evidence files (their content may name people) and e-mails sent.
    t(
        "compliance_documents",
        &["file_name", "storage_key", "uploaded_by"],
    ),
    t("email_messages", &["user_id"]),
    // The access log: who did what (ids only).
    t(
        "access_log",
        &["user_id", "client_id", "object_id", "reason"],
    ),
];

/// The register.
pub const REGISTER: &[Processing] = &[
    Processing {
        name: "Suivi des personnes accompagnées",
        data: "Personnes reçues par les PIMMS et suivies sur plusieurs passages : pseudonyme (jamais de nom), \
               tranche d'âge, sexe, quartier, consentements (finalité, destinataire, dates), passages et demandes \
               qui leur sont rattachés, ateliers suivis nommément, corrections de l'identité",
        tables: &[
            "beneficiaries",
            "beneficiary_revisions",
            "consents",
            "visits",
            "visit_requests",
            "visit_revisions",
            "workshop_attendees",
        ],
        purpose: "Accompagner la personne dans ses démarches auprès des services publics et des entreprises \
                  partenaires, d'un passage à l'autre ; produire des statistiques anonymes",
        legal_basis: "Consentement de la personne (article 6.1.a du RGPD), recueilli à l'ouverture du suivi ; \
                      intérêt légitime de l'association pour les statistiques anonymes",
        recipients: "Le personnel de l'association (direction, coordination, médiation) ; un partenaire nommé \
                     dans un consentement en cours de validité, pour le retour sur les demandes traitées pour lui ; \
                     jamais l'Union ni les autres associations (statistiques anonymes seulement)",
        retention: "Deux ans après le dernier contact (passage, atelier, consentement, correction), puis \
                    anonymisation ; effacement à la demande de la personne",
        enforced_by: "Tâche horaire du serveur et `passerelle purge` (mediation::Journal::apply_retention, \
                      PASSERELLE_BENEFICIARY_RETENTION_DAYS) ; mutation eraseBeneficiary",
    },
    Processing {
        name: "Notes des médiateurs",
        data: "Texte libre écrit à propos d'un passage (données sensibles possibles)",
        tables: &["visit_notes"],
        purpose: "Assurer la continuité de l'accompagnement",
        legal_basis: "Consentement de la personne suivie ; intérêt légitime de l'association pour un passage sans suivi",
        recipients: "Le personnel de l'association seulement",
        retention: "Deux ans après leur rédaction (réglable), et effacement avec la personne",
        enforced_by: "Tâche horaire du serveur et `passerelle purge` (mediation::Journal::apply_retention, \
                      PASSERELLE_NOTE_RETENTION_DAYS)",
    },
    Processing {
        name: "Démarches « aller vers » pour les partenaires",
        data: "Clients d'un partenaire à joindre : référence client, nom, téléphone, courriel, adresse, code postal, \
               détails remontés, notes des tentatives de contact",
        tables: &["outreach_cases", "outreach_attempts"],
        purpose: "Joindre les personnes qu'un partenaire signale (impayés, chèque énergie...) et les orienter",
        legal_basis: "Celle que la campagne déclare (intérêt légitime, contrat, obligation légale, consentement, \
                      mission d'intérêt public) ; consentement de la personne pour les détails remontés",
        recipients: "L'association qui mène la campagne ; le partenaire : issue et nombre de tentatives, les \
                     détails seulement avec le consentement de la personne",
        retention: "La durée de conservation de la campagne après sa clôture (90 jours par défaut, trois ans au plus) ; \
                    effacement avec la personne suivie qui y est rattachée",
        enforced_by: "Tâche horaire du serveur et `passerelle purge` (partners::Partners::purge_expired_outreach) ; \
                      mutation eraseBeneficiary",
    },
    Processing {
        name: "Parcours professionnels des salariés",
        data: "Salariés des associations : nom, compte, année de naissance, sexe, contrats, aides à l'emploi, \
               formations, absences (dates seulement), qualifications, sortie et suivi à six mois",
        tables: &[
            "employees",
            "employment_contracts",
            "subsidies",
            "training_entries",
            "absences",
            "qualifications",
            "employee_exits",
        ],
        purpose: "Gérer les parcours qualifiants (adultes-relais, PEC...), les obligations de formation et les \
                  aides à l'emploi ; statistiques du réseau",
        legal_basis: "Exécution du contrat de travail et obligations légales de l'employeur (article 6.1.b et c)",
        recipients: "La direction de l'association, la coordination si elle y est autorisée, le salarié pour son \
                     propre dossier ; l'Union : statistiques seulement (petits effectifs masqués)",
        retention: "Cinq ans après la sortie, puis réduction aux champs statistiques",
        enforced_by: "Tâche horaire du serveur et `passerelle purge` (pathways::Pathways::anonymise_expired)",
    },
    Processing {
        name: "Comptes, invitations et contacts",
        data: "Personnel des associations, de l'Union et des partenaires : adresse électronique, nom affiché, \
               identités de connexion, invitations ; contacts des partenaires ; signataires des contrats de \
               franchise ; courriels envoyés",
        tables: &[
            "users",
            "user_identities",
            "invitations",
            "union_invitations",
            "partner_invitations",
            "partner_contacts",
            "compliance_signatories",
            "email_messages",
        ],
        purpose: "Donner accès à la plateforme, gérer les conventions et les contrats, prévenir les personnes",
        legal_basis: "Intérêt légitime des associations et de l'Union (article 6.1.f) ; exécution des contrats",
        recipients: "L'association, l'Union et le partenaire concernés",
        retention: "Tant que le compte, la convention ou le contrat existent ; invitations jusqu'à leur expiration",
        enforced_by: "Gestion des membres (révocation) ; pas de purge automatique",
    },
    Processing {
        name: "Pièces justificatives de conformité",
        data: "Fichiers déposés à l'appui des audits de franchise (leur contenu peut nommer des personnes) et \
               qui les a déposés ; chaque téléchargement est journalisé",
        tables: &["compliance_documents"],
        purpose: "Prouver le respect de la charte du réseau lors des audits",
        legal_basis: "Exécution du contrat de franchise (article 6.1.b)",
        recipients: "L'association et les auditeurs de l'Union",
        retention: "La durée du contrat de franchise",
        enforced_by: "Pas de purge automatique",
    },
    Processing {
        name: "Journal des accès",
        data: "Qui a modifié quoi, qui a lu quelles données personnelles : identifiants et codes, jamais les \
               données elles-mêmes ; motifs de consultation de l'Union",
        tables: &["access_log"],
        purpose: "Sécurité des données et traçabilité des accès (article 32 du RGPD)",
        legal_basis: "Obligation de sécurité du responsable de traitement (article 6.1.c) ; intérêt légitime",
        recipients: "La direction de l'association (son journal) ; l'administration de l'Union (le sien, et celui \
                     d'une association sur motif écrit lui-même journalisé) ; jamais les partenaires",
        retention: "Un an (réglable, six mois au moins), les chaînes restant vérifiables par un point de contrôle",
        enforced_by: "Tâche horaire du serveur et `passerelle purge` (privacy::AccessLog::purge, \
                      PASSERELLE_ACCESS_LOG_RETENTION_DAYS)",
    },
];

/// The tables of `PERSONAL_TABLES` that no processing of `REGISTER` stores data in.
pub fn missing_from_register() -> Vec<&'static str> {
    PERSONAL_TABLES
        .iter()
        .map(|t| t.table)
        .filter(|t| !REGISTER.iter().any(|p| p.tables.contains(t)))
        .collect()
}

fn cell(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

/// The register as Markdown.
pub fn markdown() -> String {
    let mut out = String::from(
        "# Registre des activités de traitement — Passerelle\n\n\
         Généré à partir des déclarations du code (`privacy::register`). Responsable de chaque traitement : \
         l'association membre pour ses propres données, l'Union nationale pour la plateforme.\n\n",
    );
    for p in REGISTER {
        out.push_str(&format!("## {}\n\n", p.name));
        out.push_str("| | |\n|---|---|\n");
        let tables: Vec<String> = p
            .tables
            .iter()
            .map(|t| {
                let cols = PERSONAL_TABLES
                    .iter()
                    .find(|x| x.table == *t)
                    .map(|x| x.columns.join(", "))
                    .unwrap_or_default();
                format!("`{t}` ({cols})")
            })
            .collect();
        for (k, v) in [
            ("Catégories de données", cell(p.data)),
            ("Où", tables.join(" ; ")),
            ("Finalité", cell(p.purpose)),
            ("Base légale", cell(p.legal_basis)),
            ("Destinataires", cell(p.recipients)),
            ("Durée de conservation", cell(p.retention)),
            ("Appliquée par", cell(p.enforced_by)),
        ] {
            out.push_str(&format!("| {k} | {v} |\n"));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_personal_table_is_in_the_register() {
        assert_eq!(
            missing_from_register(),
            Vec::<&str>::new(),
            "tables holding personal data that no processing of privacy::register::REGISTER names"
        );
        for p in REGISTER {
            for t in p.tables {
                assert!(
                    PERSONAL_TABLES.iter().any(|x| x.table == *t),
                    "{}: {t} is not declared in PERSONAL_TABLES",
                    p.name
                );
            }
        }
    }

    #[test]
    fn the_markdown_has_a_section_per_processing() {
        let md = markdown();
        for p in REGISTER {
            assert!(md.contains(&format!("## {}", p.name)));
        }
        assert!(md.contains("`visit_notes` (body)"));
    }
}
