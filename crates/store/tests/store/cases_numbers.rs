//! Tracking numbers: `WG-YYYYMMDD-NNNNN`, counted per local day, and stored as
//! answered (PostgreSQL makes the number inside the insert statement).

use crate::cases_fixture::*;
use crate::common::*;
use wangge_store::params;

#[test]
fn tracking_numbers_count_per_day_past_five_digits() {
    on_each_backend(|ts| async move {
        let w = world(&ts).await;
        let first = w.rubbish().await.case.tracking_no;
        let second = w.rubbish().await.case.tracking_no;
        assert_eq!(
            (first.as_str(), second.as_str()),
            ("WG-20261124-00001", "WG-20261124-00002")
        );
        // A busy day: the count goes on past 99,999 with a sixth digit.
        w.write(|c, _| {
            c.execute(
                "UPDATE case_numbers SET last = 99998 WHERE day = 20261124",
                &[],
            )
        })
        .await
        .unwrap();
        let a = w.rubbish().await.case;
        let b = w.rubbish().await.case;
        assert_eq!(a.tracking_no, "WG-20261124-99999");
        assert_eq!(b.tracking_no, "WG-20261124-100000");
        let stored: String = w
            .read(move |c, _| {
                c.query_one("SELECT tracking_no FROM cases WHERE id = $1", params![b.id])?
                    .get(0)
            })
            .await
            .unwrap();
        assert_eq!(stored, "WG-20261124-100000");
        // The next day starts again at 1.
        let tomorrow = at(&w.anon, NOW + time::Duration::days(1));
        let next = w
            .report(
                &tomorrow,
                new_case("0101", &w.t.building_a1.code, "垃圾未清运"),
            )
            .await;
        assert_eq!(next.case.tracking_no, "WG-20261125-00001");
    });
}
