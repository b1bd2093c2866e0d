//! The case page's forms this work added (co-handlers on dispatch, closing as a
//! duplicate of another case), the timeline's labels in both languages, and the
//! resident's tracking page with their own photos.

use super::{field_error, has_cjk, world};
use crate::api::support::{id, on_both_backends, App, Reply, Session};
use crate::api::web_cases::page;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::json;

/// The close form, closing as a duplicate of `of`.
fn close_form(of: &str) -> Vec<(&'static str, &str)> {
    vec![
        ("action", "close"),
        ("close_kind", "duplicate"),
        ("reason", "同一路灯"),
        ("duplicate_of", of),
    ]
}

/// A staff step through the case page's form, with the page's current version.
async fn case_step(app: &App, s: &Session, path: &str, fields: &[(&str, &str)]) -> Reply {
    let html = page(app, path, Some(s)).await.text();
    let marker = "name=\"version\" value=\"";
    let at = html.find(marker).expect("a step form") + marker.len();
    let version = html[at..].split('"').next().unwrap().to_string();
    let mut all = vec![("csrf", s.csrf.as_str()), ("version", version.as_str())];
    all.extend_from_slice(fields);
    crate::api::web_cases::post_multipart(app, path, Some(s), &all, &[]).await
}

#[test]
fn the_case_forms_take_co_handlers_and_close_a_duplicate_into_another_case() {
    on_both_backends(|app| async move {
        let w = world(&app).await;
        let other = id(&app
            .post_json(
                "/api/v1/organisations",
                json!({"name": "开发区供电所", "kind": "department", "unit": w.street}),
            )
            .await
            .expect(StatusCode::CREATED));
        let report = json!({"category": "0601", "unit": w.building,
            "description": "路灯不亮,晚上看不清路", "source": "staff"});
        let mut cases = Vec::new();
        for _ in 0..2 {
            let c = app
                .post_json("/api/v1/cases", report.clone())
                .await
                .expect(StatusCode::CREATED);
            cases.push((
                id(&c["case"]),
                c["case"]["tracking_no"].as_str().unwrap().to_string(),
            ));
        }
        let (first, first_no) = cases[0].clone();
        let (dup, _) = cases[1].clone();
        let first_path = format!("/cases/{first}");
        let dup_path = format!("/cases/{dup}");
        for path in [&first_path, &dup_path] {
            let r = case_step(&app, &w.clerk, path, &[("action", "accept")]).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
        }

        // Dispatch with co-handlers: the lead cannot be one of them.
        let (dept, other) = (w.dept.to_string(), other.to_string());
        let html = page(&app, &first_path, Some(&w.clerk)).await.text();
        assert!(html.contains("name=\"co_handlers\"") && html.contains("协办单位"));
        let r = case_step(
            &app,
            &w.clerk,
            &first_path,
            &[
                ("action", "dispatch"),
                ("lead_org", &dept),
                ("co_handlers", &dept),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let html = r.text();
        assert!(
            field_error(&html, "dispatch-co-error").contains("协办"),
            "{html}"
        );
        assert!(html.contains("id=\"act-dispatch\" open"));
        let view = app
            .get(&format!("/api/v1/cases/{first}"))
            .await
            .expect(StatusCode::OK);
        assert_eq!(view["state"], "accepted", "nothing changed");
        let r = case_step(
            &app,
            &w.clerk,
            &first_path,
            &[
                ("action", "dispatch"),
                ("lead_org", &dept),
                ("co_handlers", &other),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
        let view = app
            .get(&format!("/api/v1/cases/{first}"))
            .await
            .expect(StatusCode::OK);
        assert_eq!(view["co_handlers"], json!([other.parse::<i64>().unwrap()]));

        // Closing as a duplicate: the other case is named by its tracking number.
        for (of, says) in [("", "另一个案件"), ("WG-0000-000000", "另一个案件")] {
            let r = case_step(&app, &w.clerk, &dup_path, &close_form(of)).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{of}");
            let html = r.text();
            assert!(
                field_error(&html, "close-duplicate-error").contains(says),
                "{html}"
            );
            assert!(html.contains("同一路灯"), "the reason is kept");
        }
        let r = case_step(&app, &w.clerk, &dup_path, &close_form(&dup.to_string())).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(field_error(&r.text(), "close-duplicate-error").contains("自己"));
        let view = app
            .get(&format!("/api/v1/cases/{dup}"))
            .await
            .expect(StatusCode::OK);
        assert_eq!(view["state"], "accepted", "nothing changed");

        let r = case_step(&app, &w.clerk, &dup_path, &close_form(&first_no)).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
        let view = app
            .get(&format!("/api/v1/cases/{dup}"))
            .await
            .expect(StatusCode::OK);
        assert_eq!(view["state"], "closed");
        assert_eq!(view["merged_into"], json!(first));

        // The surviving case's timeline names every step in the page's language.
        let zh = page(&app, &first_path, Some(&w.clerk)).await.text();
        assert!(zh.contains("合并重复案件") && zh.contains("派遣"));
        let en = page(&app, &format!("{first_path}?lang=en"), Some(&w.clerk))
            .await
            .text();
        let timeline = en.split("id=\"timeline-heading\"").nth(1).unwrap();
        assert!(timeline.contains("Duplicate merged in") && timeline.contains("Dispatch"));
        assert!(!timeline.contains("merged_in") && !timeline.contains(">accept<"));
        let labels: Vec<&str> = timeline
            .split("<strong>")
            .skip(1)
            .map(|s| s.split('<').next().unwrap())
            .collect();
        assert!(labels.len() >= 4, "{timeline}");
        assert!(labels.iter().all(|l| !has_cjk(l)), "{labels:?}");
    });
}

#[test]
fn the_tracking_page_shows_the_residents_own_photos_in_its_language() {
    on_both_backends(|app| async move {
        let w = world(&app).await;
        let resident = app.anonymous();
        let mut reports = Vec::new();
        for words in ["小区里有人私搭彩钢房", "3号楼旁私搭乱建"] {
            let req = Request::post("/api/v1/public/attachments")
                .header(header::CONTENT_TYPE, "image/png")
                .body(Body::from(crate::api::web_cases::png()))
                .unwrap();
            let photo = id(&resident.send(req).await.expect(StatusCode::CREATED));
            let receipt = resident
                .post_json(
                    "/api/v1/public/cases",
                    json!({"category": "0601", "unit": w.building,
                        "description": words, "attachments": [photo]}),
                )
                .await
                .expect(StatusCode::CREATED);
            let token = receipt["token"].as_str().unwrap().to_string();
            let cid = app.get("/api/v1/cases").await.expect(StatusCode::OK)["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["tracking_no"] == receipt["number"])
                .map(id)
                .unwrap();
            reports.push((cid, token, photo));
        }
        let (a, token_a, photo_a) = reports[0].clone();
        let (b, token_b, photo_b) = reports[1].clone();
        // The second is merged into the first: its photo goes to the first case.
        app.post_json(
            &format!("/api/v1/cases/{b}/merge"),
            json!({"into": a, "reason": "同一处违建"}),
        )
        .await
        .expect(StatusCode::OK);
        let staff = app
            .get(&format!("/api/v1/cases/{a}"))
            .await
            .expect(StatusCode::OK);
        assert!(staff["attachments"]
            .to_string()
            .contains(&photo_b.to_string()));

        // The first reporter sees their own photo, not the other resident's.
        let html = page(&resident, &format!("/track/{token_a}"), None)
            .await
            .text();
        let photos = html
            .split("id=\"track-photos\"")
            .nth(1)
            .expect("photos shown");
        let photos = photos.split("</ul>").next().unwrap();
        assert!(photos.contains(&format!("/attachments/{photo_a}/thumbnail")));
        assert!(
            !photos.contains(&format!("/attachments/{photo_b}/")),
            "{photos}"
        );
        let file = |token: &str, photo: i64| {
            format!("/api/v1/public/cases/{token}/attachments/{photo}/thumbnail")
        };
        assert_eq!(
            resident.get(&file(&token_a, photo_a)).await.status,
            StatusCode::OK
        );
        assert_eq!(
            resident.get(&file(&token_a, photo_b)).await.status,
            StatusCode::NOT_FOUND
        );
        // The second reporter still sees their own photo on their page.
        let html = page(&resident, &format!("/track/{token_b}"), None)
            .await
            .text();
        assert!(html.contains(&format!("/attachments/{photo_b}/thumbnail")));
        assert_eq!(
            resident.get(&file(&token_b, photo_b)).await.status,
            StatusCode::OK
        );
        assert_eq!(
            resident.get(&file(&token_b, photo_a)).await.status,
            StatusCode::NOT_FOUND
        );

        // The category and every step in the page's language.
        let en = page(&resident, &format!("/track/{token_a}?lang=en"), None)
            .await
            .text();
        assert!(en.contains("Illegal building work in a compound"), "{en}");
        let timeline = en.split("class=\"timeline\"").nth(1).unwrap();
        let timeline = timeline.split("</ol>").next().unwrap();
        assert!(timeline.contains("Your report was received"), "{timeline}");
        assert!(!has_cjk(timeline), "{timeline}");
        let zh = page(&resident, &format!("/track/{token_a}?lang=zh"), None)
            .await
            .text();
        assert!(zh.contains("小区里私搭乱建") && zh.contains("已收到您反映的问题"));
    });
}
