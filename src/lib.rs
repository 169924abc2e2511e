//! por: proof-of-reserves publisher.
//!
//! Data flows one way (`scripts/module-graph.py` checks it): input → core → publish.
//! The formats are specified in `docs/spec/FORMAT.md`.
//!
//! - Primitives: [`amount`] (checked base-unit integers, exact decimals), [`time`]
//!   (RFC 3339 UTC), [`excerpt`] (bounded quotes of input in error messages),
//!   [`exit`] (the exit codes).
//! - Core: [`tree`] (the Merkle sum tree, por/1 and por/2, proofs and their
//!   verification, the proof store), [`format`](mod@format) (the published documents as types),
//!   [`ownership`] (address checks and ownership proofs per scheme), [`dispute`]
//!   (re-checking a dispute file), [`log`] (the snapshot log: checkpoints, proofs,
//!   cosignatures, the witness's decision).
//! - Input: [`config`] (the validated configuration), [`liabilities`] (the balance
//!   export), [`chains`] (one adapter per backend behind one trait per concern),
//!   [`reserves`] (reads at the snapshot block: figures and the addresses found).
//! - Publish: [`lock`] and [`publish`] (the one write path: lock, staging area,
//!   journal, atomic rename), [`snapshot`] (the tree into the store, the manifest),
//!   [`addresses`] (the address lists: JSON, CSV, DefiLlama),
//!   [`site`] (the static site), [`witness`] (`por witness serve` and the publisher's
//!   submissions to witnesses).
//! - Commands: [`job`] (run, snapshot, render, demo, proof, messages, init),
//!   [`bench`](mod@bench) (`por bench`).

#![warn(missing_docs)]

pub mod addresses;
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
pub mod log;
pub mod ownership;
pub mod progress;
pub mod publish;
pub mod reserves;
pub mod site;
pub mod snapshot;
pub mod time;
pub mod tree;
pub mod witness;
