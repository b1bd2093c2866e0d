//! Case categories kept as data, and routing to the most specific rule.

use crate::cases_fixture::*;
use crate::common::*;
use wangge_core::cases::{Action, Command};
use wangge_store::cases::{self, CategoryPatch, Deadline, Deadlines, NewCategory};
use wangge_store::Error;

async fn route(w: &World, unit: String, cat: &'static str) -> Option<i64> {
    let sys = w.system.clone();
    w.read(move |c, _| cases::route_for(c, &sys, cat, &unit))
        .await
        .unwrap()
        .map(|r| r.org_id)
}

#[test]
fn categories_are_data_and_routing_takes_the_most_specific_rule() {
    on_each_backend(|ts| async move {
        let w = world(&ts).await;
        let all = w
            .read(|c, _| cases::list_categories(c, false))
            .await
            .unwrap();
        let names: Vec<&str> = all.iter().map(|k| k.name_zh.as_str()).collect();
        for expected in [
            "市容环境",
            "宣传广告",
            "施工管理",
            "突发事件",
            "街面秩序",
            "物业管理",
            "违章搭建",
            "电动车充电难",
            "停车位规划不规范",
            "公共基础设施陈旧",
            "电梯安全隐患",
            "扬尘",
            "黑臭水体",
            "建设工地管理",
            "扫黑除恶线索",
            "养老金冒领举报",
            "交通安全",
            "督办事项",
        ] {
            assert!(names.contains(&expected), "{expected} missing");
        }
        let tip = all.iter().find(|k| k.code == "0901").unwrap();
        assert!(tip.confidential);
        assert_eq!(tip.parent.as_deref(), Some("09"));
        // Seeding again changes nothing.
        let before = snapshot(&ts).await;
        let sys = w.system.clone();
        let again = w
            .write(move |c, _| cases::seed_categories(c, &sys))
            .await
            .unwrap();
        assert_eq!(again.created, 0);
        unchanged(&before, &snapshot(&ts).await);

        let new = |code: &str, parent: Option<&str>| NewCategory {
            code: code.into(),
            parent: parent.map(str::to_string),
            name_zh: "文明养犬".into(),
            name_en: "Dog keeping".into(),
            public_name: "养狗扰民".into(),
            confidential: false,
            internal: false,
            tip_readers: None,
            required_fields: vec!["dog_location".into()],
            deadlines: Deadlines {
                handle: Some(Deadline::hours(8)),
                ..Default::default()
            },
        };
        let street = w.street.clone();
        let n = new("20", None);
        assert!(matches!(
            w.write(move |c, _| cases::create_category(c, &street, n))
                .await,
            Err(Error::Forbidden)
        ));
        let before = snapshot(&ts).await;
        for (n, code, f) in [
            (new("2", None), "category_code", "code"),
            (new("2101", Some("20")), "unknown_category", "parent"),
            (new("010101", Some("0101")), "category_depth", "parent"),
            (new("0199", Some("02")), "category_code", "code"),
        ] {
            let admin = w.admin.clone();
            let e = refused(
                w.write(move |c, _| cases::create_category(c, &admin, n))
                    .await,
                code,
            );
            assert_eq!(field(&e), f);
        }
        let admin = w.admin.clone();
        let n = new("01", None);
        refused(
            w.write(move |c, _| cases::create_category(c, &admin, n))
                .await,
            "category_code_taken",
        );
        unchanged(&before, &snapshot(&ts).await);
        let admin = w.admin.clone();
        let (major, minor) = (new("20", None), new("2001", Some("20")));
        let made = w
            .write(move |c, _| {
                cases::create_category(c, &admin, major)?;
                cases::create_category(c, &admin, minor)
            })
            .await
            .unwrap();
        assert_eq!(made.parent.as_deref(), Some("20"));
        // A major category is not something to report under; the minor needs its field.
        let r = w
            .try_report(&w.anon, new_case("20", &w.t.building_a1.code, "狗叫"))
            .await;
        assert_eq!(field(&refused(r, "category_not_minor")), "category");
        let r = w
            .try_report(&w.anon, new_case("2001", &w.t.building_a1.code, "狗叫"))
            .await;
        assert_eq!(field(&refused(r, "required")), "fields.dog_location");
        let mut ok = new_case("2001", &w.t.building_a1.code, "狗叫");
        ok.fields.insert("dog_location".into(), "3单元".into());
        w.report(&w.anon, ok).await;
        // Deactivated: no longer offered, no longer accepted.
        let admin = w.admin.clone();
        w.write(move |c, _| {
            cases::update_category(
                c,
                &admin,
                "2001",
                CategoryPatch {
                    active: Some(false),
                    ..Default::default()
                },
            )
        })
        .await
        .unwrap();
        let r = w
            .try_report(&w.anon, new_case("2001", &w.t.building_a1.code, "狗叫"))
            .await;
        assert_eq!(field(&refused(r, "unknown_category")), "category");

        // Routing: the deepest rule above the unit wins; none → dispatchers choose.
        let (admin, zone, comm_a) = (
            w.admin.clone(),
            w.t.zone.code.clone(),
            w.t.comm_a.code.clone(),
        );
        let (org_a, org_b) = (w.org_a, w.org_b);
        let (zone_rule, comm_rule) = w
            .write(move |c, _| {
                Ok((
                    cases::set_route(c, &admin, "0604", &zone, org_a)?,
                    cases::set_route(c, &admin, "0604", &comm_a, org_b)?,
                ))
            })
            .await
            .unwrap();
        assert_eq!(
            route(&w, w.t.building_a1.code.clone(), "0604").await,
            Some(org_b)
        );
        assert_eq!(
            route(&w, w.t.building_b1.code.clone(), "0604").await,
            Some(org_a)
        );
        assert_eq!(route(&w, w.t.building_b1.code.clone(), "0602").await, None);
        let admin = w.admin.clone();
        let id = comm_rule.id;
        w.write(move |c, _| cases::delete_route(c, &admin, id))
            .await
            .unwrap();
        assert_eq!(
            route(&w, w.t.building_a1.code.clone(), "0604").await,
            Some(org_a)
        );
        let routes = w
            .read(|c, _| cases::list_routes(c, Some("0604")))
            .await
            .unwrap();
        assert_eq!(
            routes.iter().map(|r| r.id).collect::<Vec<_>>(),
            [zone_rule.id]
        );
        let (admin, zone) = (w.admin.clone(), w.t.zone.code.clone());
        let r = w
            .write(move |c, _| cases::set_route(c, &admin, "06", &zone, org_a))
            .await;
        assert_eq!(field(&refused(r, "category_not_minor")), "category");
        let (street, zone) = (w.street.clone(), w.t.zone.code.clone());
        let r = w
            .write(move |c, _| cases::set_route(c, &street, "0604", &zone, org_a))
            .await;
        assert!(matches!(r, Err(Error::Forbidden)));
        // A dispatch with no rule and no organisation named is refused by the core.
        let id = w
            .report(
                &w.anon,
                new_case("0602", &w.t.building_b1.code, "没有充电桩"),
            )
            .await
            .case
            .id;
        w.step(&w.street, id, Command::new(Action::Accept)).await;
        let e = refused(
            w.try_step(&w.street, id, None, Command::new(Action::Dispatch))
                .await,
            "required",
        );
        assert_eq!(field(&e), "lead_org");
        let rows: i64 = ts
            .db
            .read(|c| c.query_one("SELECT COUNT(*) FROM case_routes", &[])?.get(0))
            .await
            .unwrap();
        assert_eq!(rows, 1);
    });
}
