//! Intake by lottery (RULES.md §9).
//!
//! Each eligible applicant's ticket is the SHA-256 of `SEED:GUEST_ID`, in
//! hex; lower tickets win. Anyone holding the recorded seed and applicant
//! list can recompute every ticket with a standard tool and check the
//! result. Women's places are drawn among eligible women first; the
//! regular places then among everyone eligible who has not won.

use sha2::{Digest, Sha256};

use super::kinds::{Gender, PlaceCategory};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applicant {
    pub guest_id: String,
    pub gender: Gender,
    /// Whether the rules allow the applicant a stay from the first night.
    pub eligible: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Won(PlaceCategory),
    Lost,
    Ineligible,
}

pub fn ticket(seed: &str, guest_id: &str) -> String {
    hex::encode(Sha256::digest(format!("{seed}:{guest_id}").as_bytes()))
}

/// The outcome of every applicant, in the order given.
pub fn draw(
    seed: &str,
    applicants: &[Applicant],
    women_places: usize,
    regular_places: usize,
) -> Vec<Outcome> {
    let mut order: Vec<usize> = (0..applicants.len())
        .filter(|&i| applicants[i].eligible)
        .collect();
    order.sort_by_key(|&i| ticket(seed, &applicants[i].guest_id));
    let mut outcome: Vec<Outcome> = applicants
        .iter()
        .map(|a| {
            if a.eligible {
                Outcome::Lost
            } else {
                Outcome::Ineligible
            }
        })
        .collect();
    let mut women_left = women_places;
    for &i in &order {
        if women_left > 0 && applicants[i].gender == Gender::Woman {
            outcome[i] = Outcome::Won(PlaceCategory::Women);
            women_left -= 1;
        }
    }
    let mut regular_left = regular_places;
    for &i in &order {
        if regular_left > 0 && outcome[i] == Outcome::Lost {
            outcome[i] = Outcome::Won(PlaceCategory::Regular);
            regular_left -= 1;
        }
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(id: &str, gender: Gender, eligible: bool) -> Applicant {
        Applicant {
            guest_id: id.into(),
            gender,
            eligible,
        }
    }

    #[test]
    fn tickets_are_sha256_of_seed_and_guest() {
        // printf 'seed:guest' | sha256sum
        assert_eq!(
            ticket("seed", "guest"),
            "3e5e0498c2888250d1f99b7962bfbd6e32ec757dba2fb702b973874d44d9739d"
        );
        assert_ne!(ticket("seed", "guest"), ticket("seed2", "guest"));
        assert_ne!(ticket("seed", "guest"), ticket("seed", "guest2"));
    }

    #[test]
    fn women_draw_womens_places_first_then_everyone_the_regular() {
        let people = vec![
            a("w1", Gender::Woman, true),
            a("m1", Gender::Man, true),
            a("w2", Gender::Woman, true),
            a("m2", Gender::Man, true),
            a("x", Gender::Man, false),
        ];
        let out = draw("s", &people, 1, 2);
        assert_eq!(out[4], Outcome::Ineligible);
        let women_won: Vec<usize> = (0..5)
            .filter(|&i| out[i] == Outcome::Won(PlaceCategory::Women))
            .collect();
        assert_eq!(women_won.len(), 1);
        assert!(women_won.iter().all(|&i| people[i].gender == Gender::Woman));
        let regular: usize = out
            .iter()
            .filter(|o| **o == Outcome::Won(PlaceCategory::Regular))
            .count();
        assert_eq!(regular, 2);
        assert_eq!(out.iter().filter(|o| **o == Outcome::Lost).count(), 1);
        // The lowest ticket among all eligible always wins something.
        let best = (0..4)
            .min_by_key(|&i| ticket("s", &people[i].guest_id))
            .unwrap();
        assert!(matches!(out[best], Outcome::Won(_)));
    }

    #[test]
    fn the_same_seed_gives_the_same_draw_and_order_does_not_matter() {
        let people: Vec<Applicant> = (0..20)
            .map(|i| {
                a(
                    &format!("g{i}"),
                    if i % 3 == 0 {
                        Gender::Woman
                    } else {
                        Gender::Man
                    },
                    i % 7 != 0,
                )
            })
            .collect();
        let first = draw("abc", &people, 2, 5);
        assert_eq!(first, draw("abc", &people, 2, 5));
        let mut reversed = people.clone();
        reversed.reverse();
        let mut again = draw("abc", &reversed, 2, 5);
        again.reverse();
        assert_eq!(first, again);
        assert_ne!(first, draw("abd", &people, 2, 5));
    }

    #[test]
    fn with_places_for_all_everyone_eligible_wins() {
        let people = vec![a("w", Gender::Woman, true), a("m", Gender::Man, true)];
        assert_eq!(
            draw("s", &people, 5, 5),
            vec![
                Outcome::Won(PlaceCategory::Women),
                Outcome::Won(PlaceCategory::Regular)
            ]
        );
        assert_eq!(draw("s", &people, 0, 0), vec![Outcome::Lost, Outcome::Lost]);
        // A woman who loses the women's draw still takes part in the regular one.
        assert_eq!(
            draw("s", &[a("w", Gender::Woman, true)], 0, 1),
            vec![Outcome::Won(PlaceCategory::Regular)]
        );
    }
}
