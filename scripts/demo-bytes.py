#!/usr/bin/env python3
"""Compares what two `por` builds publish for the bundled demo, file by file.

A refactor must not change a published byte. The demo draws fresh salts on every
run (FORMAT.md §2), so everything that hashes them (tree roots, manifest hashes, the
hash chain, log checkpoints and their signatures, proofs) differs between any two
runs, even of one build. So each file is compared twice: raw, and with those
run-random values masked (every 64-hex-digit hash, every base64 hash or signature of
32+ bytes, a hash's 16-digit prefix on a page), which must then be identical.

    python3 scripts/demo-bytes.py OLD_POR NEW_POR     # two `por` binaries
Exit 1 when a file exists on one side only or differs after masking.
"""
import hashlib
import pathlib
import re
import subprocess
import sys
import tempfile

HEX = re.compile(rb"\b[0-9a-f]{64}\b")
# A page shows a hash's first 16 digits and an ellipsis (`d74a1e7945f7b364…`).
SHORT = re.compile(rb"\b[0-9a-f]{16}\xe2\x80\xa6")
B64 = re.compile(rb"[A-Za-z0-9+/]{43,}={0,2}")


def demo(por: str, out: pathlib.Path) -> dict[str, bytes]:
    subprocess.run([por, "demo", "--out", str(out)], check=True, capture_output=True)
    files = {}
    for sub in ("snapshots", "public"):
        for p in sorted((out / sub).rglob("*")):
            if p.is_file() and p.name != ".por.lock":
                files[str(p.relative_to(out))] = p.read_bytes()
    return files


def masked(b: bytes) -> bytes:
    return B64.sub(b"<b64>", SHORT.sub(b"<short>", HEX.sub(b"<hash>", b)))


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    with tempfile.TemporaryDirectory() as t:
        old = demo(sys.argv[1], pathlib.Path(t) / "old")
        new = demo(sys.argv[2], pathlib.Path(t) / "new")
    only = sorted(set(old) ^ set(new))
    raw_same = [f for f in old if f in new and old[f] == new[f]]
    mask_same = [f for f in old if f in new and old[f] != new[f] and masked(old[f]) == masked(new[f])]
    differ = [f for f in old if f in new and masked(old[f]) != masked(new[f])]
    digest = hashlib.sha256(b"".join(masked(new[f]) for f in sorted(new))).hexdigest()
    print(f"{len(old)} files before, {len(new)} after")
    print(f"byte-identical: {len(raw_same)}")
    print(f"identical once run-random hashes are masked: {len(mask_same)}")
    print(f"digest of every masked file (after): {digest}")
    for f in only:
        print(f"on one side only: {f}")
    for f in differ:
        print(f"differs: {f}")
    return 1 if only or differ else 0


if __name__ == "__main__":
    sys.exit(main())
