//! Witnesses over the network (c2sp.org/tlog-witness), both halves:
//!
//! - [`server`]: `por witness serve`, a witness anyone can run. It keeps the latest
//!   cosigned size and root per configured log in a state folder ([`state`]), flushed
//!   to disk before it answers, and takes every decision in the pure core
//!   ([`crate::log::witness::add_checkpoint`]); requests are decided one at a time, so
//!   checking the old size and recording the new one are atomic.
//! - [`client`]: the publisher's side: submit a checkpoint to every configured witness
//!   (retrying once from the size a witness says it has, on `409`), keep only the
//!   cosignatures that verify, and say for each witness that did not cosign why.

pub mod client;
pub mod server;
pub mod state;

pub use client::{Submission, Target, submit_all};
pub use server::{Running, Witness, spawn};

use std::path::PathBuf;

/// Why a witness could not start or keep its state.
#[derive(Debug, thiserror::Error)]
pub enum WitnessError {
    /// A state file or the key file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A state file is not what this witness wrote.
    #[error(
        "{path}: corrupt witness state: {message}; refusing to start (a witness that forgot what it cosigned could be made to cosign a fork)"
    )]
    Corrupt {
        /// The state file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Another process serves from the same state folder.
    #[error("{0}")]
    Lock(#[from] crate::lock::LockError),
    /// A key is malformed or of the wrong type.
    #[error("{0}")]
    Key(#[from] crate::log::LogError),
    /// The listener could not be set up.
    #[error("{address}: {message}")]
    Listen {
        /// The address asked for.
        address: String,
        /// The OS or runtime error.
        message: String,
    },
}
