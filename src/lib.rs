//! por: proof-of-reserves publisher.
//!
//! - [`tree`]: the Merkle sum tree, inclusion proofs and their verification (pure).
//! - [`liabilities`]: the exchange's balance export, parsed and validated.
//! - [`chains`]: on-chain reserves, one module per backend.
//! - [`ownership`]: address ownership proofs (signatures) per scheme.
//! - [`site`]: the static transparency site.
//! - [`publish`]: the one write path (staging area, lock, journal, rename).
//! - [`job`]: the commands that write, end to end; [`exit`]: their exit codes.
//! - [`excerpt`]: bounded quotes of input values in error messages.

pub mod amount;
pub mod bench;
pub mod chains;
pub mod config;
pub mod dispute;
pub mod excerpt;
pub mod exit;
pub mod format;
pub mod job;
pub mod liabilities;
pub mod lock;
pub mod ownership;
pub mod publish;
pub mod reserves;
pub mod site;
pub mod snapshot;
pub mod time;
pub mod tree;
