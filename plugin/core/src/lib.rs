//! Earmark's shared core: what the plugin, the offline `earmark` binary and the training crate have in common.
//!
//! It lives in its own crate (inside `plugin/`) so that training can depend on it without building nice-plug
//! or egui, while the plugin and the offline analyser use the very same frontend, manifests and runtime.

pub mod audio;
pub mod combine;
pub mod demo_clip;
pub mod engine;
pub mod frontend;
pub mod manifest;
pub mod model;
pub mod model_cache;
pub mod runtime;
pub mod speaker;
pub mod voicing;
