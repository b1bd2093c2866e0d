//! Administration from the command line: accounts, API tokens, the audit chain
//! and key rotation. The operator is trusted (they hold the database and its key
//! file), so these run as the system, and every change is audited as `cli`.

use anyhow::{bail, Context};
use clap::Subcommand;
use std::io::BufRead;
use wangge_core::auth::Role;
use wangge_store::accounts::{self, NewUser};
use wangge_store::{organisations, Ctx, Scope, Store, StoreOptions};

#[derive(Subcommand)]
pub enum UserCmd {
    /// Create an account; the password is read from standard input.
    Add {
        name: String,
        #[arg(long)]
        role: String,
        /// Unit code of the user's scope (required for street, community and grid roles).
        #[arg(long)]
        scope: Option<String>,
        /// The user's organisation, by id or exact name (required for dept_handler).
        #[arg(long)]
        org: Option<String>,
        #[arg(long)]
        display_name: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// List accounts.
    List,
    /// Disable an account (its sessions and tokens end at once).
    Disable { name: String },
    /// Enable a disabled account.
    Enable { name: String },
    /// Turn off a user's two-factor login (lost phone); ends their sessions, and
    /// they set it up again at their next login. Audited.
    ResetTotp { name: String },
    /// Set a new password, read from standard input; ends the user's sessions.
    ResetPassword {
        name: String,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
pub enum TokenCmd {
    /// Issue an API token for a user and print it (once).
    Create {
        username: String,
        #[arg(long, default_value = "cli")]
        name: String,
        /// Days until the token expires.
        #[arg(long, default_value_t = accounts::DEFAULT_TOKEN_DAYS)]
        days: i64,
    },
    /// List tokens (never their values).
    List { username: Option<String> },
    /// Revoke a token by id.
    Revoke { id: i64 },
}

#[derive(Subcommand)]
pub enum KeysCmd {
    /// Re-encrypt every personal value under a new key (resumes if interrupted).
    Rotate {
        /// After a finished rotation, remove the older keys from the key file.
        /// Backups taken before the rotation then need the old key file.
        #[arg(long)]
        drop_old: bool,
        /// The attachments folder whose files are re-sealed too (default: the
        /// one `serve` uses).
        #[arg(long, env = "WANGGE_FILES_DIR")]
        files_dir: Option<std::path::PathBuf>,
    },
}

fn system(store: &Store) -> Ctx {
    store.ctx("cli", Scope::All, time::OffsetDateTime::now_utc())
}

fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

async fn hash(password: String, username: &str) -> anyhow::Result<String> {
    accounts::check_new_password(&password, username)?;
    Ok(tokio::task::spawn_blocking(move || accounts::hash_password(&password)).await??)
}

pub async fn user(store: &Store, cmd: UserCmd) -> anyhow::Result<()> {
    let ctx = system(store);
    match cmd {
        UserCmd::Add {
            name,
            role,
            scope,
            org,
            display_name,
            password_stdin: _,
        } => {
            let role = Role::parse(&role)?;
            let password_hash = hash(read_password()?, &name).await?;
            let org_id = match org {
                None => None,
                Some(o) => {
                    let c2 = ctx.clone();
                    Some(match o.parse::<i64>() {
                        Ok(id) => id,
                        Err(_) => {
                            store
                                .db
                                .read(move |c| organisations::id_by_name(c, &c2, &o))
                                .await?
                        }
                    })
                }
            };
            let new = NewUser {
                username: name,
                display_name,
                role,
                scope_unit: scope,
                scope_org: org_id,
            };
            let u = store
                .db
                .write(move |c| accounts::create_user(c, &ctx, new, &password_hash))
                .await?;
            println!(
                "已创建用户 / created user {} ({}), scope {}",
                u.username,
                u.role.as_str(),
                u.scope_unit.as_deref().unwrap_or("the whole tree")
            );
        }
        UserCmd::List => {
            for u in store
                .db
                .read(move |c| accounts::list_users(c, &ctx))
                .await?
            {
                println!(
                    "{}\t{}\t{}\t{}{}{}",
                    u.username,
                    u.role.as_str(),
                    u.scope_unit.as_deref().unwrap_or("*"),
                    u.scope_org.map(|o| format!("org {o}")).unwrap_or_default(),
                    if u.disabled { "\tdisabled" } else { "" },
                    if u.totp_enabled { "\ttotp" } else { "" }
                );
            }
        }
        UserCmd::Disable { name } => {
            store
                .db
                .write(move |c| accounts::set_disabled(c, &ctx, &name, true))
                .await?;
            println!("已停用 / disabled");
        }
        UserCmd::Enable { name } => {
            store
                .db
                .write(move |c| accounts::set_disabled(c, &ctx, &name, false))
                .await?;
            println!("已启用 / enabled");
        }
        UserCmd::ResetTotp { name } => {
            let who = name.clone();
            store
                .db
                .write(move |c| accounts::totp::reset(c, &ctx, &name))
                .await
                .map_err(|e| match e {
                    wangge_store::Error::NotFound { .. } => {
                        anyhow::anyhow!("未找到用户“{who}” / no such user '{who}'")
                    }
                    other => other.into(),
                })?;
            println!(
                "两步验证已重置,该用户的会话已结束,下次登录时需重新设置 / \
                 two-factor login reset; the user's sessions were ended and they set it up again at their next login"
            );
        }
        UserCmd::ResetPassword {
            name,
            password_stdin: _,
        } => {
            let password_hash = hash(read_password()?, &name).await?;
            store
                .db
                .write(move |c| accounts::set_password(c, &ctx, &name, &password_hash))
                .await?;
            println!(
                "密码已重置,该用户的会话已结束、API令牌已吊销 / \
                 password reset; the user's sessions were ended and API tokens revoked"
            );
        }
    }
    Ok(())
}

pub async fn token(store: &Store, cmd: TokenCmd) -> anyhow::Result<()> {
    let ctx = system(store);
    match cmd {
        TokenCmd::Create {
            username,
            name,
            days,
        } => {
            let (info, token) = store
                .db
                .write(move |c| accounts::create_token(c, &ctx, &username, &name, days))
                .await?;
            eprintln!(
                "令牌只显示这一次,请妥善保存 / the token is shown only this once (id {})",
                info.id
            );
            println!("{token}");
        }
        TokenCmd::List { username } => {
            let list = store
                .db
                .read(move |c| accounts::list_tokens(c, &ctx, username.as_deref()))
                .await?;
            for t in list {
                println!(
                    "{}\t{}\t{}\tlast used {}\texpires {}{}",
                    t.id,
                    t.username,
                    t.name,
                    t.last_used.map_or("never".to_string(), |d| d.to_string()),
                    t.expires_at.map_or("never".to_string(), |d| d.to_string()),
                    if t.revoked { "\trevoked" } else { "" }
                );
            }
        }
        TokenCmd::Revoke { id } => {
            store
                .db
                .write(move |c| accounts::revoke_token(c, &ctx, id))
                .await?;
            println!("已吊销 / revoked");
        }
    }
    Ok(())
}

pub async fn keys(
    store: &Store,
    opts: &StoreOptions,
    default_files: std::path::PathBuf,
    cmd: KeysCmd,
) -> anyhow::Result<()> {
    match cmd {
        KeysCmd::Rotate {
            drop_old,
            files_dir,
        } => {
            let r = wangge_store::keys::rotate(store, opts, 1000, |last| {
                eprintln!("  … re-encrypted up to row {last}");
            })
            .await?;
            println!(
                "{} key {}: {} rows re-encrypted",
                if r.resumed {
                    "resumed rotation to"
                } else {
                    "rotated to"
                },
                r.key_id,
                r.rows_resealed
            );
            // Attachment files are sealed with the same keys; files kept in
            // clear from before sealing are sealed here too.
            let files = store.attachments(files_dir.unwrap_or(default_files));
            let dir = files.dir.clone();
            let sealed = tokio::task::spawn_blocking(move || files.reseal_files())
                .await
                .context("a blocking task failed")?
                .with_context(|| format!("cannot re-seal the attachments in {}", dir.display()))?;
            println!(
                "{sealed} 个附件文件已重新加密 / attachment files re-sealed in {}",
                dir.display()
            );
            if drop_old {
                let stale = wangge_store::keys::stale_values(store).await?;
                if stale > 0 {
                    bail!("{stale} values are still under an older key; older keys kept");
                }
                let files = store.attachments(dir);
                let stale = tokio::task::spawn_blocking(move || files.stale_files())
                    .await
                    .context("a blocking task failed")??;
                if stale > 0 {
                    bail!("{stale} attachment files are still under an older key; older keys kept");
                }
                let n = wangge_store::keys::drop_old_keys(store, opts).await?;
                println!("removed {n} older keys from {}", opts.key_path().display());
            }
            Ok(())
        }
    }
}
