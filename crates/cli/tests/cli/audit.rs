//! `wangge audit verify` names each kind of tampering with its own message and
//! exit code, and `wangge audit anchor` catches what the chain alone cannot: a
//! cut tail with the head reset to match.

use crate::common::*;

const PASSWORD: &str = "Wangge-zone-2026";

/// A few accounts: a chain of some length.
fn entries(db: &TestDb, names: &[&str]) {
    for name in names {
        let o = db.run(
            &[
                "user",
                "add",
                name,
                "--role",
                "zone_admin",
                "--password-stdin",
            ],
            &format!("{PASSWORD}\n"),
        );
        assert_eq!(o.code, Some(0), "{}: {o:?}", db.label());
    }
}

/// `audit verify` exits with `code` and says `zh` and `en`, plainly.
#[track_caller]
fn verdict(db: &TestDb, extra: &[&str], code: i32, zh: &str, en: &str) {
    let mut args = vec!["audit", "verify"];
    args.extend_from_slice(extra);
    let o = db.run(&args, "");
    let l = db.label();
    assert_eq!(o.code, Some(code), "{l} {extra:?}: {o:?}");
    assert!(
        o.stdout.contains(zh) && o.stdout.contains(en),
        "{l}: expected {zh:?} and {en:?} in {o:?}"
    );
    for noise in ["panicked", "backtrace", "RUST_BACKTRACE", "no row"] {
        assert!(!o.stderr.contains(noise), "{l}: {o:?}");
    }
}

fn head(db: &TestDb) -> i64 {
    db.count("SELECT seq FROM audit_head WHERE id = 1")
}

#[test]
fn each_kind_of_tampering_has_its_own_message_and_exit_code() {
    for db in TestDb::both("tamper") {
        let l = db.label();
        db.ok(&["migrate"]);
        entries(&db, &["a1", "a2", "a3", "a4"]);
        let last = head(&db);
        assert!(last >= 4, "{l}: {last}");
        verdict(&db, &[], 0, "审计日志完整", "intact");

        // Changed: one letter of one actor.
        db.execute("UPDATE audit_log SET actor = actor || 'x' WHERE seq = 2");
        verdict(
            &db,
            &[],
            3,
            "第2条记录写入后被修改",
            "entry 2: its content was changed",
        );
        db.execute(
            "UPDATE audit_log SET actor = substr(actor, 1, length(actor) - 1) WHERE seq = 2",
        );
        verdict(&db, &[], 0, "审计日志完整", "intact");

        // Deleted from the middle.
        db.execute(
            "CREATE TABLE side AS SELECT * FROM audit_log WHERE seq = 2;
             DELETE FROM audit_log WHERE seq = 2",
        );
        verdict(&db, &[], 4, "第2条记录缺失", "entry 2 is missing (deleted)");
        db.execute("INSERT INTO audit_log SELECT * FROM side; DROP TABLE side");
        verdict(&db, &[], 0, "审计日志完整", "intact");

        // Reordered: entries 2 and 3 swap places.
        let swap = "UPDATE audit_log SET seq = -2 WHERE seq = 2;
                    UPDATE audit_log SET seq = 2 WHERE seq = 3;
                    UPDATE audit_log SET seq = 3 WHERE seq = -2";
        db.execute(swap);
        verdict(
            &db,
            &[],
            5,
            "链接断开",
            "entry 2: its link to the previous entry is broken",
        );
        db.execute(swap);
        verdict(&db, &[], 0, "审计日志完整", "intact");

        // The tail cut, the head left as it was.
        db.execute(&format!(
            "CREATE TABLE side AS SELECT * FROM audit_log WHERE seq = {last};
             DELETE FROM audit_log WHERE seq = {last}"
        ));
        verdict(
            &db,
            &[],
            6,
            "末尾的记录被删除",
            &format!(
                "the chain ends at entry {} but the head says {last}",
                last - 1
            ),
        );
        db.execute("INSERT INTO audit_log SELECT * FROM side; DROP TABLE side");

        // The head's hash changed (this was reported as deleted entries before).
        db.execute(
            "CREATE TABLE side AS SELECT * FROM audit_head;
             UPDATE audit_head SET hash = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'",
        );
        verdict(&db, &[], 7, "链头被修改", "the head was changed");
        // The head names an entry past the chain's end… that is a cut tail.
        db.execute("DELETE FROM audit_head; INSERT INTO audit_head SELECT * FROM side");
        db.execute("UPDATE audit_head SET seq = seq - 1");
        verdict(
            &db,
            &[],
            7,
            "链头被修改",
            "does not match the chain's last entry",
        );

        // The head row gone: a message, not a backtrace.
        db.execute("DELETE FROM audit_head");
        verdict(&db, &[], 8, "链头记录", "head row (audit_head) is missing");
        db.execute("INSERT INTO audit_head SELECT * FROM side; DROP TABLE side");
        verdict(&db, &[], 0, "审计日志完整", "intact");
        assert_eq!(head(&db), last, "{l}: verifying wrote nothing");

        // The codes are in the help.
        let (ok, help, _) = run(&["audit", "verify", "--help"]);
        assert!(ok);
        for line in [
            "3  ",
            "4  ",
            "5  ",
            "6  ",
            "7  ",
            "8  ",
            "9  ",
            "exit codes",
        ] {
            assert!(help.contains(line), "{help}");
        }
    }
}

#[test]
fn an_anchor_catches_a_cut_tail_with_the_head_reset_to_match() {
    for db in TestDb::both("anchor") {
        let l = db.label();
        db.ok(&["migrate"]);
        entries(&db, &["b1", "b2"]);
        let early_seq = head(&db);
        let early = db.dir.join("early.anchor");
        let out = db.ok(&["audit", "anchor", "--out", &early.to_string_lossy()]);
        assert!(out.contains(&format!("entry {early_seq}")), "{l}: {out}");
        entries(&db, &["b3", "b4"]);
        let late = db.dir.join("daily/late.anchor");
        std::fs::create_dir_all(late.parent().unwrap()).unwrap();
        db.ok(&["audit", "anchor", "--out", &late.to_string_lossy()]);
        let text = std::fs::read_to_string(&late).unwrap();
        let late_seq = head(&db);
        assert!(text.contains(&format!("seq {late_seq}\n")), "{l}: {text}");
        assert!(
            text.contains("\nhash ") && text.contains("\ndatabase "),
            "{l}: {text}"
        );
        let left: Vec<_> = std::fs::read_dir(late.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(
            left.len(),
            1,
            "{l}: nothing but the anchor is left: {left:?}"
        );
        // Without --out the anchor goes to standard output.
        assert!(db
            .ok(&["audit", "anchor"])
            .contains(&format!("seq {late_seq}")));

        let late_arg = late.to_string_lossy().into_owned();
        let early_arg = early.to_string_lossy().into_owned();
        verdict(
            &db,
            &["--anchor", &late_arg],
            0,
            "含锚点",
            &format!("holds the anchored entry {late_seq}"),
        );

        // The undetectable one: the tail cut back to the early anchor and the
        // head rewritten to the entry now last. The chain alone is whole…
        db.execute(&format!(
            "DELETE FROM audit_log WHERE seq > {early_seq};
             UPDATE audit_head SET seq = {early_seq},
                 hash = (SELECT hash FROM audit_log WHERE seq = {early_seq}) WHERE id = 1"
        ));
        verdict(&db, &[], 0, "审计日志完整", "intact");
        verdict(
            &db,
            &["--anchor", &early_arg],
            0,
            "含锚点",
            "holds the anchored entry",
        );
        // …but not against the later anchor.
        verdict(
            &db,
            &["--anchor", &late_arg],
            9,
            "锚点之后的记录被删除",
            "entries after the anchor were cut",
        );

        // A chain recomputed after the anchor: the anchored hash differs.
        let forged = std::fs::read_to_string(&early)
            .unwrap()
            .lines()
            .map(|line| match line.strip_prefix("hash ") {
                Some(_) => format!("hash {}", "b".repeat(64)),
                None => line.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n");
        let recomputed = db.dir.join("recomputed.anchor");
        std::fs::write(&recomputed, forged).unwrap();
        verdict(
            &db,
            &["--anchor", &recomputed.to_string_lossy()],
            9,
            "哈希与锚点不符",
            "differs from the anchor's",
        );

        // Not an anchor, no such file, another database's anchor: plain errors.
        let junk = db.dir.join("junk.anchor");
        std::fs::write(&junk, "hello\n").unwrap();
        let other = TestDb::sqlite("anchor-other");
        other.ok(&["migrate"]);
        let foreign = other.dir.join("foreign.anchor");
        other.ok(&["audit", "anchor", "--out", &foreign.to_string_lossy()]);
        for (file, words) in [
            (junk.clone(), "is not an anchor"),
            (db.dir.join("missing.anchor"), "cannot read the anchor"),
            (foreign, "belongs to another database"),
        ] {
            let o = db.run(
                &["audit", "verify", "--anchor", &file.to_string_lossy()],
                "",
            );
            assert_eq!(o.code, Some(1), "{l}: {o:?}");
            assert!(
                o.stderr.contains(words) && o.stderr.contains("锚点"),
                "{l}: {o:?}"
            );
        }
    }
}
