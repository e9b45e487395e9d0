//! One resampler and one streaming log-mel frontend per distinct frontend configuration, feeding every model
//! that declared it.
//!
//! Why: four of the shipped models were trained on the same 16 kHz, 64-band frontend; computing it once instead
//! of once per model is most of the engine's own (non-ONNX) work, in the plugin and in `earmark analyze` alike.
//! The frames are the same either way (same configuration, same samples), so sharing changes no readout.

use super::EngineError;
use super::pipeline::ModelPipeline;
use super::readout::ModelReadout;
use super::resample::StreamResampler;
use crate::frontend::{FrontendConfig, StreamingFrontend};

/// A frontend and the models it feeds (indices into the engine's pipelines).
pub struct SharedFrontend {
    resampler: Option<StreamResampler>,
    frontend: StreamingFrontend,
    members: Vec<usize>,
}

impl SharedFrontend {
    /// A frontend for audio at `host_rate`, feeding no model yet.
    pub fn new(config: &FrontendConfig, host_rate: u32) -> Result<Self, EngineError> {
        let resampler = if host_rate == config.sample_rate {
            None
        } else {
            Some(StreamResampler::new(host_rate, config.sample_rate)?)
        };
        Ok(Self { resampler, frontend: StreamingFrontend::new(config)?, members: Vec::new() })
    }

    /// Its configuration.
    pub fn config(&self) -> &FrontendConfig {
        self.frontend.config()
    }

    /// Feeds the pipeline at `index` too.
    pub fn add_member(&mut self, index: usize) {
        self.members.push(index);
    }

    /// Feeds host-rate mono samples; every frame goes to each member; `on_update(model index, readout)` follows
    /// every inference.
    pub fn feed(
        &mut self,
        samples: &[f32],
        pipelines: &mut [ModelPipeline],
        on_update: &mut impl FnMut(usize, &ModelReadout),
    ) {
        let Self { resampler, frontend, members, .. } = self;
        let mut to_frames = |block: &[f32]| {
            frontend.push(block, |frame| {
                for &i in members.iter() {
                    pipelines[i].on_frame(frame, |r| on_update(i, r));
                }
            });
        };
        match resampler {
            Some(resampler) => resampler.push(samples, &mut to_frames),
            None => to_frames(samples),
        }
    }

    /// Ends a finite stream: the frontend's padded last frames go to the members still waiting for their first
    /// readout, then each member finishes (see [`ModelPipeline::finish`]).
    pub fn finish(&mut self, pipelines: &mut [ModelPipeline], on_update: &mut impl FnMut(usize, &ModelReadout)) {
        let waiting: Vec<usize> = self.members.iter().copied().filter(|&i| pipelines[i].awaits_end()).collect();
        if waiting.is_empty() {
            return;
        }
        self.frontend.finish(|frame| {
            for &i in &waiting {
                pipelines[i].on_frame(frame, |r| on_update(i, r));
            }
        });
        for &i in &waiting {
            pipelines[i].finish(|r| on_update(i, r));
        }
    }

    /// Forgets the stream (transport restart): resampler and frontend state.
    pub fn reset(&mut self) {
        if let Some(resampler) = &mut self.resampler {
            resampler.reset();
        }
        self.frontend.reset();
    }
}
