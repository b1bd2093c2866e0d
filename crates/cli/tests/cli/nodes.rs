//! Several `wangge serve` nodes on one PostgreSQL database behave as one
//! system: sessions, tokens and accounts, unique numbers, idempotency across
//! nodes, a node killed mid-way, the audit chain after it all, and a database
//! whose connections drop under a running node.

use crate::common::*;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

/// The demo accounts' password (`wangge demo` prints it).
const DEMO_PASSWORD: &str = "Wangge-demo-2026";

fn nodes(db: &TestDb, n: usize) -> Vec<Server> {
    (0..n).map(|_| db.serve()).collect()
}

fn session_status(addr: &str, headers: &[String]) -> u16 {
    call(addr, "GET", "/api/v1/session", headers, None).status
}

#[test]
fn sessions_tokens_and_accounts_hold_on_every_node() {
    let Some(db) = TestDb::postgres("nodes_auth") else {
        return;
    };
    db.ok(&["demo", "--no-serve", "--people", "10"]);
    let n = nodes(&db, 3);
    let (a, b, c) = (&n[0].addr, &n[1].addr, &n[2].addr);

    // A session made on one node works on every node; logging out on another
    // ends it everywhere.
    let me = login(a, "admin", DEMO_PASSWORD);
    for addr in [a, b, c] {
        assert_eq!(session_status(addr, &me.headers()), 200, "{addr}");
    }
    assert_eq!(
        call(b, "DELETE", "/api/v1/session", &me.headers(), None).status,
        204
    );
    for addr in [a, b, c] {
        assert_eq!(
            session_status(addr, &me.headers()),
            401,
            "{addr}: logged out"
        );
    }

    // A token made on one node works on the others; revoked on one, it is
    // refused by all at once.
    let me = login(a, "admin", DEMO_PASSWORD);
    let issued = call(
        a,
        "POST",
        "/api/v1/tokens",
        &me.headers(),
        Some(r#"{"name":"nodes"}"#),
    );
    assert_eq!(issued.status, 201, "{}", issued.body);
    let issued = issued.json();
    let bearer = vec![format!(
        "Authorization: Bearer {}",
        issued["token"].as_str().unwrap()
    )];
    for addr in [a, b, c] {
        assert_eq!(session_status(addr, &bearer), 200, "{addr}: token");
    }
    let revoke = format!("/api/v1/tokens/{}", issued["id"]);
    assert_eq!(call(c, "DELETE", &revoke, &me.headers(), None).status, 204);
    for addr in [a, b, c] {
        assert_eq!(session_status(addr, &bearer), 401, "{addr}: revoked");
    }

    // A photo uploaded through one node is served by another (the nodes
    // share the attachments folder, `--files-dir`).
    let photo = upload_photo(a, &me);
    let content = format!("/api/v1/attachments/{photo}/content");
    let got = call_bytes(c, "GET", &content, &me.headers(), "", &[]);
    assert_eq!(got.status, 200, "{}", got.body);
    assert!(
        got.head.to_ascii_lowercase().contains("image/"),
        "{}",
        got.head
    );

    // Disabling an account on one node ends its sessions on every node.
    let clerk = login(b, "danyang", DEMO_PASSWORD);
    assert_eq!(session_status(c, &clerk.headers()), 200);
    let disable = call(
        a,
        "POST",
        "/api/v1/users/danyang/disable",
        &me.headers(),
        None,
    );
    assert!(disable.status < 300, "{} {}", disable.status, disable.body);
    for addr in [a, b, c] {
        assert_eq!(
            session_status(addr, &clerk.headers()),
            401,
            "{addr}: disabled"
        );
    }
}

/// What a client was told about one report.
struct Told {
    key: String,
    node: usize,
    status: u16,
    tracking_no: Option<String>,
}

#[test]
fn three_nodes_take_concurrent_work_and_survive_one_killed() {
    let Some(db) = TestDb::postgres("nodes_load") else {
        return;
    };
    db.ok(&["demo", "--no-serve", "--people", "10"]);
    let mut n = nodes(&db, 3);
    let addrs: Vec<String> = n.iter().map(|s| s.addr.clone()).collect();
    let me = login(&addrs[0], "admin", DEMO_PASSWORD);
    let before = db.count("SELECT COUNT(*) FROM cases");

    let told = Arc::new(Mutex::new(Vec::<Told>::new()));
    // Pairs of clients send the same key to two different nodes at the same moment.
    let pairs = 6;
    let rounds = 25;
    let barrier = Arc::new(Barrier::new(pairs * 2));
    let mut threads = Vec::new();
    for t in 0..pairs * 2 {
        let (told, addrs, headers, barrier) =
            (told.clone(), addrs.clone(), me.headers(), barrier.clone());
        threads.push(std::thread::spawn(move || {
            let pair = t / 2;
            for round in 0..rounds {
                let node = (t + round) % 3;
                let key = format!("pair{pair}-round{round}");
                let mut h = headers.clone();
                h.push(format!("Idempotency-Key: {key}"));
                let body = report_body(&format!("第{pair}组第{round}次:楼道灯不亮,请尽快维修"));
                barrier.wait();
                let a = call(&addrs[node], "POST", "/api/v1/cases", &h, Some(&body));
                let tracking_no = (a.status == 200 || a.status == 201).then(|| {
                    a.json()["case"]["tracking_no"]
                        .as_str()
                        .unwrap_or("")
                        .to_string()
                });
                // Accept half of the new cases through the next node.
                if a.status == 201 && round % 2 == 0 {
                    let case = &a.json()["case"];
                    let step = serde_json::json!({"action": "accept", "version": case["version"]})
                        .to_string();
                    let other = &addrs[(node + 1) % 3];
                    let path = format!("/api/v1/cases/{}/transitions", case["id"]);
                    let r = call(other, "POST", &path, &headers, Some(&step));
                    assert!(
                        r.status == 200 || r.status == 0 || r.status == 409,
                        "{} {}",
                        r.status,
                        r.body
                    );
                }
                // And a login now and then, on any node.
                if round % 5 == 0 {
                    let body = serde_json::json!({"username": "admin", "password": DEMO_PASSWORD})
                        .to_string();
                    let r = call(
                        &addrs[(node + 2) % 3],
                        "POST",
                        "/api/v1/session",
                        &[],
                        Some(&body),
                    );
                    assert!(
                        r.status == 200 || r.status == 0,
                        "login: {} {}",
                        r.status,
                        r.body
                    );
                }
                told.lock().unwrap().push(Told {
                    key,
                    node,
                    status: a.status,
                    tracking_no,
                });
            }
        }));
    }
    // Kill the third node with SIGKILL when a third of the work is done.
    let deadline = Instant::now() + Duration::from_secs(120);
    while told.lock().unwrap().len() < pairs * 2 * rounds / 3 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let victim = &mut n[2];
    victim.child.kill().unwrap();
    victim.child.wait().unwrap();
    let done_before_kill = told.lock().unwrap().len();
    for t in threads {
        t.join().unwrap();
    }

    let told = told.lock().unwrap();
    assert!(
        done_before_kill < told.len(),
        "the node died while work went on"
    );
    let after_kill = told[done_before_kill..].iter();
    assert!(
        after_kill.clone().any(|t| t.node == 2 && t.status == 0),
        "requests to the killed node failed"
    );
    assert!(
        after_kill.clone().any(|t| t.node != 2 && t.status == 201),
        "the others went on creating cases"
    );
    let acknowledged: Vec<&Told> = told.iter().filter(|t| t.tracking_no.is_some()).collect();
    assert!(
        acknowledged.len() > pairs * rounds,
        "most reports were answered: {}",
        acknowledged.len()
    );
    // The surviving nodes answered every request, before and after the kill.
    for t in told.iter().filter(|t| t.node != 2) {
        assert!(
            t.status == 200 || t.status == 201,
            "node {} answered {} for {}",
            t.node,
            t.status,
            t.key
        );
    }
    // Both clients of a pair were told the same case, whichever node each asked.
    let mut by_key: HashMap<&str, HashSet<&str>> = HashMap::new();
    for t in &acknowledged {
        by_key
            .entry(&t.key)
            .or_default()
            .insert(t.tracking_no.as_deref().unwrap());
    }
    for (key, numbers) in &by_key {
        assert_eq!(
            numbers.len(),
            1,
            "{key}: one case for one key, got {numbers:?}"
        );
    }
    // Every acknowledged case is in the database exactly once, and no key made two.
    for numbers in by_key.values() {
        let number = numbers.iter().next().unwrap();
        let sql = format!("SELECT COUNT(*) FROM cases WHERE tracking_no = '{number}'");
        assert_eq!(db.count(&sql), 1, "{number}");
    }
    let made = db.count("SELECT COUNT(*) FROM cases") - before;
    let distinct = db.count("SELECT COUNT(DISTINCT tracking_no) FROM cases");
    assert_eq!(
        distinct,
        db.count("SELECT COUNT(*) FROM cases"),
        "tracking numbers are unique"
    );
    assert!(
        made as usize <= pairs * rounds,
        "{made} cases for {} keys",
        pairs * rounds
    );
    assert!(
        made as usize >= by_key.len(),
        "{made} cases, {} acknowledged keys",
        by_key.len()
    );
    drop(n);
    let out = db.ok(&["audit", "verify"]);
    assert!(out.contains("intact"), "{out}");
}

#[test]
fn a_node_reconnects_by_itself_when_the_database_drops_its_connections() {
    let Some(db) = TestDb::postgres("nodes_restart") else {
        return;
    };
    db.ok(&["demo", "--no-serve", "--people", "10"]);
    let s = db.serve();
    let me = login(&s.addr, "admin", DEMO_PASSWORD);
    let report = |text: &str| {
        call(
            &s.addr,
            "POST",
            "/api/v1/cases",
            &me.headers(),
            Some(&report_body(text)),
        )
        .status
    };
    assert_eq!(report("重启前的报告"), 201);
    // What a server restart does to a client: every connection of the node
    // is ended by the server.
    db.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    );
    // The first requests may fail with 503 (never a 500); within a few tries
    // the node is writing again, without a restart.
    let mut statuses = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        let status = report("重启后的报告");
        statuses.push(status);
        if status == 201 {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(statuses.last(), Some(&201), "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 503),
        "{statuses:?}"
    );
    assert_eq!(call(&s.addr, "GET", "/readyz", &[], None).status, 200);
    assert_eq!(
        db.count("SELECT COUNT(*) FROM cases WHERE description LIKE '重启%'"),
        2
    );
}
