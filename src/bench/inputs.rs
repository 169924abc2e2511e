//! The bench's synthetic liabilities in the format of each source: the same accounts
//! (`user-0000000000`…, `K` assets of 8 decimals, values from one seeded generator)
//! written as CSV, gzip- or zstd-compressed CSV, a Parquet file (snappy, 2^20-row row
//! groups, DECIMAL(18,8) on INT64: the usual warehouse export), or loaded into a
//! PostgreSQL table (`numeric` columns) of a server the operator names, dropped
//! afterwards.

use super::BenchError;
use crate::liabilities::Source;
use crate::liabilities::source::{Password, Postgres, Select};
use rand::{Rng, SeedableRng};
use std::io::Write;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

/// Which liabilities source the bench reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BenchSource {
    /// A plain CSV file.
    Csv,
    /// A `.csv.gz` file (gzip level 1).
    Gzip,
    /// A `.csv.zst` file (zstd level 3).
    Zstd,
    /// A Parquet file.
    Parquet,
    /// A table on this PostgreSQL server, created and dropped by the bench.
    Postgres {
        /// The connection URL (no password in it).
        url: String,
        /// The environment variable holding the password, if one is needed.
        password_env: Option<String>,
    },
}

/// The synthetic accounts: uid and `k` balances in base units (8 decimals).
struct Accounts {
    rng: rand::rngs::StdRng,
    k: usize,
}

impl Accounts {
    fn new(k: usize) -> Accounts {
        Accounts {
            rng: rand::rngs::StdRng::seed_from_u64(42),
            k,
        }
    }

    /// The balances of the next account, as (whole, fraction of 10^-8) per asset.
    fn next(&mut self, out: &mut [(u32, u32)]) {
        for slot in out.iter_mut().take(self.k) {
            *slot = (
                self.rng.gen_range(0..100_000),
                self.rng.gen_range(0..100_000_000),
            );
        }
    }
}

/// Writes `n` accounts with `k` assets as CSV to `w`.
fn write_csv(w: &mut impl Write, n: u64, k: usize) -> std::io::Result<()> {
    write!(w, "uid")?;
    for a in 0..k {
        write!(w, ",A{a}")?;
    }
    writeln!(w)?;
    let mut acc = Accounts::new(k);
    let mut row = vec![(0, 0); k];
    for i in 0..n {
        acc.next(&mut row);
        write!(w, "user-{i:010}")?;
        for (whole, frac) in &row {
            write!(w, ",{whole}.{frac:08}")?;
        }
        writeln!(w)?;
    }
    w.flush()
}

/// Writes `n` accounts with `k` assets to `path` as a Parquet file.
fn write_parquet(path: &Path, n: u64, k: usize) -> Result<(), BenchError> {
    use ::parquet::basic::Compression;
    use ::parquet::data_type::{ByteArray, ByteArrayType, Int64Type};
    use ::parquet::file::properties::WriterProperties;
    use ::parquet::file::writer::SerializedFileWriter;
    let failed = |e: ::parquet::errors::ParquetError| std::io::Error::other(e.to_string());
    let mut schema = String::from("message liabilities { required binary uid (UTF8);");
    for a in 0..k {
        schema.push_str(&format!(" required int64 A{a} (DECIMAL(18,8));"));
    }
    schema.push_str(" }");
    let schema = std::sync::Arc::new(
        ::parquet::schema::parser::parse_message_type(&schema).map_err(failed)?,
    );
    let props = std::sync::Arc::new(
        WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build(),
    );
    let file = std::fs::File::create(path)?;
    let mut w = SerializedFileWriter::new(file, schema, props).map_err(failed)?;
    let mut acc = Accounts::new(k);
    let mut row = vec![(0, 0); k];
    const GROUP: u64 = 1 << 20;
    let mut start = 0;
    while start < n {
        let end = (start + GROUP).min(n);
        let mut uids = Vec::with_capacity((end - start) as usize);
        let mut cols = vec![Vec::with_capacity((end - start) as usize); k];
        for i in start..end {
            acc.next(&mut row);
            uids.push(ByteArray::from(format!("user-{i:010}").into_bytes()));
            for (c, (whole, frac)) in cols.iter_mut().zip(&row) {
                c.push(i64::from(*whole) * 100_000_000 + i64::from(*frac));
            }
        }
        let mut g = w.next_row_group().map_err(failed)?;
        let mut col = g.next_column().map_err(failed)?.expect("uid column");
        col.typed::<ByteArrayType>()
            .write_batch(&uids, None, None)
            .map_err(failed)?;
        col.close().map_err(failed)?;
        for c in &cols {
            let mut col = g.next_column().map_err(failed)?.expect("asset column");
            col.typed::<Int64Type>()
                .write_batch(c, None, None)
                .map_err(failed)?;
            col.close().map_err(failed)?;
        }
        g.close().map_err(failed)?;
        start = end;
    }
    w.close().map_err(failed)?;
    Ok(())
}

/// The bench's input, ready to read; a PostgreSQL table is dropped with it.
pub struct Prepared {
    /// The liabilities source the snapshot reads.
    pub source: Source,
    /// What was written: `756 MB CSV`, `10000000 rows in table por_bench_123`.
    pub described: String,
    /// Bytes of the input file (none for a database).
    pub bytes: Option<u64>,
    table: Option<(::postgres::Config, String)>,
}

impl Drop for Prepared {
    fn drop(&mut self) {
        if let Some((config, table)) = &self.table {
            let dropped = config
                .connect(::postgres::NoTls)
                .and_then(|mut c| c.batch_execute(&format!("DROP TABLE IF EXISTS {table}")));
            if let Err(e) = dropped {
                tracing::warn!(table, error = %e, "could not drop the bench table");
            }
        }
    }
}

fn pg_error(e: ::postgres::Error) -> BenchError {
    BenchError::Io(std::io::Error::other(format!("postgres: {e}")))
}

/// Writes `n` accounts × `k` assets for `source` into `dir` (or the database).
pub fn prepare(source: &BenchSource, dir: &Path, n: u64, k: usize) -> Result<Prepared, BenchError> {
    let file = |name: &str| dir.join(name);
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len());
    let buffered = |p: &Path| -> std::io::Result<std::io::BufWriter<std::fs::File>> {
        Ok(std::io::BufWriter::with_capacity(
            1 << 22,
            std::fs::File::create(p)?,
        ))
    };
    let done = |source: Source, bytes: u64, what: &str| Prepared {
        source,
        described: format!("{:.0} MB {what}", bytes as f64 / 1e6),
        bytes: Some(bytes),
        table: None,
    };
    Ok(match source {
        BenchSource::Csv => {
            let p = file("liabilities.csv");
            write_csv(&mut buffered(&p)?, n, k)?;
            done(Source::Csv { path: p.clone() }, size(&p)?, "CSV")
        }
        BenchSource::Gzip => {
            let p = file("liabilities.csv.gz");
            let gz = flate2::write::GzEncoder::new(buffered(&p)?, flate2::Compression::fast());
            // Buffered in front too: the encoder is slow on many small writes.
            let mut w = std::io::BufWriter::with_capacity(1 << 20, gz);
            write_csv(&mut w, n, k)?;
            w.into_inner()
                .map_err(|e| BenchError::Io(e.into_error()))?
                .finish()?
                .flush()?;
            done(Source::Csv { path: p.clone() }, size(&p)?, "CSV, gzip")
        }
        BenchSource::Zstd => {
            let p = file("liabilities.csv.zst");
            let z = zstd::stream::write::Encoder::new(buffered(&p)?, 3)?;
            let mut w = std::io::BufWriter::with_capacity(1 << 20, z);
            write_csv(&mut w, n, k)?;
            w.into_inner()
                .map_err(|e| BenchError::Io(e.into_error()))?
                .finish()?
                .flush()?;
            done(Source::Csv { path: p.clone() }, size(&p)?, "CSV, zstd")
        }
        BenchSource::Parquet => {
            let p = file("liabilities.parquet");
            write_parquet(&p, n, k)?;
            done(Source::Parquet { path: p.clone() }, size(&p)?, "Parquet")
        }
        BenchSource::Postgres { url, password_env } => {
            let mut config = ::postgres::Config::from_str(url).map_err(pg_error)?;
            if let Some(var) = password_env {
                let pw = std::env::var(var).map_err(|_| {
                    BenchError::Io(std::io::Error::other(format!("{var} is not set")))
                })?;
                config.password(pw);
            }
            let table = format!("por_bench_{}", std::process::id());
            let mut client = config.connect(::postgres::NoTls).map_err(pg_error)?;
            let columns: Vec<String> = (0..k).map(|a| format!("\"A{a}\" numeric")).collect();
            client
                .batch_execute(&format!(
                    "CREATE TABLE {table} (uid text, {})",
                    columns.join(", ")
                ))
                .map_err(pg_error)?;
            let prepared = Prepared {
                source: Source::Postgres(Postgres {
                    url: url.clone(),
                    password: password_env
                        .clone()
                        .map(Password::Env)
                        .unwrap_or(Password::None),
                    select: Select::Table(table.clone()),
                    max_skew: Duration::from_secs(u64::MAX),
                }),
                described: format!("{n} rows in table {table}"),
                bytes: None,
                table: Some((config, table.clone())),
            };
            let mut w = std::io::BufWriter::with_capacity(
                1 << 20,
                client
                    .copy_in(&format!(
                        "COPY {table} FROM STDIN WITH (FORMAT csv, HEADER)"
                    ))
                    .map_err(pg_error)?,
            );
            write_csv(&mut w, n, k)?;
            w.into_inner()
                .map_err(|e| BenchError::Io(e.into_error()))?
                .finish()
                .map_err(pg_error)?;
            client
                .batch_execute(&format!("VACUUM ANALYZE {table}"))
                .map_err(pg_error)?;
            prepared
        }
    })
}
