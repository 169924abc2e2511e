//! The CSV export (RFC 4180, UTF-8): header `uid,<SYMBOL>,...` naming exactly the
//! configured assets in any order, one row per account, amounts as human decimals.
//! A `.gz` (gzip, every member) or `.zst` (Zstandard) file is decompressed as a stream,
//! never whole; line numbers in errors are lines of the decompressed text.
//!
//! Hot path: one reused `ByteRecord`, amounts parsed from bytes straight into base
//! units by the [`Builder`], totals checked as rows arrive.

use super::builder::{Builder, check_uid, map_columns};
use super::source::Compression;
use super::{Liabilities, LiabilitiesError, Location, Position, Problem};
use crate::excerpt::Excerpt;
use crate::format::AssetInfo;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// Whether a field of a ragged record holds a line break: the CSV reader only puts one
/// there inside quotes, so an opening quote without its closing one swallowed the rest
/// of the file (no field of these files may span lines).
fn runs_past_its_line(rec: &::csv::ByteRecord) -> bool {
    rec.iter().any(|f| f.contains(&b'\n') || f.contains(&b'\r'))
}

/// A decompressing reader whose errors say which decompression failed.
struct Decoding<R> {
    inner: R,
    what: &'static str,
}

impl<R: Read> Read for Decoding<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.inner
            .read(buf)
            .map_err(|e| std::io::Error::new(e.kind(), format!("{} stream: {e}", self.what)))
    }
}

/// What compressed data a file starts with, when its name does not say so.
fn compressed_magic(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(&[0x1f, 0x8b]) {
        Some(".gz")
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Some(".zst")
    } else {
        None
    }
}

/// Parses and validates a liabilities CSV file, decompressed by its extension
/// (`.gz`, `.zst`).
pub fn parse_file(path: &Path, assets: &[AssetInfo]) -> Result<Liabilities, LiabilitiesError> {
    let name = path.display().to_string();
    let io = |e: std::io::Error| LiabilitiesError::Io {
        file: name.clone(),
        message: e.to_string(),
    };
    let f = std::fs::File::open(path).map_err(io)?;
    let mut buffered = BufReader::with_capacity(1 << 20, f);
    match Compression::of(path) {
        Compression::None => {
            if let Some(ext) = compressed_magic(buffered.fill_buf().map_err(io)?) {
                return Err(LiabilitiesError::Io {
                    file: name.clone(),
                    message: format!(
                        "the file is compressed, but its name does not end in {ext}: rename it to be read as a stream"
                    ),
                });
            }
            parse_reader(buffered, &name, assets)
        }
        Compression::Gzip => {
            let inner = flate2::bufread::MultiGzDecoder::new(buffered);
            parse_reader(
                Decoding {
                    inner,
                    what: "gzip",
                },
                &name,
                assets,
            )
        }
        Compression::Zstd => {
            let inner = zstd::stream::read::Decoder::with_buffer(buffered).map_err(io)?;
            parse_reader(
                Decoding {
                    inner,
                    what: "zstd",
                },
                &name,
                assets,
            )
        }
    }
}

/// Parses and validates a liabilities CSV from `reader`; `file` names it in errors.
pub fn parse_reader<R: Read>(
    reader: R,
    file: &str,
    assets: &[AssetInfo],
) -> Result<Liabilities, LiabilitiesError> {
    let invalid =
        |line: u64, column: Option<(usize, String)>, kind: Problem| LiabilitiesError::Invalid {
            at: Location::boxed(file, Position::Line(line), column),
            kind,
        };
    let mut rdr = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);
    let mut rec = ::csv::ByteRecord::new();
    let csv_err = |e: ::csv::Error| match e.kind() {
        ::csv::ErrorKind::Io(io) => LiabilitiesError::Io {
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
    // Column i (1-based, after uid) → configured asset index.
    let col_asset = map_columns(&names, assets).map_err(|(col, problem)| {
        invalid(header_line, col.map(|c| (c + 1, names[c].clone())), problem)
    })?;

    let width = names.len();
    let mut b = Builder::new(assets, true);
    b.part(file);
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
        check_uid(uid).map_err(|p| invalid(line, Some((1, "uid".to_string())), p))?;
        for (i, &a) in col_asset.iter().enumerate() {
            let field = &rec[i + 1];
            let col = || Some((i + 2, assets[a].symbol.clone()));
            if std::str::from_utf8(field).is_err() {
                return Err(invalid(line, col(), Problem::InvalidUtf8));
            }
            b.decimal(a, field).map_err(|p| invalid(line, col(), p))?;
        }
        b.push(uid, line).map_err(|p| invalid(line, None, p))?;
    }
    b.finish(|| invalid(header_line, None, Problem::NoAccounts))
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
