use super::*;
use time::macros::date;

#[test]
fn registration_codes_are_normalised_and_checked() {
    assert_eq!(
        normalise_registration_code(" 梯11鲁r00123（20） ").unwrap(),
        "梯11鲁R00123(20)"
    );
    assert_eq!(
        normalise_registration_code("31103717002013060012").unwrap(),
        "31103717002013060012"
    );
    assert_eq!(normalise_registration_code("ab-1").unwrap(), "AB-1");
    for (bad, code) in [
        ("", "required"),
        ("   ", "required"),
        ("123", "registration_code_length"),
        (&"1".repeat(41) as &str, "registration_code_length"),
        ("梯11 鲁R", "registration_code_character"),
        ("DT-001;DROP", "registration_code_character"),
        ("DT\u{7}001", "registration_code_character"),
    ] {
        let e = normalise_registration_code(bad).unwrap_err();
        assert_eq!(e.code(), code, "{bad:?}");
        assert!(matches!(e, Error::Invalid { ref field, .. } if field == "registration_code"));
    }
    assert!(normalise_registration_code(&"1".repeat(40)).is_ok());
}

#[test]
fn next_inspection_is_annual() {
    assert_eq!(
        next_inspection_after(date!(2020 - 06 - 15)),
        date!(2021 - 06 - 15)
    );
    assert_eq!(
        next_inspection_after(date!(2020 - 02 - 29)),
        date!(2021 - 02 - 28)
    );
    assert_eq!(
        next_inspection_after(date!(2020 - 12 - 31)),
        date!(2021 - 12 - 31)
    );
}

#[test]
fn maintenance_falls_due_after_the_interval() {
    let installed = date!(2020 - 01 - 01);
    assert_eq!(maintenance_due(installed, None, 15), date!(2020 - 01 - 16));
    assert_eq!(
        maintenance_due(
            installed,
            Some(date!(2020 - 03 - 01)),
            DEFAULT_MAINTENANCE_DAYS
        ),
        date!(2020 - 03 - 16)
    );
    assert!(check_interval(0).is_err());
    assert!(check_interval(-3).is_err());
    assert!(check_interval(1).is_ok());
    assert!(check_interval(365).is_ok());
    assert_eq!(
        check_interval(366).unwrap_err().code(),
        "maintenance_interval"
    );
}

fn dates(installed: Date, last: Option<Date>, next: Option<Date>) -> Dates {
    Dates {
        installed_on: installed,
        last_inspected_on: last,
        next_inspection_due: next,
    }
}

fn field_of(e: &Error) -> &str {
    match e {
        Error::Invalid { field, .. } => field,
        Error::Conflict { .. } => "",
    }
}

#[test]
fn dates_must_be_in_order() {
    let today = date!(2020 - 07 - 01);
    let inst = date!(2018 - 05 - 10);
    // Default next inspection: a year after the last, or after installation.
    assert_eq!(
        check_dates(dates(inst, Some(date!(2020 - 05 - 01)), None), today).unwrap(),
        date!(2021 - 05 - 01)
    );
    assert_eq!(
        check_dates(dates(inst, None, None), today).unwrap(),
        date!(2019 - 05 - 10)
    );
    // Boundaries that are allowed: inspected on the installation day, today.
    assert!(check_dates(dates(inst, Some(inst), None), today).is_ok());
    assert!(check_dates(dates(today, Some(today), None), today).is_ok());
    assert!(check_dates(dates(inst, None, Some(inst)), today).is_ok());
    // Out of order.
    let cases = [
        (
            dates(date!(2020 - 07 - 02), None, None),
            "installed_on",
            "date_in_future",
        ),
        (
            dates(inst, Some(date!(2018 - 05 - 09)), None),
            "last_inspected_on",
            "dates_order",
        ),
        (
            dates(inst, Some(date!(2020 - 07 - 02)), None),
            "last_inspected_on",
            "date_in_future",
        ),
        (
            dates(inst, None, Some(date!(2018 - 05 - 09))),
            "next_inspection_due",
            "dates_order",
        ),
        (
            dates(
                inst,
                Some(date!(2020 - 05 - 01)),
                Some(date!(2020 - 05 - 01)),
            ),
            "next_inspection_due",
            "dates_order",
        ),
    ];
    for (d, field, code) in cases {
        let e = check_dates(d, today).unwrap_err();
        assert_eq!((field_of(&e), e.code()), (field, code), "{d:?}");
    }
}

#[test]
fn event_dates_lie_between_installation_and_today() {
    let inst = date!(2019 - 01 - 01);
    let today = date!(2020 - 01 - 01);
    assert!(check_event_date("done_on", inst, inst, today).is_ok());
    assert!(check_event_date("done_on", today, inst, today).is_ok());
    assert_eq!(
        check_event_date("done_on", date!(2018 - 12 - 31), inst, today)
            .unwrap_err()
            .code(),
        "dates_order"
    );
    assert_eq!(
        check_event_date("done_on", date!(2020 - 01 - 02), inst, today)
            .unwrap_err()
            .code(),
        "date_in_future"
    );
}

#[test]
fn alerts_at_their_boundaries() {
    let today = date!(2020 - 07 - 01);
    let far = date!(2021 - 01 - 01);
    let kinds = |next, maint, within| -> Vec<AlertKind> {
        alerts(EquipmentStatus::InUse, next, maint, today, within)
            .into_iter()
            .map(|a| a.kind)
            .collect()
    };
    // Nothing due.
    assert!(kinds(far, far, 30).is_empty());
    // Inspection due exactly at the horizon alerts; one day later does not.
    assert_eq!(
        kinds(date!(2020 - 07 - 31), far, 30),
        [AlertKind::InspectionDue]
    );
    assert!(kinds(date!(2020 - 08 - 01), far, 30).is_empty());
    // Due today is due, not overdue; yesterday is overdue by one day.
    assert_eq!(kinds(today, far, 30), [AlertKind::InspectionDue]);
    assert_eq!(kinds(today, far, 0), [AlertKind::InspectionDue]);
    let a = alerts(
        EquipmentStatus::InUse,
        date!(2020 - 06 - 30),
        far,
        today,
        30,
    );
    assert_eq!(a[0].kind, AlertKind::InspectionOverdue);
    assert_eq!(a[0].days_overdue, 1);
    // Maintenance: due today is fine, yesterday is overdue.
    assert!(kinds(far, today, 30).is_empty());
    assert_eq!(
        kinds(far, date!(2020 - 06 - 30), 30),
        [AlertKind::MaintenanceOverdue]
    );
    // Both, most overdue first.
    let both = alerts(
        EquipmentStatus::InUse,
        date!(2020 - 06 - 01),
        date!(2020 - 06 - 25),
        today,
        30,
    );
    assert_eq!(
        both.iter()
            .map(|a| (a.kind, a.days_overdue))
            .collect::<Vec<_>>(),
        [
            (AlertKind::InspectionOverdue, 30),
            (AlertKind::MaintenanceOverdue, 6)
        ]
    );
    // Days left show as a negative overdue count.
    assert_eq!(
        alerts(
            EquipmentStatus::InUse,
            date!(2020 - 07 - 11),
            far,
            today,
            30
        )[0]
        .days_overdue,
        -10
    );
    // Stopped or scrapped equipment raises nothing.
    for s in [EquipmentStatus::Stopped, EquipmentStatus::Scrapped] {
        assert!(alerts(s, date!(2019 - 01 - 01), date!(2019 - 01 - 01), today, 30).is_empty());
    }
    assert_eq!(inspection_horizon(today, 30), date!(2020 - 07 - 31));
}

#[test]
fn status_rules() {
    use EquipmentStatus::*;
    assert!(check_status_change(InUse, Stopped).is_ok());
    assert!(check_status_change(Stopped, InUse).is_ok());
    assert!(check_status_change(InUse, Scrapped).is_ok());
    assert!(check_status_change(Scrapped, Scrapped).is_ok());
    assert_eq!(
        check_status_change(Scrapped, InUse).unwrap_err().code(),
        "equipment_scrapped"
    );
    assert_eq!(
        status_after_inspection(InUse, InspectionResult::Fail),
        Stopped
    );
    assert_eq!(
        status_after_inspection(InUse, InspectionResult::Pass),
        InUse
    );
    assert_eq!(
        status_after_inspection(Stopped, InspectionResult::Pass),
        Stopped
    );
}

#[test]
fn names_parse_both_ways() {
    for k in EquipmentKind::ALL {
        assert_eq!(EquipmentKind::parse(k.as_str()).unwrap(), k);
        assert_eq!(EquipmentKind::parse(k.label_zh()).unwrap(), k);
    }
    for s in EquipmentStatus::ALL {
        assert_eq!(EquipmentStatus::parse(s.as_str()).unwrap(), s);
    }
    for a in AlertKind::ALL {
        assert_eq!(AlertKind::parse(a.as_str()).unwrap(), a);
    }
    for s in SiteStatus::ALL {
        assert_eq!(SiteStatus::parse(s.as_str()).unwrap(), s);
    }
    assert_eq!(
        EquipmentKind::parse("crane").unwrap_err().code(),
        "equipment_kind"
    );
    assert_eq!(
        InspectionResult::parse("合格").unwrap(),
        InspectionResult::Pass
    );
    assert!(check_site_period(date!(2020 - 01 - 01), Some(date!(2020 - 01 - 01))).is_ok());
    assert_eq!(
        check_site_period(date!(2020 - 01 - 02), Some(date!(2020 - 01 - 01)))
            .unwrap_err()
            .code(),
        "dates_order"
    );
    assert_eq!(
        parse_date("installed_on", "2020-13-01").unwrap_err().code(),
        "date"
    );
    assert!(check_alert_days(-1).is_err());
    assert!(check_alert_days(0).is_ok());
}
