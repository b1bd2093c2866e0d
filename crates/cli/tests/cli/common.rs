//! Helpers shared by the command-line tests: the binary, temporary databases on
//! either backend, a server process and plain HTTP over 127.0.0.1.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_wangge"));
    for (k, _) in std::env::vars() {
        if k.starts_with("WANGGE_") {
            c.env_remove(k);
        }
    }
    c
}

pub fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("wangge-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

pub fn db_url(dir: &Path) -> String {
    format!("sqlite:{}", dir.join("w.db").display())
}

/// Makes the database (`wangge migrate`), creates a zone administrator with
/// `wangge user add` and answers an API token made by `wangge token create`.
pub fn admin_token(url: &str) -> String {
    let out = bin()
        .args(["migrate", "--database-url", url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut add = bin();
    add.args([
        "user",
        "add",
        "admin",
        "--role",
        "zone_admin",
        "--password-stdin",
        "--database-url",
        url,
    ]);
    let o = outcome(add, "Wangge-zone-2026\n");
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    let mut create = bin();
    create.args(["token", "create", "admin", "--database-url", url]);
    let o = outcome(create, "");
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    o.stdout.trim().to_string()
}

/// A running server, killed if a test fails half way.
pub struct Server {
    pub child: Child,
    pub addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn start(args: &[&str], envs: &[(&str, &str)]) -> Server {
    let child = bin()
        .args(args)
        .envs(envs.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Owned by the guard at once, so a failing test still kills the server.
    let mut server = Server {
        child,
        addr: String::new(),
    };
    let stdout = server.child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        let line = lines
            .next()
            .expect("server exited before printing its URL")
            .unwrap();
        if let Some(pos) = line.find("http://") {
            server.addr = line[pos + 7..].trim_end_matches('/').to_string();
            std::thread::spawn(move || lines.for_each(drop));
            return server;
        }
    }
    panic!("server did not print its URL in time");
}

pub fn http(addr: &str, request: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

pub fn get(addr: &str, path: &str) -> String {
    http(
        addr,
        &format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    )
}

/// A valid ID number in region 371799, born `birth` (YYYYMMDD), sequence `seq`.
pub fn valid_id(birth: &str, seq: u32) -> String {
    let first17 = format!("371799{birth}{seq:03}");
    let check = wangge_core::ids::id_check_char(first17.as_bytes());
    format!("{first17}{check}")
}

pub fn run(args: &[&str]) -> (bool, String, String) {
    let out = bin().args(args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A fresh database for one test: a SQLite file in a temporary folder, or a
/// PostgreSQL database of its own (dropped afterwards), each with its key file.
pub struct TestDb {
    pub url: String,
    pub key: PathBuf,
    pub dir: PathBuf,
    /// The PostgreSQL server's URL without a database, and this test's database.
    pg: Option<(String, String)>,
}

impl TestDb {
    pub fn sqlite(name: &str) -> TestDb {
        let dir = temp_dir(&format!("{name}-sqlite"));
        TestDb {
            url: db_url(&dir),
            key: dir.join("w.db.key"),
            dir,
            pg: None,
        }
    }

    /// A SQLite database in `dir`, a folder the test made (and that is
    /// removed with the database).
    pub fn sqlite_in(dir: PathBuf) -> TestDb {
        TestDb {
            url: db_url(&dir),
            key: dir.join("w.db.key"),
            dir,
            pg: None,
        }
    }

    /// This test's PostgreSQL database's name, and the URL of a database
    /// on the same server to run statements about it from.
    pub fn pg_names(&self) -> Option<(&str, &str)> {
        self.pg
            .as_ref()
            .map(|(base, db)| (db.as_str(), base.as_str()))
    }

    /// `None` (after saying why) when no PostgreSQL server answers and CI does
    /// not require one.
    pub fn postgres(name: &str) -> Option<TestDb> {
        let base = std::env::var("WANGGE_TEST_PG")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1/test".into());
        let db = format!("wangge_cli_{name}_{}", std::process::id());
        let server = base[..base.rfind('/').unwrap()].to_string();
        let created = postgres::Client::connect(&base, postgres::NoTls).and_then(|mut c| {
            c.batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))?;
            c.batch_execute(&format!("CREATE DATABASE {db}"))
        });
        if let Err(e) = created {
            if std::env::var("WANGGE_REQUIRE_PG").is_ok_and(|v| v == "1") {
                panic!(
                    "PostgreSQL is required (WANGGE_REQUIRE_PG=1) but {base} is unavailable: {e}"
                );
            }
            eprintln!("skipped on PostgreSQL: no server at {base} ({e})");
            return None;
        }
        let dir = temp_dir(&format!("{name}-pg"));
        Some(TestDb {
            url: format!("{server}/{db}"),
            key: dir.join("pg.key"),
            dir,
            pg: Some((base, db)),
        })
    }

    /// SQLite, and PostgreSQL where it is available.
    pub fn both(name: &str) -> Vec<TestDb> {
        std::iter::once(TestDb::sqlite(name))
            .chain(TestDb::postgres(name))
            .collect()
    }

    pub fn is_postgres(&self) -> bool {
        self.pg.is_some()
    }

    pub fn label(&self) -> &'static str {
        if self.is_postgres() {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    }

    /// `--database-url URL --key-file KEY`, for any subcommand.
    pub fn args(&self) -> Vec<String> {
        vec![
            "--database-url".into(),
            self.url.clone(),
            "--key-file".into(),
            self.key.to_string_lossy().into_owned(),
        ]
    }

    /// Runs `wangge ARGS… --database-url … --key-file …` with `stdin`.
    pub fn run(&self, args: &[&str], stdin: &str) -> Outcome {
        let mut command = bin();
        command.args(args).args(self.args());
        outcome(command, stdin)
    }

    /// Like [`TestDb::run`], failing the test unless the command succeeds.
    pub fn ok(&self, args: &[&str]) -> String {
        let o = self.run(args, "");
        assert_eq!(o.code, Some(0), "{}: wangge {args:?}: {o:?}", self.label());
        o.stdout
    }

    /// `wangge serve` on this database, on a free port; every node of one
    /// database shares its attachments folder, `files` in the test's folder.
    /// The tests log in as zone administrators with a password alone, so no
    /// role is required to use two-factor login (`totp.rs` tests the default).
    pub fn serve(&self) -> Server {
        let files = self.dir.join("files").to_string_lossy().into_owned();
        let mut args = vec![
            "serve".to_string(),
            "--listen".into(),
            "127.0.0.1:0".into(),
            "--files-dir".into(),
            files,
            "--totp-required-roles".into(),
            "none".into(),
        ];
        args.extend(self.args());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        start(&args, &[])
    }

    /// A query on the database itself, for checking what the binary wrote.
    pub fn count(&self, sql: &str) -> i64 {
        match &self.pg {
            Some(_) => {
                let mut c = postgres::Client::connect(&self.url, postgres::NoTls).unwrap();
                c.query_one(sql, &[]).unwrap().get(0)
            }
            None => {
                let c = rusqlite::Connection::open(self.dir.join("w.db")).unwrap();
                c.query_row(sql, [], |r| r.get(0)).unwrap()
            }
        }
    }

    /// Runs statements on the database itself (to break it on purpose).
    pub fn execute(&self, sql: &str) {
        match &self.pg {
            Some(_) => {
                let mut c = postgres::Client::connect(&self.url, postgres::NoTls).unwrap();
                c.batch_execute(sql).unwrap();
            }
            None => {
                let c = rusqlite::Connection::open(self.dir.join("w.db")).unwrap();
                c.execute_batch(sql).unwrap();
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((base, db)) = &self.pg {
            if let Ok(mut c) = postgres::Client::connect(base, postgres::NoTls) {
                let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs `command` with `stdin` and answers what it did.
pub fn outcome(mut command: Command, stdin: &str) -> Outcome {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    Outcome {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// What a command did.
#[derive(Debug)]
pub struct Outcome {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// An HTTP answer: its status, headers (as text) and body.
pub struct Answer {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.body))
    }

    /// The value of the first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    }
}

/// One HTTP/1.1 request with `headers` (each "Name: value") and a JSON body.
/// A connection that fails answers status 0, so that a test can count it.
pub fn call(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[String],
    body: Option<&str>,
) -> Answer {
    let body = body.unwrap_or("");
    call_bytes(
        addr,
        method,
        path,
        headers,
        "application/json",
        body.as_bytes(),
    )
}

/// Like [`call`], with a body of any type (none when empty).
pub fn call_bytes(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[String],
    content_type: &str,
    body: &[u8],
) -> Answer {
    let Ok(mut s) = TcpStream::connect(addr) else {
        return Answer {
            status: 0,
            head: String::new(),
            body: String::new(),
        };
    };
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for h in headers {
        req.push_str(h);
        req.push_str("\r\n");
    }
    if !body.is_empty() {
        req.push_str(&format!(
            "Content-Type: {content_type}\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    req.push_str("\r\n");
    let mut req = req.into_bytes();
    req.extend_from_slice(body);
    if s.write_all(&req).is_err() {
        return Answer {
            status: 0,
            head: String::new(),
            body: String::new(),
        };
    }
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Answer {
        status,
        head: head.to_string(),
        body: body.to_string(),
    }
}

/// A logged-in browser: its session cookie and CSRF token.
#[derive(Clone)]
pub struct Login {
    pub cookie: String,
    pub csrf: String,
}

impl Login {
    pub fn headers(&self) -> Vec<String> {
        vec![
            format!("Cookie: {}", self.cookie),
            format!("X-CSRF-Token: {}", self.csrf),
        ]
    }
}

/// Logs in over HTTP with a password.
pub fn login(addr: &str, user: &str, password: &str) -> Login {
    let body = serde_json::json!({"username": user, "password": password}).to_string();
    let a = call(addr, "POST", "/api/v1/session", &[], Some(&body));
    assert_eq!(a.status, 200, "login as {user}: {}", a.body);
    let cookie = a.header("set-cookie").expect("a session cookie");
    Login {
        cookie: cookie.split(';').next().unwrap().to_string(),
        csrf: a.json()["csrf_token"].as_str().unwrap().to_string(),
    }
}

/// A report as staff make it, in a unit of the demo zone.
pub fn report_body(text: &str) -> String {
    serde_json::json!({
        "category": "0601",
        "unit": DEMO_UNIT,
        "description": text,
        "source": "staff",
    })
    .to_string()
}

/// 1号楼 of 牡丹小区 in 丹阳社区, a building of the demo zone.
pub const DEMO_UNIT: &str = "371799001001005001";

/// The smallest PNG: one transparent pixel.
pub fn png_1x1() -> Vec<u8> {
    const HEX: &str = "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da636460f85f0f0002870180eb47ba920000000049454e44ae426082";
    (0..HEX.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&HEX[i..i + 2], 16).unwrap())
        .collect()
}

/// Uploads a photo through `addr` and answers its id.
pub fn upload_photo(addr: &str, who: &Login) -> i64 {
    let up = call_bytes(
        addr,
        "POST",
        "/api/v1/attachments",
        &who.headers(),
        "application/octet-stream",
        &png_1x1(),
    );
    assert_eq!(up.status, 201, "{}", up.body);
    up.json()["id"].as_i64().unwrap()
}
