//! References in equipment writes.
