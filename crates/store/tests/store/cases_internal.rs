//! Internal categories (staff's own tasks: 会议交办事项, 上级交办事项): marked
//! as data, inherited from the major, and refused from residents.

use crate::cases_fixture::*;
use crate::common::*;
use wangge_store::cases::{self, CategoryPatch, NewCategory};

#[test]
fn internal_categories_are_refused_from_residents() {
    on_each_backend(|ts| async move {
        let w = world(&ts).await;
        let all = w
            .read(|c, _| cases::list_categories(c, true))
            .await
            .unwrap();
        let internal: Vec<&str> = all
            .iter()
            .filter(|k| k.internal)
            .map(|k| k.code.as_str())
            .collect();
        assert_eq!(internal, ["12", "1201", "1202"]);

        let before = snapshot(&ts).await;
        for who in [w.anon.clone(), w.resident.clone()] {
            let e = refused(
                w.try_report(&who, new_case("1202", &w.t.building_a1.code, "上级交办"))
                    .await,
                "internal_category",
            );
            assert_eq!(field(&e), "category");
            let m = messages(&e);
            assert!(
                m.contains("内部交办事项") && m.contains("internal task"),
                "{m}"
            );
        }
        unchanged(&before, &snapshot(&ts).await);
        // Staff file them as before.
        let mut task = new_case("1202", &w.t.building_a1.code, "区里交办的整治任务");
        task.source = cases::Source::Hotline;
        w.report(&w.street, task).await;

        // A zone's own: a minor under an internal major is internal; the flag
        // can be set and cleared.
        let admin = w.admin.clone();
        let made = w
            .write(move |c, _| {
                let new = |code: &str, parent: Option<&str>, internal: bool| NewCategory {
                    code: code.into(),
                    parent: parent.map(str::to_string),
                    name_zh: "专项整治".into(),
                    name_en: "Special campaign".into(),
                    public_name: "专项整治".into(),
                    confidential: false,
                    internal,
                    tip_readers: None,
                    required_fields: Vec::new(),
                    deadlines: Default::default(),
                };
                cases::create_category(c, &admin, new("21", None, true))?;
                cases::create_category(c, &admin, new("2101", Some("21"), false))
            })
            .await
            .unwrap();
        assert!(!made.internal);
        refused(
            w.try_report(&w.anon, new_case("2101", &w.t.building_a1.code, "整治"))
                .await,
            "internal_category",
        );
        let admin = w.admin.clone();
        w.write(move |c, _| {
            let off = CategoryPatch {
                internal: Some(false),
                ..Default::default()
            };
            cases::update_category(c, &admin, "21", off)
        })
        .await
        .unwrap();
        w.report(&w.anon, new_case("2101", &w.t.building_a1.code, "整治"))
            .await;
    });
}
