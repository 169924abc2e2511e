//! Address ownership proofs (FORMAT.md §5): not yet written.
