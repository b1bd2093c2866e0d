//! The `wangge` binary as an operator uses it, on SQLite and on PostgreSQL.
//! Everything runs on 127.0.0.1 and in temporary directories or databases.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod audit;
mod backends;
mod commands;
mod common;
mod deploy;
mod disk_full;
mod keys_at_start;
mod nodes;
mod tips;
mod totp;
