//! The published address lists of FORMAT.md §5, rendered from the reserves found:
//! `addresses.json` (`por-addresses/1`), `addresses.csv` (one row per address and
//! holding, RFC 4180) and `defillama.json` (the owners/tokens shape dashboard adapters
//! read; only addresses whose ownership verified, i.e. what `reserves` counts). Every
//! row names its chain, so an asset held on several chains shows its split per chain.

use super::{AddressReserves, ReservesError, Status};
use crate::config::{ChainKind, Config};
use crate::format::{
    ADDRESSES_FORMAT, AddressEntry, AddressList, Chains, Holding, OwnershipJson, SnapshotId,
    to_json_bytes,
};
use crate::ownership::{OwnershipProof, Scheme};
use serde_json::{Value, json};

fn signature_json(a: &AddressReserves) -> Value {
    match a.wallet.scheme {
        Scheme::None | Scheme::Bip127 => Value::Null,
        Scheme::Multisig => serde_json::from_str::<Value>(&a.wallet.signature)
            .ok()
            .filter(Value::is_array)
            .or_else(|| {
                // The CSV cell may hold the array as a JSON string.
                serde_json::from_str::<String>(&a.wallet.signature)
                    .ok()
                    .and_then(|s| serde_json::from_str(&s).ok())
            })
            .unwrap_or_else(|| Value::String(a.wallet.signature.clone())),
        _ => Value::String(a.wallet.signature.clone()),
    }
}

/// The `por-addresses/1` document.
pub fn address_list(
    config: &Config,
    id: &SnapshotId,
    chains: &Chains,
    addresses: &[AddressReserves],
) -> AddressList {
    AddressList {
        format: ADDRESSES_FORMAT.into(),
        exchange: config.exchange.clone(),
        snapshot_id: id.clone(),
        chains: chains.clone(),
        addresses: addresses
            .iter()
            .map(|a| AddressEntry {
                chain: a.wallet.chain.clone(),
                address: a.wallet.address.to_string(),
                label: a.wallet.label.clone(),
                holdings: a
                    .holdings
                    .iter()
                    .map(|h| Holding {
                        asset: config.assets[h.asset].symbol.clone(),
                        contract: h.contract.clone(),
                        amount: h.amount,
                    })
                    .collect(),
                ownership: OwnershipJson {
                    scheme: a.wallet.scheme.to_string(),
                    message: a.message.clone(),
                    signature: (a.wallet.scheme != Scheme::Bip127).then(|| signature_json(a)),
                    wallet: match &a.wallet.proof {
                        OwnershipProof::Bip127 { wallet } => Some(wallet.clone()),
                        _ => None,
                    },
                    script: a.wallet.script.clone(),
                    verified: a.status == Status::Verified,
                },
            })
            .collect(),
    }
}

fn csv_bytes(
    config: &Config,
    chains: &Chains,
    addresses: &[AddressReserves],
) -> Result<Vec<u8>, ReservesError> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let io = |e: csv::Error| ReservesError::Config {
        file: "addresses.csv".into(),
        key: "write".into(),
        message: e.to_string(),
    };
    w.write_record([
        "chain",
        "address",
        "label",
        "asset",
        "contract",
        "amount",
        "amount_display",
        "height",
        "scheme",
        "verified",
        "message",
        "signature",
    ])
    .map_err(io)?;
    for a in addresses {
        let height = chains
            .get(&a.wallet.chain)
            .map(|c| c.height().to_string())
            .unwrap_or_default();
        let signature = match signature_json(a) {
            Value::Null => String::new(),
            Value::String(s) => s,
            other => other.to_string(),
        };
        for h in &a.holdings {
            let asset = &config.assets[h.asset];
            w.write_record([
                a.wallet.chain.clone(),
                a.wallet.address.to_string(),
                a.wallet.label.clone(),
                asset.symbol.clone(),
                h.contract.clone().unwrap_or_default(),
                h.amount.to_string(),
                h.amount.display_units(asset.decimals),
                height.clone(),
                a.wallet.scheme.to_string(),
                (a.status == Status::Verified).to_string(),
                a.message.clone(),
                signature.clone(),
            ])
            .map_err(io)?;
        }
    }
    w.into_inner().map_err(|e| io(e.into_error().into()))
}

fn defillama(
    config: &Config,
    tokens: &[(String, String)],
    chains: &Chains,
    addresses: &[AddressReserves],
) -> Value {
    let mut out = serde_json::Map::new();
    let list = config
        .chains
        .as_ref()
        .map(|c| &c.list[..])
        .unwrap_or_default();
    for c in list.iter().filter(|c| chains.get(&c.name).is_some()) {
        let owners: Vec<String> = addresses
            .iter()
            .filter(|a| a.status == Status::Verified && a.wallet.chain == c.name)
            .map(|a| a.wallet.address.to_string())
            .collect();
        let entry = match c.kind {
            ChainKind::Bitcoin { .. } => json!({ "owners": owners }),
            ChainKind::Evm { .. } => {
                let tokens: Vec<&String> = tokens
                    .iter()
                    .filter(|(chain, _)| *chain == c.name)
                    .map(|(_, t)| t)
                    .collect();
                json!({ "owners": owners, "tokens": tokens })
            }
        };
        out.insert(c.defillama.clone(), entry);
    }
    Value::Object(out)
}

/// The three public files, by name. `tokens` are the (chain, EIP-55 contract) pairs
/// read, in config order, resolved once by the caller.
pub fn render(
    config: &Config,
    tokens: &[(String, String)],
    id: &SnapshotId,
    chains: &Chains,
    addresses: &[AddressReserves],
) -> Result<Vec<(String, Vec<u8>)>, ReservesError> {
    Ok(vec![
        (
            "addresses.json".into(),
            to_json_bytes(&address_list(config, id, chains, addresses)),
        ),
        (
            "addresses.csv".into(),
            csv_bytes(config, chains, addresses)?,
        ),
        (
            "defillama.json".into(),
            to_json_bytes(&defillama(config, tokens, chains, addresses)),
        ),
    ])
}
