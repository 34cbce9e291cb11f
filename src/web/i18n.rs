//! The pages' languages: every text a page shows is a message of a
//! Fluent catalogue (`locales/LANG/*.ftl`, built into the binary),
//! looked up by its key; templates hold keys only (`t("key")`). Swedish
//! is the default; English is chosen with `?lang=en`, which a page keeps
//! in the `lang` cookie.
//!
//! Tests fail when a key is in one catalogue and not the other, when a
//! template asks for a key no catalogue has, and when a key the code
//! builds (a state, a role, a month) is missing.
//!
//! Dates and times are shown in the partnership's time zone (the
//! calendar's, `Europe/Stockholm` for Stockholm), whatever the zone of
//! the machine.

use std::sync::LazyLock;

use actix_web::HttpRequest;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};

/// The cookie that keeps the chosen language.
pub const LANG_COOKIE: &str = "lang";

/// A language the pages speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Sv,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Sv, Lang::En];

    /// The BCP 47 tag, as `<html lang>` and the cookie write it.
    pub fn code(self) -> &'static str {
        match self {
            Self::Sv => "sv",
            Self::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.code() == code)
    }

    /// The language the switch offers.
    pub fn other(self) -> Self {
        match self {
            Self::Sv => Self::En,
            Self::En => Self::Sv,
        }
    }

    /// The language of a request: its `lang` cookie, else Swedish.
    pub fn of(req: &HttpRequest) -> Self {
        req.cookie(LANG_COOKIE)
            .and_then(|c| Self::parse(c.value()))
            .unwrap_or_default()
    }

    fn index(self) -> usize {
        match self {
            Self::Sv => 0,
            Self::En => 1,
        }
    }
}

/// Each language's catalogue, as built into the binary.
/// A language's catalogue is its files one after the other: `main.ftl`
/// (every page), `desk.ftl` (tonight's list and its acts), `intake.ftl`
/// (finding, registering and granting), `admin.ftl` (users, shelters,
/// rule sets), `reports.ftl` (the reports), `board.ftl`
/// (socialjouren's night board), `coordination.ftl` (cold nights,
/// referrals), `lottery.ftl` (intake by lottery), `casework.ftl`
/// (incidents, bans, complaints, the survey). A key may be in one file
/// only.
pub const SOURCES: [(Lang, &str); 2] = [
    (
        Lang::Sv,
        concat!(
            include_str!("../../locales/sv/main.ftl"),
            "\n",
            include_str!("../../locales/sv/desk.ftl"),
            "\n",
            include_str!("../../locales/sv/intake.ftl"),
            "\n",
            include_str!("../../locales/sv/admin.ftl"),
            "\n",
            include_str!("../../locales/sv/reports.ftl"),
            "\n",
            include_str!("../../locales/sv/board.ftl"),
            "\n",
            include_str!("../../locales/sv/coordination.ftl"),
            "\n",
            include_str!("../../locales/sv/lottery.ftl"),
            "\n",
            include_str!("../../locales/sv/casework.ftl"),
        ),
    ),
    (
        Lang::En,
        concat!(
            include_str!("../../locales/en/main.ftl"),
            "\n",
            include_str!("../../locales/en/desk.ftl"),
            "\n",
            include_str!("../../locales/en/intake.ftl"),
            "\n",
            include_str!("../../locales/en/admin.ftl"),
            "\n",
            include_str!("../../locales/en/reports.ftl"),
            "\n",
            include_str!("../../locales/en/board.ftl"),
            "\n",
            include_str!("../../locales/en/coordination.ftl"),
            "\n",
            include_str!("../../locales/en/lottery.ftl"),
            "\n",
            include_str!("../../locales/en/casework.ftl"),
        ),
    ),
];

/// A language's catalogue, loaded.
pub(crate) type Bundle = FluentBundle<FluentResource>;

static CATALOGUES: LazyLock<Result<Vec<Bundle>, String>> = LazyLock::new(|| {
    SOURCES
        .iter()
        .map(|(lang, source)| {
            bundle(
                lang.code(),
                &format!("locales/{}/*.ftl", lang.code()),
                source,
            )
        })
        .collect()
});

/// Loads one language's catalogue (`file` names it in an error): the
/// pages' and the slip's alike.
pub(crate) fn bundle(code: &str, file: &str, source: &str) -> Result<Bundle, String> {
    let resource = FluentResource::try_new(source.to_owned())
        .map_err(|(_, errors)| format!("{file}: {errors:?}"))?;
    let id = code.parse().map_err(|e| format!("language {code}: {e}"))?;
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // The pages are left to right and escape every text themselves; the
    // isolation marks around arguments would only get in the way of
    // searching and copying names (and a printer shows them as boxes).
    bundle.set_use_isolating(false);
    bundle
        .add_resource(resource)
        .map_err(|errors| format!("{file}: {errors:?}"))?;
    Ok(bundle)
}

/// Fails when a catalogue cannot be read; called once at start, so that a
/// broken catalogue stops the start instead of a page.
pub fn check() -> anyhow::Result<()> {
    match &*CATALOGUES {
        Ok(_) => Ok(()),
        Err(e) => Err(anyhow::anyhow!("a catalogue of the pages is broken: {e}")),
    }
}

/// The text of `key` in `lang`, with `args` filled in. A key that is
/// missing (which the tests do not let through) shows as itself.
pub fn text(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    let Ok(bundles) = &*CATALOGUES else {
        return key.to_owned();
    };
    match bundles.get(lang.index()) {
        Some(bundle) => format(bundle, lang.code(), key, args),
        None => key.to_owned(),
    }
}

/// The text of `key` in `bundle` (of the language `code`), with `args`
/// filled in; a missing key shows as itself and is logged.
pub(crate) fn format(bundle: &Bundle, code: &str, key: &str, args: &[(&str, &str)]) -> String {
    let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) else {
        tracing::warn!(key, lang = code, "a text is missing from a catalogue");
        return key.to_owned();
    };
    let args = (!args.is_empty()).then(|| {
        let mut a = FluentArgs::new();
        for (name, value) in args {
            a.set(*name, *value);
        }
        a
    });
    let mut errors = Vec::new();
    let out = bundle.format_pattern(pattern, args.as_ref(), &mut errors);
    if !errors.is_empty() {
        tracing::warn!(key, lang = code, ?errors, "a text could not be filled in");
    }
    out.into_owned()
}

/// What the templates call: `t("key")`, `t1("key", "name", value)` and
/// `t2("key", "name", value, "name2", value2)`.
/// A page's struct says its language; the methods come with it.
pub trait Texts {
    fn lang(&self) -> Lang;

    fn t(&self, key: &str) -> String {
        text(self.lang(), key, &[])
    }

    fn t1(&self, key: &str, name: &str, value: impl std::fmt::Display) -> String {
        text(self.lang(), key, &[(name, &value.to_string())])
    }

    fn t2(
        &self,
        key: &str,
        name: &str,
        value: impl std::fmt::Display,
        name2: &str,
        value2: impl std::fmt::Display,
    ) -> String {
        let (v1, v2) = (value.to_string(), value2.to_string());
        text(self.lang(), key, &[(name, &v1), (name2, &v2)])
    }
}

/// A date as the page's language writes it: "1 december 2019",
/// "1 December 2019".
pub fn date(lang: Lang, d: NaiveDate) -> String {
    let day = d.day().to_string();
    let month = text(lang, &format!("month-{}", d.month()), &[]);
    let year = d.year().to_string();
    text(
        lang,
        "date-long",
        &[("day", &day), ("month", &month), ("year", &year)],
    )
}

/// The time of day of `instant` in `zone`, on the 24-hour clock both
/// languages use: "18:05".
pub fn time(instant: DateTime<Utc>, zone: Tz) -> String {
    instant.with_timezone(&zone).format("%H:%M").to_string()
}

/// The date of `instant` in `zone`.
pub fn local_date(instant: DateTime<Utc>, zone: Tz) -> NaiveDate {
    instant.with_timezone(&zone).date_naive()
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::*;

    /// Fails naming the first of `built` (keys the code makes texts of)
    /// that a language's catalogue lacks.
    pub(crate) fn assert_in_every_catalogue<S: AsRef<str>>(built: impl IntoIterator<Item = S>) {
        let built: Vec<S> = built.into_iter().collect();
        for (lang, source) in SOURCES {
            let known = keys(source);
            for key in &built {
                let key = key.as_ref();
                assert!(known.contains(key), "locales/{}/ lacks {key}", lang.code());
            }
        }
    }

    /// The message ids of a catalogue, read with Fluent's own parser.
    pub(crate) fn keys(source: &str) -> BTreeSet<String> {
        let resource = match fluent_syntax::parser::parse(source) {
            Ok(r) => r,
            Err((_, errors)) => panic!("a catalogue does not parse: {errors:?}"),
        };
        resource
            .body
            .iter()
            .filter_map(|e| match e {
                fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_owned()),
                _ => None,
            })
            .collect()
    }

    /// Every key the templates ask for: `t("...")`, `t1("...", ...)` and
    /// `t2("...", ...)`.
    pub(crate) fn template_keys(text: &str) -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        for call in ["t(\"", "t1(\"", "t2(\""] {
            for (i, _) in text.match_indices(call) {
                // `t(` must be a call of its own, not the end of a longer name.
                let before = text[..i].chars().next_back();
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    continue;
                }
                let rest = &text[i + call.len()..];
                if let Some(end) = rest.find('"') {
                    found.insert(rest[..end].to_owned());
                }
            }
        }
        found
    }

    fn templates() -> Vec<(String, String)> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&dir).expect("templates/") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|x| x == "html") {
                let text = std::fs::read_to_string(&path).expect("template");
                out.push((path.display().to_string(), text));
            }
        }
        assert!(out.len() >= 3, "the templates were not found in {dir:?}");
        out
    }

    #[test]
    fn every_catalogue_has_every_key() {
        let sets: Vec<(Lang, BTreeSet<String>)> =
            SOURCES.iter().map(|(l, s)| (*l, keys(s))).collect();
        let all: BTreeSet<String> = sets.iter().flat_map(|(_, k)| k.clone()).collect();
        for (lang, set) in &sets {
            let missing: Vec<&String> = all.difference(set).collect();
            assert!(
                missing.is_empty(),
                "locales/{}/ lacks {missing:?}",
                lang.code()
            );
        }
        assert!(all.len() > 20, "{all:?}");
    }

    #[test]
    fn the_check_sees_a_key_missing_in_one_language() {
        let sv = keys("a = A\nb = B\n");
        let en = keys("a = A\n");
        assert_eq!(sv.difference(&en).collect::<Vec<_>>(), vec!["b"]);
    }

    #[test]
    fn every_key_a_template_asks_for_is_in_the_catalogues() {
        let known = keys(SOURCES[0].1);
        let mut asked = 0;
        for (path, text) in templates() {
            for key in template_keys(&text) {
                asked += 1;
                assert!(
                    known.contains(&key),
                    "{path} asks for {key:?}, which no catalogue has"
                );
            }
        }
        assert!(asked > 10, "no t(\"…\") calls were found in the templates");
    }

    #[test]
    fn the_template_scan_finds_calls_and_only_calls() {
        let found = template_keys(
            r#"{{ t("a-b") }} {{ t1("c", "name", x) }} {{ self.t("d") }} {{ at("no") }} {{ t2("e", "a", 1, "b", 2) }}"#,
        );
        assert_eq!(
            found.into_iter().collect::<Vec<_>>(),
            vec!["a-b", "c", "d", "e"]
        );
    }

    /// The words of a template that stand outside its tags and its
    /// `{{ }}`, `{% %}` and `{# #}`: text that is in no catalogue.
    fn words_outside(text: &str) -> Vec<String> {
        let mut rest = text;
        let mut outside = String::new();
        while let Some(start) = rest.find(['<', '{']) {
            outside.push_str(&rest[..start]);
            outside.push(' ');
            let tail = &rest[start..];
            let close = if tail.starts_with("{{") {
                "}}"
            } else if tail.starts_with("{%") {
                "%}"
            } else if tail.starts_with("{#") {
                "#}"
            } else if tail.starts_with('<') {
                ">"
            } else {
                "}"
            };
            match tail.find(close) {
                Some(end) => rest = &tail[end + close.len()..],
                None => break,
            }
        }
        outside.push_str(rest);
        outside
            .split(|c: char| !c.is_alphabetic())
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn templates_hold_no_text_of_their_own() {
        for (path, text) in templates() {
            let words = words_outside(&text);
            assert!(
                words.is_empty(),
                "{path} has text outside the catalogues: {words:?}"
            );
        }
    }

    #[test]
    fn the_text_check_sees_a_word_between_tags() {
        assert_eq!(
            words_outside(r#"<p class="x">Hej {{ t("a") }}</p>{% if y %}, ({{ z }}){% endif %}"#),
            vec!["Hej"]
        );
    }

    #[test]
    fn the_keys_the_code_builds_exist() {
        let known = keys(SOURCES[0].1);
        let mut built: Vec<String> = (1..=12).map(|m| format!("month-{m}")).collect();
        built.extend(crate::web::built_keys());
        for key in built {
            assert!(
                known.contains(&key),
                "the code builds {key:?}, which no catalogue has"
            );
        }
    }

    #[test]
    fn arguments_are_filled_in_without_marks() {
        assert_eq!(
            text(Lang::En, "signed-in-as", &[("name", "desk")]),
            "Signed in as desk"
        );
        assert_eq!(text(Lang::Sv, "no-such-key", &[]), "no-such-key");
        check().unwrap();
    }

    #[test]
    fn dates_and_times_are_the_partnership_zones() {
        let d = NaiveDate::from_ymd_opt(2019, 12, 1).unwrap();
        assert_eq!(date(Lang::Sv, d), "1 december 2019");
        assert_eq!(date(Lang::En, d), "1 December 2019");
        // 23:30 UTC on 1 December is 00:30 on 2 December in Stockholm.
        let late = DateTime::parse_from_rfc3339("2019-12-01T23:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let zone = chrono_tz::Europe::Stockholm;
        assert_eq!(time(late, zone), "00:30");
        assert_eq!(
            local_date(late, zone),
            NaiveDate::from_ymd_opt(2019, 12, 2).unwrap()
        );
        // Summer time: UTC+2.
        let summer = DateTime::parse_from_rfc3339("2019-07-01T16:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(time(summer, zone), "18:00");
    }

    #[test]
    fn a_language_is_read_from_its_code_only() {
        assert_eq!(Lang::parse("en"), Some(Lang::En));
        assert_eq!(Lang::parse("sv"), Some(Lang::Sv));
        assert_eq!(Lang::parse("EN"), None);
        assert_eq!(Lang::parse("de"), None);
        assert_eq!(Lang::default(), Lang::Sv);
        assert_eq!(Lang::Sv.other(), Lang::En);
    }
}
