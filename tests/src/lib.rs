//! The end-to-end package: its tests live in e2e/ (one test binary).
