//! Issue 17's privacy promises over HTTP: masks that hide what they hide
//! (birth dates beside masked ID numbers, phone numbers however written),
//! internal categories kept from the public, revealed data never cached,
//! unmasked exports only by POST with CSRF, and references in equipment
//! writes bounded by the caller's scope; tips read only by their category's
//! readers.

mod categories;
mod exports;
mod masking;
mod references;
mod tips;
mod uploads;

use super::support::{App, NOW};
use wangge_store::Scope;

/// Seeds the standard categories (as `wangge demo` and the admin page do).
pub async fn seed(app: &App) {
    let ctx = app.store.ctx("setup", Scope::All, NOW);
    app.store
        .db
        .write(move |c| wangge_store::cases::seed_categories(c, &ctx))
        .await
        .unwrap();
}
