//! Tampering with inclusion proofs of either version the way a test needs.

use serde_json::Value;

fn plus_one(v: &Value) -> Value {
    (v.as_str().unwrap().parse::<u128>().unwrap() + 1)
        .to_string()
        .into()
}

/// The proof `text` with its first balance raised by one base unit. In a por/2 proof
/// the first part's amount is raised too, so that the parts still add up and the
/// proof fails where a por/1 one does: at the root (step 4).
pub fn raise_first_balance(text: &str) -> String {
    let mut p: Value = serde_json::from_str(text).unwrap();
    p["balances"][0] = plus_one(&p["balances"][0]);
    if p.get("parts").is_some() {
        p["parts"][0]["balances"][0] = plus_one(&p["parts"][0]["balances"][0]);
    }
    serde_json::to_string_pretty(&p).unwrap()
}
