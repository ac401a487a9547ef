//! The SKU is the identity of a variant across every channel (DESIGN §3).
//!
//! A SKU is displayed and sent exactly as the master spells it, trimmed. Two SKUs are the same
//! when their *keys* are equal: the key is the trimmed text, case-folded with Unicode's full
//! default case folding (so "STRASSE" and "straße" meet) and put in canonical composed form (so
//! a precomposed "é" and "e" + combining accent meet).

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a text is not a SKU.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SkuError {
    #[error("SKU is empty")]
    Empty,
    #[error("SKU is longer than {max} characters")]
    TooLong { max: usize },
    #[error("SKU contains a control character")]
    ControlCharacter,
}

/// The maximum length we accept; every channel we know allows at least this much.
pub const MAX_SKU_CHARS: usize = 255;

/// A SKU as the master spells it, with its comparison key.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Sku {
    display: String,
    key: SkuKey,
}

/// The case- and space-insensitive identity of a SKU. Unique per account.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SkuKey(String);

impl Sku {
    /// Parse a raw SKU as read from a channel, a form or a file.
    pub fn parse(raw: &str) -> Result<Self, SkuError> {
        let display = raw.trim();
        if display.is_empty() {
            return Err(SkuError::Empty);
        }
        if display.chars().count() > MAX_SKU_CHARS {
            return Err(SkuError::TooLong { max: MAX_SKU_CHARS });
        }
        if display.chars().any(char::is_control) {
            return Err(SkuError::ControlCharacter);
        }
        Ok(Self {
            key: SkuKey::of_trimmed(display),
            display: display.to_owned(),
        })
    }

    /// The SKU as the master spells it (trimmed).
    pub fn as_str(&self) -> &str {
        &self.display
    }

    pub fn key(&self) -> &SkuKey {
        &self.key
    }
}

impl SkuKey {
    /// The key of any text, empty or not; used for lookups where the input is untrusted.
    /// An empty text gives the empty key, which [`Sku::parse`] never produces, so it never
    /// matches a stored SKU.
    pub fn of(raw: &str) -> Self {
        Self::of_trimmed(raw.trim())
    }

    fn of_trimmed(s: &str) -> Self {
        Self(caseless::canonical_caseless_match_key(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Rebuild a key read back from storage (it was computed by [`SkuKey::of`]).
    pub fn from_stored(s: String) -> Self {
        Self(s)
    }
}

/// `caseless` exposes the matching algorithm as a comparison; we need the key itself, so this
/// small extension builds it with the same steps (NFD, full case fold, NFD again when the fold
/// produced decomposable text), then composes it (NFC) so the stored key is compact.
mod caseless {
    use ::caseless::Caseless;
    use unicode_normalization::UnicodeNormalization;

    pub fn canonical_caseless_match_key(s: &str) -> String {
        s.chars().nfd().default_case_fold().nfd().nfc().collect()
    }
}

impl TryFrom<String> for Sku {
    type Error = SkuError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Sku::parse(&s)
    }
}

impl From<Sku> for String {
    fn from(s: Sku) -> Self {
        s.display
    }
}

impl fmt::Display for Sku {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display)
    }
}

impl fmt::Debug for Sku {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sku({:?})", self.display)
    }
}

impl fmt::Debug for SkuKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SkuKey({:?})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn design_examples_are_one_sku() {
        let a = Sku::parse("ABC-1").unwrap();
        let b = Sku::parse(" abc-1 ").unwrap();
        let c = Sku::parse("Abc-1").unwrap();
        assert_eq!(a.key(), b.key());
        assert_eq!(b.key(), c.key());
        assert_eq!(b.as_str(), "abc-1");
    }

    #[test]
    fn unicode_folding_is_full_and_canonical() {
        assert_eq!(
            Sku::parse("STRASSE").unwrap().key(),
            Sku::parse("straße").unwrap().key()
        );
        assert_eq!(
            Sku::parse("CAF\u{e9}").unwrap().key(),
            Sku::parse("cafe\u{301}").unwrap().key()
        );
        assert_eq!(
            Sku::parse("ΣΊΣΥΦΟΣ").unwrap().key(),
            Sku::parse("σίσυφος").unwrap().key()
        );
    }

    #[test]
    fn empty_and_blank_are_rejected() {
        assert_eq!(Sku::parse(""), Err(SkuError::Empty));
        assert_eq!(Sku::parse(" \t\n "), Err(SkuError::Empty));
        assert!(SkuKey::of("   ").is_empty());
    }

    #[test]
    fn control_characters_and_overlong_are_rejected() {
        assert_eq!(Sku::parse("A\u{0}B"), Err(SkuError::ControlCharacter));
        assert_eq!(
            Sku::parse(&"x".repeat(256)),
            Err(SkuError::TooLong { max: 255 })
        );
        assert!(Sku::parse(&"x".repeat(255)).is_ok());
    }

    #[test]
    fn inner_spaces_matter() {
        assert_ne!(
            Sku::parse("AB 1").unwrap().key(),
            Sku::parse("AB1").unwrap().key()
        );
    }

    fn sku_text() -> impl Strategy<Value = String> {
        "[A-Za-z0-9][A-Za-z0-9 ._/ßéÉøØ-]{0,20}[A-Za-z0-9]"
    }

    fn pad() -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(vec![' ', '\t', '\n', '\u{a0}']), 0..4)
            .prop_map(|v| v.into_iter().collect())
    }

    proptest! {
        #[test]
        fn trim_and_case_variants_share_a_key(s in sku_text(), l in pad(), r in pad(), upper in any::<bool>()) {
            let variant = if upper { s.to_uppercase() } else { s.to_lowercase() };
            let a = Sku::parse(&s).unwrap();
            let b = Sku::parse(&format!("{l}{variant}{r}")).unwrap();
            prop_assert_eq!(a.key(), b.key());
        }

        #[test]
        fn display_keeps_the_masters_spelling(s in sku_text(), l in pad(), r in pad()) {
            let sku = Sku::parse(&format!("{l}{s}{r}")).unwrap();
            prop_assert_eq!(sku.as_str(), s.as_str());
        }

        #[test]
        fn different_skus_keep_different_keys(a in sku_text(), b in sku_text()) {
            let ka = Sku::parse(&a).unwrap();
            let kb = Sku::parse(&b).unwrap();
            // Texts that differ other than by case must never collide.
            if !::caseless::canonical_caseless_match_str(&a, &b) {
                prop_assert_ne!(ka.key(), kb.key());
            } else {
                prop_assert_eq!(ka.key(), kb.key());
            }
        }
    }
}
