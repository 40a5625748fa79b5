//! The demo register: built from the 2025 report's pledging entities (see demo/README.md),
//! loaded through the ordinary import path when the database has no pledge yet.
use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DbErr};

use crate::domain::register::parse_register;
use crate::store::audit::Actor;
use crate::store::register::{ImportSummary, apply_register};
use crate::store::register_query::register_totals;

pub const DEMO_REGISTER: &[u8] = include_bytes!("../demo/register.csv");

pub async fn load_if_empty(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> Result<Option<ImportSummary>, DbErr> {
    let (_, pledges) = register_totals(db).await?;
    if pledges > 0 {
        return Ok(None);
    }
    let parsed = parse_register(DEMO_REGISTER)
        .map_err(|issues| DbErr::Custom(format!("the embedded demo register is invalid: {}", issues[0])))?;
    apply_register(db, &parsed, now, Actor::System, |_, _| {})
        .await
        .map(Some)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_demo_register_is_valid_and_complete() {
        let parsed = crate::domain::register::parse_register(super::DEMO_REGISTER).unwrap();
        assert_eq!(parsed.rows.len(), 124);
        let mut orgs: Vec<&str> = parsed.rows.iter().map(|r| r.organization.name.as_str()).collect();
        orgs.sort();
        orgs.dedup();
        assert_eq!(orgs.len(), 85);
        assert!(parsed.rows.iter().all(|r| {
            r.contact
                .as_ref()
                .is_some_and(|c| c.email.ends_with("example.org"))
        }));
    }
}
