//! The pure core: states, rules and vocabularies. Nothing here does IO or reads the clock;
//! callers pass `now` in. Nothing here imports from `store`, `http`, `mail` or `jobs`.
pub mod access;
pub mod answers;
pub mod attachments;
pub mod confirmation;
pub mod dashboard;
pub mod delivery;
pub mod diff;
pub mod export;
pub mod interview;
pub mod numbers;
pub mod pledge;
pub mod reference;
pub mod register;
pub mod reminders;
pub mod request;
pub mod requirements;
pub mod text;
