//! What every page's frame shows: who is signed in, the account switcher, the disabled banner.

use chrono::{DateTime, Utc};
use techoms_app::auth::SignedIn;

pub struct AccountChoice {
    pub id: String,
    pub name: String,
    pub selected: bool,
}

pub struct Chrome {
    pub title: String,
    pub nav: &'static str,
    pub email: String,
    pub role: String,
    pub csrf: String,
    pub accounts: Vec<AccountChoice>,
    pub account_name: String,
    /// Shown on a disabled account.
    pub banner: Option<String>,
    pub read_only: bool,
    pub timezone: chrono_tz::Tz,
}

impl Chrome {
    pub fn new(s: &SignedIn, title: impl Into<String>, nav: &'static str) -> Self {
        let access = s.access();
        Chrome {
            title: title.into(),
            nav,
            email: s.user.email.clone(),
            role: s.user.role.label().to_owned(),
            csrf: s.csrf_token.clone(),
            accounts: s
                .accounts
                .iter()
                .map(|a| AccountChoice {
                    id: a.id.to_string(),
                    name: if a.enabled {
                        a.name.clone()
                    } else {
                        format!("{} (disabled)", a.name)
                    },
                    selected: a.id == s.current.id,
                })
                .collect(),
            account_name: s.current.name.clone(),
            banner: (!s.current.enabled).then(|| {
                format!(
                    "Account {} is disabled: its jobs are paused and its settings are read-only.",
                    s.current.name
                )
            }),
            read_only: !access.can_admin(),
            timezone: s.current.timezone.parse().unwrap_or(chrono_tz::UTC),
        }
    }

    /// A time in the account's time zone.
    pub fn time(&self, t: &DateTime<Utc>) -> String {
        t.with_timezone(&self.timezone)
            .format("%Y-%m-%d %H:%M:%S %Z")
            .to_string()
    }
}
