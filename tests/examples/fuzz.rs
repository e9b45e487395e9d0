//! The CLAP fuzz harness for as long as you like:
//! `cargo build -p earmark && cargo run -p earmark-e2e --example fuzz -- [--seconds S] [--seed N] [--models DIR]`.
//! Runs seeds of 16 activations each, one after another (from `--seed`, default: from the clock), until the time
//! is spent, printing
//! each seed's report; the first failure stops it with the seed to rerun. The plugin is the debug build
//! beside this example (`target/debug/libearmark.so`), so an allocation in `process()` aborts the run.

use std::time::{Duration, Instant};

use earmark_e2e::fuzz::{FuzzConfig, fuzz};

/// Activations per seed.
const ACTIVATIONS: usize = 16;

fn main() {
    let mut seconds = 60.0f64;
    let mut seed = None;
    let mut models = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage(&format!("{arg} needs a value")));
        match arg.as_str() {
            "--seconds" => seconds = value().parse().unwrap_or_else(|_| usage("--seconds takes a number")),
            "--seed" => seed = Some(value().parse().unwrap_or_else(|_| usage("--seed takes an integer"))),
            "--models" => models = Some(std::path::PathBuf::from(value())),
            _ => usage(&format!("unknown argument {arg}")),
        }
    }
    let mut seed = seed.unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_secs())
    });
    let started = Instant::now();
    let deadline = Duration::from_secs_f64(seconds);
    let mut runs = 0;
    while started.elapsed() < deadline {
        let config = FuzzConfig { seed, activations: ACTIVATIONS, models: models.clone() };
        match fuzz(&config) {
            Ok(report) => println!("seed {seed}: ok — {report:?}"),
            Err(failure) => {
                eprintln!("FAILED: {failure}");
                std::process::exit(1);
            }
        }
        runs += 1;
        seed += 1;
    }
    println!("{runs} seeds, {:.0} s, no failure", started.elapsed().as_secs_f64());
}

fn usage(problem: &str) -> ! {
    eprintln!("error: {problem}\nusage: fuzz [--seconds S] [--seed N] [--models DIR]");
    std::process::exit(2)
}
