//! The association's dashboard (every role, viewers included): a period, a site,
//! a split; the same period last year; trend flags; a chart with its table; CSV.

use super::{Query, St, field};
use crate::api::{DASHBOARD, DASHBOARD_CSV, list, text};
use crate::error::ConsoleError;
use crate::view::{self, bar_chart};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, Months, NaiveDate, Utc};
use maud::html;
use serde_json::{Value, json};

const DIMENSIONS: &[(&str, &str)] = &[
    ("NONE", "Aucune (total)"),
    ("SITE", "Par site"),
    ("THEME", "Par thème"),
    ("PARTNER", "Par partenaire"),
    ("CHANNEL", "Par canal"),
];
const GRANULARITIES: &[(&str, &str)] = &[("MONTH", "Mois"), ("WEEK", "Semaine")];

struct Params {
    from: NaiveDate,
    to: NaiveDate,
    site: Option<String>,
    dimension: &'static str,
    granularity: &'static str,
}

fn params(q: &std::collections::HashMap<String, String>) -> Params {
    // Default: the last twelve whole months.
    let today = Utc::now().date_naive();
    let month_start = today.with_day(1).unwrap_or(today);
    let default_to = month_start.pred_opt().unwrap_or(today);
    let default_from = month_start
        .checked_sub_months(Months::new(12))
        .unwrap_or(month_start);
    let date = |k: &str| field(q, k).and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    let pick = |k: &str, list: &[(&'static str, &str)]| {
        let v = field(q, k).unwrap_or("");
        list.iter()
            .find(|(c, _)| *c == v)
            .map(|(c, _)| *c)
            .unwrap_or(list[0].0)
    };
    Params {
        from: date("du").unwrap_or(default_from),
        to: date("au").unwrap_or(default_to),
        site: field(q, "site").map(str::to_owned),
        dimension: pick("par", DIMENSIONS),
        granularity: pick("pas", GRANULARITIES),
    }
}

fn input(p: &Params) -> Value {
    json!({ "input": {
        "from": p.from.to_string(),
        "to": p.to.to_string(),
        "granularity": p.granularity,
        "dimension": p.dimension,
        "siteId": p.site,
    }})
}

fn period_label(p: &str, granularity: &str) -> String {
    match NaiveDate::parse_from_str(p, "%Y-%m-%d") {
        Ok(d) if granularity == "MONTH" => format!(
            "{} {}",
            kernel::time::MONTHS_FR[d.month0() as usize],
            d.year()
        ),
        Ok(d) => format!("sem. du {}", d.format("%d/%m/%Y")),
        Err(_) => p.to_owned(),
    }
}

/// "janv. 26" under a bar; the table gives the whole label.
fn short_period(p: &str, granularity: &str) -> String {
    match NaiveDate::parse_from_str(p, "%Y-%m-%d") {
        Ok(d) if granularity == "MONTH" => {
            let m: String = kernel::time::MONTHS_FR[d.month0() as usize]
                .chars()
                .take(4)
                .collect();
            format!("{m} {:02}", d.year() % 100)
        }
        Ok(d) => d.format("%d/%m").to_string(),
        Err(_) => p.to_owned(),
    }
}

pub(crate) fn num(v: &Value) -> String {
    v.as_i64().map_or("—".to_owned(), |n| {
        // French thousands separator (narrow no-break space).
        let s = n.abs().to_string();
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i) % 3 == 0 {
                out.push('\u{202f}');
            }
            out.push(c);
        }
        if n < 0 { format!("-{out}") } else { out }
    })
}

fn trend(v: &Value) -> &'static str {
    match v.as_str() {
        Some("UNUSUAL_DROP") => "Baisse inhabituelle",
        Some("UNUSUAL_RISE") => "Hausse inhabituelle",
        _ => "",
    }
}

pub(crate) async fn page(st: St, headers: HeaderMap, q: Query) -> Result<Response, ConsoleError> {
    let mut s = st.signed(&headers).await?;
    if s.session.data.act_as.as_deref() != Some("association") {
        return Err(ConsoleError::NotFound);
    }
    let p = params(&q);
    let data = st.run(&s, &DASHBOARD, input(&p)).await?;
    let chrome = st.chrome(&mut s, "/tableau-de-bord").await?;
    let d = &data["dashboard"];
    let sites = list(&data["sites"]["nodes"]);
    let rows = list(&d["rows"]);
    // People where the split has them; requests where it does not (themes, partners).
    let people = !matches!(p.dimension, "THEME" | "PARTNER");
    let metric = if people { "people" } else { "requests" };
    let metric_label = if people {
        "Personnes reçues"
    } else {
        "Demandes"
    };
    let mut bars: Vec<(String, i64, i64)> = Vec::new();
    if p.dimension == "NONE" {
        for r in rows {
            bars.push((
                period_label(text(&r["period"]), p.granularity),
                r["counts"][metric].as_i64().unwrap_or(0),
                r["lastYear"][metric].as_i64().unwrap_or(0),
            ));
        }
    } else {
        for r in rows {
            let label = text(&r["label"]).to_owned();
            let (a, b) = (
                r["counts"][metric].as_i64().unwrap_or(0),
                r["lastYear"][metric].as_i64().unwrap_or(0),
            );
            match bars.iter_mut().find(|(l, _, _)| *l == label) {
                Some(bar) => {
                    bar.1 += a;
                    bar.2 += b;
                }
                None => bars.push((label, a, b)),
            }
        }
        bars.sort_by_key(|b| std::cmp::Reverse(b.1));
        bars.truncate(12);
    }
    // Under the bars, short periods ("déc. 25"); the table gives them whole.
    let chart: Vec<(String, i64, i64)> = if p.dimension == "NONE" {
        rows.iter()
            .zip(&bars)
            .map(|(r, (_, a, b))| (short_period(text(&r["period"]), p.granularity), *a, *b))
            .collect()
    } else {
        bars.clone()
    };
    let csv_query = serde_urlencoded::to_string([
        ("du", p.from.to_string()),
        ("au", p.to.to_string()),
        ("site", p.site.clone().unwrap_or_default()),
        ("par", p.dimension.to_owned()),
        ("pas", p.granularity.to_owned()),
    ])
    .unwrap_or_default();
    let totals = &d["totals"];
    let last = &d["lastYearTotals"];
    let body = html! {
        h1 { "Tableau de bord" }
        form.filters method="get" action="/tableau-de-bord" {
            fieldset.fieldset {
                legend { "Période et répartition" }
                div.grid {
                    div.field { label for="d-du" { "Du" } input id="d-du" type="date" name="du" value=(p.from.to_string()); }
                    div.field { label for="d-au" { "Au" } input id="d-au" type="date" name="au" value=(p.to.to_string()); }
                    div.field {
                        label for="d-site" { "Site" }
                        select id="d-site" name="site" {
                            option value="" { "Toute l'association" }
                            @for x in sites { option value=(text(&x["id"])) selected[Some(text(&x["id"])) == p.site.as_deref()] { (text(&x["name"])) } }
                        }
                    }
                    div.field {
                        label for="d-par" { "Répartition" }
                        select id="d-par" name="par" {
                            @for (c, l) in DIMENSIONS { option value=(c) selected[*c == p.dimension] { (l) } }
                        }
                    }
                    div.field {
                        label for="d-pas" { "Pas" }
                        select id="d-pas" name="pas" {
                            @for (c, l) in GRANULARITIES { option value=(c) selected[*c == p.granularity] { (l) } }
                        }
                    }
                }
                button.btn type="submit" { "Afficher" }
            }
        }
        section aria-labelledby="totaux" {
            h2 id="totaux" { "Sur la période" }
            ul.kpis {
                li { span.kpi-value { (num(&totals["people"])) } span.kpi-label { "personnes reçues" } span.kpi-last { "l'an dernier : " (num(&last["people"])) } }
                li { span.kpi-value { (num(&totals["requests"])) } span.kpi-label { "demandes" } span.kpi-last { "l'an dernier : " (num(&last["requests"])) } }
                li { span.kpi-value { (num(&totals["mediationActs"])) } span.kpi-label { "actes de médiation" } span.kpi-last { "l'an dernier : " (num(&last["mediationActs"])) } }
                li { span.kpi-value { (num(&totals["workshops"])) } span.kpi-label { "ateliers" } span.kpi-last { "l'an dernier : " (num(&last["workshops"])) } }
            }
            p { a.btn.btn-secondary href={ "/tableau-de-bord.csv?" (csv_query) } download="tableau-de-bord.csv" { "Télécharger le tableau (CSV)" } }
        }
        section aria-labelledby="graphique" {
            h2 id="graphique" { (metric_label) @if p.dimension != "NONE" { " — " (DIMENSIONS.iter().find(|(c, _)| *c == p.dimension).map(|(_, l)| l.to_lowercase()).unwrap_or_default()) } }
            div.layout-2 {
                (bar_chart(metric_label, &chart))
                div.table-wrap {
                    table.table id="chart-table" {
                        caption { "Données du graphique" }
                        thead { tr { th scope="col" { @if p.dimension == "NONE" { "Période" } @else { "Catégorie" } } th scope="col" { "Sur la période" } th scope="col" { "Même période l'an dernier" } } }
                        tbody { @for (l, a, b) in &bars { tr { th scope="row" { (l) } td { (num(&json!(a))) } td { (num(&json!(b))) } } } }
                    }
                }
            }
        }
        section aria-labelledby="detail" {
            h2 id="detail" { "Détail" }
            div.table-wrap {
                table.table id="dashboard-rows" {
                    caption.visually-hidden { "Détail par période" }
                    thead { tr {
                        th scope="col" { "Période" }
                        @if p.dimension != "NONE" { th scope="col" { "Catégorie" } }
                        th scope="col" { "Personnes" } th scope="col" { "Demandes" } th scope="col" { "Actes" }
                        th scope="col" { (metric_label) " l'an dernier" } th scope="col" { "Tendance" }
                    } }
                    tbody { @for r in rows { tr {
                        td { (period_label(text(&r["period"]), p.granularity)) }
                        @if p.dimension != "NONE" { td { (text(&r["label"])) } }
                        td { (num(&r["counts"]["people"])) }
                        td { (num(&r["counts"]["requests"])) }
                        td { (num(&r["counts"]["mediationActs"])) }
                        td { (num(&r["lastYear"][metric])) }
                        td { @let t = trend(&r["trend"]); @if !t.is_empty() { span.badge.badge-warning { (t) } } }
                    } } }
                }
            }
        }
    };
    Ok(view::page(
        &chrome,
        "Tableau de bord",
        &[("Accueil", "/"), ("Tableau de bord", "/tableau-de-bord")],
        body,
    )
    .into_response())
}

pub(crate) async fn csv(st: St, headers: HeaderMap, q: Query) -> Result<Response, ConsoleError> {
    let s = st.signed(&headers).await?;
    let p = params(&q);
    let data = st.run(&s, &DASHBOARD_CSV, input(&p)).await?;
    let body = text(&data["dashboard"]["csv"]).to_owned();
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"tableau-de-bord.csv\"",
            ),
        ],
        body,
    )
        .into_response())
}
