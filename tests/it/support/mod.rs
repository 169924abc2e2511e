//! Helpers shared by the integration tests: a local HTTP server that speaks
//! canned replies, real anvil nodes, and proof tampering.

pub mod anvil;
pub mod cli;
pub mod http_server;
pub mod proofs;
