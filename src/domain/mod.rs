//! The pure core: states, rules and vocabularies. Nothing here does IO or reads the clock;
//! callers pass `now` in. Nothing here imports from `store`, `http`, `mail` or `jobs`.
pub mod pledge;
pub mod reference;
pub mod register;
