//! The exchange's liabilities: every account's balance per asset, read from the one
//! [`Source`] of the config — a CSV export ([`csv`]: plain, `.gz` or `.zst`, RFC 4180,
//! header `uid,<SYMBOL>,...`), a Parquet export ([`parquet`](mod@parquet): a file or a
//! folder of part files) or a PostgreSQL table or query ([`postgres`](mod@postgres),
//! one `REPEATABLE READ, READ ONLY` transaction streamed with `COPY`).
//!
//! Every source feeds the same [`builder`]: the same validation (uid rules of
//! FORMAT.md §2, amounts straight into base units, checked totals, duplicate uids)
//! and the same one-line errors, located by file and line for CSV, by row (and uid)
//! where there are no lines. The result is one columnar [`Liabilities`] (one uid
//! arena, row-major balances in the fewest bytes each column needs, [`cells`]) whatever the
//! source.

pub mod builder;
pub mod cells;
pub mod csv;
pub mod parquet;
pub mod postgres;
pub mod source;
pub mod spill;

pub use self::csv::{parse_file, parse_reader};
pub use self::source::Source;
pub use self::spill::Scratch;

use crate::amount::{Amount, AmountError};
use crate::excerpt::Excerpt;
use crate::format::AssetInfo;
use crate::progress::{Phase, Progress};
use crate::time::Timestamp;
use std::fmt;

/// Reads and validates the liabilities of `source` (already for the snapshot: see
/// [`Source::for_snapshot`]), every row in memory. `as_of` is only compared with a
/// database's snapshot moment, for the log. `progress` hears [`Phase::Liabilities`]
/// (with the bytes read, for an uncompressed CSV file).
pub fn read(
    source: &Source,
    assets: &[AssetInfo],
    as_of: Timestamp,
    progress: &dyn Progress,
) -> Result<Liabilities, LiabilitiesError> {
    read_with(source, assets, as_of, progress, None)
}

/// [`read`], the rows written to a scratch file past `scratch`'s budget ([`spill`]).
pub fn read_with(
    source: &Source,
    assets: &[AssetInfo],
    as_of: Timestamp,
    progress: &dyn Progress,
    scratch: Option<&Scratch>,
) -> Result<Liabilities, LiabilitiesError> {
    match source {
        Source::Csv { path } => self::csv::parse_file_reporting(path, assets, progress, scratch),
        Source::Parquet { path } => {
            progress.start(Phase::Liabilities, None);
            self::parquet::read_path(path, assets, scratch)
        }
        Source::Postgres(pg) => {
            progress.start(Phase::Liabilities, None);
            self::postgres::read(pg, assets, as_of, scratch)
        }
    }
}

/// Where in its source a record is: a line of a text file, a row where there are no
/// lines, or the columns (header, schema) themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// 1-based line of a CSV file; 0 when the CSV reader could not tell.
    Line(u64),
    /// 1-based row of a Parquet file or of a query's result.
    Row(u64),
    /// The column names and types (a Parquet schema, a query's columns).
    Columns,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::Line(n) => write!(f, "line {n}"),
            Position::Row(n) => write!(f, "row {n}"),
            Position::Columns => write!(f, "the columns"),
        }
    }
}

/// Where in the input an error is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The liabilities file, as given, or the database (`postgres host:port/db`).
    pub file: String,
    /// The line, row or header of the fault.
    pub at: Position,
    /// The account's uid, for a fault in a row's balance where there is no line.
    pub uid: Option<Excerpt>,
    /// 1-based column and its name, when the error is about one field.
    pub column: Option<(usize, String)>,
}

impl Location {
    /// A location with no uid, boxed for [`LiabilitiesError::Invalid`].
    pub fn boxed(file: &str, at: Position, column: Option<(usize, String)>) -> Box<Location> {
        Box::new(Location {
            file: file.to_string(),
            at,
            uid: None,
            column,
        })
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.at {
            // `file:line:column (name)`, as editors and compilers write it.
            Position::Line(n) => {
                write!(f, "{}:{n}", self.file)?;
                if let Some((c, name)) = &self.column {
                    write!(f, ":{c} ({})", Excerpt::bare(name))?;
                }
                return Ok(());
            }
            Position::Row(n) => write!(f, "{}: row {n}", self.file)?,
            Position::Columns => write!(f, "{}", self.file)?,
        }
        if let Some(uid) = &self.uid {
            write!(f, ", uid {uid}")?;
        }
        if let Some((c, name)) = &self.column {
            let sep = if self.at == Position::Columns {
                ": "
            } else {
                ", "
            };
            write!(f, "{sep}column {c} ({})", Excerpt::bare(name))?;
        }
        Ok(())
    }
}

/// Why the liabilities were refused; nothing is published then.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LiabilitiesError {
    /// The file could not be opened or read (or decompressed, or decoded as Parquet).
    #[error("{file}: {message}")]
    Io {
        /// The liabilities file.
        file: String,
        /// The OS, decompression or Parquet error.
        message: String,
    },
    /// The database could not be reached, refused the login or the query, or the
    /// connection broke off before the last row.
    #[error("{database}: {message}")]
    Database {
        /// The server and database (`postgres host:port/db`), never a password.
        database: String,
        /// What went wrong, in one line.
        message: String,
    },
    /// The content is wrong at `at`.
    #[error("{at}: {kind}")]
    Invalid {
        /// File, line or row, column and field of the fault (boxed: errors stay small).
        at: Box<Location>,
        /// What is wrong there.
        kind: Problem,
    },
}

/// What is wrong at a location.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// The file is empty: no header line.
    #[error("empty file: expected a header `uid,<SYMBOL>,...`")]
    NoHeader,
    /// The header's first column is not `uid`.
    #[error("first column must be `uid`, found {0}")]
    FirstColumnNotUid(Excerpt),
    /// A header column names an asset that is not configured.
    #[error("column {0} is not a configured asset")]
    UnknownAsset(Excerpt),
    /// A header column appears twice.
    #[error("column {0} appears twice")]
    DuplicateColumn(Excerpt),
    /// A configured asset has no column in the header.
    #[error("configured asset {0} has no column")]
    MissingAsset(Excerpt),
    /// A header but no account rows.
    #[error("no accounts: the file has a header but no rows")]
    NoAccounts,
    /// A row's field count differs from the header's.
    #[error("row has {found} fields, the header has {expected}")]
    Ragged {
        /// Fields in this row.
        found: usize,
        /// Fields in the header.
        expected: usize,
    },
    /// A quoted field opens and is never closed on its line.
    #[error("unterminated quote: a quoted field runs on past the end of this line")]
    UnterminatedQuote,
    /// A row's uid is empty.
    #[error("empty uid")]
    EmptyUid,
    /// A uid longer than 128 bytes; carries its length in bytes.
    #[error("uid is {0} bytes, at most 128 allowed")]
    UidTooLong(usize),
    /// FORMAT.md §2: U+0000–U+001F and U+007F; `character` counts from 1.
    #[error(
        "uid {uid} contains control character {} (U+{:04X}) at character {character}",
        found.escape_debug(),
        u32::from(*found)
    )]
    ControlCharacter {
        /// The uid, quoted.
        uid: Excerpt,
        /// The control character found.
        found: char,
        /// Its 1-based position in the uid, in characters.
        character: u32,
    },
    /// A uid already seen on an earlier line or row.
    #[error(
        "duplicate uid {uid} (first on {first}{})",
        first_file.as_ref().map(|f| format!(" of {f}")).unwrap_or_default()
    )]
    DuplicateUid {
        /// The uid, quoted in at most 80 characters.
        uid: Excerpt,
        /// The line or row where it first appeared.
        first: Position,
        /// The file of the first one, when it is another part file.
        first_file: Option<String>,
    },
    /// A field is not valid UTF-8.
    #[error("invalid UTF-8")]
    InvalidUtf8,
    /// A balance is not an acceptable amount for its asset.
    #[error("{0}")]
    Amount(AmountError),
    /// An asset's column total would exceed 2^128 − 1 base units.
    #[error("total of {symbol} exceeds 2^128-1 base units")]
    TotalOverflow {
        /// The asset whose total overflows.
        symbol: String,
    },
    /// The CSV reader refused the record.
    #[error("malformed CSV: {0}")]
    Csv(Excerpt),
    /// More than 2^32 − 1 account rows.
    #[error("too many accounts: at most 2^32-1")]
    TooMany,
    /// A table has no `uid` column.
    #[error("no `uid` column")]
    NoUidColumn,
    /// A Parquet file or a query with no rows at all.
    #[error("no accounts: no rows")]
    NoRows,
    /// A uid or a balance is NULL.
    #[error("NULL value")]
    Null,
    /// A column's type cannot hold what it must (a uid, an exact amount).
    #[error("column type {found}, expected {expected}")]
    ColumnType {
        /// The column's type, as the source names it.
        found: String,
        /// What the column may be.
        expected: &'static str,
    },
    /// A decimal column's scale is more than the asset's decimals: its values could
    /// not all be base units.
    #[error("DECIMAL scale {scale} is more than the asset's {decimals} decimals")]
    ScaleAboveDecimals {
        /// The column's scale.
        scale: i32,
        /// The asset's decimals.
        decimals: u8,
    },
}

/// Rows in memory: one uid arena and the balances, row after row.
#[derive(Debug, Default)]
pub struct Block {
    uid_bytes: Vec<u8>,
    /// End offset of each row's uid in `uid_bytes`.
    uid_ends: Vec<u64>,
    /// Row-major balances in configured asset order, each column in the fewest bytes
    /// its values need.
    cells: cells::Cells,
}

impl Block {
    /// No rows, of `k` balances each.
    fn new(k: usize) -> Block {
        Block {
            uid_bytes: Vec::new(),
            uid_ends: Vec::new(),
            cells: cells::Cells::new(k),
        }
    }

    fn len(&self) -> usize {
        self.uid_ends.len()
    }

    /// Bytes the rows take.
    fn bytes(&self) -> usize {
        self.uid_bytes.len() + 8 * self.uid_ends.len() + self.cells.heap_bytes()
    }

    /// The uid of row `row` of the block. Panics if out of range.
    #[inline]
    fn uid(&self, row: usize) -> &[u8] {
        let start = if row == 0 {
            0
        } else {
            self.uid_ends[row - 1] as usize
        };
        &self.uid_bytes[start..self.uid_ends[row] as usize]
    }

    /// Empties the block, keeping the balances' widths and the room.
    fn clear(&mut self) {
        self.uid_bytes.clear();
        self.uid_ends.clear();
        self.cells.clear();
    }
}

/// Parsed, validated liabilities: the rows in memory, or, past the [`Scratch`]
/// budget, in a scratch file ([`spill`]).
pub struct Liabilities {
    /// The configured assets, in configured order (not the file's column order).
    pub assets: Vec<AssetInfo>,
    /// Every row, unless they were spilled.
    block: Block,
    /// The rows written to disk (then `block` is empty).
    spill: Option<spill::Spill>,
    /// Per-asset column totals, in base units, in the order of `assets`.
    pub totals: Vec<Amount>,
    /// `(uid_key, row)` sorted: duplicate detection, then the proof store's index.
    pub uid_index: Vec<(u64, u32)>,
}

impl Liabilities {
    /// Number of accounts (rows).
    pub fn len(&self) -> usize {
        match &self.spill {
            Some(s) => s.rows(),
            None => self.block.len(),
        }
    }

    /// No accounts; never true of read liabilities, which refuse [`Problem::NoAccounts`]
    /// and [`Problem::NoRows`].
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the rows are in a scratch file rather than in memory.
    pub fn is_spilled(&self) -> bool {
        self.spill.is_some()
    }

    /// Calls `f(row, uid, balances)` for the accounts `lo..hi` (0-based, in source
    /// order), in order: from memory, or a segment at a time from the scratch file.
    pub fn for_each(
        &self,
        lo: usize,
        hi: usize,
        mut f: impl FnMut(usize, &[u8], &[u128]),
    ) -> Result<(), LiabilitiesError> {
        let k = self.assets.len();
        match &self.spill {
            Some(s) => s.for_each(lo, hi, k, f),
            None => {
                let mut balances = vec![0u128; k];
                for r in lo..hi.min(self.block.len()) {
                    self.block.cells.get(r, &mut balances);
                    f(r, self.block.uid(r), &balances);
                }
                Ok(())
            }
        }
    }

    /// The uid of account `row`. Panics if `row` is out of range.
    pub fn uid_of(&self, row: usize) -> Result<Vec<u8>, LiabilitiesError> {
        let mut uid = None;
        self.for_each(row, row + 1, |_, u, _| uid = Some(u.to_vec()))?;
        Ok(uid.unwrap_or_else(|| panic!("row {row} of {}", self.len())))
    }

    /// The balances of account `row` in base units, one per asset of `assets`.
    /// Panics if `row` is out of range.
    pub fn balances_of(&self, row: usize) -> Result<Vec<u128>, LiabilitiesError> {
        let mut out = None;
        self.for_each(row, row + 1, |_, _, b| out = Some(b.to_vec()))?;
        Ok(out.unwrap_or_else(|| panic!("row {row} of {}", self.len())))
    }

    /// Loads the start of account `row`'s uid and balances into the cache, so that a
    /// loop over rows in a random order can have several of them in flight (rows in
    /// memory only; a no-op for spilled rows).
    #[inline]
    pub fn touch(&self, row: usize) -> u8 {
        if self.spill.is_some() {
            return 0;
        }
        let end = self.block.uid_ends[row] as usize;
        self.block.uid_bytes[end - 1] ^ self.block.cells.touch(row)
    }

    /// Bytes each asset's balances take (the widest, for spilled rows).
    pub fn balance_widths(&self) -> &[u8] {
        match &self.spill {
            Some(s) => s.widths(),
            None => self.block.cells.widths(),
        }
    }
}
