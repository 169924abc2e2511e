//! Prints ownership proofs for the demo data set: a CSV of
//! `chain,address,scheme,signature,script` for fixed demo addresses, signed over the
//! FORMAT.md §5 message for `--exchange` and `--snapshot`.
//!
//! The keys are sha256("por demo key N"): public test keys, NOT FOR FUNDS. Anyone can
//! recompute them; coins sent to these addresses can be taken by anyone.
//!
//! Output is deterministic (RFC 6979 ECDSA, BIP-340 Schnorr without aux randomness),
//! and every row is verified with `por::ownership` before it is printed.
//!
//! ```text
//! cargo run --example sign_demo -- --exchange "Example Exchange" --snapshot 2026-11-21 [--network regtest]
//! ```

use alloy::primitives::B256;
use alloy::signers::SignerSync;
use alloy::signers::local::PrivateKeySigner;
use anyhow::{Context, Result, bail};
use bitcoin::base64::Engine as _;
use bitcoin::base64::engine::general_purpose::STANDARD as B64;
use bitcoin::hashes::{Hash, sha256};
use bitcoin::opcodes::all::OP_CHECKMULTISIG;
use bitcoin::secp256k1::{Message, Secp256k1, SecretKey};
use bitcoin::sign_message::{MessageSignature, signed_msg_hash};
use bitcoin::{Address, CompressedPublicKey, Network, PrivateKey, PublicKey, ScriptBuf};
use clap::Parser;
use por::ownership::{self, Chain, OwnershipProof, Scheme, Verdict, WalletAddress};

#[derive(Parser)]
#[command(about = "Print demo ownership proofs (test keys, NOT FOR FUNDS)")]
struct Args {
    #[arg(long)]
    exchange: String,
    #[arg(long)]
    snapshot: String,
    /// bitcoin, testnet, signet or regtest.
    #[arg(long, default_value = "bitcoin")]
    network: Network,
}

struct Row {
    chain: Chain,
    address: String,
    scheme: Scheme,
    signature: String,
    script: String,
}

fn demo_secret(n: u32) -> SecretKey {
    let digest = sha256::Hash::hash(format!("por demo key {n}").as_bytes());
    SecretKey::from_slice(digest.as_byte_array()).expect("a sha256 digest is a valid key")
}

fn compressed(sk: &SecretKey) -> CompressedPublicKey {
    CompressedPublicKey(sk.public_key(&Secp256k1::new()))
}

/// BIP-137 compact signature; `offset` 0 for P2PKH (31–34), 8 for P2WPKH (39–42).
fn bip137(sk: &SecretKey, message: &str, offset: u8) -> String {
    let digest = Message::from_digest(signed_msg_hash(message).to_byte_array());
    let sig = Secp256k1::new().sign_ecdsa_recoverable(&digest, sk);
    let mut bytes = MessageSignature::new(sig, true).serialize();
    bytes[0] += offset;
    B64.encode(bytes)
}

fn bip322_simple(address: &Address, message: &str, sk: &SecretKey) -> Result<String> {
    // The key's network tag plays no part in the signature.
    let key = PrivateKey::new(*sk, Network::Bitcoin);
    let witness = bip322::sign_simple(address, message, &[key], None)
        .map_err(|e| anyhow::anyhow!("bip322 signing for {address}: {e}"))?;
    Ok(B64.encode(bitcoin::consensus::encode::serialize(&witness)))
}

fn main() -> Result<()> {
    let args = Args::parse();
    let net = args.network;
    let msg = |address: &str| ownership::message(&args.exchange, &args.snapshot, address);
    let secp = Secp256k1::new();
    let mut rows = Vec::new();

    // 1. P2WPKH, bip322-simple.
    let k1 = demo_secret(1);
    let a = Address::p2wpkh(&compressed(&k1), net);
    rows.push(Row {
        chain: Chain::Bitcoin,
        signature: bip322_simple(&a, &msg(&a.to_string()), &k1)?,
        address: a.to_string(),
        scheme: Scheme::Bip322Simple,
        script: String::new(),
    });

    // 2. P2TR key path, bip322-simple.
    let k2 = demo_secret(2);
    let a = Address::p2tr(&secp, compressed(&k2).0.x_only_public_key().0, None, net);
    rows.push(Row {
        chain: Chain::Bitcoin,
        signature: bip322_simple(&a, &msg(&a.to_string()), &k2)?,
        address: a.to_string(),
        scheme: Scheme::Bip322Simple,
        script: String::new(),
    });

    // 3. P2PKH (compressed key), bip137.
    let k3 = demo_secret(3);
    let a = Address::p2pkh(compressed(&k3), net);
    rows.push(Row {
        chain: Chain::Bitcoin,
        signature: bip137(&k3, &msg(&a.to_string()), 0),
        address: a.to_string(),
        scheme: Scheme::Bip137,
        script: String::new(),
    });

    // 4. P2SH 2-of-3 multisig, signed by keys 4 and 5.
    let (k4, k5, k6) = (demo_secret(4), demo_secret(5), demo_secret(6));
    let mut builder = ScriptBuf::builder().push_int(2);
    for k in [&k4, &k5, &k6] {
        builder = builder.push_key(&PublicKey::from(compressed(k)));
    }
    let script = builder
        .push_int(3)
        .push_opcode(OP_CHECKMULTISIG)
        .into_script();
    let a = Address::p2sh(&script, net).context("multisig redeem script too large")?;
    let m = msg(&a.to_string());
    rows.push(Row {
        chain: Chain::Bitcoin,
        signature: serde_json::to_string(&[bip137(&k4, &m, 0), bip137(&k5, &m, 0)])?,
        address: a.to_string(),
        scheme: Scheme::Multisig,
        script: hex::encode(script.as_bytes()),
    });

    // 5. P2WPKH, bip137 (header 39–42).
    let k7 = demo_secret(7);
    let a = Address::p2wpkh(&compressed(&k7), net);
    rows.push(Row {
        chain: Chain::Bitcoin,
        signature: bip137(&k7, &msg(&a.to_string()), 8),
        address: a.to_string(),
        scheme: Scheme::Bip137,
        script: String::new(),
    });

    // 6–7. Ethereum, eip191 personal_sign.
    for n in [8, 9] {
        let key = B256::from_slice(demo_secret(n).as_ref());
        let signer = PrivateKeySigner::from_bytes(&key)?;
        let address = signer.address().to_checksum(None);
        let sig = signer.sign_message_sync(msg(&address).as_bytes())?;
        rows.push(Row {
            chain: Chain::Ethereum,
            signature: format!("0x{}", hex::encode(sig.as_bytes())),
            address,
            scheme: Scheme::Eip191,
            script: String::new(),
        });
    }

    for row in &rows {
        let address = WalletAddress::parse(row.chain, &row.address, net)?;
        let script = Some(row.script.as_str()).filter(|s| !s.is_empty());
        let proof = OwnershipProof::parse(row.scheme, &row.signature, script)?;
        let verdict = ownership::verify(&address, &msg(&address.to_string()), &proof)?;
        if verdict != Verdict::Verified {
            bail!("{}: demo proof did not verify: {verdict:?}", row.address);
        }
    }

    eprintln!("sign_demo: test keys sha256(\"por demo key N\"), NOT FOR FUNDS");
    let mut out = csv::Writer::from_writer(std::io::stdout().lock());
    out.write_record(["chain", "address", "scheme", "signature", "script"])?;
    for row in &rows {
        out.write_record([
            row.chain.as_str(),
            &row.address,
            row.scheme.as_str(),
            &row.signature,
            &row.script,
        ])?;
    }
    out.flush()?;
    Ok(())
}
