//! A derived architecture ("genotype"): for each of a cell's intermediate nodes, the two strongest incoming edges
//! and the strongest operation on each, exactly as DARTS derives it; with text and Graphviz renderings so a
//! search's result can be read, saved, diffed and retrained.

use serde::{Deserialize, Serialize};

use super::ops::Primitive;

/// Intermediate nodes per cell (the paper's N = 4).
pub const STEPS: usize = 4;

/// Edges of a search cell: node `i` has one from each of the two cell inputs and from every earlier node.
pub const fn edge_count(steps: usize) -> usize {
    steps * (steps + 3) / 2
}

/// One derived cell: `edges[2i]` and `edges[2i + 1]` feed intermediate node `i` as `(operation, input state)`,
/// where states 0 and 1 are the cell's inputs (`c_{k−2}`, `c_{k−1}`) and state `j ≥ 2` is node `j − 2`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellGenotype {
    /// Two `(operation, input state)` pairs per intermediate node.
    pub edges: Vec<(Primitive, usize)>,
    /// States concatenated into the cell's output (DARTS: every intermediate node).
    pub concat: Vec<usize>,
}

/// The derived normal and reduction cells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Genotype {
    /// Cell that keeps the spatial size.
    pub normal: CellGenotype,
    /// Cell that halves it (stride 2 on edges from its inputs) and doubles the channels.
    pub reduce: CellGenotype,
}

impl CellGenotype {
    /// DARTS' derivation from the softmax-normalised architecture weights of a search cell (`edge_count(steps)`
    /// rows of `Primitive::ALL.len()` weights): each node keeps the two incoming edges whose strongest non-`none`
    /// operation weighs most, and that operation. `none` is excluded because its weight says how little an edge
    /// matters, not what it should compute.
    pub fn derive(weights: &[Vec<f32>], steps: usize) -> Result<Self, String> {
        if weights.len() != edge_count(steps) || weights.iter().any(|w| w.len() != Primitive::ALL.len()) {
            return Err(format!(
                "expected {} edges of {} weights, got {} edges",
                edge_count(steps),
                Primitive::ALL.len(),
                weights.len()
            ));
        }
        let none = Primitive::None.index();
        let strongest = |w: &[f32]| {
            (0..w.len())
                .filter(|&k| k != none)
                .max_by(|&a, &b| w[a].total_cmp(&w[b]).then(b.cmp(&a)))
                .expect("there are non-none primitives")
        };
        let mut edges = Vec::with_capacity(2 * steps);
        let mut offset = 0;
        for node in 0..steps {
            let inputs = node + 2;
            let mut candidates: Vec<usize> = (0..inputs).collect();
            let rows = &weights[offset..offset + inputs];
            candidates.sort_by(|&a, &b| rows[b][strongest(&rows[b])].total_cmp(&rows[a][strongest(&rows[a])]));
            let mut kept: Vec<usize> = candidates[..2].to_vec();
            kept.sort_unstable();
            for j in kept {
                edges.push((Primitive::ALL[strongest(&rows[j])], j));
            }
            offset += inputs;
        }
        Ok(Self { edges, concat: (2..2 + steps).collect() })
    }

    /// Intermediate nodes.
    pub fn steps(&self) -> usize {
        self.edges.len() / 2
    }

    /// Checks that it describes a buildable cell: two edges per node, each from an earlier state, no `none`,
    /// and a non-empty concatenation of existing states.
    pub fn validate(&self) -> Result<(), String> {
        if self.edges.is_empty() || !self.edges.len().is_multiple_of(2) {
            return Err(format!("a cell needs two edges per node; it has {}", self.edges.len()));
        }
        for (i, &(op, input)) in self.edges.iter().enumerate() {
            let node = i / 2;
            if input >= node + 2 {
                return Err(format!("node {node} reads state {input}, which is not computed before it"));
            }
            if op == Primitive::None {
                return Err(format!("node {node} has a `none` edge, which a derived cell never keeps"));
            }
        }
        if self.concat.is_empty() || self.concat.iter().any(|&s| s < 2 || s >= 2 + self.steps()) {
            return Err(format!("the output concatenates states {:?}; valid are 2..{}", self.concat, 2 + self.steps()));
        }
        Ok(())
    }

    fn state_name(state: usize) -> String {
        match state {
            0 => "c_{k-2}".into(),
            1 => "c_{k-1}".into(),
            s => format!("{}", s - 2),
        }
    }

    /// One line per node: `node 0 = sep_conv_3x3(c_{k-2}) + skip_connect(c_{k-1})`.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for node in 0..self.steps() {
            let [(a, i), (b, j)] = [self.edges[2 * node], self.edges[2 * node + 1]];
            out.push_str(&format!(
                "  node {node} = {}({}) + {}({})\n",
                a.name(),
                Self::state_name(i),
                b.name(),
                Self::state_name(j)
            ));
        }
        let parts: Vec<String> = self.concat.iter().map(|&s| Self::state_name(s)).collect();
        out.push_str(&format!("  c_{{k}} = concat({})\n", parts.join(", ")));
        out
    }

    /// A Graphviz digraph in the style of the DARTS paper's figures (`dot -Tsvg cell.dot`).
    pub fn dot(&self, title: &str) -> String {
        let mut out = format!(
            "digraph \"{title}\" {{\n  rankdir=LR;\n  label=\"{title}\";\n  node [style=filled, shape=rect, \
             align=center, fontsize=14, fontname=\"helvetica\"];\n  edge [fontsize=12, fontname=\"helvetica\"];\n  \
             \"c_{{k-2}}\" [fillcolor=darkseagreen2];\n  \"c_{{k-1}}\" [fillcolor=darkseagreen2];\n"
        );
        for node in 0..self.steps() {
            out.push_str(&format!("  \"{node}\" [fillcolor=lightblue];\n"));
        }
        out.push_str("  \"c_{k}\" [fillcolor=palegoldenrod];\n");
        for (i, &(op, input)) in self.edges.iter().enumerate() {
            out.push_str(&format!(
                "  \"{}\" -> \"{}\" [label=\"{}\", fillcolor=gray];\n",
                Self::state_name(input),
                i / 2,
                op.name()
            ));
        }
        for &s in &self.concat {
            out.push_str(&format!("  \"{}\" -> \"c_{{k}}\" [fillcolor=gray];\n", Self::state_name(s)));
        }
        out.push_str("}\n");
        out
    }

    /// A plain-text drawing: one arrow per kept edge, grouped by node.
    pub fn ascii(&self) -> String {
        let mut out = String::new();
        for (i, &(op, input)) in self.edges.iter().enumerate() {
            out.push_str(&format!("  {:>8} ──{:─^16}──▶ {}\n", Self::state_name(input), op.name(), i / 2));
        }
        let parts: Vec<String> = self.concat.iter().map(|&s| Self::state_name(s)).collect();
        out.push_str(&format!("  {:>8} ──{:─^16}──▶ c_{{k}}\n", parts.join(","), "concat"));
        out
    }
}

impl Genotype {
    /// Both cells as text, with drawings.
    pub fn describe(&self) -> String {
        format!(
            "normal cell:\n{}{}\nreduction cell:\n{}{}",
            self.normal.text(),
            self.normal.ascii(),
            self.reduce.text(),
            self.reduce.ascii()
        )
    }

    /// Checks both cells.
    pub fn validate(&self) -> Result<(), String> {
        self.normal.validate().map_err(|e| format!("normal cell: {e}"))?;
        self.reduce.validate().map_err(|e| format!("reduction cell: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weights_favouring(op: Primitive, strong_inputs: &[(usize, usize)]) -> Vec<Vec<f32>> {
        // Edge rows in search order; the named (node, input) edges get a large weight on `op`.
        let mut rows = Vec::new();
        for node in 0..STEPS {
            for input in 0..node + 2 {
                let mut w = vec![0.1f32; 8];
                w[Primitive::None.index()] = 0.9;
                if strong_inputs.contains(&(node, input)) {
                    w[op.index()] = 0.5;
                }
                rows.push(w);
            }
        }
        rows
    }

    #[test]
    fn derivation_keeps_the_two_strongest_non_none_edges_per_node() {
        let strong = [(0, 0), (0, 1), (1, 2), (1, 0), (2, 3), (2, 1), (3, 4), (3, 2)];
        let w = weights_favouring(Primitive::SepConv5x5, &strong);
        let cell = CellGenotype::derive(&w, STEPS).unwrap();
        cell.validate().unwrap();
        let kept: Vec<(usize, usize)> = cell.edges.iter().enumerate().map(|(i, &(_, input))| (i / 2, input)).collect();
        let mut expected = strong.to_vec();
        expected.sort_unstable();
        let mut got = kept.clone();
        got.sort_unstable();
        assert_eq!(got, expected);
        assert!(cell.edges.iter().all(|&(op, _)| op == Primitive::SepConv5x5), "{:?}", cell.edges);
        assert_eq!(cell.concat, vec![2, 3, 4, 5]);
    }

    #[test]
    fn renderings_name_every_edge() {
        let w = weights_favouring(Primitive::DilConv3x3, &[(0, 0), (0, 1)]);
        let cell = CellGenotype::derive(&w, STEPS).unwrap();
        assert_eq!(cell.text().lines().count(), STEPS + 1);
        assert_eq!(cell.dot("normal").matches("->").count(), 2 * STEPS + 4);
        assert!(cell.ascii().contains("dil_conv_3x3"));
    }

    #[test]
    fn invalid_cells_are_refused() {
        let bad = CellGenotype { edges: vec![(Primitive::SkipConnect, 2), (Primitive::None, 0)], concat: vec![2] };
        let e = bad.validate().unwrap_err();
        assert!(e.contains("not computed before"), "{e}");
        assert!(CellGenotype::derive(&[vec![0.0; 8]], STEPS).is_err());
    }
}
