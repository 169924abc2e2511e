//! Balances stored in the fewest bytes they need: each asset column has a width (0 to
//! 16 bytes, that of its largest value so far), and a row is its columns' values
//! little-endian at those widths, one after the other. At 10^7 accounts × 4 assets of
//! balances below 2^48 that is 240 MB instead of 640 MB of `u128`.
//!
//! A value wider than its column widens the column: every row so far is re-encoded
//! once at the new widths. Widths only grow and a column has at most 16, so a file is
//! re-encoded at most 16 times per column, in practice within its first rows.

/// Row-major balances at per-column byte widths.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cells {
    /// Bytes of each column (0: all values so far are zero).
    widths: Vec<u8>,
    /// Offset of each column within a row.
    offsets: Vec<usize>,
    /// Bytes per row: the sum of the widths.
    stride: usize,
    bytes: Vec<u8>,
    rows: usize,
}

/// Bytes `v` needs, little-endian without its high zero bytes.
#[inline]
fn width_of(v: u128) -> u8 {
    (16 - v.leading_zeros() / 8) as u8
}

impl Cells {
    /// No rows of `k` columns.
    pub fn new(k: usize) -> Cells {
        Cells {
            widths: vec![0; k],
            offsets: vec![0; k],
            stride: 0,
            bytes: Vec::new(),
            rows: 0,
        }
    }

    /// Rows stored.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// No rows.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Bytes each column's values take.
    pub fn widths(&self) -> &[u8] {
        &self.widths
    }

    /// Bytes per row.
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// The rows' bytes, row after row at [`Cells::stride`] bytes each.
    pub fn raw(&self) -> &[u8] {
        &self.bytes
    }

    /// `rows` rows of `bytes` ([`Cells::raw`]) at `widths`.
    pub fn from_raw(widths: Vec<u8>, bytes: Vec<u8>, rows: usize) -> Cells {
        let mut c = Cells::new(widths.len());
        c.widen(&widths);
        debug_assert_eq!(bytes.len(), rows * c.stride);
        c.bytes = bytes;
        c.rows = rows;
        c
    }

    /// No rows any more, the widths and the room kept.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.rows = 0;
    }

    /// Bytes held for the rows (not the spare capacity).
    pub fn heap_bytes(&self) -> usize {
        self.bytes.len()
    }

    /// Makes room for `rows` more rows at the current widths (or 8 bytes a column
    /// before the first row): capacity only, no page is touched until written.
    pub fn reserve(&mut self, rows: usize) {
        let stride = if self.rows == 0 {
            self.stride.max(8 * self.widths.len())
        } else {
            self.stride
        };
        self.bytes.reserve(rows * stride);
    }

    /// Re-encodes every row at column widths `widths` (each at least the current one).
    fn widen(&mut self, widths: &[u8]) {
        let offsets: Vec<usize> = widths
            .iter()
            .scan(0usize, |o, &w| {
                let at = *o;
                *o += usize::from(w);
                Some(at)
            })
            .collect();
        let stride: usize = widths.iter().map(|&w| usize::from(w)).sum();
        // Keep the room reserved for rows (none can be told while the stride is 0).
        let room = self
            .bytes
            .capacity()
            .checked_div(self.stride)
            .unwrap_or(0)
            .max(self.rows);
        let mut bytes = Vec::with_capacity(room * stride);
        bytes.resize(self.rows * stride, 0);
        for r in 0..self.rows {
            let src = &self.bytes[r * self.stride..(r + 1) * self.stride];
            let dst = &mut bytes[r * stride..(r + 1) * stride];
            for c in 0..widths.len() {
                let w = usize::from(self.widths[c]);
                dst[offsets[c]..offsets[c] + w]
                    .copy_from_slice(&src[self.offsets[c]..self.offsets[c] + w]);
            }
        }
        self.widths = widths.to_vec();
        self.offsets = offsets;
        self.stride = stride;
        self.bytes = bytes;
    }

    /// Widens the columns where `need` is wider than the current width.
    fn fit(&mut self, need: &[u8]) {
        if need.iter().zip(&self.widths).any(|(n, w)| n > w) {
            let widths: Vec<u8> = need
                .iter()
                .zip(&self.widths)
                .map(|(&n, &w)| n.max(w))
                .collect();
            self.widen(&widths);
        }
    }

    /// Appends one row (one value per column).
    #[inline]
    pub fn push(&mut self, row: &[u128]) {
        debug_assert_eq!(row.len(), self.widths.len());
        if row.iter().zip(&self.widths).any(|(&v, &w)| width_of(v) > w) {
            let need: Vec<u8> = row.iter().map(|&v| width_of(v)).collect();
            self.fit(&need);
        }
        let start = self.bytes.len();
        self.bytes.resize(start + self.stride, 0);
        let dst = &mut self.bytes[start..];
        for (c, &v) in row.iter().enumerate() {
            let w = usize::from(self.widths[c]);
            let o = self.offsets[c];
            dst[o..o + w].copy_from_slice(&v.to_le_bytes()[..w]);
        }
        self.rows += 1;
    }

    /// Appends every row of `other` (the same columns).
    pub fn append(&mut self, other: &Cells) {
        self.fit(&other.widths);
        if other.widths == self.widths {
            self.bytes.extend_from_slice(&other.bytes);
            self.rows += other.rows;
            return;
        }
        self.bytes.reserve(other.rows * self.stride);
        let mut row = vec![0u128; self.widths.len()];
        for r in 0..other.rows {
            other.get(r, &mut row);
            self.push(&row);
        }
    }

    /// Writes row `r`'s values into `out` (one per column). Panics if `r` is out of range.
    #[inline]
    pub fn get(&self, r: usize, out: &mut [u128]) {
        assert!(r < self.rows, "row {r} of {}", self.rows);
        let start = r * self.stride;
        let tail = &self.bytes[start..];
        for (c, v) in out.iter_mut().enumerate().take(self.widths.len()) {
            let w = usize::from(self.widths[c]);
            let o = self.offsets[c];
            *v = if w <= 8 && o + 8 <= tail.len() {
                // Eight bytes at once (the ones past the column masked off): no
                // variable-length copy on the hot path.
                let x = u64::from_le_bytes(tail[o..o + 8].try_into().expect("8 bytes"));
                let mask = if w == 8 {
                    u64::MAX
                } else {
                    (1u64 << (8 * w)) - 1
                };
                u128::from(x & mask)
            } else {
                let mut b = [0u8; 16];
                b[..w].copy_from_slice(&tail[o..o + w]);
                u128::from_le_bytes(b)
            };
        }
    }

    /// A hint to the CPU that row `r` will be read soon (its first byte is loaded).
    #[inline]
    pub fn touch(&self, r: usize) -> u8 {
        self.bytes.get(r * self.stride).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_round_trip_through_widening() {
        let rows: Vec<[u128; 3]> = vec![
            [0, 0, 0],
            [1, 0, 255],
            [256, 0, 1 << 40],
            [u128::MAX, 7, 3],
            [5, u128::from(u64::MAX), 0],
        ];
        let mut c = Cells::new(3);
        for r in &rows {
            c.push(r);
        }
        assert_eq!(c.widths(), &[16, 8, 6]);
        assert_eq!(c.len(), rows.len());
        let mut out = [0u128; 3];
        for (i, r) in rows.iter().enumerate() {
            c.get(i, &mut out);
            assert_eq!(&out, r, "row {i}");
        }
        // Appending narrower and wider blocks gives the same rows.
        let mut a = Cells::new(3);
        let mut b = Cells::new(3);
        a.push(&rows[0]);
        a.push(&rows[1]);
        for r in &rows[2..] {
            b.push(r);
        }
        let mut narrow = Cells::new(3);
        narrow.push(&[2, 2, 2]);
        a.append(&b);
        a.append(&narrow);
        assert_eq!(a.len(), rows.len() + 1);
        for (i, r) in rows.iter().chain([&[2, 2, 2]]).enumerate() {
            a.get(i, &mut out);
            assert_eq!(&out, r, "row {i}");
        }
        assert_eq!(a.heap_bytes(), a.len() * 30);
    }

    #[test]
    fn all_zero_columns_take_no_bytes() {
        let mut c = Cells::new(2);
        for _ in 0..10 {
            c.push(&[0, 0]);
        }
        assert_eq!(c.heap_bytes(), 0);
        let mut out = [9u128; 2];
        c.get(9, &mut out);
        assert_eq!(out, [0, 0]);
    }
}
