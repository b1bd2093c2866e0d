//! Internal categories.
