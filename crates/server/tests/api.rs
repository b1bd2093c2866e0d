#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The HTTP API end to end: every test drives the whole router in process (and one
//! a real server on 127.0.0.1) over a fresh store, once on SQLite and once on
//! PostgreSQL. Run with `WANGGE_REQUIRE_PG=1` so that a missing PostgreSQL fails
//! rather than skips.

mod api {
    pub mod support;

    mod audit_log;
    mod bad_input;
    mod browser;
    mod browser_flow;
    mod browser_inspections;
    mod browser_intake;
    mod browser_nav;
    mod cases;
    mod cases_on_spot;
    mod equipment;
    mod errors_plain;
    mod exports;
    mod exports_admin;
    mod exports_lists;
    mod health;
    mod injection;
    mod inspections;
    mod inspections_recurring;
    mod logs;
    mod open311;
    mod open311_fms;
    mod open311_updates;
    mod openapi_doc;
    mod org_pages;
    mod organisations;
    mod organisations_registry;
    mod people;
    mod places_near;
    mod portal_browser;
    mod portal_resident;
    mod privacy;
    mod proxy;
    mod registration;
    mod roles;
    mod sessions;
    mod shutdown;
    mod site_edit;
    mod small_things;
    mod small_things_browser;
    mod staff_nav;
    mod staff_pages;
    mod throttle;
    mod tokens;
    mod totp;
    mod transfer;
    mod units;
    mod web;
    mod web_admin;
    pub mod web_cases;
    mod web_csrf;
    pub mod web_inspections;
    mod web_intake;
}
