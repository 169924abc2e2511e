//! `[liabilities] kind = "postgres"` against a real server (a throwaway cluster per
//! test, see `support::postgres`), through the `por` binary: one consistent snapshot
//! while another connection keeps moving balances, every refusal of bad rows and
//! columns (one line, row and uid, exit 2, nothing published), a connection dropped in
//! the middle of the stream, and a wrong password (one line, no password in it).

use crate::support::postgres::{Cluster, POR_PASSWORD, POR_USER};
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const ID: &str = "2026-11-21";
const PASSWORD_ENV: &str = "POR_TEST_PG_PASSWORD";

struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    /// A config reading `select` (`table = …` or `query = …`) from `cluster`, with the
    /// password from [`PASSWORD_ENV`].
    fn new(cluster: &Cluster, select: &str) -> Case {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("por.toml"),
            format!(
                "exchange = \"Test Exchange\"
[[assets]]
symbol = \"BTC\"
decimals = 8
[[assets]]
symbol = \"ETH\"
decimals = 18
[liabilities]
kind = \"postgres\"
url = \"{}\"
password_env = \"{PASSWORD_ENV}\"
{select}
[output]
snapshots = \"out/snapshots\"
site = \"out/public\"
private = \"secret\"
",
                cluster.url()
            ),
        )
        .unwrap();
        Case { dir }
    }

    fn command(&self, password: &str, log: &str) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_por"));
        c.args(["snapshot", "--config", "por.toml", "--id", ID])
            .args(["--as-of", "2026-11-21T00:00:00Z"])
            .current_dir(self.dir.path())
            .env("POR_LOG", log)
            .env(PASSWORD_ENV, password);
        c
    }

    fn snapshot(&self) -> Output {
        self.command(POR_PASSWORD, "warn").output().unwrap()
    }

    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    fn manifest(&self) -> serde_json::Value {
        serde_json::from_slice(
            &std::fs::read(self.path(&format!("out/snapshots/{ID}/manifest.json"))).unwrap(),
        )
        .unwrap()
    }

    /// The one `error:` line of a refused run; nothing may have been written.
    fn refused(&self, o: &Output) -> String {
        let e = String::from_utf8_lossy(&o.stderr).into_owned();
        assert_eq!(o.status.code(), Some(2), "{e}");
        assert!(
            e.starts_with("error: ") && e.lines().count() == 1,
            "not one error line: {e:?}"
        );
        assert!(!self.path(&format!("out/snapshots/{ID}")).exists());
        assert!(!self.path(&format!("secret/{ID}")).exists());
        e["error: ".len()..].trim_end().to_string()
    }
}

fn db(cluster: &Cluster) -> String {
    format!("postgres 127.0.0.1:{}/book", cluster.port)
}

/// A table `name (n, uid, BTC, ETH)` with these rows (SQL literals), readable by `por`.
fn table(cluster: &Cluster, name: &str, btc_type: &str, rows: &[(&str, &str, &str)]) {
    let values: Vec<String> = rows
        .iter()
        .enumerate()
        .map(|(i, (u, b, e))| format!("({}, {u}, {b}, {e})", i + 1))
        .collect();
    cluster.sql(&format!(
        "CREATE TABLE {name} (n int PRIMARY KEY, uid text, \"BTC\" {btc_type}, \"ETH\" numeric);
         GRANT SELECT ON {name} TO {POR_USER};"
    ));
    if !values.is_empty() {
        cluster.sql(&format!("INSERT INTO {name} VALUES {}", values.join(", ")));
    }
}

fn ordered(name: &str) -> String {
    format!("query = \"SELECT uid, \\\"BTC\\\", \\\"ETH\\\" FROM {name} ORDER BY n\"")
}

/// While another connection keeps adding one base unit to every account (each UPDATE
/// one transaction), the snapshot's BTC total is the start total plus a whole number
/// of rounds: it saw one committed state, not rows from different ones. The query
/// also returns no rows unless it runs REPEATABLE READ and READ ONLY, and the log
/// has the transaction's start beside as_of.
#[test]
fn the_snapshot_sees_one_state_while_balances_keep_moving() {
    const N: u64 = 100_000;
    let cluster = Cluster::start();
    cluster.sql(&format!(
        "CREATE TABLE book (uid text PRIMARY KEY, \"BTC\" bigint NOT NULL, \"ETH\" numeric NOT NULL);
         INSERT INTO book SELECT 'user-' || i, i, ((i % 1000) || '.5')::numeric FROM generate_series(1, {N}) i;
         GRANT SELECT ON book TO {POR_USER};"
    ));
    let start_total: u64 = N * (N + 1) / 2;
    let rounds = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let updater = {
        let (rounds, stop) = (rounds.clone(), stop.clone());
        let mut client = cluster.superuser();
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(120);
            while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
                client
                    .batch_execute("UPDATE book SET \"BTC\" = \"BTC\" + 1")
                    .unwrap();
                rounds.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    while rounds.load(Ordering::SeqCst) < 1 {
        std::thread::sleep(Duration::from_millis(10));
    }
    let c = Case::new(
        &cluster,
        "query = \"SELECT uid, \\\"BTC\\\", \\\"ETH\\\" FROM book WHERE current_setting('transaction_isolation') = 'repeatable read' AND current_setting('transaction_read_only') = 'on' -- one snapshot\"",
    );
    let before = rounds.load(Ordering::SeqCst);
    let o = c.command(POR_PASSWORD, "info").output().unwrap();
    let after = rounds.load(Ordering::SeqCst);
    stop.store(true, Ordering::SeqCst);
    updater.join().unwrap();
    let log = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{log}");
    let m = c.manifest();
    let total: u64 = m["tree"]["sums"][0].as_str().unwrap().parse().unwrap();
    assert_eq!(
        (total - start_total) % N,
        0,
        "the BTC total {total} mixes rows of different rounds"
    );
    let seen = (total - start_total) / N;
    assert!(
        (before..=after).contains(&seen),
        "snapshot at round {seen}, updates ran {before}..{after}"
    );
    // ETH is (i mod 1000).5 per account, untouched by the updates.
    let eth: u128 = (1..=N)
        .map(|i| u128::from(i % 1000) * 10u128.pow(18) + 5 * 10u128.pow(17))
        .sum();
    assert_eq!(m["tree"]["sums"][1], eth.to_string());
    assert!(
        log.contains("liabilities read in one database snapshot")
            && log.contains("transaction_start=")
            && log.contains("as_of=2026-11-21T00:00:00Z"),
        "{log}"
    );
    // The transaction began now, far from as_of: the warning says so.
    assert!(log.contains("far apart"), "{log}");
}

/// Every refusal of the CSV, from a database: with the row and the uid where a CSV has
/// a line, and the column's type checked before the first row.
#[test]
fn bad_rows_and_columns_are_refused_with_row_and_uid() {
    let cluster = Cluster::start();
    let ok = ("'alice'", "1.5", "2");
    table(
        &cluster,
        "null_btc",
        "numeric",
        &[ok, ("'bob'", "NULL", "1"), ok],
    );
    table(
        &cluster,
        "negative",
        "numeric",
        &[ok, ("'bob'", "-0.5", "1")],
    );
    table(
        &cluster,
        "decimals",
        "numeric",
        &[("'a'", "0.123456789", "0")],
    );
    table(&cluster, "nan", "numeric", &[("'a'", "'NaN'", "0")]);
    table(
        &cluster,
        "dup",
        "numeric",
        &[ok, ("'bob'", "1", "1"), ("'alice'", "1", "1")],
    );
    table(&cluster, "null_uid", "numeric", &[ok, ("NULL", "1", "1")]);
    table(&cluster, "tab_uid", "numeric", &[("E'a\\tb'", "1", "1")]);
    table(&cluster, "neg_base", "bigint", &[("'a'", "-7", "1")]);
    table(
        &cluster,
        "float",
        "double precision",
        &[("'a'", "1.5", "1")],
    );
    table(&cluster, "empty", "numeric", &[]);
    cluster.sql(&format!(
        "CREATE TABLE no_eth (uid text, \"BTC\" numeric); GRANT SELECT ON no_eth TO {POR_USER};
         CREATE TABLE no_uid (id text, \"BTC\" numeric, \"ETH\" numeric); GRANT SELECT ON no_uid TO {POR_USER};"
    ));
    let d = db(&cluster);
    let cases = [
        (
            ordered("null_btc"),
            format!("{d}: row 2, uid \"bob\", column 2 (BTC): NULL value"),
        ),
        (
            ordered("negative"),
            format!("{d}: row 2, uid \"bob\", column 2 (BTC): negative amount \"-0.5\""),
        ),
        (
            ordered("decimals"),
            format!(
                "{d}: row 1, uid \"a\", column 2 (BTC): \"0.123456789\" has 9 decimals, more than the asset's 8"
            ),
        ),
        (
            ordered("nan"),
            format!("{d}: row 1, uid \"a\", column 2 (BTC): not a number: \"NaN\""),
        ),
        (
            ordered("dup"),
            format!("{d}: row 3, column 1 (uid): duplicate uid \"alice\" (first on row 1)"),
        ),
        (
            ordered("null_uid"),
            format!("{d}: row 2, column 1 (uid): NULL value"),
        ),
        (
            ordered("tab_uid"),
            format!(
                "{d}: row 1, column 1 (uid): uid \"a\\tb\" contains control character \\t (U+0009) at character 2"
            ),
        ),
        (
            ordered("neg_base"),
            format!("{d}: row 1, uid \"a\", column 2 (BTC): negative amount \"-7\""),
        ),
        (
            ordered("float"),
            format!(
                "{d}: column 2 (BTC): column type float8, expected numeric, or bigint/integer/smallint in base units"
            ),
        ),
        (
            "table = \"empty\"".into(),
            format!("{d}: no accounts: no rows"),
        ),
        (
            "table = \"no_eth\"".into(),
            format!("{d} table no_eth: configured asset \"ETH\" has no column"),
        ),
        (
            "table = \"no_uid\"".into(),
            format!("{d} table no_uid: no `uid` column"),
        ),
        (
            "query = \"SELECT uid, \\\"BTC\\\" AS \\\"XRP\\\", \\\"ETH\\\" FROM negative\"".into(),
            format!("{d}: column 2 (XRP): column \"XRP\" is not a configured asset"),
        ),
        (
            "table = \"missing\"".into(),
            format!("{d}: ERROR: relation \"missing\" does not exist"),
        ),
    ];
    for (select, want) in cases {
        let c = Case::new(&cluster, &select);
        let e = c.refused(&c.snapshot());
        assert_eq!(e, want, "{select}");
    }

    // READ ONLY: a query that would write (here through a writable CTE, which the server
    // names by its top-level SELECT) is refused by the server, and writes nothing.
    let c = Case::new(
        &cluster,
        "query = \"WITH gone AS (DELETE FROM negative RETURNING *) SELECT uid, \\\"BTC\\\", \\\"ETH\\\" FROM gone\"",
    );
    cluster.sql("GRANT DELETE ON negative TO por_reader;");
    let e = c.refused(&c.snapshot());
    assert_eq!(
        e,
        format!("{d}: ERROR: cannot execute SELECT in a read-only transaction")
    );
    let left: i64 = cluster
        .superuser()
        .query_one("SELECT count(*) FROM negative", &[])
        .unwrap()
        .get(0);
    assert_eq!(left, 2);
}

/// The server ends the connection while rows are streaming (after a few thousand rows
/// the query sleeps and the backend is terminated): exit 2, one line naming the row
/// reached, nothing published.
#[test]
fn a_connection_dropped_mid_stream_publishes_nothing() {
    let cluster = Cluster::start();
    cluster.sql(&format!(
        "CREATE TABLE big (n int, uid text, \"BTC\" bigint, \"ETH\" numeric);
         INSERT INTO big SELECT i, 'user-' || i, i, 1 FROM generate_series(1, 50000) i;
         GRANT SELECT ON big TO {POR_USER};"
    ));
    let c = Case::new(
        &cluster,
        "query = \"SELECT uid, \\\"BTC\\\", \\\"ETH\\\" FROM big, LATERAL (SELECT pg_sleep(CASE WHEN n = 40000 THEN 60 ELSE 0 END)) s\"",
    );
    let child = c
        .command(POR_PASSWORD, "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut su = cluster.superuser();
    let deadline = Instant::now() + Duration::from_secs(60);
    let terminated = loop {
        let r = su
            .query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                 WHERE application_name = 'por' AND wait_event = 'PgSleep'",
                &[],
            )
            .unwrap();
        if !r.is_empty() {
            break true;
        }
        if Instant::now() > deadline {
            break false;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let o = child.wait_with_output().unwrap();
    assert!(terminated, "por never reached the sleeping row");
    let e = c.refused(&o);
    let prefix = format!("{}: reading rows failed after row ", db(&cluster));
    assert!(e.starts_with(&prefix), "{e}");
    let rows: u64 = e[prefix.len()..]
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(rows > 0 && rows < 40000, "{e}");
    // The server's FATAL when it arrives first, else the reset socket.
    assert!(
        e.contains("terminating connection") || e.contains("error communicating with the server"),
        "{e}"
    );
}

/// A wrong password is one line from the server, and neither the password tried nor
/// the right one appears on stderr; a missing variable is named.
#[test]
fn a_wrong_password_is_one_line_without_the_password() {
    let cluster = Cluster::start();
    table(&cluster, "t", "numeric", &[("'a'", "1", "1")]);
    let c = Case::new(&cluster, "table = \"t\"");
    let wrong = "Wr0ng-pa55word-e1c9";
    let o = c.command(wrong, "debug").output().unwrap();
    let e = c.refused(&o);
    assert_eq!(
        e,
        format!(
            "{}: cannot connect: FATAL: password authentication failed for user \"{POR_USER}\"",
            db(&cluster)
        )
    );
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!all.contains(wrong) && !all.contains(POR_PASSWORD), "{all}");

    let o = c
        .command("", "warn")
        .env_remove(PASSWORD_ENV)
        .output()
        .unwrap();
    assert_eq!(
        c.refused(&o),
        format!(
            "{}: the environment variable {PASSWORD_ENV} (password_env) is not set",
            db(&cluster)
        )
    );

    // And with the right one, the same config publishes.
    let o = c.snapshot();
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(c.manifest()["tree"]["sums"][0], "100000000");
}
