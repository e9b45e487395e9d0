//! The repository keeps its promises: CI runs the README's test command, the README explains every dependency,
//! and the training crate builds without the plugin's GUI stack.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The fenced `sh` commands of the README's "Set up on a fresh machine" section.
fn setup_commands() -> Vec<String> {
    let readme = read("README.md");
    let section =
        readme.split("## Set up on a fresh machine").nth(1).expect("set-up section").split("\n## ").next().unwrap();
    section.split("```sh").skip(1).map(|block| block.split("```").next().unwrap().trim().to_string()).collect()
}

#[test]
fn readme_has_the_two_setup_commands_and_ci_runs_the_test_one() {
    let commands = setup_commands();
    assert_eq!(commands, ["cargo xtask demo", "cargo xtask test"]);
    let ci = read(".ci/run");
    // The command itself, possibly piped into a log (`cargo xtask test 2>&1 | tee …`), not a variant of it.
    let runs = |line: &str| line.trim() == commands[1] || line.trim().starts_with(&format!("{} 2>&1 |", commands[1]));
    assert!(ci.lines().any(runs), ".ci/run must run `{}`", commands[1]);
}

#[test]
fn readme_explains_every_dependency() {
    let readme = read("README.md");
    let table = readme.split("## Dependencies and what each is for").nth(1).expect("dependency section");
    let manifests = [
        "Cargo.toml",
        "plugin/Cargo.toml",
        "plugin/core/Cargo.toml",
        "plugin/cli/Cargo.toml",
        "training/Cargo.toml",
        "xtask/Cargo.toml",
        "tests/Cargo.toml",
    ];
    let mut missing = Vec::new();
    for manifest in manifests {
        let text = read(manifest);
        let deps = text.split("dependencies]").skip(1).flat_map(|section| {
            section
                .lines()
                .skip(1)
                .take_while(|l| !l.starts_with('['))
                .filter_map(|l| l.split_once('='))
                .map(|(k, _)| k.trim().trim_end_matches(".workspace").to_string())
        });
        for dep in deps {
            if dep.is_empty() || dep == "earmark-core" {
                continue;
            }
            if !table.contains(&format!("`{dep}`")) && !table.contains(&format!("`{dep}` (")) {
                missing.push(format!("{dep} ({manifest})"));
            }
        }
    }
    assert!(missing.is_empty(), "README's dependency table lacks: {missing:?}");
}

#[test]
fn training_builds_without_nice_plug_or_egui() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(root())
        .args(["tree", "-p", "earmark-training", "-e", "normal,build", "--prefix", "none"])
        .output()
        .expect("cargo tree runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let tree = String::from_utf8_lossy(&output.stdout);
    assert!(tree.contains("earmark-core"), "the training crate shares the core");
    for forbidden in ["nice-plug", "nice_plug", "egui", "baseview"] {
        assert!(!tree.contains(forbidden), "earmark-training depends on {forbidden}");
    }
}
