//! Free text people type: the reasons of ends, voids, bans, cold nights
//! and placements, incident descriptions, complaint texts and responses,
//! referral notes. One rule for all of it.

/// Trimmed, 1 to `max` characters, no control characters but line breaks
/// and tabs. A NUL among them is what PostgreSQL cannot store (a 500 there,
/// stored on SQLite): refused alike on both backends. Line breaks are kept
/// as `\n`, whichever way they came: a browser's form sends a textarea's
/// as `\r\n`.
pub fn free_text(value: &str, max: usize) -> Result<String, String> {
    let t = value.trim().replace("\r\n", "\n").replace('\r', "\n");
    if t.is_empty()
        || t.chars().count() > max
        || t.chars().any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(format!(
            "must be 1 to {max} characters of text, without control characters but line breaks and tabs"
        ));
    }
    Ok(t)
}

/// Like [`free_text`], but may be left empty (then there is none).
pub fn optional_free_text(value: &str, max: usize) -> Result<Option<String>, String> {
    if value.trim().is_empty() {
        return Ok(None);
    }
    free_text(value, max).map(Some).map_err(|_| {
        format!(
            "must be at most {max} characters of text, without control characters but line breaks and tabs"
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
        assert_eq!(free_text("a\r\nb", 3), Ok("a\nb".into()));
        assert_eq!(free_text("a\rb", 3), Ok("a\nb".into()));
        assert_eq!(free_text("a\tb", 3), Ok("a\tb".into()));
        for bad in ["", "   ", "a\u{0}b", "\u{0}", "b\u{7}", "a\u{85}b", "abcd"] {
            assert!(free_text(bad, 3).is_err(), "{bad:?}");
        }
        assert_eq!(optional_free_text(" ", 3), Ok(None));
        assert!(optional_free_text("a\u{0}", 3).is_err());
    }
}
