//! Pure checks and computations: a campaign's calendar, the draw of its sample, the
//! score of an audit, what an indicator's value means against its threshold.

use crate::model::{Grade, NewCampaign, ScoreResult};
use kernel::Error;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

pub(crate) fn check_campaign(c: NewCampaign) -> Result<NewCampaign, Error> {
    let title = kernel::input::text("title", &c.title, 2, 200)?;
    if c.period_ends_on < c.period_starts_on {
        return Err(Error::validation(
            "periodEndsOn",
            "la fin de la période précède son début",
        ));
    }
    if c.self_assessment_due_on <= c.period_starts_on {
        return Err(Error::validation(
            "selfAssessmentDueOn",
            "l'échéance de l'auto-évaluation doit suivre le début de la période contrôlée",
        ));
    }
    if c.visits_from < c.self_assessment_due_on {
        return Err(Error::validation(
            "visitsFrom",
            "les visites commencent après l'échéance de l'auto-évaluation",
        ));
    }
    if c.visits_until < c.visits_from {
        return Err(Error::validation(
            "visitsUntil",
            "la fin des visites précède leur début",
        ));
    }
    if c.closes_on < c.visits_until {
        return Err(Error::validation(
            "closesOn",
            "la clôture doit suivre la fin des visites",
        ));
    }
    if !(1..=90).contains(&c.contradictory_days) {
        return Err(Error::validation(
            "contradictoryDays",
            "entre 1 et 90 jours",
        ));
    }
    if let Some(p) = c.sample_percent
        && !(1..=100).contains(&p)
    {
        return Err(Error::validation("samplePercent", "entre 1 et 100"));
    }
    if c.chosen.is_empty() && c.sample_percent.is_none() {
        return Err(Error::validation(
            "tenantIds",
            "choisissez des associations ou un pourcentage à tirer au sort",
        ));
    }
    Ok(NewCampaign { title, ..c })
}

/// The sample: `percent` of the candidates (rounded up), at least one per region that
/// has a candidate, drawn with `seed`. Candidates audited in the previous campaign
/// are left out (they may still be chosen by hand), as are those chosen by hand.
pub(crate) fn draw_sample(
    candidates: &[(Uuid, Option<String>)],
    excluded: &BTreeSet<Uuid>,
    percent: i16,
    seed: u64,
) -> Vec<Uuid> {
    let mut pool: Vec<(Uuid, Option<String>)> = candidates
        .iter()
        .filter(|(t, _)| !excluded.contains(t))
        .cloned()
        .collect();
    pool.sort();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    pool.shuffle(&mut rng);
    let share = usize::try_from(percent).unwrap_or(0);
    let wanted = (pool.len() * share).div_ceil(100);
    let mut picked: Vec<Uuid> = Vec::new();
    let mut regions: BTreeMap<Option<String>, Vec<Uuid>> = BTreeMap::new();
    for (t, r) in &pool {
        regions.entry(r.clone()).or_default().push(*t);
    }
    // One per region first (regions unknown to the platform count as one).
    for members in regions.values() {
        let i = rng.random_range(0..members.len());
        picked.push(members[i]);
    }
    for (t, _) in &pool {
        if picked.len() >= wanted {
            break;
        }
        if !picked.contains(t) {
            picked.push(*t);
        }
    }
    picked
}

/// The audit's score: the weighted share of criteria met (partly met counts half),
/// not-applicable criteria left out; `None` when nothing applicable was scored.
pub fn score(results: &[(i16, ScoreResult)]) -> Option<f64> {
    let mut total = 0.0;
    let mut got = 0.0;
    for (w, r) in results {
        let w = f64::from(*w);
        match r {
            ScoreResult::Met => {
                total += w;
                got += w;
            }
            ScoreResult::PartlyMet => {
                total += w;
                got += w / 2.0;
            }
            ScoreResult::NotMet => total += w,
            ScoreResult::NotApplicable => {}
        }
    }
    (total > 0.0).then(|| (got / total * 1000.0).round() / 10.0)
}

/// The grade the score suggests: 90 % and above compliant, 70 % and above compliant
/// with reservations, below non-compliant. The auditor states the grade; this is the
/// network's scale the dashboard and the demo follow.
pub fn grade_for(score: f64) -> Grade {
    if score >= 90.0 {
        Grade::Compliant
    } else if score >= 70.0 {
        Grade::CompliantWithReservations
    } else {
        Grade::NonCompliant
    }
}

/// A finite, non-negative threshold (the catalogue's).
pub(crate) fn check_threshold(t: Option<f64>) -> Result<Option<f64>, Error> {
    match t {
        Some(v) if !v.is_finite() || v < 0.0 => {
            Err(Error::validation("threshold", "un nombre positif ou nul"))
        }
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    fn campaign() -> NewCampaign {
        NewCampaign {
            title: "Campagne 2026".into(),
            catalogue_version_id: Uuid::nil(),
            period_starts_on: d(1, 1),
            period_ends_on: d(6, 30),
            self_assessment_due_on: d(7, 31),
            visits_from: d(9, 1),
            visits_until: d(10, 31),
            contradictory_days: 30,
            closes_on: d(12, 15),
            chosen: vec![Uuid::nil()],
            sample_percent: None,
            auditor_id: None,
            seed: 1,
        }
    }

    #[test]
    fn calendar_in_order() {
        assert!(check_campaign(campaign()).is_ok());
        let bad = NewCampaign {
            self_assessment_due_on: d(1, 1),
            ..campaign()
        };
        assert!(
            matches!(check_campaign(bad), Err(Error::Validation { field, .. }) if field == "selfAssessmentDueOn")
        );
        let bad = NewCampaign {
            closes_on: d(10, 1),
            ..campaign()
        };
        assert!(
            matches!(check_campaign(bad), Err(Error::Validation { field, .. }) if field == "closesOn")
        );
    }

    #[test]
    fn sample_covers_every_region_and_skips_the_last_campaign() {
        let c: Vec<(Uuid, Option<String>)> = (0..10)
            .map(|i| {
                (
                    Uuid::from_u128(i),
                    Some(if i < 8 { "84" } else { "76" }.to_owned()),
                )
            })
            .collect();
        let excluded: BTreeSet<Uuid> = [Uuid::from_u128(8)].into();
        let s = draw_sample(&c, &excluded, 10, 7);
        assert!(s.contains(&Uuid::from_u128(9)), "the one left in region 76");
        assert!(!s.contains(&Uuid::from_u128(8)));
        assert_eq!(s.len(), 2);
        assert_eq!(s, draw_sample(&c, &excluded, 10, 7), "same seed, same draw");
    }

    #[test]
    fn weighted_score() {
        use ScoreResult::*;
        assert_eq!(
            score(&[(2, Met), (1, NotMet), (1, NotApplicable)]),
            Some(66.7)
        );
        assert_eq!(score(&[(2, PartlyMet)]), Some(50.0));
        assert_eq!(score(&[(1, NotApplicable)]), None);
        assert_eq!(grade_for(92.0), Grade::Compliant);
        assert_eq!(grade_for(75.0), Grade::CompliantWithReservations);
        assert_eq!(grade_for(10.0), Grade::NonCompliant);
    }
}
