//! Who in the secretariat may do what.
use super::pledge::StaffRole;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// See the workspace: queues, dashboards, updates, timelines.
    View,
    /// Comment, request changes, approve, run interviews.
    Review,
    /// Put approved updates on the public pages.
    Publish,
    /// Withdraw a request, open campaigns, manage contacts and links.
    Administer,
}

pub fn allows(role: StaffRole, permission: Permission) -> bool {
    match permission {
        Permission::View => true,
        Permission::Review | Permission::Publish => matches!(role, StaffRole::Reviewer | StaffRole::Admin),
        Permission::Administer => role == StaffRole::Admin,
    }
}

/// Fewest characters of a staff password.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// A new staff password is long enough (length is what makes a password hard to guess).
pub fn check_new_password(password: &str) -> Result<(), String> {
    if password.chars().count() >= MIN_PASSWORD_CHARS {
        Ok(())
    } else {
        Err(format!(
            "the password must have at least {MIN_PASSWORD_CHARS} characters"
        ))
    }
}

/// How long an API token works after it is made; make a new one before it ends.
pub const API_TOKEN_LIFETIME: chrono::Duration = chrono::Duration::days(90);

/// Where an API token stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenStanding {
    Revoked(chrono::DateTime<chrono::Utc>),
    Expired,
    WorksUntil(chrono::DateTime<chrono::Utc>),
}

impl TokenStanding {
    pub fn of(
        created_at: chrono::DateTime<chrono::Utc>,
        revoked_at: Option<chrono::DateTime<chrono::Utc>>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> TokenStanding {
        let until = created_at + API_TOKEN_LIFETIME;
        match revoked_at {
            Some(at) => TokenStanding::Revoked(at),
            None if until <= now => TokenStanding::Expired,
            None => TokenStanding::WorksUntil(until),
        }
    }

    pub fn works(self) -> bool {
        matches!(self, TokenStanding::WorksUntil(_))
    }
}

impl std::fmt::Display for TokenStanding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenStanding::Revoked(at) => write!(f, "revoked {}", at.format("%Y-%m-%d")),
            TokenStanding::Expired => f.write_str("expired"),
            TokenStanding::WorksUntil(until) => write!(f, "works until {}", until.format("%Y-%m-%d")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_grow_from_viewer_to_admin() {
        use Permission::*;
        use StaffRole::*;
        assert!(allows(Viewer, View) && !allows(Viewer, Review) && !allows(Viewer, Administer));
        assert!(allows(Reviewer, Review) && allows(Reviewer, Publish) && !allows(Reviewer, Administer));
        assert!(
            [View, Review, Publish, Administer]
                .iter()
                .all(|p| allows(Admin, *p))
        );
    }

    #[test]
    fn a_token_works_for_90_days_unless_revoked() {
        let made: chrono::DateTime<chrono::Utc> = "2026-09-01T12:00:00Z".parse().unwrap();
        let day = |n: i64| made + chrono::Duration::days(n);
        assert_eq!(
            TokenStanding::of(made, None, day(89)).to_string(),
            "works until 2026-11-30"
        );
        assert!(TokenStanding::of(made, None, day(89)).works());
        assert_eq!(TokenStanding::of(made, None, day(90)), TokenStanding::Expired);
        let revoked = TokenStanding::of(made, Some(day(3)), day(4));
        assert_eq!(revoked.to_string(), "revoked 2026-09-04");
        assert!(!revoked.works());
    }
}
