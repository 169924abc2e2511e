//! The run lock: one writing `por` command at a time over the same output (taken by
//! [`crate::publish::Output::open`], so every writer takes it). An advisory `flock`
//! on `<private>/.por.lock`, which the kernel releases when the holder dies, so a
//! killed run never blocks the next one; the file records the holder's pid for the
//! message, and a pid left by a dead run is reported as cleared.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Why the run lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// The lock file could not be created, read or locked.
    #[error("{path}: {source}")]
    Io {
        /// The lock file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Another live process holds the lock; `pid` is what its file records.
    #[error("another por command holds {path} (pid {pid}); nothing done")]
    Held {
        /// The lock file.
        path: PathBuf,
        /// The pid its holder recorded (or `unknown`).
        pid: String,
    },
}

/// Held for the duration of a run; released on drop (or when the process dies).
pub struct RunLock {
    file: File,
    path: PathBuf,
}

impl RunLock {
    /// Takes the lock at `path`, creating the file and its folder if missing; never waits.
    /// Errors with [`LockError::Held`] when another process holds it.
    pub fn acquire(path: &Path) -> Result<RunLock, LockError> {
        let io = |source| LockError::Io {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io)?;
        let mut previous = String::new();
        let _ = file.read_to_string(&mut previous);
        let previous = previous.trim().to_string();
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(LockError::Held {
                    path: path.to_path_buf(),
                    pid: if previous.is_empty() {
                        "unknown".into()
                    } else {
                        previous
                    },
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        if !previous.is_empty() {
            tracing::warn!(lock = %path.display(), pid = %previous, "cleared a stale lock left by a run that died");
        }
        file.set_len(0).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        write!(file, "{}", std::process::id()).map_err(io)?;
        file.flush().map_err(io)?;
        Ok(RunLock {
            file,
            path: path.to_path_buf(),
        })
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        // Empty the pid first: an empty, unlocked file is a clean release.
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
        let _ = &self.path;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_is_refused_and_release_frees_it() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("private/.por.lock");
        let first = RunLock::acquire(&p).unwrap();
        let e = RunLock::acquire(&p).err().expect("held");
        assert_eq!(
            e.to_string(),
            format!(
                "another por command holds {} (pid {}); nothing done",
                p.display(),
                std::process::id()
            )
        );
        drop(first);
        RunLock::acquire(&p).unwrap();
    }

    #[test]
    fn a_dead_holders_pid_is_cleared() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join(".por.lock");
        std::fs::write(&p, "999999").unwrap();
        let _l = RunLock::acquire(&p).unwrap();
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            std::process::id().to_string()
        );
    }
}
