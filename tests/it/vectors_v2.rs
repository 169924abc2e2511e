//! por/2 (FORMAT.md §6) against `vectors.json`: every `trees_v2` tree is rebuilt from
//! its parts, salts, dummies and permutation (every level's hashes and sums, the root,
//! every proof byte for byte), every valid proof is accepted, every invalid one is
//! rejected at exactly its named step, and the por/2 tags reproduce. Property tests
//! cover the split, the folds and single changes to a proof.

use crate::support::vectors::{all as vectors, amounts, check_named, hex32};
use por::amount::Amount;
use por::format::AssetInfo;
use por::tree::hash::{NodeHash, Tag};
use por::tree::proof::{Check, ManifestRef, Side};
use por::tree::v2::{
    AccountParts, AnyProof, AnyVerified, InclusionProofV2, PROOF_FORMAT_V2, PartSecret,
    ProofLabels, TreeParamsV2, TreeV2, TreeV2Input, V2Error, dummy_hash, padded_leaf_count,
    part_commitment, part_leaf, split_balances,
};
use proptest::prelude::*;
use rand::SeedableRng;
use serde_json::Value;

fn manifest(v: &Value) -> ManifestRef {
    ManifestRef::from_json(&v.to_string()).expect("manifest")
}

#[test]
fn tags_v2_reproduce() {
    let v = vectors();
    let tags = v["tags_v2"].as_object().unwrap();
    assert_eq!(tags.len(), Tag::ALL_V2.len());
    for (name, t) in tags {
        let tag = Tag::ALL_V2
            .into_iter()
            .find(|x| x.as_str() == name)
            .unwrap_or_else(|| panic!("unknown tag {name}"));
        let msg = hex::decode(t["message_hex"].as_str().unwrap()).unwrap();
        assert_eq!(
            tag.hash(&msg).to_hex(),
            t["hash"].as_str().unwrap(),
            "{name}"
        );
    }
}

/// The build input a `trees_v2` entry describes, checking every part's account and
/// leaf hash and every dummy's hash on the way.
fn input_of(t: &Value) -> TreeV2Input {
    let name = t["name"].as_str().unwrap();
    let k = t["assets"].as_array().unwrap().len();
    let accounts = t["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let uid = a["uid"].as_str().unwrap().to_string();
            let parts = a["parts"]
                .as_array()
                .unwrap()
                .iter()
                .enumerate()
                .map(|(j, p)| {
                    assert_eq!(p["index"].as_u64(), Some(j as u64), "{name}: index order");
                    let part = PartSecret {
                        salt: hex32(&p["salt"]),
                        balances: amounts(&p["balances"]),
                    };
                    let j = j as u8;
                    assert_eq!(
                        part_commitment(&part.salt, j, uid.as_bytes()).to_hex(),
                        p["account"],
                        "{name} {uid} part {j}"
                    );
                    assert_eq!(
                        part_leaf(&part.salt, j, uid.as_bytes(), &part.balances)
                            .hash
                            .to_hex(),
                        p["leaf_hash"],
                        "{name} {uid} part {j}"
                    );
                    part
                })
                .collect();
            AccountParts {
                uid,
                balances: amounts(&a["balances"]),
                parts,
            }
        })
        .collect();
    let dummies = t["dummies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let r = hex32(&d["r"]);
            assert_eq!(dummy_hash(&r).to_hex(), d["hash"], "{name} dummy");
            r
        })
        .collect();
    let permutation = t["permutation"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| u32::try_from(p.as_u64().unwrap()).unwrap())
        .collect();
    TreeV2Input {
        k,
        split: t["split"].as_u64().unwrap() as u8,
        padding_bits: t["padding_bits"].as_u64().unwrap() as u8,
        accounts,
        dummies,
        permutation,
    }
}

fn labels_of(m: &ManifestRef) -> ProofLabels {
    ProofLabels {
        exchange: m.exchange.clone(),
        snapshot_id: m.snapshot_id.clone(),
        assets: m.assets.clone(),
    }
}

#[test]
fn trees_v2_levels_roots_and_proofs_reproduce() {
    let v = vectors();
    let trees = v["trees_v2"].as_array().unwrap();
    assert_eq!(trees.len(), 10);
    let mut proofs = 0;
    for t in trees {
        let name = t["name"].as_str().unwrap();
        let m = manifest(&t["manifest"]);
        let input = input_of(t);
        let n = input.accounts.len();
        let s = input.split;
        let tree = TreeV2::build(input).unwrap_or_else(|e| panic!("{name}: {e}"));

        // Positions of every part and dummy.
        for (a, acct) in t["accounts"].as_array().unwrap().iter().enumerate() {
            for (j, p) in acct["parts"].as_array().unwrap().iter().enumerate() {
                assert_eq!(
                    tree.position(a, j as u8),
                    p["position"].as_u64(),
                    "{name} account {a} part {j}"
                );
            }
        }
        let perm = t["permutation"].as_array().unwrap();
        for (d, dummy) in t["dummies"].as_array().unwrap().iter().enumerate() {
            let p = dummy["position"].as_u64().unwrap() as usize;
            assert_eq!(perm[p].as_u64(), Some((n * usize::from(s) + d) as u64));
        }

        // Every level's hashes and sums.
        let levels = t["levels"].as_array().unwrap();
        let level_sums = t["level_sums"].as_array().unwrap();
        assert_eq!(levels.len(), tree.height() as usize + 1, "{name}");
        assert_eq!(level_sums.len(), levels.len(), "{name}");
        for (l, (hashes, sums)) in levels.iter().zip(level_sums).enumerate() {
            let nodes = tree.tree().level_nodes(l);
            let got: Vec<String> = nodes.iter().map(|n| n.hash.to_hex()).collect();
            let want: Vec<&str> = hashes
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h.as_str().unwrap())
                .collect();
            assert_eq!(got, want, "{name} level {l} hashes");
            let want: Vec<Vec<Amount>> = sums.as_array().unwrap().iter().map(amounts).collect();
            let got: Vec<Vec<Amount>> = nodes.into_iter().map(|n| n.sums).collect();
            assert_eq!(got, want, "{name} level {l} sums");
        }

        // Root and the manifest's tree, with `accounts` published as the vector has it.
        let publish = matches!(m.tree.accounts, Some(Some(_)));
        assert_eq!(tree.tree_info(publish), m.tree, "{name} manifest tree");
        assert_eq!(tree.root().hash, m.tree.root, "{name} root");
        let params = TreeParamsV2::from_tree_info(&m.tree).unwrap();
        assert_eq!(u128::from(params.leaves), {
            padded_leaf_count(n as u64 * u64::from(s), params.padding_bits).unwrap()
        });

        // Every proof: ours is the vector's, byte for byte as JSON values, and both
        // verify against the manifest.
        let labels = labels_of(&m);
        for (a, want) in t["proofs"].as_array().unwrap().iter().enumerate() {
            let ours = tree.proof(a, &labels).unwrap();
            assert_eq!(
                serde_json::to_value(&ours).unwrap(),
                *want,
                "{name} proof of account {a}"
            );
            let text = want.to_string();
            let parsed = InclusionProofV2::from_json(&text).unwrap();
            assert_eq!(parsed, ours, "{name} proof {a} parses to ours");
            let verified = parsed
                .verify_against(&m)
                .unwrap_or_else(|e| panic!("{name} proof {a}: {e}"));
            for (part, vp) in parsed.parts.iter().zip(&verified.parts) {
                assert_eq!(vp.position, tree.position(a, part.index));
            }
            match AnyProof::verify_json(&text, &m) {
                Ok(AnyVerified::V2(_)) => {}
                other => panic!("{name} proof {a}: {other:?}"),
            }
            proofs += 1;
        }
        assert_eq!(
            tree.proof(n, &labels),
            Err(V2Error::UnknownAccount {
                index: n,
                accounts: n
            })
        );
    }
    assert_eq!(proofs, 44);
}

#[test]
fn valid_proofs_v2_are_accepted() {
    let v = vectors();
    let cases = v["valid_proofs_v2"].as_array().unwrap();
    assert_eq!(cases.len(), 3);
    for case in cases {
        let why = case["why"].as_str().unwrap();
        let m = manifest(&case["manifest"]);
        let text = case["proof"].to_string();
        InclusionProofV2::from_json(&text)
            .and_then(|p| p.verify_against(&m))
            .unwrap_or_else(|e| panic!("{why}: {e}"));
        assert!(
            matches!(AnyProof::verify_json(&text, &m), Ok(AnyVerified::V2(_))),
            "{why}"
        );
    }
}

/// Every invalid case is rejected at exactly its named step: through [`AnyProof`]
/// (which hands por/1 proofs to the por/1 verifier), and the por/2 ones also through
/// [`InclusionProofV2`] directly.
#[test]
fn invalid_proofs_v2_are_rejected_at_the_named_step() {
    let v = vectors();
    let cases = v["invalid_proofs_v2"].as_array().unwrap();
    assert_eq!(cases.len(), 69);
    let mut v2_cases = 0;
    for case in cases {
        let why = case["why"].as_str().unwrap();
        let m = manifest(&case["manifest"]);
        let text = case["proof"].to_string();
        let want = check_named(case);
        let err = AnyProof::verify_json(&text, &m)
            .err()
            .unwrap_or_else(|| panic!("{why}: accepted"));
        assert_eq!(err.check, want, "{why}: {err}");
        if case["proof"]["format"] == PROOF_FORMAT_V2 {
            v2_cases += 1;
            let err = InclusionProofV2::from_json(&text)
                .and_then(|p| p.verify_against(&m))
                .err()
                .unwrap_or_else(|| panic!("{why}: accepted"));
            assert_eq!(err.check, want, "{why}: {err}");
        }
    }
    assert_eq!(v2_cases, 63);
}

#[test]
fn index_must_be_an_integer_without_fraction_or_exponent() {
    let v = vectors();
    let t = &v["trees_v2"][1];
    let m = manifest(&t["manifest"]);
    let good = t["proofs"][0].to_string();
    assert!(AnyProof::verify_json(&good, &m).is_ok());
    for bad in ["1.0", "1e0", "1E0", "true", "\"1\"", "null", "-1", "1.5"] {
        let mut p: Value = t["proofs"][0].clone();
        let text = p.to_string();
        // Replace parts[1].index (the number 1) by `bad` in the text itself, so the
        // exact token reaches the parser.
        p["parts"][1]["index"] = Value::from(777u32);
        let text_bad = p.to_string().replace("777", bad);
        assert_ne!(text, text_bad);
        let err = AnyProof::verify_json(&text_bad, &m).unwrap_err();
        assert_eq!(err.check, Check::Parse, "index {bad}: {err}");
    }
}

#[test]
fn unknown_or_missing_format_is_rejected_at_parse() {
    let v = vectors();
    let t = &v["trees_v2"][0];
    let m = manifest(&t["manifest"]);
    for format in [
        Value::from("por-inclusion-proof/3"),
        Value::from(2),
        Value::Null,
    ] {
        let mut p = t["proofs"][0].clone();
        p["format"] = format;
        let err = AnyProof::verify_json(&p.to_string(), &m).unwrap_err();
        assert_eq!(err.check, Check::Parse, "{err}");
    }
    let mut p = t["proofs"][0].clone();
    p.as_object_mut().unwrap().remove("format");
    assert_eq!(
        AnyProof::verify_json(&p.to_string(), &m).unwrap_err().check,
        Check::Parse
    );
    for text in [
        "",
        "[]",
        "nonsense",
        "{\"format\": \"por-inclusion-proof/2\"",
    ] {
        assert_eq!(
            AnyProof::verify_json(text, &m).unwrap_err().check,
            Check::Parse
        );
    }
}

#[test]
fn builds_with_bad_input_are_refused() {
    let v = vectors();
    let t = &v["trees_v2"][1];
    let good = input_of(t);
    assert!(TreeV2::build(good.clone()).is_ok());
    let refused = |f: &dyn Fn(&mut TreeV2Input)| {
        let mut i = good.clone();
        f(&mut i);
        TreeV2::build(i).unwrap_err()
    };
    assert!(matches!(
        refused(&|i| {
            i.dummies.pop();
        }),
        V2Error::DummyCount { .. }
    ));
    assert!(matches!(
        refused(&|i| i.permutation[0] = i.permutation[1]),
        V2Error::PermutationEntry { .. }
    ));
    assert!(matches!(
        refused(&|i| i.permutation[0] = 99),
        V2Error::PermutationEntry { .. }
    ));
    assert!(matches!(
        refused(&|i| {
            i.permutation.pop();
        }),
        V2Error::PermutationLength { .. }
    ));
    assert!(matches!(
        refused(&|i| i.accounts[0].parts[0].balances[0] = Amount::from_base_units(9)),
        V2Error::PartSum { .. }
    ));
    assert!(matches!(
        refused(&|i| i.accounts[0].parts[1].salt = i.accounts[0].parts[0].salt),
        V2Error::DuplicateSalt { .. }
    ));
    assert!(matches!(
        refused(&|i| {
            i.accounts[0].parts.pop();
        }),
        V2Error::PartCount { .. }
    ));
    assert!(matches!(
        refused(&|i| i.accounts[1].uid.clear()),
        V2Error::UidLength { .. }
    ));
    assert_eq!(refused(&|i| i.split = 0), V2Error::Split(0));
    assert_eq!(refused(&|i| i.split = 17), V2Error::Split(17));
    assert_eq!(refused(&|i| i.padding_bits = 9), V2Error::PaddingBits(9));
    assert_eq!(refused(&|i| i.accounts.clear()), V2Error::Empty);
    assert!(matches!(
        refused(&|i| {
            i.accounts[0].parts[0].balances[0] = Amount::MAX;
            i.accounts[0].parts[1].balances[0] = Amount::MAX;
        }),
        V2Error::PartSumOverflow { .. }
    ));
}

// ---------------------------------------------------------------------------
// Properties

const K: usize = 2;

fn labels() -> ProofLabels {
    ProofLabels {
        exchange: "Prop Exchange".into(),
        snapshot_id: "prop-v2".into(),
        assets: (0..K)
            .map(|i| AssetInfo {
                symbol: format!("A{i}"),
                decimals: 8,
            })
            .collect(),
    }
}

fn manifest_of(tree: &TreeV2, publish_accounts: bool) -> ManifestRef {
    let l = labels();
    ManifestRef {
        exchange: l.exchange,
        snapshot_id: l.snapshot_id,
        assets: l.assets,
        tree: tree.tree_info(publish_accounts),
    }
}

fn balance() -> impl Strategy<Value = Amount> {
    prop_oneof![
        Just(0u128),
        0u128..100,
        0u128..=u128::MAX / 4096,
        Just(u128::MAX / 4096),
    ]
    .prop_map(Amount::from_base_units)
}

fn accounts_strategy() -> impl Strategy<Value = Vec<(String, Vec<Amount>)>> {
    prop::collection::vec(
        ("[a-zA-Z0-9_.@-]{1,24}", prop::collection::vec(balance(), K)),
        1..12,
    )
    .prop_map(|rows| {
        rows.into_iter()
            .enumerate()
            .map(|(i, (uid, b))| (format!("{uid}#{i}"), b))
            .collect()
    })
}

fn draw(accounts: Vec<(String, Vec<Amount>)>, split: u8, g: u8, seed: u64) -> TreeV2 {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let input = TreeV2Input::draw(K, split, g, accounts, &mut rng).unwrap();
    TreeV2::build(input).unwrap()
}

fn flip(h: &mut NodeHash, bit: usize) {
    h.0[bit / 8] ^= 1 << (bit % 8);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn parts_add_up_to_the_balances(balances in prop::collection::vec(any::<u128>(), 1..5), split in 1u8..=16, seed in any::<u64>()) {
        let balances: Vec<Amount> = balances.into_iter().map(Amount::from_base_units).collect();
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let parts = split_balances(&balances, split, &mut rng).unwrap();
        prop_assert_eq!(parts.len(), usize::from(split));
        for (i, b) in balances.iter().enumerate() {
            let total = parts.iter().try_fold(Amount::ZERO, |t, p| t.checked_add(p[i]));
            prop_assert_eq!(total, Some(*b));
        }
    }

    #[test]
    fn every_part_of_every_account_folds_to_the_root(accounts in accounts_strategy(), split in 1u8..=16, g in 0u8..=8, seed in any::<u64>()) {
        let totals: Vec<Amount> = (0..K)
            .map(|i| Amount::from_base_units(accounts.iter().map(|a| a.1[i].base_units()).sum()))
            .collect();
        let n = accounts.len();
        let tree = draw(accounts, split, g, seed);
        prop_assert_eq!(tree.root().sums, totals);
        prop_assert_eq!(
            u128::from(tree.leaves()),
            padded_leaf_count(n as u64 * u64::from(split), g).unwrap()
        );
        for publish in [false, true] {
            let m = manifest_of(&tree, publish);
            prop_assert!(TreeParamsV2::from_tree_info(&m.tree).is_ok());
            for a in 0..n {
                let p = tree.proof(a, &labels()).unwrap();
                let verified = p.verify_against(&m);
                prop_assert!(verified.is_ok(), "account {}: {:?}", a, verified.err());
                // The serialized proof round-trips through the strict parser.
                let text = serde_json::to_string(&p).unwrap();
                prop_assert_eq!(&InclusionProofV2::from_json(&text).unwrap(), &p);
                prop_assert!(AnyProof::verify_json(&text, &m).is_ok());
            }
        }
    }

    #[test]
    fn any_single_change_to_a_proof_is_rejected(
        accounts in accounts_strategy(),
        split in 1u8..=16,
        g in 0u8..=8,
        seed in any::<u64>(),
        pick in any::<prop::sample::Index>(),
        part_pick in any::<prop::sample::Index>(),
        bit in 0usize..256,
        delta in 1u128..1000,
        index in any::<u8>(),
    ) {
        let n = accounts.len();
        let tree = draw(accounts, split, g, seed);
        let m = manifest_of(&tree, false);
        let good = tree.proof(pick.index(n), &labels()).unwrap();
        prop_assert!(good.verify_against(&m).is_ok());
        let j = part_pick.index(good.parts.len());
        let mut mutants: Vec<(String, InclusionProofV2)> = Vec::new();
        let mut add = |what: String, f: &dyn Fn(&mut InclusionProofV2)| {
            let mut p = good.clone();
            f(&mut p);
            mutants.push((what, p));
        };
        for l in 0..good.parts[j].path.len() {
            add(format!("path[{l}].hash"), &|p| flip(&mut p.parts[j].path[l].hash, bit));
            add(format!("path[{l}].side"), &|p| {
                let s = &mut p.parts[j].path[l].side;
                *s = if *s == Side::Left { Side::Right } else { Side::Left };
            });
            for i in 0..K {
                add(format!("path[{l}].sums[{i}]"), &|p| {
                    let s = &mut p.parts[j].path[l].sums[i];
                    *s = Amount::from_base_units(s.base_units() ^ delta);
                });
            }
        }
        if !good.parts[j].path.is_empty() {
            add("path dropped step".into(), &|p| { p.parts[j].path.pop(); });
        }
        add("path extra step".into(), &|p| {
            let step = p.parts[j].path.first().cloned().unwrap_or(por::tree::proof::PathStep {
                side: Side::Right,
                hash: NodeHash([7; 32]),
                sums: vec![Amount::ZERO; K],
            });
            p.parts[j].path.push(step);
        });
        for i in 0..K {
            add(format!("parts[{j}].balances[{i}]"), &|p| {
                let b = &mut p.parts[j].balances[i];
                *b = Amount::from_base_units(b.base_units() ^ delta);
            });
            add(format!("balances[{i}]"), &|p| p.balances[i] = Amount::from_base_units(p.balances[i].base_units() ^ delta));
            add(format!("root.sums[{i}]"), &|p| p.root.sums[i] = Amount::from_base_units(p.root.sums[i].base_units() ^ delta));
            // Some amount moved between two parts, so step 1's sums still hold.
            if good.parts.len() > 1 {
                let other = (j + 1) % good.parts.len();
                let (from, to) = if good.parts[j].balances[i].base_units() >= delta { (j, other) } else { (other, j) };
                if good.parts[from].balances[i].base_units() >= delta {
                    add(format!("moved {delta} of asset {i}"), &|p| {
                        let b = &mut p.parts[from].balances[i];
                        *b = Amount::from_base_units(b.base_units() - delta);
                        let b = &mut p.parts[to].balances[i];
                        *b = Amount::from_base_units(b.base_units() + delta);
                    });
                }
            }
        }
        if index != good.parts[j].index {
            add(format!("parts[{j}].index = {index}"), &|p| p.parts[j].index = index);
        }
        add(format!("parts[{j}].salt"), &|p| {
            let mut salt = [0u8; 32];
            hex::decode_to_slice(&p.parts[j].salt, &mut salt).unwrap();
            salt[bit / 8] ^= 1 << (bit % 8);
            p.parts[j].salt = hex::encode(salt);
        });
        add("root.hash".into(), &|p| flip(&mut p.root.hash, bit));
        add("uid".into(), &|p| p.uid.push('x'));
        add("part dropped".into(), &|p| { p.parts.remove(j); });
        add("exchange".into(), &|p| p.exchange.push('x'));
        add("snapshot_id".into(), &|p| p.snapshot_id.push('x'));
        add("assets[0].decimals".into(), &|p| p.assets[0].decimals ^= 1);
        for (what, p) in &mutants {
            prop_assert!(p.verify_against(&m).is_err(), "{} accepted", what);
        }
    }

    #[test]
    fn any_single_changed_byte_of_the_json_is_rejected(
        accounts in accounts_strategy(),
        split in 1u8..=16,
        g in 0u8..=8,
        seed in any::<u64>(),
        pick in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let n = accounts.len();
        let tree = draw(accounts, split, g, seed);
        let m = manifest_of(&tree, false);
        let text = serde_json::to_string(&tree.proof(pick.index(n), &labels()).unwrap()).unwrap();
        prop_assert!(AnyProof::verify_json(&text, &m).is_ok());
        let mut bytes = text.into_bytes();
        let i = at.index(bytes.len());
        prop_assume!(bytes[i] != byte);
        bytes[i] = byte;
        if let Ok(bad) = String::from_utf8(bytes) {
            prop_assert!(AnyProof::verify_json(&bad, &m).is_err(), "byte {} changed: accepted", i);
        }
    }
}
