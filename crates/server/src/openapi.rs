//! The OpenAPI 3 document, generated from the handlers' annotations.

use axum::Json;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Wangge API",
        description = "网格 grassroots-governance platform: org tree and registry"
    ),
    paths(
        crate::units::list,
        crate::units::create,
        crate::units::show,
        crate::units::rename,
        crate::units::move_unit,
        crate::units::remove,
        crate::units::tree,
        crate::organisations::list,
        crate::organisations::create,
        crate::organisations::show,
        crate::organisations::update,
        crate::organisations::members,
        crate::organisations::add_member,
        crate::people::list,
        crate::people::create,
        crate::people::show,
        crate::people::update,
        crate::people::lookup,
        crate::people::reveal,
        crate::registration::list,
        crate::registration::decide,
        crate::households::list,
        crate::households::create,
        crate::households::show,
        crate::positions::list,
        crate::positions::create,
        crate::positions::end,
        crate::auth::login,
        crate::auth::current,
        crate::auth::logout,
        crate::auth::change_password,
        crate::auth::list_tokens,
        crate::auth::create_token,
        crate::auth::revoke_token,
        crate::users::list,
        crate::users::create,
        crate::users::disable,
        crate::users::enable,
        crate::users::reset_password,
        crate::totp::begin,
        crate::totp::confirm,
        crate::totp::reset,
        crate::audit::list,
        crate::cases::categories, crate::cases::update_category, crate::cases::create, crate::cases::list, crate::cases::show,
        crate::cases::events, crate::cases::transition, crate::cases::merge, crate::cases::move_unit, crate::cases::set_supervising_org, crate::cases::inbox,
        crate::cases::stats, crate::cases::stats_children, crate::cases::stats_categories,
        crate::public::report, crate::public::follow, crate::public::step,
        crate::attachments::upload, crate::attachments::public_upload, crate::attachments::info,
        crate::attachments::content, crate::attachments::thumbnail,
        crate::transfer::upload, crate::transfer::show_run, crate::transfer::report,
        crate::transfer::exports::export, crate::transfer::exports::export_full,
        crate::transfer::exports::export_cases, crate::transfer::exports::export_cases_full, crate::transfer::exports::export_equipment, crate::transfer::template,
        crate::transfer::exports::export_sites, crate::transfer::exports::export_plans, crate::transfer::exports::export_audit,
        crate::transfer::exports::admin::export_plan_targets, crate::transfer::exports::admin::export_accounts,
        crate::transfer::exports::admin::export_categories,
        crate::inspections::list_templates, crate::inspections::show_template,
        crate::inspections::create_template, crate::inspections::list_plans,
        crate::inspections::create_plan, crate::inspections::show_plan,
        crate::inspections::submit_record, crate::inspections::show_record,
        crate::inspections::problem_list, crate::inspections::list_offices,
        crate::inspections::set_office, crate::inspections::remove_office,
        crate::equipment::list, crate::equipment::create, crate::equipment::show,
        crate::equipment::update, crate::equipment::add_maintenance, crate::equipment::add_inspection,
        crate::equipment::alerts, crate::equipment::list_sites, crate::equipment::create_site,
        crate::equipment::show_site, crate::equipment::update_site,
    ),
    components(schemas(crate::error::Problem)),
    modifiers(&Security)
)]
pub struct ApiDoc;

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// Declares the two ways to authenticate: the session cookie and a bearer token.
struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
        };
        let c = doc.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::auth::SESSION_COOKIE,
            ))),
        );
        c.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        doc.security = Some(vec![
            utoipa::openapi::security::SecurityRequirement::new("session", Vec::<String>::new()),
            utoipa::openapi::security::SecurityRequirement::new("token", Vec::<String>::new()),
        ]);
    }
}
