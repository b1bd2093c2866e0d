//! Scored records (assessments, 考核评分): an item with `points` is given a
//! score from 0 to them, the record's total is their sum, and it passes when
//! the total reaches the template's pass mark.

use super::{Answer, TemplateBody};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The most points one item may carry.
pub const MAX_POINTS: i64 = 1000;

/// A record's checked scores.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scored {
    /// By item code.
    pub scores: BTreeMap<String, i64>,
    pub total: i64,
    /// None when the template has no pass mark.
    pub passed: Option<bool>,
}

/// Checks a record's scores against the template version and its answers:
/// every answered scored item needs a score from 0 to its points, and only
/// scored items take one. None when the template scores nothing.
pub fn check_scores(
    t: &TemplateBody,
    answers: &BTreeMap<String, Answer>,
    scores: &BTreeMap<String, i64>,
) -> Result<Option<Scored>> {
    for (code, &s) in scores {
        let field = format!("scores.{code}");
        let Some(points) = t.item(code).and_then(|(_, i)| i.points) else {
            return Err(Error::invalid(
                field,
                "not_scored",
                format!("检查表“{}”的“{code}”不是计分项", t.name),
                format!("'{code}' is not a scored item of checklist '{}'", t.code),
            ));
        };
        if !(0..=points).contains(&s) {
            return Err(Error::invalid(
                field,
                "score_out_of_range",
                format!("“{code}”的得分{s}应在0到{points}之间"),
                format!("the score {s} for '{code}' must be between 0 and {points}"),
            ));
        }
    }
    if t.max_score().is_none() {
        return Ok(None);
    }
    for (_, item) in t.items() {
        if item.points.is_some()
            && answers.contains_key(&item.code)
            && !scores.contains_key(&item.code)
        {
            return Err(Error::invalid(
                format!("scores.{}", item.code),
                "score_required",
                format!("计分项“{}”须给出得分", item.text),
                format!("the scored item '{}' needs a score", item.code),
            ));
        }
    }
    let total = scores.values().sum();
    Ok(Some(Scored {
        scores: scores.clone(),
        total,
        passed: t.pass_mark.map(|m| total >= m),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspections::{check_template, seed_templates, AnswerValue};

    fn answered(t: &TemplateBody) -> BTreeMap<String, Answer> {
        t.items()
            .map(|(_, i)| {
                let a = Answer {
                    value: AnswerValue::Bool(true),
                    note: None,
                };
                (i.code.clone(), a)
            })
            .collect()
    }

    fn scored_dust(pass_mark: Option<i64>) -> TemplateBody {
        let mut t = seed_templates().remove(1);
        for (k, i) in t.sections[0].items.iter_mut().enumerate() {
            i.points = (k < 2).then_some(10);
        }
        t.pass_mark = pass_mark;
        t
    }

    fn code<T: std::fmt::Debug>(r: Result<T>) -> &'static str {
        match r {
            Err(Error::Invalid { code, .. }) => code,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_total_passes_at_the_mark_and_bad_scores_are_refused() {
        let t = check_template(&scored_dust(Some(15))).unwrap();
        let a = answered(&t);
        let s = |pairs: &[(&str, i64)]| -> BTreeMap<String, i64> {
            pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
        };
        let got = check_scores(&t, &a, &s(&[("fence", 10), ("cover", 5)])).unwrap();
        assert_eq!(got.map(|g| (g.total, g.passed)), Some((15, Some(true))));
        let got = check_scores(&t, &a, &s(&[("fence", 10), ("cover", 4)])).unwrap();
        assert_eq!(got.map(|g| g.passed), Some(Some(false)));
        assert_eq!(
            code(check_scores(&t, &a, &s(&[("fence", 11), ("cover", 0)]))),
            "score_out_of_range"
        );
        assert_eq!(
            code(check_scores(
                &t,
                &a,
                &s(&[("fence", 1), ("cover", 1), ("wash", 1)])
            )),
            "not_scored"
        );
        assert_eq!(
            code(check_scores(&t, &a, &s(&[("fence", 1)]))),
            "score_required"
        );
        // Unscored templates score nothing and take no scores.
        let plain = seed_templates().remove(1);
        assert_eq!(check_scores(&plain, &a, &BTreeMap::new()), Ok(None));
        assert_eq!(
            code(check_scores(&plain, &a, &s(&[("fence", 1)]))),
            "not_scored"
        );
    }

    #[test]
    fn a_pass_mark_needs_scored_items_within_reach() {
        assert_eq!(
            code(check_template(&scored_dust(Some(21)))),
            "pass_mark_range"
        );
        let mut t = seed_templates().remove(1);
        t.pass_mark = Some(1);
        assert_eq!(code(check_template(&t)), "pass_mark_unscored");
        let mut t = scored_dust(None);
        t.sections[0].items[0].points = Some(MAX_POINTS + 1);
        assert_eq!(code(check_template(&t)), "points_range");
    }
}
