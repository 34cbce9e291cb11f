//! The follow-up report as CSV and as a printable HTML page with charts.
//! The page is complete in itself: styles inline, charts as inline SVG
//! drawn here, no scripts, nothing fetched, so it renders and prints with
//! no network and under a CSP that allows no script.

use std::fmt::Write;

use chrono::NaiveDate;

use crate::service::reports::{FollowUpReport, Table, Use};
use crate::service::suppression::Figure;

/// One line of CSV, written by the `csv` crate (RFC 4180: a field is
/// quoted when it holds a comma, a quote or a line break; CRLF at the end).
fn line(out: &mut String, fields: &[&str]) {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .flexible(true)
        .buffer_capacity(256)
        .from_writer(Vec::new());
    let written = w.write_record(fields).is_ok();
    match w.into_inner().ok().and_then(|b| String::from_utf8(b).ok()) {
        Some(text) if written => out.push_str(&text),
        // Writing into memory does not fail; should it, every field is
        // quoted, which is never wrong.
        _ => {
            let quoted: Vec<String> = fields
                .iter()
                .map(|f| format!("\"{}\"", f.replace('"', "\"\"")))
                .collect();
            out.push_str(&quoted.join(","));
            out.push_str("\r\n");
        }
    }
}

/// The two forms the CSVs come in: comma-separated, for machines (the
/// default), and the form Swedish Excel opens correctly on a double click:
/// a UTF-8 byte order mark first (or Excel reads the text as Windows-1252
/// and "Örebro" breaks) and semicolons between fields (Swedish Excel's list
/// separator, since its decimal separator is the comma).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Comma,
    Excel,
}

impl Dialect {
    /// `dialect=` of a query: absent or `comma`, or `excel`.
    pub fn parse(value: Option<&str>) -> Result<Self, crate::error::AppError> {
        match value {
            None | Some("comma") => Ok(Self::Comma),
            Some("excel") => Ok(Self::Excel),
            Some(_) => Err(crate::error::AppError::validation(
                "dialect",
                "must be comma (the default) or excel",
            )),
        }
    }

    /// What the answer begins with.
    pub fn preamble(self) -> &'static str {
        match self {
            Self::Comma => "",
            Self::Excel => "\u{feff}",
        }
    }

    /// Lines of comma CSV (as this module and the export write them) in
    /// this dialect: the same fields, read and written again by the `csv`
    /// crate, so a field holding a semicolon is quoted and one holding a
    /// comma no longer needs to be.
    pub fn lines(self, comma_csv: String) -> String {
        if self == Self::Comma {
            return comma_csv;
        }
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(comma_csv.as_bytes());
        let mut writer = csv::WriterBuilder::new()
            .delimiter(b';')
            .terminator(csv::Terminator::CRLF)
            .flexible(true)
            .from_writer(Vec::new());
        let mut ok = true;
        for record in reader.records() {
            ok &= record.and_then(|r| writer.write_record(&r)).is_ok();
        }
        match writer
            .into_inner()
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
        {
            Some(text) if ok => text,
            // Reading and writing memory does not fail; should it, the
            // machines' form is still a CSV Excel can import.
            _ => comma_csv,
        }
    }
}

fn table_csv(out: &mut String, section: &str, name: &str, t: &Table) {
    for r in &t.rows {
        let org = r.organization_id.as_deref().unwrap_or("");
        for (c, v) in t.columns.iter().zip(&r.cells) {
            line(out, &[section, name, org, &r.label, c, &v.text()]);
        }
        if let Some(total) = &r.total {
            line(out, &[section, name, org, &r.label, "total", &total.text()]);
        }
    }
}

fn use_csv(out: &mut String, key: &str, category: &str, u: &Use) {
    for (m, v) in [
        ("places", u.places),
        ("occupied", u.occupied),
        ("no_show", u.no_show),
        ("free", u.free),
    ] {
        line(
            out,
            &[
                "occupancy",
                &format!("{category}.{m}"),
                "",
                "",
                key,
                &v.to_string(),
            ],
        );
    }
}

/// One figure a line: `section,table,organization_id,organization,column,value`.
pub fn follow_up_csv(r: &FollowUpReport) -> String {
    let mut out = String::new();
    line(
        &mut out,
        &[
            "section",
            "table",
            "organization_id",
            "organization",
            "column",
            "value",
        ],
    );
    let p = &r.period;
    line(
        &mut out,
        &["period", "from", "", "", "", &p.from.to_string()],
    );
    line(&mut out, &["period", "to", "", "", "", &p.to.to_string()]);
    line(
        &mut out,
        &[
            "period",
            "suppress_below",
            "",
            "",
            "",
            &r.suppression.below.to_string(),
        ],
    );
    for n in &r.occupancy.nights {
        let key = n.night.to_string();
        use_csv(&mut out, &key, "all", &n.all);
        use_csv(&mut out, &key, "regular", &n.regular);
        use_csv(&mut out, &key, "women", &n.women);
        use_csv(&mut out, &key, "overflow", &n.overflow);
        for (m, v) in [
            ("cold_night", i64::from(n.cold_night)),
            ("emergency_placements", n.emergency_placements),
            ("cold_night_placements", n.cold_night_placements),
        ] {
            line(&mut out, &["occupancy", m, "", "", &key, &v.to_string()]);
        }
    }
    let t = &r.occupancy.total;
    use_csv(&mut out, "total", "all", &t.all);
    use_csv(&mut out, "total", "regular", &t.regular);
    use_csv(&mut out, "total", "women", &t.women);
    use_csv(&mut out, "total", "overflow", &t.overflow);
    for (section, b) in [("guests", &r.guests), ("bed_nights", &r.bed_nights)] {
        table_csv(&mut out, section, "by_gender", &b.by_gender);
        table_csv(&mut out, section, "by_age_band", &b.by_age_band);
        table_csv(&mut out, section, "by_citizenship", &b.by_citizenship);
    }
    table_csv(&mut out, "stays", "by_outcome", &r.stays);
    table_csv(&mut out, "turnaways", "by_reason", &r.turnaways);
    table_csv(&mut out, "referrals", "by_reason", &r.referrals.by_reason);
    table_csv(&mut out, "referrals", "by_status", &r.referrals.by_status);
    table_csv(&mut out, "incidents", "by_kind", &r.incidents);
    table_csv(
        &mut out,
        "complaints",
        "by_category",
        &r.complaints.by_category,
    );
    table_csv(&mut out, "complaints", "by_kind", &r.complaints.by_kind);
    table_csv(&mut out, "complaints", "by_status", &r.complaints.by_status);
    line(
        &mut out,
        &[
            "survey",
            "responses",
            "",
            "",
            "",
            &r.survey.responses.text(),
        ],
    );
    for q in &r.survey.questions {
        for (a, v) in q.answers.iter().zip(&q.counts) {
            line(&mut out, &["survey", &q.id, "", "", a, &v.text()]);
        }
        line(
            &mut out,
            &["survey", &q.id, "", "", "answered", &q.answered.text()],
        );
    }
    out
}

/// Text for HTML.
fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

fn fig(f: &Figure) -> String {
    esc(&f.text())
}

/// A table; each cell carries `data-figure="ID.ROW.COLUMN"` (ROW the
/// organisation id, or `all`), so a reader (or a test) finds any figure.
fn table_html(out: &mut String, id: &str, title: &str, t: &Table) {
    let _ = write!(
        out,
        "<h3>{}</h3><table id=\"{id}\"><thead><tr><th></th>",
        esc(title)
    );
    for c in &t.columns {
        let _ = write!(out, "<th>{}</th>", esc(c));
    }
    let has_total = t.rows.iter().any(|r| r.total.is_some());
    if has_total {
        out.push_str("<th>total</th>");
    }
    out.push_str("</tr></thead><tbody>");
    for r in &t.rows {
        let row = r.organization_id.as_deref().unwrap_or("all");
        let _ = write!(out, "<tr><th>{}</th>", esc(&r.label));
        for (c, v) in t.columns.iter().zip(&r.cells) {
            let _ = write!(
                out,
                "<td data-figure=\"{id}.{}.{}\">{}</td>",
                esc(row),
                esc(c),
                fig(v)
            );
        }
        if let Some(total) = &r.total {
            let _ = write!(
                out,
                "<td class=\"total\" data-figure=\"{id}.{}.total\">{}</td>",
                esc(row),
                fig(total)
            );
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
}

/// Occupancy over the period: places (light) and occupied (dark) per
/// night, as bars.
fn occupancy_chart(out: &mut String, r: &FollowUpReport) {
    let nights = &r.occupancy.nights;
    let max = nights
        .iter()
        .map(|n| n.all.places.max(n.all.occupied))
        .max()
        .unwrap_or(0)
        .max(1);
    let (w, h, left, bottom) = (720.0_f64, 220.0_f64, 40.0_f64, 20.0_f64);
    let count = nights.len().max(1) as f64;
    let bar = (w - left) / count;
    let scale = (h - bottom - 10.0) / max as f64;
    let _ = write!(
        out,
        "<svg id=\"chart-occupancy\" role=\"img\" aria-label=\"Occupancy per night\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" xmlns=\"http://www.w3.org/2000/svg\">\
         <title>Places and occupied places per night</title>\
         <line x1=\"{left}\" y1=\"{y0}\" x2=\"{w}\" y2=\"{y0}\" stroke=\"#333\"/>\
         <text x=\"0\" y=\"14\" font-size=\"11\">{max}</text><text x=\"0\" y=\"{y0}\" font-size=\"11\">0</text>",
        y0 = h - bottom
    );
    for (i, n) in nights.iter().enumerate() {
        let x = left + i as f64 * bar;
        let ph = n.all.places as f64 * scale;
        let oh = n.all.occupied as f64 * scale;
        let _ = write!(
            out,
            "<rect class=\"places\" x=\"{x:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{ph:.2}\" fill=\"#c9d6e8\"><title>{} places {}</title></rect>\
             <rect class=\"occupied\" x=\"{x:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{oh:.2}\" fill=\"#1f4e8c\"><title>{} occupied {}</title></rect>",
            h - bottom - ph,
            (bar * 0.9).max(0.5),
            n.night,
            n.all.places,
            h - bottom - oh,
            (bar * 0.9).max(0.5),
            n.night,
            n.all.occupied,
        );
        if n.cold_night {
            let _ = write!(
                out,
                "<rect class=\"cold\" x=\"{x:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"4\" fill=\"#6cc3e0\"/>",
                h - bottom + 2.0,
                (bar * 0.9).max(0.5)
            );
        }
    }
    if let (Some(first), Some(last)) = (nights.first(), nights.last()) {
        let _ = write!(
            out,
            "<text x=\"{left}\" y=\"{h}\" font-size=\"11\">{}</text><text x=\"{}\" y=\"{h}\" font-size=\"11\" text-anchor=\"end\">{}</text>",
            first.night, w, last.night
        );
    }
    out.push_str("</svg>");
}

/// Turn-aways by reason over the period (all organisations), as
/// horizontal bars; a suppressed figure is drawn as no bar and written.
fn turnaway_chart(out: &mut String, r: &FollowUpReport) {
    let Some(all) = r.turnaways.rows.last() else {
        return;
    };
    let bars: Vec<(&String, &Figure)> = r
        .turnaways
        .columns
        .iter()
        .zip(&all.cells)
        .filter(|(_, f)| f.count() != Some(0))
        .collect();
    let max = bars
        .iter()
        .filter_map(|(_, f)| f.count())
        .max()
        .unwrap_or(0)
        .max(1);
    let row = 22.0_f64;
    let (w, left) = (720.0_f64, 170.0_f64);
    let h = row * bars.len().max(1) as f64 + 10.0;
    let _ = write!(
        out,
        "<svg id=\"chart-turnaways\" role=\"img\" aria-label=\"Turn-aways by reason\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" xmlns=\"http://www.w3.org/2000/svg\"><title>Turn-aways by reason</title>"
    );
    if bars.is_empty() {
        out.push_str("<text x=\"0\" y=\"16\" font-size=\"12\">No turn-aways in the period.</text>");
    }
    for (i, (reason, f)) in bars.iter().enumerate() {
        let y = 5.0 + i as f64 * row;
        let len = f
            .count()
            .map_or(0.0, |n| (w - left - 60.0) * n as f64 / max as f64);
        let _ = write!(
            out,
            "<text x=\"0\" y=\"{:.1}\" font-size=\"12\">{}</text>\
             <rect class=\"turnaway\" x=\"{left}\" y=\"{y:.1}\" width=\"{len:.2}\" height=\"{:.1}\" fill=\"#b5443a\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\">{}</text>",
            y + 14.0,
            esc(reason),
            row - 6.0,
            left + len + 4.0,
            y + 14.0,
            fig(f)
        );
    }
    out.push_str("</svg>");
}

fn use_row(out: &mut String, name: &str, id: &str, u: &Use) {
    let _ = write!(
        out,
        "<tr><th>{name}</th><td data-figure=\"occupancy.{id}.places\">{}</td><td data-figure=\"occupancy.{id}.occupied\">{}</td><td data-figure=\"occupancy.{id}.no_show\">{}</td><td data-figure=\"occupancy.{id}.free\">{}</td></tr>",
        u.places, u.occupied, u.no_show, u.free
    );
}

fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// The printable page.
pub fn follow_up_html(r: &FollowUpReport, turnaways_per_night: &[(NaiveDate, i64)]) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let title = format!(
        "Follow-up report {} – {}",
        date(r.period.from),
        date(r.period.to)
    );
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\
         <style>\
         body{{font-family:sans-serif;margin:2em;color:#111}}\
         table{{border-collapse:collapse;margin:0 0 1.5em 0;font-size:0.9em}}\
         th,td{{border:1px solid #999;padding:2px 6px;text-align:right}}\
         thead th{{background:#eee}} tbody th{{text-align:left}}\
         td.total{{font-weight:bold}} h2{{page-break-before:auto;margin-top:1.5em}}\
         .note{{color:#444;font-size:0.85em}}\
         @media print{{body{{margin:0}} h2{{page-break-after:avoid}} table,svg{{page-break-inside:avoid}}}}\
         </style></head><body>",
        esc(&title)
    );
    let _ = write!(out, "<h1>{}</h1>", esc(&title));
    if let Some(p) = &r.period.preset {
        let _ = write!(out, "<p>Preset: {}</p>", esc(p));
    }
    if let Some(cut) = r.period.cut_short_from {
        let _ = write!(
            out,
            "<p class=\"note\">Asked until {}; nights that are not over are left out.</p>",
            date(cut)
        );
    }
    let _ = write!(
        out,
        "<p class=\"note\">Generated {}. Counts of people from 1 to {} are shown as “{}”; “x” marks a count withheld so that such a figure cannot be worked out from a total. Guests are people with at least one bed night (checked in, or placed for a night) in the period; age is on its first night.</p>",
        r.generated_at.format("%Y-%m-%d %H:%M UTC"),
        r.suppression.below.saturating_sub(1),
        esc(&r.suppression.small)
    );
    out.push_str("<h2>Organisations</h2><ul>");
    for o in &r.organisations {
        let _ = write!(
            out,
            "<li>{} ({} shelters)</li>",
            esc(&o.name),
            o.shelter_ids.len()
        );
    }
    out.push_str("</ul>");

    out.push_str("<h2>Use of the places</h2>");
    occupancy_chart(&mut out, r);
    let t = &r.occupancy.total;
    let _ = write!(
        out,
        "<p>Over {} nights ({} cold nights): place-nights, occupied, no-shows, free. Emergency placements: <span data-figure=\"occupancy.total.emergency_placements\">{}</span>; cold-night placements: <span data-figure=\"occupancy.total.cold_night_placements\">{}</span>.</p>",
        t.nights, t.cold_nights, t.emergency_placements, t.cold_night_placements
    );
    out.push_str("<table id=\"occupancy\"><thead><tr><th></th><th>places</th><th>occupied</th><th>no-show</th><th>free</th></tr></thead><tbody>");
    use_row(&mut out, "All", "total.all", &t.all);
    use_row(&mut out, "Regular", "total.regular", &t.regular);
    use_row(&mut out, "Women's places", "total.women", &t.women);
    use_row(
        &mut out,
        "Overflow (cold nights)",
        "total.overflow",
        &t.overflow,
    );
    out.push_str("</tbody></table>");

    out.push_str("<h2>Guests (unique)</h2>");
    table_html(&mut out, "guests-gender", "By gender", &r.guests.by_gender);
    table_html(&mut out, "guests-age", "By age band", &r.guests.by_age_band);
    table_html(
        &mut out,
        "guests-citizenship",
        "By citizenship",
        &r.guests.by_citizenship,
    );
    out.push_str("<h2>Bed nights</h2>");
    table_html(
        &mut out,
        "nights-gender",
        "By gender",
        &r.bed_nights.by_gender,
    );
    table_html(
        &mut out,
        "nights-age",
        "By age band",
        &r.bed_nights.by_age_band,
    );
    table_html(
        &mut out,
        "nights-citizenship",
        "By citizenship",
        &r.bed_nights.by_citizenship,
    );
    out.push_str("<h2>Stays</h2>");
    table_html(
        &mut out,
        "stays",
        "Begun in the period, and how they ended",
        &r.stays,
    );
    out.push_str("<h2>Turn-aways (unmet need)</h2>");
    turnaway_chart(&mut out, r);
    let _ = write!(
        out,
        "<p class=\"note\">Refusals on {} nights of the period.</p>",
        turnaways_per_night.iter().filter(|(_, n)| *n > 0).count()
    );
    table_html(&mut out, "turnaways", "By reason", &r.turnaways);
    out.push_str("<h2>Referrals</h2>");
    table_html(
        &mut out,
        "referrals-reason",
        "By reason",
        &r.referrals.by_reason,
    );
    table_html(
        &mut out,
        "referrals-status",
        "By status",
        &r.referrals.by_status,
    );
    out.push_str("<h2>Incidents</h2>");
    table_html(&mut out, "incidents", "Threats and violence", &r.incidents);
    out.push_str("<h2>Complaints and feedback</h2>");
    table_html(
        &mut out,
        "complaints-category",
        "By category",
        &r.complaints.by_category,
    );
    table_html(
        &mut out,
        "complaints-kind",
        "By kind",
        &r.complaints.by_kind,
    );
    table_html(
        &mut out,
        "complaints-status",
        "By status",
        &r.complaints.by_status,
    );
    let _ = write!(
        out,
        "<h2>User survey</h2><p>Questionnaire {}: <span data-figure=\"survey.responses\">{}</span> answers.</p>",
        esc(&r.survey.questionnaire),
        fig(&r.survey.responses)
    );
    out.push_str("<table id=\"survey\"><thead><tr><th>question</th><th>answers</th><th>answered</th></tr></thead><tbody>");
    for q in &r.survey.questions {
        let answers: Vec<String> = q
            .answers
            .iter()
            .zip(&q.counts)
            .map(|(a, c)| {
                format!(
                    "{}: <span data-figure=\"survey.{}.{}\">{}</span>",
                    esc(a),
                    esc(&q.id),
                    esc(a),
                    fig(c)
                )
            })
            .collect();
        let _ = write!(
            out,
            "<tr><th>{}</th><td>{}</td><td data-figure=\"survey.{}.answered\">{}</td></tr>",
            esc(&q.text),
            answers.join(", "),
            esc(&q.id),
            fig(&q.answered)
        );
    }
    out.push_str("</tbody></table></body></html>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One field as `line` writes it among others.
    fn field(s: &str) -> String {
        let mut out = String::new();
        line(&mut out, &[s, ""]);
        out.strip_suffix(",\r\n").unwrap_or(&out).to_owned()
    }

    #[test]
    fn the_excel_form_has_the_same_fields_with_semicolons() {
        let mut comma = String::new();
        line(&mut comma, &["section", "table", "value"]);
        line(&mut comma, &["guests", "Örebro, län", "<5"]);
        line(&mut comma, &["a;b", "say \"hi\"", "12"]);
        let excel = Dialect::Excel.lines(comma.clone());
        assert_eq!(
            excel,
            "section;table;value\r\nguests;Örebro, län;<5\r\n\"a;b\";\"say \"\"hi\"\"\";12\r\n"
        );
        assert_eq!(Dialect::Comma.lines(comma.clone()), comma);
        assert_eq!(Dialect::Excel.preamble().as_bytes(), [0xEF, 0xBB, 0xBF]);
        assert_eq!(Dialect::Comma.preamble(), "");
        assert_eq!(Dialect::parse(None).unwrap(), Dialect::Comma);
        assert_eq!(Dialect::parse(Some("comma")).unwrap(), Dialect::Comma);
        assert_eq!(Dialect::parse(Some("excel")).unwrap(), Dialect::Excel);
        assert!(Dialect::parse(Some("Excel")).is_err());
    }

    #[test]
    fn csv_fields_are_quoted_when_they_must_be() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }

    #[test]
    fn csv_lines_keep_their_bytes() {
        let mut out = String::new();
        line(
            &mut out,
            &["plain", "", "a,b", "say \"hi\"", "two\nlines", "cr\rlf\r\n"],
        );
        line(
            &mut out,
            &["=1+1", "+46", "-5", "@sum", " padded ", "tab\there"],
        );
        line(&mut out, &["Örebro", "'quote", ";", "", "", ""]);
        assert_eq!(
            out,
            "plain,,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\"cr\rlf\r\n\"\r\n\
             =1+1,+46,-5,@sum, padded ,tab\there\r\n\
             Örebro,'quote,;,,,\r\n"
        );
    }

    #[test]
    fn html_text_is_escaped() {
        assert_eq!(esc("<b>&'\""), "&lt;b&gt;&amp;&#39;&quot;");
    }
}
