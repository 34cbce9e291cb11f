//! Domain values parsed at the edge: once one exists, it is valid.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::FieldError;

use crate::rules::kinds::kebab_enum;
pub use crate::rules::kinds::{Gender, PlaceCategory};

kebab_enum!(
    /// Acute needs that open a referral (RULES.md §7).
    Need {
        Pregnant => "pregnant",
        Elderly => "elderly",
        Addiction => "addiction",
        MentalIllness => "mental_illness",
        Disability => "disability",
        Child => "child",
    }
);

kebab_enum!(
    /// What a user may do (API.md, Roles).
    Role {
        Admin => "admin",
        Coordinator => "coordinator",
        ShelterStaff => "shelter_staff",
        SocialEmergency => "social_emergency",
        Outreach => "outreach",
    }
);

kebab_enum!(
    /// The language a guest reads, and the guest's slip is printed in:
    /// Romanian, Bulgarian, Polish, Hungarian, English or Swedish.
    Language {
        Ro => "ro",
        Bg => "bg",
        Pl => "pl",
        Hu => "hu",
        En => "en",
        Sv => "sv",
    }
);

impl Default for Language {
    /// Swedish, until someone says otherwise.
    fn default() -> Self {
        Self::Sv
    }
}

pub use crate::ids::is_id;

/// The one password rule, for every door: the API, `nattplats user add`
/// and the bootstrap admin (`NATTPLATS_BOOTSTRAP_ADMIN`, checked by
/// `config` as the settings are read: the service and `auth` read the
/// settings, so the rule lives below both).
pub fn check_password(pw: &str) -> Result<(), String> {
    let n = pw.chars().count();
    if !(10..=256).contains(&n) {
        return Err("must be 10 to 256 characters".into());
    }
    Ok(())
}

/// An ISO 3166-1 alpha-2 country code, upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct CountryCode(String);

impl CountryCode {
    pub fn parse(s: &str) -> Result<Self, String> {
        let upper = s.trim().to_ascii_uppercase();
        if upper.len() == 2 && isocountry::CountryCode::for_alpha2(&upper).is_ok() {
            Ok(Self(upper))
        } else {
            Err(format!(
                "{s:?} is not an ISO 3166-1 alpha-2 country code (such as RO, BG, PL)"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A given or family name as a person writes it: trimmed, 1 to 100
/// characters, no control characters, at least one letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(s: &str) -> Result<Self, String> {
        let trimmed = s.trim();
        let length = trimmed.chars().count();
        if length == 0 {
            return Err("must not be empty".to_owned());
        }
        if length > 100 {
            return Err("must be at most 100 characters".to_owned());
        }
        if trimmed.chars().any(char::is_control) {
            return Err("must not contain control characters".to_owned());
        }
        if !trimmed.chars().any(char::is_alphabetic) {
            return Err("must contain a letter".to_owned());
        }
        Ok(Self(
            trimmed.split_whitespace().collect::<Vec<_>>().join(" "),
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A name folded for matching: Latin letters without diacritics (Cyrillic
/// and Greek transliterated), lower case, single spaces.
pub fn name_key(given: &str, family: &str) -> String {
    let folded = deunicode::deunicode(&format!("{given} {family}")).to_lowercase();
    folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The first two letters of the folded given and of the folded family
/// name: the blocks the duplicate search reads (a typo in one name still
/// finds the guest through the other).
pub fn name_blocks(given: &str, family: &str) -> (String, String) {
    let block = |name: &str| name_key(name, "").chars().take(2).collect::<String>();
    (block(given), block(family))
}

/// What is known of a birth: the date when given, always the year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Birth {
    pub date: Option<NaiveDate>,
    pub year: i32,
}

impl Birth {
    /// `today` is the service clock's local date. Errors name the field.
    pub fn parse(
        date: Option<&str>,
        year: Option<i32>,
        today: NaiveDate,
    ) -> Result<Self, FieldError> {
        let date = match date {
            None => None,
            Some(s) => Some(
                NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .ok()
                    .filter(|_| s.len() == 10)
                    .ok_or_else(|| FieldError::new("birth_date", "must be a date YYYY-MM-DD"))?,
            ),
        };
        if let Some(d) = date {
            if d > today {
                return Err(FieldError::new("birth_date", "must not be in the future"));
            }
            if d.year() < 1900 {
                return Err(FieldError::new("birth_date", "must be in 1900 or later"));
            }
        }
        if let Some(y) = year
            && !(1900..=today.year()).contains(&y)
        {
            return Err(FieldError::new(
                "birth_year",
                format!("must be between 1900 and {}", today.year()),
            ));
        }
        match (date, year) {
            (None, None) => Err(FieldError::new(
                "birth_date",
                "one of birth_date or birth_year is required",
            )),
            (Some(d), Some(y)) if d.year() != y => Err(FieldError::new(
                "birth_year",
                "does not match the year of birth_date",
            )),
            (Some(d), _) => Ok(Self {
                date: Some(d),
                year: d.year(),
            }),
            (None, Some(y)) => Ok(Self {
                date: None,
                year: y,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2019, 12, 1).unwrap()
    }

    #[test]
    fn country_codes_are_iso_alpha_2() {
        assert_eq!(CountryCode::parse("ro").unwrap().as_str(), "RO");
        assert_eq!(CountryCode::parse(" BG ").unwrap().as_str(), "BG");
        for bad in ["XX", "ROU", "", "R0", "EU"] {
            assert!(CountryCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_are_trimmed_and_checked() {
        assert_eq!(
            PersonName::parse("  Maria   Ioana ").unwrap().as_str(),
            "Maria Ioana"
        );
        assert!(PersonName::parse("").is_err());
        assert!(PersonName::parse("   ").is_err());
        assert!(PersonName::parse("1234").is_err());
        assert!(PersonName::parse("Ana\u{0007}").is_err());
        assert!(PersonName::parse(&"a".repeat(101)).is_err());
        assert!(PersonName::parse(&"a".repeat(100)).is_ok());
    }

    #[test]
    fn name_keys_fold_diacritics_and_scripts() {
        assert_eq!(name_key("Ștefan", "Țăran"), "stefan taran");
        assert_eq!(name_key("Иван", "Петров"), "ivan petrov");
        assert_eq!(name_key("Anna-Maria", "O'Neill"), "anna maria o neill");
    }

    #[test]
    fn birth_needs_a_date_or_a_year_that_agree() {
        let b = Birth::parse(Some("1980-05-02"), None, today()).unwrap();
        assert_eq!(b.year, 1980);
        assert_eq!(b.date, NaiveDate::from_ymd_opt(1980, 5, 2));
        assert_eq!(Birth::parse(None, Some(1975), today()).unwrap().year, 1975);
        assert_eq!(
            Birth::parse(None, None, today()).unwrap_err().field,
            "birth_date"
        );
        assert_eq!(
            Birth::parse(Some("1980-05-02"), Some(1981), today())
                .unwrap_err()
                .field,
            "birth_year"
        );
        assert!(Birth::parse(Some("1980-05-02"), Some(1980), today()).is_ok());
        assert!(Birth::parse(Some("2019-12-02"), None, today()).is_err());
        assert!(Birth::parse(Some("2019-12-01"), None, today()).is_ok());
        assert!(Birth::parse(Some("1899-12-31"), None, today()).is_err());
        assert!(Birth::parse(Some("80-05-02"), None, today()).is_err());
        assert!(Birth::parse(None, Some(2020), today()).is_err());
        assert!(Birth::parse(None, Some(2019), today()).is_ok());
        assert!(Birth::parse(None, Some(1899), today()).is_err());
        assert!(Birth::parse(None, Some(1900), today()).is_ok());
    }

    #[test]
    fn enums_read_their_api_names() {
        assert_eq!("woman".parse::<Gender>(), Ok(Gender::Woman));
        assert!("female".parse::<Gender>().is_err());
        assert_eq!("mental_illness".parse::<Need>(), Ok(Need::MentalIllness));
        assert_eq!("shelter_staff".parse::<Role>(), Ok(Role::ShelterStaff));
        assert_eq!(PlaceCategory::Women.as_str(), "women");
        assert_eq!(Role::ALL.len(), 5);
    }
}
