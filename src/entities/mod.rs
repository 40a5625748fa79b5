//! sea-orm entities, one file per table. Relations are expressed as explicit joins in `store`.
pub mod access_link;
pub mod attachment;
pub mod audit_event;
pub mod campaign;
pub mod change_request;
pub mod contact;
pub mod draft_version;
pub mod officer_session;
pub mod organization;
pub mod outbox_mail;
pub mod pledge;
pub mod pledge_classification;
pub mod pledge_organization;
pub mod reference_item;
pub mod revision;
pub mod staff_user;
pub mod update_request;
