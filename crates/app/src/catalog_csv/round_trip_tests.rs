//! Property: any valid product, written as CSV rows and read back, is the same product.

use proptest::prelude::*;
use rust_decimal::Decimal;
use techoms_domain::{
    AccountId, Currency, Length, Product, ProductId, ProductStatus, Sku, Variant, VariantStatus,
    Weight,
};

use super::columns::{Column, Header};
use super::export::rows_of;
use super::import::{WriteCtx, merge};
use super::parse::{ParseCtx, parse};
use super::report::ProblemLog;

fn text() -> impl Strategy<Value = String> {
    // Letters first and last (titles and names are trimmed); quotes, commas, line breaks and
    // non-ASCII inside.
    "[A-Za-zé][A-Za-z0-9 ,\"'é\\n;ß-]{0,12}[A-Za-z0-9]"
}

fn amount() -> impl Strategy<Value = Option<Decimal>> {
    prop::option::of((0i64..10_000_000, 0u32..5).prop_map(|(n, s)| Decimal::new(n, s).normalize()))
}

fn product() -> impl Strategy<Value = Product> {
    let head = (
        text(),
        prop::option::of("[ -~\\n\\r]{0,30}"),
        prop::collection::vec("[a-z][a-z0-9 ]{0,6}[a-z0-9]", 0..3),
        prop::sample::select(vec![
            ProductStatus::Active,
            ProductStatus::Draft,
            ProductStatus::Archived,
        ]),
        0usize..=3,
        prop::collection::vec("https://img\\.example/[a-z0-9]{1,8}\\.jpg", 0..3),
    );
    let variant = (
        amount(),
        amount(),
        amount(),
        amount(),
        amount(),
        prop::option::of("[0-9]{8,13}"),
        any::<bool>(),
    );
    (head, text(), prop::collection::vec(variant, 1..4)).prop_map(
        |((title, desc, tags, status, n_options, images), vendor, vs)| {
            let id = ProductId::new();
            let now = chrono::Utc::now();
            let options: Vec<String> = (0..n_options).map(|i| format!("Opt{i}")).collect();
            Product {
                id,
                account_id: AccountId::new(),
                title,
                description_html: desc.unwrap_or_default(),
                vendor,
                product_type: String::new(),
                tags,
                status,
                options: options.clone(),
                images,
                variants: vs
                    .into_iter()
                    .enumerate()
                    .map(|(i, (price, cap, cost, w, l, barcode, active))| Variant {
                        id: Default::default(),
                        product_id: id,
                        sku: Sku::parse(&format!("SKU-{i}")).unwrap(),
                        position: i as i32,
                        option_values: options.iter().map(|o| format!("{o} v{i}")).collect(),
                        barcode,
                        price,
                        compare_at_price: cap,
                        cost,
                        weight: w.map(Weight::from_grams),
                        length: l.map(Length::from_mm),
                        width: None,
                        height: l.map(Length::from_mm),
                        status: if active {
                            VariantStatus::Active
                        } else {
                            VariantStatus::Inactive
                        },
                        created_at: now,
                        updated_at: now,
                    })
                    .collect(),
                created_at: now,
                updated_at: now,
            }
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn a_product_survives_csv(p in product()) {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(Column::ALL.map(Column::name)).unwrap();
        for r in rows_of(&p, Currency::USD) {
            w.write_record(&r).unwrap();
        }
        let bytes = w.into_inner().unwrap();
        let mut log = ProblemLog::new(100);
        let parsed = parse(&bytes[..], ParseCtx { skip_invalid: false, currency: Currency::USD }, &mut log).unwrap();
        prop_assert_eq!(log.errors() + log.warnings(), 0, "{:?}", log.problems());
        let names: Vec<&str> = Column::ALL.iter().map(|c| c.name()).collect();
        let header = Header::parse(&names, &mut ProblemLog::new(1)).unwrap();
        let ctx = WriteCtx { account: p.account_id, header: &header, now: p.created_at, skip_invalid: false, dry_run: false };
        prop_assert_eq!(parsed.groups.len(), 1);
        let (back, _) = merge(&ctx, &parsed.groups[0], None);
        prop_assert_eq!(&back.title, &p.title);
        prop_assert_eq!(&back.description_html, &p.description_html);
        prop_assert_eq!(&back.vendor, &p.vendor);
        prop_assert_eq!(&back.tags, &p.tags);
        prop_assert_eq!(back.status, p.status);
        prop_assert_eq!(&back.options, &p.options);
        prop_assert_eq!(&back.images, &p.images);
        prop_assert_eq!(back.variants.len(), p.variants.len());
        for (a, b) in back.variants.iter().zip(&p.variants) {
            prop_assert_eq!(a.sku.as_str(), b.sku.as_str());
            prop_assert_eq!(a.position, b.position);
            prop_assert_eq!(&a.option_values, &b.option_values);
            prop_assert_eq!(&a.barcode, &b.barcode);
            prop_assert_eq!(a.price, b.price);
            prop_assert_eq!(a.compare_at_price, b.compare_at_price);
            prop_assert_eq!(a.cost, b.cost);
            prop_assert_eq!(a.weight, b.weight);
            prop_assert_eq!(a.length, b.length);
            prop_assert_eq!(a.width, b.width);
            prop_assert_eq!(a.height, b.height);
            prop_assert_eq!(a.status, b.status);
        }
    }
}
