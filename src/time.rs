//! UTC timestamps in whole seconds, parsed from and written as RFC 3339 by `jiff`.
//!
//! Input is an RFC 3339 `date-time` (§5.6): `2026-11-21T00:00:00Z`, also with `t` or a
//! space for the `T`, `z` for the `Z`, a fraction of a second (dropped) or a numeric
//! offset (`+02:00`). Anything else, jiff's more lenient ISO 8601 forms included
//! (`2026-11-21T00:00Z`, `+0200`, `[Europe/Paris]`), is refused. Output is always
//! `YYYY-MM-DDTHH:MM:SSZ` (FORMAT.md §4). The clock is read only at the binary's edge
//! ([`Timestamp::now`]) and passed in.

use crate::excerpt::Excerpt;
use jiff::fmt::temporal::{DateTimeParser, DateTimePrinter};
use std::fmt;

/// Seconds since the Unix epoch, UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub u64);

/// Why a time was refused; one line, quoting (at most 80 characters of) the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadTime {
    /// Not of the form `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`.
    #[error("{0} is not an RFC 3339 time like 2026-11-21T00:00:00Z")]
    Form(Excerpt),
    /// The right form, but no such time (month 13, February 30, hour 24, …).
    #[error("{0} is not a valid time: {1}")]
    Invalid(Excerpt, String),
    /// A valid time earlier than the Unix epoch, which a [`Timestamp`] cannot hold.
    #[error("{0} is before 1970-01-01T00:00:00Z")]
    BeforeEpoch(Excerpt),
}

static PARSER: DateTimeParser = DateTimeParser::new();
static PRINTER: DateTimePrinter = DateTimePrinter::new().precision(Some(0));

/// The input without its fraction of a second, if it has the form of an RFC 3339
/// `date-time`: `YYYY-MM-DD`, `T` (or `t`, or a space, as §5.6's note allows),
/// `HH:MM:SS`, an optional `.` and digits, then `Z`/`z` or `±HH:MM` with `HH` ≤ 23.
/// Only the form is checked here, byte by byte; jiff checks the values.
fn whole_seconds(s: &str) -> Option<String> {
    const FORM: &[u8; 19] = b"dddd-dd-ddTdd:dd:dd";
    let b = s.as_bytes();
    let (head, mut rest) = (b.get(..19)?, b.get(19..)?);
    let fits = |c: u8, f: u8| match f {
        b'd' => c.is_ascii_digit(),
        b'T' => matches!(c, b'T' | b't' | b' '),
        _ => c == f,
    };
    if !head.iter().zip(FORM).all(|(&c, &f)| fits(c, f)) {
        return None;
    }
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        rest = &frac[n..];
    }
    let offset_ok = match *rest {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => {
            [h1, h2, m1, m2].iter().all(u8::is_ascii_digit) && [h1, h2] <= [b'2', b'3']
        }
        _ => false,
    };
    if !offset_ok {
        return None;
    }
    // Both parts are ASCII by now.
    Some(format!(
        "{}{}",
        std::str::from_utf8(head).ok()?,
        std::str::from_utf8(rest).ok()?
    ))
}

impl Timestamp {
    /// The last second jiff represents: `9999-12-30T22:00:00Z`.
    pub const MAX: Timestamp = Timestamp(253_402_207_200);

    /// Parses an RFC 3339 `date-time` (see the module header); a fraction of a second
    /// is truncated, a leap second `:60` reads as `:59`.
    pub fn parse_rfc3339(s: &str) -> Result<Timestamp, BadTime> {
        let whole = whole_seconds(s).ok_or_else(|| BadTime::Form(Excerpt::quoted(s)))?;
        let t = PARSER
            .parse_timestamp(&whole)
            .map_err(|e| BadTime::Invalid(Excerpt::quoted(s), e.to_string()))?;
        u64::try_from(t.as_second())
            .map(Timestamp)
            .map_err(|_| BadTime::BeforeEpoch(Excerpt::quoted(s)))
    }

    fn to_jiff(self) -> jiff::Timestamp {
        let secs = i64::try_from(self.0.min(Timestamp::MAX.0)).unwrap_or(0);
        jiff::Timestamp::from_second(secs).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`. A value past [`Timestamp::MAX`] (no real block or
    /// snapshot time; only a `Timestamp(u64)` built by hand) is written as `MAX`.
    pub fn to_rfc3339(self) -> String {
        PRINTER.timestamp_to_string(&self.to_jiff())
    }

    /// `YYYY-MM-DD`: the default snapshot id of a run.
    pub fn date(self) -> String {
        jiff::tz::Offset::UTC
            .to_datetime(self.to_jiff())
            .date()
            .to_string()
    }

    /// The current time, read at the binary's edge only.
    pub fn now() -> Timestamp {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Timestamp(d.as_secs())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "2026-11-21T00:00:00Z";

    #[test]
    fn round_trips() {
        for (s, v) in [
            ("1970-01-01T00:00:00Z", 0),
            (GOOD, 1_795_219_200),
            ("2000-02-29T23:59:59Z", 951_868_799),
            ("9999-12-30T22:00:00Z", Timestamp::MAX.0),
        ] {
            assert_eq!(Timestamp::parse_rfc3339(s).unwrap(), Timestamp(v), "{s}");
            assert_eq!(Timestamp(v).to_rfc3339(), s);
        }
        assert_eq!(
            Timestamp::parse_rfc3339("2026-11-21T02:00:00.123+02:00").unwrap(),
            Timestamp::parse_rfc3339(GOOD).unwrap()
        );
        assert_eq!(Timestamp(1_795_219_200).date(), "2026-11-21");
    }

    #[test]
    fn accepts_what_rfc_3339_allows() {
        let at = |s: &str| Timestamp::parse_rfc3339(s).map(Timestamp::to_rfc3339);
        for s in [
            "2026-11-21t00:00:00z",
            "2026-11-21 00:00:00Z",
            "2026-11-21T00:00:00.999999999999Z",
            "2026-11-21T00:00:00+00:00",
            "2026-11-21T00:00:00-00:00",
            "2026-11-20T23:00:00-01:00",
            "2026-11-21T23:59:00+23:59",
        ] {
            assert_eq!(at(s).as_deref(), Ok(GOOD), "{s}");
        }
        // A leap second reads as :59, as before.
        assert_eq!(
            at("2026-11-21T23:59:60Z").as_deref(),
            Ok("2026-11-21T23:59:59Z")
        );
    }

    #[test]
    fn rejects_malformed() {
        for s in [
            "",
            "2026-11-21",
            "2026-11-21T00:00:00",
            "x026-11-21T00:00:00Z",
            " 2026-11-21T00:00:00Z",
            "2026-11-21T00:00:00Z ",
            "2026-11-21T00:00:00.Z",
            "2026-11-21T00:00:00+02",
            "2026-11-21T00:00:00+0200",
            "2026-11-21T00:00:00+24:00",
            "2026-11-21T00:00:00+02:00:00",
            // jiff's ISO 8601 leniencies, outside RFC 3339.
            "2026-11-21T00:00Z",
            "2026-11-21T00Z",
            "20261121T000000Z",
            "+002026-11-21T00:00:00Z",
            "2026-11-21T00:00:00,5Z",
            "2026-11-21T00:00:00Z[UTC]",
            "2026-1-21T00:00:00Z",
        ] {
            let e = Timestamp::parse_rfc3339(s).unwrap_err();
            assert!(matches!(e, BadTime::Form(_)), "{s}: {e}");
        }
        for s in [
            "2026-13-01T00:00:00Z",
            "2026-02-30T00:00:00Z",
            "2026-11-21T24:00:00Z",
            "2026-11-21T00:60:00Z",
            "2026-11-21T00:00:61Z",
            "2026-11-21T00:00:00+02:60",
            "9999-12-31T23:59:59Z",
        ] {
            let e = Timestamp::parse_rfc3339(s).unwrap_err();
            assert!(matches!(e, BadTime::Invalid(..)), "{s}: {e}");
        }
        assert_eq!(
            Timestamp::parse_rfc3339("1969-12-31T23:59:59.5Z")
                .unwrap_err()
                .to_string(),
            "\"1969-12-31T23:59:59.5Z\" is before 1970-01-01T00:00:00Z"
        );
    }

    #[test]
    fn messages_are_one_line_and_quote_the_input() {
        let msg = |s: &str| Timestamp::parse_rfc3339(s).unwrap_err().to_string();
        assert_eq!(
            msg("2026-11-21T00:00:0é"),
            "\"2026-11-21T00:00:0é\" is not an RFC 3339 time like 2026-11-21T00:00:00Z"
        );
        assert_eq!(
            msg("2026-02-30T00:00:00Z"),
            "\"2026-02-30T00:00:00Z\" is not a valid time: parsed date is not valid: \
             parameter 'day' for `2026-02` is invalid, must be in range `1..=28`"
        );
        assert_eq!(
            msg("2026-11-21T\n0:00:00Z"),
            "\"2026-11-21T\\n0:00:00Z\" is not an RFC 3339 time like 2026-11-21T00:00:00Z"
        );
        let long = format!("{GOOD}{}", "9".repeat(1 << 20));
        let m = msg(&long);
        assert!(m.len() < 200 && m.contains("(1048596 bytes)"), "{m}");
    }

    /// Every non-ASCII character, at every position, replacing or inserted: an error,
    /// never a panic (the old parser sliced the text at fixed byte offsets).
    #[test]
    fn non_ascii_anywhere_is_refused_without_panicking() {
        let good = "2026-11-21T00:00:00.5+02:00";
        for c in ['é', '€', '😀', '\u{0}', '\u{7f}', '\u{a0}'] {
            for i in 0..=good.len() {
                let mut inserted = good.to_string();
                inserted.insert(i, c);
                let mut texts = vec![inserted];
                if i < good.len() {
                    let mut replaced = good.to_string();
                    replaced.replace_range(i..=i, c.encode_utf8(&mut [0; 4]));
                    texts.push(replaced);
                }
                for s in texts {
                    let e = Timestamp::parse_rfc3339(&s).unwrap_err();
                    assert!(matches!(e, BadTime::Form(_)), "{s:?}: {e}");
                }
            }
        }
        // Every prefix, every suffix.
        for i in 0..good.len() {
            assert!(Timestamp::parse_rfc3339(&good[..i]).is_err());
            assert!(Timestamp::parse_rfc3339(&good[i + 1..]).is_err());
        }
    }

    #[test]
    fn values_past_max_are_written_as_max() {
        for v in [Timestamp::MAX.0 + 1, u64::MAX] {
            assert_eq!(Timestamp(v).to_rfc3339(), "9999-12-30T22:00:00Z");
            assert_eq!(Timestamp(v).date(), "9999-12-30");
        }
    }

    proptest::proptest! {
        #[test]
        fn every_second_round_trips(v in 0..=Timestamp::MAX.0) {
            let s = Timestamp(v).to_rfc3339();
            proptest::prop_assert_eq!(s.len(), 20);
            proptest::prop_assert_eq!(Timestamp::parse_rfc3339(&s), Ok(Timestamp(v)));
            proptest::prop_assert_eq!(&s[..10], Timestamp(v).date());
        }
    }
}
