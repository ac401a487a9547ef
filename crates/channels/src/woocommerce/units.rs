//! The store's weight and dimension units (`woocommerce_weight_unit`,
//! `woocommerce_dimension_unit`) and exact conversion to and from grams and millimetres.
//!
//! Reading: the store's decimal string times the exact factor, kept to 6 decimal places of
//! the base unit (micrograms, nanometres). Writing: the *shortest* decimal in the store's unit
//! (at most 12 places) that reads back to exactly the same base value. Both directions
//! therefore round-trip: a store value with up to 6 decimals survives Woo → techOMS → Woo,
//! and a techOMS value with up to 6 decimals survives techOMS → Woo → techOMS, in every unit
//! (1 kg = 1000 g and 1 lb = 453.59237 g, 1 in = 25.4 mm, 1 yd = 914.4 mm, all exact).

use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use techoms_domain::{Length, LengthUnit, Weight, WeightUnit};

/// Base-unit precision kept when reading (decimal places of grams / millimetres).
const BASE_DP: u32 = 6;
/// The most decimal places written to the store.
const MAX_WRITE_DP: u32 = 12;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreWeightUnit {
    Kg,
    G,
    Lbs,
    Oz,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreLengthUnit {
    M,
    Cm,
    Mm,
    In,
    Yd,
}

impl StoreWeightUnit {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "kg" => Self::Kg,
            "g" => Self::G,
            "lbs" | "lb" => Self::Lbs,
            "oz" => Self::Oz,
            _ => return None,
        })
    }

    fn grams(self) -> Decimal {
        match self {
            Self::Kg => WeightUnit::Kg.grams(),
            Self::G => WeightUnit::G.grams(),
            Self::Lbs => WeightUnit::Lb.grams(),
            Self::Oz => WeightUnit::Oz.grams(),
        }
    }
}

impl StoreLengthUnit {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "m" => Self::M,
            "cm" => Self::Cm,
            "mm" => Self::Mm,
            "in" => Self::In,
            "yd" => Self::Yd,
            _ => return None,
        })
    }

    fn millimetres(self) -> Decimal {
        match self {
            Self::M => LengthUnit::M.millimetres(),
            Self::Cm => LengthUnit::Cm.millimetres(),
            Self::Mm => LengthUnit::Mm.millimetres(),
            Self::In => LengthUnit::In.millimetres(),
            // The yard is not a domain unit; 1 yd = 0.9144 m exactly.
            Self::Yd => Decimal::new(9144, 1),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreUnits {
    pub weight: StoreWeightUnit,
    pub length: StoreLengthUnit,
}

fn round(d: Decimal, dp: u32) -> Decimal {
    d.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero)
        .normalize()
}

/// Parse a WooCommerce decimal string ("0.5", ".5", "2", "1e3"). Empty means "not set".
pub fn parse_decimal(raw: &str) -> Option<Decimal> {
    let s = raw.trim();
    if s.is_empty() {
        return None;
    }
    let fixed = if s.starts_with('.') {
        format!("0{s}")
    } else {
        s.to_owned()
    };
    Decimal::from_str(&fixed)
        .or_else(|_| Decimal::from_scientific(&fixed))
        .ok()
}

fn to_base(value: Decimal, factor: Decimal) -> Decimal {
    round(value * factor, BASE_DP)
}

/// The shortest decimal in the store unit that reads back to `base` (rounded to the read
/// precision); 12 places when none is shorter.
fn from_base(base: Decimal, factor: Decimal) -> Decimal {
    let target = round(base, BASE_DP);
    let exact = base / factor;
    (0..=MAX_WRITE_DP)
        .map(|dp| round(exact, dp))
        .find(|v| to_base(*v, factor) == target)
        .unwrap_or_else(|| round(exact, MAX_WRITE_DP))
}

impl StoreUnits {
    pub fn read_weight(&self, raw: &str) -> Option<Weight> {
        parse_decimal(raw).map(|v| Weight::from_grams(to_base(v, self.weight.grams())))
    }

    pub fn read_length(&self, raw: &str) -> Option<Length> {
        parse_decimal(raw).map(|v| Length::from_mm(to_base(v, self.length.millimetres())))
    }

    /// The string to send for a weight; empty clears the field.
    pub fn write_weight(&self, w: Option<&Weight>) -> String {
        w.map(|w| from_base(w.grams(), self.weight.grams()).to_string())
            .unwrap_or_default()
    }

    pub fn write_length(&self, l: Option<&Length>) -> String {
        l.map(|l| from_base(l.mm(), self.length.millimetres()).to_string())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    const WEIGHTS: [StoreWeightUnit; 4] = [
        StoreWeightUnit::Kg,
        StoreWeightUnit::G,
        StoreWeightUnit::Lbs,
        StoreWeightUnit::Oz,
    ];
    const LENGTHS: [StoreLengthUnit; 5] = [
        StoreLengthUnit::M,
        StoreLengthUnit::Cm,
        StoreLengthUnit::Mm,
        StoreLengthUnit::In,
        StoreLengthUnit::Yd,
    ];

    fn units(weight: StoreWeightUnit, length: StoreLengthUnit) -> StoreUnits {
        StoreUnits { weight, length }
    }

    #[test]
    fn known_values() {
        let u = units(StoreWeightUnit::Lbs, StoreLengthUnit::In);
        assert_eq!(u.read_weight("1").unwrap().grams(), dec("453.59237"));
        assert_eq!(u.read_length("2").unwrap().mm(), dec("50.8"));
        assert_eq!(
            u.write_weight(Some(&Weight::from_grams(dec("453.59237")))),
            "1"
        );
        assert_eq!(
            u.write_weight(Some(&Weight::from_grams(dec("1000")))),
            "2.204622622"
        );
        assert_eq!(u.read_weight("2.204622622").unwrap().grams(), dec("1000"));
        assert_eq!(u.write_weight(None), "");
        assert_eq!(u.read_weight(""), None);
        assert_eq!(u.read_weight(" .5 ").unwrap().grams(), dec("226.796185"));
        let y = units(StoreWeightUnit::Kg, StoreLengthUnit::Yd);
        assert_eq!(y.read_length("1").unwrap().mm(), dec("914.4"));
        assert_eq!(y.write_length(Some(&Length::from_mm(dec("457.2")))), "0.5");
    }

    #[test]
    fn techoms_values_survive_every_store_unit() {
        for w in WEIGHTS {
            for l in LENGTHS {
                let u = units(w, l);
                for g in [
                    "0",
                    "1",
                    "0.5",
                    "12.345",
                    "1000",
                    "453.59237",
                    "999999.999999",
                    "0.000001",
                    "7.1",
                ] {
                    let weight = Weight::from_grams(dec(g));
                    let wire = u.write_weight(Some(&weight));
                    assert_eq!(
                        u.read_weight(&wire),
                        Some(weight),
                        "{g} g via {w:?} = {wire}"
                    );
                    let length = Length::from_mm(dec(g));
                    let wire = u.write_length(Some(&length));
                    assert_eq!(
                        u.read_length(&wire),
                        Some(length),
                        "{g} mm via {l:?} = {wire}"
                    );
                }
            }
        }
    }

    #[test]
    fn store_values_survive_the_round_trip() {
        for w in WEIGHTS {
            for l in LENGTHS {
                let u = units(w, l);
                for v in [
                    "0",
                    "1",
                    "0.5",
                    "2.25",
                    "12.345678",
                    "0.000001",
                    "150",
                    "3.3",
                ] {
                    let weight = u.read_weight(v).unwrap();
                    assert_eq!(dec(&u.write_weight(Some(&weight))), dec(v), "{v} {w:?}");
                    let length = u.read_length(v).unwrap();
                    assert_eq!(dec(&u.write_length(Some(&length))), dec(v), "{v} {l:?}");
                }
            }
        }
    }
}
