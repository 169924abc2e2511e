//! The wallets CSV (`por::reserves::wallets::parse`, Bitcoin mainnet and two EVM chains,
//! `ethereum` and `arbitrum`, so one address may be listed once per chain): any bytes must
//! give either an error or wallets, and checking each parsed wallet's ownership proof
//! (`por::ownership::verify`) over its message must return, never panic. Whether the
//! proof is accepted does not matter here; the signatures are fuzzed garbage.

#![no_main]

use libfuzzer_sys::fuzz_target;
use por::ownership::Chain;
use por::reserves::wallets::WalletChains;

fuzz_target!(|data: &[u8]| {
    let mut chains = WalletChains::legacy(bitcoin::Network::Bitcoin);
    chains.names.push(("arbitrum".into(), Chain::Ethereum));
    let Ok(wallets) = por::reserves::wallets::parse(data, "fuzz.csv", &chains) else {
        return;
    };
    for w in &wallets {
        let message = por::ownership::message("X", "s", &w.address.to_string());
        let _ = por::ownership::verify(&w.address, &message, &w.proof);
    }
});
