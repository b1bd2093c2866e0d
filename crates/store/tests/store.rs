//! The store's integration tests: one binary, every test on both backends.
//!
//! Each test runs once on SQLite and once on PostgreSQL (`WANGGE_TEST_PG`, default
//! `postgres://postgres@127.0.0.1/test`), each time on a fresh store. PostgreSQL is
//! skipped with a message when unreachable unless `WANGGE_REQUIRE_PG=1`:
//!
//! ```text
//! WANGGE_REQUIRE_PG=1 cargo test -p wangge-store
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "store/common.rs"]
mod common;

#[path = "store/accounts.rs"]
mod accounts;
#[path = "store/at_rest.rs"]
mod at_rest;
#[path = "store/at_rest_keys.rs"]
mod at_rest_keys;
#[path = "store/attachments.rs"]
mod attachments;
#[path = "store/bulk.rs"]
mod bulk;
#[path = "store/calendar.rs"]
mod calendar;
#[path = "store/cases.rs"]
mod cases;
#[path = "store/cases_categories.rs"]
mod cases_categories;
#[path = "store/cases_deadlines.rs"]
mod cases_deadlines;
#[path = "store/cases_errors.rs"]
mod cases_errors;
#[path = "store/cases_fixture.rs"]
mod cases_fixture;
#[path = "store/cases_internal.rs"]
mod cases_internal;
#[path = "store/cases_merge.rs"]
mod cases_merge;
#[path = "store/cases_numbers.rs"]
mod cases_numbers;
#[path = "store/cases_on_spot.rs"]
mod cases_on_spot;
#[path = "store/cases_stats.rs"]
mod cases_stats;
#[path = "store/cases_tips.rs"]
mod cases_tips;
#[path = "store/demo_patrol.rs"]
mod demo_patrol;
#[path = "store/demo_routes.rs"]
mod demo_routes;
#[path = "store/equipment.rs"]
mod equipment;
#[path = "store/facts.rs"]
mod facts;
#[path = "store/group_commit.rs"]
mod group_commit;
#[path = "store/inspections.rs"]
mod inspections;
#[path = "store/inspections_errors.rs"]
mod inspections_errors;
#[path = "store/inspections_offices.rs"]
mod inspections_offices;
#[path = "store/inspections_recurring.rs"]
mod inspections_recurring;
#[path = "store/inspections_targets.rs"]
mod inspections_targets;
#[path = "store/keys.rs"]
mod keys;
#[path = "store/organisations.rs"]
mod organisations;
#[path = "store/organisations_registry.rs"]
mod organisations_registry;
#[path = "store/people.rs"]
mod people;
#[path = "store/periodic.rs"]
mod periodic;

#[path = "store/schema_parity.rs"]
mod schema_parity;
#[path = "store/scope.rs"]
mod scope;
#[path = "store/transfer.rs"]
mod transfer;
#[path = "store/transfer_admin.rs"]
mod transfer_admin;
#[path = "store/transfer_cases.rs"]
mod transfer_cases;
#[path = "store/transfer_equipment.rs"]
mod transfer_equipment;
#[path = "store/transfer_lists.rs"]
mod transfer_lists;
#[path = "store/transfer_units.rs"]
mod transfer_units;
#[path = "store/units.rs"]
mod units;
#[path = "store/units_position.rs"]
mod units_position;
#[path = "store/units_schema.rs"]
mod units_schema;
#[path = "store/validated_writes.rs"]
mod validated_writes;
#[path = "store/wire_names.rs"]
mod wire_names;
