//! `WC_REST_Authentication` over HTTPS: consumer key/secret from the query string (preferred
//! when both are present) or HTTP Basic. An unknown key authenticates nobody (the route's
//! permission check then refuses); a known key with a wrong secret is an error of its own.

use axum::http::{HeaderMap, Method, header};
use base64::Engine;

use super::errors::WcError;
use super::params::Query;
use super::store::{KeyPermissions, Store};

pub enum Auth {
    Key(KeyPermissions),
    Anonymous,
    Failed(WcError),
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, pass) = text.split_once(':')?;
    Some((user.to_owned(), pass.to_owned()))
}

pub fn authenticate(store: &Store, q: &Query, headers: &HeaderMap) -> Auth {
    let from_query = match (q.get("consumer_key"), q.get("consumer_secret")) {
        (Some(k), Some(s)) if !k.is_empty() && !s.is_empty() => Some((k.to_owned(), s.to_owned())),
        _ => None,
    };
    let Some((key, secret)) = from_query.or_else(|| basic_credentials(headers)) else {
        return Auth::Anonymous;
    };
    if key.is_empty() || secret.is_empty() {
        return Auth::Anonymous;
    }
    match store.find_key(key.trim()) {
        None => Auth::Anonymous,
        Some(k) if k.consumer_secret != secret => Auth::Failed(WcError::new(
            401,
            "woocommerce_rest_authentication_error",
            "Consumer secret is invalid.",
        )),
        Some(k) => Auth::Key(k.permissions),
    }
}

/// `check_user_permissions`: the key's read/write scope against the HTTP method.
pub fn check_key_scope(perms: KeyPermissions, method: &Method) -> Result<(), WcError> {
    let write = matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    if write && !perms.can_write() {
        return Err(WcError::new(
            401,
            "woocommerce_rest_authentication_error",
            "The API key provided does not have write permissions.",
        ));
    }
    if !write && !perms.can_read() {
        return Err(WcError::new(
            401,
            "woocommerce_rest_authentication_error",
            "The API key provided does not have read permissions.",
        ));
    }
    Ok(())
}

/// What a route does, for its permission callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    List,
    View,
    Create,
    Edit,
    Delete,
    Batch,
}

/// The permission callback's refusal for a request nobody authenticated.
pub fn anonymous_refusal(action: Action) -> WcError {
    let (code, message) = match action {
        Action::List => (
            "woocommerce_rest_cannot_view",
            "Sorry, you cannot list resources.",
        ),
        Action::View => (
            "woocommerce_rest_cannot_view",
            "Sorry, you cannot view this resource.",
        ),
        Action::Create => (
            "woocommerce_rest_cannot_create",
            "Sorry, you are not allowed to create resources.",
        ),
        Action::Edit => (
            "woocommerce_rest_cannot_edit",
            "Sorry, you are not allowed to edit this resource.",
        ),
        Action::Delete => (
            "woocommerce_rest_cannot_delete",
            "Sorry, you are not allowed to delete this resource.",
        ),
        Action::Batch => (
            "woocommerce_rest_cannot_batch",
            "Sorry, you are not allowed to batch manipulate this resource.",
        ),
    };
    WcError::new(401, code, message)
}
