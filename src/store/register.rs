//! Writes a checked register file: organizations, pledges and contacts are upserted by their
//! natural keys (organization name, pledge reference, contact e-mail within the organization),
//! all in one transaction. Re-importing the same file changes nothing. What exists is read
//! once; new pledges and contacts are written with multi-row inserts.
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
    // What the existing pledges link to and the existing contacts, read once: a row then
    // costs no read, and new pledges and contacts are written a chunk at a time.
    let mut links = ExistingLinks::read(&txn).await?;
    let mut contacts = NewContacts::read(&txn).await?;
    let mut new_pledges: Vec<NewPledge> = Vec::new();
    let total = register.rows.len();
    for (done, row) in register.rows.iter().enumerate() {
        let org_id = org_ids[&row.organization.name.to_lowercase()];
        let co_pledger_ids: BTreeSet<i32> = row
            .pledge
            .co_pledgers
            .iter()
            .map(|name| org_ids[&name.to_lowercase()])
            .collect();
        let search_text = search_key(&format!(
            "{} {} {} {} {}",
            row.pledge.reference,
            row.pledge.title,
            row.organization.name,
            row.organization.country,
            row.pledge.co_pledgers.join(" ")
        ));
        match existing_pledges.remove(row.pledge.reference.as_str()) {
            Some(existing) => {
                update_pledge(
                    &txn,
                    existing,
                    &row.pledge,
                    org_id,
                    &co_pledger_ids,
                    search_text,
                    &mut links,
                    now,
                    &mut summary,
                )
                .await?
            }
            None => {
                let mut active = pledge::ActiveModel {
                    id: NotSet,
                    status: Set("active".into()),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                };
                pledge_fields(&mut active, &row.pledge, org_id, search_text);
                summary.pledges_created += 1;
                new_pledges.push(NewPledge {
                    row: active,
                    reference: row.pledge.reference.to_string(),
                    codes: wanted_codes(&row.pledge),
                    co_pledgers: co_pledger_ids,
                });
                if new_pledges.len() == CHUNK {
                    insert_pledges(&txn, std::mem::take(&mut new_pledges)).await?;
                }
            }
        }
        if let Some(c) = &row.contact {
            contacts.save(&txn, org_id, c, now, &mut summary).await?;
        }
        progress(done + 1, total);
    }
    insert_pledges(&txn, new_pledges).await?;
    contacts.insert(&txn, now).await?;

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
    if total >= super::BULK_ROWS {
        super::refresh_statistics(
            db,
            &[
                "organization",
                "pledge",
                "pledge_classification",
                "pledge_organization",
                "contact",
            ],
        )
        .await?;
    }
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

/// New pledges written per round (their ids come back by RETURNING, then their
/// classifications and co-pledgers follow).
const CHUNK: usize = 500;

fn pledge_fields(
    m: &mut pledge::ActiveModel,
    record: &PledgeRecord,
    organization_id: i32,
    search_text: String,
) {
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
    m.search_text.set_ne(search_text);
}

fn wanted_codes(record: &PledgeRecord) -> BTreeSet<(String, String)> {
    record
        .classifications
        .iter()
        .flat_map(|(scheme, codes)| {
            codes
                .iter()
                .map(move |c| (scheme.as_str().to_string(), c.clone()))
        })
        .collect()
}

/// The classifications and co-pledgers of every pledge in the register, by pledge id.
struct ExistingLinks {
    codes: HashMap<i32, BTreeSet<(String, String)>>,
    co_pledgers: HashMap<i32, BTreeSet<i32>>,
}

impl ExistingLinks {
    async fn read(db: &impl ConnectionTrait) -> Result<ExistingLinks, DbErr> {
        let mut codes: HashMap<i32, BTreeSet<(String, String)>> = HashMap::new();
        for c in pledge_classification::Entity::find().all(db).await? {
            codes.entry(c.pledge_id).or_default().insert((c.scheme, c.code));
        }
        let mut co_pledgers: HashMap<i32, BTreeSet<i32>> = HashMap::new();
        for l in pledge_organization::Entity::find().all(db).await? {
            co_pledgers
                .entry(l.pledge_id)
                .or_default()
                .insert(l.organization_id);
        }
        Ok(ExistingLinks { codes, co_pledgers })
    }
}

/// A pledge the register adds, waiting for its chunk's insert.
struct NewPledge {
    row: pledge::ActiveModel,
    reference: String,
    codes: BTreeSet<(String, String)>,
    co_pledgers: BTreeSet<i32>,
}

/// Inserts new pledges with one statement (RETURNING their ids), then their classifications
/// and co-pledgers the same way.
async fn insert_pledges(db: &impl ConnectionTrait, pledges: Vec<NewPledge>) -> Result<(), DbErr> {
    if pledges.is_empty() {
        return Ok(());
    }
    let (rows, links): (Vec<_>, Vec<_>) = pledges
        .into_iter()
        .map(|p| (p.row, (p.reference, p.codes, p.co_pledgers)))
        .unzip();
    let ids: HashMap<String, i32> = pledge::Entity::insert_many(rows)
        .exec_with_returning(db)
        .await?
        .into_iter()
        .map(|p| (p.reference, p.id))
        .collect();
    let mut classifications = Vec::new();
    let mut co_pledgers = Vec::new();
    for (reference, codes, orgs) in links {
        let pledge_id = ids[&reference];
        classifications.extend(
            codes
                .into_iter()
                .map(|(scheme, code)| pledge_classification::ActiveModel {
                    pledge_id: Set(pledge_id),
                    scheme: Set(scheme),
                    code: Set(code),
                }),
        );
        co_pledgers.extend(orgs.into_iter().map(|org| pledge_organization::ActiveModel {
            pledge_id: Set(pledge_id),
            organization_id: Set(org),
        }));
    }
    for batch in super::insert_batches::<pledge_classification::Entity, _>(classifications) {
        pledge_classification::Entity::insert_many(batch)
            .exec_without_returning(db)
            .await?;
    }
    for batch in super::insert_batches::<pledge_organization::Entity, _>(co_pledgers) {
        pledge_organization::Entity::insert_many(batch)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Brings an existing pledge up to date with its row; its classifications and co-pledgers are
/// replaced when they differ.
#[allow(clippy::too_many_arguments)]
async fn update_pledge(
    db: &impl ConnectionTrait,
    existing: pledge::Model,
    record: &PledgeRecord,
    organization_id: i32,
    co_pledger_ids: &BTreeSet<i32>,
    search_text: String,
    links: &mut ExistingLinks,
    now: DateTime<Utc>,
    summary: &mut ImportSummary,
) -> Result<(), DbErr> {
    let pledge_id = existing.id;
    let mut active: pledge::ActiveModel = existing.into();
    pledge_fields(&mut active, record, organization_id, search_text);
    let wanted = wanted_codes(record);
    let codes_changed = links.codes.remove(&pledge_id).unwrap_or_default() != wanted;
    let co_pledgers_changed = links.co_pledgers.remove(&pledge_id).unwrap_or_default() != *co_pledger_ids;
    if !active.is_changed() && !codes_changed && !co_pledgers_changed {
        summary.pledges_unchanged += 1;
        return Ok(());
    }
    active.updated_at = Set(now);
    active.update(db).await?;
    summary.pledges_updated += 1;
    if codes_changed {
        pledge_classification::Entity::delete_many()
            .filter(pledge_classification::Column::PledgeId.eq(pledge_id))
            .exec(db)
            .await?;
        if !wanted.is_empty() {
            pledge_classification::Entity::insert_many(wanted.into_iter().map(|(scheme, code)| {
                pledge_classification::ActiveModel {
                    pledge_id: Set(pledge_id),
                    scheme: Set(scheme),
                    code: Set(code),
                }
            }))
            .exec_without_returning(db)
            .await?;
        }
    }
    if co_pledgers_changed {
        pledge_organization::Entity::delete_many()
            .filter(pledge_organization::Column::PledgeId.eq(pledge_id))
            .exec(db)
            .await?;
        if !co_pledger_ids.is_empty() {
            pledge_organization::Entity::insert_many(co_pledger_ids.iter().map(|org| {
                pledge_organization::ActiveModel {
                    pledge_id: Set(pledge_id),
                    organization_id: Set(*org),
                }
            }))
            .exec_without_returning(db)
            .await?;
        }
    }
    Ok(())
}

/// The register's contacts: existing ones by (organization, e-mail) are updated in
/// place; new ones wait in `pending` and go in with one statement per chunk at the end.
struct NewContacts {
    existing: HashMap<(i32, String), contact::Model>,
    pending: Vec<(i32, ContactRecord)>,
    pending_at: HashMap<(i32, String), usize>,
}

impl NewContacts {
    async fn read(db: &impl ConnectionTrait) -> Result<NewContacts, DbErr> {
        let existing = contact::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|c| ((c.organization_id, c.email.clone()), c))
            .collect();
        Ok(NewContacts {
            existing,
            pending: Vec::new(),
            pending_at: HashMap::new(),
        })
    }

    async fn save(
        &mut self,
        db: &impl ConnectionTrait,
        organization_id: i32,
        record: &ContactRecord,
        now: DateTime<Utc>,
        summary: &mut ImportSummary,
    ) -> Result<(), DbErr> {
        let key = (organization_id, record.email.clone());
        if let Some(model) = self.existing.get(&key) {
            let mut active: contact::ActiveModel = model.clone().into();
            contact_fields(&mut active, record, false);
            if active.is_changed() {
                active.updated_at = Set(now);
                let updated = active.update(db).await?;
                self.existing.insert(key, updated);
                summary.contacts_updated += 1;
            }
            return Ok(());
        }
        if let Some(&i) = self.pending_at.get(&key) {
            // The same contact on an earlier row of this file (an organization's pledges):
            // the later row's name, language and role win, as an update would.
            let (_, earlier) = &mut self.pending[i];
            if (&earlier.name, earlier.locale, earlier.role) != (&record.name, record.locale, record.role) {
                *earlier = record.clone();
                summary.contacts_updated += 1;
            }
            return Ok(());
        }
        self.pending_at.insert(key, self.pending.len());
        self.pending.push((organization_id, record.clone()));
        summary.contacts_created += 1;
        Ok(())
    }

    async fn insert(self, db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<(), DbErr> {
        for batch in super::insert_batches::<contact::Entity, _>(self.pending) {
            contact::Entity::insert_many(batch.iter().map(|(org, record)| new_contact(*org, record, now)))
                .exec_without_returning(db)
                .await?;
        }
        Ok(())
    }
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
            contact_fields(&mut active, record, reactivate);
            if !active.is_changed() {
                return Ok((model, ContactSaved::Unchanged));
            }
            active.updated_at = Set(now);
            Ok((active.update(db).await?, ContactSaved::Updated))
        }
        None => {
            let created = new_contact(organization_id, record, now).insert(db).await?;
            Ok((created, ContactSaved::Created))
        }
    }
}

/// A contact's name, language and role from `record`; with `reactivate`, active again.
fn contact_fields(active: &mut contact::ActiveModel, record: &ContactRecord, reactivate: bool) {
    active.name.set_ne(record.name.clone());
    active.locale.set_ne(record.locale.as_str().into());
    active.role.set_ne(record.role.into());
    if reactivate {
        active.active.set_ne(true);
        active.bounced_at.set_ne(None);
    }
}

fn new_contact(organization_id: i32, record: &ContactRecord, now: DateTime<Utc>) -> contact::ActiveModel {
    contact::ActiveModel {
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
}
