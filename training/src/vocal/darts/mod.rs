//! EmotionNAS' spectrogram stream: a differentiable architecture search (DARTS, Liu et al. 2019) over
//! convolutional cells, and the derived network trained from scratch (paper §2.1, §3.3).

pub mod cells;
pub mod genotype;
pub mod network;
pub mod ops;
pub mod search;
