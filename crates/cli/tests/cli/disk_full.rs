//! A full disk, for real: the database lives on a small tmpfs (SQLite's file,
//! or a PostgreSQL tablespace), a filler file takes the rest, and the server
//! must answer 503 with a retry hint, lose no acknowledged report, report not
//! ready, and recover by itself once space is freed. Mounting needs root (CI
//! runs as root and sets `WANGGE_REQUIRE_TMPFS=1`; elsewhere it is skipped).

use super::common::{call, login, report_body, temp_dir, TestDb};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(name: &str, megabytes: u32) -> Option<Tmpfs> {
        let dir = temp_dir(name);
        let size = format!("size={megabytes}m");
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &size, "tmpfs"])
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success());
        if !mounted {
            assert!(
                std::env::var("WANGGE_REQUIRE_TMPFS").as_deref() != Ok("1"),
                "WANGGE_REQUIRE_TMPFS=1 but a tmpfs cannot be mounted (not root?)"
            );
            eprintln!("skipped: a tmpfs cannot be mounted here (needs root)");
            return None;
        }
        Some(Tmpfs(dir))
    }

    /// Writes a file until the disk refuses more, and answers its path.
    fn fill(&self) -> PathBuf {
        let path = self.0.join("filler");
        let mut f = std::fs::File::create(&path).unwrap();
        for chunk in [1 << 20, 4096, 1] {
            let bytes = vec![7u8; chunk];
            while f.write_all(&bytes).and_then(|()| f.sync_all()).is_ok() {}
        }
        path
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A PostgreSQL tablespace in `dir`, dropped (after the database in it) at
/// the end of the test.
struct Tablespace {
    name: String,
    base: String,
}

impl Tablespace {
    fn create(db: &TestDb, dir: &Path) -> Tablespace {
        let (database, base) = db.pg_names().unwrap();
        std::fs::create_dir_all(dir).unwrap();
        let owned = Command::new("chown")
            .args(["postgres:postgres"])
            .arg(dir)
            .status()
            .unwrap();
        assert!(owned.success(), "chown postgres {}", dir.display());
        let name = format!("wangge_full_{}", std::process::id());
        let mut c = postgres::Client::connect(base, postgres::NoTls).unwrap();
        c.batch_execute(&format!(
            "CREATE TABLESPACE {name} LOCATION '{}'",
            dir.display()
        ))
        .unwrap();
        c.batch_execute(&format!("ALTER DATABASE {database} SET TABLESPACE {name}"))
            .unwrap();
        Tablespace {
            name,
            base: base.to_string(),
        }
    }
}

impl Drop for Tablespace {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.base, postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP TABLESPACE IF EXISTS {}", self.name));
        }
    }
}

#[test]
fn a_full_disk_answers_503_loses_nothing_and_recovers_when_space_is_freed() {
    let Some(sqlite_disk) = Tmpfs::mount("full-sqlite", 48) else {
        return;
    };
    let sqlite = TestDb::sqlite_in(sqlite_disk.0.clone());
    check(&sqlite, &sqlite_disk);

    let Some(pg_disk) = Tmpfs::mount("full-pg", 48) else {
        return;
    };
    if let Some(pg) = TestDb::postgres("disk_full") {
        let space = Tablespace::create(&pg, &pg_disk.0.join("pg"));
        check(&pg, &pg_disk);
        drop(pg);
        drop(space);
    }
}

fn check(db: &TestDb, disk: &Tmpfs) {
    let label = db.label();
    db.ok(&["demo", "--no-serve"]);
    let server = db.serve();
    let addr = server.addr.as_str();
    let me = login(addr, "admin", "Wangge-demo-2026");
    let before = db.count("SELECT COUNT(*) FROM cases");
    assert_eq!(get_status(addr, "/readyz"), 200, "{label}: ready before");

    let filler = disk.fill();
    // Long reports fill what the database files still had free quickly.
    let text = "楼道灯不亮,已经很久了,请尽快维修。".repeat(200);
    let mut acknowledged = 0;
    let refused = (0..5000).find_map(|i| {
        let a = call(
            addr,
            "POST",
            "/api/v1/cases",
            &me.headers(),
            Some(&report_body(&format!("{i}:{text}"))),
        );
        match a.status {
            201 => {
                acknowledged += 1;
                None
            }
            _ => Some(a),
        }
    });
    let refused = refused.unwrap_or_else(|| panic!("{label}: 5000 reports fit on a full disk"));
    assert_eq!(refused.status, 503, "{label}: {}", refused.body);
    let problem = refused.json();
    assert_eq!(problem["code"], "storage_unavailable", "{label}: {problem}");
    assert!(
        problem.to_string().contains("磁盘已满"),
        "{label}: {problem}"
    );
    assert_eq!(
        refused.header("retry-after").as_deref(),
        Some("30"),
        "{label}"
    );
    assert_eq!(
        get_status(addr, "/readyz"),
        503,
        "{label}: ready while writes fail"
    );

    std::fs::remove_file(filler).unwrap();
    // The next write succeeds (the disk has room again), and makes the node
    // ready at once.
    let deadline = Instant::now() + Duration::from_secs(30);
    let again = loop {
        let a = call(
            addr,
            "POST",
            "/api/v1/cases",
            &me.headers(),
            Some(&report_body("空间释放后的报告")),
        );
        if a.status == 201 || Instant::now() > deadline {
            break a;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(again.status, 201, "{label}: {}", again.body);
    assert_eq!(get_status(addr, "/readyz"), 200, "{label}: ready again");
    drop(server);
    // Every acknowledged report is there, and none of the refused ones.
    assert_eq!(
        db.count("SELECT COUNT(*) FROM cases"),
        before + acknowledged + 1,
        "{label}"
    );
    db.ok(&["audit", "verify"]);
}

fn get_status(addr: &str, path: &str) -> u16 {
    call(addr, "GET", path, &[], None).status
}
