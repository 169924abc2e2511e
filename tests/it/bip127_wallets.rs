//! Whole-wallet Bitcoin proofs (FORMAT.md §5, scheme `bip127`) end to end: `por run`
//! against a local server speaking the Esplora protocol (`/tx/:txid`,
//! `/tx/:txid/outspend/:vout`, blocks, address histories), with proof-of-reserves
//! PSBTs made in the test with generated keys (`support/psbt.rs`) for a single-key
//! P2WPKH wallet and a 2-of-3 P2WSH wallet. Valid proofs count in `reserves` and list
//! their inputs' addresses in `addresses.json`; an input spent before the snapshot
//! block, another message, a missing signature and another snapshot's PSBT prove
//! nothing, are named in the run summary, and the run exits 1.

use crate::support::cli::*;
use crate::support::http_server::{Reply, TestServer};
use crate::support::psbt::{Spend, Utxo, commitment, proof_psbt};

use bitcoin::{Address, Network};
use serde_json::{Value, json};
use std::path::Path;

const ID: &str = "2026-11-21";
const AS_OF: &str = "2026-11-21T00:00:00Z";
const EXCHANGE: &str = "Example Exchange";
const HEIGHT: u64 = 870_000;
/// The one wallets-file address (scheme none, empty history).
const LISTED: &str = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq";

fn hash(n: u64) -> String {
    format!("{n:064x}")
}

fn message(id: &str, wallet: &str) -> String {
    format!("Proof of reserves\nexchange: {EXCHANGE}\nsnapshot: {id}\naddress: {wallet}")
}

/// How the chain has one claimed output at the snapshot block.
#[derive(Clone, Copy)]
enum State {
    Unspent,
    /// Spent by a transaction confirmed this many blocks before the snapshot block.
    SpentBefore(u64),
    /// Spent, but only after the snapshot block.
    SpentAfter,
    /// Confirmed only after the snapshot block.
    ConfirmedAfter,
}

/// An Esplora-protocol server with the snapshot block, the listed address's empty
/// history and the claimed outputs.
fn serve(utxos: &[(&Utxo, State)]) -> TestServer {
    let server = TestServer::start();
    let block = hash(0xb10c);
    let time = por::time::Timestamp::parse_rfc3339(AS_OF).unwrap().0 - 600;
    server.route(
        "GET",
        "/api/blocks/tip/height",
        [Reply::ok((HEIGHT + 5).to_string())],
    );
    server.route(
        "GET",
        &format!("/api/block-height/{HEIGHT}"),
        [Reply::ok(block.clone())],
    );
    server.route(
        "GET",
        &format!("/api/block/{block}"),
        [Reply::json(
            200,
            json!({"id": block, "height": HEIGHT, "timestamp": time}).to_string(),
        )],
    );
    server.route(
        "GET",
        &format!("/api/address/{LISTED}/txs/chain"),
        [Reply::json(200, "[]")],
    );
    for (u, state) in utxos {
        let txid = u.outpoint.txid.to_string();
        let mut vout: Vec<Value> = (0..u.outpoint.vout)
            .map(|_| json!({"scriptpubkey": "51", "value": 1}))
            .collect();
        vout.push(json!({
            "scriptpubkey": u.txout.script_pubkey.to_hex_string(),
            "value": u.txout.value.to_sat(),
        }));
        let status = |h: u64| json!({"confirmed": true, "block_height": h, "block_hash": hash(h)});
        let confirmed = match state {
            State::ConfirmedAfter => HEIGHT + 1,
            _ => HEIGHT - 100,
        };
        server.route(
            "GET",
            &format!("/api/tx/{txid}"),
            [Reply::json(
                200,
                json!({"txid": txid, "vin": [], "vout": vout, "status": status(confirmed)})
                    .to_string(),
            )],
        );
        let spend = match state {
            State::Unspent | State::ConfirmedAfter => json!({"spent": false}),
            State::SpentBefore(n) => {
                json!({"spent": true, "txid": hash(0x5e17), "vin": 0, "status": status(HEIGHT - n)})
            }
            State::SpentAfter => {
                json!({"spent": true, "txid": hash(0x5e17), "vin": 0, "status": status(HEIGHT + 2)})
            }
        };
        server.route(
            "GET",
            &format!("/api/tx/{txid}/outspend/{}", u.outpoint.vout),
            [Reply::json(200, spend.to_string())],
        );
    }
    server
}

/// A config over `server` with one `[[bip127]]` entry per wallet name, and the inputs
/// (liabilities of `liabilities_btc`, the one-row wallets file).
fn setup(d: &Path, server: &TestServer, wallets: &[&str], liabilities_btc: &str) {
    std::fs::create_dir_all(d.join("psbt").join(ID)).unwrap();
    std::fs::write(
        d.join("liabilities.csv"),
        format!("uid,BTC\nuser-1,{liabilities_btc}\n"),
    )
    .unwrap();
    std::fs::write(
        d.join("wallets.csv"),
        format!("chain,address,label,scheme,signature\nbitcoin,{LISTED},hot,none,\n"),
    )
    .unwrap();
    let entries: String = wallets
        .iter()
        .map(|w| format!("[[bip127]]\nwallet = \"{w}\"\npsbt = \"psbt/{{id}}/{w}.psbt\"\nlabel = \"{w} wallet\"\nnetwork = \"mainnet\"\n\n"))
        .collect();
    std::fs::write(
        d.join("por.toml"),
        format!(
            r#"exchange = "{EXCHANGE}"

[[assets]]
symbol = "BTC"
decimals = 8
chain = "bitcoin"

[liabilities]
path = "liabilities.csv"

[wallets]
path = "wallets.csv"

[chains]
timeout_secs = 5
attempts = 1

[chains.bitcoin]
network = "mainnet"
height = {HEIGHT}

[[chains.bitcoin.endpoints]]
kind = "esplora"
url = "{}/api"

{entries}[output]
snapshots = "snapshots"
site = "public"
private = "private"
"#,
            server.url()
        ),
    )
    .unwrap();
}

fn write_psbt(d: &Path, wallet: &str, psbt: &bitcoin::psbt::Psbt, base64: bool) {
    let path = d.join("psbt").join(ID).join(format!("{wallet}.psbt"));
    if base64 {
        std::fs::write(path, format!("{psbt}\n")).unwrap();
    } else {
        std::fs::write(path, psbt.serialize()).unwrap();
    }
}

fn run_json(d: &Path) -> (Option<i32>, Value, String) {
    let o = run(d, &["--id", ID, "--as-of", AS_OF, "--json"]);
    let summary = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
    (o.status.code(), summary, stderr(&o))
}

fn addresses(d: &Path) -> Value {
    serde_json::from_slice(
        &std::fs::read(d.join(format!("snapshots/{ID}/addresses.json"))).unwrap(),
    )
    .unwrap()
}

fn address_of(u: &Utxo) -> String {
    Address::from_script(&u.txout.script_pubkey, Network::Bitcoin)
        .unwrap()
        .to_string()
}

fn entry<'a>(list: &'a Value, address: &str) -> &'a Value {
    list["addresses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["address"] == address)
        .unwrap_or_else(|| panic!("{address} not in addresses.json"))
}

#[test]
fn p2wpkh_and_2_of_3_p2wsh_wallets_are_counted_and_listed() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let single = [Utxo::p2wpkh(11, 50_000), Utxo::p2wpkh(12, 20_000)];
    let multi = [Utxo::p2wsh_2of3([21, 22, 23], 70_000)];
    let server = serve(&[
        (&single[0], State::Unspent),
        (&single[1], State::SpentAfter),
        (&multi[0], State::Unspent),
    ]);
    setup(d, &server, &["cold-single", "cold-multisig"], "0.001");
    // The single-key wallet's signer finalizes; the multisig coordinator hands out
    // partial signatures by keys 21 and 23 of 21, 22, 23.
    let p1 = proof_psbt(
        &message(ID, "cold-single"),
        &single,
        Spend::Final,
        &[&[11], &[12]],
    );
    let p2 = proof_psbt(
        &message(ID, "cold-multisig"),
        &multi,
        Spend::Partial,
        &[&[23, 21]],
    );
    write_psbt(d, "cold-single", &p1, false);
    write_psbt(d, "cold-multisig", &p2, true);

    let (code, summary, err) = run_json(d);
    assert_eq!(code, Some(0), "{err}\n{summary}");
    assert_eq!(summary["failed_addresses"], json!([]));
    assert_eq!(summary["assets"][0]["reserves"], "140000");
    assert_eq!(summary["assets"][0]["unproven_reserves"], "0");

    let m = manifest(d, ID);
    for w in ["cold-single", "cold-multisig"] {
        let name = format!("bip127/{w}.psbt");
        let bytes = std::fs::read(d.join(format!("snapshots/{ID}/{name}"))).unwrap();
        assert_eq!(
            m.files.get(&name),
            Some(&sha(&bytes)),
            "{name} listed with its hash"
        );
        // Published as binary BIP-174, the proof as signed.
        let published = bitcoin::psbt::Psbt::deserialize(&bytes).unwrap();
        assert_eq!(
            published,
            if w == "cold-single" {
                p1.clone()
            } else {
                p2.clone()
            }
        );
    }
    let list = addresses(d);
    for (u, wallet) in [
        (&single[0], "cold-single"),
        (&single[1], "cold-single"),
        (&multi[0], "cold-multisig"),
    ] {
        let e = entry(&list, &address_of(u));
        assert_eq!(e["chain"], "bitcoin");
        assert_eq!(e["label"], format!("{wallet} wallet"));
        assert_eq!(
            e["holdings"],
            json!([{"asset": "BTC", "amount": u.txout.value.to_sat().to_string()}])
        );
        assert_eq!(
            e["ownership"],
            json!({"scheme": "bip127", "wallet": wallet, "message": message(ID, wallet), "verified": true})
        );
    }
    assert_eq!(entry(&list, LISTED)["ownership"]["scheme"], "none");

    // The site renders and re-checks the published snapshot, bip127 folder included.
    let o = run(d, &["--id", ID, "--as-of", AS_OF]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        d.join(format!("public/snapshots/{ID}/bip127/cold-multisig.psbt"))
            .is_file()
    );
    let page = std::fs::read_to_string(d.join("public/addresses.html")).unwrap();
    assert!(
        page.contains("bip127 · cold-multisig"),
        "the address page names the wallet"
    );

    // `por messages` gives each wallet's message and the commitment input to spend.
    let config = d.join("por.toml");
    let o = por(&[
        "messages",
        "--config",
        config.to_str().unwrap(),
        "--id",
        ID,
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let lines: Vec<Value> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let m = lines
        .iter()
        .find(|l| l["address"] == "cold-multisig")
        .unwrap();
    assert_eq!(m["message"], message(ID, "cold-multisig"));
    assert_eq!(m["scheme"], "bip127");
    assert_eq!(
        m["commitment"],
        format!("{}:0", commitment(&message(ID, "cold-multisig")))
    );
}

#[test]
fn spent_wrong_challenge_unsigned_and_old_proofs_prove_nothing() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let good = [Utxo::p2wpkh(31, 90_000)];
    let spent = [
        Utxo::p2wpkh(32, 10_000),
        Utxo::p2wpkh(33, 5_000),
        Utxo::p2wpkh(41, 7_000),
    ];
    let wrong = [Utxo::p2wsh_2of3([34, 35, 36], 11_000)];
    let unsigned = [Utxo::p2wsh_2of3([37, 38, 39], 12_000)];
    let old = [Utxo::p2wpkh(40, 13_000)];
    let server = serve(&[
        (&good[0], State::Unspent),
        (&spent[0], State::SpentBefore(1)),
        (&spent[1], State::Unspent),
        (&spent[2], State::ConfirmedAfter),
        (&wrong[0], State::Unspent),
        (&unsigned[0], State::Unspent),
        (&old[0], State::Unspent),
    ]);
    setup(
        d,
        &server,
        &["good", "spent", "wrong", "unsigned", "old"],
        "0.0009",
    );
    write_psbt(
        d,
        "good",
        &proof_psbt(&message(ID, "good"), &good, Spend::Final, &[&[31]]),
        false,
    );
    write_psbt(
        d,
        "spent",
        &proof_psbt(
            &message(ID, "spent"),
            &spent,
            Spend::Final,
            &[&[32], &[33], &[41]],
        ),
        false,
    );
    let other_exchange = message(ID, "wrong").replace(EXCHANGE, "Other Exchange");
    write_psbt(
        d,
        "wrong",
        &proof_psbt(&other_exchange, &wrong, Spend::Final, &[&[34, 36]]),
        false,
    );
    // Only one of the two signatures a 2-of-3 needs.
    write_psbt(
        d,
        "unsigned",
        &proof_psbt(
            &message(ID, "unsigned"),
            &unsigned,
            Spend::Partial,
            &[&[38]],
        ),
        true,
    );
    write_psbt(
        d,
        "old",
        &proof_psbt(&message("2026-10-21", "old"), &old, Spend::Final, &[&[40]]),
        false,
    );

    let (code, summary, err) = run_json(d);
    assert_eq!(code, Some(1), "{err}\n{summary}");
    // Proven: the good wallet and the unspent input of the spent one; held but not
    // proven: the other wallets' outputs; the spent and the late outputs hold nothing.
    assert_eq!(summary["assets"][0]["reserves"], "95000");
    assert_eq!(
        summary["assets"][0]["unproven_reserves"],
        (11_000 + 12_000 + 13_000).to_string()
    );
    let failed = summary["failed_addresses"].as_array().unwrap();
    let reason = |u: &Utxo| -> String {
        let a = address_of(u);
        let f = failed
            .iter()
            .find(|f| f["address"] == a)
            .unwrap_or_else(|| panic!("{a} not named among the failures: {failed:?}"));
        assert_eq!(f["scheme"], "bip127");
        f["reason"].as_str().unwrap().to_string()
    };
    assert_eq!(failed.len(), 5, "{failed:?}");
    let r = reason(&spent[2]);
    assert!(
        r.ends_with("proves nothing: not confirmed at the snapshot block"),
        "{r}"
    );
    let r = reason(&spent[0]);
    assert!(
        r.starts_with("spent: input 1 (")
            && r.contains(&format!(
                "spent by {} at height {}",
                hash(0x5e17),
                HEIGHT - 1
            )),
        "{r}"
    );
    let r = reason(&wrong[0]);
    assert!(
        r.starts_with("wrong: bip127 input 0 spends ") && r.contains("made for another message"),
        "{r}"
    );
    let r = reason(&unsigned[0]);
    assert!(r.ends_with("1 of the 3 keys signed, 2 required"), "{r}");
    let r = reason(&old[0]);
    assert!(
        r.starts_with("old: bip127 input 0 spends ") && r.contains("another message"),
        "{r}"
    );

    let list = addresses(d);
    assert_eq!(
        entry(&list, &address_of(&good[0]))["ownership"]["verified"],
        true
    );
    assert_eq!(
        entry(&list, &address_of(&spent[1]))["ownership"]["verified"],
        true
    );
    let e = entry(&list, &address_of(&spent[0]));
    assert_eq!(e["ownership"]["verified"], false);
    assert_eq!(e["holdings"][0]["amount"], "0");
    let e = entry(&list, &address_of(&unsigned[0]));
    assert_eq!(
        (&e["ownership"]["verified"], &e["holdings"][0]["amount"]),
        (&json!(false), &json!("12000"))
    );
}

#[test]
fn a_missing_or_bad_psbt_a_doubly_claimed_address_or_a_bad_name_is_one_error_line() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    // An output paying the wallets file's own address, claimed again by the proof.
    let mut listed = Utxo::p2wpkh(50, 1_000);
    listed.txout.script_pubkey = LISTED
        .parse::<Address<_>>()
        .unwrap()
        .assume_checked()
        .script_pubkey();
    let server = serve(&[(&listed, State::Unspent)]);
    setup(d, &server, &["cold"], "0");
    let o = run(d, &["--id", ID, "--as-of", AS_OF]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = error_line(&o);
    assert!(
        e.contains(&format!(
            "psbt/{ID}/cold.psbt: bip127[0]: cannot read the psbt of bip127 wallet cold"
        )),
        "{e}"
    );
    assert!(!d.join(format!("snapshots/{ID}")).exists());

    std::fs::write(
        d.join(format!("psbt/{ID}/cold.psbt")),
        "cHNidP8BAAoCAAAAAAA=\n",
    )
    .unwrap();
    let o = run(d, &["--id", ID, "--as-of", AS_OF]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        error_line(&o).contains(
            "bip127[0]: bip127 signature `cHNidP8BAAoCAAAAAAA=`: not a valid base64 psbt"
        ),
        "{}",
        error_line(&o)
    );

    write_psbt(
        d,
        "cold",
        &proof_psbt(&message(ID, "cold"), &[listed], Spend::Final, &[&[]]),
        false,
    );
    let o = run(d, &["--id", ID, "--as-of", AS_OF]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        error_line(&o).ends_with(&format!(
            "bip127[0]: bip127 wallet cold claims {LISTED}, which is also listed by line 2 of the wallets file"
        )),
        "{}",
        error_line(&o)
    );

    replace_in(
        &d.join("por.toml"),
        "wallet = \"cold\"",
        "wallet = \"Cold Wallet\"",
    );
    let o = run(d, &["--id", ID, "--as-of", AS_OF]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(error_line(&o).ends_with("bip127[0].wallet: \"Cold Wallet\": a wallet name is 1 to 64 characters of a-z 0-9 . _ -, starting with a letter or digit"), "{}", error_line(&o));
    assert!(!d.join(format!("snapshots/{ID}")).exists());
}
