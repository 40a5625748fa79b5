//! The secretariat's pages (in English: the secretariat works in one language), one module
//! per page; everything is re-exported here.
mod accounts;
mod campaigns;
mod chart;
mod dashboard;
mod interviews;
mod login;
mod outbox;
mod queue;
mod request;

pub use accounts::*;
pub use campaigns::*;
pub use chart::*;
pub use dashboard::*;
pub use interviews::*;
pub use login::*;
pub use outbox::*;
pub use queue::*;
pub use request::*;
