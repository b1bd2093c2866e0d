//! The holiday calendar page: the years and days shown, a later year added by
//! the zone administrator (and refused with the message next to the text when
//! wrong), and deadlines computed with it afterwards.

use super::{field_error, has_cjk, new_minor, post_form, world};
use crate::api::support::{on_both_backends, App};
use crate::api::web_cases::page;
use axum::http::{header, StatusCode};
use serde_json::json;

const NOTICE_2027: &str = "# 国务院办公厅关于2027年部分节假日安排的通知
year 2027 https://www.gov.cn/zhengce/content/2027-notice
holiday 元旦 2027-01-01..2027-01-03
holiday spring_festival 2027-02-05..2027-02-11
workday spring_festival 2027-02-14
";

async fn added_years(app: &App) -> Vec<i32> {
    app.store
        .db
        .read(wangge_store::calendar::list_added)
        .await
        .unwrap()
        .iter()
        .map(|a| a.year)
        .collect()
}

#[test]
fn a_zone_admin_adds_a_later_year_and_deadlines_use_it() {
    on_both_backends(|app| async move {
        let w = world(&app).await;

        // The built-in years and the days of the current one, in both languages.
        let r = page(&app, "/admin/calendar", Some(&w.admin)).await;
        assert_eq!(r.status, StatusCode::OK);
        let html = r.text();
        for y in 2020..=2026 {
            assert!(html.contains(&format!("?year={y}\"")), "{y}");
        }
        assert!(html.contains("2026年的放假和调休上班日期"));
        assert!(html.contains("2026-02-15") && html.contains("春节") && html.contains("内置"));
        assert!(!html.contains("?year=2027"));
        let en = page(&app, "/admin/calendar?year=2024&lang=en", Some(&w.admin))
            .await
            .text();
        assert!(en.contains("Holidays and make-up working days of 2024"));
        assert!(en.contains("Spring Festival") && en.contains("Make-up working day"));
        let main = en
            .split("<main")
            .nth(1)
            .unwrap()
            .split("</main>")
            .next()
            .unwrap();
        assert!(!has_cjk(main), "no Chinese on the English page: {main}");

        // A category whose acceptance runs 40 working days: from late November
        // 2026 that ends in 2027, which the calendar does not know yet.
        let mut form = new_minor("0191", "40", "working_days");
        form.retain(|(k, _)| *k != "name_zh");
        form.push(("name_zh", "长期事项"));
        let r = post_form(&app, "/admin/categories", &w.admin, &form).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
        let report = json!({"category": "0191", "unit": w.building,
            "description": "井盖丢失,夜间危险", "source": "staff"});
        let before = app
            .post_json("/api/v1/cases", report.clone())
            .await
            .expect(StatusCode::CREATED);
        assert!(before["case"]["due_at"].is_null(), "{before}");

        // Refused notices: the message next to the text, the text kept, no year added.
        let bad: [(&str, &str); 5] = [
            ("", "请填写通知内容"),
            ("year 2027 https://x\nholiday 春节 2027-02-30\n", "第2行"),
            ("year 2026 https://x\nholiday 春节 2026-02-16\n", "已有2026年"),
            (
                "year 2027 https://x\nholiday 春节 2027-02-08\nyear 2028 https://y\nholiday 元旦 2028-01-01\n",
                "一个年份",
            ),
            ("year 2027 https://x\nworkday 春节 2027-02-10\n", "周六或周日"),
        ];
        for (text, says) in bad {
            let r = post_form(&app, "/admin/calendar", &w.admin, &[("notice", text)]).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
            let html = r.text();
            assert!(
                field_error(&html, "notice-error").contains(says),
                "{text}: {html}"
            );
            let kept = text.lines().last().unwrap_or_default();
            assert!(html.contains(kept), "kept: {kept}");
            assert!(added_years(&app).await.is_empty());
        }
        let r = post_form(
            &app,
            "/admin/calendar?lang=en",
            &w.admin,
            &[("notice", "year 2027 https://x\nholiday 春节 2027-02-30\n")],
        )
        .await;
        let msg = field_error(&r.text(), "notice-error");
        assert!(msg.starts_with("line 2:") && !has_cjk(&msg), "{msg}");

        // Only the zone admin.
        assert_eq!(
            page(&app, "/admin/calendar", Some(&w.clerk)).await.status,
            StatusCode::NOT_FOUND
        );
        let r = post_form(
            &app,
            "/admin/calendar",
            &w.clerk,
            &[("notice", NOTICE_2027)],
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert!(added_years(&app).await.is_empty());
        let still = app
            .post_json("/api/v1/cases", report.clone())
            .await
            .expect(StatusCode::CREATED);
        assert!(
            still["case"]["due_at"].is_null(),
            "nothing changed: {still}"
        );

        // Added: listed as added here, its days shown, and deadlines use it.
        let r = post_form(
            &app,
            "/admin/calendar",
            &w.admin,
            &[("notice", NOTICE_2027)],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
        assert_eq!(
            r.headers[header::LOCATION],
            "/admin/calendar?year=2027&done=1"
        );
        assert_eq!(added_years(&app).await, vec![2027]);
        let html = page(&app, "/admin/calendar?year=2027&done=1", Some(&w.admin))
            .await
            .text();
        assert!(html.contains("本页添加") && html.contains("2027-02-14"));
        assert!(html.contains("调休上班") && html.contains("元旦"));
        let after = app
            .post_json("/api/v1/cases", report.clone())
            .await
            .expect(StatusCode::CREATED);
        let due = after["case"]["due_at"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(due.starts_with("2027-01"), "a deadline in 2027: {after}");

        // The same year again is refused.
        let r = post_form(
            &app,
            "/admin/calendar",
            &w.admin,
            &[("notice", NOTICE_2027)],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(field_error(&r.text(), "notice-error").contains("已有2027年"));

        // A fresh calendar (another node, or a restart) loads it from the database.
        let other = wangge_store::calendar::LiveCalendar::default();
        assert!(other.current().notice(2027).is_none());
        let o2 = other.clone();
        let years = app
            .store
            .db
            .read(move |c| wangge_store::calendar::load(c, &o2))
            .await
            .unwrap();
        assert_eq!(years, vec![2027]);
        let d = time::macros::date!(2027 - 02 - 14);
        assert!(
            other.current().is_workday(d).unwrap(),
            "a make-up working Sunday"
        );
    });
}
