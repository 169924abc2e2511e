//! The `multisig` scheme: a standard bare `OP_m <keys> OP_n OP_CHECKMULTISIG` script
//! that must hash to the listed P2SH, P2SH-P2WSH or P2WSH address, and compact
//! message signatures (as `bip137`) by at least `m` distinct keys of the script.

use std::collections::BTreeSet;

use bitcoin::opcodes::all::{OP_CHECKMULTISIG, OP_PUSHNUM_1, OP_PUSHNUM_16};
use bitcoin::script::Instruction;
use bitcoin::{Address, PublicKey, ScriptBuf};

use super::bip137::recover_compact;
use super::{BitcoinAddress, OwnershipError, Scheme};

/// The largest push a scriptSig can make, hence the largest spendable P2SH redeem script.
const MAX_REDEEM_SCRIPT: usize = 520;

/// A parsed standard multisig script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultisigScript {
    script: ScriptBuf,
    required: usize,
    keys: Vec<PublicKey>,
}

impl MultisigScript {
    /// Parses the hex of a redeem or witness script and requires the standard
    /// `OP_m <n keys> OP_n OP_CHECKMULTISIG` shape, 1 ≤ m ≤ n ≤ 16, minimal pushes.
    pub fn parse_hex(hex_script: &str) -> Result<Self, OwnershipError> {
        let bad = |reason: String| OwnershipError::malformed(Scheme::Multisig, hex_script, reason);
        let bytes = hex::decode(hex_script).map_err(|e| {
            bad(format!(
                "script is not hex: {}",
                e.to_string().to_lowercase()
            ))
        })?;
        let script = ScriptBuf::from_bytes(bytes);
        let shape = "script is not a standard OP_m <keys> OP_n OP_CHECKMULTISIG";
        let ops = script
            .instructions_minimal()
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| bad(format!("{shape}: {e}")))?;
        let small_int = |i: Option<&Instruction>| match i {
            Some(Instruction::Op(op))
                if (OP_PUSHNUM_1.to_u8()..=OP_PUSHNUM_16.to_u8()).contains(&op.to_u8()) =>
            {
                Some(usize::from(op.to_u8() - OP_PUSHNUM_1.to_u8() + 1))
            }
            _ => None,
        };
        let (Some(m), Some(n), Some(Instruction::Op(last))) = (
            small_int(ops.first()),
            ops.len().checked_sub(2).and_then(|i| small_int(ops.get(i))),
            ops.last(),
        ) else {
            return Err(bad(shape.to_owned()));
        };
        if *last != OP_CHECKMULTISIG || ops.len() != n + 3 {
            return Err(bad(shape.to_owned()));
        }
        if m > n {
            return Err(bad(format!("script requires {m} of only {n} keys")));
        }
        let keys = ops[1..=n]
            .iter()
            .enumerate()
            .map(|(i, op)| match op {
                Instruction::PushBytes(b) => PublicKey::from_slice(b.as_bytes()).map_err(|e| {
                    bad(format!(
                        "key {} of the script is not a public key: {e}",
                        i + 1
                    ))
                }),
                _ => Err(bad(shape.to_owned())),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(MultisigScript {
            script,
            required: m,
            keys,
        })
    }

    /// The script exactly as given (`OP_m <keys> OP_n OP_CHECKMULTISIG`).
    pub fn script(&self) -> &ScriptBuf {
        &self.script
    }

    /// `m`: how many distinct keys must sign.
    pub fn required(&self) -> usize {
        self.required
    }

    /// The `n` public keys, in script order.
    pub fn keys(&self) -> &[PublicKey] {
        &self.keys
    }
}

/// Checks that `script` hashes to `address` and that at least `m` distinct script keys
/// signed `message`.
pub(crate) fn verify(
    address: &BitcoinAddress,
    message: &str,
    script: &MultisigScript,
    signatures: &[[u8; 65]],
) -> Result<(), OwnershipError> {
    let reject = |reason: String| OwnershipError::rejected(address, Scheme::Multisig, reason);
    let spk = address.script_pubkey();
    let network = address.network();
    let s = &script.script;
    let p2wsh = ScriptBuf::new_p2wsh(&s.wscript_hash());
    let matches = spk == p2wsh
        || spk == ScriptBuf::new_p2sh(&p2wsh.script_hash())
        || (spk.is_p2sh() && spk == ScriptBuf::new_p2sh(&s.script_hash()));
    if !matches {
        let derived = if spk.is_p2sh() {
            match Address::p2sh(s, network) {
                Ok(a) => format!("p2sh {a} (p2sh-p2wsh {})", Address::p2shwsh(s, network)),
                Err(_) => format!("p2sh-p2wsh {}", Address::p2shwsh(s, network)),
            }
        } else {
            format!("p2wsh {}", Address::p2wsh(s, network))
        };
        return Err(reject(format!(
            "script hashes to {derived}, not the listed address"
        )));
    }

    // A bare P2SH redeem script travels in a scriptSig push, at most 520 bytes: a
    // larger one can never be spent, so its address holds nothing the exchange controls.
    let bare_p2sh = spk.is_p2sh() && spk == ScriptBuf::new_p2sh(&s.script_hash());
    if bare_p2sh && s.len() > MAX_REDEEM_SCRIPT {
        return Err(reject(format!(
            "redeem script is {} bytes, over the {MAX_REDEEM_SCRIPT}-byte push limit: this p2sh address cannot be spent",
            s.len()
        )));
    }

    let mut signed = BTreeSet::new();
    for (i, sig) in signatures.iter().enumerate() {
        let (key, _) = recover_compact(sig, message)
            .map_err(|e| reject(format!("signature {}: {e}", i + 1)))?;
        let Some(pos) = script.keys.iter().position(|k| k.inner == key) else {
            return Err(reject(format!(
                "signature {} recovers key {}, which is not a key of the script (wrong message or wrong key)",
                i + 1,
                bitcoin::PublicKey::new(key)
            )));
        };
        signed.insert(pos);
    }
    if signed.len() < script.required {
        return Err(reject(format!(
            "signatures by {} distinct key{} of the script; it needs {}",
            signed.len(),
            if signed.len() == 1 { "" } else { "s" },
            script.required
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // BIP-322 crate vector script (2-of-2 P2WSH), used here only for shape.
    const TWO_OF_TWO: &str = "52210244f7cb842a4ce4f352ce4062ae5e0a5d60d6faa0b07b62c2063484aa5297bbce210234eed6190efc47716b953a050b563f8b2b523addea955ae43351dd2a92aa49f452ae";

    #[test]
    fn parses_standard_script() {
        let s = MultisigScript::parse_hex(TWO_OF_TWO).unwrap();
        assert_eq!(s.required(), 2);
        assert_eq!(s.keys().len(), 2);
    }

    #[test]
    fn rejects_non_standard_scripts() {
        // OP_1 <key> OP_2 OP_CHECKMULTISIG: n says 2, one key present.
        let one_key = &TWO_OF_TWO[..2 + 68];
        let bad = format!("51{}52ae", &one_key[2..]);
        let e = MultisigScript::parse_hex(&bad).unwrap_err();
        assert!(e.to_string().contains("not a standard"), "{e}");
        // m > n
        let e = MultisigScript::parse_hex(&format!("53{}", &TWO_OF_TWO[2..])).unwrap_err();
        assert!(
            e.to_string().ends_with("script requires 3 of only 2 keys"),
            "{e}"
        );
        // OP_CHECKSIG instead of OP_CHECKMULTISIG
        let e = MultisigScript::parse_hex(&format!("{}ac", &TWO_OF_TWO[..TWO_OF_TWO.len() - 2]))
            .unwrap_err();
        assert!(e.to_string().contains("not a standard"), "{e}");
        assert!(MultisigScript::parse_hex("zz").is_err());
    }
}
