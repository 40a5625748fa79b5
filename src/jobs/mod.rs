//! Background work: the mail worker (and, later, the reminder scheduler). Only this layer
//! talks to the mailer.
pub mod scheduler;
pub mod worker;
