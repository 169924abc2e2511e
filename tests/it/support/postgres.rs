//! A throwaway PostgreSQL cluster for one test: `initdb` into a temp folder, started on
//! a free loopback port (TCP only, no socket file), stopped and removed on drop. The
//! server refuses to run as root, so when the tests run as root the cluster's files
//! belong to `nobody` and its commands run through `setpriv`.
//!
//! Debian's `postgresql` package (installed by `scripts/setup-test-deps.sh`) puts the
//! server binaries in `/usr/lib/postgresql/<version>/bin`; `POR_PG_BINDIR` overrides.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;

/// The superuser's password of every throwaway cluster.
pub const SUPERUSER_PASSWORD: &str = "throwaway-superuser";

/// The login role the tests give `por`, and its password.
pub const POR_USER: &str = "por_reader";
pub const POR_PASSWORD: &str = "n0t-in-any-log-7f3a";

/// The folder of `initdb`, `pg_ctl` and `postgres`.
fn bindir() -> PathBuf {
    if let Some(d) = std::env::var_os("POR_PG_BINDIR") {
        return PathBuf::from(d);
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    found.sort();
    match found.pop() {
        Some((_, bin)) => bin,
        None => panic!(
            "no PostgreSQL server found in /usr/lib/postgresql/*/bin: run scripts/setup-test-deps.sh (or set POR_PG_BINDIR)"
        ),
    }
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// A running cluster; stopped (immediately) and deleted when dropped.
pub struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
}

impl Cluster {
    /// initdb, start, and a database `book` with the login role [`POR_USER`].
    pub fn start() -> Cluster {
        let bin = bindir();
        let dir = tempfile::Builder::new()
            .prefix("por-pg-")
            .tempdir()
            .unwrap();
        let pwfile = dir.path().join("pw");
        std::fs::write(&pwfile, SUPERUSER_PASSWORD).unwrap();
        if is_root() {
            let (uid, gid) = nobody();
            for p in [dir.path(), pwfile.as_path()] {
                std::os::unix::fs::chown(p, Some(uid), Some(gid)).unwrap();
            }
        }
        let port = free_port();
        let data = dir.path().join("data");
        let mut cluster = Cluster { dir, bin, port };
        cluster.run(
            "initdb",
            &[
                "-D",
                data.to_str().unwrap(),
                "-U",
                "postgres",
                "--pwfile",
                pwfile.to_str().unwrap(),
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
            ],
        );
        let log = cluster.dir.path().join("server.log");
        let options = format!(
            "-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=32MB -c max_connections=20"
        );
        let started = cluster.try_run(
            "pg_ctl",
            &[
                "-D",
                data.to_str().unwrap(),
                "-l",
                log.to_str().unwrap(),
                "-w",
                "-t",
                "60",
                "-o",
                &options,
                "start",
            ],
        );
        if !started {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            // Another process may have taken the port in between: once more, on another.
            if text.contains("could not bind") {
                cluster.port = free_port();
                let options =
                    options.replace(&format!("-p {port}"), &format!("-p {}", cluster.port));
                cluster.run(
                    "pg_ctl",
                    &[
                        "-D",
                        data.to_str().unwrap(),
                        "-l",
                        log.to_str().unwrap(),
                        "-w",
                        "-t",
                        "60",
                        "-o",
                        &options,
                        "start",
                    ],
                );
            } else {
                panic!("pg_ctl start failed:\n{text}");
            }
        }
        let mut su = cluster.superuser();
        // One statement each: CREATE DATABASE cannot run in a multi-statement batch.
        su.batch_execute(&format!(
            "CREATE ROLE {POR_USER} LOGIN PASSWORD '{POR_PASSWORD}'"
        ))
        .unwrap();
        su.batch_execute("CREATE DATABASE book").unwrap();
        cluster
    }

    /// The URL `por` is configured with: no password in it.
    pub fn url(&self) -> String {
        format!(
            "postgresql://{POR_USER}@127.0.0.1:{}/book?connect_timeout=10",
            self.port
        )
    }

    /// A superuser connection to `book` (or `postgres` before it exists).
    pub fn superuser(&self) -> postgres::Client {
        let mut last = None;
        for db in ["book", "postgres"] {
            match postgres::Config::new()
                .host("127.0.0.1")
                .port(self.port)
                .user("postgres")
                .password(SUPERUSER_PASSWORD)
                .dbname(db)
                .connect(postgres::NoTls)
            {
                Ok(c) => return c,
                Err(e) => last = Some(e),
            }
        }
        panic!("cannot connect as the superuser: {last:?}")
    }

    /// Runs SQL as the superuser in `book` (tables, data, grants).
    pub fn sql(&self, sql: &str) {
        self.superuser().batch_execute(sql).unwrap();
    }

    fn command(&self, tool: &str, args: &[&str]) -> Command {
        let exe = self.bin.join(tool);
        let mut c = if is_root() {
            let (uid, gid) = nobody();
            let mut c = Command::new("setpriv");
            c.arg(format!("--reuid={uid}"))
                .arg(format!("--regid={gid}"))
                .args(["--clear-groups", "--"])
                .arg(exe);
            c
        } else {
            Command::new(exe)
        };
        c.args(args).current_dir(self.dir.path()).env("LC_ALL", "C");
        c
    }

    fn try_run(&self, tool: &str, args: &[&str]) -> bool {
        let o = self.command(tool, args).output().unwrap();
        o.status.success()
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let o = self.command(tool, args).output().unwrap();
        assert!(
            o.status.success(),
            "{tool} failed: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.data();
        let _ = self
            .command(
                "pg_ctl",
                &[
                    "-D",
                    data.to_str().unwrap(),
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                ],
            )
            .output();
    }
}

/// The uid and gid of `nobody` (65534 on Debian), from /etc/passwd.
fn nobody() -> (u32, u32) {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap();
    for line in passwd.lines() {
        let f: Vec<&str> = line.split(':').collect();
        if f.len() > 3 && f[0] == "nobody" {
            return (f[2].parse().unwrap(), f[3].parse().unwrap());
        }
    }
    (65534, 65534)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
