//! Accounts for the demo database, one per kind of user, so that the demo can be
//! explored at once. Their shared password is printed: demo data only.

use wangge_core::auth::Role;
use wangge_store::accounts::{self, NewUser};
use wangge_store::{organisations, units, Scope, Store};

pub const PASSWORD: &str = "Wangge-demo-2026";

/// (user name, display name, role, unit name for the scope, organisation name)
type DemoAccount = (
    &'static str,
    &'static str,
    Role,
    Option<&'static str>,
    Option<&'static str>,
);

const ACCOUNTS: &[DemoAccount] = &[
    ("admin", "管委会值班员", Role::ZoneAdmin, None, None),
    (
        "yuecheng",
        "岳程街道受理员",
        Role::StreetStaff,
        Some("岳程街道"),
        None,
    ),
    (
        "danyang",
        "丹阳街道受理员",
        Role::StreetStaff,
        Some("丹阳街道"),
        None,
    ),
    (
        "yaowang",
        "药王庄社区干部",
        Role::CommunityCadre,
        Some("药王庄社区"),
        None,
    ),
    (
        "scjg",
        "市场监管局处置员",
        Role::DeptHandler,
        None,
        Some("菏泽开发区市场监督管理局"),
    ),
    (
        "dhtjgs",
        "佃户屯街道市场监管所处置员",
        Role::DeptHandler,
        None,
        Some("佃户屯街道市场监管所"),
    ),
    ("audit", "审计员", Role::Auditor, None, None),
];

/// Creates the demo accounts unless accounts already exist; answers the lines
/// to print (user name, role, password).
pub async fn ensure(store: &Store) -> anyhow::Result<Vec<String>> {
    let ctx = store.ctx("demo", Scope::All, time::OffsetDateTime::now_utc());
    let c2 = ctx.clone();
    // The demo data brings its own grid worker, who reports its patrol; any
    // other account means the accounts were made already.
    let existing = store.db.read(move |c| accounts::list_users(c, &c2)).await?;
    if existing
        .iter()
        .any(|u| u.username != wangge_demo::PATROL_USER)
    {
        return Ok(Vec::new());
    }
    let hash = tokio::task::spawn_blocking(|| accounts::hash_password(PASSWORD)).await??;
    let mut lines = Vec::new();
    for (name, display, role, unit, org) in ACCOUNTS {
        let ctx = ctx.clone();
        let hash = hash.clone();
        let created = store
            .db
            .write(move |c| {
                let scope_unit = match unit {
                    Some(u) => {
                        let f = units::ListFilter {
                            q: Some(u.to_string()),
                            ..Default::default()
                        };
                        units::list(c, &ctx, &f, None, Some(1))?
                            .items
                            .first()
                            .map(|x| x.code.clone())
                    }
                    None => None,
                };
                let scope_org = match org {
                    Some(o) => organisations::id_by_name(c, &ctx, o).ok(),
                    None => None,
                };
                // A role that needs a scope the demo data lacks is skipped, not half-made.
                if (role.needs_unit_scope() && scope_unit.is_none())
                    || (*role == Role::DeptHandler && scope_org.is_none())
                {
                    return Ok(false);
                }
                let new = NewUser {
                    username: name.to_string(),
                    display_name: Some(display.to_string()),
                    role: *role,
                    scope_unit,
                    scope_org,
                };
                accounts::create_user(c, &ctx, new, &hash).map(|_| true)
            })
            .await?;
        if created {
            lines.push(format!("  {name:<10} {:<16} {display}", role.as_str()));
        }
    }
    if let Some(worker) = existing.into_iter().next() {
        let (ctx, hash) = (ctx.clone(), hash.clone());
        let name = worker.username.clone();
        store
            .db
            .write(move |c| accounts::set_password(c, &ctx, &name, &hash))
            .await?;
        lines.push(format!(
            "  {:<10} {:<16} {}",
            worker.username,
            worker.role.as_str(),
            worker.display_name
        ));
    }
    Ok(lines)
}
