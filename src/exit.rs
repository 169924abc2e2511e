//! The exit codes of every `por` command, documented once (README, `--help`). Cron,
//! systemd and CI read them, so each means exactly one thing.

/// What a command's exit code tells the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExitCode {
    /// 0: everything done and every check passed (solvent, every address verified,
    /// a proof valid).
    Ok = 0,
    /// 1: done and published, but a check failed: an asset is short, an address's
    /// ownership proof failed, too few witnesses cosigned, or (for `verify`) the
    /// proof is rejected.
    CheckFailed = 1,
    /// 2: nothing published: bad config or input, chain or I/O error, another
    /// command holds the lock, or an unexpected internal error.
    NothingPublished = 2,
    /// 3: the snapshot was published but the site was not rendered; running the
    /// same `por run --id <id>` again renders it.
    SiteNotRendered = 3,
}

impl ExitCode {
    /// The process exit status.
    pub fn code(self) -> u8 {
        self as u8
    }
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(c: ExitCode) -> Self {
        std::process::ExitCode::from(c.code())
    }
}
