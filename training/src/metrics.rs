//! Classification metrics for the reports: confusion matrices, accuracy (weighted and unweighted), per-class and
//! macro F1. Kept free of any tensor type so every trainer and test can use them on plain indices.

use serde::{Deserialize, Serialize};

/// Rows are true classes, columns predicted classes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confusion {
    /// `counts[truth][prediction]`.
    pub counts: Vec<Vec<usize>>,
}

impl Confusion {
    /// An empty matrix for `classes` classes.
    pub fn new(classes: usize) -> Self {
        Self { counts: vec![vec![0; classes]; classes] }
    }

    /// Counts predictions against truths (class indices).
    pub fn from_pairs(classes: usize, truth: &[usize], predicted: &[usize]) -> Self {
        let mut c = Self::new(classes);
        for (&t, &p) in truth.iter().zip(predicted) {
            c.counts[t][p] += 1;
        }
        c
    }

    /// Adds another matrix of the same size (pooling folds).
    pub fn add(&mut self, other: &Confusion) {
        for (row, other) in self.counts.iter_mut().zip(&other.counts) {
            for (a, b) in row.iter_mut().zip(other) {
                *a += b;
            }
        }
    }

    /// Items counted.
    pub fn total(&self) -> usize {
        self.counts.iter().flatten().sum()
    }

    /// Share of the most frequent true class: the accuracy of always answering it.
    pub fn largest_class_share(&self) -> f64 {
        let largest = self.counts.iter().map(|row| row.iter().sum::<usize>()).max().unwrap_or(0);
        largest as f64 / self.total().max(1) as f64
    }

    /// Fraction of all items predicted right ("weighted accuracy" in the speech-emotion literature).
    pub fn accuracy(&self) -> f64 {
        let right: usize = (0..self.counts.len()).map(|i| self.counts[i][i]).sum();
        right as f64 / self.total().max(1) as f64
    }

    /// Each class's recall (`None` for a class that does not occur).
    pub fn recall_per_class(&self) -> Vec<Option<f64>> {
        (0..self.counts.len())
            .map(|i| {
                let n: usize = self.counts[i].iter().sum();
                (n > 0).then(|| self.counts[i][i] as f64 / n as f64)
            })
            .collect()
    }

    /// Mean per-class recall over classes that occur ("unweighted accuracy").
    pub fn unweighted_accuracy(&self) -> f64 {
        let recalls: Vec<f64> = self.recall_per_class().into_iter().flatten().collect();
        recalls.iter().sum::<f64>() / recalls.len().max(1) as f64
    }

    /// F1 of each class (0 where the class was neither present nor predicted).
    pub fn f1_per_class(&self) -> Vec<f64> {
        (0..self.counts.len())
            .map(|i| {
                let tp = self.counts[i][i] as f64;
                let actual: usize = self.counts[i].iter().sum();
                let predicted: usize = self.counts.iter().map(|row| row[i]).sum();
                let denominator = actual as f64 + predicted as f64;
                if denominator == 0.0 { 0.0 } else { 2.0 * tp / denominator }
            })
            .collect()
    }

    /// Unweighted mean of the per-class F1 scores.
    pub fn macro_f1(&self) -> f64 {
        let f1 = self.f1_per_class();
        f1.iter().sum::<f64>() / f1.len().max(1) as f64
    }

    /// A Markdown table with class names.
    pub fn markdown(&self, names: &[&str]) -> String {
        let mut table = crate::report::Table::new(std::iter::once("true \\ predicted").chain(names.iter().copied()));
        for (name, row) in names.iter().zip(&self.counts) {
            table.row(std::iter::once(name.to_string()).chain(row.iter().map(usize::to_string)));
        }
        table.markdown()
    }
}

/// The index of the largest value.
pub fn argmax(values: &[f32]) -> usize {
    values.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map_or(0, |(i, _)| i)
}

/// Mean and (population) standard deviation.
pub fn mean_std(values: &[f64]) -> (f64, f64) {
    let n = values.len().max(1) as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    (mean, var.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_of_a_known_matrix() {
        // truth 0: 3 right, 1 wrong; truth 1: 1 right, 1 wrong.
        let c = Confusion::from_pairs(2, &[0, 0, 0, 0, 1, 1], &[0, 0, 0, 1, 1, 0]);
        assert_eq!(c.counts, vec![vec![3, 1], vec![1, 1]]);
        assert!((c.accuracy() - 4.0 / 6.0).abs() < 1e-12);
        assert!((c.unweighted_accuracy() - (0.75 + 0.5) / 2.0).abs() < 1e-12);
        let f1 = c.f1_per_class();
        assert!((f1[0] - 6.0 / 8.0).abs() < 1e-12, "{f1:?}");
        assert!((f1[1] - 2.0 / 4.0).abs() < 1e-12, "{f1:?}");
    }
}
