//! Residents: validation, masking, lookup, reveal, optimistic updates, listing.

use crate::common::*;
use std::collections::HashMap;
use wangge_core::ids::Sex;
use wangge_core::people::Relation;
use wangge_store::households::{self, NewHousehold};
use wangge_store::people::{self, NewPerson, Person, PersonPatch};
use wangge_store::{Ctx, Result};

/// A name with CJK Extension B characters (𠀀 U+20000, 𪚥 U+2A6A5) and an emoji.
const RARE_NAME: &str = "𠀀𪚥明🌸";

async fn get(ts: &Env, id: i64) -> Result<Person> {
    let ctx = ts.ctx();
    ts.db.read(move |c| people::get(c, &ctx, id)).await
}

async fn find(ts: &Env, ctx: &Ctx, id_number: &str) -> Result<Person> {
    let (ctx, id_number) = (ctx.clone(), id_number.to_string());
    ts.db
        .read(move |c| people::find_by_id_number(c, &ctx, &id_number))
        .await
}

async fn update(ts: &Env, id: i64, patch: PersonPatch) -> Result<Person> {
    let ctx = ts.ctx();
    ts.db
        .write(move |c| people::update(c, &ctx, id, patch))
        .await
}

async fn reveal(ts: &Env, id: i64, reason: &str) -> Result<people::Revealed> {
    let (ctx, reason) = (ts.ctx(), reason.to_string());
    ts.db
        .write(move |c| people::reveal(c, &ctx, id, &reason))
        .await
}

/// `371799********123X`: the first six and last four characters, eight stars between.
fn masked(id: &str) -> String {
    format!("{}********{}", &id[..6], &id[14..])
}

#[test]
fn people_keep_rare_names_and_leave_the_store_masked() {
    on_each_backend(|ts| async move {
        let t = small_tree(&ts).await;
        let id = id_number("19850312", 123);
        let p = try_person(
            &ts,
            &ts.ctx(),
            NewPerson {
                phone: Some("138 1234 5678".into()),
                address_detail: Some("2单元301室".into()),
                ..new_person(&format!("  {RARE_NAME} "), &id, &t.building_a1.code)
            },
        )
        .await
        .unwrap();
        assert_eq!(p.name, RARE_NAME);
        assert_eq!(p.id_number, masked(&id));
        assert_eq!(p.id_number.len(), 18);
        assert!(p.id_number.starts_with("371799********"));
        assert_eq!(p.phone.as_deref(), Some("138****5678"));
        assert_eq!(p.address_detail.as_deref(), Some("****"));
        assert_eq!(
            p.birth_year, 1985,
            "the year only beside the masked ID number"
        );
        assert_eq!(p.sex, Sex::Male, "odd sequence digit");
        assert_eq!(
            (p.unit.as_str(), p.unit_name.as_str()),
            (t.building_a1.code.as_str(), "1号楼")
        );
        assert_eq!(p.version, 1);
        assert_eq!(p.created_at, NOW);

        // Read back through the reader pool, and as JSON: still intact, still masked.
        let again = get(&ts, p.id).await.unwrap();
        assert_eq!(again.name, RARE_NAME);
        assert_eq!(again.id_number, p.id_number);
        let json = serde_json::to_string(&again).unwrap();
        assert!(json.contains(RARE_NAME));
        assert!(!json.contains(&id) && !json.contains("13812345678") && !json.contains("301"));

        let woman = person(
            &ts,
            "阿依古丽·买买提",
            &id_number("19900101", 124),
            &t.grid_a.code,
        )
        .await;
        assert_eq!(woman.sex, Sex::Female);
        assert_eq!(woman.phone, None);
        assert_eq!(woman.address_detail, None);

        // Landlines are masked too.
        let landline = try_person(
            &ts,
            &ts.ctx(),
            NewPerson {
                phone: Some("0530-5551234".into()),
                ..new_person("赵磊", &id_number("19700707", 5), &t.building_b1.code)
            },
        )
        .await
        .unwrap();
        assert_eq!(landline.phone.as_deref(), Some("0530-***1234"));
    });
}

#[test]
fn invalid_or_duplicate_people_are_refused_and_nothing_is_written() {
    on_each_backend(|ts| async move {
        let t = small_tree(&ts).await;
        let ctx = ts.ctx();
        let x_id = id_ending_in_x();
        let first = person(&ts, "欧阳娜娜", &x_id, &t.building_a1.code).await;
        let before = snapshot(&ts).await;
        let unit = t.building_a2.code.clone();

        // The same number again, in any spelling, in any unit.
        for dup in [x_id.clone(), x_id.to_lowercase(), format!(" {x_id} ")] {
            let e = refused(
                try_person(&ts, &ctx, new_person("李四", &dup, &unit)).await,
                "person_exists",
            );
            assert!(matches!(e, wangge_core::Error::Conflict { .. }));
            let text = messages(&e);
            assert!(
                !text.contains(&first.name),
                "leaks the other person: {text}"
            );
            assert!(!text.contains("欧阳"));
        }

        let id = id_number("19850312", 123);
        let cases: Vec<(NewPerson, &str, &str)> = vec![
            (
                new_person("李四", &with_wrong_check(&id), &unit),
                "id_number_checksum",
                "id_number",
            ),
            (
                new_person("李四", "371799850312123", &unit),
                "id_number_legacy",
                "id_number",
            ),
            (
                new_person("李四", &id_number("20261125", 11), &unit),
                "id_number_birth_date",
                "id_number",
            ),
            (
                new_person("李四", &id_number("19850230", 11), &unit),
                "id_number_birth_date",
                "id_number",
            ),
            (
                new_person("李四", &id[..17], &unit),
                "id_number_length",
                "id_number",
            ),
            (
                new_person("李四", "99179919850312123X", &unit),
                "id_number_region",
                "id_number",
            ),
            (new_person("  ", &id, &unit), "required", "name"),
            (new_person(&"张".repeat(51), &id, &unit), "too_long", "name"),
            (
                new_person("张\u{7}三", &id, &unit),
                "control_character",
                "name",
            ),
            (
                new_person("李四", &id, "371799001001009"),
                "unknown_unit",
                "unit",
            ),
            (
                NewPerson {
                    phone: Some("12345".into()),
                    ..new_person("李四", &id, &unit)
                },
                "phone_format",
                "phone",
            ),
            (
                NewPerson {
                    relation: Some(Relation::Head),
                    ..new_person("李四", &id, &unit)
                },
                "required",
                "household_id",
            ),
            (
                NewPerson {
                    household_id: Some(9999),
                    relation: Some(Relation::Head),
                    ..new_person("李四", &id, &unit)
                },
                "unknown_household",
                "household_id",
            ),
        ];
        for (new, code, in_field) in cases {
            let what = format!("{new:?}");
            let e = refused(try_person(&ts, &ctx, new).await, code);
            assert_eq!(field(&e), in_field, "{what}");
        }
        unchanged(&before, &snapshot(&ts).await);
        // The valid number used above was never stored.
        assert_not_found(find(&ts, &ctx, &id).await);
    });
}

#[test]
fn people_are_found_by_full_id_number_and_reveal_is_audited() {
    on_each_backend(|ts| async move {
        let t = small_tree(&ts).await;
        let ctx = ts.ctx();
        let id = id_ending_in_x();
        let p = try_person(
            &ts,
            &ctx,
            NewPerson {
                phone: Some("+86 139-0530-1234".into()),
                address_detail: Some("3单元502室".into()),
                ..new_person("孙丽", &id, &t.building_a2.code)
            },
        )
        .await
        .unwrap();
        let other = person(&ts, "周杰", &nth_id(7), &t.building_a2.code).await;

        assert_eq!(find(&ts, &ctx, &id).await.unwrap().id, p.id);
        assert_eq!(find(&ts, &ctx, &id.to_lowercase()).await.unwrap().id, p.id);
        assert_eq!(find(&ts, &ctx, &nth_id(7)).await.unwrap().id, other.id);
        // A valid number nobody has, and an invalid one.
        assert_not_found(find(&ts, &ctx, &nth_id(8)).await);
        refused(
            find(&ts, &ctx, &with_wrong_check(&id)).await,
            "id_number_checksum",
        );
        // The masked form is not a key.
        refused(find(&ts, &ctx, &p.id_number).await, "id_number_format");

        let audit_before = count(&ts, "audit_log").await;
        let r = reveal(&ts, p.id, "养老认证入户核对").await.unwrap();
        assert_eq!(r.id_number, id);
        assert_eq!(r.phone.as_deref(), Some("13905301234"));
        assert_eq!(r.address_detail.as_deref(), Some("3单元502室"));
        assert_eq!(count(&ts, "audit_log").await, audit_before + 1);
        let (actor, action, detail) = audit_of(&ts, "person", p.id).await.pop().unwrap();
        assert_eq!((actor.as_str(), action.as_str()), ("tester", "reveal"));
        assert!(detail.contains("养老认证入户核对"));
        assert!(!detail.contains(&id) && !detail.contains("13905301234"));

        // No reason, or nobody there: nothing revealed, nothing logged.
        refused(reveal(&ts, p.id, "  ").await, "required");
        assert_not_found(reveal(&ts, 99_999, "核对").await);
        assert_eq!(count(&ts, "audit_log").await, audit_before + 1);
        // The audit log never holds personal values.
        let log = snapshot(&ts)
            .await
            .into_iter()
            .filter(|r| r.starts_with("audit_log"))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(!log.contains(&id) && !log.contains("13905301234") && !log.contains("502"));
    });
}

#[test]
fn updates_check_the_version_and_bump_it() {
    on_each_backend(|ts| async move {
        let t = small_tree(&ts).await;
        let p = try_person(
            &ts,
            &ts.ctx(),
            NewPerson {
                phone: Some("13812345678".into()),
                ..new_person("张伟", &nth_id(1), &t.building_a1.code)
            },
        )
        .await
        .unwrap();

        let changed = update(
            &ts,
            p.id,
            PersonPatch {
                name: Some("张𠀀伟".into()),
                phone: Some(Some("13987654321".into())),
                address_detail: Some(Some("1单元101室".into())),
                version: Some(1),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(changed.version, 2);
        assert_eq!(changed.name, "张𠀀伟");
        assert_eq!(changed.phone.as_deref(), Some("139****4321"));
        assert_eq!(changed.address_detail.as_deref(), Some("****"));
        assert_eq!(changed.id_number, p.id_number);
        let r = reveal(&ts, p.id, "核对").await.unwrap();
        assert_eq!(r.phone.as_deref(), Some("13987654321"));
        assert_eq!(r.address_detail.as_deref(), Some("1单元101室"));

        // Someone else's edit was based on version 1: refused, nothing changed.
        let before = snapshot(&ts).await;
        let e = refused(
            update(
                &ts,
                p.id,
                PersonPatch {
                    name: Some("王五".into()),
                    version: Some(1),
                    ..Default::default()
                },
            )
            .await,
            "stale_version",
        );
        assert!(messages(&e).contains("version 2"));
        // Invalid values are refused whole: the valid name does not go in alone.
        let e = refused(
            update(
                &ts,
                p.id,
                PersonPatch {
                    name: Some("王五".into()),
                    phone: Some(Some("555".into())),
                    version: Some(2),
                    ..Default::default()
                },
            )
            .await,
            "phone_format",
        );
        assert_eq!(field(&e), "phone");
        refused(
            update(
                &ts,
                p.id,
                PersonPatch {
                    unit: Some("371799001001009".into()),
                    ..Default::default()
                },
            )
            .await,
            "unknown_unit",
        );
        assert_not_found(update(&ts, 99_999, PersonPatch::default()).await);
        unchanged(&before, &snapshot(&ts).await);
        assert_eq!(get(&ts, p.id).await.unwrap().name, "张𠀀伟");

        // Clearing the phone and moving house, without a version, still bumps it.
        let moved = update(
            &ts,
            p.id,
            PersonPatch {
                phone: Some(None),
                unit: Some(t.building_b1.code.clone()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(moved.version, 3);
        assert_eq!(moved.phone, None);
        assert_eq!(moved.unit, t.building_b1.code);
        let in_b = all_people(&ts, &ts.ctx(), Some(&t.comm_b.code), 50).await;
        assert_eq!(in_b.iter().map(|p| p.id).collect::<Vec<_>>(), [p.id]);
        assert!(all_people(&ts, &ts.ctx(), Some(&t.comm_a.code), 50)
            .await
            .is_empty());

        // An empty patch is not a change.
        let same = update(&ts, p.id, PersonPatch::default()).await.unwrap();
        assert_eq!(same.version, 3);
        let actions: Vec<String> = audit_of(&ts, "person", p.id)
            .await
            .into_iter()
            .map(|a| a.1)
            .collect();
        assert_eq!(actions, ["create", "update", "reveal", "update"]);
    });
}

#[test]
fn households_take_one_head_and_list_members_head_first() {
    on_each_backend(|ts| async move {
        let t = small_tree(&ts).await;
        let ctx = ts.ctx();
        let h = {
            let (ctx, unit) = (ctx.clone(), t.building_a1.code.clone());
            ts.db
                .write(move |c| {
                    households::create(
                        c,
                        &ctx,
                        NewHousehold {
                            number: Some("3717990001".into()),
                            unit,
                        },
                    )
                })
                .await
                .unwrap()
        };
        let member = |name: &str, n: u32, rel: Relation| NewPerson {
            household_id: Some(h.id),
            relation: Some(rel),
            ..new_person(name, &nth_id(n), &t.building_a1.code)
        };
        let child = try_person(&ts, &ctx, member("张小明", 1, Relation::Child))
            .await
            .unwrap();
        let head = try_person(&ts, &ctx, member("张伟", 2, Relation::Head))
            .await
            .unwrap();
        let before = snapshot(&ts).await;
        refused(
            try_person(&ts, &ctx, member("张强", 3, Relation::Head)).await,
            "household_has_head",
        );
        unchanged(&before, &snapshot(&ts).await);
        let members = {
            let ctx = ctx.clone();
            ts.db
                .read(move |c| households::members(c, &ctx, h.id))
                .await
                .unwrap()
        };
        assert_eq!(
            members.iter().map(|p| p.id).collect::<Vec<_>>(),
            [head.id, child.id]
        );
        let got = {
            let ctx = ctx.clone();
            ts.db
                .read(move |c| households::get(c, &ctx, h.id))
                .await
                .unwrap()
        };
        assert_eq!(
            (got.members, got.number.as_deref()),
            (2, Some("3717990001"))
        );
        assert_eq!(child.relation, Some(Relation::Child));
    });
}

#[test]
fn listing_a_subtree_pages_through_everyone_once_in_place_order() {
    on_each_backend(|ts| async move {
        let t = small_tree(&ts).await;
        let ctx = ts.ctx();
        // 120 people spread round-robin over A's units, so that id order and
        // place order differ, plus people elsewhere who must not be listed.
        let homes = [
            t.building_a2.clone(),
            t.building_a1.clone(),
            t.grid_a.clone(),
            t.compound_a.clone(),
        ];
        let mut home_of: HashMap<i64, String> = HashMap::new();
        let ids: Vec<(i64, String)> = {
            let (ctx, homes) = (ctx.clone(), homes.clone());
            ts.db
                .write(move |c| {
                    (0..120u32)
                        .map(|i| {
                            let home = &homes[i as usize % homes.len()];
                            let p = people::create(
                                c,
                                &ctx,
                                new_person(&format!("居民{i}"), &nth_id(i), &home.code),
                            )?;
                            Ok((p.id, home.path.clone()))
                        })
                        .collect()
                })
                .await
                .unwrap()
        };
        for (id, path) in &ids {
            home_of.insert(*id, path.clone());
        }
        for n in 0..5 {
            person(&ts, "外区居民", &nth_id(500 + n), &t.building_b1.code).await;
        }

        let mut want = ids.clone();
        want.sort_by(|a, b| (&a.1, a.0).cmp(&(&b.1, b.0)));
        let want: Vec<i64> = want.into_iter().map(|(id, _)| id).collect();

        // Pages of 50: 50, 50, 20, then no cursor.
        let mut pages = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let (ctx, cur, unit) = (ctx.clone(), cursor.clone(), t.comm_a.code.clone());
            let page = ts
                .db
                .read(move |c| people::list(c, &ctx, Some(&unit), cur.as_deref(), Some(50)))
                .await
                .unwrap();
            pages.push(page.items.iter().map(|p| p.id).collect::<Vec<_>>());
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [50, 50, 20]);
        let got: Vec<i64> = pages.concat();
        assert_eq!(got, want, "every person once, by place then id");

        // Other page sizes agree; a building lists only its own people.
        for limit in [1, 7, 119, 120, 500] {
            let ids: Vec<i64> = all_people(&ts, &ctx, Some(&t.comm_a.code), limit)
                .await
                .into_iter()
                .map(|p| p.id)
                .collect();
            assert_eq!(ids, want, "limit {limit}");
        }
        let a1: Vec<i64> = all_people(&ts, &ctx, Some(&t.building_a1.code), 50)
            .await
            .into_iter()
            .map(|p| p.id)
            .collect();
        assert_eq!(a1.len(), 30);
        assert!(a1.iter().all(|id| home_of[id] == t.building_a1.path));
        // The compound's subtree holds its buildings' people and its own.
        assert_eq!(
            all_people(&ts, &ctx, Some(&t.compound_a.code), 50)
                .await
                .len(),
            90
        );
        // The whole zone has everyone.
        assert_eq!(all_people(&ts, &ctx, None, 500).await.len(), 125);
    });
}
