//! End-to-end tests: the real Claude Code client, a scripted fake model, blastwall as its hook.
//! How to run and how to add a scenario: tests/e2e/README.md.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    unreachable_pub,
    reason = "test code: a failed expectation is a failed test"
)]

mod fake_model;
mod harness;
mod probe;
