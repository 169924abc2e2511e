#!/usr/bin/env python3
"""Regenerates the por demo data set (SYNTHETIC DEMO DATA, NOT FOR FUNDS).

Writes, next to this script:
  liabilities/<id>.csv   a fictitious exchange's account balances
  wallets/<id>.csv       its addresses with ownership proofs
  chain-fixture.json     an offline, synthetic chain history for both chains

Deterministic: a fixed random seed, and signatures that are deterministic
(RFC 6979 / BIP-340 without aux randomness), so running it twice gives the same
bytes. Python 3 standard library only.

The signatures come from `cargo run --example sign_demo` (keys are
sha256("por demo key N"), public test keys), run from the repository root; pass
--sign-demo-bin PATH to use an already built example binary instead.

    python3 demo/generate.py [--sign-demo-bin target/debug/examples/sign_demo]

Reserves are sized from the generated liabilities so that, at each snapshot block,
every asset's VERIFIED reserves exceed its liabilities by 2-15 %.
tests/demo_data.rs checks all of this against the Rust code.
"""

import argparse
import calendar
import csv
import hashlib
import io
import json
import os
import random
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

EXCHANGE = "Demo Exchange (fictitious)"
SNAPSHOTS = ["2026-09-21", "2026-10-21", "2026-11-21"]
SEED = 20260921

# Configured order (demo/por.toml): symbol, decimals.
ASSETS = [("BTC", 8), ("ETH", 18), ("USDT", 6), ("USDC", 6)]
USDT = "0xdAC17F958D2ee523a2206206994597C13D831ec7"
USDC = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"

FIXTURE_LABEL = "por chain fixture — recorded/synthetic data, NOT live chain data"

# Verified reserves over liabilities, per snapshot and asset (all within 2-15 %).
MARGINS = {
    "2026-09-21": {"BTC": 0.071, "ETH": 0.043, "USDT": 0.118, "USDC": 0.036},
    "2026-10-21": {"BTC": 0.052, "ETH": 0.089, "USDT": 0.064, "USDC": 0.027},
    "2026-11-21": {"BTC": 0.094, "ETH": 0.031, "USDT": 0.047, "USDC": 0.112},
}

# Labels for sign_demo's rows, in its output order.
LABELS = [
    "cold",                      # P2WPKH, bip322-simple
    "cold (taproot)",            # P2TR, bip322-simple
    "legacy",                    # P2PKH, bip137
    "cold (2-of-3 multisig)",    # P2SH multisig
    "hot",                       # P2WPKH, bip137
    "hot",                       # Ethereum, eip191
    "cold",                      # Ethereum, eip191
]
UNPROVEN_LABEL = "exchange-claimed, unproven"

# Share of each asset's verified reserves per address, by sign_demo row index.
BTC_SHARES = {0: 0.42, 1: 0.23, 2: 0.04, 3: 0.26, 4: 0.05}
ETH_SHARES = {5: 0.18, 6: 0.82}
USDT_SHARES = {5: 0.31, 6: 0.69}
USDC_SHARES = {5: 0.12, 6: 0.88}


# --- Keccak-256 (for EIP-55 spelling; hashlib's sha3_256 pads differently) -------

_RC = [
    0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
    0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
    0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
    0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
    0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
]
_ROT = [[0, 36, 3, 41, 18], [1, 44, 10, 45, 2], [62, 6, 43, 15, 61],
        [28, 55, 25, 21, 56], [27, 20, 39, 8, 14]]
_M = (1 << 64) - 1


def _rol(v, n):
    return ((v << n) | (v >> (64 - n))) & _M if n else v


def _keccak_f(a):
    for rc in _RC:
        c = [a[x][0] ^ a[x][1] ^ a[x][2] ^ a[x][3] ^ a[x][4] for x in range(5)]
        d = [c[(x - 1) % 5] ^ _rol(c[(x + 1) % 5], 1) for x in range(5)]
        a = [[a[x][y] ^ d[x] for y in range(5)] for x in range(5)]
        b = [[0] * 5 for _ in range(5)]
        for x in range(5):
            for y in range(5):
                b[y][(2 * x + 3 * y) % 5] = _rol(a[x][y], _ROT[x][y])
        a = [[b[x][y] ^ ((~b[(x + 1) % 5][y]) & b[(x + 2) % 5][y]) for y in range(5)]
             for x in range(5)]
        a[0][0] ^= rc
    return a


def keccak256(data):
    rate = 136
    msg = bytearray(data) + b"\x01"
    while len(msg) % rate:
        msg.append(0)
    msg[-1] |= 0x80
    a = [[0] * 5 for _ in range(5)]
    for off in range(0, len(msg), rate):
        block = msg[off:off + rate]
        for i in range(rate // 8):
            x, y = i % 5, i // 5
            a[x][y] ^= int.from_bytes(block[8 * i:8 * i + 8], "little")
        a = _keccak_f(a)
    out = b"".join(a[i % 5][i // 5].to_bytes(8, "little") for i in range(4))
    return out


def eip55(addr):
    h = addr.lower().removeprefix("0x")
    digest = keccak256(h.encode()).hex()
    return "0x" + "".join(c.upper() if int(digest[i], 16) >= 8 else c
                          for i, c in enumerate(h))


assert keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
assert eip55(USDT.lower()) == USDT
assert eip55(USDC.lower()) == USDC

# The unproven address: 20 bytes of sha256 of a fixed text (nobody's key).
UNPROVEN = eip55("0x" + hashlib.sha256(b"por demo unproven address").hexdigest()[:40])


# --- Amounts -----------------------------------------------------------------------

def human(units, decimals):
    """Base units as a human decimal, trailing fractional zeros trimmed."""
    if decimals == 0:
        return str(units)
    q, r = divmod(units, 10 ** decimals)
    if r == 0:
        return str(q)
    frac = str(r).rjust(decimals, "0").rstrip("0")
    return f"{q}.{frac}"


# --- Liabilities -------------------------------------------------------------------

SPECIAL_UIDS = [
    "alice.tan+por@example.com",
    "ops-treasury@demo-exchange.invalid",
    "ユーザー-0042",
    "Zoë Müller",
    "李雷-7",
    "market-maker:01",
]


def account_pool(rng):
    pool = {}
    for n in range(1, 461):
        pool[f"acct-{n:06d}"] = None
    for uid in SPECIAL_UIDS:
        pool[uid] = None
    uids = list(pool)
    # Whales: large holders of one or more assets.
    whales = set(rng.sample(uids[:460], 9)) | {"market-maker:01"}
    # Each account's character: which assets it tends to hold.
    profiles = {}
    for uid in uids:
        profiles[uid] = {
            "BTC": rng.random() < 0.7,
            "ETH": rng.random() < 0.55,
            "USDT": rng.random() < 0.6,
            "USDC": rng.random() < 0.35,
            "whale": uid in whales,
        }
    return uids, profiles


def balance(rng, symbol, profile):
    """One account's balance in base units."""
    if not profile[symbol] or rng.random() < 0.08:
        return 0
    whale = profile["whale"] and rng.random() < 0.8
    if symbol == "BTC":
        if whale:
            return rng.randrange(120, 900) * 10 ** 8 + rng.randrange(10 ** 8)
        # 0.00001 .. ~3 BTC, satoshi precision
        return int(10 ** rng.uniform(3, 8.5))
    if symbol == "ETH":
        if whale:
            return rng.randrange(1500, 9000) * 10 ** 18 + rng.randrange(10 ** 9) * 10 ** 9
        # gwei precision, 0.001 .. ~60 ETH
        return int(10 ** rng.uniform(6, 10.8)) * 10 ** 9
    if whale:
        return rng.randrange(800_000, 6_000_000) * 10 ** 6 + rng.randrange(100) * 10 ** 4
    cents = int(10 ** rng.uniform(0, 6.7))  # 0.01 .. ~50 000
    return cents * 10 ** 4 + (rng.randrange(10 ** 4) if rng.random() < 0.2 else 0)


def liabilities(rng, uids, profiles):
    """{id: [(uid, {symbol: units})]} with accounts joining and leaving."""
    numbered = [u for u in uids if u.startswith("acct-")]
    active = set(rng.sample(numbered, 330)) | set(SPECIAL_UIDS[:3])
    out = {}
    for i, sid in enumerate(SNAPSHOTS):
        if i > 0:
            leaving = rng.sample(sorted(active), 18 + 7 * i)
            joining = rng.sample(sorted(set(numbered) - active), 30 + 5 * i)
            active = (active - set(leaving)) | set(joining)
            active |= set(SPECIAL_UIDS[: 3 + 1 + i])  # special ones arrive over time
        rows = []
        for uid in sorted(active, key=lambda u: (not u.startswith("acct-"), u)):
            p = profiles[uid]
            rows.append((uid, {s: balance(rng, s, p) for s, _ in ASSETS}))
        # A few accounts with nothing at all (they can still check their leaf).
        zeroed = {uid for uid, _ in rng.sample(rows, 4)}
        rows = [(u, {s: 0 for s, _ in ASSETS}) if u in zeroed and not profiles[u]["whale"]
                else (u, b) for u, b in rows]
        rng.shuffle(rows)  # exports are rarely sorted
        out[sid] = rows
    return out


def write_liabilities(sid, rows, columns):
    path = os.path.join(HERE, "liabilities", f"{sid}.csv")
    decimals = dict(ASSETS)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["uid"] + columns)
        for n, (uid, bal) in enumerate(rows):
            cells = []
            for s in columns:
                text = human(bal[s], decimals[s])
                # Some exports pad stablecoins to 2 decimals; the parser accepts it.
                if s in ("USDT", "USDC") and n % 5 == 0 and "." not in text:
                    text += ".00"
                cells.append(text)
            w.writerow([uid] + cells)


# --- Wallets -----------------------------------------------------------------------

def sign_demo(sid, binary):
    args = ["--exchange", EXCHANGE, "--snapshot", sid]
    if binary:
        cmd = [binary] + args
    else:
        cmd = ["cargo", "run", "--quiet", "--example", "sign_demo", "--"] + args
    out = subprocess.run(cmd, cwd=REPO, check=True, capture_output=True, text=True).stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    if len(rows) != len(LABELS):
        sys.exit(f"sign_demo printed {len(rows)} rows, expected {len(LABELS)}")
    return rows


def write_wallets(sid, signed):
    path = os.path.join(HERE, "wallets", f"{sid}.csv")
    rows = [["chain", "address", "label", "scheme", "signature", "script"]]
    for r, label in zip(signed, LABELS):
        rows.append([r["chain"], r["address"], label, r["scheme"], r["signature"], r["script"]])
    rows.append(["ethereum", UNPROVEN, UNPROVEN_LABEL, "none", "", ""])
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    # The multisig cell (a JSON array with quotes and commas) must round-trip.
    with open(path, newline="", encoding="utf-8") as f:
        assert list(csv.reader(f)) == rows, f"{path} does not round-trip"
    return rows[1:]


# --- Chain fixture -----------------------------------------------------------------

def unix(date, hh=0, mm=0, ss=0):
    y, m, d = map(int, date.split("-"))
    return calendar.timegm((y, m, d, hh, mm, ss))


def block_hash(chain, height, eth):
    h = hashlib.sha256(f"por demo {chain} block {height}".encode()).hexdigest()
    return "0x" + h if eth else h


def chain_blocks(chain, spacing, before, after, offsets):
    """Heights 0..tip (the block search needs every height): for each snapshot date,
    `before` blocks up to `offsets[sid]` seconds before midnight and `after` blocks
    after it. Returns (blocks, {sid: snapshot height})."""
    blocks, pinned = [], {}
    for sid in SNAPSHOTS:
        midnight = unix(sid)
        last = midnight - offsets[sid]
        for k in range(before - 1, -1, -1):
            blocks.append(last - k * spacing)
        pinned[sid] = len(blocks) - 1
        first_after = midnight + spacing - offsets[sid] if offsets[sid] < spacing else midnight + 1
        for k in range(after):
            blocks.append(first_after + k * spacing)
    eth = chain == "ethereum"
    return ([{"height": h, "hash": block_hash(chain, h, eth), "time": t}
             for h, t in enumerate(blocks)], pinned)


def split(total, shares):
    """`total` base units over `shares` {key: fraction}; the last key takes the rest."""
    keys = list(shares)
    parts = {k: int(total * shares[k]) for k in keys[:-1]}
    parts[keys[-1]] = total - sum(parts.values())
    return parts


def history(points):
    """[(height_from, units)] -> fixture history, dropping repeats."""
    out = []
    for h, v in sorted(points):
        if out and out[-1][1] == str(v):
            continue
        out.append([h, str(v)])
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sign-demo-bin", help="path to a built sign_demo example binary")
    args = ap.parse_args()

    rng = random.Random(SEED)
    uids, profiles = account_pool(rng)
    liab = liabilities(rng, uids, profiles)

    os.makedirs(os.path.join(HERE, "liabilities"), exist_ok=True)
    os.makedirs(os.path.join(HERE, "wallets"), exist_ok=True)
    symbols = [s for s, _ in ASSETS]
    for sid in SNAPSHOTS:
        # One export writes its columns in another order (allowed: columns are by name).
        columns = ["ETH", "USDC", "BTC", "USDT"] if sid == "2026-10-21" else symbols
        write_liabilities(sid, liab[sid], columns)

    totals = {sid: {s: sum(b[s] for _, b in liab[sid]) for s in symbols} for sid in SNAPSHOTS}

    wallets = {sid: write_wallets(sid, sign_demo(sid, args.sign_demo_bin)) for sid in SNAPSHOTS}
    first = wallets[SNAPSHOTS[0]]
    for sid in SNAPSHOTS:
        assert [r[1] for r in wallets[sid]] == [r[1] for r in first], "addresses change"
    btc_addrs = [r[1] for r in first if r[0] == "bitcoin"]
    eth_addrs = [r[1] for r in first if r[0] == "ethereum"]
    idx = {r[1]: i for i, r in enumerate(first)}

    # Bitcoin ~10 min, one block exactly at midnight on 2026-10-21; Ethereum 12 s.
    btc_blocks, btc_pin = chain_blocks(
        "bitcoin", 600, 6, 6, {"2026-09-21": 227, "2026-10-21": 0, "2026-11-21": 481})
    eth_blocks, eth_pin = chain_blocks(
        "ethereum", 12, 5, 5, {"2026-09-21": 7, "2026-10-21": 1, "2026-11-21": 11})

    btc_points = {a: [] for a in btc_addrs}
    native_points = {a: [] for a in eth_addrs}
    token_points = {USDT: {a: [] for a in eth_addrs}, USDC: {a: [] for a in eth_addrs}}
    report = {}
    for n, sid in enumerate(SNAPSHOTS):
        m = MARGINS[sid]
        reserves = {s: totals[sid][s] + totals[sid][s] * round(m[s] * 1000) // 1000 for s in symbols}
        bh, eh = btc_pin[sid], eth_pin[sid]
        # Set 3 blocks before the snapshot block, moved 2 blocks after it: a read that
        # is not pinned to the snapshot block sees other amounts.
        for i, v in split(reserves["BTC"], BTC_SHARES).items():
            a = first[i][1]
            btc_points[a].append((bh - 3, v))
            btc_points[a].append((bh + 2, v - v // (7 + i) if i % 2 else v + v // (9 + i)))
        for sym, shares, points in [("ETH", ETH_SHARES, native_points),
                                    ("USDT", USDT_SHARES, token_points[USDT]),
                                    ("USDC", USDC_SHARES, token_points[USDC])]:
            for i, v in split(reserves[sym], shares).items():
                a = first[i][1]
                points[a].append((eh - 3, v))
                points[a].append((eh + 2, v - v // 5 if i == 5 else v + v // 11))
        # The unproven address: USDT (and a little ETH) the exchange claims without proof.
        unproven_usdt = (1_750_000 + 250_000 * n) * 10 ** 6
        token_points[USDT][UNPROVEN].append((eh - 3, unproven_usdt))
        token_points[USDT][UNPROVEN].append((eh + 2, unproven_usdt // 2))
        native_points[UNPROVEN].append((eh - 3, (40 + 5 * n) * 10 ** 18))
        if n == 0:
            # Emptied 4 blocks after the first snapshot block, refilled before the
            # second: the demo's reserves updates of 2026-09-28..10-12 raise a
            # `drained` alert for it (it is unproven, so solvency is unchanged).
            token_points[USDT][UNPROVEN].append((eh + 4, 0))
            native_points[UNPROVEN].append((eh + 4, 0))
        report[sid] = (reserves, unproven_usdt, bh, eh)
    # Genesis-era funding: the first entries start at height 0 for some addresses.
    for a in btc_addrs[:2]:
        btc_points[a].append((0, 10 ** 8 * (3 + idx[a])))
    native_points[eth_addrs[0]].append((0, 10 ** 18))

    fixture = {
        "fixture": FIXTURE_LABEL,
        "bitcoin": {
            "network": "bitcoin",
            "tip": btc_blocks[-1]["height"],
            "blocks": btc_blocks,
            "balances": {a: history(p) for a, p in btc_points.items()},
        },
        "ethereum": {
            "chain_id": 1,
            "tip": eth_blocks[-1]["height"],
            "blocks": eth_blocks,
            "native": {a: history(p) for a, p in native_points.items() if p},
            "erc20": {t: {a: history(p) for a, p in holders.items() if p}
                      for t, holders in token_points.items()},
        },
    }
    with open(os.path.join(HERE, "chain-fixture.json"), "w", encoding="utf-8") as f:
        json.dump(fixture, f, indent=1, ensure_ascii=False)
        f.write("\n")

    for sid in SNAPSHOTS:
        reserves, unproven_usdt, bh, eh = report[sid]
        print(f"{sid}: {len(liab[sid])} accounts, bitcoin height {bh}, ethereum height {eh}")
        for s, d in ASSETS:
            ratio = reserves[s] * 10 ** 4 // totals[sid][s]
            print(f"  {s:5} liabilities {human(totals[sid][s], d):>28}  reserves "
                  f"{human(reserves[s], d):>28}  ratio {ratio // 10 ** 4}.{ratio % 10 ** 4:04d}")
        print(f"  unproven USDT {human(unproven_usdt, 6)}, unproven ETH {40 + 5 * SNAPSHOTS.index(sid)}")


if __name__ == "__main__":
    main()
