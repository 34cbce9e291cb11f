//! Whether a guest may be given a stay on a night (RULES.md §3, §7): target
//! group, age, the booking horizon, the latest stay and its karenstid, bans.

use chrono::{Datelike, NaiveDate};

use super::stay::Period;
use super::{Night, Refusal, RuleSet};

/// What the rules need to know of a guest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestFacts {
    pub birth_date: Option<NaiveDate>,
    pub birth_year: i32,
    pub citizenship: String,
    pub residence_permit_country: Option<String>,
}

/// How a stay stands, for eligibility. Voided stays never reach the rules:
/// they count as if they never existed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StayStatus {
    Active,
    Ended,
}

/// The guest's latest non-voided stay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatestStay {
    pub id: String,
    pub period: Period,
    pub status: StayStatus,
}

/// A ban at one shelter (`shelter_id`) or all of them (`None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ban {
    pub shelter_id: Option<String>,
    pub first_night: Night,
    pub last_night: Night,
}

/// Age in completed years on `night`. With only the year known the
/// latest possible birthday (31 December) is assumed, so nobody who may
/// still be a child is taken for an adult.
pub fn age_on(guest: &GuestFacts, night: Night) -> i32 {
    age_at(born(guest.birth_date, guest.birth_year), night.date())
}

/// The birthday the rules count from: the date when known, otherwise 31
/// December of the year (the latest possible, see [`age_on`]). The
/// follow-up's queries write the same in SQL (`db::reports`).
pub fn born(birth_date: Option<NaiveDate>, birth_year: i32) -> NaiveDate {
    birth_date
        .or_else(|| NaiveDate::from_ymd_opt(birth_year, 12, 31))
        .unwrap_or(NaiveDate::MIN)
}

/// Completed years on `on` of someone born on `born`: a year more on the
/// birthday itself.
pub fn age_at(born: NaiveDate, on: NaiveDate) -> i32 {
    let had_birthday = (on.month(), on.day()) >= (born.month(), born.day());
    on.year() - born.year() - i32::from(!had_birthday)
}

pub fn is_minor(guest: &GuestFacts, night: Night) -> bool {
    age_on(guest, night) < 18
}

/// Citizens of a listed country, or holders of a residence permit in one.
pub fn in_target_group(guest: &GuestFacts, rules: &RuleSet) -> bool {
    rules.target_citizenships.contains(&guest.citizenship)
        || guest
            .residence_permit_country
            .as_ref()
            .is_some_and(|c| rules.target_permit_countries.contains(c))
}

/// A stay starts on the current night or up to the booking horizon ahead.
pub fn check_horizon(first_night: Night, current: Night, rules: &RuleSet) -> Result<(), Refusal> {
    let latest = current.plus(i64::from(rules.booking_horizon_nights));
    if first_night < current || first_night > latest {
        Err(Refusal::NightOutOfRange {
            earliest: current,
            latest,
        })
    } else {
        Ok(())
    }
}

/// The latest stay decides: a stay still running (or still to come) on
/// the night is `already-has-stay`; an ended or run-out stay blocks new
/// ones until its karenstid is over.
pub fn check_history(latest: Option<&LatestStay>, night: Night) -> Result<(), Refusal> {
    let Some(stay) = latest else {
        return Ok(());
    };
    let eligible_from = stay.period.eligible_again_from();
    if night >= eligible_from {
        Ok(())
    } else if stay.status == StayStatus::Active && night <= stay.period.last_night() {
        Err(Refusal::AlreadyHasStay {
            stay_id: stay.id.clone(),
        })
    } else {
        Err(Refusal::InQuarantine { eligible_from })
    }
}

/// Whether any ban covers one of `nights` at `shelter_id`.
pub fn check_bans(
    bans: &[Ban],
    shelter_id: &str,
    first: Night,
    last: Night,
) -> Result<(), Refusal> {
    let hit = bans
        .iter()
        .filter(|b| b.shelter_id.as_deref().is_none_or(|s| s == shelter_id))
        .filter(|b| b.first_night <= last && first <= b.last_night)
        .map(|b| b.last_night)
        .max();
    match hit {
        Some(last_night) => Err(Refusal::Banned { last_night }),
        None => Ok(()),
    }
}

/// What decides whether a new stay may start, before a free place is
/// looked for.
#[derive(Debug, Clone)]
pub struct StayCase<'a> {
    pub guest: &'a GuestFacts,
    pub latest: Option<&'a LatestStay>,
    /// The guest already holds a place on one of the stay's nights.
    pub already_placed: bool,
    pub bans: &'a [Ban],
    pub shelter_id: &'a str,
    pub period: Period,
    /// Tonight.
    pub current: Night,
    /// Whether the category asked for (or of the place named) fits the
    /// guest and a stay.
    pub category_fits: bool,
}

/// Whether a stay may start (RULES.md §3, §7): every refusal that applies
/// is gathered and the first in the order of RULES.md is the answer.
pub fn may_start_stay(case: &StayCase<'_>, rules: &RuleSet) -> Result<(), Refusal> {
    let first = case.period.first_night;
    let mut applying = Vec::new();
    if !in_target_group(case.guest, rules) {
        applying.push(Refusal::OutsideTargetGroup);
    }
    if is_minor(case.guest, first) {
        applying.push(Refusal::Minor);
    }
    if let Err(r) = check_history(case.latest, first) {
        applying.push(r);
    }
    if case.already_placed {
        applying.push(Refusal::AlreadyPlaced);
    }
    if let Err(r) = check_bans(case.bans, case.shelter_id, first, case.period.last_night()) {
        applying.push(r);
    }
    if let Err(r) = check_horizon(first, case.current, rules) {
        applying.push(r);
    }
    if !case.category_fits {
        applying.push(Refusal::CategoryNotAllowed);
    }
    Refusal::first(applying)
}

/// Whether a new stay may start on `night` at all, before a shelter or a
/// place is named (the eligibility a desk asks first): the target group,
/// the age, the latest stay and bans at every shelter (RULES.md §3: "not
/// on which shelter"). The first refusal that applies, in the order of
/// RULES.md.
pub fn may_start_anywhere(
    guest: &GuestFacts,
    latest: Option<&LatestStay>,
    bans: &[Ban],
    night: Night,
    rules: &RuleSet,
) -> Result<(), Refusal> {
    let mut applying = Vec::new();
    if !in_target_group(guest, rules) {
        applying.push(Refusal::OutsideTargetGroup);
    }
    if is_minor(guest, night) {
        applying.push(Refusal::Minor);
    }
    if let Err(r) = check_history(latest, night) {
        applying.push(r);
    }
    let everywhere: Vec<Ban> = bans
        .iter()
        .filter(|b| b.shelter_id.is_none())
        .cloned()
        .collect();
    // No shelter has the empty id: only bans everywhere match.
    if let Err(r) = check_bans(&everywhere, "", night, night) {
        applying.push(r);
    }
    Refusal::first(applying)
}

/// What decides whether a single-night placement may be made (RULES.md
/// §5), before a free place is looked for. Karenstid does not stop one.
#[derive(Debug, Clone)]
pub struct PlacementCase<'a> {
    pub guest: &'a GuestFacts,
    pub night: Night,
    pub current: Night,
    pub already_placed: bool,
    pub bans: &'a [Ban],
    /// The shelter asked for; with none, only bans at every shelter stop
    /// the placement before the search (the search passes over shelters
    /// with a ban of their own).
    pub shelter_id: Option<&'a str>,
    pub category_fits: bool,
    /// A cold-night placement asked for on a night that is not one.
    pub not_a_cold_night: bool,
}

/// Whether a placement may be made: the first refusal that applies, in
/// the order of RULES.md.
pub fn may_place(case: &PlacementCase<'_>, rules: &RuleSet) -> Result<(), Refusal> {
    let mut applying = Vec::new();
    if !in_target_group(case.guest, rules) {
        applying.push(Refusal::OutsideTargetGroup);
    }
    if is_minor(case.guest, case.night) {
        applying.push(Refusal::Minor);
    }
    if case.already_placed {
        applying.push(Refusal::AlreadyPlaced);
    }
    // No shelter has the empty id: without one, only bans everywhere match.
    if let Err(r) = check_bans(
        case.bans,
        case.shelter_id.unwrap_or(""),
        case.night,
        case.night,
    ) {
        applying.push(r);
    }
    if case.night != case.current {
        applying.push(Refusal::NightOutOfRange {
            earliest: case.current,
            latest: case.current,
        });
    }
    if !case.category_fits {
        applying.push(Refusal::CategoryNotAllowed);
    }
    if case.not_a_cold_night {
        applying.push(Refusal::NotAColdNight);
    }
    Refusal::first(applying)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn night(s: &str) -> Night {
        s.parse().unwrap()
    }

    fn rules() -> RuleSet {
        RuleSet::defaults(night("2019-01-01"))
    }

    fn adult() -> GuestFacts {
        GuestFacts {
            birth_date: NaiveDate::from_ymd_opt(1980, 5, 2),
            birth_year: 1980,
            citizenship: "RO".into(),
            residence_permit_country: None,
        }
    }

    fn stay(first: &str, length: u32, status: StayStatus) -> LatestStay {
        LatestStay {
            id: "s1".into(),
            period: Period::new(night(first), length, 2),
            status,
        }
    }

    #[test]
    fn before_a_shelter_is_named_the_first_refusal_in_the_order_wins() {
        let r = rules();
        let on = night("2019-12-07");
        let child = GuestFacts {
            birth_date: NaiveDate::from_ymd_opt(2005, 1, 1),
            ..adult()
        };
        let swede = GuestFacts {
            citizenship: "SE".into(),
            ..child.clone()
        };
        let running = stay("2019-12-05", 5, StayStatus::Active);
        let ended = stay("2019-12-01", 5, StayStatus::Ended);
        let ban = |shelter: Option<&str>| Ban {
            shelter_id: shelter.map(str::to_owned),
            first_night: night("2019-12-06"),
            last_night: night("2019-12-09"),
        };
        let everywhere = [ban(Some("A")), ban(None)];
        let anywhere = |g: &GuestFacts, latest: Option<&LatestStay>, bans: &[Ban]| {
            may_start_anywhere(g, latest, bans, on, &r).map_err(|e| e.code())
        };
        assert_eq!(anywhere(&adult(), None, &[]), Ok(()));
        assert_eq!(
            anywhere(&swede, Some(&running), &everywhere),
            Err("outside-target-group")
        );
        assert_eq!(anywhere(&child, Some(&running), &everywhere), Err("minor"));
        assert_eq!(
            anywhere(&adult(), Some(&running), &everywhere),
            Err("already-has-stay")
        );
        assert_eq!(
            anywhere(&adult(), Some(&ended), &everywhere),
            Err("in-quarantine")
        );
        assert_eq!(anywhere(&adult(), None, &everywhere), Err("banned"));
        // A ban at one shelter does not stop a stay elsewhere.
        assert_eq!(anywhere(&adult(), None, &[ban(Some("A"))]), Ok(()));
    }

    #[test]
    fn example_4_a_new_stay_in_karenstid_is_refused_with_eligible_from() {
        let s = stay("2019-12-01", 5, StayStatus::Active);
        assert_eq!(
            check_history(Some(&s), night("2019-12-07")),
            Err(Refusal::InQuarantine {
                eligible_from: night("2019-12-08")
            })
        );
        assert_eq!(
            check_history(Some(&s), night("2019-12-06")),
            Err(Refusal::InQuarantine {
                eligible_from: night("2019-12-08")
            })
        );
        assert_eq!(check_history(Some(&s), night("2019-12-08")), Ok(()));
    }

    #[test]
    fn example_5_ending_early_does_not_move_karenstid() {
        let s = stay("2019-12-01", 5, StayStatus::Ended);
        for n in ["2019-12-03", "2019-12-05", "2019-12-07"] {
            assert_eq!(
                check_history(Some(&s), night(n)),
                Err(Refusal::InQuarantine {
                    eligible_from: night("2019-12-08")
                }),
                "{n}"
            );
        }
        assert_eq!(check_history(Some(&s), night("2019-12-08")), Ok(()));
    }

    #[test]
    fn example_6_without_a_stay_anything_goes() {
        // A voided stay is not given to the rules at all.
        assert_eq!(check_history(None, night("2019-12-01")), Ok(()));
    }

    #[test]
    fn a_running_or_coming_stay_is_already_has_stay() {
        let s = stay("2019-12-01", 5, StayStatus::Active);
        for n in ["2019-11-30", "2019-12-01", "2019-12-05"] {
            assert_eq!(
                check_history(Some(&s), night(n)),
                Err(Refusal::AlreadyHasStay {
                    stay_id: "s1".into()
                }),
                "{n}"
            );
        }
    }

    #[test]
    fn without_karenstid_a_new_stay_may_follow_at_once() {
        let s = LatestStay {
            id: "s".into(),
            period: Period::new(night("2019-12-01"), 5, 0),
            status: StayStatus::Active,
        };
        assert_eq!(check_history(Some(&s), night("2019-12-06")), Ok(()));
    }

    #[test]
    fn age_counts_completed_years() {
        let mut g = adult();
        g.birth_date = NaiveDate::from_ymd_opt(2001, 12, 2);
        g.birth_year = 2001;
        assert_eq!(age_on(&g, night("2019-12-01")), 17);
        assert!(is_minor(&g, night("2019-12-01")));
        assert_eq!(age_on(&g, night("2019-12-02")), 18);
        assert!(!is_minor(&g, night("2019-12-02")));
        assert_eq!(age_on(&g, night("2019-12-03")), 18);
    }

    #[test]
    fn with_only_the_year_the_youngest_age_is_assumed() {
        let g = GuestFacts {
            birth_date: None,
            birth_year: 2001,
            ..adult()
        };
        assert!(is_minor(&g, night("2019-12-30")));
        assert!(!is_minor(&g, night("2019-12-31")));
        assert_eq!(age_on(&g, night("2020-06-01")), 18);
    }

    #[test]
    fn the_target_group_is_eu_citizens_and_eu_permit_holders() {
        let r = rules();
        assert!(in_target_group(&adult(), &r));
        let swede = GuestFacts {
            citizenship: "SE".into(),
            ..adult()
        };
        assert!(!in_target_group(&swede, &r));
        let moldovan = GuestFacts {
            citizenship: "MD".into(),
            ..adult()
        };
        assert!(!in_target_group(&moldovan, &r));
        let with_permit = GuestFacts {
            residence_permit_country: Some("RO".into()),
            ..moldovan.clone()
        };
        assert!(in_target_group(&with_permit, &r));
        let with_swedish_permit = GuestFacts {
            residence_permit_country: Some("SE".into()),
            ..moldovan
        };
        assert!(!in_target_group(&with_swedish_permit, &r));
    }

    #[test]
    fn the_booking_horizon() {
        let r = rules();
        let c = night("2019-12-01");
        assert_eq!(check_horizon(c, c, &r), Ok(()));
        assert_eq!(check_horizon(c.plus(1), c, &r), Ok(()));
        let out = Err(Refusal::NightOutOfRange {
            earliest: c,
            latest: c.plus(1),
        });
        assert_eq!(check_horizon(c.plus(2), c, &r), out);
        assert_eq!(check_horizon(c.plus(-1), c, &r), out);
    }

    #[test]
    fn bans_at_one_shelter_or_all() {
        let bans = vec![
            Ban {
                shelter_id: Some("a".into()),
                first_night: night("2019-12-03"),
                last_night: night("2019-12-10"),
            },
            Ban {
                shelter_id: None,
                first_night: night("2019-12-20"),
                last_night: night("2019-12-21"),
            },
        ];
        let banned_a = Err(Refusal::Banned {
            last_night: night("2019-12-10"),
        });
        assert_eq!(
            check_bans(&bans, "a", night("2019-12-01"), night("2019-12-03")),
            banned_a
        );
        assert_eq!(
            check_bans(&bans, "a", night("2019-12-10"), night("2019-12-14")),
            banned_a
        );
        assert_eq!(
            check_bans(&bans, "a", night("2019-11-28"), night("2019-12-02")),
            Ok(())
        );
        assert_eq!(
            check_bans(&bans, "a", night("2019-12-11"), night("2019-12-15")),
            Ok(())
        );
        assert_eq!(
            check_bans(&bans, "b", night("2019-12-01"), night("2019-12-05")),
            Ok(())
        );
        let everywhere = Err(Refusal::Banned {
            last_night: night("2019-12-21"),
        });
        assert_eq!(
            check_bans(&bans, "b", night("2019-12-19"), night("2019-12-20")),
            everywhere
        );
        assert_eq!(
            check_bans(&bans, "b", night("2019-12-21"), night("2019-12-25")),
            everywhere
        );
        assert_eq!(
            check_bans(&bans, "b", night("2019-12-22"), night("2019-12-25")),
            Ok(())
        );
    }

    fn case<'a>(guest: &'a GuestFacts, period: Period, current: Night) -> StayCase<'a> {
        StayCase {
            guest,
            latest: None,
            already_placed: false,
            bans: &[],
            shelter_id: "a",
            period,
            current,
            category_fits: true,
        }
    }

    #[test]
    fn may_start_stay_checks_in_order() {
        let r = rules();
        let c = night("2019-12-01");
        let p = Period::new(c, 5, 2);
        let adult = adult();
        assert_eq!(may_start_stay(&case(&adult, p, c), &r), Ok(()));
        let swede = GuestFacts {
            citizenship: "SE".into(),
            birth_year: 2010,
            birth_date: None,
            residence_permit_country: None,
        };
        assert_eq!(
            may_start_stay(&case(&swede, p, c), &r),
            Err(Refusal::OutsideTargetGroup)
        );
        let child = GuestFacts {
            birth_year: 2010,
            birth_date: None,
            ..adult.clone()
        };
        assert_eq!(may_start_stay(&case(&child, p, c), &r), Err(Refusal::Minor));
        let far = Period::new(c.plus(3), 5, 2);
        assert!(matches!(
            may_start_stay(&case(&adult, far, c), &r),
            Err(Refusal::NightOutOfRange { .. })
        ));
        let latest = stay("2019-11-28", 5, StayStatus::Ended);
        assert!(matches!(
            may_start_stay(
                &StayCase {
                    latest: Some(&latest),
                    ..case(&adult, p, c)
                },
                &r
            ),
            Err(Refusal::InQuarantine { .. })
        ));
        let ban = [Ban {
            shelter_id: None,
            first_night: c.plus(4),
            last_night: c.plus(4),
        }];
        assert_eq!(
            may_start_stay(
                &StayCase {
                    bans: &ban,
                    ..case(&adult, p, c)
                },
                &r
            ),
            Err(Refusal::Banned {
                last_night: c.plus(4)
            })
        );
        assert_eq!(
            may_start_stay(
                &StayCase {
                    already_placed: true,
                    ..case(&adult, p, c)
                },
                &r
            ),
            Err(Refusal::AlreadyPlaced)
        );
        assert_eq!(
            may_start_stay(
                &StayCase {
                    category_fits: false,
                    ..case(&adult, p, c)
                },
                &r
            ),
            Err(Refusal::CategoryNotAllowed)
        );
    }

    #[test]
    fn a_stay_refused_for_several_reasons_gets_the_first_of_the_rules() {
        let r = rules();
        let c = night("2019-12-01");
        let p = Period::new(c, 5, 2);
        let swede = GuestFacts {
            citizenship: "SE".into(),
            ..adult()
        };
        // A man outside the target group asking for a women's place.
        assert_eq!(
            may_start_stay(
                &StayCase {
                    category_fits: false,
                    ..case(&swede, p, c)
                },
                &r
            ),
            Err(Refusal::OutsideTargetGroup)
        );
        let adult = adult();
        let active = stay("2019-11-29", 5, StayStatus::Active);
        let ended = stay("2019-11-28", 5, StayStatus::Ended);
        let ban = [Ban {
            shelter_id: Some("a".into()),
            first_night: c,
            last_night: c,
        }];
        let everything = StayCase {
            latest: Some(&active),
            already_placed: true,
            bans: &ban,
            current: c.plus(-3),
            category_fits: false,
            ..case(&adult, p, c)
        };
        // The active stay covers night 12-01: already-has-stay first.
        assert!(matches!(
            may_start_stay(&everything, &r),
            Err(Refusal::AlreadyHasStay { .. })
        ));
        let placed = StayCase {
            latest: Some(&ended),
            ..everything.clone()
        };
        assert_eq!(may_start_stay(&placed, &r), Err(Refusal::AlreadyPlaced));
        let quarantine = StayCase {
            already_placed: false,
            ..placed.clone()
        };
        assert!(matches!(
            may_start_stay(&quarantine, &r),
            Err(Refusal::InQuarantine { .. })
        ));
        let banned = StayCase {
            latest: None,
            ..quarantine.clone()
        };
        assert!(matches!(
            may_start_stay(&banned, &r),
            Err(Refusal::Banned { .. })
        ));
        let far = StayCase {
            bans: &[],
            ..banned.clone()
        };
        assert!(matches!(
            may_start_stay(&far, &r),
            Err(Refusal::NightOutOfRange { .. })
        ));
        let category = StayCase { current: c, ..far };
        assert_eq!(
            may_start_stay(&category, &r),
            Err(Refusal::CategoryNotAllowed)
        );
    }

    fn placement<'a>(guest: &'a GuestFacts, night: Night) -> PlacementCase<'a> {
        PlacementCase {
            guest,
            night,
            current: night,
            already_placed: false,
            bans: &[],
            shelter_id: None,
            category_fits: true,
            not_a_cold_night: false,
        }
    }

    #[test]
    fn a_placement_refused_for_several_reasons_gets_the_first_of_the_rules() {
        let r = rules();
        let c = night("2019-12-01");
        let adult = adult();
        assert_eq!(may_place(&placement(&adult, c), &r), Ok(()));
        let swede = GuestFacts {
            citizenship: "SE".into(),
            ..adult.clone()
        };
        let child = GuestFacts {
            birth_year: 2010,
            birth_date: None,
            ..adult.clone()
        };
        let at_a = [Ban {
            shelter_id: Some("a".into()),
            first_night: c,
            last_night: c,
        }];
        let everything = PlacementCase {
            already_placed: true,
            bans: &at_a,
            shelter_id: Some("a"),
            night: c.plus(1),
            category_fits: false,
            not_a_cold_night: true,
            ..placement(&swede, c)
        };
        assert_eq!(may_place(&everything, &r), Err(Refusal::OutsideTargetGroup));
        let minor = PlacementCase {
            guest: &child,
            ..everything.clone()
        };
        assert_eq!(may_place(&minor, &r), Err(Refusal::Minor));
        let placed = PlacementCase {
            guest: &adult,
            night: c,
            ..everything.clone()
        };
        assert_eq!(may_place(&placed, &r), Err(Refusal::AlreadyPlaced));
        let banned = PlacementCase {
            already_placed: false,
            ..placed.clone()
        };
        assert_eq!(
            may_place(&banned, &r),
            Err(Refusal::Banned { last_night: c })
        );
        // A ban at one shelter does not stop a placement with no shelter named.
        let anywhere = PlacementCase {
            shelter_id: None,
            category_fits: true,
            not_a_cold_night: false,
            ..banned.clone()
        };
        assert_eq!(may_place(&anywhere, &r), Ok(()));
        let tomorrow = PlacementCase {
            shelter_id: Some("b"),
            night: c.plus(1),
            category_fits: false,
            not_a_cold_night: true,
            ..banned.clone()
        };
        assert!(matches!(
            may_place(&tomorrow, &r),
            Err(Refusal::NightOutOfRange { .. })
        ));
        let category = PlacementCase {
            night: c,
            ..tomorrow.clone()
        };
        assert_eq!(may_place(&category, &r), Err(Refusal::CategoryNotAllowed));
        let cold = PlacementCase {
            category_fits: true,
            ..category
        };
        assert_eq!(may_place(&cold, &r), Err(Refusal::NotAColdNight));
    }
}

/// The age band the partnership reports by (RULES.md §8).
pub fn age_band(age: i32) -> &'static str {
    match age {
        i32::MIN..=17 => "under-18",
        18..=25 => "18-25",
        26..=35 => "26-35",
        36..=45 => "36-45",
        46..=55 => "46-55",
        56..=65 => "56-65",
        _ => "66+",
    }
}

#[cfg(test)]
mod band_tests {
    use super::{age_at, age_band, born};
    use chrono::NaiveDate;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_birthday_is_the_date_or_the_last_day_of_the_year() {
        assert_eq!(born(Some(d("1990-03-15")), 1990), d("1990-03-15"));
        assert_eq!(born(None, 1990), d("1990-12-31"));
        assert_eq!(born(None, i32::MAX), NaiveDate::MIN);
    }

    #[test]
    fn the_age_grows_on_the_birthday() {
        assert_eq!(age_at(d("2001-12-02"), d("2019-12-01")), 17);
        assert_eq!(age_at(d("2001-12-02"), d("2019-12-02")), 18);
        assert_eq!(age_at(d("2001-11-30"), d("2019-12-01")), 18);
        assert_eq!(age_at(d("2001-12-31"), d("2019-01-01")), 17);
        assert_eq!(age_at(d("2000-02-29"), d("2018-02-28")), 17);
        assert_eq!(age_at(d("2000-02-29"), d("2018-03-01")), 18);
    }

    #[test]
    fn age_bands_have_inclusive_edges() {
        let cases = [
            (17, "under-18"),
            (18, "18-25"),
            (25, "18-25"),
            (26, "26-35"),
            (35, "26-35"),
            (36, "36-45"),
            (45, "36-45"),
            (46, "46-55"),
            (55, "46-55"),
            (56, "56-65"),
            (65, "56-65"),
            (66, "66+"),
            (99, "66+"),
        ];
        for (age, band) in cases {
            assert_eq!(age_band(age), band, "{age}");
        }
    }
}
