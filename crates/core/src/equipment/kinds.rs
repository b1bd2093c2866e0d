//! The named values of the registries: kinds, statuses, inspection results
//! and alert kinds, each with its stable code and Chinese label.

crate::wire_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum EquipmentKind {
        /// 电梯.
        Elevator => "elevator",
        /// 自动扶梯.
        Escalator => "escalator",
    }
    parse: Noun::new("kind", "equipment_kind", "设备种类", "equipment kind")
        .listed_by_label(EquipmentKind::label_zh);
}

impl EquipmentKind {
    pub fn label_zh(self) -> &'static str {
        match self {
            EquipmentKind::Elevator => "电梯",
            EquipmentKind::Escalator => "自动扶梯",
        }
    }
}

crate::wire_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum EquipmentStatus {
        /// 在用.
        InUse => "in_use",
        /// 停用.
        Stopped => "stopped",
        /// 报废: final.
        Scrapped => "scrapped",
    }
    parse: Noun::new("status", "equipment_status", "设备状态", "equipment status")
        .listed_by_label(EquipmentStatus::label_zh);
}

impl EquipmentStatus {
    pub fn label_zh(self) -> &'static str {
        match self {
            EquipmentStatus::InUse => "在用",
            EquipmentStatus::Stopped => "停用",
            EquipmentStatus::Scrapped => "报废",
        }
    }
}

crate::wire_enum! {
    /// The outcome of a periodic inspection by the inspection body.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum InspectionResult {
        /// 合格.
        Pass => "pass",
        /// 不合格.
        Fail => "fail",
    }
    parse: Noun::new("result", "inspection_result", "检验结论", "inspection result")
        .listed_by_label(InspectionResult::label_zh);
}

impl InspectionResult {
    pub fn label_zh(self) -> &'static str {
        match self {
            InspectionResult::Pass => "合格",
            InspectionResult::Fail => "不合格",
        }
    }
}

crate::wire_enum! {
    /// What needs attention about one piece of equipment.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum AlertKind {
        /// The periodic inspection is past its due date (检验超期).
        InspectionOverdue => "inspection_overdue",
        /// The periodic inspection falls due within the look-ahead (检验即将到期).
        InspectionDue => "inspection_due",
        /// The maintenance visit is past its due date (维保超期).
        MaintenanceOverdue => "maintenance_overdue",
    }
    parse: Noun::new("alert", "alert_kind", "提醒类型", "alert kind").listed_in_english();
}

crate::wire_enum! {
    /// A construction site's state.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum SiteStatus {
        /// 未开工.
        Planned => "planned",
        /// 在建.
        Active => "active",
        /// 停工.
        Suspended => "suspended",
        /// 完工.
        Finished => "finished",
    }
    parse: Noun::new("status", "site_status", "工地状态", "site status").listed_in_english();
}
