//! Ownership proofs: the schemes' own published vectors (tests/data/ownership/), then
//! every scheme signed here with test keys and verified, and each way a proof can be
//! wrong rejected with its message.

use std::fs;

use bitcoin::base64::Engine as _;
use bitcoin::base64::engine::general_purpose::STANDARD as B64;
use bitcoin::hashes::{Hash, sha256};
use bitcoin::opcodes::all::OP_CHECKMULTISIG;
use bitcoin::secp256k1::{Message, Secp256k1, SecretKey};
use bitcoin::sign_message::{MessageSignature, signed_msg_hash};
use bitcoin::{Address, CompressedPublicKey, Network, PrivateKey, PublicKey, ScriptBuf};
use por::ownership::{
    self, Chain, EthAddress, OwnershipError, OwnershipProof, Scheme, Verdict, WalletAddress,
};
use serde_json::Value;

const EXCHANGE: &str = "Example Exchange";
const SNAPSHOT: &str = "2026-11-21";

fn data(name: &str) -> Value {
    let path = format!("{}/tests/data/ownership/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap()
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} missing in {v}"))
}

/// Parse, then verify over an explicit message (published vectors sign their own).
fn verify_msg(
    chain: Chain,
    address: &str,
    network: Network,
    message: &str,
    scheme: Scheme,
    signature: &str,
    script: Option<&str>,
) -> Result<Verdict, OwnershipError> {
    let address = WalletAddress::parse(chain, address, network)?;
    let proof = OwnershipProof::parse(scheme, signature, script)?;
    ownership::verify(&address, message, &proof)
}

/// Parse, then verify over the FORMAT.md §5 message for this address.
fn verify_por(
    chain: Chain,
    address: &str,
    scheme: Scheme,
    signature: &str,
    script: Option<&str>,
) -> Result<Verdict, OwnershipError> {
    let message = por_message(chain, address);
    verify_msg(
        chain,
        address,
        Network::Bitcoin,
        &message,
        scheme,
        signature,
        script,
    )
}

fn por_message(chain: Chain, address: &str) -> String {
    let parsed = WalletAddress::parse(chain, address, Network::Bitcoin).unwrap();
    ownership::message(EXCHANGE, SNAPSHOT, &parsed.to_string())
}

fn err(r: Result<Verdict, OwnershipError>) -> String {
    match r {
        Ok(v) => panic!("expected a rejection, got {v:?}"),
        Err(e) => e.to_string(),
    }
}

// ---- published vectors ----------------------------------------------------------

fn run_bitcoin_vectors(file: &str, scheme: Scheme) -> usize {
    let d = data(file);
    let mut n = 0;
    for v in d["valid"].as_array().unwrap() {
        let r = verify_msg(
            Chain::Bitcoin,
            s(v, "address"),
            Network::Bitcoin,
            s(v, "message"),
            scheme,
            s(v, "signature"),
            None,
        );
        assert_eq!(r, Ok(Verdict::Verified), "{}", s(v, "source"));
        n += 1;
    }
    for v in d["invalid"].as_array().unwrap() {
        let e = err(verify_msg(
            Chain::Bitcoin,
            s(v, "address"),
            Network::Bitcoin,
            s(v, "message"),
            scheme,
            s(v, "signature"),
            None,
        ));
        assert!(
            e.contains(s(v, "error")),
            "{}\n  got: {e}\n  want: …{}…",
            s(v, "source"),
            s(v, "error")
        );
        n += 1;
    }
    n
}

#[test]
fn bip322_published_vectors() {
    assert_eq!(
        run_bitcoin_vectors("bip322_simple.json", Scheme::Bip322Simple),
        33
    );
}

#[test]
fn bip137_published_vectors() {
    assert_eq!(run_bitcoin_vectors("bip137.json", Scheme::Bip137), 17);
}

#[test]
fn bitcoin_core_message_sign_is_reproduced_by_the_test_signer() {
    // Checks the signing helper the round-trip tests below rely on.
    for v in data("bip137.json")["sign"].as_array().unwrap() {
        let sk = SecretKey::from_slice(&hex::decode(s(v, "secret_key")).unwrap()).unwrap();
        let pk = CompressedPublicKey(sk.public_key(&Secp256k1::new()));
        assert_eq!(
            Address::p2pkh(pk, Network::Bitcoin).to_string(),
            s(v, "address")
        );
        assert_eq!(
            compact_sign(&sk, s(v, "message"), true, 0),
            s(v, "signature")
        );
    }
}

#[test]
fn eip191_published_vector_and_signer() {
    use alloy::primitives::B256;
    use alloy::signers::SignerSync;
    use alloy::signers::local::PrivateKeySigner;
    for v in data("ethereum.json")["eip191"].as_array().unwrap() {
        let r = verify_msg(
            Chain::Ethereum,
            s(v, "address"),
            Network::Bitcoin,
            s(v, "message"),
            Scheme::Eip191,
            s(v, "signature"),
            None,
        );
        assert_eq!(r, Ok(Verdict::Verified), "{}", s(v, "source"));
        assert_eq!(
            ownership::eip1271_hash(s(v, "message")).to_string(),
            s(v, "hash")
        );
        let key: B256 = s(v, "secret_key").parse().unwrap();
        let signer = PrivateKeySigner::from_bytes(&key).unwrap();
        assert_eq!(signer.address().to_checksum(None), s(v, "address"));
        let sig = signer
            .sign_message_sync(s(v, "message").as_bytes())
            .unwrap();
        assert_eq!(
            format!("0x{}", hex::encode(sig.as_bytes())),
            s(v, "signature")
        );
    }
}

#[test]
fn eip55_published_vectors() {
    let d = data("ethereum.json");
    let e = &d["eip55"];
    for group in ["all_caps", "all_lower", "normal"] {
        for a in e[group].as_array().unwrap() {
            let a = a.as_str().unwrap();
            let parsed = EthAddress::parse(a).unwrap_or_else(|e| panic!("{group}: {e}"));
            let lower = format!("0x{}", a[2..].to_lowercase());
            assert_eq!(EthAddress::parse(&lower).unwrap(), parsed);
            if group == "normal" {
                assert_eq!(parsed.to_string(), a);
                // One letter's case flipped breaks the checksum.
                let pos = a.rfind(|c: char| c.is_ascii_alphabetic()).unwrap();
                let mut flipped: Vec<char> = a.chars().collect();
                flipped[pos] = if flipped[pos].is_ascii_uppercase() {
                    flipped[pos].to_ascii_lowercase()
                } else {
                    flipped[pos].to_ascii_uppercase()
                };
                let flipped: String = flipped.into_iter().collect();
                assert_eq!(
                    EthAddress::parse(&flipped).unwrap_err().to_string(),
                    format!("{flipped}: bad eip-55 checksum (the checksummed form is {a})")
                );
            }
        }
    }
}

// ---- test keys and signers ------------------------------------------------------

fn secret(label: &str) -> SecretKey {
    SecretKey::from_slice(sha256::Hash::hash(label.as_bytes()).as_byte_array()).unwrap()
}

fn pubkey(sk: &SecretKey) -> CompressedPublicKey {
    CompressedPublicKey(sk.public_key(&Secp256k1::new()))
}

/// A BIP-137 compact signature; `offset` moves the header from the P2PKH range
/// (27/31) to P2SH-P2WPKH (+4 from 31) or P2WPKH (+8 from 31).
fn compact_sign(sk: &SecretKey, message: &str, compressed: bool, offset: u8) -> String {
    let digest = Message::from_digest(signed_msg_hash(message).to_byte_array());
    let sig = Secp256k1::new().sign_ecdsa_recoverable(&digest, sk);
    let mut bytes = MessageSignature::new(sig, compressed).serialize();
    bytes[0] += offset;
    B64.encode(bytes)
}

fn bip322_sign(
    address: &Address,
    message: &str,
    keys: &[&SecretKey],
    script: Option<&ScriptBuf>,
) -> String {
    let keys: Vec<PrivateKey> = keys
        .iter()
        .map(|k| PrivateKey::new(**k, Network::Bitcoin))
        .collect();
    let witness = bip322::sign_simple(address, message, &keys, script).unwrap();
    B64.encode(bitcoin::consensus::encode::serialize(&witness))
}

fn multisig_script(m: i64, keys: &[&SecretKey]) -> ScriptBuf {
    let mut b = ScriptBuf::builder().push_int(m);
    for k in keys {
        b = b.push_key(&PublicKey::from(pubkey(k)));
    }
    b.push_int(keys.len() as i64)
        .push_opcode(OP_CHECKMULTISIG)
        .into_script()
}

fn json_list(sigs: &[String]) -> String {
    serde_json::to_string(sigs).unwrap()
}

// ---- every scheme, signed and verified -----------------------------------------

#[test]
fn bip137_all_address_kinds_and_headers() {
    let sk = secret("por test bip137");
    let pk = pubkey(&sk);
    let n = Network::Bitcoin;
    let p2pkh = Address::p2pkh(pk, n).to_string();
    let p2pkh_u = Address::p2pkh(PublicKey::new_uncompressed(pk.0), n).to_string();
    let p2wpkh = Address::p2wpkh(&pk, n).to_string();
    let p2sh_wpkh = Address::p2shwpkh(&pk, n).to_string();
    let cases = [
        (&p2pkh, true, 0),
        (&p2pkh_u, false, 0),
        (&p2sh_wpkh, true, 4),
        (&p2sh_wpkh, true, 0), // Electrum-style
        (&p2wpkh, true, 8),
        (&p2wpkh, true, 0), // Electrum-style
    ];
    for (address, compressed, offset) in cases {
        let sig = compact_sign(
            &sk,
            &por_message(Chain::Bitcoin, address),
            compressed,
            offset,
        );
        assert_eq!(
            verify_por(Chain::Bitcoin, address, Scheme::Bip137, &sig, None),
            Ok(Verdict::Verified),
            "{address} offset {offset}"
        );
    }
}

#[test]
fn bip322_simple_all_address_kinds() {
    let n = Network::Bitcoin;
    let secp = Secp256k1::new();
    let sk = secret("por test bip322");
    let pk = pubkey(&sk);
    let (a, b, c) = (secret("ms a"), secret("ms b"), secret("ms c"));
    let ws = multisig_script(2, &[&a, &b, &c]);
    let singles = [
        Address::p2wpkh(&pk, n),
        Address::p2shwpkh(&pk, n),
        Address::p2tr(&secp, pk.0.x_only_public_key().0, None, n),
    ];
    for address in &singles {
        let text = address.to_string();
        let sig = bip322_sign(address, &por_message(Chain::Bitcoin, &text), &[&sk], None);
        assert_eq!(
            verify_por(Chain::Bitcoin, &text, Scheme::Bip322Simple, &sig, None),
            Ok(Verdict::Verified),
            "{text}"
        );
        // The `smp` prefix of BIP-322 v2 is accepted too.
        assert_eq!(
            verify_por(
                Chain::Bitcoin,
                &text,
                Scheme::Bip322Simple,
                &format!("smp{sig}"),
                None
            ),
            Ok(Verdict::Verified)
        );
    }
    let p2wsh = Address::p2wsh(&ws, n);
    let text = p2wsh.to_string();
    let sig = bip322_sign(
        &p2wsh,
        &por_message(Chain::Bitcoin, &text),
        &[&c, &a],
        Some(&ws),
    );
    assert_eq!(
        verify_por(Chain::Bitcoin, &text, Scheme::Bip322Simple, &sig, None),
        Ok(Verdict::Verified)
    );
}

#[test]
fn multisig_p2sh_p2wsh_and_nested() {
    let n = Network::Bitcoin;
    let (a, b, c) = (secret("ms a"), secret("ms b"), secret("ms c"));
    let script = multisig_script(2, &[&a, &b, &c]);
    let hex_script = hex::encode(script.as_bytes());
    for address in [
        Address::p2sh(&script, n).unwrap(),
        Address::p2wsh(&script, n),
        Address::p2shwsh(&script, n),
    ] {
        let text = address.to_string();
        let msg = por_message(Chain::Bitcoin, &text);
        let sigs = [
            compact_sign(&c, &msg, true, 0),
            compact_sign(&a, &msg, true, 0),
        ];
        assert_eq!(
            verify_por(
                Chain::Bitcoin,
                &text,
                Scheme::Multisig,
                &json_list(&sigs),
                Some(&hex_script)
            ),
            Ok(Verdict::Verified),
            "{text}"
        );
        // The array as a JSON string, as a CSV cell may carry it.
        let as_string = serde_json::to_string(&json_list(&sigs)).unwrap();
        assert_eq!(
            verify_por(
                Chain::Bitcoin,
                &text,
                Scheme::Multisig,
                &as_string,
                Some(&hex_script)
            ),
            Ok(Verdict::Verified)
        );
    }
}

#[test]
fn eip191_both_v_conventions_and_high_s() {
    use alloy::primitives::{B256, U256};
    use alloy::signers::SignerSync;
    use alloy::signers::local::PrivateKeySigner;
    let key = B256::from_slice(sha256::Hash::hash(b"por test eip191").as_byte_array());
    let signer = PrivateKeySigner::from_bytes(&key).unwrap();
    let address = signer.address().to_checksum(None);
    let msg = por_message(Chain::Ethereum, &address);
    assert!(msg.ends_with(&format!("address: {address}")));
    let sig = signer.sign_message_sync(msg.as_bytes()).unwrap();
    let v27 = sig.as_bytes();
    let mut v01 = v27;
    v01[64] -= 27;
    for bytes in [v27, v01] {
        let text = format!("0x{}", hex::encode(bytes));
        assert_eq!(
            verify_por(Chain::Ethereum, &address, Scheme::Eip191, &text, None),
            Ok(Verdict::Verified)
        );
    }
    // The lower-case spelling of the address is the same address and message.
    assert_eq!(
        verify_por(
            Chain::Ethereum,
            &address.to_lowercase(),
            Scheme::Eip191,
            &format!("0x{}", hex::encode(v27)),
            None
        ),
        Ok(Verdict::Verified)
    );
    // High-s twin (n - s, parity flipped): accepted, as alloy and ecrecover do.
    let n = U256::from_str_radix(
        "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141",
        16,
    )
    .unwrap();
    let mut high = v27;
    high[32..64].copy_from_slice(&(n - sig.s()).to_be_bytes::<32>());
    high[64] = if v27[64] == 27 { 28 } else { 27 };
    assert_eq!(
        verify_por(
            Chain::Ethereum,
            &address,
            Scheme::Eip191,
            &format!("0x{}", hex::encode(high)),
            None
        ),
        Ok(Verdict::Verified)
    );
}

#[test]
fn eip1271_and_none_are_handed_back() {
    let address = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
    let r = verify_por(
        Chain::Ethereum,
        address,
        Scheme::Eip1271,
        "0xdeadbeef",
        None,
    )
    .unwrap();
    let msg = por_message(Chain::Ethereum, address);
    assert_eq!(
        r,
        Verdict::NeedsEip1271 {
            wallet: EthAddress::parse(address).unwrap(),
            hash: alloy::primitives::eip191_hash_message(&msg),
            signature: vec![0xde, 0xad, 0xbe, 0xef],
        }
    );
    assert_eq!(
        verify_por(Chain::Ethereum, address, Scheme::None, "", None),
        Ok(Verdict::Unproven)
    );
    assert_eq!(
        verify_por(
            Chain::Bitcoin,
            "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
            Scheme::None,
            "",
            None
        ),
        Ok(Verdict::Unproven)
    );
}

// ---- rejections -----------------------------------------------------------------

#[test]
fn wrong_message_is_rejected_with_the_key_and_address_it_stands_for() {
    let sk = secret("por test bip137");
    let pk = pubkey(&sk);
    let address = Address::p2wpkh(&pk, Network::Bitcoin).to_string();
    let sig = compact_sign(&sk, "some other message", true, 8);
    let e = err(verify_por(
        Chain::Bitcoin,
        &address,
        Scheme::Bip137,
        &sig,
        None,
    ));
    let prefix = format!("{address}: bip137 signature (header ");
    assert!(e.starts_with(&prefix), "{e}");
    assert!(
        e.contains(") recovers key 0") && e.contains(" whose p2wpkh address is bc1q"),
        "{e}"
    );
    assert!(e.ends_with(", not the listed address"), "{e}");
}

#[test]
fn wrong_address_is_rejected() {
    let sk = secret("por test bip137");
    let other = Address::p2wpkh(&pubkey(&secret("someone else")), Network::Bitcoin).to_string();
    let ours = Address::p2wpkh(&pubkey(&sk), Network::Bitcoin).to_string();
    let sig = compact_sign(&sk, &por_message(Chain::Bitcoin, &other), true, 8);
    let e = err(verify_por(
        Chain::Bitcoin,
        &other,
        Scheme::Bip137,
        &sig,
        None,
    ));
    assert!(
        e.contains(&format!(
            "whose p2wpkh address is {ours}, not the listed address"
        )),
        "{e}"
    );
}

#[test]
fn wrong_network_is_rejected_when_parsing_the_address() {
    let address = Address::p2wpkh(&pubkey(&secret("k")), Network::Testnet).to_string();
    let e = WalletAddress::parse(Chain::Bitcoin, &address, Network::Bitcoin).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("{address}: not a bitcoin address (wrong network)")
    );
    let e = WalletAddress::parse(
        Chain::Bitcoin,
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        Network::Bitcoin,
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed: not a bitcoin address: "),
        "{e}"
    );
}

#[test]
fn tampered_signatures_are_rejected() {
    let sk = secret("por test bip137");
    let pk = pubkey(&sk);
    let address = Address::p2pkh(pk, Network::Bitcoin).to_string();
    let sig = compact_sign(&sk, &por_message(Chain::Bitcoin, &address), true, 0);
    let mut bytes = B64.decode(&sig).unwrap();
    bytes[40] ^= 1;
    let e = err(verify_por(
        Chain::Bitcoin,
        &address,
        Scheme::Bip137,
        &B64.encode(bytes),
        None,
    ));
    assert!(
        e.starts_with(&format!("{address}: bip137 signature")),
        "{e}"
    );

    let tr = Address::p2tr(
        &Secp256k1::new(),
        pk.0.x_only_public_key().0,
        None,
        Network::Bitcoin,
    );
    let text = tr.to_string();
    let sig = bip322_sign(&tr, &por_message(Chain::Bitcoin, &text), &[&sk], None);
    let mut bytes = B64.decode(&sig).unwrap();
    bytes[10] ^= 1;
    let e = err(verify_por(
        Chain::Bitcoin,
        &text,
        Scheme::Bip322Simple,
        &B64.encode(bytes),
        None,
    ));
    assert!(
        e.starts_with(&format!("{text}: bip322-simple signature is invalid")),
        "{e}"
    );
}

#[test]
fn multisig_too_few_duplicate_foreign_and_mismatched() {
    let n = Network::Bitcoin;
    let (a, b, c) = (secret("ms a"), secret("ms b"), secret("ms c"));
    let script = multisig_script(2, &[&a, &b, &c]);
    let hex_script = hex::encode(script.as_bytes());
    let address = Address::p2sh(&script, n).unwrap().to_string();
    let msg = por_message(Chain::Bitcoin, &address);
    let check = |sigs: &[String], script: &str| {
        err(verify_por(
            Chain::Bitcoin,
            &address,
            Scheme::Multisig,
            &json_list(sigs),
            Some(script),
        ))
    };

    let e = check(&[compact_sign(&a, &msg, true, 0)], &hex_script);
    assert_eq!(
        e,
        format!("{address}: multisig signatures by 1 distinct key of the script; it needs 2")
    );

    // The same key twice (compressed and uncompressed headers) counts once.
    let e = check(
        &[
            compact_sign(&a, &msg, true, 0),
            compact_sign(&a, &msg, false, 0),
        ],
        &hex_script,
    );
    assert_eq!(
        e,
        format!("{address}: multisig signatures by 1 distinct key of the script; it needs 2")
    );

    let stranger = secret("not in the script");
    let e = check(
        &[
            compact_sign(&a, &msg, true, 0),
            compact_sign(&stranger, &msg, true, 0),
        ],
        &hex_script,
    );
    assert_eq!(
        e,
        format!(
            "{address}: multisig signature 2 recovers key {}, which is not a key of the script (wrong message or wrong key)",
            pubkey(&stranger)
        )
    );

    // A valid 2-of-3 script that is not the one behind this address.
    let other = multisig_script(2, &[&a, &b, &stranger]);
    let e = check(
        &[
            compact_sign(&a, &msg, true, 0),
            compact_sign(&b, &msg, true, 0),
        ],
        &hex::encode(other.as_bytes()),
    );
    assert_eq!(
        e,
        format!(
            "{address}: multisig script hashes to p2sh {} (p2sh-p2wsh {}), not the listed address",
            Address::p2sh(&other, n).unwrap(),
            Address::p2shwsh(&other, n)
        )
    );

    let wsh = Address::p2wsh(&script, n).to_string();
    let e = err(verify_por(
        Chain::Bitcoin,
        &wsh,
        Scheme::Multisig,
        &json_list(&[compact_sign(&a, &msg, true, 0)]),
        Some(&hex::encode(other.as_bytes())),
    ));
    assert_eq!(
        e,
        format!(
            "{wsh}: multisig script hashes to p2wsh {}, not the listed address",
            Address::p2wsh(&other, n)
        )
    );

    let e = err(verify_por(
        Chain::Bitcoin,
        &address,
        Scheme::Multisig,
        "[]",
        Some(&hex_script),
    ));
    assert_eq!(e, "multisig signature `[]`: no signatures in the list");
    let e = err(verify_por(
        Chain::Bitcoin,
        &address,
        Scheme::Multisig,
        "[]",
        None,
    ));
    assert!(
        e.ends_with("a multisig proof needs the script (hex of the redeem or witness script)"),
        "{e}"
    );
}

#[test]
fn schemes_that_do_not_fit_the_address_are_rejected() {
    let n = Network::Bitcoin;
    let pk = pubkey(&secret("k"));
    let tr = Address::p2tr(&Secp256k1::new(), pk.0.x_only_public_key().0, None, n).to_string();
    let wpkh = Address::p2wpkh(&pk, n).to_string();
    let pkh = Address::p2pkh(pk, n).to_string();
    let sig65 = B64.encode([31u8; 65]);
    let eth_sig = format!("0x{}1b", "11".repeat(64));
    let eth = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";

    let e = err(verify_por(
        Chain::Bitcoin,
        &tr,
        Scheme::Bip137,
        &sig65,
        None,
    ));
    assert_eq!(
        e,
        format!(
            "{tr}: scheme bip137 does not apply to p2tr addresses (a taproot key cannot make an ecdsa message signature; use bip322-simple)"
        )
    );
    let e = err(verify_por(
        Chain::Bitcoin,
        &wpkh,
        Scheme::Eip191,
        &eth_sig,
        None,
    ));
    assert_eq!(
        e,
        format!("{wpkh}: scheme eip191 does not apply to p2wpkh addresses (an ethereum scheme)")
    );
    let witness = B64.encode([1u8, 1, 0]);
    let e = err(verify_por(
        Chain::Bitcoin,
        &pkh,
        Scheme::Bip322Simple,
        &witness,
        None,
    ));
    assert_eq!(
        e,
        format!(
            "{pkh}: scheme bip322-simple does not apply to p2pkh addresses (the simple form has no scriptSig; use bip137)"
        )
    );
    let e = err(verify_por(
        Chain::Bitcoin,
        &wpkh,
        Scheme::Multisig,
        &json_list(std::slice::from_ref(&sig65)),
        Some("51210279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f8179851ae"),
    ));
    assert_eq!(
        e,
        format!("{wpkh}: scheme multisig does not apply to p2wpkh addresses")
    );
    let e = err(verify_por(
        Chain::Ethereum,
        eth,
        Scheme::Bip137,
        &sig65,
        None,
    ));
    assert_eq!(
        e,
        format!(
            "{eth}: scheme bip137 does not apply to ethereum addresses (use eip191 or eip1271)"
        )
    );
}

#[test]
fn eip191_wrong_signer_and_bad_v() {
    use alloy::primitives::B256;
    use alloy::signers::SignerSync;
    use alloy::signers::local::PrivateKeySigner;
    let signer = PrivateKeySigner::from_bytes(&B256::repeat_byte(7)).unwrap();
    let listed = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
    let msg = por_message(Chain::Ethereum, listed);
    let sig = signer.sign_message_sync(msg.as_bytes()).unwrap();
    let text = format!("0x{}", hex::encode(sig.as_bytes()));
    let e = err(verify_por(
        Chain::Ethereum,
        listed,
        Scheme::Eip191,
        &text,
        None,
    ));
    assert_eq!(
        e,
        format!(
            "{listed}: eip191 signature recovers signer {}, not the listed address",
            signer.address().to_checksum(None)
        )
    );
    let mut bad_v = sig.as_bytes();
    bad_v[64] = 37;
    let e = err(verify_por(
        Chain::Ethereum,
        listed,
        Scheme::Eip191,
        &format!("0x{}", hex::encode(bad_v)),
        None,
    ));
    assert!(
        e.ends_with("v is 37; personal_sign uses 27 or 28 (or 0 or 1)"),
        "{e}"
    );
    let e = err(verify_por(
        Chain::Ethereum,
        listed,
        Scheme::Eip191,
        &hex::encode(sig.as_bytes()),
        None,
    ));
    assert!(e.ends_with(": expected 0x-prefixed hex"), "{e}");
}

#[test]
fn unspendable_p2sh_redeem_script_is_rejected() {
    // 16 compressed keys: 3 + 16 × 34 = 547 bytes, over the 520-byte scriptSig push.
    let keys: Vec<SecretKey> = (0..16).map(|i| secret(&format!("big {i}"))).collect();
    let refs: Vec<&SecretKey> = keys.iter().collect();
    let script = multisig_script(1, &refs);
    assert!(
        Address::p2sh(&script, Network::Bitcoin).is_err(),
        "rust-bitcoin refuses it too"
    );
    // But the address exists: anyone can hash the script and list it.
    let spk = ScriptBuf::new_p2sh(&script.script_hash());
    let p2sh = Address::from_script(&spk, Network::Bitcoin)
        .unwrap()
        .to_string();
    let sig = json_list(&[compact_sign(
        &keys[3],
        &por_message(Chain::Bitcoin, &p2sh),
        true,
        0,
    )]);
    let e = err(verify_por(
        Chain::Bitcoin,
        &p2sh,
        Scheme::Multisig,
        &sig,
        Some(&hex::encode(script.as_bytes())),
    ));
    assert_eq!(
        e,
        format!(
            "{p2sh}: multisig redeem script is 547 bytes, over the 520-byte push limit: this p2sh address cannot be spent"
        )
    );
    // The same script wrapped in P2WSH is fine.
    let wsh = Address::p2wsh(&script, Network::Bitcoin).to_string();
    let msg = por_message(Chain::Bitcoin, &wsh);
    let sig = json_list(&[compact_sign(&keys[3], &msg, true, 0)]);
    assert_eq!(
        verify_por(
            Chain::Bitcoin,
            &wsh,
            Scheme::Multisig,
            &sig,
            Some(&hex::encode(script.as_bytes()))
        ),
        Ok(Verdict::Verified)
    );
}

mod tampering {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Any change to r or s of a valid compact signature is rejected.
        #[test]
        fn bip137_any_changed_r_or_s_byte_is_rejected(pos in 1usize..65, flip in 1u8..=255) {
            let sk = secret("por test bip137");
            let address = Address::p2wpkh(&pubkey(&sk), Network::Bitcoin).to_string();
            let sig = compact_sign(&sk, &por_message(Chain::Bitcoin, &address), true, 8);
            let mut bytes = B64.decode(&sig).unwrap();
            bytes[pos] ^= flip;
            let r = verify_por(Chain::Bitcoin, &address, Scheme::Bip137, &B64.encode(bytes), None);
            prop_assert!(r.is_err());
        }

        /// Any change to r or s of a valid personal_sign signature is rejected.
        #[test]
        fn eip191_any_changed_r_or_s_byte_is_rejected(pos in 0usize..64, flip in 1u8..=255) {
            use alloy::primitives::B256;
            use alloy::signers::SignerSync;
            use alloy::signers::local::PrivateKeySigner;
            let signer = PrivateKeySigner::from_bytes(&B256::repeat_byte(9)).unwrap();
            let address = signer.address().to_checksum(None);
            let msg = por_message(Chain::Ethereum, &address);
            let mut bytes = signer.sign_message_sync(msg.as_bytes()).unwrap().as_bytes();
            bytes[pos] ^= flip;
            let r = verify_por(Chain::Ethereum, &address, Scheme::Eip191, &format!("0x{}", hex::encode(bytes)), None);
            prop_assert!(r.is_err());
        }
    }
}
