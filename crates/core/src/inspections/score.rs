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
