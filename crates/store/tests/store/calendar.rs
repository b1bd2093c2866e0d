//! Years added to the working-day calendar: only the zone administrator adds
//! one, every bad notice is refused with nothing written, a stored year is
//! loaded by any other calendar (another node, a restart), and a calendar
//! file naming the same year wins.

use crate::common::*;
use time::macros::date;
use wangge_core::auth::Role;
use wangge_core::calendar::Calendar;
use wangge_store::calendar::{self, LiveCalendar};

const NOTICE_2027: &str = "year 2027 https://www.gov.cn/2027
holiday new_year 2027-01-01..2027-01-03
holiday 春节 2027-02-05..2027-02-11
workday spring_festival 2027-02-14
";

async fn add(
    ts: &Env,
    ctx: &wangge_store::Ctx,
    live: &LiveCalendar,
    text: &str,
) -> wangge_store::Result<i32> {
    let (ctx, live, text) = (ctx.clone(), live.clone(), text.to_string());
    ts.db
        .write(move |c| calendar::add_year(c, &ctx, &live, &text))
        .await
}

#[test]
fn only_the_zone_admin_adds_a_year_and_bad_notices_change_nothing() {
    on_each_backend(|ts| async move {
        let live = LiveCalendar::default();
        let before = snapshot(&ts).await;
        let mut clerk = ts.ctx();
        clerk.role = Some(Role::StreetStaff);
        let r = add(&ts, &clerk, &live, NOTICE_2027).await;
        assert!(matches!(r, Err(wangge_store::Error::Forbidden)), "{r:?}");

        let mut admin = ts.ctx();
        admin.role = Some(Role::ZoneAdmin);
        let long = "# 注释\n".repeat(5000);
        let bad: [(&str, &str); 6] = [
            ("  \n", "required"),
            (long.as_str(), "too_long"),
            ("year 2027 https://x\nholiday 春节 2027-13-01\n", "calendar_file"),
            ("year 2027 https://x\nholiday 春节 2028-02-01\n", "calendar_file"),
            (
                "year 2027 https://x\nholiday 春节 2027-02-08\nyear 2028 https://y\nholiday 元旦 2028-01-01\n",
                "one_year",
            ),
            ("year 2025 https://x\nholiday 春节 2025-02-01\n", "calendar_year_exists"),
        ];
        for (text, code) in bad {
            let e = refused(add(&ts, &admin, &live, text).await, code);
            if code != "calendar_year_exists" {
                assert_eq!(field(&e), "notice", "{text}");
            }
            let m = messages(&e);
            assert!(m.lines().count() >= 2, "both languages: {m}");
        }
        unchanged(&before, &snapshot(&ts).await);
        assert!(live.current().notice(2027).is_none());

        // A good one, stored and audited; the caller's calendar gets it on load.
        let year = add(&ts, &admin, &live, NOTICE_2027).await.unwrap();
        assert_eq!(year, 2027);
        assert!(live.current().notice(2027).is_none(), "not before the load");
        let l2 = live.clone();
        let years = ts.db.read(move |c| calendar::load(c, &l2)).await.unwrap();
        assert_eq!(years, vec![2027]);
        let cal = live.current();
        assert!(cal.is_workday(date!(2027 - 02 - 14)).unwrap());
        assert!(!cal.is_workday(date!(2027 - 02 - 08)).unwrap());
        assert_eq!(audit_of(&ts, "calendar_year", 2027).await.len(), 1);
        let added = ts.db.read(calendar::list_added).await.unwrap();
        assert_eq!(added.len(), 1);
        assert!(added[0]
            .notice
            .contains("holiday spring_festival 2027-02-05..2027-02-11"));
        assert_eq!(added[0].created_by, "tester");

        // Again: refused, whether the calendar has loaded it or not.
        refused(
            add(&ts, &admin, &live, NOTICE_2027).await,
            "calendar_year_exists",
        );
        let fresh = LiveCalendar::default();
        refused(
            add(&ts, &admin, &fresh, NOTICE_2027).await,
            "calendar_year_exists",
        );
    });
}

#[test]
fn a_calendar_file_with_the_same_year_wins_over_an_added_one() {
    on_each_backend(|ts| async move {
        let live = LiveCalendar::default();
        add(&ts, &ts.ctx(), &live, NOTICE_2027).await.unwrap();
        // The file moves the make-up day to the Saturday before.
        let file = "year 2027 https://file
holiday spring_festival 2027-02-05..2027-02-11
workday spring_festival 2027-02-13
";
        let corrected = LiveCalendar::new(Calendar::with_extra(file).unwrap());
        let c2 = corrected.clone();
        ts.db.read(move |c| calendar::load(c, &c2)).await.unwrap();
        let cal = corrected.current();
        assert!(cal.is_workday(date!(2027 - 02 - 13)).unwrap());
        assert!(!cal.is_workday(date!(2027 - 02 - 14)).unwrap());
        assert_eq!(cal.notice(2027).unwrap().sources, vec!["https://file"]);
    });
}
