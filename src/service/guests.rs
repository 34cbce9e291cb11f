//! Registering and finding guests.

use chrono::{NaiveDate, NaiveDateTime};
use rand::Rng;

use crate::db::guests::{self, GuestRow, SearchTerm};
use crate::db::{self, DbConnection};
use crate::domain::{
    Birth, CountryCode, Gender, Language, Need, PersonName, name_blocks, name_key,
};
use crate::error::AppError;

/// A guest to register, already parsed.
#[derive(Debug, Clone)]
pub struct NewGuest {
    pub given_name: PersonName,
    pub family_name: PersonName,
    pub birth: Birth,
    pub gender: Gender,
    pub citizenship: CountryCode,
    pub residence_permit_country: Option<CountryCode>,
    pub needs: Vec<Need>,
    pub language: Language,
}

/// How alike two folded names must be to suggest a duplicate.
const DUPLICATE_SIMILARITY: f64 = 0.88;
/// At most this many suggestions.
const MAX_DUPLICATES: usize = 10;

/// Card numbers: 8 characters of an alphabet without look-alikes.
const CARD_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

fn new_card_number() -> String {
    let mut rng = rand::rng();
    (0..8)
        .map(|_| CARD_ALPHABET[rng.random_range(0..CARD_ALPHABET.len())] as char)
        .collect()
}

/// Registers a guest and returns the row with the existing guests who may
/// be the same person (born within a year, with a similar name). In the
/// caller's write transaction (the act's, with its audit entries), and
/// without a savepoint: nothing here refuses, and a card number that
/// clashes is tried again without an error.
pub fn register(
    conn: &mut DbConnection,
    new: NewGuest,
    created_by: &str,
    now: NaiveDateTime,
) -> Result<(GuestRow, Vec<GuestRow>), AppError> {
    let key = name_key(new.given_name.as_str(), new.family_name.as_str());
    let (given_block, family_block) =
        name_blocks(new.given_name.as_str(), new.family_name.as_str());
    let mut needs = new.needs.clone();
    needs.sort();
    needs.dedup();
    let needs_json = serde_json::to_string(&needs).map_err(anyhow::Error::from)?;
    let duplicates = possible_duplicates(conn, &new)?;
    // A clash of random card numbers is very rare; try a few.
    for _ in 0..5 {
        let row = GuestRow {
            id: crate::ids::GuestId::new(),
            card_number: new_card_number(),
            given_name: new.given_name.as_str().to_owned(),
            family_name: new.family_name.as_str().to_owned(),
            name_key: key.clone(),
            birth_date: new.birth.date,
            birth_year: new.birth.year,
            gender: new.gender.as_str().to_owned(),
            citizenship: new.citizenship.as_str().to_owned(),
            residence_permit_country: new
                .residence_permit_country
                .as_ref()
                .map(|c| c.as_str().to_owned()),
            needs: needs_json.clone(),
            created_at: now,
            created_by: created_by.to_owned(),
            pseudonymised_at: None,
            given_block: given_block.clone(),
            family_block: family_block.clone(),
            language: new.language.as_str().to_owned(),
        };
        if !guests::insert_new(conn, &row)? {
            continue;
        }
        // Acute needs open referrals in the same act (RULES.md §7).
        for need in &needs {
            let referral = crate::service::followup::open_referral(
                &row.id,
                need.as_str(),
                true,
                None,
                created_by,
                now.and_utc(),
            );
            crate::db::bans::insert_referral(conn, &referral)?;
        }
        return Ok((row, duplicates));
    }
    Err(AppError::Internal(anyhow::anyhow!(
        "no free card number found in five tries"
    )))
}

/// The guests already registered who may be the same person as `new`
/// (born within a year, with a similar name), most alike first. The pages
/// ask before saving, so that the desk can pick one instead.
pub fn possible_duplicates(
    c: &mut DbConnection,
    new: &NewGuest,
) -> Result<Vec<GuestRow>, AppError> {
    let key = name_key(new.given_name.as_str(), new.family_name.as_str());
    let (given_block, family_block) =
        name_blocks(new.given_name.as_str(), new.family_name.as_str());
    let candidates = guests::duplicate_candidates(c, new.birth.year, &given_block, &family_block)?;
    let mut alike: Vec<(f64, String)> = candidates
        .into_iter()
        .filter(|g| birth_compatible(g.birth_date, g.birth_year, &new.birth))
        .map(|g| (strsim::jaro_winkler(&key, &g.name_key), g.id))
        .filter(|(score, _)| *score >= DUPLICATE_SIMILARITY)
        .collect();
    alike.sort_by(|a, b| b.0.total_cmp(&a.0));
    alike.truncate(MAX_DUPLICATES);
    let ids: Vec<String> = alike.iter().map(|(_, id)| id.clone()).collect();
    let mut duplicates = guests::get_many(c, &ids)?;
    duplicates.sort_by_key(|g| ids.iter().position(|id| *id == g.id));
    Ok(duplicates)
}

/// What registering from the pages' form came to.
#[derive(Debug)]
pub enum Registered {
    /// Saved (now, or by the first send of the same key): the answer,
    /// `{"id": …}`.
    Saved(crate::service::idempotency::Answer),
    /// Not saved: these guests may be the same person (none, when held
    /// for the page's warnings), for the desk to look at first.
    Alike(Vec<GuestRow>),
}

/// Registers a guest once per idempotency key (the pages' form carries
/// one): a form sent again after a dropped connection gets the first
/// answer and no second guest. With `ask_first`, possible duplicates
/// stop the act and are returned instead (their names are shown: each is
/// audited `guest.shown-as-duplicate`, as the API's registration audits
/// them), and so does `hold` (the page has warnings of the rules to show
/// first) with nothing alike; otherwise the guest is saved, audited
/// `guest.register`. All in one transaction with the key's claim,
/// so a key already answered gives that answer whatever was asked.
pub fn register_once(
    ctx: &crate::service::Context,
    actor: &crate::service::act::Actor,
    keyed: &crate::service::idempotency::Keyed,
    new: NewGuest,
    ask_first: bool,
    hold: bool,
    now: NaiveDateTime,
) -> Result<Registered, AppError> {
    use crate::audit::{self, Target};
    use crate::service::idempotency::{self, Claim};
    let mut conn = ctx.connection()?;
    let mut tx = db::Tx::begin(&mut conn)?;
    let ticket = match idempotency::claim(&mut tx, keyed)? {
        Claim::Answered(first) => return Ok(Registered::Saved(first)),
        Claim::Ours(ticket) => ticket,
    };
    if ask_first {
        let alike = possible_duplicates(&mut tx, &new)?;
        if !alike.is_empty() || hold {
            let targets: Vec<Target> = alike.iter().map(|d| Target::guest(&d.id)).collect();
            if !targets.is_empty() {
                audit::append(&mut tx, &actor.who, "guest.shown-as-duplicate", &targets)?;
            }
            ticket.forget(&mut tx)?;
            tx.commit()?;
            return Ok(Registered::Alike(alike));
        }
    }
    let (guest, _) = register(&mut tx, new, actor.user_id(), now)?;
    audit::append(
        &mut tx,
        &actor.who,
        "guest.register",
        &[Target::guest(&guest.id)],
    )?;
    let answer = idempotency::answer(201, &serde_json::json!({ "id": guest.id.to_string() }))?;
    ticket.save(&mut tx, &answer)?;
    tx.commit()?;
    Ok(Registered::Saved(answer))
}

/// Two births may be the same person's when no known date contradicts.
fn birth_compatible(date: Option<NaiveDate>, year: i32, new: &Birth) -> bool {
    match (date, new.date) {
        (Some(a), Some(b)) => a == b,
        _ => (year - new.year).abs() <= 1,
    }
}

/// What a search string asks for: a year, a card number or name words.
pub fn parse_search(q: &str) -> Option<SearchTerm> {
    let q = q.trim();
    if q.is_empty() {
        return None;
    }
    if q.len() == 4 && q.chars().all(|c| c.is_ascii_digit()) {
        return q.parse().ok().map(SearchTerm::BirthYear);
    }
    let upper = q.to_ascii_uppercase();
    if upper.len() == 8 && upper.bytes().all(|b| CARD_ALPHABET.contains(&b)) {
        // Could also be a name of eight letters; a card match wins, else
        // fall back to the name below (see search()).
        return Some(SearchTerm::CardNumber(upper));
    }
    let words: Vec<String> = name_key(q, "")
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    if words.is_empty() {
        None
    } else {
        Some(SearchTerm::Name(words))
    }
}

pub fn search(conn: &mut DbConnection, q: &str, limit: i64) -> Result<Vec<GuestRow>, AppError> {
    let Some(term) = parse_search(q) else {
        return Ok(vec![]);
    };
    db::read_tx(conn, |c| {
        let found = guests::search(c, &term, limit)?;
        if found.is_empty()
            && let SearchTerm::CardNumber(_) = term
        {
            let words = vec![name_key(q, "")];
            return Ok(guests::search(c, &SearchTerm::Name(words), limit)?);
        }
        Ok(found)
    })
}

/// Changes what may be changed of a guest (their language) and returns
/// the guest; 404 for an unknown guest.
pub fn update(
    conn: &mut DbConnection,
    guest_id: &str,
    language: Option<Language>,
) -> Result<GuestRow, AppError> {
    if guests::get(conn, guest_id)?.is_none() {
        return Err(AppError::not_found("guest"));
    }
    if let Some(l) = language {
        guests::set_language(conn, guest_id, l.as_str())?;
    }
    guests::get(conn, guest_id)?.ok_or_else(|| AppError::not_found("guest"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_terms() {
        assert_eq!(parse_search("1980"), Some(SearchTerm::BirthYear(1980)));
        assert_eq!(
            parse_search("ab3d5fgh"),
            Some(SearchTerm::CardNumber("AB3D5FGH".into()))
        );
        assert_eq!(
            parse_search(" Ștefan  Popescu "),
            Some(SearchTerm::Name(vec!["stefan".into(), "popescu".into()]))
        );
        assert_eq!(parse_search("   "), None);
        assert_eq!(parse_search("--"), None);
    }

    #[test]
    fn card_numbers_use_the_alphabet() {
        let c = new_card_number();
        assert_eq!(c.len(), 8);
        assert!(c.bytes().all(|b| CARD_ALPHABET.contains(&b)));
    }
}
