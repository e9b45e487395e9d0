//! The options every training run shares, flattened into each family's arguments so they read and behave the
//! same everywhere: where results go, the feature cache, the seed, resuming and progress bars.

use std::path::PathBuf;

use clap::Args;

/// `--run --cache --seed --resume --quiet`.
#[derive(Debug, Args, Clone)]
pub struct RunArgs {
    /// Run folder: per-fold results, checkpoints and tables go here (default `runs/<family>`).
    #[arg(long = "run", value_name = "DIR")]
    pub folder: Option<PathBuf>,
    /// Feature cache folder (log-mel features keyed by the frontend configuration).
    #[arg(long, default_value = "target/feature-cache")]
    pub cache: PathBuf,
    /// Seed of every random choice (folds, initial weights, data order, masks, dropout).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Continue an interrupted run: keep what the run folder holds from a run with the same settings (finished
    /// folds, checkpoints) and do only the rest.
    #[arg(long)]
    pub resume: bool,
    /// No progress bars (logs, CI): one line per epoch instead.
    #[arg(long)]
    pub quiet: bool,
}

impl RunArgs {
    /// The run folder: the one given, else `runs/<family>`.
    pub fn folder(&self, family: &str) -> PathBuf {
        self.folder.clone().unwrap_or_else(|| PathBuf::from("runs").join(family))
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Command {
        #[command(flatten)]
        run: RunArgs,
    }

    #[test]
    fn the_run_folder_defaults_to_the_familys_and_flags_parse_as_before() {
        let defaults = Command::parse_from(["x"]).run;
        assert_eq!(defaults.folder("genre"), PathBuf::from("runs/genre"));
        assert_eq!((defaults.seed, defaults.resume, defaults.quiet), (1, false, false));
        assert_eq!(defaults.cache, PathBuf::from("target/feature-cache"));
        let given = Command::parse_from(["x", "--run", "/tmp/r", "--seed", "7", "--resume", "--quiet"]).run;
        assert_eq!(given.folder("genre"), PathBuf::from("/tmp/r"));
        assert_eq!((given.seed, given.resume, given.quiet), (7, true, true));
    }
}
