//! Earmark's training crate: datasets, trainers and the ONNX exporter. It depends on `earmark-core` for the
//! frontend (so a model sees in training exactly what it sees in the plugin) and never on nice-plug or egui.

pub mod backend_io;
pub mod catalog;
pub mod command_error;
pub mod conv;
pub mod data;
pub mod emotion;
pub mod feature_cache;
pub mod genre;
#[cfg(test)]
mod gradient_check;
pub mod instruments;
pub mod metrics;
pub mod norm;
pub mod norm_pool;
pub mod onnx;
pub mod recurrent;
pub mod report;
pub mod synth;
pub mod train;
pub mod vocal;
