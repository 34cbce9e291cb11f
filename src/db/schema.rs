//! The schema both backends share, written by hand (see diesel.toml).

diesel::table! {
    partnerships (id) {
        id -> Text,
        name -> Text,
        time_zone -> Text,
        night_starts_at -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    rule_sets (id) {
        id -> Text,
        partnership_id -> Text,
        effective_from -> Date,
        no_show_cutoff -> Text,
        regular_nights -> Integer,
        women_nights -> Integer,
        quarantine_nights -> Integer,
        no_show_ends_stay_after -> Integer,
        booking_horizon_nights -> Integer,
        cold_night_threshold_c -> Double,
        target_citizenships -> Text,
        target_permit_countries -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    organizations (id) {
        id -> Text,
        partnership_id -> Text,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    shelters (id) {
        id -> Text,
        partnership_id -> Text,
        organization_id -> Text,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    places (id) {
        id -> Text,
        shelter_id -> Text,
        label -> Text,
        category -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    place_outages (id) {
        id -> Text,
        place_id -> Text,
        first_night -> Date,
        last_night -> Date,
        reason -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    guests (id) {
        id -> Text,
        card_number -> Text,
        given_name -> Text,
        family_name -> Text,
        name_key -> Text,
        birth_date -> Nullable<Date>,
        birth_year -> Integer,
        gender -> Text,
        citizenship -> Text,
        residence_permit_country -> Nullable<Text>,
        needs -> Text,
        created_at -> Timestamp,
        created_by -> Text,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        username -> Text,
        password_hash -> Text,
        roles -> Text,
        active -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    user_shelters (user_id, shelter_id) {
        user_id -> Text,
        shelter_id -> Text,
    }
}

diesel::joinable!(rule_sets -> partnerships (partnership_id));
diesel::joinable!(organizations -> partnerships (partnership_id));
diesel::joinable!(shelters -> organizations (organization_id));
diesel::joinable!(places -> shelters (shelter_id));
diesel::joinable!(place_outages -> places (place_id));
diesel::joinable!(user_shelters -> users (user_id));
diesel::joinable!(user_shelters -> shelters (shelter_id));

diesel::allow_tables_to_appear_in_same_query!(
    partnerships,
    rule_sets,
    organizations,
    shelters,
    places,
    place_outages,
    guests,
    users,
    user_shelters,
);
