//! Bounded quotes of outside input in error messages. A refusal names the value it
//! refuses, but that value can be a 10 MB CSV field or config string, and an error
//! line is read by a person and by log collectors: every message that quotes an input
//! value goes through [`Excerpt`], which keeps at most [`MAX_CHARS`] characters of it,
//! escapes control characters (so the message stays one line) and, when it cut the
//! value, says how long it was: `"aaaaaaaa…" (10485760 bytes)`.

use std::fmt;
use std::num::NonZeroUsize;

/// How much of a value a message shows, in characters of the escaped text (`\t` counts
/// as two, `\u{0}` as five).
pub const MAX_CHARS: usize = 80;

/// How much of a whole message from a library (TOML, CSV, JSON parsers) is kept: they
/// may quote the input themselves, but their text around it is worth more room.
pub const MAX_MESSAGE_CHARS: usize = 240;

/// At most [`MAX_CHARS`] characters of a value, ready to be put in a message. Small
/// (32 bytes), as it sits in error enums.
#[derive(Clone, PartialEq, Eq)]
pub struct Excerpt {
    /// The shown part, escaped, ending in `…` when the value was cut.
    shown: Box<str>,
    /// The value's length in bytes, when it was cut (never 0: it held more than shown).
    cut_from: Option<NonZeroUsize>,
    style: Style,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Style {
    /// `"value"`, escaped as Rust's `{:?}` escapes a string.
    Quoted,
    /// `` `value` ``, control characters escaped.
    Backticks,
    /// `value`, control characters escaped.
    Bare,
}

impl Excerpt {
    /// `"value"`: the form most messages use; short values read exactly as `{:?}`.
    pub fn quoted(value: impl AsRef<[u8]>) -> Excerpt {
        Excerpt::new(value.as_ref(), Style::Quoted, MAX_CHARS)
    }

    /// `` `value` ``: signatures and other opaque blobs.
    pub fn backticked(value: impl AsRef<[u8]>) -> Excerpt {
        Excerpt::new(value.as_ref(), Style::Backticks, MAX_CHARS)
    }

    /// `value` without quotes: addresses, column names in a location.
    pub fn bare(value: impl AsRef<[u8]>) -> Excerpt {
        Excerpt::new(value.as_ref(), Style::Bare, MAX_CHARS)
    }

    /// A whole message of a library, bare, cut at [`MAX_MESSAGE_CHARS`].
    pub fn message(text: impl AsRef<[u8]>) -> Excerpt {
        Excerpt::new(text.as_ref(), Style::Bare, MAX_MESSAGE_CHARS)
    }

    /// Whether the value was cut.
    pub fn is_cut(&self) -> bool {
        self.cut_from.is_some()
    }

    fn new(value: &[u8], style: Style, max: usize) -> Excerpt {
        // Every character takes at most 4 bytes and shows as at least 1 column, so this
        // prefix holds more characters than can be shown; an invalid or partly cut
        // sequence becomes U+FFFD.
        let prefix = &value[..value.len().min(4 * (max + 1))];
        let text = String::from_utf8_lossy(prefix);
        let mut shown = String::new();
        let mut width = 0;
        let mut cut = false;
        let mut piece = String::new();
        for c in text.chars() {
            piece.clear();
            match style {
                // What `{:?}` does for a `str`: every character as `escape_debug`
                // except the single quote.
                Style::Quoted if c == '\'' => piece.push(c),
                Style::Quoted => piece.extend(c.escape_debug()),
                _ if c.is_control() => piece.extend(c.escape_debug()),
                _ => piece.push(c),
            }
            let w = piece.chars().count();
            if width + w > max {
                cut = true;
                break;
            }
            width += w;
            shown.push_str(&piece);
        }
        if cut {
            shown.push('…');
        }
        Excerpt {
            shown: shown.into(),
            cut_from: NonZeroUsize::new(value.len()).filter(|_| cut),
            style,
        }
    }
}

impl fmt::Display for Excerpt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let quote = match self.style {
            Style::Quoted => "\"",
            Style::Backticks => "`",
            Style::Bare => "",
        };
        write!(f, "{quote}{}{quote}", self.shown)?;
        if let Some(n) = self.cut_from {
            write!(f, " ({n} bytes)")?;
        }
        Ok(())
    }
}

/// The same text as `Display`, so `{:?}` in a message cannot bring the whole value back.
impl fmt::Debug for Excerpt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_small_enough_for_error_enums() {
        assert_eq!(std::mem::size_of::<Excerpt>(), 32);
    }

    #[test]
    fn short_values_read_as_debug_quotes() {
        for s in [
            "",
            "-1",
            "BTC/USD",
            "a\"b",
            "it's",
            "tab\there",
            "nul\0",
            "é ü 😀",
            "\u{7f}",
        ] {
            assert_eq!(Excerpt::quoted(s).to_string(), format!("{s:?}"), "{s:?}");
            assert!(!Excerpt::quoted(s).is_cut());
        }
        assert_eq!(
            Excerpt::backticked("not*base64!").to_string(),
            "`not*base64!`"
        );
        assert_eq!(Excerpt::bare("a\nb\"c").to_string(), "a\\nb\"c");
    }

    #[test]
    fn long_values_are_cut_with_their_length() {
        let big = "a".repeat(10 * 1024 * 1024);
        let e = Excerpt::quoted(&big);
        assert_eq!(
            e.to_string(),
            format!("\"{}…\" (10485760 bytes)", "a".repeat(MAX_CHARS))
        );
        assert_eq!(format!("{e:?}"), e.to_string());
        assert_eq!(
            Excerpt::bare(&big).to_string(),
            format!("{}… (10485760 bytes)", "a".repeat(MAX_CHARS))
        );
        // Exactly the limit is not cut; one more is.
        let at = "b".repeat(MAX_CHARS);
        assert_eq!(Excerpt::quoted(&at).to_string(), format!("{at:?}"));
        let over = "b".repeat(MAX_CHARS + 1);
        assert!(
            Excerpt::quoted(&over)
                .to_string()
                .ends_with("…\" (81 bytes)")
        );
    }

    #[test]
    fn escapes_count_against_the_limit_and_output_stays_one_short_line() {
        for value in [
            "\0".repeat(1000),
            "\t\n\r".repeat(1000),
            "😀".repeat(1000),
            "\u{10ffff}".repeat(1000),
        ] {
            for e in [
                Excerpt::quoted(&value),
                Excerpt::backticked(&value),
                Excerpt::bare(&value),
            ] {
                let s = e.to_string();
                assert!(e.is_cut());
                assert!(!s.contains(['\n', '\r', '\0']), "{s}");
                assert!(s.chars().count() <= MAX_CHARS + 30, "{s}");
            }
        }
    }

    #[test]
    fn invalid_utf8_and_cut_characters_never_panic() {
        let mut bytes = vec![0xff; 3];
        bytes.extend("é".repeat(500).as_bytes());
        for n in 0..bytes.len() {
            let whole = String::from_utf8_lossy(&bytes[..n]).into_owned();
            let e = Excerpt::quoted(&bytes[..n]);
            let s = e.to_string();
            if e.is_cut() {
                // Only whole characters of the value are shown, in order.
                let shown = s.strip_prefix('"').unwrap().split("…\"").next().unwrap();
                assert!(whole.starts_with(shown), "{n}: {s}");
                assert!(s.ends_with(&format!("…\" ({n} bytes)")), "{n}: {s}");
            } else {
                assert_eq!(s, format!("{whole:?}"), "{n}");
            }
        }
    }

    #[test]
    fn library_messages_get_more_room() {
        let m = format!("unknown field `{}`", "k".repeat(1000));
        let e = Excerpt::message(&m);
        assert!(e.is_cut());
        assert!(e.to_string().starts_with("unknown field `kkk"));
        assert_eq!(
            e.to_string().chars().count(),
            MAX_MESSAGE_CHARS + 1 + " (1016 bytes)".len()
        );
    }
}
