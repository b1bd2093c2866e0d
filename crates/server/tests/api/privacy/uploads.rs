//! A tip's photo does not name its uploader (the resident's account, or
//! `resident@<address>`) to those from whom the tip's reporter is hidden.

use super::super::support::{id, on_both_backends};
use super::seed;
use axum::http::{Method, StatusCode};
use serde_json::json;
use wangge_core::auth::Role;

fn png() -> Vec<u8> {
    let mut out = Vec::new();
    let img = image::RgbImage::from_pixel(4, 3, image::Rgb([30, 30, 200]));
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

#[test]
fn a_tips_photo_hides_who_uploaded_it() {
    on_both_backends(|app| async move {
        seed(&app).await;
        let tree = app.tree().await;
        let ip = "10.17.5.1";
        let anon = app.anonymous();
        let photo = anon
            .call(Method::POST, "/api/v1/public/attachments")
            .header("content-type", "image/png")
            .client_ip(ip)
            .raw(png())
            .send()
            .await
            .expect(StatusCode::CREATED);
        anon.call(Method::POST, "/api/v1/public/cases")
            .client_ip(ip)
            .json(json!({"category": "0901", "unit": tree.building,
                "description": "某KTV疑似有人放高利贷", "attachments": [id(&photo)]}))
            .send()
            .await
            .expect(StatusCode::CREATED);
        let path = format!("/api/v1/attachments/{}", id(&photo));
        // The zone administrator reads tips: the uploader is shown.
        let seen = app.get(&path).await.expect(StatusCode::OK);
        assert_eq!(seen["uploaded_by"], format!("resident@{ip}"));
        for (name, role) in [
            ("cadre_chen", Role::CommunityCadre),
            ("grid_zhao", Role::GridWorker),
            ("auditor_sun", Role::Auditor),
        ] {
            let scope = (role != Role::Auditor).then_some(tree.community.as_str());
            let who = app.as_user(name, role, scope, None);
            for p in [path.clone(), format!("{path}/content")] {
                let r = who.get(&p).await;
                assert!(
                    !r.text().contains(ip) && !r.text().contains("resident@"),
                    "{name} {p}: {}",
                    r.text()
                );
            }
            let r = who.get(&path).await;
            if r.status == StatusCode::OK {
                assert!(
                    r.json().get("uploaded_by").is_none(),
                    "{name}: {}",
                    r.text()
                );
            } else {
                assert_eq!(r.status, StatusCode::NOT_FOUND, "{name}: {}", r.text());
            }
        }
    });
}
