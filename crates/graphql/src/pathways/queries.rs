use super::types::{Employee, HrDeadline, HrExitYear, HrOrganisation, HrSettings, HrStatistics};
use crate::connection::paged;
use crate::context::{ctx, services};
use crate::error::Gql;
use async_graphql::connection::Connection;
use async_graphql::{Context, Object, Result};
use chrono::Datelike;

#[derive(Default)]
pub struct PathwaysQuery;

fn year_or_current(year: Option<i32>) -> i32 {
    year.unwrap_or_else(|| kernel::time::today().year())
}

#[Object]
impl PathwaysQuery {
    /// Whether coordinators manage HR records (director and coordinators read it).
    async fn hr_settings(&self, c: &Context<'_>) -> Result<HrSettings> {
        let s = services(c)?.pathways.settings(ctx(c)?).await.gql()?;
        Ok(HrSettings {
            coordinators_manage_hr: s.coordinators_manage_hr,
        })
    }

    /// The association's employees for its HR managers; for anyone else, their own
    /// record only (or nothing).
    async fn employees(
        &self,
        c: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        #[graphql(default = false)] include_exited: bool,
    ) -> Result<Connection<String, Employee>> {
        paged(c, first, after, |s, ctx, p| {
            s.pathways.list(ctx, p, include_exited)
        })
        .await
    }

    /// The acting person's own employee record in the association, if they have one.
    async fn my_employee_record(&self, c: &Context<'_>) -> Result<Option<Employee>> {
        let e = services(c)?.pathways.own_record(ctx(c)?).await.gql()?;
        crate::privacy::log_reads(c, "Employee", e.iter().map(|e| e.id)).await?;
        Ok(e.map(Employee))
    }

    /// Prescribers and referents of the association's pathways (HR managers).
    async fn hr_organisations(&self, c: &Context<'_>) -> Result<Vec<HrOrganisation>> {
        let rows = services(c)?.pathways.organisations(ctx(c)?).await.gql()?;
        Ok(rows.into_iter().map(HrOrganisation).collect())
    }

    /// Contracts and subsidies ending, and subsidies to renew, within `withinDays`
    /// days, soonest first (HR managers).
    async fn hr_calendar(
        &self,
        c: &Context<'_>,
        #[graphql(default = 60)] within_days: i32,
    ) -> Result<Vec<HrDeadline>> {
        let days = u32::try_from(within_days)
            .map_err(|_| kernel::Error::validation("withinDays", "un nombre de jours positif"))
            .gql()?;
        let rows = services(c)?.pathways.calendar(ctx(c)?, days).await.gql()?;
        Ok(rows.into_iter().map(HrDeadline).collect())
    }

    /// The association's own HR figures for a year (this year by default), exact
    /// (HR managers).
    async fn hr_overview(&self, c: &Context<'_>, year: Option<i32>) -> Result<HrStatistics> {
        let s = services(c)?
            .pathways
            .overview(ctx(c)?, year_or_current(year))
            .await
            .gql()?;
        Ok(s.into())
    }

    /// The network's HR figures for a year by association, region and network (union
    /// staff): mediators employed, share of women, training, exit rates. Counts from 1
    /// to 4 read "<5"; no name, no individual record.
    async fn hr_network_statistics(
        &self,
        c: &Context<'_>,
        year: Option<i32>,
    ) -> Result<HrStatistics> {
        let s = services(c)?
            .pathways
            .network_statistics(ctx(c)?, year_or_current(year))
            .await
            .gql()?;
        Ok(s.into())
    }

    /// The network's exit rates by year of exit (union staff), small counts hidden.
    async fn hr_network_exit_rates(
        &self,
        c: &Context<'_>,
        from_year: i32,
        to_year: i32,
    ) -> Result<Vec<HrExitYear>> {
        let rows = services(c)?
            .pathways
            .network_exit_years(ctx(c)?, from_year, to_year)
            .await
            .gql()?;
        Ok(rows.into_iter().map(Into::into).collect())
    }
}
