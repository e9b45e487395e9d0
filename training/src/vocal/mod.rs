//! Vocal emotion with EmotionNAS (`../shared/papers/emotionnas-darts-speech-emotion.txt`): a DARTS-searched
//! convolutional stream over a fixed-size spectrogram, a recurrent stream over frame features with attention
//! pooling, and a small perceptron fusing the two streams' class probabilities. Trained on EmoDB and RAVDESS
//! with speaker-independent folds; exported as one ONNX graph the plugin runs on vocal tracks.

pub mod augment;
pub mod cli;
pub mod darts;
pub mod data;
pub mod export;
pub mod frames;
pub mod fusion;
pub mod input;
pub mod pipeline;
pub mod report;
pub mod train;
