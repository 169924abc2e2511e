//! The secrets of a por/2 snapshot derived from one 32-byte snapshot secret
//! (FORMAT.md §2 allows PRF-derived values): part salts, part amounts, dummy values
//! and the leaf order. The private store then keeps the accounts and the upper levels
//! only and recomputes any leaf on request, instead of storing 32 bytes of salt and
//! `16·K` bytes of amounts per part.
//!
//! Derivation (private: verifiers cannot tell it from fresh draws, and it is not part
//! of any published format; a known-answer test pins it so that a dependency update
//! cannot silently change how an existing store is read):
//! - sub-keys `k_label = SHA-256("por/2/store/" ‖ label ‖ secret)` for the labels
//!   `part`, `dummy`, `order` and `salt`;
//! - a stream is ChaCha12 keyed with a sub-key (`rand_chacha`'s `ChaCha12Rng`, the
//!   cipher of `rand`'s `StdRng`), with the 64-bit stream number selecting the account
//!   (or dummy);
//! - account `a`: stream `a` of `k_part` gives the `s` salts (32 bytes each, part 0
//!   first), then, asset by asset, `s − 1` uniform draws from `[0, b_i]` (by rejection:
//!   8 bytes little-endian each when `b_i < 2^64 − 1`, else 16 bytes big-endian);
//!   the parts are the gaps between the sorted draws ([`split_from_draws`]), as §6
//!   prescribes;
//! - dummy `d`: the first 32 bytes of stream `d` of `k_dummy`;
//! - a derived por/1 tree (one leaf per account, leaf `a` is account `a`): the salt of
//!   account `a` is `SHA-256(k_salt ‖ u64be(a))` ([`Derivation::salt_v1`], one
//!   compression instead of a ChaCha stream per account), and its order is the one
//!   below with `M = N`;
//! - leaf order: leaf `u` (parts `a·s + j`, then the dummies) gets the 128-bit key at
//!   word position `4·u` of stream 0 of `k_order` (16 bytes big-endian); positions are
//!   the leaves sorted by key (ties by `u`, probability ≈ M²/2^129), a uniformly
//!   random permutation.

use super::V2Error;
use super::shape::split_from_draws;
use crate::amount::Amount;
use rand_chacha::ChaCha12Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use sha2::{Digest, Sha256};

/// The derived secrets of one snapshot. Secret: it determines every salt.
#[derive(Clone)]
pub struct Derivation {
    part: [u8; 32],
    dummy: [u8; 32],
    order: [u8; 32],
    salt: [u8; 32],
}

impl std::fmt::Debug for Derivation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Derivation(secret)")
    }
}

fn subkey(label: &str, secret: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"por/2/store/");
    h.update(label.as_bytes());
    h.update(secret);
    h.finalize().into()
}

/// A uniform draw from `[0, max]` out of `rng`, by rejection (deterministic: the same
/// stream gives the same draw whatever the `rand` version). Below `2^64 − 1`, 64-bit
/// draws and Lemire's multiply-shift (no 128-bit division on the common path).
fn uniform_inclusive(rng: &mut ChaCha12Rng, max: u128) -> u128 {
    if max < u128::from(u64::MAX) {
        let range = max as u64 + 1;
        // `next_u64` is two 32-bit words, low first: the 8 bytes little-endian.
        let draw = |rng: &mut ChaCha12Rng| u128::from(rng.next_u64()) * u128::from(range);
        let mut m = draw(rng);
        if (m as u64) < range {
            let threshold = range.wrapping_neg() % range;
            while (m as u64) < threshold {
                m = draw(rng);
            }
        }
        return m >> 64;
    }
    let mut b = [0u8; 16];
    if max == u128::MAX {
        rng.fill_bytes(&mut b);
        return u128::from_be_bytes(b);
    }
    let range = max + 1;
    // Accept x below the largest multiple of `range` that fits in 2^128.
    let rem = (u128::MAX % range + 1) % range;
    let top = u128::MAX - rem;
    loop {
        rng.fill_bytes(&mut b);
        let x = u128::from_be_bytes(b);
        if rem == 0 || x <= top {
            return x % range;
        }
    }
}

impl Derivation {
    /// The derivation of the snapshot secret `secret`.
    pub fn new(secret: &[u8; 32]) -> Derivation {
        Derivation {
            part: subkey("part", secret),
            dummy: subkey("dummy", secret),
            order: subkey("order", secret),
            salt: subkey("salt", secret),
        }
    }

    #[inline]
    fn stream(key: &[u8; 32], stream: u64) -> ChaCha12Rng {
        let mut rng = ChaCha12Rng::from_seed(*key);
        rng.set_stream(stream);
        rng
    }

    /// The salt of part `part` of account `account` split in `split` parts, and the
    /// account's stream positioned after the salts, at its draws.
    #[inline]
    fn salt_and_draws(&self, account: u64, part: u8, split: u8) -> ([u8; 32], ChaCha12Rng) {
        let mut rng = Self::stream(&self.part, account);
        let mut salt = [0u8; 32];
        let mut skip = [0u8; 32];
        for j in 0..split {
            rng.fill_bytes(if j == part { &mut salt } else { &mut skip });
        }
        (salt, rng)
    }

    /// The salt of part `part` of account `account` split in `split` parts.
    pub fn salt(&self, account: u64, part: u8, split: u8) -> [u8; 32] {
        self.salt_and_draws(account, part, split).0
    }

    /// Part `part` of account `account` (balances `balances`, split in `split` parts):
    /// its salt, and its amount of each asset written into `amounts`.
    pub fn part(
        &self,
        account: u64,
        part: u8,
        balances: &[u128],
        split: u8,
        amounts: &mut [u128],
    ) -> [u8; 32] {
        let s = usize::from(split);
        let j = usize::from(part);
        let (salt, mut rng) = self.salt_and_draws(account, part, split);
        let mut draws = [0u128; 16];
        for (&b, out) in balances.iter().zip(amounts.iter_mut()) {
            let d = &mut draws[..s - 1];
            for x in d.iter_mut() {
                *x = uniform_inclusive(&mut rng, b);
            }
            d.sort_unstable();
            let lo = if j == 0 { 0 } else { d[j - 1] };
            let hi = if j == s - 1 { b } else { d[j] };
            *out = hi - lo;
        }
        salt
    }

    /// Every part of account `account` in one pass over its stream: the `split` salts
    /// into `salts`, and part `j`'s amount of asset `i` into `amounts[j·K + i]` (`K =
    /// balances.len()`): for each `j`, the values [`Derivation::part`] gives.
    pub fn all_parts(
        &self,
        account: u64,
        balances: &[u128],
        split: u8,
        salts: &mut [[u8; 32]],
        amounts: &mut [u128],
    ) {
        let s = usize::from(split);
        let k = balances.len();
        let mut rng = Self::stream(&self.part, account);
        for salt in &mut salts[..s] {
            rng.fill_bytes(salt);
        }
        let mut draws = [0u128; 16];
        for (i, &b) in balances.iter().enumerate() {
            let d = &mut draws[..s - 1];
            for x in d.iter_mut() {
                *x = uniform_inclusive(&mut rng, b);
            }
            d.sort_unstable();
            let mut prev = 0u128;
            for j in 0..s {
                let hi = if j == s - 1 { b } else { d[j] };
                amounts[j * k + i] = hi - prev;
                prev = hi;
            }
        }
    }

    /// All parts of account `account`: `parts[j][i]` is part `j`'s amount of asset
    /// `i` (the same values as [`Derivation::part`], through [`split_from_draws`]).
    pub fn parts(
        &self,
        account: u64,
        balances: &[u128],
        split: u8,
    ) -> Result<Vec<Vec<Amount>>, V2Error> {
        let s = usize::from(split);
        let (_, mut rng) = self.salt_and_draws(account, 0, split);
        let mut parts = vec![Vec::with_capacity(balances.len()); s];
        let mut draws = Vec::with_capacity(s.saturating_sub(1));
        for &b in balances {
            draws.clear();
            draws.extend((1..s).map(|_| uniform_inclusive(&mut rng, b)));
            for (j, p) in split_from_draws(Amount::from_base_units(b), &draws)?
                .into_iter()
                .enumerate()
            {
                parts[j].push(p);
            }
        }
        Ok(parts)
    }

    /// The salt of account `account` of a derived por/1 tree:
    /// `SHA-256(k_salt ‖ u64be(account))`, one compression (a PRF of the account
    /// number under the sub-key, as FORMAT.md §2 allows).
    #[inline]
    pub fn salt_v1(&self, account: u64) -> [u8; 32] {
        let mut msg = [0u8; 40];
        msg[..32].copy_from_slice(&self.salt);
        msg[32..].copy_from_slice(&account.to_be_bytes());
        Sha256::digest(msg).into()
    }

    /// The secret `r` of dummy `dummy` (0-based, in the order after the part leaves).
    pub fn dummy(&self, dummy: u64) -> [u8; 32] {
        let mut rng = Self::stream(&self.dummy, dummy);
        let mut r = [0u8; 32];
        rng.fill_bytes(&mut r);
        r
    }

    /// The sort key of leaf `leaf`.
    pub fn order_key(&self, leaf: u64) -> u128 {
        let mut rng = Self::stream(&self.order, 0);
        rng.set_word_pos(4 * u128::from(leaf));
        let mut b = [0u8; 16];
        rng.fill_bytes(&mut b);
        u128::from_be_bytes(b)
    }

    /// The sort keys of leaves `first .. first + out.len()`, written into `out`
    /// (sequential, much faster than one [`Derivation::order_key`] per leaf).
    pub fn order_keys(&self, first: u64, out: &mut [u128]) {
        let mut rng = Self::stream(&self.order, 0);
        rng.set_word_pos(4 * u128::from(first));
        let mut b = [0u8; 16];
        for k in out {
            rng.fill_bytes(&mut b);
            *k = u128::from_be_bytes(b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d() -> Derivation {
        Derivation::new(&[7u8; 32])
    }

    /// Known answers: a dependency update that changes the derivation would make
    /// every existing store hand out proofs that do not verify.
    #[test]
    fn the_derivation_is_pinned() {
        let d = d();
        let pinned = [
            hex::encode(d.salt(0, 0, 4)),
            hex::encode(d.salt(5, 3, 4)),
            hex::encode(d.dummy(2)),
            format!("{:032x}", d.order_key(9)),
            format!(
                "{:?}",
                d.parts(4, &[1_000_000, 0, u128::MAX], 4)
                    .unwrap()
                    .iter()
                    .map(|p| p
                        .iter()
                        .map(|a| a.base_units().to_string())
                        .collect::<Vec<_>>())
                    .collect::<Vec<_>>()
            ),
            hex::encode(d.salt_v1(12_345)),
        ];
        let expected = include_str!("derive_kat.txt");
        assert_eq!(pinned.join("\n"), expected.trim_end());
    }

    #[test]
    fn sequential_keys_equal_single_keys() {
        let d = d();
        let mut keys = vec![0u128; 37];
        d.order_keys(5, &mut keys);
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(*k, d.order_key(5 + i as u64));
        }
    }

    #[test]
    fn parts_add_up_and_salts_differ() {
        let d = d();
        for a in 0..200u64 {
            let balances = [a as u128 * 12345, 0, 1, u128::MAX - a as u128];
            let parts = d.parts(a, &balances, 4).unwrap();
            assert_eq!(parts.len(), 4);
            for (i, &b) in balances.iter().enumerate() {
                let sum = parts
                    .iter()
                    .try_fold(0u128, |s, p| s.checked_add(p[i].base_units()))
                    .unwrap();
                assert_eq!(sum, b);
            }
            let salts: std::collections::HashSet<_> = (0..4).map(|j| d.salt(a, j, 4)).collect();
            assert_eq!(salts.len(), 4);
            // All parts at once give the same amounts and salts.
            let mut salts = [[0u8; 32]; 4];
            let mut all = [0u128; 16];
            d.all_parts(a, &balances, 4, &mut salts, &mut all);
            for j in 0..4 {
                assert_eq!(salts[j], d.salt(a, j as u8, 4));
                for (i, p) in parts[j].iter().enumerate() {
                    assert_eq!(all[j * 4 + i], p.base_units());
                }
            }
            // One part at a time gives the same amounts and salts.
            for j in 0..4u8 {
                let mut amounts = [0u128; 4];
                let salt = d.part(a, j, &balances, 4, &mut amounts);
                assert_eq!(salt, d.salt(a, j, 4));
                let want: Vec<u128> = parts[usize::from(j)]
                    .iter()
                    .map(|x| x.base_units())
                    .collect();
                assert_eq!(amounts.to_vec(), want);
            }
        }
        // Different accounts and secrets give different values.
        assert_ne!(d.salt(0, 0, 4), d.salt(1, 0, 4));
        assert_ne!(d.salt(0, 0, 4), Derivation::new(&[8u8; 32]).salt(0, 0, 4));
    }

    #[test]
    fn uniform_draws_cover_a_small_range() {
        let mut rng = Derivation::stream(&[1u8; 32], 0);
        for max in [2u128, u128::from(u64::MAX) + 2] {
            let mut seen = [0u32; 3];
            for _ in 0..3000 {
                let x = uniform_inclusive(&mut rng, max);
                assert!(x <= max);
                seen[(x * 3 / (max + 1)) as usize] += 1;
            }
            assert!(seen.iter().all(|&c| c > 800), "{max}: {seen:?}");
        }
    }
}
