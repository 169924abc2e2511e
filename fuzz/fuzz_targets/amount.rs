//! Decimal amounts (`Amount::parse_decimal` / `display_units`) for every allowed
//! number of decimals 0..=38: an accepted string must display in a form that parses
//! back to the same amount, and that form must be canonical (displaying it again
//! gives the same text).

#![no_main]

use libfuzzer_sys::fuzz_target;
use por::amount::{Amount, MAX_DECIMALS};

fuzz_target!(|data: &[u8]| {
    // First byte picks the decimals, the rest is the text.
    let Some((&d, rest)) = data.split_first() else {
        return;
    };
    let decimals = d % (MAX_DECIMALS + 1);
    let Ok(s) = std::str::from_utf8(rest) else {
        return;
    };
    let Ok(a) = Amount::parse_decimal(s, decimals) else {
        return;
    };
    let shown = a.display_units(decimals);
    let back = Amount::parse_decimal(&shown, decimals)
        .unwrap_or_else(|e| panic!("{s:?} ({decimals} decimals) displays as {shown:?}: {e}"));
    assert_eq!(back, a, "{s:?} ({decimals} decimals) -> {shown:?}");
    assert_eq!(back.display_units(decimals), shown);
    // The bytes entry point agrees with the string one.
    assert_eq!(Amount::parse_decimal_bytes(s.as_bytes(), decimals), Ok(a));
});
