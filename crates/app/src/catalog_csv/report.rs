//! What an import reports: counts, and every problem with its line, column and reason.
//!
//! The list of problems is capped ([`ProblemLog::new`]) so that a file of junk gives a
//! bounded report; the totals keep counting past the cap.

use serde::Serialize;

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// The row (and so its product) cannot be imported.
    Error,
    /// The row was skipped or adjusted; the rest of its product is fine.
    Warning,
}

/// One problem in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowProblem {
    /// The line where the row starts, as a text editor numbers it (the header is line 1; a
    /// quoted field spanning lines counts every line). `None` for problems of the whole file
    /// that no line holds (e.g. a size limit).
    pub line: Option<u64>,
    /// The column concerned, when there is one.
    pub column: Option<String>,
    pub level: Level,
    pub message: String,
}

/// Created, updated, unchanged and skipped, for products or for variants (rows).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub skipped: u64,
}

/// How the import ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Written (with `skip_invalid`, the products without errors were written).
    Imported,
    /// A dry run found nothing that would refuse the file; nothing was written.
    Validated,
    /// The file was refused; nothing was written.
    Refused,
}

/// The report of one import (also of a dry run).
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub outcome: Outcome,
    pub dry_run: bool,
    pub skip_invalid: bool,
    /// Data rows read (the header not counted).
    pub rows: u64,
    pub products: Counts,
    pub variants: Counts,
    /// Totals, including problems beyond the listed ones.
    pub errors: u64,
    pub warnings: u64,
    /// The problems, in file order (file-level ones first), at most [`MAX_LISTED`].
    pub problems: Vec<RowProblem>,
    /// How many problems were counted but not listed.
    pub unlisted: u64,
    /// Set when reading stopped before the end of the file (it did not look like a CSV file
    /// any more); the file is then refused whatever the options.
    pub stopped: Option<String>,
}

/// Problems listed in a report; the rest are only counted.
pub const MAX_LISTED: usize = 1000;

impl ImportReport {
    pub fn refused(&self) -> bool {
        self.outcome == Outcome::Refused
    }

    /// One line: what happened and the totals.
    pub fn summary(&self) -> String {
        let what = match (self.outcome, self.dry_run) {
            (Outcome::Refused, _) => "refused: nothing was imported".to_owned(),
            (Outcome::Validated, _) => "dry run: the file would be imported".to_owned(),
            (Outcome::Imported, _) => format!(
                "imported: products {} created, {} updated, {} unchanged, {} skipped; variants {} created, {} updated, {} unchanged, {} skipped",
                self.products.created,
                self.products.updated,
                self.products.unchanged,
                self.products.skipped,
                self.variants.created,
                self.variants.updated,
                self.variants.unchanged,
                self.variants.skipped
            ),
        };
        format!(
            "{what} ({} rows read, {} error{}, {} warning{})",
            self.rows,
            self.errors,
            if self.errors == 1 { "" } else { "s" },
            self.warnings,
            if self.warnings == 1 { "" } else { "s" }
        )
    }
}

impl RowProblem {
    /// "line 12, price: error: "12,50" is not a decimal number".
    pub fn to_line(&self) -> String {
        let mut out = String::new();
        if let Some(l) = self.line {
            out.push_str(&format!("line {l}"));
        } else {
            out.push_str("file");
        }
        if let Some(c) = &self.column {
            out.push_str(&format!(", {c}"));
        }
        let level = match self.level {
            Level::Error => "error",
            Level::Warning => "warning",
        };
        out.push_str(&format!(": {level}: {}", self.message));
        out
    }
}

/// Collects problems up to a cap and counts all of them.
#[derive(Debug)]
pub struct ProblemLog {
    cap: usize,
    listed: Vec<RowProblem>,
    errors: u64,
    warnings: u64,
}

impl ProblemLog {
    pub fn new(cap: usize) -> Self {
        Self {
            cap,
            listed: Vec::new(),
            errors: 0,
            warnings: 0,
        }
    }

    pub fn push(&mut self, p: RowProblem) {
        match p.level {
            Level::Error => self.errors += 1,
            Level::Warning => self.warnings += 1,
        }
        if self.listed.len() < self.cap {
            self.listed.push(p);
        }
    }

    pub fn error(&mut self, line: u64, column: Option<&str>, message: impl Into<String>) {
        self.push(RowProblem {
            line: Some(line),
            column: column.map(str::to_owned),
            level: Level::Error,
            message: message.into(),
        });
    }

    pub fn warning(&mut self, line: u64, column: Option<&str>, message: impl Into<String>) {
        self.push(RowProblem {
            line: Some(line),
            column: column.map(str::to_owned),
            level: Level::Warning,
            message: message.into(),
        });
    }

    /// A problem of the header (line 1).
    pub fn file_error(&mut self, message: impl Into<String>) {
        self.error(1, None, message);
    }

    pub fn errors(&self) -> u64 {
        self.errors
    }

    #[cfg(test)]
    pub fn warnings(&self) -> u64 {
        self.warnings
    }

    #[cfg(test)]
    pub fn problems(&self) -> &[RowProblem] {
        &self.listed
    }

    /// The listed problems in file order, and how many were not listed.
    pub fn finish(mut self) -> (Vec<RowProblem>, u64, u64, u64) {
        // Problems found after reading (matching against the catalog) are pushed later than
        // those found while reading; the report reads top to bottom.
        self.listed.sort_by_key(|p| p.line.unwrap_or(0));
        let unlisted = self.errors + self.warnings - self.listed.len() as u64;
        (self.listed, unlisted, self.errors, self.warnings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_capped_but_totals_count_everything() {
        let mut log = ProblemLog::new(3);
        for i in 0..10 {
            log.error(i + 2, Some("price"), "bad");
        }
        log.warning(20, None, "dup");
        let (listed, unlisted, errors, warnings) = log.finish();
        assert_eq!(listed.len(), 3);
        assert_eq!((unlisted, errors, warnings), (8, 10, 1));
        assert_eq!(listed[0].to_line(), "line 2, price: error: bad");
    }
}
