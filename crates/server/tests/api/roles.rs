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

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Side {
    A,
    B,
}

impl Side {
    /// A character in the name of every record on this side: an answer to a
    /// caller of the other side must never contain it.
    pub fn mark(self) -> &'static str {
        match self {
            Side::A => "甲",
            Side::B => "乙",
        }
    }

    fn other(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }
}

/// One street's records: street → communities 1 and 2; community 1 → compound →
/// building, where a person lives in a household; an organisation and an
/// alliance in the compound; the person holds a position in the organisation.
#[derive(Debug, Clone)]
pub struct SideData {
    pub street: String,
    pub community: String,
    pub community2: String,
    pub compound: String,
    pub building: String,
    pub person: i64,
    pub person_id_number: String,
    pub phone: String,
    pub household: i64,
    pub org: i64,
    pub alliance: i64,
    pub position: i64,
    /// A case in the building, accepted and dispatched to `org` (see [`seed_cases`]).
    pub case: i64,
    /// Its follow token.
    pub case_token: String,
    /// A photo the case owns.
    pub photo: i64,
    /// An inspection plan over the street, one of its targets and a record
    /// (see `inspections::seed_for_walk`).
    pub inspection_plan: i64,
    pub inspection_target: i64,
    pub inspection_record: i64,
    /// A lift in the compound (maintenance overdue) and a construction site
    /// (see `equipment::seed_for_walk`).
    pub equipment: i64,
    pub site: i64,
}

pub struct World {
    pub zone: String,
    pub a: SideData,
    pub b: SideData,
    counter: AtomicU32,
}

impl World {
    pub fn side(&self, s: Side) -> &SideData {
        match s {
            Side::A => &self.a,
            Side::B => &self.b,
        }
    }

    /// A number not used before in this world.
    pub fn next(&self) -> u32 {
        self.counter.fetch_add(1, Ordering::Relaxed)
    }

    /// A valid ID number not used before in this world.
    pub fn next_id_number(&self) -> String {
        let n = self.next();
        let birth = time::macros::date!(1960 - 01 - 01) + time::Duration::days(i64::from(n));
        let birth = format!(
            "{}{:02}{:02}",
            birth.year(),
            u8::from(birth.month()),
            birth.day()
        );
        id_number(&birth, 500 + n % 400)
    }
}

#[track_caller]
fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap_or_else(|| panic!("no id in {v}"))
}

async fn created(app: &App, path: &str, body: Value) -> Value {
    let r = app.post_json(path, body.clone()).await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "setup {path} {body}: {}",
        r.text()
    );
    r.json()
}

/// Builds both streets through the API as the zone administrator.
pub async fn world(app: &App) -> World {
    let zone = created(
        app,
        "/api/v1/units",
        json!({"kind": "zone", "name": "菏泽开发区", "code": super::support::ZONE}),
    )
    .await["code"]
        .as_str()
        .expect("zone code")
        .to_string();
    let mut sides = Vec::new();
    for (side, n) in [(Side::A, 1u32), (Side::B, 2)] {
        let m = side.mark();
        let unit = |kind: &'static str, name: String, parent: String| async move {
            created(
                app,
                "/api/v1/units",
                json!({"kind": kind, "name": name, "parent": parent}),
            )
            .await["code"]
                .as_str()
                .expect("code")
                .to_string()
        };
        let street = unit("street", format!("{m}街道"), zone.clone()).await;
        let community = unit("community", format!("{m}一社区"), street.clone()).await;
        let community2 = unit("community", format!("{m}二社区"), street.clone()).await;
        let compound = unit("compound", format!("{m}小区"), community.clone()).await;
        let building = unit("building", format!("{m}1号楼"), compound.clone()).await;
        let household = id(&created(
            app,
            "/api/v1/households",
            json!({"number": format!("{m}户{n}"), "unit": building}),
        )
        .await);
        let person_id_number = id_number("19800101", 100 + n);
        let phone = format!("1391234567{n}");
        let person = id(&created(
            app,
            "/api/v1/people",
            json!({"name": format!("{m}居民"), "id_number": person_id_number, "phone": phone,
                   "unit": building, "address_detail": format!("{n}单元{n}01室"),
                   "household_id": household, "relation": "head"}),
        )
        .await);
        let org = id(&created(
            app,
            "/api/v1/organisations",
            json!({"name": format!("{m}物业公司"), "kind": "property_company", "unit": compound}),
        )
        .await);
        let alliance = id(&created(
            app,
            "/api/v1/organisations",
            json!({"name": format!("{m}共建联盟"), "kind": "alliance", "unit": compound}),
        )
        .await);
        let position = id(&created(
            app,
            "/api/v1/positions",
            json!({"person_id": person, "org_id": org, "kind": "staff",
                   "title": format!("{m}保安"), "from": "2025-01-01"}),
        )
        .await);
        sides.push(SideData {
            street,
            community,
            community2,
            compound,
            building,
            person,
            person_id_number,
            phone,
            household,
            org,
            alliance,
            position,
            case: 0,
            case_token: String::new(),
            photo: 0,
            inspection_plan: 0,
            inspection_target: 0,
            inspection_record: 0,
            equipment: 0,
            site: 0,
        });
    }
    let b = sides.pop().expect("side B");
    let a = sides.pop().expect("side A");
    World {
        zone,
        a,
        b,
        counter: AtomicU32::new(1),
    }
}

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
        .write(move |c| accounts::create_token(c, &ctx, name, "walk").map(|(_, t)| t))
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

    fn verify(mut self, f: fn(&Who, Side, &Value)) -> Route {
        self.verify = Some(f);
        self
    }

    /// The caller may see the record the URL names on this side.
    fn sees(&self, who: &Who, s: Side) -> bool {
        match self.scope {
            Sc::Tree => who.sees(s),
            Sc::Case => sees_case(who, s),
            Sc::Token => true,
            Sc::Own => s == Side::A,
        }
    }

    /// Where the caller's answers may come from: an answer from elsewhere is a leak.
    fn home(&self, who: &Who) -> Home {
        match (self.scope, who.role) {
            (Sc::Token, _) => Home::Everywhere,
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

fn routes() -> Vec<Route> {
    use Method as M;
    use Need::*;
    use Permission::*;
    let r = Route::new;
    let with_body_ref = |mut route: Route, code: &'static str, field: &'static str| {
        route.body_ref = Some((code, field));
        route
    };
    let with_fresh = |mut route: Route, fresh: Fresh| {
        route.fresh = fresh;
        route
    };
    const OK: StatusCode = StatusCode::OK;
    const CREATED: StatusCode = StatusCode::CREATED;
    const NO_CONTENT: StatusCode = StatusCode::NO_CONTENT;
    vec![
        // --- units
        r(M::GET, "/api/v1/units", Perm(RegistryRead), true, OK, |i| {
            (
                format!("/api/v1/units?under={}", i.url.compound),
                Value::Null,
            )
        }),
        with_body_ref(
            r(
                M::POST,
                "/api/v1/units",
                Perm(TreeWrite),
                false,
                CREATED,
                |i| {
                    (
                        "/api/v1/units".into(),
                        json!({"kind": "compound", "name": format!("{}新小区{}", i.body_side.mark(), i.n),
                           "parent": i.body.community}),
                    )
                },
            ),
            "unknown_unit",
            "parent",
        ),
        r(
            M::GET,
            "/api/v1/units/{code}",
            Perm(RegistryRead),
            true,
            OK,
            |i| (format!("/api/v1/units/{}", i.url.building), Value::Null),
        ),
        r(
            M::PATCH,
            "/api/v1/units/{code}",
            Perm(TreeWrite),
            true,
            OK,
            |i| {
                (
                    format!("/api/v1/units/{}", i.url.compound),
                    json!({"name": format!("{}小区{}", i.url_side.mark(), i.n)}),
                )
            },
        ),
        with_fresh(
            r(
                M::DELETE,
                "/api/v1/units/{code}",
                Perm(TreeWrite),
                true,
                NO_CONTENT,
                |i| (format!("/api/v1/units/{}", i.fresh), Value::Null),
            ),
            Fresh::Building,
        ),
        with_fresh(
            with_body_ref(
                r(
                    M::POST,
                    "/api/v1/units/{code}/move",
                    Perm(TreeWrite),
                    true,
                    OK,
                    |i| {
                        (
                            format!("/api/v1/units/{}/move", i.fresh),
                            json!({"parent": i.body.community2}),
                        )
                    },
                ),
                "unknown_unit",
                "parent",
            ),
            Fresh::Compound,
        ),
        r(
            M::GET,
            "/api/v1/units/{code}/tree",
            Perm(RegistryRead),
            true,
            OK,
            |i| {
                (
                    format!("/api/v1/units/{}/tree?depth=3", i.url.compound),
                    Value::Null,
                )
            },
        ),
        // --- organisations
        r(
            M::GET,
            "/api/v1/organisations",
            Perm(RegistryRead),
            true,
            OK,
            |i| {
                (
                    format!("/api/v1/organisations?unit={}", i.url.compound),
                    Value::Null,
                )
            },
        ),
        with_body_ref(
            r(
                M::POST,
                "/api/v1/organisations",
                Perm(RegistryWrite),
                false,
                CREATED,
                |i| {
                    (
                        "/api/v1/organisations".into(),
                        json!({"name": format!("{}协会{}", i.body_side.mark(), i.n), "kind": "social_organisation",
                           "unit": i.body.compound, "parent_org_id": i.body.org}),
                    )
                },
            ),
            "unknown_unit",
            "unit",
        ),
        r(
            M::GET,
            "/api/v1/organisations/{id}",
            Perm(RegistryRead),
            true,
            OK,
            |i| (format!("/api/v1/organisations/{}", i.url.org), Value::Null),
        ),
        r(
            M::PATCH,
            "/api/v1/organisations/{id}",
            Perm(RegistryWrite),
            true,
            OK,
            |i| {
                (
                    format!("/api/v1/organisations/{}", i.url.org),
                    json!({"name": format!("{}物业公司{}", i.url_side.mark(), i.n)}),
                )
            },
        ),
        r(
            M::GET,
            "/api/v1/organisations/{id}/members",
            Perm(RegistryRead),
            true,
            OK,
            |i| {
                (
                    format!("/api/v1/organisations/{}/members", i.url.alliance),
                    Value::Null,
                )
            },
        ),
        with_body_ref(
            r(
                M::POST,
                "/api/v1/organisations/{id}/members",
                Perm(RegistryWrite),
                true,
                NO_CONTENT,
                |i| {
                    (
                        format!("/api/v1/organisations/{}/members", i.url.alliance),
                        json!({"member_id": i.body.org}),
                    )
                },
            ),
            "unknown_organisation",
            "member_id",
        ),
        // --- people
        r(
            M::GET,
            "/api/v1/people",
            Perm(RegistryRead),
            true,
            OK,
            |i| {
                (
                    format!("/api/v1/people?unit={}", i.url.compound),
                    Value::Null,
                )
            },
        ),
        with_body_ref(
            r(
                M::POST,
                "/api/v1/people",
                Perm(RegistryWrite),
                false,
                CREATED,
                |i| {
                    (
                        "/api/v1/people".into(),
                        json!({"name": format!("{}新居民{}", i.body_side.mark(), i.n), "id_number": i.id_number,
                           "phone": "13800001111", "unit": i.body.building, "address_detail": "1单元101室"}),
                    )
                },
            ),
            "unknown_unit",
            "unit",
        ),
        r(
            M::POST,
            "/api/v1/people/lookup",
            Perm(RegistryRead),
            true,
            OK,
            |i| {
                (
                    "/api/v1/people/lookup".into(),
                    json!({"id_number": i.url.person_id_number}),
                )
            },
        ),
        r(
            M::GET,
            "/api/v1/people/{id}",
            Perm(RegistryRead),
            true,
            OK,
            |i| (format!("/api/v1/people/{}", i.url.person), Value::Null),
        ),
        with_fresh(
            with_body_ref(
                r(
                    M::PATCH,
                    "/api/v1/people/{id}",
                    Perm(RegistryWrite),
                    true,
                    OK,
                    |i| {
                        (
                            format!("/api/v1/people/{}", i.fresh),
                            // Named for where the person ends up.
                            json!({"name": format!("{}改名{}", i.body_side.mark(), i.n), "unit": i.body.building}),
                        )
                    },
                ),
                "unknown_unit",
                "unit",
            ),
            Fresh::Person,
        ),
        r(
            M::POST,
            "/api/v1/people/{id}/reveal",
            Perm(RevealPersonal),
            true,
            OK,
            |i| {
                (
                    format!("/api/v1/people/{}/reveal", i.url.person),
                    json!({"reason": "入户核对"}),
                )
            },
        ),
        // --- households
        r(
            M::GET,
            "/api/v1/households",
            Perm(RegistryRead),
            true,
            OK,
            |i| {
                (
                    format!("/api/v1/households?unit={}", i.url.compound),
                    Value::Null,
                )
            },
        ),
        with_body_ref(
            r(
                M::POST,
                "/api/v1/households",
                Perm(RegistryWrite),
                false,
                CREATED,
                |i| {
                    (
                        "/api/v1/households".into(),
                        json!({"number": format!("{}户{}", i.body_side.mark(), i.n), "unit": i.body.building}),
                    )
                },
            ),
            "unknown_unit",
            "unit",
        ),
        r(
            M::GET,
            "/api/v1/households/{id}",
            Perm(RegistryRead),
            true,
            OK,
            |i| {
                (
                    format!("/api/v1/households/{}", i.url.household),
                    Value::Null,
                )
            },
        ),
        // --- positions
        r(
            M::GET,
            "/api/v1/positions",
            Perm(RegistryRead),
            true,
            OK,
            |i| {
                (
                    format!("/api/v1/positions?person_id={}", i.url.person),
                    Value::Null,
                )
            },
        ),
        with_body_ref(
            r(
                M::POST,
                "/api/v1/positions",
                Perm(RegistryWrite),
                false,
                CREATED,
                |i| {
                    (
                        "/api/v1/positions".into(),
                        json!({"person_id": i.body.person, "org_id": i.body.org, "kind": "volunteer",
                           "title": format!("{}志愿者{}", i.body_side.mark(), i.n), "from": "2026-01-01"}),
                    )
                },
            ),
            "unknown_reference",
            "person_id",
        ),
        r(
            M::POST,
            "/api/v1/positions/{id}/end",
            Perm(RegistryWrite),
            true,
            OK,
            |i| {
                (
                    format!("/api/v1/positions/{}/end", i.url.position),
                    json!({"to": "2026-12-31"}),
                )
            },
        ),
        // --- session and tokens
        r(M::GET, "/api/v1/session", Login, false, OK, |_| {
            ("/api/v1/session".into(), Value::Null)
        }),
        r(M::POST, "/api/v1/session", Public, false, OK, |_| {
            (
                "/api/v1/session".into(),
                json!({"username": "walker", "password": WALKER_PASSWORD}),
            )
        }),
        r(
            M::DELETE,
            "/api/v1/session",
            Login,
            false,
            NO_CONTENT,
            |_| ("/api/v1/session".into(), Value::Null),
        ),
        r(
            M::POST,
            "/api/v1/session/password",
            Login,
            false,
            NO_CONTENT,
            |i| {
                (
                    "/api/v1/session/password".into(),
                    json!({"old_password": i.who.password, "new_password": format!("Changed-{}-2026", i.n)}),
                )
            },
        ),
        r(M::GET, "/api/v1/tokens", Login, false, OK, |_| {
            ("/api/v1/tokens".into(), Value::Null)
        }),
        r(M::POST, "/api/v1/tokens", Login, false, CREATED, |i| {
            (
                "/api/v1/tokens".into(),
                json!({"name": format!("令牌{}", i.n)}),
            )
        }),
        {
            let mut route = with_fresh(
                r(
                    M::DELETE,
                    "/api/v1/tokens/{id}",
                    Perm(UsersManage),
                    true,
                    NO_CONTENT,
                    |i| (format!("/api/v1/tokens/{}", i.fresh), Value::Null),
                ),
                Fresh::Token,
            );
            route.scope_first = true;
            route
        },
        // --- users
        r(
            M::GET,
            "/api/v1/users",
            Perm(UsersManage),
            false,
            OK,
            |_| ("/api/v1/users".into(), Value::Null),
        ),
        with_body_ref(
            r(
                M::POST,
                "/api/v1/users",
                Perm(UsersManage),
                false,
                CREATED,
                |i| {
                    (
                        "/api/v1/users".into(),
                        json!({"username": format!("new{}", i.n), "role": "grid_worker",
                           "scope_unit": i.body.building, "password": format!("Fresh-pass-{}", i.n)}),
                    )
                },
            ),
            "unknown_unit",
            "scope_unit",
        ),
        with_fresh(
            r(
                M::POST,
                "/api/v1/users/{username}/disable",
                Perm(UsersManage),
                true,
                OK,
                |i| (format!("/api/v1/users/{}/disable", i.fresh), json!({})),
            ),
            Fresh::User,
        ),
        with_fresh(
            r(
                M::POST,
                "/api/v1/users/{username}/enable",
                Perm(UsersManage),
                true,
                OK,
                |i| (format!("/api/v1/users/{}/enable", i.fresh), json!({})),
            ),
            Fresh::User,
        ),
        with_fresh(
            r(
                M::POST,
                "/api/v1/users/{username}/password",
                Perm(UsersManage),
                true,
                NO_CONTENT,
                |i| {
                    (
                        format!("/api/v1/users/{}/password", i.fresh),
                        json!({"password": format!("Reset-pass-{}", i.n)}),
                    )
                },
            ),
            Fresh::User,
        ),
        // --- audit
        r(M::GET, "/api/v1/audit", Perm(AuditRead), false, OK, |_| {
            ("/api/v1/audit?actor=admin&limit=5".into(), Value::Null)
        }),
        // --- the document itself (not described in itself)
        r(M::GET, "/api/v1/openapi.json", Public, false, OK, |_| {
            ("/api/v1/openapi.json".into(), Value::Null)
        }),
    ]
    .into_iter()
    .chain(case_routes())
    .chain(transfer_routes())
    .collect()
}

/// The roles that may report a case (all but the auditor).
const REPORTERS: &[Role] = &[
    Role::ZoneAdmin,
    Role::StreetStaff,
    Role::CommunityCadre,
    Role::GridWorker,
    Role::DeptHandler,
    Role::Resident,
];
/// The roles that read a case's staff timeline (all but residents).
const STAFF: &[Role] = &[
    Role::ZoneAdmin,
    Role::StreetStaff,
    Role::CommunityCadre,
    Role::GridWorker,
    Role::DeptHandler,
    Role::Auditor,
];
/// Who accepts, dispatches, supervises and closes.
const DISPATCHERS: &[Role] = &[Role::ZoneAdmin, Role::StreetStaff];

fn unauthenticated() -> Expected {
    (StatusCode::UNAUTHORIZED, Some(("unauthenticated", None)))
}

fn not_found() -> Expected {
    (StatusCode::NOT_FOUND, Some(("not_found", None)))
}

fn role_not_allowed() -> Expected {
    (StatusCode::CONFLICT, Some(("role_not_allowed", None)))
}

/// A step on a fresh dispatched case: dispatchers supervise it, a department
/// handler starts it (only as its lead organisation, which it sees), the others
/// who see it try to supervise and are refused.
fn transition_expected(who: &Who, url: Side, _: Side) -> Expected {
    let Some(role) = who.role else {
        return unauthenticated();
    };
    if !sees_case(who, url) {
        return not_found();
    }
    if DISPATCHERS.contains(&role) || role == Role::DeptHandler {
        (StatusCode::OK, None)
    } else {
        role_not_allowed()
    }
}

/// A fresh dispatched case of the URL side merged into the fixture case of the
/// body side: both must be visible (the duplicate first), and merging is a
/// dispatcher's close.
fn merge_expected(who: &Who, url: Side, body: Side) -> Expected {
    let Some(role) = who.role else {
        return unauthenticated();
    };
    if !sees_case(who, url) {
        return not_found();
    }
    if !sees_case(who, body) {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(("unknown_case", Some("into"))),
        );
    }
    if DISPATCHERS.contains(&role) {
        (StatusCode::OK, None)
    } else {
        role_not_allowed()
    }
}

/// Only dispatchers move cases (refused before the case is looked up).
fn move_expected(who: &Who, url: Side, _: Side) -> Expected {
    let Some(role) = who.role else {
        return unauthenticated();
    };
    if !DISPATCHERS.contains(&role) {
        return (StatusCode::FORBIDDEN, Some(("forbidden", None)));
    }
    if !sees_case(who, url) {
        return not_found();
    }
    (StatusCode::OK, None)
}

/// An import reads the file for whoever may import; a row in a unit outside
/// the caller's scope is rejected (and then, all or nothing, nothing is written
/// but the run).
fn import_expected(who: &Who, _: Side, _: Side) -> Expected {
    match who.role {
        None => unauthenticated(),
        Some(role) if role.can(Permission::RegistryWrite) => (StatusCode::OK, None),
        Some(_) => (StatusCode::FORBIDDEN, Some(("forbidden", None))),
    }
}

fn import_verified(who: &Who, side: Side, summary: &Value) {
    let (committed, created, rejected) = if who.sees(side) {
        (true, 1, 0)
    } else {
        (false, 0, 1)
    };
    assert_eq!(
        (
            summary["committed"].as_bool(),
            summary["created"].as_i64(),
            summary["rejected"].as_i64()
        ),
        (Some(committed), Some(created), Some(rejected)),
        "import by {} into {side:?}: {summary}",
        who.name
    );
}

/// The case engine, the resident's side and attachments.
fn case_routes() -> Vec<Route> {
    use Method as M;
    use Need::*;
    use Permission::*;
    let r = Route::new;
    const OK: StatusCode = StatusCode::OK;
    const CREATED: StatusCode = StatusCode::CREATED;
    vec![
        // --- categories and cases
        r(M::GET, "/api/v1/categories", Public, false, OK, |_| {
            ("/api/v1/categories".into(), Value::Null)
        }),
        // The unit filter must lie in a staff caller's scope; departments and
        // residents only narrow what they see anyway.
        r(M::GET, "/api/v1/cases", Login, false, OK, |i| {
            (
                format!("/api/v1/cases?unit={}&order=newest", i.body.building),
                Value::Null,
            )
        })
        .body_ref("unknown_unit", "unit")
        .scope(Sc::Case),
        r(
            M::POST,
            "/api/v1/cases",
            Roles(REPORTERS),
            false,
            CREATED,
            |i| {
                let source = if i.who.role == Some(Role::Resident) {
                    "resident"
                } else {
                    "staff"
                };
                (
                    "/api/v1/cases".into(),
                    json!({"category": "0601", "unit": i.body.building, "source": source,
                       "description": format!("{}楼道堆物{}", i.body_side.mark(), i.n)}),
                )
            },
        )
        .body_ref("unknown_unit", "unit")
        .refusal(StatusCode::CONFLICT, "role_not_allowed"),
        r(M::GET, "/api/v1/cases/{id}", Login, true, OK, |i| {
            (format!("/api/v1/cases/{}", i.url.case), Value::Null)
        })
        .scope(Sc::Case),
        r(
            M::GET,
            "/api/v1/cases/{id}/events",
            Roles(STAFF),
            true,
            OK,
            |i| (format!("/api/v1/cases/{}/events", i.url.case), Value::Null),
        )
        .scope(Sc::Case),
        r(
            M::POST,
            "/api/v1/cases/{id}/transitions",
            Login,
            true,
            OK,
            |i| {
                let (case, version, _) = fresh_case(i);
                let body = if i.who.role == Some(Role::DeptHandler) {
                    json!({"version": version, "action": "start"})
                } else {
                    json!({"version": version, "action": "supervise", "reason": "群众多次反映"})
                };
                (format!("/api/v1/cases/{case}/transitions"), body)
            },
        )
        .fresh(Fresh::DispatchedCase)
        .scope(Sc::Case)
        .expect(transition_expected),
        r(M::POST, "/api/v1/cases/{id}/merge", Login, true, OK, |i| {
            let (case, _, _) = fresh_case(i);
            (
                format!("/api/v1/cases/{case}/merge"),
                json!({"into": i.body.case, "reason": "同一问题重复上报"}),
            )
        })
        .fresh(Fresh::DispatchedCase)
        .body_ref("unknown_case", "into")
        .scope(Sc::Case)
        .expect(merge_expected),
        r(M::POST, "/api/v1/cases/{id}/move", Login, true, OK, |i| {
            let (case, _, _) = fresh_case(i);
            (
                format!("/api/v1/cases/{case}/move"),
                json!({"unit": i.url.community2, "reason": "实际位于相邻社区"}),
            )
        })
        // Within the case's own street: a case legitimately moved across streets
        // would carry its street's mark to the other side of this walk (moves
        // out of scope are refused in the case tests). Not dispatched, since a
        // department sees the cases it leads wherever they are.
        .fresh(Fresh::ReportedCase)
        .scope(Sc::Case)
        .expect(move_expected),
        r(M::GET, "/api/v1/inbox", Login, false, OK, |_| {
            ("/api/v1/inbox".into(), Value::Null)
        })
        .scope(Sc::Case),
        // --- statistics: the registry permission and a unit in scope
        r(
            M::GET,
            "/api/v1/stats/cases",
            Perm(RegistryRead),
            true,
            OK,
            |i| {
                (
                    format!("/api/v1/stats/cases?unit={}", i.url.compound),
                    Value::Null,
                )
            },
        ),
        r(
            M::GET,
            "/api/v1/stats/cases/children",
            Perm(RegistryRead),
            true,
            OK,
            |i| {
                (
                    format!("/api/v1/stats/cases/children?unit={}", i.url.compound),
                    Value::Null,
                )
            },
        ),
        r(
            M::GET,
            "/api/v1/stats/cases/categories",
            Perm(RegistryRead),
            true,
            OK,
            |i| {
                (
                    format!(
                        "/api/v1/stats/cases/categories?unit={}&from=2026-11-01&to=2026-11-30",
                        i.url.compound
                    ),
                    Value::Null,
                )
            },
        ),
        // --- the resident's side: no account, the token is the credential
        r(
            M::POST,
            "/api/v1/public/cases",
            Public,
            true,
            CREATED,
            |i| {
                (
                    "/api/v1/public/cases".into(),
                    json!({"category": "0601", "unit": i.url.building,
                       "description": format!("{}路灯不亮{}", i.url_side.mark(), i.n)}),
                )
            },
        )
        .scope(Sc::Token),
        r(
            M::GET,
            "/api/v1/public/cases/{token}",
            Public,
            true,
            OK,
            |i| {
                (
                    format!("/api/v1/public/cases/{}", i.url.case_token),
                    Value::Null,
                )
            },
        )
        .scope(Sc::Token),
        r(
            M::POST,
            "/api/v1/public/cases/{token}/transitions",
            Public,
            true,
            OK,
            |i| {
                let (_, _, token) = fresh_case(i);
                (
                    format!("/api/v1/public/cases/{token}/transitions"),
                    json!({"action": "withdraw", "reason": "已自行解决"}),
                )
            },
        )
        .fresh(Fresh::ReportedCase)
        .scope(Sc::Token),
        r(
            M::GET,
            "/api/v1/public/cases/{token}/attachments/{id}/{variant}",
            Public,
            true,
            OK,
            |i| {
                (
                    format!(
                        "/api/v1/public/cases/{}/attachments/{}/thumbnail",
                        i.url.case_token, i.url.photo
                    ),
                    Value::Null,
                )
            },
        )
        .scope(Sc::Token),
        r(
            M::POST,
            "/api/v1/public/attachments",
            Public,
            false,
            CREATED,
            |_| ("/api/v1/public/attachments".into(), Value::Null),
        )
        .payload(Payload::Png)
        .scope(Sc::Token),
        // --- attachments: seen through the case that owns them
        r(
            M::POST,
            "/api/v1/attachments",
            Login,
            false,
            CREATED,
            |_| ("/api/v1/attachments".into(), Value::Null),
        )
        .payload(Payload::Png),
        r(M::GET, "/api/v1/attachments/{id}", Login, true, OK, |i| {
            (format!("/api/v1/attachments/{}", i.url.photo), Value::Null)
        })
        .scope(Sc::Case),
        r(
            M::GET,
            "/api/v1/attachments/{id}/content",
            Login,
            true,
            OK,
            |i| {
                (
                    format!("/api/v1/attachments/{}/content", i.url.photo),
                    Value::Null,
                )
            },
        )
        .scope(Sc::Case),
        r(
            M::GET,
            "/api/v1/attachments/{id}/thumbnail",
            Login,
            true,
            OK,
            |i| {
                (
                    format!("/api/v1/attachments/{}/thumbnail", i.url.photo),
                    Value::Null,
                )
            },
        )
        .scope(Sc::Case),
    ]
}

/// Imports, exports and templates.
fn transfer_routes() -> Vec<Route> {
    use Method as M;
    use Need::*;
    use Permission::*;
    let r = Route::new;
    const OK: StatusCode = StatusCode::OK;
    vec![
        // A person in the URL side's building: committed in scope, rejected outside.
        r(M::POST, "/api/v1/imports/{kind}", Perm(RegistryWrite), true, OK, |i| {
            (
                "/api/v1/imports/people?file_name=walk.csv".into(),
                Value::String(format!(
                    "\u{feff}姓名,身份证号,联系电话,单元代码,单元,房号\n导入居民{},{},13812345678,{},2,301\n",
                    i.n, i.id_number, i.url.building
                )),
            )
        })
        .payload(Payload::Csv)
        .expect(import_expected)
        .verify(import_verified),
        r(
            M::GET,
            "/api/v1/imports/runs/{id}",
            Perm(RegistryWrite),
            true,
            OK,
            |i| (format!("/api/v1/imports/runs/{}", i.fresh), Value::Null),
        )
        .fresh(Fresh::Run)
        .scope(Sc::Own),
        r(
            M::GET,
            "/api/v1/imports/runs/{id}/report",
            Perm(RegistryWrite),
            true,
            OK,
            |i| {
                (
                    format!("/api/v1/imports/runs/{}/report", i.fresh),
                    Value::Null,
                )
            },
        )
        .fresh(Fresh::Run)
        .scope(Sc::Own),
        // CSV, so that the leak check reads the names.
        r(M::GET, "/api/v1/exports/{kind}", Perm(Export), true, OK, |i| {
            (
                format!("/api/v1/exports/people?unit={}&format=csv", i.url.compound),
                Value::Null,
            )
        })
        .audited(),
        // The case list's filters; the unit must lie in the caller's scope.
        r(M::GET, "/api/v1/exports/cases", Perm(Export), false, OK, |i| {
            (
                format!("/api/v1/exports/cases?unit={}&format=csv", i.body.building),
                Value::Null,
            )
        })
        .body_ref("unknown_unit", "unit")
        .scope(Sc::Case)
        .audited(),
        // Every role that may export may read equipment.
        r(M::GET, "/api/v1/exports/equipment", Perm(Export), true, OK, |i| {
            (
                format!("/api/v1/exports/equipment?unit={}&format=csv", i.url.compound),
                Value::Null,
            )
        })
        .audited(),
        r(M::GET, "/api/v1/templates/{kind}", Login, false, OK, |_| {
            ("/api/v1/templates/households".into(), Value::Null)
        }),
        // --- inspections: templates are the zone's; plans and records by
        // scope, and for departments by the plans they issue, supervise or
        // inspect (dept_a's organisation runs side A's plan only).
        r(M::GET, "/api/v1/inspection-templates", Perm(InspectionsRead), false, OK, |_| {
            ("/api/v1/inspection-templates".into(), Value::Null)
        }),
        r(M::GET, "/api/v1/inspection-templates/{code}", Perm(InspectionsRead), false, OK, |_| {
            ("/api/v1/inspection-templates/site-dust-control?version=1".into(), Value::Null)
        }),
        r(M::POST, "/api/v1/inspection-templates", Perm(InspectionTemplatesWrite), false, StatusCode::CREATED, |i| {
            (
                "/api/v1/inspection-templates".into(),
                json!({"code": format!("walk-{}", i.n), "name": "巡查表", "category": "0701",
                       "sections": [{"title": "基本", "items": [{"code": "ok", "text": "正常", "kind": "yes_no"}]}]}),
            )
        }),
        r(M::GET, "/api/v1/inspection-plans", Perm(InspectionsRead), false, OK, |_| {
            ("/api/v1/inspection-plans".into(), Value::Null)
        }),
        r(M::POST, "/api/v1/inspection-plans", Perm(InspectionsManage), false, StatusCode::CREATED, |i| {
            (
                "/api/v1/inspection-plans".into(),
                json!({"name": format!("{}计划{}", i.body_side.mark(), i.n), "template": "elevator-use-unit",
                       "unit": i.body.compound, "issuing_org_id": i.body.org, "inspector_org_id": i.body.org,
                       "due_date": "2026-12-31",
                       "targets": [{"kind": "unit", "group": "小区", "unit_kind": "compound"}]}),
            )
        })
        .body_ref("unknown_unit", "unit"),
        r(M::GET, "/api/v1/inspection-plans/{id}", Perm(InspectionsRead), true, OK, |i| {
            (format!("/api/v1/inspection-plans/{}", i.url.inspection_plan), Value::Null)
        })
        .expect(inspection_read),
        r(M::POST, "/api/v1/inspection-records", Perm(InspectionsRecord), true, StatusCode::CREATED, |i| {
            (
                "/api/v1/inspection-records".into(),
                super::inspections::walk_record(i.url.inspection_plan, i.url.inspection_target, i.who.name, i.n),
            )
        })
        .expect(inspection_record),
        r(M::GET, "/api/v1/inspection-records/{id}", Perm(InspectionsRead), true, OK, |i| {
            (format!("/api/v1/inspection-records/{}", i.url.inspection_record), Value::Null)
        })
        .expect(inspection_read),
        r(M::GET, "/api/v1/inspection-records/{id}/problem-list", Perm(InspectionsRead), true, OK, |i| {
            (
                format!("/api/v1/inspection-records/{}/problem-list", i.url.inspection_record),
                Value::Null,
            )
        })
        .expect(inspection_read),
        // --- special equipment and construction sites: by unit subtree
        r(M::GET, "/api/v1/equipment", Perm(EquipmentRead), true, OK, |i| {
            (format!("/api/v1/equipment?unit={}", i.url.compound), Value::Null)
        }),
        r(M::POST, "/api/v1/equipment", Perm(EquipmentWrite), false, StatusCode::CREATED, |i| {
            (
                "/api/v1/equipment".into(),
                json!({"registration_code": format!("{}梯{:04}", i.body_side.mark(), i.n), "kind": "elevator",
                       "unit": i.body.compound, "use_org_id": i.body.org, "installed_on": "2019-06-01",
                       "location": format!("{}新梯{}", i.body_side.mark(), i.n)}),
            )
        })
        .body_ref("unknown_unit", "unit"),
        r(M::GET, "/api/v1/equipment/alerts", Perm(EquipmentRead), false, OK, |_| {
            ("/api/v1/equipment/alerts".into(), Value::Null)
        }),
        r(M::GET, "/api/v1/equipment/{id}", Perm(EquipmentRead), true, OK, |i| {
            (format!("/api/v1/equipment/{}", i.url.equipment), Value::Null)
        }),
        r(M::PATCH, "/api/v1/equipment/{id}", Perm(EquipmentWrite), true, OK, |i| {
            (
                format!("/api/v1/equipment/{}", i.url.equipment),
                json!({"location": format!("{}1号梯{}", i.url_side.mark(), i.n)}),
            )
        }),
        r(M::POST, "/api/v1/equipment/{id}/maintenance", Perm(EquipmentWrite), true, StatusCode::CREATED, |i| {
            (
                format!("/api/v1/equipment/{}/maintenance", i.url.equipment),
                json!({"done_on": "2026-10-02", "note": format!("{}保养", i.url_side.mark())}),
            )
        }),
        r(M::POST, "/api/v1/equipment/{id}/inspections", Perm(EquipmentWrite), true, StatusCode::CREATED, |i| {
            (
                format!("/api/v1/equipment/{}/inspections", i.url.equipment),
                json!({"inspected_on": "2026-01-10", "result": "pass"}),
            )
        }),
        r(M::GET, "/api/v1/construction-sites", Perm(EquipmentRead), true, OK, |i| {
            (format!("/api/v1/construction-sites?unit={}", i.url.compound), Value::Null)
        }),
        r(M::POST, "/api/v1/construction-sites", Perm(EquipmentWrite), false, StatusCode::CREATED, |i| {
            (
                "/api/v1/construction-sites".into(),
                json!({"name": format!("{}工地{}", i.body_side.mark(), i.n), "builder_org_id": i.body.org,
                       "unit": i.body.compound, "starts_on": "2026-01-01"}),
            )
        })
        .body_ref("unknown_unit", "unit"),
        r(M::GET, "/api/v1/construction-sites/{id}", Perm(EquipmentRead), true, OK, |i| {
            (format!("/api/v1/construction-sites/{}", i.url.site), Value::Null)
        }),
    ]
}

/// Reading a plan or record: staff by subtree, dept_a only side A's plan.
fn inspection_read(who: &Who, url: Side, _: Side) -> Expected {
    let role = who.role.unwrap_or(Role::Resident);
    let sees = match role {
        Role::DeptHandler => url == Side::A,
        _ => who.sees(url),
    };
    if !role.can(Permission::InspectionsRead) {
        (StatusCode::FORBIDDEN, Some(("forbidden", None)))
    } else if sees {
        (StatusCode::OK, None)
    } else {
        (StatusCode::NOT_FOUND, Some(("not_found", None)))
    }
}

/// Recording on a side's plan: a plan the caller cannot see is unknown; a
/// grid worker not named as its inspector is told so.
fn inspection_record(who: &Who, url: Side, _: Side) -> Expected {
    let role = who.role.unwrap_or(Role::Resident);
    let sees = match role {
        Role::DeptHandler => url == Side::A,
        _ => who.sees(url),
    };
    if !role.can(Permission::InspectionsRecord) {
        (StatusCode::FORBIDDEN, Some(("forbidden", None)))
    } else if !sees {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(("unknown_plan", Some("plan_id"))),
        )
    } else if role == Role::GridWorker {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(("not_an_inspector", Some("plan_id"))),
        )
    } else {
        (StatusCode::CREATED, None)
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
                        Ok(Some(accounts::create_token(c, &ctx, &user, "fresh")?.0.id))
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

/// A 4x3 PNG: the smallest real photo.
fn png() -> Vec<u8> {
    let mut out = Vec::new();
    let img = image::RgbImage::from_pixel(4, 3, image::Rgb([30, 120, 200]));
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("png");
    out
}

/// Reports a case in the side's building as the zone administrator: its id,
/// version and follow token.
async fn new_case(
    app: &App,
    s: &SideData,
    description: &str,
    photos: &[i64],
) -> (i64, i64, String) {
    let c = created(
        app,
        "/api/v1/cases",
        json!({"category": "0601", "unit": s.building, "description": description,
               "source": "staff", "attachments": photos}),
    )
    .await;
    (
        id(&c["case"]),
        c["case"]["version"].as_i64().expect("version"),
        c["token"].as_str().expect("token").to_string(),
    )
}

/// One step as the zone administrator; answers the new version.
async fn step(app: &App, case: i64, version: i64, mut body: Value) -> i64 {
    body["version"] = json!(version);
    let r = app
        .post_json(&format!("/api/v1/cases/{case}/transitions"), body.clone())
        .await;
    r.expect(StatusCode::OK)["version"]
        .as_i64()
        .unwrap_or_else(|| panic!("setup step {body}: {}", r.text()))
}

/// Accepts a reported case and dispatches it to `org`; answers the new version.
async fn dispatch(app: &App, case: i64, version: i64, org: i64) -> i64 {
    let v = step(app, case, version, json!({"action": "accept"})).await;
    step(app, case, v, json!({"action": "dispatch", "lead_org": org})).await
}

/// Categories, and on each side a case with a photo, accepted and dispatched to
/// the side's organisation (so that dept_a, of A's organisation, has one).
pub async fn seed_cases(app: &App, w: &mut World) {
    let ctx = app.store.ctx("system", Scope::All, super::support::NOW);
    app.store
        .db
        .write(move |c| wangge_store::cases::seed_categories(c, &ctx))
        .await
        .expect("categories");
    for side in [Side::A, Side::B] {
        let photo = {
            let r = app
                .call(Method::POST, "/api/v1/attachments")
                .header("content-type", "image/png")
                .raw(png())
                .send()
                .await;
            id(&r.expect(StatusCode::CREATED))
        };
        let s = w.side(side).clone();
        let description = format!("{}小区消防通道被占用", side.mark());
        let (case, version, token) = new_case(app, &s, &description, &[photo]).await;
        dispatch(app, case, version, s.org).await;
        let s = match side {
            Side::A => &mut w.a,
            Side::B => &mut w.b,
        };
        s.case = case;
        s.case_token = token;
        s.photo = photo;
    }
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
                    requests.into_iter().partition(|(_, _, _, (_, problem))| {
                        problem.is_some() || (route.method == Method::GET && !route.audited)
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

/// Another caller with a token, used once so that later reads write nothing
/// (a token's first use records its time).
async fn user(app: &App, name: &str, role: Role, scope: Option<&str>, org: Option<i64>) -> App {
    let who = app.as_user(name, role, scope, org);
    who.get("/api/v1/session").await.expect(StatusCode::OK);
    who
}

/// The problem body without its request id.
fn problem_body(r: &Reply) -> Value {
    let mut p = r.json();
    p.as_object_mut().expect("object").remove("request_id");
    p
}

#[test]
fn filters_cannot_widen_a_scope() {
    on_both_backends(|app| async move {
        let w = world(&app).await;
        let cadre_a = user(
            &app,
            "cadre_a",
            Role::CommunityCadre,
            Some(&w.a.community),
            None,
        )
        .await;
        let street_a = user(&app, "street_a", Role::StreetStaff, Some(&w.a.street), None).await;
        let before = snapshot_all(&app).await;
        // A unit above the caller's scope, beside it, or in the other street.
        for unit in [
            &w.zone,
            &w.a.street,
            &w.a.community2,
            &w.b.street,
            &w.b.building,
        ] {
            for path in [
                format!("/api/v1/people?unit={unit}"),
                format!("/api/v1/households?unit={unit}"),
                format!("/api/v1/organisations?unit={unit}"),
                format!("/api/v1/units?under={unit}"),
                format!("/api/v1/units?parent={unit}"),
                format!("/api/v1/units/{unit}"),
                format!("/api/v1/units/{unit}/tree"),
            ] {
                let r = cadre_a.get(&path).await;
                r.problem(StatusCode::NOT_FOUND, "not_found", None);
                // Out of scope reads exactly like never existed.
                let never = cadre_a
                    .get(&path.replace(unit.as_str(), "371799999999"))
                    .await;
                assert_eq!(problem_body(&r), problem_body(&never), "{path}");
            }
        }
        for (path, never) in [
            (
                format!("/api/v1/people/{}", w.b.person),
                "/api/v1/people/999999".to_string(),
            ),
            (
                format!("/api/v1/households/{}", w.b.household),
                "/api/v1/households/999999".into(),
            ),
            (
                format!("/api/v1/organisations/{}", w.b.org),
                "/api/v1/organisations/999999".into(),
            ),
            (
                format!("/api/v1/positions?person_id={}", w.b.person),
                "/api/v1/positions?person_id=999999".into(),
            ),
        ] {
            let r = cadre_a.get(&path).await;
            r.problem(StatusCode::NOT_FOUND, "not_found", None);
            assert_eq!(
                problem_body(&r),
                problem_body(&cadre_a.get(&never).await),
                "{path}"
            );
        }
        // Looked up by ID number: the other street's resident is not found.
        cadre_a
            .post_json(
                "/api/v1/people/lookup",
                json!({"id_number": w.b.person_id_number}),
            )
            .await
            .problem(StatusCode::NOT_FOUND, "not_found", None);
        assert_same(&before, &snapshot_all(&app).await, "refused reads");

        // Without a filter, each sees the top of their own part.
        let top = |app: App| async move {
            let page = app.get("/api/v1/units").await.expect(StatusCode::OK);
            page["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|u| u["code"].as_str().expect("code").to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            top(cadre_a.clone()).await,
            std::slice::from_ref(&w.a.community)
        );
        assert_eq!(
            top(street_a.clone()).await,
            std::slice::from_ref(&w.a.street)
        );
        assert_eq!(top(app.clone()).await, std::slice::from_ref(&w.zone));
        // And lists without a filter hold only their own part.
        for path in [
            "/api/v1/people",
            "/api/v1/households",
            "/api/v1/organisations",
            "/api/v1/units?kind=building",
            "/api/v1/units?q=楼",
        ] {
            for who in [&cadre_a, &street_a] {
                let r = who.get(path).await;
                let text = r.text();
                let page = r.expect(StatusCode::OK);
                assert!(
                    !page["items"].as_array().expect("items").is_empty(),
                    "{path}"
                );
                assert!(!text.contains(Side::B.mark()), "{path}: {text}");
            }
        }
        assert_same(&before, &snapshot_all(&app).await, "reads");
    });
}

#[test]
fn ids_of_another_community_in_bodies_reach_nothing() {
    on_both_backends(|app| async move {
        let w = world(&app).await;
        let cadre_a = user(
            &app,
            "cadre_a",
            Role::CommunityCadre,
            Some(&w.a.community),
            None,
        )
        .await;
        user(
            &app,
            "cadre_b",
            Role::CommunityCadre,
            Some(&w.b.community),
            None,
        )
        .await;
        let before = snapshot_all(&app).await;
        let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
        type Case = (
            Method,
            String,
            Value,
            StatusCode,
            &'static str,
            Option<&'static str>,
        );
        let cases: Vec<Case> = vec![
            // A resident of A put into a household of B.
            (
                Method::POST,
                "/api/v1/people".into(),
                json!({"name": "甲新人", "id_number": w.next_id_number(), "unit": w.a.building,
                       "household_id": w.b.household, "relation": "child"}),
                unprocessable,
                "unknown_household",
                Some("household_id"),
            ),
            (
                Method::PATCH,
                format!("/api/v1/people/{}", w.a.person),
                json!({"household_id": w.b.household, "relation": "head"}),
                unprocessable,
                "unknown_household",
                Some("household_id"),
            ),
            (
                Method::PATCH,
                format!("/api/v1/people/{}", w.a.person),
                json!({"unit": w.b.building}),
                unprocessable,
                "unknown_unit",
                Some("unit"),
            ),
            // A position linking A's person to B's organisation, and the reverse.
            (
                Method::POST,
                "/api/v1/positions".into(),
                json!({"person_id": w.a.person, "org_id": w.b.org, "kind": "volunteer",
                       "title": "志愿者", "from": "2026-01-01"}),
                unprocessable,
                "unknown_reference",
                Some("org_id"),
            ),
            (
                Method::POST,
                "/api/v1/positions".into(),
                json!({"person_id": w.b.person, "org_id": w.a.org, "kind": "volunteer",
                       "title": "志愿者", "from": "2026-01-01"}),
                unprocessable,
                "unknown_reference",
                Some("person_id"),
            ),
            // An organisation of A under a parent organisation of B.
            (
                Method::POST,
                "/api/v1/organisations".into(),
                json!({"name": "甲协会", "kind": "social_organisation", "unit": w.a.compound,
                       "parent_org_id": w.b.org}),
                unprocessable,
                "unknown_organisation",
                Some("parent_org_id"),
            ),
            // B's organisation joined to A's alliance.
            (
                Method::POST,
                format!("/api/v1/organisations/{}/members", w.a.alliance),
                json!({"member_id": w.b.org}),
                unprocessable,
                "unknown_organisation",
                Some("member_id"),
            ),
            // A household of A in B's building.
            (
                Method::POST,
                "/api/v1/households".into(),
                json!({"number": "甲户", "unit": w.b.building}),
                unprocessable,
                "unknown_unit",
                Some("unit"),
            ),
            // Tokens for someone else: out of scope, and in scope without the permission.
            (
                Method::POST,
                "/api/v1/tokens".into(),
                json!({"name": "借用", "username": "cadre_b"}),
                StatusCode::NOT_FOUND,
                "not_found",
                None,
            ),
            (
                Method::POST,
                "/api/v1/tokens".into(),
                json!({"name": "借用", "username": "admin"}),
                StatusCode::NOT_FOUND,
                "not_found",
                None,
            ),
            // Ids that exist only in the other street, in the URL.
            (
                Method::POST,
                format!("/api/v1/positions/{}/end", w.b.position),
                json!({"to": "2026-12-31"}),
                StatusCode::NOT_FOUND,
                "not_found",
                None,
            ),
            (
                Method::PATCH,
                format!("/api/v1/organisations/{}", w.b.org),
                json!({"name": "甲改名"}),
                StatusCode::NOT_FOUND,
                "not_found",
                None,
            ),
        ];
        for (method, path, body, status, code, field) in cases {
            let r = cadre_a
                .call(method.clone(), &path)
                .json(body.clone())
                .send()
                .await;
            let p = r.problem(status, code, field);
            assert!(!p.to_string().contains(Side::B.mark()), "{p}");
            assert_same(
                &before,
                &snapshot_all(&app).await,
                &format!("{method} {path} {body}"),
            );
        }
        // The same requests within A succeed: the refusals were about scope.
        cadre_a
            .post_json(
                "/api/v1/positions",
                json!({"person_id": w.a.person, "org_id": w.a.org, "kind": "volunteer",
                       "title": "志愿者", "from": "2026-01-01"}),
            )
            .await
            .expect(StatusCode::CREATED);
        cadre_a
            .post_json(
                &format!("/api/v1/organisations/{}/members", w.a.alliance),
                json!({"member_id": w.a.org}),
            )
            .await
            .expect(StatusCode::NO_CONTENT);
    });
}

#[test]
fn personal_data_is_revealed_only_in_scope_with_a_reason_and_audited() {
    on_both_backends(|app| async move {
        let w = world(&app).await;
        let reveal = |who: App, person: i64, body: Value| async move {
            who.post_json(&format!("/api/v1/people/{person}/reveal"), body)
                .await
        };
        let reveals = |app: App| async move {
            let ctx = app.store.ctx("test", Scope::All, super::support::NOW);
            let f = wangge_store::audit::Filter {
                action: Some("reveal".into()),
                ..Default::default()
            };
            app.store
                .db
                .read(move |c| wangge_store::audit::list(c, &ctx, &f, 500))
                .await
                .expect("audit")
        };
        let allowed = [
            app.clone(),
            user(&app, "street_a", Role::StreetStaff, Some(&w.a.street), None).await,
            user(
                &app,
                "cadre_a",
                Role::CommunityCadre,
                Some(&w.a.community),
                None,
            )
            .await,
            user(&app, "grid_a", Role::GridWorker, Some(&w.a.compound), None).await,
        ];
        for (n, who) in allowed.iter().enumerate() {
            let reason = format!("养老认证入户核对{n}");
            let r = reveal(who.clone(), w.a.person, json!({"reason": reason})).await;
            let v = r.expect(StatusCode::OK);
            assert_eq!(v["id_number"], w.a.person_id_number);
            assert_eq!(v["phone"], w.a.phone);
            assert_eq!(v["address_detail"], "1单元101室");
            let last = reveals(app.clone()).await;
            assert_eq!(last.len(), n + 1);
            assert_eq!(last[0].entity, "person");
            assert_eq!(last[0].entity_id, w.a.person);
            assert_eq!(last[0].detail["reason"], reason);
            let detail = last[0].detail.to_string();
            assert!(!detail.contains(&w.a.person_id_number) && !detail.contains(&w.a.phone));
        }
        let auditor = user(&app, "auditor", Role::Auditor, None, None).await;
        let dept = user(&app, "dept_a", Role::DeptHandler, None, Some(w.a.org)).await;
        let resident = user(&app, "resident", Role::Resident, None, None).await;
        let before = snapshot_all(&app).await;
        let cadre_a = allowed[2].clone();
        // Without a reason, or with an empty one.
        reveal(cadre_a.clone(), w.a.person, json!({}))
            .await
            .problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_value",
                Some("reason"),
            );
        reveal(cadre_a.clone(), w.a.person, json!({"reason": "  "}))
            .await
            .problem(StatusCode::UNPROCESSABLE_ENTITY, "required", Some("reason"));
        // Out of scope, or nobody at all: the same not found.
        let out = reveal(cadre_a.clone(), w.b.person, json!({"reason": "核对"})).await;
        out.problem(StatusCode::NOT_FOUND, "not_found", None);
        let nobody = reveal(cadre_a.clone(), 999_999, json!({"reason": "核对"})).await;
        assert_eq!(problem_body(&out), problem_body(&nobody));
        // Roles without the permission, in scope or not.
        for who in [&auditor, &dept, &resident] {
            reveal(who.clone(), w.a.person, json!({"reason": "核对"}))
                .await
                .problem(StatusCode::FORBIDDEN, "forbidden", None);
        }
        // The auditor reads the registry masked only.
        let shown = auditor.get(&format!("/api/v1/people/{}", w.a.person)).await;
        let text = shown.text();
        shown.expect(StatusCode::OK);
        assert!(
            !text.contains(&w.a.person_id_number) && !text.contains(&w.a.phone),
            "{text}"
        );
        app.anonymous()
            .post_json(
                &format!("/api/v1/people/{}/reveal", w.a.person),
                json!({"reason": "核对"}),
            )
            .await
            .problem(StatusCode::UNAUTHORIZED, "unauthenticated", None);
        assert_same(&before, &snapshot_all(&app).await, "refused reveals");
    });
}
