//! The subset of the Admin API schema the simulator serves: which field of which type returns
//! what. The executor and the cost calculator both read it, so a field is either fully served
//! or refused as `undefinedField`, never half-known.

/// What a field returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// Scalars and enums (cost 0), including lists of them.
    Scalar,
    /// An object, interface or union (cost 1 plus its selection).
    Object(&'static str),
    /// A plain list of objects (cost like one object: Shopify charges connections, not lists).
    List(&'static str),
    /// A Relay connection of the given node type (cost 2 + first × node).
    Connection(&'static str),
}

use Ty::*;

/// Interfaces and the concrete types that implement them.
pub fn implementations(ty: &str) -> &'static [&'static str] {
    match ty {
        "Media" => &["MediaImage"],
        "Node" => &["Product", "ProductVariant", "InventoryItem", "MediaImage"],
        _ => &[],
    }
}

/// Whether a value of concrete type `concrete` satisfies a fragment's type condition.
pub fn satisfies(concrete: &str, condition: &str) -> bool {
    concrete == condition || implementations(condition).contains(&concrete)
}

/// The return type of `ty.field`, or `None` when the schema has no such field.
pub fn field(ty: &str, name: &str) -> Option<Ty> {
    if name == "__typename" {
        return Some(Scalar);
    }
    if let Some(node) = ty.strip_suffix("Connection") {
        return match name {
            "edges" => Some(List(edge_type(node))),
            "nodes" => Some(List(static_name(node))),
            "pageInfo" => Some(Object("PageInfo")),
            _ => None,
        };
    }
    if let Some(node) = ty.strip_suffix("Edge") {
        return match name {
            "cursor" => Some(Scalar),
            "node" => Some(Object(static_name(node))),
            _ => None,
        };
    }
    let t = match (ty, name) {
        ("QueryRoot", "products") => Connection("Product"),
        ("QueryRoot", "productVariants") => Connection("ProductVariant"),
        ("QueryRoot", "product") => Object("Product"),
        ("QueryRoot", "productVariant") => Object("ProductVariant"),
        ("QueryRoot", "productByHandle") => Object("Product"),
        ("QueryRoot", "node") => Object("Node"),
        ("QueryRoot", "nodes") => List("Node"),
        ("QueryRoot", "shop") => Object("Shop"),
        ("QueryRoot", "productsCount") => Object("Count"),
        ("QueryRoot", "productOperation") => Object("ProductSetOperation"),
        ("Mutation", "productSet") => Object("ProductSetPayload"),

        ("Shop", "id" | "name" | "myshopifyDomain" | "currencyCode" | "weightUnit" | "email") => {
            Scalar
        }

        ("Count", "count" | "precision") => Scalar,

        (
            "Product",
            "id"
            | "legacyResourceId"
            | "title"
            | "handle"
            | "descriptionHtml"
            | "description"
            | "vendor"
            | "productType"
            | "tags"
            | "status"
            | "createdAt"
            | "updatedAt"
            | "publishedAt"
            | "totalInventory"
            | "hasOnlyDefaultVariant",
        ) => Scalar,
        ("Product", "options") => List("ProductOption"),
        ("Product", "variants") => Connection("ProductVariant"),
        ("Product", "variantsCount") => Object("Count"),
        ("Product", "media") => Connection("Media"),
        ("Product", "featuredMedia") => Object("Media"),
        ("Product", "featuredImage") => Object("Image"),
        ("Product", "images") => Connection("Image"),

        ("ProductOption", "id" | "name" | "position" | "values") => Scalar,
        ("ProductOption", "optionValues") => List("ProductOptionValue"),
        ("ProductOptionValue", "id" | "name" | "hasVariants") => Scalar,

        (
            "ProductVariant",
            "id" | "legacyResourceId" | "title" | "displayName" | "sku" | "barcode" | "price"
            | "compareAtPrice" | "position" | "createdAt" | "updatedAt" | "inventoryQuantity"
            | "availableForSale" | "taxable" | "inventoryPolicy",
        ) => Scalar,
        ("ProductVariant", "selectedOptions") => List("SelectedOption"),
        ("ProductVariant", "inventoryItem") => Object("InventoryItem"),
        ("ProductVariant", "product") => Object("Product"),
        ("SelectedOption", "name" | "value") => Scalar,

        (
            "InventoryItem",
            "id" | "legacyResourceId" | "sku" | "tracked" | "requiresShipping" | "createdAt"
            | "updatedAt",
        ) => Scalar,
        ("InventoryItem", "unitCost") => Object("MoneyV2"),
        ("InventoryItem", "measurement") => Object("InventoryItemMeasurement"),
        ("InventoryItem", "variant") => Object("ProductVariant"),
        ("InventoryItemMeasurement", "id") => Scalar,
        ("InventoryItemMeasurement", "weight") => Object("Weight"),
        ("Weight", "unit" | "value") => Scalar,
        ("MoneyV2", "amount" | "currencyCode") => Scalar,

        ("Media" | "MediaImage", "id" | "alt" | "mediaContentType" | "status") => Scalar,
        ("Media" | "MediaImage", "preview") => Object("MediaPreviewImage"),
        ("MediaImage", "image") => Object("Image"),
        ("MediaPreviewImage", "status") => Scalar,
        ("MediaPreviewImage", "image") => Object("Image"),
        ("Image", "id" | "url" | "altText" | "width" | "height" | "src" | "originalSrc") => Scalar,

        ("Node", "id") => Scalar,

        ("PageInfo", "hasNextPage" | "hasPreviousPage" | "startCursor" | "endCursor") => Scalar,

        ("ProductSetPayload", "product") => Object("Product"),
        ("ProductSetPayload", "productSetOperation") => Object("ProductSetOperation"),
        ("ProductSetPayload", "userErrors") => List("ProductSetUserError"),
        ("ProductSetOperation", "id" | "status") => Scalar,
        ("ProductSetOperation", "product") => Object("Product"),
        ("ProductSetOperation", "userErrors") => List("ProductSetUserError"),
        ("ProductSetUserError", "field" | "message" | "code") => Scalar,
        _ => return None,
    };
    Some(t)
}

fn static_name(node: &str) -> &'static str {
    match node {
        "Product" => "Product",
        "ProductVariant" => "ProductVariant",
        "Media" => "Media",
        "Image" => "Image",
        _ => "Unknown",
    }
}

fn edge_type(node: &str) -> &'static str {
    match node {
        "Product" => "ProductEdge",
        "ProductVariant" => "ProductVariantEdge",
        "Media" => "MediaEdge",
        "Image" => "ImageEdge",
        _ => "UnknownEdge",
    }
}

/// The GraphQL type name of a connection over `node`.
pub fn connection_type(node: &str) -> &'static str {
    match node {
        "Product" => "ProductConnection",
        "ProductVariant" => "ProductVariantConnection",
        "Media" => "MediaConnection",
        "Image" => "ImageConnection",
        _ => "UnknownConnection",
    }
}

/// Fields whose type is abstract: the cost of a selection on them is the maximum over the
/// concrete types (Shopify: "Interface: maximum of possible selections").
pub fn is_abstract(ty: &str) -> bool {
    !implementations(ty).is_empty()
}
