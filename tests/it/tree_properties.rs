//! Invariants of the sum tree (proptest) and a differential test against rs_merkle,
//! an independent Merkle implementation (the shape), fed with leaves and nodes hashed
//! by FORMAT.md's rules written again here on plain SHA-256 (never por's code).

use por::amount::Amount;
use por::format::AssetInfo;
use por::tree::proof::{InclusionProof, PROOF_FORMAT, RootJson, Side};
use por::tree::{AccountLeaf, Node, Tree, record_size};
use proptest::prelude::*;
use rs_merkle::{Hasher, MerkleTree};

const K: usize = 2;

fn accounts_strategy() -> impl Strategy<Value = Vec<AccountLeaf>> {
    prop::collection::vec(
        (
            "[a-zA-Z0-9_.@-]{1,24}",
            any::<[u8; 32]>(),
            prop::collection::vec(0u128..=u128::MAX / 4096, K),
        ),
        1..70,
    )
    .prop_map(|rows| {
        rows.into_iter()
            .enumerate()
            .map(|(i, (uid, salt, bal))| AccountLeaf {
                uid: format!("{uid}#{i}"),
                salt,
                balances: bal.into_iter().map(Amount::from_base_units).collect(),
            })
            .collect()
    })
}

fn proof_of(tree: &Tree, accounts: &[AccountLeaf], pos: usize) -> InclusionProof {
    let root = tree.root();
    InclusionProof {
        format: PROOF_FORMAT.into(),
        exchange: "Prop Exchange".into(),
        snapshot_id: "prop".into(),
        assets: (0..K)
            .map(|i| AssetInfo {
                symbol: format!("A{i}"),
                decimals: 8,
            })
            .collect(),
        uid: accounts[pos].uid.clone(),
        salt: hex::encode(accounts[pos].salt),
        balances: accounts[pos].balances.clone(),
        path: tree.path(pos as u64),
        root: RootJson {
            hash: root.hash,
            sums: root.sums,
        },
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn root_sums_are_the_column_totals(accounts in accounts_strategy()) {
        let tree = Tree::build(K, &accounts).unwrap();
        for i in 0..K {
            let total: u128 = accounts.iter().map(|a| a.balances[i].base_units()).sum();
            prop_assert_eq!(tree.root().sums[i], Amount::from_base_units(total));
        }
        prop_assert_eq!(tree.leaves(), accounts.len() as u64);
        let h = (accounts.len() as f64).log2().ceil() as u32;
        prop_assert_eq!(tree.height(), h);
    }

    #[test]
    fn every_proof_verifies(accounts in accounts_strategy()) {
        let tree = Tree::build(K, &accounts).unwrap();
        for pos in 0..accounts.len() {
            let p = proof_of(&tree, &accounts, pos);
            prop_assert!(p.verify_self().is_ok());
            // The serialized proof round-trips through the strict parser.
            let text = serde_json::to_string(&p).unwrap();
            prop_assert_eq!(InclusionProof::from_json(&text).unwrap(), p);
        }
    }

    #[test]
    fn any_single_change_is_rejected(accounts in accounts_strategy(), pick in any::<prop::sample::Index>(), bit in 0usize..256, delta in 1u128..1000) {
        let tree = Tree::build(K, &accounts).unwrap();
        let pos = pick.index(accounts.len());
        let good = proof_of(&tree, &accounts, pos);
        let mut mutants = Vec::new();
        let flip = |h: &mut por::tree::hash::NodeHash| h.0[bit / 8] ^= 1 << (bit % 8);
        for l in 0..good.path.len() {
            let mut p = good.clone(); flip(&mut p.path[l].hash); mutants.push(p);
            for i in 0..K {
                let mut p = good.clone(); p.path[l].sums[i] = Amount::from_base_units(p.path[l].sums[i].base_units() ^ delta); mutants.push(p);
            }
            let mut p = good.clone();
            p.path[l].side = if p.path[l].side == Side::Left { Side::Right } else { Side::Left };
            mutants.push(p);
        }
        for i in 0..K {
            let mut p = good.clone(); p.balances[i] = Amount::from_base_units(p.balances[i].base_units() ^ delta); mutants.push(p);
            let mut p = good.clone(); p.root.sums[i] = Amount::from_base_units(p.root.sums[i].base_units() ^ delta); mutants.push(p);
        }
        let mut p = good.clone(); flip(&mut p.root.hash); mutants.push(p);
        let mut p = good.clone(); p.uid.push('x'); mutants.push(p);
        let mut p = good.clone();
        let mut salt = accounts[pos].salt; salt[bit / 8] ^= 1 << (bit % 8); p.salt = hex::encode(salt);
        mutants.push(p);
        for (i, m) in mutants.iter().enumerate() {
            prop_assert!(m.verify_self().is_err(), "mutant {} accepted", i);
        }
    }
}

/// FORMAT.md §1–§2 written again here, independently of por's hashing code, straight
/// on SHA-256: the reference side of the differential test.
mod reference {
    use sha2::{Digest, Sha256};

    /// `H(tag, msg) = SHA256(SHA256(tag) ‖ SHA256(tag) ‖ msg)`.
    pub fn tagged(tag: &str, msg: &[u8]) -> [u8; 32] {
        let t = Sha256::digest(tag.as_bytes());
        let mut h = Sha256::new();
        h.update(t);
        h.update(t);
        h.update(msg);
        h.finalize().into()
    }

    /// A node record: `hash ‖ u128be(sum_0) ‖ u128be(sum_1)`.
    pub fn record(hash: [u8; 32], sums: [u128; 2]) -> [u8; 64] {
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(&hash);
        out[32..48].copy_from_slice(&sums[0].to_be_bytes());
        out[48..].copy_from_slice(&sums[1].to_be_bytes());
        out
    }

    fn sums(rec: &[u8; 64]) -> [u128; 2] {
        [
            u128::from_be_bytes(rec[32..48].try_into().unwrap()),
            u128::from_be_bytes(rec[48..].try_into().unwrap()),
        ]
    }

    pub fn leaf(salt: &[u8; 32], uid: &str, balances: [u128; 2]) -> [u8; 64] {
        let mut m = salt.to_vec();
        m.extend_from_slice(uid.as_bytes());
        let account = tagged("por/1/account", &m);
        let mut m = account.to_vec();
        for b in balances {
            m.extend_from_slice(&b.to_be_bytes());
        }
        record(tagged("por/1/leaf", &m), balances)
    }

    pub fn pad() -> [u8; 64] {
        record(tagged("por/1/pad", b""), [0, 0])
    }

    pub fn node(l: &[u8; 64], r: &[u8; 64]) -> [u8; 64] {
        let mut m = l.to_vec();
        m.extend_from_slice(r);
        let (a, b) = (sums(l), sums(r));
        record(
            tagged("por/1/node", &m),
            [
                a[0].checked_add(b[0]).unwrap(),
                a[1].checked_add(b[1]).unwrap(),
            ],
        )
    }
}

/// rs_merkle with a sum-carrying hash: a node is `hash ‖ u128be sums` (K = 2), hashed
/// by [`reference`], never by por's code.
#[derive(Clone)]
struct SumHasher;

impl Hasher for SumHasher {
    type Hash = [u8; 64];

    fn hash(data: &[u8]) -> [u8; 64] {
        // Leaves are given as records already; rs_merkle only hashes them via `from_leaves`.
        data.try_into().expect("64-byte record")
    }

    fn concat_and_hash(left: &[u8; 64], right: Option<&[u8; 64]>) -> [u8; 64] {
        reference::node(left, right.unwrap_or(&reference::pad()))
    }

    fn hash_size() -> usize {
        64
    }
}

#[test]
fn matches_rs_merkle_for_every_size_up_to_300() {
    assert_eq!(record_size(K), 64);
    let record_of = |n: &Node| {
        let mut rec = [0u8; 64];
        n.write_record(&mut rec);
        rec
    };
    for n in 1..=300usize {
        let accounts: Vec<AccountLeaf> = (0..n)
            .map(|i| AccountLeaf {
                uid: format!("user-{i}"),
                salt: [(i % 251) as u8; 32],
                balances: vec![
                    Amount::from_base_units(i as u128 * 7),
                    Amount::from_base_units(1_000_000 + i as u128),
                ],
            })
            .collect();
        let tree = Tree::build(K, &accounts).unwrap();
        let leaves: Vec<[u8; 64]> = accounts
            .iter()
            .map(|a| {
                reference::leaf(
                    &a.salt,
                    &a.uid,
                    [a.balances[0].base_units(), a.balances[1].base_units()],
                )
            })
            .collect();
        let reference = MerkleTree::<SumHasher>::from_leaves(&leaves);
        let root = reference.root().unwrap();
        // rs_merkle's depth is floor(log2 n) + 1, one layer more than FORMAT.md's
        // ceil(log2 n) when n is a power of two (1 included): that extra layer combines
        // the real root with no sibling, which this hasher (FORMAT.md's rule) pads.
        if n.is_power_of_two() {
            assert_eq!(reference.depth() as u32, tree.height() + 1, "n = {n}");
            assert_eq!(
                root,
                reference::node(&record_of(&tree.root()), &reference::pad()),
                "n = {n}"
            );
        } else {
            assert_eq!(reference.depth() as u32, tree.height(), "n = {n}");
            assert_eq!(root, record_of(&tree.root()), "n = {n}");
        }
    }
}
