#!/usr/bin/env python3
"""The import graph of the library's top-level modules, from `crate::` paths.

Data should flow one way: input (liabilities, chains) -> core (tree, ownership,
reserves arithmetic) -> publish (manifest, address files, site). This prints every
edge `a -> b` (a uses crate::b), then every edge that points against the declared
layer order below, every cycle, and every output stage that reads the whole config
(NO_CONFIG). Exit 1 when there is any of them.

    python3 scripts/module-graph.py          # summary
    python3 scripts/module-graph.py --dot    # Graphviz, for a picture
"""
import pathlib
import re
import sys

SRC = pathlib.Path(__file__).resolve().parent.parent / "src"

# Lower layers must not use higher ones. Modules in one layer may use each other
# only without forming a cycle.
LAYERS = [
    ["amount", "excerpt", "time", "exit", "progress"],  # primitives
    ["format", "tree", "ownership", "log"],          # pure core and its types
    ["config", "liabilities", "chains"],             # input and adapters
    ["reserves", "dispute"],                         # core over inputs
    ["lock", "publish", "snapshot", "addresses", "site", "witness"],  # the write path and outputs
    ["job", "bench"],                                # commands end to end
]
LAYER = {m: i for i, layer in enumerate(LAYERS) for m in layer}

# Stages that get plain values of their own from the job, never the whole config:
# only the commands (`job`, `bench`) read `Config` and hand each stage what it needs.
NO_CONFIG = ["publish", "snapshot", "addresses", "site", "witness", "dispute"]

USE = re.compile(r"\bcrate::([a-z_][a-z0-9_]*)")


def module_of(path: pathlib.Path) -> str | None:
    rel = path.relative_to(SRC)
    if rel.parts[0] in ("lib.rs", "main.rs"):
        return None
    return rel.parts[0].removesuffix(".rs")


def edges() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in sorted(SRC.rglob("*.rs")):
        m = module_of(path)
        if m is None:
            continue
        text = path.read_text()
        # Unit tests may reach anywhere; comments (doc links) are not dependencies.
        text = text.split("#[cfg(test)]")[0]
        text = re.sub(r"//.*", "", text)
        graph.setdefault(m, set())
        for used in USE.findall(text):
            if used != m:
                graph[m].add(used)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    return sorted(
        (a, b) for a in graph for b in graph[a] if a < b and a in graph.get(b, set())
    )


def main() -> int:
    graph = edges()
    if "--dot" in sys.argv:
        print("digraph por {")
        for a in sorted(graph):
            for b in sorted(graph[a]):
                print(f'  "{a}" -> "{b}";')
        print("}")
        return 0
    unknown = sorted(m for m in graph if m not in LAYER)
    back = sorted(
        (a, b)
        for a in graph
        for b in graph[a]
        if a in LAYER and b in LAYER and LAYER[b] > LAYER[a]
    )
    for a in sorted(graph):
        print(f"{a} -> {', '.join(sorted(graph[a])) or '(nothing)'}")
    print()
    for m in unknown:
        print(f"not in a layer: {m} (add it to LAYERS in {pathlib.Path(__file__).name})")
    for a, b in back:
        print(f"back-edge: {a} (layer {LAYER[a]}) uses {b} (layer {LAYER[b]})")
    for a, b in cycles(graph):
        print(f"cycle: {a} <-> {b}")
    configured = sorted(m for m in NO_CONFIG if "config" in graph.get(m, set()))
    for m in configured:
        print(f"config reaches a stage: {m} uses crate::config (give it its own settings type)")
    bad = bool(unknown or back or cycles(graph) or configured)
    print("one-way: yes" if not bad else "one-way: no")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
