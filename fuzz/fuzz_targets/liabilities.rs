//! The liabilities CSV (`por::liabilities::parse_reader`): any bytes must give either
//! an error or liabilities whose invariants hold — per-asset totals equal the column
//! sums of the balances, every uid is 1 to 128 bytes, and no uid appears twice. The
//! parallel block reader (`por::liabilities::csv::parse_blocks`, small blocks so the
//! input is cut in many places) must give the same liabilities, or give way exactly
//! when the sequential reader refuses the input.

#![no_main]

use libfuzzer_sys::fuzz_target;
use por::format::AssetInfo;
use std::collections::HashSet;

fuzz_target!(|data: &[u8]| {
    let assets = [
        AssetInfo {
            symbol: "BTC".into(),
            decimals: 8,
        },
        AssetInfo {
            symbol: "ETH".into(),
            decimals: 18,
        },
    ];
    let sequential = por::liabilities::parse_reader(data, "fuzz.csv", &assets);
    let blocks = por::liabilities::csv::parse_blocks(data, "fuzz.csv", &assets, 7, None);
    // The same rows through the scratch file, a few rows a segment.
    let scratch = por::liabilities::Scratch {
        dir: std::env::temp_dir().join("por-fuzz-scratch"),
        budget: 0,
        segment_rows: 3,
    };
    let spilled =
        por::liabilities::csv::parse_reader_with(data, "fuzz.csv", &assets, Some(&scratch));
    assert_eq!(
        spilled.as_ref().err().map(|e| e.to_string()),
        sequential.as_ref().err().map(|e| e.to_string()),
        "the spilled reader refused differently"
    );
    let Ok(l) = sequential else {
        assert!(
            blocks.is_none(),
            "the block reader accepted a refused input"
        );
        return;
    };
    let spilled = spilled.expect("the spilled reader refused an accepted input");
    assert_eq!(spilled.uid_index, l.uid_index);
    let b = blocks.expect("the block reader refused an accepted input");
    assert_eq!(b.len(), l.len());
    assert_eq!(b.totals, l.totals);
    assert_eq!(b.uid_index, l.uid_index);
    for row in 0..l.len() {
        assert_eq!(b.uid_of(row).unwrap(), l.uid_of(row).unwrap());
        assert_eq!(b.balances_of(row).unwrap(), l.balances_of(row).unwrap());
        assert_eq!(spilled.uid_of(row).unwrap(), l.uid_of(row).unwrap());
        assert_eq!(
            spilled.balances_of(row).unwrap(),
            l.balances_of(row).unwrap()
        );
    }
    assert!(!l.is_empty(), "parsed liabilities with no accounts");
    assert_eq!(l.assets, assets);
    assert_eq!(l.totals.len(), assets.len());
    assert_eq!(l.uid_index.len(), l.len());

    let mut sums = vec![0u128; assets.len()];
    let mut seen = HashSet::with_capacity(l.len());
    for row in 0..l.len() {
        let uid = l.uid_of(row).unwrap();
        assert!(
            (1..=128).contains(&uid.len()),
            "row {row}: uid of {} bytes",
            uid.len()
        );
        assert!(
            std::str::from_utf8(&uid).is_ok(),
            "row {row}: uid not UTF-8"
        );
        assert!(seen.insert(uid.clone()), "row {row}: duplicate uid {uid:?}");
        let balances = l.balances_of(row).unwrap();
        assert_eq!(balances.len(), assets.len());
        for (sum, b) in sums.iter_mut().zip(&balances) {
            *sum = sum
                .checked_add(*b)
                .expect("column sum overflowed but parse accepted it");
        }
    }
    let totals: Vec<u128> = l.totals.iter().map(|t| t.base_units()).collect();
    assert_eq!(totals, sums, "totals differ from the column sums");
});
