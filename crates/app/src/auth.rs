//! Authentication: passwords (argon2id), login sessions, API keys, login rate limiting.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::PasswordHasher;
use argon2::{Argon2, PasswordHash, PasswordVerifier};
use chrono::Duration as ChronoDuration;
use techoms_db::sessions::Session;
use techoms_db::{accounts, api_keys, sessions, users};
use techoms_domain::user::normalize_email;
use techoms_domain::{Account, AccountId, User};

use crate::App;
use crate::access::{Access, Actor, user_sees};
use crate::error::{AppError, AppResult};
use crate::secrets::{random_token, token_hash};

/// How long a login session lasts.
pub const SESSION_HOURS: i64 = 12;
/// Failed logins allowed per (e-mail, address) and per address within [`LOGIN_WINDOW`].
pub const MAX_FAILURES_PER_LOGIN: usize = 5;
pub const MAX_FAILURES_PER_ADDRESS: usize = 20;
pub const LOGIN_WINDOW: Duration = Duration::from_secs(15 * 60);

/// The same message for an unknown e-mail and a wrong password, so a login attempt does not
/// reveal which accounts exist.
pub const BAD_LOGIN: &str = "E-mail or password is incorrect";

pub fn hash_password(password: &str) -> AppResult<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("password hashing failed: {e}")))
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Counts failed logins in a sliding window, per (e-mail, address) and per address. Held in
/// memory: each process limits what it sees, which bounds guessing to a small multiple of the
/// limit even with several processes.
#[derive(Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LoginLimiter {
    fn keys(email: &str, ip: IpAddr) -> [(String, usize); 2] {
        [
            (format!("{email}|{ip}"), MAX_FAILURES_PER_LOGIN),
            (format!("|{ip}"), MAX_FAILURES_PER_ADDRESS),
        ]
    }

    /// Seconds to wait when the limit is reached.
    fn check(&self, email: &str, ip: IpAddr) -> Option<u64> {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let mut wait = None;
        for (key, max) in Self::keys(email, ip) {
            if let Some(q) = map.get_mut(&key) {
                while q
                    .front()
                    .is_some_and(|t| now.duration_since(*t) > LOGIN_WINDOW)
                {
                    q.pop_front();
                }
                if q.len() >= max {
                    let oldest = q.front().copied().unwrap_or(now);
                    let secs = LOGIN_WINDOW
                        .saturating_sub(now.duration_since(oldest))
                        .as_secs()
                        .max(1);
                    wait = Some(wait.map_or(secs, |w: u64| w.max(secs)));
                }
            }
        }
        wait
    }

    fn fail(&self, email: &str, ip: IpAddr) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        for (key, _) in Self::keys(email, ip) {
            map.entry(key).or_default().push_back(Instant::now());
        }
    }

    fn succeed(&self, email: &str, ip: IpAddr) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&format!("{email}|{ip}"));
    }
}

/// A signed-in user's session, as the web layer needs it.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub token_hash: String,
    pub user: User,
    pub csrf_token: String,
    /// The accounts the user may see, by name.
    pub accounts: Vec<Account>,
    /// The account the user is looking at.
    pub current: Account,
}

impl SignedIn {
    pub fn access(&self) -> Access {
        Access::new(Actor::User(self.user.clone()), self.current.clone())
    }
}

async fn visible_accounts(app: &App, user: &User) -> AppResult<Vec<Account>> {
    let all = accounts::list_for_organization(&app.db, user.organization_id).await?;
    Ok(all.into_iter().filter(|a| user_sees(user, a)).collect())
}

/// Log in; returns the new session token (for the cookie) on success.
pub async fn login(app: &App, email: &str, password: &str, ip: IpAddr) -> AppResult<String> {
    let email = normalize_email(email).unwrap_or_else(|_| email.trim().to_lowercase());
    if let Some(secs) = app.login_limiter.check(&email, ip) {
        tracing::warn!(%ip, "login rate limit reached");
        return Err(AppError::RateLimited {
            retry_after_secs: secs,
        });
    }
    let found = users::find_for_login(&app.db, &email).await?;
    // Verify against a fixed hash when the user is unknown, so both paths cost the same.
    let (user, ok) = match found {
        Some((user, hash)) => {
            let ok = verify_password(password, &hash);
            (Some(user), ok)
        }
        None => {
            let _ = verify_password(
                password,
                DUMMY_HASH.get_or_init(|| hash_password("x").unwrap_or_default()),
            );
            (None, false)
        }
    };
    let Some(user) = user.filter(|_| ok) else {
        app.login_limiter.fail(&email, ip);
        tracing::info!(%ip, "login refused");
        return Err(AppError::Unauthenticated(BAD_LOGIN.into()));
    };
    let visible = visible_accounts(app, &user).await?;
    let Some(first) = visible.first() else {
        app.login_limiter.fail(&email, ip);
        return Err(AppError::Unauthenticated(
            "Your account is disabled; ask your organization administrator".into(),
        ));
    };
    app.login_limiter.succeed(&email, ip);
    let token = random_token::<32>();
    let now = app.clock.now();
    sessions::create(
        &app.db,
        &token_hash(&token),
        &Session {
            user_id: user.id,
            csrf_token: random_token::<24>(),
            current_account_id: Some(first.id),
            expires_at: now + ChronoDuration::hours(SESSION_HOURS),
        },
        now,
    )
    .await?;
    tracing::info!(user = %user.id, "logged in");
    Ok(token)
}

static DUMMY_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Resolve a session token to the signed-in user, or None when unknown or expired.
pub async fn session(app: &App, token: &str) -> AppResult<Option<SignedIn>> {
    let hash = token_hash(token);
    let Some(s) = sessions::get(&app.db, &hash, app.clock.now()).await? else {
        return Ok(None);
    };
    let user = match users::get(&app.db, s.user_id).await {
        Ok(u) => u,
        Err(techoms_db::DbError::NotFound) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let accounts = visible_accounts(app, &user).await?;
    let current = s
        .current_account_id
        .and_then(|id| accounts.iter().find(|a| a.id == id))
        .or_else(|| accounts.first())
        .cloned();
    let Some(current) = current else {
        // The user's only account was disabled: the session no longer grants anything.
        return Ok(None);
    };
    Ok(Some(SignedIn {
        token_hash: hash,
        user,
        csrf_token: s.csrf_token,
        accounts,
        current,
    }))
}

/// Switch the session to another visible account.
pub async fn switch_account(app: &App, signed_in: &SignedIn, to: AccountId) -> AppResult<()> {
    if !signed_in.accounts.iter().any(|a| a.id == to) {
        return Err(AppError::NotFound);
    }
    sessions::set_account(&app.db, &signed_in.token_hash, to).await?;
    Ok(())
}

pub async fn logout(app: &App, token: &str) -> AppResult<()> {
    sessions::delete(&app.db, &token_hash(token)).await?;
    Ok(())
}

/// Authenticate an API key: the access it grants, or None.
pub async fn api_key(app: &App, key: &str) -> AppResult<Option<Access>> {
    let key = key.trim();
    if key.is_empty() || key.len() > 200 {
        return Ok(None);
    }
    let Some(account_id) = api_keys::account_for(&app.db, &token_hash(key)).await? else {
        return Ok(None);
    };
    let account = accounts::get(&app.db, account_id).await?;
    Ok(Some(Access::new(Actor::ApiKey, account)))
}

/// Make a new API key for the account, replacing the old one (which stops working at once).
/// The key is returned once and never stored in clear.
pub async fn issue_api_key(app: &App, account: AccountId) -> AppResult<String> {
    let key = format!("tok_{}", random_token::<32>());
    let prefix: String = key.chars().take(8).collect();
    api_keys::set(
        &app.db,
        account,
        &token_hash(&key),
        &prefix,
        app.clock.now(),
    )
    .await?;
    Ok(key)
}
