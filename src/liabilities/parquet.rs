//! The Parquet export: one file, or a folder of part files (`*.parquet`, read in name
//! order; names starting with `.` or `_`, such as `_SUCCESS`, are not parts), as
//! warehouses write them. Each file's flat columns are `uid` and one per configured
//! asset, in any order after the uid, as in the CSV header. The column's type decides
//! how a balance is read:
//!
//! - a string (`BYTE_ARRAY`, UTF8 or unannotated): a human decimal, as in the CSV;
//! - an integer (`INT32`/`INT64`, signed or unsigned): base units;
//! - `DECIMAL(p, s)` on any physical type: `unscaled · 10^(decimals − s)` base units,
//!   refused as a whole when `s` is above the asset's decimals.
//!
//! Floats, booleans, dates and nested or repeated columns are refused with the column
//! named; NULLs with their row and uid. Rows are read in batches with the parquet
//! crate's column readers (no Arrow arrays), so memory stays one batch per column.

use super::builder::{Builder, check_uid, map_columns};
use super::{Liabilities, LiabilitiesError, Location, Position, Problem, Scratch};
use crate::amount::AmountError;
use crate::excerpt::Excerpt;
use crate::format::AssetInfo;
use ::parquet::basic::{ConvertedType, LogicalType, Type as Physical};
use ::parquet::column::reader::{ColumnReader, ColumnReaderImpl};
use ::parquet::data_type::{ByteArray, ByteArrayType, FixedLenByteArray, FixedLenByteArrayType};
use ::parquet::data_type::{Int32Type, Int64Type};
use ::parquet::file::reader::{FileReader, SerializedFileReader};
use ::parquet::schema::types::ColumnDescriptor;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Records read from each column at a time.
const BATCH: usize = 8192;

/// Reads the Parquet file at `path`, or every part file of the folder at `path`.
pub fn read_path(
    path: &Path,
    assets: &[AssetInfo],
    scratch: Option<&Scratch>,
) -> Result<Liabilities, LiabilitiesError> {
    let name = path.display().to_string();
    let io = |message: String| LiabilitiesError::Io {
        file: name.clone(),
        message,
    };
    let files = if path.is_dir() {
        part_files(path).map_err(|e| io(e.to_string()))?
    } else {
        vec![path.to_path_buf()]
    };
    if files.is_empty() {
        return Err(io("no *.parquet part files in this folder".into()));
    }
    let mut b = Builder::new(assets, false);
    if let Some(s) = scratch {
        b.spill_to(s);
    }
    for f in &files {
        read_file(f, &mut b)?;
    }
    b.finish(|| LiabilitiesError::Invalid {
        at: Location::boxed(&name, Position::Columns, None),
        kind: Problem::NoRows,
    })
}

/// The `*.parquet` files of a folder, by name; hidden and `_` files are not parts.
fn part_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name.ends_with(".parquet") && !name.starts_with(['.', '_']) && e.file_type()?.is_file() {
            files.push(e.path());
        }
    }
    files.sort();
    Ok(files)
}

/// How a column's values become a uid or a balance.
#[derive(Clone, Copy, Debug)]
enum Kind {
    /// Text: a uid as is, a balance as a human decimal.
    Text,
    /// An integer: a uid in decimal digits, a balance in base units.
    Int { signed: bool },
    /// A DECIMAL with this scale: a balance of `unscaled · 10^(decimals − scale)`.
    Decimal { scale: u8, factor: u128 },
}

/// The typed reader of one column chunk.
enum Values {
    Bytes(ColumnReaderImpl<ByteArrayType>, Vec<ByteArray>),
    Fixed(
        ColumnReaderImpl<FixedLenByteArrayType>,
        Vec<FixedLenByteArray>,
    ),
    I32(ColumnReaderImpl<Int32Type>, Vec<i32>),
    I64(ColumnReaderImpl<Int64Type>, Vec<i64>),
}

/// One value of a column, borrowed from its batch.
enum Value<'v> {
    Bytes(&'v [u8]),
    I32(i32),
    I64(i64),
}

/// One column of the current row group: its reader, the batch it holds and where the
/// next value of the batch is (NULLs take a level, not a value).
struct Column {
    index: usize,
    name: String,
    kind: Kind,
    nullable: bool,
    values: Values,
    defs: Vec<i16>,
    next: usize,
}

impl Column {
    /// Reads up to `n` more records; returns how many.
    fn fill(&mut self, n: usize) -> ::parquet::errors::Result<usize> {
        self.defs.clear();
        self.next = 0;
        let defs = Some(&mut self.defs);
        let (records, _, _) = match &mut self.values {
            Values::Bytes(r, v) => {
                v.clear();
                r.read_records(n, defs, None, v)?
            }
            Values::Fixed(r, v) => {
                v.clear();
                r.read_records(n, defs, None, v)?
            }
            Values::I32(r, v) => {
                v.clear();
                r.read_records(n, defs, None, v)?
            }
            Values::I64(r, v) => {
                v.clear();
                r.read_records(n, defs, None, v)?
            }
        };
        Ok(records)
    }

    /// The value of record `r` of the batch, `None` when it is NULL. Records are taken
    /// in order.
    #[inline]
    fn take(&mut self, r: usize) -> Option<Value<'_>> {
        if self.nullable && self.defs[r] == 0 {
            return None;
        }
        let i = self.next;
        self.next += 1;
        Some(match &self.values {
            Values::Bytes(_, v) => Value::Bytes(v[i].data()),
            Values::Fixed(_, v) => Value::Bytes(v[i].data()),
            Values::I32(_, v) => Value::I32(v[i]),
            Values::I64(_, v) => Value::I64(v[i]),
        })
    }
}

/// The type of a column as a message names it: `INT64`, `DECIMAL(38,18) on
/// FIXED_LEN_BYTE_ARRAY`, `DOUBLE`, `INT32 (DATE)`.
fn type_name(c: &ColumnDescriptor) -> String {
    let physical = c.physical_type().to_string();
    match (c.logical_type_ref(), c.converted_type()) {
        (Some(LogicalType::Decimal(d)), _) => {
            format!("DECIMAL({},{}) on {physical}", d.precision, d.scale)
        }
        (_, ConvertedType::DECIMAL) => format!(
            "DECIMAL({},{}) on {physical}",
            c.type_precision(),
            c.type_scale()
        ),
        (Some(l), _) => format!("{physical} ({l:?})"),
        (None, ConvertedType::NONE) => physical,
        (None, conv) => format!("{physical} ({conv})"),
    }
}

/// The kind of column `c` as a uid (`asset` = `None`) or as a balance of `asset`.
fn kind_of(c: &ColumnDescriptor, asset: Option<&AssetInfo>) -> Result<Kind, Problem> {
    let wrong = |expected| {
        Err(Problem::ColumnType {
            found: type_name(c),
            expected,
        })
    };
    let expected = if asset.is_some() {
        "a decimal string, an integer (base units) or DECIMAL"
    } else {
        "a string or an integer"
    };
    if c.max_rep_level() > 0 || c.path().parts().len() != 1 {
        return Err(Problem::ColumnType {
            found: format!("nested or repeated {}", type_name(c)),
            expected,
        });
    }
    let logical = c.logical_type_ref();
    let decimal = matches!(logical, Some(LogicalType::Decimal(_)))
        || c.converted_type() == ConvertedType::DECIMAL;
    if decimal {
        let Some(asset) = asset else {
            return wrong(expected);
        };
        let scale = match logical {
            Some(LogicalType::Decimal(d)) => d.scale,
            _ => c.type_scale(),
        };
        if scale < 0 || scale > i32::from(asset.decimals) {
            return Err(Problem::ScaleAboveDecimals {
                scale,
                decimals: asset.decimals,
            });
        }
        let scale = scale as u8;
        return Ok(Kind::Decimal {
            scale,
            factor: 10u128.pow(u32::from(asset.decimals - scale)),
        });
    }
    match c.physical_type() {
        Physical::BYTE_ARRAY => match (logical, c.converted_type()) {
            (None | Some(LogicalType::String), ConvertedType::NONE | ConvertedType::UTF8) => {
                Ok(Kind::Text)
            }
            _ => wrong(expected),
        },
        Physical::INT32 | Physical::INT64 => match (logical, c.converted_type()) {
            (Some(LogicalType::Integer(i)), _) => Ok(Kind::Int {
                signed: i.is_signed,
            }),
            (None, ConvertedType::NONE | ConvertedType::INT_32 | ConvertedType::INT_64) => {
                Ok(Kind::Int { signed: true })
            }
            (None, ConvertedType::UINT_32 | ConvertedType::UINT_64) => {
                Ok(Kind::Int { signed: false })
            }
            _ => wrong(expected),
        },
        _ => wrong(expected),
    }
}

/// The text of a DECIMAL's value for messages: `-12.50` from `-1250` and scale 2.
fn decimal_text(negative: bool, digits: &str, scale: u8) -> String {
    let s = scale as usize;
    let digits = format!("{digits:0>w$}", w = s + 1);
    let (int, frac) = digits.split_at(digits.len() - s);
    let sign = if negative { "-" } else { "" };
    if s == 0 {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac}")
    }
}

/// The unscaled value of a DECIMAL stored as big-endian two's complement bytes, as
/// `u128`, or the refusal (negative, too large).
fn unscaled_be(bytes: &[u8], scale: u8) -> Result<u128, AmountError> {
    if bytes.first().is_some_and(|b| b & 0x80 != 0) {
        // Negative: its magnitude, for the message, when it fits.
        let mut v: i128 = -1;
        let fits = bytes.len() <= 16;
        for &b in bytes {
            v = (v << 8) | i128::from(b);
        }
        let text = if fits {
            decimal_text(true, &v.unsigned_abs().to_string(), scale)
        } else {
            format!("a negative DECIMAL of {} bytes", bytes.len())
        };
        return Err(AmountError::Negative(Excerpt::quoted(text)));
    }
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    let magnitude = &bytes[start..];
    if magnitude.len() > 16 {
        return Err(AmountError::Overflow(Excerpt::quoted(format!(
            "a DECIMAL of {} bytes",
            bytes.len()
        ))));
    }
    let mut be = [0u8; 16];
    be[16 - magnitude.len()..].copy_from_slice(magnitude);
    Ok(u128::from_be_bytes(be))
}

/// A balance in base units from one value of a number column (`kind` is not text).
#[inline]
fn balance(value: &Value<'_>, kind: Kind) -> Result<u128, AmountError> {
    let negative = |text: String| Err(AmountError::Negative(Excerpt::quoted(text)));
    match (kind, value) {
        (Kind::Int { signed: true }, Value::I64(v)) if *v < 0 => negative(v.to_string()),
        (Kind::Int { signed: true }, Value::I32(v)) if *v < 0 => negative(v.to_string()),
        (Kind::Int { signed: true }, Value::I64(v)) => Ok(*v as u128),
        (Kind::Int { signed: true }, Value::I32(v)) => Ok(*v as u128),
        (Kind::Int { signed: false }, Value::I64(v)) => Ok(u128::from(*v as u64)),
        (Kind::Int { signed: false }, Value::I32(v)) => Ok(u128::from(*v as u32)),
        (Kind::Decimal { scale, factor }, Value::Bytes(b)) => {
            scaled(unscaled_be(b, scale)?, scale, factor)
        }
        (Kind::Decimal { scale, factor }, Value::I32(_) | Value::I64(_)) => {
            let unscaled = match value {
                Value::I32(x) => i64::from(*x),
                Value::I64(x) => *x,
                Value::Bytes(_) => unreachable!("matched above"),
            };
            if unscaled < 0 {
                negative(decimal_text(
                    true,
                    &unscaled.unsigned_abs().to_string(),
                    scale,
                ))
            } else {
                scaled(unscaled as u128, scale, factor)
            }
        }
        (Kind::Text, _) | (Kind::Int { .. }, Value::Bytes(_)) => {
            unreachable!("kind_of gives text to strings and integers to INT32/INT64 only")
        }
    }
}

/// `unscaled · factor`, or an overflow naming the decimal value.
#[inline]
fn scaled(unscaled: u128, scale: u8, factor: u128) -> Result<u128, AmountError> {
    unscaled.checked_mul(factor).ok_or_else(|| {
        AmountError::Overflow(Excerpt::quoted(decimal_text(
            false,
            &unscaled.to_string(),
            scale,
        )))
    })
}

/// Reads one Parquet file into `b`.
fn read_file(path: &Path, b: &mut Builder<'_>) -> Result<(), LiabilitiesError> {
    let file = path.display().to_string();
    let failed = |e: ::parquet::errors::ParquetError| LiabilitiesError::Io {
        file: file.clone(),
        message: format!("parquet: {}", Excerpt::message(e.to_string())),
    };
    let invalid = |at: Position, uid: Option<&[u8]>, column: Option<(usize, String)>, kind| {
        LiabilitiesError::Invalid {
            at: Box::new(Location {
                file: file.clone(),
                at,
                uid: uid.map(Excerpt::quoted),
                column,
            }),
            kind,
        }
    };
    let f = std::fs::File::open(path).map_err(|e| LiabilitiesError::Io {
        file: file.clone(),
        message: e.to_string(),
    })?;
    let reader = SerializedFileReader::new(f).map_err(failed)?;
    let schema = reader.metadata().file_metadata().schema_descr_ptr();
    let names: Vec<String> = schema
        .root_schema()
        .get_fields()
        .iter()
        .map(|t| t.name().to_string())
        .collect();
    let col_asset = map_columns(&names, b.assets()).map_err(|(col, problem)| {
        invalid(
            Position::Columns,
            None,
            col.map(|c| (c + 1, names[c].clone())),
            problem,
        )
    })?;
    // A top-level group has leaf columns of its own: refuse it by its name.
    if let Some((i, _)) = schema
        .root_schema()
        .get_fields()
        .iter()
        .enumerate()
        .find(|(_, t)| t.is_group())
    {
        return Err(invalid(
            Position::Columns,
            None,
            Some((i + 1, names[i].clone())),
            Problem::ColumnType {
                found: "a nested group".into(),
                expected: "flat columns",
            },
        ));
    }
    let mut kinds = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let asset = (i > 0).then(|| b.asset(col_asset[i - 1]));
        let kind = kind_of(&schema.column(i), asset)
            .map_err(|p| invalid(Position::Columns, None, Some((i + 1, name.clone())), p))?;
        kinds.push(kind);
    }
    b.part(&file);

    let unsigned_uid = matches!(kinds[0], Kind::Int { signed: false });
    let mut row: u64 = 0;
    let mut uid_text = Vec::with_capacity(32);
    for g in 0..reader.num_row_groups() {
        let group = reader.get_row_group(g).map_err(failed)?;
        let mut columns = Vec::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            let values = match group.get_column_reader(i).map_err(failed)? {
                ColumnReader::ByteArrayColumnReader(r) => Values::Bytes(r, Vec::new()),
                ColumnReader::FixedLenByteArrayColumnReader(r) => Values::Fixed(r, Vec::new()),
                ColumnReader::Int32ColumnReader(r) => Values::I32(r, Vec::new()),
                ColumnReader::Int64ColumnReader(r) => Values::I64(r, Vec::new()),
                _ => unreachable!("kind_of accepts only these physical types"),
            };
            columns.push(Column {
                index: i,
                name: name.clone(),
                kind: kinds[i],
                nullable: schema.column(i).max_def_level() > 0,
                values,
                defs: Vec::with_capacity(BATCH),
                next: 0,
            });
        }
        let rows_in_group = group.metadata().num_rows().max(0) as u64;
        let mut read_in_group = 0u64;
        while read_in_group < rows_in_group {
            let want = BATCH.min((rows_in_group - read_in_group) as usize);
            let mut n = None;
            for c in &mut columns {
                let got = c.fill(want).map_err(failed)?;
                if got != *n.get_or_insert(got) || got == 0 {
                    return Err(LiabilitiesError::Io {
                        file: file.clone(),
                        message: format!(
                            "parquet: row group {g}: column {} ({}) ends early",
                            c.index + 1,
                            Excerpt::bare(&c.name)
                        ),
                    });
                }
            }
            let n = n.unwrap_or(0);
            let (uid_col, asset_cols) = columns.split_first_mut().expect("a uid column");
            for r in 0..n {
                row += 1;
                let at = Position::Row(row);
                let ucol = || Some((1, "uid".to_string()));
                let uid: &[u8] = match uid_col.take(r) {
                    None => return Err(invalid(at, None, ucol(), Problem::Null)),
                    Some(Value::Bytes(u)) => u,
                    Some(v) => {
                        uid_text.clear();
                        match (v, unsigned_uid) {
                            (Value::I32(v), false) => write!(uid_text, "{v}"),
                            (Value::I32(v), true) => write!(uid_text, "{}", v as u32),
                            (Value::I64(v), false) => write!(uid_text, "{v}"),
                            (Value::I64(v), true) => write!(uid_text, "{}", v as u64),
                            (Value::Bytes(_), _) => unreachable!("matched above"),
                        }
                        .expect("writing to a Vec");
                        &uid_text
                    }
                };
                check_uid(uid).map_err(|p| invalid(at, None, ucol(), p))?;
                for (c, &a) in asset_cols.iter_mut().zip(&col_asset) {
                    let kind = c.kind;
                    let result = match c.take(r) {
                        None => Err(Problem::Null),
                        Some(Value::Bytes(text)) if matches!(kind, Kind::Text) => {
                            if std::str::from_utf8(text).is_err() {
                                Err(Problem::InvalidUtf8)
                            } else {
                                b.decimal(a, text)
                            }
                        }
                        Some(v) => match balance(&v, kind) {
                            Ok(x) => b.amount(a, x),
                            Err(e) => Err(Problem::Amount(e)),
                        },
                    };
                    if let Err(p) = result {
                        let col = (c.index + 1, c.name.clone());
                        return Err(invalid(at, Some(uid), Some(col), p));
                    }
                }
                b.push(uid, row).map_err(|p| invalid(at, None, None, p))?;
            }
            read_in_group += n as u64;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_text_places_the_point() {
        assert_eq!(decimal_text(true, "1250", 2), "-12.50");
        assert_eq!(decimal_text(false, "5", 3), "0.005");
        assert_eq!(decimal_text(false, "42", 0), "42");
    }

    #[test]
    fn big_endian_decimals() {
        assert_eq!(unscaled_be(&[0x00, 0x01, 0x00], 0), Ok(256));
        assert_eq!(unscaled_be(&[], 0), Ok(0));
        let e = unscaled_be(&[0xff, 0x85], 2).unwrap_err();
        assert_eq!(e.to_string(), "negative amount \"-1.23\"");
        let mut big = vec![0u8; 17];
        big[0] = 1;
        assert!(matches!(
            unscaled_be(&big, 0),
            Err(AmountError::Overflow(_))
        ));
        let mut max = vec![0u8; 17];
        max[1..].fill(0xff);
        assert_eq!(unscaled_be(&max, 0), Ok(u128::MAX));
    }
}
