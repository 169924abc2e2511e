//! BIP-127 proof-of-reserves PSBTs made with generated keys, as a custodian's PSBT
//! signer would make them: the commitment input (SHA-256 of the prefixed message,
//! computed here independently of por), the claimed outputs, one output worth their
//! sum, and `SIGHASH_ALL` ECDSA signatures, either finalized into the witness or left
//! as partial signatures (a multisig coordinator's hand-off).
//!
//! Only `bitcoin` is used, so the same file serves the integration tests and, through
//! `#[path]`, the unit tests of `src/ownership/bip127.rs`.

#![allow(dead_code)]

use bitcoin::hashes::{Hash, hash160, sha256};
use bitcoin::opcodes::OP_TRUE;
use bitcoin::opcodes::all::OP_CHECKMULTISIG;
use bitcoin::psbt::{Input, Psbt};
use bitcoin::script::Builder;
use bitcoin::secp256k1::{Message, Secp256k1, SecretKey};
use bitcoin::sighash::{EcdsaSighashType, SighashCache};
use bitcoin::{
    Amount, OutPoint, PubkeyHash, PublicKey, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid,
    Witness, absolute, transaction,
};

/// A generated secret key (the seed byte repeated; seeds 1..=200 are valid keys).
pub fn secret(seed: u8) -> SecretKey {
    SecretKey::from_slice(&[seed; 32]).expect("a valid secret key")
}

/// The compressed public key of [`secret`]`(seed)`.
pub fn public(seed: u8) -> PublicKey {
    PublicKey::new(secret(seed).public_key(&Secp256k1::new()))
}

/// A txid no real transaction has, from a label.
pub fn fake_txid(label: &str) -> Txid {
    Txid::from_byte_array(sha256::Hash::hash(label.as_bytes()).to_byte_array())
}

/// BIP-127's commitment txid: `SHA-256("Proof-of-Reserves: " ‖ message)`.
pub fn commitment(message: &str) -> Txid {
    let h = sha256::Hash::hash(format!("Proof-of-Reserves: {message}").as_bytes());
    Txid::from_byte_array(h.to_byte_array())
}

/// One output a wallet holds and the keys that can spend it.
#[derive(Clone, Debug)]
pub struct Utxo {
    /// Where it is.
    pub outpoint: OutPoint,
    /// What it pays.
    pub txout: TxOut,
    /// The P2WSH witness script, for multisig.
    pub witness_script: Option<ScriptBuf>,
    /// The P2SH redeem script (the segwit program), for P2SH-wrapped outputs.
    pub redeem_script: Option<ScriptBuf>,
    /// The key seeds, in script order.
    pub keys: Vec<u8>,
}

impl Utxo {
    /// A single-key P2WPKH output of `sats`.
    pub fn p2wpkh(seed: u8, sats: u64) -> Utxo {
        let pk = public(seed);
        Utxo {
            outpoint: OutPoint::new(fake_txid(&format!("p2wpkh {seed} {sats}")), 0),
            txout: TxOut {
                value: Amount::from_sat(sats),
                script_pubkey: ScriptBuf::new_p2wpkh(&pk.wpubkey_hash().unwrap()),
            },
            witness_script: None,
            redeem_script: None,
            keys: vec![seed],
        }
    }

    /// A 2-of-3 P2WSH multisig output of `sats`.
    pub fn p2wsh_2of3(seeds: [u8; 3], sats: u64) -> Utxo {
        let script = seeds
            .iter()
            .fold(Builder::new().push_int(2), |b, s| b.push_key(&public(*s)))
            .push_int(3)
            .push_opcode(OP_CHECKMULTISIG)
            .into_script();
        Utxo {
            outpoint: OutPoint::new(fake_txid(&format!("p2wsh {seeds:?} {sats}")), 1),
            txout: TxOut {
                value: Amount::from_sat(sats),
                script_pubkey: ScriptBuf::new_p2wsh(&script.wscript_hash()),
            },
            witness_script: Some(script),
            redeem_script: None,
            keys: seeds.to_vec(),
        }
    }

    /// The same keys behind P2SH (P2SH-P2WPKH, P2SH-P2WSH), at another outpoint.
    pub fn p2sh_wrapped(mut self) -> Utxo {
        let program = self.txout.script_pubkey.clone();
        self.txout.script_pubkey = ScriptBuf::new_p2sh(&program.script_hash());
        self.redeem_script = Some(program);
        self.outpoint.txid = fake_txid(&format!("p2sh {}", self.outpoint.txid));
        self
    }

    /// The same output at another outpoint.
    pub fn at(mut self, outpoint: OutPoint) -> Utxo {
        self.outpoint = outpoint;
        self
    }
}

/// How the signatures are left in the PSBT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spend {
    /// Finalized: `final_script_witness` holds the spend.
    Final,
    /// Not finalized: `partial_sigs` (and the witness script) only.
    Partial,
}

/// The proof-of-reserves PSBT for `message` over `utxos`; `signers[k]` are the key
/// seeds that sign input `k + 1` (empty: left unsigned).
pub fn proof_psbt(message: &str, utxos: &[Utxo], spend: Spend, signers: &[&[u8]]) -> Psbt {
    let mut input = vec![TxIn {
        previous_output: OutPoint::new(commitment(message), 0),
        sequence: Sequence::MAX,
        ..Default::default()
    }];
    input.extend(utxos.iter().map(|u| TxIn {
        previous_output: u.outpoint,
        sequence: Sequence::MAX,
        ..Default::default()
    }));
    let total: u64 = utxos.iter().map(|u| u.txout.value.to_sat()).sum();
    // The unspendable output bdk-reserves uses: P2PKH of HASH160(0x00).
    let burn = ScriptBuf::new_p2pkh(&PubkeyHash::from_raw_hash(hash160::Hash::hash(&[0])));
    let tx = Transaction {
        version: transaction::Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input,
        output: vec![TxOut {
            value: Amount::from_sat(total),
            script_pubkey: burn,
        }],
    };
    let mut psbt = Psbt::from_unsigned_tx(tx.clone()).expect("an unsigned transaction");
    psbt.inputs[0] = Input {
        witness_utxo: Some(TxOut {
            value: Amount::ZERO,
            script_pubkey: Builder::new().push_opcode(OP_TRUE).into_script(),
        }),
        final_script_sig: Some(ScriptBuf::new()),
        ..Default::default()
    };
    let secp = Secp256k1::new();
    let mut cache = SighashCache::new(&tx);
    for (k, u) in utxos.iter().enumerate() {
        let i = k + 1;
        let input = &mut psbt.inputs[i];
        input.witness_utxo = Some(u.txout.clone());
        input.witness_script = u.witness_script.clone();
        input.redeem_script = u.redeem_script.clone();
        let program = u.redeem_script.as_ref().unwrap_or(&u.txout.script_pubkey);
        let sighash = match &u.witness_script {
            None => cache
                .p2wpkh_signature_hash(i, program, u.txout.value, EcdsaSighashType::All)
                .unwrap()
                .to_byte_array(),
            Some(ws) => cache
                .p2wsh_signature_hash(i, ws, u.txout.value, EcdsaSighashType::All)
                .unwrap()
                .to_byte_array(),
        };
        let msg = Message::from_digest(sighash);
        // Signatures in script key order (as CHECKMULTISIG wants them).
        let mut seeds: Vec<u8> = signers.get(k).copied().unwrap_or_default().to_vec();
        seeds.sort_by_key(|s| u.keys.iter().position(|k| k == s).unwrap_or(usize::MAX));
        let sigs: Vec<(PublicKey, bitcoin::ecdsa::Signature)> = seeds
            .iter()
            .map(|s| {
                (
                    public(*s),
                    bitcoin::ecdsa::Signature {
                        signature: secp.sign_ecdsa(&msg, &secret(*s)),
                        sighash_type: EcdsaSighashType::All,
                    },
                )
            })
            .collect();
        if sigs.is_empty() {
            continue;
        }
        match spend {
            Spend::Partial => input.partial_sigs.extend(sigs),
            Spend::Final => {
                let mut w = Witness::new();
                match &u.witness_script {
                    None => {
                        w.push(sigs[0].1.to_vec());
                        w.push(sigs[0].0.to_bytes());
                    }
                    Some(ws) => {
                        w.push(Vec::<u8>::new());
                        for (_, s) in &sigs {
                            w.push(s.to_vec());
                        }
                        w.push(ws.as_bytes());
                    }
                }
                input.final_script_witness = Some(w);
                if let Some(redeem) = &u.redeem_script {
                    let push = bitcoin::script::PushBytesBuf::try_from(redeem.to_bytes()).unwrap();
                    input.final_script_sig = Some(Builder::new().push_slice(push).into_script());
                }
            }
        }
    }
    psbt
}
