//! The category and routing-rule forms: what was typed (kept as typed when
//! refused), how it becomes the store's input, and the message per field.

use super::super::i18n::T;
use serde::Deserialize;
use wangge_core::auth::Role;
use wangge_store::cases::{
    Category, CategoryPatch, Deadline, DeadlineUnit, Deadlines, NewCategory, TipReaders,
};

/// The roles the tip-reader checkboxes offer, in the form's order.
const READER_ROLES: [Role; 5] = [
    Role::ZoneAdmin,
    Role::StreetStaff,
    Role::CommunityCadre,
    Role::GridWorker,
    Role::Auditor,
];

#[derive(Debug, Default, Clone, Deserialize)]
pub struct CategoryForm {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub parent: String,
    #[serde(default)]
    pub name_zh: String,
    #[serde(default)]
    pub name_en: String,
    #[serde(default)]
    pub public_name: String,
    /// A checkbox: "1" when ticked, absent otherwise.
    #[serde(default)]
    pub confidential: String,
    #[serde(default)]
    pub internal: String,
    /// "1": the category has its own tip readers below; otherwise it inherits.
    #[serde(default)]
    pub readers_own: String,
    #[serde(default)]
    pub reader_zone_admin: String,
    #[serde(default)]
    pub reader_street_staff: String,
    #[serde(default)]
    pub reader_community_cadre: String,
    #[serde(default)]
    pub reader_grid_worker: String,
    #[serde(default)]
    pub reader_auditor: String,
    /// Organisation ids separated by commas or spaces.
    #[serde(default)]
    pub reader_orgs: String,
    #[serde(default)]
    pub active: String,
    /// Field names separated by commas or spaces.
    #[serde(default)]
    pub required_fields: String,
    #[serde(default)]
    pub accept_amount: String,
    #[serde(default)]
    pub accept_unit: String,
    #[serde(default)]
    pub dispatch_amount: String,
    #[serde(default)]
    pub dispatch_unit: String,
    #[serde(default)]
    pub handle_amount: String,
    #[serde(default)]
    pub handle_unit: String,
}

/// Messages next to the fields of the category form.
#[derive(Debug, Default, Clone)]
pub struct Errors {
    pub form: Option<String>,
    pub code: Option<String>,
    pub parent: Option<String>,
    pub name_zh: Option<String>,
    pub name_en: Option<String>,
    pub public_name: Option<String>,
    pub required_fields: Option<String>,
    pub tip_readers: Option<String>,
    pub accept: Option<String>,
    pub dispatch: Option<String>,
    pub handle: Option<String>,
}

pub fn bilingual(t: T, e: &wangge_core::Error) -> String {
    match e {
        wangge_core::Error::Invalid { zh, en, .. }
        | wangge_core::Error::Conflict { zh, en, .. } => t.pick(zh, en).to_string(),
    }
}

impl Errors {
    pub fn any(&self) -> bool {
        [
            &self.form,
            &self.code,
            &self.parent,
            &self.name_zh,
            &self.name_en,
            &self.public_name,
            &self.required_fields,
            &self.tip_readers,
            &self.accept,
            &self.dispatch,
            &self.handle,
        ]
        .iter()
        .any(|e| e.is_some())
    }

    /// Puts a store message next to the field it names.
    pub fn place(&mut self, t: T, e: &wangge_core::Error) {
        let msg = bilingual(t, e);
        let field = match e {
            wangge_core::Error::Invalid { field, .. } => field.as_str(),
            wangge_core::Error::Conflict { code, .. } if *code == "category_code_taken" => "code",
            wangge_core::Error::Conflict { .. } => "",
        };
        let slot = match field {
            "code" => &mut self.code,
            "parent" => &mut self.parent,
            "name_zh" => &mut self.name_zh,
            "name_en" => &mut self.name_en,
            "public_name" => &mut self.public_name,
            "required_fields" => &mut self.required_fields,
            "tip_readers" => &mut self.tip_readers,
            f if f.starts_with("deadlines.accept") => &mut self.accept,
            f if f.starts_with("deadlines.dispatch") => &mut self.dispatch,
            f if f.starts_with("deadlines.handle") => &mut self.handle,
            _ => &mut self.form,
        };
        slot.get_or_insert(msg);
    }

    pub fn stage(&self, stage: &str) -> Option<&String> {
        match stage {
            "accept" => self.accept.as_ref(),
            "dispatch" => self.dispatch.as_ref(),
            _ => self.handle.as_ref(),
        }
    }
}

/// One tip-reader checkbox, for the template.
pub struct ReaderInput {
    pub name: String,
    pub label: &'static str,
    pub on: bool,
}

/// One stage's two inputs, for the template.
pub struct StageInput {
    pub stage: &'static str,
    pub label_key: String,
    pub amount: String,
    pub unit: String,
}

impl CategoryForm {
    /// The new-category form: active, with no time limits yet.
    pub fn blank() -> CategoryForm {
        CategoryForm {
            active: "1".into(),
            accept_unit: "working_days".into(),
            dispatch_unit: "working_days".into(),
            handle_unit: "working_days".into(),
            ..Default::default()
        }
    }

    /// The edit form filled with the category's values.
    pub fn of(k: &Category) -> CategoryForm {
        let split = |d: Option<Deadline>| match d {
            Some(d) => (d.amount.to_string(), unit_str(d.unit).to_string()),
            None => (String::new(), "working_days".to_string()),
        };
        let (accept_amount, accept_unit) = split(k.deadlines.accept);
        let (dispatch_amount, dispatch_unit) = split(k.deadlines.dispatch);
        let (handle_amount, handle_unit) = split(k.deadlines.handle);
        // An inheriting category shows the set it inherits, ready to be made its own.
        let readers = k.tip_readers.as_ref().unwrap_or(&k.tip_readers_effective);
        let on = |r: Role| if readers.roles.contains(&r) { "1" } else { "" }.to_string();
        CategoryForm {
            readers_own: if k.tip_readers.is_some() { "1" } else { "" }.into(),
            reader_zone_admin: on(Role::ZoneAdmin),
            reader_street_staff: on(Role::StreetStaff),
            reader_community_cadre: on(Role::CommunityCadre),
            reader_grid_worker: on(Role::GridWorker),
            reader_auditor: on(Role::Auditor),
            reader_orgs: readers
                .orgs
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            code: k.code.clone(),
            parent: k.parent.clone().unwrap_or_default(),
            name_zh: k.name_zh.clone(),
            name_en: k.name_en.clone(),
            public_name: k.public_name.clone(),
            confidential: if k.confidential { "1" } else { "" }.into(),
            internal: if k.internal { "1" } else { "" }.into(),
            active: if k.active { "1" } else { "" }.into(),
            required_fields: k.required_fields.join(", "),
            accept_amount,
            accept_unit,
            dispatch_amount,
            dispatch_unit,
            handle_amount,
            handle_unit,
        }
    }

    pub fn stages(&self) -> Vec<StageInput> {
        [
            ("accept", &self.accept_amount, &self.accept_unit),
            ("dispatch", &self.dispatch_amount, &self.dispatch_unit),
            ("handle", &self.handle_amount, &self.handle_unit),
        ]
        .into_iter()
        .map(|(stage, amount, unit)| StageInput {
            stage,
            label_key: format!("category.stage_{stage}"),
            amount: amount.clone(),
            unit: unit.clone(),
        })
        .collect()
    }

    fn reader_box(&self, r: Role) -> &str {
        match r {
            Role::ZoneAdmin => &self.reader_zone_admin,
            Role::StreetStaff => &self.reader_street_staff,
            Role::CommunityCadre => &self.reader_community_cadre,
            Role::GridWorker => &self.reader_grid_worker,
            _ => &self.reader_auditor,
        }
    }

    pub fn readers(&self) -> Vec<ReaderInput> {
        READER_ROLES
            .into_iter()
            .map(|r| ReaderInput {
                name: format!("reader_{}", r.as_str()),
                label: r.label_zh(),
                on: self.reader_box(r) == "1",
            })
            .collect()
    }

    /// The tip readers as ticked; `None` when the category inherits. An
    /// organisation id that is not a number gets its message here, the rest
    /// is the store's to check.
    fn tip_readers(&self, t: T, errors: &mut Errors) -> Option<TipReaders> {
        if self.readers_own != "1" {
            return None;
        }
        let mut orgs = Vec::new();
        for part in self
            .reader_orgs
            .split(|c: char| c == ',' || c == '，' || c.is_whitespace())
            .filter(|s| !s.is_empty())
        {
            match part.parse::<i64>() {
                Ok(n) => orgs.push(n),
                Err(_) => {
                    errors.tip_readers = Some(t.t("category.reader_org_number").to_string());
                }
            }
        }
        Some(TipReaders {
            roles: READER_ROLES
                .into_iter()
                .filter(|r| self.reader_box(*r) == "1")
                .collect(),
            orgs,
        })
    }

    pub fn is_parent(&self, code: &str) -> bool {
        self.parent == code
    }

    fn fields(&self) -> Vec<String> {
        self.required_fields
            .split(|c: char| c == ',' || c == '，' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }

    /// The time limits; one that is not a whole number gets its message here,
    /// the range is the store's to check.
    fn deadlines(&self, t: T, errors: &mut Errors) -> Deadlines {
        let one = |amount: &str, unit: &str, slot: &mut Option<String>| {
            let amount = amount.trim();
            if amount.is_empty() {
                return None;
            }
            let unit = match unit {
                "working_hours" => DeadlineUnit::WorkingHours,
                "working_days" => DeadlineUnit::WorkingDays,
                _ => {
                    *slot = Some(t.t("category.pick_unit").to_string());
                    return None;
                }
            };
            match amount.parse::<u32>() {
                Ok(amount) => Some(Deadline { amount, unit }),
                Err(_) => {
                    *slot = Some(t.t("category.whole_number").to_string());
                    None
                }
            }
        };
        Deadlines {
            accept: one(&self.accept_amount, &self.accept_unit, &mut errors.accept),
            dispatch: one(
                &self.dispatch_amount,
                &self.dispatch_unit,
                &mut errors.dispatch,
            ),
            handle: one(&self.handle_amount, &self.handle_unit, &mut errors.handle),
        }
    }

    pub fn to_new(&self, t: T, errors: &mut Errors) -> NewCategory {
        let deadlines = self.deadlines(t, errors);
        NewCategory {
            code: self.code.trim().to_string(),
            parent: Some(self.parent.trim().to_string()).filter(|p| !p.is_empty()),
            name_zh: self.name_zh.clone(),
            name_en: self.name_en.clone(),
            public_name: self.public_name.clone(),
            confidential: self.confidential == "1",
            internal: self.internal == "1",
            tip_readers: self.tip_readers(t, errors),
            required_fields: self.fields(),
            deadlines,
        }
    }

    /// Every field of the edit form is sent, so every one is set.
    pub fn to_patch(&self, t: T, errors: &mut Errors) -> CategoryPatch {
        CategoryPatch {
            name_zh: Some(self.name_zh.clone()),
            name_en: Some(self.name_en.clone()),
            public_name: Some(self.public_name.clone()),
            confidential: Some(self.confidential == "1"),
            internal: Some(self.internal == "1"),
            tip_readers: Some(self.tip_readers(t, errors)),
            required_fields: Some(self.fields()),
            deadlines: Some(self.deadlines(t, errors)),
            active: Some(self.active == "1"),
        }
    }
}

fn unit_str(u: DeadlineUnit) -> &'static str {
    match u {
        DeadlineUnit::WorkingDays => "working_days",
        DeadlineUnit::WorkingHours => "working_hours",
    }
}

/// The routing-rule form: a unit's code and an organisation.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct RouteForm {
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub org_id: String,
}

#[derive(Debug, Default, Clone)]
pub struct RouteErrors {
    pub form: Option<String>,
    pub unit: Option<String>,
    pub org: Option<String>,
}

impl RouteForm {
    /// The organisation chosen; a missing or unreadable one gets its message.
    pub fn org(&self, t: T, errors: &mut RouteErrors) -> Option<i64> {
        if self.unit.trim().is_empty() {
            errors.unit = Some(t.t("category.unit_required").to_string());
        }
        match self.org_id.trim().parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                errors.org = Some(t.t("case.pick_org").to_string());
                None
            }
        }
    }

    pub fn is_org(&self, id: &i64) -> bool {
        self.org_id.trim() == id.to_string()
    }
}

impl RouteErrors {
    pub fn place(&mut self, t: T, e: &wangge_core::Error) {
        let msg = bilingual(t, e);
        let slot = match e {
            wangge_core::Error::Invalid { field, .. } if field == "unit" => &mut self.unit,
            wangge_core::Error::Invalid { field, .. } if field == "org_id" => &mut self.org,
            _ => &mut self.form,
        };
        slot.get_or_insert(msg);
    }
}
