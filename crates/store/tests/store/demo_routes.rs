//! The demo's category routes and the organisations a case may be given to:
//! every demo category with an obvious handler leads to one of the demo's
//! own organisations, property matters in a compound to its property
//! company, and the handler choice leaves out shops and party bodies.

use crate::common::*;
use wangge_core::organisations::OrgKind;
use wangge_store::cases;
use wangge_store::organisations;

#[test]
fn demo_categories_route_to_their_handlers() {
    on_each_backend(|ts| async move {
        let cfg = wangge_demo::DemoConfig {
            people: 300,
            seed: 2020,
        };
        wangge_demo::seed(&ts.store, &cfg).await.unwrap();
        let ctx = ts.ctx();
        let (routes, compound, handlers, all) = ts
            .db
            .read(move |c| {
                let routes = cases::list_routes(c, None)?;
                let compound = c
                    .query_one(
                        "SELECT u.code FROM organisations o JOIN units u ON u.id = o.unit_id
                         WHERE o.kind = 'property_company' AND u.kind = 'compound' ORDER BY o.id LIMIT 1",
                        &[],
                    )?
                    .get::<String>(0)?;
                let lift = cases::route_for(c, &ctx, "0701", &compound)?;
                let property = cases::route_for(c, &ctx, "0605", &compound)?;
                let handlers = organisations::choices(
                    c,
                    &OrgKind::ALL
                        .into_iter()
                        .filter(|k| k.handles_cases())
                        .collect::<Vec<_>>(),
                    None,
                    10_000,
                )?;
                let all: i64 = c.query_one("SELECT COUNT(*) FROM organisations", &[])?.get(0)?;
                Ok((routes, (lift, property), handlers, all))
            })
            .await
            .unwrap();
        let zone: Vec<&str> = routes
            .iter()
            .filter(|r| r.unit == wangge_demo::ZONE_CODE)
            .map(|r| r.category.as_str())
            .collect();
        for minor in [
            "0101", "0404", "0504", "0605", "0701", "0702", "1001", "1101",
        ] {
            assert!(zone.contains(&minor), "{minor} has no zone route: {zone:?}");
        }
        for unrouted in ["0901", "1201", "9901"] {
            assert!(!zone.contains(&unrouted), "{unrouted}");
        }
        let (lift, property) = compound;
        assert_eq!(lift.unwrap().org_name, "菏泽开发区市场监督管理局");
        assert!(
            property.unwrap().org_name.contains("物业"),
            "the compound's own company"
        );

        let names: Vec<&str> = handlers.iter().map(|h| h.1.as_str()).collect();
        assert!(names.contains(&"菏泽开发区综合行政执法局"));
        assert!(names.iter().any(|n| n.contains("物业")));
        assert!(
            !names
                .iter()
                .any(|n| n.contains("理发店") || n.contains("洗车行") || n.contains("党支部")),
            "{names:?}"
        );
        assert!(
            (handlers.len() as i64) < all / 2,
            "{} of {all}",
            handlers.len()
        );
    });
}
