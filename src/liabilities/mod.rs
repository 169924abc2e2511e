//! The exchange's liabilities export: a CSV (RFC 4180, UTF-8) with header
//! `uid,<SYMBOL>,...` naming exactly the configured assets in any order, one row per
//! account, amounts as human decimals. Parsed into columnar memory (one uid arena,
//! one row-major `u128` balance array) with every refusal of the core issue reported
//! as one line naming file, line and column.
//!
//! Hot path: one reused `ByteRecord`, amounts parsed from bytes straight into base
//! units, per-asset totals checked as rows arrive. Duplicate uids are found by sorting
//! `(uid_key, row)` pairs, which is also the proof store's index.

use crate::amount::{Amount, AmountError};
use crate::excerpt::Excerpt;
use crate::format::AssetInfo;
use crate::tree::store::uid_key;
use rayon::prelude::*;
use std::fmt;
use std::io::Read;
use std::path::Path;

/// Where in the input an error is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The liabilities file, as given.
    pub file: String,
    /// 1-based line in the file; 0 when the CSV reader could not tell.
    pub line: u64,
    /// 1-based column and its header name, when the error is about one field.
    pub column: Option<(usize, String)>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)?;
        if let Some((c, name)) = &self.column {
            write!(f, ":{c} ({})", Excerpt::bare(name))?;
        }
        Ok(())
    }
}

/// Why a liabilities file was refused; nothing is published then.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LiabilitiesError {
    /// The file could not be opened or read.
    #[error("{file}: {message}")]
    Io {
        /// The liabilities file.
        file: String,
        /// The OS error.
        message: String,
    },
    /// The content is wrong at `at`.
    #[error("{at}: {kind}")]
    Invalid {
        /// File, line, column and field of the fault.
        at: Location,
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
    /// A uid already seen on an earlier line.
    #[error("duplicate uid {uid} (first on line {first_line})")]
    DuplicateUid {
        /// The uid, quoted in at most 80 characters.
        uid: Excerpt,
        /// The line where it first appeared.
        first_line: u64,
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
}

/// Whether a field of a ragged record holds a line break: the CSV reader only puts one
/// there inside quotes, so an opening quote without its closing one swallowed the rest
/// of the file (no field of these files may span lines).
fn runs_past_its_line(rec: &csv::ByteRecord) -> bool {
    rec.iter().any(|f| f.contains(&b'\n') || f.contains(&b'\r'))
}

/// Parsed, validated liabilities.
pub struct Liabilities {
    /// The configured assets, in configured order (not the file's column order).
    pub assets: Vec<AssetInfo>,
    uid_bytes: Vec<u8>,
    /// End offset of each row's uid in `uid_bytes`.
    uid_ends: Vec<u64>,
    /// Row-major balances in configured asset order: row `r` is `[r*K .. r*K+K]`.
    balances: Vec<u128>,
    /// Per-asset column totals, in base units, in the order of `assets`.
    pub totals: Vec<Amount>,
    /// `(uid_key, row)` sorted: duplicate detection, then the proof store's index.
    pub uid_index: Vec<(u64, u32)>,
}

impl Liabilities {
    /// Number of accounts (rows).
    pub fn len(&self) -> usize {
        self.uid_ends.len()
    }

    /// No accounts; never true of a parsed file, which refuses [`Problem::NoAccounts`].
    pub fn is_empty(&self) -> bool {
        self.uid_ends.is_empty()
    }

    /// The uid bytes of account `row` (0-based, in file order).
    /// Panics if `row` is out of range.
    pub fn uid(&self, row: usize) -> &[u8] {
        let start = if row == 0 {
            0
        } else {
            self.uid_ends[row - 1] as usize
        };
        &self.uid_bytes[start..self.uid_ends[row] as usize]
    }

    /// The balances of account `row` in base units, one per asset of `assets`.
    /// Panics if `row` is out of range.
    pub fn balances(&self, row: usize) -> &[u128] {
        let k = self.assets.len();
        &self.balances[row * k..(row + 1) * k]
    }

    /// The uid arena: concatenated uid bytes and each row's end offset.
    pub fn uid_arena(&self) -> (&[u8], &[u64]) {
        (&self.uid_bytes, &self.uid_ends)
    }

    /// Frees the row-major balances once the leaves hold them.
    pub fn drop_balances(&mut self) {
        self.balances = Vec::new();
    }
}

/// Parses and validates a liabilities file.
pub fn parse_file(path: &Path, assets: &[AssetInfo]) -> Result<Liabilities, LiabilitiesError> {
    let name = path.display().to_string();
    let f = std::fs::File::open(path).map_err(|e| LiabilitiesError::Io {
        file: name.clone(),
        message: e.to_string(),
    })?;
    parse_reader(std::io::BufReader::with_capacity(1 << 20, f), &name, assets)
}

/// Parses and validates liabilities from `reader`; `file` names it in errors.
pub fn parse_reader<R: Read>(
    reader: R,
    file: &str,
    assets: &[AssetInfo],
) -> Result<Liabilities, LiabilitiesError> {
    let invalid =
        |line: u64, column: Option<(usize, String)>, kind: Problem| LiabilitiesError::Invalid {
            at: Location {
                file: file.to_string(),
                line,
                column,
            },
            kind,
        };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);
    let mut rec = csv::ByteRecord::new();
    let csv_err = |e: csv::Error| match e.kind() {
        csv::ErrorKind::Io(io) => LiabilitiesError::Io {
            file: file.to_string(),
            message: io.to_string(),
        },
        _ => invalid(
            e.position().map(|p| p.line()).unwrap_or(0),
            None,
            Problem::Csv(Excerpt::message(e.to_string())),
        ),
    };

    // Header.
    if !rdr.read_byte_record(&mut rec).map_err(csv_err)? {
        return Err(invalid(1, None, Problem::NoHeader));
    }
    let header_line = rec.position().map(|p| p.line()).unwrap_or(1);
    let mut names = Vec::with_capacity(rec.len());
    for (i, field) in rec.iter().enumerate() {
        let field = if i == 0 {
            field.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(field)
        } else {
            field
        };
        let s = std::str::from_utf8(field).map_err(|_| {
            invalid(
                header_line,
                Some((i + 1, "header".into())),
                Problem::InvalidUtf8,
            )
        })?;
        names.push(s.trim().to_string());
    }
    if names.first().map(String::as_str) != Some("uid") {
        let found = names.first().cloned().unwrap_or_default();
        return Err(invalid(
            header_line,
            Some((1, found.clone())),
            Problem::FirstColumnNotUid(Excerpt::quoted(found)),
        ));
    }
    // Column i (1-based, after uid) → configured asset index.
    let mut col_asset = Vec::with_capacity(names.len() - 1);
    let mut seen = vec![false; assets.len()];
    for (i, name) in names.iter().enumerate().skip(1) {
        let col = Some((i + 1, name.clone()));
        let Some(a) = assets.iter().position(|a| a.symbol == *name) else {
            if names[1..i].contains(name) || name == "uid" {
                return Err(invalid(
                    header_line,
                    col,
                    Problem::DuplicateColumn(Excerpt::quoted(name)),
                ));
            }
            return Err(invalid(
                header_line,
                col,
                Problem::UnknownAsset(Excerpt::quoted(name)),
            ));
        };
        if seen[a] {
            return Err(invalid(
                header_line,
                col,
                Problem::DuplicateColumn(Excerpt::quoted(name)),
            ));
        }
        seen[a] = true;
        col_asset.push(a);
    }
    if let Some(a) = seen.iter().position(|s| !s) {
        return Err(invalid(
            header_line,
            None,
            Problem::MissingAsset(Excerpt::quoted(&assets[a].symbol)),
        ));
    }

    let k = assets.len();
    let width = names.len();
    let mut uid_bytes = Vec::new();
    let mut uid_ends: Vec<u64> = Vec::new();
    let mut lines: Vec<u64> = Vec::new();
    let mut balances: Vec<u128> = Vec::new();
    let mut totals = vec![0u128; k];
    let mut row_bal = vec![0u128; k];
    while rdr.read_byte_record(&mut rec).map_err(csv_err)? {
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        if rec.len() != width {
            // A blank line is not an account row; anything else ragged is an error.
            if rec.len() == 1 && rec[0].is_empty() {
                continue;
            }
            let problem = if runs_past_its_line(&rec) {
                Problem::UnterminatedQuote
            } else {
                Problem::Ragged {
                    found: rec.len(),
                    expected: width,
                }
            };
            return Err(invalid(line, None, problem));
        }
        let uid = &rec[0];
        let ucol = || Some((1, "uid".to_string()));
        if std::str::from_utf8(uid).is_err() {
            return Err(invalid(line, ucol(), Problem::InvalidUtf8));
        }
        if uid.is_empty() {
            return Err(invalid(line, ucol(), Problem::EmptyUid));
        }
        if uid.len() > 128 {
            return Err(invalid(line, ucol(), Problem::UidTooLong(uid.len())));
        }
        if let Some(i) = uid.iter().position(u8::is_ascii_control) {
            // An ASCII byte is never inside a multi-byte UTF-8 sequence.
            // A uid is at most 128 bytes here, so the count fits.
            let before = uid[..i].iter().filter(|&&b| b & 0xC0 != 0x80).count();
            let character = 1 + before as u32;
            return Err(invalid(
                line,
                ucol(),
                Problem::ControlCharacter {
                    uid: Excerpt::quoted(uid),
                    found: char::from(uid[i]),
                    character,
                },
            ));
        }
        for (i, &a) in col_asset.iter().enumerate() {
            let field = &rec[i + 1];
            let col = || Some((i + 2, assets[a].symbol.clone()));
            if std::str::from_utf8(field).is_err() {
                return Err(invalid(line, col(), Problem::InvalidUtf8));
            }
            let v = Amount::parse_decimal_bytes(field, assets[a].decimals)
                .map_err(|e| invalid(line, col(), Problem::Amount(e)))?;
            totals[a] = totals[a].checked_add(v.0).ok_or_else(|| {
                invalid(
                    line,
                    col(),
                    Problem::TotalOverflow {
                        symbol: assets[a].symbol.clone(),
                    },
                )
            })?;
            row_bal[a] = v.0;
        }
        if uid_ends.len() >= u32::MAX as usize {
            return Err(invalid(line, None, Problem::TooMany));
        }
        uid_bytes.extend_from_slice(uid);
        uid_ends.push(uid_bytes.len() as u64);
        lines.push(line);
        balances.extend_from_slice(&row_bal);
    }
    if uid_ends.is_empty() {
        return Err(invalid(header_line, None, Problem::NoAccounts));
    }
    let mut liabilities = Liabilities {
        assets: assets.to_vec(),
        uid_bytes,
        uid_ends,
        balances,
        totals: totals.into_iter().map(Amount).collect(),
        uid_index: Vec::new(),
    };
    liabilities.uid_index = sorted_uid_index(&liabilities);
    if let Some((first, dup)) = first_duplicate(&liabilities) {
        let uid = Excerpt::quoted(liabilities.uid(dup));
        return Err(invalid(
            lines[dup],
            Some((1, "uid".into())),
            Problem::DuplicateUid {
                uid,
                first_line: lines[first],
            },
        ));
    }
    Ok(liabilities)
}

fn sorted_uid_index(l: &Liabilities) -> Vec<(u64, u32)> {
    let mut idx: Vec<(u64, u32)> = (0..l.len())
        .into_par_iter()
        .with_min_len(4096)
        .map(|r| (uid_key(l.uid(r)), r as u32))
        .collect();
    idx.par_sort_unstable();
    idx
}

/// The duplicate whose second occurrence comes first in the file, as `(first, second)` rows.
fn first_duplicate(l: &Liabilities) -> Option<(usize, usize)> {
    let idx = &l.uid_index;
    let mut best: Option<(usize, usize)> = None;
    let mut i = 0;
    while i < idx.len() {
        let mut j = i + 1;
        while j < idx.len() && idx[j].0 == idx[i].0 {
            j += 1;
        }
        // Rows within a run of equal keys are ascending (sorted by (key, row)).
        for a in i..j {
            for b in a + 1..j {
                let (ra, rb) = (idx[a].1 as usize, idx[b].1 as usize);
                if l.uid(ra) == l.uid(rb) && best.is_none_or(|(_, s)| rb < s) {
                    best = Some((ra, rb));
                }
            }
        }
        i = j;
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assets() -> Vec<AssetInfo> {
        vec![AssetInfo {
            symbol: "BTC".into(),
            decimals: 8,
        }]
    }

    fn parse(text: &[u8]) -> Result<Liabilities, LiabilitiesError> {
        parse_reader(text, "l.csv", &assets())
    }

    /// FORMAT.md §2: every one of U+0000–U+001F and U+007F, anywhere in a uid, quoted
    /// or not, is refused with its escape and its character position.
    #[test]
    fn every_control_character_is_refused_where_it_is() {
        for b in (0u8..=0x1f).chain([0x7f]) {
            let c = char::from(b);
            for (uid, character) in [
                (format!("{c}ab"), 1),
                (format!("a{c}b"), 2),
                (format!("ab{c}"), 3),
                (format!("çé{c}"), 3),
            ] {
                let quoted = format!("\"{}\"", uid.replace('"', "\"\""));
                let text = format!("uid,BTC\nok,1\n{quoted},1\n");
                let e = parse(text.as_bytes()).err().expect("refused");
                let want = format!(
                    "l.csv:3:1 (uid): uid {uid:?} contains control character {} (U+{:04X}) at character {character}",
                    c.escape_debug(),
                    b
                );
                assert_eq!(e.to_string(), want, "{uid:?}");
                assert!(!e.to_string().contains(['\n', '\r', '\0']));
            }
        }
    }

    #[test]
    fn other_characters_are_kept_as_exported() {
        // C1 controls and other Unicode are not in §2's list: hashed as exported.
        let l = parse("uid,BTC\n\"a\u{85}b\",1\n\" sp ace \",2\nü,3\n".as_bytes()).unwrap();
        assert_eq!(l.uid(0), "a\u{85}b".as_bytes());
        assert_eq!(l.uid(1), b" sp ace ");
        assert_eq!(l.uid(2), "ü".as_bytes());
    }

    #[test]
    fn huge_fields_are_quoted_in_80_characters() {
        let big = "9".repeat(10 << 20);
        let e = parse(format!("uid,BTC\nu,{big}\n").as_bytes())
            .err()
            .unwrap()
            .to_string();
        assert_eq!(
            e,
            format!(
                "l.csv:2:2 (BTC): \"{}…\" (10485760 bytes) exceeds 2^128-1 base units",
                &big[..80]
            )
        );
        let e = parse(format!("{big},BTC\nu,1\n").as_bytes())
            .err()
            .unwrap()
            .to_string();
        assert_eq!(
            e,
            format!(
                "l.csv:1:1 ({0}… (10485760 bytes)): first column must be `uid`, found \"{0}…\" (10485760 bytes)",
                &big[..80]
            )
        );
    }
}
