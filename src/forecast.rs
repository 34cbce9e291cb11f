//! Forecast minimum temperatures per night, for the cold-night suggestion
//! (RULES.md §6). A suggestion never opens places; only a coordinator's
//! declaration does.
//!
//! Two sources: a plain JSON file `{"2019-12-01": -15.0, ...}` (training,
//! tests, or a forecast fetched by other means), and a saved copy of SMHI's
//! open point forecast (`pmp3g` version 2 JSON: `timeSeries` of
//! `validTime` with parameter `t`, air temperature in °C). The service
//! reads the file at each question, so a cron job that refreshes it (for
//! example `curl -o` every hour) is all the set-up it needs.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::rules::{Calendar, Night};

pub trait ForecastSource: Send + Sync {
    /// The forecast minimum for each night from `from` to `to` that the
    /// source knows.
    fn minimums(
        &self,
        calendar: &Calendar,
        from: Night,
        to: Night,
    ) -> anyhow::Result<BTreeMap<Night, f64>>;
}

/// `{"YYYY-MM-DD": minimum, ...}` in a file.
pub struct FileForecast(pub PathBuf);

impl ForecastSource for FileForecast {
    fn minimums(
        &self,
        _: &Calendar,
        from: Night,
        to: Night,
    ) -> anyhow::Result<BTreeMap<Night, f64>> {
        let text = std::fs::read_to_string(&self.0)?;
        let all: BTreeMap<Night, f64> = serde_json::from_str(&text)?;
        Ok(all
            .into_iter()
            .filter(|(n, _)| *n >= from && *n <= to)
            .collect())
    }
}

#[derive(Deserialize)]
struct SmhiForecast {
    #[serde(rename = "timeSeries")]
    time_series: Vec<SmhiStep>,
}

#[derive(Deserialize)]
struct SmhiStep {
    #[serde(rename = "validTime")]
    valid_time: DateTime<Utc>,
    parameters: Vec<SmhiParameter>,
}

#[derive(Deserialize)]
struct SmhiParameter {
    name: String,
    values: Vec<f64>,
}

/// The minimum air temperature of each night in an SMHI point forecast:
/// over the steps from the night's start until the next night's.
pub fn smhi_minimums(json: &str, calendar: &Calendar) -> anyhow::Result<BTreeMap<Night, f64>> {
    let forecast: SmhiForecast = serde_json::from_str(json)?;
    let mut out: BTreeMap<Night, f64> = BTreeMap::new();
    for step in forecast.time_series {
        let Some(t) = step
            .parameters
            .iter()
            .find(|p| p.name == "t")
            .and_then(|p| p.values.first().copied())
        else {
            continue;
        };
        let night = calendar.night_of(step.valid_time);
        out.entry(night).and_modify(|m| *m = m.min(t)).or_insert(t);
    }
    Ok(out)
}

/// A saved SMHI point forecast.
pub struct SmhiFileForecast(pub PathBuf);

impl ForecastSource for SmhiFileForecast {
    fn minimums(
        &self,
        calendar: &Calendar,
        from: Night,
        to: Night,
    ) -> anyhow::Result<BTreeMap<Night, f64>> {
        let text = std::fs::read_to_string(&self.0)?;
        Ok(smhi_minimums(&text, calendar)?
            .into_iter()
            .filter(|(n, _)| *n >= from && *n <= to)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveTime;

    fn stockholm() -> Calendar {
        Calendar::new(
            chrono_tz::Europe::Stockholm,
            NaiveTime::from_hms_opt(12, 0, 0).unwrap(),
        )
    }

    #[test]
    fn the_minimum_of_each_night_of_an_smhi_forecast() {
        let json = include_str!("../tests/data/smhi-pmp3g-stockholm.json");
        let mins = smhi_minimums(json, &stockholm()).unwrap();
        let n = |s: &str| s.parse::<Night>().unwrap();
        // The 11:00 UTC step of 12-02 (12:00 local) begins the night of 12-02.
        assert_eq!(mins.get(&n("2019-12-01")), Some(&-9.4));
        assert_eq!(mins.get(&n("2019-12-02")), Some(&-3.1));
        assert_eq!(mins.len(), 2);
    }

    #[test]
    fn a_file_of_nights() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.json");
        std::fs::write(
            &path,
            r#"{"2019-12-01": -15.0, "2019-12-02": -2.5, "2019-12-09": -20}"#,
        )
        .unwrap();
        let n = |s: &str| s.parse::<Night>().unwrap();
        let mins = FileForecast(path)
            .minimums(&stockholm(), n("2019-12-01"), n("2019-12-05"))
            .unwrap();
        assert_eq!(
            mins.into_iter().collect::<Vec<_>>(),
            vec![(n("2019-12-01"), -15.0), (n("2019-12-02"), -2.5)]
        );
    }
}
