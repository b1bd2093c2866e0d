//! Periodic work shared by several nodes on one database: each period's run is
//! claimed by the first node to get there, inside the transaction that does the
//! work, so it happens once per period whichever nodes are up.

use crate::db::Conn;
use crate::error::Result;
use crate::params;

/// How many periods of claims are kept (a week of minutes), for looking back at
/// which node ran what.
const KEEP_PERIODS: i64 = 7 * 24 * 60;

/// Claims `period` of `job` for `node` in the caller's transaction, and answers
/// whether this caller got it. Another node that claimed it first (committed,
/// or still running: its row lock makes this wait) wins; if that node's
/// transaction is rolled back, because it failed or its node was killed, the
/// claim is free again.
pub fn claim(c: &mut dyn Conn, job: &str, period: i64, node: &str, now_ms: i64) -> Result<bool> {
    let won = c.execute(
        "INSERT INTO periodic_runs (job, period, node, ran_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (job, period) DO NOTHING",
        params![job, period, node, now_ms],
    )? == 1;
    if won {
        c.execute(
            "DELETE FROM periodic_runs WHERE job = $1 AND period < $2",
            params![job, period - KEEP_PERIODS],
        )?;
    }
    Ok(won)
}
