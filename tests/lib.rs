//! Workspace-level end-to-end tests live in `tests/tests/`; this library only gives them a crate to belong to.
