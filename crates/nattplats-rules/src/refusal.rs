//! The refusal codes of RULES.md, with the data each carries.

use super::Night;

/// Free places of one category group at one shelter, for `no-free-place`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alternative {
    pub shelter_id: String,
    pub regular: u32,
    pub women: u32,
}

/// A free place, offered with `reservation-released`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreePlace {
    pub place_id: String,
    pub label: String,
    pub category: String,
    pub shelter_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    OutsideTargetGroup,
    Minor,
    InQuarantine {
        eligible_from: Night,
    },
    AlreadyHasStay {
        stay_id: String,
    },
    AlreadyPlaced,
    Banned {
        last_night: Night,
    },
    NoFreePlace {
        alternatives: Vec<Alternative>,
    },
    CategoryNotAllowed,
    NightOutOfRange {
        earliest: Night,
        latest: Night,
    },
    ReservationReleased {
        free_places: Vec<FreePlace>,
    },
    NotAColdNight,
    /// Not a refusal a desk meets: an applicant who lost an intake draw,
    /// counted as a turn-away (RULES.md §9).
    LostDraw,
}

impl Refusal {
    /// The kebab-case code of RULES.md.
    pub fn code(&self) -> &'static str {
        match self {
            Self::OutsideTargetGroup => "outside-target-group",
            Self::Minor => "minor",
            Self::InQuarantine { .. } => "in-quarantine",
            Self::AlreadyHasStay { .. } => "already-has-stay",
            Self::AlreadyPlaced => "already-placed",
            Self::Banned { .. } => "banned",
            Self::NoFreePlace { .. } => "no-free-place",
            Self::CategoryNotAllowed => "category-not-allowed",
            Self::NightOutOfRange { .. } => "night-out-of-range",
            Self::ReservationReleased { .. } => "reservation-released",
            Self::NotAColdNight => "not-a-cold-night",
            Self::LostDraw => "lost-draw",
        }
    }

    /// Where the refusal stands in the order of RULES.md ("Refusal codes"),
    /// from who the person is to what is free: when several apply, the
    /// answer and the turn-away it records are the first.
    pub fn precedence(&self) -> u8 {
        match self {
            Self::OutsideTargetGroup => 0,
            Self::Minor => 1,
            Self::AlreadyHasStay { .. } => 2,
            Self::AlreadyPlaced => 3,
            Self::InQuarantine { .. } => 4,
            Self::Banned { .. } => 5,
            Self::NightOutOfRange { .. } => 6,
            Self::CategoryNotAllowed => 7,
            Self::NotAColdNight => 8,
            Self::NoFreePlace { .. } => 9,
            Self::ReservationReleased { .. } => 10,
            Self::LostDraw => 11,
        }
    }

    /// The answer when `applying` are the refusals that apply: the first
    /// in the order of RULES.md, or `Ok` when none does.
    pub fn first(applying: impl IntoIterator<Item = Refusal>) -> Result<(), Refusal> {
        match applying.into_iter().min_by_key(Refusal::precedence) {
            Some(r) => Err(r),
            None => Ok(()),
        }
    }

    /// Whether the refusal is unmet need, recorded as a turn-away (§8):
    /// a guest who already has a place is not.
    pub fn is_turn_away(&self) -> bool {
        !matches!(self, Self::AlreadyHasStay { .. } | Self::AlreadyPlaced)
    }

    /// The first night the refusal no longer stands in the way, where the
    /// rules know it: the end of karenstid, the night after a ban.
    pub fn eligible_from(&self) -> Option<Night> {
        match self {
            Self::InQuarantine { eligible_from } => Some(*eligible_from),
            Self::Banned { last_night } => Some(last_night.plus(1)),
            _ => None,
        }
    }

    /// Whether the refusal opens an acute referral to socialjouren at once
    /// (RULES.md §7): a minor is never simply turned away.
    pub fn opens_referral(&self) -> bool {
        matches!(self, Self::Minor)
    }

    /// What the person at the desk reads: the reason and what to do next.
    pub fn detail(&self) -> String {
        match self {
            Self::OutsideTargetGroup => "The guest is not in the target group: a citizen of an EU country other than Sweden, or holding a residence permit in one. Refer the person to the social services.".into(),
            Self::Minor => "The guest is under 18. An acute referral to socialjouren has been opened; do not place a child in a night shelter.".into(),
            Self::InQuarantine { eligible_from } => format!("The guest is in karenstid after a stay and can get a new stay from night {eligible_from}. On a cold night, or in acute need, a single-night placement is still possible."),
            Self::AlreadyHasStay { .. } => "The guest already has a stay covering this night. Check the guest in at that place, or move the stay.".into(),
            Self::AlreadyPlaced => "The guest already has a place this night.".into(),
            Self::Banned { last_night } => format!("The guest is banned from this shelter until night {last_night} inclusive."),
            Self::NoFreePlace { .. } => "No place that fits is free on every night asked for. See alternatives for free places at other shelters.".into(),
            Self::CategoryNotAllowed => "This category of place is not allowed for this guest or this use: women's places are for women, and overflow places only for cold-night placements.".into(),
            Self::NightOutOfRange { earliest, latest } => format!("The night must be from {earliest} to {latest}."),
            Self::ReservationReleased { .. } => "The reservation for tonight was released after the no-show cutoff and the place has been taken. See free_places for places still free tonight.".into(),
            Self::NotAColdNight => "This night has not been declared a cold night.".into(),
            Self::LostDraw => "The applicant was not drawn for a place in the intake lottery.".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn night(s: &str) -> Night {
        s.parse().unwrap()
    }

    fn all() -> Vec<Refusal> {
        vec![
            Refusal::OutsideTargetGroup,
            Refusal::Minor,
            Refusal::InQuarantine {
                eligible_from: night("2019-12-08"),
            },
            Refusal::AlreadyHasStay {
                stay_id: "s".into(),
            },
            Refusal::AlreadyPlaced,
            Refusal::Banned {
                last_night: night("2019-12-10"),
            },
            Refusal::NoFreePlace {
                alternatives: vec![],
            },
            Refusal::CategoryNotAllowed,
            Refusal::NightOutOfRange {
                earliest: night("2019-12-01"),
                latest: night("2019-12-02"),
            },
            Refusal::ReservationReleased {
                free_places: vec![],
            },
            Refusal::NotAColdNight,
            Refusal::LostDraw,
        ]
    }

    #[test]
    fn the_codes_are_those_of_the_rules() {
        let codes: Vec<&str> = all().iter().map(Refusal::code).collect();
        assert_eq!(
            codes,
            vec![
                "outside-target-group",
                "minor",
                "in-quarantine",
                "already-has-stay",
                "already-placed",
                "banned",
                "no-free-place",
                "category-not-allowed",
                "night-out-of-range",
                "reservation-released",
                "not-a-cold-night",
                "lost-draw",
            ]
        );
    }

    #[test]
    fn every_refusal_tells_the_desk_what_happened() {
        for r in all() {
            let d = r.detail();
            assert!(d.len() > 20 && d.ends_with('.'), "{d}");
        }
        assert!(
            Refusal::InQuarantine {
                eligible_from: night("2019-12-08")
            }
            .detail()
            .contains("2019-12-08")
        );
        assert!(
            Refusal::Banned {
                last_night: night("2019-12-10")
            }
            .detail()
            .contains("2019-12-10")
        );
        let range = Refusal::NightOutOfRange {
            earliest: night("2019-12-01"),
            latest: night("2019-12-02"),
        }
        .detail();
        assert!(range.contains("2019-12-01") && range.contains("2019-12-02"));
        assert!(Refusal::Minor.detail().contains("referral"));
    }

    #[test]
    fn when_several_apply_the_first_in_the_order_of_the_rules_wins() {
        let order = [
            "outside-target-group",
            "minor",
            "already-has-stay",
            "already-placed",
            "in-quarantine",
            "banned",
            "night-out-of-range",
            "category-not-allowed",
            "not-a-cold-night",
            "no-free-place",
            "reservation-released",
            "lost-draw",
        ];
        let mut sorted = all();
        sorted.sort_by_key(Refusal::precedence);
        assert_eq!(sorted.iter().map(Refusal::code).collect::<Vec<_>>(), order);
        // Every pair: the earlier one wins, whichever way round.
        for (i, a) in sorted.iter().enumerate() {
            for b in &sorted[i + 1..] {
                assert_eq!(Refusal::first([a.clone(), b.clone()]), Err(a.clone()));
                assert_eq!(Refusal::first([b.clone(), a.clone()]), Err(a.clone()));
            }
        }
        assert_eq!(Refusal::first([]), Ok(()));
    }

    #[test]
    fn karenstid_and_bans_say_when_they_end() {
        for r in all() {
            let expected = match r.code() {
                "in-quarantine" => Some(night("2019-12-08")),
                "banned" => Some(night("2019-12-11")),
                _ => None,
            };
            assert_eq!(r.eligible_from(), expected, "{}", r.code());
        }
    }

    #[test]
    fn only_a_minor_opens_a_referral() {
        for r in all() {
            assert_eq!(r.opens_referral(), r.code() == "minor", "{}", r.code());
        }
    }

    #[test]
    fn a_guest_with_a_place_is_not_unmet_need() {
        for r in all() {
            let counted = !matches!(r.code(), "already-has-stay" | "already-placed");
            assert_eq!(r.is_turn_away(), counted, "{}", r.code());
        }
    }
}
