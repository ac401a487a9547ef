//! Running the simulator as its own process (`techoms simulate shopify`).

use tokio::net::TcpListener;

use super::seed::{SeedFile, ShopSettings};
use super::{ShopifySim, generate_catalog};
use crate::server::SimOptions;

/// The shop served when no seed file names one.
pub const DEMO_DOMAIN: &str = "techoms-demo.myshopify.com";
pub const DEMO_TOKEN: &str = "shpat_techoms_simulator_demo";

/// Seed from `opts.seed_file` (format in the module docs) or generate `opts.generate`
/// products from `opts.seed` into one demo shop, print what a client needs, and serve until
/// the process ends.
pub async fn serve_standalone(
    listener: TcpListener,
    opts: crate::server::SimOptions,
) -> std::io::Result<()> {
    let sim = ShopifySim::default();
    let addr = listener.local_addr()?;
    seed(&sim, &opts)?;
    println!("Shopify simulator listening on http://{addr}");
    println!("  endpoint: POST http://{addr}/admin/api/2025-10/graphql.json");
    for domain in sim.shop_domains() {
        let shop = sim.shop(&domain);
        let token = {
            let state = sim.lock();
            state
                .shops
                .get(&domain)
                .and_then(|s| s.tokens.first().cloned())
                .unwrap_or_default()
        };
        println!(
            "  shop: {domain}  access_token: {token}  products: {}",
            shop.product_count()
        );
        println!("    connector settings: shop_domain={domain} base_url=http://{addr}");
    }
    println!("  control endpoints under http://{addr}/_sim/ (faults, edits, request log)");
    axum::serve(listener, sim.router()).await
}

fn seed(sim: &ShopifySim, opts: &SimOptions) -> std::io::Result<()> {
    let invalid = |e: String| std::io::Error::new(std::io::ErrorKind::InvalidData, e);
    match &opts.seed_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)?;
            let file: SeedFile = serde_json::from_str(&text)
                .map_err(|e| invalid(format!("{}: {e}", path.display())))?;
            for s in file.shops {
                let shop = sim.add_shop(&s.domain, &s.access_token, s.config.unwrap_or_default());
                shop.seed(&s.products).map_err(invalid)?;
                if let Some(n) = s.generate {
                    shop.seed(&generate_catalog(n, s.seed.unwrap_or(opts.seed)))
                        .map_err(invalid)?;
                }
            }
        }
        None => {
            let shop = sim.add_shop(DEMO_DOMAIN, DEMO_TOKEN, ShopSettings::default());
            shop.seed(&generate_catalog(opts.generate.unwrap_or(0), opts.seed))
                .map_err(invalid)?;
        }
    }
    Ok(())
}
