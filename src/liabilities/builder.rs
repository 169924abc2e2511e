//! The validation every source shares: the column names mapped onto the configured
//! assets, each account's uid checked (FORMAT.md §2), its balances added to checked
//! per-asset totals, the rows gathered into [`Liabilities`], and duplicate uids found
//! by sorting `(uid_key, row)` pairs, which is also the proof store's index.
//!
//! A source reads its records and hands each field over; the [`Builder`] answers with a
//! [`Problem`] and the source puts its own location (line, row, uid) on it. So a fault
//! reads the same whichever source it came from.

use super::spill::{Scratch, Spill};
use super::{Block, Liabilities, LiabilitiesError, Location, Position, Problem};
use crate::amount::Amount;
use crate::excerpt::Excerpt;
use crate::format::AssetInfo;
use crate::tree::store::uid_key;
use rayon::prelude::*;

/// Maps column names (the first must be `uid`) onto configured assets: for each column
/// after the uid, the index of its asset. Every configured asset needs exactly one
/// column; the error carries the 0-based column it is about (`None`: no one column).
pub fn map_columns<S: AsRef<str>>(
    names: &[S],
    assets: &[AssetInfo],
) -> Result<Vec<usize>, (Option<usize>, Problem)> {
    let names: Vec<&str> = names.iter().map(AsRef::as_ref).collect();
    if names.first() != Some(&"uid") {
        let found = names.first().copied().unwrap_or_default();
        return Err((Some(0), Problem::FirstColumnNotUid(Excerpt::quoted(found))));
    }
    let mut col_asset = Vec::with_capacity(names.len() - 1);
    let mut seen = vec![false; assets.len()];
    for (i, &name) in names.iter().enumerate().skip(1) {
        let Some(a) = assets.iter().position(|a| a.symbol == name) else {
            let problem = if names[1..i].contains(&name) || name == "uid" {
                Problem::DuplicateColumn(Excerpt::quoted(name))
            } else {
                Problem::UnknownAsset(Excerpt::quoted(name))
            };
            return Err((Some(i), problem));
        };
        if seen[a] {
            return Err((Some(i), Problem::DuplicateColumn(Excerpt::quoted(name))));
        }
        seen[a] = true;
        col_asset.push(a);
    }
    if let Some(a) = seen.iter().position(|s| !s) {
        return Err((
            None,
            Problem::MissingAsset(Excerpt::quoted(&assets[a].symbol)),
        ));
    }
    Ok(col_asset)
}

/// Checks a uid: UTF-8, 1 to 128 bytes, no control character (FORMAT.md §2).
pub fn check_uid(uid: &[u8]) -> Result<(), Problem> {
    if std::str::from_utf8(uid).is_err() {
        return Err(Problem::InvalidUtf8);
    }
    if uid.is_empty() {
        return Err(Problem::EmptyUid);
    }
    if uid.len() > 128 {
        return Err(Problem::UidTooLong(uid.len()));
    }
    if let Some(i) = uid.iter().position(u8::is_ascii_control) {
        // An ASCII byte is never inside a multi-byte UTF-8 sequence.
        // A uid is at most 128 bytes here, so the count fits.
        let before = uid[..i].iter().filter(|&&b| b & 0xC0 != 0x80).count();
        return Err(Problem::ControlCharacter {
            uid: Excerpt::quoted(uid),
            found: char::from(uid[i]),
            character: 1 + before as u32,
        });
    }
    Ok(())
}

/// One file (or the one database) the rows came from, from account `first` on.
struct Part {
    first: usize,
    file: String,
}

/// Gathers validated accounts into [`Liabilities`].
pub struct Builder<'a> {
    assets: &'a [AssetInfo],
    /// The rows not written to the scratch file.
    block: Block,
    /// The line or row of each account in its part, kept sparse: from account `.0` on,
    /// account `r` is at position `r + .1` (a new entry only where that changes: a
    /// blank line, a new part).
    positions: Positions,
    /// Whether positions are lines (CSV) or rows.
    lines: bool,
    parts: Vec<Part>,
    totals: Vec<u128>,
    row: Vec<u128>,
    /// Where rows go past the memory budget, once [`Builder::spill_to`] was called.
    scratch: Option<Scratch>,
    /// Rows written out so far, and the uid index of those rows.
    spill: Option<(Spill, Vec<(u64, u32)>)>,
    /// A failed write to the scratch file, reported by [`Builder::finish`].
    spill_error: Option<LiabilitiesError>,
}

/// Where each account came from, as runs of consecutive lines or rows.
#[derive(Default)]
struct Positions(Vec<(usize, u64)>);

impl Positions {
    /// Account `r` is at `position`.
    #[inline]
    fn push(&mut self, r: usize, position: u64) {
        let delta = position.wrapping_sub(r as u64);
        if self.0.last().is_none_or(|&(_, d)| d != delta) {
            self.0.push((r, delta));
        }
    }

    /// The position of account `r`.
    fn get(&self, r: usize) -> u64 {
        let i = self.0.partition_point(|&(first, _)| first <= r) - 1;
        (r as u64).wrapping_add(self.0[i].1)
    }
}

impl<'a> Builder<'a> {
    /// An empty set of accounts of `assets`; positions are lines when `lines`, else rows.
    pub fn new(assets: &'a [AssetInfo], lines: bool) -> Builder<'a> {
        Builder {
            assets,
            block: Block::new(assets.len()),
            positions: Positions::default(),
            lines,
            parts: Vec::new(),
            totals: vec![0; assets.len()],
            row: vec![0; assets.len()],
            scratch: None,
            spill: None,
            spill_error: None,
        }
    }

    /// Past `scratch.budget` bytes of rows in memory, writes the rows to a scratch
    /// file in `scratch.dir` (then a segment at a time).
    pub fn spill_to(&mut self, scratch: &Scratch) {
        self.scratch = Some(scratch.clone());
    }

    /// Makes room for `rows` more accounts whose uids take about `uid_bytes` bytes, so
    /// a reader that knows its row count grows each buffer once.
    pub fn reserve(&mut self, rows: usize, uid_bytes: usize) {
        let rows = match (&self.scratch, &self.spill) {
            (Some(s), Some(_)) => rows.min(s.segment_rows),
            _ => rows,
        };
        self.block.uid_bytes.reserve(uid_bytes.min(rows * 128));
        self.block.uid_ends.reserve(rows);
        self.block.cells.reserve(rows);
    }

    /// Writes the rows in memory out when they pass the budget (a segment's worth once
    /// some are out).
    #[inline]
    fn check_budget(&mut self) {
        let Some(scratch) = &self.scratch else {
            return;
        };
        let full = match &self.spill {
            None => self.block.bytes() > scratch.budget,
            Some(_) => self.block.len() >= scratch.segment_rows,
        };
        if full && self.spill_error.is_none() {
            self.spill_error = self.write_out().err();
        }
    }

    /// Writes every row in memory to the scratch file, with their uid index entries.
    fn write_out(&mut self) -> Result<(), LiabilitiesError> {
        if self.spill.is_none() {
            let scratch = self.scratch.as_ref().expect("a scratch folder");
            self.spill = Some((Spill::create(scratch, self.assets.len())?, Vec::new()));
        }
        let (spill, index) = self.spill.as_mut().expect("created");
        let first = spill.rows();
        let block = &self.block;
        index.par_extend(
            (0..block.len())
                .into_par_iter()
                .with_min_len(4096)
                .map(|r| (uid_key(block.uid(r)), (first + r) as u32)),
        );
        spill.write(block)?;
        self.block.clear();
        Ok(())
    }

    /// The accounts that follow come from `file`.
    pub fn part(&mut self, file: &str) {
        self.parts.push(Part {
            first: self.len(),
            file: file.to_string(),
        });
    }

    /// Accounts so far.
    pub fn len(&self) -> usize {
        self.spill.as_ref().map_or(0, |(s, _)| s.rows()) + self.block.len()
    }

    /// No accounts so far.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The configured assets, in order.
    pub fn assets(&self) -> &'a [AssetInfo] {
        self.assets
    }

    /// The asset of index `a`.
    pub fn asset(&self, a: usize) -> &AssetInfo {
        &self.assets[a]
    }

    /// Sets the current row's balance of asset `a` and adds it to the asset's total.
    #[inline]
    pub fn amount(&mut self, a: usize, v: u128) -> Result<(), Problem> {
        self.totals[a] = self.totals[a]
            .checked_add(v)
            .ok_or_else(|| Problem::TotalOverflow {
                symbol: self.assets[a].symbol.clone(),
            })?;
        self.row[a] = v;
        Ok(())
    }

    /// Parses a human decimal (`12.5`) for asset `a` and sets it.
    #[inline]
    pub fn decimal(&mut self, a: usize, field: &[u8]) -> Result<(), Problem> {
        let v =
            Amount::parse_decimal_bytes(field, self.assets[a].decimals).map_err(Problem::Amount)?;
        self.amount(a, v.base_units())
    }

    /// Ends the current row: its uid (already checked with [`check_uid`]) and the
    /// balances set since the last row, at line or row `position` of the current part.
    #[inline]
    pub fn push(&mut self, uid: &[u8], position: u64) -> Result<(), Problem> {
        let n = self.len();
        if n >= u32::MAX as usize {
            return Err(Problem::TooMany);
        }
        self.positions.push(n, position);
        let b = &mut self.block;
        b.uid_bytes.extend_from_slice(uid);
        b.uid_ends.push(b.uid_bytes.len() as u64);
        b.cells.push(&self.row);
        self.check_budget();
        Ok(())
    }

    /// Appends the rows of `next`, read from the piece of the current part that follows
    /// (a parallel reader's chunk), its positions shifted by `position_offset`; its
    /// totals are added, checked.
    pub fn append(&mut self, next: Builder<'a>, position_offset: u64) -> Result<(), Problem> {
        debug_assert!(next.spill.is_none(), "a piece is held in memory");
        if self.len() + next.len() > u32::MAX as usize {
            return Err(Problem::TooMany);
        }
        for (a, t) in next.totals.iter().enumerate() {
            self.totals[a] =
                self.totals[a]
                    .checked_add(*t)
                    .ok_or_else(|| Problem::TotalOverflow {
                        symbol: self.assets[a].symbol.clone(),
                    })?;
        }
        let first = self.len();
        for &(r, delta) in &next.positions.0 {
            let p = (r as u64).wrapping_add(delta) + position_offset;
            self.positions.push(first + r, p);
        }
        let b = &mut self.block;
        let base = b.uid_bytes.len() as u64;
        b.uid_bytes.extend_from_slice(&next.block.uid_bytes);
        b.uid_ends
            .extend(next.block.uid_ends.iter().map(|e| e + base));
        b.cells.append(&next.block.cells);
        self.check_budget();
        Ok(())
    }

    /// The finished liabilities; `empty` is the error when there are no accounts. The
    /// duplicate whose second occurrence comes first is refused at that occurrence.
    pub fn finish(
        mut self,
        empty: impl FnOnce() -> LiabilitiesError,
    ) -> Result<Liabilities, LiabilitiesError> {
        if let Some(e) = self.spill_error.take() {
            return Err(e);
        }
        if self.spill.is_some() {
            // The rest of the rows go out too: every row is then in the file.
            self.write_out()?;
        }
        let Builder {
            assets,
            block,
            positions,
            lines,
            parts,
            totals,
            row: _,
            scratch: _,
            spill,
            spill_error: _,
        } = self;
        let (spill, uid_index) = match spill {
            None if block.len() == 0 => return Err(empty()),
            None => (None, Vec::new()),
            Some((spill, mut index)) => {
                index.par_sort_unstable();
                (Some(spill), index)
            }
        };
        // Spilled: the emptied block's room (up to the budget) is given back.
        let block = if spill.is_some() {
            Block::default()
        } else {
            block
        };
        let mut liabilities = Liabilities {
            assets: assets.to_vec(),
            block,
            spill,
            totals: totals.into_iter().map(Amount::from_base_units).collect(),
            uid_index,
        };
        if liabilities.spill.is_none() {
            liabilities.uid_index = sorted_uid_index(&liabilities.block);
        }
        let Some((first, dup)) = first_duplicate(&liabilities)? else {
            return Ok(liabilities);
        };
        let (first_part, dup_part) = (part_of(&parts, first), part_of(&parts, dup));
        let file = |p: Option<usize>| p.map(|i| parts[i].file.clone()).unwrap_or_default();
        let at = |row: usize| {
            if lines {
                Position::Line(positions.get(row))
            } else {
                Position::Row(positions.get(row))
            }
        };
        Err(LiabilitiesError::Invalid {
            at: Location::boxed(&file(dup_part), at(dup), Some((1, "uid".into()))),
            kind: Problem::DuplicateUid {
                uid: Excerpt::quoted(&liabilities.uid_of(dup)?),
                first: at(first),
                first_file: (first_part != dup_part).then(|| file(first_part)),
            },
        })
    }
}

/// The part (index into `parts`) account `row` came from.
fn part_of(parts: &[Part], row: usize) -> Option<usize> {
    parts.partition_point(|p| p.first <= row).checked_sub(1)
}

fn sorted_uid_index(block: &Block) -> Vec<(u64, u32)> {
    let mut idx: Vec<(u64, u32)> = (0..block.len())
        .into_par_iter()
        .with_min_len(4096)
        .map(|r| (uid_key(block.uid(r)), r as u32))
        .collect();
    idx.par_sort_unstable();
    idx
}

/// The duplicate whose second occurrence comes first in the input, as `(first, second)`
/// rows.
fn first_duplicate(l: &Liabilities) -> Result<Option<(usize, usize)>, LiabilitiesError> {
    let idx = &l.uid_index;
    // On all cores first: almost every file has no two uids with one key.
    if !idx
        .par_windows(2)
        .with_min_len(1 << 16)
        .any(|w| w[0].0 == w[1].0)
    {
        return Ok(None);
    }
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
                if best.is_none_or(|(_, s)| rb < s) && l.uid_of(ra)? == l.uid_of(rb)? {
                    best = Some((ra, rb));
                }
            }
        }
        i = j;
    }
    Ok(best)
}
