//! The `bip127` scheme (FORMAT.md §5): a whole wallet proves its outputs at once with
//! one BIP-127 proof-of-reserves PSBT, a transaction that spends them, signed as if to
//! spend them, but made unspendable by a first "commitment input" whose txid is a hash
//! of the ownership message.
//!
//! What is checked, per BIP-127 and the PSBT the custodian's signer produced:
//! - input 0 spends `<commitment>:0`, where `<commitment>` is
//!   `SHA-256("Proof-of-Reserves: " ‖ message)` (BIP-127's text) or its SHA-256d (what
//!   `bdk-reserves`' `create_proof` builds; both commit to the message);
//! - at least one more input, no outpoint twice, exactly one output, worth exactly the
//!   sum of the inputs (the commitment input counts 0: no fee);
//! - every other input is signed with `SIGHASH_ALL` (so the signature commits to the
//!   commitment input), the signature verifying against the output **as the chain has
//!   it** (script and value from the chain adapter, never the PSBT's own `witness_utxo`).
//!
//! Scripts understood: P2WPKH, P2WSH and P2SH-P2WSH standard `OP_m <keys> OP_n
//! OP_CHECKMULTISIG` (m distinct keys of the script must sign), and P2SH-P2WPKH. A
//! signature is taken from the input's finalized witness or, for a PSBT not yet
//! finalized, from its partial signatures (multisig coordinators hand those out).
//! Sighashes are rust-bitcoin's [`SighashCache`] (BIP-143), signatures libsecp256k1's
//! ECDSA verification (low-S, strict DER). Anything else (taproot, P2PKH, other
//! scripts) proves nothing, with the reason.
//!
//! Pure: the caller reads the PSBT file and asks the chain, per input, for the output
//! at the snapshot block ([`InputAt`]); this module never touches either.

use std::collections::BTreeSet;
use std::str::FromStr;

use bitcoin::hashes::{Hash, sha256, sha256d};
use bitcoin::psbt::Psbt;
use bitcoin::secp256k1::{Message, Secp256k1, VerifyOnly};
use bitcoin::sighash::{EcdsaSighashType, SighashCache};
use bitcoin::{OutPoint, PublicKey, Script, ScriptBuf, TxOut, Txid, Witness};

use super::multisig::MultisigScript;
use super::{OwnershipError, Scheme};

/// The prefix BIP-127 puts before the message it hashes into the commitment input.
pub const COMMITMENT_PREFIX: &str = "Proof-of-Reserves: ";

/// A wallet name of FORMAT.md §5: `^[a-z0-9][a-z0-9._-]{0,63}$`.
pub fn is_wallet_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= 64
        && matches!(b[0], b'a'..=b'z' | b'0'..=b'9')
        && b.iter()
            .all(|c| matches!(c, b'a'..=b'z' | b'0'..=b'9' | b'.' | b'_' | b'-'))
}

/// The commitment txids `message` allows for input 0: BIP-127's
/// `SHA-256("Proof-of-Reserves: " ‖ message)`, and its SHA-256d (`bdk-reserves`).
pub fn commitment_txids(message: &str) -> [Txid; 2] {
    let text = format!("{COMMITMENT_PREFIX}{message}");
    [
        Txid::from_byte_array(sha256::Hash::hash(text.as_bytes()).to_byte_array()),
        Txid::from_raw_hash(sha256d::Hash::hash(text.as_bytes())),
    ]
}

/// A parsed proof-of-reserves PSBT (form only: nothing is verified yet).
#[derive(Debug, Clone, PartialEq)]
pub struct ProofPsbt {
    psbt: Psbt,
}

impl ProofPsbt {
    /// Parses a PSBT file's bytes: binary BIP-174 (`psbt\xff…`) or its base64 text
    /// (surrounding whitespace allowed, as signers write it).
    pub fn parse(bytes: &[u8]) -> Result<ProofPsbt, OwnershipError> {
        let bad =
            |shown: &str, reason: String| OwnershipError::malformed(Scheme::Bip127, shown, reason);
        let psbt = if bytes.starts_with(b"psbt\xff") {
            Psbt::deserialize(bytes)
                .map_err(|e| bad("(binary psbt)", format!("not a valid psbt: {}", lower(e))))?
        } else {
            let text = std::str::from_utf8(bytes)
                .map_err(|_| bad("(binary)", "neither a binary psbt nor base64 text".into()))?
                .trim();
            Psbt::from_str(text)
                .map_err(|e| bad(text, format!("not a valid base64 psbt: {}", lower(e))))?
        };
        Ok(ProofPsbt { psbt })
    }

    /// The proof as published: binary BIP-174.
    pub fn serialize(&self) -> Vec<u8> {
        self.psbt.serialize()
    }

    /// The outputs the proof claims: every input's outpoint after the commitment input.
    pub fn claimed(&self) -> Vec<OutPoint> {
        self.psbt
            .unsigned_tx
            .input
            .iter()
            .skip(1)
            .map(|i| i.previous_output)
            .collect()
    }

    /// The PSBT's own record of input `i`'s output (`witness_utxo`, or the output of
    /// `non_witness_utxo`), untrusted: used only to name an address the chain does not know.
    pub fn declared_output(&self, i: usize) -> Option<TxOut> {
        let input = self.psbt.inputs.get(i)?;
        let outpoint = self.psbt.unsigned_tx.input.get(i)?.previous_output;
        input.witness_utxo.clone().or_else(|| {
            input
                .non_witness_utxo
                .as_ref()
                .filter(|tx| tx.compute_txid() == outpoint.txid)
                .and_then(|tx| tx.output.get(outpoint.vout as usize).cloned())
        })
    }
}

/// What the chain says about one claimed output at the snapshot block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputAt {
    /// Confirmed at or before the snapshot block and unspent there: the output as the
    /// chain has it.
    Unspent(TxOut),
    /// Not held at the snapshot block (spent at or before it, confirmed after it, not
    /// confirmed, unknown): the output when the chain knows it, and why.
    NotHeld {
        /// The output as the chain has it, when it knows it.
        txout: Option<TxOut>,
        /// Why it is not held at the block, e.g. `spent by <txid> at height 869990`.
        why: String,
    },
}

/// The verdict on one claimed input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputVerdict {
    /// The outpoint the input spends.
    pub outpoint: OutPoint,
    /// The output's script (the chain's, else the PSBT's declared one), when known.
    pub script_pubkey: Option<ScriptBuf>,
    /// Satoshis it proves: its value when signed and unspent at the block, else 0.
    pub proven: u64,
    /// Satoshis held at the block whatever the signature (0 unless unspent there).
    pub held: u64,
    /// `Err(why)` when the input proves nothing.
    pub result: Result<(), String>,
}

/// Checks the proof against `message` (FORMAT.md §5 with `address: <wallet name>`) and
/// the chain's answer for each claimed input (`chain[k]` for `claimed()[k]`).
///
/// A proof that fails as a whole (commitment to another message, fee, outputs) is an
/// error; otherwise one verdict per claimed input, in input order.
pub fn verify(
    wallet: &str,
    proof: &ProofPsbt,
    message: &str,
    chain: &[InputAt],
) -> Result<Vec<InputVerdict>, OwnershipError> {
    let reject = |reason: String| OwnershipError::rejected(&wallet, Scheme::Bip127, reason);
    let psbt = &proof.psbt;
    let tx = &psbt.unsigned_tx;
    assert_eq!(
        chain.len(),
        tx.input.len().saturating_sub(1),
        "one chain answer per claimed input"
    );
    let Some(first) = tx.input.first() else {
        return Err(reject("the psbt has no inputs".into()));
    };
    let allowed = commitment_txids(message);
    if first.previous_output.vout != 0 || !allowed.contains(&first.previous_output.txid) {
        return Err(reject(format!(
            "input 0 spends {}, not the commitment to this snapshot's message ({}:0); the psbt was made for another message (exchange, snapshot or wallet)",
            first.previous_output, allowed[0]
        )));
    }
    if tx.input.len() < 2 {
        return Err(reject(
            "the psbt claims no outputs (only the commitment input)".into(),
        ));
    }
    let mut seen = BTreeSet::new();
    for i in &tx.input {
        if !seen.insert(i.previous_output) {
            return Err(reject(format!("spends {} twice", i.previous_output)));
        }
    }
    if tx.output.len() != 1 {
        return Err(reject(format!(
            "has {} outputs; a proof-of-reserves has exactly one",
            tx.output.len()
        )));
    }
    // Values: the chain's where it knows them, else the PSBT's declared ones.
    let mut sum: u64 = 0;
    for (k, at) in chain.iter().enumerate() {
        let value = match at {
            InputAt::Unspent(t) | InputAt::NotHeld { txout: Some(t), .. } => Some(t.value),
            InputAt::NotHeld { txout: None, .. } => proof.declared_output(k + 1).map(|t| t.value),
        };
        let Some(value) = value else {
            return Err(reject(format!(
                "the value of input {} ({}) is unknown: the chain does not know it and the psbt does not declare it",
                k + 1,
                tx.input[k + 1].previous_output
            )));
        };
        sum = sum
            .checked_add(value.to_sat())
            .ok_or_else(|| reject("the inputs overflow".into()))?;
    }
    let out = tx.output[0].value.to_sat();
    if out != sum {
        return Err(reject(format!(
            "the output is {out} sat but the inputs add up to {sum} sat; a proof-of-reserves pays exactly their sum (no fee)"
        )));
    }

    let secp = Secp256k1::verification_only();
    let mut cache = SighashCache::new(tx);
    let mut verdicts = Vec::with_capacity(chain.len());
    for (k, at) in chain.iter().enumerate() {
        let i = k + 1;
        let outpoint = tx.input[i].previous_output;
        let (txout, result) = match at {
            InputAt::NotHeld { txout, why } => (
                txout.clone().or_else(|| proof.declared_output(i)),
                Err(format!("input {i} ({outpoint}) proves nothing: {why}")),
            ),
            InputAt::Unspent(txout) => {
                let r = check_input(&secp, &mut cache, psbt, i, txout)
                    .map_err(|why| format!("input {i} ({outpoint}): {why}"));
                (Some(txout.clone()), r)
            }
        };
        let held = match at {
            InputAt::Unspent(t) => t.value.to_sat(),
            InputAt::NotHeld { .. } => 0,
        };
        verdicts.push(InputVerdict {
            outpoint,
            script_pubkey: txout.map(|t| t.script_pubkey),
            proven: if result.is_ok() { held } else { 0 },
            held,
            result,
        });
    }
    Ok(verdicts)
}

/// The segwit v0 program an input spends, with the P2SH redeem script checked.
enum Program {
    Wpkh(ScriptBuf),
    Wsh(ScriptBuf),
}

fn check_input(
    secp: &Secp256k1<VerifyOnly>,
    cache: &mut SighashCache<&bitcoin::Transaction>,
    psbt: &Psbt,
    i: usize,
    txout: &TxOut,
) -> Result<(), String> {
    let input = &psbt.inputs[i];
    if let Some(declared) = &input.witness_utxo
        && declared != txout
    {
        return Err(format!(
            "the psbt declares the output as {} sat to {}, the chain has {} sat to {}",
            declared.value.to_sat(),
            declared.script_pubkey.to_hex_string(),
            txout.value.to_sat(),
            txout.script_pubkey.to_hex_string()
        ));
    }
    let spk = &txout.script_pubkey;
    let program = if spk.is_p2wpkh() {
        Program::Wpkh(spk.clone())
    } else if spk.is_p2wsh() {
        Program::Wsh(spk.clone())
    } else if spk.is_p2sh() {
        let redeem = redeem_script(input)?;
        if ScriptBuf::new_p2sh(&redeem.script_hash()) != *spk {
            return Err("the redeem script does not hash to the output's p2sh script".into());
        }
        if redeem.is_p2wpkh() {
            Program::Wpkh(redeem)
        } else if redeem.is_p2wsh() {
            Program::Wsh(redeem)
        } else {
            return Err("a p2sh output whose redeem script is not a segwit v0 program (p2sh-p2wpkh or p2sh-p2wsh) is not supported".into());
        }
    } else {
        return Err(format!(
            "the output's script {} is not p2wpkh, p2wsh or p2sh-wrapped segwit; bip127 proofs are checked for those only",
            spk.to_hex_string()
        ));
    };
    if !spk.is_p2sh()
        && let Some(sig) = &input.final_script_sig
        && !sig.is_empty()
    {
        return Err("a native segwit input has a non-empty scriptSig".into());
    }
    let witness = input
        .final_script_witness
        .as_ref()
        .filter(|w| !w.is_empty());
    match program {
        Program::Wpkh(program) => {
            let (sig, key) = match witness {
                Some(w) => {
                    if w.len() != 2 {
                        return Err(format!(
                            "a p2wpkh witness has 2 items, this one {}",
                            w.len()
                        ));
                    }
                    let key = PublicKey::from_slice(&w[1]).map_err(|e| {
                        format!("the witness key is not a public key: {}", lower(e))
                    })?;
                    (w[0].to_vec(), key)
                }
                None => {
                    let mut sigs = input.partial_sigs.iter();
                    match (sigs.next(), sigs.next()) {
                        (Some((key, sig)), None) => (sig.to_vec(), *key),
                        (None, _) => {
                            return Err(
                                "not signed (no final witness, no partial signature)".into()
                            );
                        }
                        _ => return Err("a p2wpkh input with several partial signatures".into()),
                    }
                }
            };
            let hash = key
                .wpubkey_hash()
                .map_err(|_| "the key is uncompressed, which segwit does not allow".to_string())?;
            if ScriptBuf::new_p2wpkh(&hash) != program {
                return Err("the signing key is not the key of the output's address".into());
            }
            let sighash = cache
                .p2wpkh_signature_hash(i, &program, txout.value, EcdsaSighashType::All)
                .map_err(lower)?;
            let msg = Message::from_digest(sighash.to_byte_array());
            check_sig(secp, &msg, &sig, &key)
        }
        Program::Wsh(program) => {
            let (script, sigs): (ScriptBuf, Vec<Vec<u8>>) = match witness {
                Some(w) => multisig_witness(w)?,
                None => {
                    let script = input
                        .witness_script
                        .clone()
                        .ok_or("not signed (no final witness) and no witness script in the psbt")?;
                    (
                        script,
                        input.partial_sigs.values().map(|s| s.to_vec()).collect(),
                    )
                }
            };
            if ScriptBuf::new_p2wsh(&script.wscript_hash()) != program {
                return Err(
                    "the witness script does not hash to the output's p2wsh program".into(),
                );
            }
            let multisig = MultisigScript::parse_hex(&script.to_hex_string()).map_err(|_| {
                "the witness script is not a standard OP_m <keys> OP_n OP_CHECKMULTISIG".to_string()
            })?;
            if sigs.is_empty() {
                return Err(
                    "not signed (no signature in the witness or the partial signatures)".into(),
                );
            }
            let sighash = cache
                .p2wsh_signature_hash(i, &script, txout.value, EcdsaSighashType::All)
                .map_err(lower)?;
            let msg = Message::from_digest(sighash.to_byte_array());
            let mut errors = Vec::new();
            let signed = multisig
                .keys()
                .iter()
                .filter(|key| {
                    sigs.iter().any(|s| match check_sig(secp, &msg, s, key) {
                        Ok(()) => true,
                        Err(e) => {
                            errors.push(e);
                            false
                        }
                    })
                })
                .count();
            if signed < multisig.required() {
                let bad_form = errors
                    .iter()
                    .find(|e| !e.starts_with("the signature does not verify"));
                return Err(format!(
                    "{signed} of the {} keys signed, {} required{}",
                    multisig.keys().len(),
                    multisig.required(),
                    bad_form.map(|e| format!(" ({e})")).unwrap_or_default()
                ));
            }
            Ok(())
        }
    }
}

/// The redeem script of a P2SH input: the single push of its final scriptSig, or the
/// PSBT's `redeem_script` before finalization.
fn redeem_script(input: &bitcoin::psbt::Input) -> Result<ScriptBuf, String> {
    if let Some(sig) = input.final_script_sig.as_ref().filter(|s| !s.is_empty()) {
        let mut pushes = sig.instructions_minimal();
        return match (pushes.next(), pushes.next()) {
            (Some(Ok(bitcoin::script::Instruction::PushBytes(b))), None) => {
                Ok(ScriptBuf::from_bytes(b.as_bytes().to_vec()))
            }
            _ => Err(
                "the scriptSig of a p2sh-wrapped segwit input is not one push of the redeem script"
                    .into(),
            ),
        };
    }
    input
        .redeem_script
        .clone()
        .ok_or_else(|| "a p2sh input without a redeem script".to_string())
}

/// `[<empty>, sig…, witness script]` of a finalized CHECKMULTISIG spend.
fn multisig_witness(w: &Witness) -> Result<(ScriptBuf, Vec<Vec<u8>>), String> {
    let items: Vec<&[u8]> = w.iter().collect();
    if items.len() < 3 || !items[0].is_empty() {
        return Err("a p2wsh multisig witness is <empty> <signatures…> <witness script>".into());
    }
    let script = Script::from_bytes(items[items.len() - 1]).to_owned();
    let sigs = items[1..items.len() - 1]
        .iter()
        .map(|s| s.to_vec())
        .collect();
    Ok((script, sigs))
}

/// One DER signature with its sighash byte, which must be `SIGHASH_ALL`.
fn check_sig(
    secp: &Secp256k1<VerifyOnly>,
    msg: &Message,
    sig: &[u8],
    key: &PublicKey,
) -> Result<(), String> {
    let sig = bitcoin::ecdsa::Signature::from_slice(sig)
        .map_err(|e| format!("a signature is malformed: {}", lower(e)))?;
    if sig.sighash_type != EcdsaSighashType::All {
        return Err(format!(
            "a signature uses {}; a proof-of-reserves needs SIGHASH_ALL, which commits to the commitment input",
            sig.sighash_type
        ));
    }
    secp.verify_ecdsa(msg, &sig.signature, &key.inner)
        .map_err(|_| {
            "the signature does not verify for this transaction (wrong key, message or amount)"
                .to_string()
        })
}

fn lower(e: impl std::fmt::Display) -> String {
    e.to_string().to_lowercase()
}

#[cfg(test)]
#[path = "../../tests/it/support/psbt.rs"]
mod psbt_support;

#[cfg(test)]
mod tests {
    use super::psbt_support::{Spend, Utxo, proof_psbt};
    use super::*;

    const MESSAGE: &str =
        "Proof of reserves\nexchange: Example Exchange\nsnapshot: 2026-11-21\naddress: cold";

    fn unspent(utxos: &[Utxo]) -> Vec<InputAt> {
        utxos
            .iter()
            .map(|u| InputAt::Unspent(u.txout.clone()))
            .collect()
    }

    fn parse(psbt: &Psbt) -> ProofPsbt {
        ProofPsbt::parse(psbt.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn wallet_names() {
        for ok in ["cold", "a", "cold-2.b_c", &"x".repeat(64)] {
            assert!(is_wallet_name(ok), "{ok}");
        }
        for bad in ["", "-a", "Cold", "a b", "a/b", &"x".repeat(65)] {
            assert!(!is_wallet_name(bad), "{bad}");
        }
    }

    #[test]
    fn commitment_is_bip127_sha256_of_prefixed_message() {
        // BIP-127's footnote: SHA-256("Proof-of-Reserves: Some Message"), as the txid's bytes.
        let [single, double] = commitment_txids("Some Message");
        let expect = sha256::Hash::hash(b"Proof-of-Reserves: Some Message");
        assert_eq!(single.to_byte_array(), expect.to_byte_array());
        assert_eq!(
            double.to_byte_array(),
            sha256::Hash::hash(&expect.to_byte_array()).to_byte_array()
        );
    }

    #[test]
    fn p2wpkh_and_2_of_3_p2wsh_prove_their_values() {
        let utxos = vec![Utxo::p2wpkh(1, 50_000), Utxo::p2wsh_2of3([2, 3, 4], 70_000)];
        for spend in [Spend::Final, Spend::Partial] {
            let psbt = proof_psbt(MESSAGE, &utxos, spend, &[&[1], &[2, 4]]);
            let v = verify("cold", &parse(&psbt), MESSAGE, &unspent(&utxos)).unwrap();
            assert_eq!(v.len(), 2);
            for (verdict, u) in v.iter().zip(&utxos) {
                assert_eq!(verdict.result, Ok(()), "{spend:?}");
                assert_eq!(verdict.proven, u.txout.value.to_sat());
            }
        }
    }

    #[test]
    fn p2sh_wrapped_segwit_outputs_prove_their_values() {
        let utxos = vec![
            Utxo::p2wpkh(6, 1_000).p2sh_wrapped(),
            Utxo::p2wsh_2of3([7, 8, 9], 2_000).p2sh_wrapped(),
        ];
        for spend in [Spend::Final, Spend::Partial] {
            let psbt = proof_psbt(MESSAGE, &utxos, spend, &[&[6], &[9, 7]]);
            let v = verify("cold", &parse(&psbt), MESSAGE, &unspent(&utxos)).unwrap();
            assert_eq!(
                v.iter().map(|v| v.proven).collect::<Vec<_>>(),
                [1_000, 2_000],
                "{spend:?} {v:?}"
            );
        }
        // A redeem script that is not the one the output commits to.
        let mut psbt = proof_psbt(MESSAGE, &utxos, Spend::Partial, &[&[6], &[9, 7]]);
        psbt.inputs[1].redeem_script = utxos[1].redeem_script.clone();
        let v = verify("cold", &parse(&psbt), MESSAGE, &unspent(&utxos)).unwrap();
        assert_eq!(
            v[0].result,
            Err("input 1 (".to_string()
                + &utxos[0].outpoint.to_string()
                + "): the redeem script does not hash to the output's p2sh script")
        );
    }

    #[test]
    fn another_message_is_rejected_as_a_whole() {
        let utxos = vec![Utxo::p2wpkh(1, 50_000)];
        let psbt = proof_psbt(MESSAGE, &utxos, Spend::Final, &[&[1]]);
        let other = MESSAGE.replace("2026-11-21", "2026-10-21");
        let e = verify("cold", &parse(&psbt), &other, &unspent(&utxos)).unwrap_err();
        assert!(
            e.to_string().starts_with("cold: bip127 input 0 spends "),
            "{e}"
        );
        assert!(e.to_string().contains("made for another message"), "{e}");
    }

    #[test]
    fn one_signature_of_a_2_of_3_is_not_enough() {
        let utxos = vec![Utxo::p2wsh_2of3([2, 3, 4], 70_000)];
        let psbt = proof_psbt(MESSAGE, &utxos, Spend::Partial, &[&[3]]);
        let v = verify("cold", &parse(&psbt), MESSAGE, &unspent(&utxos)).unwrap();
        let why = v[0].result.clone().unwrap_err();
        assert!(why.ends_with("1 of the 3 keys signed, 2 required"), "{why}");
        assert_eq!((v[0].proven, v[0].held), (0, 70_000));
    }

    #[test]
    fn the_chains_value_is_what_is_signed_for() {
        let utxos = vec![Utxo::p2wpkh(1, 50_000)];
        let psbt = proof_psbt(MESSAGE, &utxos, Spend::Final, &[&[1]]);
        let mut chain = unspent(&utxos);
        let InputAt::Unspent(t) = &mut chain[0] else {
            unreachable!()
        };
        t.value = bitcoin::Amount::from_sat(50_001);
        // The output then no longer adds up; as a whole the proof is refused.
        let e = verify("cold", &parse(&psbt), MESSAGE, &chain).unwrap_err();
        assert!(
            e.to_string()
                .contains("the output is 50000 sat but the inputs add up to 50001 sat"),
            "{e}"
        );
    }

    #[test]
    fn a_spent_input_proves_nothing_the_others_still_count() {
        let utxos = vec![Utxo::p2wpkh(1, 50_000), Utxo::p2wpkh(5, 20_000)];
        let psbt = proof_psbt(MESSAGE, &utxos, Spend::Final, &[&[1], &[5]]);
        let mut chain = unspent(&utxos);
        chain[1] = InputAt::NotHeld {
            txout: Some(utxos[1].txout.clone()),
            why: "spent at height 99".into(),
        };
        let v = verify("cold", &parse(&psbt), MESSAGE, &chain).unwrap();
        assert_eq!(v[0].proven, 50_000);
        assert_eq!(v[1].proven, 0);
        assert!(
            v[1].result
                .as_ref()
                .unwrap_err()
                .ends_with("proves nothing: spent at height 99")
        );
    }

    #[test]
    fn unsigned_and_tampered_inputs_prove_nothing() {
        let utxos = vec![Utxo::p2wpkh(1, 50_000)];
        let psbt = proof_psbt(MESSAGE, &utxos, Spend::Final, &[&[]]);
        let v = verify("cold", &parse(&psbt), MESSAGE, &unspent(&utxos)).unwrap();
        assert!(
            v[0].result.as_ref().unwrap_err().contains("not signed"),
            "{:?}",
            v[0]
        );
        // A signature by another key.
        let mut psbt = proof_psbt(MESSAGE, &utxos, Spend::Final, &[&[1]]);
        let other = proof_psbt(MESSAGE, &[Utxo::p2wpkh(9, 50_000)], Spend::Final, &[&[9]]);
        psbt.inputs[1].final_script_witness = other.inputs[1].final_script_witness.clone();
        let v = verify("cold", &parse(&psbt), MESSAGE, &unspent(&utxos)).unwrap();
        assert!(
            v[0].result
                .as_ref()
                .unwrap_err()
                .contains("not the key of the output's address")
        );
    }

    #[test]
    fn garbage_is_malformed() {
        let e = ProofPsbt::parse(b"cHNidP8=").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("bip127 signature `cHNidP8=`: not a valid base64 psbt"),
            "{e}"
        );
        assert!(ProofPsbt::parse(b"psbt\xff\x00").is_err());
        assert!(ProofPsbt::parse(&[0xff, 0xfe]).is_err());
    }
}
