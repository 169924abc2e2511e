//! Amounts in an asset's base unit (satoshi, wei, 10^-6 USDT…): a checked `u128`
//! newtype, parsed from human decimals (`"12.34"`) or from the canonical JSON form
//! (`"1234"`, FORMAT.md §1), and displayed back. No floats anywhere.

use crate::excerpt::Excerpt;
use std::fmt;
use std::str::FromStr;

/// An amount in base units, at most 2^128 − 1. The field is private: an amount is made
/// by parsing ([`Amount::parse_decimal`], [`Amount::parse_canonical`]) or from a count
/// of base units ([`Amount::from_base_units`]), and read back with
/// [`Amount::base_units`] (rust-bitcoin's `Amount::from_sat` / `to_sat`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Amount(u128);

/// The largest number of decimals an asset may have (10^38 < 2^128).
pub const MAX_DECIMALS: u8 = 38;

/// Why an amount was refused; the value is quoted as an [`Excerpt`] (at most 80
/// characters of it), so a 10 MB field gives a short message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// The input was the empty string.
    #[error("empty amount")]
    Empty,
    /// The input had a leading `-`.
    #[error("negative amount {0}")]
    Negative(Excerpt),
    /// The input is not digits with at most one decimal point.
    #[error("not a number: {0}")]
    NotNumeric(Excerpt),
    /// More decimals than the asset allows.
    #[error("{value} has {found} decimals, more than the asset's {allowed}")]
    TooManyDecimals {
        /// The input.
        value: Excerpt,
        /// Number of decimals it has.
        found: usize,
        /// Number of decimals the asset has.
        allowed: u8,
    },
    /// The value is at least 2^128 base units.
    #[error("{0} exceeds 2^128-1 base units")]
    Overflow(Excerpt),
    /// Not the canonical JSON form of FORMAT.md §1.
    #[error("{0} is not canonical: base-unit digits, no sign, no decimal point, no leading zeros")]
    NotCanonical(Excerpt),
}

impl Amount {
    /// No base units.
    pub const ZERO: Amount = Amount(0);
    /// 2^128 − 1 base units, the largest amount.
    pub const MAX: Amount = Amount(u128::MAX);

    /// The amount of `units` base units (satoshi, wei, …).
    pub const fn from_base_units(units: u128) -> Amount {
        Amount(units)
    }

    /// The number of base units.
    pub const fn base_units(self) -> u128 {
        self.0
    }

    /// The sum, or `None` on overflow past [`Amount::MAX`].
    pub fn checked_add(self, other: Amount) -> Option<Amount> {
        self.0.checked_add(other.0).map(Amount)
    }

    /// The difference, or `None` when `other` exceeds `self`.
    pub fn checked_sub(self, other: Amount) -> Option<Amount> {
        self.0.checked_sub(other.0).map(Amount)
    }

    /// Parses a human decimal (`"1"`, `"0.5"`, `"12.34000000"`) into base units of an
    /// asset with `decimals` decimals. Leading zeros and trailing fractional zeros are
    /// accepted (exports write them); a sign, exponent, spaces or excess decimals are not.
    pub fn parse_decimal(s: &str, decimals: u8) -> Result<Amount, AmountError> {
        Self::parse_decimal_bytes(s.as_bytes(), decimals)
    }

    /// As [`Amount::parse_decimal`], on raw bytes (the liabilities hot path).
    pub fn parse_decimal_bytes(b: &[u8], decimals: u8) -> Result<Amount, AmountError> {
        let text = || Excerpt::quoted(b);
        if b.is_empty() {
            return Err(AmountError::Empty);
        }
        if b[0] == b'-' {
            return Err(AmountError::Negative(text()));
        }
        let (int, frac) = match b.iter().position(|&c| c == b'.') {
            Some(i) => (&b[..i], &b[i + 1..]),
            None => (b, &b[..0]),
        };
        let digits = |p: &[u8]| p.iter().all(u8::is_ascii_digit);
        if int.is_empty()
            || !digits(int)
            || !digits(frac)
            || (b.len() > int.len() && frac.is_empty())
        {
            return Err(AmountError::NotNumeric(text()));
        }
        // Trailing zeros of the fraction carry no value.
        let significant = frac.len() - frac.iter().rev().take_while(|&&c| c == b'0').count();
        if significant > decimals as usize {
            return Err(AmountError::TooManyDecimals {
                value: text(),
                found: significant,
                allowed: decimals,
            });
        }
        let mut v: u128 = 0;
        let push = |v: u128, d: u8| {
            v.checked_mul(10)
                .and_then(|v| v.checked_add(u128::from(d - b'0')))
        };
        for &d in int {
            v = push(v, d).ok_or_else(|| AmountError::Overflow(text()))?;
        }
        let padding = std::iter::repeat_n(&b'0', decimals as usize - significant);
        for &d in frac[..significant].iter().chain(padding) {
            v = push(v, d).ok_or_else(|| AmountError::Overflow(text()))?;
        }
        Ok(Amount(v))
    }

    /// Parses the canonical JSON form: `^(0|[1-9][0-9]*)$`, at most 2^128 − 1.
    pub fn parse_canonical(s: &str) -> Result<Amount, AmountError> {
        let b = s.as_bytes();
        let ok =
            !b.is_empty() && b.iter().all(u8::is_ascii_digit) && (b[0] != b'0' || b.len() == 1);
        if !ok {
            return Err(AmountError::NotCanonical(Excerpt::quoted(s)));
        }
        s.parse::<u128>()
            .map(Amount)
            .map_err(|_| AmountError::Overflow(Excerpt::quoted(s)))
    }

    /// Human form with `decimals` decimals, trailing zeros trimmed: `150000000` with 8
    /// decimals is `"1.5"`.
    pub fn display_units(self, decimals: u8) -> String {
        let digits = self.0.to_string();
        let d = decimals as usize;
        let (int, frac) = if digits.len() > d {
            let (i, f) = digits.split_at(digits.len() - d);
            (i.to_string(), f.to_string())
        } else {
            ("0".to_string(), format!("{digits:0>d$}"))
        };
        let frac = frac.trim_end_matches('0');
        if frac.is_empty() {
            int
        } else {
            format!("{int}.{frac}")
        }
    }

    /// The 16-byte big-endian encoding used inside hashes.
    pub fn to_be_bytes(self) -> [u8; 16] {
        self.0.to_be_bytes()
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for Amount {
    type Err = AmountError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Amount::parse_canonical(s)
    }
}

impl serde::Serialize for Amount {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Amount {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Amount::parse_canonical(&s).map_err(serde::de::Error::custom)
    }
}

/// `floor(10^4 · reserves / liabilities) / 10^4` with exactly four decimals, or `None`
/// when liabilities are zero (FORMAT.md §4). Exact for every u128 pair.
pub fn reserve_ratio(reserves: Amount, liabilities: Amount) -> Option<String> {
    if liabilities.0 == 0 {
        return None;
    }
    let (r, l) = (reserves.0, liabilities.0);
    let int = r / l;
    let mut rem = r % l;
    // Long division for four decimal digits; rem < l so rem*10 may overflow u128:
    // compute each digit as floor(rem*10 / l) without forming rem*10.
    let mut frac = 0u32;
    for _ in 0..4 {
        let (digit, next) = mul10_divmod(rem, l);
        frac = frac * 10 + digit;
        rem = next;
    }
    Some(format!("{int}.{frac:04}"))
}

/// For `rem < l`: returns `(floor(10·rem / l), 10·rem mod l)` without overflow.
fn mul10_divmod(rem: u128, l: u128) -> (u32, u128) {
    let mut digit = 0;
    let mut acc = 0u128; // acc = k·rem mod l, digit = floor(k·rem / l)
    for _ in 0..10 {
        // acc + rem may overflow; compare against l - rem instead.
        if acc >= l - rem {
            acc -= l - rem;
            digit += 1;
        } else {
            acc += rem;
        }
    }
    (digit, acc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_human_decimals_exactly() {
        assert_eq!(Amount::parse_decimal("0.5", 8).unwrap(), Amount(50_000_000));
        assert_eq!(Amount::parse_decimal("1", 8).unwrap(), Amount(100_000_000));
        assert_eq!(
            Amount::parse_decimal("12.34000000", 8).unwrap(),
            Amount(1_234_000_000)
        );
        assert_eq!(
            Amount::parse_decimal("12.340000000", 8).unwrap(),
            Amount(1_234_000_000)
        );
        assert_eq!(Amount::parse_decimal("007", 0).unwrap(), Amount(7));
        assert_eq!(Amount::parse_decimal("0", 18).unwrap(), Amount(0));
        assert_eq!(
            Amount::parse_decimal("340282366920938463463374607431768211455", 0).unwrap(),
            Amount::MAX
        );
    }

    #[test]
    fn refuses_bad_decimals() {
        use AmountError::*;
        assert!(matches!(Amount::parse_decimal("", 8), Err(Empty)));
        assert!(matches!(Amount::parse_decimal("-1", 8), Err(Negative(_))));
        for s in [
            "1e5", "abc", "1.", ".5", "+1", " 1", "1 ", "1.2.3", "0x10", "1,5", "١",
        ] {
            assert!(
                matches!(Amount::parse_decimal(s, 8), Err(NotNumeric(_))),
                "{s}"
            );
        }
        assert!(matches!(
            Amount::parse_decimal("0.000000001", 8),
            Err(TooManyDecimals { found: 9, .. })
        ));
        assert!(matches!(
            Amount::parse_decimal("1.5", 0),
            Err(TooManyDecimals { .. })
        ));
        assert!(matches!(
            Amount::parse_decimal("340282366920938463463374607431768211456", 0),
            Err(Overflow(_))
        ));
        assert!(matches!(
            Amount::parse_decimal("3402823669209384634633746074317682115", 2),
            Err(Overflow(_))
        ));
    }

    #[test]
    fn messages_quote_at_most_80_characters_of_the_value() {
        let msg = |s: &str, d| Amount::parse_decimal(s, d).unwrap_err().to_string();
        assert_eq!(msg("abc", 8), "not a number: \"abc\"");
        assert_eq!(msg("-1", 8), "negative amount \"-1\"");
        let big = "7".repeat(10 << 20);
        let sevens = "7".repeat(80);
        assert_eq!(
            msg(&big, 8),
            format!("\"{sevens}…\" (10485760 bytes) exceeds 2^128-1 base units")
        );
        assert_eq!(
            msg(&format!("1{big}x"), 8),
            format!("not a number: \"1{}…\" (10485762 bytes)", &sevens[1..])
        );
        assert_eq!(
            msg(&format!("-{big}"), 8),
            format!("negative amount \"-{}…\" (10485761 bytes)", &sevens[1..])
        );
        assert_eq!(
            msg(&format!("0.{big}"), 8),
            format!(
                "\"0.{}…\" (10485762 bytes) has 10485760 decimals, more than the asset's 8",
                &sevens[2..]
            )
        );
        let e = Amount::parse_canonical(&format!("0{big}"))
            .unwrap_err()
            .to_string();
        assert!(
            e.len() < 200 && e.contains("(10485761 bytes) is not canonical"),
            "{e}"
        );
    }

    #[test]
    fn canonical_form_is_strict() {
        assert_eq!(Amount::parse_canonical("0").unwrap(), Amount(0));
        assert_eq!(Amount::parse_canonical("10").unwrap(), Amount(10));
        for s in ["", "01", "-1", "1.0", " 1", "1e3", "+1"] {
            assert!(Amount::parse_canonical(s).is_err(), "{s}");
        }
        assert!(matches!(
            Amount::parse_canonical("340282366920938463463374607431768211456"),
            Err(AmountError::Overflow(_))
        ));
    }

    #[test]
    fn displays_units() {
        assert_eq!(Amount(150_000_000).display_units(8), "1.5");
        assert_eq!(Amount(0).display_units(8), "0");
        assert_eq!(Amount(1).display_units(8), "0.00000001");
        assert_eq!(Amount(1_000).display_units(0), "1000");
        assert_eq!(Amount(123_456_789).display_units(2), "1234567.89");
    }

    #[test]
    fn ratio_is_floored_to_four_decimals() {
        assert_eq!(
            reserve_ratio(Amount(10712), Amount(10000)).as_deref(),
            Some("1.0712")
        );
        assert_eq!(
            reserve_ratio(Amount(2), Amount(3)).as_deref(),
            Some("0.6666")
        );
        assert_eq!(
            reserve_ratio(Amount(0), Amount(3)).as_deref(),
            Some("0.0000")
        );
        assert_eq!(reserve_ratio(Amount(5), Amount(0)), None);
        assert_eq!(
            reserve_ratio(Amount::MAX, Amount(1)).unwrap(),
            format!("{}.0000", u128::MAX)
        );
        assert_eq!(
            reserve_ratio(Amount(u128::MAX - 1), Amount::MAX).as_deref(),
            Some("0.9999")
        );
        assert_eq!(
            reserve_ratio(Amount::MAX, Amount::MAX).as_deref(),
            Some("1.0000")
        );
    }
}
