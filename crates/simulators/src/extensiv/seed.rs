//! Seeding a standalone simulator: from a JSON file, or generated deterministically.

use std::path::Path;

use serde_json::{Value, json};

use super::handle::{ExtensivSim, mix};

/// Read a seed file (`{"items": [...]}` or a bare array of items, each shaped as the API
/// serves an item) and add its items to `customer_id`. Returns how many were added.
pub fn load_file(sim: &ExtensivSim, customer_id: u64, path: &Path) -> std::io::Result<usize> {
    let text = std::fs::read_to_string(path)?;
    let doc: Value = serde_json::from_str(&text)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    let items = match doc {
        Value::Array(items) => items,
        Value::Object(mut o) => match o.remove("items") {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    let mut added = 0;
    for (i, item) in items.into_iter().enumerate() {
        sim.insert_item(customer_id, item).map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("seed item {i}: {e}"),
            )
        })?;
        added += 1;
    }
    Ok(added)
}

const ADJECTIVES: &[&str] = &[
    "Blue", "Red", "Green", "Large", "Small", "Classic", "Deluxe", "Compact", "Organic", "Steel",
];
const NOUNS: &[&str] = &[
    "Mug", "Bottle", "Lamp", "Backpack", "Notebook", "Candle", "Towel", "Jar", "Pan", "Scarf",
];

/// Two decimal places from a hash (a sim value, not money arithmetic).
fn cents(h: u64, min: u64, span: u64) -> Value {
    json!(((min + h % span) as f64) / 100.0)
}

/// `n` items for `customer_id`, the same for the same `seed`.
pub fn generate(sim: &ExtensivSim, customer_id: u64, n: usize, seed: u64) -> Result<(), String> {
    for i in 0..n as u64 {
        let h = mix(seed ^ mix(i));
        let adjective = ADJECTIVES[(h % ADJECTIVES.len() as u64) as usize];
        let noun = NOUNS[((h >> 8) % NOUNS.len() as u64) as usize];
        let item = json!({
            "sku": format!("EXT-{:06}", i + 1),
            "description": format!("{adjective} {noun}"),
            "description2": format!("{adjective} {noun}, generated item {}", i + 1),
            "upc": format!("{:012}", h % 1_000_000_000_000),
            "cost": cents(h >> 16, 100, 5_000),
            "price": cents(h >> 24, 500, 20_000),
            "countryOfManufacture": "US",
            "options": {
                "inventoryUnit": {"unitIdentifier": {"name": "Each", "id": 1}},
                "packageUnit": {
                    "imperial": {
                        "length": (h >> 32) % 20 + 1,
                        "width": (h >> 36) % 20 + 1,
                        "height": (h >> 40) % 20 + 1,
                        "weight": cents(h >> 44, 10, 2_000),
                        "netWeight": 0
                    }
                }
            }
        });
        sim.insert_item(customer_id, item)?;
    }
    Ok(())
}
