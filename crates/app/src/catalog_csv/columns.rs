//! The columns of the catalog CSV (docs/csv.md) and the reading of a file's header.
//!
//! One row per variant; the product's own columns are repeated on each of its rows and
//! `product_handle` groups rows into products. Column names are matched without regard to
//! case or surrounding spaces, in any order. A column the header does not have leaves that
//! field of an existing product as it is (and gives a new product its default).

use super::report::ProblemLog;

/// Every column, in the order an export writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    ProductHandle,
    Title,
    DescriptionHtml,
    Vendor,
    ProductType,
    Tags,
    Status,
    Images,
    Option1Name,
    Option1Value,
    Option2Name,
    Option2Value,
    Option3Name,
    Option3Value,
    Sku,
    Barcode,
    Price,
    CompareAtPrice,
    Cost,
    Currency,
    Weight,
    WeightUnit,
    Length,
    Width,
    Height,
    DimensionUnit,
    VariantStatus,
}

impl Column {
    pub const ALL: [Column; 27] = [
        Column::ProductHandle,
        Column::Title,
        Column::DescriptionHtml,
        Column::Vendor,
        Column::ProductType,
        Column::Tags,
        Column::Status,
        Column::Images,
        Column::Option1Name,
        Column::Option1Value,
        Column::Option2Name,
        Column::Option2Value,
        Column::Option3Name,
        Column::Option3Value,
        Column::Sku,
        Column::Barcode,
        Column::Price,
        Column::CompareAtPrice,
        Column::Cost,
        Column::Currency,
        Column::Weight,
        Column::WeightUnit,
        Column::Length,
        Column::Width,
        Column::Height,
        Column::DimensionUnit,
        Column::VariantStatus,
    ];

    /// Columns every file must have.
    pub const REQUIRED: [Column; 2] = [Column::ProductHandle, Column::Sku];

    pub fn name(self) -> &'static str {
        match self {
            Column::ProductHandle => "product_handle",
            Column::Title => "title",
            Column::DescriptionHtml => "description_html",
            Column::Vendor => "vendor",
            Column::ProductType => "product_type",
            Column::Tags => "tags",
            Column::Status => "status",
            Column::Images => "images",
            Column::Option1Name => "option1_name",
            Column::Option1Value => "option1_value",
            Column::Option2Name => "option2_name",
            Column::Option2Value => "option2_value",
            Column::Option3Name => "option3_name",
            Column::Option3Value => "option3_value",
            Column::Sku => "sku",
            Column::Barcode => "barcode",
            Column::Price => "price",
            Column::CompareAtPrice => "compare_at_price",
            Column::Cost => "cost",
            Column::Currency => "currency",
            Column::Weight => "weight",
            Column::WeightUnit => "weight_unit",
            Column::Length => "length",
            Column::Width => "width",
            Column::Height => "height",
            Column::DimensionUnit => "dimension_unit",
            Column::VariantStatus => "variant_status",
        }
    }

    /// The option name and value columns of option `i` (0-based).
    pub fn option(i: usize) -> (Column, Column) {
        match i {
            0 => (Column::Option1Name, Column::Option1Value),
            1 => (Column::Option2Name, Column::Option2Value),
            _ => (Column::Option3Name, Column::Option3Value),
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The file's header: where each known column is.
#[derive(Debug, Clone)]
pub struct Header {
    /// Field index of each column (by [`Column`] order), if the file has it.
    at: [Option<usize>; Column::ALL.len()],
    /// Fields per record.
    pub width: usize,
}

impl Header {
    pub fn has(&self, c: Column) -> bool {
        self.at[c.index()].is_some()
    }

    pub fn position(&self, c: Column) -> Option<usize> {
        self.at[c.index()]
    }

    /// Whether the file describes options at all (then it describes all of them).
    pub fn has_options(&self) -> bool {
        (0..3).any(|i| self.has(Column::option(i).0))
    }

    /// Read a header. Problems are logged at line 1; `None` means the file is refused.
    pub fn parse(fields: &[&str], log: &mut ProblemLog) -> Option<Header> {
        let mut at = [None; Column::ALL.len()];
        let mut unknown = Vec::new();
        let mut repeated = Vec::new();
        for (i, raw) in fields.iter().enumerate() {
            // A spreadsheet's UTF-8 byte-order mark sticks to the first name.
            let name = raw
                .trim_start_matches('\u{feff}')
                .trim()
                .to_ascii_lowercase();
            match Column::ALL.iter().find(|c| c.name() == name) {
                Some(c) if at[c.index()].is_some() => repeated.push(c.name().to_owned()),
                Some(c) => at[c.index()] = Some(i),
                None => unknown.push(shown(raw)),
            }
        }
        let before = log.errors();
        if !unknown.is_empty() {
            log.file_error(format!(
                "unknown column{} {}; the columns are: {}",
                plural(unknown.len()),
                listed(&unknown),
                Column::ALL.map(Column::name).join(", ")
            ));
        }
        if !repeated.is_empty() {
            log.file_error(format!(
                "column{} {} appear{} more than once",
                plural(repeated.len()),
                listed(&repeated),
                if repeated.len() == 1 { "s" } else { "" }
            ));
        }
        let missing: Vec<String> = Column::REQUIRED
            .iter()
            .filter(|c| at[c.index()].is_none())
            .map(|c| c.name().to_owned())
            .collect();
        if !missing.is_empty() {
            log.file_error(format!(
                "missing required column{} {}",
                plural(missing.len()),
                listed(&missing)
            ));
        }
        let header = Header {
            at,
            width: fields.len(),
        };
        // Values that cannot be read without their companion column.
        for (value, unit) in [
            (Column::Weight, Column::WeightUnit),
            (Column::Length, Column::DimensionUnit),
            (Column::Width, Column::DimensionUnit),
            (Column::Height, Column::DimensionUnit),
        ] {
            if header.has(value) && !header.has(unit) {
                log.file_error(format!(
                    "column {} needs the column {} beside it",
                    value.name(),
                    unit.name()
                ));
            }
        }
        for i in 0..3 {
            let (n, v) = Column::option(i);
            if header.has(n) != header.has(v) {
                log.file_error(format!(
                    "columns {} and {} go together: the file has only {}",
                    n.name(),
                    v.name(),
                    if header.has(n) { n.name() } else { v.name() }
                ));
            }
        }
        (log.errors() == before).then_some(header)
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A header name as shown in a message: quoted, control characters escaped, long names cut.
fn shown(raw: &str) -> String {
    let cut: String = raw.chars().take(40).collect();
    let more = if raw.chars().count() > 40 { "…" } else { "" };
    format!("{cut:?}{more}")
}

/// At most 20 names, then how many more.
fn listed(names: &[String]) -> String {
    let mut out = names
        .iter()
        .take(20)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > 20 {
        out.push_str(&format!(" and {} more", names.len() - 20));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_case_insensitive_and_order_free() {
        let mut log = ProblemLog::new(10);
        let h = Header::parse(&["\u{feff}SKU", " Title ", "product_handle"], &mut log).unwrap();
        assert_eq!(h.position(Column::Sku), Some(0));
        assert_eq!(h.position(Column::Title), Some(1));
        assert!(!h.has(Column::Price));
        assert_eq!(log.errors(), 0);
    }

    #[test]
    fn header_problems_name_the_columns() {
        let mut log = ProblemLog::new(10);
        assert!(Header::parse(&["title", "prize", "sku", "sku", "weight"], &mut log).is_none());
        let text: Vec<String> = log.problems().iter().map(|p| p.message.clone()).collect();
        let all = text.join(" | ");
        assert!(all.contains("unknown column \"prize\""), "{all}");
        assert!(all.contains("column sku appears more than once"), "{all}");
        assert!(
            all.contains("missing required column product_handle"),
            "{all}"
        );
        assert!(all.contains("weight needs the column weight_unit"), "{all}");
        assert!(log.problems().iter().all(|p| p.line == Some(1)));
    }
}
