//! A witness's durable state: one file per log, `<state>/<origin, made safe>.txt`,
//! holding the origin and the latest cosigned `<size> <base64 root>`. A new record
//! is written to a temp file, flushed, renamed over the old one and the folder
//! flushed, all before the witness answers: after a crash or a restart it remembers
//! every size it cosigned. An unreadable file stops the witness from starting rather
//! than being read as "never cosigned" (which would let a fork be cosigned).

use super::WitnessError;
use crate::log::witness::LogRecord;
use sha2::Digest;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The records of every log, loaded from and written to one folder.
#[derive(Debug)]
pub struct State {
    dir: PathBuf,
    records: BTreeMap<String, LogRecord>,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> WitnessError + '_ {
    move |source| WitnessError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The file name of `origin`'s record: its safe characters, then 8 hex digits of its
/// SHA-256 so two origins never share a file.
pub fn file_name(origin: &str) -> String {
    let safe: String = origin
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    let h = sha2::Sha256::digest(origin.as_bytes());
    format!("{safe}-{}.txt", hex::encode(&h[..4]))
}

impl State {
    /// Loads every record in `dir` (created when missing).
    pub fn open(dir: &Path) -> Result<State, WitnessError> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let mut records = BTreeMap::new();
        for entry in std::fs::read_dir(dir).map_err(io(dir))? {
            let path = entry.map_err(io(dir))?.path();
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if name.starts_with('.') || !name.ends_with(".txt") {
                continue;
            }
            let text = std::fs::read_to_string(&path).map_err(io(&path))?;
            let corrupt = |message: &str| WitnessError::Corrupt {
                path: path.clone(),
                message: message.to_string(),
            };
            let (origin, rest) = text
                .split_once('\n')
                .ok_or_else(|| corrupt("no origin line"))?;
            let record = LogRecord::parse_line(rest)
                .ok_or_else(|| corrupt("the second line is not `<size> <base64 root>`"))?;
            if file_name(origin) != name {
                return Err(corrupt("the origin it names does not match the file name"));
            }
            records.insert(origin.to_string(), record);
        }
        Ok(State {
            dir: dir.to_path_buf(),
            records,
        })
    }

    /// The record of `origin`, if the witness ever cosigned for it.
    pub fn get(&self, origin: &str) -> Option<LogRecord> {
        self.records.get(origin).copied()
    }

    /// Records `record` for `origin` durably (flushed and renamed into place), then in
    /// memory. On error the previous record stays, on disk and in memory.
    pub fn put(&mut self, origin: &str, record: LogRecord) -> Result<(), WitnessError> {
        let path = self.dir.join(file_name(origin));
        let tmp = self.dir.join(format!(".{}.tmp", file_name(origin)));
        let text = format!("{origin}\n{}", record.to_line());
        let res = (|| {
            let mut f = std::fs::File::create(&tmp).map_err(io(&tmp))?;
            f.write_all(text.as_bytes()).map_err(io(&tmp))?;
            f.sync_all().map_err(io(&tmp))?;
            std::fs::rename(&tmp, &path).map_err(io(&path))?;
            std::fs::File::open(&self.dir)
                .and_then(|d| d.sync_all())
                .map_err(io(&self.dir))
        })();
        if res.is_err() {
            let _ = std::fs::remove_file(&tmp);
            return res;
        }
        self.records.insert(origin.to_string(), record);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::Hash;

    #[test]
    fn records_survive_a_reopen_and_corruption_stops_the_witness() {
        let d = tempfile::tempdir().unwrap();
        let mut s = State::open(d.path()).unwrap();
        assert_eq!(s.get("example.com/log"), None);
        let r = LogRecord {
            size: 7,
            root: Hash([3; 32]),
        };
        s.put("example.com/log", r).unwrap();
        let s = State::open(d.path()).unwrap();
        assert_eq!(s.get("example.com/log"), Some(r));
        let f = d.path().join(file_name("example.com/log"));
        std::fs::write(&f, "example.com/log\n7 nope\n").unwrap();
        let e = State::open(d.path()).unwrap_err().to_string();
        assert!(e.contains("corrupt witness state"), "{e}");
    }

    #[test]
    fn file_names_are_safe_and_distinct() {
        assert_ne!(file_name("a/b"), file_name("a_b"));
        assert!(!file_name("../../etc/passwd").contains('/'));
    }
}
