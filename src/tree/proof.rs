//! Inclusion proofs, `por-inclusion-proof/1` (FORMAT.md §3): the JSON a user
//! downloads, and its verification in the five steps of §3. The browser verifier
//! (`site/static/verify.js`) implements the same steps with the same check codes.

use super::hash::{NodeHash, TreeTags, parse_hex32};
use super::info::{AssetInfo, TreeInfo};
use super::{Node, TreeError};
use crate::amount::Amount;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The `format` of an inclusion proof (FORMAT.md §3).
pub const PROOF_FORMAT: &str = "por-inclusion-proof/1";

/// The side of a sibling: `Right` means the running node is the left child.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The sibling is the left child; the running node is on the right.
    Left,
    /// The sibling is the right child; the running node is on the left.
    Right,
}

/// One entry of a proof's `path`: the sibling at that level, bottom-up (FORMAT.md §3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathStep {
    /// Which side the sibling is on.
    pub side: Side,
    /// The sibling's hash.
    pub hash: NodeHash,
    /// The sibling's per-asset sums in base units.
    pub sums: Vec<Amount>,
}

/// A proof's `root`: the node the path must fold to (FORMAT.md §3, step 4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RootJson {
    /// The root hash.
    pub hash: NodeHash,
    /// The root's per-asset sums in base units: the total liabilities.
    pub sums: Vec<Amount>,
}

/// A user's inclusion proof. It holds this one account's uid, salt and balances and
/// only `(hash, sums)` pairs of everything else.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InclusionProof {
    /// Always [`PROOF_FORMAT`]; any other value is rejected at step 1.
    pub format: String,
    /// The exchange's name; must equal the manifest's (step 5).
    pub exchange: String,
    /// The snapshot this proof belongs to; must equal the manifest's (step 5).
    pub snapshot_id: String,
    /// The assets in manifest order; must equal the manifest's (step 5).
    pub assets: Vec<AssetInfo>,
    /// The account's uid as exported (1 to 128 bytes).
    pub uid: String,
    /// The account's secret salt, 64 lowercase hex.
    pub salt: String,
    /// The account's balances in base units, one per asset.
    pub balances: Vec<Amount>,
    /// The siblings from the leaf up; its length must be `tree.height` (step 5).
    pub path: Vec<PathStep>,
    /// The root the path folds to.
    pub root: RootJson,
}

/// Which verification step failed; the codes are shared with the browser verifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// Step 1: malformed proof.
    Parse,
    /// Step 3: a sum overflowed while folding the path.
    Fold,
    /// Step 4: the folded root differs from the proof's root.
    Root,
    /// Step 5: the proof's root, shape or snapshot differs from the manifest's.
    Manifest,
}

impl Check {
    /// The step number of FORMAT.md §3 this check is (1, 3, 4 or 5).
    pub fn step(self) -> u8 {
        match self {
            Check::Parse => 1,
            Check::Fold => 3,
            Check::Root => 4,
            Check::Manifest => 5,
        }
    }

    /// The check code shared with the browser verifier and `vectors.json` (`parse`, `fold`, `root`,
    /// `manifest`).
    pub fn code(self) -> &'static str {
        match self {
            Check::Parse => "parse",
            Check::Fold => "fold",
            Check::Root => "root",
            Check::Manifest => "manifest",
        }
    }
}

/// A rejected proof: the failed step and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("step {} ({}) failed: {reason}", check.step(), check.code())]
pub struct VerifyError {
    /// The step that rejected the proof.
    pub check: Check,
    /// What was wrong, in one line.
    pub reason: String,
}

fn fail<T>(check: Check, reason: impl Into<String>) -> Result<T, VerifyError> {
    Err(VerifyError {
        check,
        reason: reason.into(),
    })
}

/// What step 5 compares a proof with: the parts of a snapshot's manifest that a
/// verifier reads (exchange, snapshot id, assets in order, the tree). Read from a
/// full [`crate::format::Manifest`] (`From`) or from any manifest JSON with [`ManifestRef::from_json`], which
/// ignores the fields a verifier does not need.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ManifestRef {
    /// The manifest's exchange name.
    pub exchange: String,
    /// The manifest's snapshot id.
    pub snapshot_id: String,
    /// The manifest's assets, in order.
    #[serde(deserialize_with = "asset_infos")]
    pub assets: Vec<AssetInfo>,
    /// The manifest's `tree`: root, sums, height, leaves.
    pub tree: TreeInfo,
}

fn asset_infos<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<AssetInfo>, D::Error> {
    #[derive(Deserialize)]
    struct Loose {
        symbol: String,
        decimals: u8,
    }
    Vec::<Loose>::deserialize(d).map(|v| {
        v.into_iter()
            .map(|a| AssetInfo {
                symbol: a.symbol,
                decimals: a.decimals,
            })
            .collect()
    })
}

impl ManifestRef {
    /// Step 5's checks shared by both proof formats: the proof's labels (exchange,
    /// snapshot id, assets in order) and its root (hash and sums) are the manifest's.
    pub fn check_labels_and_root(
        &self,
        exchange: &str,
        snapshot_id: &str,
        assets: &[AssetInfo],
        root: &RootJson,
    ) -> Result<(), VerifyError> {
        let m = |s: String| fail(Check::Manifest, s);
        if self.snapshot_id != snapshot_id {
            return m(format!(
                "proof is for snapshot {snapshot_id:?}, manifest is for {:?}",
                self.snapshot_id
            ));
        }
        if self.exchange != exchange {
            return m(format!(
                "proof is for exchange {exchange:?}, manifest is for {:?}",
                self.exchange
            ));
        }
        if self.assets != assets {
            return m(
                "the proof's assets (symbols, decimals, order) differ from the manifest's".into(),
            );
        }
        if self.tree.root != root.hash {
            return m(format!(
                "proof root {} is not the published root {}",
                root.hash, self.tree.root
            ));
        }
        if self.tree.sums != root.sums {
            return m("the proof's root sums differ from the published tree sums".into());
        }
        Ok(())
    }

    /// Reads the verifier's part of a manifest from its JSON text.
    pub fn from_json(text: &str) -> Result<ManifestRef, String> {
        let de = &mut serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(de).map_err(|e| format!("{}: {}", e.path(), e.inner()))
    }
}

/// A proof that passed all five steps against a manifest.
#[derive(Clone, Debug)]
pub struct VerifiedProof {
    /// The proof as given.
    pub proof: InclusionProof,
    /// The leaf hash recomputed from its uid, salt and balances (step 2).
    pub leaf: NodeHash,
    /// The running node after each path step, bottom-up.
    pub running: Vec<Node>,
}

impl InclusionProof {
    /// Step 1: parses JSON text strictly (unknown fields, non-canonical amounts and
    /// non-lowercase hex are rejected), then checks the shape.
    pub fn from_json(text: &str) -> Result<InclusionProof, VerifyError> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let proof: InclusionProof = serde_path_to_error::deserialize(de).or_else(|e| {
            let path = e.path().to_string();
            fail(Check::Parse, format!("{path}: {}", e.inner()))
        })?;
        proof.check_shape()?;
        Ok(proof)
    }

    /// The shape rules of step 1 that typing alone does not enforce.
    pub fn check_shape(&self) -> Result<(), VerifyError> {
        if self.format != PROOF_FORMAT {
            return fail(
                Check::Parse,
                format!("format: {:?} is not {PROOF_FORMAT:?}", self.format),
            );
        }
        let k = self.assets.len();
        if k == 0 {
            return fail(Check::Parse, "assets: empty");
        }
        if self.balances.len() != k {
            return fail(
                Check::Parse,
                format!("balances: {} entries for {k} assets", self.balances.len()),
            );
        }
        for (i, step) in self.path.iter().enumerate() {
            if step.sums.len() != k {
                return fail(
                    Check::Parse,
                    format!("path[{i}].sums: {} entries for {k} assets", step.sums.len()),
                );
            }
        }
        if self.root.sums.len() != k {
            return fail(
                Check::Parse,
                format!("root.sums: {} entries for {k} assets", self.root.sums.len()),
            );
        }
        if parse_hex32(&self.salt).is_none() {
            return fail(
                Check::Parse,
                format!("salt: {:?} is not 64 lowercase hex characters", self.salt),
            );
        }
        let n = self.uid.len();
        if n == 0 || n > 128 {
            return fail(Check::Parse, format!("uid: {n} bytes, must be 1 to 128"));
        }
        Ok(())
    }

    /// Steps 2–4: recomputes the leaf, folds the path and compares with `root`.
    pub fn verify_self(&self) -> Result<VerifiedProof, VerifyError> {
        self.check_shape()?;
        let salt = parse_hex32(&self.salt).expect("checked by check_shape");
        let leaf = Node::leaf(&salt, self.uid.as_bytes(), &self.balances);
        let running = fold_to_root(
            &leaf,
            &self.path,
            &self.root,
            TreeTags::V1,
            &self.assets,
            "",
        )?;
        Ok(VerifiedProof {
            proof: self.clone(),
            leaf: leaf.hash,
            running,
        })
    }

    /// All five steps: the proof is consistent *and* its root is the one the
    /// snapshot's manifest publishes.
    /// All five steps against the verifier's part of a manifest (FORMAT.md §3; the
    /// format must match the manifest's tree version, §6, at step 1).
    pub fn verify_against(&self, manifest: &ManifestRef) -> Result<VerifiedProof, VerifyError> {
        if let Some(v) = manifest.tree.version {
            return fail(
                Check::Parse,
                format!(
                    "format: {:?} does not match a manifest with tree.version {v} (por/1 manifests have no tree.version)",
                    self.format
                ),
            );
        }
        let verified = self.verify_self()?;
        let m = |s: String| fail(Check::Manifest, s);
        manifest.check_labels_and_root(
            &self.exchange,
            &self.snapshot_id,
            &self.assets,
            &self.root,
        )?;
        if self.path.len() as u64 != u64::from(manifest.tree.height) {
            return m(format!(
                "path has {} steps, the published tree height is {}",
                self.path.len(),
                manifest.tree.height
            ));
        }
        Ok(verified)
    }
}

/// Steps 3–4 shared by both proof formats: folds `path` up from `leaf` with the tag
/// set `tags` (overflow checked, [`Check::Fold`]) and compares the result with `root`
/// ([`Check::Root`]). Returns the running node after each step. `at` prefixes every
/// message (e.g. `parts[1] (index 0)`), empty for por/1.
pub(crate) fn fold_to_root(
    leaf: &Node,
    path: &[PathStep],
    root: &RootJson,
    tags: TreeTags,
    assets: &[AssetInfo],
    at: &str,
) -> Result<Vec<Node>, VerifyError> {
    let at = if at.is_empty() {
        String::new()
    } else {
        format!("{at}: ")
    };
    let name = |i: usize| {
        assets
            .get(i)
            .map(|a| a.symbol.clone())
            .unwrap_or_else(|| format!("#{i}"))
    };
    let mut node = leaf.clone();
    let mut running = Vec::with_capacity(path.len());
    for (level, step) in path.iter().enumerate() {
        let sib = Node {
            hash: step.hash,
            sums: step.sums.clone(),
        };
        let combined = match step.side {
            Side::Right => Node::parent_with(&node, &sib, tags),
            Side::Left => Node::parent_with(&sib, &node, tags),
        };
        node = combined.or_else(|e| match e {
            TreeError::SumOverflow { asset, .. } => fail(
                Check::Fold,
                format!(
                    "{at}path[{level}]: sum of asset {} exceeds 2^128-1",
                    name(asset)
                ),
            ),
            other => fail(Check::Fold, format!("{at}{other}")),
        })?;
        running.push(node.clone());
    }
    if node.hash != root.hash {
        return fail(
            Check::Root,
            format!(
                "{at}recomputed root hash {} differs from the proof's root {}",
                node.hash, root.hash
            ),
        );
    }
    if let Some(i) = (0..node.sums.len()).find(|&i| node.sums[i] != root.sums[i]) {
        return fail(
            Check::Root,
            format!(
                "{at}recomputed root sum of {} is {}, the proof says {}",
                name(i),
                node.sums[i],
                root.sums[i]
            ),
        );
    }
    Ok(running)
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Left => "left",
            Side::Right => "right",
        })
    }
}
