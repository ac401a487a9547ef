//! Writing the catalog as CSV, a keyset page at a time: the header first, then one row per
//! variant with its product's columns repeated. `product_handle` is the product id, so that a
//! file exported, edited and imported again updates the same products. Weights are written
//! in grams and lengths in millimetres, exactly as stored, so nothing is rounded on the way
//! out and back in.

use techoms_db::products;
use techoms_domain::{AccountId, Currency, Product, ProductId};

use super::columns::Column;
use crate::App;
use crate::access::Access;
use crate::error::{AppError, AppResult};

/// Products per page read from the database.
const PAGE: u32 = 200;

/// The export of one account's catalog, chunk by chunk.
pub struct Exporter {
    app: App,
    account: AccountId,
    currency: Currency,
    after: Option<ProductId>,
    started: bool,
    done: bool,
}

impl Exporter {
    /// Anyone who can see the account may export it (reading only).
    pub fn new(app: &App, access: &Access) -> Self {
        Self {
            app: app.clone(),
            account: access.account.id,
            currency: access.account.currency,
            after: None,
            started: false,
            done: false,
        }
    }

    /// The next chunk of the file (the header, then a page of products); `None` at the end.
    pub async fn next_chunk(&mut self) -> AppResult<Option<Vec<u8>>> {
        if !self.started {
            self.started = true;
            return Ok(Some(write_rows(
                [Column::ALL.map(|c| c.name().to_owned())],
            )?));
        }
        if self.done {
            return Ok(None);
        }
        let page = products::page_after(&self.app.db, self.account, self.after, PAGE).await?;
        if (page.len() as u32) < PAGE {
            self.done = true;
        }
        let Some(last) = page.last() else {
            return Ok(None);
        };
        self.after = Some(last.id);
        let rows = page.iter().flat_map(|p| rows_of(p, self.currency));
        Ok(Some(write_rows(rows)?))
    }
}

fn write_rows(rows: impl IntoIterator<Item = [String; 27]>) -> AppResult<Vec<u8>> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for r in rows {
        w.write_record(&r)
            .map_err(|e| AppError::Internal(format!("csv export: {e}")))?;
    }
    w.into_inner()
        .map_err(|e| AppError::Internal(format!("csv export: {e}")))
}

fn dec(d: Option<rust_decimal::Decimal>) -> String {
    d.map(|d| d.normalize().to_string()).unwrap_or_default()
}

/// The rows of one product, in [`Column::ALL`] order.
pub fn rows_of(p: &Product, currency: Currency) -> Vec<[String; 27]> {
    p.variants
        .iter()
        .map(|v| {
            let option = |i: usize| {
                (
                    p.options.get(i).cloned().unwrap_or_default(),
                    v.option_values.get(i).cloned().unwrap_or_default(),
                )
            };
            let (o1n, o1v) = option(0);
            let (o2n, o2v) = option(1);
            let (o3n, o3v) = option(2);
            let has_dims = v.length.is_some() || v.width.is_some() || v.height.is_some();
            [
                p.id.to_string(),
                p.title.clone(),
                p.description_html.clone(),
                p.vendor.clone(),
                p.product_type.clone(),
                p.tags.join(", "),
                p.status.as_str().to_owned(),
                p.images.join(" "),
                o1n,
                o1v,
                o2n,
                o2v,
                o3n,
                o3v,
                v.sku.as_str().to_owned(),
                v.barcode.clone().unwrap_or_default(),
                dec(v.price),
                dec(v.compare_at_price),
                dec(v.cost),
                currency.code().to_owned(),
                dec(v.weight.map(|w| w.grams())),
                if v.weight.is_some() { "g" } else { "" }.to_owned(),
                dec(v.length.map(|l| l.mm())),
                dec(v.width.map(|l| l.mm())),
                dec(v.height.map(|l| l.mm())),
                if has_dims { "mm" } else { "" }.to_owned(),
                v.status.as_str().to_owned(),
            ]
        })
        .collect()
}
