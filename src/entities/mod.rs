//! sea-orm entities, one file per table. Relations are expressed as explicit joins in `store`.
pub mod audit_event;
pub mod contact;
pub mod organization;
pub mod pledge;
pub mod pledge_classification;
pub mod pledge_organization;
pub mod reference_item;
pub mod staff_user;
