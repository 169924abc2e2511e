//! Every liabilities source on one data set: CSV, `.csv.gz`, `.csv.zst`, Parquet (one
//! file with several row groups, and a folder of part files, with all three column
//! kinds) and a real PostgreSQL table give the same accounts, the same balances and,
//! through `por snapshot`, the same root sums. Then the compressed CSV and Parquet
//! refusals: one line with file and line or row, exit 2, nothing published.

use crate::support::cli::stderr;
use crate::support::parquet::{self as pq, Data, be16, i64s, strs};
use crate::support::postgres::{Cluster, POR_PASSWORD, POR_USER};
use por::amount::Amount;
use por::format::AssetInfo;
use por::liabilities::{self, Source};
use por::time::Timestamp;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;

const DECIMALS: [u8; 3] = [8, 18, 6];
const SYMBOLS: [&str; 3] = ["BTC", "ETH", "USDT"];

fn assets() -> Vec<AssetInfo> {
    SYMBOLS
        .iter()
        .zip(DECIMALS)
        .map(|(s, d)| AssetInfo {
            symbol: s.to_string(),
            decimals: d,
        })
        .collect()
}

/// One account: its uid and balances in base units (BTC, ETH, USDT).
type Account = (String, [u128; 3]);

/// `n` accounts, with uids that CSV quoting and COPY escaping must keep exact, and
/// USDT balances in whole cents (so a DECIMAL(18,2) column holds them).
fn dataset(n: usize) -> Vec<Account> {
    let special = [
        "a,b",
        "quote\"d",
        "back\\slash",
        "\\N",
        "NULL",
        "ünï côdé ✓",
        " padded ",
        "\\t",
        "=SUM(A1)",
    ];
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    (0..n)
        .map(|i| {
            let uid = special
                .get(i)
                .map(|s| s.to_string())
                .unwrap_or_else(|| format!("user-{i:06}"));
            let btc = u128::from(next() % 2_100_000_000_000_000);
            let eth = u128::from(next()) * u128::from(next() % 100_000);
            let usdt = u128::from(next() % 100_000_000_000) * 10_000;
            // Some zero balances too.
            let b = if i % 7 == 3 {
                [0, eth, 0]
            } else {
                [btc, eth, usdt]
            };
            (uid, b)
        })
        .collect()
}

fn totals(data: &[Account]) -> [u128; 3] {
    let mut t = [0u128; 3];
    for (_, b) in data {
        for k in 0..3 {
            t[k] += b[k];
        }
    }
    t
}

fn csv_text(data: &[Account]) -> String {
    let mut s = String::from("uid,BTC,ETH,USDT\n");
    for (uid, b) in data {
        s.push_str(&format!("\"{}\"", uid.replace('"', "\"\"")));
        for k in 0..3 {
            s.push(',');
            s.push_str(&Amount::from_base_units(b[k]).display_units(DECIMALS[k]));
        }
        s.push('\n');
    }
    s
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn zstd(bytes: &[u8]) -> Vec<u8> {
    zstd::stream::encode_all(bytes, 3).unwrap()
}

/// One file, three row groups: BTC in base units (INT64), ETH as DECIMAL(38,18) on
/// FIXED_LEN_BYTE_ARRAY(16), USDT as decimal strings.
fn parquet_file(path: &Path, data: &[Account]) {
    pq::write(
        path,
        "message liabilities {
            required binary uid (UTF8);
            required int64 BTC;
            required fixed_len_byte_array(16) ETH (DECIMAL(38,18));
            optional binary USDT (UTF8);
        }",
        &[
            strs(&data.iter().map(|a| &a.0).collect::<Vec<_>>()),
            i64s(&data.iter().map(|a| a.1[0] as i64).collect::<Vec<_>>()),
            Data::Fixed(data.iter().map(|a| Some(be16(a.1[1] as i128))).collect()),
            strs(
                &data
                    .iter()
                    .map(|a| Amount::from_base_units(a.1[2]).display_units(6))
                    .collect::<Vec<_>>(),
            ),
        ],
        3,
    );
}

/// A folder of three part files (two row groups each) in another column order, with a
/// `_SUCCESS` marker and a hidden checksum file that are not parts: USDT as
/// DECIMAL(18,2) on INT64 (cents, scaled up by 10^4), ETH as decimal strings, BTC as
/// DECIMAL(20,8) on variable-length BYTE_ARRAY (minimal two's complement).
fn parquet_parts(dir: &Path, data: &[Account]) {
    std::fs::create_dir_all(dir).unwrap();
    let third = data.len().div_ceil(3);
    for (i, part) in data.chunks(third).enumerate() {
        let minimal = |v: u128| {
            let b = (v as i128).to_be_bytes();
            let skip = b.iter().take_while(|&&x| x == 0).count().min(15);
            // Keep a leading zero byte when the first kept byte has its top bit set.
            let skip = if b[skip] & 0x80 != 0 { skip - 1 } else { skip };
            b[skip..].to_vec()
        };
        pq::write(
            &dir.join(format!("part-{i:05}-c000.snappy.parquet")),
            "message liabilities {
                required binary uid (UTF8);
                required int64 USDT (DECIMAL(18,2));
                required binary ETH (UTF8);
                required binary BTC (DECIMAL(20,8));
            }",
            &[
                strs(&part.iter().map(|a| &a.0).collect::<Vec<_>>()),
                i64s(
                    &part
                        .iter()
                        .map(|a| (a.1[2] / 10_000) as i64)
                        .collect::<Vec<_>>(),
                ),
                strs(
                    &part
                        .iter()
                        .map(|a| Amount::from_base_units(a.1[1]).display_units(18))
                        .collect::<Vec<_>>(),
                ),
                Data::Bytes(part.iter().map(|a| Some(minimal(a.1[0]))).collect()),
            ],
            2,
        );
    }
    std::fs::write(dir.join("_SUCCESS"), "").unwrap();
    std::fs::write(dir.join(".part-00000-c000.snappy.parquet.crc"), "junk").unwrap();
}

/// The table `balances` (with a serial column of its own, which a table source
/// ignores), loaded with COPY FROM in its text format.
fn postgres_table(cluster: &Cluster, data: &[Account]) {
    cluster.sql(&format!(
        "CREATE TABLE balances (n serial PRIMARY KEY, uid text NOT NULL, \"BTC\" bigint,
             \"ETH\" numeric(60,18), \"USDT\" numeric);
         GRANT SELECT ON balances TO {POR_USER};"
    ));
    let mut text = String::new();
    for (uid, b) in data {
        text.push_str(&uid.replace('\\', "\\\\"));
        text.push_str(&format!(
            "\t{}\t{}\t{}\n",
            b[0],
            Amount::from_base_units(b[1]).display_units(18),
            Amount::from_base_units(b[2]).display_units(6)
        ));
    }
    let mut su = cluster.superuser();
    let mut w = su
        .copy_in("COPY balances (uid, \"BTC\", \"ETH\", \"USDT\") FROM STDIN")
        .unwrap();
    w.write_all(text.as_bytes()).unwrap();
    w.finish().unwrap();
}

fn config(dir: &Path, liabilities: &str) -> PathBuf {
    let path = dir.join("por.toml");
    std::fs::write(
        &path,
        format!(
            "exchange = \"Test Exchange\"
[[assets]]
symbol = \"BTC\"
decimals = 8
[[assets]]
symbol = \"ETH\"
decimals = 18
[[assets]]
symbol = \"USDT\"
decimals = 6
[liabilities]
{liabilities}
[output]
snapshots = \"out/snapshots\"
site = \"out/public\"
private = \"secret\"
"
        ),
    )
    .unwrap();
    path
}

fn snapshot(config: &Path) -> Output {
    crate::support::cli::command(&["snapshot", "--config", config.to_str().unwrap()])
        .args(["--id", "2026-11-21", "--as-of", "2026-11-21T00:00:00Z"])
        .env("POR_LOG", "warn")
        .output()
        .unwrap()
}

/// The one `error:` line of a refused run, which must have published nothing.
fn refused(dir: &Path, o: &Output) -> String {
    assert_eq!(o.status.code(), Some(2), "{}", stderr(o));
    let e = stderr(o);
    assert!(
        e.starts_with("error: ") && e.lines().count() == 1,
        "not one error line: {e:?}"
    );
    assert!(
        !dir.join("out/snapshots/2026-11-21").exists(),
        "a refused run published"
    );
    assert!(
        !dir.join("secret/2026-11-21").exists(),
        "a refused run stored"
    );
    e["error: ".len()..].trim_end().to_string()
}

fn accounts(l: &liabilities::Liabilities) -> BTreeMap<Vec<u8>, Vec<u128>> {
    (0..l.len())
        .map(|r| (l.uid_of(r).unwrap(), l.balances_of(r).unwrap()))
        .collect()
}

#[test]
fn one_data_set_through_every_source_gives_the_same_accounts_and_root_sums() {
    let data = dataset(3000);
    let want_totals = totals(&data);
    let want: BTreeMap<Vec<u8>, Vec<u128>> = data
        .iter()
        .map(|(u, b)| (u.as_bytes().to_vec(), b.to_vec()))
        .collect();
    assert_eq!(want.len(), data.len(), "the data set has duplicate uids");

    let t = tempfile::tempdir().unwrap();
    let csv = csv_text(&data);
    std::fs::write(t.path().join("l.csv"), &csv).unwrap();
    std::fs::write(t.path().join("l.csv.gz"), gzip(csv.as_bytes())).unwrap();
    std::fs::write(t.path().join("l.csv.zst"), zstd(csv.as_bytes())).unwrap();
    parquet_file(&t.path().join("l.parquet"), &data);
    parquet_parts(&t.path().join("parts"), &data);
    let cluster = Cluster::start();
    postgres_table(&cluster, &data);
    let pwfile = t.path().join("pg-password");
    std::fs::write(&pwfile, format!("{POR_PASSWORD}\n")).unwrap();

    let sources = [
        ("csv", "path = \"../l.csv\"".to_string()),
        ("gz", "path = \"../l.csv.gz\"".to_string()),
        ("zst", "kind = \"csv\"\npath = \"../l.csv.zst\"".to_string()),
        (
            "parquet",
            "kind = \"parquet\"\npath = \"../l.parquet\"".to_string(),
        ),
        (
            "parts",
            "kind = \"parquet\"\npath = \"../parts\"".to_string(),
        ),
        (
            "postgres",
            format!(
                "kind = \"postgres\"\nurl = \"{}\"\npassword_file = \"../pg-password\"\ntable = \"public.balances\"",
                cluster.url()
            ),
        ),
    ];
    let mut sums = Vec::new();
    for (name, section) in &sources {
        let dir = t.path().join(format!("run-{name}"));
        std::fs::create_dir(&dir).unwrap();
        let cfg = config(&dir, section);
        let c = por::config::Config::from_file(&cfg).unwrap();
        let l = liabilities::read(
            &c.liabilities_for("2026-11-21"),
            &assets(),
            Timestamp(1_795_219_200),
            &por::progress::Silent,
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(l.len(), data.len(), "{name}");
        let totals: Vec<u128> = l.totals.iter().map(|a| a.base_units()).collect();
        assert_eq!(totals, want_totals, "{name}: totals");
        assert!(accounts(&l) == want, "{name}: accounts or balances differ");

        let o = snapshot(&cfg);
        // No reserves are configured: every asset is short (exit 1), but published.
        assert_eq!(o.status.code(), Some(1), "{name}: {}", stderr(&o));
        let m: serde_json::Value = serde_json::from_slice(
            &std::fs::read(dir.join("out/snapshots/2026-11-21/manifest.json")).unwrap(),
        )
        .unwrap();
        // por/2 (the default) splits and pads: its leaves are not the accounts, but
        // the root's sums are the totals.
        sums.push((name, m["tree"]["sums"].clone()));
    }
    let want_sums = serde_json::json!(want_totals.map(|t| t.to_string()));
    for (name, s) in sums {
        assert_eq!(s, want_sums, "{name}: the root's sums");
    }
}

#[test]
fn compressed_csv_errors_have_their_decompressed_lines() {
    let t = tempfile::tempdir().unwrap();
    let text = "uid,BTC,ETH,USDT\nalice,1,2,3\nbob,-1,0,0\n";
    for (name, bytes) in [
        ("l.csv.gz", gzip(text.as_bytes())),
        ("l.csv.zst", zstd(text.as_bytes())),
    ] {
        std::fs::write(t.path().join(name), bytes).unwrap();
        let dir = t.path().join(format!("run-{name}"));
        std::fs::create_dir(&dir).unwrap();
        let o = snapshot(&config(&dir, &format!("path = \"../{name}\"")));
        let e = refused(&dir, &o);
        assert!(
            e.ends_with(&format!("{name}:3:2 (BTC): negative amount \"-1\"")),
            "{e}"
        );
    }
}

#[test]
fn gzip_members_are_all_read_and_a_cut_stream_is_refused() {
    let t = tempfile::tempdir().unwrap();
    // Two gzip members, as `cat a.gz b.gz` or a parallel compressor writes them.
    let mut two = gzip(b"uid,BTC,ETH,USDT\nalice,1,0,0\n");
    two.extend(gzip(b"bob,2,0,0\n"));
    std::fs::write(t.path().join("two.csv.gz"), &two).unwrap();
    let l = liabilities::parse_file(&t.path().join("two.csv.gz"), &assets()).unwrap();
    assert_eq!(l.len(), 2);
    assert_eq!(l.totals[0].base_units(), 300_000_000);

    let whole = gzip(csv_text(&dataset(500)).as_bytes());
    for (name, bytes) in [
        ("cut.csv.gz", whole[..whole.len() / 2].to_vec()),
        ("cut.csv.zst", {
            let z = zstd(csv_text(&dataset(500)).as_bytes());
            z[..z.len() / 2].to_vec()
        }),
        ("garbage.csv.gz", b"not gzip at all".to_vec()),
    ] {
        std::fs::write(t.path().join(name), bytes).unwrap();
        let dir = t.path().join(format!("run-{name}"));
        std::fs::create_dir(&dir).unwrap();
        let o = snapshot(&config(&dir, &format!("path = \"../{name}\"")));
        let e = refused(&dir, &o);
        let what = if name.ends_with(".gz") {
            "gzip"
        } else {
            "zstd"
        };
        assert!(
            e.contains(&format!("{name}: {what} stream: ")),
            "{name}: {e}"
        );
    }

    // A compressed file under a plain .csv name is named, not parsed as garbage.
    std::fs::write(t.path().join("plain.csv"), gzip(b"uid,BTC,ETH,USDT\n")).unwrap();
    let e = liabilities::parse_file(&t.path().join("plain.csv"), &assets())
        .err()
        .unwrap()
        .to_string();
    assert!(e.ends_with("plain.csv: the file is compressed, but its name does not end in .gz: rename it to be read as a stream"), "{e}");
}

/// Reads a Parquet file or folder with the test's three assets.
fn read_parquet(path: &Path) -> Result<liabilities::Liabilities, String> {
    liabilities::read(
        &Source::Parquet {
            path: path.to_path_buf(),
        },
        &assets(),
        Timestamp(0),
        &por::progress::Silent,
    )
    .map_err(|e| e.to_string())
}

fn three(uid: &[&str]) -> Data {
    strs(uid)
}

#[test]
fn parquet_column_types_decide_and_wrong_ones_are_refused_by_name() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("x.parquet");
    let shown = p.display().to_string();
    let uids = three(&["a", "b", "c"]);
    let ints = i64s(&[1, 2, 3]);
    // (schema of the BTC column, its data, the expected message after the file name)
    let cases: Vec<(&str, Data, String)> = vec![
        (
            "required double BTC;",
            Data::F64(vec![Some(1.0), Some(2.0), Some(3.0)]),
            ": column 2 (BTC): column type DOUBLE, expected a decimal string, an integer (base units) or DECIMAL".into(),
        ),
        (
            "required boolean BTC;",
            Data::Bool(vec![Some(true); 3]),
            ": column 2 (BTC): column type BOOLEAN, expected a decimal string, an integer (base units) or DECIMAL".into(),
        ),
        (
            "required int32 BTC (DATE);",
            Data::I32(vec![Some(1); 3]),
            ": column 2 (BTC): column type INT32 (Date), expected a decimal string, an integer (base units) or DECIMAL".into(),
        ),
        (
            "required int64 BTC (DECIMAL(18,10));",
            ints.clone(),
            ": column 2 (BTC): DECIMAL scale 10 is more than the asset's 8 decimals".into(),
        ),
        (
            "optional int64 BTC;",
            Data::I64(vec![Some(1), None, Some(3)]),
            ": row 2, uid \"b\", column 2 (BTC): NULL value".into(),
        ),
        (
            "required int64 BTC;",
            i64s(&[1, -5, 3]),
            ": row 2, uid \"b\", column 2 (BTC): negative amount \"-5\"".into(),
        ),
        (
            "required int64 BTC (DECIMAL(18,2));",
            i64s(&[1, 2, -150]),
            ": row 3, uid \"c\", column 2 (BTC): negative amount \"-1.50\"".into(),
        ),
        (
            "required binary BTC (UTF8);",
            strs(&["1", "0.123456789", "3"]),
            ": row 2, uid \"b\", column 2 (BTC): \"0.123456789\" has 9 decimals, more than the asset's 8".into(),
        ),
        (
            "required binary BTC (UTF8);",
            strs(&["1", "1e5", "3"]),
            ": row 2, uid \"b\", column 2 (BTC): not a number: \"1e5\"".into(),
        ),
    ];
    for (btc, data, want) in cases {
        let schema = format!(
            "message m {{ required binary uid (UTF8); {btc} required int64 ETH; required int64 USDT; }}"
        );
        pq::write(
            &p,
            &schema,
            &[uids.clone(), data, ints.clone(), ints.clone()],
            1,
        );
        let e = read_parquet(&p)
            .err()
            .unwrap_or_else(|| panic!("{btc}: accepted"));
        assert_eq!(e, format!("{shown}{want}"), "{btc}");
    }

    // The uid column: a string or an integer, never NULL, never a float.
    let rest = [ints.clone(), ints.clone(), ints.clone()];
    let with_uid = |uid_type: &str, uid: Data| {
        let schema = format!(
            "message m {{ {uid_type} required int64 BTC; required int64 ETH; required int64 USDT; }}"
        );
        let mut cols = vec![uid];
        cols.extend(rest.iter().cloned());
        pq::write(&p, &schema, &cols, 1);
        read_parquet(&p)
    };
    let e = with_uid(
        "required double uid;",
        Data::F64(vec![Some(1.0), Some(2.0), Some(3.0)]),
    )
    .err()
    .expect("refused");
    assert_eq!(
        e,
        format!("{shown}: column 1 (uid): column type DOUBLE, expected a string or an integer")
    );
    let e = with_uid(
        "optional binary uid (UTF8);",
        Data::Str(vec![Some("a".into()), Some("b".into()), None]),
    )
    .err()
    .expect("refused");
    assert_eq!(e, format!("{shown}: row 3, column 1 (uid): NULL value"));
    let l = with_uid("required int64 uid;", i64s(&[7, 8, 9])).unwrap();
    assert_eq!(l.uid_of(2).unwrap(), b"9");
    let e = with_uid("required binary uid (UTF8);", strs(&["a", "b\u{7}", "c"]))
        .err()
        .expect("refused");
    assert_eq!(
        e,
        format!(
            "{shown}: row 2, column 1 (uid): uid \"b\\u{{7}}\" contains control character \\u{{7}} (U+0007) at character 2"
        )
    );

    // The header rules of the CSV: uid first, every asset once, nothing else.
    let e = {
        pq::write(
            &p,
            "message m { required int64 BTC; required binary uid (UTF8); required int64 ETH; required int64 USDT; }",
            &[ints.clone(), uids.clone(), ints.clone(), ints.clone()],
            1,
        );
        read_parquet(&p).err().expect("refused")
    };
    assert_eq!(
        e,
        format!("{shown}: column 1 (BTC): first column must be `uid`, found \"BTC\"")
    );
    let e = {
        pq::write(
            &p,
            "message m { required binary uid (UTF8); required int64 BTC; required int64 ETH; }",
            &[uids.clone(), ints.clone(), ints.clone()],
            1,
        );
        read_parquet(&p).err().expect("refused")
    };
    assert_eq!(
        e,
        format!("{shown}: configured asset \"USDT\" has no column")
    );
    let e = {
        pq::write(
            &p,
            "message m { required binary uid (UTF8); required int64 BTC; required int64 ETH; required group USDT { required int64 v; } }",
            &[uids.clone(), ints.clone(), ints.clone(), ints.clone()],
            1,
        );
        read_parquet(&p).err().expect("refused")
    };
    assert_eq!(
        e,
        format!("{shown}: column 4 (USDT): column type a nested group, expected flat columns")
    );

    // Not Parquet at all: one line from the reader.
    std::fs::write(&p, "uid,BTC\nalice,1\n").unwrap();
    let e = read_parquet(&p).err().expect("refused");
    assert!(
        e.starts_with(&format!("{shown}: parquet: ")) && !e.contains('\n'),
        "{e}"
    );
}

#[test]
fn parquet_part_files_share_one_uid_space_and_an_empty_folder_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("parts");
    std::fs::create_dir(&dir).unwrap();
    let e = read_parquet(&dir).err().expect("refused");
    assert_eq!(
        e,
        format!("{}: no *.parquet part files in this folder", dir.display())
    );
    let schema = "message m { required binary uid (UTF8); required int64 BTC; required int64 ETH; required int64 USDT; }";
    let ones = i64s(&[1, 1]);
    pq::write(
        &dir.join("part-0.parquet"),
        schema,
        &[strs(&["a", "b"]), ones.clone(), ones.clone(), ones.clone()],
        1,
    );
    pq::write(
        &dir.join("part-1.parquet"),
        schema,
        &[strs(&["c", "b"]), ones.clone(), ones.clone(), ones.clone()],
        1,
    );
    let e = read_parquet(&dir).err().expect("refused");
    assert_eq!(
        e,
        format!(
            "{}: row 2, column 1 (uid): duplicate uid \"b\" (first on row 2 of {})",
            dir.join("part-1.parquet").display(),
            dir.join("part-0.parquet").display()
        )
    );
    // No rows at all.
    let empty = t.path().join("empty.parquet");
    pq::write(
        &empty,
        schema,
        &[strs::<&str>(&[]), i64s(&[]), i64s(&[]), i64s(&[])],
        1,
    );
    assert_eq!(
        read_parquet(&empty).err().expect("refused"),
        format!("{}: no accounts: no rows", empty.display())
    );
}

#[test]
fn a_bad_parquet_export_stops_the_snapshot() {
    let t = tempfile::tempdir().unwrap();
    pq::write(
        &t.path().join("l.parquet"),
        "message m { required binary uid (UTF8); required double BTC; required int64 ETH; required int64 USDT; }",
        &[
            strs(&["a"]),
            Data::F64(vec![Some(0.1)]),
            i64s(&[1]),
            i64s(&[1]),
        ],
        1,
    );
    let dir = t.path().join("run");
    std::fs::create_dir(&dir).unwrap();
    let o = snapshot(&config(&dir, "kind = \"parquet\"\npath = \"../l.parquet\""));
    let e = refused(&dir, &o);
    assert!(
        e.ends_with("l.parquet: column 2 (BTC): column type DOUBLE, expected a decimal string, an integer (base units) or DECIMAL"),
        "{e}"
    );
}

/// The example config (`por init` writes it) shows every source commented out; each
/// one, uncommented in place of the CSV, loads.
#[test]
fn the_example_config_shows_every_source_and_each_loads() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("docs/example/por.toml")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let at = |prefix: &str| {
        lines
            .iter()
            .position(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no line {prefix:?} in the example"))
    };
    let csv_path = at("path = \"liabilities.csv\"");
    let variant = |from: usize, to: usize, skip: &dyn Fn(&str) -> bool| {
        let mut out: Vec<String> = Vec::new();
        let mut skipping = false;
        for (i, l) in lines.iter().enumerate() {
            if i == csv_path {
                continue;
            }
            if !(from..=to).contains(&i) {
                out.push(l.to_string());
            } else if skipping {
                // A skipped multi-line string runs to its closing quotes.
                skipping = !l.contains("\"\"\"");
            } else if skip(l) {
                skipping = l.matches("\"\"\"").count() == 1;
            } else {
                out.push(l.strip_prefix("# ").unwrap_or(l).to_string());
            }
        }
        out.join("\n")
    };
    let load = |text: &str| {
        por::config::Config::parse(text, "por.toml", Path::new("/x"), Path::new("/x/por.toml"))
            .unwrap_or_else(|e| panic!("{e}\n{text}"))
            .liabilities
    };
    assert!(matches!(load(&text), Source::Csv { .. }));
    let exact = |line: &str| lines.iter().position(|l| *l == line).unwrap();
    let p = exact("# kind = \"parquet\"");
    assert_eq!(
        load(&variant(p, p + 1, &|_| false)),
        Source::Parquet {
            path: "/x/warehouse/liabilities/{id}/".into()
        }
    );
    let (from, to) = (exact("# kind = \"postgres\""), at("# max_skew_secs"));
    let table = load(&variant(from, to, &|l| l.starts_with("# query")));
    let query = load(&variant(from, to, &|l| l.starts_with("# table")));
    for (s, want_table) in [(table, true), (query, false)] {
        let Source::Postgres(pg) = s else {
            panic!("not postgres: {s:?}")
        };
        assert_eq!(
            pg.password,
            por::liabilities::source::Password::Env("POR_PG_PASSWORD".into())
        );
        assert_eq!(
            matches!(pg.select, por::liabilities::source::Select::Table(_)),
            want_table
        );
    }
}
