//! Executing a validated document against a shop: resolving fields (with aliases, fragments
//! and connections) into JSON, and adding up the actual query cost on the way (the same rules
//! as the requested cost, with the number of records returned in place of `first`).

use chrono::{DateTime, Utc};
use graphql_parser::query::Field;
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::connection::{PageArgs, SortVal, paginate};
use super::gql::{GqlError, Prepared};
use super::model::{Product, SearchDoc, Variant, fmt_time, gid, parse_gid};
use super::schema::{self, Ty};
use super::search::{self, FieldVal, Searchable};
use super::shop::{Shop, UserError};

type F = Field<'static, String>;

/// Something a field can resolve to.
#[derive(Clone)]
pub enum Obj<'s> {
    Query,
    Shop,
    Product(&'s Product),
    Variant(&'s Product, &'s Variant),
    InventoryItem(&'s Product, &'s Variant),
    Measurement(&'s Variant),
    Weight(Decimal, String),
    Money(Decimal),
    SelectedOption(String, String),
    ProductOption(&'s Product, usize),
    OptionValue(&'s Product, usize, usize),
    Media(&'s Product, usize),
    MediaPreview(&'s Product, usize),
    Image(&'s Product, usize),
    PageInfo {
        has_next: bool,
        has_prev: bool,
        start: Option<String>,
        end: Option<String>,
    },
    Count(u64),
    SetPayload {
        product: Option<&'s Product>,
        errors: Vec<UserError>,
        operation: Option<u64>,
    },
    SetOperation(u64),
    UserError(UserError),
}

impl Obj<'_> {
    fn typename(&self) -> &'static str {
        match self {
            Obj::Query => "QueryRoot",
            Obj::Shop => "Shop",
            Obj::Product(_) => "Product",
            Obj::Variant(..) => "ProductVariant",
            Obj::InventoryItem(..) => "InventoryItem",
            Obj::Measurement(_) => "InventoryItemMeasurement",
            Obj::Weight(..) => "Weight",
            Obj::Money(_) => "MoneyV2",
            Obj::SelectedOption(..) => "SelectedOption",
            Obj::ProductOption(..) => "ProductOption",
            Obj::OptionValue(..) => "ProductOptionValue",
            Obj::Media(..) => "MediaImage",
            Obj::MediaPreview(..) => "MediaPreviewImage",
            Obj::Image(..) => "Image",
            Obj::PageInfo { .. } => "PageInfo",
            Obj::Count(_) => "Count",
            Obj::SetPayload { .. } => "ProductSetPayload",
            Obj::SetOperation(_) => "ProductSetOperation",
            Obj::UserError(_) => "ProductSetUserError",
        }
    }
}

struct Conn<'s> {
    items: Vec<(String, Obj<'s>)>,
    has_next: bool,
    has_prev: bool,
}

pub struct Exec<'s> {
    pub p: &'s Prepared,
    pub shop: &'s Shop,
    pub now: DateTime<Utc>,
    pub errors: Vec<GqlError>,
}

/// Money as Shopify serialises it: a decimal string with at least two decimals.
pub fn money(d: Decimal) -> String {
    let mut d = d.normalize();
    if d.scale() < 2 {
        d.rescale(2);
    }
    d.to_string()
}

/// A JSON number for a `Float` field, from its exact decimal text.
fn float(d: Decimal) -> Value {
    d.normalize()
        .to_string()
        .parse::<f64>()
        .map(|f| json!(f))
        .unwrap_or(Value::Null)
}

fn str_or_null(s: &str) -> Value {
    if s.is_empty() { Value::Null } else { json!(s) }
}

fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

struct ProductView<'a>(&'a SearchDoc, u64);

impl Searchable for ProductView<'_> {
    fn field(&self, name: &str) -> Option<Vec<FieldVal>> {
        let d = self.0;
        let t = |s: &str| vec![FieldVal::Text(s.to_owned())];
        Some(match name {
            "title" => t(&d.title),
            "vendor" => t(&d.vendor),
            "product_type" => t(&d.product_type),
            "status" => t(&d.status),
            "tag" | "tags" => d.tags.iter().map(|x| FieldVal::Text(x.clone())).collect(),
            "sku" => d
                .variants
                .iter()
                .map(|v| FieldVal::Text(v.1.clone()))
                .collect(),
            "created_at" => vec![FieldVal::Time(d.created_at)],
            "updated_at" => vec![FieldVal::Time(d.updated_at)],
            "id" => vec![FieldVal::Num(self.1)],
            _ => return None,
        })
    }
    fn default_text(&self) -> Vec<String> {
        let d = self.0;
        let mut v = vec![d.title.clone(), d.vendor.clone(), d.product_type.clone()];
        v.extend(d.tags.iter().cloned());
        v.extend(d.variants.iter().map(|x| x.1.clone()));
        v
    }
}

struct VariantView<'a> {
    doc: &'a SearchDoc,
    product_id: u64,
    variant: &'a (u64, String, DateTime<Utc>),
}

impl Searchable for VariantView<'_> {
    fn field(&self, name: &str) -> Option<Vec<FieldVal>> {
        Some(match name {
            "sku" => vec![FieldVal::Text(self.variant.1.clone())],
            "product_id" => vec![FieldVal::Num(self.product_id)],
            "id" => vec![FieldVal::Num(self.variant.0)],
            "updated_at" => vec![FieldVal::Time(self.variant.2)],
            "title" => vec![FieldVal::Text(self.doc.title.clone())],
            "product_status" => vec![FieldVal::Text(self.doc.status.clone())],
            _ => return None,
        })
    }
    fn default_text(&self) -> Vec<String> {
        vec![self.variant.1.clone(), self.doc.title.clone()]
    }
}

impl<'s> Exec<'s> {
    pub fn new(p: &'s Prepared, shop: &'s Shop, now: DateTime<Utc>) -> Self {
        Self {
            p,
            shop,
            now,
            errors: Vec::new(),
        }
    }

    /// Resolve the fields of `fields` (merged) on `obj`; returns the JSON object and its cost
    /// (children only).
    pub fn object(
        &mut self,
        obj: &Obj<'s>,
        fields: &[&'s F],
        path: &mut Vec<Value>,
    ) -> (Value, u64) {
        let ty = obj.typename();
        let mut map = Map::new();
        let mut cost = 0;
        for (key, group) in self.p.collect_fields(fields, ty) {
            path.push(json!(key));
            let (v, c) = self.object_field(obj, ty, &group, path);
            path.pop();
            map.insert(key, v);
            cost += c;
        }
        (Value::Object(map), cost)
    }

    pub fn object_field(
        &mut self,
        obj: &Obj<'s>,
        ty: &str,
        group: &[&'s F],
        path: &mut Vec<Value>,
    ) -> (Value, u64) {
        let f = group[0];
        if f.name == "__typename" {
            return (json!(ty), 0);
        }
        match schema::field(ty, &f.name) {
            None | Some(Ty::Scalar) => (self.scalar(obj, f), 0),
            Some(Ty::Object(_)) => match self.child(obj, f) {
                Ok(Some(o)) => {
                    let (v, c) = self.object(&o, group, path);
                    (v, 1 + c)
                }
                Ok(None) => (Value::Null, 1),
                Err(e) => {
                    self.errors.push(GqlError::new(e).at(f.position).path(path));
                    (Value::Null, 0)
                }
            },
            Some(Ty::List(_)) => {
                let items = self.list(obj, f);
                let mut out = Vec::with_capacity(items.len());
                let mut most = 0;
                let mut sum = 0;
                for (i, it) in items.iter().enumerate() {
                    match it {
                        None => out.push(Value::Null),
                        Some(o) => {
                            path.push(json!(i));
                            let (v, c) = self.object(o, group, path);
                            path.pop();
                            most = most.max(c);
                            sum += 1 + c;
                            out.push(v);
                        }
                    }
                }
                // `nodes(ids:)` is charged per object returned; other lists once.
                let cost = if ty == "QueryRoot" && f.name == "nodes" {
                    sum
                } else {
                    1 + most
                };
                (Value::Array(out), cost)
            }
            Some(Ty::Connection(node)) => match self.connection(obj, f) {
                Ok(conn) => self.connection_value(conn, node, group, path),
                Err(e) => {
                    self.errors.push(GqlError::new(e).at(f.position).path(path));
                    (Value::Null, 0)
                }
            },
        }
    }

    fn connection_value(
        &mut self,
        conn: Conn<'s>,
        node: &str,
        group: &[&'s F],
        path: &mut Vec<Value>,
    ) -> (Value, u64) {
        let conn_ty = schema::connection_type(node);
        let edge_ty = format!("{node}Edge");
        let mut map = Map::new();
        let mut cost = 2;
        for (key, g) in self.p.collect_fields(group, conn_ty) {
            path.push(json!(key));
            let v = match g[0].name.as_str() {
                "__typename" => json!(conn_ty),
                "nodes" => {
                    let mut out = Vec::new();
                    for (i, (_, o)) in conn.items.iter().enumerate() {
                        path.push(json!(i));
                        let (v, c) = self.object(o, &g, path);
                        path.pop();
                        cost += 1 + c;
                        out.push(v);
                    }
                    Value::Array(out)
                }
                "edges" => {
                    let mut out = Vec::new();
                    for (i, (cursor, o)) in conn.items.iter().enumerate() {
                        path.push(json!(i));
                        let mut edge = Map::new();
                        for (k2, g2) in self.p.collect_fields(&g, &edge_ty) {
                            let v = match g2[0].name.as_str() {
                                "cursor" => json!(cursor),
                                "node" => {
                                    path.push(json!(k2));
                                    let (v, c) = self.object(o, &g2, path);
                                    path.pop();
                                    cost += 1 + c;
                                    v
                                }
                                _ => json!(edge_ty),
                            };
                            edge.insert(k2, v);
                        }
                        path.pop();
                        out.push(Value::Object(edge));
                    }
                    Value::Array(out)
                }
                "pageInfo" => {
                    let pi = Obj::PageInfo {
                        has_next: conn.has_next,
                        has_prev: conn.has_prev,
                        start: conn.items.first().map(|i| i.0.clone()),
                        end: conn.items.last().map(|i| i.0.clone()),
                    };
                    self.object(&pi, &g, path).0
                }
                _ => Value::Null,
            };
            path.pop();
            map.insert(key, v);
        }
        (Value::Object(map), cost)
    }

    fn arg_str(&self, f: &F, name: &str) -> Option<String> {
        self.p
            .arg(f, name)
            .and_then(|v| v.as_str().map(str::to_owned))
    }

    fn page_args(&self, f: &F) -> PageArgs {
        let n = |name| {
            self.p
                .arg(f, name)
                .and_then(|v| v.as_u64())
                .map(|n| n as usize)
        };
        PageArgs {
            first: n("first"),
            last: n("last"),
            after: self.arg_str(f, "after"),
            before: self.arg_str(f, "before"),
            reverse: self
                .p
                .arg(f, "reverse")
                .and_then(|v| v.as_bool())
                .unwrap_or(false),
        }
    }

    fn product(&self, id: u64) -> Option<&'s Product> {
        self.shop.products.get(&id)
    }

    fn variant_by_id(&self, id: u64) -> Option<(&'s Product, &'s Variant)> {
        self.shop
            .products
            .values()
            .find_map(|p| p.variant(id).map(|v| (p, v)))
    }

    fn node(&self, id: &str) -> Option<Obj<'s>> {
        if let Some(n) = parse_gid("Product", id) {
            return self.product(n).map(Obj::Product);
        }
        if let Some(n) = parse_gid("ProductVariant", id) {
            return self.variant_by_id(n).map(|(p, v)| Obj::Variant(p, v));
        }
        if let Some(n) = parse_gid("InventoryItem", id) {
            return self.shop.products.values().find_map(|p| {
                p.variants
                    .iter()
                    .find(|v| v.inventory_item_id == n)
                    .map(|v| Obj::InventoryItem(p, v))
            });
        }
        if let Some(n) = parse_gid("MediaImage", id) {
            return self.shop.products.values().find_map(|p| {
                p.media
                    .iter()
                    .position(|m| m.id == n)
                    .map(|i| Obj::Media(p, i))
            });
        }
        None
    }

    fn child(&self, obj: &Obj<'s>, f: &F) -> Result<Option<Obj<'s>>, String> {
        let name = f.name.as_str();
        Ok(match obj {
            Obj::Query => match name {
                "shop" => Some(Obj::Shop),
                "product" => self
                    .arg_str(f, "id")
                    .and_then(|id| parse_gid("Product", &id))
                    .and_then(|n| self.product(n))
                    .map(Obj::Product),
                "productVariant" => self
                    .arg_str(f, "id")
                    .and_then(|id| parse_gid("ProductVariant", &id))
                    .and_then(|n| self.variant_by_id(n))
                    .map(|(p, v)| Obj::Variant(p, v)),
                "productByHandle" => {
                    let h = self.arg_str(f, "handle").unwrap_or_default();
                    self.shop
                        .products
                        .values()
                        .find(|p| p.handle == h)
                        .map(Obj::Product)
                }
                "node" => self.arg_str(f, "id").and_then(|id| self.node(&id)),
                "productsCount" => {
                    let q = self.arg_str(f, "query").unwrap_or_default();
                    let n = self.search_products(&q)?.len() as u64;
                    Some(Obj::Count(n))
                }
                "productOperation" => self
                    .arg_str(f, "id")
                    .and_then(|id| parse_gid("ProductSetOperation", &id))
                    .filter(|n| self.shop.operations.contains_key(n))
                    .map(Obj::SetOperation),
                _ => None,
            },
            Obj::Product(p) => match name {
                "featuredMedia" => (!p.media.is_empty()).then_some(Obj::Media(p, 0)),
                "featuredImage" => (!p.media.is_empty()).then_some(Obj::Image(p, 0)),
                "variantsCount" => Some(Obj::Count(p.variants.len() as u64)),
                _ => None,
            },
            Obj::Variant(p, v) => match name {
                "inventoryItem" => Some(Obj::InventoryItem(p, v)),
                "product" => Some(Obj::Product(p)),
                _ => None,
            },
            Obj::InventoryItem(p, v) => match name {
                "unitCost" => v.cost.map(Obj::Money),
                "measurement" => Some(Obj::Measurement(v)),
                "variant" => Some(Obj::Variant(p, v)),
                _ => None,
            },
            Obj::Measurement(v) => match name {
                "weight" => Some(match &v.weight {
                    Some((value, unit)) => Obj::Weight(*value, unit.clone()),
                    None => Obj::Weight(Decimal::ZERO, self.shop.settings.weight_unit.clone()),
                }),
                _ => None,
            },
            Obj::Media(p, i) => match name {
                "preview" => Some(Obj::MediaPreview(p, *i)),
                "image" => Some(Obj::Image(p, *i)),
                _ => None,
            },
            Obj::MediaPreview(p, i) => (name == "image").then_some(Obj::Image(p, *i)),
            Obj::SetPayload {
                product, operation, ..
            } => match name {
                "product" => product.map(Obj::Product),
                "productSetOperation" => operation.map(Obj::SetOperation),
                _ => None,
            },
            Obj::SetOperation(id) => match name {
                "product" => self
                    .shop
                    .operations
                    .get(id)
                    .and_then(|o| o.product_id)
                    .and_then(|n| self.product(n))
                    .map(Obj::Product),
                _ => None,
            },
            _ => None,
        })
    }

    fn list(&self, obj: &Obj<'s>, f: &F) -> Vec<Option<Obj<'s>>> {
        match (obj, f.name.as_str()) {
            (Obj::Query, "nodes") => self
                .p
                .arg(f, "ids")
                .and_then(|v| v.as_array().cloned())
                .unwrap_or_default()
                .iter()
                .map(|id| id.as_str().and_then(|s| self.node(s)))
                .collect(),
            (Obj::Product(p), "options") => {
                let n = self
                    .p
                    .arg(f, "first")
                    .and_then(|v| v.as_u64())
                    .map_or(p.options.len(), |n| n as usize);
                (0..p.options.len().min(n))
                    .map(|i| Some(Obj::ProductOption(p, i)))
                    .collect()
            }
            (Obj::ProductOption(p, i), "optionValues") => (0..p.options[*i].values.len())
                .map(|j| Some(Obj::OptionValue(p, *i, j)))
                .collect(),
            (Obj::Variant(p, v), "selectedOptions") => p
                .options
                .iter()
                .zip(&v.option_values)
                .map(|(o, val)| Some(Obj::SelectedOption(o.name.clone(), val.clone())))
                .collect(),
            (Obj::SetPayload { errors, .. }, "userErrors") => errors
                .iter()
                .cloned()
                .map(|e| Some(Obj::UserError(e)))
                .collect(),
            (Obj::SetOperation(id), "userErrors") => self
                .shop
                .operations
                .get(id)
                .map(|o| {
                    o.errors
                        .iter()
                        .cloned()
                        .map(|e| Some(Obj::UserError(e)))
                        .collect()
                })
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    /// Products whose visible index entry matches `q` (all products when `q` is empty).
    fn search_products(&self, q: &str) -> Result<Vec<(&'s Product, &'s SearchDoc)>, String> {
        let expr = search::parse(q)?;
        let now = self.now;
        Ok(self
            .shop
            .products
            .values()
            .filter_map(|p| p.visible_doc(now).map(|d| (p, d)))
            .filter(|(p, d)| search::eval(&expr, &ProductView(d, p.id)))
            .collect())
    }

    fn connection(&self, obj: &Obj<'s>, f: &F) -> Result<Conn<'s>, String> {
        let args = self.page_args(f);
        let sort = self.arg_str(f, "sortKey").unwrap_or_default();
        let query = self.arg_str(f, "query").filter(|q| !q.trim().is_empty());
        match (obj, f.name.as_str()) {
            (Obj::Query, "products") => {
                let items: Vec<(SortVal, u64, Obj<'s>)> = match &query {
                    // Filtered reads come from the (lagging) search index: the filter and the
                    // sort see the indexed values, the fields the current ones.
                    Some(q) => self
                        .search_products(q)?
                        .into_iter()
                        .map(|(p, d)| {
                            (
                                product_sort(&sort, p.id, &d.title, d.updated_at, d.created_at),
                                p.id,
                                Obj::Product(p),
                            )
                        })
                        .collect(),
                    None => self
                        .shop
                        .products
                        .values()
                        .map(|p| {
                            (
                                product_sort(&sort, p.id, &p.title, p.updated_at, p.created_at),
                                p.id,
                                Obj::Product(p),
                            )
                        })
                        .collect(),
                };
                page(items, &args)
            }
            (Obj::Query, "productVariants") => {
                let items: Vec<(SortVal, u64, Obj<'s>)> = match &query {
                    Some(q) => {
                        let expr = search::parse(q)?;
                        let mut out = Vec::new();
                        for p in self.shop.products.values() {
                            let Some(d) = p.visible_doc(self.now) else {
                                continue;
                            };
                            for entry in &d.variants {
                                let view = VariantView {
                                    doc: d,
                                    product_id: p.id,
                                    variant: entry,
                                };
                                if search::eval(&expr, &view) {
                                    // The index may still list a variant that is gone.
                                    if let Some(v) = p.variant(entry.0) {
                                        out.push((
                                            variant_sort(&sort, v),
                                            v.id,
                                            Obj::Variant(p, v),
                                        ));
                                    }
                                }
                            }
                        }
                        out
                    }
                    None => self
                        .shop
                        .products
                        .values()
                        .flat_map(|p| p.variants.iter().map(move |v| (p, v)))
                        .map(|(p, v)| (variant_sort(&sort, v), v.id, Obj::Variant(p, v)))
                        .collect(),
                };
                page(items, &args)
            }
            (Obj::Product(p), "variants") => page(
                p.variants
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (SortVal::Num(i as u64 + 1), v.id, Obj::Variant(p, v)))
                    .collect(),
                &args,
            ),
            (Obj::Product(p), "media") | (Obj::Product(p), "images") => {
                let items = p
                    .media
                    .iter()
                    .enumerate()
                    .map(|(i, m)| {
                        let o = if f.name == "media" {
                            Obj::Media(p, i)
                        } else {
                            Obj::Image(p, i)
                        };
                        (SortVal::Num(i as u64 + 1), m.id, o)
                    })
                    .collect();
                page(items, &args)
            }
            _ => Ok(Conn {
                items: Vec::new(),
                has_next: false,
                has_prev: false,
            }),
        }
    }

    fn scalar(&self, obj: &Obj<'s>, f: &F) -> Value {
        let name = f.name.as_str();
        match obj {
            Obj::Shop => {
                let s = &self.shop.settings;
                match name {
                    "id" => json!(gid("Shop", 1)),
                    "name" => json!(s.name),
                    "myshopifyDomain" => json!(self.shop.domain),
                    "currencyCode" => json!(s.currency_code),
                    "weightUnit" => json!(s.weight_unit),
                    "email" => json!(format!("owner@{}", self.shop.domain)),
                    _ => Value::Null,
                }
            }
            Obj::Product(p) => match name {
                "id" => json!(gid("Product", p.id)),
                "legacyResourceId" => json!(p.id.to_string()),
                "title" => json!(p.title),
                "handle" => json!(p.handle),
                "descriptionHtml" => json!(p.description_html),
                "description" => json!(strip_tags(&p.description_html)),
                "vendor" => json!(p.vendor),
                "productType" => json!(p.product_type),
                "tags" => json!(p.tags),
                "status" => json!(p.status),
                "createdAt" => json!(fmt_time(p.created_at)),
                "updatedAt" => json!(fmt_time(p.updated_at)),
                "publishedAt" => {
                    if p.status == "ACTIVE" {
                        json!(fmt_time(p.created_at))
                    } else {
                        Value::Null
                    }
                }
                "totalInventory" => json!(0),
                "hasOnlyDefaultVariant" => json!(
                    p.variants.len() == 1
                        && p.options.len() == 1
                        && p.options[0].values == ["Default Title"]
                ),
                _ => Value::Null,
            },
            Obj::Variant(p, v) => match name {
                "id" => json!(gid("ProductVariant", v.id)),
                "legacyResourceId" => json!(v.id.to_string()),
                "title" => json!(v.option_values.join(" / ")),
                "displayName" => json!(format!("{} - {}", p.title, v.option_values.join(" / "))),
                "sku" => str_or_null(&v.sku),
                "barcode" => v.barcode.as_deref().map_or(Value::Null, str_or_null),
                "price" => json!(money(v.price)),
                "compareAtPrice" => v.compare_at_price.map_or(Value::Null, |d| json!(money(d))),
                "position" => json!(
                    p.variants
                        .iter()
                        .position(|x| x.id == v.id)
                        .map_or(1, |i| i + 1)
                ),
                "createdAt" => json!(fmt_time(v.created_at)),
                "updatedAt" => json!(fmt_time(v.updated_at)),
                "inventoryQuantity" => json!(0),
                "availableForSale" => json!(p.status == "ACTIVE"),
                "taxable" => json!(true),
                "inventoryPolicy" => json!("DENY"),
                _ => Value::Null,
            },
            Obj::InventoryItem(_, v) => match name {
                "id" => json!(gid("InventoryItem", v.inventory_item_id)),
                "legacyResourceId" => json!(v.inventory_item_id.to_string()),
                "sku" => str_or_null(&v.sku),
                "tracked" => json!(v.tracked),
                "requiresShipping" => json!(v.requires_shipping),
                "createdAt" => json!(fmt_time(v.created_at)),
                "updatedAt" => json!(fmt_time(v.updated_at)),
                _ => Value::Null,
            },
            Obj::Measurement(v) => match name {
                "id" => json!(gid("InventoryItemMeasurement", v.inventory_item_id)),
                _ => Value::Null,
            },
            Obj::Weight(value, unit) => match name {
                "value" => float(*value),
                "unit" => json!(unit),
                _ => Value::Null,
            },
            Obj::Money(d) => match name {
                "amount" => json!(money(*d)),
                "currencyCode" => json!(self.shop.settings.currency_code),
                _ => Value::Null,
            },
            Obj::SelectedOption(n, v) => match name {
                "name" => json!(n),
                "value" => json!(v),
                _ => Value::Null,
            },
            Obj::ProductOption(p, i) => {
                let o = &p.options[*i];
                match name {
                    "id" => json!(gid("ProductOption", o.id)),
                    "name" => json!(o.name),
                    "position" => json!(i + 1),
                    "values" => json!(o.values),
                    _ => Value::Null,
                }
            }
            Obj::OptionValue(p, i, j) => {
                let o = &p.options[*i];
                match name {
                    "id" => json!(gid("ProductOptionValue", o.id * 1000 + *j as u64)),
                    "name" => json!(o.values[*j]),
                    "hasVariants" => json!(
                        p.variants
                            .iter()
                            .any(|v| v.option_values.get(*i) == Some(&o.values[*j]))
                    ),
                    _ => Value::Null,
                }
            }
            Obj::Media(p, i) => {
                let m = &p.media[*i];
                match name {
                    "id" => json!(gid("MediaImage", m.id)),
                    "alt" => json!(m.alt),
                    "mediaContentType" => json!("IMAGE"),
                    "status" => json!("READY"),
                    _ => Value::Null,
                }
            }
            Obj::MediaPreview(..) => match name {
                "status" => json!("READY"),
                _ => Value::Null,
            },
            Obj::Image(p, i) => {
                let m = &p.media[*i];
                match name {
                    "id" => json!(gid("ImageSource", m.id)),
                    "url" | "src" | "originalSrc" => json!(m.url),
                    "altText" => json!(m.alt),
                    _ => Value::Null,
                }
            }
            Obj::PageInfo {
                has_next,
                has_prev,
                start,
                end,
            } => match name {
                "hasNextPage" => json!(has_next),
                "hasPreviousPage" => json!(has_prev),
                "startCursor" => json!(start),
                "endCursor" => json!(end),
                _ => Value::Null,
            },
            Obj::Count(n) => match name {
                "count" => json!(n),
                "precision" => json!("EXACT"),
                _ => Value::Null,
            },
            Obj::SetOperation(id) => match name {
                "id" => json!(gid("ProductSetOperation", *id)),
                "status" => json!("COMPLETE"),
                _ => Value::Null,
            },
            Obj::UserError(e) => match name {
                "field" => json!(e.field),
                "message" => json!(e.message),
                "code" => json!(e.code),
                _ => Value::Null,
            },
            Obj::Query | Obj::SetPayload { .. } => Value::Null,
        }
    }
}

fn page<'s>(items: Vec<(SortVal, u64, Obj<'s>)>, args: &PageArgs) -> Result<Conn<'s>, String> {
    let p = paginate(items, args)?;
    Ok(Conn {
        items: p.items,
        has_next: p.has_next,
        has_prev: p.has_prev,
    })
}

fn product_sort(
    key: &str,
    id: u64,
    title: &str,
    updated: DateTime<Utc>,
    created: DateTime<Utc>,
) -> SortVal {
    match key {
        "UPDATED_AT" => SortVal::Time(updated),
        "CREATED_AT" => SortVal::Time(created),
        "TITLE" => SortVal::Text(title.to_lowercase()),
        _ => SortVal::Num(id),
    }
}

fn variant_sort(key: &str, v: &Variant) -> SortVal {
    match key {
        "SKU" => SortVal::Text(v.sku.to_lowercase()),
        _ => SortVal::Num(v.id),
    }
}
