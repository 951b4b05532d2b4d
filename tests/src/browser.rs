//! Headless Chromium driven over the DevTools protocol (JSON over a
//! WebSocket), for tests of the dashboard page: commands and their answers,
//! and a log of every request the page makes.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Debian's `chromium`, or the browser `CHROMIUM` names.
pub fn chromium() -> Option<PathBuf> {
    std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .into_iter()
        .chain(["/usr/bin/chromium", "/usr/bin/chromium-browser"].map(PathBuf::from))
        .find(|p| p.is_file())
}

/// Whether a missing browser must fail its test: `.ci/run` sets `CI`, and
/// a bare `cargo test` on a machine without one reports it as skipped.
pub fn required() -> bool {
    std::env::var_os("CI").is_some()
}

pub struct Browser {
    /// Killed when the browser is dropped; `None` in a second tab.
    _process: Option<Child>,
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// Removed when the browser is dropped; `None` in a second tab.
    profile: Option<PathBuf>,
    /// The DevTools HTTP port.
    port: u16,
    next_id: u64,
    /// Every URL the page requested (documents, scripts, fetches, sockets).
    pub requests: Vec<String>,
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(p) = &self.profile {
            let _ = std::fs::remove_dir_all(p);
        }
    }
}

impl Browser {
    /// Starts the browser with a fresh profile. It resolves no host name
    /// except 127.0.0.1, so a page that reached for the internet would fail
    /// to load it (and the request log would show it).
    pub async fn launch(exe: &Path) -> anyhow::Result<Browser> {
        let profile = std::env::temp_dir().join(format!(
            "cp_chromium_{}_{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        ));
        std::fs::create_dir_all(&profile)?;
        let process = Command::new(exe)
            .args([
                "--headless",
                // As root (containers, CI) Chromium's sandbox cannot start.
                "--no-sandbox",
                "--disable-gpu",
                // Containers often give /dev/shm only 64 MB.
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                "--window-size=1280,1024",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", exe.display()))?;
        // Chromium writes the port it listens on into the profile.
        let port_file = profile.join("DevToolsActivePort");
        let mut port = None;
        for _ in 0..600 {
            if let Some(p) = std::fs::read_to_string(&port_file)
                .ok()
                .and_then(|t| t.lines().next().and_then(|l| l.trim().parse::<u16>().ok()))
            {
                port = Some(p);
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let port = port.context("Chromium did not open its DevTools port")?;
        let targets: Value = reqwest::get(format!("http://127.0.0.1:{port}/json/list"))
            .await?
            .json()
            .await?;
        let page = targets
            .as_array()
            .and_then(|t| t.iter().find(|t| t["type"] == "page"))
            .and_then(|t| t["webSocketDebuggerUrl"].as_str())
            .context("Chromium shows no page")?;
        Self::attach(page, Some(process), Some(profile), port).await
    }

    async fn attach(
        page: &str,
        process: Option<Child>,
        profile: Option<PathBuf>,
        port: u16,
    ) -> anyhow::Result<Browser> {
        let (socket, _) = tokio_tungstenite::connect_async(page).await?;
        let mut browser = Browser {
            _process: process,
            socket,
            profile,
            port,
            next_id: 0,
            requests: Vec::new(),
        };
        browser.call("Network.enable", json!({})).await?;
        browser.call("Page.enable", json!({})).await?;
        Ok(browser)
    }

    /// Another tab of the same browser (same cookies; its own
    /// sessionStorage), with its own request log. Drop it before the first.
    pub async fn new_tab(&self) -> anyhow::Result<Browser> {
        let target: Value = reqwest::Client::new()
            .put(format!("http://127.0.0.1:{}/json/new?about:blank", self.port))
            .send()
            .await?
            .json()
            .await?;
        let page = target["webSocketDebuggerUrl"]
            .as_str()
            .context("Chromium opened no tab")?;
        Self::attach(page, None, None, self.port).await
    }

    /// Waits (within about 30 s) until `condition`, a JavaScript
    /// expression, is truthy in the page, whichever page that is by then:
    /// a navigation meanwhile is waited through.
    pub async fn wait_for(&mut self, condition: &str) -> anyhow::Result<Value> {
        for _ in 0..300 {
            if let Ok(v) = self.evaluate(condition).await
                && !v.is_null()
                && v != json!(false)
                && v != json!("")
                && v != json!(0)
            {
                return Ok(v);
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let at = self
            .evaluate("location.href + ': ' + document.body.innerText.slice(0, 3000)")
            .await
            .unwrap_or_default();
        bail!("waited in vain for `{condition}` at {at}")
    }

    /// Types text into the focused element, as a keyboard would.
    pub async fn type_text(&mut self, text: &str) -> anyhow::Result<()> {
        self.call("Input.insertText", json!({ "text": text })).await?;
        Ok(())
    }

    /// Enter pressed in the focused element: a button's activation, a
    /// form's submission.
    pub async fn enter(&mut self) -> anyhow::Result<()> {
        self.call(
            "Input.dispatchKeyEvent",
            json!({ "type": "keyDown", "key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13, "text": "\r" }),
        )
        .await?;
        self.call(
            "Input.dispatchKeyEvent",
            json!({ "type": "keyUp", "key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13 }),
        )
        .await?;
        Ok(())
    }

    /// Chooses `file` in the file input `selector` picks, as a person
    /// choosing it in the dialog would (a `change` event follows).
    pub async fn set_file(&mut self, selector: &str, file: &Path) -> anyhow::Result<()> {
        let doc = self.call("DOM.getDocument", json!({})).await?;
        let node = self
            .call(
                "DOM.querySelector",
                json!({ "nodeId": doc["root"]["nodeId"], "selector": selector }),
            )
            .await?;
        self.call(
            "DOM.setFileInputFiles",
            json!({ "nodeId": node["nodeId"], "files": [file.display().to_string()] }),
        )
        .await?;
        Ok(())
    }

    async fn receive(&mut self) -> anyhow::Result<Value> {
        loop {
            match self
                .socket
                .next()
                .await
                .context("Chromium closed the DevTools socket")??
            {
                Message::Text(text) => return Ok(serde_json::from_str(text.as_str())?),
                Message::Close(_) => bail!("Chromium closed the DevTools socket"),
                _ => {}
            }
        }
    }

    /// Sends a DevTools command and returns its result, logging the page's
    /// requests from the events that arrive meanwhile.
    pub async fn call(&mut self, method: &str, params: Value) -> anyhow::Result<Value> {
        self.next_id += 1;
        let id = self.next_id;
        let command = json!({ "id": id, "method": method, "params": params });
        self.socket
            .send(Message::Text(command.to_string().into()))
            .await?;
        loop {
            let message = self.next_message().await?;
            if message["id"] == id {
                if let Some(e) = message.get("error") {
                    bail!("{method}: {e}");
                }
                return Ok(message["result"].clone());
            }
        }
    }

    /// The next message from the browser, noting the requests it reports.
    async fn next_message(&mut self) -> anyhow::Result<Value> {
        let message = self.receive().await?;
        let url = match message["method"].as_str() {
            Some("Network.requestWillBeSent") => &message["params"]["request"]["url"],
            Some("Network.webSocketCreated") => &message["params"]["url"],
            _ => return Ok(message),
        };
        self.requests.push(url.as_str().unwrap_or_default().to_owned());
        Ok(message)
    }

    /// Opens `url` and waits until the page has loaded (its scripts have run;
    /// what they fetch may still be on its way).
    pub async fn navigate(&mut self, url: &str) -> anyhow::Result<()> {
        self.call("Page.navigate", json!({ "url": url })).await?;
        while self.next_message().await?["method"] != "Page.loadEventFired" {}
        Ok(())
    }

    /// Evaluates an expression in the page, awaiting it if it is a promise,
    /// and returns its value as JSON.
    pub async fn evaluate(&mut self, expression: &str) -> anyhow::Result<Value> {
        let r = self
            .call(
                "Runtime.evaluate",
                json!({ "expression": expression, "awaitPromise": true, "returnByValue": true }),
            )
            .await?;
        if let Some(e) = r.get("exceptionDetails") {
            bail!("the page threw: {e}");
        }
        Ok(r["result"]["value"].clone())
    }

    /// A key pressed and released in the focused element.
    pub async fn press(&mut self, key: &str, code: u32) -> anyhow::Result<()> {
        for kind in ["keyDown", "keyUp"] {
            self.call(
                "Input.dispatchKeyEvent",
                json!({ "type": kind, "key": key, "code": key, "windowsVirtualKeyCode": code }),
            )
            .await?;
        }
        Ok(())
    }

    /// A PNG of the whole page, however long.
    pub async fn screenshot(&mut self, file: &Path) -> anyhow::Result<()> {
        use base64::Engine;
        let metrics = self.call("Page.getLayoutMetrics", json!({})).await?;
        let size = &metrics["cssContentSize"];
        let shot = self
            .call(
                "Page.captureScreenshot",
                json!({
                    "format": "png",
                    "captureBeyondViewport": true,
                    "clip": { "x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1 }
                }),
            )
            .await?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().context("no screenshot data")?)?;
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir)?;
        }
        Ok(std::fs::write(file, png)?)
    }
}
