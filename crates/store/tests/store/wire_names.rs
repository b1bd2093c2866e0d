//! The store's enums declared with `wire_enum!`: each value's wire name reads
//! back as the value, and serde writes exactly that name.

use serde::de::DeserializeOwned;
use serde::Serialize;
use wangge_core::wire::Wire;
use wangge_store::attachments::Kind as AttachmentKind;
use wangge_store::cases::{Source, Stage};
use wangge_store::inspections::{TargetKind, TargetStatus};
use wangge_store::transfer::Kind as TransferKind;

fn round_trips<T: Wire + Serialize + DeserializeOwned>() {
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
}

#[test]
fn store_enums_round_trip_and_serde_writes_as_str() {
    round_trips::<Source>();
    round_trips::<Stage>();
    round_trips::<AttachmentKind>();
    round_trips::<TargetKind>();
    round_trips::<TargetStatus>();
    round_trips::<TransferKind>();
    for s in Source::ALL {
        assert_eq!(Source::parse(s.as_str()), Ok(s));
    }
    for s in Stage::ALL {
        assert_eq!(Stage::parse(s.as_str()), Some(s));
    }
    for k in TargetKind::ALL {
        assert_eq!(TargetKind::parse(k.as_str()).ok(), Some(k));
    }
    for k in TransferKind::ALL {
        assert_eq!(TransferKind::parse(k.as_str()), Ok(k));
    }
}

#[test]
fn an_unknown_source_is_refused_in_chinese_and_english() {
    let e = Source::parse("fax").unwrap_err();
    assert_eq!(e.code(), "unknown_source");
    assert_eq!(
        e.to_string(),
        "source: 未知的来源“fax”,可选:staff、grid、resident、open311、hotline、meeting、inspection \
         / unknown source 'fax'; one of staff, grid, resident, open311, hotline, meeting, inspection"
    );
}
