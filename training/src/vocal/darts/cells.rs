//! DARTS cells: the searchable cell (every edge a softmax-weighted mixture of the candidate operations) and
//! the derived cell (two chosen operations per node), sharing the input preprocessing.
//!
//! A cell reads the outputs of the two previous cells, `c_{k−2}` and `c_{k−1}`, brings both to its channel
//! count (a factorised reduction for `c_{k−2}` when the previous cell halved the size), computes `N` nodes,
//! each the sum of its incoming edges, and concatenates the nodes: `N·C` output channels.

use burn::module::Module;
use burn::tensor::{Device, Tensor};

use super::genotype::{CellGenotype, edge_count};
use super::ops::{Emitted, FactorizedReduce, Op, Primitive, ReluConvBn};
use crate::onnx::emit;
use crate::onnx::graph::GraphBuilder;

/// How a cell brings one of its inputs to its own channel count and size.
// Boxing a variant would change the module's record layout for no gain: a cell holds two of these.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Preprocess {
    /// The input is twice the cell's size (the previous cell was a reduction): halve it.
    Reduce(FactorizedReduce),
    /// Same size: a 1×1 ReLU-conv-BN.
    Conv(ReluConvBn),
}

impl Preprocess {
    fn new(c_in: usize, c_out: usize, reduce: bool, device: &Device) -> Self {
        if reduce {
            Self::Reduce(FactorizedReduce::new(c_in, c_out, device))
        } else {
            Self::Conv(ReluConvBn::new(c_in, c_out, 1, device))
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        match self {
            Self::Reduce(r) => r.forward(x),
            Self::Conv(c) => c.forward(x),
        }
    }

    fn emit(&self, g: &mut GraphBuilder, name: &str, x: &str, hw: [usize; 2]) -> Emitted {
        match self {
            Self::Reduce(r) => r.emit(g, name, x, hw),
            Self::Conv(c) => c.emit(g, name, x, hw),
        }
    }
}

/// Channel bookkeeping of one cell.
#[derive(Debug, Clone, Copy)]
pub struct CellShape {
    /// Channels of `c_{k−2}`.
    pub c_prev_prev: usize,
    /// Channels of `c_{k−1}`.
    pub c_prev: usize,
    /// The cell's own channel count `C`.
    pub channels: usize,
    /// Halves the size.
    pub reduction: bool,
    /// The previous cell halved the size (so `c_{k−2}` is twice this cell's input size).
    pub reduction_prev: bool,
}

/// One edge of a search cell: every non-`none` candidate operation (`none` adds zero, so it is never computed,
/// but its architecture weight still takes part in the softmax).
#[derive(Module, Debug)]
pub struct MixedOp {
    ops: Vec<Op>,
}

impl MixedOp {
    fn new(channels: usize, stride: usize, device: &Device) -> Self {
        Self { ops: Primitive::ALL.iter().filter_map(|p| p.build(channels, stride, device)).collect() }
    }

    /// `Σ_o w_o · o(x)` with `w` the edge's softmax weights (`Primitive::ALL` order).
    fn forward(&self, x: Tensor<4>, w: Tensor<1>) -> Tensor<4> {
        let mut sum: Option<Tensor<4>> = None;
        for (k, op) in self.ops.iter().enumerate() {
            let weight = w.clone().narrow(0, k + 1, 1).reshape([1, 1, 1, 1]);
            let y = op.forward(x.clone()) * weight;
            sum = Some(match sum {
                Some(s) => s + y,
                None => y,
            });
        }
        sum.expect("a mixed edge has operations")
    }
}

/// A cell of the search network.
#[derive(Module, Debug)]
pub struct SearchCell {
    pre0: Preprocess,
    pre1: ReluConvBn,
    edges: Vec<MixedOp>,
    #[module(skip)]
    steps: usize,
    #[module(skip)]
    reduction: bool,
}

impl SearchCell {
    /// A cell with `steps` nodes.
    pub fn new(shape: CellShape, steps: usize, device: &Device) -> Self {
        let mut edges = Vec::with_capacity(edge_count(steps));
        for node in 0..steps {
            for input in 0..node + 2 {
                let stride = if shape.reduction && input < 2 { 2 } else { 1 };
                edges.push(MixedOp::new(shape.channels, stride, device));
            }
        }
        Self {
            pre0: Preprocess::new(shape.c_prev_prev, shape.channels, shape.reduction_prev, device),
            pre1: ReluConvBn::new(shape.c_prev, shape.channels, 1, device),
            edges,
            steps,
            reduction: shape.reduction,
        }
    }

    /// Whether it is a reduction cell.
    pub fn reduction(&self) -> bool {
        self.reduction
    }

    /// `c_{k−2}`, `c_{k−1}` and this cell type's edge weights `[edges, 8]` (softmax-normalised) → `c_k`.
    pub fn forward(&self, s0: Tensor<4>, s1: Tensor<4>, weights: Tensor<2>) -> Tensor<4> {
        let mut states = vec![self.pre0.forward(s0), self.pre1.forward(s1)];
        let mut offset = 0;
        for _ in 0..self.steps {
            let mut node: Option<Tensor<4>> = None;
            for (j, state) in states.iter().enumerate() {
                let w = weights.clone().slice([offset + j..offset + j + 1, 0..Primitive::ALL.len()]).reshape([-1]);
                let y = self.edges[offset + j].forward(state.clone(), w);
                node = Some(match node {
                    Some(n) => n + y,
                    None => y,
                });
            }
            offset += states.len();
            states.push(node.expect("a node has inputs"));
        }
        Tensor::cat(states.split_off(2), 1)
    }
}

/// A cell of a derived network.
#[derive(Module, Debug)]
pub struct DerivedCell {
    pre0: Preprocess,
    pre1: ReluConvBn,
    ops: Vec<Op>,
    #[module(skip)]
    inputs: Vec<usize>,
    #[module(skip)]
    concat: Vec<usize>,
}

impl DerivedCell {
    /// The cell `genotype` describes, at `shape`.
    pub fn new(genotype: &CellGenotype, shape: CellShape, device: &Device) -> Self {
        let ops = genotype
            .edges
            .iter()
            .map(|&(primitive, input)| {
                let stride = if shape.reduction && input < 2 { 2 } else { 1 };
                primitive.build(shape.channels, stride, device).expect("a validated genotype has no `none` edge")
            })
            .collect();
        Self {
            pre0: Preprocess::new(shape.c_prev_prev, shape.channels, shape.reduction_prev, device),
            pre1: ReluConvBn::new(shape.c_prev, shape.channels, 1, device),
            ops,
            inputs: genotype.edges.iter().map(|&(_, input)| input).collect(),
            concat: genotype.concat.clone(),
        }
    }

    /// `c_{k−2}`, `c_{k−1}` → `c_k`.
    pub fn forward(&self, s0: Tensor<4>, s1: Tensor<4>) -> Tensor<4> {
        let mut states = vec![self.pre0.forward(s0), self.pre1.forward(s1)];
        for node in 0..self.ops.len() / 2 {
            let [a, b] = [2 * node, 2 * node + 1];
            let y = self.ops[a].forward(states[self.inputs[a]].clone())
                + self.ops[b].forward(states[self.inputs[b]].clone());
            states.push(y);
        }
        Tensor::cat(self.concat.iter().map(|&s| states[s].clone()).collect(), 1)
    }

    /// Writes it: inputs `c_{k−2}` (size `hw0`) and `c_{k−1}` (size `hw1`); returns `c_k` and its size.
    pub fn emit(
        &self,
        g: &mut GraphBuilder,
        name: &str,
        (s0, hw0): (&str, [usize; 2]),
        (s1, hw1): (&str, [usize; 2]),
    ) -> Emitted {
        let (p0, hw) = self.pre0.emit(g, &format!("{name}.pre0"), s0, hw0)?;
        let (p1, _) = self.pre1.emit(g, &format!("{name}.pre1"), s1, hw1)?;
        let mut states: Vec<(String, [usize; 2])> = vec![(p0, hw), (p1, hw)];
        for node in 0..self.ops.len() / 2 {
            let mut parts = Vec::with_capacity(2);
            for e in [2 * node, 2 * node + 1] {
                let (x, hw) = states[self.inputs[e]].clone();
                parts.push(self.ops[e].emit(g, &format!("{name}.op{e}"), &x, hw)?);
            }
            let sum = emit::add(g, &parts[0].0, &parts[1].0);
            states.push((sum, parts[0].1));
        }
        let chosen: Vec<&str> = self.concat.iter().map(|&s| states[s].0.as_str()).collect();
        let out_hw = states[self.concat[0]].1;
        Ok((emit::concat(g, &chosen, 1), out_hw))
    }
}
