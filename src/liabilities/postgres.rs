//! The book read where it lives: a PostgreSQL table or query, in one
//! `REPEATABLE READ, READ ONLY` transaction, so every row comes from one snapshot of the
//! database however long the read takes and whatever commits meanwhile; the
//! transaction cannot write. Rows are streamed with `COPY (…) TO STDOUT` (text format)
//! and validated as they arrive, never loaded whole.
//!
//! The first statement fixes the snapshot and reads its moment (`now()`, the
//! transaction's start), which is logged beside the snapshot's `as_of`, with a warning
//! when they are further apart than `max_skew_secs`.
//!
//! Columns are checked before the first row: `uid` (text, varchar, char, an integer or
//! a uuid) and one column per asset, `numeric` (a human decimal, as in the CSV) or
//! `bigint`/`integer`/`smallint` (base units). A table may have other columns; a query
//! returns exactly these. Errors name the server and database, never the password.

use super::builder::{Builder, check_uid, map_columns};
use super::source::{Password, Postgres, Select, quote_identifier, table_identifier};
use super::{Liabilities, LiabilitiesError, Location, Position, Problem, Scratch};
use crate::excerpt::Excerpt;
use crate::format::AssetInfo;
use crate::time::Timestamp;
use ::postgres::types::{Kind as TypeKind, Type};
use ::postgres::{IsolationLevel, NoTls};
use std::io::BufRead;
use std::str::FromStr;

/// A PostgreSQL error in one line: the server's severity, message, detail and hint,
/// or the client's own error and its causes. Bounded, control characters escaped.
fn one_line(e: &::postgres::Error) -> String {
    let text = match e.as_db_error() {
        Some(db) => {
            let mut t = format!("{}: {}", db.severity(), db.message());
            if let Some(d) = db.detail() {
                t.push_str(&format!("; detail: {d}"));
            }
            if let Some(h) = db.hint() {
                t.push_str(&format!("; hint: {h}"));
            }
            t
        }
        None => {
            let mut t = e.to_string();
            let mut cause = std::error::Error::source(e);
            while let Some(c) = cause {
                let s = c.to_string();
                if !t.contains(&s) {
                    t.push_str(": ");
                    t.push_str(&s);
                }
                cause = c.source();
            }
            t
        }
    };
    Excerpt::message(text.replace(['\n', '\r'], " ")).to_string()
}

/// The type of a column with domains resolved to their base type.
fn base_type(t: &Type) -> &Type {
    match t.kind() {
        TypeKind::Domain(inner) => base_type(inner),
        _ => t,
    }
}

/// How a column's text is read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A human decimal (`numeric`).
    Decimal,
    /// Base units (an integer type).
    BaseUnits,
}

/// Reads the liabilities of `pg` in one transaction; `as_of` is compared with the
/// transaction's start for the log.
pub fn read(
    pg: &Postgres,
    assets: &[AssetInfo],
    as_of: Timestamp,
    scratch: Option<&Scratch>,
) -> Result<Liabilities, LiabilitiesError> {
    let database = pg.display_name();
    let failed = |message: String| LiabilitiesError::Database {
        database: database.clone(),
        message,
    };
    let mut config = ::postgres::Config::from_str(&pg.url)
        .map_err(|_| failed("liabilities.url is not a PostgreSQL URL".into()))?;
    match &pg.password {
        Password::None => {}
        Password::Env(var) => {
            let password = std::env::var_os(var).ok_or_else(|| {
                failed(format!(
                    "the environment variable {} (password_env) is not set",
                    Excerpt::bare(var)
                ))
            })?;
            config.password(password.as_encoded_bytes());
        }
        Password::File(path) => {
            let text = std::fs::read(path).map_err(|e| LiabilitiesError::Io {
                file: path.display().to_string(),
                message: format!("password_file: {e}"),
            })?;
            let line = text.split(|&b| b == b'\n').next().unwrap_or_default();
            config.password(line.strip_suffix(b"\r").unwrap_or(line));
        }
    }
    if config.get_application_name().is_none() {
        config.application_name("por");
    }
    let mut client = config
        .connect(NoTls)
        .map_err(|e| failed(format!("cannot connect: {}", one_line(&e))))?;
    let mut tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .map_err(|e| failed(format!("cannot start the transaction: {}", one_line(&e))))?;
    let sql = |e: ::postgres::Error| failed(one_line(&e));
    // The first statement takes the snapshot; now() is the transaction's start.
    let started: i64 = tx
        .query_one("SELECT floor(extract(epoch FROM now()))::int8", &[])
        .map_err(sql)?
        .get(0);

    let select = match &pg.select {
        Select::Query(q) => q.trim().trim_end_matches(';').trim_end().to_string(),
        Select::Table(t) => {
            let table = table_identifier(t).expect("checked by the config");
            let all = tx.prepare(&format!("SELECT * FROM {table}")).map_err(sql)?;
            let present: Vec<&str> = all.columns().iter().map(|c| c.name()).collect();
            let wanted: Vec<&str> = std::iter::once("uid")
                .chain(assets.iter().map(|a| a.symbol.as_str()))
                .collect();
            if let Some(missing) = wanted.iter().find(|w| !present.contains(w)) {
                let problem = if *missing == "uid" {
                    Problem::NoUidColumn
                } else {
                    Problem::MissingAsset(Excerpt::quoted(missing))
                };
                return Err(LiabilitiesError::Invalid {
                    at: Location::boxed(&format!("{database} table {t}"), Position::Columns, None),
                    kind: problem,
                });
            }
            let columns: Vec<String> = wanted.iter().map(|c| quote_identifier(c)).collect();
            format!("SELECT {} FROM {table}", columns.join(", "))
        }
    };
    let statement = tx.prepare(&select).map_err(sql)?;
    if !statement.params().is_empty() {
        return Err(failed(format!(
            "the query takes {} parameter(s); it must take none",
            statement.params().len()
        )));
    }
    let names: Vec<&str> = statement.columns().iter().map(|c| c.name()).collect();
    let at_columns = |column: Option<(usize, String)>, kind| LiabilitiesError::Invalid {
        at: Location::boxed(&database, Position::Columns, column),
        kind,
    };
    let col_asset = map_columns(&names, assets).map_err(|(col, problem)| {
        at_columns(col.map(|c| (c + 1, names[c].to_string())), problem)
    })?;
    let mut kinds = Vec::with_capacity(col_asset.len());
    for (i, c) in statement.columns().iter().enumerate() {
        let t = base_type(c.type_());
        let ok = if i == 0 {
            [
                Type::TEXT,
                Type::VARCHAR,
                Type::BPCHAR,
                Type::NAME,
                Type::INT2,
                Type::INT4,
                Type::INT8,
                Type::UUID,
            ]
            .contains(t)
        } else if *t == Type::NUMERIC {
            kinds.push(Kind::Decimal);
            true
        } else if [Type::INT2, Type::INT4, Type::INT8].contains(t) {
            kinds.push(Kind::BaseUnits);
            true
        } else {
            false
        };
        if !ok {
            let expected = if i == 0 {
                "text, varchar, char, an integer or uuid"
            } else {
                "numeric, or bigint/integer/smallint in base units"
            };
            return Err(at_columns(
                Some((i + 1, c.name().to_string())),
                Problem::ColumnType {
                    found: c.type_().name().to_string(),
                    expected,
                },
            ));
        }
    }
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    drop(statement);

    let mut b = Builder::new(assets, false);
    if let Some(s) = scratch {
        b.spill_to(s);
    }
    b.part(&database);
    let invalid = |row: u64, uid: Option<&[u8]>, column: Option<(usize, String)>, kind| {
        LiabilitiesError::Invalid {
            at: Box::new(Location {
                file: database.clone(),
                at: Position::Row(row),
                uid: uid.map(Excerpt::quoted),
                column,
            }),
            kind,
        }
    };
    {
        let mut reader = tx
            // On lines of its own: a query ending in a `--` comment still closes.
            .copy_out(&format!("COPY (\n{select}\n) TO STDOUT"))
            .map_err(sql)?;
        let mut line = Vec::with_capacity(256);
        let mut uid_buf = Vec::with_capacity(128);
        let mut row: u64 = 0;
        let width = names.len();
        loop {
            line.clear();
            let n = reader.read_until(b'\n', &mut line).map_err(|e| {
                // The reader wraps the client's error in an io::Error: unwrap it for
                // the server's own words (a terminated backend says so).
                let why = match e
                    .get_ref()
                    .and_then(|i| i.downcast_ref::<::postgres::Error>())
                {
                    Some(pg) => one_line(pg),
                    None => Excerpt::message(e.to_string().replace(['\n', '\r'], " ")).to_string(),
                };
                failed(format!("reading rows failed after row {row}: {why}"))
            })?;
            if n == 0 {
                break;
            }
            row += 1;
            let text = line.strip_suffix(b"\n").ok_or_else(|| {
                failed(format!(
                    "row {row} of the COPY stream ends without a newline"
                ))
            })?;
            let mut fields = text.split(|&c| c == b'\t');
            let ucol = || Some((1, "uid".to_string()));
            let raw_uid = fields.next().unwrap_or_default();
            if raw_uid == b"\\N" {
                return Err(invalid(row, None, ucol(), Problem::Null));
            }
            let uid: &[u8] = if raw_uid.contains(&b'\\') {
                unescape(raw_uid, &mut uid_buf);
                &uid_buf
            } else {
                raw_uid
            };
            check_uid(uid).map_err(|p| invalid(row, None, ucol(), p))?;
            let mut count = 1;
            // A number's text never holds a backslash: fields are parsed as sent.
            // The assets first: when they end, no field more is taken.
            let assets_fields = col_asset.iter().zip(&kinds).zip(fields.by_ref());
            for (i, ((&a, &kind), raw)) in assets_fields.enumerate() {
                count += 1;
                let col = || Some((i + 2, names[i + 1].clone()));
                if raw == b"\\N" {
                    return Err(invalid(row, Some(uid), col(), Problem::Null));
                }
                let result = match kind {
                    Kind::Decimal => b.decimal(a, raw),
                    Kind::BaseUnits => crate::amount::Amount::parse_decimal_bytes(raw, 0)
                        .map_err(Problem::Amount)
                        .and_then(|v| b.amount(a, v.base_units())),
                };
                result.map_err(|p| invalid(row, Some(uid), col(), p))?;
            }
            if count != width || fields.next().is_some() {
                return Err(failed(format!(
                    "row {row} of the COPY stream does not have {width} fields"
                )));
            }
            b.push(uid, row).map_err(|p| invalid(row, None, None, p))?;
        }
    }
    tx.commit().map_err(sql)?;
    let liabilities = b.finish(|| LiabilitiesError::Invalid {
        at: Location::boxed(&database, Position::Columns, None),
        kind: Problem::NoRows,
    })?;
    log_moment(&database, started, as_of, pg.max_skew.as_secs());
    Ok(liabilities)
}

/// Logs the snapshot's moment beside `as_of`; a warning when they are more than
/// `max_skew` seconds apart.
fn log_moment(database: &str, started: i64, as_of: Timestamp, max_skew: u64) {
    let start = Timestamp(started.max(0) as u64);
    let skew = start.0.abs_diff(as_of.0);
    tracing::info!(
        database,
        transaction_start = %start.to_rfc3339(),
        as_of = %as_of.to_rfc3339(),
        skew_secs = skew,
        "liabilities read in one database snapshot"
    );
    if skew > max_skew {
        tracing::warn!(
            transaction_start = %start.to_rfc3339(),
            as_of = %as_of.to_rfc3339(),
            skew_secs = skew,
            max_skew_secs = max_skew,
            "the database snapshot and as_of are far apart: the liabilities are not of the moment the reserves are read at"
        );
    }
}

/// A field of COPY's text format, its backslash escapes undone, into `out`.
fn unescape(raw: &[u8], out: &mut Vec<u8>) {
    out.clear();
    if !raw.contains(&b'\\') {
        out.extend_from_slice(raw);
        return;
    }
    let mut i = 0;
    while i < raw.len() {
        let c = raw[i];
        if c != b'\\' || i + 1 == raw.len() {
            out.push(c);
            i += 1;
            continue;
        }
        let next = raw[i + 1];
        out.push(match next {
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'v' => 0x0b,
            other => other,
        });
        i += 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_escapes_are_undone() {
        let mut out = Vec::new();
        unescape(b"a\\tb\\\\c\\nd\\r\\b\\f\\v", &mut out);
        assert_eq!(out, b"a\tb\\c\nd\r\x08\x0c\x0b");
        unescape(b"plain", &mut out);
        assert_eq!(out, b"plain");
    }
}
