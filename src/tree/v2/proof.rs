//! `por-inclusion-proof/2` (FORMAT.md §6): the JSON a user downloads, each part with
//! its index, salt, amounts and path, and its verification: step 1 (the proof's shape
//! and the manifest's por/2 `tree`), steps 2–4 part by part in array order, step 5 as
//! §3 for every part plus pairwise-distinct leaf positions. The check codes are those
//! of por/1 ([`Check`]) and of the browser verifier.
//!
//! [`AnyProof`] reads either version by its `format` and verifies it, so the CLI has
//! one call for both.

use super::{MAX_SPLIT, PROOF_FORMAT_V2, TREE_VERSION, TreeParamsV2, part_commitment, part_leaf};
use crate::amount::Amount;
use crate::tree::Node;
use crate::tree::hash::{NodeHash, TreeTags, parse_hex32};
use crate::tree::info::AssetInfo;
use crate::tree::proof::fold_to_root;
use crate::tree::proof::{
    Check, InclusionProof, ManifestRef, PROOF_FORMAT, PathStep, RootJson, Side, VerifiedProof,
    VerifyError,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// One part of a por/2 proof: its index `j`, salt, amounts and sibling path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartProof {
    /// `j`, a JSON integer (serde refuses strings, booleans, `1.0` and `1e0`).
    pub index: u8,
    /// `salt_j`, 64 lowercase hex (checked at step 1).
    pub salt: String,
    /// The part's amounts, one per asset.
    pub balances: Vec<Amount>,
    /// The siblings of the part's leaf, bottom-up.
    pub path: Vec<PathStep>,
}

/// A user's `por-inclusion-proof/2`: this one account's uid, balances and parts (each
/// with its salt and path), and only `(hash, sums)` pairs of everything else.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InclusionProofV2 {
    /// `por-inclusion-proof/2`.
    pub format: String,
    /// The exchange's name.
    pub exchange: String,
    /// The snapshot id.
    pub snapshot_id: String,
    /// Symbols and decimals, in the manifest's order.
    pub assets: Vec<AssetInfo>,
    /// The account's uid.
    pub uid: String,
    /// The account's balances; the parts add up to them.
    pub balances: Vec<Amount>,
    /// Exactly `s` parts, in any order.
    pub parts: Vec<PartProof>,
    /// The root every part folds to.
    pub root: RootJson,
}

/// One part that folded to the root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedPart {
    /// `j`.
    pub index: u8,
    /// `account_j`.
    pub account: NodeHash,
    /// The part's leaf.
    pub leaf: Node,
    /// The running node after each path step, bottom-up.
    pub running: Vec<Node>,
    /// The leaf position the path implies (bit `l` set where `path[l].side` is
    /// `left`); `None` for a path longer than 64 levels, which no manifest allows.
    pub position: Option<u64>,
}

/// A por/2 proof that passed its checks; `parts` in the proof's array order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedProofV2 {
    /// The proof.
    pub proof: InclusionProofV2,
    /// Each part's leaf and fold.
    pub parts: Vec<VerifiedPart>,
}

/// `s` quoted, cut to its first 64 characters: a message quoting a 10 MB field stays
/// one short line.
fn quote_short(s: &str) -> String {
    match s.char_indices().nth(64) {
        Some((cut, _)) => format!("{:?}…", &s[..cut]),
        None => format!("{s:?}"),
    }
}

fn fail<T>(check: Check, reason: impl Into<String>) -> Result<T, VerifyError> {
    Err(VerifyError {
        check,
        reason: reason.into(),
    })
}

/// The leaf position a path implies: bit `l` is 1 where `path[l].side == "left"`;
/// `None` when the path has more than 64 levels.
pub fn leaf_position(path: &[PathStep]) -> Option<u64> {
    if path.len() > 64 {
        return None;
    }
    Some(
        path.iter()
            .enumerate()
            .filter(|(_, s)| s.side == Side::Left)
            .fold(0u64, |pos, (l, _)| pos | (1u64 << l)),
    )
}

/// Strict JSON parsing for step 1: unknown fields, wrong types and non-canonical
/// amounts or hashes are refused, with the JSON path of the offending value.
fn parse_strict<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, VerifyError> {
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de)
        .or_else(|e| fail(Check::Parse, format!("{}: {}", e.path(), e.inner())))
}

impl InclusionProofV2 {
    /// Step 1 without the manifest: parses JSON text strictly, then checks the shape
    /// ([`InclusionProofV2::check_shape`]).
    pub fn from_json(text: &str) -> Result<InclusionProofV2, VerifyError> {
        let proof: InclusionProofV2 = parse_strict(text)?;
        proof.check_shape()?;
        Ok(proof)
    }

    /// The rules of step 1 that need no manifest: the format, `K` amounts everywhere,
    /// a 1..=128-byte uid, 1 to 16 parts whose indexes are exactly `0 … len−1`, 64-hex
    /// salts all distinct, and part amounts adding up to `balances` (no overflow).
    pub fn check_shape(&self) -> Result<(), VerifyError> {
        let parse = |s: String| fail(Check::Parse, s);
        if self.format != PROOF_FORMAT_V2 {
            return parse(format!(
                "format: {:?} is not {PROOF_FORMAT_V2:?}",
                self.format
            ));
        }
        let k = self.assets.len();
        if k == 0 {
            return parse("assets: empty".into());
        }
        if self.balances.len() != k {
            return parse(format!(
                "balances: {} entries for {k} assets",
                self.balances.len()
            ));
        }
        let n = self.uid.len();
        if n == 0 || n > 128 {
            return parse(format!("uid: {n} bytes, must be 1 to 128"));
        }
        if self.root.sums.len() != k {
            return parse(format!(
                "root.sums: {} entries for {k} assets",
                self.root.sums.len()
            ));
        }
        let s = self.parts.len();
        if s == 0 || s > usize::from(MAX_SPLIT) {
            return parse(format!("parts: {s} parts, expected 1 to {MAX_SPLIT}"));
        }
        let mut by_index: Vec<Option<usize>> = vec![None; s];
        let mut by_salt: HashMap<[u8; 32], usize> = HashMap::with_capacity(s);
        for (a, part) in self.parts.iter().enumerate() {
            let at = format!("parts[{a}]");
            let j = usize::from(part.index);
            match by_index.get_mut(j) {
                None => {
                    return parse(format!(
                        "{at}.index: {j} is not in 0..={} (the proof has {s} parts)",
                        s - 1
                    ));
                }
                Some(Some(first)) => {
                    return parse(format!("{at}.index: {j} repeats parts[{first}].index"));
                }
                Some(slot) => *slot = Some(a),
            }
            let Some(salt) = parse_hex32(&part.salt) else {
                return parse(format!(
                    "{at}.salt: {} is not 64 lowercase hex characters",
                    quote_short(&part.salt)
                ));
            };
            if let Some(first) = by_salt.insert(salt, a) {
                return parse(format!(
                    "{at}.salt: repeats parts[{first}].salt (every part has its own salt)"
                ));
            }
            if part.balances.len() != k {
                return parse(format!(
                    "{at}.balances: {} entries for {k} assets",
                    part.balances.len()
                ));
            }
            for (l, step) in part.path.iter().enumerate() {
                if step.sums.len() != k {
                    return parse(format!(
                        "{at}.path[{l}].sums: {} entries for {k} assets",
                        step.sums.len()
                    ));
                }
            }
        }
        for (i, &want) in self.balances.iter().enumerate() {
            let total = self
                .parts
                .iter()
                .try_fold(Amount::ZERO, |t, p| t.checked_add(p.balances[i]));
            match total {
                None => {
                    return parse(format!(
                        "parts: the part balances of {} add up to more than 2^128-1",
                        self.asset_name(i)
                    ));
                }
                Some(t) if t != want => {
                    return parse(format!(
                        "parts: the part balances of {} add up to {t}, not balances[{i}] = {want}",
                        self.asset_name(i)
                    ));
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    /// Step 1 against the manifest: the format matches (`tree.version == 2`), the
    /// manifest's `tree` is well formed and `len(parts) == tree.split`.
    pub fn check_manifest_tree(&self, manifest: &ManifestRef) -> Result<TreeParamsV2, VerifyError> {
        match manifest.tree.version {
            None => {
                return fail(
                    Check::Parse,
                    format!(
                        "format: a {PROOF_FORMAT_V2} proof, but the manifest is a por/1 snapshot (no tree.version)"
                    ),
                );
            }
            Some(v) if v != TREE_VERSION => {
                return fail(
                    Check::Parse,
                    format!(
                        "format: a {PROOF_FORMAT_V2} proof, but the manifest's tree.version is {v}, not 2"
                    ),
                );
            }
            Some(_) => {}
        }
        let params = TreeParamsV2::from_tree_info(&manifest.tree)
            .or_else(|e| fail(Check::Parse, format!("manifest tree: {e}")))?;
        if self.parts.len() != usize::from(params.split) {
            return fail(
                Check::Parse,
                format!(
                    "parts: {} parts, but the manifest's tree.split is {}",
                    self.parts.len(),
                    params.split
                ),
            );
        }
        Ok(params)
    }

    /// Steps 1 (without the manifest) to 4: every part's leaf, in array order, folds
    /// to `root`.
    pub fn verify_self(&self) -> Result<VerifiedProofV2, VerifyError> {
        self.check_shape()?;
        self.fold_parts()
    }

    /// Steps 2–4 for every part, in array order.
    fn fold_parts(&self) -> Result<VerifiedProofV2, VerifyError> {
        let parts = self
            .parts
            .iter()
            .enumerate()
            .map(|(a, part)| self.fold_part(a, part))
            .collect::<Result<_, _>>()?;
        Ok(VerifiedProofV2 {
            proof: self.clone(),
            parts,
        })
    }

    /// Steps 2–4 for `parts[a]`: recompute `account_j` and the leaf, fold the path
    /// with overflow checks, compare with `root`.
    fn fold_part(&self, a: usize, part: &PartProof) -> Result<VerifiedPart, VerifyError> {
        let at = format!("parts[{a}] (index {})", part.index);
        let Some(salt) = parse_hex32(&part.salt) else {
            return fail(Check::Parse, format!("{at}: salt is not 64 lowercase hex"));
        };
        let account = part_commitment(&salt, part.index, self.uid.as_bytes());
        let leaf = part_leaf(&salt, part.index, self.uid.as_bytes(), &part.balances);
        let running = fold_to_root(
            &leaf,
            &part.path,
            &self.root,
            TreeTags::V2,
            &self.assets,
            &at,
        )?;
        Ok(VerifiedPart {
            index: part.index,
            account,
            leaf,
            position: leaf_position(&part.path),
            running,
        })
    }

    /// All steps of FORMAT.md §6 against the verifier's part of a manifest: step 1
    /// (shape, format ⇔ `tree.version`, the manifest's tree, `len(parts) == split`),
    /// steps 2–4 part by part in array order, and step 5 as §3 for every part plus
    /// pairwise-distinct leaf positions.
    pub fn verify_against(&self, manifest: &ManifestRef) -> Result<VerifiedProofV2, VerifyError> {
        let params = self.check_manifest_tree(manifest)?;
        self.check_shape()?;
        let verified = self.fold_parts()?;
        let m = |s: String| fail(Check::Manifest, s);
        manifest.check_labels_and_root(
            &self.exchange,
            &self.snapshot_id,
            &self.assets,
            &self.root,
        )?;
        let mut seen: HashMap<u64, usize> = HashMap::with_capacity(self.parts.len());
        for (a, (part, v)) in self.parts.iter().zip(&verified.parts).enumerate() {
            if part.path.len() as u64 != u64::from(params.height) {
                return m(format!(
                    "parts[{a}] (index {}) has a path of {} steps, the published tree height is {}",
                    part.index,
                    part.path.len(),
                    params.height
                ));
            }
            let Some(pos) = v.position else {
                return m(format!("parts[{a}]: path longer than 64 levels"));
            };
            if let Some(first) = seen.insert(pos, a) {
                return m(format!(
                    "leaf position {pos} is claimed by parts[{first}] and parts[{a}]"
                ));
            }
        }
        Ok(verified)
    }

    fn asset_name(&self, i: usize) -> String {
        self.assets
            .get(i)
            .map(|a| a.symbol.clone())
            .unwrap_or_else(|| format!("#{i}"))
    }
}

// ---------------------------------------------------------------------------
// Either version

/// An inclusion proof of either version, chosen by its `format`; serializes as the
/// proof itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum AnyProof {
    /// `por-inclusion-proof/1` (FORMAT.md §3).
    V1(InclusionProof),
    /// `por-inclusion-proof/2` (FORMAT.md §6).
    V2(InclusionProofV2),
}

/// A proof of either version that passed every step against a manifest.
#[derive(Clone, Debug)]
pub enum AnyVerified {
    /// A verified por/1 proof.
    V1(VerifiedProof),
    /// A verified por/2 proof.
    V2(VerifiedProofV2),
}

impl AnyProof {
    /// Step 1 without the manifest: reads `format`, then parses the proof strictly as
    /// that version. An unknown or missing `format` is rejected.
    pub fn from_json(text: &str) -> Result<AnyProof, VerifyError> {
        let proof = AnyProof::parse_typed(text)?;
        match &proof {
            AnyProof::V1(p) => p.check_shape()?,
            AnyProof::V2(p) => p.check_shape()?,
        }
        Ok(proof)
    }

    /// The typed part of step 1 only: `format`, then strict deserialization as that
    /// version (the shape rules are left to the caller).
    fn parse_typed(text: &str) -> Result<AnyProof, VerifyError> {
        #[derive(Deserialize)]
        struct Format {
            format: String,
        }
        let Format { format } = parse_strict(text)?;
        match format.as_str() {
            PROOF_FORMAT => parse_strict(text).map(AnyProof::V1),
            PROOF_FORMAT_V2 => parse_strict(text).map(AnyProof::V2),
            other => fail(
                Check::Parse,
                format!(
                    "format: {} is not {PROOF_FORMAT:?} or {PROOF_FORMAT_V2:?}",
                    quote_short(other)
                ),
            ),
        }
    }

    /// The proof's `format`.
    pub fn format(&self) -> &str {
        match self {
            AnyProof::V1(p) => &p.format,
            AnyProof::V2(p) => &p.format,
        }
    }

    /// The account's uid.
    pub fn uid(&self) -> &str {
        match self {
            AnyProof::V1(p) => &p.uid,
            AnyProof::V2(p) => &p.uid,
        }
    }

    /// Every step against the verifier's part of a manifest (§3 for por/1, §6 for
    /// por/2; a format that does not match the manifest's tree version fails step 1).
    pub fn verify_against(&self, manifest: &ManifestRef) -> Result<AnyVerified, VerifyError> {
        match self {
            AnyProof::V1(p) => p.verify_against(manifest).map(AnyVerified::V1),
            AnyProof::V2(p) => p.verify_against(manifest).map(AnyVerified::V2),
        }
    }

    /// Parses `text` and verifies it against `manifest`: the one call a verifier needs.
    /// The manifest's rules of step 1 (format ⇔ tree version, the por/2 tree, the part
    /// count) are checked before the proof's own shape, so a proof of the wrong
    /// version or part count is reported as such.
    pub fn verify_json(text: &str, manifest: &ManifestRef) -> Result<AnyVerified, VerifyError> {
        AnyProof::parse_typed(text)?.verify_against(manifest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_must_be_a_json_integer() {
        let part = |index: &str| {
            format!(
                r#"{{"index": {index}, "salt": "{}", "balances": ["1"], "path": []}}"#,
                "ab".repeat(32)
            )
        };
        assert_eq!(
            serde_json::from_str::<PartProof>(&part("1")).unwrap().index,
            1
        );
        for bad in [
            "1.0", "1e0", "0.0", "true", "false", "\"0\"", "null", "256", "-1",
        ] {
            assert!(
                serde_json::from_str::<PartProof>(&part(bad)).is_err(),
                "index {bad} accepted"
            );
        }
    }
}
