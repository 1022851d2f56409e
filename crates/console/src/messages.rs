//! Every message the console shows for an error, in French, in one place: the
//! API's error codes, its validation reasons (which it gives in English, for
//! developers) and the console's own failures.

use crate::GateError;
use crate::error::ApiFailure;

pub(crate) const CSRF: &str =
    "Ce formulaire a expiré ou ne vient pas de cette page. Rechargez la page et recommencez.";
pub(crate) const SESSION_STORE: &str =
    "Le service de connexion est momentanément indisponible. Réessayez dans quelques instants.";
pub(crate) const NOT_FOUND: &str =
    "Cette page n'existe pas, ou vous n'y avez pas accès avec ce compte.";
pub(crate) const OIDC: &str = "Le fournisseur d'identité n'a pas confirmé votre connexion. Recommencez depuis la page de connexion.";
/// The console's own checks of a record form, before the API is asked.
pub(crate) const REQUIRED: &str = "Obligatoire.";
pub(crate) const BAD_DATE: &str = "Date invalide : saisissez-la au format jj/mm/aaaa.";
pub(crate) const BAD_NUMBER: &str = "Nombre invalide : saisissez des chiffres, par exemple 7,5.";
pub(crate) const INTERNAL: &str = "Une erreur inattendue s'est produite. Réessayez ; si elle persiste, prévenez l'équipe support.";

/// Why the server would not let the person in, or act as they chose.
pub(crate) fn gate(e: GateError) -> &'static str {
    match e {
        GateError::Refused => "Votre connexion n'a pas pu être vérifiée. Reconnectez-vous.",
        GateError::NoAccount => {
            "Aucun compte Passerelle ni invitation n'existe pour cette identité. Demandez une invitation à votre association."
        }
        GateError::Choice => {
            "Vous ne pouvez plus agir pour cette structure. Choisissez-en une autre."
        }
        GateError::Unavailable => {
            "Le service est momentanément indisponible. Réessayez dans quelques instants."
        }
        GateError::RateLimited => {
            "Trop de demandes en peu de temps. Patientez une minute puis réessayez."
        }
    }
}

/// An API error, as a sentence for the page (a validation error is also shown
/// next to its field: see `field_reason`).
pub(crate) fn api_error(f: &ApiFailure) -> String {
    match f.code.as_str() {
        "UNAUTHENTICATED" => "Votre session a expiré. Reconnectez-vous.".into(),
        "FORBIDDEN" => "Votre rôle ne permet pas cette action.".into(),
        "ACTOR_CHOICE_REQUIRED" => {
            "Choisissez d'abord la structure pour laquelle vous agissez.".into()
        }
        "NOT_FOUND" => NOT_FOUND.into(),
        "VALIDATION" => match &f.field {
            Some(field) => format!(
                "{} : {}",
                field_label(field),
                reason(f.reason.as_deref().unwrap_or(""))
            ),
            None => "La demande n'est pas valide.".into(),
        },
        "CONFLICT" => conflict(f),
        "RATE_LIMITED" => gate(GateError::RateLimited).into(),
        "UNAVAILABLE" => gate(GateError::Unavailable).into(),
        _ => INTERNAL.into(),
    }
}

/// A conflict, in French: the known ones by their message, the rest in general terms.
pub(crate) fn conflict(f: &ApiFailure) -> String {
    let m = f.message.as_str();
    let known = [
        (
            "an association already uses this slug",
            "Une association utilise déjà cet identifiant court.",
        ),
        (
            "at least one active director",
            "L'association doit garder au moins une direction active.",
        ),
        (
            "already a member",
            "Cette personne est déjà membre de l'association.",
        ),
        (
            "already an active member",
            "Cette personne est déjà membre de l'association.",
        ),
        (
            "an invitation is already pending",
            "Une invitation est déjà en attente pour cette adresse.",
        ),
        ("this partner already exists", "Ce partenaire existe déjà."),
        (
            "the association is suspended",
            "L'association est suspendue : réactivez-la avant d'inviter une direction.",
        ),
    ];
    if let Some((_, fr)) = known.iter().find(|(en, _)| m.contains(en)) {
        return (*fr).to_owned();
    }
    match f.reason.as_deref() {
        Some(r) => format!("Conflit : {}", reason(r)),
        None => {
            "Cette action entre en conflit avec une modification récente. Rechargez la page.".into()
        }
    }
}

/// A refused CSV of outreach cases: the API names the line in French ("ligne 3 :
/// ..."); its reason after that may be English, translated here.
pub(crate) fn csv_error(f: &ApiFailure) -> String {
    let r = f.reason.as_deref().unwrap_or("");
    match r.split_once(" : ") {
        Some((line, rest)) if line.starts_with("ligne ") => {
            let (column, why) = match rest.rsplit_once(": ") {
                Some((c, w)) => (format!("colonne {c}, "), w),
                None => (String::new(), rest),
            };
            format!("Fichier refusé, {line} : {column}{}", reason(why))
        }
        _ if r == "no case after the header line" => {
            "Fichier refusé : aucun cas après la ligne d'en-tête.".into()
        }
        _ => format!("Fichier refusé : {}", reason(r)),
    }
}

/// A field of the API's inputs, as a person names it.
pub(crate) fn field_label(field: &str) -> String {
    // `requests[1].partnerId` is the second request's partner.
    if let Some(rest) = field.strip_prefix("requests[")
        && let Some((n, sub)) = rest.split_once("].")
    {
        let n = n.parse::<usize>().map(|n| n + 1).unwrap_or(1);
        return format!("Demande {n}, {}", field_label(sub).to_lowercase());
    }
    match field {
        "siteId" => "Site",
        "occurredAt" => "Date et heure",
        "channel" => "Canal",
        "durationMinutes" => "Durée",
        "language" => "Langue",
        "ageBand" => "Tranche d'âge",
        "sex" => "Sexe",
        "neighbourhood" => "Quartier",
        "requests" => "Demandes",
        "theme" => "Thème",
        "kind" => "Type de demande",
        "partnerId" => "Partenaire",
        "outcome" => "Issue",
        "referredTo" => "Orienté vers",
        "note" => "Note",
        "reason" => "Motif",
        "clientKey" => "Formulaire",
        "from" => "Début de période",
        "to" => "Fin de période",
        "email" => "Adresse électronique",
        "name" => "Nom",
        "slug" => "Identifiant court",
        "declaration" => "Déclaration",
        "body" => "Réponse",
        "file" => "Fichier",
        "fullName" => "Nom et prénom",
        "birthYear" => "Année de naissance",
        "startsOn" => "Début",
        "endsOn" => "Fin",
        "plannedEndOn" => "Fin prévue",
        "weeklyHours" => "Heures par semaine",
        "jobTitle" => "Poste",
        "siteIds" => "Sites",
        "contractId" => "Contrat",
        "employeeId" => "Salarié",
        "employerPartnerId" => "Entreprise partenaire",
        "hours" => "Heures",
        "title" => "Intitulé",
        "exitOn" => "Date de sortie",
        "followedUpOn" => "Date du suivi",
        "auditId" => "Contrôle",
        "documentId" => "Pièce",
        "criterionId" => "Critère",
        "overrideReason" => "Motif du changement",
        "summary" => "Synthèse",
        "grade" => "Appréciation",
        "outcomes" => "Suites données aux réponses",
        "actions" => "Plan d'actions",
        "observedOn" => "Date de l'observation",
        _ => "Champ",
    }
    .to_owned()
}

/// How the French reasons of the domains begin when they carry no accent
/// ("un nombre d'heures positif", "obligatoire, sauf pour un CDI").
const FRENCH_OPENINGS: &[&str] = &[
    "le ",
    "la ",
    "l'",
    "les ",
    "un ",
    "une ",
    "au ",
    "aux ",
    "aucun",
    "ce ",
    "cette ",
    "chaque ",
    "entre ",
    "obligatoire,",
    "de ",
    "fiche ",
    "membre ",
    "organisme ",
    "site ",
    "entreprise ",
    "constat ",
    "seulement ",
];

/// A validation reason of the API, in French. Reasons the API may add later
/// fall back to a general sentence rather than showing English.
pub(crate) fn reason(r: &str) -> String {
    let known = match r {
        "required" => "obligatoire.",
        "required for a partner request" => "obligatoire pour une demande partenaire.",
        "only for a partner request" => "seulement pour une demande partenaire.",
        "between 1 and 480 minutes" => "entre 1 et 480 minutes.",
        "unknown site" => "site inconnu.",
        "the site was not open on that day" => "le site n'était pas ouvert ce jour-là.",
        "not an active member of the association" => "n'est pas membre actif de l'association.",
        "unknown partner" => "partenaire inconnu.",
        "not a theme of the network's catalogue" => "thème absent du catalogue du réseau.",
        "between 3 and 500 characters" => "entre 3 et 500 caractères.",
        "at most 4000 characters" => "4 000 caractères au plus.",
        "in the future" => "ne peut pas être dans le futur.",
        "before from" => "doit suivre le début de période.",
        "at most three years" => "trois ans au plus.",
        "not a valid email address" => "adresse électronique invalide.",
        "already used" | "already exists" => "déjà utilisé.",
        "the same client key was used with another input" => {
            "ce formulaire a déjà été envoyé avec d'autres valeurs ; rechargez la page."
        }
        _ if r.starts_with("between 1 and ") && r.ends_with(" requests") => {
            "entre une et dix demandes."
        }
        _ if r.starts_with("between ") && r.contains(" characters") => {
            let n: Vec<&str> = r.split(' ').collect();
            return match (n.get(1), n.get(3)) {
                (Some(a), Some(b)) => format!("entre {a} et {b} caractères."),
                _ => "longueur non acceptée.".into(),
            };
        }
        // The compliance and HR pathways domains' reasons are written in French.
        _ if r.chars().any(|c| "éèàçùâêîôû".contains(c))
            || FRENCH_OPENINGS.iter().any(|w| r.starts_with(w)) =>
        {
            return r.to_owned();
        }
        _ => "valeur non acceptée.",
    };
    known.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_field_names_its_request() {
        assert_eq!(
            field_label("requests[1].partnerId"),
            "Demande 2, partenaire"
        );
        assert_eq!(
            reason("required for a partner request"),
            "obligatoire pour une demande partenaire."
        );
        assert_eq!(reason("some new English reason"), "valeur non acceptée.");
        // The HR pathways' reasons are French without an accent: kept as they are.
        assert_eq!(
            reason("un nombre d'heures positif"),
            "un nombre d'heures positif"
        );
        assert_eq!(
            reason("entre 0 et 48 heures par semaine"),
            "entre 0 et 48 heures par semaine"
        );
    }
}
