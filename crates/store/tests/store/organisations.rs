//! Organisations, alliances and positions.

use crate::common::*;
use wangge_core::organisations::OrgKind;
use wangge_core::positions::PositionKind;
use wangge_store::organisations::{
    self, NewOrganisation, OrgFilter, Organisation, OrganisationPatch,
};
use wangge_store::positions::{self, NewPosition, Position};
use wangge_store::registry;
use wangge_store::Result;

fn org(name: &str, kind: OrgKind, unit: &str) -> NewOrganisation {
    NewOrganisation {
        name: name.to_string(),
        kind,
        unit: unit.to_string(),
        parent_org_id: None,
        credit_code: None,
    }
}

async fn try_org(ts: &Env, new: NewOrganisation) -> Result<Organisation> {
    let ctx = ts.ctx();
    ts.db
        .write(move |c| registry::create::<Organisation>(c, &ctx, new))
        .await
}

async fn add_member(ts: &Env, alliance: i64, member: i64) -> Result<()> {
    let ctx = ts.ctx();
    ts.db
        .write(move |c| organisations::add_member(c, &ctx, alliance, member))
        .await
}

async fn list_orgs(ts: &Env, f: OrgFilter) -> Vec<i64> {
    let ctx = ts.ctx();
    ts.db
        .read(move |c| registry::list::<Organisation>(c, &ctx, &f, None, Some(500)))
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|o| o.id)
        .collect()
}

fn position(
    person: i64,
    org: i64,
    kind: PositionKind,
    title: &str,
    from: &str,
    to: Option<&str>,
) -> NewPosition {
    NewPosition {
        person_id: person,
        org_id: org,
        kind,
        title: title.to_string(),
        from: from.to_string(),
        to: to.map(str::to_string),
    }
}

async fn try_position(ts: &Env, new: NewPosition) -> Result<Position> {
    let ctx = ts.ctx();
    ts.db.write(move |c| positions::create(c, &ctx, new)).await
}

async fn list_positions(ts: &Env, person: Option<i64>, org: Option<i64>) -> Result<Vec<Position>> {
    let ctx = ts.ctx();
    ts.db
        .read(move |c| positions::list(c, &ctx, person, org))
        .await
}

#[test]
fn credit_codes_are_validated_and_unique() {
    on_each_backend(|ts| async move {
        let t = small_tree(&ts).await;
        let code = credit_code("91371700MA3C4PQR1");
        let pharma = try_org(
            &ts,
            NewOrganisation {
                credit_code: Some(code.to_lowercase()),
                ..org(
                    "菏泽现代医药港有限公司",
                    OrgKind::Enterprise,
                    &t.street.code,
                )
            },
        )
        .await
        .unwrap();
        assert_eq!(
            pharma.credit_code.as_deref(),
            Some(code.as_str()),
            "stored upper-case"
        );
        assert_eq!(pharma.unit, t.street.code);
        assert_eq!(pharma.kind, OrgKind::Enterprise);
        let before = snapshot(&ts).await;

        let wrong = format!(
            "{}{}",
            &code[..17],
            if code.ends_with('0') { '1' } else { '0' }
        );
        for (bad, want) in [
            (wrong, "credit_code_checksum"),
            (code[..16].to_string(), "credit_code_length"),
            (format!("{}I", &code[..17]), "credit_code_format"),
        ] {
            let e = refused(
                try_org(
                    &ts,
                    NewOrganisation {
                        credit_code: Some(bad),
                        ..org("某公司", OrgKind::Enterprise, &t.street.code)
                    },
                )
                .await,
                want,
            );
            assert_eq!(field(&e), "credit_code");
        }
        // The same code again, in any case: a conflict that names no one.
        let e = refused(
            try_org(
                &ts,
                NewOrganisation {
                    credit_code: Some(code.clone()),
                    ..org("另一家公司", OrgKind::Enterprise, &t.comm_b.code)
                },
            )
            .await,
            "credit_code_taken",
        );
        assert!(!messages(&e).contains("医药港"));
        refused(
            try_org(
                &ts,
                NewOrganisation {
                    credit_code: Some(credit_code("91371700MA3C4PQR2")),
                    ..org("华英联盟", OrgKind::Alliance, &t.comm_a.code)
                },
            )
            .await,
            "credit_code_not_applicable",
        );
        refused(
            try_org(&ts, org("  ", OrgKind::Department, &t.zone.code)).await,
            "required",
        );
        let e = refused(
            try_org(&ts, org("某部门", OrgKind::Department, "371799001999")).await,
            "unknown_unit",
        );
        assert_eq!(field(&e), "unit");
        let e = refused(
            try_org(
                &ts,
                NewOrganisation {
                    parent_org_id: Some(9_999),
                    ..org("某支部", OrgKind::PartyBranch, &t.compound_a.code)
                },
            )
            .await,
            "unknown_organisation",
        );
        assert_eq!(field(&e), "parent_org_id");
        unchanged(&before, &snapshot(&ts).await);

        // Updating to a code another organisation holds is refused too.
        let other = try_org(
            &ts,
            NewOrganisation {
                credit_code: Some(credit_code("91371700MA3C4PQR2")),
                ..org("华英物业", OrgKind::PropertyCompany, &t.compound_a.code)
            },
        )
        .await
        .unwrap();
        let before = snapshot(&ts).await;
        let (ctx, id, taken) = (ts.ctx(), other.id, code.clone());
        let r = ts
            .db
            .write(move |c| {
                registry::update::<Organisation>(
                    c,
                    &ctx,
                    id,
                    OrganisationPatch {
                        name: Some("改名物业".into()),
                        credit_code: Some(taken),
                    },
                )
            })
            .await;
        refused(r, "credit_code_taken");
        unchanged(&before, &snapshot(&ts).await);
    });
}

#[test]
fn alliances_have_members_and_nothing_else_does() {
    on_each_backend(|ts| async move {
        let t = small_tree(&ts).await;
        let committee = try_org(
            &ts,
            org("广州路社区党委", OrgKind::PartyCommittee, &t.comm_a.code),
        )
        .await
        .unwrap();
        let branch = try_org(
            &ts,
            NewOrganisation {
                parent_org_id: Some(committee.id),
                ..org("华英小区党支部", OrgKind::PartyBranch, &t.compound_a.code)
            },
        )
        .await
        .unwrap();
        let property = try_org(
            &ts,
            org("华英物业", OrgKind::PropertyCompany, &t.compound_a.code),
        )
        .await
        .unwrap();
        let alliance = try_org(&ts, org("红色物业联盟", OrgKind::Alliance, &t.comm_a.code))
            .await
            .unwrap();
        let b_branch = try_org(
            &ts,
            org("长江花园党支部", OrgKind::PartyBranch, &t.compound_b.code),
        )
        .await
        .unwrap();

        add_member(&ts, alliance.id, property.id).await.unwrap();
        add_member(&ts, alliance.id, branch.id).await.unwrap();
        add_member(&ts, alliance.id, property.id).await.unwrap(); // again: no duplicate
        let members = {
            let ctx = ts.ctx();
            ts.db
                .read(move |c| organisations::members(c, &ctx, alliance.id))
                .await
                .unwrap()
        };
        assert_eq!(
            members.iter().map(|o| o.id).collect::<Vec<_>>(),
            [branch.id, property.id]
        );

        let before = snapshot(&ts).await;
        let e = refused(
            add_member(&ts, property.id, branch.id).await,
            "not_an_alliance",
        );
        assert!(messages(&e).contains("华英物业"));
        refused(
            add_member(&ts, alliance.id, alliance.id).await,
            "self_member",
        );
        let e = refused(
            add_member(&ts, alliance.id, 9_999).await,
            "unknown_organisation",
        );
        assert_eq!(field(&e), "member_id");
        assert_not_found(add_member(&ts, 9_999, property.id).await);
        unchanged(&before, &snapshot(&ts).await);

        // Lists by place, kind and parent organisation.
        let all = list_orgs(&ts, OrgFilter::default()).await;
        assert_eq!(all.len(), 5);
        let in_a = list_orgs(
            &ts,
            OrgFilter {
                unit: Some(t.comm_a.code.clone()),
                ..Default::default()
            },
        )
        .await;
        assert!(!in_a.contains(&b_branch.id));
        assert_eq!(in_a.len(), 4);
        let branches = list_orgs(
            &ts,
            OrgFilter {
                kind: Some(OrgKind::PartyBranch),
                ..Default::default()
            },
        )
        .await;
        assert_eq!(branches.len(), 2);
        let under_committee = list_orgs(
            &ts,
            OrgFilter {
                parent_org_id: Some(committee.id),
                ..Default::default()
            },
        )
        .await;
        assert_eq!(under_committee, [branch.id]);
        let id = {
            let ctx = ts.ctx();
            ts.db
                .read(move |c| organisations::id_by_name(c, &ctx, "华英物业"))
                .await
                .unwrap()
        };
        assert_eq!(id, property.id);
    });
}

#[test]
fn positions_are_held_in_order_and_listed_per_person_and_per_organisation() {
    on_each_backend(|ts| async move {
        let t = small_tree(&ts).await;
        let branch = try_org(
            &ts,
            org("华英小区党支部", OrgKind::PartyBranch, &t.compound_a.code),
        )
        .await
        .unwrap();
        let owners = try_org(
            &ts,
            org(
                "华英小区业委会",
                OrgKind::OwnersCommittee,
                &t.compound_a.code,
            ),
        )
        .await
        .unwrap();
        let zhang = person(&ts, "张伟", &nth_id(1), &t.building_a1.code).await;
        let wang = person(&ts, "王芳", &nth_id(2), &t.building_a2.code).await;

        // A cross-appointment: the branch secretary also sits on the owners' committee.
        let seat = try_position(
            &ts,
            position(
                zhang.id,
                owners.id,
                PositionKind::CommitteeSeat,
                "业委会主任",
                "2021-03-01",
                Some("2023-02-28"),
            ),
        )
        .await
        .unwrap();
        assert_eq!(seat.to.as_deref(), Some("2023-02-28"));
        assert_eq!(
            (seat.person_name.as_str(), seat.org_name.as_str()),
            ("张伟", "华英小区业委会")
        );
        let member = try_position(
            &ts,
            position(
                zhang.id,
                branch.id,
                PositionKind::PartyMember,
                "党员",
                "2015-07-01",
                None,
            ),
        )
        .await
        .unwrap();
        let secretary = try_position(
            &ts,
            position(
                zhang.id,
                branch.id,
                PositionKind::CommitteeSeat,
                "书记",
                " 2020-01-01 ",
                None,
            ),
        )
        .await
        .unwrap();
        assert_eq!(secretary.from, "2020-01-01");
        let wang_seat = try_position(
            &ts,
            position(
                wang.id,
                owners.id,
                PositionKind::CommitteeSeat,
                "委员",
                "2021-03-01",
                Some("2021-03-01"),
            ),
        )
        .await
        .unwrap();

        let before = snapshot(&ts).await;
        let e = refused(
            try_position(
                &ts,
                position(
                    wang.id,
                    branch.id,
                    PositionKind::PartyMember,
                    "党员",
                    "2020-05-02",
                    Some("2020-05-01"),
                ),
            )
            .await,
            "period_order",
        );
        assert_eq!(field(&e), "to");
        let e = refused(
            try_position(
                &ts,
                position(
                    wang.id,
                    branch.id,
                    PositionKind::Staff,
                    "干事",
                    "2020/05/01",
                    None,
                ),
            )
            .await,
            "date_format",
        );
        assert_eq!(field(&e), "from");
        let e = refused(
            try_position(
                &ts,
                position(
                    9_999,
                    branch.id,
                    PositionKind::Staff,
                    "干事",
                    "2020-05-01",
                    None,
                ),
            )
            .await,
            "unknown_reference",
        );
        assert_eq!(field(&e), "person_id");
        let e = refused(
            try_position(
                &ts,
                position(
                    wang.id,
                    9_999,
                    PositionKind::Staff,
                    "干事",
                    "2020-05-01",
                    None,
                ),
            )
            .await,
            "unknown_reference",
        );
        assert_eq!(field(&e), "org_id");
        refused(
            try_position(
                &ts,
                position(
                    wang.id,
                    branch.id,
                    PositionKind::Staff,
                    "",
                    "2020-05-01",
                    None,
                ),
            )
            .await,
            "required",
        );
        // Ending a position before it began.
        let (ctx, id) = (ts.ctx(), secretary.id);
        let r = ts
            .db
            .write(move |c| positions::end(c, &ctx, id, "2019-12-31"))
            .await;
        refused(r, "period_order");
        unchanged(&before, &snapshot(&ts).await);

        // Per person, oldest first; per organisation.
        let ids = |ps: Vec<Position>| ps.into_iter().map(|p| p.id).collect::<Vec<_>>();
        assert_eq!(
            ids(list_positions(&ts, Some(zhang.id), None).await.unwrap()),
            [member.id, secretary.id, seat.id]
        );
        assert_eq!(
            ids(list_positions(&ts, None, Some(owners.id)).await.unwrap()),
            [seat.id, wang_seat.id]
        );
        assert_eq!(
            ids(list_positions(&ts, None, Some(branch.id)).await.unwrap()),
            [member.id, secretary.id]
        );
        assert_eq!(
            ids(list_positions(&ts, Some(wang.id), None).await.unwrap()),
            [wang_seat.id]
        );
        refused(list_positions(&ts, None, None).await, "required");
        assert_not_found(list_positions(&ts, Some(9_999), None).await);

        let (ctx, id) = (ts.ctx(), secretary.id);
        let ended = ts
            .db
            .write(move |c| positions::end(c, &ctx, id, "2026-11-01"))
            .await
            .unwrap();
        assert_eq!(ended.to.as_deref(), Some("2026-11-01"));
        let actions: Vec<String> = audit_of(&ts, "position", secretary.id)
            .await
            .into_iter()
            .map(|a| a.1)
            .collect();
        assert_eq!(actions, ["create", "end"]);
    });
}
