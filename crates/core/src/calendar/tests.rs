use super::*;
use proptest::prelude::*;
use time::macros::{date, datetime, time};
use time::Time;

fn cal() -> Calendar {
    Calendar::builtin()
}

#[test]
fn known_dates() {
    let c = cal();
    // 2026: the Saturday before the Spring Festival is worked, the Monday after is off.
    assert!(c.is_workday(date!(2026 - 02 - 14)).unwrap());
    assert!(!c.is_workday(date!(2026 - 02 - 16)).unwrap());
    assert!(!c.is_workday(date!(2026 - 02 - 23)).unwrap());
    assert!(c.is_workday(date!(2026 - 02 - 28)).unwrap());
    assert!(c.is_workday(date!(2026 - 01 - 04)).unwrap());
    assert!(c.is_workday(date!(2026 - 03 - 02)).unwrap());
    assert!(!c.is_workday(date!(2026 - 03 - 07)).unwrap());
    // 31 December 2022 belongs to the 2023 notice.
    let s = c.special_day(date!(2022 - 12 - 31)).unwrap().unwrap();
    assert_eq!(
        (s.kind, s.festival, s.notice_year),
        (DayKind::Holiday, Festival::NewYear, 2023)
    );
    // 2020's Spring Festival as extended by the second notice.
    assert!(!c.is_workday(date!(2020 - 01 - 31)).unwrap());
    assert!(c.is_workday(date!(2020 - 02 - 03)).unwrap());
    assert_eq!(c.years(), (2020..=2026).collect::<Vec<_>>());
    assert_eq!(c.notice(2020).unwrap().sources.len(), 2);
}

#[test]
fn every_builtin_make_up_day_is_a_weekend_and_notices_stay_in_their_year() {
    for y in cal().years() {
        let n = cal().notice(y).unwrap().clone();
        assert!(!n.from_file);
        for (d, (kind, _)) in n.days {
            assert!(d.year() == y || (d.year() == y - 1 && d.month() == time::Month::December));
            if kind == DayKind::Workday {
                assert!(
                    matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday),
                    "{d}"
                );
            }
        }
    }
}

/// Compares every day with the `chinese_holiday` crate, an independent
/// transcription of the same notices. The crate refuses dates after 25 December
/// 2026, so the last six days of 2026 are checked by weekday only (no notice
/// item falls there). The two agree on every day; where the festival names
/// differ it is only because the notices of 2020, 2023 and 2025 list National
/// Day and Mid-Autumn as one item, which the crate splits.
#[test]
fn agrees_with_the_chinese_holiday_crate() {
    use chinese_holiday::DayKind as K;
    let c = cal();
    let mut d = date!(2020 - 01 - 01);
    while d <= date!(2026 - 12 - 31) {
        let ours = c.is_workday(d).unwrap();
        if d <= date!(2026 - 12 - 25) {
            let ymd = (d.year() as u16, u8::from(d.month()), d.day());
            let theirs = chinese_holiday::chinese_holiday(ymd);
            assert_eq!(ours, theirs.is_workday(), "{d}: {theirs:?}");
            let festival = c.special_day(d).unwrap().map(|s| s.festival);
            let expected: &[Option<Festival>] = match theirs {
                K::NormalWorkday | K::NormalHoliday => &[None],
                K::NewYearsDayHoliday | K::NewYearsDayWorkday => &[Some(Festival::NewYear)],
                K::SpringFestivalHoliday | K::SpringFestivalWorkday => {
                    &[Some(Festival::SpringFestival)]
                }
                K::ChingMingFestivalHoliday | K::ChingMingFestivalWorkday => {
                    &[Some(Festival::Qingming)]
                }
                K::InternationalWorkersDayHoliday | K::InternationalWorkersDayWorkday => {
                    &[Some(Festival::LabourDay)]
                }
                K::DragonBoatFestivalHoliday | K::DragonBoatFestivalWorkday => {
                    &[Some(Festival::DragonBoat)]
                }
                K::MidAutumnFestivalHoliday | K::MidAutumnFestivalWorkday => &[
                    Some(Festival::MidAutumn),
                    Some(Festival::NationalDayMidAutumn),
                ],
                K::NationalDayHoliday | K::NationalDayWorkday => &[
                    Some(Festival::NationalDay),
                    Some(Festival::NationalDayMidAutumn),
                ],
                K::OtherHoliday | K::OtherWorkday => &[Some(Festival::Other)],
            };
            assert!(
                expected.contains(&festival),
                "{d}: {theirs:?} vs {festival:?}"
            );
        } else {
            assert_eq!(
                ours,
                !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
            );
        }
        d = d.next_day().unwrap();
    }
}

#[test]
fn deadlines_across_the_spring_festival() {
    let c = cal();
    // Friday 13 Feb 2026: the make-up Saturday counts, then nine days off.
    assert_eq!(
        c.add_workdays(date!(2026 - 02 - 13), 1).unwrap(),
        date!(2026 - 02 - 14)
    );
    assert_eq!(
        c.add_workdays(date!(2026 - 02 - 13), 2).unwrap(),
        date!(2026 - 02 - 24)
    );
    assert_eq!(
        c.add_workdays(date!(2026 - 02 - 13), 6).unwrap(),
        date!(2026 - 02 - 28)
    );
    assert_eq!(
        c.add_workdays(date!(2026 - 02 - 13), 7).unwrap(),
        date!(2026 - 03 - 02)
    );
    // Friday 24 Jan 2025: Sunday 26th is worked, 28 Jan–4 Feb off.
    assert_eq!(
        c.add_workdays(date!(2025 - 01 - 24), 1).unwrap(),
        date!(2025 - 01 - 26)
    );
    assert_eq!(
        c.add_workdays(date!(2025 - 01 - 24), 3).unwrap(),
        date!(2025 - 02 - 05)
    );
    assert_eq!(
        c.workdays_between(date!(2025 - 01 - 24), date!(2025 - 02 - 05))
            .unwrap(),
        3
    );
    assert_eq!(
        c.workdays_between(date!(2025 - 02 - 05), date!(2025 - 01 - 24))
            .unwrap(),
        -3
    );
    assert_eq!(
        c.workdays_between(date!(2025 - 02 - 05), date!(2025 - 02 - 05))
            .unwrap(),
        0
    );
    // A zero-day deadline on a rest day falls due on the next working day.
    assert_eq!(
        c.add_workdays(date!(2026 - 02 - 16), 0).unwrap(),
        date!(2026 - 02 - 24)
    );
    assert_eq!(
        c.add_workdays(date!(2026 - 03 - 02), 0).unwrap(),
        date!(2026 - 03 - 02)
    );
    // Calendar-day periods: 10 Feb + 5 days is the 15th, a holiday, so the 24th.
    assert_eq!(
        c.add_days(date!(2026 - 02 - 10), 5).unwrap(),
        date!(2026 - 02 - 24)
    );
    assert_eq!(
        c.add_days(date!(2026 - 03 - 02), 3).unwrap(),
        date!(2026 - 03 - 05)
    );
}

#[test]
fn a_year_without_a_notice_is_an_error() {
    let c = cal();
    for d in [date!(2027 - 01 - 04), date!(2019 - 12 - 31)] {
        assert_eq!(c.is_workday(d).unwrap_err().code(), "calendar_year_missing");
    }
    let e = c.add_workdays(date!(2026 - 12 - 28), 10).unwrap_err();
    assert_eq!(e.code(), "calendar_year_missing");
    assert!(e.to_string().contains("2027"));
    let e = c
        .working_minutes_between(
            &OfficeHours::default(),
            datetime!(2026 - 12 - 30 09:00),
            datetime!(2027 - 01 - 05 09:00),
        )
        .unwrap_err();
    assert_eq!(e.code(), "calendar_year_missing");
}

const EXTRA_2027: &str = "\
# 国务院办公厅关于2027年部分节假日安排的通知(test data, not the real notice)
year 2027 https://example.invalid/2027
holiday new_year 2027-01-01
放假 春节 2027-02-06..2027-02-13
上班 春节 2027-02-14
";

#[test]
fn an_extra_file_adds_and_replaces_years() {
    let c = Calendar::with_extra(EXTRA_2027).unwrap();
    assert_eq!(c.years().last(), Some(&2027));
    assert!(c.notice(2027).unwrap().from_file);
    assert!(!c.is_workday(date!(2027 - 02 - 08)).unwrap());
    assert!(c.is_workday(date!(2027 - 02 - 14)).unwrap());
    assert_eq!(
        c.add_workdays(date!(2026 - 12 - 31), 1).unwrap(),
        date!(2027 - 01 - 04)
    );

    // A year in the file replaces the built-in one entirely.
    let c = Calendar::with_extra("year 2026 x\nholiday other 2026-03-02\n").unwrap();
    assert!(!c.is_workday(date!(2026 - 03 - 02)).unwrap());
    assert!(c.is_workday(date!(2026 - 02 - 16)).unwrap());

    // The export reads back to the same days.
    let text = cal().to_text();
    assert!(text.contains("holiday spring_festival 2026-02-15..2026-02-23\n"));
    let again = Calendar::with_extra(&text).unwrap();
    for y in cal().years() {
        assert_eq!(again.notice(y).unwrap().days, cal().notice(y).unwrap().days);
        assert_eq!(
            again.notice(y).unwrap().sources,
            cal().notice(y).unwrap().sources
        );
    }
}

#[test]
fn bad_extra_files_name_the_line() {
    let cases: &[(&str, &str)] = &[
        (
            "holiday new_year 2027-01-01",
            "line 1: start with a year line",
        ),
        ("year 2027 x\n\nfoo bar", "line 3: 'foo' is not understood"),
        ("year 2027", "line 1: a year line reads"),
        ("year 1900 x", "line 1: '1900' is not a year"),
        (
            "year 2027 x\nholiday new_year 2027-13-01",
            "line 2: '2027-13-01' is not a valid date",
        ),
        (
            "year 2027 x\nholiday newyear 2027-01-01",
            "line 2: unknown festival 'newyear'",
        ),
        (
            "year 2027 x\nholiday new_year",
            "line 2: expected: holiday|workday",
        ),
        (
            "year 2027 x\nholiday new_year 2027-01-03..2027-01-01",
            "line 2: a date range must run forwards",
        ),
        (
            "year 2027 x\nworkday new_year 2027-01-04",
            "line 2: 2027-01-04 is a Monday",
        ),
        (
            "year 2027 x\nholiday new_year 2028-01-01",
            "line 2: 2028-01-01 does not belong",
        ),
        (
            "year 2027 x\nholiday new_year 2026-11-30",
            "line 2: 2026-11-30 does not belong",
        ),
        (
            "year 2027 x\nholiday new_year 2027-01-01\nholiday other 2027-01-01",
            "line 3: 2027-01-01 appears twice",
        ),
        (
            "year 2027 x\nholiday new_year 2027-01-01\nyear 2027 y",
            "line 3: year 2027 already appears on line 1",
        ),
        (
            "year 2027 x\n# nothing\n",
            "line 1: year 2027 lists no holidays",
        ),
        ("source x", "line 1: start with a year line"),
    ];
    for (text, want) in cases {
        let e = Calendar::with_extra(text).unwrap_err();
        assert_eq!(e.code(), "calendar_file", "{text}");
        assert!(e.to_string().contains(want), "{text}: {e}");
        let Error::Invalid { zh, .. } = e else {
            panic!()
        };
        assert!(zh.starts_with('第'), "{zh}");
    }
    // A failed extend leaves the calendar as it was.
    let mut c = cal();
    assert!(c.extend("year 2027 x\nholiday bad 2027-01-01").is_err());
    assert_eq!(c, cal());
    // A December day may open the next year's notice, as in 2023.
    assert!(Calendar::with_extra("year 2027 x\nholiday new_year 2026-12-31..2027-01-02").is_ok());
}

#[test]
fn office_hours_parse_and_check() {
    let h = OfficeHours::default();
    assert_eq!(h.to_string(), "08:30-12:00,13:30-17:30");
    assert_eq!(OfficeHours::parse("08:30-12:00, 13:30-17:30").unwrap(), h);
    assert_eq!(h.minutes_per_day(), 450);
    for bad in [
        "",
        "8-12",
        "08:30-12:00,11:00-17:00",
        "12:00-08:30",
        "08:30-12:00;13:00-17:00",
    ] {
        assert_eq!(
            OfficeHours::parse(bad).unwrap_err().code(),
            "office_hours",
            "{bad}"
        );
    }
    assert!(OfficeHours::new(vec![]).is_err());
    let summer = OfficeHours::new(vec![
        (time!(08:00), time!(12:00)),
        (time!(14:30), time!(18:00)),
    ]);
    assert_eq!(summer.unwrap().minutes_per_day(), 450);
}

#[test]
fn working_minutes_skip_lunch_nights_weekends_and_holidays() {
    let c = cal();
    let h = OfficeHours::default();
    let add = |at, m| c.add_working_minutes(&h, at, m).unwrap();
    // Monday 2 March 2026.
    assert_eq!(
        add(datetime!(2026 - 03 - 02 11:00), 60),
        datetime!(2026 - 03 - 02 12:00)
    );
    assert_eq!(
        add(datetime!(2026 - 03 - 02 11:00), 90),
        datetime!(2026 - 03 - 02 14:00)
    );
    assert_eq!(
        add(datetime!(2026 - 03 - 02 12:30), 10),
        datetime!(2026 - 03 - 02 13:40)
    );
    assert_eq!(
        add(datetime!(2026 - 03 - 02 17:00), 60),
        datetime!(2026 - 03 - 03 09:00)
    );
    assert_eq!(
        add(datetime!(2026 - 03 - 02 20:00), 30),
        datetime!(2026 - 03 - 03 09:00)
    );
    assert_eq!(
        add(datetime!(2026 - 03 - 02 20:00), 0),
        datetime!(2026 - 03 - 02 20:00)
    );
    // Friday evening to Monday morning.
    assert_eq!(
        add(datetime!(2026 - 03 - 06 17:00), 60),
        datetime!(2026 - 03 - 09 09:00)
    );
    // Into National Day: 1–7 October off, Saturday 10 October worked.
    assert_eq!(
        add(datetime!(2026 - 09 - 30 17:00), 60),
        datetime!(2026 - 10 - 08 09:00)
    );
    assert_eq!(
        add(datetime!(2026 - 10 - 09 17:00), 60),
        datetime!(2026 - 10 - 10 09:00)
    );
    // Three working days of 450 minutes from Friday before the Spring Festival.
    assert_eq!(
        add(datetime!(2026 - 02 - 13 08:30), 1350),
        datetime!(2026 - 02 - 24 17:30)
    );

    let between = |a, b| c.working_minutes_between(&h, a, b).unwrap();
    assert_eq!(
        between(
            datetime!(2026 - 03 - 02 08:30),
            datetime!(2026 - 03 - 02 17:30)
        ),
        450
    );
    assert_eq!(
        between(
            datetime!(2026 - 03 - 02 00:00),
            datetime!(2026 - 03 - 03 00:00)
        ),
        450
    );
    assert_eq!(
        between(
            datetime!(2026 - 03 - 06 17:00),
            datetime!(2026 - 03 - 09 09:00)
        ),
        60
    );
    assert_eq!(
        between(
            datetime!(2026 - 03 - 09 09:00),
            datetime!(2026 - 03 - 06 17:00)
        ),
        -60
    );
    assert_eq!(
        between(
            datetime!(2026 - 02 - 14 00:00),
            datetime!(2026 - 02 - 24 00:00)
        ),
        450
    );
}

#[test]
fn suspended_time_does_not_count() {
    let c = cal();
    let h = OfficeHours::default();
    let a = datetime!(2026 - 03 - 02 08:30);
    let b = datetime!(2026 - 03 - 04 17:30);
    let excl = |spans: &[(PrimitiveDateTime, PrimitiveDateTime)]| {
        c.working_minutes_between_excluding(&h, a, b, spans)
            .unwrap()
    };
    assert_eq!(excl(&[]), 1350);
    // Suspended for all of Tuesday, twice over and overlapping.
    let tue = (
        datetime!(2026 - 03 - 03 00:00),
        datetime!(2026 - 03 - 04 00:00),
    );
    let tue_pm = (
        datetime!(2026 - 03 - 03 13:00),
        datetime!(2026 - 03 - 03 23:00),
    );
    assert_eq!(excl(&[tue, tue_pm]), 900);
    // A suspension reaching outside the span only counts inside it.
    let before = (
        datetime!(2026 - 02 - 27 09:00),
        datetime!(2026 - 03 - 02 09:30),
    );
    assert_eq!(excl(&[before]), 1290);
    assert_eq!(
        c.working_minutes_between_excluding(&h, b, a, &[tue])
            .unwrap(),
        -900
    );
}

#[test]
fn local_time_is_utc_plus_eight() {
    let at = datetime!(2026 - 02 - 13 16:30 UTC);
    assert_eq!(to_local(at), datetime!(2026 - 02 - 14 00:30));
    assert_eq!(from_local(to_local(at)), at);
}

fn any_date(last: Date) -> impl Strategy<Value = Date> {
    let first = date!(2020 - 01 - 01).to_julian_day();
    (first..=last.to_julian_day()).prop_map(|j| Date::from_julian_day(j).unwrap())
}

proptest! {
    #[test]
    fn add_workdays_lands_on_a_workday_n_workdays_later(
        d in any_date(date!(2026 - 06 - 30)),
        n in 1u32..=120,
    ) {
        let c = cal();
        let end = c.add_workdays(d, n).unwrap();
        prop_assert!(c.is_workday(end).unwrap());
        prop_assert_eq!(c.workdays_between(d, end).unwrap(), i64::from(n));
        prop_assert_eq!(c.workdays_between(end, d).unwrap(), -i64::from(n));
        let due = c.add_days(d, n).unwrap();
        prop_assert!(c.is_workday(due).unwrap());
    }

    #[test]
    fn working_minutes_round_trip(
        d in any_date(date!(2026 - 06 - 30)),
        minute_of_day in 0u32..1440,
        minutes in 0u32..=20_000,
    ) {
        let c = cal();
        let h = OfficeHours::default();
        let t = Time::from_hms((minute_of_day / 60) as u8, (minute_of_day % 60) as u8, 0).unwrap();
        let start = d.with_time(t);
        let end = c.add_working_minutes(&h, start, minutes).unwrap();
        prop_assert!(end >= start);
        prop_assert_eq!(c.working_minutes_between(&h, start, end).unwrap(), i64::from(minutes));
        if minutes > 0 {
            prop_assert!(c.is_workday(end.date()).unwrap());
            let inside = h.periods().iter().any(|&(a, b)| a < end.time() && end.time() <= b);
            prop_assert!(inside, "{} is outside office hours", end);
        }
    }
}
