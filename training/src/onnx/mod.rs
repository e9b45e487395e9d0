//! Our own ONNX exporter: burn-onnx cannot export LSTM/GRU, Softmax, Transpose or reductions over a dimension,
//! fixes the batch size and writes unused parameters (see `../shared/stack-notes.md`), so the training crate
//! writes ONNX itself: prost message structs ([`proto`]) and a graph builder ([`graph`]); the per-layer emitters
//! for the trained architectures build on it.

pub mod emit;
pub mod graph;
pub mod proto;
