//! Socket Mode transport: a WebSocket (ws:// or wss:// with rustls and the webpki roots) to the
//! URL `apps.connections.open` hands out. Every envelope is acknowledged at once.

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;
use serde_json::{Value, json};
use tungstenite::{Message, WebSocket};

pub enum Stream {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Stream {
    fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(s) => &s.sock,
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

pub struct Socket {
    ws: WebSocket<Stream>,
}

/// What came over the socket.
pub enum Envelope {
    /// `hello`, pings, and envelopes of types gate does not use (already acknowledged).
    Other,
    /// Slack asks the client to reconnect (`disconnect`), or closed the socket.
    Reconnect(String),
    /// An `interactive` envelope's payload (already acknowledged).
    Interactive(Value),
    /// An `events_api` envelope's payload (`reaction_added`, …; already acknowledged).
    Event(Value),
}

fn tls_config() -> Result<Arc<rustls::ClientConfig>, String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(Arc::new(config))
}

impl Socket {
    pub fn connect(url: &str) -> Result<Self, String> {
        let parsed = reqwest::Url::parse(url).map_err(|e| format!("bad Socket Mode URL: {e}"))?;
        let host = parsed
            .host_str()
            .ok_or("the Socket Mode URL has no host")?
            .to_string();
        let port = parsed.port_or_known_default().unwrap_or(443);
        let addr = (host.as_str(), port)
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve {host}: {e}"))?
            .next()
            .ok_or_else(|| format!("cannot resolve {host}"))?;
        let tcp = TcpStream::connect_timeout(&addr, Duration::from_secs(5))
            .map_err(|e| format!("cannot connect to {host}:{port}: {e}"))?;
        tcp.set_read_timeout(Some(Duration::from_secs(10)))
            .map_err(|e| e.to_string())?;
        tcp.set_write_timeout(Some(Duration::from_secs(10)))
            .map_err(|e| e.to_string())?;
        let stream = match parsed.scheme() {
            "ws" => Stream::Plain(tcp),
            "wss" => {
                let name = ServerName::try_from(host.clone()).map_err(|e| e.to_string())?;
                let conn = rustls::ClientConnection::new(tls_config()?, name)
                    .map_err(|e| e.to_string())?;
                Stream::Tls(Box::new(rustls::StreamOwned::new(conn, tcp)))
            }
            other => return Err(format!("unsupported Socket Mode URL scheme {other}")),
        };
        let (ws, _) = tungstenite::client::client(url, stream)
            .map_err(|e| format!("WebSocket handshake with {host} failed: {e}"))?;
        Ok(Socket { ws })
    }

    /// Wait up to `wait` for one message; acknowledge it if it is an envelope.
    pub fn recv(&mut self, wait: Duration) -> Result<Option<Envelope>, String> {
        let wait = wait.max(Duration::from_millis(10));
        let _ = self.ws.get_ref().tcp().set_read_timeout(Some(wait));
        let msg = match self.ws.read() {
            Ok(m) => m,
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Ok(None);
            }
            Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => {
                return Ok(Some(Envelope::Reconnect("the socket was closed".into())));
            }
            Err(e) => return Err(format!("Socket Mode connection failed: {e}")),
        };
        let text = match msg {
            Message::Text(t) => t.to_string(),
            Message::Close(_) => {
                return Ok(Some(Envelope::Reconnect("Slack closed the socket".into())));
            }
            _ => return Ok(Some(Envelope::Other)),
        };
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if let Some(id) = v.get("envelope_id").and_then(Value::as_str) {
            self.ws
                .send(Message::text(json!({"envelope_id": id}).to_string()))
                .map_err(|e| format!("cannot acknowledge a Socket Mode envelope: {e}"))?;
        }
        Ok(Some(match v.get("type").and_then(Value::as_str) {
            Some("disconnect") => Envelope::Reconnect(format!(
                "Slack asked to reconnect ({})",
                v.get("reason")
                    .and_then(Value::as_str)
                    .unwrap_or("no reason")
            )),
            Some("interactive") => Envelope::Interactive(v["payload"].clone()),
            Some("events_api") => Envelope::Event(v["payload"].clone()),
            _ => Envelope::Other,
        }))
    }

    pub fn close(mut self) {
        let _ = self.ws.close(None);
        let _ = self.ws.flush();
    }
}
