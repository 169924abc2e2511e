//! The Rust core against `../shared/spec/vectors.json`, computed by an independent
//! implementation of FORMAT.md: every tag, account, leaf, level, root and proof is
//! reproduced; every invalid proof is rejected; every invalid tree is refused.

use crate::support::vectors::{amounts, check_named, hex32, text};
use por::amount::Amount;
use por::format::{Chains, MANIFEST_FORMAT, Manifest, ManifestAsset, SnapshotId, TreeInfo};
use por::tree::hash::{NodeHash, Tag, account_commitment};
use por::tree::proof::{Check, InclusionProof, ManifestRef};
use por::tree::{AccountLeaf, Node, Tree, TreeError};
use serde_json::Value;
use std::path::PathBuf;

fn vectors_text() -> String {
    let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/spec/vectors.json");
    let copy_text = text();
    if let Ok(shared_text) = std::fs::read_to_string(&shared) {
        assert_eq!(
            shared_text, copy_text,
            "tests/data/spec/vectors.json is out of date with ../shared/spec"
        );
    }
    copy_text
}

fn vectors() -> Value {
    serde_json::from_str(&vectors_text()).unwrap()
}

fn manifest_for(tree: &Value, proof: &InclusionProof) -> Manifest {
    let sums = amounts(&tree["root"]["sums"]);
    Manifest {
        format: MANIFEST_FORMAT.into(),
        exchange: proof.exchange.clone(),
        snapshot_id: SnapshotId::new(&proof.snapshot_id).unwrap(),
        as_of: "2026-11-21T00:00:00Z".into(),
        assets: proof
            .assets
            .iter()
            .zip(&sums)
            .map(|(a, s)| ManifestAsset {
                symbol: a.symbol.clone(),
                decimals: a.decimals,
                liabilities: *s,
                reserves: *s,
                unproven_reserves: Amount::ZERO,
                reserve_ratio: Some("1.0000".into()),
                custodial_reserves: None,
                custodians: Vec::new(),
            })
            .collect(),
        tree: TreeInfo {
            version: None,
            root: NodeHash::from_hex(tree["root"]["hash"].as_str().unwrap()).unwrap(),
            sums,
            height: tree["height"].as_u64().unwrap() as u32,
            leaves: tree["accounts"].as_array().unwrap().len() as u64,
            split: None,
            padding_bits: None,
            accounts: None,
        },
        chains: Chains::default(),
        files: Default::default(),
        previous: None,
    }
}

#[test]
fn tags_reproduce() {
    let v = vectors();
    for (tag, t) in v["tags"].as_object().unwrap() {
        let tag = Tag::ALL
            .into_iter()
            .find(|x| x.as_str() == tag)
            .expect("known tag");
        let msg = hex::decode(t["message_hex"].as_str().unwrap()).unwrap();
        assert_eq!(tag.hash(&msg).to_hex(), t["hash"].as_str().unwrap());
    }
}

#[test]
fn trees_levels_roots_and_proofs_reproduce() {
    let v = vectors();
    let trees = v["trees"].as_array().unwrap();
    assert!(!trees.is_empty());
    for t in trees {
        let name = t["name"].as_str().unwrap();
        let k = t["assets"].as_array().unwrap().len();
        let accounts: Vec<AccountLeaf> = t["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                let leaf = AccountLeaf {
                    uid: a["uid"].as_str().unwrap().into(),
                    salt: hex32(&a["salt"]),
                    balances: amounts(&a["balances"]),
                };
                assert_eq!(
                    account_commitment(&leaf.salt, leaf.uid.as_bytes()).to_hex(),
                    a["account"],
                    "{name}"
                );
                assert_eq!(
                    Node::leaf(&leaf.salt, leaf.uid.as_bytes(), &leaf.balances)
                        .hash
                        .to_hex(),
                    a["leaf_hash"],
                    "{name}"
                );
                leaf
            })
            .collect();
        let tree = Tree::build(k, &accounts).unwrap();
        assert_eq!(
            tree.height() as u64,
            t["height"].as_u64().unwrap(),
            "{name}"
        );
        assert_eq!(tree.root().hash.to_hex(), t["root"]["hash"], "{name}");
        assert_eq!(tree.root().sums, amounts(&t["root"]["sums"]), "{name}");
        let levels = t["levels"].as_array().unwrap();
        assert_eq!(levels.len(), tree.height() as usize + 1, "{name}");
        for (l, level) in levels.iter().enumerate() {
            let want: Vec<&str> = level
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h.as_str().unwrap())
                .collect();
            let got: Vec<String> = tree.level_hashes(l).iter().map(NodeHash::to_hex).collect();
            assert_eq!(got, want, "{name} level {l}");
        }
        // Every published proof verifies, and ours for the same leaf is identical.
        for (pos, p) in t["proofs"].as_array().unwrap().iter().enumerate() {
            let proof = InclusionProof::from_json(&p.to_string()).unwrap();
            let manifest = manifest_for(t, &proof);
            proof
                .verify_against(&(&manifest).into())
                .unwrap_or_else(|e| panic!("{name} proof {pos}: {e}"));
            assert_eq!(proof.uid, accounts[pos].uid);
            assert_eq!(
                tree.path(pos as u64),
                proof.path,
                "{name} path of leaf {pos}"
            );
        }
    }
}

/// Every invalid por/1 proof is rejected, against the vectors' manifest, at exactly
/// the step the vector names (the first failing step of FORMAT.md §3).
#[test]
fn invalid_proofs_are_rejected_at_the_named_step() {
    let v = vectors();
    let manifest =
        ManifestRef::from_json(&v["invalid_proofs_manifest"].to_string()).expect("manifest");
    let invalid = v["invalid_proofs"].as_array().unwrap();
    assert!(!invalid.is_empty());
    for case in invalid {
        let why = case["why"].as_str().unwrap();
        let text = case["proof"].to_string();
        let result = InclusionProof::from_json(&text).and_then(|p| p.verify_against(&manifest));
        let err = result.err().unwrap_or_else(|| panic!("{why}: accepted"));
        assert_eq!(err.check, check_named(case), "{why}: {err}");
    }
}

/// The por/1 cases among the por/2 vectors (unknown fields, a manifest with a tree
/// version) are rejected at their named step too.
#[test]
fn por1_cases_of_the_v2_vectors_are_rejected_at_the_named_step() {
    let v = vectors();
    let mut seen = 0;
    for case in v["invalid_proofs_v2"].as_array().unwrap() {
        if case["proof"]["format"] != "por-inclusion-proof/1" {
            continue;
        }
        seen += 1;
        let why = case["why"].as_str().unwrap();
        let manifest = ManifestRef::from_json(&case["manifest"].to_string()).expect("manifest");
        let result = InclusionProof::from_json(&case["proof"].to_string())
            .and_then(|p| p.verify_against(&manifest));
        let err = result.err().unwrap_or_else(|| panic!("{why}: accepted"));
        assert_eq!(err.check, check_named(case), "{why}: {err}");
    }
    assert!(seen >= 6, "the v2 vectors carry por/1 cases ({seen})");
}

#[test]
fn missing_path_step_is_also_caught_by_the_manifest_height() {
    // Even if a shortened path reached a self-consistent root, step 5 checks the height.
    let v = vectors();
    let t = &v["trees"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "eleven")
        .unwrap()
        .clone();
    let mut p = InclusionProof::from_json(&t["proofs"][0].to_string()).unwrap();
    let manifest = manifest_for(t, &p);
    p.path.pop();
    let err = p.verify_against(&(&manifest).into()).unwrap_err();
    assert!(matches!(err.check, Check::Root | Check::Manifest), "{err}");
}

#[test]
fn a_proof_from_another_snapshot_is_rejected() {
    let v = vectors();
    let trees = v["trees"].as_array().unwrap();
    let a = InclusionProof::from_json(&trees[1]["proofs"][0].to_string()).unwrap();
    let b = InclusionProof::from_json(&trees[5]["proofs"][0].to_string()).unwrap();
    let err = a
        .verify_against(&(&manifest_for(&trees[5], &b)).into())
        .unwrap_err();
    assert_eq!(err.check, Check::Manifest);
    let mut other_id = manifest_for(&trees[1], &a);
    other_id.snapshot_id = SnapshotId::new("another").unwrap();
    assert_eq!(
        a.verify_against(&(&other_id).into()).unwrap_err().check,
        Check::Manifest
    );
}

#[test]
fn invalid_trees_are_refused() {
    let v = vectors();
    for case in v["invalid_trees"].as_array().unwrap() {
        let why = case["why"].as_str().unwrap();
        let k = case["assets"].as_array().unwrap().len();
        let accounts: Vec<AccountLeaf> = case["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| AccountLeaf {
                uid: a["uid"].as_str().unwrap().into(),
                salt: [7u8; 32],
                balances: amounts(&a["balances"]),
            })
            .collect();
        let err = Tree::build(k, &accounts).unwrap_err();
        assert!(matches!(err, TreeError::SumOverflow { .. }), "{why}: {err}");
    }
    assert_eq!(Tree::build(1, &[]).unwrap_err(), TreeError::Empty);
}

/// The repo carries the spec it implements: `docs/spec/FORMAT.md` is the project's
/// `shared/spec/FORMAT.md`, byte for byte (checked when the shared copy is beside
/// the clone, as in CI).
#[test]
fn the_spec_copy_is_identical_to_the_projects_spec() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let copy = std::fs::read(root.join("docs/spec/FORMAT.md")).expect("docs/spec/FORMAT.md");
    match std::fs::read(root.join("../shared/spec/FORMAT.md")) {
        Ok(shared) => assert!(
            shared == copy,
            "docs/spec/FORMAT.md is out of date with ../shared/spec/FORMAT.md"
        ),
        Err(_) => eprintln!("../shared/spec is not beside this clone: copy not compared"),
    }
}
