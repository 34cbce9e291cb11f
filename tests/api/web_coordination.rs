//! The coordinator's pages: cold nights and the referrals inbox.
