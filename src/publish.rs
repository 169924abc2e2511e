//! The one write path (as zola's `write_content`): everything por publishes or stores
//! is built into a temporary folder beside its target and moved into place with one
//! rename, so a crash, a kill or an error never leaves a half-written snapshot, proof
//! store or site. Replacing an existing folder swaps the two atomically
//! (`renameat2(RENAME_EXCHANGE)` on Linux), so readers see the old or the new folder,
//! never neither.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: already exists; refusing to overwrite")]
    Exists { path: PathBuf },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PublishError + '_ {
    move |source| PublishError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Temp folders are named `.<name>.tmp-<pid>` beside the target; leftovers of a killed
/// run (any pid) are removed before a new build. Concurrent runs are excluded by the
/// run lock, not here.
fn temp_sibling(target: &Path) -> Result<(PathBuf, String), PublishError> {
    let name = target
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| PublishError::Io {
            path: target.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "no folder name"),
        })?;
    let parent = parent_of(target);
    let prefix = format!(".{name}.tmp-");
    Ok((
        parent.join(format!("{prefix}{}", std::process::id())),
        prefix,
    ))
}

fn parent_of(target: &Path) -> &Path {
    match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Removes temporary folders a killed run left beside `target`.
pub fn clean_leftovers(target: &Path) -> Result<(), PublishError> {
    let (_, prefix) = temp_sibling(target)?;
    let parent = parent_of(target);
    let Ok(entries) = fs::read_dir(parent) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(&prefix) {
            let p = entry.path();
            fs::remove_dir_all(&p).map_err(io(&p))?;
        }
    }
    Ok(())
}

fn fresh_temp(target: &Path) -> Result<PathBuf, PublishError> {
    let parent = parent_of(target);
    fs::create_dir_all(parent).map_err(io(parent))?;
    clean_leftovers(target)?;
    let (tmp, _) = temp_sibling(target)?;
    fs::create_dir(&tmp).map_err(io(&tmp))?;
    Ok(tmp)
}

/// Builds a new folder at `target` with `fill`, which writes into the path it is given.
/// Refuses when `target` exists. On any error nothing is left behind.
pub fn publish_new_dir<E: From<PublishError>>(
    target: &Path,
    fill: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<(), E> {
    if target.exists() {
        return Err(PublishError::Exists {
            path: target.to_path_buf(),
        }
        .into());
    }
    let tmp = fresh_temp(target)?;
    if let Err(e) = fill(&tmp) {
        let _ = fs::remove_dir_all(&tmp);
        return Err(e);
    }
    let res = sync_tree(&tmp)
        .and_then(|()| fs::rename(&tmp, target).map_err(io(target)))
        .and_then(|()| sync_dir(parent_of(target)));
    if res.is_err() {
        let _ = fs::remove_dir_all(&tmp);
    }
    res.map_err(E::from)
}

/// Builds a folder with `fill` and puts it at `target`, atomically replacing what was
/// there. On any error the previous `target` is untouched.
pub fn publish_replace_dir<E: From<PublishError>>(
    target: &Path,
    fill: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<(), E> {
    if !target.exists() {
        return publish_new_dir(target, fill);
    }
    let tmp = fresh_temp(target)?;
    if let Err(e) = fill(&tmp) {
        let _ = fs::remove_dir_all(&tmp);
        return Err(e);
    }
    let res = sync_tree(&tmp).and_then(|()| exchange(&tmp, target));
    match res {
        Ok(()) => {
            // `tmp` now holds the previous content.
            let _ = fs::remove_dir_all(&tmp);
            sync_dir(parent_of(target)).map_err(E::from)
        }
        Err(e) => {
            let _ = fs::remove_dir_all(&tmp);
            Err(e.into())
        }
    }
}

/// Writes one file atomically (temp file in the same folder, then rename).
pub fn write_file_atomically(path: &Path, bytes: &[u8]) -> Result<(), PublishError> {
    let parent = parent_of(path);
    fs::create_dir_all(parent).map_err(io(parent))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    let res = (|| {
        let mut f = fs::File::create(&tmp).map_err(io(&tmp))?;
        f.write_all(bytes).map_err(io(&tmp))?;
        f.sync_all().map_err(io(&tmp))?;
        fs::rename(&tmp, path).map_err(io(path))
    })();
    if res.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    res
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> Result<(), PublishError> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let ca = CString::new(a.as_os_str().as_bytes()).map_err(|e| io(a)(e.into()))?;
    let cb = CString::new(b.as_os_str().as_bytes()).map_err(|e| io(b)(e.into()))?;
    // SAFETY: both are valid NUL-terminated paths; AT_FDCWD resolves them like rename(2).
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io(b)(std::io::Error::last_os_error()))
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(a: &Path, b: &Path) -> Result<(), PublishError> {
    // Two renames: a reader may briefly see no folder at `b`.
    let old = b.with_extension("old-swap");
    fs::rename(b, &old).map_err(io(b))?;
    fs::rename(a, b).map_err(io(b))?;
    fs::rename(&old, a).map_err(io(a))
}

fn sync_dir(dir: &Path) -> Result<(), PublishError> {
    fs::File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(io(dir))
}

/// Flushes every file and folder below `dir` to disk before it is renamed into place.
fn sync_tree(dir: &Path) -> Result<(), PublishError> {
    for entry in fs::read_dir(dir).map_err(io(dir))? {
        let entry = entry.map_err(io(dir))?;
        let p = entry.path();
        let ft = entry.file_type().map_err(io(&p))?;
        if ft.is_dir() {
            sync_tree(&p)?;
        } else if ft.is_file() {
            fs::File::open(&p)
                .and_then(|f| f.sync_all())
                .map_err(io(&p))?;
        }
    }
    sync_dir(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_dir_appears_whole_or_not_at_all() {
        let d = tempfile::tempdir().unwrap();
        let target = d.path().join("snap");
        publish_new_dir::<PublishError>(&target, |tmp| {
            fs::write(tmp.join("a"), b"1").map_err(io(tmp))
        })
        .unwrap();
        assert_eq!(fs::read(target.join("a")).unwrap(), b"1");
        // Refuses to overwrite.
        let e = publish_new_dir::<PublishError>(&target, |_| Ok(())).unwrap_err();
        assert!(matches!(e, PublishError::Exists { .. }));
        // A failing build leaves nothing.
        let other = d.path().join("other");
        let e = publish_new_dir::<PublishError>(&other, |tmp| {
            fs::write(tmp.join("x"), b"1").unwrap();
            Err(PublishError::Exists {
                path: tmp.to_path_buf(),
            })
        });
        assert!(e.is_err());
        assert!(!other.exists());
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 1);
    }

    #[test]
    fn replace_swaps_or_keeps_previous() {
        let d = tempfile::tempdir().unwrap();
        let target = d.path().join("site");
        publish_replace_dir::<PublishError>(&target, |t| {
            fs::write(t.join("v"), b"1").map_err(io(t))
        })
        .unwrap();
        publish_replace_dir::<PublishError>(&target, |t| {
            fs::write(t.join("v"), b"2").map_err(io(t))
        })
        .unwrap();
        assert_eq!(fs::read(target.join("v")).unwrap(), b"2");
        let e = publish_replace_dir::<PublishError>(&target, |t| {
            fs::write(t.join("v"), b"3").unwrap();
            Err(PublishError::Exists {
                path: t.to_path_buf(),
            })
        });
        assert!(e.is_err());
        assert_eq!(fs::read(target.join("v")).unwrap(), b"2");
        assert_eq!(
            fs::read_dir(d.path()).unwrap().count(),
            1,
            "no temp folder left"
        );
    }

    #[test]
    fn leftovers_of_a_killed_run_are_cleaned() {
        let d = tempfile::tempdir().unwrap();
        let target = d.path().join("site");
        fs::create_dir(d.path().join(".site.tmp-999999")).unwrap();
        publish_new_dir::<PublishError>(&target, |_| Ok(())).unwrap();
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 1);
    }
}
