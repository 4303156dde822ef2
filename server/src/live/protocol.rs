//! Wire messages of the live channel. Requests are parsed loosely first (to answer an unknown
//! type with an error carrying the request's `ref`), then into their typed form.

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Deserialize)]
pub struct Hello {
    pub token: String,
    #[serde(default)]
    pub last_seq: Option<i64>,
}

#[derive(Debug, Deserialize)]
pub struct Auth {
    pub token: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct PresenterPage {
    pub document_id: String,
    pub page: u32,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Stroke {
    pub document_id: String,
    pub page: u32,
    pub stroke_id: String,
    pub points: Vec<Vec<f64>>,
    pub color: String,
    pub width: f64,
}

/// `{"type":"ballot","ref","poll_id","choice","key"?,"comment"?}`; the idempotency key
/// defaults to the request's `ref`.
#[derive(Debug, Clone, Deserialize)]
pub struct Ballot {
    pub poll_id: String,
    pub choice: String,
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default)]
    pub comment: Option<String>,
}

/// A client request: its type, its `ref` (echoed in the answer) and the whole object.
#[derive(Debug)]
pub struct Request {
    pub kind: String,
    pub reference: Option<Value>,
    pub body: Value,
}

impl Request {
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let body: Value = serde_json::from_str(text).map_err(|_| "malformed")?;
        let kind = body
            .get("type")
            .and_then(Value::as_str)
            .ok_or("malformed")?
            .to_owned();
        Ok(Self {
            kind,
            reference: body.get("ref").cloned(),
            body,
        })
    }

    /// The `ref` as an idempotency key: a string as it is, a number in decimal.
    pub fn reference_key(&self) -> Option<String> {
        match &self.reference {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        }
    }

    pub fn typed<T: for<'de> Deserialize<'de>>(&self) -> Result<T, &'static str> {
        serde_json::from_value(self.body.clone()).map_err(|_| "invalid_request")
    }
}

/// `{"type":"error","ref","code","detail"}`.
pub fn error(reference: Option<&Value>, code: &str, detail: &str) -> String {
    serde_json::json!({"type": "error", "ref": reference, "code": code, "detail": detail})
        .to_string()
}

/// `{"type":"ack","ref",…extra}`.
pub fn ack(reference: Option<&Value>, extra: Value) -> String {
    let mut v = serde_json::json!({"type": "ack", "ref": reference});
    if let (Some(obj), Value::Object(more)) = (v.as_object_mut(), extra) {
        obj.extend(more);
    }
    v.to_string()
}

/// An ephemeral event: no seq, never stored or replayed.
pub fn ephemeral(kind: &str, data: &impl Serialize) -> String {
    serde_json::json!({"type": kind, "at": chrono::Utc::now(), "data": data}).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_keep_their_ref() {
        let r = Request::parse(r#"{"type":"ping","ref":7}"#).unwrap();
        assert_eq!(r.kind, "ping");
        assert_eq!(r.reference, Some(Value::from(7)));
        assert!(Request::parse("{nope").is_err());
        assert!(Request::parse(r#"{"ref":1}"#).is_err());
        let a = ack(r.reference.as_ref(), serde_json::json!({"seq": 3}));
        assert_eq!(a, r#"{"ref":7,"seq":3,"type":"ack"}"#);
    }
}
