//! Reading a catalog CSV: a stream of records checked one by one, grouped into products.
//!
//! Nothing here touches the database. Every problem is logged with the line where its record
//! starts. Memory follows what can still be written: once an error refuses the file (without
//! `skip_invalid`), or a product turns out bad (with it), the rows kept for it are dropped
//! and reading goes on only to report.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::io::Read;
use std::rc::Rc;

use rust_decimal::Decimal;
use techoms_domain::money::parse_amount;
use techoms_domain::product::MAX_OPTIONS;
use techoms_domain::{
    Currency, Length, LengthUnit, ProductStatus, Sku, SkuKey, VariantStatus, Weight, WeightUnit,
};

use super::columns::{Column, Header};
use super::report::ProblemLog;

/// After this many records in a row that are not CSV rows of this file (wrong number of
/// fields, not UTF-8), the file is taken for something else and reading stops.
pub const MAX_GARBAGE_RUN: u32 = 100;

/// Once the file is refused, at most this many products are kept for checking their later
/// rows against their first.
const MAX_GROUPS_REFUSED: usize = 20_000;

/// The longest product handle accepted.
const MAX_HANDLE_CHARS: usize = 255;

/// A product's own fields as the file gives them (defaults for columns it lacks).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Head {
    pub title: String,
    pub description_html: String,
    pub vendor: String,
    pub product_type: String,
    pub tags: Vec<String>,
    pub status: ProductStatus,
    pub options: Vec<String>,
    pub images: Vec<String>,
}

/// One variant row as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub line: u64,
    pub sku: Sku,
    pub option_values: Vec<String>,
    pub barcode: Option<String>,
    pub price: Option<Decimal>,
    pub compare_at_price: Option<Decimal>,
    pub cost: Option<Decimal>,
    pub weight: Option<Weight>,
    pub length: Option<Length>,
    pub width: Option<Length>,
    pub height: Option<Length>,
    pub status: VariantStatus,
}

/// The rows of one `product_handle`.
#[derive(Debug, Clone)]
pub struct Group {
    pub handle: String,
    /// The line of its first row (which sets the product's fields).
    pub line: u64,
    pub head: Head,
    /// Option names as given by the first row, even when a later option was misplaced.
    option_names: [String; MAX_OPTIONS],
    pub rows: Vec<Row>,
    /// Some row of it has an error: the product is not written.
    pub bad: bool,
}

/// What reading gave.
#[derive(Debug)]
pub struct Parsed {
    pub header: Option<Header>,
    pub groups: Vec<Group>,
    /// Data records read.
    pub rows_read: u64,
    /// Product handles seen (past [`MAX_GROUPS_REFUSED`] of a refused file, rows of
    /// products not kept are counted as products).
    pub products_seen: u64,
    /// Why reading stopped before the end, if it did.
    pub stopped: Option<String>,
}

/// What reading needs to know.
#[derive(Debug, Clone, Copy)]
pub struct ParseCtx {
    pub skip_invalid: bool,
    /// Prices are in the account's currency; a row may name it, never another.
    pub currency: Currency,
}

/// Why the source could not be read to its end.
#[derive(Debug)]
pub enum ReadError {
    /// The source gave more than the size limit.
    TooLarge,
    Io(String),
}

/// The marker a size-limited source fails with (see `super::pipe::Limited`).
#[derive(Debug)]
pub struct LimitExceeded;

impl std::fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("size limit exceeded")
    }
}

impl std::error::Error for LimitExceeded {}

fn read_error(e: csv::Error) -> ReadError {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => {
            if io
                .get_ref()
                .is_some_and(|inner| inner.downcast_ref::<LimitExceeded>().is_some())
            {
                ReadError::TooLarge
            } else {
                ReadError::Io(io.to_string())
            }
        }
        other => ReadError::Io(format!("{other:?}")),
    }
}

/// A value as shown in a message: quoted, escaped, cut at 40 characters.
pub fn shown(v: &str) -> String {
    let cut: String = v.chars().take(40).collect();
    if v.chars().count() > 40 {
        format!("{cut:?}…")
    } else {
        format!("{cut:?}")
    }
}

/// Read the whole source.
pub fn parse<R: Read>(source: R, ctx: ParseCtx, log: &mut ProblemLog) -> Result<Parsed, ReadError> {
    // The csv crate's line numbers do not count line breaks inside quoted fields; a text
    // editor does, so lines are counted here from the bytes themselves.
    let lines = Rc::new(RefCell::new(LineIndex::default()));
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(Counting {
            inner: source,
            at: 0,
            lines: Rc::clone(&lines),
        });
    let mut rec = csv::ByteRecord::new();
    let mut parsed = Parsed {
        header: None,
        groups: Vec::new(),
        rows_read: 0,
        products_seen: 0,
        stopped: None,
    };
    if !rdr.read_byte_record(&mut rec).map_err(read_error)? {
        log.file_error(
            "the file is empty: its first line must be the header (product_handle, sku, …)",
        );
        return Ok(parsed);
    }
    let names: Result<Vec<&str>, _> = rec.iter().map(std::str::from_utf8).collect();
    let Ok(names) = names else {
        log.file_error("the header is not UTF-8 text; save the file as CSV in UTF-8");
        return Ok(parsed);
    };
    let Some(header) = Header::parse(&names, log) else {
        return Ok(parsed);
    };
    let mut state = State {
        ctx,
        header: &header,
        by_handle: HashMap::new(),
        skus: HashMap::new(),
        groups: Vec::new(),
        untracked: 0,
        refused: false,
    };
    let mut garbage_run = 0u32;
    while rdr.read_byte_record(&mut rec).map_err(read_error)? {
        parsed.rows_read += 1;
        let line = lines
            .borrow_mut()
            .line_at(rec.position().map_or(0, |p| p.byte()));
        if state.record(line, &rec, log) {
            garbage_run = 0;
        } else {
            garbage_run += 1;
            if garbage_run >= MAX_GARBAGE_RUN {
                parsed.stopped = Some(format!(
                    "reading stopped at line {line}: {MAX_GARBAGE_RUN} records in a row are not rows of this CSV file (wrong number of fields or not UTF-8)"
                ));
                break;
            }
        }
        if !ctx.skip_invalid && log.errors() > 0 && !state.refused {
            state.refuse();
        }
    }
    parsed.products_seen = state.groups.len() as u64 + state.untracked;
    parsed.groups = state.groups;
    parsed.header = Some(header);
    Ok(parsed)
}

/// Where the line breaks are, from the current record on: breaks before the record are
/// only counted, so the index holds no more than the reader's look-ahead.
#[derive(Default)]
struct LineIndex {
    /// Offsets and bytes of the CRs and LFs not yet passed.
    ahead: VecDeque<(u64, u8)>,
    /// Line breaks passed (CR LF, LF or a lone CR each count one).
    passed: u64,
}

impl LineIndex {
    fn saw(&mut self, base: u64, bytes: &[u8]) {
        for (i, b) in bytes.iter().enumerate() {
            if matches!(b, b'\r' | b'\n') {
                self.ahead.push_back((base + i as u64, *b));
            }
        }
    }

    fn pass_one(&mut self) {
        if let Some((at, b)) = self.ahead.pop_front() {
            let crlf = b == b'\r' && self.ahead.front() == Some(&(at + 1, b'\n'));
            if !crlf {
                self.passed += 1;
            }
        }
    }

    /// The line (1-based) of the record the reader placed at `offset`. The reader places a
    /// record where the previous one ended, before the line break (and any blank lines)
    /// that lead to it; those are skipped here. Offsets must not decrease.
    fn line_at(&mut self, offset: u64) -> u64 {
        while self.ahead.front().is_some_and(|&(at, _)| at < offset) {
            self.pass_one();
        }
        let mut cursor = offset;
        while self.ahead.front().is_some_and(|&(at, _)| at == cursor) {
            self.pass_one();
            cursor += 1;
        }
        self.passed + 1
    }
}

/// The source, telling the line index about every byte the CSV reader takes.
struct Counting<R> {
    inner: R,
    at: u64,
    lines: Rc<RefCell<LineIndex>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.lines.borrow_mut().saw(self.at, &buf[..n]);
        self.at += n as u64;
        Ok(n)
    }
}

struct State<'h> {
    ctx: ParseCtx,
    header: &'h Header,
    /// Handle → index in `groups`.
    by_handle: HashMap<String, usize>,
    /// SKU key → (line, SKU as spelt there) of its first row.
    skus: HashMap<SkuKey, (u64, String)>,
    groups: Vec<Group>,
    /// Rows that started a product not kept (see [`MAX_GROUPS_REFUSED`]).
    untracked: u64,
    /// An error refuses the file: rows are no longer kept, new products no longer tracked.
    refused: bool,
}

/// Outcome of reading one cell.
type Cell<T> = Result<T, String>;

impl State<'_> {
    fn refuse(&mut self) {
        self.refused = true;
        for g in &mut self.groups {
            g.rows = Vec::new();
        }
    }

    fn mark_bad(&mut self, gi: usize) {
        let g = &mut self.groups[gi];
        g.bad = true;
        g.rows = Vec::new();
    }

    /// Check one record; false when it is not a row of this file at all (garbage).
    fn record(&mut self, line: u64, rec: &csv::ByteRecord, log: &mut ProblemLog) -> bool {
        let header = self.header;
        let mut fields: Vec<&str> = Vec::with_capacity(rec.len());
        let mut structural = false;
        for (i, raw) in rec.iter().enumerate() {
            match std::str::from_utf8(raw) {
                Ok(s) => fields.push(s),
                Err(e) => {
                    let column = Column::ALL
                        .iter()
                        .find(|c| header.position(**c) == Some(i))
                        .map(|c| c.name().to_owned())
                        .unwrap_or_else(|| format!("field {}", i + 1));
                    log.error(
                        line,
                        Some(&column),
                        format!(
                            "is not valid UTF-8 text (bad byte at offset {} of the field); save the file as CSV in UTF-8",
                            e.valid_up_to()
                        ),
                    );
                    structural = true;
                    fields.push("");
                }
            }
        }
        if rec.len() != header.width {
            log.error(
                line,
                None,
                format!(
                    "the row has {} field{}, the header has {}",
                    rec.len(),
                    if rec.len() == 1 { "" } else { "s" },
                    header.width
                ),
            );
            structural = true;
        }
        let cell = |c: Column| {
            header
                .position(c)
                .map(|i| fields.get(i).copied().unwrap_or(""))
        };
        let handle = cell(Column::ProductHandle).unwrap_or("").trim();
        let gi = if handle.is_empty() {
            if !structural {
                log.error(
                    line,
                    Some(Column::ProductHandle.name()),
                    "is required: it groups the rows of one product",
                );
            }
            None
        } else if handle.chars().count() > MAX_HANDLE_CHARS {
            log.error(
                line,
                Some(Column::ProductHandle.name()),
                format!("is longer than {MAX_HANDLE_CHARS} characters"),
            );
            None
        } else {
            self.group_of(handle, line, &cell, !structural, log)
        };
        if structural {
            if let Some(gi) = gi {
                self.mark_bad(gi);
            }
            return false;
        }
        let before = log.errors();
        if let Some(gi) = gi {
            self.check_head(gi, line, &cell, log);
        }
        let names = gi.map(|gi| self.groups[gi].option_names.clone());
        let options = gi.map_or(0, |gi| self.groups[gi].head.options.len());
        let row = self.variant(line, &cell, names.as_ref(), options, log);
        if log.errors() > before {
            if let Some(gi) = gi {
                self.mark_bad(gi);
            }
            return true;
        }
        if let (Some(gi), Some(row)) = (gi, row) {
            let g = &mut self.groups[gi];
            if !self.refused && !g.bad {
                g.rows.push(row);
            }
        }
        true
    }

    /// The group of `handle`, started by this row if it is the first.
    /// A record that is not a row of this file (`readable` false) starts its product as a
    /// bad one, without looking at its fields.
    fn group_of<'c>(
        &mut self,
        handle: &str,
        line: u64,
        cell: &impl Fn(Column) -> Option<&'c str>,
        readable: bool,
        log: &mut ProblemLog,
    ) -> Option<usize> {
        if let Some(&gi) = self.by_handle.get(handle) {
            return Some(gi);
        }
        // Once the file is refused, products are still checked but only so many are kept
        // for checking their later rows, so that junk cannot grow memory with the file.
        let keep = !self.refused || self.groups.len() < MAX_GROUPS_REFUSED;
        if !keep {
            self.untracked += 1;
        }
        if !readable {
            if !keep {
                return None;
            }
            let gi = self.groups.len();
            self.groups.push(Group {
                handle: handle.to_owned(),
                line,
                head: Head::default(),
                option_names: Default::default(),
                rows: Vec::new(),
                bad: true,
            });
            self.by_handle.insert(handle.to_owned(), gi);
            return Some(gi);
        }
        let before = log.errors();
        let mut head = Head::default();
        for c in PRODUCT_COLUMNS {
            if let Some(text) = cell(c)
                && let Err(m) = apply(&mut head, c, text)
            {
                log.error(line, Some(c.name()), m);
            }
        }
        if self.header.has(Column::Title) && head.title.is_empty() {
            log.error(line, Some(Column::Title.name()), "must not be empty");
        }
        let mut option_names: [String; MAX_OPTIONS] = Default::default();
        for (i, name) in option_names.iter_mut().enumerate() {
            *name = cell(Column::option(i).0).unwrap_or("").trim().to_owned();
        }
        for i in 0..MAX_OPTIONS {
            if option_names[i].is_empty() {
                if let Some(j) = (i + 1..MAX_OPTIONS).find(|&j| !option_names[j].is_empty()) {
                    log.error(
                        line,
                        Some(Column::option(j).0.name()),
                        format!(
                            "is set but {} is empty: options are filled from the first",
                            Column::option(i).0.name()
                        ),
                    );
                }
                break;
            }
            head.options.push(option_names[i].clone());
        }
        if !keep {
            return None;
        }
        let gi = self.groups.len();
        self.groups.push(Group {
            handle: handle.to_owned(),
            line,
            head,
            option_names,
            rows: Vec::new(),
            bad: log.errors() > before,
        });
        self.by_handle.insert(handle.to_owned(), gi);
        Some(gi)
    }

    /// A later row's product columns: empty, or equal to the first row's.
    fn check_head<'c>(
        &mut self,
        gi: usize,
        line: u64,
        cell: &impl Fn(Column) -> Option<&'c str>,
        log: &mut ProblemLog,
    ) {
        let g = &self.groups[gi];
        if g.line == line {
            return;
        }
        let mut errors = Vec::new();
        for c in PRODUCT_COLUMNS
            .into_iter()
            .chain((0..3).map(|i| Column::option(i).0))
        {
            let Some(text) = cell(c).filter(|t| !t.trim().is_empty()) else {
                continue;
            };
            let mine = match canon_cell(c, text) {
                Ok(v) => v,
                Err(m) => {
                    errors.push((c, m));
                    continue;
                }
            };
            let first = canon_head(g, c);
            if mine != first {
                errors.push((
                    c,
                    format!(
                        "differs from line {} of the same product ({} there); a product's columns must be the same on each of its rows, or empty",
                        g.line,
                        shown(&first)
                    ),
                ));
            }
        }
        for (c, m) in errors {
            log.error(line, Some(c.name()), m);
        }
    }

    /// The variant columns of a row (errors logged; `None` when the SKU is unusable or the
    /// SKU repeats an earlier row).
    fn variant<'c>(
        &mut self,
        line: u64,
        cell: &impl Fn(Column) -> Option<&'c str>,
        names: Option<&[String; MAX_OPTIONS]>,
        options: usize,
        log: &mut ProblemLog,
    ) -> Option<Row> {
        let mut err = |c: Column, m: String| log.error(line, Some(c.name()), m);
        let sku = match Sku::parse(cell(Column::Sku).unwrap_or("")) {
            Ok(s) => Some(s),
            Err(e) => {
                err(Column::Sku, e.to_string());
                None
            }
        };
        let mut option_values = Vec::new();
        // Without its product (not kept, or no handle) a row's option values cannot be judged.
        if self.header.has_options() && names.is_some() {
            for i in 0..MAX_OPTIONS {
                let (n, v) = Column::option(i);
                let value = cell(v).unwrap_or("").trim();
                let name = names.map_or("", |n| n[i].as_str());
                if i < options {
                    if value.is_empty() {
                        err(
                            v,
                            format!("is required: the product has the option {}", shown(name)),
                        );
                    }
                    option_values.push(value.to_owned());
                } else if !value.is_empty() && name.is_empty() {
                    err(
                        v,
                        format!(
                            "is set but the product has no option {} ({} is empty)",
                            i + 1,
                            n.name()
                        ),
                    );
                }
            }
        }
        let barcode = cell(Column::Barcode)
            .map(str::trim)
            .filter(|b| !b.is_empty())
            .map(str::to_owned);
        let mut amount = |c: Column| match cell(c).map(decimal).transpose() {
            Ok(v) => v.flatten(),
            Err(m) => {
                err(c, m);
                None
            }
        };
        let price = amount(Column::Price);
        let compare_at_price = amount(Column::CompareAtPrice);
        let cost = amount(Column::Cost);
        let weight_value = amount(Column::Weight);
        let length_value = amount(Column::Length);
        let width_value = amount(Column::Width);
        let height_value = amount(Column::Height);
        if let Some(c) = cell(Column::Currency)
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            match Currency::parse(c) {
                Err(_) => err(
                    Column::Currency,
                    format!("{} is not a three-letter ISO 4217 currency code", shown(c)),
                ),
                Ok(c) if c != self.ctx.currency => err(
                    Column::Currency,
                    format!(
                        "prices are in the account's currency, {}; this row says {} (techOMS does not convert)",
                        self.ctx.currency, c
                    ),
                ),
                Ok(_) => {}
            }
        }
        let weight_unit = unit::<WeightUnit>(
            cell(Column::WeightUnit),
            weight_value.is_some(),
            Column::WeightUnit,
            "g, kg, oz, lb",
            &mut err,
        );
        let dims = length_value.is_some() || width_value.is_some() || height_value.is_some();
        let length_unit = unit::<LengthUnit>(
            cell(Column::DimensionUnit),
            dims,
            Column::DimensionUnit,
            "mm, cm, m, in, ft",
            &mut err,
        );
        let status = match cell(Column::VariantStatus).map(str::trim).unwrap_or("") {
            "" => VariantStatus::Active,
            s => s.parse().unwrap_or_else(|m: String| {
                err(Column::VariantStatus, m);
                VariantStatus::Active
            }),
        };
        let sku = sku?;
        if let Some((first, spelt)) = self.skus.get(sku.key()) {
            log.warning(
                line,
                Some(Column::Sku.name()),
                format!(
                    "SKU {} repeats SKU {} of line {first} (SKUs are compared trimmed and without regard to case); this row is skipped, the first one wins",
                    shown(sku.as_str()),
                    shown(spelt)
                ),
            );
            return None;
        }
        if !self.refused {
            // Once refused, SKUs are only compared with those already seen: memory stays
            // with what was read before the first error.
            self.skus
                .insert(sku.key().clone(), (line, sku.as_str().to_owned()));
        }
        Some(Row {
            line,
            sku,
            option_values,
            barcode,
            price,
            compare_at_price,
            cost,
            weight: weight_value
                .zip(weight_unit)
                .map(|(v, u)| Weight::new(v, u)),
            length: length_value
                .zip(length_unit)
                .map(|(v, u)| Length::new(v, u)),
            width: width_value.zip(length_unit).map(|(v, u)| Length::new(v, u)),
            height: height_value
                .zip(length_unit)
                .map(|(v, u)| Length::new(v, u)),
            status,
        })
    }
}

/// A unit cell: required when its value is given, checked whenever it is set.
fn unit<U: std::str::FromStr>(
    text: Option<&str>,
    needed: bool,
    column: Column,
    expected: &str,
    err: &mut impl FnMut(Column, String),
) -> Option<U> {
    let t = text.unwrap_or("").trim();
    if t.is_empty() {
        if needed {
            err(
                column,
                format!("is required when a value in this unit is given ({expected})"),
            );
        }
        return None;
    }
    match t.parse::<U>() {
        Ok(u) => Some(u),
        Err(_) => {
            err(
                column,
                format!("unknown unit {} (expected {expected})", shown(t)),
            );
            None
        }
    }
}

/// A non-negative decimal, or nothing for an empty cell.
fn decimal(text: &str) -> Cell<Option<Decimal>> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    match parse_amount(t) {
        Ok(d) if d.is_sign_negative() && !d.is_zero() => Err(format!("{} is negative", shown(t))),
        Ok(d) => Ok(Some(d.abs())),
        Err(_) => Err(format!(
            "{} is not a decimal number (digits and one decimal point, like 19.99)",
            shown(t)
        )),
    }
}

/// The columns that belong to the product (option names aside).
const PRODUCT_COLUMNS: [Column; 7] = [
    Column::Title,
    Column::DescriptionHtml,
    Column::Vendor,
    Column::ProductType,
    Column::Tags,
    Column::Status,
    Column::Images,
];

fn list_tags(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

fn list_images(text: &str) -> Cell<Vec<String>> {
    let urls: Vec<String> = text.split_whitespace().map(str::to_owned).collect();
    for u in &urls {
        let lower = u.to_ascii_lowercase();
        if !(lower.starts_with("https://") || lower.starts_with("http://")) || u.len() < 9 {
            return Err(format!(
                "{} is not an http(s) URL (separate several URLs with spaces)",
                shown(u)
            ));
        }
    }
    Ok(urls)
}

/// Set one product field from its cell.
fn apply(head: &mut Head, c: Column, text: &str) -> Cell<()> {
    match c {
        Column::Title => head.title = text.trim().to_owned(),
        Column::DescriptionHtml => head.description_html = text.to_owned(),
        Column::Vendor => head.vendor = text.trim().to_owned(),
        Column::ProductType => head.product_type = text.trim().to_owned(),
        Column::Tags => head.tags = list_tags(text),
        Column::Status => {
            head.status = match text.trim() {
                "" => ProductStatus::Active,
                s => s.parse()?,
            }
        }
        Column::Images => head.images = list_images(text)?,
        _ => {}
    }
    Ok(())
}

/// A product cell in a form comparable with [`canon_head`].
fn canon_cell(c: Column, text: &str) -> Cell<String> {
    Ok(match c {
        Column::Tags => list_tags(text).join("\u{1f}"),
        Column::Images => list_images(text)?.join("\u{1f}"),
        Column::Status => text.trim().parse::<ProductStatus>()?.as_str().to_owned(),
        Column::DescriptionHtml => text.to_owned(),
        _ => text.trim().to_owned(),
    })
}

fn canon_head(g: &Group, c: Column) -> String {
    let h = &g.head;
    match c {
        Column::Title => h.title.clone(),
        Column::DescriptionHtml => h.description_html.clone(),
        Column::Vendor => h.vendor.clone(),
        Column::ProductType => h.product_type.clone(),
        Column::Tags => h.tags.join("\u{1f}"),
        Column::Status => h.status.as_str().to_owned(),
        Column::Images => h.images.join("\u{1f}"),
        Column::Option1Name => g.option_names[0].clone(),
        Column::Option2Name => g.option_names[1].clone(),
        Column::Option3Name => g.option_names[2].clone(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &[u8], skip_invalid: bool) -> (Parsed, ProblemLog) {
        let mut log = ProblemLog::new(100);
        let p = parse(
            text,
            ParseCtx {
                skip_invalid,
                currency: Currency::USD,
            },
            &mut log,
        )
        .unwrap();
        (p, log)
    }

    fn lines(log: &ProblemLog) -> Vec<String> {
        log.problems().iter().map(|p| p.to_line()).collect()
    }

    #[test]
    fn groups_rows_and_counts_lines_like_an_editor() {
        let csv = "product_handle,title,description_html,sku,price,option1_name,option1_value\r\n\
                   p1,Parka,\"<p>warm\nand dry</p>\",PK-S,10.5,Size,S\r\n\
                   p1,,,PK-M,11,,M\r\n\
                   p2,Sock,,SO-1,,,\r\n\
                   p1,Parka,,PK-L,x,,L\r\n";
        let (p, log) = run(csv.as_bytes(), true);
        assert_eq!(p.rows_read, 4);
        // The quoted description spans lines 2-3, so the rows start at 2, 4, 5 and 6.
        assert_eq!(
            lines(&log),
            vec![
                "line 6, price: error: \"x\" is not a decimal number (digits and one decimal point, like 19.99)"
            ]
        );
        assert_eq!(p.groups.len(), 2);
        let g = &p.groups[0];
        assert!(
            g.bad && g.rows.is_empty(),
            "a bad row makes its product bad"
        );
        assert_eq!(g.head.description_html, "<p>warm\nand dry</p>");
        let s = &p.groups[1];
        assert_eq!(s.line, 5);
        assert_eq!(s.rows[0].sku.as_str(), "SO-1");
        assert!(s.head.options.is_empty());
    }

    #[test]
    fn duplicate_skus_first_wins_with_a_warning() {
        let csv = "product_handle,sku\r\n\r\np1,AB-1\r\np1, ab-1 \np2,Ab-1\n";
        let (p, log) = run(csv.as_bytes(), false);
        assert_eq!(log.errors(), 0);
        assert_eq!(log.warnings(), 2);
        assert!(
            lines(&log)[0]
                .starts_with("line 4, sku: warning: SKU \"ab-1\" repeats SKU \"AB-1\" of line 3")
        );
        assert_eq!(p.groups[0].rows.len(), 1);
        assert!(p.groups[1].rows.is_empty());
    }

    #[test]
    fn bad_encoding_and_field_counts_are_reported_per_line() {
        let mut csv = b"product_handle,sku,title\np1,A-1,Ok\np2,B-".to_vec();
        csv.extend_from_slice(&[0xff, 0xfe]);
        csv.extend_from_slice(b",Bad\np3,C-1\n");
        let (_, log) = run(&csv, false);
        let l = lines(&log);
        assert!(
            l[0].starts_with("line 3, sku: error: is not valid UTF-8"),
            "{l:?}"
        );
        assert_eq!(
            l[1],
            "line 4: error: the row has 2 fields, the header has 3"
        );
    }

    #[test]
    fn product_columns_must_agree_or_be_empty() {
        let csv = "product_handle,title,tags,sku\np1,Parka,\"a, b\",A-1\np1,,a,A-2\np1,Parka,\"a,b\",A-3\n";
        let (_, log) = run(csv.as_bytes(), false);
        let l = lines(&log);
        assert_eq!(l.len(), 1, "{l:?}");
        assert!(
            l[0].starts_with("line 3, tags: error: differs from line 2"),
            "{l:?}"
        );
    }

    #[test]
    fn currency_units_and_options_are_checked() {
        let csv = "product_handle,sku,currency,weight,weight_unit,length,dimension_unit,option1_name,option1_value,option2_name,option2_value\n\
                   p1,A-1,eur,1,stone,2,,,,Color,Red\n";
        let (_, log) = run(csv.as_bytes(), false);
        let l = lines(&log).join("\n");
        assert!(
            l.contains("option2_name: error: is set but option1_name is empty"),
            "{l}"
        );
        assert!(
            l.contains("currency: error: prices are in the account's currency, USD"),
            "{l}"
        );
        assert!(
            l.contains("weight_unit: error: unknown unit \"stone\""),
            "{l}"
        );
        assert!(l.contains("dimension_unit: error: is required"), "{l}");
    }

    #[test]
    fn junk_stops_reading() {
        let mut csv = b"product_handle,sku,title\n".to_vec();
        for _ in 0..1000 {
            csv.extend_from_slice(b"\xff\xfe,x\n");
        }
        let (p, log) = run(&csv, true);
        assert!(p.stopped.is_some());
        assert_eq!(p.rows_read, u64::from(MAX_GARBAGE_RUN));
        assert!(log.errors() >= u64::from(MAX_GARBAGE_RUN));
    }
}

#[cfg(test)]
mod line_tests {
    use super::*;

    #[test]
    fn lone_crs_and_crlfs_count_one_line_each() {
        let mut ix = LineIndex::default();
        ix.saw(0, b"a\r\nb\rc\n\nd");
        assert_eq!(ix.line_at(0), 1);
        assert_eq!(ix.line_at(1), 2, "CR LF then b");
        assert_eq!(ix.line_at(4), 3, "lone CR then c");
        assert_eq!(ix.line_at(6), 5, "a blank line before d");
    }
}
