//! The coordinator's pages: intake by lottery.
