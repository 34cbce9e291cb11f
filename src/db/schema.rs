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
        address -> Nullable<Text>,
        phone -> Nullable<Text>,
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
        pseudonymised_at -> Nullable<Timestamp>,
        given_block -> Text,
        family_block -> Text,
        language -> Text,
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
        external_sign_in -> Bool,
    }
}

diesel::table! {
    user_shelters (user_id, shelter_id) {
        user_id -> Text,
        shelter_id -> Text,
    }
}

diesel::table! {
    stays (id) {
        id -> Text,
        guest_id -> Text,
        shelter_id -> Text,
        category -> Text,
        status -> Text,
        first_night -> Date,
        nights -> Integer,
        quarantine_nights -> Integer,
        no_show_limit -> Integer,
        end_reason -> Nullable<Text>,
        ended_at -> Nullable<Timestamp>,
        void_reason -> Nullable<Text>,
        voided_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        created_by -> Text,
    }
}

diesel::table! {
    bookings (id) {
        id -> Text,
        guest_id -> Text,
        place_id -> Text,
        shelter_id -> Text,
        night -> Date,
        kind -> Text,
        stay_id -> Nullable<Text>,
        released -> Bool,
        held -> Bool,
        checked_in_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        no_show_end -> Nullable<Date>,
    }
}

diesel::table! {
    bans (id) {
        id -> Text,
        guest_id -> Text,
        shelter_id -> Nullable<Text>,
        first_night -> Date,
        last_night -> Date,
        reason -> Text,
        created_at -> Timestamp,
        created_by -> Text,
    }
}

diesel::table! {
    turnaways (id) {
        id -> Text,
        night -> Date,
        shelter_id -> Nullable<Text>,
        reason -> Text,
        kind -> Text,
        gender -> Text,
        age_band -> Text,
        citizenship -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    referrals (id) {
        id -> Text,
        guest_id -> Text,
        reason -> Text,
        acute -> Bool,
        status -> Text,
        note -> Nullable<Text>,
        created_at -> Timestamp,
        created_by -> Text,
        updated_at -> Timestamp,
        updated_by -> Nullable<Text>,
    }
}

diesel::table! {
    idempotency_keys (user_id, key) {
        user_id -> Text,
        key -> Text,
        request_hash -> Text,
        status -> Integer,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    cold_nights (night) {
        night -> Date,
        reason -> Text,
        forecast_min_c -> Nullable<Double>,
        declared_at -> Timestamp,
        declared_by -> Text,
    }
}

diesel::table! {
    cold_night_openings (night, shelter_id) {
        night -> Date,
        shelter_id -> Text,
        places -> Integer,
    }
}

diesel::table! {
    placements (id) {
        id -> Text,
        booking_id -> Text,
        guest_id -> Text,
        kind -> Text,
        night -> Date,
        place_id -> Text,
        shelter_id -> Text,
        reason -> Text,
        created_at -> Timestamp,
        created_by -> Text,
    }
}

diesel::table! {
    incidents (id) {
        id -> Text,
        shelter_id -> Text,
        night -> Date,
        kind -> Text,
        description -> Text,
        created_at -> Timestamp,
        created_by -> Text,
    }
}

diesel::table! {
    incident_guests (incident_id, guest_id) {
        incident_id -> Text,
        guest_id -> Text,
    }
}

diesel::table! {
    ban_grounds (ban_id, incident_id) {
        ban_id -> Text,
        incident_id -> Text,
    }
}

diesel::table! {
    intake_sessions (id) {
        id -> Text,
        first_night -> Date,
        shelter_ids -> Text,
        status -> Text,
        seed -> Nullable<Text>,
        women_places -> Nullable<Integer>,
        regular_places -> Nullable<Integer>,
        created_at -> Timestamp,
        created_by -> Text,
        drawn_at -> Nullable<Timestamp>,
        drawn_by -> Nullable<Text>,
    }
}

diesel::table! {
    intake_applicants (session_id, guest_id) {
        session_id -> Text,
        position -> Integer,
        guest_id -> Text,
        gender -> Text,
        eligible -> Nullable<Bool>,
        code -> Nullable<Text>,
        outcome -> Nullable<Text>,
        stay_id -> Nullable<Text>,
        registered_at -> Timestamp,
    }
}

diesel::table! {
    audit_entries (seq) {
        seq -> BigInt,
        at -> Timestamp,
        user_id -> Text,
        roles -> Text,
        action -> Text,
        guest_id -> Nullable<Text>,
        subject_id -> Nullable<Text>,
        request_id -> Nullable<Text>,
        prev_hash -> Text,
        hash -> Text,
        chain -> Integer,
        link -> BigInt,
    }
}

diesel::table! {
    /// The head of each audit chain (migration 000011).
    audit_chains (chain) {
        chain -> Integer,
        link -> BigInt,
        hash -> Text,
    }
}

diesel::table! {
    /// Login budgets per username, shared by every instance (migration
    /// 000013); see `auth::login_guard`.
    login_username_budgets (key) {
        key -> Text,
        tat -> BigInt,
    }
}

diesel::table! {
    /// Login budgets per client address (migration 000013).
    login_address_budgets (key) {
        key -> Text,
        tat -> BigInt,
        guessing_until -> BigInt,
        was_guessing -> Bool,
    }
}

diesel::table! {
    /// Places per shelter and category, kept by triggers (migration 000008).
    place_counts (shelter_id, category) {
        shelter_id -> Text,
        category -> Text,
        places -> Integer,
    }
}

diesel::table! {
    /// Bookings holding a place per night, shelter and category, kept by
    /// triggers (migration 000008).
    held_counts (night, shelter_id, category) {
        night -> Date,
        shelter_id -> Text,
        category -> Text,
        held -> Integer,
        unconfirmed -> Integer,
    }
}

diesel::table! {
    /// Sessions of the pages (migration 000015): the SHA-256 of the
    /// session token, never the token; see `service::web_sessions`.
    web_sessions (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        csrf_token -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        last_seen_at -> Timestamp,
    }
}

diesel::joinable!(rule_sets -> partnerships (partnership_id));
diesel::joinable!(organizations -> partnerships (partnership_id));
diesel::joinable!(shelters -> organizations (organization_id));
diesel::joinable!(places -> shelters (shelter_id));
diesel::joinable!(place_outages -> places (place_id));
diesel::joinable!(user_shelters -> users (user_id));
diesel::joinable!(user_shelters -> shelters (shelter_id));
diesel::joinable!(web_sessions -> users (user_id));
diesel::joinable!(bookings -> places (place_id));
diesel::joinable!(bookings -> stays (stay_id));

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
    stays,
    bookings,
    bans,
    turnaways,
    referrals,
    idempotency_keys,
    cold_nights,
    cold_night_openings,
    placements,
    incidents,
    incident_guests,
    ban_grounds,
    intake_sessions,
    intake_applicants,
    audit_entries,
    audit_chains,
    place_counts,
    held_counts,
    // reports (issue 7)
    complaints,
    survey_responses,
    report_nights,
    report_guest_spans,
    report_stays,
    web_sessions,
);

// ---- reports (issue 7) ----

diesel::table! {
    complaints (id) {
        id -> Text,
        shelter_id -> Text,
        night -> Date,
        source -> Text,
        kind -> Text,
        category -> Text,
        text -> Text,
        status -> Text,
        response -> Nullable<Text>,
        created_at -> Timestamp,
        created_by -> Text,
        updated_at -> Timestamp,
        updated_by -> Nullable<Text>,
    }
}

diesel::table! {
    survey_responses (id) {
        id -> Text,
        shelter_id -> Text,
        night -> Date,
        questionnaire -> Text,
        safe -> Nullable<Text>,
        respected -> Nullable<Text>,
        clean -> Nullable<Text>,
        informed -> Nullable<Text>,
        overall -> Nullable<Integer>,
    }
}

diesel::table! {
    report_nights (night, shelter_id, category, kind) {
        night -> Date,
        shelter_id -> Text,
        category -> Text,
        kind -> Text,
        booked -> Integer,
        occupied -> Integer,
        released -> Integer,
    }
}

diesel::table! {
    report_guest_spans (span, starts, organization_id, guest_id) {
        span -> Text,
        starts -> Date,
        organization_id -> Text,
        guest_id -> Text,
        gender -> Text,
        citizenship -> Text,
        born -> Date,
        bed_nights -> Integer,
    }
}

diesel::table! {
    report_stays (first_night, shelter_id, outcome) {
        first_night -> Date,
        shelter_id -> Text,
        outcome -> Text,
        stays -> Integer,
    }
}

// ---- the summaries' log (issue 18, migration 000020) ----

diesel::table! {
    /// Each booking that came (+1) or went (-1), with its shares of the
    /// summaries, until `db::summaries::fold` adds it into them.
    booking_changes (seq) {
        seq -> BigInt,
        night -> Date,
        shelter_id -> Text,
        category -> Text,
        kind -> Text,
        guest_id -> Text,
        booked -> Integer,
        occupied -> Integer,
        released -> Integer,
        held -> Integer,
        unconfirmed -> Integer,
    }
}

diesel::table! {
    /// Each stay that came or went, per outcome, until folded.
    stay_changes (seq) {
        seq -> BigInt,
        first_night -> Date,
        shelter_id -> Text,
        outcome -> Text,
        stays -> Integer,
    }
}
