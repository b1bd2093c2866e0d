//! The world the walk runs in: two streets with the same shape, their
//! people, organisations, accounts and cases, made through the API.

use super::*;

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

    pub(super) fn other(self) -> Side {
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
pub(super) fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap_or_else(|| panic!("no id in {v}"))
}

pub(super) async fn created(app: &App, path: &str, body: Value) -> Value {
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
        json!({"kind": "zone", "name": "菏泽开发区", "code": super::super::support::ZONE}),
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

/// A 4x3 PNG: the smallest real photo.
pub(super) fn png() -> Vec<u8> {
    let mut out = Vec::new();
    let img = image::RgbImage::from_pixel(4, 3, image::Rgb([30, 120, 200]));
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("png");
    out
}

/// Reports a case in the side's building as the zone administrator: its id,
/// version and follow token.
pub(super) async fn new_case(
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
pub(super) async fn step(app: &App, case: i64, version: i64, mut body: Value) -> i64 {
    body["version"] = json!(version);
    let r = app
        .post_json(&format!("/api/v1/cases/{case}/transitions"), body.clone())
        .await;
    r.expect(StatusCode::OK)["version"]
        .as_i64()
        .unwrap_or_else(|| panic!("setup step {body}: {}", r.text()))
}

/// Accepts a reported case and dispatches it to `org`; answers the new version.
pub(super) async fn dispatch(app: &App, case: i64, version: i64, org: i64) -> i64 {
    let v = step(app, case, version, json!({"action": "accept"})).await;
    step(app, case, v, json!({"action": "dispatch", "lead_org": org})).await
}

/// Categories, and on each side a case with a photo, accepted and dispatched to
/// the side's organisation (so that dept_a, of A's organisation, has one).
pub async fn seed_cases(app: &App, w: &mut World) {
    let ctx = app
        .store
        .ctx("system", Scope::All, super::super::support::NOW);
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
