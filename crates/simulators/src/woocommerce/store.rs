//! One WooCommerce site's state: WordPress posts (products, variations, attachments) drawn from
//! one shared id sequence, product terms, REST API keys, settings, faults and the request log.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::faults::FaultState;

/// What a REST API key may do (WooCommerce → Settings → Advanced → REST API).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum KeyPermissions {
    Read,
    Write,
    #[default]
    ReadWrite,
}

impl KeyPermissions {
    pub fn can_read(self) -> bool {
        matches!(self, KeyPermissions::Read | KeyPermissions::ReadWrite)
    }
    pub fn can_write(self) -> bool {
        matches!(self, KeyPermissions::Write | KeyPermissions::ReadWrite)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    pub consumer_key: String,
    pub consumer_secret: String,
    #[serde(default)]
    pub permissions: KeyPermissions,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PostType {
    Product,
    Variation,
}

/// A product attribute stored on a parent product. Only local ("custom") attributes are
/// modelled: global `pa_*` taxonomies are not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribute {
    pub name: String,
    pub position: u32,
    pub visible: bool,
    pub variation: bool,
    pub options: Vec<String>,
}

/// A variation's value for one of its parent's variation attributes, keyed by the
/// sanitized attribute name as WooCommerce stores it (`attribute_{slug}` meta).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariationAttribute {
    pub slug: String,
    pub option: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    pub id: u64,
    pub key: String,
    pub value: Value,
}

/// A `product` or `product_variation` post with its WooCommerce data. Money, weights and
/// dimensions are kept as the strings WooCommerce stores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Post {
    pub id: u64,
    pub post_type: PostType,
    pub parent_id: u64,
    /// simple | variable | grouped | external | variation
    pub product_type: String,
    pub name: String,
    pub slug: String,
    pub status: String,
    pub description: String,
    pub short_description: String,
    pub sku: String,
    pub global_unique_id: String,
    pub regular_price: String,
    pub sale_price: String,
    pub weight: String,
    pub length: String,
    pub width: String,
    pub height: String,
    pub manage_stock: bool,
    pub stock_quantity: Option<i64>,
    pub stock_status: String,
    /// Products: featured image then gallery. Variations: at most one.
    pub image_ids: Vec<u64>,
    pub attributes: Vec<Attribute>,
    pub variation_attributes: Vec<VariationAttribute>,
    pub category_ids: Vec<u64>,
    pub tag_ids: Vec<u64>,
    pub meta_data: Vec<Meta>,
    pub menu_order: i64,
    pub date_created: DateTime<Utc>,
    pub date_modified: DateTime<Utc>,
}

impl Post {
    pub fn new(id: u64, post_type: PostType, now: DateTime<Utc>) -> Self {
        Self {
            id,
            post_type,
            parent_id: 0,
            product_type: match post_type {
                PostType::Product => "simple".into(),
                PostType::Variation => "variation".into(),
            },
            name: String::new(),
            slug: String::new(),
            status: "publish".into(),
            description: String::new(),
            short_description: String::new(),
            sku: String::new(),
            global_unique_id: String::new(),
            regular_price: String::new(),
            sale_price: String::new(),
            weight: String::new(),
            length: String::new(),
            width: String::new(),
            height: String::new(),
            manage_stock: false,
            stock_quantity: None,
            stock_status: "instock".into(),
            image_ids: Vec::new(),
            attributes: Vec::new(),
            variation_attributes: Vec::new(),
            category_ids: Vec::new(),
            tag_ids: Vec::new(),
            meta_data: Vec::new(),
            menu_order: 0,
            date_created: now,
            date_modified: now,
        }
    }

    pub fn is_trashed(&self) -> bool {
        self.status == "trash"
    }

    /// The price a shopper pays (`price`, read-only in the API).
    pub fn active_price(&self) -> &str {
        if self.sale_price.is_empty() {
            &self.regular_price
        } else {
            &self.sale_price
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub id: u64,
    pub src: String,
    pub name: String,
    pub alt: String,
    pub date: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Term {
    pub id: u64,
    pub name: String,
    pub slug: String,
}

/// Store-wide configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StoreSettings {
    /// `woocommerce_weight_unit`: kg | g | lbs | oz.
    pub weight_unit: String,
    /// `woocommerce_dimension_unit`: m | cm | mm | in | yd.
    pub dimension_unit: String,
    /// The site's timezone as a fixed offset; `date_modified` is local, `_gmt` is UTC.
    pub utc_offset_minutes: i32,
    /// `woocommerce_rest_batch_items_limit` (100 unless a plugin changes it).
    pub batch_limit: usize,
    /// Whether `GET /wc/v3/variations` exists (WooCommerce 10.3+). Off emulates older stores.
    pub global_variations_route: bool,
}

impl Default for StoreSettings {
    fn default() -> Self {
        Self {
            weight_unit: "kg".into(),
            dimension_unit: "cm".into(),
            utc_offset_minutes: 120,
            batch_limit: 100,
            global_variations_route: true,
        }
    }
}

/// One request as the site received it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoggedRequest {
    pub method: String,
    /// Path below the site root, e.g. `/wp-json/wc/v3/products`.
    pub path: String,
    /// The raw query string (as sent, credentials included).
    pub query: String,
    pub body: String,
    pub status: u16,
    /// Wall-clock arrival time (not the simulator clock), for measuring a client's pacing.
    pub received_at: DateTime<Utc>,
}

/// The id WordPress gives the default product category ("Uncategorized").
pub const UNCATEGORIZED_ID: u64 = 15;

#[derive(Debug)]
pub struct Store {
    pub site: String,
    pub settings: StoreSettings,
    pub keys: Vec<ApiKey>,
    pub(crate) next_post_id: u64,
    pub(crate) next_term_id: u64,
    pub(crate) next_meta_id: u64,
    pub(crate) key_counter: u64,
    pub posts: BTreeMap<u64, Post>,
    pub attachments: BTreeMap<u64, Attachment>,
    pub categories: Vec<Term>,
    pub tags: Vec<Term>,
    pub faults: FaultState,
    pub log: Vec<LoggedRequest>,
    pub writes: u64,
}

impl Store {
    pub fn new(site: &str, settings: StoreSettings) -> Self {
        Self {
            site: site.to_owned(),
            settings,
            keys: Vec::new(),
            // WordPress ids start after the posts and pages a fresh install creates.
            next_post_id: 10,
            next_term_id: UNCATEGORIZED_ID + 1,
            next_meta_id: 1000,
            key_counter: 0,
            posts: BTreeMap::new(),
            attachments: BTreeMap::new(),
            categories: vec![Term {
                id: UNCATEGORIZED_ID,
                name: "Uncategorized".into(),
                slug: "uncategorized".into(),
            }],
            tags: Vec::new(),
            faults: FaultState::default(),
            log: Vec::new(),
            writes: 0,
        }
    }

    /// The next id of the `wp_posts` sequence, shared by products, variations and images.
    pub fn next_id(&mut self) -> u64 {
        let id = self.next_post_id;
        self.next_post_id += 1;
        id
    }

    pub fn next_meta_id(&mut self) -> u64 {
        let id = self.next_meta_id;
        self.next_meta_id += 1;
        id
    }

    /// Issue a new key pair, deterministic for the site and the number of keys issued so far.
    pub fn issue_key(&mut self, permissions: KeyPermissions) -> ApiKey {
        self.key_counter += 1;
        let seed = format!("{}#{}", self.site, self.key_counter);
        let key = ApiKey {
            consumer_key: format!("ck_{}", hex40(&format!("key:{seed}"))),
            consumer_secret: format!("cs_{}", hex40(&format!("secret:{seed}"))),
            permissions,
        };
        self.keys.push(key.clone());
        key
    }

    pub fn find_key(&self, consumer_key: &str) -> Option<&ApiKey> {
        self.keys.iter().find(|k| k.consumer_key == consumer_key)
    }

    /// The id of the product or variation that holds `sku` (other than `except`), compared as
    /// MySQL's default `*_ci` collations compare: case-insensitively. Trashed posts do not count.
    pub fn sku_owner(&self, sku: &str, except: u64) -> Option<u64> {
        let wanted = sku_fold(sku);
        if wanted.is_empty() {
            return None;
        }
        self.posts
            .values()
            .find(|p| p.id != except && !p.is_trashed() && sku_fold(&p.sku) == wanted)
            .map(|p| p.id)
    }

    /// `wc_product_generate_unique_sku`: append -1, -2 … until the SKU is free.
    pub fn unique_sku(&self, sku: &str, except: u64) -> String {
        let mut candidate = sku.to_owned();
        let mut n = 0;
        while self.sku_owner(&candidate, except).is_some() {
            n += 1;
            candidate = format!("{sku}-{n}");
        }
        candidate
    }

    pub fn gtin_owner(&self, gtin: &str, except: u64) -> Option<u64> {
        if gtin.is_empty() {
            return None;
        }
        self.posts
            .values()
            .find(|p| p.id != except && !p.is_trashed() && p.global_unique_id == gtin)
            .map(|p| p.id)
    }

    /// Ids of a product's variations in menu order.
    pub fn children_of(&self, parent: u64) -> Vec<u64> {
        let mut kids: Vec<&Post> = self
            .posts
            .values()
            .filter(|p| p.post_type == PostType::Variation && p.parent_id == parent)
            .filter(|p| !p.is_trashed())
            .collect();
        kids.sort_by_key(|p| (p.menu_order, p.id));
        kids.into_iter().map(|p| p.id).collect()
    }

    pub fn category_by_name(&mut self, name: &str) -> u64 {
        find_or_add_term(&mut self.categories, &mut self.next_term_id, name)
    }

    pub fn tag_by_name(&mut self, name: &str) -> u64 {
        find_or_add_term(&mut self.tags, &mut self.next_term_id, name)
    }

    /// "Upload" an image from a URL: WordPress sideloads it into the media library, so the
    /// product then points at a new attachment under `wp-content/uploads`.
    pub fn sideload(&mut self, src: &str, now: DateTime<Utc>) -> u64 {
        let id = self.next_id();
        let file = src
            .split(['?', '#'])
            .next()
            .unwrap_or("")
            .rsplit('/')
            .next()
            .filter(|f| !f.is_empty())
            .unwrap_or("image.jpg")
            .to_owned();
        let name = file
            .rsplit_once('.')
            .map(|(n, _)| n)
            .unwrap_or(&file)
            .to_owned();
        let path = format!("/wp-content/uploads/{}/{}", now.format("%Y/%m"), file);
        self.attachments.insert(
            id,
            Attachment {
                id,
                src: path,
                name,
                alt: String::new(),
                date: now,
            },
        );
        id
    }

    /// A local timestamp of the site (WordPress `post_modified`) for a UTC instant.
    pub fn local(&self, t: DateTime<Utc>) -> chrono::NaiveDateTime {
        t.naive_utc() + Duration::minutes(i64::from(self.settings.utc_offset_minutes))
    }
}

fn find_or_add_term(terms: &mut Vec<Term>, next: &mut u64, name: &str) -> u64 {
    let slug = sanitize_title(name);
    if let Some(t) = terms.iter().find(|t| t.slug == slug) {
        return t.id;
    }
    let id = *next;
    *next += 1;
    terms.push(Term {
        id,
        name: name.to_owned(),
        slug,
    });
    id
}

/// How MySQL's case-insensitive collation sees a SKU (after `wc_clean` trimmed it).
pub fn sku_fold(s: &str) -> String {
    s.trim().to_lowercase()
}

/// WordPress `sanitize_title` for the characters that matter here: lower case, spaces to
/// hyphens, anything else that is not a letter, digit, `-` or `_` dropped.
pub fn sanitize_title(s: &str) -> String {
    let mut out = String::new();
    let mut last_dash = false;
    for c in s.trim().chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() || c == '_' {
            out.push(c);
            last_dash = false;
        } else if (c.is_whitespace() || c == '-') && !last_dash && !out.is_empty() {
            out.push('-');
            last_dash = true;
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// 40 hex digits derived from `s` (FNV-1a, widened): keys that look like WooCommerce's and are
/// the same on every run.
fn hex40(s: &str) -> String {
    let mut out = String::with_capacity(40);
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut round = 0u8;
    while out.len() < 40 {
        for b in s.bytes().chain([round]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        out.push_str(&format!("{h:016x}"));
        round += 1;
    }
    out.truncate(40);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_title_matches_wordpress_for_plain_names() {
        assert_eq!(sanitize_title("Shoe Size"), "shoe-size");
        assert_eq!(sanitize_title(" Color "), "color");
        assert_eq!(sanitize_title("A & B"), "a-b");
    }

    #[test]
    fn sku_uniqueness_is_case_insensitive_and_shared() {
        let now = Utc::now();
        let mut s = Store::new("s", StoreSettings::default());
        let id = s.next_id();
        let mut p = Post::new(id, PostType::Variation, now);
        p.sku = "Shirt-Red".into();
        s.posts.insert(id, p);
        assert_eq!(s.sku_owner("shirt-red", 0), Some(id));
        assert_eq!(s.sku_owner("shirt-red", id), None);
        assert_eq!(s.unique_sku("SHIRT-RED", 0), "SHIRT-RED-1");
    }

    #[test]
    fn keys_are_deterministic() {
        let mut a = Store::new("shop", StoreSettings::default());
        let mut b = Store::new("shop", StoreSettings::default());
        let ka = a.issue_key(KeyPermissions::ReadWrite);
        assert_eq!(ka, b.issue_key(KeyPermissions::ReadWrite));
        assert_eq!(ka.consumer_key.len(), 43);
        assert_ne!(ka.consumer_key[3..], ka.consumer_secret[3..]);
    }
}
