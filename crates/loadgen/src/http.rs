//! The two HTTP calls the load generator makes, over a plain TCP stream.

use parley_protocol::InteractionId;
use serde_json::{json, Value};
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn post(addr: SocketAddr, path: &str, body: Value) -> Result<Value, String> {
    let mut stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let body = body.to_string();
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream
        .write_all(req.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .await
        .map_err(|e| e.to_string())?;
    let raw = String::from_utf8_lossy(&raw);
    let (head, body) = raw.split_once("\r\n\r\n").ok_or("no HTTP answer")?;
    if !head.starts_with("HTTP/1.1 200") {
        return Err(format!(
            "{path}: {}",
            head.lines().next().unwrap_or_default()
        ));
    }
    serde_json::from_str(body).map_err(|e| format!("{path}: {e}"))
}

pub async fn login(addr: SocketAddr, user: &str, password: &str) -> Result<String, String> {
    let v = post(
        addr,
        "/api/login",
        json!({"username": user, "password": password}),
    )
    .await?;
    v["token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| "no token".into())
}

pub async fn start_chat(addr: SocketAddr, name: &str) -> Result<(InteractionId, String), String> {
    let v = post(addr, "/api/chats", json!({"name": name, "text": "hello"})).await?;
    let ix = v["interaction"].as_str().ok_or("no interaction")?;
    let token = v["token"].as_str().ok_or("no token")?;
    Ok((InteractionId(ix.into()), token.into()))
}
