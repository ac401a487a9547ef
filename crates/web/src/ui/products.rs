//! Catalog pages: the product list (search by SKU or title, keyset pages; an exact SKU opens
//! its product) and a product's detail with its variants and each variant's status on every
//! channel of the account. Times in the account's time zone, weights in its display unit.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use rust_decimal::Decimal;
use serde::Deserialize;
use techoms_app::bindings::{self, Binding};
use techoms_app::{App, AppError, catalog, channels};
use techoms_domain::{Channel, ChannelId, MasterProductSource, Product, ProductId, SkuKey};

use super::chrome::Chrome;
use super::page_error;
use super::session::{UiSession, encode};

/// Products per page of the list.
const PRODUCTS_PER_PAGE: u32 = 50;
/// SKUs shown per product in the list.
const SKUS_SHOWN: usize = 3;

pub struct ProductRow {
    pub id: String,
    pub title: String,
    pub skus: String,
    pub more_skus: usize,
    pub variants: usize,
    pub status: String,
    pub vendor: String,
    pub updated: String,
}

/// What an empty catalog should lead the merchant to do.
pub struct EmptyHint {
    pub text: String,
    pub link: String,
    pub link_label: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "products.html")]
pub struct ProductsPage {
    pub chrome: Chrome,
    pub q: String,
    /// `q`, percent-encoded for the pager's links.
    pub q_query: String,
    pub rows: Vec<ProductRow>,
    pub paged: bool,
    pub next: Option<String>,
    /// Set when the catalog is empty (and nothing was searched).
    pub empty: Option<EmptyHint>,
}

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    after: Option<String>,
    /// List the matches even when the text is an exact SKU.
    all: Option<String>,
}

fn empty_hint(s: &techoms_app::auth::SignedIn, chans: &[Channel]) -> EmptyHint {
    let account = &s.current;
    let master = account
        .master_product_channel_id
        .and_then(|id| chans.iter().find(|c| c.id == id));
    if chans.is_empty() {
        EmptyHint {
            text: "No products yet, and no channel is connected. Connect the store or warehouse that holds your catalog, make it the Master Product Source in Account settings, and sync it; or keep techOMS as the master and add products through the API.".into(),
            link: "/channels".into(),
            link_label: "Connect a channel".into(),
        }
    } else if account.master_product_source == MasterProductSource::Techoms {
        EmptyHint {
            text: "No products yet. techOMS is the Master Product Source, so products are created here (through the API: POST /api/v1/products) and exported to your channels. If your catalog already lives in a channel, make that channel the Master Product Source in Account settings and sync it.".into(),
            link: "/settings".into(),
            link_label: "Set the Master Product Source".into(),
        }
    } else if let Some(m) = master {
        EmptyHint {
            text: format!(
                "No products yet. They come from {}, the Master Product Channel: open it and press Sync products, or turn on its Import Products job.",
                m.name
            ),
            link: format!("/channels/{}", m.id),
            link_label: format!("Open {}", m.name),
        }
    } else {
        EmptyHint {
            text: "No products yet. Choose the Master Product Channel in Account settings, then sync it.".into(),
            link: "/settings".into(),
            link_label: "Set the Master Product Source".into(),
        }
    }
}

pub async fn list(
    State(app): State<App>,
    UiSession(s): UiSession,
    Query(q): Query<ListQuery>,
) -> Response {
    let access = s.access();
    let text =
        q.q.as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
    let after = match q.after.as_deref().filter(|a| !a.is_empty()) {
        None => None,
        Some(a) => match a.parse::<ProductId>() {
            Ok(id) => Some(id),
            Err(_) => {
                return page_error(AppError::field(
                    "after",
                    format!("{a:?} is not a page of this list"),
                ));
            }
        },
    };
    // An exact SKU goes straight to its product (a scanned or pasted SKU).
    if let Some(t) = &text
        && after.is_none()
        && q.all.is_none()
    {
        match catalog::by_sku(&app, &access, t).await {
            Ok(Some(p)) => {
                return Redirect::to(&format!("/products/{}?sku={}", p.id, encode(t)))
                    .into_response();
            }
            Ok(None) => {}
            Err(e) => return page_error(e),
        }
    }
    let chrome = Chrome::new(&s, "Products", "products");
    let products =
        match catalog::search(&app, &access, text.clone(), after, PRODUCTS_PER_PAGE).await {
            Ok(p) => p,
            Err(e) => return page_error(e),
        };
    let empty = if products.is_empty() && text.is_none() && after.is_none() {
        let chans = match channels::list(&app, &access).await {
            Ok(c) => c,
            Err(e) => return page_error(e),
        };
        Some(empty_hint(&s, &chans))
    } else {
        None
    };
    let next = (products.len() as u32 == PRODUCTS_PER_PAGE)
        .then(|| products.last().map(|p| p.id.to_string()))
        .flatten();
    ProductsPage {
        rows: products
            .iter()
            .map(|p| ProductRow {
                id: p.id.to_string(),
                title: p.title.clone(),
                skus: p
                    .variants
                    .iter()
                    .take(SKUS_SHOWN)
                    .map(|v| v.sku.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                more_skus: p.variants.len().saturating_sub(SKUS_SHOWN),
                variants: p.variants.len(),
                status: p.status.as_str().to_owned(),
                vendor: p.vendor.clone(),
                updated: chrome.time(&p.updated_at),
            })
            .collect(),
        chrome,
        q_query: text.as_deref().map(encode).unwrap_or_default(),
        q: text.unwrap_or_default(),
        paged: after.is_some(),
        next,
        empty,
    }
    .into_response()
}

pub struct VariantRow {
    pub id: String,
    pub sku: String,
    pub options: String,
    pub price: String,
    pub compare_at_price: String,
    pub barcode: String,
    pub weight: String,
    pub status: String,
    /// The SKU searched for.
    pub found: bool,
}

/// One variant on one channel.
pub struct ChannelCell {
    pub channel_id: String,
    pub channel_name: String,
    pub note: String,
    /// bound, missing or absent.
    pub state: String,
    pub remote_product_id: String,
    pub remote_variant_id: String,
    pub channel_sku: String,
    pub last_pushed: String,
    pub last_read: String,
}

pub struct VariantChannels {
    pub sku: String,
    pub cells: Vec<ChannelCell>,
}

#[derive(Template, WebTemplate)]
#[template(path = "product.html")]
pub struct ProductPage {
    pub chrome: Chrome,
    pub id: String,
    pub title: String,
    pub status: String,
    pub vendor: String,
    pub product_type: String,
    pub tags: String,
    pub options: String,
    pub images: usize,
    pub description: String,
    pub created: String,
    pub updated: String,
    pub variants: Vec<VariantRow>,
    pub has_channels: bool,
    pub channels: Vec<VariantChannels>,
    /// The SKU that led here from the search box.
    pub found_sku: Option<String>,
    pub found_sku_query: String,
}

#[derive(Deserialize)]
pub struct DetailQuery {
    sku: Option<String>,
}

fn money(d: Option<Decimal>, currency: &techoms_domain::Currency) -> String {
    match d {
        Some(mut d) => {
            d.rescale(currency.minor_units());
            format!("{d} {}", currency.code())
        }
        None => String::new(),
    }
}

/// Tags and markup out of a description, for a short plain-text preview (the page never
/// renders a channel's HTML).
fn plain_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn cells(
    chrome: &Chrome,
    chans: &[Channel],
    master: Option<ChannelId>,
    bindings: &HashMap<ChannelId, &Binding>,
) -> Vec<ChannelCell> {
    let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| chrome.time(&t)).unwrap_or_else(|| "—".into())
    };
    chans
        .iter()
        .map(|c| {
            let mut note = Vec::new();
            if Some(c.id) == master {
                note.push("master");
            }
            if !c.enabled {
                note.push("disabled");
            }
            let note = if note.is_empty() {
                String::new()
            } else {
                format!("({})", note.join(", "))
            };
            match bindings.get(&c.id) {
                Some(b) => ChannelCell {
                    channel_id: c.id.to_string(),
                    channel_name: c.name.clone(),
                    note,
                    state: if b.missing_at_master {
                        "missing"
                    } else {
                        "bound"
                    }
                    .into(),
                    remote_product_id: b.remote_product_id.clone(),
                    remote_variant_id: b.remote_variant_id.clone(),
                    channel_sku: b.channel_sku.clone(),
                    last_pushed: time(b.last_pushed_at),
                    last_read: time(b.last_read_at),
                },
                None => ChannelCell {
                    channel_id: c.id.to_string(),
                    channel_name: c.name.clone(),
                    note,
                    state: "absent".into(),
                    remote_product_id: String::new(),
                    remote_variant_id: String::new(),
                    channel_sku: String::new(),
                    last_pushed: String::new(),
                    last_read: String::new(),
                },
            }
        })
        .collect()
}

async fn detail_page(
    app: &App,
    s: &techoms_app::auth::SignedIn,
    id: &str,
    found: Option<String>,
) -> Result<ProductPage, AppError> {
    let access = s.access();
    let id: ProductId = id.parse().map_err(|_| AppError::NotFound)?;
    let p: Product = catalog::get(app, &access, id).await?;
    let all_bindings = bindings::for_product(app, &access, id).await?;
    let chans = channels::list(app, &access).await?;
    let chrome = Chrome::new(s, p.title.clone(), "products");
    let account = &s.current;
    let found_key = found.as_deref().map(SkuKey::of);
    let mut per_variant: HashMap<_, HashMap<ChannelId, &Binding>> = HashMap::new();
    for b in &all_bindings {
        if let Some(v) = b.variant_id {
            per_variant.entry(v).or_default().insert(b.channel_id, b);
        }
    }
    let none = HashMap::new();
    let variants: Vec<VariantRow> = p
        .variants
        .iter()
        .map(|v| VariantRow {
            id: v.id.to_string(),
            sku: v.sku.as_str().to_owned(),
            options: p
                .options
                .iter()
                .zip(&v.option_values)
                .map(|(n, val)| format!("{n}: {val}"))
                .collect::<Vec<_>>()
                .join(" / "),
            price: money(v.price, &account.currency),
            compare_at_price: money(v.compare_at_price, &account.currency),
            barcode: v.barcode.clone().unwrap_or_default(),
            weight: v
                .weight
                .map(|w| {
                    format!(
                        "{} {}",
                        w.to_unit(account.weight_unit, 3).normalize(),
                        account.weight_unit.as_str()
                    )
                })
                .unwrap_or_default(),
            status: v.status.as_str().to_owned(),
            found: found_key.as_ref() == Some(v.sku.key()),
        })
        .collect();
    let channels_view = p
        .variants
        .iter()
        .map(|v| VariantChannels {
            sku: v.sku.as_str().to_owned(),
            cells: cells(
                &chrome,
                &chans,
                account.master_product_channel_id,
                per_variant.get(&v.id).unwrap_or(&none),
            ),
        })
        .collect();
    let found_sku = found.filter(|_| variants.iter().any(|v: &VariantRow| v.found));
    Ok(ProductPage {
        id: p.id.to_string(),
        title: p.title.clone(),
        status: p.status.as_str().to_owned(),
        vendor: p.vendor.clone(),
        product_type: p.product_type.clone(),
        tags: p.tags.join(", "),
        options: p.options.join(", "),
        images: p.images.len(),
        description: plain_text(&p.description_html),
        created: chrome.time(&p.created_at),
        updated: chrome.time(&p.updated_at),
        variants,
        has_channels: !chans.is_empty(),
        channels: channels_view,
        found_sku_query: found_sku.as_deref().map(encode).unwrap_or_default(),
        found_sku,
        chrome,
    })
}

pub async fn detail(
    State(app): State<App>,
    UiSession(s): UiSession,
    Path(id): Path<String>,
    Query(q): Query<DetailQuery>,
) -> Response {
    let found = q.sku.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    match detail_page(&app, &s, &id, found).await {
        Ok(p) => p.into_response(),
        Err(e) => page_error(e),
    }
}

#[cfg(test)]
mod tests {
    use super::plain_text;

    #[test]
    fn descriptions_lose_their_markup() {
        assert_eq!(
            plain_text("<p>Warm <b>wool</b></p><script>x</script>"),
            "Warm wool x"
        );
        assert_eq!(plain_text("a &lt; b"), "a &lt; b");
    }
}
