//! Growing delays after failed logins, decided atomically before the password
//! is checked.
//!
//! An attempt first *reserves* its place: in one write, each key's count goes
//! up by one unless the key is delayed, in which case nothing is written and
//! the attempt is refused unchecked. The count is the database's, updated by
//! an upsert that locks the row, so parallel attempts — on one node or on
//! several nodes sharing one PostgreSQL — cannot all read "not delayed" and all
//! go on to check a password. A wrong password leaves the reservation as the
//! failure it recorded; a right one refunds it (see [`Throttle::succeeded`]).

use crate::db::Conn;
use crate::error::{Error, Result};
use crate::params;

/// Three keys are counted: the pair of account and client address (few free
/// tries, long delays), the client address alone (stops one address spraying
/// many accounts), and the account alone (slows a spread-out attack, with a
/// short cap so that nobody can lock a user out).
pub struct Throttle {
    /// (key, failures allowed without delay, longest delay in seconds)
    keys: [(String, i64, i64); 3],
}

/// What a reservation wrote: its time and each key's new `next_allowed`, so
/// that a refund can tell whether anyone reserved after it.
#[derive(Debug, Clone, Copy)]
pub struct Reservation {
    at_ms: i64,
    next: [i64; 3],
}

/// `free` failures are allowed without delay: the attempt after them waits
/// 1 s, doubling with each further failure, up to `cap`.
fn delay_s(failures: i64, free: i64, cap: i64) -> i64 {
    if failures < free {
        0
    } else {
        (1i64 << (failures - free).min(20)).min(cap)
    }
}

impl Throttle {
    pub fn new(username: &str, client_addr: &str) -> Throttle {
        let user = username.trim().to_lowercase();
        Throttle {
            keys: [
                (format!("pair:{user}|{client_addr}"), 3, 15 * 60),
                (format!("addr:{client_addr}"), 20, 15 * 60),
                (format!("user:{user}"), 50, 60),
            ],
        }
    }

    /// Seconds to wait before another attempt may be checked, if any.
    pub fn wait(&self, c: &mut dyn Conn, now_ms: i64) -> Result<Option<i64>> {
        let mut wait = 0;
        for (key, _, _) in &self.keys {
            if let Some(r) = c.query_opt(
                "SELECT next_allowed FROM login_throttle WHERE key = $1",
                params![key.as_str()],
            )? {
                let next: i64 = r.get(0)?;
                wait = wait.max(next - now_ms);
            }
        }
        Ok((wait > 0).then(|| (wait + 999) / 1000))
    }

    /// Counts one attempt as a failure before its password is checked, or
    /// refuses it with [`Error::Throttled`] while any key is delayed. Run it in
    /// a write of its own: a refusal is an error, so the write's savepoint
    /// takes back the keys already counted.
    pub fn reserve(&self, c: &mut dyn Conn, now_ms: i64) -> Result<Reservation> {
        let mut next = [0; 3];
        for (i, (key, free, cap)) in self.keys.iter().enumerate() {
            // The conditional upsert is the decision: it locks the row, and
            // does nothing (no row returned) while the key is delayed.
            let counted = c.query_opt(
                "INSERT INTO login_throttle (key, failures, next_allowed) VALUES ($1, 1, $2)
                 ON CONFLICT (key) DO UPDATE SET failures = login_throttle.failures + 1
                 WHERE login_throttle.next_allowed <= $2
                 RETURNING failures",
                params![key.as_str(), now_ms],
            )?;
            let Some(row) = counted else {
                let retry_after = self.wait(c, now_ms)?.unwrap_or(1);
                return Err(Error::Throttled { retry_after });
            };
            let failures: i64 = row.get(0)?;
            next[i] = now_ms + delay_s(failures, *free, *cap) * 1000;
            c.execute(
                "UPDATE login_throttle SET next_allowed = $1 WHERE key = $2",
                params![next[i], key.as_str()],
            )?;
        }
        Ok(Reservation {
            at_ms: now_ms,
            next,
        })
    }

    /// A successful login clears the pair's count, and takes back the
    /// reservation from the address and account counts (which keep slowing an
    /// attacker who also holds one valid password).
    pub fn succeeded(&self, c: &mut dyn Conn, r: &Reservation) -> Result<()> {
        c.execute(
            "DELETE FROM login_throttle WHERE key = $1",
            params![self.keys[0].0.as_str()],
        )?;
        self.take_back(c, r, 1)
    }

    /// Takes the reservation back from every key: the password was never
    /// checked (the server was too busy to check it).
    pub fn refund(&self, c: &mut dyn Conn, r: &Reservation) -> Result<()> {
        self.take_back(c, r, 0)
    }

    /// Counts one failure less from key `from` on. The delay the reservation
    /// set is lifted only if no later attempt has set another since.
    fn take_back(&self, c: &mut dyn Conn, r: &Reservation, from: usize) -> Result<()> {
        for i in from..self.keys.len() {
            c.execute(
                "UPDATE login_throttle SET failures = failures - 1,
                    next_allowed = CASE WHEN next_allowed = $2 THEN $3 ELSE next_allowed END
                 WHERE key = $1 AND failures > 0",
                params![self.keys[i].0.as_str(), r.next[i], r.at_ms],
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn delays_double_after_the_free_tries_up_to_the_cap() {
        let d: Vec<i64> = (1..=10).map(|n| super::delay_s(n, 3, 60)).collect();
        assert_eq!(d, [0, 0, 1, 2, 4, 8, 16, 32, 60, 60]);
    }
}
