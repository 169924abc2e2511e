//! Inclusion proofs (`InclusionProof::from_json` then `verify_self`): any text must
//! give either an error or a verified proof, and a proof that verifies must survive a
//! serialize/parse round trip unchanged (and still verify).

#![no_main]

use libfuzzer_sys::fuzz_target;
use por::tree::proof::InclusionProof;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(proof) = InclusionProof::from_json(text) else {
        return;
    };
    let Ok(verified) = proof.verify_self() else {
        return;
    };
    assert_eq!(verified.proof, proof);
    assert_eq!(verified.running.len(), proof.path.len());

    let json = serde_json::to_string(&proof).expect("a parsed proof serializes");
    let again = InclusionProof::from_json(&json)
        .unwrap_or_else(|e| panic!("re-serialized proof does not parse: {e}\n{json}"));
    assert_eq!(again, proof, "round trip changed the proof");
    let reverified = again
        .verify_self()
        .unwrap_or_else(|e| panic!("re-serialized proof does not verify: {e}"));
    assert_eq!(reverified.leaf, verified.leaf);
});
