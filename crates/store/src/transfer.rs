//! Bulk import and export of the registry in the files offices exchange:
//! `.xlsx` and `.csv` (UTF-8 with or without BOM, GBK/GB18030) with Chinese
//! headers (English accepted too), for people with their households,
//! households, organisations, positions and units; exports of the case and
//! special-equipment lists with their own filters (`export_cases.rs`,
//! `export_equipment.rs`, through the lists' own store functions), and of the
//! construction-site list, the inspection plans and the audit log
//! (`export_sites.rs`, `export_plans.rs`, `export_audit.rs`, sharing
//! `export_list.rs`), of one plan's targets (`export_targets.rs`) and of the
//! administrator's accounts and categories (`export_admin.rs`).
//!
//! An import reads the file twice, streaming, and never holds it in memory:
//! 1. **check**: every row is parsed, validated and compared with the database
//!    (on a read connection); only the problems and a compact key per row
//!    (for duplicates inside the file) are kept;
//! 2. **write**: unless problems were found (or `skip_invalid` was asked), the
//!    file is read again and written in one transaction through the group-commit
//!    writer, so it lands whole or not at all.
//!
//! Records are matched by their natural key (ID number through its lookup hash,
//! credit code, unit code), so importing the same file again changes nothing;
//! a changed row updates only its changed fields, audited by field name. Rows
//! outside the importer's scope are rejected with the reason. Every rejected
//! row goes into a report workbook that can be fixed and uploaded again.

mod columns;
mod directory;
mod export;
mod export_admin;
mod export_audit;
mod export_cases;
mod export_equipment;
mod export_list;
mod export_plans;
mod export_registry;
mod export_targets;
mod import;
mod import_equipment;
mod import_households;
mod import_orgs;
mod import_people;
mod import_positions;
mod import_units;
mod lists;
mod report;
mod sink;
mod template;
mod values;

pub use columns::{columns, Column, Use};
pub use export::{export, ExportFilter, ExportFormat, ExportOptions, Exported};
pub use export_admin::{
    export_accounts, export_categories, ACCOUNT_HEADERS, ACCOUNT_SHEET, CATEGORY_HEADERS,
    CATEGORY_SHEET,
};
pub use export_audit::{export_audit, AUDIT_HEADERS, AUDIT_SHEET};
pub use export_cases::{export_cases, CASE_HEADERS, CASE_SHEET};
pub use export_equipment::{export_equipment, EQUIPMENT_HEADERS, EQUIPMENT_SHEET};
pub use export_plans::{export_plans, PLAN_HEADERS, PLAN_SHEET};
pub use export_registry::{export_named, export_registry, ReadFilter};
pub use export_targets::{export_plan_targets, TARGET_HEADERS, TARGET_SHEET};
pub use import::{
    import, report_of, run, spool, ImportOptions, ImportRun, ImportSummary, Imported, OnProgress,
    Progress, Stage,
};
pub use wangge_formats::sheet::{Limits, TextEncoding};
// Reading and writing the files themselves is the formats crate's.
use wangge_formats::{sheet as read, xlsx};
/// A temporary file (uploads, exports), removed when dropped.
pub type TempFile = tempfile::NamedTempFile;
pub use lists::List;
pub use sink::Out;
pub use template::template;

use crate::error::Error;
use serde::Serialize;
use wangge_core::Error as CoreError;

wangge_core::wire_enum! {
    /// What a file holds.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    #[schema(as = TransferKind)]
    pub enum Kind {
        /// 人员, with their households (户号, 与户主关系).
        People => "people",
        Households => "households",
        Organisations => "organisations",
        Positions => "positions",
        Units => "units",
        /// 特种设备 (elevators, escalators), keyed by registration code.
        Equipment => "equipment",
    }
}

impl Kind {
    pub fn label_zh(self) -> &'static str {
        match self {
            Kind::People => "人员",
            Kind::Households => "户",
            Kind::Organisations => "组织",
            Kind::Positions => "职务",
            Kind::Units => "单元",
            Kind::Equipment => "特种设备",
        }
    }

    /// Names of the worksheet an import looks for first (else it takes the
    /// first visible sheet).
    pub fn sheet_names(self) -> &'static [&'static str] {
        match self {
            Kind::People => &["人员", "人口", "居民", "people"],
            Kind::Households => &["户", "住户", "households"],
            Kind::Organisations => &["组织", "单位", "organisations", "organizations"],
            Kind::Positions => &["职务", "任职", "positions"],
            Kind::Units => &["单元", "网格单元", "units"],
            Kind::Equipment => &["特种设备", "设备", "电梯", "equipment"],
        }
    }

    /// Accepts the code name, a few English variants or the Chinese label.
    pub fn parse(s: &str) -> Result<Kind, CoreError> {
        let t = s.trim().to_ascii_lowercase();
        let found = match t.as_str() {
            "people" | "persons" | "person" | "residents" | "人员" | "人口" | "居民" => {
                Some(Kind::People)
            }
            "households" | "household" | "户" | "住户" => Some(Kind::Households),
            "organisations" | "organizations" | "organisation" | "organization" | "orgs"
            | "组织" | "单位" => Some(Kind::Organisations),
            "positions" | "position" | "职务" | "任职" => Some(Kind::Positions),
            "units" | "unit" | "单元" | "网格单元" => Some(Kind::Units),
            "equipment" | "特种设备" | "设备" => Some(Kind::Equipment),
            _ => None,
        };
        found.ok_or_else(|| {
            CoreError::invalid(
                "kind",
                "transfer_kind",
                format!(
                    "未知的数据类别“{s}”,可选:people(人员)、households(户)、organisations(组织)、positions(职务)、units(单元)、equipment(特种设备)"
                ),
                format!(
                    "unknown kind '{s}'; one of people, households, organisations, positions, units, equipment"
                ),
            )
        })
    }
}

/// A problem with one row, before it is placed in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct RowIssue {
    /// The catalogue key of the column at fault, if one is.
    pub column: Option<&'static str>,
    pub code: String,
    pub zh: String,
    pub en: String,
}

impl RowIssue {
    pub fn new(code: &str, zh: impl Into<String>, en: impl Into<String>) -> RowIssue {
        RowIssue {
            column: None,
            code: code.to_string(),
            zh: zh.into(),
            en: en.into(),
        }
    }

    pub fn at(mut self, column: &'static str) -> RowIssue {
        self.column = Some(column);
        self
    }

    /// A domain error from validation, placed at `column` (or, when `None`, at
    /// the column named by the error's field through `field_column`).
    pub fn from_error(e: &Error, column: Option<&'static str>) -> RowIssue {
        match e {
            Error::Domain(CoreError::Invalid { code, zh, en, .. }) => RowIssue {
                column,
                code: (*code).to_string(),
                zh: zh.clone(),
                en: en.clone(),
            },
            Error::Domain(CoreError::Conflict { code, zh, en }) => RowIssue {
                column,
                code: (*code).to_string(),
                zh: zh.clone(),
                en: en.clone(),
            },
            Error::NotFound { what } => RowIssue {
                column,
                code: "not_found".into(),
                zh: format!("引用的{what}不存在或不在您的管辖范围内"),
                en: format!("the {what} does not exist or is outside your scope"),
            },
            Error::Forbidden => RowIssue {
                column,
                code: "forbidden".into(),
                zh: "您的角色无权进行此操作".into(),
                en: "your role does not allow this".into(),
            },
            other => RowIssue {
                column,
                code: "internal".into(),
                zh: format!("处理该行时出错:{other}"),
                en: format!("the row could not be processed: {other}"),
            },
        }
    }
}

/// One rejected row (or cell), as reports and the API show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Issue {
    pub sheet: String,
    /// The row number as the spreadsheet shows it (1 is the first row).
    pub row: u64,
    /// The column letter and header, e.g. "B 身份证号".
    pub column: Option<String>,
    pub code: String,
    pub message_zh: String,
    pub message_en: String,
}

// The encryption and lookup domains of people's personal values: the same
// strings as in `people.rs` (the store tests prove an export opens what
// `people::create` sealed, and an import finds what it hashed).
pub(crate) const F_ID: &str = "people.id_number";
pub(crate) const F_PHONE: &str = "people.phone";
pub(crate) const F_ADDRESS: &str = "people.address_detail";

/// A problem with the whole file: nothing of it is imported.
pub(crate) fn file_error(
    code: &'static str,
    zh: impl Into<String>,
    en: impl Into<String>,
) -> Error {
    CoreError::invalid("file", code, zh, en).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_in_both_languages() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()).unwrap(), k);
            assert_eq!(Kind::parse(k.label_zh()).unwrap(), k);
        }
        assert_eq!(Kind::parse("vehicles").unwrap_err().code(), "transfer_kind");
    }
}
