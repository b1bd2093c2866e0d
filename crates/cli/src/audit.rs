//! `wangge audit`: checking the hash chain, and anchoring its end outside the
//! database so that a cut tail with a rewritten head is caught too.

use anyhow::{bail, Context};
use clap::Subcommand;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use wangge_store::audit::{self, Anchor};
use wangge_store::Store;

/// The exit codes of `verify`, as its help lists them.
const VERIFY_CODES: &str = "退出码 / exit codes:
  0  审计日志完整 / the chain is intact
  1  命令失败(原因见错误信息)/ the command failed (the message says why)
  2  用法错误 / usage error
  3  某条记录被修改 / an entry was changed (its hash no longer matches)
  4  某条记录被删除 / an entry was deleted (a gap in the sequence)
  5  记录被调换或替换 / entries were reordered or replaced (a broken link)
  6  链在链头之前结束 / the chain ends before the head (its tail was cut)
  7  链头被修改 / the head does not match the chain's last entry
  8  链头记录缺失 / the head row is missing
  9  与锚点不符 / the chain does not hold the anchored entry (cut or recomputed after the anchor)";

#[derive(Subcommand)]
pub enum AuditCmd {
    /// Walk the hash chain and name the first entry that was changed, deleted or
    /// reordered; with --anchor, also check the chain still holds the anchored entry.
    #[command(after_help = VERIFY_CODES)]
    Verify {
        /// An anchor written earlier by `wangge audit anchor`.
        #[arg(long)]
        anchor: Option<PathBuf>,
    },
    /// Write the chain's end (sequence number, hash, time, database) to a small
    /// file, to keep where the database's administrators cannot write.
    Anchor {
        /// The file to write (replaced whole, never half-written); standard output without it.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

pub async fn run(store: &Store, cmd: AuditCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        AuditCmd::Verify { anchor } => verify(store, anchor.as_deref()).await,
        AuditCmd::Anchor { out } => {
            let database = store.key_fingerprint().to_string();
            let now = time::OffsetDateTime::now_utc();
            let a = store
                .db
                .read(move |c| Anchor::take(c, &database, now))
                .await?;
            match out {
                None => print!("{}", a.render()),
                Some(path) => {
                    write_atomically(&path, a.render().as_bytes()).with_context(|| {
                        format!(
                            "无法写入锚点文件 / cannot write the anchor {}",
                            path.display()
                        )
                    })?;
                    println!(
                        "已写入锚点 / anchor written to {}: 第{}条 / entry {}",
                        path.display(),
                        a.seq,
                        a.seq
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn verify(store: &Store, anchor: Option<&Path>) -> anyhow::Result<ExitCode> {
    let anchor = match anchor {
        None => None,
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| {
                format!(
                    "无法读取锚点文件 / cannot read the anchor {}",
                    path.display()
                )
            })?;
            let Some(a) = Anchor::parse(&text) else {
                bail!(
                    "{} 不是 wangge audit anchor 写出的锚点文件 / {} is not an anchor written by `wangge audit anchor`",
                    path.display(),
                    path.display()
                );
            };
            if a.database != store.key_fingerprint() {
                bail!(
                    "锚点 {} 属于另一个数据库(密钥指纹 {})/ the anchor {} belongs to another database (key fingerprint {})",
                    path.display(),
                    a.database,
                    path.display(),
                    a.database
                );
            }
            Some(a)
        }
    };
    let checked = anchor.as_ref().map(|a| a.seq);
    let v = store
        .db
        .read(move |c| audit::verify_with(c, anchor.as_ref()))
        .await?;
    match v.first_bad {
        None => {
            match checked {
                Some(seq) => println!(
                    "审计日志完整,含锚点第{seq}条 / the audit chain is intact ({} entries) and holds the anchored entry {seq}",
                    v.entries
                ),
                None => println!(
                    "审计日志完整 / the audit chain is intact ({} entries)",
                    v.entries
                ),
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(b) => {
            println!(
                "审计日志出现问题:{} / the audit chain is broken: {}",
                b.zh, b.en
            );
            Ok(ExitCode::from(b.kind.exit_code()))
        }
    }
}

/// Writes beside the target and renames over it, so that a reader (or a
/// crash) never sees half an anchor.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "anchor".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}
