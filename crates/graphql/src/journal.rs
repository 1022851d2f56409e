//! The mediation journal: visits and requests, beneficiaries and consents, workshops,
//! satisfaction surveys, and the dashboard.

use crate::connection::{connection, page_request};
use crate::context::{ctx, services};
use crate::error::{Gql, to_gql};
use crate::loaders::loaders;
use crate::node::{decode_id, encode_id};
use crate::partners::Agreement;
use crate::sites::Site;
use crate::tenancy::{Membership, PartnerOrganisation};
use async_graphql::connection::Connection;
use async_graphql::{
    Context, Enum, ID, InputObject, InputType, Json, MaybeUndefined, Object, SimpleObject,
};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use kernel::Error;
use mediation::dashboard as dash;

macro_rules! mirror_enum {
    ($(#[$m:meta])* $name:ident => $remote:literal { $($v:ident),* $(,)? }) => {
        $(#[$m])*
        #[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
        #[graphql(remote = $remote)]
        pub enum $name { $($v),* }
    };
}

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

// ---------------------------------------------------------------------------
// Objects

/// A person received at a site, reached by phone, at home or remotely.
pub struct Visit(pub mediation::Visit);

#[Object]
impl Visit {
    pub async fn id(&self) -> ID {
        encode_id("Visit", self.0.id)
    }
    async fn site(&self, c: &Context<'_>) -> async_graphql::Result<Option<Site>> {
        Ok(loaders(c)?.site.load_one(self.0.site_id).await?.map(Site))
    }
    async fn mediator(&self, c: &Context<'_>) -> async_graphql::Result<Option<Membership>> {
        Ok(loaders(c)?
            .membership
            .load_one(self.0.mediator_id)
            .await?
            .map(Membership))
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
    async fn beneficiary(&self, c: &Context<'_>) -> async_graphql::Result<Option<Beneficiary>> {
        match self.0.beneficiary_id {
            Some(b) => Ok(loaders(c)?.beneficiary.load_one(b).await?.map(Beneficiary)),
            None => Ok(None),
        }
    }
    async fn status(&self) -> EntryStatus {
        status(self.0.voided)
    }
    /// 1 when recorded; each amendment or void adds one.
    async fn revision(&self) -> i32 {
        self.0.revision
    }
    async fn requests(&self, c: &Context<'_>) -> async_graphql::Result<Vec<VisitRequest>> {
        Ok(loaders(c)?
            .requests
            .load_one(self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(VisitRequest)
            .collect())
    }
    /// Free-text notes: sensitive, visible to the association's staff only.
    async fn notes(&self, c: &Context<'_>) -> async_graphql::Result<Vec<VisitNote>> {
        let rows = services(c)?
            .journal
            .notes_of(ctx(c)?, self.0.id)
            .await
            .gql()?;
        Ok(rows
            .into_iter()
            .map(|n| VisitNote {
                body: n.body,
                created_at: n.created_at,
            })
            .collect())
    }
    /// Previous states, oldest first (amendments and void).
    async fn history(&self, c: &Context<'_>) -> async_graphql::Result<Vec<VisitRevision>> {
        let rows = services(c)?
            .journal
            .history_of(ctx(c)?, self.0.id)
            .await
            .gql()?;
        Ok(rows
            .into_iter()
            .map(|r| VisitRevision {
                revision: r.revision,
                action: r.action,
                previous: Json(present_snapshot(r.previous)),
                reason: r.reason,
                author_id: r.changed_by_membership,
                changed_at: r.changed_at,
            })
            .collect())
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
    async fn partner(&self, c: &Context<'_>) -> async_graphql::Result<Option<PartnerOrganisation>> {
        match self.0.partner_id {
            Some(p) => Ok(loaders(c)?
                .partner
                .load_one(p)
                .await?
                .map(PartnerOrganisation)),
            None => Ok(None),
        }
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
    async fn agreement(&self, c: &Context<'_>) -> async_graphql::Result<Option<Agreement>> {
        coded(c, self.0.agreement_id).await
    }
    /// While the request is not coded: the one agreement it fits, when exactly one
    /// does (see codeVisitRequests).
    async fn proposed_agreement(
        &self,
        c: &Context<'_>,
    ) -> async_graphql::Result<Option<Agreement>> {
        if self.0.agreement_id.is_some() || self.0.kind != mediation::RequestKind::Partner {
            return Ok(None);
        }
        let l = loaders(c)?;
        let proposed = l.request_proposal.load_one(self.0.id).await?;
        coded(c, proposed).await
    }
}

async fn coded(
    c: &Context<'_>,
    agreement: Option<uuid::Uuid>,
) -> async_graphql::Result<Option<Agreement>> {
    match agreement {
        Some(a) => Ok(loaders(c)?.agreement.load_one(a).await?.map(Agreement)),
        None => Ok(None),
    }
}

#[derive(SimpleObject)]
pub struct VisitNote {
    body: String,
    created_at: DateTime<FixedOffset>,
}

/// One correction of a visit: who made it, when, why, and the state before it.
pub struct VisitRevision {
    revision: i32,
    action: String,
    previous: Json<serde_json::Value>,
    reason: Option<String>,
    author_id: Option<uuid::Uuid>,
    changed_at: DateTime<FixedOffset>,
}

#[Object]
impl VisitRevision {
    /// The revision this correction replaced (1 for the visit as first recorded).
    async fn revision(&self) -> i32 {
        self.revision
    }
    /// amended or voided
    async fn action(&self) -> &str {
        &self.action
    }
    /// The visit before the correction, in this schema's terms: the fields of
    /// VisitFields (global ids, enum values), plus `status`; each request with
    /// `position` and the fields of VisitRequestInput.
    async fn previous(&self) -> &Json<serde_json::Value> {
        &self.previous
    }
    async fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }
    /// Who made the correction (their membership in the association).
    async fn author(&self, c: &Context<'_>) -> async_graphql::Result<Option<Membership>> {
        match self.author_id {
            Some(m) => Ok(loaders(c)?.membership.load_one(m).await?.map(Membership)),
            None => Ok(None),
        }
    }
    async fn changed_at(&self) -> DateTime<FixedOffset> {
        self.changed_at
    }
}

/// A stored snapshot (raw ids, database codes) in the schema's representation:
/// global ids and GraphQL enum values. Unknown values are left as they are.
fn present_snapshot(mut v: serde_json::Value) -> serde_json::Value {
    fn gid(o: &mut serde_json::Map<String, serde_json::Value>, key: &str, ty: &str) {
        if let Some(id) = o
            .get(key)
            .and_then(|x| x.as_str())
            .and_then(|x| uuid::Uuid::parse_str(x).ok())
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

/// Something worth a second look in what was just recorded; the write went through.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "mediation::WarningCode")]
pub enum JournalWarningCode {
    /// The visit falls in a closure declared for its site.
    VisitDuringClosure,
    /// An on-site visit outside its site's opening hours.
    VisitOutsideOpeningHours,
    /// An amendment removed a request's coding to an agreement that no longer covers it.
    AgreementCodingRemoved,
}

#[derive(SimpleObject)]
pub struct JournalWarning {
    code: JournalWarningCode,
    /// For the front desk, in French.
    message: String,
    /// The input concerned, when there is one.
    field: Option<String>,
}

fn warnings(w: Vec<mediation::Warning>) -> Vec<JournalWarning> {
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
    code: String,
    /// French label.
    label: String,
}

#[derive(SimpleObject)]
pub struct Theme {
    code: String,
    label: String,
}

/// A pseudonymous person followed over several visits, with consent.
pub struct Beneficiary(pub mediation::Beneficiary);

#[Object]
impl Beneficiary {
    pub async fn id(&self) -> ID {
        encode_id("Beneficiary", self.0.id)
    }
    /// E.g. B-2026-00042: what staff write on a follow-up sheet, never a name.
    async fn pseudonym(&self) -> &str {
        &self.0.pseudonym
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
    async fn consents(&self, c: &Context<'_>) -> async_graphql::Result<Vec<Consent>> {
        let rows = services(c)?
            .journal
            .consents_of(ctx(c)?, self.0.id)
            .await
            .gql()?;
        Ok(rows.into_iter().map(Consent).collect())
    }
    async fn created_at(&self) -> DateTime<FixedOffset> {
        self.0.created_at
    }
}

pub struct Consent(pub mediation::Consent);

#[Object]
impl Consent {
    async fn id(&self) -> ID {
        encode_id("Consent", self.0.id)
    }
    async fn purpose(&self) -> &str {
        &self.0.purpose
    }
    /// Who may receive the data.
    async fn recipient(&self) -> &str {
        &self.0.recipient
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

/// A group workshop (animation collective).
pub struct Workshop(pub mediation::Workshop);

#[Object]
impl Workshop {
    pub async fn id(&self) -> ID {
        encode_id("Workshop", self.0.id)
    }
    async fn site(&self, c: &Context<'_>) -> async_graphql::Result<Option<Site>> {
        Ok(loaders(c)?.site.load_one(self.0.site_id).await?.map(Site))
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
    async fn facilitator(&self, c: &Context<'_>) -> async_graphql::Result<Option<Membership>> {
        Ok(loaders(c)?
            .membership
            .load_one(self.0.facilitator_id)
            .await?
            .map(Membership))
    }
    async fn funding_partner(
        &self,
        c: &Context<'_>,
    ) -> async_graphql::Result<Option<PartnerOrganisation>> {
        match self.0.funding_partner_id {
            Some(p) => Ok(loaders(c)?
                .partner
                .load_one(p)
                .await?
                .map(PartnerOrganisation)),
            None => Ok(None),
        }
    }
    async fn attendees(&self) -> i32 {
        self.0.attendees
    }
    async fn status(&self) -> EntryStatus {
        status(self.0.voided)
    }
    /// The partner agreement this workshop is coded to.
    async fn agreement(&self, c: &Context<'_>) -> async_graphql::Result<Option<Agreement>> {
        coded(c, self.0.agreement_id).await
    }
    /// While the workshop is not coded: the one agreement it fits (for its funding
    /// partner, or any partner without one), when exactly one does (see codeWorkshop).
    async fn proposed_agreement(
        &self,
        c: &Context<'_>,
    ) -> async_graphql::Result<Option<Agreement>> {
        if self.0.agreement_id.is_some() || self.0.voided {
            return Ok(None);
        }
        let proposed = loaders(c)?.workshop_proposal.load_one(self.0.id).await?;
        coded(c, proposed).await
    }
}

/// A satisfaction survey campaign at a site.
pub struct SurveyCampaign(pub mediation::SurveyCampaign);

#[Object]
impl SurveyCampaign {
    pub async fn id(&self) -> ID {
        encode_id("SurveyCampaign", self.0.id)
    }
    async fn site(&self, c: &Context<'_>) -> async_graphql::Result<Option<Site>> {
        Ok(loaders(c)?.site.load_one(self.0.site_id).await?.map(Site))
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

// ---------------------------------------------------------------------------
// Dashboard

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "mediation::dashboard::Granularity")]
pub enum Granularity {
    Day,
    Week,
    Month,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "mediation::dashboard::Dimension")]
pub enum DashboardDimension {
    None,
    Site,
    Channel,
    Theme,
    Kind,
    Partner,
    /// Network dashboard only.
    Tenant,
    /// The sites' region (from their postcode's department).
    Region,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "mediation::dashboard::Trend")]
pub enum AttendanceTrend {
    Usual,
    UnusualDrop,
    UnusualRise,
}

#[derive(SimpleObject)]
pub struct DashboardCounts {
    /// People received; null where the split does not apply (by theme, kind, partner).
    people: Option<i64>,
    minutes: Option<i64>,
    requests: i64,
    mediation_acts: i64,
    workshops: Option<i64>,
    attendees: Option<i64>,
    /// Data quality: visits recorded during a closure declared for their site (null
    /// where people are).
    visits_during_closure: Option<i64>,
    /// Data quality: on-site visits recorded outside their site's opening hours.
    visits_outside_hours: Option<i64>,
}

impl From<dash::Counts> for DashboardCounts {
    fn from(c: dash::Counts) -> Self {
        Self {
            people: c.people,
            minutes: c.minutes,
            requests: c.requests,
            mediation_acts: c.mediation_acts,
            workshops: c.workshops,
            attendees: c.attendees,
            visits_during_closure: c.visits_during_closure,
            visits_outside_hours: c.visits_outside_hours,
        }
    }
}

#[derive(SimpleObject)]
pub struct DashboardRow {
    /// First day of the period.
    period: NaiveDate,
    /// The split's key: a site or partner id, a theme, channel or kind code; empty for the total.
    key: String,
    label: String,
    counts: DashboardCounts,
    last_year: DashboardCounts,
    trend: Option<AttendanceTrend>,
}

pub struct Dashboard(dash::Dashboard);

#[Object]
impl Dashboard {
    async fn totals(&self) -> DashboardCounts {
        self.0.totals.clone().into()
    }
    async fn last_year_totals(&self) -> DashboardCounts {
        self.0.last_year_totals.clone().into()
    }
    async fn rows(&self) -> Vec<DashboardRow> {
        self.0
            .rows
            .iter()
            .map(|r| DashboardRow {
                period: r.period,
                key: r.key.clone(),
                label: r.label.clone(),
                counts: r.counts.clone().into(),
                last_year: r.last_year.clone().into(),
                trend: r.trend.map(Into::into),
            })
            .collect()
    }
    /// The same view as CSV (semicolons, UTF-8 with BOM), for a spreadsheet.
    async fn csv(&self) -> String {
        dash::to_csv(&self.0)
    }
    /// Served from the cache.
    async fn cached(&self) -> bool {
        self.0.cached
    }
}

/// A dashboard view. Periods are whole: `from` and `to` are widened to the weeks or
/// months that contain them.
#[derive(InputObject)]
pub struct DashboardInput {
    from: NaiveDate,
    to: NaiveDate,
    #[graphql(default_with = "Granularity::Month")]
    granularity: Granularity,
    #[graphql(default_with = "DashboardDimension::None")]
    dimension: DashboardDimension,
    site_id: Option<ID>,
    /// Network dashboard only: one association.
    tenant_id: Option<ID>,
}

fn dashboard_query(i: DashboardInput) -> Result<dash::DashboardQuery, Error> {
    Ok(dash::DashboardQuery {
        from: i.from,
        to: i.to,
        granularity: i.granularity.into(),
        dimension: i.dimension.into(),
        site_id: i
            .site_id
            .map(|s| decode_id("siteId", &s, "Site"))
            .transpose()?,
        tenant_id: i
            .tenant_id
            .map(|t| decode_id("tenantId", &t, "Tenant"))
            .transpose()?,
    })
}

// ---------------------------------------------------------------------------
// Queries

#[derive(Default)]
pub struct JournalQuery;

#[Object]
impl JournalQuery {
    /// The association's journal, newest first (directors, coordinators, mediators).
    #[allow(clippy::too_many_arguments)]
    async fn visits(
        &self,
        c: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        site_id: Option<ID>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        #[graphql(default = false)] include_voided: bool,
    ) -> async_graphql::Result<Connection<String, Visit>> {
        let ctx = ctx(c)?;
        let page = page_request(first, after).gql()?;
        let site_id = site_id
            .map(|s| decode_id("siteId", &s, "Site"))
            .transpose()
            .gql()?;
        let f = mediation::VisitFilter {
            site_id,
            from,
            to,
            include_voided,
        };
        let p = services(c)?.journal.list_visits(ctx, page, f).await.gql()?;
        Ok(connection(p, |v| v.id, Visit))
    }

    /// The network's catalogue of request themes.
    async fn request_themes(&self, c: &Context<'_>) -> async_graphql::Result<Vec<Theme>> {
        let rows = services(c)?.journal.themes(ctx(c)?, false).await.gql()?;
        Ok(rows
            .into_iter()
            .map(|t| Theme {
                code: t.code,
                label: t.label_fr,
            })
            .collect())
    }

    /// The network's catalogue of workshop themes.
    async fn workshop_themes(&self, c: &Context<'_>) -> async_graphql::Result<Vec<Theme>> {
        let rows = services(c)?.journal.themes(ctx(c)?, true).await.gql()?;
        Ok(rows
            .into_iter()
            .map(|t| Theme {
                code: t.code,
                label: t.label_fr,
            })
            .collect())
    }

    /// The catalogue of services a site may offer (Site.services, createSite and
    /// updateSite take these codes), with their French labels.
    async fn site_services(&self, c: &Context<'_>) -> async_graphql::Result<Vec<ServiceCode>> {
        // Like the themes' catalogues: for signed-in callers.
        ctx(c)?.require_user().gql()?;
        Ok(::sites::SERVICES
            .iter()
            .map(|(code, label)| ServiceCode {
                code: (*code).to_owned(),
                label: (*label).to_owned(),
            })
            .collect())
    }

    async fn beneficiaries(
        &self,
        c: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Beneficiary>> {
        let page = page_request(first, after).gql()?;
        let p = services(c)?
            .journal
            .list_beneficiaries(ctx(c)?, page)
            .await
            .gql()?;
        Ok(connection(p, |b| b.id, Beneficiary))
    }

    async fn workshops(
        &self,
        c: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Workshop>> {
        let page = page_request(first, after).gql()?;
        let p = services(c)?
            .journal
            .list_workshops(ctx(c)?, page)
            .await
            .gql()?;
        Ok(connection(p, |w| w.id, Workshop))
    }

    async fn survey_campaigns(
        &self,
        c: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, SurveyCampaign>> {
        let page = page_request(first, after).gql()?;
        let p = services(c)?
            .journal
            .list_survey_campaigns(ctx(c)?, page)
            .await
            .gql()?;
        Ok(connection(p, |s| s.id, SurveyCampaign))
    }

    /// The active association's dashboard, or one site's (every staff role).
    async fn dashboard(
        &self,
        c: &Context<'_>,
        input: DashboardInput,
    ) -> async_graphql::Result<Dashboard> {
        let q = dashboard_query(input).gql()?;
        Ok(Dashboard(
            services(c)?.journal.dashboard(ctx(c)?, q).await.gql()?,
        ))
    }

    /// The network's dashboard: aggregates across associations (union staff).
    async fn network_dashboard(
        &self,
        c: &Context<'_>,
        input: DashboardInput,
    ) -> async_graphql::Result<Dashboard> {
        let q = dashboard_query(input).gql()?;
        Ok(Dashboard(
            services(c)?
                .journal
                .network_dashboard(ctx(c)?, q)
                .await
                .gql()?,
        ))
    }
}

// ---------------------------------------------------------------------------
// Mutations

#[derive(InputObject)]
pub struct VisitRequestInput {
    /// A code of requestThemes.
    theme: String,
    kind: RequestKind,
    /// Required for a partner request, absent otherwise.
    partner_id: Option<ID>,
    outcome: RequestOutcome,
    /// Defaults to the outcome's meaning (mediated or resolved).
    mediation_act: Option<bool>,
    referred_to: Option<String>,
    /// The partner agreement to code this partner request to: it must cover the
    /// site, the day, the theme and the partner. In an amendment, omitted keeps the
    /// coding of the request at this position while it still fits (one that no
    /// longer does is removed, with a warning); null uncodes.
    agreement_id: MaybeUndefined<ID>,
}

#[derive(InputObject)]
pub struct VisitFields {
    site_id: ID,
    /// Defaults to the caller's membership.
    mediator_id: Option<ID>,
    occurred_at: DateTime<Utc>,
    channel: VisitChannel,
    duration_minutes: i32,
    /// ISO 639 code when not French.
    language: Option<String>,
    age_band: Option<AgeBand>,
    sex: Option<Sex>,
    neighbourhood: Option<String>,
    beneficiary_id: Option<ID>,
    requests: Vec<VisitRequestInput>,
}

fn visit_input(f: VisitFields) -> Result<mediation::VisitInput, Error> {
    let mut requests = Vec::with_capacity(f.requests.len());
    for (i, r) in f.requests.into_iter().enumerate() {
        requests.push(mediation::NewRequest {
            theme: r.theme,
            kind: r.kind.into(),
            partner_id: r
                .partner_id
                .map(|p| {
                    decode_id(
                        &format!("requests[{i}].partnerId"),
                        &p,
                        "PartnerOrganisation",
                    )
                })
                .transpose()?,
            outcome: r.outcome.into(),
            mediation_act: r.mediation_act,
            referred_to: r.referred_to,
            keep_coding: r.agreement_id.is_undefined(),
            agreement_id: r
                .agreement_id
                .as_opt_ref()
                .flatten()
                .map(|a| decode_id(&format!("requests[{i}].agreementId"), a, "Agreement"))
                .transpose()?,
        });
    }
    Ok(mediation::VisitInput {
        site_id: decode_id("siteId", &f.site_id, "Site")?,
        mediator_id: f
            .mediator_id
            .map(|m| decode_id("mediatorId", &m, "Membership"))
            .transpose()?,
        occurred_at: f.occurred_at,
        channel: f.channel.into(),
        duration_minutes: f.duration_minutes,
        language: f.language,
        age_band: f.age_band.map(Into::into),
        sex: f.sex.map(Into::into),
        neighbourhood: f.neighbourhood,
        beneficiary_id: f
            .beneficiary_id
            .map(|b| decode_id("beneficiaryId", &b, "Beneficiary"))
            .transpose()?,
        requests,
    })
}

#[derive(InputObject)]
pub struct RecordVisitInput {
    /// Chosen by the client (a UUID): submitting twice records once.
    client_key: String,
    visit: VisitFields,
    /// Sensitive free text; stays in the association.
    note: Option<String>,
}

#[derive(SimpleObject)]
pub struct RecordVisitPayload {
    visit: Visit,
    /// True when this client key was already recorded with the same input: nothing
    /// new was written. The same key with another input is a CONFLICT on clientKey.
    replayed: bool,
    /// What deserves a second look (recorded all the same).
    warnings: Vec<JournalWarning>,
}

#[derive(InputObject)]
pub struct AmendVisitInput {
    visit_id: ID,
    visit: VisitFields,
    reason: Option<String>,
}

#[derive(InputObject)]
pub struct VoidVisitInput {
    visit_id: ID,
    reason: String,
}

#[derive(SimpleObject)]
pub struct VisitPayload {
    visit: Visit,
    /// What deserves a second look in an amendment (recorded all the same); none
    /// for a void.
    warnings: Vec<JournalWarning>,
}

#[derive(InputObject)]
pub struct ConsentInput {
    purpose: String,
    recipient: String,
    given_on: NaiveDate,
    channel: ConsentChannel,
    expires_on: NaiveDate,
}

impl From<ConsentInput> for mediation::NewConsent {
    fn from(c: ConsentInput) -> Self {
        mediation::NewConsent {
            purpose: c.purpose,
            recipient: c.recipient,
            given_on: c.given_on,
            channel: c.channel.into(),
            expires_on: c.expires_on,
        }
    }
}

#[derive(InputObject)]
pub struct CreateBeneficiaryInput {
    age_band: Option<AgeBand>,
    sex: Option<Sex>,
    neighbourhood: Option<String>,
    consent: ConsentInput,
}

#[derive(SimpleObject)]
pub struct BeneficiaryPayload {
    beneficiary: Beneficiary,
    consent: Consent,
}

#[derive(InputObject)]
pub struct AddConsentInput {
    beneficiary_id: ID,
    consent: ConsentInput,
}

#[derive(InputObject)]
pub struct WithdrawConsentInput {
    consent_id: ID,
}

#[derive(SimpleObject)]
pub struct ConsentPayload {
    consent: Consent,
}

#[derive(InputObject)]
pub struct RecordWorkshopInput {
    client_key: String,
    site_id: ID,
    /// A code of workshopThemes.
    theme: String,
    title: String,
    held_on: NaiveDate,
    duration_minutes: i32,
    /// Defaults to the caller's membership.
    facilitator_id: Option<ID>,
    funding_partner_id: Option<ID>,
    attendees: i32,
    /// Beneficiaries named on the attendance sheet: each needs a valid consent.
    #[graphql(default)]
    named_attendee_ids: Vec<ID>,
    /// The partner agreement to code the workshop to (it must cover workshops, the
    /// site, the day and the theme); its partner becomes the funding partner.
    agreement_id: Option<ID>,
}

#[derive(SimpleObject)]
pub struct RecordWorkshopPayload {
    workshop: Workshop,
    replayed: bool,
}

#[derive(InputObject)]
pub struct VoidWorkshopInput {
    workshop_id: ID,
}

#[derive(SimpleObject)]
pub struct WorkshopPayload {
    workshop: Workshop,
}

#[derive(InputObject)]
pub struct CreateSurveyCampaignInput {
    site_id: ID,
    title: String,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
}

#[derive(InputObject)]
pub struct RecordSurveyAnswerInput {
    campaign_id: ID,
    /// 1 very dissatisfied, 2 dissatisfied, 3 satisfied, 4 very satisfied.
    score: i32,
    answered_on: NaiveDate,
    client_key: String,
}

#[derive(SimpleObject)]
pub struct SurveyCampaignPayload {
    campaign: SurveyCampaign,
}

#[derive(Default)]
pub struct JournalMutation;

#[Object]
impl JournalMutation {
    /// Records a visit and its requests in one go (front desk). Idempotent under clientKey.
    async fn record_visit(
        &self,
        c: &Context<'_>,
        input: RecordVisitInput,
    ) -> async_graphql::Result<RecordVisitPayload> {
        let v = visit_input(input.visit).gql()?;
        let r = services(c)?
            .journal
            .record_visit(ctx(c)?, &input.client_key, v, input.note)
            .await
            .gql()?;
        Ok(RecordVisitPayload {
            visit: Visit(r.visit),
            replayed: r.replayed,
            warnings: warnings(r.warnings),
        })
    }

    /// Replaces a visit's details and requests (its author, coordinators, directors).
    async fn amend_visit(
        &self,
        c: &Context<'_>,
        input: AmendVisitInput,
    ) -> async_graphql::Result<VisitPayload> {
        let id = decode_id("visitId", &input.visit_id, "Visit").gql()?;
        let v = visit_input(input.visit).gql()?;
        let a = services(c)?
            .journal
            .amend_visit(ctx(c)?, id, v, input.reason)
            .await
            .gql()?;
        Ok(VisitPayload {
            visit: Visit(a.visit),
            warnings: warnings(a.warnings),
        })
    }

    /// Voids a visit recorded by mistake; it stays in the history (its author, coordinators, directors).
    async fn void_visit(
        &self,
        c: &Context<'_>,
        input: VoidVisitInput,
    ) -> async_graphql::Result<VisitPayload> {
        let id = decode_id("visitId", &input.visit_id, "Visit").gql()?;
        let v = services(c)?
            .journal
            .void_visit(ctx(c)?, id, input.reason)
            .await
            .gql()?;
        Ok(VisitPayload {
            visit: Visit(v),
            warnings: Vec::new(),
        })
    }

    /// Opens a pseudonymous follow-up record, with the consent given for it.
    async fn create_beneficiary(
        &self,
        c: &Context<'_>,
        input: CreateBeneficiaryInput,
    ) -> async_graphql::Result<BeneficiaryPayload> {
        let (b, k) = services(c)?
            .journal
            .create_beneficiary(
                ctx(c)?,
                input.age_band.map(Into::into),
                input.sex.map(Into::into),
                input.neighbourhood,
                input.consent.into(),
            )
            .await
            .gql()?;
        Ok(BeneficiaryPayload {
            beneficiary: Beneficiary(b),
            consent: Consent(k),
        })
    }

    async fn add_consent(
        &self,
        c: &Context<'_>,
        input: AddConsentInput,
    ) -> async_graphql::Result<ConsentPayload> {
        let id = decode_id("beneficiaryId", &input.beneficiary_id, "Beneficiary").gql()?;
        let k = services(c)?
            .journal
            .add_consent(ctx(c)?, id, input.consent.into())
            .await
            .gql()?;
        Ok(ConsentPayload {
            consent: Consent(k),
        })
    }

    /// Records that the person withdrew a consent.
    async fn withdraw_consent(
        &self,
        c: &Context<'_>,
        input: WithdrawConsentInput,
    ) -> async_graphql::Result<ConsentPayload> {
        let id = decode_id("consentId", &input.consent_id, "Consent").gql()?;
        let k = services(c)?
            .journal
            .withdraw_consent(ctx(c)?, id)
            .await
            .gql()?;
        Ok(ConsentPayload {
            consent: Consent(k),
        })
    }

    async fn record_workshop(
        &self,
        c: &Context<'_>,
        input: RecordWorkshopInput,
    ) -> async_graphql::Result<RecordWorkshopPayload> {
        let named = input
            .named_attendee_ids
            .iter()
            .enumerate()
            .map(|(i, b)| decode_id(&format!("namedAttendeeIds[{i}]"), b, "Beneficiary"))
            .collect::<Result<Vec<_>, _>>()
            .gql()?;
        let w = mediation::WorkshopInput {
            site_id: decode_id("siteId", &input.site_id, "Site").gql()?,
            theme: input.theme,
            title: input.title,
            held_on: input.held_on,
            duration_minutes: input.duration_minutes,
            facilitator_id: input
                .facilitator_id
                .map(|f| decode_id("facilitatorId", &f, "Membership"))
                .transpose()
                .gql()?,
            funding_partner_id: input
                .funding_partner_id
                .map(|p| decode_id("fundingPartnerId", &p, "PartnerOrganisation"))
                .transpose()
                .gql()?,
            attendees: input.attendees,
            named_attendees: named,
            agreement_id: input
                .agreement_id
                .map(|a| decode_id("agreementId", &a, "Agreement"))
                .transpose()
                .gql()?,
        };
        let (w, replayed) = services(c)?
            .journal
            .record_workshop(ctx(c)?, &input.client_key, w)
            .await
            .gql()?;
        Ok(RecordWorkshopPayload {
            workshop: Workshop(w),
            replayed,
        })
    }

    async fn void_workshop(
        &self,
        c: &Context<'_>,
        input: VoidWorkshopInput,
    ) -> async_graphql::Result<WorkshopPayload> {
        let id = decode_id("workshopId", &input.workshop_id, "Workshop").gql()?;
        let w = services(c)?
            .journal
            .void_workshop(ctx(c)?, id)
            .await
            .gql()?;
        Ok(WorkshopPayload {
            workshop: Workshop(w),
        })
    }

    async fn create_survey_campaign(
        &self,
        c: &Context<'_>,
        input: CreateSurveyCampaignInput,
    ) -> async_graphql::Result<SurveyCampaignPayload> {
        let site = decode_id("siteId", &input.site_id, "Site").gql()?;
        let s = services(c)?
            .journal
            .create_survey_campaign(ctx(c)?, site, &input.title, input.starts_on, input.ends_on)
            .await
            .gql()?;
        Ok(SurveyCampaignPayload {
            campaign: SurveyCampaign(s),
        })
    }

    async fn record_survey_answer(
        &self,
        c: &Context<'_>,
        input: RecordSurveyAnswerInput,
    ) -> async_graphql::Result<SurveyCampaignPayload> {
        let id = decode_id("campaignId", &input.campaign_id, "SurveyCampaign").gql()?;
        let score =
            i16::try_from(input.score).map_err(|_| to_gql(Error::validation("score", "1 to 4")))?;
        let s = services(c)?
            .journal
            .record_survey_answer(ctx(c)?, id, score, input.answered_on, &input.client_key)
            .await
            .gql()?;
        Ok(SurveyCampaignPayload {
            campaign: SurveyCampaign(s),
        })
    }
}
