//! The case, equipment, construction-site and audit lists' filters from the
//! command line, read and checked like the API's query parameters.

use super::ExportArgs;
use anyhow::{bail, Context};
use wangge_core::cases::CaseState;
use wangge_core::equipment::{AlertKind, EquipmentKind, EquipmentStatus};
use wangge_store::audit::Filter as AuditFilter;
use wangge_store::cases::{ListFilter, Order, Source};
use wangge_store::equipment::ListFilter as EquipmentFilter;
use wangge_store::registry::Registry;

/// The case list's filter from the command line, checked like the API's.
pub(super) fn case_filter(a: &ExportArgs) -> anyhow::Result<ListFilter> {
    if a.filter_kind.is_some() || a.q.is_some() {
        bail!("事件导出不支持 --filter-kind 和 --q / case exports take --state, --category, --unit, --overdue, --source, --confidential, --text");
    }
    let states = a
        .state
        .iter()
        .map(|s| CaseState::parse(s.trim()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ListFilter {
        states,
        category: a.category.clone(),
        unit: a.unit.clone(),
        overdue: a.overdue.then_some(true),
        source: a.source.as_deref().map(Source::parse).transpose()?,
        confidential: a.confidential,
        text: a.text.clone(),
        order: Order::Due,
    })
}

/// The equipment list's filter from the command line.
pub(super) fn equipment_filter(a: &ExportArgs) -> anyhow::Result<EquipmentFilter> {
    if a.q.is_some() {
        bail!("特种设备导出不支持 --q / equipment exports take --unit, --filter-kind, --status, --alert");
    }
    Ok(EquipmentFilter {
        unit: a.unit.clone(),
        kind: a
            .filter_kind
            .as_deref()
            .map(EquipmentKind::parse)
            .transpose()?,
        status: a
            .status
            .as_deref()
            .map(EquipmentStatus::parse)
            .transpose()?,
        alert: a.alert.as_deref().map(AlertKind::parse).transpose()?,
        within_days: None,
    })
}

/// A declared registry's filter from the command line: `--unit`, `--status`
/// and `--filter-kind` (its `kind`); one the registry's filter does not have
/// is refused by it, with the names it has.
pub(super) fn record_filter<R: Registry>(a: &ExportArgs) -> anyhow::Result<R::Filter> {
    if a.q.is_some() {
        bail!(
            "{}导出不支持 --q / {} exports take no --q",
            R::META.list.0,
            R::META.list.1
        );
    }
    let mut given = serde_json::Map::new();
    if let Some(u) = &a.unit {
        given.insert("unit".into(), u.clone().into());
    }
    if let Some(s) = &a.status {
        given.insert("status".into(), s.trim().into());
    }
    if let Some(k) = &a.filter_kind {
        given.insert("kind".into(), k.trim().into());
    }
    serde_json::from_value(given.into()).with_context(|| {
        format!(
            "{}导出的筛选条件无效 / not a filter of the {} export",
            R::META.list.0,
            R::META.list.1
        )
    })
}

/// The audit log's filter from the command line: the whole log, newest first,
/// unless narrowed.
pub(super) fn audit_filter(a: &ExportArgs) -> anyhow::Result<AuditFilter> {
    if a.unit.is_some() || a.q.is_some() || a.filter_kind.is_some() {
        bail!("审计日志导出不支持 --unit、--q、--filter-kind / audit-log exports take --actor, --entity, --action");
    }
    let given = |v: &Option<String>| {
        v.as_ref()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    Ok(AuditFilter {
        actor: given(&a.actor),
        entity: given(&a.entity),
        entity_id: None,
        action: given(&a.action),
        before: None,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use clap::Parser;
    use wangge_core::equipment::SiteStatus;
    use wangge_core::organisations::OrgKind;
    use wangge_store::equipment::Site;
    use wangge_store::organisations::Organisation;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        export: ExportArgs,
    }

    fn args(line: &[&str]) -> ExportArgs {
        let mut argv = vec!["wangge"];
        argv.extend_from_slice(line);
        Cli::try_parse_from(argv).unwrap().export
    }

    #[test]
    fn case_filters_are_read_like_the_lists() {
        let a = args(&[
            "cases",
            "--out",
            "c.xlsx",
            "--state",
            "reported",
            "--state",
            "accepted",
            "--overdue",
            "--source",
            "hotline",
            "--unit",
            "371799001",
            "--confidential",
            "false",
        ]);
        let f = case_filter(&a).unwrap();
        assert_eq!(f.states, [CaseState::Reported, CaseState::Accepted]);
        assert_eq!(
            (f.overdue, f.source, f.confidential, f.unit.as_deref()),
            (
                Some(true),
                Some(Source::Hotline),
                Some(false),
                Some("371799001")
            )
        );
        let e = case_filter(&args(&["cases", "--out", "c.csv", "--state", "lost"])).unwrap_err();
        assert!(e.to_string().contains("lost"), "{e}");
        let e = case_filter(&args(&["cases", "--out", "c.csv", "--source", "fax"])).unwrap_err();
        assert!(e.to_string().contains("fax"), "{e}");
        assert!(case_filter(&args(&["cases", "--out", "c.csv", "--q", "x"])).is_err());
    }

    #[test]
    fn equipment_filters_are_read_like_the_list() {
        let a = args(&[
            "equipment",
            "--out",
            "e.xlsx",
            "--filter-kind",
            "elevator",
            "--status",
            "in_use",
            "--alert",
            "inspection_overdue",
            "--unit",
            "371799001",
        ]);
        let f = equipment_filter(&a).unwrap();
        assert_eq!(
            (f.kind, f.status, f.alert, f.unit.as_deref()),
            (
                Some(EquipmentKind::Elevator),
                Some(EquipmentStatus::InUse),
                Some(AlertKind::InspectionOverdue),
                Some("371799001")
            )
        );
        let e = equipment_filter(&args(&["equipment", "--out", "e.csv", "--alert", "rust"]))
            .unwrap_err();
        assert!(e.to_string().contains("rust"), "{e}");
        assert!(equipment_filter(&args(&["equipment", "--out", "e.csv", "--q", "x"])).is_err());
    }

    #[test]
    fn site_and_audit_filters_are_read_like_the_lists() {
        let f = record_filter::<Site>(&args(&[
            "construction-sites",
            "--out",
            "s.csv",
            "--status",
            "suspended",
            "--unit",
            "371799001",
        ]))
        .unwrap();
        assert_eq!(
            (f.status, f.unit.as_deref()),
            (Some(SiteStatus::Suspended), Some("371799001"))
        );
        let e = record_filter::<Site>(&args(&["sites", "--out", "s.csv", "--status", "in_use"]))
            .unwrap_err();
        assert!(format!("{e:#}").contains("in_use"), "{e:#}");
        let f = audit_filter(&args(&[
            "audit", "--out", "a.xlsx", "--actor", "admin", "--action", " ",
        ]))
        .unwrap();
        assert_eq!((f.actor.as_deref(), f.action), (Some("admin"), None));
        assert!(audit_filter(&args(&["audit", "--out", "a.xlsx", "--unit", "371799"])).is_err());
    }

    #[test]
    fn organisation_filters_take_the_kind_and_sites_refuse_it() {
        let f = record_filter::<Organisation>(&args(&[
            "organisations",
            "--out",
            "o.csv",
            "--filter-kind",
            "party_branch",
            "--unit",
            "371799001",
        ]))
        .unwrap();
        assert_eq!(
            (f.kind, f.unit.as_deref(), f.parent_org_id),
            (Some(OrgKind::PartyBranch), Some("371799001"), None)
        );
        let e = record_filter::<Organisation>(&args(&[
            "organisations",
            "--out",
            "o.csv",
            "--filter-kind",
            "club",
        ]))
        .unwrap_err();
        assert!(format!("{e:#}").contains("club"), "{e:#}");
        for bad in [
            &["organisations", "--out", "o.csv", "--status", "active"][..],
            &["organisations", "--out", "o.csv", "--q", "x"][..],
        ] {
            assert!(
                record_filter::<Organisation>(&args(bad)).is_err(),
                "{bad:?}"
            );
        }
        let e = record_filter::<Site>(&args(&[
            "sites",
            "--out",
            "s.csv",
            "--filter-kind",
            "enterprise",
        ]))
        .unwrap_err();
        assert!(format!("{e:#}").contains("kind"), "{e:#}");
    }
}
