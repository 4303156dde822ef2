//! A websocket client of the live channel for tests and the load tool.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// What came next from the server.
#[derive(Debug, Clone, PartialEq)]
pub enum Next {
    Json(Value),
    Closed(Option<u16>),
    Timeout,
}

#[derive(Debug)]
pub struct LiveClient {
    pub ws: Ws,
}

/// `ws://127.0.0.1:<port>/api/v1/meetings/<id>/live`.
pub fn live_url(port: u16, meeting_id: &str) -> String {
    format!("ws://127.0.0.1:{port}/api/v1/meetings/{meeting_id}/live")
}

impl LiveClient {
    /// Opens the socket (optionally with an `Origin` header) without saying hello.
    pub async fn open(
        url: &str,
        origin: Option<&str>,
    ) -> Result<Self, tokio_tungstenite::tungstenite::Error> {
        let mut request = url.into_client_request()?;
        if let Some(o) = origin {
            request.headers_mut().insert(
                "origin",
                o.parse().map_err(|_| {
                    tokio_tungstenite::tungstenite::Error::Url(
                        tokio_tungstenite::tungstenite::error::UrlError::NoHostName,
                    )
                })?,
            );
        }
        let (ws, _) = tokio_tungstenite::connect_async(request).await?;
        Ok(Self { ws })
    }

    /// Opens and says hello.
    pub async fn join(url: &str, token: &str, last_seq: i64) -> Self {
        let mut c = Self::open(url, None)
            .await
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
        c.send(json!({"type": "hello", "token": token, "last_seq": last_seq}))
            .await;
        c
    }

    pub async fn send(&mut self, v: Value) {
        self.ws
            .send(Message::text(v.to_string()))
            .await
            .unwrap_or_else(|e| panic!("send: {e}"));
    }

    pub async fn send_raw(&mut self, text: String) -> bool {
        self.ws.send(Message::text(text)).await.is_ok()
    }

    /// The next JSON message, skipping pings; or how the socket ended.
    pub async fn next(&mut self, wait: Duration) -> Next {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => return Next::Timeout,
                Ok(None) => return Next::Closed(None),
                Ok(Some(Err(_))) => return Next::Closed(None),
                Ok(Some(Ok(Message::Text(t)))) => {
                    return Next::Json(serde_json::from_str(t.as_str()).unwrap_or(Value::Null));
                }
                Ok(Some(Ok(Message::Close(frame)))) => {
                    return Next::Closed(frame.map(|f| u16::from(f.code)));
                }
                Ok(Some(Ok(_))) => continue,
            }
        }
    }

    /// The next JSON message (panics otherwise).
    pub async fn json(&mut self) -> Value {
        match self.next(Duration::from_secs(10)).await {
            Next::Json(v) => v,
            other => panic!("expected a message, got {other:?}"),
        }
    }

    /// Messages until one matches `pred`, which is returned; skipped ones are kept in order.
    pub async fn until(&mut self, mut pred: impl FnMut(&Value) -> bool) -> (Value, Vec<Value>) {
        let mut skipped = Vec::new();
        loop {
            let v = self.json().await;
            if pred(&v) {
                return (v, skipped);
            }
            skipped.push(v);
        }
    }

    /// Durable events (with a seq) until `welcome`, which is returned last.
    pub async fn replay(&mut self) -> (Vec<Value>, i64) {
        let (welcome, before) = self.until(|v| v["type"] == "welcome").await;
        let events = before
            .into_iter()
            .filter(|v| v.get("seq").is_some())
            .collect();
        (events, welcome["seq"].as_i64().unwrap_or(-1))
    }

    /// Waits for the close code.
    pub async fn closed(&mut self, wait: Duration) -> Option<u16> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next(left).await {
                Next::Closed(code) => return code,
                Next::Timeout => return None,
                Next::Json(_) => continue,
            }
        }
    }
}
