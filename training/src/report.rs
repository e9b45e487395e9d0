//! Markdown for every family's REPORT.md and STUDY.md: one table builder and one way to write a figure's mean ±
//! sd, so the reports agree on format and no family hand-writes header and separator rows whose column count can
//! drift from its rows.

use crate::metrics::mean_std;

/// How a column's cells line up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// `---` (labels).
    Left,
    /// `---:` (figures a reader compares down the column).
    Right,
}

/// A Markdown table built row by row.
#[derive(Debug, Clone)]
pub struct Table {
    header: Vec<String>,
    align: Vec<Align>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column headings, every column left-aligned.
    pub fn new<S: ToString>(header: impl IntoIterator<Item = S>) -> Self {
        let header: Vec<String> = header.into_iter().map(|h| h.to_string()).collect();
        Self { align: vec![Align::Left; header.len()], header, rows: Vec::new() }
    }

    /// Aligns the columns in `columns` (indices from 0) as `align`.
    pub fn align(mut self, columns: impl IntoIterator<Item = usize>, align: Align) -> Self {
        for c in columns {
            if let Some(a) = self.align.get_mut(c) {
                *a = align;
            }
        }
        self
    }

    /// Adds a row; a row with fewer cells than headings is padded with empty cells.
    ///
    /// # Panics
    /// With more cells than headings (a table that would not render): a programming error.
    pub fn row<S: ToString>(&mut self, cells: impl IntoIterator<Item = S>) -> &mut Self {
        let mut cells: Vec<String> = cells.into_iter().map(|c| c.to_string()).collect();
        assert!(cells.len() <= self.header.len(), "{} cells under {} headings", cells.len(), self.header.len());
        cells.resize(self.header.len(), String::new());
        self.rows.push(cells);
        self
    }

    /// Whether no row was added.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The table, one line per row, each ending in a newline.
    pub fn markdown(&self) -> String {
        // An empty cell is written `| |`, as hand-written tables have it.
        let line = |cells: &[String]| {
            let body: String =
                cells.iter().map(|c| if c.is_empty() { " |".to_string() } else { format!(" {c} |") }).collect();
            format!("|{body}\n")
        };
        let separator: String = self.align.iter().map(|a| if *a == Align::Right { "---:|" } else { "---|" }).collect();
        let mut out = line(&self.header);
        out += &format!("|{separator}\n");
        self.rows.iter().for_each(|r| out += &line(r));
        out
    }
}

/// `mean ± sd` with `decimals` decimals.
pub fn pm((mean, sd): (f64, f64), decimals: usize) -> String {
    format!("{mean:.decimals$} ± {sd:.decimals$}")
}

/// `mean ± sd` of fractions, in per cent with one decimal (`71.2 ± 1.4`).
pub fn percent_pm((mean, sd): (f64, f64)) -> String {
    pm((100.0 * mean, 100.0 * sd), 1)
}

/// [`percent_pm`] of a list of per-fold fractions; a single fold is its figure alone (one run has no spread).
pub fn percent_pm_of(values: &[f64]) -> String {
    match values {
        [one] => percent(*one),
        _ => percent_pm(mean_std(values)),
    }
}

/// A fraction in per cent with one decimal (`71.2`).
pub fn percent(value: f64) -> String {
    format!("{:.1}", 100.0 * value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_render_headings_alignment_and_padded_rows() {
        let mut t = Table::new(["fold", "UA", "WA"]).align(1..3, Align::Right);
        t.row(["1", "61.2", "63.0"]).row(["2"]);
        assert_eq!(t.markdown(), "| fold | UA | WA |\n|---|---:|---:|\n| 1 | 61.2 | 63.0 |\n| 2 | | |\n");
        assert!(!t.is_empty());
    }

    #[test]
    #[should_panic(expected = "3 cells under 2 headings")]
    fn a_row_wider_than_the_headings_is_refused() {
        Table::new(["a", "b"]).row(["1", "2", "3"]);
    }

    #[test]
    fn mean_and_spread_read_as_reports_print_them() {
        assert_eq!(pm((0.8312, 0.0114), 3), "0.831 ± 0.011");
        assert_eq!(pm((0.5, 0.0), 2), "0.50 ± 0.00");
        assert_eq!(percent_pm((0.7051, 0.0142)), "70.5 ± 1.4");
        assert_eq!(percent_pm_of(&[0.6, 0.8]), "70.0 ± 10.0");
        assert_eq!(percent_pm_of(&[0.6]), "60.0", "one fold has no spread to show");
        assert_eq!(percent(0.4567), "45.7");
    }
}
