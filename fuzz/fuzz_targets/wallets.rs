//! The wallets CSV (`por::reserves::wallets::parse`, Bitcoin mainnet): any bytes must
//! give either an error or wallets, and checking each parsed wallet's ownership proof
//! (`por::ownership::verify`) over its message must return, never panic. Whether the
//! proof is accepted does not matter here; the signatures are fuzzed garbage.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(wallets) = por::reserves::wallets::parse(data, "fuzz.csv", bitcoin::Network::Bitcoin)
    else {
        return;
    };
    for w in &wallets {
        let message = por::ownership::message("X", "s", &w.address.to_string());
        let _ = por::ownership::verify(&w.address, &message, &w.proof);
    }
});
