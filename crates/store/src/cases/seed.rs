//! The standard categories: the event classes of digital urban management
//! (市容环境, 宣传广告, 施工管理, 突发事件, 街面秩序) and what the seed pages name
//! (物业管理, 特种设备, 生态环境, 社会治安, 社会保障, 交通安全, 督办事项).
//! Codes follow the two-digit major / four-digit minor pattern; the time
//! limits are defaults a zone changes as data.

use super::categories::{Deadline, Deadlines};
use crate::ctx::Ctx;
use crate::db::Conn;
use crate::error::Result;
use crate::{audit, params};
use serde::Serialize;
use serde_json::json;
use wangge_core::auth::Permission;

struct Major {
    code: &'static str,
    zh: &'static str,
    en: &'static str,
    public: &'static str,
    deadlines: Deadlines,
    minors: &'static [Minor],
}

struct Minor {
    code: &'static str,
    zh: &'static str,
    en: &'static str,
    public: &'static str,
    confidential: bool,
    required: &'static [&'static str],
    handle: Option<Deadline>,
}

const fn m(code: &'static str, zh: &'static str, en: &'static str, public: &'static str) -> Minor {
    Minor {
        code,
        zh,
        en,
        public,
        confidential: false,
        required: &[],
        handle: None,
    }
}

const fn limits(accept_h: u32, dispatch_h: u32, handle_days: u32) -> Deadlines {
    Deadlines {
        accept: Some(Deadline {
            amount: accept_h,
            unit: super::DeadlineUnit::WorkingHours,
        }),
        dispatch: Some(Deadline {
            amount: dispatch_h,
            unit: super::DeadlineUnit::WorkingHours,
        }),
        handle: Some(Deadline {
            amount: handle_days,
            unit: super::DeadlineUnit::WorkingDays,
        }),
    }
}

/// Staff's own tasks, never offered to the public (migration 0011 marks the
/// same codes in databases seeded before the flag existed).
const INTERNAL: &[&str] = &["12", "1201", "1202"];

const SEEDS: &[Major] = &[
    Major {
        code: "01",
        zh: "市容环境",
        en: "Cityscape and sanitation",
        public: "环境卫生",
        deadlines: limits(2, 2, 2),
        minors: &[
            m("0101", "暴露垃圾", "Exposed rubbish", "垃圾没有清运"),
            m(
                "0102",
                "积存垃圾渣土",
                "Piled-up rubbish or muck",
                "垃圾渣土堆积",
            ),
            m("0103", "道路不洁", "Dirty street", "路面脏乱"),
            m(
                "0104",
                "乱堆物料",
                "Materials piled in public space",
                "乱堆乱放",
            ),
            m(
                "0105",
                "私搭乱建",
                "Unauthorised structure in public space",
                "乱搭乱建",
            ),
            m("0106", "焚烧垃圾", "Burning rubbish", "有人烧垃圾"),
            m("0107", "废弃车辆", "Abandoned vehicle", "废弃车辆"),
        ],
    },
    Major {
        code: "02",
        zh: "宣传广告",
        en: "Advertising and signs",
        public: "广告招牌",
        deadlines: limits(2, 2, 3),
        minors: &[
            m(
                "0201",
                "违规户外广告",
                "Unauthorised outdoor advertising",
                "违规广告牌",
            ),
            m(
                "0202",
                "非法小广告",
                "Flyers and graffiti",
                "乱贴乱画小广告",
            ),
            m(
                "0203",
                "占道广告牌",
                "Sign board blocking the way",
                "广告牌挡路",
            ),
            m("0204", "违规横幅标语", "Unauthorised banner", "乱挂横幅"),
        ],
    },
    Major {
        code: "03",
        zh: "施工管理",
        en: "Construction management",
        public: "施工问题",
        deadlines: limits(2, 2, 3),
        minors: &[
            m(
                "0301",
                "施工扰民",
                "Construction disturbing residents",
                "施工噪音扰民",
            ),
            m("0302", "无证施工", "Building without a permit", "无证施工"),
            m("0303", "施工占道", "Works occupying the road", "施工占路"),
            m(
                "0304",
                "渣土车遗撒",
                "Spillage from muck trucks",
                "渣土车撒漏",
            ),
        ],
    },
    Major {
        code: "04",
        zh: "突发事件",
        en: "Emergencies",
        public: "紧急情况",
        deadlines: limits(1, 1, 1),
        minors: &[
            m("0401", "路面塌陷", "Road collapse", "路面塌陷"),
            m("0402", "供水管道破裂", "Burst water main", "水管爆裂"),
            m("0403", "燃气泄漏", "Gas leak", "闻到燃气味"),
            m("0404", "消防安全隐患", "Fire hazard", "消防隐患"),
            m(
                "0405",
                "井盖缺失破损",
                "Missing or broken manhole cover",
                "井盖丢了或坏了",
            ),
        ],
    },
    Major {
        code: "05",
        zh: "街面秩序",
        en: "Street order",
        public: "街面秩序",
        deadlines: limits(2, 2, 2),
        minors: &[
            m("0501", "占道经营", "Trading on the road", "占道摆摊"),
            m("0502", "店外经营", "Trading outside the shop", "店外经营"),
            m("0503", "流动摊贩", "Mobile hawkers", "流动摊贩"),
            m("0504", "违规停车", "Illegal parking", "乱停车"),
            m("0505", "露天烧烤", "Open-air barbecue", "露天烧烤"),
        ],
    },
    Major {
        code: "06",
        zh: "物业管理",
        en: "Property management",
        public: "小区物业",
        deadlines: limits(4, 4, 5),
        minors: &[
            m(
                "0601",
                "违章搭建",
                "Illegal building work in a compound",
                "小区里私搭乱建",
            ),
            m(
                "0602",
                "电动车充电难",
                "Nowhere to charge e-bikes",
                "电动车没地方充电",
            ),
            m(
                "0603",
                "停车位规划不规范",
                "Badly planned parking spaces",
                "停车位划得不合理",
            ),
            m(
                "0604",
                "公共基础设施陈旧",
                "Worn-out shared facilities",
                "小区设施老旧损坏",
            ),
            m(
                "0605",
                "物业服务问题",
                "Property service complaint",
                "物业服务不到位",
            ),
        ],
    },
    Major {
        code: "07",
        zh: "特种设备",
        en: "Special equipment",
        public: "电梯等设备安全",
        deadlines: limits(1, 2, 3),
        minors: &[
            m(
                "0701",
                "电梯安全隐患",
                "Lift safety hazard",
                "电梯有安全隐患",
            ),
            m(
                "0702",
                "其他特种设备隐患",
                "Other special-equipment hazard",
                "锅炉等设备有隐患",
            ),
        ],
    },
    Major {
        code: "08",
        zh: "生态环境",
        en: "Environment",
        public: "环境污染",
        deadlines: limits(2, 2, 5),
        minors: &[
            m("0801", "扬尘", "Dust", "扬尘污染"),
            m(
                "0802",
                "黑臭水体",
                "Black and odorous water",
                "河沟发黑发臭",
            ),
            Minor {
                required: &["project_name"],
                ..m(
                    "0803",
                    "建设工地管理",
                    "Construction-site management (six 100% rules)",
                    "工地扬尘防治不到位",
                )
            },
        ],
    },
    Major {
        code: "09",
        zh: "社会治安",
        en: "Public order",
        public: "治安问题",
        deadlines: limits(2, 2, 10),
        minors: &[
            Minor {
                confidential: true,
                handle: Some(Deadline::days(15)),
                ..m(
                    "0901",
                    "扫黑除恶线索",
                    "Organised-crime tip",
                    "涉黑涉恶线索举报",
                )
            },
            m("0902", "治安隐患", "Public-order hazard", "治安隐患"),
        ],
    },
    Major {
        code: "10",
        zh: "社会保障",
        en: "Social security",
        public: "社保问题",
        deadlines: limits(4, 4, 10),
        minors: &[
            Minor {
                confidential: true,
                handle: Some(Deadline::days(15)),
                ..m(
                    "1001",
                    "养老金冒领举报",
                    "Pension fraud tip",
                    "冒领养老金举报",
                )
            },
            m(
                "1002",
                "社保待遇问题",
                "Social-insurance benefit problem",
                "社保待遇问题",
            ),
        ],
    },
    Major {
        code: "11",
        zh: "交通安全",
        en: "Traffic safety",
        public: "交通安全",
        deadlines: limits(2, 2, 3),
        minors: &[
            m(
                "1101",
                "交通设施损坏",
                "Damaged traffic facility",
                "红绿灯、标志等损坏",
            ),
            m(
                "1102",
                "交通安全隐患",
                "Traffic-safety hazard",
                "交通安全隐患",
            ),
        ],
    },
    Major {
        code: "12",
        zh: "督办事项",
        en: "Supervised tasks",
        public: "督办事项",
        deadlines: limits(4, 4, 10),
        minors: &[
            Minor {
                required: &["meeting"],
                ..m(
                    "1201",
                    "会议交办重点任务",
                    "Key task assigned by a meeting",
                    "会议交办事项",
                )
            },
            m(
                "1202",
                "上级交办事项",
                "Task assigned from above",
                "上级交办事项",
            ),
        ],
    },
    Major {
        code: "99",
        zh: "其他",
        en: "Other",
        public: "其他问题",
        deadlines: limits(2, 2, 5),
        minors: &[m("9901", "其他问题", "Other problem", "其他问题")],
    },
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SeedReport {
    pub created: i64,
    /// Categories already there, left as they were (a zone may have changed them).
    pub existing: i64,
}

/// Adds the standard categories that are missing; those already present are
/// left alone, so running it again changes nothing.
pub fn seed_categories(c: &mut dyn Conn, ctx: &Ctx) -> Result<SeedReport> {
    ctx.require(Permission::UsersManage)?;
    super::lock_audit_chain(c)?;
    let now = ctx.now_ms();
    let mut report = SeedReport {
        created: 0,
        existing: 0,
    };
    let mut insert = |c: &mut dyn Conn,
                      code: &str,
                      parent: Option<i64>,
                      names: (&str, &str, &str),
                      confidential: bool,
                      required: &[&str],
                      deadlines: &Deadlines|
     -> Result<i64> {
        // Looked up first rather than ON CONFLICT DO NOTHING: an ignored insert
        // still advances the id sequence, and a second seed must change nothing.
        let found = c.query_opt(
            "SELECT id FROM case_categories WHERE code = $1",
            params![code],
        )?;
        if let Some(r) = found {
            report.existing += 1;
            return r.get(0);
        }
        report.created += 1;
        c.query_one(
            "INSERT INTO case_categories (code, parent_id, name_zh, name_en, public_name, confidential,
                required_fields, deadlines, active, created_at, updated_at, internal)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $9, $10) RETURNING id",
            params![
                code,
                parent,
                names.0,
                names.1,
                names.2,
                confidential,
                super::to_json(&required)?,
                super::to_json(deadlines)?,
                now,
                INTERNAL.contains(&code)
            ],
        )?
        .get(0)
    };
    for major in SEEDS {
        let id = insert(
            c,
            major.code,
            None,
            (major.zh, major.en, major.public),
            false,
            &[],
            &major.deadlines,
        )?;
        for minor in major.minors {
            let own = Deadlines {
                handle: minor.handle,
                ..Deadlines::default()
            };
            insert(
                c,
                minor.code,
                Some(id),
                (minor.zh, minor.en, minor.public),
                minor.confidential,
                minor.required,
                &own,
            )?;
        }
    }
    if report.created > 0 {
        audit::record(
            c,
            ctx,
            "case_category",
            0,
            "seed",
            json!({"created": report.created}),
        )?;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_codes_follow_the_pattern() {
        let mut seen = std::collections::HashSet::new();
        for major in SEEDS {
            assert_eq!(major.code.len(), 2);
            assert!(seen.insert(major.code));
            for minor in major.minors {
                assert!(minor.code.starts_with(major.code) && minor.code.len() == 4);
                assert!(seen.insert(minor.code), "{}", minor.code);
            }
        }
        let confidential: Vec<&str> = SEEDS
            .iter()
            .flat_map(|m| m.minors.iter())
            .filter(|m| m.confidential)
            .map(|m| m.zh)
            .collect();
        assert_eq!(confidential, ["扫黑除恶线索", "养老金冒领举报"]);
    }
}
