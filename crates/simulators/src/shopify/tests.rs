//! Wire-level tests of the simulator, written against the documented API (not the connector).

use serde_json::{Value, json};

use super::{SeedProduct, SeedVariant, ShopSettings, ShopifySim};

const TOKEN: &str = "shpat_sim_test";

async fn start(settings: ShopSettings) -> (ShopifySim, crate::RunningSim) {
    let sim = ShopifySim::default();
    let shop = sim.add_shop("t.myshopify.com", TOKEN, settings);
    let mk = |title: &str, skus: &[&str]| SeedProduct {
        title: title.into(),
        handle: None,
        description_html: "<p>x</p>".into(),
        vendor: "V".into(),
        product_type: "T".into(),
        tags: vec!["a".into()],
        status: "ACTIVE".into(),
        options: if skus.len() > 1 {
            vec!["Size".into()]
        } else {
            vec![]
        },
        images: vec!["https://img/1.jpg".into()],
        variants: skus
            .iter()
            .enumerate()
            .map(|(i, s)| SeedVariant {
                sku: (*s).into(),
                option_values: if skus.len() > 1 {
                    vec![format!("S{i}")]
                } else {
                    vec![]
                },
                barcode: None,
                price: "10.5".parse().unwrap(),
                compare_at_price: None,
                cost: None,
                weight: None,
            })
            .collect(),
    };
    shop.seed(&[
        mk("One", &["A-1"]),
        mk("Two", &["B-1", "B-2", "B-3"]),
        mk("Three", &["A-1"]),
    ])
    .unwrap();
    let server = sim.start().await.unwrap();
    (sim, server)
}

async fn post(server: &crate::RunningSim, token: &str, body: Value) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!(
            "{}/admin/api/2025-10/graphql.json",
            server.base_url()
        ))
        .header("X-Shopify-Access-Token", token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    assert_eq!(r.headers()["x-shopify-api-version"], "2025-10");
    (status, r.json().await.unwrap())
}

fn big() -> ShopSettings {
    ShopSettings {
        restore_rate: 100_000.0,
        ..ShopSettings::default()
    }
}

#[tokio::test]
async fn queries_with_fragments_aliases_and_costs() {
    let (_sim, server) = start(big()).await;
    let query = r#"
      query Q($n: Int!, $q: String) {
        list: products(first: $n, query: $q, sortKey: TITLE) {
          edges { cursor node { ...P } }
          pageInfo { hasNextPage endCursor }
        }
        shop { weightUnit }
      }
      fragment P on Product {
        title
        variants(first: 5) { nodes { sku price inventoryItem { measurement { weight { value unit } } } } }
        media(first: 2) { nodes { ... on MediaImage { image { url } } } }
      }
      query Other { shop { name } }"#;
    let (status, body) = post(
        &server,
        TOKEN,
        json!({"query": query, "operationName": "Q", "variables": {"n": 2, "q": "status:active"}}),
    )
    .await;
    assert_eq!(status, 200);
    let edges = body["data"]["list"]["edges"].as_array().unwrap();
    let titles: Vec<&str> = edges
        .iter()
        .map(|e| e["node"]["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, vec!["One", "Three"]);
    assert_eq!(body["data"]["list"]["pageInfo"]["hasNextPage"], true);
    assert_eq!(edges[0]["node"]["variants"]["nodes"][0]["price"], "10.50");
    assert_eq!(
        edges[0]["node"]["variants"]["nodes"][0]["inventoryItem"]["measurement"]["weight"],
        json!({"value": 0.0, "unit": "KILOGRAMS"})
    );
    assert_eq!(
        edges[0]["node"]["media"]["nodes"][0]["image"]["url"],
        "https://img/1.jpg"
    );
    // products: 2 + 2 × (product 1 + variants (2 + 5 × (1 + inventoryItem 1 + measurement 1
    // + weight 1)) + media (2 + 2 × (1 + image 1))) = 2 + 2 × 29 = 60; shop 1.
    let cost = &body["extensions"]["cost"];
    assert_eq!(cost["requestedQueryCost"], 61);
    // Actual: 2 + 2 × (1 + (2 + 1 × 4) + (2 + 1 × 2)) + 1 = 25.
    assert_eq!(cost["actualQueryCost"], 25);
    assert_eq!(cost["throttleStatus"]["maximumAvailable"], 1000.0);

    // Unknown fields and missing page sizes are refused before anything is charged.
    let (_, body) = post(
        &server,
        TOKEN,
        json!({"query": "{ products { nodes { id nope } } }"}),
    )
    .await;
    let msgs: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert!(
        msgs.contains(&"you must provide one of first or last"),
        "{msgs:?}"
    );
    assert!(
        msgs.contains(&"Field 'nope' doesn't exist on type 'Product'"),
        "{msgs:?}"
    );
    let (_, body) = post(
        &server,
        TOKEN,
        json!({"query": "{ products(first: 251) { nodes { id } } }"}),
    )
    .await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("250")
    );
}

#[tokio::test]
async fn sku_search_finds_duplicates_and_cost_caps_apply() {
    let (_sim, server) = start(big()).await;
    let q = r#"query($q: String!) { productVariants(first: 10, query: $q) { nodes { id sku product { id } } } }"#;
    let (_, body) = post(
        &server,
        TOKEN,
        json!({"query": q, "variables": {"q": "sku:\"a-1\" OR sku:'B-2'"}}),
    )
    .await;
    let skus: Vec<&str> = body["data"]["productVariants"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["sku"].as_str().unwrap())
        .collect();
    assert_eq!(skus, vec!["A-1", "B-2", "A-1"]);
    let (_, body) = post(&server, TOKEN, json!({"query": "{ products(first: 250) { nodes { variants(first: 250) { nodes { id } } } } }"})).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "MAX_COST_EXCEEDED");
    assert_eq!(body["errors"][0]["extensions"]["maxCost"], 1000);
    assert!(body.get("data").is_none());
}

#[tokio::test]
async fn throttled_and_unauthorized_answers_are_shopifys() {
    let small = ShopSettings {
        maximum_available: 30.0,
        restore_rate: 1.0,
        ..ShopSettings::default()
    };
    let (sim, server) = start(small).await;
    // 2 + 5 × (variant 1 + product 1) requested, and as much used: the five variants exist.
    let q = json!({"query": "{ productVariants(first: 5) { nodes { id product { id } } } }"});
    for _ in 0..2 {
        let (status, body) = post(&server, TOKEN, q.clone()).await;
        assert_eq!(status, 200);
        assert_eq!(body["extensions"]["cost"]["requestedQueryCost"], 12);
        assert_eq!(body["extensions"]["cost"]["actualQueryCost"], 12);
    }
    let (status, body) = post(&server, TOKEN, q).await;
    assert_eq!(status, 200, "THROTTLED comes with HTTP 200");
    assert!(body.get("data").is_none());
    assert_eq!(body["errors"][0]["message"], "Throttled");
    assert_eq!(body["errors"][0]["extensions"]["code"], "THROTTLED");
    assert_eq!(body["extensions"]["cost"]["actualQueryCost"], Value::Null);
    assert_eq!(
        body["extensions"]["cost"]["throttleStatus"]["restoreRate"],
        1.0
    );
    assert!(
        body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"]
            .as_i64()
            .unwrap()
            < 12
    );

    let (status, body) = post(&server, "shpat_nope", json!({"query": "{ shop { name } }"})).await;
    assert_eq!(status, 401);
    assert_eq!(
        body,
        json!({"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"})
    );
    sim.shop("t.myshopify.com").revoke_token();
    let (status, _) = post(&server, TOKEN, json!({"query": "{ shop { name } }"})).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn product_set_replaces_variants_and_reports_user_errors() {
    let (sim, server) = start(big()).await;
    let shop = sim.shop("t.myshopify.com");
    let two = shop
        .products()
        .into_iter()
        .find(|p| p.title == "Two")
        .unwrap();
    let keep = super::gid("ProductVariant", two.variants[0].id);
    let m = r#"mutation M($input: ProductSetInput!, $id: ProductSetIdentifiers) {
      productSet(synchronous: true, input: $input, identifier: $id) {
        product { id variants(first: 10) { nodes { id sku price } } }
        userErrors { field message code }
      }
    }"#;
    let input = json!({
        "title": "Two v2",
        "productOptions": [{"name": "Size", "values": [{"name": "S0"}, {"name": "XL"}]}],
        "variants": [
            {"id": keep, "optionValues": [{"optionName": "Size", "name": "S0"}], "price": "12.00"},
            {"sku": "B-NEW", "optionValues": [{"optionName": "Size", "name": "XL"}], "price": 3}
        ]
    });
    let id = json!({"id": super::gid("Product", two.id)});
    let (_, body) = post(
        &server,
        TOKEN,
        json!({"query": m, "variables": {"input": input, "id": id}}),
    )
    .await;
    assert_eq!(body["data"]["productSet"]["userErrors"], json!([]));
    let nodes = body["data"]["productSet"]["product"]["variants"]["nodes"]
        .as_array()
        .unwrap();
    assert_eq!(nodes.len(), 2, "the variants left out were deleted");
    assert_eq!(nodes[0]["id"], keep);
    assert_eq!(nodes[0]["sku"], "B-1", "omitted scalar fields stay");
    assert_eq!(nodes[1]["sku"], "B-NEW");
    assert_eq!(shop.variants_with_sku("B-2").len(), 0);
    assert_eq!(
        body["extensions"]["cost"]["requestedQueryCost"],
        10 + 1 + 2 + 10 + 1
    );

    let bad = json!({
        "title": "Bad",
        "productOptions": [{"name": "Size", "values": [{"name": "S"}]}],
        "variants": [{"sku": "X", "optionValues": [{"optionName": "Size", "name": "S"}], "price": "-1"}]
    });
    let before = shop.product_count();
    let (_, body) = post(
        &server,
        TOKEN,
        json!({"query": m, "variables": {"input": bad}}),
    )
    .await;
    assert_eq!(body["data"]["productSet"]["product"], Value::Null);
    assert_eq!(
        body["data"]["productSet"]["userErrors"],
        json!([{"field": ["input", "variants", "0", "price"], "message": "Price must be greater than or equal to 0", "code": "GREATER_THAN_OR_EQUAL_TO"}])
    );
    assert_eq!(shop.product_count(), before);
    assert_eq!(shop.committed_writes(), 1);
}
