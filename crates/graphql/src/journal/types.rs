//! The objects and enums of the journal: visits and requests, beneficiaries and
//! consents, workshops, satisfaction surveys.

use crate::context::{ctx, services};
use crate::error::Gql;
use crate::loaders::{load, load_of, loaders};
use crate::node::{RowObject, encode_id};
use crate::partners::types::Agreement;
use crate::privacy::log_reads;
use crate::sites::types::Site;
use crate::tenancy::types::{Membership, PartnerOrganisation};
use async_graphql::{Context, Enum, ID, InputType, Json, Object, Result, SimpleObject};
use chrono::{DateTime, FixedOffset, NaiveDate};
use uuid::Uuid;

mirror_enum!(
    /// How the person was reached.
    VisitChannel => "mediation::Channel" { OnSite, Phone, Home, Remote });
mirror_enum!(RequestKind => "mediation::RequestKind" { Partner, General });
mirror_enum!(
    /// What the mediator did.
    RequestOutcome => "mediation::Outcome" { Informed, Oriented, Accompanied, Mediated, Resolved });
mirror_enum!(AgeBand => "mediation::AgeBand" { Under18, From18To25, From26To40, From41To60, From61To75, Over75 });
mirror_enum!(Sex => "mediation::Sex" { Female, Male, Other });
mirror_enum!(ConsentChannel => "mediation::ConsentChannel" { Written, Oral, Electronic });
mirror_enum!(
/// Something worth a second look in what was just recorded; the write went through.
JournalWarningCode => "mediation::WarningCode" {
    /// The visit falls in a closure declared for its site.
    VisitDuringClosure,
    /// An on-site visit outside its site's opening hours.
    VisitOutsideOpeningHours,
    /// An amendment removed a request's coding to an agreement that no longer covers it.
    AgreementCodingRemoved,
});

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum EntryStatus {
    Recorded,
    Voided,
}

fn status(voided: bool) -> EntryStatus {
    if voided {
        EntryStatus::Voided
    } else {
        EntryStatus::Recorded
    }
}

row_objects! {
    /// A person received at a site, reached by phone, at home or remotely.
    pub struct Visit(pub mediation::Visit);
    /// A pseudonymous person followed over several visits, with consent.
    pub struct Beneficiary(pub mediation::Beneficiary);
    pub struct Consent(pub mediation::Consent);
    /// A group workshop (animation collective).
    pub struct Workshop(pub mediation::Workshop);
    /// A satisfaction survey campaign at a site.
    pub struct SurveyCampaign(pub mediation::SurveyCampaign);
}

#[Object]
impl Visit {
    pub async fn id(&self) -> ID {
        self.gid()
    }
    async fn site(&self, c: &Context<'_>) -> Result<Option<Site>> {
        load(c, self.0.site_id).await
    }
    async fn mediator(&self, c: &Context<'_>) -> Result<Option<Membership>> {
        load(c, self.0.mediator_id).await
    }
    async fn occurred_at(&self) -> DateTime<FixedOffset> {
        self.0.occurred_at
    }
    async fn channel(&self) -> VisitChannel {
        self.0.channel.into()
    }
    async fn channel_label(&self) -> &'static str {
        self.0.channel.label_fr()
    }
    async fn duration_minutes(&self) -> i32 {
        self.0.duration_minutes
    }
    /// The language used, when not French (ISO 639 code).
    async fn language(&self) -> Option<&str> {
        self.0.language.as_deref()
    }
    async fn age_band(&self) -> Option<AgeBand> {
        self.0.age_band.map(Into::into)
    }
    async fn sex(&self) -> Option<Sex> {
        self.0.sex.map(Into::into)
    }
    async fn neighbourhood(&self) -> Option<&str> {
        self.0.neighbourhood.as_deref()
    }
    async fn beneficiary(&self, c: &Context<'_>) -> Result<Option<Beneficiary>> {
        load(c, self.0.beneficiary_id).await
    }
    async fn status(&self) -> EntryStatus {
        status(self.0.voided)
    }
    /// 1 when recorded; each amendment or void adds one.
    async fn revision(&self) -> i32 {
        self.0.revision
    }
    async fn requests(&self, c: &Context<'_>) -> Result<Vec<VisitRequest>> {
        let rows = load_of(c, |l| &l.journal.requests, self.0.id).await?;
        Ok(rows.into_iter().map(VisitRequest).collect())
    }
    /// Free-text notes: sensitive, visible to the association's staff only.
    async fn notes(&self, c: &Context<'_>) -> Result<Vec<VisitNote>> {
        let rows = services(c)?
            .journal
            .notes_of(ctx(c)?, self.0.id)
            .await
            .gql()?;
        log_reads(c, "VisitNote", rows.iter().map(|n| n.id)).await?;
        Ok(rows
            .into_iter()
            .map(|n| VisitNote {
                body: n.body,
                created_at: n.created_at,
            })
            .collect())
    }
    /// Previous states, oldest first (amendments and void).
    async fn history(&self, c: &Context<'_>) -> Result<Vec<VisitRevision>> {
        let rows = services(c)?
            .journal
            .history_of(ctx(c)?, self.0.id)
            .await
            .gql()?;
        Ok(rows.into_iter().map(VisitRevision).collect())
    }
    async fn created_at(&self) -> DateTime<FixedOffset> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<FixedOffset> {
        self.0.updated_at
    }
}

/// One request of a visit.
pub struct VisitRequest(pub mediation::Request);

#[Object]
impl VisitRequest {
    async fn theme(&self) -> &str {
        &self.0.theme
    }
    async fn kind(&self) -> RequestKind {
        self.0.kind.into()
    }
    async fn partner(&self, c: &Context<'_>) -> Result<Option<PartnerOrganisation>> {
        load(c, self.0.partner_id).await
    }
    async fn outcome(&self) -> RequestOutcome {
        self.0.outcome.into()
    }
    async fn outcome_label(&self) -> &'static str {
        self.0.outcome.label_fr()
    }
    /// Counted as a mediation act.
    async fn mediation_act(&self) -> bool {
        self.0.mediation_act
    }
    /// Where the resident was referred.
    async fn referred_to(&self) -> Option<&str> {
        self.0.referred_to.as_deref()
    }
    /// The partner agreement this request is coded to.
    async fn agreement(&self, c: &Context<'_>) -> Result<Option<Agreement>> {
        load(c, self.0.agreement_id).await
    }
    /// While the request is not coded: the one agreement it fits, when exactly one
    /// does (see codeVisitRequests).
    async fn proposed_agreement(&self, c: &Context<'_>) -> Result<Option<Agreement>> {
        if self.0.agreement_id.is_some() || self.0.kind != mediation::RequestKind::Partner {
            return Ok(None);
        }
        let proposed = loaders(c)?
            .journal
            .request_proposal
            .load_one(self.0.id)
            .await?;
        load(c, proposed).await
    }
}

#[derive(SimpleObject)]
pub struct VisitNote {
    body: String,
    created_at: DateTime<FixedOffset>,
}

/// One correction of a visit: who made it, when, why, and the state before it.
pub struct VisitRevision(mediation::Revision);

#[Object]
impl VisitRevision {
    /// The revision this correction replaced (1 for the visit as first recorded).
    async fn revision(&self) -> i32 {
        self.0.revision
    }
    /// amended or voided
    async fn action(&self) -> &str {
        &self.0.action
    }
    /// The visit before the correction, in this schema's terms: the fields of
    /// VisitFields (global ids, enum values), plus `status`; each request with
    /// `position` and the fields of VisitRequestInput.
    async fn previous(&self) -> Json<serde_json::Value> {
        Json(present_snapshot(self.0.previous.clone()))
    }
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }
    /// Who made the correction (their membership in the association).
    async fn author(&self, c: &Context<'_>) -> Result<Option<Membership>> {
        load(c, self.0.changed_by_membership).await
    }
    async fn changed_at(&self) -> DateTime<FixedOffset> {
        self.0.changed_at
    }
}

/// A stored snapshot (raw ids, database codes) in the schema's representation:
/// global ids and GraphQL enum values. Unknown values are left as they are.
fn present_snapshot(mut v: serde_json::Value) -> serde_json::Value {
    fn gid(o: &mut serde_json::Map<String, serde_json::Value>, key: &str, ty: &str) {
        if let Some(id) = o
            .get(key)
            .and_then(|x| x.as_str())
            .and_then(|x| Uuid::parse_str(x).ok())
        {
            o.insert(key.into(), encode_id(ty, id).to_string().into());
        }
    }
    fn code<T, G: InputType + From<T>>(
        o: &mut serde_json::Map<String, serde_json::Value>,
        key: &str,
        parse: fn(&str) -> Option<T>,
    ) {
        if let Some(x) = o.get(key).and_then(|x| x.as_str()).and_then(parse) {
            o.insert(
                key.into(),
                G::from(x).to_value().into_json().unwrap_or_default(),
            );
        }
    }
    let Some(o) = v.as_object_mut() else {
        return v;
    };
    gid(o, "siteId", "Site");
    gid(o, "mediatorId", "Membership");
    gid(o, "beneficiaryId", "Beneficiary");
    code::<_, VisitChannel>(o, "channel", mediation::Channel::parse);
    code::<_, AgeBand>(o, "ageBand", mediation::AgeBand::parse);
    code::<_, Sex>(o, "sex", mediation::Sex::parse);
    if let Some(voided) = o.remove("voided").and_then(|x| x.as_bool()) {
        o.insert(
            "status".into(),
            status(voided).to_value().into_json().unwrap_or_default(),
        );
    }
    if let Some(reqs) = o.get_mut("requests").and_then(|r| r.as_array_mut()) {
        for (i, r) in reqs.iter_mut().enumerate() {
            if let Some(r) = r.as_object_mut() {
                r.entry("position").or_insert(i.into());
                gid(r, "partnerId", "PartnerOrganisation");
                gid(r, "agreementId", "Agreement");
                code::<_, RequestKind>(r, "kind", mediation::RequestKind::parse);
                code::<_, RequestOutcome>(r, "outcome", mediation::Outcome::parse);
            }
        }
    }
    v
}

#[derive(SimpleObject)]
pub struct JournalWarning {
    code: JournalWarningCode,
    /// For the front desk, in French.
    message: String,
    /// The input concerned, when there is one.
    field: Option<String>,
}

pub(crate) fn warnings(w: Vec<mediation::Warning>) -> Vec<JournalWarning> {
    w.into_iter()
        .map(|w| JournalWarning {
            code: w.code.into(),
            message: w.message,
            field: w.field,
        })
        .collect()
}

/// A service a site may offer (see Site.services and siteServices).
#[derive(SimpleObject)]
pub struct ServiceCode {
    pub(crate) code: String,
    /// French label.
    pub(crate) label: String,
}

#[derive(SimpleObject)]
pub struct Theme {
    pub(crate) code: String,
    pub(crate) label: String,
}

#[Object]
impl Beneficiary {
    pub async fn id(&self) -> ID {
        self.gid()
    }
    /// E.g. B-2026-00042: what staff write on a follow-up sheet, never a name.
    /// Null once the person is anonymised (erasure, retention): such a record is no
    /// longer listed.
    async fn pseudonym(&self) -> Option<&str> {
        self.0.pseudonym.as_deref()
    }
    async fn age_band(&self) -> Option<AgeBand> {
        self.0.age_band.map(Into::into)
    }
    async fn sex(&self) -> Option<Sex> {
        self.0.sex.map(Into::into)
    }
    async fn neighbourhood(&self) -> Option<&str> {
        self.0.neighbourhood.as_deref()
    }
    async fn consents(&self, c: &Context<'_>) -> Result<Vec<Consent>> {
        let rows = services(c)?
            .journal
            .consents_of(ctx(c)?, self.0.id)
            .await
            .gql()?;
        log_reads(c, "Consent", rows.iter().map(|k| k.id)).await?;
        Ok(rows.into_iter().map(Consent).collect())
    }
    async fn created_at(&self) -> DateTime<FixedOffset> {
        self.0.created_at
    }
    /// 1 when created; each rectification of the identity fields adds one.
    async fn revision(&self) -> i32 {
        self.0.revision
    }
    /// The corrections of the identity fields, oldest first, each with the values
    /// it replaced.
    async fn revisions(
        &self,
        c: &Context<'_>,
    ) -> Result<Vec<crate::privacy::rights::BeneficiaryRevision>> {
        let rows = services(c)?
            .journal
            .revisions_of(ctx(c)?, self.0.id)
            .await
            .gql()?;
        log_reads(c, "BeneficiaryRevision", rows.iter().map(|r| r.id)).await?;
        Ok(rows
            .into_iter()
            .map(crate::privacy::rights::BeneficiaryRevision)
            .collect())
    }
}

#[Object]
impl Consent {
    async fn id(&self) -> ID {
        self.gid()
    }
    async fn purpose(&self) -> &str {
        &self.0.purpose
    }
    /// Who may receive the data, in words: the partner organisation's name, the
    /// free text of a consent recorded before recipients were partners, or
    /// "l'association seulement".
    async fn recipient(&self, c: &Context<'_>) -> Result<String> {
        if let Some(p) = self.0.recipient_partner_id {
            let partner: Option<PartnerOrganisation> = load(c, Some(p)).await?;
            if let Some(p) = partner {
                return Ok(p.0.name.clone());
            }
        }
        Ok(self
            .0
            .recipient
            .clone()
            .unwrap_or_else(|| "l'association seulement".to_owned()))
    }
    /// The partner organisation the consent names as recipient; none: the
    /// association only (or a consent recorded before recipients were partners,
    /// whose words are in `recipient`).
    async fn recipient_partner(&self, c: &Context<'_>) -> Result<Option<PartnerOrganisation>> {
        load(c, self.0.recipient_partner_id).await
    }
    async fn given_on(&self) -> NaiveDate {
        self.0.given_on
    }
    async fn channel(&self) -> ConsentChannel {
        self.0.channel.into()
    }
    async fn expires_on(&self) -> NaiveDate {
        self.0.expires_on
    }
    async fn withdrawn_on(&self) -> Option<NaiveDate> {
        self.0.withdrawn_on
    }
    async fn active(&self) -> bool {
        self.0.active_on(kernel::time::today())
    }
}

#[Object]
impl Workshop {
    pub async fn id(&self) -> ID {
        self.gid()
    }
    async fn site(&self, c: &Context<'_>) -> Result<Option<Site>> {
        load(c, self.0.site_id).await
    }
    async fn theme(&self) -> &str {
        &self.0.theme
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn held_on(&self) -> NaiveDate {
        self.0.held_on
    }
    async fn duration_minutes(&self) -> i32 {
        self.0.duration_minutes
    }
    async fn facilitator(&self, c: &Context<'_>) -> Result<Option<Membership>> {
        load(c, self.0.facilitator_id).await
    }
    async fn funding_partner(&self, c: &Context<'_>) -> Result<Option<PartnerOrganisation>> {
        load(c, self.0.funding_partner_id).await
    }
    async fn attendees(&self) -> i32 {
        self.0.attendees
    }
    async fn status(&self) -> EntryStatus {
        status(self.0.voided)
    }
    /// The partner agreement this workshop is coded to.
    async fn agreement(&self, c: &Context<'_>) -> Result<Option<Agreement>> {
        load(c, self.0.agreement_id).await
    }
    /// While the workshop is not coded: the one agreement it fits (for its funding
    /// partner, or any partner without one), when exactly one does (see codeWorkshop).
    async fn proposed_agreement(&self, c: &Context<'_>) -> Result<Option<Agreement>> {
        if self.0.agreement_id.is_some() || self.0.voided {
            return Ok(None);
        }
        let proposed = loaders(c)?
            .journal
            .workshop_proposal
            .load_one(self.0.id)
            .await?;
        load(c, proposed).await
    }
}

#[Object]
impl SurveyCampaign {
    pub async fn id(&self) -> ID {
        self.gid()
    }
    async fn site(&self, c: &Context<'_>) -> Result<Option<Site>> {
        load(c, self.0.site_id).await
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn starts_on(&self) -> NaiveDate {
        self.0.starts_on
    }
    async fn ends_on(&self) -> NaiveDate {
        self.0.ends_on
    }
    async fn answers(&self) -> i64 {
        self.0.answers
    }
    /// Share of answers satisfied or very satisfied (0..1), when there is any answer.
    async fn share_satisfied(&self) -> Option<f64> {
        self.0.share_satisfied()
    }
}
