//! The CSV export (RFC 4180, UTF-8): header `uid,<SYMBOL>,...` naming exactly the
//! configured assets in any order, one row per account, amounts as human decimals.
//! A `.gz` (gzip, every member) or `.zst` (Zstandard) file is decompressed as a stream,
//! never whole; line numbers in errors are lines of the decompressed text.
//!
//! Hot path: one reused `ByteRecord`, amounts parsed from bytes straight into base
//! units by the [`Builder`], totals checked as rows arrive. An uncompressed file is
//! read in blocks and each block parsed on all cores: no field may span lines, so
//! every line break of a valid file ends a record and a block cut after one is a set
//! of whole rows. Any fault found that way is found again by the one sequential
//! reader, which gives the error (so its text and line are the same either way).

use super::builder::{Builder, check_uid, map_columns};
use super::source::Compression;
use super::{Liabilities, LiabilitiesError, Location, Position, Problem, Scratch};
use crate::excerpt::Excerpt;
use crate::format::AssetInfo;
use crate::progress::{Phase, Progress, Silent};
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

/// A reader that reports the bytes it reads.
struct Counting<'a, R> {
    inner: R,
    progress: &'a dyn Progress,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.advance(n as u64);
        Ok(n)
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
    parse_file_reporting(path, assets, &Silent, None)
}

/// [`parse_file`], reporting [`Phase::Liabilities`] to `progress` (in bytes read, for
/// an uncompressed file), the rows written to a scratch file past `scratch`'s budget.
pub fn parse_file_reporting(
    path: &Path,
    assets: &[AssetInfo],
    progress: &dyn Progress,
    scratch: Option<&Scratch>,
) -> Result<Liabilities, LiabilitiesError> {
    let name = path.display().to_string();
    let io = |e: std::io::Error| LiabilitiesError::Io {
        file: name.clone(),
        message: e.to_string(),
    };
    let f = std::fs::File::open(path).map_err(io)?;
    let size = f.metadata().map(|m| m.len()).ok();
    let mut buffered = BufReader::with_capacity(1 << 20, f);
    let compression = Compression::of(path);
    progress.start(
        Phase::Liabilities,
        size.filter(|_| compression == Compression::None),
    );
    match compression {
        Compression::None => {
            if let Some(ext) = compressed_magic(buffered.fill_buf().map_err(io)?) {
                return Err(LiabilitiesError::Io {
                    file: name.clone(),
                    message: format!(
                        "the file is compressed, but its name does not end in {ext}: rename it to be read as a stream"
                    ),
                });
            }
            let counted = Counting {
                inner: &mut buffered,
                progress,
            };
            if let Some(l) = parse_blocks(counted, &name, assets, BLOCK_BYTES, scratch) {
                return Ok(l);
            }
            // A fault: read again, in order, for its exact error.
            let f = std::fs::File::open(path).map_err(io)?;
            parse_reader_with(BufReader::with_capacity(1 << 20, f), &name, assets, scratch)
        }
        Compression::Gzip => {
            let inner = flate2::bufread::MultiGzDecoder::new(buffered);
            parse_reader_with(
                Decoding {
                    inner,
                    what: "gzip",
                },
                &name,
                assets,
                scratch,
            )
        }
        Compression::Zstd => {
            let inner = zstd::stream::read::Decoder::with_buffer(buffered).map_err(io)?;
            parse_reader_with(
                Decoding {
                    inner,
                    what: "zstd",
                },
                &name,
                assets,
                scratch,
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
    parse_reader_with(reader, file, assets, None)
}

/// [`parse_reader`], the rows written to a scratch file past `scratch`'s budget.
pub fn parse_reader_with<R: Read>(
    reader: R,
    file: &str,
    assets: &[AssetInfo],
    scratch: Option<&Scratch>,
) -> Result<Liabilities, LiabilitiesError> {
    let mut rdr = csv_reader(reader);
    let head = header(&mut rdr, file, assets)?;
    let mut b = Builder::new(assets, true);
    if let Some(s) = scratch {
        b.spill_to(s);
    }
    b.part(file);
    rows(&mut rdr, file, assets, &head, &mut b, true)?;
    b.finish(|| invalid(file, head.line, None, Problem::NoAccounts))
}

fn csv_reader<R: Read>(reader: R) -> ::csv::Reader<R> {
    ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(reader)
}

/// The header's columns: each one after the uid mapped onto its configured asset.
struct Header {
    /// Line of the header.
    line: u64,
    /// Columns per record.
    width: usize,
    /// Column i (after the uid) → configured asset index.
    col_asset: Vec<usize>,
}

fn invalid(
    file: &str,
    line: u64,
    column: Option<(usize, String)>,
    kind: Problem,
) -> LiabilitiesError {
    LiabilitiesError::Invalid {
        at: Location::boxed(file, Position::Line(line), column),
        kind,
    }
}

fn csv_error(file: &str, e: ::csv::Error) -> LiabilitiesError {
    match e.kind() {
        ::csv::ErrorKind::Io(io) => LiabilitiesError::Io {
            file: file.to_string(),
            message: io.to_string(),
        },
        _ => invalid(
            file,
            e.position().map(|p| p.line()).unwrap_or(0),
            None,
            Problem::Csv(Excerpt::message(e.to_string())),
        ),
    }
}

fn header<R: Read>(
    rdr: &mut ::csv::Reader<R>,
    file: &str,
    assets: &[AssetInfo],
) -> Result<Header, LiabilitiesError> {
    let mut rec = ::csv::ByteRecord::new();
    if !rdr
        .read_byte_record(&mut rec)
        .map_err(|e| csv_error(file, e))?
    {
        return Err(invalid(file, 1, None, Problem::NoHeader));
    }
    let line = rec.position().map(|p| p.line()).unwrap_or(1);
    let mut names = Vec::with_capacity(rec.len());
    for (i, field) in rec.iter().enumerate() {
        let field = if i == 0 {
            field.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(field)
        } else {
            field
        };
        let s = std::str::from_utf8(field).map_err(|_| {
            invalid(
                file,
                line,
                Some((i + 1, "header".into())),
                Problem::InvalidUtf8,
            )
        })?;
        names.push(s.trim().to_string());
    }
    let col_asset = map_columns(&names, assets).map_err(|(col, problem)| {
        invalid(file, line, col.map(|c| (c + 1, names[c].clone())), problem)
    })?;
    Ok(Header {
        line,
        width: names.len(),
        col_asset,
    })
}

/// Every account row `rdr` has left, into `b`. `check_utf8`: amount fields are checked
/// for UTF-8 first (the exact error); without it, the amount parser refuses them.
fn rows<R: Read>(
    rdr: &mut ::csv::Reader<R>,
    file: &str,
    assets: &[AssetInfo],
    head: &Header,
    b: &mut Builder<'_>,
    check_utf8: bool,
) -> Result<(), LiabilitiesError> {
    let mut rec = ::csv::ByteRecord::new();
    let width = head.width;
    while rdr
        .read_byte_record(&mut rec)
        .map_err(|e| csv_error(file, e))?
    {
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
            return Err(invalid(file, line, None, problem));
        }
        let uid = &rec[0];
        check_uid(uid).map_err(|p| invalid(file, line, Some((1, "uid".to_string())), p))?;
        for (i, &a) in head.col_asset.iter().enumerate() {
            let field = &rec[i + 1];
            let col = || Some((i + 2, assets[a].symbol.clone()));
            // The parallel reader leaves this to the amount parser (which refuses any
            // byte but digits and a point, so any invalid UTF-8 is still refused and
            // the sequential reader then says which).
            if check_utf8 && std::str::from_utf8(field).is_err() {
                return Err(invalid(file, line, col(), Problem::InvalidUtf8));
            }
            b.decimal(a, field)
                .map_err(|p| invalid(file, line, col(), p))?;
        }
        b.push(uid, line)
            .map_err(|p| invalid(file, line, None, p))?;
    }
    Ok(())
}

/// Bytes read per block by the parallel reader (a few pieces per core each).
pub const BLOCK_BYTES: usize = 32 << 20;

/// The parallel reader of an uncompressed CSV: `None` when it met anything but valid
/// rows (a fault, or a header longer than a block), for the sequential reader to
/// report exactly.
pub fn parse_blocks<R: Read>(
    mut reader: R,
    file: &str,
    assets: &[AssetInfo],
    block: usize,
    scratch: Option<&Scratch>,
) -> Option<Liabilities> {
    use rayon::prelude::*;
    let mut buf: Vec<u8> = Vec::with_capacity(block + (block >> 4));
    let mut eof = fill(&mut reader, &mut buf, block)?;
    // The header: the first line of the first block.
    let first_break = loop {
        if let Some(i) = buf.iter().position(|&c| c == b'\n') {
            break i;
        }
        if eof {
            return None;
        }
        eof = fill(&mut reader, &mut buf, block)?;
    };
    let mut rdr = csv_reader(&buf[..=first_break]);
    let head = header(&mut rdr, file, assets).ok()?;
    let mut start = first_break + 1;
    let mut lines_before = 1u64;
    let mut b = Builder::new(assets, true);
    if let Some(s) = scratch {
        b.spill_to(s);
    }
    b.part(file);
    loop {
        // Whole lines only: up to the last line break, unless the file ends here.
        let end = if eof {
            buf.len()
        } else {
            match buf[start..].iter().rposition(|&c| c == b'\n') {
                Some(i) => start + i + 1,
                None => {
                    // One line longer than the block: read on until it ends.
                    eof = fill(&mut reader, &mut buf, block)?;
                    continue;
                }
            }
        };
        let pieces = split_lines(&buf[start..end], rayon::current_num_threads() * 4);
        let parsed: Vec<(Builder<'_>, u64)> = pieces
            .par_iter()
            .map(|piece| {
                let lines = piece.iter().filter(|&&c| c == b'\n').count() as u64
                    + u64::from(!piece.ends_with(b"\n") && !piece.is_empty());
                let mut pb = Builder::new(assets, true);
                // Sized once: growing many large buffers at once on all cores is
                // page faults serialised in the kernel, not parsing.
                pb.reserve(lines as usize, piece.len() / 2);
                let mut rdr = csv_reader(*piece);
                rows(&mut rdr, file, assets, &head, &mut pb, false).ok()?;
                Some((pb, lines))
            })
            .collect::<Option<_>>()?;
        b.reserve(parsed.iter().map(|(pb, _)| pb.len()).sum(), end - start);
        for (pb, lines) in parsed {
            b.append(pb, lines_before).ok()?;
            lines_before += lines;
        }
        if eof {
            break;
        }
        buf.drain(..end);
        start = 0;
        eof = fill(&mut reader, &mut buf, block)?;
    }
    b.finish(|| invalid(file, head.line, None, Problem::NoAccounts))
        .ok()
}

/// Reads until `buf` holds `block` more bytes or the input ends; `Some(true)` at the
/// end, `None` on a read error (the sequential reader reports it).
fn fill<R: Read>(reader: &mut R, buf: &mut Vec<u8>, block: usize) -> Option<bool> {
    let want = buf.len() + block;
    while buf.len() < want {
        let old = buf.len();
        buf.resize(want, 0);
        match reader.read(&mut buf[old..]) {
            Ok(0) => {
                buf.truncate(old);
                return Some(true);
            }
            Ok(n) => buf.truncate(old + n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => buf.truncate(old),
            Err(_) => return None,
        }
    }
    Some(false)
}

/// `text` cut after line breaks into about `n` pieces of whole lines.
fn split_lines(text: &[u8], n: usize) -> Vec<&[u8]> {
    let mut pieces = Vec::with_capacity(n);
    let target = text.len().div_ceil(n.max(1)).max(1);
    let mut rest = text;
    while !rest.is_empty() {
        if rest.len() <= target {
            pieces.push(rest);
            break;
        }
        let cut = match rest[target..].iter().position(|&c| c == b'\n') {
            Some(i) => target + i + 1,
            None => rest.len(),
        };
        let (piece, tail) = rest.split_at(cut);
        pieces.push(piece);
        rest = tail;
    }
    pieces
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
        assert_eq!(l.uid_of(0).unwrap(), "a\u{85}b".as_bytes());
        assert_eq!(l.uid_of(1).unwrap(), b" sp ace ");
        assert_eq!(l.uid_of(2).unwrap(), "ü".as_bytes());
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

    fn same(a: &Liabilities, b: &Liabilities) {
        assert_eq!(a.len(), b.len());
        assert_eq!(a.totals, b.totals);
        assert_eq!(a.uid_index, b.uid_index);
        for r in 0..a.len() {
            assert_eq!(a.uid_of(r).unwrap(), b.uid_of(r).unwrap(), "row {r}");
            assert_eq!(
                a.balances_of(r).unwrap(),
                b.balances_of(r).unwrap(),
                "row {r}"
            );
        }
    }

    /// The parallel reader gives exactly the sequential reader's liabilities for any
    /// block size (lines cut across blocks, pieces of one line, CRLF, blank lines,
    /// quoted uids, a final line without a break).
    #[test]
    fn blocks_read_what_the_sequential_reader_reads() {
        let assets = vec![
            AssetInfo {
                symbol: "BTC".into(),
                decimals: 8,
            },
            AssetInfo {
                symbol: "USDT".into(),
                decimals: 6,
            },
        ];
        let mut text = String::from("\u{feff}uid,USDT,BTC\r\n");
        for i in 0..500 {
            match i % 7 {
                0 => text.push_str(&format!("\"u,{i}\",{i}.5,0.{i:08}\r\n")),
                3 => text.push('\n'),
                _ => text.push_str(&format!("user-{i},{},{}\n", i * 1000, i % 13)),
            }
        }
        text.push_str("last,1,2");
        let want = parse_reader(text.as_bytes(), "l.csv", &assets).unwrap();
        for block in [1, 2, 7, 64, 1000, 1 << 20] {
            let got = parse_blocks(text.as_bytes(), "l.csv", &assets, block, None)
                .unwrap_or_else(|| panic!("block {block}"));
            same(&want, &got);
        }
        // Past a budget, the rows go to a scratch file in segments, and read back the
        // same: from either reader, whatever the budget and segment size.
        let dir = tempfile::tempdir().unwrap();
        for (budget, segment_rows) in [(0, 1), (0, 3), (100, 7), (5000, 64), (1 << 30, 3)] {
            let scratch = Scratch {
                dir: dir.path().join("scratch"),
                budget,
                segment_rows,
            };
            let got = parse_reader_with(text.as_bytes(), "l.csv", &assets, Some(&scratch)).unwrap();
            assert_eq!(got.is_spilled(), budget < 1 << 30);
            same(&want, &got);
            assert_eq!(got.balance_widths().len(), 2);
            for block in [7, 1 << 20] {
                let got =
                    parse_blocks(text.as_bytes(), "l.csv", &assets, block, Some(&scratch)).unwrap();
                same(&want, &got);
                // Ranges across segments, in order.
                let mut rows = Vec::new();
                got.for_each(5, 300, |r, u, b| rows.push((r, u.to_vec(), b.to_vec())))
                    .unwrap();
                assert_eq!(rows.len(), 295);
                for (r, u, b) in rows {
                    assert_eq!(u, want.uid_of(r).unwrap());
                    assert_eq!(b, want.balances_of(r).unwrap());
                }
            }
        }
        // The scratch files are unnamed: nothing is left in the folder.
        let left = std::fs::read_dir(dir.path().join("scratch"))
            .unwrap()
            .count();
        assert_eq!(left, 0);
    }

    /// A duplicate is found, and named, the same when the rows were spilled.
    #[test]
    fn spilled_rows_find_duplicates_by_line() {
        let dir = tempfile::tempdir().unwrap();
        let scratch = Scratch {
            dir: dir.path().to_path_buf(),
            budget: 0,
            segment_rows: 2,
        };
        let text = "uid,BTC
z,0
a,1


b,2
c,5
d,6
a,4
";
        let want = parse(text.as_bytes()).err().unwrap().to_string();
        assert_eq!(
            want,
            "l.csv:9:1 (uid): duplicate uid \"a\" (first on line 3)"
        );
        let got = parse_reader_with(text.as_bytes(), "l.csv", &assets(), Some(&scratch))
            .err()
            .unwrap()
            .to_string();
        assert_eq!(got, want);
    }

    /// Line numbers are kept as runs (a new run at each blank line): a duplicate
    /// after blank lines names both lines exactly, from either reader.
    #[test]
    fn duplicates_name_their_lines_across_blank_lines() {
        let text = "uid,BTC\na,1\n\nb,2\n\nc,3\na,4\n";
        let e = parse(text.as_bytes()).err().unwrap().to_string();
        assert_eq!(e, "l.csv:7:1 (uid): duplicate uid \"a\" (first on line 2)");
        let text = "uid,BTC\nz,0\na,1\n\n\nb,2\na,4\n";
        let e = parse(text.as_bytes()).err().unwrap().to_string();
        assert_eq!(e, "l.csv:7:1 (uid): duplicate uid \"a\" (first on line 3)");
        let ok = "uid,BTC\na,1\n\n\nb,2\nc,3\n\nd,4\n";
        for block in [3, 8, 1 << 20] {
            let l = parse_blocks(ok.as_bytes(), "l.csv", &assets(), block, None).unwrap();
            assert_eq!(l.len(), 4);
            assert_eq!(l.balances_of(3).unwrap(), vec![400_000_000]);
        }
    }

    /// Any fault makes the parallel reader give up, so the sequential one reports it;
    /// a duplicate across blocks is found too.
    #[test]
    fn blocks_give_way_on_every_fault() {
        let ok = "uid,BTC\na,1\nb,2\n";
        assert!(parse_blocks(ok.as_bytes(), "l.csv", &assets(), 4, None).is_some());
        for bad in [
            "uid,BTC\na,1\nb,x\n",
            "uid,BTC\na,1\nb,2,3\n",
            "uid,BTC\na,1\n\"b,2\nc,3\n",
            "uid,BTC\na,1\nb,2\na,3\n",
            "uid,BTC\n",
            "uid,ETH\na,1\n",
            "uid,BTC\na,3402823669209384634633746074317.68211455\nb,1\n",
        ] {
            for block in [3, 8, 1 << 20] {
                assert!(
                    parse_blocks(bad.as_bytes(), "l.csv", &assets(), block, None).is_none(),
                    "{bad:?} at block {block}"
                );
            }
            assert!(
                parse_reader(bad.as_bytes(), "l.csv", &assets()).is_err(),
                "{bad:?}"
            );
        }
    }
}
