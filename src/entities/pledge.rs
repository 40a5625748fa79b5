use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pledge")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub reference: String,
    pub gcr_pledge_id: Option<String>,
    pub gcm_pledge_ref: Option<String>,
    pub title: String,
    pub description: String,
    pub organization_id: i32,
    pub compact_scope: StoredScope,
    pub pledge_year: i32,
    pub timeline_start: Option<String>,
    /// `None` means ongoing.
    pub timeline_end: Option<String>,
    pub status: String,
    pub search_text: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// The compact scope as the register records it.
    pub fn scope(&self) -> CompactScope {
        self.compact_scope.into()
    }
}

use crate::domain::pledge::CompactScope;

stored_enum!(
    StoredScope for CompactScope {
        Gcm = "GCM",
        Gcr = "GCR",
        Mirror = "MIRROR",
        IdpOnly = "IDP_ONLY",
    }
);
