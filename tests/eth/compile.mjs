// Compiles the Solidity test contracts in tests/eth/contracts/ with the pinned npm
// `solc` into tests/data/eth/<Name>.json ({contract, compiler, abi, bytecode}), the
// artifacts the Rust tests deploy to anvil.
//
//   node tests/eth/compile.mjs          write the artifacts
//   node tests/eth/compile.mjs --check  exit 1 if the committed artifacts differ
//
// Output is deterministic: fixed source unit names, fixed settings, no metadata hash.
import { readFileSync, readdirSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const solc = require('solc');

const here = dirname(fileURLToPath(import.meta.url));
const contractsDir = join(here, 'contracts');
const outDir = join(here, '..', 'data', 'eth');
const check = process.argv.includes('--check');

const sources = {};
for (const file of readdirSync(contractsDir).filter((f) => f.endsWith('.sol')).sort()) {
  sources[`contracts/${file}`] = { content: readFileSync(join(contractsDir, file), 'utf8') };
}

const input = {
  language: 'Solidity',
  sources,
  settings: {
    evmVersion: 'cancun',
    optimizer: { enabled: true, runs: 200 },
    metadata: { bytecodeHash: 'none' },
    outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
  },
};

const output = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (output.errors || []).filter((e) => e.severity === 'error');
for (const e of output.errors || []) console.error(e.formattedMessage);
if (errors.length > 0) process.exit(1);

const expected = new Map();
for (const [unit, contracts] of Object.entries(output.contracts)) {
  for (const [name, c] of Object.entries(contracts)) {
    // One artifact per file, named after the contract declared in it.
    if (name !== basename(unit, '.sol')) continue;
    const artifact = {
      contract: name,
      source: `tests/eth/${unit}`,
      compiler: `solc ${solc.version()}`,
      abi: c.abi,
      bytecode: `0x${c.evm.bytecode.object}`,
    };
    expected.set(`${name}.json`, JSON.stringify(artifact, null, 2) + '\n');
  }
}

if (check) {
  const stale = [];
  for (const [file, text] of expected) {
    const path = join(outDir, file);
    if (!existsSync(path) || readFileSync(path, 'utf8') !== text) stale.push(`tests/data/eth/${file}`);
  }
  if (stale.length > 0) {
    console.error(`stale artifacts (run node tests/eth/compile.mjs): ${stale.join(', ')}`);
    process.exit(1);
  }
  console.log(`artifacts up to date: ${[...expected.keys()].join(', ')}`);
} else {
  mkdirSync(outDir, { recursive: true });
  for (const [file, text] of expected) writeFileSync(join(outDir, file), text);
  console.log(`wrote ${[...expected.keys()].map((f) => `tests/data/eth/${f}`).join(', ')}`);
}
