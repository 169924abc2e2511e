//! The one integration-test binary (as cargo and ripgrep do): one module per area,
//! so the dependency tree is linked once instead of once per file.

mod support;

mod bad_input;
mod bip127_wallets;
mod bitcoin_core_rpc;
mod bitcoin_esplora;
mod bitcoind_regtest;
mod chain_fixture;
mod cli_core;
mod cli_ops;
mod demo_data;
mod ethereum_anvil;
mod evm_batch;
mod evm_chains;
mod faults;
mod liabilities_sources;
mod log_vectors;
mod operator_safety;
mod ownership;
mod postgres_source;
mod reserves_anvil;
mod site_render;
mod site_updates;
mod tree_properties;
mod vectors;
mod vectors_v2;
mod watch;
mod witness_log;
