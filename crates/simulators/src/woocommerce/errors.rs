//! WordPress REST error bodies (`{"code","message","data":{"status",...}}`) and the HTML pages
//! hosts and firewalls answer with.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

/// A `WP_Error` as the REST server serialises it.
#[derive(Debug, Clone, PartialEq)]
pub struct WcError {
    pub status: u16,
    pub code: String,
    pub message: String,
    /// Extra members of `data` besides `status`.
    pub data: Map<String, Value>,
}

impl WcError {
    pub fn new(status: u16, code: &str, message: &str) -> Self {
        Self {
            status,
            code: code.to_owned(),
            message: message.to_owned(),
            data: Map::new(),
        }
    }

    pub fn with(mut self, key: &str, value: Value) -> Self {
        self.data.insert(key.to_owned(), value);
        self
    }

    pub fn data_value(&self) -> Value {
        let mut data = Map::new();
        data.insert("status".into(), json!(self.status));
        for (k, v) in &self.data {
            data.insert(k.clone(), v.clone());
        }
        Value::Object(data)
    }

    pub fn body(&self) -> Value {
        json!({"code": self.code, "message": self.message, "data": self.data_value()})
    }

    pub fn no_route() -> Self {
        Self::new(
            404,
            "rest_no_route",
            "No route was found matching the URL and request method.",
        )
    }

    pub fn invalid_id(post_type: &str, status: u16) -> Self {
        Self::new(
            status,
            &format!("woocommerce_rest_{post_type}_invalid_id"),
            "Invalid ID.",
        )
    }

    /// `rest_invalid_param` as WordPress's argument validation produces it.
    pub fn invalid_param(param: &str, detail_code: &str, detail: &str) -> Self {
        Self::new(
            400,
            "rest_invalid_param",
            &format!("Invalid parameter(s): {param}"),
        )
        .with("params", json!({ param: detail }))
        .with(
            "details",
            json!({ param: {"code": detail_code, "message": detail, "data": null} }),
        )
    }

    pub fn invalid_json() -> Self {
        Self::new(400, "rest_invalid_json", "Invalid JSON body passed.")
            .with("json_error_code", json!(4))
            .with("json_error_message", json!("Syntax error"))
    }

    /// What `wp_die` answers when PHP hits a fatal error during a REST request.
    pub fn critical() -> Self {
        Self::new(
            500,
            "internal_server_error",
            "<p>There has been a critical error on this website.</p><p><a href=\"https://wordpress.org/documentation/article/faq-troubleshooting/\">Learn more about troubleshooting WordPress.</a></p>",
        )
    }

    pub fn into_response(self) -> Response {
        json_response(self.status, &self.body(), &[])
    }
}

pub fn json_response(status: u16, body: &Value, headers: &[(&'static str, String)]) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = (code, body.to_string()).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=UTF-8"),
    );
    for (name, value) in headers {
        if let Ok(v) = HeaderValue::from_str(value) {
            resp.headers_mut().insert(*name, v);
        }
    }
    resp
}

/// An HTML page from the web server or a firewall in front of WordPress.
pub fn html_response(status: u16, title: &str, text: &str, retry_after: Option<&str>) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let body = format!(
        "<!DOCTYPE html>\n<html><head><title>{status} {title}</title>\n<style>body{{font-family:sans-serif}}</style></head>\n<body><h1>{title}</h1>\n<p>{text}</p>\n<hr><address>nginx</address></body></html>\n"
    );
    let mut resp = (code, body).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=UTF-8"),
    );
    if let Some(v) = retry_after.and_then(|r| HeaderValue::from_str(r).ok()) {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}
