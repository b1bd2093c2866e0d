//! Issue 17 item 2 on the demo zone: the demo community cadre `yaowang` does
//! not read a tip filed in their own 药王庄社区 until the zone administrator
//! makes community cadres readers of its category; the tip form says who
//! reads it, as configured.

use crate::common::*;

const DEMO_PASSWORD: &str = "Wangge-demo-2026";

#[test]
fn the_demo_cadre_reads_a_tip_in_their_community_only_once_made_a_reader() {
    for db in TestDb::both("tips") {
        let l = db.label();
        db.ok(&["demo", "--no-serve", "--people", "8"]);
        let s = db.serve();
        let admin = login(&s.addr, "admin", DEMO_PASSWORD);
        let units = call(
            &s.addr,
            "GET",
            "/api/v1/units?q=%E8%8D%AF%E7%8E%8B%E5%BA%84%E7%A4%BE%E5%8C%BA&limit=1",
            &admin.headers(),
            None,
        );
        assert_eq!(units.status, 200, "{l}: {}", units.body);
        let community = units.json()["items"][0]["code"]
            .as_str()
            .expect("药王庄社区")
            .to_string();
        let body = serde_json::json!({"category": "0901", "unit": community,
            "description": "药王庄社区某KTV疑似有人放高利贷", "name": "赵敏"})
        .to_string();
        let made = call(&s.addr, "POST", "/api/v1/public/cases", &[], Some(&body));
        assert_eq!(made.status, 201, "{l}: {}", made.body);
        let number = made.json()["number"].as_str().unwrap().to_string();
        let found = call(
            &s.addr,
            "GET",
            &format!("/api/v1/cases?text={number}"),
            &admin.headers(),
            None,
        );
        let id = found.json()["items"][0]["id"].as_i64().expect("the tip");
        let path = format!("/api/v1/cases/{id}");

        let cadre = login(&s.addr, "yaowang", DEMO_PASSWORD);
        let list = call(
            &s.addr,
            "GET",
            "/api/v1/cases?limit=200",
            &cadre.headers(),
            None,
        );
        assert_eq!(list.status, 200, "{l}: {}", list.body);
        assert!(!list.body.contains(&number), "{l}: listed to yaowang");
        let one = call(&s.addr, "GET", &path, &cadre.headers(), None);
        assert_eq!(one.status, 404, "{l}: {}", one.body);
        let form = get(&s.addr, "/tip");
        assert!(
            form.contains("区管理员和街道工作人员能看到举报全文"),
            "{l}: {form}"
        );

        let patch =
            r#"{"tip_readers": {"roles": ["zone_admin", "street_staff", "community_cadre"]}}"#;
        let changed = call(
            &s.addr,
            "PATCH",
            "/api/v1/categories/09",
            &admin.headers(),
            Some(patch),
        );
        assert_eq!(changed.status, 200, "{l}: {}", changed.body);
        let one = call(&s.addr, "GET", &path, &cadre.headers(), None);
        assert_eq!(one.status, 200, "{l}: {}", one.body);
        assert_eq!(one.json()["reporter"]["name"], "赵敏", "{l}");
        let list = call(
            &s.addr,
            "GET",
            "/api/v1/cases?limit=200",
            &cadre.headers(),
            None,
        );
        assert!(list.body.contains(&number), "{l}: not listed to yaowang");
        let form = get(&s.addr, "/tip");
        assert!(
            form.contains("区管理员、街道工作人员和社区干部能看到举报全文"),
            "{l}: {form}"
        );
        drop(s);
        assert!(db.ok(&["audit", "verify"]).contains("intact"), "{l}");
    }
}
