//! What a 3 a.m. cron job meets: every writing command takes the one lock, a run
//! killed at each phase boundary is finished or undone by the next command (never a
//! temp folder in a public folder, never a store that disagrees with its manifest),
//! a panic is one line with exit 2, and logs carry no colour codes off a terminal.
//! Kills at phase boundaries use the `POR_FAULT=<point>` hook
//! ([`por::publish::fault_point`]), which aborts the process there as SIGKILL would.

use crate::support::cli::*;
use std::path::Path;
use std::process::Output;

/// `por run` of a new snapshot `id` (inputs copied from the demo's newest).
fn run_new(d: &Path, id: &str, extra: &[&str], fault: Option<&str>) -> Output {
    let as_of = format!("{id}T00:00:00Z");
    let config = config_arg(d);
    let mut args = vec!["run", "--config", &config, "--id", id, "--as-of", &as_of];
    args.extend(extra);
    let mut c = command(&args);
    if let Some(f) = fault {
        c.env("POR_FAULT", f);
    }
    c.output().unwrap()
}

/// `por proof` for `uid` of `id`, then `por verify` of it against the published
/// manifest: both must succeed.
fn assert_proof_verifies(d: &Path, id: &str, uid: &str) {
    let o = por(&[
        "proof",
        "--config",
        &config_arg(d),
        "--id",
        id,
        "--uid",
        uid,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let proof = d.join("proof.json");
    std::fs::write(&proof, &o.stdout).unwrap();
    let manifest = d.join(format!("snapshots/{id}/manifest.json"));
    let o = por(&[
        "verify",
        "--proof",
        proof.to_str().unwrap(),
        "--manifest",
        manifest.to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    std::fs::remove_file(proof).unwrap();
}

fn killed(o: &Output) -> bool {
    use std::os::unix::process::ExitStatusExt;
    o.status.signal() == Some(libc::SIGABRT)
}

/// Every command that writes under the output takes the same lock: while it is held,
/// `snapshot`, `run`, `run --replace`, `render` and `demo` are all refused with the
/// holder's pid, and nothing changes.
#[test]
fn every_writer_takes_the_one_lock() {
    let t = tempfile::tempdir().unwrap();
    let d = demo(t.path());
    add_inputs(&d, "2026-12-21", None);
    let lock = d.join("private/.por.lock");
    let before = outputs(&d);
    let held = por::lock::RunLock::acquire(&lock).unwrap();
    let refused = format!(
        "another por command holds {} (pid {}); nothing done",
        lock.display(),
        std::process::id()
    );
    let config = config_arg(&d);
    let out = d.display().to_string();
    let commands: [&[&str]; 5] = [
        &[
            "snapshot",
            "--config",
            &config,
            "--id",
            "2026-12-21",
            "--as-of",
            "2026-12-21T00:00:00Z",
        ],
        &[
            "run",
            "--config",
            &config,
            "--id",
            "2026-12-21",
            "--as-of",
            "2026-12-21T00:00:00Z",
        ],
        &[
            "run",
            "--config",
            &config,
            "--id",
            "2026-11-21",
            "--as-of",
            "2026-11-21T00:00:00Z",
            "--replace",
        ],
        &["render", "--config", &config],
        &["demo", "--out", &out],
    ];
    for args in commands {
        let o = por(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert_eq!(error_line(&o), refused, "{args:?}");
        assert_eq!(outputs(&d), before, "{args:?} changed the output");
    }
    drop(held);
}

/// A run killed at each phase boundary of a new snapshot: the published files are
/// the previous ones byte for byte (or the new snapshot is whole), no public folder
/// holds a temp entry, and the next run of the same id brings everything up to date.
#[test]
fn a_run_killed_at_each_phase_boundary_is_finished_by_the_next_run() {
    let t = tempfile::tempdir().unwrap();
    let d = demo(t.path());
    let points = [
        "staged",
        "journal",
        "moved-1",
        "moved-all",
        "published",
        "dir-staged",
    ];
    for (i, point) in points.iter().enumerate() {
        let id = format!("2026-12-{:02}", 21 + i);
        add_inputs(&d, &id, None);
        let before = outputs(&d);
        let o = run_new(&d, &id, &[], Some(point));
        assert!(
            killed(&o),
            "{point}: not aborted: {:?} {}",
            o.status,
            stderr(&o)
        );
        assert_no_temp_in_public(&d);
        let after = outputs(&d);
        for (p, h) in &before {
            if p.starts_with("snapshots") || p.starts_with("public") {
                assert_eq!(after.get(p), Some(h), "{point}: {} changed", p.display());
            }
        }
        let published = d.join("snapshots").join(&id).exists();
        let expect_published = matches!(*point, "moved-all" | "published" | "dir-staged");
        assert_eq!(published, expect_published, "{point}");
        // The next run of the same id finishes the job.
        let o = run_new(&d, &id, &[], None);
        assert_eq!(o.status.code(), Some(0), "{point}: {}", stderr(&o));
        assert!(
            d.join("snapshots")
                .join(&id)
                .join("manifest.json")
                .is_file()
        );
        assert_clean_and_current(&d);
        assert_proof_verifies(&d, &id, "acct-000001");
    }
}

/// `--replace` killed between the store's move and the manifest's: `por proof`
/// refuses the store (its root is not the published one) instead of handing out
/// proofs that fail step 5, and the next command that opens the output completes the
/// replacement.
#[test]
fn a_replace_killed_between_store_and_manifest_is_refused_then_completed() {
    let t = tempfile::tempdir().unwrap();
    let d = demo_without_log(t.path());
    let id = "2026-11-21";
    let old_manifest = std::fs::read(d.join("snapshots/2026-11-21/manifest.json")).unwrap();
    let o = run_new(&d, id, &["--replace"], Some("moved-1"));
    assert!(killed(&o), "{:?} {}", o.status, stderr(&o));
    assert_eq!(
        std::fs::read(d.join("snapshots/2026-11-21/manifest.json")).unwrap(),
        old_manifest,
        "the manifest is still the old one"
    );
    let o = por(&[
        "proof",
        "--config",
        &config_arg(&d),
        "--id",
        id,
        "--uid",
        "acct-000001",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let line = error_line(&o);
    assert!(
        line.starts_with("the proof store of snapshot 2026-11-21 was built for root ")
            && line.contains("but the published manifest's root is"),
        "{line}"
    );
    assert!(o.stdout.is_empty(), "no proof handed out");
    // Any writer completes the interrupted replacement first.
    let o = por(&["render", "--config", &config_arg(&d)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_ne!(
        std::fs::read(d.join("snapshots/2026-11-21/manifest.json")).unwrap(),
        old_manifest,
        "the replacement was completed"
    );
    assert_clean_and_current(&d);
    assert_proof_verifies(&d, id, "acct-000001");
}

/// A store that is not the published snapshot's (here: another snapshot's store put
/// in its place) is refused by `por proof`, exit 2, one line.
#[test]
fn proof_refuses_a_store_built_for_another_root() {
    let t = tempfile::tempdir().unwrap();
    let d = demo(t.path());
    let store = d.join("private/2026-11-21");
    std::fs::remove_dir_all(&store).unwrap();
    let ok = std::process::Command::new("cp")
        .args(["-a"])
        .arg(d.join("private/2026-10-21"))
        .arg(&store)
        .status()
        .unwrap();
    assert!(ok.success());
    let o = por(&[
        "proof",
        "--config",
        &config_arg(&d),
        "--id",
        "2026-11-21",
        "--uid",
        "acct-000001",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        error_line(&o).starts_with("the proof store of snapshot 2026-11-21 was built for root "),
        "{}",
        stderr(&o)
    );
}

/// The last line of defence: a panic (forced here at a fault point) is one line
/// naming the command, exit 2, and nothing is published.
#[test]
fn a_panic_is_one_line_and_exit_2() {
    let t = tempfile::tempdir().unwrap();
    let d = demo(t.path());
    add_inputs(&d, "2026-12-21", None);
    let before = outputs(&d);
    let o = run_new(&d, "2026-12-21", &[], Some("panic:staged"));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let line = error_line(&o);
    assert!(
        line.starts_with("internal error in `por run` at src/publish.rs:")
            && line.ends_with(": POR_FAULT: panic at staged; please report it"),
        "{line}"
    );
    assert_eq!(only(&outputs(&d), "snapshots"), only(&before, "snapshots"));
    assert_eq!(only(&outputs(&d), "public"), only(&before, "public"));
    // And the next run publishes.
    let o = run_new(&d, "2026-12-21", &[], None);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_clean_and_current(&d);
}

/// Logs are plain text unless stderr is a terminal, and never coloured with
/// `NO_COLOR` set. A pseudo-terminal (`script`) shows the colour is really there
/// otherwise, so this test can fail.
#[test]
fn logs_have_colour_only_on_a_terminal_without_no_color() {
    let t = tempfile::tempdir().unwrap();
    let d = demo(t.path());
    let config = config_arg(&d);
    // Re-running the published newest id logs at info and changes nothing.
    let args = ["run", "--config", &config, "--id", "2026-11-21"];
    // A pipe: plain.
    let o = command(&args).env("POR_LOG", "info").output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert!(!stderr(&o).is_empty(), "some log lines");
    assert!(!stderr(&o).contains('\x1b'), "{}", stderr(&o));
    // A terminal, via script(1): coloured, unless NO_COLOR is set.
    let on_tty = |no_color: Option<&str>| {
        let cmdline = format!(
            "{} run --config {} --id 2026-11-21",
            env!("CARGO_BIN_EXE_por"),
            d.join("por.toml").display()
        );
        let mut c = std::process::Command::new("script");
        c.args(["-qec", &cmdline, "/dev/null"])
            .env("POR_LOG", "info")
            .env_remove("NO_COLOR");
        if let Some(v) = no_color {
            c.env("NO_COLOR", v);
        }
        let o = c.output().unwrap();
        assert!(o.status.success(), "{o:?}");
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    // SGR colour sequences; a spinner's cursor codes on a terminal are not colour.
    let colour = regex::Regex::new("\x1b\\[[0-9;]*m").unwrap();
    assert!(colour.is_match(&on_tty(None)), "colour on a terminal");
    let plain = on_tty(Some("1"));
    assert!(!colour.is_match(&plain), "NO_COLOR honoured: {plain:?}");
}

/// The staging area (in the private folder) must share a filesystem with the
/// published folders, or a rename would not be atomic: checked before any work, one
/// line naming both folders, exit 2.
#[test]
fn output_folders_on_different_filesystems_are_refused() {
    use std::os::unix::fs::MetadataExt;
    let shm = Path::new("/dev/shm");
    let t = tempfile::tempdir().unwrap();
    let dev = |p: &Path| std::fs::metadata(p).map(|m| m.dev()).ok();
    if dev(shm).is_none() || dev(shm) == dev(t.path()) {
        eprintln!("skipped: no second filesystem (/dev/shm) beside the temp folder here");
        return;
    }
    let private = tempfile::tempdir_in(shm).unwrap();
    let d = demo(t.path());
    let config = d.join("por.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    let text = text.replace(
        "private = \"private\"",
        &format!("private = \"{}\"", private.path().display()),
    );
    std::fs::write(&config, text).unwrap();
    add_inputs(&d, "2026-12-21", None);
    let before = outputs(&d);
    let o = run_new(&d, "2026-12-21", &[], None);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(
        error_line(&o),
        format!(
            "{}/.staging and {} are on different filesystems; por publishes by rename, so [output] folders must share one",
            private.path().display(),
            d.join("snapshots").display()
        )
    );
    assert_eq!(outputs(&d), before);
}
