//! What FixMyStreet sends through Open311: long descriptions (title, detail
//! and a link in one), a report carried by the service's attributes alone, its
//! placeholder for a report without a pin, and one media_url per photo.

use super::open311::{doc, error, next_ip, post_form, staff_case, txt, world, Fmt};
use super::support::on_both_backends;
use axum::http::StatusCode;

#[test]
fn fixmystreet_reports_are_taken_as_it_sends_them() {
    on_both_backends(|app| async move {
        let w = world(&app).await;
        let client = app.anonymous();
        let building = w.tree.building.clone();
        let post = |pairs: Vec<(&'static str, String)>| {
            let client = client.clone();
            async move {
                let p: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
                post_form(&client, Fmt::Json, &p, &next_ip()).await
            }
        };
        let report = |description: String| {
            vec![
                ("service_code", "0101".to_string()),
                ("lat", "35.25".into()),
                ("long", "115.45".into()),
                ("address_id", building.clone()),
                ("description", description),
            ]
        };

        // Title, detail and link in one description, up to GeoReport's 4,000.
        let long = format!(
            "楼道垃圾堆积\n\n{}\n\nhttps://fms.example.org/report/77",
            "垃圾".repeat(1970)
        );
        assert!(long.chars().count() <= 4000);
        let r = post(report(long.clone())).await;
        let no =
            txt(&doc(&r, Fmt::Json, StatusCode::OK, "service_requests")[0]["service_request_id"]);
        assert_eq!(staff_case(&app, &no).await["description"], long.as_str());
        let too_long = "垃".repeat(4001);
        let d = error(
            &post(report(too_long)).await,
            Fmt::Json,
            StatusCode::BAD_REQUEST,
        );
        assert!(d.starts_with("description"), "{d}");

        // No description where the service's attributes carry the report.
        let r = post(vec![
            ("service_code", "0803".into()),
            ("lat", "35.25".into()),
            ("long", "115.45".into()),
            ("address_id", building.clone()),
            ("attribute[project_name]", "长江路安置房二期".into()),
        ])
        .await;
        let no =
            txt(&doc(&r, Fmt::Json, StatusCode::OK, "service_requests")[0]["service_request_id"]);
        let case = staff_case(&app, &no).await;
        assert!(
            case["description"]
                .as_str()
                .unwrap()
                .contains("长江路安置房二期"),
            "{case}"
        );

        // The placeholder of a report without a pin is no address, and one
        // media_url per photo is kept, each of them.
        let mut pairs = report("井盖缺失".into());
        pairs.push(("address_string", "#NOTPINPOINTED#".into()));
        pairs.push(("media_url", "https://fms.example.org/photo/1.jpeg".into()));
        pairs.push(("media_url", "https://fms.example.org/photo/2.jpeg".into()));
        let r = post(pairs).await;
        let no =
            txt(&doc(&r, Fmt::Json, StatusCode::OK, "service_requests")[0]["service_request_id"]);
        let case = staff_case(&app, &no).await;
        assert!(!case.to_string().contains("#NOTPINPOINTED#"), "{case}");
        let log = app
            .get(&format!("/api/v1/cases/{}/events", case["id"]))
            .await
            .expect(StatusCode::OK)
            .to_string();
        for photo in ["photo/1.jpeg", "photo/2.jpeg"] {
            assert!(log.contains(photo), "{photo} in {log}");
        }
    });
}
