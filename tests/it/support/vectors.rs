//! `tests/data/spec/vectors.json` (the independent implementation's vectors, kept
//! identical to `../shared/spec/` by `vectors::the_spec_copy_is_current`-style checks)
//! and the small readers every vector test uses.

use por::amount::Amount;
use por::tree::proof::Check;
use serde_json::Value;
use std::path::PathBuf;

/// The text of the repo's copy of the vectors.
pub fn text() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/spec/vectors.json");
    std::fs::read_to_string(&path).expect("tests/data/spec/vectors.json")
}

/// The vectors, parsed.
pub fn all() -> Value {
    serde_json::from_str(&text()).unwrap()
}

/// A 32-byte value written as 64 hex digits.
pub fn hex32(v: &Value) -> [u8; 32] {
    let mut out = [0u8; 32];
    hex::decode_to_slice(v.as_str().unwrap(), &mut out).unwrap();
    out
}

/// A list of canonical base-unit amounts.
pub fn amounts(v: &Value) -> Vec<Amount> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|a| Amount::parse_canonical(a.as_str().unwrap()).unwrap())
        .collect()
}

/// The verifier step an invalid-proof case names.
pub fn check_named(case: &Value) -> Check {
    match case["check"]
        .as_str()
        .expect("every invalid proof names its check")
    {
        "parse" => Check::Parse,
        "fold" => Check::Fold,
        "root" => Check::Root,
        "manifest" => Check::Manifest,
        other => panic!("unknown check {other:?}"),
    }
}
