//! Static site rendering: not yet written.
