//! Unit positions: set and cleared through the registry, refused when out of
//! range (nothing changed), and the nearest units within a radius, nearest
//! first, within the caller's scope.

use crate::common::*;
use wangge_core::geo::distance_m;
use wangge_store::{units, Scope};

async fn place(
    ts: &Env,
    code: &str,
    lat: Option<f64>,
    lon: Option<f64>,
) -> wangge_store::Result<units::Unit> {
    let (ctx, code) = (ts.ctx(), code.to_string());
    ts.db
        .write(move |c| units::set_position(c, &ctx, &code, lat, lon))
        .await
}

async fn near(ts: &Env, scope: Scope, at: (f64, f64), radius: f64) -> Vec<(String, f64)> {
    let ctx = ts.scoped(scope);
    ts.db
        .read(move |c| units::nearest(c, &ctx, at, radius, 10))
        .await
        .unwrap()
        .into_iter()
        .map(|n| (n.unit.name.clone(), n.distance_m))
        .collect()
}

#[test]
fn the_nearest_units_come_first_within_the_radius_and_the_scope() {
    on_each_backend(|ts| async move {
        let t = small_tree(&ts).await;
        let here = (35.2450, 115.4700);
        // 华英小区 about 110 m north, 长江花园 about 900 m east, 长江路社区 ~5 km away.
        place(&ts, &t.compound_a.code, Some(35.2460), Some(115.4700))
            .await
            .unwrap();
        place(&ts, &t.compound_b.code, Some(35.2450), Some(115.4799))
            .await
            .unwrap();
        let far = place(&ts, &t.comm_b.code, Some(35.2900), Some(115.4700))
            .await
            .unwrap();
        assert_eq!((far.lat, far.lon), (Some(35.29), Some(115.47)));

        let found = near(&ts, Scope::All, here, 2000.0).await;
        let names: Vec<&str> = found.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["华英小区", "长江花园"], "{found:?}");
        assert!((found[0].1 - 111.2).abs() < 1.0, "{found:?}");
        assert!((found[1].1 - distance_m(here, (35.2450, 115.4799))).abs() < 0.01);

        // A community cadre of 广州路社区 does not see 长江花园.
        let scoped = near(&ts, Scope::Subtree(t.comm_a.path.clone()), here, 2000.0).await;
        assert_eq!(scoped.len(), 1, "{scoped:?}");
        assert_eq!(scoped[0].0, "华英小区");

        // Cleared, a unit is no longer found.
        let cleared = place(&ts, &t.compound_a.code, None, None).await.unwrap();
        assert_eq!((cleared.lat, cleared.lon), (None, None));
        let names: Vec<String> = near(&ts, Scope::All, here, 2000.0)
            .await
            .into_iter()
            .map(|n| n.0)
            .collect();
        assert_eq!(names, ["长江花园"]);
    });
}

#[test]
fn a_bad_position_is_refused_with_the_field_named_and_nothing_changes() {
    on_each_backend(|ts| async move {
        let t = small_tree(&ts).await;
        place(&ts, &t.compound_a.code, Some(35.2460), Some(115.4700))
            .await
            .unwrap();
        for (lat, lon, field) in [
            (Some(35.0), None, "lon"),
            (Some(91.0), Some(115.0), "lat"),
            (Some(35.0), Some(-181.0), "lon"),
            (Some(f64::INFINITY), Some(115.0), "lat"),
        ] {
            match place(&ts, &t.compound_a.code, lat, lon).await {
                Err(wangge_store::Error::Domain(wangge_core::Error::Invalid {
                    field: f,
                    zh,
                    ..
                })) => {
                    assert_eq!(f, field, "{lat:?},{lon:?}");
                    assert!(zh.contains("纬度") || zh.contains("经度"), "{zh}");
                }
                other => panic!("{lat:?},{lon:?}: {other:?}"),
            }
        }
        let kept = get_unit(&ts, &t.compound_a.code).await.unwrap();
        assert_eq!((kept.lat, kept.lon), (Some(35.2460), Some(115.4700)));
        // Unknown units are not found, and the audit log names each change.
        assert!(place(&ts, "371799999999", Some(35.0), Some(115.0))
            .await
            .is_err());
        let n: i64 = ts
            .db
            .read(|c| {
                c.query_one(
                    "SELECT COUNT(*) FROM audit_log WHERE entity = 'unit' AND action = 'position'",
                    &[],
                )?
                .get(0)
            })
            .await
            .unwrap();
        assert_eq!(n, 1);
    });
}

#[test]
fn a_case_far_outside_the_located_places_is_refused_and_nothing_is_written() {
    use crate::cases_fixture::{new_case, world};
    on_each_backend(|ts| async move {
        let w = world(&ts).await;
        let t = &w.t;
        let at = |p: Option<(f64, f64)>| {
            let mut new = new_case("0101", &t.building_a1.code, "楼下垃圾");
            (new.lat, new.lon) = (p.map(|p| p.0), p.map(|p| p.1));
            new
        };
        let count = || async {
            ts.db
                .read(|c| {
                    c.query_one("SELECT COUNT(*) FROM cases", &[])?
                        .get::<i64>(0)
                })
                .await
                .unwrap()
        };
        // Nothing located yet: any position passes.
        w.report(&w.anon, at(Some((31.23, 121.47)))).await;
        place(&ts, &t.compound_a.code, Some(35.2460), Some(115.4700))
            .await
            .unwrap();
        place(&ts, &t.compound_b.code, Some(35.2450), Some(115.4799))
            .await
            .unwrap();
        let before = count().await;
        // Shanghai, and Heze with latitude and longitude swapped.
        for p in [(31.23, 121.47), (115.47, 35.24)] {
            match w.try_report(&w.anon, at(Some(p))).await {
                Err(wangge_store::Error::Domain(wangge_core::Error::Invalid {
                    field,
                    code,
                    zh,
                    ..
                })) => {
                    assert_eq!(field, "lat");
                    if p.0 <= 90.0 {
                        assert_eq!(code, "outside_zone");
                        assert!(zh.contains("不在本区范围内"), "{zh}");
                    }
                }
                other => panic!("{p:?}: {other:?}"),
            }
        }
        assert_eq!(count().await, before, "nothing written");
        // 4 km beyond the outermost place is still the zone; no position always is.
        w.report(&w.anon, at(Some((35.2820, 115.4700)))).await;
        w.report(&w.anon, at(None)).await;
        assert_eq!(count().await, before + 2);
    });
}
