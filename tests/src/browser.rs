//! Headless Chromium driven over the DevTools protocol, for tests of the
//! dashboard page: just enough of a WebSocket client (RFC 6455, text frames,
//! client to server masked) to send commands and read their answers, and a
//! log of every request the page makes.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{Context, bail};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

/// Debian's `chromium`, or the browser `CHROMIUM` names.
pub fn chromium() -> Option<PathBuf> {
    std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .into_iter()
        .chain(["/usr/bin/chromium", "/usr/bin/chromium-browser"].map(PathBuf::from))
        .find(|p| p.is_file())
}

/// Whether a missing tool must fail its test: `.ci/run` sets `CI`, and a
/// bare `cargo test` on a machine without the tool reports it as skipped.
pub fn required() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false")
}

pub struct Browser {
    /// Killed when the browser is dropped.
    _process: Child,
    socket: BufReader<TcpStream>,
    profile: PathBuf,
    next_id: u64,
    /// Every URL the page requested (documents, scripts, fetches, sockets).
    pub requests: Vec<String>,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.profile);
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
        let path = page
            .strip_prefix(&format!("ws://127.0.0.1:{port}"))
            .context("unexpected DevTools address")?;
        let mut socket = BufReader::new(TcpStream::connect(("127.0.0.1", port)).await?);
        socket
            .get_mut()
            .write_all(
                format!(
                    "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n\
                     Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
                     Sec-WebSocket-Version: 13\r\n\r\n"
                )
                .as_bytes(),
            )
            .await?;
        let mut status = String::new();
        socket.read_line(&mut status).await?;
        if !status.contains(" 101 ") {
            bail!("DevTools refused the WebSocket: {status}");
        }
        loop {
            let mut line = String::new();
            socket.read_line(&mut line).await?;
            if line.trim().is_empty() {
                break;
            }
        }
        let mut browser = Browser {
            _process: process,
            socket,
            profile,
            next_id: 0,
            requests: Vec::new(),
        };
        browser.call("Network.enable", json!({})).await?;
        browser.call("Page.enable", json!({})).await?;
        Ok(browser)
    }

    async fn send(&mut self, text: &str) -> anyhow::Result<()> {
        let payload = text.as_bytes();
        let mut frame = vec![0x81]; // one final text frame
        match payload.len() {
            n if n < 126 => frame.push(0x80 | u8::try_from(n)?),
            n if n <= usize::from(u16::MAX) => {
                frame.push(0x80 | 126);
                frame.extend(u16::try_from(n)?.to_be_bytes());
            }
            n => {
                frame.push(0x80 | 127);
                frame.extend(u64::try_from(n)?.to_be_bytes());
            }
        }
        // A client must mask its frames; a zero mask leaves the bytes as they are.
        frame.extend([0; 4]);
        frame.extend(payload);
        Ok(self.socket.get_mut().write_all(&frame).await?)
    }

    async fn receive(&mut self) -> anyhow::Result<Value> {
        let mut message = Vec::new();
        loop {
            let mut head = [0; 2];
            self.socket.read_exact(&mut head).await?;
            let (fin, opcode) = (head[0] & 0x80 != 0, head[0] & 0x0f);
            let len = match head[1] & 0x7f {
                126 => {
                    let mut b = [0; 2];
                    self.socket.read_exact(&mut b).await?;
                    u64::from(u16::from_be_bytes(b))
                }
                127 => {
                    let mut b = [0; 8];
                    self.socket.read_exact(&mut b).await?;
                    u64::from_be_bytes(b)
                }
                n => u64::from(n),
            };
            let mut payload = vec![0; usize::try_from(len)?];
            self.socket.read_exact(&mut payload).await?;
            match opcode {
                0x8 => bail!("Chromium closed the DevTools socket"),
                0x0..=0x2 => {
                    message.extend(payload);
                    if fin {
                        return Ok(serde_json::from_slice(&message)?);
                    }
                }
                _ => {} // pings and pongs
            }
        }
    }

    /// Sends a DevTools command and returns its result, logging the page's
    /// requests from the events that arrive meanwhile.
    pub async fn call(&mut self, method: &str, params: Value) -> anyhow::Result<Value> {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({ "id": id, "method": method, "params": params }).to_string())
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
