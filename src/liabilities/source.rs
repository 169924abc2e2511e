//! Where the liabilities are read: the `[liabilities]` section of the config, as
//! written ([`RawSource`], `serde(deny_unknown_fields)`) and validated ([`Source`]).
//! One source per config: a CSV export (plain, `.gz` or `.zst`), a Parquet export (a
//! file or a folder of part files) or a PostgreSQL database read in one transaction.
//!
//! A config without `kind` is a CSV, as every config before the other sources was.
//! Secrets never sit in the config: a PostgreSQL URL holding a password is refused,
//! and the password is named by an environment variable or a file, read only when the
//! source is opened.

use crate::excerpt::Excerpt;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// `[liabilities]` as written in the config file; validated by [`Source::from_raw`].
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    path: Option<PathBuf>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    password_env: Option<String>,
    #[serde(default)]
    password_file: Option<PathBuf>,
    #[serde(default)]
    table: Option<String>,
    #[serde(default)]
    query: Option<String>,
    #[serde(default)]
    max_skew_secs: Option<u64>,
}

/// How a CSV export is compressed, decided by the file name's last extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    /// Plain text.
    None,
    /// `.gz`: gzip (every member of a multi-member file is read).
    Gzip,
    /// `.zst`: Zstandard.
    Zstd,
}

impl Compression {
    /// The compression a file name says: `.gz`, `.zst`, else none.
    pub fn of(path: &Path) -> Compression {
        match path.extension().and_then(|e| e.to_str()) {
            Some("gz") => Compression::Gzip,
            Some("zst") => Compression::Zstd,
            _ => Compression::None,
        }
    }
}

/// Where the password of a PostgreSQL source is read when the source is opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Password {
    /// No password (trust, peer or certificate authentication).
    None,
    /// The value of this environment variable.
    Env(String),
    /// The first line of this file.
    File(PathBuf),
}

/// What a PostgreSQL source reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Select {
    /// A table (optionally `schema.table`) with a `uid` column and one column per
    /// asset, named by its symbol; other columns are ignored.
    Table(String),
    /// A query returning exactly `uid` and one column per asset.
    Query(String),
}

/// `kind = "postgres"`: one consistent snapshot of the book in a database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Postgres {
    /// The connection URL or `key=value` string, without a password.
    pub url: String,
    /// Where the password is read.
    pub password: Password,
    /// The table or query read.
    pub select: Select,
    /// A warning is logged when the transaction's start is further than this from the
    /// snapshot's `as_of`.
    pub max_skew: Duration,
}

impl Postgres {
    /// The server and database for messages and logs: `host:port/dbname`, no user or
    /// password (`postgres` when the URL does not parse).
    pub fn display_name(&self) -> String {
        let Ok(c) = postgres::Config::from_str(&self.url) else {
            return "postgres".into();
        };
        let hosts: Vec<String> = c
            .get_hosts()
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let host = match h {
                    postgres::config::Host::Tcp(name) => name.clone(),
                    postgres::config::Host::Unix(path) => path.display().to_string(),
                };
                let port = c.get_ports().get(i).or(c.get_ports().first()).copied();
                match port {
                    Some(p) => format!("{host}:{p}"),
                    None => host,
                }
            })
            .collect();
        let db = c.get_dbname().or(c.get_user()).unwrap_or("");
        format!("postgres {}/{db}", hosts.join(","))
    }
}

/// `[liabilities]`, validated: the one source of the liabilities.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// `kind = "csv"` (the default): a CSV export, compressed by its extension.
    Csv {
        /// The file; may contain `{id}` (see [`Source::for_snapshot`]).
        path: PathBuf,
    },
    /// `kind = "parquet"`: a Parquet file, or a folder of `*.parquet` part files.
    Parquet {
        /// The file or folder; may contain `{id}`.
        path: PathBuf,
    },
    /// `kind = "postgres"`: a table or query, read in one transaction.
    Postgres(Postgres),
}

/// The default of `max_skew_secs`: ten minutes, about one Bitcoin block.
pub const DEFAULT_MAX_SKEW_SECS: u64 = 600;

impl Source {
    /// Validates `[liabilities]`; relative paths go through `resolve`. An error is the
    /// key (`liabilities.url`) and what is wrong with it.
    pub fn from_raw(
        raw: &RawSource,
        resolve: &impl Fn(&Path) -> PathBuf,
    ) -> Result<Source, (String, String)> {
        let err = |key: &str, m: &str| Err((format!("liabilities.{key}"), m.to_string()));
        let kind = raw.kind.as_deref().unwrap_or("csv");
        let only_postgres = [
            ("url", raw.url.is_some()),
            ("password_env", raw.password_env.is_some()),
            ("password_file", raw.password_file.is_some()),
            ("table", raw.table.is_some()),
            ("query", raw.query.is_some()),
            ("max_skew_secs", raw.max_skew_secs.is_some()),
        ];
        match kind {
            "csv" | "parquet" => {
                if let Some((key, _)) = only_postgres.iter().find(|(_, set)| *set) {
                    return err(key, "only for kind = \"postgres\"");
                }
                let Some(path) = &raw.path else {
                    return err("path", "missing");
                };
                let path = resolve(path);
                Ok(if kind == "csv" {
                    Source::Csv { path }
                } else {
                    Source::Parquet { path }
                })
            }
            "postgres" => {
                if raw.path.is_some() {
                    return err("path", "not for kind = \"postgres\" (give url)");
                }
                let Some(url) = &raw.url else {
                    return err("url", "missing");
                };
                // The parser's own message may quote the URL, which may hold a
                // password: say only that it does not parse.
                let Ok(parsed) = postgres::Config::from_str(url) else {
                    return err(
                        "url",
                        "not a PostgreSQL URL (postgresql://user@host:port/dbname) or key=value string",
                    );
                };
                if parsed.get_password().is_some() {
                    return err(
                        "url",
                        "must not hold the password: give password_env or password_file",
                    );
                }
                if parsed.get_hosts().is_empty() {
                    return err("url", "names no host");
                }
                use postgres::config::SslMode;
                if !matches!(parsed.get_ssl_mode(), SslMode::Disable | SslMode::Prefer) {
                    return err(
                        "url",
                        "sslmode=require: TLS is not supported yet; connect over localhost, a Unix socket or an SSH tunnel",
                    );
                }
                let password = match (&raw.password_env, &raw.password_file) {
                    (Some(_), Some(_)) => {
                        return err(
                            "password_file",
                            "give password_env or password_file, not both",
                        );
                    }
                    (Some(v), None) if v.is_empty() || v.contains(['=', '\0']) => {
                        return err("password_env", "not an environment variable name");
                    }
                    (Some(v), None) => Password::Env(v.clone()),
                    (None, Some(f)) => Password::File(resolve(f)),
                    (None, None) => Password::None,
                };
                let select = match (&raw.table, &raw.query) {
                    (Some(_), Some(_)) => return err("query", "give table or query, not both"),
                    (None, None) => return err("table", "missing: give table or query"),
                    (Some(t), None) => {
                        if table_identifier(t).is_none() {
                            return Err((
                                "liabilities.table".into(),
                                format!(
                                    "{}: expected a table name or schema.table",
                                    Excerpt::quoted(t)
                                ),
                            ));
                        }
                        Select::Table(t.clone())
                    }
                    (None, Some(q)) if q.trim().is_empty() => return err("query", "empty"),
                    (None, Some(q)) => Select::Query(q.clone()),
                };
                Ok(Source::Postgres(Postgres {
                    url: url.clone(),
                    password,
                    select,
                    max_skew: Duration::from_secs(
                        raw.max_skew_secs.unwrap_or(DEFAULT_MAX_SKEW_SECS),
                    ),
                }))
            }
            other => Err((
                "liabilities.kind".into(),
                format!(
                    "{}: expected \"csv\", \"parquet\" or \"postgres\"",
                    Excerpt::quoted(other)
                ),
            )),
        }
    }

    /// The source of snapshot `id`: `{id}` in a file path is replaced by the id, so
    /// each snapshot can read its own export.
    pub fn for_snapshot(&self, id: &str) -> Source {
        let with_id = |p: &Path| PathBuf::from(p.to_string_lossy().replace("{id}", id));
        match self {
            Source::Csv { path } => Source::Csv {
                path: with_id(path),
            },
            Source::Parquet { path } => Source::Parquet {
                path: with_id(path),
            },
            Source::Postgres(p) => Source::Postgres(p.clone()),
        }
    }

    /// The file or folder read, for file sources.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Source::Csv { path } | Source::Parquet { path } => Some(path),
            Source::Postgres(_) => None,
        }
    }
}

/// `name` or `schema.name` as a quoted SQL identifier, or `None` when it is neither
/// (empty parts, more than two parts, a NUL).
pub fn table_identifier(name: &str) -> Option<String> {
    let parts: Vec<&str> = name.split('.').collect();
    if parts.len() > 2 || parts.iter().any(|p| p.is_empty() || p.contains('\0')) {
        return None;
    }
    Some(
        parts
            .iter()
            .map(|p| quote_identifier(p))
            .collect::<Vec<_>>()
            .join("."),
    )
}

/// A SQL identifier in double quotes, inner quotes doubled.
pub fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(text: &str) -> RawSource {
        toml::from_str(text).unwrap()
    }

    fn source(text: &str) -> Result<Source, (String, String)> {
        Source::from_raw(&raw(text), &|p: &Path| Path::new("/cfg").join(p))
    }

    #[test]
    fn a_path_alone_is_the_csv_of_before() {
        assert_eq!(
            source("path = \"l/{id}.csv.zst\"").unwrap(),
            Source::Csv {
                path: "/cfg/l/{id}.csv.zst".into()
            }
        );
        let s = source("kind = \"parquet\"\npath = \"exports/{id}\"").unwrap();
        assert_eq!(
            s.for_snapshot("2026-11-21").path(),
            Some(Path::new("/cfg/exports/2026-11-21"))
        );
        assert_eq!(Compression::of(Path::new("a.csv.gz")), Compression::Gzip);
        assert_eq!(Compression::of(Path::new("a.zst")), Compression::Zstd);
        assert_eq!(Compression::of(Path::new("a.csv")), Compression::None);
    }

    #[test]
    fn postgres_needs_url_and_one_of_table_or_query() {
        let s = source(
            "kind = \"postgres\"\nurl = \"postgresql://por@db:5433/book\"\npassword_env = \"PGPW\"\ntable = \"public.balances\"",
        )
        .unwrap();
        let Source::Postgres(p) = s else {
            panic!("not postgres")
        };
        assert_eq!(p.password, Password::Env("PGPW".into()));
        assert_eq!(p.select, Select::Table("public.balances".into()));
        assert_eq!(p.max_skew, Duration::from_secs(600));
        assert_eq!(p.display_name(), "postgres db:5433/book");
        let e = |t: &str| source(t).unwrap_err();
        assert_eq!(
            e("kind = \"postgres\"\nurl = \"postgresql://h/db\"").0,
            "liabilities.table"
        );
        assert_eq!(
            e("kind = \"postgres\"\nurl = \"postgresql://h/db\"\ntable = \"t\"\nquery = \"select 1\"")
                .0,
            "liabilities.query"
        );
        assert_eq!(
            e("kind = \"csv\"\npath = \"a\"\ntable = \"t\"").0,
            "liabilities.table"
        );
        assert_eq!(e("kind = \"sqlite\"\npath = \"a\"").0, "liabilities.kind");
        assert_eq!(
            e("kind = \"postgres\"\nurl = \"postgresql://h/db\"\ntable = \"a.b.c\"").0,
            "liabilities.table"
        );
        let (key, m) =
            e("kind = \"postgres\"\nurl = \"postgresql://h/db?sslmode=require\"\ntable = \"t\"");
        assert_eq!(key, "liabilities.url");
        assert!(
            m.starts_with("sslmode=require: TLS is not supported"),
            "{m}"
        );
    }

    /// A password in the URL is refused, and the message does not repeat it.
    #[test]
    fn a_password_in_the_url_is_refused_without_echo() {
        for url in [
            "postgresql://por:s3cret-pw@db/book",
            "host=db user=por password=s3cret-pw dbname=book",
        ] {
            let (key, message) = source(&format!(
                "kind = \"postgres\"\nurl = \"{url}\"\ntable = \"t\""
            ))
            .unwrap_err();
            assert_eq!(key, "liabilities.url");
            assert!(message.contains("password_env"), "{message}");
            assert!(!message.contains("s3cret"), "{message}");
        }
        let (_, message) =
            source("kind = \"postgres\"\nurl = \"postgresql://por:s3cret@[db/x\"\ntable = \"t\"")
                .unwrap_err();
        assert!(!message.contains("s3cret"), "{message}");
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(
            table_identifier("public.bal\"ances").unwrap(),
            "\"public\".\"bal\"\"ances\""
        );
        assert_eq!(table_identifier("t").unwrap(), "\"t\"");
        assert!(table_identifier("a..b").is_none());
    }
}
