//! The GraphQL documents the connector sends. Their shapes and the cost formulas in
//! `cost.rs` go together: change one, change the other (a test compares our estimates with
//! the requested cost the simulator reports).

/// The product fields we map, with the first pages of its media and variants.
pub const PRODUCT_FIELDS: &str = r#"fragment ProductFields on Product {
  id
  title
  descriptionHtml
  vendor
  productType
  tags
  status
  updatedAt
  options {
    name
  }
  variantsCount {
    count
  }
  media(first: $mediaFirst) {
    pageInfo {
      hasNextPage
      endCursor
    }
    nodes {
      ...MediaFields
    }
  }
  variants(first: $variantsFirst) {
    pageInfo {
      hasNextPage
      endCursor
    }
    nodes {
      ...VariantFields
    }
  }
}"#;

pub const VARIANT_FIELDS: &str = r#"fragment VariantFields on ProductVariant {
  id
  sku
  barcode
  price
  compareAtPrice
  updatedAt
  selectedOptions {
    name
    value
  }
  inventoryItem {
    id
    unitCost {
      amount
    }
    measurement {
      weight {
        unit
        value
      }
    }
  }
}"#;

pub const MEDIA_FIELDS: &str = r#"fragment MediaFields on Media {
  ... on MediaImage {
    image {
      url
    }
  }
}"#;

const READ_PRODUCTS_OP: &str = r#"query ReadProducts($first: Int!, $after: String, $query: String, $sortKey: ProductSortKeys!, $variantsFirst: Int!, $mediaFirst: Int!) {
  products(first: $first, after: $after, query: $query, sortKey: $sortKey) {
    pageInfo {
      hasNextPage
      endCursor
    }
    nodes {
      ...ProductFields
    }
  }
}"#;

const PRODUCTS_BY_ID_OP: &str = r#"query ProductsById($ids: [ID!]!, $variantsFirst: Int!, $mediaFirst: Int!) {
  nodes(ids: $ids) {
    ... on Product {
      ...ProductFields
    }
  }
}"#;

const MORE_VARIANTS_OP: &str = r#"query MoreVariants($id: ID!, $first: Int!, $after: String) {
  product(id: $id) {
    variants(first: $first, after: $after) {
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        ...VariantFields
      }
    }
  }
}"#;

/// Variants by SKU (search index); several SKUs joined with OR.
pub const FIND_VARIANTS: &str = r#"query FindVariantsBySku($first: Int!, $after: String, $query: String!) {
  productVariants(first: $first, after: $after, query: $query) {
    pageInfo {
      hasNextPage
      endCursor
    }
    nodes {
      id
      sku
      product {
        id
      }
    }
  }
}"#;

/// The newest products straight from the database (no search filter, so no index lag): the
/// second net after a create whose outcome is unknown.
pub const RECENT_PRODUCTS: &str = r#"query RecentProducts($first: Int!) {
  products(first: $first, sortKey: ID, reverse: true) {
    nodes {
      id
      variants(first: 1) {
        nodes {
          sku
        }
      }
    }
  }
}"#;

pub const MORE_MEDIA: &str = r#"query MoreMedia($id: ID!, $first: Int!, $after: String) {
  product(id: $id) {
    media(first: $first, after: $after) {
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        ...MediaFields
      }
    }
  }
}"#;

pub const SHOP_INFO: &str = r#"query ShopInfo {
  shop {
    weightUnit
    currencyCode
  }
}"#;

pub fn read_products() -> String {
    format!("{READ_PRODUCTS_OP}\n\n{PRODUCT_FIELDS}\n\n{VARIANT_FIELDS}\n\n{MEDIA_FIELDS}\n")
}

pub fn products_by_id() -> String {
    format!("{PRODUCTS_BY_ID_OP}\n\n{PRODUCT_FIELDS}\n\n{VARIANT_FIELDS}\n\n{MEDIA_FIELDS}\n")
}

pub fn more_variants() -> String {
    format!("{MORE_VARIANTS_OP}\n\n{VARIANT_FIELDS}\n")
}

pub fn more_media() -> String {
    format!("{MORE_MEDIA}\n\n{MEDIA_FIELDS}\n")
}

/// What each productSet answers with: enough to bind every variant.
pub const SET_PAYLOAD: &str = r#"product {
      id
      variants(first: $variantsFirst{i}) {
        nodes {
          id
          sku
          inventoryItem {
            id
          }
        }
      }
    }
    userErrors {
      field
      message
      code
    }"#;

/// One document with `n` aliased productSet mutations (`p0` … `p{n-1}`), each with its own
/// `$input{i}`, `$identifier{i}` and `$variantsFirst{i}` variables.
pub fn product_set(n: usize) -> String {
    let mut vars = Vec::new();
    let mut body = String::new();
    for i in 0..n {
        vars.push(format!(
            "$input{i}: ProductSetInput!, $identifier{i}: ProductSetIdentifiers, $variantsFirst{i}: Int!"
        ));
        body.push_str(&format!(
            "  p{i}: productSet(synchronous: true, input: $input{i}, identifier: $identifier{i}) {{\n    {}\n  }}\n",
            SET_PAYLOAD.replace("{i}", &i.to_string())
        ));
    }
    format!("mutation SetProducts({}) {{\n{body}}}\n", vars.join(", "))
}
