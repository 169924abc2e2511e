//! Helpers shared by the integration tests: a local HTTP server that speaks
//! canned replies, real anvil nodes, proof tampering, throwaway PostgreSQL clusters,
//! Parquet files and the spec's vectors.

pub mod anvil;
pub mod cli;
pub mod http_server;
pub mod parquet;
pub mod postgres;
pub mod proofs;
pub mod vectors;
