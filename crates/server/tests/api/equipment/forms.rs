//! The equipment list's "登记设备" form and export links, in both languages,
//! and equipment as an import kind through the API.

use super::web::post_form;
use super::*;
use crate::api::web_cases::page;
use axum::http::Method;

const PASSWORD: &str = "Register-lifts-2026";

/// The registration codes in the registry, as the API lists them.
async fn listed(app: &App) -> Vec<String> {
    codes(&app.get("/api/v1/equipment").await.expect(StatusCode::OK))
}

fn good<'a>(f: &'a Fixture, csrf: &'a str, code: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("registration_code", code),
        ("kind", "elevator"),
        ("unit", &f.tree.building),
        ("location", "2单元东梯"),
        ("use_org", "康庄物业"),
        ("maintenance_org", ""),
        ("model", "曳引式乘客电梯"),
        ("installed_on", "2018-06-01"),
        ("last_inspected_on", "2026-05-01"),
        ("next_inspection_due", ""),
        ("maintenance_interval_days", "15"),
    ]
}

fn with<'a>(
    mut form: Vec<(&'a str, &'a str)>,
    key: &str,
    value: &'a str,
) -> Vec<(&'a str, &'a str)> {
    for (k, v) in form.iter_mut() {
        if *k == key {
            *v = value;
        }
    }
    form
}

#[test]
fn the_list_registers_equipment_keeps_bad_input_and_links_its_exports() {
    on_both_backends(|app| async move {
        let f = fixture(&app).await;
        app.password_account(
            "li",
            PASSWORD,
            Role::StreetStaff,
            Some(&f.tree.street),
            None,
        )
        .await;
        let s = app.session("li", PASSWORD).await;
        for (lang, heading, other) in [
            ("zh", "登记设备", "Register equipment"),
            ("en", "Register equipment", "登记设备"),
        ] {
            let html = page(
                &app,
                &format!("/equipment?kind=elevator&lang={lang}"),
                Some(&s),
            )
            .await
            .text();
            assert!(html.contains("id=\"new-equipment-form\""), "{lang}: {html}");
            assert!(html.contains(heading) && !html.contains(other), "{lang}");
            assert!(
                html.contains("href=\"/exports/equipment.xlsx?kind=elevator\""),
                "{lang}: {html}"
            );
        }

        // Each refusal is shown next to its field, with what was typed kept.
        let before = app.snapshot().await;
        for (key, value, field, zh, en) in [
            (
                "installed_on",
                "2030-01-01",
                "installed_on",
                "安装日期不能晚于今天",
                "cannot be in the future",
            ),
            (
                "use_org",
                "无此物业",
                "use_org",
                "组织“无此物业”未登记",
                "no organisation",
            ),
            (
                "next_inspection_due",
                "2026-01-01",
                "next_inspection_due",
                "下次检验日期必须晚于上次检验日期",
                "after the last one",
            ),
            ("unit", "371799999999", "unit", "不存在", "no unit"),
            (
                "registration_code",
                "D",
                "registration_code",
                "4到40个字符",
                "4 to 40",
            ),
            (
                "maintenance_interval_days",
                "十五",
                "maintenance_interval_days",
                "整数",
                "whole number",
            ),
        ] {
            for (lang, msg) in [("zh", zh), ("en", en)] {
                let form = with(good(&f, &s.csrf, "DT-FORM1"), key, value);
                let r = post_form(&app, &format!("/equipment?lang={lang}"), &s, &form).await;
                assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{key}");
                let html = r.text();
                assert!(
                    html.contains(&format!("id=\"new-{field}-error\"")),
                    "{key}: {html}"
                );
                assert!(html.contains(msg), "{lang} {key}: {html}");
                assert!(html.contains(&format!("value=\"{value}\"")), "{key} kept");
                assert!(html.contains("value=\"2单元东梯\""), "{key}: the rest kept");
            }
        }
        app.assert_unchanged(&before).await;

        let r = post_form(&app, "/equipment", &s, &good(&f, &s.csrf, "DT-FORM1")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let to = r.header("location").unwrap().to_string();
        assert!(to.ends_with("?done=created"), "{to}");
        let html = page(&app, &to, Some(&s)).await.text();
        assert!(
            html.contains("设备已登记") && html.contains("DT-FORM1"),
            "{html}"
        );
        // The same code again is a conflict at the code field.
        let before = app.snapshot().await;
        let r = post_form(&app, "/equipment", &s, &good(&f, &s.csrf, "dt-form1")).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().contains("id=\"new-registration_code-error\""));
        app.assert_unchanged(&before).await;
    });
}

#[test]
fn without_equipment_write_there_is_no_form_and_a_post_is_refused() {
    on_both_backends(|app| async move {
        let f = fixture(&app).await;
        app.password_account(
            "grid",
            PASSWORD,
            Role::GridWorker,
            Some(&f.tree.community),
            None,
        )
        .await;
        let s = app.session("grid", PASSWORD).await;
        let html = page(&app, "/equipment", Some(&s)).await;
        assert_eq!(html.status, StatusCode::OK);
        let html = html.text();
        assert!(!html.contains("new-equipment-form") && !html.contains("登记设备"));
        // A grid worker may not export either: no links.
        assert!(!html.contains("/exports/equipment"), "{html}");
        let before = app.snapshot().await;
        let r = post_form(&app, "/equipment", &s, &good(&f, &s.csrf, "DT-GRID1")).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        app.assert_unchanged(&before).await;
        assert!(listed(&app).await.is_empty());
    });
}

#[test]
fn equipment_imports_through_the_api_with_its_template() {
    on_both_backends(|app| async move {
        let f = fixture(&app).await;
        let t = app.get("/api/v1/templates/equipment").await;
        assert_eq!(t.status, StatusCode::OK);
        assert!(t.body.starts_with(b"PK"));
        let csv = format!(
            "登记代码,设备种类,所在单位代码,使用单位,维保单位,安装日期,上次定期检验日期,维保周期(天),状态\n\
             DT-IMP1,电梯,{},康庄物业,菏泽通力电梯维保,2016-04-01,2026-04-01,15,在用\n",
            f.tree.building
        );
        let s = app
            .send_raw(
                Method::POST,
                "/api/v1/imports/equipment",
                Some("text/csv"),
                csv.clone(),
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(
            (s["committed"].clone(), s["created"].clone()),
            (true.into(), 1.into()),
            "{s}"
        );
        let again = app
            .send_raw(
                Method::POST,
                "/api/v1/imports/equipment",
                Some("text/csv"),
                csv.clone(),
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(again["unchanged"], 1, "{again}");
        assert_eq!(again["created"], 0, "{again}");

        // A row outside the importer's scope is reported; nothing is written.
        let cadre = app.as_user("cadre", Role::CommunityCadre, Some(&f.tree.community), None);
        let outside = format!(
            "登记代码,设备种类,所在单位代码,使用单位,安装日期\nDT-IMP2,电梯,{},康庄物业,2016-04-01\n",
            f.other_compound
        );
        let before = listed(&app).await;
        assert_eq!(before, ["DT-IMP1"]);
        let r = cadre
            .send_raw(
                Method::POST,
                "/api/v1/imports/equipment",
                Some("text/csv"),
                outside,
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(r["committed"], false, "{r}");
        assert_eq!(r["issues"][0]["code"], "outside_scope", "{r}");
        assert_eq!(r["issues"][0]["row"], 2, "{r}");
        assert!(
            r["issues"][0]["column"].as_str().unwrap().starts_with('C'),
            "{r}"
        );
        let grid = app.as_user("grid", Role::GridWorker, Some(&f.tree.community), None);
        grid.send_raw(
            Method::POST,
            "/api/v1/imports/equipment",
            Some("text/csv"),
            csv,
        )
        .await
        .problem(StatusCode::FORBIDDEN, "forbidden", None);
        // Nothing was registered by the refused imports.
        assert_eq!(listed(&app).await, before);
    });
}

#[test]
fn the_site_list_registers_a_site_and_keeps_bad_input() {
    on_both_backends(|app| async move {
        let f = fixture(&app).await;
        app.password_account(
            "li",
            PASSWORD,
            Role::StreetStaff,
            Some(&f.tree.street),
            None,
        )
        .await;
        let s = app.session("li", PASSWORD).await;
        for (lang, heading, other) in [
            ("zh", "登记工地", "Register a construction site"),
            ("en", "Register a construction site", "登记工地"),
        ] {
            let html = page(&app, &format!("/construction-sites?lang={lang}"), Some(&s))
                .await
                .text();
            assert!(html.contains("id=\"new-site-form\""), "{lang}: {html}");
            assert!(html.contains(heading) && !html.contains(other), "{lang}");
        }
        let form = |ends: &'static str, builder: &'static str| {
            vec![
                ("csrf", s.csrf.clone()),
                ("name", "开发区实验学校扩建工程".to_string()),
                ("builder", builder.to_string()),
                ("unit", f.tree.compound.clone()),
                ("location", "北侧空地".to_string()),
                ("starts_on", "2026-03-01".to_string()),
                ("ends_on", ends.to_string()),
            ]
        };
        let post = |v: Vec<(&'static str, String)>, lang: &'static str| {
            let app = &app;
            let s = &s;
            async move {
                let v: Vec<(&str, &str)> = v.iter().map(|(k, x)| (*k, x.as_str())).collect();
                post_form(app, &format!("/construction-sites?lang={lang}"), s, &v).await
            }
        };
        let before = app.snapshot().await;
        for (lang, msg) in [
            ("zh", "竣工日期不能早于开工日期"),
            ("en", "cannot end before it starts"),
        ] {
            let r = post(form("2025-01-01", "康庄物业"), lang).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
            let html = r.text();
            assert!(
                html.contains("id=\"site-ends_on-error\"") && html.contains(msg),
                "{html}"
            );
            assert!(
                html.contains("value=\"开发区实验学校扩建工程\"")
                    && html.contains("value=\"2025-01-01\"")
            );
        }
        let r = post(form("", "无此施工单位"), "zh").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().contains("id=\"site-builder-error\""));
        app.assert_unchanged(&before).await;
        let r = post(form("2027-06-30", "康庄物业"), "zh").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let to = r.header("location").unwrap().to_string();
        let html = page(&app, &to, Some(&s)).await.text();
        assert!(
            html.contains("开发区实验学校扩建工程") && html.contains("康庄物业"),
            "{html}"
        );

        // A grid worker sees no form and is refused.
        app.password_account(
            "grid",
            PASSWORD,
            Role::GridWorker,
            Some(&f.tree.community),
            None,
        )
        .await;
        let g = app.session("grid", PASSWORD).await;
        let html = page(&app, "/construction-sites", Some(&g)).await.text();
        assert!(!html.contains("new-site-form"));
        let before = app.snapshot().await;
        let v = [
            ("csrf", g.csrf.as_str()),
            ("name", "违规工地"),
            ("builder", "康庄物业"),
            ("unit", &f.tree.compound),
            ("starts_on", "2026-03-01"),
        ];
        let r = post_form(&app, "/construction-sites", &g, &v).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        app.assert_unchanged(&before).await;
    });
}
