//! The checklists the seeds describe: the market-supervision bureau's elevator
//! hazard investigation of use units (登记检验、维保、管理制度、日常维护、
//! “双体系”、安全技术档案) and the construction-site dust-control rules
//! (建设工地七个百分百制度).

use super::{Item, ItemKind, Section, Severity, TemplateBody};

pub const ELEVATOR_USE_UNIT: &str = "elevator-use-unit";
pub const DUST_CONTROL: &str = "site-dust-control";

fn yes(code: &str, text: &str, severity: Severity) -> Item {
    Item {
        code: code.to_string(),
        text: text.to_string(),
        kind: ItemKind::YesNo,
        required: true,
        pass_when: None,
        choices: Vec::new(),
        fail_choices: Vec::new(),
        min: None,
        max: None,
        pass_min: None,
        pass_max: None,
        unit: None,
        severity,
        category: None,
        points: None,
    }
}

fn section(title: &str, items: Vec<Item>) -> Section {
    Section {
        title: title.to_string(),
        items,
    }
}

fn elevator() -> TemplateBody {
    use Severity::*;
    let interval = Item {
        kind: ItemKind::Number,
        min: Some(0.0),
        max: Some(366.0),
        pass_max: Some(15.0),
        unit: Some("天".into()),
        ..yes("maint_interval", "最近两次维护保养间隔", Serious)
    };
    let photo = Item {
        kind: ItemKind::Photo,
        required: false,
        ..yes("site_photo", "现场照片", General)
    };
    let remark = Item {
        kind: ItemKind::Text,
        required: false,
        ..yes("remark", "其他情况说明", General)
    };
    TemplateBody {
        code: ELEVATOR_USE_UNIT.into(),
        name: "电梯使用单位安全隐患排查表".into(),
        description: Some(
            "特种设备使用单位电梯安全隐患排查:登记检验、维保、管理制度、日常维护、双体系、安全技术档案、应急救援"
                .into(),
        ),
        category: Some("0701".into()),
        sections: vec![
            section(
                "使用登记与定期检验",
                vec![
                    yes("reg_certificate", "电梯已办理使用登记,登记证与设备相符", Major),
                    yes("inspection_valid", "定期检验合格且在有效期内", Major),
                    yes("inspection_mark", "检验合格标志张贴于轿厢显著位置", General),
                ],
            ),
            section(
                "维护保养",
                vec![
                    yes("maint_contract", "与取得许可的维保单位签订维保合同", Serious),
                    interval,
                    yes("maint_records", "维保记录完整,有维保人员和使用单位签字", General),
                    yes("maint_staff_cert", "维保人员持证上岗", Serious),
                ],
            ),
            section(
                "安全管理制度",
                vec![
                    yes("safety_officer", "配备持证的电梯安全管理员", Serious),
                    yes("rules_in_place", "制定电梯安全管理制度和岗位责任制", General),
                    yes("rules_posted", "乘梯须知、警示标志张贴齐全", General),
                ],
            ),
            section(
                "日常维护与巡查",
                vec![
                    yes("daily_checks", "开展日常巡查并有记录", General),
                    yes("alarm_works", "轿厢紧急报警装置有效,能与值班室通话", Major),
                    yes("machine_room", "机房整洁、门锁完好,无杂物堆放", General),
                ],
            ),
            section(
                "双体系(风险分级管控与隐患排查治理)",
                vec![
                    yes("risk_grading", "建立风险分级管控清单并落实管控措施", Serious),
                    yes("hazard_ledger", "建立隐患排查治理台账,隐患整改闭环", Serious),
                ],
            ),
            section(
                "安全技术档案",
                vec![
                    yes("tech_file", "建立电梯安全技术档案(出厂资料、安装、改造、检验、维保记录)", General),
                ],
            ),
            section(
                "应急救援",
                vec![
                    yes("emergency_plan", "制定电梯困人应急预案", Serious),
                    yes("emergency_drill", "每年至少开展一次应急演练", General),
                    photo,
                    remark,
                ],
            ),
        ],
        pass_mark: None,
    }
}

fn dust() -> TemplateBody {
    use Severity::*;
    let rule = |code: &str, text: &str| yes(code, text, Serious);
    TemplateBody {
        code: DUST_CONTROL.into(),
        name: "建设工地扬尘防治检查表(七个百分百)".into(),
        description: Some("落实建设工地七个百分百制度".into()),
        category: Some("0803".into()),
        sections: vec![section(
            "七个百分百",
            vec![
                rule("fence", "施工工地周边100%围挡"),
                rule("cover", "物料堆放100%覆盖"),
                rule("wash", "出入车辆100%冲洗"),
                rule("harden", "施工现场地面100%硬化"),
                rule("wet", "拆迁工地100%湿法作业"),
                rule("sealed_transport", "渣土车辆100%密闭运输"),
                rule("monitoring", "施工现场100%安装在线监测和视频监控"),
            ],
        )],
        pass_mark: None,
    }
}

/// The built-in templates, version 1 of each.
pub fn seed_templates() -> Vec<TemplateBody> {
    vec![elevator(), dust()]
}
