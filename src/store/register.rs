//! Writes a checked register file: organizations, pledges and contacts are upserted by their
//! natural keys (organization name, pledge reference, contact e-mail within the organization),
//! all in one transaction. Re-importing the same file changes nothing.
use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    NotSet, QueryFilter,
};
use serde::Serialize;

use super::audit::{self, Actor};
use crate::domain::pledge::search_key;
use crate::domain::register::{ContactRecord, OrganizationRecord, ParsedRegister, PledgeRecord};
use crate::entities::{contact, organization, pledge, pledge_classification, pledge_organization};

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    pub organizations_created: usize,
    pub organizations_updated: usize,
    pub pledges_created: usize,
    pub pledges_updated: usize,
    pub pledges_unchanged: usize,
    pub contacts_created: usize,
    pub contacts_updated: usize,
}

/// Applies every row in one transaction. `progress` is called after each row with
/// (rows done, rows in all).
pub async fn apply_register(
    db: &DatabaseConnection,
    register: &ParsedRegister,
    now: DateTime<Utc>,
    actor: Actor,
    mut progress: impl FnMut(usize, usize),
) -> Result<ImportSummary, DbErr> {
    let txn = super::write_txn(db).await?;
    let mut summary = ImportSummary::default();

    let mut org_ids: HashMap<String, i32> = HashMap::new();
    let mut existing_orgs: HashMap<String, organization::Model> = organization::Entity::find()
        .all(&txn)
        .await?
        .into_iter()
        .map(|o| (o.name.to_lowercase(), o))
        .collect();
    for row in &register.rows {
        let key = row.organization.name.to_lowercase();
        if org_ids.contains_key(&key) {
            continue;
        }
        let id = upsert_organization(
            &txn,
            existing_orgs.remove(&key),
            &row.organization,
            now,
            &mut summary,
        )
        .await?;
        org_ids.insert(key, id);
    }

    let mut existing_pledges: HashMap<String, pledge::Model> = pledge::Entity::find()
        .all(&txn)
        .await?
        .into_iter()
        .map(|p| (p.reference.clone(), p))
        .collect();
    let total = register.rows.len();
    for (done, row) in register.rows.iter().enumerate() {
        let org_id = org_ids[&row.organization.name.to_lowercase()];
        let co_pledger_ids: BTreeSet<i32> = row
            .pledge
            .co_pledgers
            .iter()
            .map(|name| org_ids[&name.to_lowercase()])
            .collect();
        let existing = existing_pledges.remove(row.pledge.reference.as_str());
        let search_text = search_key(&format!(
            "{} {} {} {} {}",
            row.pledge.reference,
            row.pledge.title,
            row.organization.name,
            row.organization.country,
            row.pledge.co_pledgers.join(" ")
        ));
        upsert_pledge(
            &txn,
            existing,
            &row.pledge,
            org_id,
            &co_pledger_ids,
            search_text,
            now,
            &mut summary,
        )
        .await?;
        if let Some(c) = &row.contact {
            upsert_contact(&txn, org_id, c, now, &mut summary).await?;
        }
        progress(done + 1, total);
    }

    audit::record(
        &txn,
        now,
        actor,
        "register.imported",
        "register",
        None,
        serde_json::json!({ "rows": total, "summary": summary }),
    )
    .await?;
    txn.commit().await?;
    Ok(summary)
}

async fn upsert_organization(
    db: &impl ConnectionTrait,
    existing: Option<organization::Model>,
    record: &OrganizationRecord,
    now: DateTime<Utc>,
    summary: &mut ImportSummary,
) -> Result<i32, DbErr> {
    let fields = |m: &mut organization::ActiveModel| {
        m.name.set_ne(record.name.clone());
        m.kind.set_ne(record.kind.as_str().into());
        m.admin_level
            .set_ne(record.admin_level.map(|a| a.as_str().into()));
        m.country.set_ne(record.country.clone());
        m.country_code.set_ne(record.country_code.clone());
        m.region.set_ne(record.region.clone());
        m.timezone.set_ne(record.timezone.clone());
        m.locale.set_ne(record.locale.as_str().into());
        m.population.set_ne(record.population);
        m.gcm_champion_country.set_ne(record.gcm_champion_country);
        m.search_text
            .set_ne(search_key(&format!("{} {}", record.name, record.country)));
    };
    match existing {
        Some(model) => {
            let id = model.id;
            let mut active: organization::ActiveModel = model.into();
            fields(&mut active);
            if active.is_changed() {
                active.updated_at = Set(now);
                active.update(db).await?;
                summary.organizations_updated += 1;
            }
            Ok(id)
        }
        None => {
            let mut active = organization::ActiveModel {
                id: NotSet,
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            };
            fields(&mut active);
            summary.organizations_created += 1;
            Ok(active.insert(db).await?.id)
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn upsert_pledge(
    db: &impl ConnectionTrait,
    existing: Option<pledge::Model>,
    record: &PledgeRecord,
    organization_id: i32,
    co_pledger_ids: &BTreeSet<i32>,
    search_text: String,
    now: DateTime<Utc>,
    summary: &mut ImportSummary,
) -> Result<(), DbErr> {
    let fields = |m: &mut pledge::ActiveModel| {
        m.reference.set_ne(record.reference.to_string());
        m.gcr_pledge_id.set_ne(record.gcr_pledge_id.clone());
        m.gcm_pledge_ref.set_ne(record.gcm_pledge_ref.clone());
        m.title.set_ne(record.title.clone());
        m.description.set_ne(record.description.clone());
        m.organization_id.set_ne(organization_id);
        m.compact_scope.set_ne(record.compact_scope.into());
        m.pledge_year.set_ne(record.pledge_year);
        m.timeline_start
            .set_ne(record.timeline_start.as_ref().map(|t| t.as_str().into()));
        m.timeline_end
            .set_ne(record.timeline_end.as_ref().map(|t| t.as_str().into()));
        m.search_text.set_ne(search_text.clone());
    };
    let wanted_codes: BTreeSet<(String, String)> = record
        .classifications
        .iter()
        .flat_map(|(scheme, codes)| {
            codes
                .iter()
                .map(move |c| (scheme.as_str().to_string(), c.clone()))
        })
        .collect();

    let pledge_id = match existing {
        Some(model) => {
            let id = model.id;
            let mut active: pledge::ActiveModel = model.into();
            fields(&mut active);
            let links_changed = current_codes(db, id).await? != wanted_codes
                || current_co_pledgers(db, id).await? != *co_pledger_ids;
            if !active.is_changed() && !links_changed {
                summary.pledges_unchanged += 1;
                return Ok(());
            }
            active.updated_at = Set(now);
            active.update(db).await?;
            summary.pledges_updated += 1;
            id
        }
        None => {
            let mut active = pledge::ActiveModel {
                id: NotSet,
                status: Set("active".into()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            };
            fields(&mut active);
            summary.pledges_created += 1;
            active.insert(db).await?.id
        }
    };

    pledge_classification::Entity::delete_many()
        .filter(pledge_classification::Column::PledgeId.eq(pledge_id))
        .exec(db)
        .await?;
    pledge_classification::Entity::insert_many(wanted_codes.into_iter().map(|(scheme, code)| {
        pledge_classification::ActiveModel {
            pledge_id: Set(pledge_id),
            scheme: Set(scheme),
            code: Set(code),
        }
    }))
    .exec_without_returning(db)
    .await?;
    pledge_organization::Entity::delete_many()
        .filter(pledge_organization::Column::PledgeId.eq(pledge_id))
        .exec(db)
        .await?;
    pledge_organization::Entity::insert_many(co_pledger_ids.iter().map(|org| {
        pledge_organization::ActiveModel {
            pledge_id: Set(pledge_id),
            organization_id: Set(*org),
        }
    }))
    .exec_without_returning(db)
    .await?;
    Ok(())
}

async fn current_codes(
    db: &impl ConnectionTrait,
    pledge_id: i32,
) -> Result<BTreeSet<(String, String)>, DbErr> {
    Ok(pledge_classification::Entity::find()
        .filter(pledge_classification::Column::PledgeId.eq(pledge_id))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.scheme, c.code))
        .collect())
}

async fn current_co_pledgers(db: &impl ConnectionTrait, pledge_id: i32) -> Result<BTreeSet<i32>, DbErr> {
    Ok(pledge_organization::Entity::find()
        .filter(pledge_organization::Column::PledgeId.eq(pledge_id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.organization_id)
        .collect())
}

async fn upsert_contact(
    db: &impl ConnectionTrait,
    organization_id: i32,
    record: &ContactRecord,
    now: DateTime<Utc>,
    summary: &mut ImportSummary,
) -> Result<(), DbErr> {
    match save_contact(db, organization_id, record, false, now).await?.1 {
        ContactSaved::Created => summary.contacts_created += 1,
        ContactSaved::Updated => summary.contacts_updated += 1,
        ContactSaved::Unchanged => {}
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactSaved {
    Created,
    Updated,
    Unchanged,
}

/// Writes a contact of an organization, found by e-mail: created, or its name, language and
/// role brought up to date. With `reactivate`, a deactivated or bounced contact is active again.
pub async fn save_contact(
    db: &impl ConnectionTrait,
    organization_id: i32,
    record: &ContactRecord,
    reactivate: bool,
    now: DateTime<Utc>,
) -> Result<(contact::Model, ContactSaved), DbErr> {
    let existing = contact::Entity::find()
        .filter(contact::Column::OrganizationId.eq(organization_id))
        .filter(contact::Column::Email.eq(record.email.as_str()))
        .one(db)
        .await?;
    match existing {
        Some(model) => {
            let mut active: contact::ActiveModel = model.clone().into();
            active.name.set_ne(record.name.clone());
            active.locale.set_ne(record.locale.as_str().into());
            active.role.set_ne(record.role.into());
            if reactivate {
                active.active.set_ne(true);
                active.bounced_at.set_ne(None);
            }
            if !active.is_changed() {
                return Ok((model, ContactSaved::Unchanged));
            }
            active.updated_at = Set(now);
            Ok((active.update(db).await?, ContactSaved::Updated))
        }
        None => {
            let created = contact::ActiveModel {
                id: NotSet,
                organization_id: Set(organization_id),
                name: Set(record.name.clone()),
                email: Set(record.email.clone()),
                locale: Set(record.locale.as_str().into()),
                role: Set(record.role.into()),
                active: Set(true),
                bounced_at: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(db)
            .await?;
            Ok((created, ContactSaved::Created))
        }
    }
}
