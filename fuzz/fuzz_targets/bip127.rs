//! The BIP-127 PSBT reader and verifier (`por::ownership::bip127`): any bytes must give
//! either an error or a proof, and verifying a parsed proof, with the chain answering
//! each claimed output as the PSBT itself declares it (or as unknown), must return,
//! never panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use por::ownership::bip127::{InputAt, ProofPsbt, verify};

fuzz_target!(|data: &[u8]| {
    let Ok(proof) = ProofPsbt::parse(data) else {
        return;
    };
    let chain: Vec<InputAt> = (1..=proof.claimed().len())
        .map(|i| match proof.declared_output(i) {
            Some(t) => InputAt::Unspent(t),
            None => InputAt::NotHeld {
                txout: None,
                why: "unknown".into(),
            },
        })
        .collect();
    let message = por::ownership::message("X", "s", "w");
    let _ = verify("w", &proof, &message, &chain);
});
