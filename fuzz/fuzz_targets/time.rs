//! RFC 3339 times (`Timestamp::parse_rfc3339`): any text must give either an error or a
//! time, never a panic (the hand-written parser before jiff sliced at fixed byte
//! offsets and panicked on non-ASCII input). An accepted time must write back as
//! `YYYY-MM-DDTHH:MM:SSZ` that parses to the same time; a refusal is one short line.

#![no_main]

use libfuzzer_sys::fuzz_target;
use por::time::Timestamp;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    match Timestamp::parse_rfc3339(s) {
        Ok(t) => {
            let shown = t.to_rfc3339();
            assert_eq!(shown.len(), 20, "{s:?} -> {shown:?}");
            assert!(shown.ends_with('Z') && shown.is_ascii(), "{shown:?}");
            assert_eq!(
                Timestamp::parse_rfc3339(&shown),
                Ok(t),
                "{s:?} -> {shown:?}"
            );
            assert_eq!(t.date(), shown[..10], "{s:?}");
        }
        Err(e) => {
            let m = e.to_string();
            assert!(m.len() < 600 && !m.contains(['\n', '\r']), "{m:?}");
        }
    }
});
