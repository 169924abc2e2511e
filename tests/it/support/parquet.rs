//! Parquet files written by the tests with the `parquet` crate's own writer: a schema
//! in Parquet's message syntax, one [`Data`] per column (NULLs as `None`), split into
//! a given number of row groups.

use parquet::data_type::{
    BoolType, ByteArray, ByteArrayType, DoubleType, FixedLenByteArray, FixedLenByteArrayType,
    Int32Type, Int64Type,
};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use parquet::schema::types::SchemaDescriptor;
use std::path::Path;
use std::sync::Arc;

/// One column's values, in row order.
#[derive(Clone)]
pub enum Data {
    Str(Vec<Option<String>>),
    Bytes(Vec<Option<Vec<u8>>>),
    Fixed(Vec<Option<Vec<u8>>>),
    I32(Vec<Option<i32>>),
    I64(Vec<Option<i64>>),
    F64(Vec<Option<f64>>),
    Bool(Vec<Option<bool>>),
}

impl Data {
    fn len(&self) -> usize {
        match self {
            Data::Str(v) => v.len(),
            Data::Bytes(v) | Data::Fixed(v) => v.len(),
            Data::I32(v) => v.len(),
            Data::I64(v) => v.len(),
            Data::F64(v) => v.len(),
            Data::Bool(v) => v.len(),
        }
    }
}

/// Strings, none NULL.
pub fn strs<S: ToString>(v: &[S]) -> Data {
    Data::Str(v.iter().map(|s| Some(s.to_string())).collect())
}

/// Integers, none NULL.
pub fn i64s(v: &[i64]) -> Data {
    Data::I64(v.iter().map(|&x| Some(x)).collect())
}

/// `v` as a 16-byte big-endian two's complement (DECIMAL on FIXED_LEN_BYTE_ARRAY(16)).
pub fn be16(v: i128) -> Vec<u8> {
    v.to_be_bytes().to_vec()
}

fn defs<T>(v: &[Option<T>]) -> Vec<i16> {
    v.iter().map(|x| i16::from(x.is_some())).collect()
}

fn present<T: Clone>(v: &[Option<T>]) -> Vec<T> {
    v.iter().flatten().cloned().collect()
}

/// Writes `columns` under `schema` into `path`, in `row_groups` row groups.
pub fn write(path: &Path, schema: &str, columns: &[Data], row_groups: usize) {
    let schema = Arc::new(parse_message_type(schema).expect("a valid schema"));
    let descr = SchemaDescriptor::new(schema.clone());
    let props = Arc::new(WriterProperties::builder().build());
    let file = std::fs::File::create(path).unwrap();
    let mut w = SerializedFileWriter::new(file, schema, props).unwrap();
    let rows = columns[0].len();
    let per_group = rows.div_ceil(row_groups.max(1)).max(1);
    let mut start = 0;
    while start < rows || (rows == 0 && start == 0) {
        let end = (start + per_group).min(rows);
        let mut g = w.next_row_group().unwrap();
        for (i, data) in columns.iter().enumerate() {
            let mut col = g.next_column().unwrap().expect("a column per Data");
            let optional = descr.column(i).max_def_level() > 0;
            macro_rules! put {
                ($t:ty, $v:expr, $conv:expr) => {{
                    let slice = &$v[start..end];
                    let values: Vec<_> = present(slice).into_iter().map($conv).collect();
                    let d = defs(slice);
                    col.typed::<$t>()
                        .write_batch(&values, optional.then_some(&d[..]), None)
                        .unwrap();
                }};
            }
            match data {
                Data::Str(v) => put!(ByteArrayType, v, |s: String| ByteArray::from(s.as_str())),
                Data::Bytes(v) => put!(ByteArrayType, v, ByteArray::from),
                Data::Fixed(v) => put!(FixedLenByteArrayType, v, |b: Vec<u8>| {
                    FixedLenByteArray::from(ByteArray::from(b))
                }),
                Data::I32(v) => put!(Int32Type, v, |x| x),
                Data::I64(v) => put!(Int64Type, v, |x| x),
                Data::F64(v) => put!(DoubleType, v, |x| x),
                Data::Bool(v) => put!(BoolType, v, |x| x),
            }
            col.close().unwrap();
        }
        g.close().unwrap();
        if rows == 0 {
            break;
        }
        start = end;
    }
    w.close().unwrap();
}
