//! Progress bars for long work: one style for every family's epochs and passes.

use indicatif::{ProgressBar, ProgressStyle};

/// A bar over an epoch's `steps` with the loss in its message, or a hidden one.
pub fn epoch_bar(steps: usize, epoch: usize, epochs: usize, show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    ProgressBar::new(steps as u64)
        .with_style(
            ProgressStyle::with_template("epoch {prefix} {bar:30} {pos}/{len} {elapsed_precise}<{eta_precise} {msg}")
                .expect("static template"),
        )
        .with_prefix(format!("{epoch}/{epochs}"))
}
