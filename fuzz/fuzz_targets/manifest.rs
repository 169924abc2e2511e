//! The manifest reader (`serde_json::from_slice::<por::format::Manifest>`, as a run reads
//! the published snapshots): any bytes must give either an error or a manifest, and the
//! manifest's `as_of` and every `block_time` must parse or be refused, never panic (an
//! edited `as_of` used to crash the next run). A parsed manifest writes back
//! (`to_json_bytes`) into bytes that parse to an equal manifest.

#![no_main]

use libfuzzer_sys::fuzz_target;
use por::format::{Manifest, to_json_bytes};
use por::time::Timestamp;

fuzz_target!(|data: &[u8]| {
    let Ok(m) = serde_json::from_slice::<Manifest>(data) else {
        return;
    };
    let mut times = vec![m.as_of.as_str()];
    times.extend(m.chains.0.values().map(|c| c.block_time()));
    for s in times {
        if let Ok(t) = Timestamp::parse_rfc3339(s) {
            assert_eq!(Timestamp::parse_rfc3339(&t.to_rfc3339()), Ok(t), "{s:?}");
        }
    }
    let bytes = to_json_bytes(&m);
    let again: Manifest = serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("a written manifest does not parse: {e}"));
    assert_eq!(again, m);
});
