//! The published address lists of FORMAT.md §5, rendered from the reserves found
//! (the publish stage: the reserves step hands its addresses over as plain values):
//! `addresses.json` (`por-addresses/1`), `addresses.csv` (one row per address and
//! holding, RFC 4180) and `defillama.json` (the owners/tokens shape dashboard adapters
//! read; only addresses whose ownership verified, i.e. what `reserves` counts). Every
//! row names its chain, so an asset held on several chains shows its split per chain.

use crate::format::{
    ADDRESSES_FORMAT, AddressEntry, AddressList, AssetInfo, Chains, Holding, OwnershipJson,
    SnapshotId, to_json_bytes,
};
use crate::ownership::{OwnershipProof, Scheme};
use crate::reserves::{AddressReserves, Status};
use serde_json::{Value, json};

/// What the address lists need of the configuration; the job builds it.
#[derive(Clone, Debug)]
pub struct ListSettings {
    /// The exchange's display name, as published.
    pub exchange: String,
    /// The configured assets, in config order (a holding's `asset` indexes them).
    pub assets: Vec<AssetInfo>,
    /// The configured chains, in config order.
    pub chains: Vec<ChainListing>,
}

/// One configured chain, as `defillama.json` keys it.
#[derive(Clone, Debug)]
pub struct ChainListing {
    /// The configured name (the `chain` of every row).
    pub name: String,
    /// An EVM chain (its `defillama.json` entry lists `tokens`).
    pub evm: bool,
    /// Its key in `defillama.json`.
    pub defillama: String,
}

/// Why an address list could not be written.
#[derive(Debug, thiserror::Error)]
pub enum AddressesError {
    /// The CSV writer failed.
    #[error("addresses.csv: {0}")]
    Csv(String),
}

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
    settings: &ListSettings,
    id: &SnapshotId,
    chains: &Chains,
    addresses: &[AddressReserves],
) -> AddressList {
    AddressList {
        format: ADDRESSES_FORMAT.into(),
        exchange: settings.exchange.clone(),
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
                        asset: settings.assets[h.asset].symbol.clone(),
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
    settings: &ListSettings,
    chains: &Chains,
    addresses: &[AddressReserves],
) -> Result<Vec<u8>, AddressesError> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let io = |e: csv::Error| AddressesError::Csv(e.to_string());
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
            let asset = &settings.assets[h.asset];
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
    settings: &ListSettings,
    tokens: &[(String, String)],
    chains: &Chains,
    addresses: &[AddressReserves],
) -> Value {
    let mut out = serde_json::Map::new();
    for c in settings
        .chains
        .iter()
        .filter(|c| chains.get(&c.name).is_some())
    {
        let owners: Vec<String> = addresses
            .iter()
            .filter(|a| a.status == Status::Verified && a.wallet.chain == c.name)
            .map(|a| a.wallet.address.to_string())
            .collect();
        let entry = if c.evm {
            let tokens: Vec<&String> = tokens
                .iter()
                .filter(|(chain, _)| *chain == c.name)
                .map(|(_, t)| t)
                .collect();
            json!({ "owners": owners, "tokens": tokens })
        } else {
            json!({ "owners": owners })
        };
        out.insert(c.defillama.clone(), entry);
    }
    Value::Object(out)
}

/// The three public files, by name. `tokens` are the (chain, EIP-55 contract) pairs
/// read, in config order, resolved once by the caller.
pub fn render(
    settings: &ListSettings,
    tokens: &[(String, String)],
    id: &SnapshotId,
    chains: &Chains,
    addresses: &[AddressReserves],
) -> Result<Vec<(String, Vec<u8>)>, AddressesError> {
    Ok(vec![
        (
            "addresses.json".into(),
            to_json_bytes(&address_list(settings, id, chains, addresses)),
        ),
        (
            "addresses.csv".into(),
            csv_bytes(settings, chains, addresses)?,
        ),
        (
            "defillama.json".into(),
            to_json_bytes(&defillama(settings, tokens, chains, addresses)),
        ),
    ])
}
