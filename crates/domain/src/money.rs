//! Money is a decimal amount with its ISO 4217 currency. Never a float: channels send prices
//! as strings or JSON numbers, and both are parsed straight into `Decimal`.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// An ISO 4217 alphabetic currency code ("USD", "EUR", "JPY").
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("currency must be a three-letter ISO 4217 code, got {0:?}")]
    BadCurrency(String),
    #[error("not a decimal amount: {0:?}")]
    BadAmount(String),
    #[error("cannot combine {0} with {1}")]
    CurrencyMismatch(Currency, Currency),
}

impl Currency {
    pub const USD: Currency = Currency(*b"USD");

    pub fn parse(s: &str) -> Result<Self, MoneyError> {
        let t = s.trim().to_ascii_uppercase();
        let b = t.as_bytes();
        if b.len() != 3 || !b.iter().all(u8::is_ascii_uppercase) {
            return Err(MoneyError::BadCurrency(s.to_owned()));
        }
        Ok(Self([b[0], b[1], b[2]]))
    }

    pub fn code(&self) -> &str {
        // Only ASCII upper-case letters are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// Digits after the decimal point in ordinary use (ISO 4217 minor units).
    pub fn minor_units(&self) -> u32 {
        match self.code() {
            "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF"
            | "UGX" | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
            "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
            _ => 2,
        }
    }
}

impl TryFrom<String> for Currency {
    type Error = MoneyError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Currency::parse(&s)
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> Self {
        c.code().to_owned()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Currency({})", self.code())
    }
}

impl FromStr for Currency {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::parse(s)
    }
}

/// An amount in a currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    pub amount: Decimal,
    pub currency: Currency,
}

impl Money {
    pub fn new(amount: Decimal, currency: Currency) -> Self {
        Self { amount, currency }
    }

    /// Parse an amount as channels send it ("19.99", "19", " 0.5 ").
    pub fn parse(amount: &str, currency: Currency) -> Result<Self, MoneyError> {
        let a = parse_amount(amount)?;
        Ok(Self::new(a, currency))
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch(self.currency, other.currency));
        }
        Ok(Money::new(self.amount + other.amount, self.currency))
    }

    /// The amount rounded to the currency's minor units (half away from zero, as shops do).
    pub fn rounded(self) -> Money {
        Money::new(
            self.amount.round_dp_with_strategy(
                self.currency.minor_units(),
                rust_decimal::RoundingStrategy::MidpointAwayFromZero,
            ),
            self.currency,
        )
    }
}

/// Parse a decimal amount strictly: no exponent, no thousands separators, no currency sign.
pub fn parse_amount(s: &str) -> Result<Decimal, MoneyError> {
    let t = s.trim();
    if t.is_empty() || t.contains(['e', 'E', ',']) {
        return Err(MoneyError::BadAmount(s.to_owned()));
    }
    Decimal::from_str(t)
        .map(|d| d.normalize())
        .map_err(|_| MoneyError::BadAmount(s.to_owned()))
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = self.rounded();
        write!(
            f,
            "{:.*} {}",
            self.currency.minor_units() as usize,
            r.amount,
            self.currency
        )
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
    fn currencies_are_validated() {
        assert_eq!(Currency::parse("usd").unwrap(), Currency::USD);
        assert!(Currency::parse("US").is_err());
        assert!(Currency::parse("U$D").is_err());
        assert_eq!(Currency::parse("JPY").unwrap().minor_units(), 0);
        assert_eq!(Currency::parse("KWD").unwrap().minor_units(), 3);
    }

    #[test]
    fn amounts_parse_exactly() {
        let m = Money::parse(" 19.99 ", Currency::USD).unwrap();
        assert_eq!(m.amount, dec("19.99"));
        // 0.1 + 0.2 is exactly 0.3 here, unlike in floating point.
        let s = Money::parse("0.1", Currency::USD)
            .unwrap()
            .checked_add(Money::parse("0.2", Currency::USD).unwrap())
            .unwrap();
        assert_eq!(s.amount, dec("0.3"));
        for bad in ["", "abc", "1e3", "1,000.00", "$5"] {
            assert!(parse_amount(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn mixing_currencies_is_refused() {
        let eur = Currency::parse("EUR").unwrap();
        assert!(
            Money::new(dec("1"), Currency::USD)
                .checked_add(Money::new(dec("1"), eur))
                .is_err()
        );
    }

    #[test]
    fn display_rounds_to_minor_units() {
        assert_eq!(
            Money::new(dec("2.005"), Currency::USD).to_string(),
            "2.01 USD"
        );
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(Money::new(dec("1500"), jpy).to_string(), "1500 JPY");
    }

    proptest! {
        #[test]
        fn text_round_trip(cents in 0i64..10_000_000_000) {
            let d = Decimal::new(cents, 2);
            let back = parse_amount(&d.to_string()).unwrap();
            prop_assert_eq!(back, d);
        }
    }
}
