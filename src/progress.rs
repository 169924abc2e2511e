//! Progress of the long phases of a snapshot (reading the liabilities, the leaf
//! order, the proof store, the tree, the publication), reported through one small
//! callback so the library never draws anything itself: the binary shows a bar per
//! phase on a terminal (and nothing under cron), the bench times each phase.

/// A phase of the snapshot job, in the order they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// `por bench` only: writing its synthetic input.
    Input,
    /// Reading and validating the liabilities (units: input bytes, when known).
    Liabilities,
    /// Reading reserves on chain.
    Reserves,
    /// The proof store's uid index written (and freed from memory).
    Index,
    /// The snapshot secret drawn and the tree's shape worked out.
    Layout,
    /// The proof store's accounts (units: accounts).
    Accounts,
    /// The tree: leaves hashed and spooled by key, then folded in key order, then the
    /// levels above (units: leaves, counted once in each of the two passes).
    Tree,
    /// The manifest, the store flushed to disk and both moved into place.
    Publish,
    /// `por bench` only: its own measurements after the job (the SHA-256 limit, proof
    /// lookups).
    Measure,
}

impl Phase {
    /// A short label for a progress bar.
    pub fn label(self) -> &'static str {
        match self {
            Phase::Input => "bench input",
            Phase::Liabilities => "liabilities",
            Phase::Reserves => "reserves",
            Phase::Index => "uid index",
            Phase::Layout => "tree shape",
            Phase::Accounts => "proof store",
            Phase::Tree => "tree",
            Phase::Publish => "publish",
            Phase::Measure => "measurements",
        }
    }
}

/// Receives the phases of a job as they run. Called from worker threads too.
pub trait Progress: Sync {
    /// `phase` begins (the previous one, if any, has ended); `total` is its units of
    /// work when known.
    fn start(&self, phase: Phase, total: Option<u64>);
    /// `n` more units of the current phase are done.
    fn advance(&self, n: u64);
    /// Within [`Phase::Reserves`]: `total` listed addresses on chain `chain` are to be
    /// read.
    fn chain_start(&self, _chain: &str, _total: u64) {}
    /// Within [`Phase::Reserves`]: `n` more addresses of `chain` are read and their
    /// proofs checked.
    fn chain_advance(&self, _chain: &str, _n: u64) {}
}

/// Reports nothing.
pub struct Silent;

impl Progress for Silent {
    fn start(&self, _phase: Phase, _total: Option<u64>) {}
    fn advance(&self, _n: u64) {}
}
