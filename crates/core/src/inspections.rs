//! The inspection engine's rules (排查/走访): checklist templates, checking a
//! template, checking a record's answers against the template version it was
//! filled in on, and deciding which answers are findings (问题/隐患).
//!
//! A template is data, not code: the elevator use-unit inspection and the
//! construction-site dust control (`seeds.rs`) are two instances, and later
//! programs (poverty household visits, pension home visits) add their own
//! without touching this module.

mod answers;
mod check;
mod recurrence;
mod score;
mod seeds;
#[cfg(test)]
mod tests;

pub use answers::{check_answers, failures, is_failure, Answer, AnswerValue, Failure};
pub use check::check_template;
pub use recurrence::{check_recurrence, Cadence, Recurrence};
pub use score::{check_scores, Scored, MAX_POINTS};
pub use seeds::{seed_templates, DUST_CONTROL, ELEVATOR_USE_UNIT};

use serde::{Deserialize, Serialize};

crate::wire_enum! {
    /// How an item is answered.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum ItemKind {
        /// 是/否; `pass_when` says which answer is in order.
        YesNo => "yes_no",
        /// One of `choices`; those in `fail_choices` are findings.
        Choice => "choice",
        /// A number inside `min`..=`max` (else the answer is refused); outside
        /// `pass_min`..=`pass_max` it is a finding.
        Number => "number",
        /// Free text; never a finding by itself.
        Text => "text",
        /// Attachment ids of photos; never a finding by itself.
        Photo => "photo",
    }
}

impl ItemKind {
    pub fn label_zh(self) -> &'static str {
        match self {
            ItemKind::YesNo => "是/否",
            ItemKind::Choice => "选项",
            ItemKind::Number => "数值",
            ItemKind::Text => "文字",
            ItemKind::Photo => "照片",
        }
    }
}

crate::wire_enum! {
    /// How serious a finding on an item is.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
    pub enum Severity {
        /// 一般隐患
        #[default]
        General => "general",
        /// 较大隐患
        Serious => "serious",
        /// 重大隐患
        Major => "major",
    }
    parse: Noun::new("severity", "unknown_severity", "隐患等级", "severity");
}

impl Severity {
    pub fn label_zh(self) -> &'static str {
        match self {
            Severity::General => "一般隐患",
            Severity::Serious => "较大隐患",
            Severity::Major => "重大隐患",
        }
    }
}

fn default_true() -> bool {
    true
}

/// One question of a checklist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// Unique within the template; records refer to items by it.
    pub code: String,
    pub text: String,
    pub kind: ItemKind,
    /// A record without an answer to a required item is refused.
    #[serde(default = "default_true")]
    pub required: bool,
    /// Yes/no: the answer that is in order (default: yes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pass_when: Option<bool>,
    /// Choice: the options.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
    /// Choice: the options that are findings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fail_choices: Vec<String>,
    /// Number: the accepted range of answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Number: the range that is in order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pass_min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pass_max: Option<f64>,
    /// Number: the unit shown beside the field (天, 米 …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(default)]
    pub severity: Severity,
    /// The case category (a minor category's code) a finding on this item
    /// becomes; the template's `category` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// The most points a record may give this item (an assessment); a record
    /// scores it from 0 to this. Without it the item is not scored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<i64>,
}

impl Item {
    /// Whether some answer to this item is a finding.
    pub fn can_fail(&self) -> bool {
        match self.kind {
            ItemKind::YesNo => true,
            ItemKind::Choice => !self.fail_choices.is_empty(),
            ItemKind::Number => self.pass_min.is_some() || self.pass_max.is_some(),
            ItemKind::Text | ItemKind::Photo => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub title: String,
    pub items: Vec<Item>,
}

/// A checklist as written: what `POST /inspection-templates` takes and what a
/// version stores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateBody {
    /// Lower-case letters, digits, `_` and `-`; the same code for every version.
    pub code: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The default case category of findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    pub sections: Vec<Section>,
    /// The total score at which a record passes; only with scored items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pass_mark: Option<i64>,
}

impl TemplateBody {
    pub fn items(&self) -> impl Iterator<Item = (&Section, &Item)> {
        self.sections
            .iter()
            .flat_map(|s| s.items.iter().map(move |i| (s, i)))
    }

    pub fn item(&self, code: &str) -> Option<(&Section, &Item)> {
        self.items().find(|(_, i)| i.code == code)
    }

    /// The most points a record can score; none when no item is scored.
    pub fn max_score(&self) -> Option<i64> {
        let mut points = self.items().filter_map(|(_, i)| i.points).peekable();
        points.peek()?;
        Some(points.sum())
    }

    /// The case category a finding on `item` becomes.
    pub fn category_of<'a>(&'a self, item: &'a Item) -> Option<&'a str> {
        item.category.as_deref().or(self.category.as_deref())
    }
}
