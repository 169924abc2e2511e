//! Helpers shared by the integration tests: a local HTTP server that speaks
//! canned replies, real anvil nodes, proof tampering, throwaway PostgreSQL clusters
//! and Parquet files.

pub mod anvil;
pub mod cli;
pub mod http_server;
pub mod parquet;
pub mod postgres;
pub mod proofs;
