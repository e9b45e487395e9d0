//! Runs of one graph asked for by several threads at once, combined into one batched ONNX Runtime run.
//!
//! Why: every plugin instance in a process shares one [`Model`](crate::model::Model), and on a GPU one run of a
//! batch costs about what a run of one item does, so instances asking the same model at the same moment should
//! share a run. On the CPU provider a batch costs as much per item as single runs or more (measured with the
//! shipped models: style 4.4 → 4.5 ms per segment at batch 16, genre 0.25 → 0.46, instruments 0.55 → 0.82), and
//! combining would make threads wait for each other where they now run in parallel on sessions of their own; so
//! [`Batching::Auto`] combines on CUDA only.
//!
//! How (flat combining, no gathering delay): a caller queues its request; if no run of the graph is in flight it
//! becomes the runner, takes every queued request, runs those whose inputs agree in shape (all but the batch
//! axis) as one batch and hands each caller its rows; a caller that queued during that run becomes the next
//! runner. A request waits only while another run of the same graph is in flight — which one GPU serialises
//! anyway — and is then combined with whatever else arrived during it. Nothing is ever held back for a batch to
//! fill, so a readout's latency and the gates that start other models (content → vocal emotion) are not delayed
//! by batching.

use std::collections::HashMap;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use ndarray::{ArrayD, ArrayViewD, Axis, Slice};

/// A graph's outputs for one request, or why the run failed (a message: one failure is handed to every caller of
/// the batch).
pub type Outputs = Result<Vec<ArrayD<f32>>, String>;

/// One ONNX Runtime run of the graph on the given inputs.
pub type RunGraph<'a> = dyn Fn(&[ArrayViewD<'_, f32>]) -> Outputs + 'a;

/// Whether a model's runs from several threads are combined into batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Batching {
    /// On when the model runs on CUDA, off on the CPU provider (see the module docs); `EARMARK_BATCH=1` or `0`
    /// overrides it (benchmarks, tests).
    #[default]
    Auto,
    /// Always combine.
    On,
    /// Never combine: every run is a run of its own.
    Off,
}

impl Batching {
    /// Whether to combine on a model that runs on CUDA (`cuda`) or not.
    pub fn combines(self, cuda: bool) -> bool {
        match self {
            Batching::On => true,
            Batching::Off => false,
            Batching::Auto => match std::env::var("EARMARK_BATCH").ok().as_deref().map(str::trim) {
                Some("1") => true,
                Some("0") => false,
                _ => cuda,
            },
        }
    }
}

/// One graph's queue of requests (see the module docs).
#[derive(Debug, Default)]
pub struct Combiner {
    state: Mutex<State>,
    ready: Condvar,
}

#[derive(Debug, Default)]
struct State {
    /// A thread is running a batch of this graph.
    running: bool,
    queue: Vec<Request>,
    next_id: u64,
    done: HashMap<u64, Outputs>,
}

#[derive(Debug)]
struct Request {
    id: u64,
    inputs: Vec<ArrayD<f32>>,
}

/// The runner's batch in flight: if the run panics, its callers get an error instead of waiting forever, and
/// another thread can become the runner.
struct InFlight<'a> {
    combiner: &'a Combiner,
    ids: Vec<u64>,
    /// The runner's own request: its panic reaches its caller directly, so no error is left for it to collect.
    runner: u64,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if self.ids.is_empty() {
            return;
        }
        let mut state = self.combiner.lock();
        for &id in self.ids.iter().filter(|&&id| id != self.runner) {
            state.done.insert(id, Err("a combined run of this graph panicked".into()));
        }
        state.running = false;
        self.combiner.ready.notify_all();
    }
}

impl Combiner {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `inputs` (each with the batch on axis 0) through `run`, combined with the requests of other threads
    /// that queue up meanwhile; returns this caller's rows of every output.
    pub fn run(&self, inputs: &[ArrayViewD<'_, f32>], run: &RunGraph<'_>) -> Outputs {
        let mut state = self.lock();
        let id = state.next_id;
        state.next_id += 1;
        state.queue.push(Request { id, inputs: inputs.iter().map(|v| v.to_owned()).collect() });
        loop {
            if let Some(result) = state.done.remove(&id) {
                return result;
            }
            if state.running {
                state = self.ready.wait(state).unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            // This thread runs everything queued now (its own request included), then hands over: a caller
            // whose request queued during the run becomes the next runner, so no runner serves others forever.
            state.running = true;
            let batch = std::mem::take(&mut state.queue);
            drop(state);
            let mut in_flight = InFlight { combiner: self, ids: batch.iter().map(|r| r.id).collect(), runner: id };
            let results = run_batches(batch, run);
            in_flight.ids.clear();
            state = self.lock();
            state.done.extend(results);
            state.running = false;
            self.ready.notify_all();
        }
    }
}

/// Runs the requests, one run per group of requests whose inputs agree in shape beyond the batch axis.
fn run_batches(requests: Vec<Request>, run: &RunGraph<'_>) -> Vec<(u64, Outputs)> {
    let mut groups: Vec<(Vec<Vec<usize>>, Vec<Request>)> = Vec::new();
    for request in requests {
        let shape: Vec<Vec<usize>> =
            request.inputs.iter().map(|a| a.shape().get(1..).unwrap_or(&[]).to_vec()).collect();
        match groups.iter_mut().find(|(s, _)| *s == shape) {
            Some((_, members)) => members.push(request),
            None => groups.push((shape, vec![request])),
        }
    }
    groups.into_iter().flat_map(|(_, members)| run_group(members, run)).collect()
}

fn run_group(members: Vec<Request>, run: &RunGraph<'_>) -> Vec<(u64, Outputs)> {
    if let [one] = members.as_slice() {
        let views: Vec<ArrayViewD<'_, f32>> = one.inputs.iter().map(|a| a.view()).collect();
        return vec![(one.id, run(&views))];
    }
    let rows: Vec<usize> = members.iter().map(|r| r.inputs.first().map_or(0, |a| a.shape()[0])).collect();
    let total: usize = rows.iter().sum();
    let joined: Outputs = (0..members[0].inputs.len())
        .map(|i| {
            let parts: Vec<ArrayViewD<'_, f32>> = members.iter().map(|r| r.inputs[i].view()).collect();
            ndarray::concatenate(Axis(0), &parts).map_err(|e| format!("combining input {i}: {e}"))
        })
        .collect();
    let outputs = joined.and_then(|joined| {
        let views: Vec<ArrayViewD<'_, f32>> = joined.iter().map(|a| a.view()).collect();
        run(&views)
    });
    let outputs = outputs.and_then(|outputs| match outputs.iter().find(|o| o.shape().first() != Some(&total)) {
        Some(o) => Err(format!("an output of shape {:?} has no batch axis of {total} rows to split", o.shape())),
        None => Ok(outputs),
    });
    let mut start = 0;
    members
        .iter()
        .zip(&rows)
        .map(|(request, &n)| {
            let mine = outputs.as_ref().map_err(String::clone).map(|outputs| {
                outputs.iter().map(|o| o.slice_axis(Axis(0), Slice::from(start..start + n)).to_owned()).collect()
            });
            start += n;
            (request.id, mine)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use ndarray::{ArrayD, IxDyn};

    use super::*;

    /// A "graph" that doubles its input and counts its runs.
    fn doubler(runs: &std::sync::atomic::AtomicUsize) -> impl Fn(&[ArrayViewD<'_, f32>]) -> Outputs + '_ {
        move |inputs| {
            runs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            std::thread::sleep(std::time::Duration::from_millis(2));
            Ok(vec![inputs[0].mapv(|x| 2.0 * x)])
        }
    }

    /// Requests of different shapes are never joined; each caller gets its own rows.
    #[test]
    fn groups_by_shape_and_splits_rows_back() {
        let runs = std::sync::atomic::AtomicUsize::new(0);
        let run = doubler(&runs);
        let request =
            |id, rows, width, value| Request { id, inputs: vec![ArrayD::from_elem(IxDyn(&[rows, width]), value)] };
        let results = run_batches(vec![request(0, 2, 3, 1.0), request(1, 1, 4, 5.0), request(2, 1, 3, 7.0)], &run);
        assert_eq!(runs.load(std::sync::atomic::Ordering::Relaxed), 2, "width 3 together, width 4 alone");
        let by_id: HashMap<u64, Vec<ArrayD<f32>>> = results.into_iter().map(|(id, r)| (id, r.unwrap())).collect();
        assert_eq!(by_id[&0][0], ArrayD::from_elem(IxDyn(&[2, 3]), 2.0));
        assert_eq!(by_id[&1][0], ArrayD::from_elem(IxDyn(&[1, 4]), 10.0));
        assert_eq!(by_id[&2][0], ArrayD::from_elem(IxDyn(&[1, 3]), 14.0));
    }

    /// A run that panics hands its callers an error; the next caller runs again.
    #[test]
    fn a_panicking_run_fails_its_callers_and_frees_the_graph() {
        let combiner = Combiner::default();
        let input = ArrayD::from_elem(IxDyn(&[1, 2]), 1.0f32);
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            combiner.run(&[input.view()], &|_| panic!("boom"))
        }));
        assert!(panicked.is_err());
        let runs = std::sync::atomic::AtomicUsize::new(0);
        let out = combiner.run(&[input.view()], &doubler(&runs)).unwrap();
        assert_eq!(out[0], ArrayD::from_elem(IxDyn(&[1, 2]), 2.0));
    }
}
