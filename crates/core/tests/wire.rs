//! `wire_enum!`: every converted enum's names round-trip, parse errors keep
//! their words, and serde and the schema are those a derive would give.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{PartialSchema, ToSchema};
use wangge_core::auth::Role;
use wangge_core::calendar::{DayKind, Festival};
use wangge_core::cases::{Action, CaseState};
use wangge_core::equipment::{
    AlertKind, EquipmentKind, EquipmentStatus, InspectionResult, SiteStatus,
};
use wangge_core::ids::Sex;
use wangge_core::inspections::{ItemKind, Severity};
use wangge_core::organisations::OrgKind;
use wangge_core::people::Relation;
use wangge_core::positions::PositionKind;
use wangge_core::units::UnitKind;
use wangge_core::wire::Wire;

/// Every value's wire name comes back as the value, serde writes exactly
/// that name, and reads it back.
fn round_trips<T: Wire + Serialize + DeserializeOwned>() {
    assert_eq!(T::VALUES.len(), T::NAMES.len(), "{}", T::NAME);
    for v in T::VALUES.iter().copied() {
        assert_eq!(T::from_wire(v.as_str()), Some(v), "{}::{v:?}", T::NAME);
        let json = serde_json::to_value(v).unwrap();
        assert_eq!(
            json,
            serde_json::Value::from(v.as_str()),
            "{}::{v:?}",
            T::NAME
        );
        assert_eq!(serde_json::from_value::<T>(json).unwrap(), v);
    }
    let mut names = T::NAMES.to_vec();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), T::NAMES.len(), "{} repeats a name", T::NAME);
}

#[test]
fn every_enum_round_trips_and_serde_writes_as_str() {
    round_trips::<CaseState>();
    round_trips::<Action>();
    round_trips::<Festival>();
    round_trips::<DayKind>();
    round_trips::<PositionKind>();
    round_trips::<Role>();
    round_trips::<UnitKind>();
    round_trips::<ItemKind>();
    round_trips::<Severity>();
    round_trips::<Relation>();
    round_trips::<EquipmentKind>();
    round_trips::<EquipmentStatus>();
    round_trips::<InspectionResult>();
    round_trips::<AlertKind>();
    round_trips::<SiteStatus>();
    round_trips::<OrgKind>();
    round_trips::<Sex>();
}

#[test]
fn parse_reads_what_as_str_writes() {
    for v in CaseState::ALL {
        assert_eq!(CaseState::parse(v.as_str()), Ok(v));
    }
    for v in Action::ALL {
        assert_eq!(Action::parse(v.as_str()), Some(v));
    }
    for v in Role::ALL {
        assert_eq!(Role::parse(v.as_str()), Ok(v));
    }
    for v in UnitKind::ALL {
        assert_eq!(UnitKind::parse(v.as_str()), Ok(v));
    }
    for v in Severity::ALL {
        assert_eq!(Severity::parse(v.as_str()), Ok(v));
    }
    for v in Relation::ALL {
        assert_eq!(Relation::parse(v.as_str()), Ok(v));
        assert_eq!(Relation::parse(v.label_zh()), Ok(v));
    }
    for v in EquipmentKind::ALL {
        assert_eq!(EquipmentKind::parse(v.as_str()), Ok(v));
        assert_eq!(EquipmentKind::parse(v.label_zh()), Ok(v));
    }
    for v in EquipmentStatus::ALL {
        assert_eq!(EquipmentStatus::parse(v.as_str()), Ok(v));
    }
    for v in InspectionResult::ALL {
        assert_eq!(InspectionResult::parse(v.as_str()), Ok(v));
    }
    for v in AlertKind::ALL {
        assert_eq!(AlertKind::parse(v.as_str()), Ok(v));
    }
    for v in SiteStatus::ALL {
        assert_eq!(SiteStatus::parse(v.as_str()), Ok(v));
    }
    for v in OrgKind::ALL {
        assert_eq!(OrgKind::parse(v.as_str()), Ok(v));
        assert_eq!(OrgKind::parse(v.label_zh()), Ok(v));
    }
    for v in PositionKind::ALL {
        assert_eq!(PositionKind::parse(v.as_str()), Ok(v));
        assert_eq!(PositionKind::parse(v.label_zh()), Ok(v));
    }
    for v in Sex::ALL {
        assert_eq!(Sex::parse(v.as_str()), Some(v));
    }
    for v in Festival::ALL {
        assert_eq!(Festival::parse(v.as_str()), Some(v));
        assert_eq!(Festival::parse(v.label_zh()), Some(v));
    }
}

fn invalid(e: wangge_core::Error) -> (String, &'static str, String, String) {
    match e {
        wangge_core::Error::Invalid {
            field,
            code,
            zh,
            en,
        } => (field, code, zh, en),
        other => panic!("not an Invalid error: {other:?}"),
    }
}

#[test]
fn a_wrong_value_is_refused_in_chinese_and_english() {
    assert_eq!(
        invalid(SiteStatus::parse("closed").unwrap_err()),
        (
            "status".to_string(),
            "site_status",
            "未知的工地状态“closed”".to_string(),
            "unknown site status 'closed'; one of planned, active, suspended, finished".to_string()
        )
    );
    assert_eq!(
        invalid(EquipmentKind::parse("lift").unwrap_err()),
        (
            "kind".to_string(),
            "equipment_kind",
            "未知的设备种类“lift”,可选:电梯、自动扶梯".to_string(),
            "unknown equipment kind 'lift'; one of elevator, escalator".to_string()
        )
    );
    assert_eq!(
        invalid(Role::parse("root").unwrap_err()),
        (
            "role".to_string(),
            "role",
            "未知的角色“root”,可选:zone_admin、street_staff、community_cadre、grid_worker、dept_handler、auditor、resident".to_string(),
            "unknown role 'root'; one of zone_admin, street_staff, community_cadre, grid_worker, dept_handler, auditor, resident".to_string()
        )
    );
    assert_eq!(
        invalid(Relation::parse(" 邻居 ").unwrap_err()),
        (
            "relation".to_string(),
            "relation",
            "未知的与户主关系“邻居”".to_string(),
            "unknown relation to the head '邻居'".to_string()
        )
    );
    assert_eq!(
        invalid(Severity::parse("grave").unwrap_err()),
        (
            "severity".to_string(),
            "unknown_severity",
            "未知的隐患等级“grave”".to_string(),
            "unknown severity 'grave'".to_string()
        )
    );
    assert_eq!(Action::parse("explode"), None);
    assert_eq!(
        Generated::parse("blue").unwrap_err().to_string(),
        "light: 未知的信号灯“blue”,可选:red、deep_green / unknown light 'blue'; one of red, deep_green"
    );
}

// The reference: what serde and utoipa derive for the same enum.
/// A light's colour.
///
///   Second paragraph, indented.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
enum Derived {
    Red,
    DeepGreen,
}

wangge_core::wire_enum! {
    /// A light's colour.
    ///
    ///   Second paragraph, indented.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Generated {
        Red => "red",
        DeepGreen => "deep_green",
    }
    parse: Noun::new("light", "light", "信号灯", "light").listed();
}

#[test]
fn serde_reads_and_refuses_as_the_derived_impl_does() {
    let inputs = [
        r#""red""#,
        r#""deep_green""#,
        r#""Red""#,
        r#""blue""#,
        r#""""#,
        "0",
        "1",
        "2",
        "-1",
        "null",
        "true",
        "[]",
        r#"{"red":null}"#,
        r#"{"red":1}"#,
        r#"{"blue":null}"#,
        r#"["red"]"#,
    ];
    for input in inputs {
        let derived = serde_json::from_str::<Derived>(input).map_err(|e| e.to_string());
        let generated = serde_json::from_str::<Generated>(input).map_err(|e| e.to_string());
        match (derived, generated) {
            (Ok(d), Ok(g)) => assert_eq!(format!("{d:?}"), format!("{g:?}"), "{input}"),
            (Err(d), Err(g)) => assert_eq!(d, g, "{input}"),
            (d, g) => panic!("{input}: derived {d:?}, generated {g:?}"),
        }
    }
    for (d, g) in [
        (Derived::Red, Generated::Red),
        (Derived::DeepGreen, Generated::DeepGreen),
    ] {
        assert_eq!(
            serde_json::to_string(&d).unwrap(),
            serde_json::to_string(&g).unwrap()
        );
    }
}

#[test]
fn the_schema_is_the_derived_one() {
    assert_eq!(
        serde_json::to_value(Derived::schema()).unwrap(),
        serde_json::to_value(Generated::schema()).unwrap()
    );
    assert_eq!(Derived::name(), "Derived");
    assert_eq!(Generated::name(), "Generated");
}
