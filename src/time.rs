//! UTC timestamps: RFC 3339 parsing (with `Z` or a numeric offset) and formatting
//! (always `Z`), in whole seconds. Small and exact, so the core needs no date crate;
//! the clock is read only at the binary's edge and passed in.

use std::fmt;

/// Seconds since the Unix epoch, UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub u64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an RFC 3339 time like 2026-11-21T00:00:00Z")]
pub struct BadTime(pub String);

// Days from 1970-01-01 to year/month/day (proleptic Gregorian), after H. Hinnant.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

impl Timestamp {
    /// Parses `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`; fractions are truncated.
    pub fn parse_rfc3339(s: &str) -> Result<Timestamp, BadTime> {
        let bad = || BadTime(s.to_string());
        let b = s.as_bytes();
        if b.len() < 20
            || b[4] != b'-'
            || b[7] != b'-'
            || !matches!(b[10], b'T' | b't' | b' ')
            || b[13] != b':'
            || b[16] != b':'
        {
            return Err(bad());
        }
        let num = |r: std::ops::Range<usize>| -> Result<u32, BadTime> {
            let p = &s[r];
            if p.bytes().all(|c| c.is_ascii_digit()) {
                p.parse().map_err(|_| bad())
            } else {
                Err(bad())
            }
        };
        let (y, mo, d, h, mi, se) = (
            num(0..4)?,
            num(5..7)?,
            num(8..10)?,
            num(11..13)?,
            num(14..16)?,
            num(17..19)?,
        );
        let mut rest = &s[19..];
        if let Some(r) = rest.strip_prefix('.') {
            let n = r.bytes().take_while(u8::is_ascii_digit).count();
            if n == 0 {
                return Err(bad());
            }
            rest = &r[n..];
        }
        let offset: i64 = match rest {
            "Z" | "z" => 0,
            o if o.len() == 6 && (o.starts_with('+') || o.starts_with('-')) && &o[3..4] == ":" => {
                let oh = i64::from(num(s.len() - 5..s.len() - 3)?);
                let om = i64::from(num(s.len() - 2..s.len())?);
                if oh > 23 || om > 59 {
                    return Err(bad());
                }
                let v = oh * 3600 + om * 60;
                if o.starts_with('-') { -v } else { v }
            }
            _ => return Err(bad()),
        };
        let leap =
            |y: u32| (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400);
        let mdays = [
            31,
            if leap(y) { 29 } else { 28 },
            31,
            30,
            31,
            30,
            31,
            31,
            30,
            31,
            30,
            31,
        ];
        if !(1..=12).contains(&mo)
            || d == 0
            || d > mdays[mo as usize - 1]
            || h > 23
            || mi > 59
            || se > 60
        {
            return Err(bad());
        }
        let days = days_from_civil(i64::from(y), mo, d);
        let secs = days * 86_400 + i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(se.min(59))
            - offset;
        u64::try_from(secs).map(Timestamp).map_err(|_| bad())
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`.
    pub fn to_rfc3339(self) -> String {
        let days = (self.0 / 86_400) as i64;
        let rem = self.0 % 86_400;
        let (y, m, d) = civil_from_days(days);
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            rem / 3600,
            rem % 3600 / 60,
            rem % 60
        )
    }

    /// `YYYY-MM-DD`: the default snapshot id of a run.
    pub fn date(self) -> String {
        self.to_rfc3339()[..10].to_string()
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

    #[test]
    fn round_trips() {
        for (s, v) in [
            ("1970-01-01T00:00:00Z", 0),
            ("2026-11-21T00:00:00Z", 1_795_219_200),
            ("2000-02-29T23:59:59Z", 951_868_799),
        ] {
            assert_eq!(Timestamp::parse_rfc3339(s).unwrap(), Timestamp(v), "{s}");
            assert_eq!(Timestamp(v).to_rfc3339(), s);
        }
        assert_eq!(
            Timestamp::parse_rfc3339("2026-11-21T02:00:00.123+02:00").unwrap(),
            Timestamp::parse_rfc3339("2026-11-21T00:00:00Z").unwrap()
        );
        assert_eq!(Timestamp(1_795_219_200).date(), "2026-11-21");
    }

    #[test]
    fn rejects_malformed() {
        for s in [
            "",
            "2026-11-21",
            "2026-13-01T00:00:00Z",
            "2026-02-30T00:00:00Z",
            "2026-11-21T00:00:00",
            "2026-11-21T24:00:00Z",
            "x026-11-21T00:00:00Z",
        ] {
            assert!(Timestamp::parse_rfc3339(s).is_err(), "{s}");
        }
    }
}
