//! BIP-127 wallets in the reserves step (FORMAT.md §5, scheme `bip127`): reads each
//! `[[bip127]]` wallet's PSBT, asks every Bitcoin endpoint for each claimed output at
//! the snapshot block (they must agree), has [`crate::ownership::bip127`] verify the
//! proof, and turns its inputs into published address entries (one per address, its
//! holdings the inputs held at the block) and the `bip127/<wallet>.psbt` file.
//!
//! An address is verified when every input it has in the proof verified; a proof
//! refused as a whole (another message, a fee, several outputs) fails all of them.
//! A missing or unreadable PSBT file is bad input: an error, nothing published.

use std::collections::BTreeMap;

use bitcoin::{Address, ScriptBuf};

use super::wallets::Wallet;
use super::{AddressReserves, Held, ReservesError, Status, ask_all};
use crate::amount::Amount;
use crate::chains::{BitcoinBackend, BlockRef, OutputAt};
use crate::config::{Bip127Wallet, Config};
use crate::format::SnapshotId;
use crate::ownership::bip127::{self, InputAt, ProofPsbt};
use crate::ownership::{self, BitcoinAddress, OwnershipProof, Scheme, WalletAddress};

/// What the bip127 wallets add to a snapshot.
#[derive(Default)]
pub struct Bip127Found {
    /// One entry per address of the proofs' inputs.
    pub addresses: Vec<AddressReserves>,
    /// `bip127/<wallet>.psbt`, the proofs as published (binary BIP-174).
    pub files: Vec<(String, Vec<u8>)>,
    /// Failures no address can carry (an input paying a script without an address),
    /// as `(wallet, scheme, reason)`.
    pub failures: Vec<(String, String, String)>,
}

/// The published path of a wallet's proof.
pub fn psbt_file_name(wallet: &str) -> String {
    format!("bip127/{wallet}.psbt")
}

fn chain_answer(at: OutputAt) -> InputAt {
    match at {
        OutputAt::Unspent { txout, .. } => InputAt::Unspent(txout),
        OutputAt::Spent {
            txout,
            spender,
            height,
        } => InputAt::NotHeld {
            txout: Some(txout),
            why: format!("spent by {spender} at height {height}, at or before the snapshot block"),
        },
        OutputAt::NotYetConfirmed { txout } => InputAt::NotHeld {
            txout: Some(txout),
            why: "not confirmed at the snapshot block".into(),
        },
        other @ (OutputAt::NotInUtxoSet | OutputAt::Unknown) => InputAt::NotHeld {
            txout: None,
            why: other.to_string(),
        },
    }
}

/// Reads and verifies every configured bip127 wallet at `block`. `btc` is the
/// configured Bitcoin asset's index; `listed` the wallets-file entries already read
/// (an address may be claimed once).
pub(super) fn read(
    config: &Config,
    id: &SnapshotId,
    block: &BlockRef,
    backends: &[Box<dyn BitcoinBackend>],
    btc: usize,
    listed: &[AddressReserves],
) -> Result<Bip127Found, ReservesError> {
    let network = config.bitcoin_network();
    let btc_chain = config
        .chains
        .as_ref()
        .and_then(crate::config::ChainsConfig::bitcoin)
        .map_or_else(|| "bitcoin".to_string(), |c| c.name.clone());
    let mut found = Bip127Found::default();
    for w in &config.bip127 {
        let path = w.psbt_for(id.as_str());
        let file = path.display().to_string();
        let bad = |message: String| ReservesError::Config {
            file: file.clone(),
            key: w.key.clone(),
            message,
        };
        let bytes = std::fs::read(&path).map_err(|e| {
            bad(format!(
                "cannot read the psbt of bip127 wallet {}: {e}",
                w.name
            ))
        })?;
        let proof = ProofPsbt::parse(&bytes).map_err(|e| bad(e.to_string()))?;
        let message = ownership::message(&config.exchange, id.as_str(), &w.name);
        let mut chain = Vec::new();
        for outpoint in proof.claimed() {
            let at = ask_all(
                backends,
                &format!("output {outpoint} at height {}", block.height),
                |b| b.output_at(&outpoint, block),
            )?;
            chain.push(chain_answer(at));
        }
        let (verdicts, whole) = match bip127::verify(&w.name, &proof, &message, &chain) {
            Ok(v) => (v, None),
            Err(e) => {
                // Refused as a whole: each input is listed with the reason, holding what
                // the chain says it held.
                let v = proof
                    .claimed()
                    .into_iter()
                    .zip(&chain)
                    .enumerate()
                    .map(|(k, (outpoint, at))| {
                        let (script, held) = match at {
                            InputAt::Unspent(t) => {
                                (Some(t.script_pubkey.clone()), t.value.to_sat())
                            }
                            InputAt::NotHeld { txout, .. } => (
                                txout
                                    .clone()
                                    .or_else(|| proof.declared_output(k + 1))
                                    .map(|t| t.script_pubkey),
                                0,
                            ),
                        };
                        bip127::InputVerdict {
                            outpoint,
                            script_pubkey: script,
                            proven: 0,
                            held,
                            result: Err(e.to_string()),
                        }
                    })
                    .collect();
                (v, Some(e.to_string()))
            }
        };
        let mut by_script: BTreeMap<ScriptBuf, Vec<bip127::InputVerdict>> = BTreeMap::new();
        let mut order: Vec<ScriptBuf> = Vec::new();
        for v in verdicts {
            let Some(script) = v.script_pubkey.clone() else {
                found.failures.push((
                    format!("bip127 wallet {}", w.name),
                    Scheme::Bip127.to_string(),
                    v.result
                        .err()
                        .unwrap_or_else(|| format!("{}: output unknown", v.outpoint)),
                ));
                continue;
            };
            if !by_script.contains_key(&script) {
                order.push(script.clone());
            }
            by_script.entry(script).or_default().push(v);
        }
        let before = found.addresses.len();
        for script in order {
            let inputs = &by_script[&script];
            let Ok(address) = Address::from_script(&script, network) else {
                found.failures.push((
                    format!("bip127 wallet {}", w.name),
                    Scheme::Bip127.to_string(),
                    format!(
                        "{}: the output pays script {}, which has no address; it proves nothing",
                        inputs[0].outpoint,
                        script.to_hex_string()
                    ),
                ));
                continue;
            };
            let address = BitcoinAddress::parse(&address.to_string(), network)
                .map_err(|e| bad(e.to_string()))?;
            let published = address.inner().to_string();
            if let Some(other) = listed
                .iter()
                .chain(&found.addresses)
                .find(|a| a.wallet.address.to_string() == published)
            {
                let where_ = match &other.wallet.proof {
                    OwnershipProof::Bip127 { wallet } => format!("bip127 wallet {wallet}"),
                    _ => format!("line {} of the wallets file", other.wallet.line),
                };
                return Err(bad(format!(
                    "bip127 wallet {} claims {published}, which is also listed by {where_}",
                    w.name
                )));
            }
            let failures: Vec<&str> = inputs
                .iter()
                .filter_map(|v| v.result.as_ref().err().map(String::as_str))
                .collect();
            let status = match (whole.as_deref(), failures.first()) {
                (Some(why), _) => Status::Failed(why.to_string()),
                (None, None) => Status::Verified,
                (None, Some(_)) => Status::Failed(format!("{}: {}", w.name, failures.join("; "))),
            };
            let held: u64 = inputs.iter().map(|v| v.held).sum();
            found.addresses.push(AddressReserves {
                wallet: entry(w, WalletAddress::Bitcoin(address), &btc_chain),
                message: message.clone(),
                holdings: vec![Held {
                    asset: btc,
                    contract: None,
                    amount: Amount::from_base_units(u128::from(held)),
                }],
                status,
            });
        }
        if let Some(why) = whole
            && found.addresses.len() == before
        {
            found.failures.push((
                format!("bip127 wallet {}", w.name),
                Scheme::Bip127.to_string(),
                why,
            ));
        }
        found
            .files
            .push((psbt_file_name(&w.name), proof.serialize()));
    }
    Ok(found)
}

fn entry(w: &Bip127Wallet, address: WalletAddress, chain: &str) -> Wallet {
    Wallet {
        line: 0,
        chain: chain.to_string(),
        address,
        label: w.label.clone(),
        scheme: Scheme::Bip127,
        signature: String::new(),
        script: None,
        proof: OwnershipProof::Bip127 {
            wallet: w.name.clone(),
        },
    }
}
