//! Organisations on the registry engine: a patch that changes nothing writes
//! nothing, a taken credit code is the engine's conflict, and the export
//! names each organisation's place and parent as the import template reads
//! them. Both backends.

use crate::cases_fixture::at;
use crate::common::*;
use crate::transfer_lists::{exports_audited, info, read, xlsx, TempDir};
use time::Duration;
use wangge_core::organisations::OrgKind;
use wangge_store::organisations::{NewOrganisation, OrgFilter, Organisation, OrganisationPatch};
use wangge_store::registry::{self, Registry};
use wangge_store::transfer::{self, Kind};
use wangge_store::{Ctx, Result};

fn org(name: &str, kind: OrgKind, unit: &str) -> NewOrganisation {
    NewOrganisation {
        name: name.to_string(),
        kind,
        unit: unit.to_string(),
        parent_org_id: None,
        credit_code: None,
    }
}

async fn create(ts: &Env, new: NewOrganisation) -> Result<Organisation> {
    let ctx = ts.ctx();
    ts.db
        .write(move |c| registry::create::<Organisation>(c, &ctx, new))
        .await
}

async fn patch(ts: &Env, ctx: &Ctx, id: i64, p: OrganisationPatch) -> Result<Organisation> {
    let ctx = ctx.clone();
    ts.db
        .write(move |c| registry::update::<Organisation>(c, &ctx, id, p))
        .await
}

#[test]
fn a_patch_of_the_current_values_writes_nothing() {
    on_each_backend(|ts| async move {
        let t = small_tree(&ts).await;
        let code = credit_code("91371700MA3C4PQR1");
        let o = create(
            &ts,
            NewOrganisation {
                credit_code: Some(code.clone()),
                ..org("华英物业", OrgKind::PropertyCompany, &t.compound_a.code)
            },
        )
        .await
        .unwrap();
        let later = at(&ts.ctx(), NOW + Duration::days(1));
        let before = snapshot(&ts).await;
        // The same values, the code in lower case (stored upper-case).
        let same = patch(
            &ts,
            &later,
            o.id,
            OrganisationPatch {
                name: Some("华英物业".into()),
                credit_code: Some(code.to_lowercase()),
            },
        )
        .await
        .unwrap();
        assert_eq!(same.updated_at, o.updated_at);
        unchanged(&before, &snapshot(&ts).await);
        let actions: Vec<String> = audit_of(&ts, "organisation", o.id)
            .await
            .into_iter()
            .map(|a| a.1)
            .collect();
        assert_eq!(actions, ["create"]);

        // A real change is written, its time kept, and only it audited.
        let renamed = patch(
            &ts,
            &later,
            o.id,
            OrganisationPatch {
                name: Some("华英物业服务中心".into()),
                credit_code: Some(code.clone()),
            },
        )
        .await
        .unwrap();
        assert_eq!(renamed.name, "华英物业服务中心");
        assert_eq!(renamed.updated_at, later.now);
        assert_eq!(renamed.created_at, o.created_at);
        let audit = audit_of(&ts, "organisation", o.id).await;
        assert_eq!(audit.len(), 2);
        let detail: serde_json::Value = serde_json::from_str(&audit[1].2).unwrap();
        assert_eq!(audit[1].1, "update");
        assert_eq!(detail["fields"], serde_json::json!(["name"]));
        // The create entry still names the kind and the unit.
        let created: serde_json::Value = serde_json::from_str(&audit[0].2).unwrap();
        assert_eq!(created["kind"], "property_company");
        assert_eq!(created["unit"], t.compound_a.code.as_str());
    });
}

#[test]
fn a_taken_credit_code_is_a_conflict_on_create_and_on_patch() {
    on_each_backend(|ts| async move {
        let t = small_tree(&ts).await;
        let (x, y) = (
            credit_code("91371700MA3C4PQR1"),
            credit_code("91371700MA3C4PQR2"),
        );
        let a = create(
            &ts,
            NewOrganisation {
                credit_code: Some(x.clone()),
                ..org("甲公司", OrgKind::Enterprise, &t.street.code)
            },
        )
        .await
        .unwrap();
        let b = create(
            &ts,
            NewOrganisation {
                credit_code: Some(y.clone()),
                ..org("乙公司", OrgKind::Enterprise, &t.comm_b.code)
            },
        )
        .await
        .unwrap();
        let before = snapshot(&ts).await;
        let e = refused(
            patch(
                &ts,
                &ts.ctx(),
                b.id,
                OrganisationPatch {
                    credit_code: Some(x.to_lowercase()),
                    ..Default::default()
                },
            )
            .await,
            "credit_code_taken",
        );
        assert!(!messages(&e).contains("甲公司"), "names no one: {e:?}");
        refused(
            create(
                &ts,
                NewOrganisation {
                    credit_code: Some(x.clone()),
                    ..org("丙公司", OrgKind::Enterprise, &t.comm_a.code)
                },
            )
            .await,
            "credit_code_taken",
        );
        unchanged(&before, &snapshot(&ts).await);

        // Once "" clears a code, another organisation may take it.
        let cleared = patch(
            &ts,
            &ts.ctx(),
            a.id,
            OrganisationPatch {
                credit_code: Some(String::new()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(cleared.credit_code, None);
        let c = create(
            &ts,
            NewOrganisation {
                credit_code: Some(x.clone()),
                ..org("丙公司", OrgKind::Enterprise, &t.comm_a.code)
            },
        )
        .await
        .unwrap();
        assert_eq!(c.credit_code.as_deref(), Some(x.as_str()));
    });
}

#[test]
fn the_export_names_each_place_and_parent_as_the_template_reads_them() {
    on_each_backend(|ts| async move {
        let t = small_tree(&ts).await;
        let committee = create(
            &ts,
            org("广州路社区党委", OrgKind::PartyCommittee, &t.comm_a.code),
        )
        .await
        .unwrap();
        let placed = [
            ("华英小区党支部", OrgKind::PartyBranch, &t.compound_a.code),
            ("1号楼党小组", OrgKind::PartyGroup, &t.building_a1.code),
            ("第一网格党小组", OrgKind::PartyGroup, &t.grid_a.code),
        ];
        for (name, kind, unit) in placed {
            create(
                &ts,
                NewOrganisation {
                    parent_org_id: Some(committee.id),
                    ..org(name, kind, unit)
                },
            )
            .await
            .unwrap();
        }
        create(
            &ts,
            org("丹阳街道办事处", OrgKind::Department, &t.street.code),
        )
        .await
        .unwrap();

        let dir = TempDir(wangge_testkit::temp_dir());
        let out = dir.0.join("orgs.xlsx");
        let ctx = ts.ctx();
        transfer::export_registry::<Organisation>(
            &ts.store,
            &ctx,
            OrgFilter::default(),
            xlsx(),
            &out,
            None,
        )
        .await
        .unwrap();
        let (rows, sheet2) = read(&out, Organisation::SHEET);
        assert_eq!(rows[0], Organisation::HEADERS);
        let row = |name: &str| -> Vec<String> {
            rows.iter()
                .find(|r| r[0] == name)
                .cloned()
                .unwrap_or_else(|| panic!("no {name} in {rows:?}"))
        };
        let (a, ca, b1, g) = (
            t.comm_a.name.as_str(),
            t.compound_a.name.as_str(),
            t.building_a1.code.as_str(),
            t.grid_a.code.as_str(),
        );
        assert_eq!(
            row("广州路社区党委"),
            ["广州路社区党委", "党委", "", a, "", &t.comm_a.code, "", a]
        );
        assert_eq!(
            row("华英小区党支部"),
            [
                "华英小区党支部",
                "党支部",
                "",
                a,
                ca,
                &t.compound_a.code,
                "广州路社区党委",
                ca
            ]
        );
        assert_eq!(
            row("1号楼党小组"),
            [
                "1号楼党小组",
                "党小组",
                "",
                a,
                ca,
                b1,
                "广州路社区党委",
                &t.building_a1.name
            ]
        );
        assert_eq!(
            row("第一网格党小组"),
            [
                "第一网格党小组",
                "党小组",
                "",
                a,
                "",
                g,
                "广州路社区党委",
                &t.grid_a.name
            ]
        );
        assert_eq!(
            row("丹阳街道办事处"),
            [
                "丹阳街道办事处",
                "职能部门",
                "",
                "",
                "",
                &t.street.code,
                "",
                &t.street.name
            ]
        );
        assert_eq!(rows.len(), 6);
        assert_eq!(info(&sheet2, "数据类别"), "组织 (organisations)");

        // A filtered export holds the list's rows for the same filter, and
        // its audit entry names the filter.
        let f = OrgFilter {
            unit: Some(t.compound_a.code.clone()),
            kind: Some(OrgKind::PartyGroup),
            parent_org_id: None,
        };
        let (c2, f2) = (ctx.clone(), f.clone());
        let listed: Vec<String> = ts
            .db
            .read(move |c| registry::list::<Organisation>(c, &c2, &f2, None, None))
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|o| o.name)
            .collect();
        assert_eq!(listed, ["1号楼党小组"]);
        transfer::export_registry::<Organisation>(&ts.store, &ctx, f, xlsx(), &out, None)
            .await
            .unwrap();
        let (rows, sheet2) = read(&out, Organisation::SHEET);
        let exported: Vec<String> = rows[1..].iter().map(|r| r[0].clone()).collect();
        assert_eq!(exported, listed);
        assert_eq!(info(&sheet2, "组织类型"), "党小组");
        let audited = exports_audited(&ts).await;
        let last: serde_json::Value = serde_json::from_str(audited.last().unwrap()).unwrap();
        assert_eq!(last["kind"], "organisations");
        assert_eq!(last["filter"]["kind"], "party_group");
        assert_eq!(last["filter"]["unit"], t.compound_a.code.as_str());

        // The registry kind's own export path refuses them, writing nothing.
        let before = snapshot(&ts).await;
        let r = transfer::export(&ts.store, &ctx, Kind::Organisations, xlsx(), &out, None).await;
        let e = refused(r, "filter_not_applicable");
        assert!(messages(&e).contains("组织"), "{e:?}");
        unchanged(&before, &snapshot(&ts).await);
    });
}
