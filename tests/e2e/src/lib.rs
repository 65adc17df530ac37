//! See tests/desktop.rs.
