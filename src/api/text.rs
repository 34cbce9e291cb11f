//! Free text people type: the reasons of ends, voids, bans, cold nights
//! and placements, incident descriptions, complaint texts and responses,
//! referral notes. One rule for all of it.

/// Trimmed, 1 to `max` characters, no control characters but line breaks.
/// A NUL among them is what PostgreSQL cannot store (a 500 there, stored on
/// SQLite): refused alike on both backends.
pub fn free_text(value: &str, max: usize) -> Result<String, String> {
    let t = value.trim();
    if t.is_empty() || t.chars().count() > max || t.chars().any(|c| c.is_control() && c != '\n') {
        return Err(format!(
            "must be 1 to {max} characters of text, without control characters but line breaks"
        ));
    }
    Ok(t.to_owned())
}

/// Like [`free_text`], but may be left empty (then there is none).
pub fn optional_free_text(value: &str, max: usize) -> Result<Option<String>, String> {
    if value.trim().is_empty() {
        return Ok(None);
    }
    free_text(value, max).map(Some).map_err(|_| {
        format!(
            "must be at most {max} characters of text, without control characters but line breaks"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_text_is_trimmed_and_keeps_line_breaks_only() {
        assert_eq!(free_text("  left early\n ", 20), Ok("left early".into()));
        assert_eq!(free_text("a\nb", 3), Ok("a\nb".into()));
        for bad in [
            "", "   ", "a\u{0}b", "\u{0}", "a\tb", "a\rb", "b\u{7}", "a\u{85}b", "abcd",
        ] {
            assert!(free_text(bad, 3).is_err(), "{bad:?}");
        }
        assert_eq!(optional_free_text(" ", 3), Ok(None));
        assert!(optional_free_text("a\u{0}", 3).is_err());
    }
}
