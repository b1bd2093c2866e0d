//! The named values of the registries: kinds, statuses, inspection results
//! and alert kinds, each with its stable code and Chinese label.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EquipmentKind {
    /// 电梯.
    Elevator,
    /// 自动扶梯.
    Escalator,
}

impl EquipmentKind {
    pub const ALL: [EquipmentKind; 2] = [EquipmentKind::Elevator, EquipmentKind::Escalator];

    pub fn as_str(self) -> &'static str {
        match self {
            EquipmentKind::Elevator => "elevator",
            EquipmentKind::Escalator => "escalator",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            EquipmentKind::Elevator => "电梯",
            EquipmentKind::Escalator => "自动扶梯",
        }
    }

    pub fn parse(s: &str) -> Result<EquipmentKind> {
        EquipmentKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s || k.label_zh() == s)
            .ok_or_else(|| {
                Error::invalid(
                    "kind",
                    "equipment_kind",
                    format!("未知的设备种类“{s}”,可选:电梯、自动扶梯"),
                    format!("unknown equipment kind '{s}'; one of elevator, escalator"),
                )
            })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EquipmentStatus {
    /// 在用.
    InUse,
    /// 停用.
    Stopped,
    /// 报废: final.
    Scrapped,
}

impl EquipmentStatus {
    pub const ALL: [EquipmentStatus; 3] = [
        EquipmentStatus::InUse,
        EquipmentStatus::Stopped,
        EquipmentStatus::Scrapped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EquipmentStatus::InUse => "in_use",
            EquipmentStatus::Stopped => "stopped",
            EquipmentStatus::Scrapped => "scrapped",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            EquipmentStatus::InUse => "在用",
            EquipmentStatus::Stopped => "停用",
            EquipmentStatus::Scrapped => "报废",
        }
    }

    pub fn parse(s: &str) -> Result<EquipmentStatus> {
        EquipmentStatus::ALL
            .into_iter()
            .find(|k| k.as_str() == s || k.label_zh() == s)
            .ok_or_else(|| {
                Error::invalid(
                    "status",
                    "equipment_status",
                    format!("未知的设备状态“{s}”,可选:在用、停用、报废"),
                    format!("unknown equipment status '{s}'; one of in_use, stopped, scrapped"),
                )
            })
    }
}

/// The outcome of a periodic inspection by the inspection body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InspectionResult {
    /// 合格.
    Pass,
    /// 不合格.
    Fail,
}

impl InspectionResult {
    pub fn as_str(self) -> &'static str {
        match self {
            InspectionResult::Pass => "pass",
            InspectionResult::Fail => "fail",
        }
    }

    pub fn parse(s: &str) -> Result<InspectionResult> {
        match s {
            "pass" | "合格" => Ok(InspectionResult::Pass),
            "fail" | "不合格" => Ok(InspectionResult::Fail),
            _ => Err(Error::invalid(
                "result",
                "inspection_result",
                format!("未知的检验结论“{s}”,可选:合格、不合格"),
                format!("unknown inspection result '{s}'; one of pass, fail"),
            )),
        }
    }
}

/// What needs attention about one piece of equipment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// The periodic inspection is past its due date (检验超期).
    InspectionOverdue,
    /// The periodic inspection falls due within the look-ahead (检验即将到期).
    InspectionDue,
    /// The maintenance visit is past its due date (维保超期).
    MaintenanceOverdue,
}

impl AlertKind {
    pub const ALL: [AlertKind; 3] = [
        AlertKind::InspectionOverdue,
        AlertKind::InspectionDue,
        AlertKind::MaintenanceOverdue,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::InspectionOverdue => "inspection_overdue",
            AlertKind::InspectionDue => "inspection_due",
            AlertKind::MaintenanceOverdue => "maintenance_overdue",
        }
    }

    pub fn parse(s: &str) -> Result<AlertKind> {
        AlertKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                Error::invalid(
                    "alert",
                    "alert_kind",
                    format!("未知的提醒类型“{s}”"),
                    format!(
                        "unknown alert kind '{s}'; one of inspection_overdue, inspection_due, maintenance_overdue"
                    ),
                )
            })
    }
}

/// A construction site's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SiteStatus {
    /// 未开工.
    Planned,
    /// 在建.
    Active,
    /// 停工.
    Suspended,
    /// 完工.
    Finished,
}

impl SiteStatus {
    pub const ALL: [SiteStatus; 4] = [
        SiteStatus::Planned,
        SiteStatus::Active,
        SiteStatus::Suspended,
        SiteStatus::Finished,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SiteStatus::Planned => "planned",
            SiteStatus::Active => "active",
            SiteStatus::Suspended => "suspended",
            SiteStatus::Finished => "finished",
        }
    }

    pub fn parse(s: &str) -> Result<SiteStatus> {
        SiteStatus::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                Error::invalid(
                    "status",
                    "site_status",
                    format!("未知的工地状态“{s}”"),
                    format!(
                        "unknown site status '{s}'; one of planned, active, suspended, finished"
                    ),
                )
            })
    }
}
