//! pledgeflow: the pledge update cycle of the Call to Local Action for Migrants and Refugees.
pub mod cli;
pub mod clock;
pub mod config;
pub mod demo;
pub mod domain;
pub mod entities;
pub mod error;
pub mod files;
pub mod http;
pub mod i18n;
pub mod jobs;
pub mod mail;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod tokens;
pub mod views;
