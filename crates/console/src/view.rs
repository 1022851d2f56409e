//! The layout every page shares, the components pages are made of (alerts,
//! breadcrumb, fields with their error, tables) and the SVG chart.

use axum::response::Html;
use maud::{DOCTYPE, Markup, html};

/// The stylesheet's URL carries a version: a browser may keep it a year.
pub(crate) const CSS_PATH: &str = "/assets/console-2.css";
pub(crate) const CSS: &str = include_str!("../assets/console.css");
/// htmx 2.0.4 (npm `htmx.org`, BSD-0 licence: assets/htmx-LICENSE), vendored so
/// that nothing is loaded from another site.
pub(crate) const HTMX_PATH: &str = "/assets/htmx-2.0.4.min.js";
pub(crate) const HTMX: &str = include_str!("../assets/htmx-2.0.4.min.js");

/// What the header and navigation show for the signed-in person.
#[derive(Default)]
pub(crate) struct Chrome {
    pub person: Option<String>,
    /// The association, partner or union acted for, with the role.
    pub acting: Option<String>,
    pub site: Option<String>,
    pub nav: Vec<(&'static str, &'static str)>,
    /// The path of the current page (its navigation link is marked).
    pub current: &'static str,
    pub csrf: String,
    pub can_switch: bool,
    pub flash: Option<(String, String)>,
}

pub(crate) fn page(
    chrome: &Chrome,
    title: &str,
    crumbs: &[(&str, &str)],
    body: Markup,
) -> Html<String> {
    Html(
        html! {
            (DOCTYPE)
            html lang="fr" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    // htmx must not inject its own <style> (the CSP refuses inline styles).
                    meta name="htmx-config" content=r#"{"includeIndicatorStyles":false,"allowEval":false}"#;
                    title { (title) " · Passerelle" }
                    link rel="stylesheet" href=(CSS_PATH);
                    script src=(HTMX_PATH) defer {}
                }
                body {
                    a.skip-link href="#contenu" { "Aller au contenu" }
                    header.header role="banner" {
                        div.container.header-row {
                            div.brand {
                                a.brand-name href="/" { "Passerelle" }
                                span.brand-tagline { "Réseau des PIMMS" }
                            }
                            @if let Some(person) = &chrome.person {
                                div.who {
                                    p.who-acting {
                                        span.visually-hidden { "Vous agissez pour : " }
                                        strong { (chrome.acting.as_deref().unwrap_or("")) }
                                        @if let Some(site) = &chrome.site {
                                            span.who-site { " · Site : " (site) }
                                        }
                                    }
                                    p.who-person {
                                        (person)
                                        @if chrome.can_switch {
                                            " · " a href="/choisir" { "Changer de structure" }
                                        }
                                    }
                                    form method="post" action="/deconnexion" {
                                        input type="hidden" name="_csrf" value=(chrome.csrf);
                                        button.btn.btn-tertiary type="submit" { "Se déconnecter" }
                                    }
                                }
                            }
                        }
                        @if !chrome.nav.is_empty() {
                            nav.nav aria-label="Navigation principale" {
                                ul.container {
                                    @for (href, label) in &chrome.nav {
                                        li {
                                            @if *href == chrome.current {
                                                a href=(href) aria-current="page" { (label) }
                                            } @else {
                                                a href=(href) { (label) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    main.container id="contenu" tabindex="-1" {
                        @if crumbs.len() > 1 {
                            nav.breadcrumb aria-label="Vous êtes ici" {
                                ol {
                                    @for (i, (label, href)) in crumbs.iter().enumerate() {
                                        li {
                                            @if i + 1 == crumbs.len() {
                                                span aria-current="page" { (label) }
                                            } @else {
                                                a href=(href) { (label) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                        @if let Some((kind, text)) = &chrome.flash {
                            (alert(kind, text))
                        }
                        (body)
                    }
                    footer.footer role="contentinfo" {
                        div.container {
                            p { "Passerelle — plateforme du réseau des PIMMS. Les données affichées sont celles de la structure pour laquelle vous agissez." }
                        }
                    }
                }
            }
        }
        .into_string(),
    )
}

/// What an error answer says, kept on the response so that `pages::error_chrome`
/// can show it again with the signed-in person's header.
#[derive(Clone)]
pub(crate) struct ErrorPage {
    pub title: String,
    pub text: String,
}

pub(crate) fn error_page(title: &str, text: &str) -> Html<String> {
    error_page_with(&Chrome::default(), title, text)
}

pub(crate) fn error_page_with(chrome: &Chrome, title: &str, text: &str) -> Html<String> {
    page(
        chrome,
        title,
        &[],
        html! {
            h1 { (title) }
            (alert("error", text))
            p { a.btn href="/" { "Revenir à l'accueil" } }
        },
    )
}

/// An alert box: `kind` is success, error, warning or info.
pub(crate) fn alert(kind: &str, text: &str) -> Markup {
    let role = if kind == "error" { "alert" } else { "status" };
    html! {
        div class={ "alert alert-" (kind) } role=(role) {
            p { (text) }
        }
    }
}

/// The error line under a field, tied to it by `aria-describedby` (`<id>-error`).
pub(crate) fn field_error(id: &str, error: Option<&String>) -> Markup {
    html! {
        @if let Some(e) = error {
            p.field-error id={ (id) "-error" } { (e) }
        }
    }
}

pub(crate) fn described_by(id: &str, error: Option<&String>) -> Option<String> {
    error.map(|_| format!("{id}-error"))
}

pub(crate) fn csrf_field(csrf: &str) -> Markup {
    html! { input type="hidden" name="_csrf" value=(csrf); }
}

/// A bar chart as SVG, with the series compared to last year as a thin bar
/// beside each. Decorative for assistive technologies: the table beside it
/// carries the same figures.
pub(crate) fn bar_chart(title: &str, bars: &[(String, i64, i64)]) -> Markup {
    bar_chart_with(
        title,
        "barres bleues : période ; barres grises : même période l'an dernier. Détail dans le tableau.",
        bars,
    )
}

/// The same chart, with its own legend (what the grey bars stand for).
pub(crate) fn bar_chart_with(title: &str, legend: &str, bars: &[(String, i64, i64)]) -> Markup {
    let max = bars
        .iter()
        .flat_map(|(_, a, b)| [*a, *b])
        .max()
        .unwrap_or(0)
        .max(1);
    let width = 640i64;
    let height = 240i64;
    let left = 8i64;
    let bottom = 40i64;
    let n = bars.len().max(1) as i64;
    let slot = (width - left) / n;
    let bar = (slot * 6 / 10).max(2);
    html! {
        figure.chart {
            svg viewBox={ "0 0 " (width) " " (height) } role="img" aria-hidden="true" focusable="false" {
                line x1=(left) y1=(height - bottom) x2=(width) y2=(height - bottom) stroke="#666" stroke-width="1" {}
                @for (i, (label, value, last)) in bars.iter().enumerate() {
                    @let x = left + i as i64 * slot + (slot - bar) / 2;
                    @let h = (height - bottom - 10) * value / max;
                    @let hl = (height - bottom - 10) * last / max;
                    rect x=(x) y=(height - bottom - h) width=(bar) height=(h) fill="#000091" {}
                    rect x=(x + bar) y=(height - bottom - hl) width=((bar / 4).max(1)) height=(hl) fill="#929292" {}
                    @if n <= 16 || i % ((n / 12).max(1) as usize) == 0 {
                        text x=(x + bar / 2) y=(height - bottom + 16) font-size="11" text-anchor="middle" fill="#161616" { (fit(label, slot)) }
                    }
                }
            }
            figcaption { (title) " — " (legend) }
        }
    }
}

/// A label cut to what fits under its bar (about 7 px a character at 11 px); the
/// table beside the chart gives it whole.
fn fit(label: &str, slot: i64) -> String {
    let max = usize::try_from(slot / 7).unwrap_or(3).max(3);
    if label.chars().count() <= max {
        label.to_owned()
    } else {
        let cut: String = label.chars().take(max - 1).collect();
        format!("{}…", cut.trim_end())
    }
}
