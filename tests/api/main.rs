//! One integration test binary: every test gets the real app on a fresh database.
mod helpers;

mod cli;
mod cycle;
mod delivery;
mod emails;
mod exports;
mod health;
mod hostile;
mod import;
mod instances;
mod mail;
mod manage;
mod officer;
mod operations;
mod races;
mod real_updates;
mod register;
mod reminders;
mod resilience;
mod review;
mod scale;
mod secretariat_api;
