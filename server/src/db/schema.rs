// @generated automatically by Diesel CLI.

diesel::table! {
    agenda_items (id) {
        id -> Text,
        meeting_id -> Text,
        parent_id -> Nullable<Text>,
        position -> Integer,
        title -> Text,
        duration_minutes -> Nullable<Integer>,
        presenter_id -> Nullable<Text>,
        notes -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    annotation_replies (id) {
        id -> Text,
        annotation_id -> Text,
        author_id -> Text,
        text -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    annotations (id) {
        id -> Text,
        document_id -> Text,
        meeting_id -> Text,
        document_version -> Integer,
        page -> Integer,
        kind -> Text,
        shared -> Bool,
        orphaned -> Bool,
        author_id -> Text,
        data -> Text,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    audit_entries (meeting_id, seq) {
        meeting_id -> Text,
        seq -> BigInt,
        kind -> Text,
        data -> Text,
        at -> Timestamp,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    ballots (poll_id, user_id) {
        poll_id -> Text,
        user_id -> Text,
        cast_by -> Text,
        choice -> Text,
        receipt -> Text,
        idempotency_key -> Nullable<Text>,
        cast_at -> Timestamp,
        comment -> Nullable<Text>,
    }
}

diesel::table! {
    blob_chunks (name, idx) {
        name -> Text,
        idx -> Integer,
        data -> Binary,
    }
}

diesel::table! {
    blob_store (name) {
        name -> Text,
        size -> BigInt,
        plan -> Nullable<Binary>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    blobs (sha256) {
        sha256 -> Text,
        bytes -> BigInt,
        pages -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    calendar_days (day) {
        day -> Text,
        year -> Integer,
        kind -> Text,
        name -> Text,
        updated_by -> Nullable<Text>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    device_sessions (family_id) {
        family_id -> Text,
        user_id -> Text,
        name -> Text,
        user_agent -> Text,
        address -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
    }
}

diesel::table! {
    document_versions (document_id, version) {
        document_id -> Text,
        version -> Integer,
        sha256 -> Text,
        bytes -> BigInt,
        pages -> Integer,
        uploaded_by -> Text,
        uploaded_at -> Timestamp,
    }
}

diesel::table! {
    documents (id) {
        id -> Text,
        meeting_id -> Text,
        agenda_item_id -> Nullable<Text>,
        title -> Text,
        position -> Integer,
        current_version -> Integer,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
        deleted_by -> Nullable<Text>,
        kind -> Text,
    }
}

diesel::table! {
    events (meeting_id, seq) {
        meeting_id -> Text,
        seq -> BigInt,
        event_type -> Text,
        data -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    mail_outbox (id) {
        id -> Text,
        to_address -> Text,
        subject -> Text,
        body -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        failed_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    meetings (id) {
        id -> Text,
        title -> Text,
        description -> Nullable<Text>,
        location -> Nullable<Text>,
        starts_at -> Timestamp,
        state -> Text,
        watermark -> Nullable<Text>,
        speech_limit_secs -> Nullable<Integer>,
        current_item_id -> Nullable<Text>,
        last_seq -> BigInt,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        chair_votes -> Bool,
        started_at -> Nullable<Timestamp>,
        ended_at -> Nullable<Timestamp>,
        kind -> Text,
        deadline -> Nullable<Timestamp>,
        silence -> Nullable<Text>,
    }
}

diesel::table! {
    mfa_challenges (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    mfa_recovery_codes (user_id, code_hash) {
        user_id -> Text,
        code_hash -> Text,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    minutes (meeting_id) {
        meeting_id -> Text,
        state -> Text,
        version -> Integer,
        opening -> Text,
        closing -> Text,
        number -> Nullable<Text>,
        conclusions_number -> Nullable<Text>,
        minutes_document_id -> Nullable<Text>,
        conclusions_document_id -> Nullable<Text>,
        updated_by -> Nullable<Text>,
        updated_at -> Timestamp,
        finalized_by -> Nullable<Text>,
        finalized_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    minutes_items (meeting_id, agenda_item_id) {
        meeting_id -> Text,
        agenda_item_id -> Text,
        notes -> Text,
        conclusion -> Text,
    }
}

diesel::table! {
    notifications (id) {
        id -> Text,
        user_id -> Text,
        kind -> Text,
        meeting_id -> Nullable<Text>,
        params -> Text,
        created_at -> Timestamp,
        read_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    organization_settings (id) {
        id -> Text,
        data -> Text,
        updated_by -> Nullable<Text>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    participants (meeting_id, user_id) {
        meeting_id -> Text,
        user_id -> Text,
        role -> Text,
        substitute_id -> Nullable<Text>,
        attendance -> Text,
        absence_reason -> Nullable<Text>,
        checked_in_at -> Nullable<Timestamp>,
        checked_in_by -> Nullable<Text>,
        added_at -> Timestamp,
    }
}

diesel::table! {
    poll_choices (poll_id, id) {
        poll_id -> Text,
        id -> Text,
        choice -> Text,
    }
}

diesel::table! {
    poll_eligible (poll_id, voter_id) {
        poll_id -> Text,
        voter_id -> Text,
        seat_id -> Text,
    }
}

diesel::table! {
    poll_voters (poll_id, user_id) {
        poll_id -> Text,
        user_id -> Text,
        receipt -> Text,
        idempotency_key -> Nullable<Text>,
    }
}

diesel::table! {
    polls (id) {
        id -> Text,
        meeting_id -> Text,
        agenda_item_id -> Nullable<Text>,
        title -> Text,
        secret -> Bool,
        options -> Text,
        majority -> Text,
        quorum -> Nullable<Integer>,
        allow_change -> Bool,
        state -> Text,
        eligible -> Nullable<Integer>,
        final_tally -> Nullable<Text>,
        voted -> Nullable<Integer>,
        result -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
        opened_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
        members -> Nullable<Integer>,
        deemed -> Nullable<Integer>,
        tie_break -> Nullable<Text>,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Text,
        family_id -> Text,
        user_id -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    register_entries (organization, kind, year, number) {
        organization -> Text,
        kind -> Text,
        year -> Integer,
        number -> Integer,
        meeting_id -> Text,
        document_id -> Text,
        issued_at -> Timestamp,
    }
}

diesel::table! {
    registers (organization, kind, year) {
        organization -> Text,
        kind -> Text,
        year -> Integer,
        last_number -> Integer,
    }
}

diesel::table! {
    reminders_sent (meeting_id, user_id, offset_key) {
        meeting_id -> Text,
        user_id -> Text,
        offset_key -> Text,
        sent_at -> Timestamp,
    }
}

diesel::table! {
    signature_images (user_id) {
        user_id -> Text,
        png -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    signature_rooms (document_id) {
        document_id -> Text,
        rooms -> Text,
    }
}

diesel::table! {
    signings (id) {
        id -> Text,
        document_id -> Text,
        base_version -> Integer,
        block -> Nullable<Text>,
        user_id -> Text,
        field -> Text,
        prepared -> Text,
        hole_start -> BigInt,
        hole_end -> BigInt,
        signed_attributes -> Text,
        certificate_chain -> Text,
        created_at -> Timestamp,
        completed_at -> Nullable<Timestamp>,
        version -> Nullable<Integer>,
    }
}

diesel::table! {
    speakers (id) {
        id -> Text,
        meeting_id -> Text,
        user_id -> Text,
        agenda_item_id -> Nullable<Text>,
        state -> Text,
        position -> Integer,
        requested_at -> Timestamp,
        started_at -> Nullable<Timestamp>,
        ended_at -> Nullable<Timestamp>,
        limit_secs -> Nullable<Integer>,
    }
}

diesel::table! {
    user_mfa (user_id) {
        user_id -> Text,
        secret -> Text,
        active -> Bool,
        last_step -> Nullable<BigInt>,
        created_at -> Timestamp,
        confirmed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        username -> Text,
        display_name -> Text,
        role -> Text,
        password_hash -> Text,
        created_at -> Timestamp,
        email -> Nullable<Text>,
    }
}

diesel::joinable!(agenda_items -> meetings (meeting_id));
diesel::joinable!(agenda_items -> users (presenter_id));
diesel::joinable!(annotation_replies -> annotations (annotation_id));
diesel::joinable!(annotation_replies -> users (author_id));
diesel::joinable!(annotations -> documents (document_id));
diesel::joinable!(annotations -> meetings (meeting_id));
diesel::joinable!(annotations -> users (author_id));
diesel::joinable!(audit_entries -> meetings (meeting_id));
diesel::joinable!(ballots -> polls (poll_id));
diesel::joinable!(blob_chunks -> blob_store (name));
diesel::joinable!(calendar_days -> users (updated_by));
diesel::joinable!(device_sessions -> users (user_id));
diesel::joinable!(document_versions -> blobs (sha256));
diesel::joinable!(document_versions -> documents (document_id));
diesel::joinable!(document_versions -> users (uploaded_by));
diesel::joinable!(documents -> agenda_items (agenda_item_id));
diesel::joinable!(documents -> meetings (meeting_id));
diesel::joinable!(events -> meetings (meeting_id));
diesel::joinable!(meetings -> users (created_by));
diesel::joinable!(mfa_challenges -> users (user_id));
diesel::joinable!(mfa_recovery_codes -> users (user_id));
diesel::joinable!(minutes -> meetings (meeting_id));
diesel::joinable!(minutes_items -> agenda_items (agenda_item_id));
diesel::joinable!(minutes_items -> minutes (meeting_id));
diesel::joinable!(notifications -> meetings (meeting_id));
diesel::joinable!(notifications -> users (user_id));
diesel::joinable!(organization_settings -> users (updated_by));
diesel::joinable!(participants -> meetings (meeting_id));
diesel::joinable!(poll_choices -> polls (poll_id));
diesel::joinable!(poll_eligible -> polls (poll_id));
diesel::joinable!(poll_voters -> polls (poll_id));
diesel::joinable!(polls -> agenda_items (agenda_item_id));
diesel::joinable!(polls -> meetings (meeting_id));
diesel::joinable!(polls -> users (created_by));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(register_entries -> documents (document_id));
diesel::joinable!(register_entries -> meetings (meeting_id));
diesel::joinable!(reminders_sent -> meetings (meeting_id));
diesel::joinable!(reminders_sent -> users (user_id));
diesel::joinable!(signature_images -> users (user_id));
diesel::joinable!(signature_rooms -> documents (document_id));
diesel::joinable!(signings -> documents (document_id));
diesel::joinable!(signings -> users (user_id));
diesel::joinable!(speakers -> agenda_items (agenda_item_id));
diesel::joinable!(speakers -> meetings (meeting_id));
diesel::joinable!(speakers -> users (user_id));
diesel::joinable!(user_mfa -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    agenda_items,
    annotation_replies,
    annotations,
    audit_entries,
    ballots,
    blob_chunks,
    blob_store,
    blobs,
    calendar_days,
    device_sessions,
    document_versions,
    documents,
    events,
    mail_outbox,
    meetings,
    mfa_challenges,
    mfa_recovery_codes,
    minutes,
    minutes_items,
    notifications,
    organization_settings,
    participants,
    poll_choices,
    poll_eligible,
    poll_voters,
    polls,
    refresh_tokens,
    register_entries,
    registers,
    reminders_sent,
    signature_images,
    signature_rooms,
    signings,
    speakers,
    user_mfa,
    users,
);
