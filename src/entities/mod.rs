//! sea-orm entities, one file per table. Relations are expressed as explicit joins in `store`.

/// The stored mirror of a domain vocabulary: the column stays a string on both databases (no
/// migration), and a value this build does not know is an error when the row is read, never a
/// silent fallback. The domain stays free of sea-orm; `From` converts both ways.
macro_rules! stored_enum {
    ($(#[$meta:meta])* $stored:ident for $domain:ident { $($variant:ident = $value:tt),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Copy, Clone, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
        pub enum $stored {
            $(#[sea_orm(string_value = $value)] $variant),+
        }

        impl From<$stored> for $domain {
            fn from(stored: $stored) -> $domain {
                match stored { $($stored::$variant => $domain::$variant),+ }
            }
        }

        impl From<$domain> for $stored {
            fn from(value: $domain) -> $stored {
                match value { $($domain::$variant => $stored::$variant),+ }
            }
        }

        impl $stored {
            /// Whether every stored value is the domain's own code (checked by a unit test).
            #[cfg(test)]
            pub fn matches_domain() -> bool {
                use sea_orm::{ActiveEnum, Iterable};
                $stored::iter().all(|s| s.to_value() == $domain::from(s).as_str())
            }
        }
    };
}

pub mod access_link;
pub mod api_token;
pub mod attachment;
pub mod audit_event;
pub mod campaign;
pub mod change_request;
pub mod contact;
pub mod draft_version;
pub mod interview;
pub mod officer_session;
pub mod organization;
pub mod outbox_mail;
pub mod pledge;
pub mod pledge_classification;
pub mod pledge_organization;
pub mod reference_item;
pub mod reminder_log;
pub mod revision;
pub mod staff_session;
pub mod staff_user;
pub mod throttle_hit;
pub mod update_request;

#[cfg(test)]
mod tests {
    #[test]
    fn stored_values_are_the_domains_codes() {
        assert!(super::update_request::StoredRequestState::matches_domain());
        assert!(super::staff_user::StoredStaffRole::matches_domain());
        assert!(super::contact::StoredContactRole::matches_domain());
        assert!(super::pledge::StoredScope::matches_domain());
        assert!(super::interview::StoredInterviewState::matches_domain());
        assert!(super::outbox_mail::StoredMailState::matches_domain());
        assert!(super::outbox_mail::StoredMailKind::matches_domain());
        assert!(super::campaign::StoredCampaignState::matches_domain());
        assert!(super::reminder_log::StoredReminderOutcome::matches_domain());
    }
}
