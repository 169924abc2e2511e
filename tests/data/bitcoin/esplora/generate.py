#!/usr/bin/env python3
"""Regenerates the synthetic Esplora history in history-3-pages/ (deterministic).

Shapes follow Blockstream/esplora API.md ("Transaction format") and what electrs'
REST server serializes; the values (txids, heights, hashes, witnesses) are synthetic.
The expected balances in history-3-pages/expected.json are computed here, in Python,
independently of the Rust code under test (a small differential check).

Run from this folder: python3 generate.py
"""
import hashlib
import json
import os

ADDR = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"  # BIP-173 test vector
SPK = "0014751e76e8199196d454941c45d1b3a323f1433bd6"
ASM = "OP_0 OP_PUSHBYTES_20 751e76e8199196d454941c45d1b3a323f1433bd6"
OTHER_ADDR = "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3"
OTHER_SPK = "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262"
OTHER_ASM = "OP_0 OP_PUSHBYTES_32 1863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262"
PKH_ADDR = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
PKH_SPK = "76a91462e907b15cbf27d5425399ebf6f0fb50ebb88f1888ac"
PKH_ASM = "OP_DUP OP_HASH160 OP_PUSHBYTES_20 62e907b15cbf27d5425399ebf6f0fb50ebb88f18 OP_EQUALVERIFY OP_CHECKSIG"

SNAPSHOT = 870000
EARLY = 869150


def h(label):
    return hashlib.sha256(label.encode()).hexdigest()


def block_hash(height):
    # Leading zeros like a real mainnet hash; synthetic value.
    return "00000000000000000001" + h(f"block {height}")[20:]


def block_time(height):
    return 1_730_000_000 + (height - 860_000) * 600


def out(kind, value):
    spk, asm, typ, addr = {
        "addr": (SPK, ASM, "v0_p2wpkh", ADDR),
        "other": (OTHER_SPK, OTHER_ASM, "v0_p2wsh", OTHER_ADDR),
        "pkh": (PKH_SPK, PKH_ASM, "p2pkh", PKH_ADDR),
    }[kind]
    return {
        "scriptpubkey": spk,
        "scriptpubkey_asm": asm,
        "scriptpubkey_type": typ,
        "scriptpubkey_address": addr,
        "value": value,
    }


def vin(prev_txid, prev_vout, prevout, label):
    sig = "30440220" + h(label + "r") + "0220" + h(label + "s") + "01"
    pub = "02" + h(label + "pub")
    return {
        "txid": prev_txid,
        "vout": prev_vout,
        "prevout": prevout,
        "scriptsig": "",
        "scriptsig_asm": "",
        "witness": [sig, pub],
        "is_coinbase": False,
        "sequence": 4294967293,
    }


def tx(label, height, ins, outs, confirmed=True):
    t = {
        "txid": h("tx " + label),
        "version": 2,
        "locktime": 0,
        "vin": ins,
        "vout": outs,
        "size": 113 + 68 * len(ins) + 31 * len(outs),
        "weight": 4 * (41 + 31 * len(outs)) + 271 * len(ins),
        "fee": 1410 * len(ins),
        "status": {"confirmed": False},
    }
    if confirmed:
        t["status"] = {
            "confirmed": True,
            "block_height": height,
            "block_hash": block_hash(height),
            "block_time": block_time(height),
        }
    return t


def foreign_in(label, value):
    return vin(h("funding " + label), 1, out("pkh", value), label)


txs = []  # oldest first
t1 = tx("t1 receive 1 btc", 869000, [foreign_in("t1", 100_002_000)], [out("addr", 100_000_000), out("pkh", 590)])
t2 = tx("t2 receive 0.5 btc", 869100, [foreign_in("t2", 50_001_500)], [out("addr", 50_000_000)])
t3 = tx("t3 spend t1 before snapshot", 869200,
        [vin(t1["txid"], 0, out("addr", 100_000_000), "t3")],
        [out("other", 60_000_000), out("addr", 39_998_590)])
txs += [t1, t2, t3]
for i in range(50):
    height = 869300 + i * 13
    txs.append(tx(f"filler {i}", height, [foreign_in(f"filler {i}", 50_000 + i)], [out("other", 40_000), out("addr", 1_000 + i)]))
ta = tx("ta receive at snapshot block", SNAPSHOT, [foreign_in("ta", 20_000)], [out("addr", 12_345)])
tb = tx("tb spend t2 after snapshot", SNAPSHOT + 1,
        [vin(t2["txid"], 0, out("addr", 50_000_000), "tb")],
        [out("other", 49_998_590)])
tc = tx("tc receive after snapshot", SNAPSHOT + 5, [foreign_in("tc", 5_000)], [out("addr", 777)])
unconfirmed = tx("unconfirmed receive", None, [foreign_in("u", 9_000)], [out("addr", 8_888)], confirmed=False)
txs += [ta, tb, tc, unconfirmed]

newest_first = list(reversed(txs))
assert len(newest_first) == 57


def balance(at):
    total = 0
    for t in txs:
        st = t["status"]
        if not st["confirmed"] or st["block_height"] > at:
            continue
        total += sum(o["value"] for o in t["vout"] if o["scriptpubkey"] == SPK)
        total -= sum(i["prevout"]["value"] for i in t["vin"] if i["prevout"] and i["prevout"]["scriptpubkey"] == SPK)
    return total


os.makedirs("history-3-pages", exist_ok=True)
pages = [newest_first[0:25], newest_first[25:50], newest_first[50:], []]
for n, page in enumerate(pages, 1):
    with open(f"history-3-pages/page-{n}.json", "w") as f:
        json.dump(page, f, indent=1)
        f.write("\n")
expected = {
    "address": ADDR,
    "scriptpubkey": SPK,
    "pages": [[p[-1]["txid"] if p else None for p in pages]][0],
    "snapshot": {"height": SNAPSHOT, "hash": block_hash(SNAPSHOT), "time": block_time(SNAPSHOT)},
    "early": {"height": EARLY, "hash": block_hash(EARLY), "time": block_time(EARLY)},
    "balance_at_snapshot": str(balance(SNAPSHOT)),
    "balance_at_early": str(balance(EARLY)),
    "note": "balance at snapshot = t1 + t2 - t1 (spent by t3) + t3 change + 50 fillers + ta; "
            "tb spends t2 after the snapshot so t2 still counts; tc is after; the unconfirmed tx is ignored",
}
with open("history-3-pages/expected.json", "w") as f:
    json.dump(expected, f, indent=1)
    f.write("\n")
print(expected["balance_at_snapshot"], expected["balance_at_early"])
