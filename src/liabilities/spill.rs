//! Rows of liabilities kept on disk once they pass a memory budget: a book of 10^8
//! accounts is ~5 GB of uids and balances, more than a snapshot job may hold. The
//! [`Builder`](super::builder::Builder) writes its rows out in segments (of
//! [`SEGMENT_ROWS`] by default) to one unnamed scratch file (removed by the OS when it is closed,
//! whatever happens to the process), and the tree and the proof store read them back
//! in input order, a segment at a time ([`Liabilities::for_each`](super::Liabilities::for_each)).
//!
//! A segment, as written: its rows' uid end offsets (`u32` little-endian, relative to
//! the segment), the uid bytes, then the balances as [`Cells`] bytes at the segment's
//! widths. Only the segment table (a few words per 65,536 rows) stays in memory.

use super::cells::Cells;
use super::{Block, LiabilitiesError};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// Rows per segment written to the scratch file.
pub const SEGMENT_ROWS: usize = 1 << 16;

/// Where the rows go past a memory budget.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scratch {
    /// The folder of the scratch file (created if missing).
    pub dir: PathBuf,
    /// Bytes of rows (uids, their offsets, balances) held in memory before they are
    /// written out; past it, rows are held a segment at a time.
    pub budget: usize,
    /// Rows per segment ([`SEGMENT_ROWS`]; tests use a few).
    pub segment_rows: usize,
}

impl Scratch {
    /// The default budget: 1 GiB of rows in memory (10^7 accounts × 4 assets stay in
    /// memory; 10^8 go to disk).
    pub const DEFAULT_BUDGET: usize = 1 << 30;

    /// Rows in `dir` past the default budget.
    pub fn in_dir(dir: &Path) -> Scratch {
        Scratch {
            dir: dir.to_path_buf(),
            budget: Scratch::DEFAULT_BUDGET,
            segment_rows: SEGMENT_ROWS,
        }
    }
}

/// One segment of rows in the scratch file.
#[derive(Clone, Debug)]
struct Segment {
    /// Its first row.
    first: usize,
    rows: usize,
    offset: u64,
    uid_len: usize,
    widths: Vec<u8>,
}

/// Rows written to the scratch file, and where each segment is.
#[derive(Debug)]
pub struct Spill {
    file: File,
    segment_rows: usize,
    path: String,
    segments: Vec<Segment>,
    end: u64,
    /// The widest width each column had in any segment.
    widths: Vec<u8>,
}

fn io_error(path: &str) -> impl Fn(std::io::Error) -> LiabilitiesError + '_ {
    move |e| LiabilitiesError::Io {
        file: path.to_string(),
        message: format!("scratch file: {e}"),
    }
}

impl Spill {
    /// An empty scratch file in `scratch.dir` for rows of `k` balances.
    pub fn create(scratch: &Scratch, k: usize) -> Result<Spill, LiabilitiesError> {
        let path = scratch.dir.display().to_string();
        std::fs::create_dir_all(&scratch.dir).map_err(io_error(&path))?;
        let file = tempfile::tempfile_in(&scratch.dir).map_err(io_error(&path))?;
        Ok(Spill {
            file,
            segment_rows: scratch.segment_rows.max(1),
            path,
            segments: Vec::new(),
            end: 0,
            widths: vec![0; k],
        })
    }

    /// Rows written.
    pub fn rows(&self) -> usize {
        self.segments.last().map_or(0, |s| s.first + s.rows)
    }

    /// The widest width of each column over every row written.
    pub fn widths(&self) -> &[u8] {
        &self.widths
    }

    /// Appends the rows of `block` (all of them), in segments.
    pub fn write(&mut self, block: &Block) -> Result<(), LiabilitiesError> {
        let n = block.uid_ends.len();
        let stride = block.cells.stride();
        let mut at = 0;
        let mut out = Vec::new();
        while at < n {
            let rows = (n - at).min(self.segment_rows);
            let start = if at == 0 {
                0
            } else {
                block.uid_ends[at - 1] as usize
            };
            let end = block.uid_ends[at + rows - 1] as usize;
            out.clear();
            for &e in &block.uid_ends[at..at + rows] {
                out.extend_from_slice(&((e as usize - start) as u32).to_le_bytes());
            }
            out.extend_from_slice(&block.uid_bytes[start..end]);
            out.extend_from_slice(&block.cells.raw()[at * stride..(at + rows) * stride]);
            self.file
                .write_all_at(&out, self.end)
                .map_err(io_error(&self.path))?;
            self.segments.push(Segment {
                first: self.rows(),
                rows,
                offset: self.end,
                uid_len: end - start,
                widths: block.cells.widths().to_vec(),
            });
            self.end += out.len() as u64;
            at += rows;
        }
        for (w, &b) in self.widths.iter_mut().zip(block.cells.widths()) {
            *w = (*w).max(b);
        }
        Ok(())
    }

    /// Segment `i` read back as a block of rows.
    fn segment(&self, i: usize) -> Result<Block, LiabilitiesError> {
        let s = &self.segments[i];
        let stride: usize = s.widths.iter().map(|&w| usize::from(w)).sum();
        let len = 4 * s.rows + s.uid_len + stride * s.rows;
        let mut bytes = vec![0u8; len];
        self.file
            .read_exact_at(&mut bytes, s.offset)
            .map_err(io_error(&self.path))?;
        let uid_ends = bytes[..4 * s.rows]
            .chunks_exact(4)
            .map(|c| u64::from(u32::from_le_bytes(c.try_into().expect("4"))))
            .collect();
        let uid_bytes = bytes[4 * s.rows..4 * s.rows + s.uid_len].to_vec();
        let cells = Cells::from_raw(
            s.widths.clone(),
            bytes[4 * s.rows + s.uid_len..].to_vec(),
            s.rows,
        );
        Ok(Block {
            uid_bytes,
            uid_ends,
            cells,
        })
    }

    /// Calls `f(row, uid, balances)` for the rows `lo..hi`, in order.
    pub fn for_each(
        &self,
        lo: usize,
        hi: usize,
        k: usize,
        mut f: impl FnMut(usize, &[u8], &[u128]),
    ) -> Result<(), LiabilitiesError> {
        let mut i = self.segments.partition_point(|s| s.first + s.rows <= lo);
        let mut balances = vec![0u128; k];
        while i < self.segments.len() && self.segments[i].first < hi {
            let s = &self.segments[i];
            let block = self.segment(i)?;
            for r in lo.max(s.first)..hi.min(s.first + s.rows) {
                block.cells.get(r - s.first, &mut balances);
                f(r, block.uid(r - s.first), &balances);
            }
            i += 1;
        }
        Ok(())
    }
}
