//! Exports of one plan's targets, the accounts and the case categories: the
//! pages' own rows in their order and scope, with Chinese headers and the
//! filter sheet; refusals write nothing; every export is audited once. Both
//! backends.

use crate::cases_fixture::world;
use crate::common::*;
use crate::inspections::{record, setup, submit, target};
use crate::transfer_lists::{exports_audited, info, read, xlsx, TempDir};
use wangge_store::accounts;
use wangge_store::cases;
use wangge_store::inspections as insp;
use wangge_store::transfer::{
    self, ExportFilter, ExportOptions, ACCOUNT_HEADERS, CATEGORY_HEADERS, TARGET_HEADERS,
};
use wangge_store::{Ctx, Error};

#[test]
fn plan_target_exports_hold_the_plan_pages_rows_in_scope() {
    on_each_backend(|ts| async move {
        let i = setup(&ts).await;
        let w = &i.w;
        let mall = target(&i, "万达广场").await;
        submit(
            w,
            &w.system,
            record(i.plan.id, mall, "t-1", &["alarm_works"]),
        )
        .await
        .unwrap();
        let hospital = target(&i, "市立医院").await;
        submit(w, &w.system, record(i.plan.id, hospital, "t-2", &[]))
            .await
            .unwrap();
        let dir = TempDir(wangge_testkit::temp_dir());
        let out = dir.0.join("targets.xlsx");
        let plan = i.plan.id;
        let targets_of = |ctx: Ctx, plan: i64, opts: ExportOptions| {
            let (store, out) = (ts.store.clone(), out.clone());
            async move { transfer::export_plan_targets(&store, &ctx, plan, opts, &out, None).await }
        };
        let listed = |ctx: Ctx| {
            let db = ts.db.clone();
            async move {
                db.read(move |c| insp::list_targets(c, &ctx, plan))
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|t| t.label)
                    .collect::<Vec<_>>()
            }
        };

        // The street sees every target, in the page's order.
        let e = targets_of(w.street.clone(), plan, xlsx()).await.unwrap();
        assert_eq!(e.rows, 4);
        let (rows, inf) = read(&out, "检查对象");
        assert_eq!(rows[0], TARGET_HEADERS);
        let labels: Vec<String> = rows[1..].iter().map(|r| r[1].clone()).collect();
        assert_eq!(labels, listed(w.street.clone()).await);
        let row = |label: &str| rows.iter().find(|r| r[1] == label).unwrap().clone();
        let m = row("万达广场");
        assert_eq!(
            (m[0].as_str(), m[5].as_str(), m[6].as_str(), m[7].as_str()),
            ("人员密集场所", "发现问题", "1", "2026-11-24")
        );
        let h = row("市立医院");
        assert_eq!((h[5].as_str(), h[6].as_str()), ("已检查", "1"));
        let untouched = rows[1..]
            .iter()
            .filter(|r| r[5] == "未检查" && r[6] == "0" && r[7].is_empty())
            .count();
        assert_eq!(untouched, 2);
        assert_eq!(
            info(&inf, "排查计划"),
            format!("电梯安全隐患排查 (#{plan})")
        );
        assert_eq!(info(&inf, "导出人"), "street_li");

        // A cadre gets the community's targets only; the other's are absent.
        targets_of(w.cadre_a.clone(), plan, xlsx()).await.unwrap();
        let (rows, _) = read(&out, "检查对象");
        let labels: Vec<String> = rows[1..].iter().map(|r| r[1].clone()).collect();
        assert_eq!(labels, listed(w.cadre_a.clone()).await);
        assert_eq!(labels.len(), 2);
        assert!(labels.contains(&"万达广场".to_string()));
        assert!(!labels.contains(&"市立医院".to_string()), "{labels:?}");

        // Refusals write nothing: no permission, a plan that is not there, a
        // registry filter.
        let before = snapshot(&ts).await;
        for r in [
            targets_of(w.grid_a.clone(), plan, xlsx()).await,
            targets_of(w.auditor.clone(), plan, xlsx()).await,
        ] {
            assert!(matches!(r, Err(Error::Forbidden)), "{r:?}");
        }
        assert_not_found(targets_of(w.street.clone(), plan + 100, xlsx()).await);
        let mut registry = xlsx();
        registry.filter = ExportFilter {
            unit: Some(w.t.comm_a.code.clone()),
            ..Default::default()
        };
        refused(
            targets_of(w.street.clone(), plan, registry).await,
            "filter_not_applicable",
        );
        unchanged(&before, &snapshot(&ts).await);

        let log = exports_audited(&ts).await;
        assert_eq!(log.len(), 2, "{log:?}");
        let want = format!("\"plan\":{plan}");
        assert!(
            log.iter()
                .all(|d| d.contains("\"kind\":\"plan_targets\"") && d.contains(&want)),
            "{log:?}"
        );
    });
}

#[test]
fn account_and_category_exports_are_the_administrators_pages() {
    on_each_backend(|ts| async move {
        let w = world(&ts).await;
        let dir = TempDir(wangge_testkit::temp_dir());
        let out = dir.0.join("admin.xlsx");
        let (admin, org_a) = (w.admin.clone(), w.org_a);
        ts.db
            .write(move |c| {
                let u = accounts::create_user(
                    c,
                    &admin,
                    accounts::NewUser {
                        username: "dept_wang".into(),
                        display_name: Some("王科长".into()),
                        role: wangge_core::auth::Role::DeptHandler,
                        scope_unit: None,
                        scope_org: Some(org_a),
                    },
                    "$argon2id$secret-hash",
                )?;
                accounts::set_disabled(c, &admin, &u.username, true).map(|_| ())
            })
            .await
            .unwrap();

        // Accounts: the page's list, by username, without a hash or token.
        let e = transfer::export_accounts(&ts.store, &w.admin, xlsx(), &out, None)
            .await
            .unwrap();
        let (rows, inf) = read(&out, "账号");
        assert_eq!(rows[0], ACCOUNT_HEADERS);
        let ctx = w.admin.clone();
        let listed: Vec<String> = ts
            .db
            .read(move |c| accounts::list_users(c, &ctx))
            .await
            .unwrap()
            .into_iter()
            .map(|u| u.username)
            .collect();
        let names: Vec<String> = rows[1..].iter().map(|r| r[0].clone()).collect();
        assert_eq!(names, listed);
        assert_eq!(e.rows as usize, listed.len());
        let wang = rows.iter().find(|r| r[0] == "dept_wang").unwrap();
        assert_eq!(
            wang[1..8],
            [
                "王科长",
                "部门处置人员",
                "(全区)",
                "",
                &org_a.to_string(),
                "开发区市场监管所",
                "已停用"
            ]
        );
        assert!(wang[8].starts_with("2026-11-24"), "{wang:?}");
        let cadre = rows.iter().find(|r| r[0] == "cadre_a").unwrap();
        assert_eq!(
            (cadre[2].as_str(), cadre[3].as_str(), cadre[7].as_str()),
            ("社区干部", w.t.comm_a.code.as_str(), "启用")
        );
        assert_eq!(cadre[4], w.t.comm_a.name);
        let text = format!("{rows:?}");
        assert!(!text.contains("argon2") && !text.contains("not-a-real-hash"));
        assert!(info(&inf, "范围").starts_with("您管辖范围内的全部账号"));

        // Categories: every one, inactive too, by code.
        let e = transfer::export_categories(&ts.store, &w.admin, xlsx(), &out, None)
            .await
            .unwrap();
        let (rows, _) = read(&out, "事件分类");
        assert_eq!(rows[0], CATEGORY_HEADERS);
        let cats = ts
            .db
            .read(|c| cases::list_categories(c, true))
            .await
            .unwrap();
        assert_eq!(e.rows as usize, cats.len());
        let codes: Vec<String> = rows[1..].iter().map(|r| r[0].clone()).collect();
        let want: Vec<String> = cats.iter().map(|k| k.code.clone()).collect();
        assert_eq!(codes, want);
        let minor = cats.iter().find(|k| k.parent.is_some()).unwrap();
        let major = cats
            .iter()
            .find(|k| Some(&k.code) == minor.parent.as_ref())
            .unwrap();
        let r = rows.iter().find(|r| r[0] == minor.code).unwrap();
        assert_eq!((&r[1], &r[2]), (&major.name_zh, &minor.name_zh));
        assert_eq!(r[5], if minor.active { "启用" } else { "停用" });
        let handle = minor.deadlines.handle.map(|d| d.amount.to_string());
        if let Some(n) = handle {
            assert!(r[9].starts_with(&n) && r[9].contains("个工作"), "{r:?}");
        }
        let r = rows.iter().find(|r| r[0] == major.code).unwrap();
        assert_eq!((&r[1], r[2].as_str()), (&major.name_zh, ""));

        // Neither is for anyone but the administrator; nothing is written.
        let before = snapshot(&ts).await;
        for ctx in [&w.street, &w.auditor, &w.cadre_a] {
            let r = transfer::export_accounts(&ts.store, ctx, xlsx(), &out, None).await;
            assert!(matches!(r, Err(Error::Forbidden)), "{r:?}");
            let r = transfer::export_categories(&ts.store, ctx, xlsx(), &out, None).await;
            assert!(matches!(r, Err(Error::Forbidden)), "{r:?}");
        }
        let mut registry = xlsx();
        registry.filter.q = Some("x".into());
        refused(
            transfer::export_accounts(&ts.store, &w.admin, registry, &out, None).await,
            "filter_not_applicable",
        );
        unchanged(&before, &snapshot(&ts).await);

        let log = exports_audited(&ts).await;
        assert_eq!(log.len(), 2, "{log:?}");
        assert!(log[0].contains("\"kind\":\"accounts\""), "{log:?}");
        assert!(log[1].contains("\"kind\":\"categories\""), "{log:?}");
    });
}
