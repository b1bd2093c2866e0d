//! Roles and scope, route by route: one table of every route of the API, walked by
//! a caller of every role, inside and outside their part of the tree, with ids in
//! URLs and in bodies pointing at either of two streets. Each answer is checked
//! against what the role table and the scope allow, and every refused request (and
//! every read) is checked to have written nothing. Cases are judged by the case
//! scope (staff by subtree, a department by its organisation, residents by what
//! they reported), files by the case that owns them, the resident's public routes
//! by their follow token alone, and import runs by who started them.

use super::support::{id_number, on_both_backends, App, Reply};
use axum::http::{Method, StatusCode};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU32, Ordering};
use wangge_core::auth::{Permission, Role};
use wangge_store::accounts;
use wangge_store::Scope;

mod cases;
mod registry;
mod scoping;
mod transfer;
mod world;

use cases::*;
use registry::*;
use transfer::*;
pub use world::*;

/// Where a caller may work.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Home {
    Everywhere,
    Only(Side),
}

/// One caller of the walk.
struct Who {
    name: &'static str,
    /// `None`: anonymous.
    role: Option<Role>,
    home: Home,
    token: Option<String>,
    password: String,
}

impl Who {
    fn sees(&self, s: Side) -> bool {
        match self.home {
            Home::Everywhere => true,
            Home::Only(h) => h == s,
        }
    }
}

/// Creates an account with a password and an API token.
async fn caller(
    app: &App,
    name: &'static str,
    role: Role,
    home: Home,
    scope_unit: Option<&str>,
    org: Option<i64>,
) -> Who {
    let password = format!("{name}-Pass-2026");
    app.password_account(name, &password, role, scope_unit, org)
        .await;
    let ctx = app.store.ctx("test-setup", Scope::All, super::support::NOW);
    let token = app
        .store
        .db
        .write(move |c| {
            accounts::create_token(c, &ctx, name, "walk", accounts::DEFAULT_TOKEN_DAYS)
                .map(|(_, t)| t)
        })
        .await
        .expect("token");
    Who {
        name,
        role: Some(role),
        home,
        token: Some(token),
        password,
    }
}

#[derive(Clone, Copy, Debug)]
enum Need {
    /// Anyone, logged in or not.
    Public,
    /// Any logged-in caller.
    Login,
    Perm(Permission),
    /// A signed-in caller in one of these roles.
    Roles(&'static [Role]),
}

/// A record made just before the request, for routes that use up or move what
/// they act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fresh {
    Nothing,
    /// An empty building in the side's compound.
    Building,
    /// A compound in the side's first community.
    Compound,
    /// A person in the side's building.
    Person,
    /// A grid worker scoped to the side's building.
    User,
    /// An API token of such a user (its id).
    Token,
    /// A case reported in the side's building: `id,version,token`.
    ReportedCase,
    /// Such a case accepted and dispatched to the side's organisation.
    DispatchedCase,
    /// A pending registration request for a person in the side's building,
    /// asked for the other side's building.
    Request,
    /// An import run with a report of rejected rows: on side A the caller's own
    /// (when they may import), otherwise another user's.
    Run,
}

struct Input<'a> {
    url: &'a SideData,
    body: &'a SideData,
    url_side: Side,
    body_side: Side,
    /// The fresh record's code, id or user name.
    fresh: String,
    n: u32,
    id_number: String,
    who: &'a Who,
}

/// One route: its method and path as the OpenAPI document names them, what it
/// needs, which of its references are scoped, and a valid request.
struct Route {
    method: Method,
    path: &'static str,
    need: Need,
    /// The record named in the URL (or looked up by the body) is on the URL side.
    target: bool,
    /// References in the body are on the body side; outside the caller's scope
    /// they are refused with this code naming this field.
    body_ref: Option<(&'static str, &'static str)>,
    /// The record is looked up before the permission is checked.
    scope_first: bool,
    ok: StatusCode,
    fresh: Fresh,
    build: Build,
    /// Whose records the target is judged by.
    scope: Sc,
    /// What a caller without the need gets.
    refusal: (StatusCode, &'static str),
    /// Overrides the generic expectation for signed-in callers.
    expect: Option<fn(&Who, Side, Side) -> Expected>,
    payload: Payload,
    /// A read that is audited: its successes are writes.
    audited: bool,
    /// Its "not found" is audited too (a lookup): such answers write.
    audits_misses: bool,
    /// Checks a successful answer (caller, URL side, body).
    verify: Option<fn(&Who, Side, &Value)>,
}

type Build = fn(&Input) -> (String, Value);

/// How a request's body is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Payload {
    Json,
    /// A small PNG photo (the built body is ignored).
    Png,
    /// The built body is a string sent as `text/csv`.
    Csv,
}

/// Whose records a route's target is judged by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sc {
    /// The unit tree: the caller's scope subtree.
    Tree,
    /// Cases and the files they own: staff and auditors by their subtree, a
    /// department handler by its organisation (dept_a's is A's, and each side's
    /// cases are dispatched to that side's organisation), residents only what
    /// they reported themselves (none of the fixtures).
    Case,
    /// The follow token is the credential: every caller alike.
    Token,
    /// What the public report form shows anyone (the places near a position):
    /// every caller alike.
    Everyone,
    /// Import runs: only one's own (URL side A: the caller's own run, B: another user's).
    Own,
}

impl Route {
    fn new(
        method: Method,
        path: &'static str,
        need: Need,
        target: bool,
        ok: StatusCode,
        build: Build,
    ) -> Route {
        Route {
            method,
            path,
            need,
            target,
            body_ref: None,
            scope_first: false,
            ok,
            fresh: Fresh::Nothing,
            build,
            scope: Sc::Tree,
            refusal: (StatusCode::FORBIDDEN, "forbidden"),
            expect: None,
            payload: Payload::Json,
            audited: false,
            audits_misses: false,
            verify: None,
        }
    }

    fn body_ref(mut self, code: &'static str, field: &'static str) -> Route {
        self.body_ref = Some((code, field));
        self
    }

    fn fresh(mut self, fresh: Fresh) -> Route {
        self.fresh = fresh;
        self
    }

    fn scope(mut self, scope: Sc) -> Route {
        self.scope = scope;
        self
    }

    fn refusal(mut self, status: StatusCode, code: &'static str) -> Route {
        self.refusal = (status, code);
        self
    }

    fn expect(mut self, f: fn(&Who, Side, Side) -> Expected) -> Route {
        self.expect = Some(f);
        self
    }

    fn payload(mut self, payload: Payload) -> Route {
        self.payload = payload;
        self
    }

    fn audited(mut self) -> Route {
        self.audited = true;
        self
    }

    fn audits_misses(mut self) -> Route {
        self.audits_misses = true;
        self
    }

    fn verify(mut self, f: fn(&Who, Side, &Value)) -> Route {
        self.verify = Some(f);
        self
    }

    /// The caller may see the record the URL names on this side.
    fn sees(&self, who: &Who, s: Side) -> bool {
        match self.scope {
            Sc::Tree => who.sees(s),
            Sc::Case => sees_case(who, s),
            Sc::Token | Sc::Everyone => true,
            Sc::Own => s == Side::A,
        }
    }

    /// Where the caller's answers may come from: an answer from elsewhere is a leak.
    fn home(&self, who: &Who) -> Home {
        match (self.scope, who.role) {
            (Sc::Token | Sc::Everyone, _) => Home::Everywhere,
            (Sc::Case, Some(Role::DeptHandler)) => Home::Only(Side::A),
            _ => who.home,
        }
    }
}

/// Whether a caller sees the fixture case (or a fresh one) on this side.
fn sees_case(who: &Who, s: Side) -> bool {
    match who.role {
        None | Some(Role::Resident) => false,
        // dept_a works for A's organisation, the lead of A's cases only.
        Some(Role::DeptHandler) => s == Side::A,
        Some(_) => who.sees(s),
    }
}

const WALKER_PASSWORD: &str = "Walker-pass-2026";
/// Routes that are not in the OpenAPI document.
const UNDOCUMENTED: &[(&str, &str)] = &[
    ("GET", "/api/v1/openapi.json"),
    // The reporter's photos: a link in the follow page, not an API of its own.
    (
        "GET",
        "/api/v1/public/cases/{token}/attachments/{id}/{variant}",
    ),
];

/// What a caller should get: the status, and for a refusal its code and field.
fn expected(who: &Who, route: &Route, url: Side, body: Side) -> Expected {
    let Some(role) = who.role else {
        return match route.need {
            Need::Public => (route.ok, None),
            _ => (StatusCode::UNAUTHORIZED, Some(("unauthenticated", None))),
        };
    };
    if let Some(f) = route.expect {
        return f(who, url, body);
    }
    let allowed = match route.need {
        Need::Public | Need::Login => true,
        Need::Perm(p) => role.can(p),
        Need::Roles(rs) => rs.contains(&role),
    };
    let not_found = (StatusCode::NOT_FOUND, Some(("not_found", None)));
    let url_out = route.target && !route.sees(who, url);
    if route.scope_first && url_out {
        return not_found;
    }
    if !allowed {
        let (status, code) = route.refusal;
        return (status, Some((code, None)));
    }
    if url_out {
        return not_found;
    }
    if let Some((code, field)) = route.body_ref {
        if !who.sees(body) {
            return (StatusCode::UNPROCESSABLE_ENTITY, Some((code, Some(field))));
        }
    }
    (route.ok, None)
}

/// Every row of every table, sorted: equal snapshots mean nothing was written.
pub async fn snapshot_all(app: &App) -> Vec<String> {
    let backend = app.store.backend();
    app.store
        .db
        .read(move |c| {
            let mut out = Vec::new();
            match backend {
                wangge_store::Backend::Sqlite => {
                    let tables =
                        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name";
                    for t in c.query(tables, &[])? {
                        let t: String = t.get(0)?;
                        for r in c.query(&format!("SELECT * FROM {t}"), &[])? {
                            out.push(format!("{t}: {r:?}"));
                        }
                    }
                }
                wangge_store::Backend::Postgres => {
                    // One round trip for all the tables.
                    let tables = c.query(
                        "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1",
                        &[],
                    )?;
                    let mut parts = Vec::new();
                    for t in tables {
                        let t: String = t.get(0)?;
                        parts.push(format!(
                            "SELECT '{t}: ' || row_to_json(x)::text FROM {t} x"
                        ));
                    }
                    for r in c.query(&parts.join(" UNION ALL "), &[])? {
                        out.push(r.get::<String>(0)?);
                    }
                }
            }
            out.sort();
            Ok(out)
        })
        .await
        .expect("snapshot")
}

#[track_caller]
fn assert_same(before: &[String], after: &[String], what: &str) {
    if before != after {
        let gone: Vec<_> = before.iter().filter(|r| !after.contains(r)).collect();
        let new: Vec<_> = after.iter().filter(|r| !before.contains(r)).collect();
        panic!("{what} changed the database:\n  removed {gone:#?}\n  added {new:#?}");
    }
}

/// Makes the fresh record a route needs, as the system (or, for a run, as `who`).
async fn make_fresh(app: &App, w: &World, side: Side, fresh: Fresh, n: u32, who: &Who) -> String {
    let s = w.side(side);
    let m = side.mark();
    match fresh {
        Fresh::Nothing => String::new(),
        Fresh::ReportedCase | Fresh::DispatchedCase => {
            let (id, mut version, token) = new_case(app, s, &format!("{m}待办案件{n}"), &[]).await;
            if fresh == Fresh::DispatchedCase {
                version = dispatch(app, id, version, s.org).await;
            }
            format!("{id},{version},{token}")
        }
        Fresh::Run => {
            let runner = match (&who.token, who.role) {
                (Some(t), Some(role)) if side == Side::A && role.can(Permission::RegistryWrite) => {
                    app.with_token(t)
                }
                _ => app.clone(),
            };
            let csv = "\u{feff}姓名,身份证号,联系电话,单元代码,单元,房号\n导入居民,123,13812345678,,2,301\n";
            let r = runner
                .send_raw(
                    Method::POST,
                    "/api/v1/imports/people?file_name=walk.csv",
                    Some("text/csv"),
                    csv,
                )
                .await;
            let summary = r.expect(StatusCode::OK);
            assert_eq!(summary["committed"], false, "{summary}");
            summary["run_id"].as_i64().expect("run_id").to_string()
        }
        Fresh::Request => {
            let person = id(&created(
                app,
                "/api/v1/people",
                json!({"name": format!("{m}迁出居民{n}"), "id_number": w.next_id_number(), "unit": s.building}),
            )
            .await);
            let other = w.side(side.other()).building.clone();
            app.store
                .db
                .write(move |c| {
                    c.query_one(
                        "INSERT INTO registration_requests (person_id, requested_by, unit_id, status, created_at)
                         VALUES ($1, 'walk-requester', (SELECT id FROM units WHERE code = $2), 'pending', 0)
                         RETURNING id",
                        wangge_store::params![person, other],
                    )?
                    .get::<i64>(0)
                })
                .await
                .expect("registration request")
                .to_string()
        }
        Fresh::Building => created(
            app,
            "/api/v1/units",
            json!({"kind": "building", "name": format!("{m}新楼{n}"), "parent": s.compound}),
        )
        .await["code"]
            .as_str()
            .expect("code")
            .to_string(),
        Fresh::Compound => created(
            app,
            "/api/v1/units",
            json!({"kind": "compound", "name": format!("{m}搬迁小区{n}"), "parent": s.community}),
        )
        .await["code"]
            .as_str()
            .expect("code")
            .to_string(),
        Fresh::Person => id(&created(
            app,
            "/api/v1/people",
            json!({"name": format!("{m}待改居民{n}"), "id_number": w.next_id_number(), "unit": s.building}),
        )
        .await)
        .to_string(),
        Fresh::User | Fresh::Token => {
            let name = format!("fresh{n}");
            let ctx = app.store.ctx("test-setup", Scope::All, super::support::NOW);
            let new = accounts::NewUser {
                username: name.clone(),
                display_name: None,
                role: Role::GridWorker,
                scope_unit: Some(s.building.clone()),
                scope_org: None,
            };
            let (user, want_token) = (name.clone(), fresh == Fresh::Token);
            let token_id = app
                .store
                .db
                .write(move |c| {
                    accounts::create_user(c, &ctx, new, "not-a-hash")?;
                    if want_token {
                        Ok(Some(accounts::create_token(c, &ctx, &user, "fresh", accounts::DEFAULT_TOKEN_DAYS)?.0.id))
                    } else {
                        Ok(None)
                    }
                })
                .await
                .expect("fresh user");
            match token_id {
                Some(t) => t.to_string(),
                None => name,
            }
        }
    }
}

async fn send(app: &App, who: &Who, method: &Method, path: &str, body: &Value) -> Reply {
    send_as(app, who, method, path, body, Payload::Json).await
}

async fn send_as(
    app: &App,
    who: &Who,
    method: &Method,
    path: &str,
    body: &Value,
    payload: Payload,
) -> Reply {
    let mut call = app.anonymous().call(method.clone(), path);
    if let Some(t) = &who.token {
        call = call.bearer(t);
    }
    match payload {
        Payload::Json if !body.is_null() => call = call.json(body.clone()),
        Payload::Json => {}
        Payload::Png => call = call.header("content-type", "image/png").raw(png()),
        Payload::Csv => {
            let text = body.as_str().expect("a CSV body").to_string();
            call = call
                .header("content-type", "text/csv")
                .raw(text.into_bytes());
        }
    }
    call.send().await
}

/// The fresh case of a request: id, version, token.
fn fresh_case(i: &Input) -> (i64, i64, String) {
    let mut parts = i.fresh.splitn(3, ',');
    let mut num = || {
        parts
            .next()
            .and_then(|p| p.parse::<i64>().ok())
            .expect("a fresh case")
    };
    let (id, version) = (num(), num());
    (id, version, parts.next().expect("token").to_string())
}

/// What a caller should get, as [`expected`] answers it.
type Expected = (StatusCode, Option<(&'static str, Option<&'static str>)>);

/// Sends one request of the walk and checks its answer; answers what it was
/// and the answer.
async fn walk_one(
    app: &App,
    route: &Route,
    who: &Who,
    path: &str,
    body: &Value,
    (status, problem): Expected,
    (url_side, body_side): (Side, Side),
) -> (String, Reply) {
    let what = format!(
        "{} {} ({path}) by {} with URL in {url_side:?} and body in {body_side:?}",
        route.method, route.path, who.name
    );
    let r = send_as(app, who, &route.method, path, body, route.payload).await;
    assert_eq!(r.status, status, "{what}: {}", r.text());
    if route.path == "/api/v1/session/password" && r.status == StatusCode::NO_CONTENT {
        // A password change revokes the caller's tokens (tested in tokens.rs);
        // the walk goes on with the caller's token.
        app.store
            .db
            .write(|c| {
                c.execute(
                    "UPDATE api_tokens SET revoked_at = NULL WHERE name = 'walk'",
                    &[],
                )
                .map(|_| ())
            })
            .await
            .expect("the walk's tokens back");
    }
    match problem {
        Some((code, field)) => {
            let p = r.problem(status, code, field).to_string();
            // A refusal names no record.
            assert!(
                !p.contains(Side::A.mark()) && !p.contains(Side::B.mark()),
                "{what}: {p}"
            );
        }
        None => {
            assert_eq!(r.status, route.ok, "{what}");
            if let Some(verify) = route.verify {
                let v = r.json();
                verify(who, url_side, &v);
            }
        }
    }
    if let Home::Only(h) = route.home(who) {
        let text = r.text();
        assert!(
            !text.contains(h.other().mark()),
            "{what}: the answer shows the other street's records: {text}"
        );
    }
    (what, r)
}

#[test]
fn every_route_answers_every_role_inside_and_outside_its_scope() {
    on_both_backends(|app| async move {
        // Every caller reports from the one address of an in-process request.
        let app = app.with_public_limit(100_000);
        let mut w = world(&app).await;
        seed_cases(&app, &mut w).await;
        super::inspections::seed_for_walk(&app, &mut w).await;
        super::equipment::seed_for_walk(&app, &mut w).await;
        let w = w;
        let org_a = w.a.org;
        app.password_account("walker", WALKER_PASSWORD, Role::Resident, None, None)
            .await;
        let callers = vec![
            caller(&app, "za", Role::ZoneAdmin, Home::Everywhere, None, None).await,
            caller(
                &app,
                "street_a",
                Role::StreetStaff,
                Home::Only(Side::A),
                Some(&w.a.street),
                None,
            )
            .await,
            caller(
                &app,
                "cadre_a",
                Role::CommunityCadre,
                Home::Only(Side::A),
                Some(&w.a.community),
                None,
            )
            .await,
            caller(
                &app,
                "grid_a",
                Role::GridWorker,
                Home::Only(Side::A),
                Some(&w.a.compound),
                None,
            )
            .await,
            caller(
                &app,
                "dept_a",
                Role::DeptHandler,
                Home::Everywhere,
                None,
                Some(org_a),
            )
            .await,
            caller(&app, "auditor", Role::Auditor, Home::Everywhere, None, None).await,
            caller(
                &app,
                "resident",
                Role::Resident,
                Home::Everywhere,
                None,
                None,
            )
            .await,
            caller(
                &app,
                "cadre_b",
                Role::CommunityCadre,
                Home::Only(Side::B),
                Some(&w.b.community),
                None,
            )
            .await,
            Who {
                name: "anonymous",
                role: None,
                home: Home::Everywhere,
                token: None,
                password: String::new(),
            },
        ];
        // First use of a token records its time; do it now, so that reads write nothing later.
        for who in &callers {
            send(&app, who, &Method::GET, "/api/v1/session", &Value::Null).await;
        }

        let table = routes();
        // The table covers exactly the routes the API documents.
        let doc = app.get("/api/v1/openapi.json").await.expect(StatusCode::OK);
        let mut documented = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for m in ["get", "post", "put", "patch", "delete"] {
                if item.get(m).is_some() {
                    documented.insert((m.to_uppercase(), path.clone()));
                }
            }
        }
        for (m, p) in UNDOCUMENTED {
            documented.insert((m.to_string(), p.to_string()));
        }
        let walked: BTreeSet<(String, String)> = table
            .iter()
            .map(|r| (r.method.to_string(), r.path.to_string()))
            .collect();
        assert_eq!(walked.len(), table.len(), "a route is in the table twice");
        let missing: Vec<_> = documented.difference(&walked).collect();
        let extra: Vec<_> = walked.difference(&documented).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "the walk's table and the OpenAPI document differ: not walked {missing:?}, not documented {extra:?}"
        );

        let mut checked = 0;
        for route in &table {
            let variants: &[(Side, Side)] = match (route.target, route.body_ref.is_some()) {
                (true, true) => &[
                    (Side::A, Side::A),
                    (Side::B, Side::B),
                    (Side::A, Side::B),
                    (Side::B, Side::A),
                ],
                (true, false) | (false, true) => &[(Side::A, Side::A), (Side::B, Side::B)],
                (false, false) => &[(Side::A, Side::A)],
            };
            for &(url_side, body_side) in variants {
                // Each caller's request, with the fresh record it acts on made first.
                let mut requests = Vec::new();
                for who in &callers {
                    let n = w.next();
                    let fresh = make_fresh(&app, &w, url_side, route.fresh, n, who).await;
                    let input = Input {
                        url: w.side(url_side),
                        body: w.side(body_side),
                        url_side,
                        body_side,
                        fresh,
                        n,
                        id_number: w.next_id_number(),
                        who,
                    };
                    let (path, body) = (route.build)(&input);
                    let expect = expected(who, route, url_side, body_side);
                    requests.push((who, path, body, expect));
                }
                // Refusals and reads, which together must write nothing; then the
                // writes that are allowed.
                let (quiet, writes): (Vec<_>, Vec<_>) =
                    requests
                        .into_iter()
                        .partition(|(_, _, _, (status, problem))| {
                            let audited_miss =
                                route.audits_misses && *status == StatusCode::NOT_FOUND;
                            (problem.is_some() && !audited_miss)
                                || (route.method == Method::GET && !route.audited)
                        });
                let before = snapshot_all(&app).await;
                let mut sent = Vec::new();
                let mut answers = Vec::new();
                for (who, path, body, expect) in quiet {
                    let sides = (url_side, body_side);
                    let (what, r) = walk_one(&app, route, who, &path, &body, expect, sides).await;
                    sent.push(what);
                    answers.push((who.name, r.status, r.body));
                }
                assert_same(
                    &before,
                    &snapshot_all(&app).await,
                    &format!("one of {sent:#?}"),
                );
                // What anyone may read, everyone reads alike, whatever their role.
                if matches!(route.need, Need::Public) && route.method == Method::GET {
                    let (first, status, body) = &answers[0];
                    for (name, s, b) in &answers[1..] {
                        assert!(
                            s == status && b == body,
                            "{} {}: {name} got another answer than {first}",
                            route.method,
                            route.path
                        );
                    }
                }
                for (who, path, body, expect) in writes {
                    let sides = (url_side, body_side);
                    walk_one(&app, route, who, &path, &body, expect, sides).await;
                }
                checked += callers.len();
            }
        }
        // A follow token that opens nothing, another case's photo, a variant
        // that does not exist: not found, whoever asks. Asking for
        // confidential cases needs the permission to read tips.
        let before = snapshot_all(&app).await;
        let wrong = "wgc_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        for who in &callers {
            let refused: [(Method, String, Value); 5] = [
                (
                    Method::GET,
                    format!("/api/v1/public/cases/{wrong}"),
                    Value::Null,
                ),
                (
                    Method::POST,
                    format!("/api/v1/public/cases/{wrong}/transitions"),
                    json!({"action": "withdraw", "reason": "已解决"}),
                ),
                (
                    Method::GET,
                    format!(
                        "/api/v1/public/cases/{wrong}/attachments/{}/content",
                        w.a.photo
                    ),
                    Value::Null,
                ),
                (
                    Method::GET,
                    format!(
                        "/api/v1/public/cases/{}/attachments/{}/content",
                        w.a.case_token, w.b.photo
                    ),
                    Value::Null,
                ),
                (
                    Method::GET,
                    format!(
                        "/api/v1/public/cases/{}/attachments/{}/original",
                        w.a.case_token, w.a.photo
                    ),
                    Value::Null,
                ),
            ];
            for (method, path, body) in refused {
                let r = send(&app, who, &method, &path, &body).await;
                let p = r.problem(StatusCode::NOT_FOUND, "not_found", None);
                assert!(!p.to_string().contains(Side::B.mark()), "{path}: {p}");
                checked += 1;
            }
            let r = send(
                &app,
                who,
                &Method::GET,
                "/api/v1/cases?confidential=true",
                &Value::Null,
            )
            .await;
            match who.role {
                None => {
                    r.problem(StatusCode::UNAUTHORIZED, "unauthenticated", None);
                }
                Some(role) if role.can(Permission::TipsRead) => {
                    r.expect(StatusCode::OK);
                }
                Some(_) => {
                    r.problem(StatusCode::FORBIDDEN, "forbidden", None);
                }
            }
            checked += 1;
        }
        assert_same(&before, &snapshot_all(&app).await, "wrong tokens and tips");
        eprintln!("walked {checked} requests");
        assert!(checked > 300, "only {checked} requests walked");
    });
}
