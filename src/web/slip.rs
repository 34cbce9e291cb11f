//! The guest slip (issue 16): `GET /stays/{id}/slip`, a page the desk
//! prints (A6, or a receipt printer's width) and hands to the guest. The
//! slip itself is in the guest's language (the guest's `language`,
//! `domain::Language`: ro, bg, pl, hu, en, sv), from its own catalogues
//! `locales/slip/LANG.ftl`; the screen around it (the print button, the
//! way back) is in the desk's language, from the pages' catalogues.
//!
//! Every date and night on the slip is the stay's as the service gives it
//! (`service::stays::get`: first and last night, karenstid, the night a
//! new stay is possible again, the bed of each night), and the check-in
//! time is the no-show cutoff of the rule set the stay is judged by: the
//! page computes no rule of its own. Reading the slip is the API's stay
//! read, for the same roles and scope, with the same audit entry
//! (`stay.read`).

use std::collections::BTreeSet;
use std::sync::LazyLock;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{Datelike, NaiveDate};

use super::i18n::{Bundle, Lang, Texts, bundle, format};
use super::session;
use super::{PageCtx, page_texts};
use crate::api::extract::{RequestTag, actor};
use crate::api::fields::path_id;
use crate::api::state::AppState;
use crate::api::stays::STAY_ROLES;
use crate::domain::Language;
use crate::error::AppError;
use crate::ids::StayId;
use crate::rules::Night;
use crate::service::stays::StayView;

/// The routes of the slip.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(super::page_resource("/stays/{id}/slip").route(web::get().to(slip)));
}

// ---------------------------------------------------------- catalogues

/// The slip's catalogues, one per language a guest may read, built into
/// the binary. Every one has the same keys (a test fails otherwise).
pub const SOURCES: [(Language, &str); 6] = [
    (Language::Ro, include_str!("../../locales/slip/ro.ftl")),
    (Language::Bg, include_str!("../../locales/slip/bg.ftl")),
    (Language::Pl, include_str!("../../locales/slip/pl.ftl")),
    (Language::Hu, include_str!("../../locales/slip/hu.ftl")),
    (Language::En, include_str!("../../locales/slip/en.ftl")),
    (Language::Sv, include_str!("../../locales/slip/sv.ftl")),
];

static CATALOGUES: LazyLock<Result<Vec<(Language, Bundle)>, String>> = LazyLock::new(|| {
    SOURCES
        .iter()
        .map(|(lang, source)| {
            let code = lang.as_str();
            bundle(code, &format!("locales/slip/{code}.ftl"), source).map(|b| (*lang, b))
        })
        .collect()
});

/// Fails when a slip catalogue cannot be read or lacks a key the code
/// builds (a weekday, a month); called at start beside `i18n::check`, so
/// a broken catalogue stops the start, not a print.
pub fn check() -> anyhow::Result<()> {
    let bundles = match &*CATALOGUES {
        Ok(b) => b,
        Err(e) => return Err(anyhow::anyhow!("a catalogue of the slip is broken: {e}")),
    };
    for (lang, bundle) in bundles {
        if let Some(key) = built_keys().into_iter().find(|k| !bundle.has_message(k)) {
            anyhow::bail!("locales/slip/{}.ftl lacks {key}", lang.as_str());
        }
    }
    Ok(())
}

/// The text of `key` in the guest's language `lang`, with `args` filled
/// in; a missing key (the tests let none through) shows as itself.
pub fn text(lang: Language, key: &str, args: &[(&str, &str)]) -> String {
    let Ok(bundles) = &*CATALOGUES else {
        return key.to_owned();
    };
    match bundles.iter().find(|(l, _)| *l == lang) {
        Some((_, bundle)) => format(bundle, lang.as_str(), key, args),
        None => key.to_owned(),
    }
}

/// A date as the guest's language writes it, with its weekday (a guest
/// without a calendar knows the day of the week): "duminică, 1 decembrie
/// 2019", "2019. december 1., vasárnap". Each catalogue orders the parts
/// in its `date-long` and names its weekdays and months (Polish in the
/// genitive, as a date needs).
pub fn date(lang: Language, d: NaiveDate) -> String {
    let weekday = text(
        lang,
        &format!("weekday-{}", d.weekday().number_from_monday()),
        &[],
    );
    let day = d.day().to_string();
    let month = text(lang, &format!("month-{}", d.month()), &[]);
    let year = d.year().to_string();
    text(
        lang,
        "date-long",
        &[
            ("weekday", &weekday),
            ("day", &day),
            ("month", &month),
            ("year", &year),
        ],
    )
}

/// The keys the code builds (dates), besides the template's.
fn built_keys() -> Vec<String> {
    let mut keys: Vec<String> = (1..=12).map(|m| format!("month-{m}")).collect();
    keys.extend((1..=7).map(|d| format!("weekday-{d}")));
    keys.push("date-long".to_owned());
    keys
}

/// The desk's name of a guest's language, a key of the pages' catalogues.
fn language_key(lang: Language) -> String {
    format!("slip-language-{}", lang.as_str())
}

// ---------------------------------------------------------------- page

/// One night of the stay on the slip, when the bed changes during it.
#[derive(Debug, Clone)]
pub struct SlipNight {
    pub date: String,
    pub label: String,
}

/// What the slip says, every value written out in the guest's language.
#[derive(Debug, Clone)]
pub struct Slip {
    pub lang: Language,
    pub shelter: String,
    pub address: Option<String>,
    pub phone: Option<String>,
    /// The bed of tonight's night of the stay, or of its next one (its
    /// last when it is over).
    pub bed: String,
    pub first_night: String,
    /// The morning the guest leaves: the day after the last night.
    pub leave: String,
    /// The check-in cutoff, "23:00".
    pub cutoff: String,
    /// The karenstid: its first and last night, one of them when they are
    /// the same night, none when the rule set has none.
    pub wait_from: Option<String>,
    pub wait_to: Option<String>,
    pub again: String,
    /// Every night with its bed, shown when the bed is not the same on
    /// all of them (the stay was moved).
    pub nights: Vec<SlipNight>,
}

#[derive(Template)]
#[template(path = "slip.html")]
struct SlipPage {
    page: PageCtx,
    /// The slip's own address, where the language switch comes back to.
    here: String,
    /// Why there is no slip (a voided stay), instead of one.
    slip: Option<Slip>,
    /// The guest's language, as the desk names it.
    language: String,
}
page_texts!(SlipPage);

impl SlipPage {
    fn slip_lang(&self) -> Language {
        self.slip.as_ref().map(|s| s.lang).unwrap_or_default()
    }

    /// A text of the slip, in the guest's language.
    fn s(&self, key: &str) -> String {
        text(self.slip_lang(), key, &[])
    }

    fn s1(&self, key: &str, name: &str, value: impl std::fmt::Display) -> String {
        text(self.slip_lang(), key, &[(name, &value.to_string())])
    }
}

/// What the slip is made of, read with the stay.
struct Read {
    view: StayView,
    language: Language,
    shelter: String,
    address: Option<String>,
    phone: Option<String>,
    /// Tonight, by the service's clock.
    tonight: Night,
    cutoff: chrono::NaiveTime,
}

/// The night whose bed the slip names: tonight's, else the next one of
/// the stay, else (the stay is over) its last.
fn current_night(view: &StayView, tonight: Night) -> Option<usize> {
    view.nights
        .iter()
        .position(|n| n.night >= tonight)
        .or_else(|| view.nights.len().checked_sub(1))
}

/// The slip of a stay, in the guest's language.
pub fn slip_of(
    lang: Language,
    view: &StayView,
    shelter: String,
    address: Option<String>,
    phone: Option<String>,
    tonight: Night,
    cutoff: chrono::NaiveTime,
) -> Slip {
    let bed = current_night(view, tonight)
        .and_then(|i| view.nights.get(i))
        .map(|n| n.place_label.clone())
        .unwrap_or_default();
    let labels: BTreeSet<&str> = view.nights.iter().map(|n| n.place_label.as_str()).collect();
    let nights = if labels.len() > 1 {
        view.nights
            .iter()
            .map(|n| SlipNight {
                date: date(lang, n.night.date()),
                label: n.place_label.clone(),
            })
            .collect()
    } else {
        Vec::new()
    };
    let wait_first = view.last_night.plus(1);
    let (wait_from, wait_to) = if view.quarantine_last_night < wait_first {
        (None, None)
    } else if view.quarantine_last_night == wait_first {
        (Some(date(lang, wait_first.date())), None)
    } else {
        (
            Some(date(lang, wait_first.date())),
            Some(date(lang, view.quarantine_last_night.date())),
        )
    };
    Slip {
        lang,
        shelter,
        address,
        phone,
        bed,
        first_night: date(lang, view.first_night.date()),
        leave: date(lang, view.last_night.plus(1).date()),
        cutoff: cutoff.format("%H:%M").to_string(),
        wait_from,
        wait_to,
        again: date(lang, view.eligible_again_from.date()),
        nights,
    }
}

/// The stay through the service (scope, audit), then what the slip needs
/// besides: the guest's language and the shelter of the bed it names (a
/// move may have taken the stay to another shelter).
fn read(
    ctx: &crate::service::Context,
    actor: &crate::service::act::Actor,
    id: &StayId,
) -> Result<Read, AppError> {
    let view = crate::service::stays::get(ctx, actor, id)?;
    let now = ctx.rules_now()?;
    let cutoff =
        crate::service::beds::rules_for(&ctx.partnership, view.first_night)?.no_show_cutoff;
    let mut conn = ctx.connection()?;
    let language = crate::db::guests::get(&mut conn, &view.guest_id)?
        .and_then(|g| g.language.parse::<Language>().ok())
        .unwrap_or_default();
    let place_shelter = match current_night(&view, now.night).and_then(|i| view.nights.get(i)) {
        Some(n) => {
            crate::db::places::place(&mut conn, &n.place_id)?.map(|p| p.shelter_id.to_string())
        }
        None => None,
    };
    let shelter_id = place_shelter.unwrap_or_else(|| view.shelter_id.clone());
    let shelter = crate::db::places::shelter(&mut conn, &shelter_id)?
        .ok_or_else(|| AppError::not_found("shelter"))?;
    Ok(Read {
        view,
        language,
        shelter: shelter.name,
        address: shelter.address,
        phone: shelter.phone,
        tonight: now.night,
        cutoff,
    })
}

/// `GET /stays/{id}/slip`: the slip of a stay, for the roles that may
/// read the stay (`GET /stays/{id}`), in their scope.
pub async fn slip(
    req: HttpRequest,
    state: web::Data<AppState>,
    tag: RequestTag,
    path: web::Path<String>,
) -> HttpResponse {
    let lang = Lang::of(&req);
    let signed = match session::signed_in(&req, &state).await {
        Ok(Some(s)) => s,
        Ok(None) => return super::to_login(&req),
        Err(e) => return super::failed(&req, PageCtx::new(lang, None, "/"), e),
    };
    let page = PageCtx::new(lang, Some(signed.csrf().to_owned()), "/");
    let caller = signed.session.caller.clone();
    if let Err(e) = caller.require_any(STAY_ROLES) {
        return super::failed(&req, page, e);
    }
    let id: StayId = match path_id(&path.into_inner(), "stay") {
        Ok(id) => id,
        Err(e) => return super::failed(&req, page, e),
    };
    let here = format!("/stays/{id}/slip");
    let actor = actor(&caller, &tag);
    let found = state.service().run(move |ctx| read(ctx, &actor, &id)).await;
    let r = match found {
        Ok(r) => r,
        Err(e) => return super::failed(&req, page, e),
    };
    let language = super::i18n::text(lang, &language_key(r.language), &[]);
    // A voided stay counts as if it never was (RULES.md §3): no slip.
    let slip = (r.view.status != "voided").then(|| {
        slip_of(
            r.language, &r.view, r.shelter, r.address, r.phone, r.tonight, r.cutoff,
        )
    });
    super::html(
        StatusCode::OK,
        &SlipPage {
            page,
            here,
            slip,
            language,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::stays::StayNightView;

    use crate::web::i18n::tests::keys;

    /// The keys a template asks for with `calls` (`s("`, `t("`, …), each
    /// a call of its own, not the end of a longer name.
    fn called(text: &str, calls: &[&str]) -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        for call in calls {
            for (i, _) in text.match_indices(call) {
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

    /// The keys the slip's template asks of the slip's catalogues:
    /// `s("…")` and `s1("…", …)`.
    fn slip_keys(text: &str) -> BTreeSet<String> {
        called(text, &["s(\"", "s1(\""])
    }

    /// The keys it asks of the pages' catalogues.
    fn template_keys(text: &str) -> BTreeSet<String> {
        called(text, &["t(\"", "t1(\"", "t2(\""])
    }

    fn template() -> String {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/slip.html");
        std::fs::read_to_string(path).expect("templates/slip.html")
    }

    #[test]
    fn every_slip_catalogue_has_every_key() {
        let sets: Vec<(Language, BTreeSet<String>)> =
            SOURCES.iter().map(|(l, s)| (*l, keys(s))).collect();
        let all: BTreeSet<String> = sets.iter().flat_map(|(_, k)| k.clone()).collect();
        for (lang, set) in &sets {
            let missing: Vec<&String> = all.difference(set).collect();
            assert!(
                missing.is_empty(),
                "locales/slip/{}.ftl lacks {missing:?}",
                lang.as_str()
            );
        }
        assert_eq!(
            SOURCES.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
            Language::ALL.to_vec(),
            "one catalogue for each language a guest may read"
        );
        check().unwrap();
    }

    #[test]
    fn the_slip_asks_only_for_keys_every_slip_catalogue_has() {
        let asked = slip_keys(&template());
        assert!(asked.len() > 8, "{asked:?}");
        let mut needed = asked.clone();
        needed.extend(built_keys());
        for (lang, source) in SOURCES {
            let known = keys(source);
            let missing: Vec<&String> = needed.difference(&known).collect();
            assert!(
                missing.is_empty(),
                "slip.html or the code asks for {missing:?}, which locales/slip/{}.ftl lacks",
                lang.as_str()
            );
        }
        // The screen's keys are the pages' (checked in both languages by
        // i18n's tests), the languages' names too.
        let pages = keys(crate::web::i18n::SOURCES[0].1);
        let pages_en = keys(crate::web::i18n::SOURCES[1].1);
        for key in template_keys(&template())
            .into_iter()
            .chain(Language::ALL.iter().map(|l| language_key(*l)))
        {
            assert!(pages.contains(&key) && pages_en.contains(&key), "{key}");
        }
    }

    #[test]
    fn the_key_scan_finds_slip_calls_only() {
        let found = slip_keys(r#"{{ s("a") }} {{ s1("b", "x", y) }} {{ t("c") }} {{ has("d") }}"#);
        assert_eq!(found.into_iter().collect::<Vec<_>>(), vec!["a", "b"]);
    }

    #[test]
    fn dates_are_written_in_the_guests_language() {
        let d = NaiveDate::from_ymd_opt(2019, 12, 1).unwrap();
        assert_eq!(date(Language::Ro, d), "duminică, 1 decembrie 2019");
        assert_eq!(date(Language::Bg, d), "неделя, 1 декември 2019 г.");
        assert_eq!(date(Language::Pl, d), "niedziela, 1 grudnia 2019");
        assert_eq!(date(Language::Hu, d), "2019. december 1., vasárnap");
        assert_eq!(date(Language::En, d), "Sunday 1 December 2019");
        assert_eq!(date(Language::Sv, d), "söndag 1 december 2019");
        let may = NaiveDate::from_ymd_opt(2020, 5, 6).unwrap();
        assert_eq!(date(Language::Ro, may), "miercuri, 6 mai 2020");
        assert_eq!(date(Language::Pl, may), "środa, 6 maja 2020");
    }

    fn night(d: &str) -> Night {
        Night::new(d.parse().unwrap())
    }

    fn stay(labels: &[&str]) -> StayView {
        StayView {
            id: "s".into(),
            guest_id: "g".into(),
            shelter_id: "h".into(),
            category: "regular".into(),
            status: "active".into(),
            first_night: night("2019-12-01"),
            last_night: night("2019-12-05"),
            quarantine_last_night: night("2019-12-07"),
            eligible_again_from: night("2019-12-08"),
            nights: labels
                .iter()
                .enumerate()
                .map(|(i, l)| StayNightView {
                    night: night("2019-12-01").plus(i as i64),
                    place_id: format!("p{i}"),
                    label: (*l).into(),
                    place_label: (*l).into(),
                    state: crate::rules::checkin::NightState::Reserved,
                })
                .collect(),
        }
    }

    fn render(slip: Slip) -> String {
        SlipPage {
            page: PageCtx::new(Lang::Sv, Some("x".into()), "/"),
            here: "/stays/s/slip".into(),
            slip: Some(slip),
            language: "rumänska".into(),
        }
        .render()
        .unwrap()
    }

    #[test]
    fn a_romanian_slip_says_it_all_in_romanian() {
        let cutoff = chrono::NaiveTime::from_hms_opt(23, 0, 0).unwrap();
        let view = stay(&["R01"; 5]);
        let slip = slip_of(
            Language::Ro,
            &view,
            "Härbärget".into(),
            Some("Gatan 1, Stockholm".into()),
            Some("08-000 00 00".into()),
            night("2019-12-01"),
            cutoff,
        );
        assert_eq!(slip.bed, "R01");
        assert_eq!(slip.first_night, "duminică, 1 decembrie 2019");
        assert_eq!(slip.leave, "vineri, 6 decembrie 2019");
        assert_eq!(slip.wait_from.as_deref(), Some("vineri, 6 decembrie 2019"));
        assert_eq!(slip.wait_to.as_deref(), Some("sâmbătă, 7 decembrie 2019"));
        assert_eq!(slip.again, "duminică, 8 decembrie 2019");
        assert!(slip.nights.is_empty(), "one bed: no list of nights");
        let html = render(slip);
        assert!(
            html.contains("<html lang=\"sv\">"),
            "the screen is the desk's"
        );
        assert!(html.contains("lang=\"ro\""), "the slip is the guest's");
        assert!(html.contains("23:00"));
        assert!(html.contains(&text(Language::Ro, "slip-title", &[])));
        assert!(html.contains("Gatan 1, Stockholm") && html.contains("08-000 00 00"));
        assert!(html.contains("data-print"));
        assert!(!html.contains("style="), "inline style");
        assert!(!html.contains("<script>"), "inline script");
    }

    #[test]
    fn a_moved_stay_lists_its_nights_and_names_the_bed_of_tonight() {
        let cutoff = chrono::NaiveTime::from_hms_opt(22, 30, 0).unwrap();
        let view = stay(&["R01", "R01", "R07", "R07", "R07"]);
        let slip = slip_of(
            Language::En,
            &view,
            "S".into(),
            None,
            None,
            night("2019-12-03"),
            cutoff,
        );
        assert_eq!(slip.bed, "R07");
        assert_eq!(slip.nights.len(), 5);
        assert_eq!(slip.cutoff, "22:30");
        let html = render(slip);
        assert!(html.contains("22:30") && html.contains("Tuesday 3 December 2019"));
        // After the stay, its last bed.
        let slip = slip_of(
            Language::En,
            &view,
            "S".into(),
            None,
            None,
            night("2019-12-09"),
            cutoff,
        );
        assert_eq!(slip.bed, "R07");
    }

    #[test]
    fn a_karenstid_of_one_night_or_none_is_said_so() {
        let cutoff = chrono::NaiveTime::from_hms_opt(23, 0, 0).unwrap();
        let mut view = stay(&["R01"; 5]);
        view.quarantine_last_night = night("2019-12-06");
        view.eligible_again_from = night("2019-12-07");
        let slip = slip_of(
            Language::Sv,
            &view,
            "S".into(),
            None,
            None,
            night("2019-12-01"),
            cutoff,
        );
        assert_eq!(slip.wait_from.as_deref(), Some("fredag 6 december 2019"));
        assert_eq!(slip.wait_to, None);
        view.quarantine_last_night = night("2019-12-05");
        view.eligible_again_from = night("2019-12-06");
        let slip = slip_of(
            Language::Sv,
            &view,
            "S".into(),
            None,
            None,
            night("2019-12-01"),
            cutoff,
        );
        assert_eq!(slip.wait_from, None);
        let html = render(slip);
        assert!(!html.contains(&text(Language::Sv, "slip-wait-nights", &[])));
    }

    #[test]
    fn a_voided_stay_has_no_slip() {
        let html = SlipPage {
            page: PageCtx::new(Lang::En, Some("x".into()), "/"),
            here: "/stays/s/slip".into(),
            slip: None,
            language: "Romanian".into(),
        }
        .render()
        .unwrap();
        assert!(
            html.contains("The stay was voided and has no slip."),
            "{html}"
        );
        assert!(
            !html.contains("id=\"slip\"") && !html.contains("data-print"),
            "{html}"
        );
    }

    #[test]
    fn every_language_renders_its_slip() {
        let cutoff = chrono::NaiveTime::from_hms_opt(23, 0, 0).unwrap();
        for lang in Language::ALL {
            let slip = slip_of(
                *lang,
                &stay(&["W02"; 5]),
                "S".into(),
                None,
                None,
                night("2019-12-01"),
                cutoff,
            );
            let html = render(slip);
            assert!(html.contains(&format!("lang=\"{}\"", lang.as_str())));
            assert!(html.contains(&text(*lang, "slip-title", &[])), "{lang:?}");
            for key in slip_keys(&template()) {
                assert!(
                    !html.contains(&format!(">{key}<")),
                    "{key} shown as itself in {lang:?}"
                );
            }
        }
    }
}
