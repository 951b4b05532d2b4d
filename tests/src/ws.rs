//! A `graphql-transport-ws` client for the tests, over tokio-tungstenite:
//! what a dashboard's `graphql-ws` client sends, and raw frames to break
//! the protocol with.

use std::time::Duration;

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::TestApp;

/// Longest a test waits for a message that must come: generous, as a test
/// checks what arrives, never how fast.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// What the server sent.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// A protocol message.
    Message(Value),
    /// The server closed the socket with this code and reason.
    Closed(u16, String),
}

pub struct Socket {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Socket {
    /// Opens a socket offering `protocols` (none: offers nothing).
    pub async fn open_with(app: &TestApp, protocols: Option<&str>) -> anyhow::Result<Self> {
        let url = format!("{}/graphql/ws", app.address.replacen("http", "ws", 1));
        let mut req = url.into_client_request()?;
        if let Some(p) = protocols {
            req.headers_mut().insert("sec-websocket-protocol", p.parse()?);
        }
        let (ws, _) = tokio_tungstenite::connect_async(req).await?;
        Ok(Socket { ws })
    }

    /// Opens a socket speaking `graphql-transport-ws`, not yet initialised.
    pub async fn open(app: &TestApp) -> anyhow::Result<Self> {
        Self::open_with(app, Some("graphql-transport-ws")).await
    }

    /// Opens a socket and initialises it as the holder of `token` (none:
    /// anonymous), expecting the acknowledgement.
    pub async fn connect(app: &TestApp, token: Option<&str>) -> anyhow::Result<Self> {
        let mut s = Self::open(app).await?;
        let payload = token.map_or(json!({}), |t| json!({ "authorization": format!("Bearer {t}") }));
        s.send(json!({ "type": "connection_init", "payload": payload }))
            .await?;
        match s.next().await? {
            Frame::Message(m) if m["type"] == "connection_ack" => Ok(s),
            other => bail!("expected connection_ack, got {other:?}"),
        }
    }

    pub async fn send(&mut self, message: Value) -> anyhow::Result<()> {
        self.send_text(&message.to_string()).await
    }

    pub async fn send_text(&mut self, text: &str) -> anyhow::Result<()> {
        Ok(self.ws.send(Message::text(text)).await?)
    }

    /// Starts an operation under `id`.
    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) -> anyhow::Result<()> {
        self.send(
            json!({ "id": id, "type": "subscribe", "payload": { "query": query, "variables": variables } }),
        )
        .await
    }

    /// The next protocol message or close, within [`PATIENCE`].
    pub async fn next(&mut self) -> anyhow::Result<Frame> {
        loop {
            let got = tokio::time::timeout(PATIENCE, self.ws.next())
                .await
                .context("nothing arrived in time")?;
            match got {
                Some(Ok(Message::Text(t))) => return Ok(Frame::Message(serde_json::from_str(t.as_str())?)),
                Some(Ok(Message::Close(frame))) => {
                    return Ok(frame.map_or(Frame::Closed(1005, String::new()), |f| {
                        Frame::Closed(u16::from(f.code), f.reason.to_string())
                    }));
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => bail!("the socket failed: {e}"),
                None => bail!("the socket ended without a close frame"),
            }
        }
    }

    /// The next message, which must be one (not a close).
    pub async fn message(&mut self) -> anyhow::Result<Value> {
        match self.next().await? {
            Frame::Message(m) => Ok(m),
            other => bail!("expected a message, got {other:?}"),
        }
    }

    /// The code the server closes with next, skipping messages before it.
    pub async fn close_code(&mut self) -> anyhow::Result<u16> {
        loop {
            if let Frame::Closed(code, _) = self.next().await? {
                return Ok(code);
            }
        }
    }
}
