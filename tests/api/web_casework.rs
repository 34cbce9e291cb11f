//! The coordinator's pages: incidents, bans, complaints and feedback, the survey.
