//! The seeds' elevator hazard investigation: the zone's market-supervision
//! bureau engaged a third-party expert firm, which checked 6 crowded places
//! (人员密集场所) and 20 large compounds (大型小区), handed problem lists to
//! the units with findings, and the local market-supervision office (辖区
//! 市场监管所) supervises rectification. Some findings are rectified (the
//! responsible organisation reports back with a photo, a re-inspection
//! verifies and closes the case), the rest are still open.
//!
//! Everything goes through the engine's own functions: the plan through
//! `inspections::create_plan`, records through `submit_record`, and every case
//! step through the case engine.

use super::SplitMix64;
use std::collections::BTreeMap;
use std::path::PathBuf;
use wangge_core::auth::Role;
use wangge_core::cases::{Action, CaseState, Command};
use wangge_core::inspections::{seed_templates, Answer, AnswerValue, ItemKind, ELEVATOR_USE_UNIT};
use wangge_core::organisations::OrgKind;
use wangge_store::attachments::{self, AttachmentStore, Owner};
use wangge_store::cases::{self, Config};
use wangge_store::ctx::Ctx;
use wangge_store::db::{Backend, Conn};
use wangge_store::error::{Error, Result};
use wangge_store::inspections::{
    self as insp, NewPlan, NewRecord, SetOffice, TargetFilter, TargetKind,
};
use wangge_store::organisations::{NewOrganisation, Organisation};
use wangge_store::params;
use wangge_store::registry;

const BUREAU: &str = "菏泽开发区市场监督管理局";
const FIRM: &str = "菏泽华检特种设备检测技术服务有限公司";
/// The expert who signs the records (not an account).
const EXPERT: &str = "华检专家组";
/// Crowded places: the seeds' commercial centre groups, plus a hospital and a
/// school the demo adds (the seeds name none).
const CROWDED: [(&str, Option<&str>); 6] = [
    ("银座商城", None),
    ("茂业百货", None),
    ("新苏天美", None),
    ("和平大酒店", None),
    ("菏泽开发区人民医院", Some("丹阳街道")),
    ("菏泽开发区佃户屯中学", Some("佃户屯街道")),
];
const COMPOUNDS: usize = 20;
/// Items a finding may be on, the ones the seed page names.
const FAILABLE: [&str; 9] = [
    "inspection_valid",
    "inspection_mark",
    "maint_interval",
    "maint_records",
    "safety_officer",
    "rules_posted",
    "daily_checks",
    "risk_grading",
    "tech_file",
];

fn org_id(c: &mut dyn Conn, name: &str) -> Result<Option<i64>> {
    c.query_opt(
        "SELECT id FROM organisations WHERE name = $1 ORDER BY id LIMIT 1",
        params![name],
    )?
    .map(|r| r.get(0))
    .transpose()
}

fn unit_code(c: &mut dyn Conn, name: &str) -> Result<String> {
    c.query_opt(
        "SELECT code FROM units WHERE name = $1 ORDER BY id LIMIT 1",
        params![name],
    )?
    .ok_or_else(|| Error::Db(format!("demo: no unit {name}")))?
    .get(0)
}

fn ensure_org(c: &mut dyn Conn, ctx: &Ctx, name: &str, kind: OrgKind, unit: &str) -> Result<i64> {
    if let Some(id) = org_id(c, name)? {
        return Ok(id);
    }
    let unit = unit_code(c, unit)?;
    Ok(registry::create::<Organisation>(
        c,
        ctx,
        NewOrganisation {
            name: name.into(),
            kind,
            unit,
            parent_org_id: None,
            credit_code: None,
        },
    )?
    .id)
}

/// Where the server keeps uploads by default (`attachments::default_dir`):
/// beside a SQLite file; `None` for PostgreSQL, whose demo then leaves the
/// findings with the departments (no photo can be put where the server looks).
pub(super) fn files_dir(c: &mut dyn Conn) -> Result<Option<PathBuf>> {
    if c.backend() != Backend::Sqlite {
        return Ok(None);
    }
    let rows = c.query("PRAGMA database_list", &[])?;
    for r in rows {
        if r.get::<String>(1)? == "main" {
            let file: String = r.get(2)?;
            if !file.is_empty() {
                return Ok(Some(PathBuf::from(format!("{file}.files"))));
            }
        }
    }
    Ok(None)
}

/// A small photo standing for the department's evidence of rectification.
pub(super) fn evidence_png(shade: u8) -> Result<Vec<u8>> {
    let img = image::RgbImage::from_fn(96, 64, |x, y| {
        image::Rgb([shade, (x * 2) as u8, (y * 3) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| Error::Db(format!("demo: cannot make a photo: {e}")))?;
    Ok(out.into_inner())
}

fn answers(failing: &[&str]) -> BTreeMap<String, Answer> {
    let t = seed_templates().remove(0);
    t.items()
        .filter(|(_, i)| i.required)
        .map(|(_, i)| {
            let bad = failing.contains(&i.code.as_str());
            let value = match i.kind {
                ItemKind::Number => AnswerValue::Number(if bad { 28.0 } else { 14.0 }),
                _ => AnswerValue::Bool(!bad),
            };
            let note = bad.then(|| match i.code.as_str() {
                "maint_interval" => "维保间隔超过15天,最近一次维保记录为28天前".to_string(),
                "inspection_valid" => "3号梯定期检验已过期".to_string(),
                "safety_officer" => "未配备持证电梯安全管理员".to_string(),
                "risk_grading" => "未建立风险分级管控清单".to_string(),
                _ => format!("{}:不符合", i.text),
            });
            (i.code.clone(), Answer { value, note })
        })
        .collect()
}

/// Adds the investigation (once: a second call finds the plan and stops).
pub(super) fn seed(c: &mut dyn Conn, ctx: &Ctx, seed: u64) -> Result<()> {
    cases::seed_categories(c, ctx)?;
    insp::seed_templates(c, ctx)?;
    if c.query_opt(
        "SELECT id FROM inspection_plans WHERE created_by = $1",
        params![ctx.actor.as_str()],
    )?
    .is_some()
    {
        return Ok(());
    }
    let cfg = Config::default();
    let bureau = org_id(c, BUREAU)?.ok_or_else(|| Error::Db("demo: no bureau".into()))?;
    let zone = super::ZONE_CODE;
    let firm = ensure_org(c, ctx, FIRM, OrgKind::Enterprise, super::names::ZONE)?;
    let mut places = Vec::new();
    for (name, street) in CROWDED {
        places.push(match street {
            Some(s) => ensure_org(c, ctx, name, OrgKind::SocialOrganisation, s)?,
            None => org_id(c, name)?.ok_or_else(|| Error::Db(format!("demo: no {name}")))?,
        });
    }
    // The 20 largest compounds (most buildings).
    let rows = c.query(
        "SELECT k.code, k.path FROM units k WHERE k.kind = 'compound'
         ORDER BY (SELECT COUNT(*) FROM units b WHERE b.parent_id = k.id) DESC, k.path LIMIT $1",
        params![COMPOUNDS as i64],
    )?;
    let compounds = rows
        .iter()
        .map(|r| r.get::<String>(0))
        .collect::<Result<Vec<_>>>()?;
    // Each street's market-supervision office supervises the findings in its
    // street (属地监管); places registered at the zone fall to the bureau.
    let offices = c.query(
        "SELECT u.code, o.id FROM organisations o JOIN units u ON u.id = o.unit_id
         WHERE u.kind = 'street' AND o.name = u.name || '市场监管所' ORDER BY u.path",
        params![],
    )?;
    for r in &offices {
        insp::set_office(
            c,
            ctx,
            SetOffice {
                issuing_org_id: bureau,
                unit: r.get(0)?,
                office_org_id: r.get(1)?,
            },
        )?;
    }
    let due = ctx.today() + time::Duration::days(30);
    let plan = insp::create_plan(
        c,
        ctx,
        NewPlan {
            name: "人员密集场所和大型小区电梯安全隐患排查".into(),
            template: ELEVATOR_USE_UNIT.into(),
            template_version: None,
            unit: zone.into(),
            issuing_org_id: bureau,
            supervising_org_id: Some(bureau),
            inspector_org_id: Some(firm),
            inspectors: Vec::new(),
            due_date: due.to_string(),
            recurrence: None,
            recurrence_days: None,
            targets: vec![
                TargetFilter {
                    kind: TargetKind::Organisation,
                    group: "人员密集场所".into(),
                    under: None,
                    unit_kind: None,
                    codes: Vec::new(),
                    org_kind: None,
                    ids: places,
                },
                TargetFilter {
                    kind: TargetKind::Unit,
                    group: "大型小区".into(),
                    under: None,
                    unit_kind: None,
                    codes: compounds,
                    org_kind: None,
                    ids: Vec::new(),
                },
            ],
        },
    )?;
    let targets = insp::list_targets(c, ctx, plan.id)?;
    let mut expert = ctx.clone();
    expert.actor = EXPERT.into();
    let files = files_dir(c)?.map(|d| AttachmentStore::new(d, ctx.shared_keys()));
    let mut rng = SplitMix64::new(seed ^ 0x0e1e_7a70);
    for (i, t) in targets.iter().enumerate() {
        // About three in four places have something to put right.
        let n = match rng.next_u64() % 8 {
            0 | 1 => 0,
            2..=4 => 1,
            5 | 6 => 2,
            _ => 3,
        };
        let mut failing: Vec<&str> = Vec::new();
        while failing.len() < n {
            let item = FAILABLE[(rng.next_u64() % FAILABLE.len() as u64) as usize];
            if !failing.contains(&item) {
                failing.push(item);
            }
        }
        let visited = ctx.now - time::Duration::hours(2 * (targets.len() - i) as i64);
        let s = insp::submit_record(
            c,
            &expert,
            &cfg,
            NewRecord {
                plan_id: plan.id,
                target_id: t.id,
                record_key: format!("demo-{}-1", t.id),
                template_version: plan.template_version,
                recorded_at: visited,
                answers: answers(&failing),
                lat: None,
                lon: None,
                note: None,
                scores: Default::default(),
            },
        )?;
        // Every other place with findings has rectified: its organisation
        // reports back with a photo and the experts' re-inspection closes it.
        let Some(files) = &files else { continue };
        if failing.is_empty() || i % 2 == 1 {
            continue;
        }
        for f in &s.record.findings {
            let Some(case_id) = f.case_id else { continue };
            let case = cases::get(c, ctx, case_id)?;
            let (Some(lead), CaseState::Dispatched) = (case.lead_org, case.state) else {
                continue;
            };
            let stored = files.put(
                &evidence_png((case_id % 200) as u8)?,
                "整改照片.png",
                "image/png",
            )?;
            let photo = attachments::record(c, ctx, &stored)?;
            attachments::link(c, ctx, &[photo.id], &Owner::case(case_id))?;
            let mut dept = ctx.clone();
            dept.role = Some(Role::DeptHandler);
            dept.org_id = Some(lead);
            let mut handle = Command::new(Action::Handle).evidence(&[photo.id]);
            handle.note = Some("已整改完毕,附整改照片".into());
            cases::transition(c, &dept, &cfg, case_id, None, handle)?;
        }
        insp::submit_record(
            c,
            &expert,
            &cfg,
            NewRecord {
                plan_id: plan.id,
                target_id: t.id,
                record_key: format!("demo-{}-2", t.id),
                template_version: plan.template_version,
                recorded_at: ctx.now,
                answers: answers(&[]),
                lat: None,
                lon: None,
                note: Some("复查".into()),
                scores: Default::default(),
            },
        )?;
    }
    Ok(())
}
