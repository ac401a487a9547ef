//! Weights and lengths. Stored as decimal grams and millimetres; connectors convert to and
//! from each channel's unit. Conversion factors are the exact international definitions
//! (1 lb = 453.59237 g, 1 in = 25.4 mm), so converting *to* the base unit is exact and
//! converting back is exact to 20+ significant digits.

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WeightUnit {
    G,
    Kg,
    Oz,
    Lb,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LengthUnit {
    Mm,
    Cm,
    M,
    In,
    Ft,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown unit {0:?}")]
pub struct UnitError(pub String);

impl WeightUnit {
    pub const ALL: [WeightUnit; 4] = [
        WeightUnit::G,
        WeightUnit::Kg,
        WeightUnit::Oz,
        WeightUnit::Lb,
    ];

    /// Grams in one of this unit.
    pub fn grams(self) -> Decimal {
        match self {
            WeightUnit::G => Decimal::ONE,
            WeightUnit::Kg => Decimal::from(1000),
            WeightUnit::Oz => Decimal::new(28_349_523_125, 9),
            WeightUnit::Lb => Decimal::new(45_359_237, 5),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            WeightUnit::G => "g",
            WeightUnit::Kg => "kg",
            WeightUnit::Oz => "oz",
            WeightUnit::Lb => "lb",
        }
    }
}

impl LengthUnit {
    pub const ALL: [LengthUnit; 5] = [
        LengthUnit::Mm,
        LengthUnit::Cm,
        LengthUnit::M,
        LengthUnit::In,
        LengthUnit::Ft,
    ];

    /// Millimetres in one of this unit.
    pub fn millimetres(self) -> Decimal {
        match self {
            LengthUnit::Mm => Decimal::ONE,
            LengthUnit::Cm => Decimal::TEN,
            LengthUnit::M => Decimal::from(1000),
            LengthUnit::In => Decimal::new(254, 1),
            LengthUnit::Ft => Decimal::new(3048, 1),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LengthUnit::Mm => "mm",
            LengthUnit::Cm => "cm",
            LengthUnit::M => "m",
            LengthUnit::In => "in",
            LengthUnit::Ft => "ft",
        }
    }
}

impl FromStr for WeightUnit {
    type Err = UnitError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "g" | "gram" | "grams" => Ok(WeightUnit::G),
            "kg" | "kgs" | "kilogram" | "kilograms" => Ok(WeightUnit::Kg),
            "oz" | "ounce" | "ounces" => Ok(WeightUnit::Oz),
            "lb" | "lbs" | "pound" | "pounds" => Ok(WeightUnit::Lb),
            _ => Err(UnitError(s.to_owned())),
        }
    }
}

impl FromStr for LengthUnit {
    type Err = UnitError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "mm" | "millimeter" | "millimeters" | "millimetre" | "millimetres" => {
                Ok(LengthUnit::Mm)
            }
            "cm" | "centimeter" | "centimeters" | "centimetre" | "centimetres" => {
                Ok(LengthUnit::Cm)
            }
            "m" | "meter" | "meters" | "metre" | "metres" => Ok(LengthUnit::M),
            "in" | "inch" | "inches" => Ok(LengthUnit::In),
            "ft" | "foot" | "feet" => Ok(LengthUnit::Ft),
            _ => Err(UnitError(s.to_owned())),
        }
    }
}

impl fmt::Display for WeightUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for LengthUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A weight, held in grams.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Weight {
    grams: Decimal,
}

/// A length, held in millimetres.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Length {
    mm: Decimal,
}

impl Weight {
    pub fn from_grams(grams: Decimal) -> Self {
        Self {
            grams: grams.normalize(),
        }
    }

    pub fn new(value: Decimal, unit: WeightUnit) -> Self {
        Self::from_grams(value * unit.grams())
    }

    pub fn grams(&self) -> Decimal {
        self.grams
    }

    /// The weight in `unit`, rounded to `dp` decimal places (half away from zero).
    pub fn to_unit(&self, unit: WeightUnit, dp: u32) -> Decimal {
        (self.grams / unit.grams())
            .round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero)
            .normalize()
    }

    /// The weight with the fewest decimals of grams (at most [`TIDY_DP`]) that a channel
    /// storing `unit` at `dp` decimals holds as the same value, else this one unchanged. A
    /// connector applies it to what it reads, so 2330 g written as 82.188321 oz reads back as
    /// 2330 g — not 2329.99999… g — while 1 oz entered at the channel keeps its exact grams.
    pub fn tidy(self, unit: WeightUnit, dp: u32) -> Self {
        let wire = self.to_unit(unit, dp);
        (0..=TIDY_DP)
            .map(|d| Self::from_grams(round(self.grams, d)))
            .find(|w| w.to_unit(unit, dp) == wire)
            .unwrap_or(self)
    }
}

/// The most decimals of grams or millimetres [`Weight::tidy`] and [`Length::tidy`] round to.
pub const TIDY_DP: u32 = 4;

fn round(d: Decimal, dp: u32) -> Decimal {
    d.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero)
}

impl Length {
    pub fn from_mm(mm: Decimal) -> Self {
        Self { mm: mm.normalize() }
    }

    pub fn new(value: Decimal, unit: LengthUnit) -> Self {
        Self::from_mm(value * unit.millimetres())
    }

    pub fn mm(&self) -> Decimal {
        self.mm
    }

    /// The length in `unit`, rounded to `dp` decimal places (half away from zero).
    pub fn to_unit(&self, unit: LengthUnit, dp: u32) -> Decimal {
        (self.mm / unit.millimetres())
            .round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero)
            .normalize()
    }

    /// Like [`Weight::tidy`], in millimetres.
    pub fn tidy(self, unit: LengthUnit, dp: u32) -> Self {
        let wire = self.to_unit(unit, dp);
        (0..=TIDY_DP)
            .map(|d| Self::from_mm(round(self.mm, d)))
            .find(|l| l.to_unit(unit, dp) == wire)
            .unwrap_or(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str_exact(s).unwrap()
    }

    #[test]
    fn known_conversions() {
        assert_eq!(
            Weight::new(dec("1"), WeightUnit::Lb).grams(),
            dec("453.59237")
        );
        assert_eq!(
            Weight::new(dec("16"), WeightUnit::Oz).to_unit(WeightUnit::Lb, 6),
            dec("1")
        );
        assert_eq!(Weight::new(dec("2.5"), WeightUnit::Kg).grams(), dec("2500"));
        assert_eq!(
            Length::new(dec("12"), LengthUnit::In).to_unit(LengthUnit::Ft, 6),
            dec("1")
        );
        assert_eq!(Length::new(dec("1"), LengthUnit::In).mm(), dec("25.4"));
        assert_eq!(
            Length::new(dec("3"), LengthUnit::M).to_unit(LengthUnit::Cm, 2),
            dec("300")
        );
    }

    #[test]
    fn tidy_reads_back_what_was_written() {
        // 2330 g goes out as ounces at 6 decimals and comes back as 2330 g.
        let sent = Weight::from_grams(dec("2330")).to_unit(WeightUnit::Oz, 6);
        let read = Weight::new(sent, WeightUnit::Oz);
        assert_ne!(read.grams(), dec("2330"));
        assert_eq!(read.tidy(WeightUnit::Oz, 6).grams(), dec("2330"));
        // A value entered in ounces keeps its exact grams (rounding would change the ounces).
        let oz = Weight::new(dec("1"), WeightUnit::Oz);
        assert_eq!(oz.tidy(WeightUnit::Oz, 6), oz);
        let lb = Weight::new(dec("1"), WeightUnit::Lb);
        assert_eq!(lb.tidy(WeightUnit::Oz, 6), lb);
        let sent = Length::from_mm(dec("123.45")).to_unit(LengthUnit::In, 6);
        assert_eq!(
            Length::new(sent, LengthUnit::In)
                .tidy(LengthUnit::In, 6)
                .mm(),
            dec("123.45")
        );
    }

    #[test]
    fn unit_names_parse() {
        assert_eq!("LBS".parse::<WeightUnit>().unwrap(), WeightUnit::Lb);
        assert_eq!("inches".parse::<LengthUnit>().unwrap(), LengthUnit::In);
        assert!("stone".parse::<WeightUnit>().is_err());
    }

    fn weight_unit() -> impl Strategy<Value = WeightUnit> {
        prop::sample::select(WeightUnit::ALL.to_vec())
    }
    fn length_unit() -> impl Strategy<Value = LengthUnit> {
        prop::sample::select(LengthUnit::ALL.to_vec())
    }

    proptest! {
        // A value entered with up to 4 decimals in any unit comes back unchanged from the base
        // unit, whichever unit it passes through on the way.
        #[test]
        fn weight_round_trips(v in 0i64..100_000_000, from in weight_unit(), via in weight_unit()) {
            let value = Decimal::new(v, 4);
            let w = Weight::new(value, from);
            let through = Weight::new(w.to_unit(via, 20), via);
            prop_assert_eq!(through.to_unit(from, 4), value.normalize());
            prop_assert_eq!(w.to_unit(from, 4), value.normalize());
        }

        #[test]
        fn length_round_trips(v in 0i64..100_000_000, from in length_unit(), via in length_unit()) {
            let value = Decimal::new(v, 4);
            let l = Length::new(value, from);
            let through = Length::new(l.to_unit(via, 20), via);
            prop_assert_eq!(through.to_unit(from, 4), value.normalize());
        }

        // Grams with up to 4 decimals, sent as ounces at 6 decimals, read back equal.
        #[test]
        fn tidy_weight_round_trips(v in 0i64..100_000_000) {
            let w = Weight::from_grams(Decimal::new(v, 4));
            let read = Weight::new(w.to_unit(WeightUnit::Oz, 6), WeightUnit::Oz);
            prop_assert_eq!(read.tidy(WeightUnit::Oz, 6), w);
        }

        #[test]
        fn tidy_length_round_trips(v in 0i64..100_000_000) {
            let l = Length::from_mm(Decimal::new(v, 4));
            let read = Length::new(l.to_unit(LengthUnit::In, 6), LengthUnit::In);
            prop_assert_eq!(read.tidy(LengthUnit::In, 6), l);
        }
    }
}
