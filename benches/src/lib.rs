//! Shared helpers for the Postroom benchmarks.
