//! Helpers shared by the integration tests: a local HTTP server that speaks
//! canned replies, and real anvil nodes.

pub mod anvil;
pub mod cli;
pub mod http_server;
