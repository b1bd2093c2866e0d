//! The PostgreSQL side of the query layer, through the synchronous `postgres`
//! client on the store's own threads.

use super::{Backend, Conn, Row, Value};
use crate::error::{Error, Result};
use bytes::BytesMut;
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::error::SqlState;
use postgres::types::{to_sql_checked, IsNull, ToSql, Type};
use postgres::{Client, NoTls, Statement};
use std::collections::HashMap;

/// A connection with its prepared statements: preparing is a round trip of its
/// own, so each distinct SQL text is prepared once per connection.
pub(super) struct PgConn {
    // Only `Drop` takes it out.
    client: Option<Client>,
    statements: HashMap<String, Statement>,
}

impl Drop for PgConn {
    // `postgres::Client` says goodbye to the server by blocking on a runtime of
    // its own, which panics on a thread that drives tokio; the last handle on a
    // store can be dropped by an async task when the server stops. Such a
    // thread hands the client to a short-lived plain thread instead.
    fn drop(&mut self) {
        if tokio::runtime::Handle::try_current().is_ok() {
            if let Some(client) = self.client.take() {
                std::thread::spawn(move || drop(client));
            }
        }
    }
}

const MAX_STATEMENTS: usize = 512;

/// Opens a connection. `custom_plans` is for connections that run subtree
/// reads: statements are kept prepared, and after a few runs PostgreSQL would
/// plan them once for any parameters, so a subtree's path range would be planned
/// as if it held half the table; planning each run with its real values costs far
/// less than such a plan (measured: 15 ms against 0.8 ms per page). Writer
/// connections run mostly fixed single-row statements, where re-planning every
/// execution is pure cost, so they keep PostgreSQL's default.
pub(super) fn connect(url: &str, custom_plans: bool) -> Result<PgConn> {
    let mut client = Client::connect(url, NoTls).map_err(|e| {
        // The driver's Display of a server refusal is only "db error"; the
        // server's own words say whether the name, user or password is wrong.
        Error::Connect(match (e.as_db_error(), std::error::Error::source(&e)) {
            (Some(db), _) => db.message().to_string(),
            (None, Some(cause)) => format!("{e}: {cause}"),
            (None, None) => e.to_string(),
        })
    })?;
    // Notices ("relation … already exists, skipping") say nothing an operator
    // needs, and the driver logs each one.
    client
        .batch_execute("SET client_min_messages = warning")
        .map_err(map_err)?;
    if custom_plans {
        client
            .batch_execute("SET plan_cache_mode = force_custom_plan")
            .map_err(map_err)?;
    }
    Ok(PgConn {
        client: Some(client),
        statements: HashMap::new(),
    })
}

impl PgConn {
    fn client(&mut self) -> Result<&mut Client> {
        self.client
            .as_mut()
            .ok_or_else(|| Error::Db("PostgreSQL connection already closed".into()))
    }

    fn statement(&mut self, sql: &str) -> Result<Statement> {
        if let Some(st) = self.statements.get(sql) {
            return Ok(st.clone());
        }
        let st = self.client()?.prepare(sql).map_err(map_err)?;
        if self.statements.len() >= MAX_STATEMENTS {
            self.statements.clear();
        }
        self.statements.insert(sql.to_string(), st.clone());
        Ok(st)
    }

    /// A statement that failed is prepared afresh next time, in case the
    /// schema under it changed.
    fn forget(&mut self, sql: &str) {
        self.statements.remove(sql);
    }
}

type BoxErr = Box<dyn std::error::Error + Sync + Send>;

impl ToSql for Value {
    // One integer value serves every integer column width, so SQL written once
    // need not care whether PostgreSQL inferred int4 or int8 for a parameter.
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxErr> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(i) => match *ty {
                Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
                Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
                Type::BOOL => (*i != 0).to_sql(ty, out),
                Type::FLOAT8 => (*i as f64).to_sql(ty, out),
                _ => i.to_sql(ty, out),
            },
            Value::Real(f) => f.to_sql(ty, out),
            Value::Text(s) => s.to_sql(ty, out),
            Value::Blob(b) => b.to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

fn column(row: &postgres::Row, i: usize) -> Result<Value> {
    let ty = row.columns()[i].type_().clone();
    let bad = |e: postgres::Error| Error::Db(format!("column {i}: {e}"));
    Ok(match ty {
        Type::INT8 => row.try_get::<_, Option<i64>>(i).map_err(bad)?.into(),
        Type::INT4 => row
            .try_get::<_, Option<i32>>(i)
            .map_err(bad)?
            .map(i64::from)
            .into(),
        Type::INT2 => row
            .try_get::<_, Option<i16>>(i)
            .map_err(bad)?
            .map(i64::from)
            .into(),
        Type::BOOL => row.try_get::<_, Option<bool>>(i).map_err(bad)?.into(),
        Type::FLOAT8 => row.try_get::<_, Option<f64>>(i).map_err(bad)?.into(),
        Type::FLOAT4 => row
            .try_get::<_, Option<f32>>(i)
            .map_err(bad)?
            .map(f64::from)
            .into(),
        Type::BYTEA => row.try_get::<_, Option<Vec<u8>>>(i).map_err(bad)?.into(),
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => {
            row.try_get::<_, Option<String>>(i).map_err(bad)?.into()
        }
        other => return Err(Error::Db(format!("column {i}: unsupported type {other}"))),
    })
}

fn map_err(e: postgres::Error) -> Error {
    if let Some(db) = e.as_db_error() {
        let what = db.constraint().unwrap_or(db.message()).to_string();
        match *db.code() {
            SqlState::UNIQUE_VIOLATION => return Error::Unique(what),
            SqlState::FOREIGN_KEY_VIOLATION
            | SqlState::CHECK_VIOLATION
            | SqlState::NOT_NULL_VIOLATION => return Error::Constraint(what),
            // Retrying helps with these: a conflict with another transaction,
            // or a server that is restarting, starting or was shut down.
            SqlState::T_R_SERIALIZATION_FAILURE
            | SqlState::T_R_DEADLOCK_DETECTED
            | SqlState::ADMIN_SHUTDOWN
            | SqlState::CRASH_SHUTDOWN
            | SqlState::CANNOT_CONNECT_NOW => return Error::Unavailable,
            _ if db.code().code().starts_with("08") => return Error::Unavailable,
            // Insufficient resources (53100 disk full, 53200 out of memory…)
            // and 58030 I/O error: the write may pass once storage recovers.
            SqlState::IO_ERROR => return Error::Storage(db.message().to_string()),
            _ if db.code().code().starts_with("53") => {
                return Error::Storage(format!("{}: {}", db.code().code(), db.message()))
            }
            _ => {}
        }
    }
    if e.is_closed() {
        return Error::Unavailable;
    }
    // The driver's own Display says only "db error"; the server's message
    // is what tells an operator what went wrong.
    match e.as_db_error() {
        Some(db) => Error::Db(format!("{}: {}", db.code().code(), db.message())),
        None => Error::Db(e.to_string()),
    }
}

fn refs(params: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

impl Conn for PgConn {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    fn is_broken(&self) -> bool {
        self.client.as_ref().is_none_or(Client::is_closed)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        let stmt = self.statement(sql)?;
        let rows = match self.client()?.query(&stmt, &refs(params)) {
            Ok(rows) => rows,
            Err(e) => {
                self.forget(sql);
                return Err(map_err(e));
            }
        };
        rows.iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| column(r, i))
                    .collect::<Result<Vec<_>>>()
                    .map(Row)
            })
            .collect()
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        let stmt = self.statement(sql)?;
        self.client()?.execute(&stmt, &refs(params)).map_err(|e| {
            self.forget(sql);
            map_err(e)
        })
    }

    fn batch(&mut self, sql: &str) -> Result<()> {
        self.client()?.batch_execute(sql).map_err(map_err)
    }

    fn bulk_insert(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: &mut dyn Iterator<Item = Vec<Value>>,
    ) -> Result<u64> {
        super::check_identifiers(table, columns)?;
        let list = columns.join(", ");
        // Binary COPY needs each column's type; a prepared SELECT of the same
        // columns describes them without reading a row.
        let describe = format!("SELECT {list} FROM {table}");
        let types: Vec<Type> = self
            .statement(&describe)?
            .columns()
            .iter()
            .map(|c| c.type_().clone())
            .collect();
        let copy = format!("COPY {table} ({list}) FROM STDIN (FORMAT binary)");
        let sink = self.client()?.copy_in(&copy).map_err(map_err)?;
        let mut writer = BinaryCopyInWriter::new(sink, &types);
        for row in rows {
            // The writer panics on a wrong count; this answers an error instead
            // (dropping the unfinished writer aborts the COPY).
            if row.len() != types.len() {
                return Err(Error::Db(format!(
                    "bulk insert into {table}: {} values for {} columns",
                    row.len(),
                    types.len()
                )));
            }
            writer.write(&refs(&row)).map_err(map_err)?;
        }
        writer.finish().map_err(map_err)
    }

    fn reserve_ids(&mut self, table: &str, n: usize) -> Result<Vec<i64>> {
        super::check_identifiers(table, &["id"])?;
        // Taken from the identity's sequence, so concurrent writers (and later
        // inserts without an id) never get the same ones.
        let sql = format!(
            "SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, $1)"
        );
        let stmt = self.statement(&sql)?;
        let count = i64::try_from(n).map_err(|_| Error::Db("too many ids".into()))?;
        let rows = self
            .client()?
            .query(&stmt, &refs(&[Value::Int(count)]))
            .map_err(map_err)?;
        rows.iter()
            .map(|r| r.try_get::<_, i64>(0).map_err(map_err))
            .collect()
    }
}
