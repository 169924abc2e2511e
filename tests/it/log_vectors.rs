//! The log core (`por::log`) against the `log` section of `tests/data/spec/vectors.json`
//! (an independent implementation of FORMAT.md §7): every entry, record and tree hash,
//! every consistency and inclusion proof and its file text, both keys, the checkpoint,
//! its signature and cosignature lines byte for byte, the add-checkpoint exchange, and
//! every invalid case refused by the check the vector names.

use crate::support::vectors::hex32;
use por::log::checkpoint::{self, DEFAULT_MAX_AGE_SECS};
use por::log::tree::{self, LogTree, check_consistency, check_entries, check_inclusion};
use por::log::witness::{AddCheckpoint, LogRecord, add_checkpoint};
use por::log::{Check, Hash, KeyType, SigningKey, VerifierKey, verify_checkpoint};
use serde_json::Value;
use sha2::Digest;

fn log_vectors() -> Value {
    crate::support::vectors::all()["log"].clone()
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap()
}

fn b64hash(v: &Value) -> Hash {
    tree::parse_hash(s(v)).unwrap_or_else(|| panic!("base64 hash {v}"))
}

fn hashes(v: &Value) -> Vec<Hash> {
    v.as_array().unwrap().iter().map(b64hash).collect()
}

fn entries(log: &Value) -> Vec<[u8; 32]> {
    log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| hex32(&e["entry"]))
        .collect()
}

fn full_tree(log: &Value) -> LogTree {
    LogTree::new(&entries(log))
}

fn key(log: &Value, which: &str, kind: KeyType) -> SigningKey {
    let k = &log["keys"][which];
    SigningKey::from_seed(s(&k["name"]), kind, hex32(&k["seed_hex"])).unwrap()
}

#[test]
fn entries_and_record_hashes() {
    let log = log_vectors();
    let list = log["entries"].as_array().unwrap();
    let manifests: Vec<&[u8]> = list
        .iter()
        .map(|e| s(&e["manifest_bytes"]).as_bytes())
        .collect();
    let checked = check_entries(&manifests).unwrap();
    assert_eq!(checked.len(), 9);
    for (i, e) in list.iter().enumerate() {
        assert_eq!(e["index"].as_u64().unwrap(), i as u64);
        let entry: [u8; 32] = sha2::Sha256::digest(s(&e["manifest_bytes"]).as_bytes()).into();
        assert_eq!(entry, hex32(&e["entry"]), "entry {i}");
        assert_eq!(checked[i], entry);
        assert_eq!(
            tree::record_hash(&entry).0,
            hex32(&e["record_hash"]),
            "record {i}"
        );
    }
}

#[test]
fn tree_hashes_at_every_size() {
    let log = log_vectors();
    let t = full_tree(&log);
    assert_eq!(tree::EMPTY_TREE.0, hex32(&log["empty_tree_hash"]));
    assert_eq!(t.root_at(0).unwrap(), tree::EMPTY_TREE);
    for th in log["tree_hashes"].as_array().unwrap() {
        let n = th["size"].as_u64().unwrap();
        let root = t.root_at(n).unwrap();
        assert_eq!(root.0, hex32(&th["hash"]), "size {n}");
        assert_eq!(root.to_string(), s(&th["base64"]), "size {n}");
        let prefix = LogTree::new(&entries(&log)[..n as usize]);
        assert_eq!(
            prefix.root(),
            root,
            "a tree built to size {n} has the same root"
        );
    }
}

#[test]
fn consistency_proofs_and_their_files() {
    let log = log_vectors();
    let t = full_tree(&log);
    let list = log["consistency_proofs"].as_array().unwrap();
    assert!(list.len() >= 20);
    for c in list {
        let (old, new) = (c["old"].as_u64().unwrap(), c["new"].as_u64().unwrap());
        let proof = t.consistency(old, new).unwrap();
        assert_eq!(proof, hashes(&c["proof"]), "{old}-{new}");
        assert_eq!(tree::proof_text(&proof), s(&c["file_text"]), "{old}-{new}");
        assert_eq!(s(&c["file"]), format!("log/consistency/{old}-{new}.txt"));
        assert_eq!(
            tree::parse_proof_text(s(&c["file_text"]), "file").unwrap(),
            proof
        );
        assert_eq!(t.root_at(old).unwrap(), b64hash(&c["old_hash"]));
        assert_eq!(t.root_at(new).unwrap(), b64hash(&c["new_hash"]));
        check_consistency(
            old,
            b64hash(&c["old_hash"]),
            new,
            b64hash(&c["new_hash"]),
            &proof,
        )
        .unwrap_or_else(|e| panic!("{old}-{new}: {e}"));
    }
}

#[test]
fn inclusion_proofs() {
    let log = log_vectors();
    let t = full_tree(&log);
    for p in log["inclusion_proofs"].as_array().unwrap() {
        let (size, index) = (p["size"].as_u64().unwrap(), p["index"].as_u64().unwrap());
        let proof = t.inclusion(index, size).unwrap();
        assert_eq!(proof, hashes(&p["proof"]), "{index} in {size}");
        assert_eq!(
            tree::record_hash(&t.entries()[index as usize]),
            b64hash(&p["record_hash"])
        );
        check_inclusion(
            index,
            size,
            b64hash(&p["record_hash"]),
            b64hash(&p["root"]),
            &proof,
        )
        .unwrap_or_else(|e| panic!("{index} in {size}: {e}"));
    }
}

#[test]
fn keys_ids_and_texts() {
    let log = log_vectors();
    for (which, kind) in [("log", KeyType::Note), ("witness", KeyType::Cosignature)] {
        let k = &log["keys"][which];
        let seed: [u8; 32] = sha2::Sha256::digest(
            s(&k["seed_derivation"])
                .strip_prefix("SHA-256(\"")
                .and_then(|r| r.strip_suffix("\")"))
                .unwrap()
                .as_bytes(),
        )
        .into();
        assert_eq!(seed, hex32(&k["seed_hex"]), "{which} seed derivation");
        assert_eq!(kind.byte() as u64, k["type"].as_u64().unwrap());
        let sk = key(&log, which, kind);
        let v = sk.verifier();
        assert_eq!(v.to_string(), s(&k["vkey"]), "{which}");
        assert_eq!(format!("{:08x}", v.id()), s(&k["key_id_hex"]));
        let preimage = hex::decode(s(&k["key_id_preimage_hex"])).unwrap();
        assert_eq!(
            &preimage[preimage.len() - 32..],
            hex::decode(s(&k["public_key_hex"])).unwrap()
        );
        let id: [u8; 32] = sha2::Sha256::digest(&preimage).into();
        assert_eq!(hex::encode(&id[..4]), s(&k["key_id_hex"]));
        assert_eq!(VerifierKey::parse_as(s(&k["vkey"]), kind).unwrap(), v);
        if let Some(skey) = k.get("signed_note_skey") {
            assert_eq!(sk.to_private_text(), s(skey));
            assert_eq!(SigningKey::parse(s(skey)).unwrap().verifier(), v);
        }
    }
}

#[test]
fn checkpoint_signature_and_cosignature_byte_for_byte() {
    let log = log_vectors();
    let cp = &log["checkpoint"];
    let t = full_tree(&log);
    let origin = s(&log["keys"]["log"]["name"]);
    let log_key = key(&log, "log", KeyType::Note);
    let witness = key(&log, "witness", KeyType::Cosignature);

    let body = checkpoint::body(origin, 9, t.root(), "2026-11-21").unwrap();
    assert_eq!(body, s(&cp["body"]));
    assert_eq!(t.root().to_string(), s(&cp["root_base64"]));
    let note = checkpoint::sign(&body, &log_key).unwrap();
    assert_eq!(note, s(&cp["note"]));
    assert!(note.ends_with(s(&cp["log_signature_line"])));

    let co = &cp["cosignature"];
    let ts = co["timestamp"].as_u64().unwrap();
    assert_eq!(
        checkpoint::cosigned_message(body.as_bytes(), ts),
        s(&co["signed_message"]).as_bytes()
    );
    let line = checkpoint::cosign(body.as_bytes(), &witness, ts).unwrap();
    assert_eq!(line, s(&co["line"]));
    let full = checkpoint::with_signatures(&note, std::slice::from_ref(&line));
    assert_eq!(full, s(&cp["note_with_cosignature"]));

    let prev = &cp["previous"];
    let prev_body = checkpoint::body(origin, 8, t.root_at(8).unwrap(), "2026-11-20").unwrap();
    assert_eq!(prev_body, s(&prev["body"]));
    assert_eq!(
        checkpoint::sign(&prev_body, &log_key).unwrap(),
        s(&prev["note"])
    );

    let v = verify_checkpoint(
        full.as_bytes(),
        &log_key.verifier(),
        origin,
        &[witness.verifier()],
    )
    .unwrap();
    assert_eq!(
        (v.size, v.root, v.snapshot_id.as_deref()),
        (9, t.root(), Some("2026-11-21"))
    );
    assert_eq!(v.signed, note);
    assert_eq!(v.cosignatures.len(), 1);
    assert_eq!(v.cosignatures[0].timestamp, ts);
    assert_eq!(v.cosignatures[0].line, line);
    v.require(1, Some(ts + 3600), DEFAULT_MAX_AGE_SECS).unwrap();
    let e = v.require(2, None, DEFAULT_MAX_AGE_SECS).unwrap_err();
    assert_eq!(e.check, Check::Cosignature);
    let stale = v
        .require(1, Some(ts + DEFAULT_MAX_AGE_SECS + 1), DEFAULT_MAX_AGE_SECS)
        .unwrap_err();
    assert!(stale.message.contains("72 hours"), "{stale}");
    let future = v
        .require(1, Some(ts - 301), DEFAULT_MAX_AGE_SECS)
        .unwrap_err();
    assert!(future.message.contains("future"), "{future}");
    v.require(1, Some(ts - 300), DEFAULT_MAX_AGE_SECS).unwrap();
}

#[test]
fn the_add_checkpoint_exchange() {
    let log = log_vectors();
    let cp = &log["checkpoint"];
    let t = full_tree(&log);
    let log_key = key(&log, "log", KeyType::Note).verifier();
    let witness = key(&log, "witness", KeyType::Cosignature);
    let req = AddCheckpoint {
        old: 8,
        proof: t.consistency(8, 9).unwrap(),
        checkpoint: s(&cp["note"]).as_bytes().to_vec(),
    };
    assert_eq!(req.to_bytes(), s(&cp["add_checkpoint_request"]).as_bytes());
    assert_eq!(AddCheckpoint::parse(&req.to_bytes()).unwrap(), req);
    let at8 = LogRecord {
        size: 8,
        root: t.root_at(8).unwrap(),
    };
    let ts = cp["cosignature"]["timestamp"].as_u64().unwrap();
    let a = add_checkpoint(
        &req.to_bytes(),
        std::slice::from_ref(&log_key),
        |_| Some(at8),
        &witness,
        ts,
    );
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body, s(&cp["add_checkpoint_response"]));
    assert_eq!(
        a.record,
        Some(LogRecord {
            size: 9,
            root: t.root()
        })
    );

    // The same request again, to a witness that is now at 9: 409 with its size.
    let at9 = a.record.unwrap();
    let a = add_checkpoint(
        &req.to_bytes(),
        std::slice::from_ref(&log_key),
        |_| Some(at9),
        &witness,
        ts,
    );
    assert_eq!(
        (a.status, a.body.as_str(), a.content_type),
        (409, "9\n", "text/x.tlog.size")
    );
    // Resubmitting size 9 from 9: an empty proof, a fresh cosignature.
    let again = AddCheckpoint {
        old: 9,
        proof: vec![],
        checkpoint: req.checkpoint.clone(),
    };
    let a = add_checkpoint(
        &again.to_bytes(),
        std::slice::from_ref(&log_key),
        |_| Some(at9),
        &witness,
        ts + 60,
    );
    assert_eq!(a.status, 200, "{}", a.body);
    // Old above the checkpoint size: 400.
    let over = AddCheckpoint {
        old: 10,
        ..again.clone()
    };
    let a = add_checkpoint(
        &over.to_bytes(),
        std::slice::from_ref(&log_key),
        |_| Some(at9),
        &witness,
        ts,
    );
    assert_eq!(a.status, 400, "{}", a.body);
    // A log the witness does not know: 404.
    let a = add_checkpoint(&again.to_bytes(), &[], |_| None, &witness, ts);
    assert_eq!(a.status, 404, "{}", a.body);
    // Garbage: 400.
    let a = add_checkpoint(b"hello\n", &[log_key], |_| None, &witness, ts);
    assert_eq!(a.status, 400, "{}", a.body);
}

fn vkeys(v: &Value) -> Result<Vec<VerifierKey>, por::log::LogError> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|k| VerifierKey::parse(s(k)))
        .collect()
}

#[test]
fn every_invalid_case_is_refused_by_its_check() {
    let log = log_vectors();
    let honest8 = full_tree(&log).root_at(8).unwrap();
    let witness = key(&log, "witness", KeyType::Cosignature);
    let log_vkey = key(&log, "log", KeyType::Note).verifier();
    let mut kinds = std::collections::BTreeMap::<String, usize>::new();
    for case in log["invalid"].as_array().unwrap() {
        let why = s(&case["why"]);
        let want = s(&case["check"]);
        *kinds.entry(s(&case["kind"]).to_string()).or_default() += 1;
        let result: Result<(), por::log::LogError> = match s(&case["kind"]) {
            "checkpoint" => (|| {
                let lk = VerifierKey::parse(s(&case["log_vkey"]))?;
                let ws = vkeys(&case["witness_vkeys"])?;
                let v =
                    verify_checkpoint(s(&case["note"]).as_bytes(), &lk, s(&case["origin"]), &ws)?;
                v.require(
                    case["k"].as_u64().unwrap() as usize,
                    None,
                    DEFAULT_MAX_AGE_SECS,
                )
            })(),
            "consistency" => {
                let r = check_consistency(
                    case["old"].as_u64().unwrap(),
                    b64hash(&case["old_hash"]),
                    case["new"].as_u64().unwrap(),
                    b64hash(&case["new_hash"]),
                    &hashes(&case["proof"]),
                );
                if let Some(note) = case.get("new_note") {
                    // A witness at the honest size 8 refuses the forked checkpoint: 422.
                    let req = AddCheckpoint {
                        old: case["old"].as_u64().unwrap(),
                        proof: hashes(&case["proof"]),
                        checkpoint: s(note).as_bytes().to_vec(),
                    };
                    let rec = LogRecord {
                        size: 8,
                        root: honest8,
                    };
                    let a = add_checkpoint(
                        &req.to_bytes(),
                        std::slice::from_ref(&log_vkey),
                        |_| Some(rec),
                        &witness,
                        1,
                    );
                    assert_eq!(a.status, 422, "{why}: {}", a.body);
                    assert_eq!(a.record, None);
                }
                r
            }
            "inclusion" => check_inclusion(
                case["index"].as_u64().unwrap(),
                case["size"].as_u64().unwrap(),
                b64hash(&case["record_hash"]),
                b64hash(&case["root"]),
                &hashes(&case["proof"]),
            ),
            "vkey" => VerifierKey::parse(s(&case["vkey"])).map(|_| ()),
            "entries" => {
                let ms: Vec<&[u8]> = case["manifests"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| s(m).as_bytes())
                    .collect();
                for (m, e) in ms.iter().zip(case["entries"].as_array().unwrap()) {
                    let d: [u8; 32] = sha2::Sha256::digest(m).into();
                    assert_eq!(d, hex32(e), "{why}: entry hash");
                }
                check_entries(&ms).map(|_| ())
            }
            other => panic!("unknown kind {other}"),
        };
        let e = result.expect_err(why);
        assert_eq!(e.check.name(), want, "{why}: refused as {e}");
        assert!(!e.to_string().contains('\n'), "{why}: one line: {e}");
    }
    for k in ["checkpoint", "consistency", "inclusion", "vkey", "entries"] {
        assert!(kinds.get(k).copied().unwrap_or(0) > 0, "no {k} case");
    }
}

#[test]
fn a_witness_answers_403_for_a_changed_checkpoint() {
    let log = log_vectors();
    let witness = key(&log, "witness", KeyType::Cosignature);
    let log_vkey = key(&log, "log", KeyType::Note).verifier();
    let altered = log["invalid"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| s(&c["why"]).starts_with("altered root hash"))
        .unwrap();
    let req = AddCheckpoint {
        old: 0,
        proof: vec![],
        checkpoint: s(&altered["note"]).as_bytes().to_vec(),
    };
    let a = add_checkpoint(&req.to_bytes(), &[log_vkey], |_| None, &witness, 1);
    assert_eq!(a.status, 403, "{}", a.body);
}
