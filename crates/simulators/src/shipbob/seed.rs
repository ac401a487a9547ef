//! Seeding a standalone simulator from a file or from generated data.

use std::path::Path;

use serde::Deserialize;
use serde_json::{Value, json};

use super::handle::{Merchant, ShipBobSim};

#[derive(Debug, Deserialize)]
struct SeedFile {
    accounts: Vec<SeedAccount>,
}

#[derive(Debug, Deserialize)]
struct SeedAccount {
    name: String,
    #[serde(default)]
    products: Vec<Value>,
}

/// Load a seed file (format in the module doc). Returns the merchants created.
pub fn from_file(sim: &ShipBobSim, path: &Path) -> std::io::Result<Vec<Merchant>> {
    let text = std::fs::read_to_string(path)?;
    let seed: SeedFile = serde_json::from_str(&text).map_err(|e| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{}: {e}", path.display()),
        )
    })?;
    let mut merchants = Vec::new();
    for account in seed.accounts {
        let m = sim.add_merchant(&account.name);
        for (i, p) in account.products.iter().enumerate() {
            sim.create_product(m.user_id, p).map_err(|e| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!(
                        "{}: account {:?}, product #{i}: {e}",
                        path.display(),
                        account.name
                    ),
                )
            })?;
        }
        merchants.push(m);
    }
    Ok(merchants)
}

/// SplitMix64: a tiny deterministic generator, enough for varied but repeatable data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const NOUNS: [&str; 8] = [
    "Coffee", "Mug", "Tee", "Candle", "Notebook", "Tote", "Socks", "Poster",
];
const ADJECTIVES: [&str; 8] = [
    "Light", "Dark", "Classic", "Organic", "Large", "Small", "Blue", "Red",
];

/// One merchant with `count` generated products (one variant each, some with two).
pub fn generate(sim: &ShipBobSim, count: usize, seed: u64) -> Merchant {
    let m = sim.add_merchant("Generated merchant");
    let mut rng = Rng(seed);
    for i in 0..count {
        let adj = ADJECTIVES[rng.below(8) as usize];
        let noun = NOUNS[rng.below(8) as usize];
        let name = format!("{adj} {noun} {i}");
        let variants = 1 + usize::from(rng.below(5) == 0);
        let variants: Vec<Value> = (0..variants)
            .map(|v| {
                json!({
                    "sku": format!("GEN-{seed}-{i:06}-{v}"),
                    "name": if v == 0 { name.clone() } else { format!("{name} - Large") },
                    "weight": (rng.below(4000) + 1) as f64 / 100.0,
                    "dimension": {
                        "length": (rng.below(300) + 1) as f64 / 10.0,
                        "width": (rng.below(300) + 1) as f64 / 10.0,
                        "height": (rng.below(300) + 1) as f64 / 10.0,
                    },
                    "barcodes": [{ "value": format!("{:012}", rng.below(1_000_000_000_000)) }],
                })
            })
            .collect();
        // Generated SKUs are unique, so this cannot be refused.
        let _ = sim.create_product(
            m.user_id,
            &json!({ "name": name, "type_id": 1, "variants": variants }),
        );
    }
    m
}
