//! The follow-up report as a page (issue 17): a period chooser, the
//! report in words in the page's language, with charts and their legends,
//! and its CSVs as downloads, all with the session.
//!
//! The figures come from the call the API makes (`api::reports::build`),
//! on the audit trail as `report.follow-up` as the API's are; the
//! downloads answer with the API's CSV bodies (`follow_up_csv_answer`),
//! so that a coordinator who is signed in needs no bearer token to click.
//! Every machine word the report carries (a column, a refusal code, a
//! status) is a catalogue key `report-<kind>-<word>`; a test checks that
//! every word the report can produce has its text in both languages.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;

use super::i18n::{self, Lang, Texts};
use super::session::{self, SignedIn};
use super::{PageCtx, page_texts};
use crate::api::extract::RequestTag;
use crate::api::report_formats::Dialect;
use crate::api::reports::{PeriodQuery, REPORT_ROLES, build, follow_up_csv_answer};
use crate::api::state::AppState;
use crate::error::AppError;
use crate::service::reports::{FollowUpReport, Table, Use};

/// The routes of these pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(super::page_resource("/reports").route(web::get().to(reports_page)))
        .service(super::page_resource("/reports/follow-up.csv").route(web::get().to(csv_download)));
}

// ------------------------------------------------------------- period

/// The period as the chooser sends it: `preset` is `half-year`,
/// `partnership-year` or `dates` (then `from` and `to`); empty fields are
/// fields not given.
#[derive(Debug, Clone, Default)]
struct Chosen {
    preset: String,
    of: String,
    from: String,
    to: String,
}

impl Chosen {
    fn read(req: &HttpRequest) -> (Self, Option<String>) {
        let mut c = Self::default();
        let mut dialect = None;
        for (k, v) in form_urlencoded::parse(req.query_string().as_bytes()) {
            let v = v.trim().to_owned();
            match &*k {
                "preset" => c.preset = v,
                "of" => c.of = v,
                "from" => c.from = v,
                "to" => c.to = v,
                "dialect" => dialect = Some(v),
                _ => {}
            }
        }
        (c, dialect)
    }

    /// Whether a period was asked for at all (the chooser alone, else).
    fn asked(&self) -> bool {
        !self.preset.is_empty() || !self.from.is_empty() || !self.to.is_empty()
    }

    /// The API's query for this choice: the checks and the answers to a
    /// bad period are the API's.
    fn query(&self) -> PeriodQuery {
        let given = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        match self.preset.as_str() {
            "" | "dates" => PeriodQuery::new(given(&self.from), given(&self.to), None, None),
            p => PeriodQuery::new(None, None, Some(p.to_owned()), given(&self.of)),
        }
    }

    fn is(&self, preset: &str) -> bool {
        if self.preset.is_empty() {
            preset == "half-year"
        } else {
            self.preset == preset
        }
    }
}

// ------------------------------------------------------------- words

/// The catalogue key of a machine word of the report: `report-<kind>-<word>`
/// (Fluent ids take no `+`: `66+` is `66plus`).
pub fn word_key(kind: &str, word: &str) -> String {
    format!("report-{kind}-{}", word.replace('+', "plus"))
}

/// A machine word in the page's language; a word the catalogue lacks
/// (which the tests do not let through for the report's vocabulary) is
/// shown as itself rather than as its key.
fn word(lang: Lang, kind: &str, w: &str) -> String {
    let key = word_key(kind, w);
    let text = i18n::text(lang, &key, &[]);
    if text == key { w.to_owned() } else { text }
}

/// Every machine word the report can carry, by kind: what the tests check
/// the catalogues against.
#[cfg(test)]
fn vocabulary() -> Vec<(&'static str, Vec<String>)> {
    use crate::service::feedback::{
        COMPLAINT_CATEGORIES, COMPLAINT_KINDS, COMPLAINT_STATUSES, QUESTIONS,
    };
    use crate::service::followup::REFERRAL_REASONS;
    use crate::service::reports::{
        AGE_BANDS, GENDERS, INCIDENT_KINDS, REFERRAL_STATUSES, STAY_OUTCOMES, TURNAWAY_REASONS,
    };
    let s = |l: &[&str]| l.iter().map(|w| (*w).to_owned()).collect::<Vec<_>>();
    let mut answers: Vec<String> = Vec::new();
    for q in &QUESTIONS {
        for a in q.answers {
            if !a.chars().all(|c| c.is_ascii_digit()) && !answers.iter().any(|x| x == a) {
                answers.push((*a).to_owned());
            }
        }
    }
    vec![
        ("gender", s(&GENDERS)),
        ("age", s(&AGE_BANDS)),
        ("outcome", s(&STAY_OUTCOMES)),
        ("refusal", s(&TURNAWAY_REASONS)),
        ("referral-reason", s(&REFERRAL_REASONS)),
        ("referral-status", s(&REFERRAL_STATUSES)),
        ("incident", s(&INCIDENT_KINDS)),
        ("complaint-category", s(&COMPLAINT_CATEGORIES)),
        ("complaint-kind", s(&COMPLAINT_KINDS)),
        ("complaint-status", s(&COMPLAINT_STATUSES)),
        (
            "question",
            QUESTIONS.iter().map(|q| q.id.to_owned()).collect(),
        ),
        ("answer", answers),
        ("use", s(&USES)),
        ("category", s(&CATEGORIES)),
        ("preset", s(&["half-year", "partnership-year"])),
    ]
}

/// The keys the code builds besides the vocabulary's.
#[cfg(test)]
fn built_keys() -> Vec<String> {
    let mut keys: Vec<String> = SECTIONS
        .iter()
        .map(|s| format!("report-section-{s}"))
        .collect();
    for t in TABLES {
        keys.push(format!("report-table-{t}"));
    }
    keys.extend(
        [
            "report-row-all",
            "report-row-no-shelter",
            "report-col-organisation",
            "report-col-total",
            "report-col-question",
            "report-col-answered",
            "report-col-category",
            "report-col-citizenship",
            "report-fact-nights",
            "report-fact-cold-nights",
            "report-fact-emergency",
            "report-fact-cold-night-placements",
            "report-fact-responses",
            "report-chart-occupancy-title",
            "report-chart-occupancy-desc",
            "report-chart-turnaways-title",
            "report-chart-turnaways-desc",
            "report-chart-turnaways-small",
            "report-note-citizenship",
            "report-note-unique",
            "report-note-referrals",
        ]
        .map(str::to_owned),
    );
    keys
}

const USES: [&str; 4] = ["places", "occupied", "no_show", "free"];
const CATEGORIES: [&str; 4] = ["all", "regular", "women", "overflow"];
#[cfg(test)]
const SECTIONS: [&str; 9] = [
    "occupancy",
    "guests",
    "bed-nights",
    "stays",
    "turnaways",
    "referrals",
    "incidents",
    "complaints",
    "survey",
];
#[cfg(test)]
const TABLES: [&str; 11] = [
    "occupancy",
    "survey-overall",
    "by-outcome",
    "by-gender",
    "by-age-band",
    "by-citizenship",
    "by-reason",
    "by-status",
    "by-category",
    "by-kind",
    "survey",
];

// ------------------------------------------------------------- views

/// A table as the page shows it: every header and row label in words.
#[derive(Debug, Clone)]
pub struct TableView {
    pub id: String,
    pub caption: String,
    /// The header of the row labels' column.
    pub corner: String,
    pub columns: Vec<String>,
    /// The header of the totals' column, when the rows have totals.
    pub total: Option<String>,
    pub rows: Vec<RowView>,
}

#[derive(Debug, Clone)]
pub struct RowView {
    pub label: String,
    /// The row of all organisations (set off in the table).
    pub all: bool,
    pub cells: Vec<String>,
    pub total: Option<String>,
}

/// A bar of a chart, in the chart's units.
#[derive(Debug, Clone)]
pub struct Bar {
    pub x: String,
    pub y: String,
    pub w: String,
    pub h: String,
    pub fill: &'static str,
}

/// A text of a chart (an axis value, a date, a count).
#[derive(Debug, Clone)]
pub struct Label {
    pub x: String,
    pub y: String,
    pub anchor: &'static str,
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct Swatch {
    pub fill: &'static str,
    pub label: String,
}

/// A chart drawn as SVG with fill attributes (the pages' policy allows
/// no inline style), with its text alternative and its legend.
#[derive(Debug, Clone)]
pub struct ChartView {
    pub id: String,
    pub title: String,
    pub desc: String,
    pub width: u32,
    pub height: u32,
    pub bars: Vec<Bar>,
    pub labels: Vec<Label>,
    pub legend: Vec<Swatch>,
}

#[derive(Debug, Clone)]
pub struct Fact {
    pub label: String,
    pub value: String,
}

#[derive(Debug, Clone)]
pub struct SectionView {
    pub id: String,
    pub heading: String,
    pub notes: Vec<String>,
    pub facts: Vec<Fact>,
    pub charts: Vec<ChartView>,
    pub tables: Vec<TableView>,
}

/// The report, ready for the template.
#[derive(Debug, Clone)]
pub struct ReportView {
    pub from: String,
    pub to: String,
    pub cut_short: Option<String>,
    pub generated: String,
    pub small: String,
    pub withheld: String,
    pub suppressed: bool,
    pub csv_url: String,
    pub excel_url: String,
    pub sections: Vec<SectionView>,
}

const OCCUPIED: &str = "#1f4e79";
const NO_SHOW: &str = "#b04a00";
const FREE: &str = "#c9d1d9";
const TURNED: &str = "#6f2da8";

fn f1(v: f64) -> String {
    format!("{v:.1}")
}

fn row_label(lang: Lang, org: Option<&str>, label: &str) -> (String, bool) {
    match org {
        None => (i18n::text(lang, "report-row-all", &[]), true),
        Some("-") => (i18n::text(lang, "report-row-no-shelter", &[]), false),
        Some(_) => (label.to_owned(), false),
    }
}

/// A table of the report in words; `kind` names the vocabulary of its
/// columns (`None`: the columns are codes shown as they are, citizenship).
fn table_view(lang: Lang, id: String, table: &str, t: &Table, kind: Option<&str>) -> TableView {
    let tx = |k: &str| i18n::text(lang, k, &[]);
    let has_total = t.rows.iter().any(|r| r.total.is_some());
    TableView {
        id,
        caption: tx(&format!("report-table-{table}")),
        corner: tx("report-col-organisation"),
        columns: t
            .columns
            .iter()
            .map(|c| match kind {
                Some(k) => word(lang, k, c),
                None => c.clone(),
            })
            .collect(),
        total: has_total.then(|| tx("report-col-total")),
        rows: t
            .rows
            .iter()
            .map(|r| {
                let (label, all) = row_label(lang, r.organization_id.as_deref(), &r.label);
                RowView {
                    label,
                    all,
                    cells: r.cells.iter().map(|f| f.text()).collect(),
                    total: r.total.as_ref().map(|f| f.text()),
                }
            })
            .collect(),
    }
}

fn occupancy_table(lang: Lang, r: &FollowUpReport) -> TableView {
    let t = &r.occupancy.total;
    let uses = |u: &Use| {
        vec![
            u.places.to_string(),
            u.occupied.to_string(),
            u.no_show.to_string(),
            u.free.to_string(),
        ]
    };
    TableView {
        id: "table-occupancy".to_owned(),
        caption: i18n::text(lang, "report-table-occupancy", &[]),
        corner: i18n::text(lang, "report-col-category", &[]),
        columns: USES.iter().map(|u| word(lang, "use", u)).collect(),
        total: None,
        rows: CATEGORIES
            .into_iter()
            .zip([&t.all, &t.regular, &t.women, &t.overflow])
            .map(|(c, u)| RowView {
                label: word(lang, "category", c),
                all: c == "all",
                cells: uses(u),
                total: None,
            })
            .collect(),
    }
}

/// Occupancy per night: occupied, no-shows and free places stacked.
fn occupancy_chart(lang: Lang, r: &FollowUpReport) -> ChartView {
    let nights = &r.occupancy.nights;
    let (width, height, top, bottom, left) = (720u32, 240u32, 16.0, 24.0, 36.0);
    let plot_h = f64::from(height) - top - bottom;
    let plot_w = f64::from(width) - left - 4.0;
    let max = nights
        .iter()
        .map(|n| n.all.places.max(n.all.occupied + n.all.no_show))
        .max()
        .unwrap_or(0)
        .max(1);
    let step = plot_w / nights.len().max(1) as f64;
    let scale = plot_h / max as f64;
    let mut bars = Vec::new();
    for (i, n) in nights.iter().enumerate() {
        let x = left + step * i as f64 + step * 0.1;
        let w = (step * 0.8).max(0.5);
        let mut y = top + plot_h;
        for (v, fill) in [
            (n.all.occupied, OCCUPIED),
            (n.all.no_show, NO_SHOW),
            (n.all.free, FREE),
        ] {
            if v <= 0 {
                continue;
            }
            let h = v as f64 * scale;
            y -= h;
            bars.push(Bar {
                x: f1(x),
                y: f1(y),
                w: f1(w),
                h: f1(h),
                fill,
            });
        }
    }
    // The axis: its top and zero; the first and the last night.
    let mut labels = vec![
        Label {
            x: f1(left - 4.0),
            y: f1(top + 4.0),
            anchor: "end",
            text: max.to_string(),
        },
        Label {
            x: f1(left - 4.0),
            y: f1(top + plot_h),
            anchor: "end",
            text: "0".to_owned(),
        },
    ];
    if let (Some(first), Some(last)) = (nights.first(), nights.last()) {
        labels.push(Label {
            x: f1(left),
            y: f1(f64::from(height) - 6.0),
            anchor: "start",
            text: short_date(first.night),
        });
        labels.push(Label {
            x: f1(f64::from(width) - 4.0),
            y: f1(f64::from(height) - 6.0),
            anchor: "end",
            text: short_date(last.night),
        });
    }
    let busiest = nights.iter().map(|n| n.all.occupied).max().unwrap_or(0);
    let total = &r.occupancy.total.all;
    let nights_s = nights.len().to_string();
    let (occ, ns, busiest) = (
        total.occupied.to_string(),
        total.no_show.to_string(),
        busiest.to_string(),
    );
    ChartView {
        id: "chart-occupancy".to_owned(),
        title: i18n::text(lang, "report-chart-occupancy-title", &[]),
        desc: i18n::text(
            lang,
            "report-chart-occupancy-desc",
            &[
                ("nights", &nights_s),
                ("occupied", &occ),
                ("noshows", &ns),
                ("busiest", &busiest),
            ],
        ),
        width,
        height,
        bars,
        labels,
        legend: vec![
            Swatch {
                fill: OCCUPIED,
                label: word(lang, "use", "occupied"),
            },
            Swatch {
                fill: NO_SHOW,
                label: word(lang, "use", "no_show"),
            },
            Swatch {
                fill: FREE,
                label: word(lang, "use", "free"),
            },
        ],
    }
}

fn short_date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Turn-aways by reason, all organisations: a bar per reason with a
/// count; a suppressed count is written, not drawn.
fn turnaway_chart(lang: Lang, r: &FollowUpReport) -> Option<ChartView> {
    let t = &r.turnaways;
    let all = t.rows.iter().find(|r| r.organization_id.is_none())?;
    let (width, row_h, label_w) = (720u32, 26.0, 300.0);
    let height = (row_h * t.columns.len() as f64 + 8.0).ceil() as u32;
    let max = all
        .cells
        .iter()
        .filter_map(|f| f.count())
        .max()
        .unwrap_or(0)
        .max(1);
    let plot_w = f64::from(width) - label_w - 60.0;
    let mut bars = Vec::new();
    let mut labels = Vec::new();
    for (i, (col, fig)) in t.columns.iter().zip(&all.cells).enumerate() {
        let y = 4.0 + row_h * i as f64;
        labels.push(Label {
            x: f1(label_w - 8.0),
            y: f1(y + row_h * 0.65),
            anchor: "end",
            text: word(lang, "refusal", col),
        });
        let w = fig.count().map_or(0.0, |n| n as f64 / max as f64 * plot_w);
        if w > 0.0 {
            bars.push(Bar {
                x: f1(label_w),
                y: f1(y + 3.0),
                w: f1(w),
                h: f1(row_h - 6.0),
                fill: TURNED,
            });
        }
        labels.push(Label {
            x: f1(label_w + w + 6.0),
            y: f1(y + row_h * 0.65),
            anchor: "start",
            text: fig.text(),
        });
    }
    let total = all.total.as_ref().map(|f| f.text()).unwrap_or_default();
    Some(ChartView {
        id: "chart-turnaways".to_owned(),
        title: i18n::text(lang, "report-chart-turnaways-title", &[]),
        desc: i18n::text(lang, "report-chart-turnaways-desc", &[("total", &total)]),
        width,
        height,
        bars,
        labels,
        legend: vec![Swatch {
            fill: TURNED,
            label: i18n::text(lang, "report-chart-turnaways-small", &[]),
        }],
    })
}

fn breakdowns(lang: Lang, id: &str, b: &crate::service::reports::Breakdowns) -> Vec<TableView> {
    vec![
        table_view(
            lang,
            format!("table-{id}-by-gender"),
            "by-gender",
            &b.by_gender,
            Some("gender"),
        ),
        table_view(
            lang,
            format!("table-{id}-by-age-band"),
            "by-age-band",
            &b.by_age_band,
            Some("age"),
        ),
        table_view(
            lang,
            format!("table-{id}-by-citizenship"),
            "by-citizenship",
            &b.by_citizenship,
            None,
        ),
    ]
}

/// The survey: a table per set of answers (yes/partly/no, 1 to 5), a row
/// per question with how many answered.
fn survey_tables(lang: Lang, r: &FollowUpReport) -> Vec<TableView> {
    let mut tables: Vec<(Vec<String>, TableView)> = Vec::new();
    for q in &r.survey.questions {
        let row = RowView {
            label: word(lang, "question", &q.id),
            all: false,
            cells: q.counts.iter().map(|f| f.text()).collect(),
            total: Some(q.answered.text()),
        };
        match tables.iter_mut().find(|(a, _)| *a == q.answers) {
            Some((_, t)) => t.rows.push(row),
            None => {
                let n = tables.len() + 1;
                tables.push((
                    q.answers.clone(),
                    TableView {
                        id: format!("table-survey-{n}"),
                        // Two tables of a section need two names.
                        caption: i18n::text(
                            lang,
                            if n == 1 {
                                "report-table-survey"
                            } else {
                                "report-table-survey-overall"
                            },
                            &[],
                        ),
                        corner: i18n::text(lang, "report-col-question", &[]),
                        columns: q
                            .answers
                            .iter()
                            .map(|a| {
                                if a.chars().all(|c| c.is_ascii_digit()) {
                                    a.clone()
                                } else {
                                    word(lang, "answer", a)
                                }
                            })
                            .collect(),
                        total: Some(i18n::text(lang, "report-col-answered", &[])),
                        rows: vec![row],
                    },
                ));
            }
        }
    }
    tables.into_iter().map(|(_, t)| t).collect()
}

fn query_of(from: NaiveDate, to: NaiveDate, dialect: Option<&str>) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("from", &from.to_string())
        .append_pair("to", &to.to_string());
    if let Some(d) = dialect {
        q.append_pair("dialect", d);
    }
    q.finish()
}

/// The report in words in `lang`.
pub fn view(lang: Lang, r: &FollowUpReport, zone: chrono_tz::Tz) -> ReportView {
    let tx = |k: &str| i18n::text(lang, k, &[]);
    let section = |id: &str| SectionView {
        id: format!("section-{id}"),
        heading: tx(&format!("report-section-{id}")),
        notes: Vec::new(),
        facts: Vec::new(),
        charts: Vec::new(),
        tables: Vec::new(),
    };
    let total = &r.occupancy.total;
    let mut occupancy = section("occupancy");
    occupancy.facts = vec![
        Fact {
            label: tx("report-fact-nights"),
            value: total.nights.to_string(),
        },
        Fact {
            label: tx("report-fact-cold-nights"),
            value: total.cold_nights.to_string(),
        },
        Fact {
            label: tx("report-fact-emergency"),
            value: total.emergency_placements.to_string(),
        },
        Fact {
            label: tx("report-fact-cold-night-placements"),
            value: total.cold_night_placements.to_string(),
        },
    ];
    occupancy.charts.push(occupancy_chart(lang, r));
    occupancy.tables.push(occupancy_table(lang, r));

    let mut guests = section("guests");
    guests.notes = vec![tx("report-note-unique"), tx("report-note-citizenship")];
    guests.tables = breakdowns(lang, "guests", &r.guests);
    let mut bed_nights = section("bed-nights");
    bed_nights.tables = breakdowns(lang, "bed-nights", &r.bed_nights);

    let mut stays = section("stays");
    stays.tables.push(table_view(
        lang,
        "table-stays".to_owned(),
        "by-outcome",
        &r.stays,
        Some("outcome"),
    ));

    let mut turnaways = section("turnaways");
    turnaways.charts.extend(turnaway_chart(lang, r));
    turnaways.tables.push(table_view(
        lang,
        "table-turnaways".to_owned(),
        "by-reason",
        &r.turnaways,
        Some("refusal"),
    ));

    let mut referrals = section("referrals");
    referrals.notes.push(tx("report-note-referrals"));
    referrals.tables = vec![
        table_view(
            lang,
            "table-referrals-by-reason".to_owned(),
            "by-reason",
            &r.referrals.by_reason,
            Some("referral-reason"),
        ),
        table_view(
            lang,
            "table-referrals-by-status".to_owned(),
            "by-status",
            &r.referrals.by_status,
            Some("referral-status"),
        ),
    ];

    let mut incidents = section("incidents");
    incidents.tables.push(table_view(
        lang,
        "table-incidents".to_owned(),
        "by-kind",
        &r.incidents,
        Some("incident"),
    ));

    let mut complaints = section("complaints");
    complaints.tables = vec![
        table_view(
            lang,
            "table-complaints-by-category".to_owned(),
            "by-category",
            &r.complaints.by_category,
            Some("complaint-category"),
        ),
        table_view(
            lang,
            "table-complaints-by-kind".to_owned(),
            "by-kind",
            &r.complaints.by_kind,
            Some("complaint-kind"),
        ),
        table_view(
            lang,
            "table-complaints-by-status".to_owned(),
            "by-status",
            &r.complaints.by_status,
            Some("complaint-status"),
        ),
    ];

    let mut survey = section("survey");
    survey.facts.push(Fact {
        label: tx("report-fact-responses"),
        value: r.survey.responses.text(),
    });
    survey.tables = survey_tables(lang, r);

    let mut sections = vec![
        occupancy, guests, bed_nights, stays, turnaways, referrals, incidents, complaints, survey,
    ];
    for s in &mut sections {
        s.tables.retain(|t| !t.rows.is_empty());
    }
    let at = r.generated_at;
    ReportView {
        from: i18n::date(lang, r.period.from),
        to: i18n::date(lang, r.period.to),
        cut_short: r.period.cut_short_from.map(|d| i18n::date(lang, d)),
        generated: format!(
            "{} {}",
            i18n::date(lang, i18n::local_date(at, zone)),
            i18n::time(at, zone)
        ),
        small: r.suppression.small.clone(),
        withheld: r.suppression.withheld.clone(),
        suppressed: r.suppression.below > 0,
        csv_url: format!(
            "/reports/follow-up.csv?{}",
            query_of(r.period.from, r.period.to, None)
        ),
        excel_url: format!(
            "/reports/follow-up.csv?{}",
            query_of(r.period.from, r.period.to, Some("excel"))
        ),
        sections,
    }
}

// ------------------------------------------------------------- pages

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    page: PageCtx,
    chosen: Chosen,
    /// The period asked for could not be read or is not allowed.
    invalid: bool,
    report: Option<ReportView>,
}
page_texts!(ReportsPage);

#[derive(Template)]
#[template(path = "report_denied.html")]
struct DeniedPage {
    page: PageCtx,
}
page_texts!(DeniedPage);

async fn signed(req: &HttpRequest, state: &AppState) -> Result<SignedIn, HttpResponse> {
    match session::signed_in(req, state).await {
        Ok(Some(s)) => Ok(s),
        Ok(None) => Err(super::to_login(req)),
        Err(e) => Err(super::failed(
            req,
            PageCtx::new(Lang::of(req), None, "/"),
            e,
        )),
    }
}

/// The session of a reader of reports, or the answer to give instead:
/// the way to sign in, or 403 for a role that reads no reports (the
/// API's `REPORT_ROLES`).
async fn reader(req: &HttpRequest, state: &AppState) -> Result<(SignedIn, PageCtx), HttpResponse> {
    let signed = signed(req, state).await?;
    let page = PageCtx::new(Lang::of(req), Some(signed.csrf().to_owned()), "/reports");
    if signed.session.caller.require_any(REPORT_ROLES).is_err() {
        let page = PageCtx { here: "/", ..page };
        return Err(super::html(StatusCode::FORBIDDEN, &DeniedPage { page }));
    }
    Ok((signed, page))
}

/// `GET /reports[?preset=&of=|?preset=dates&from=&to=]`: the chooser, and
/// the report of the period chosen.
async fn reports_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    tag: RequestTag,
) -> HttpResponse {
    let (signed, page) = match reader(&req, &state).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let (chosen, _) = Chosen::read(&req);
    let lang = page.lang;
    if !chosen.asked() {
        let page = ReportsPage {
            page,
            chosen,
            invalid: false,
            report: None,
        };
        return super::html(StatusCode::OK, &page);
    }
    let caller = signed.session.caller.clone();
    match build(&state, &caller, &tag, &chosen.query(), "report.follow-up").await {
        Ok((report, _)) => {
            let zone = state.partnership.calendar.zone;
            let report = Some(view(lang, &report, zone));
            super::html(
                StatusCode::OK,
                &ReportsPage {
                    page,
                    chosen,
                    invalid: false,
                    report,
                },
            )
        }
        Err(AppError::Validation(_)) => super::html(
            StatusCode::UNPROCESSABLE_ENTITY,
            &ReportsPage {
                page,
                chosen,
                invalid: true,
                report: None,
            },
        ),
        Err(e) => super::failed(&req, page, e),
    }
}

/// `GET /reports/follow-up.csv?…[&dialect=excel]`: the API's CSV of the
/// period with the session, audited as the API's (`report.follow-up`).
async fn csv_download(
    req: HttpRequest,
    state: web::Data<AppState>,
    tag: RequestTag,
) -> HttpResponse {
    let (signed, page) = match reader(&req, &state).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let (chosen, dialect) = Chosen::read(&req);
    let dialect = match Dialect::parse(dialect.as_deref()) {
        Ok(d) => d,
        Err(e) => return super::failed(&req, page, e),
    };
    let caller = signed.session.caller.clone();
    match build(&state, &caller, &tag, &chosen.query(), "report.follow-up").await {
        Ok((report, _)) => follow_up_csv_answer(&report, dialect),
        Err(e) => super::failed(&req, page, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::i18n::tests::keys;

    fn catalogue(lang: Lang) -> std::collections::BTreeSet<String> {
        let path = format!(
            "{}/locales/{}/reports.ftl",
            env!("CARGO_MANIFEST_DIR"),
            lang.code()
        );
        keys(&std::fs::read_to_string(path).expect("reports.ftl"))
    }

    /// Every word the report can produce (its columns, codes, statuses,
    /// questions) and every key the code builds has a text in both
    /// languages' reports.ftl.
    #[test]
    fn every_word_of_the_report_has_a_text_in_both_languages() {
        for lang in Lang::ALL {
            let known = catalogue(lang);
            let mut missing = Vec::new();
            for (kind, words) in vocabulary() {
                for w in words {
                    let key = word_key(kind, &w);
                    if !known.contains(&key) {
                        missing.push(key);
                    }
                }
            }
            for key in built_keys() {
                if !known.contains(&key) {
                    missing.push(key);
                }
            }
            assert!(missing.is_empty(), "{} lacks {missing:?}", lang.code());
        }
    }

    #[test]
    fn a_word_without_a_text_is_seen() {
        // The check above reads keys as `word` builds them: a new refusal
        // code would be a key no catalogue has.
        assert_eq!(
            word_key("refusal", "no-free-place"),
            "report-refusal-no-free-place"
        );
        assert_eq!(word_key("age", "66+"), "report-age-66plus");
        assert!(!catalogue(Lang::Sv).contains(&word_key("refusal", "no-such-code")));
        assert_eq!(word(Lang::En, "refusal", "no-such-code"), "no-such-code");
        assert_eq!(
            word(Lang::Sv, "outcome", "ended_by_no_shows"),
            "avslutad efter uteblivna nätter"
        );
        assert_eq!(
            word(Lang::En, "outcome", "ended_by_no_shows"),
            "ended after no-shows"
        );
    }

    #[test]
    fn the_chooser_sends_the_apis_query() {
        let c = Chosen {
            preset: "dates".into(),
            of: "2019-12-01".into(),
            from: "2019-12-01".into(),
            to: "2019-12-31".into(),
        };
        assert!(c.asked());
        let c2 = Chosen {
            preset: "half-year".into(),
            ..Chosen::default()
        };
        assert!(c2.asked() && c2.is("half-year") && !c2.is("dates"));
        assert!(!Chosen::default().asked());
        assert!(Chosen::default().is("half-year"));
        let _ = (c.query(), c2.query());
    }
}
