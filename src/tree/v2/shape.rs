//! The shape rules of por/2 (FORMAT.md §6): the padded leaf count `M`, the checks a
//! verifier makes on a manifest's por/2 `tree` at step 1, and the split of a balance
//! into `s` parts by sorted uniform draws. Pure: randomness comes in as an RNG.

use super::{MAX_PADDING_BITS, MAX_SPLIT, TREE_VERSION, V2Error};
use crate::amount::Amount;
use crate::tree::info::TreeInfo;
use rand::{CryptoRng, Rng, RngCore};

/// `ceil(log2 n)`, and 0 for `n ≤ 1`.
pub fn ceil_log2(n: u64) -> u32 {
    if n <= 1 {
        0
    } else {
        64 - (n - 1).leading_zeros()
    }
}

/// `q = max(min(h, 4), h − g)`: the leaf count of a por/2 tree of height `h` and
/// padding granularity `g` is a multiple of `2^q`.
pub fn granularity_bits(height: u32, padding_bits: u8) -> u32 {
    height
        .min(4)
        .max(height.saturating_sub(u32::from(padding_bits)))
}

/// `M` of FORMAT.md §6: the smallest multiple of `2^q` that is ≥ `part_leaves`
/// (`N·s`), with `h = ceil(log2(N·s))` and `q` = [`granularity_bits`]`(h, g)`. The
/// result may exceed [`MAX_LEAVES`](super::MAX_LEAVES); the builder refuses such trees.
pub fn padded_leaf_count(part_leaves: u64, padding_bits: u8) -> Result<u128, V2Error> {
    if part_leaves == 0 {
        return Err(V2Error::Empty);
    }
    Ok(padded(u128::from(part_leaves), padding_bits))
}

/// `M` for `1 ≤ n < 2^100` (so that `2^q` and the rounding cannot overflow).
fn padded(n: u128, padding_bits: u8) -> u128 {
    let h = if n <= 1 {
        0
    } else {
        128 - (n - 1).leading_zeros()
    };
    let unit = 1u128 << granularity_bits(h, padding_bits);
    n.div_ceil(unit) * unit
}

/// The validated por/2 fields of a manifest's `tree` (step 1 of FORMAT.md §6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TreeParamsV2 {
    /// `s`, parts per account, 1 to 16.
    pub split: u8,
    /// `g`, 0 to 8.
    pub padding_bits: u8,
    /// `ceil(log2 leaves)`.
    pub height: u32,
    /// `M`, a multiple of `2^q`.
    pub leaves: u64,
    /// The account count, when the operator published it.
    pub accounts: Option<u64>,
}

impl TreeParamsV2 {
    /// Checks that `tree` is a well-formed por/2 tree: `version == 2`, `1 ≤ split ≤ 16`,
    /// `0 ≤ padding_bits ≤ 8`, `accounts` present, `height == ceil(log2 leaves)`,
    /// `leaves` a multiple of `2^q` for `q` from `height`, and `leaves == M` for
    /// `N = accounts` when that is not null.
    pub fn from_tree_info(tree: &TreeInfo) -> Result<TreeParamsV2, V2Error> {
        if tree.version != Some(TREE_VERSION) {
            return Err(V2Error::TreeVersion(tree.version));
        }
        let split = tree.split.ok_or(V2Error::MissingField("split"))?;
        let split = u8::try_from(split)
            .ok()
            .filter(|s| (1..=MAX_SPLIT).contains(s))
            .ok_or(V2Error::Split(split))?;
        let g = tree
            .padding_bits
            .ok_or(V2Error::MissingField("padding_bits"))?;
        let padding_bits = u8::try_from(g)
            .ok()
            .filter(|g| *g <= MAX_PADDING_BITS)
            .ok_or(V2Error::PaddingBits(g))?;
        let accounts = tree.accounts.ok_or(V2Error::MissingField("accounts"))?;
        let leaves = tree.leaves;
        if leaves == 0 {
            return Err(V2Error::NoLeaves);
        }
        let expected = ceil_log2(leaves);
        if tree.height != expected {
            return Err(V2Error::Height {
                height: tree.height,
                leaves,
                expected,
            });
        }
        let q = granularity_bits(tree.height, padding_bits);
        if u128::from(leaves) % (1u128 << q) != 0 {
            return Err(V2Error::Granularity { leaves, q });
        }
        if let Some(n) = accounts {
            if n == 0 {
                return Err(V2Error::NoAccounts);
            }
            // N·s < 2^72: no overflow in u128.
            let m = padded(u128::from(n) * u128::from(split), padding_bits);
            if m != u128::from(leaves) {
                return Err(V2Error::AccountLeaves {
                    leaves,
                    expected: m,
                    accounts: n,
                    split,
                    padding_bits,
                });
            }
        }
        Ok(TreeParamsV2 {
            split,
            padding_bits,
            height: tree.height,
            leaves,
            accounts,
        })
    }
}

// ---------------------------------------------------------------------------
// Splitting balances

/// Splits `balance` by `s − 1` draws from `[0, balance]` (`draws.len() == s − 1`):
/// sorts them and returns the `s` gaps `d_0 − 0, d_1 − d_0, …, balance − d_{s-2}`,
/// which add up to `balance`. A draw above `balance` is an error.
pub fn split_from_draws(balance: Amount, draws: &[u128]) -> Result<Vec<Amount>, V2Error> {
    if let Some(&draw) = draws.iter().find(|&&d| d > balance.base_units()) {
        return Err(V2Error::Draw { draw, balance });
    }
    let mut cuts = draws.to_vec();
    cuts.sort_unstable();
    cuts.push(balance.base_units());
    let mut prev = 0u128;
    let mut parts = Vec::with_capacity(cuts.len());
    for cut in cuts {
        let gap = cut.checked_sub(prev).ok_or(V2Error::Draw {
            draw: prev,
            balance,
        })?;
        parts.push(Amount::from_base_units(gap));
        prev = cut;
    }
    Ok(parts)
}

pub(super) fn check_split(split: u8) -> Result<(), V2Error> {
    if (1..=MAX_SPLIT).contains(&split) {
        Ok(())
    } else {
        Err(V2Error::Split(u64::from(split)))
    }
}

pub(super) fn check_padding_bits(padding_bits: u8) -> Result<(), V2Error> {
    if padding_bits <= MAX_PADDING_BITS {
        Ok(())
    } else {
        Err(V2Error::PaddingBits(u64::from(padding_bits)))
    }
}

/// Splits one balance into `split` parts: `split − 1` uniform draws from
/// `[0, balance]` from `rng`, sorted, and their gaps ([`split_from_draws`]).
pub fn split_balance<R: RngCore + CryptoRng + ?Sized>(
    balance: Amount,
    split: u8,
    rng: &mut R,
) -> Result<Vec<Amount>, V2Error> {
    check_split(split)?;
    let draws: Vec<u128> = (1..split)
        .map(|_| rng.gen_range(0..=balance.base_units()))
        .collect();
    split_from_draws(balance, &draws)
}

/// Splits an account's balances (one per asset, each independently) into `split`
/// parts: `result[j][i]` is part `j`'s amount of asset `i`.
pub fn split_balances<R: RngCore + CryptoRng + ?Sized>(
    balances: &[Amount],
    split: u8,
    rng: &mut R,
) -> Result<Vec<Vec<Amount>>, V2Error> {
    check_split(split)?;
    let mut parts = vec![Vec::with_capacity(balances.len()); usize::from(split)];
    for &b in balances {
        for (part, amount) in parts.iter_mut().zip(split_balance(b, split, rng)?) {
            part.push(amount);
        }
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn padded_counts_follow_the_formula() {
        // (N·s, g, M) from the vectors' notes and the text.
        for (n, g, m) in [
            (1, 0, 1),
            (3, 6, 4),
            (6, 0, 8),
            (15, 1, 16),
            (28, 8, 32),
            (9, 2, 16),
            (22, 3, 32),
            (5, 0, 8),
            (40, 6, 48),
            (68, 2, 96),
            (17, 0, 32),
        ] {
            assert_eq!(padded_leaf_count(n, g).unwrap(), m, "N·s={n} g={g}");
        }
        assert_eq!(padded_leaf_count(0, 6), Err(V2Error::Empty));
        assert_eq!(padded_leaf_count(u64::MAX, 0).unwrap(), 1u128 << 64);
    }

    #[test]
    fn padding_is_small_with_eight_bits() {
        // "with 8 the padding is under 0.8 % once N·s > 2048".
        for n in [2049u64, 3000, 4097, 100_000, 1_000_003] {
            let m = padded_leaf_count(n, 8).unwrap();
            assert!((m - u128::from(n)) * 1000 < 8 * u128::from(n), "{n} → {m}");
        }
    }

    #[test]
    fn draws_split_into_gaps() {
        let parts = split_from_draws(Amount::from_base_units(10), &[7, 2, 7]).unwrap();
        assert_eq!(parts, [2, 5, 0, 3].map(Amount::from_base_units));
        assert_eq!(
            split_from_draws(Amount::from_base_units(5), &[]).unwrap(),
            [Amount::from_base_units(5)]
        );
        assert!(matches!(
            split_from_draws(Amount::from_base_units(5), &[6]),
            Err(V2Error::Draw { draw: 6, .. })
        ));
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let parts = split_balance(Amount::MAX, 16, &mut rng).unwrap();
        assert_eq!(parts.len(), 16);
        let total = parts
            .iter()
            .try_fold(Amount::ZERO, |t, p| t.checked_add(*p));
        assert_eq!(total, Some(Amount::MAX));
        assert_eq!(
            split_balance(Amount::from_base_units(1), 0, &mut rng),
            Err(V2Error::Split(0))
        );
        assert_eq!(
            split_balance(Amount::from_base_units(1), 17, &mut rng),
            Err(V2Error::Split(17))
        );
    }

    #[test]
    fn ceil_log2_is_exact() {
        for (n, h) in [(1, 0), (2, 1), (3, 2), (4, 2), (5, 3), (48, 6), (96, 7)] {
            assert_eq!(ceil_log2(n), h);
        }
        assert_eq!(ceil_log2(u64::MAX), 64);
    }
}
