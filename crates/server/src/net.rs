//! Accepting connections: a loop of our own in place of `axum::serve`, for what that cannot do.
//!
//! - A client must send a request's head within a set time (`header_read_timeout_secs`), so a
//!   connection that trickles its headers (or sends none) cannot be held open for free.
//! - Connections are capped in total and per address (`max_connections`,
//!   `max_connections_per_address`); one over a cap is closed at once. A WebSocket keeps its
//!   connection's place for as long as it lives ([`Slot`] travels with the upgrade). A trusted
//!   proxy's connections count in the total only: every client behind it shares its address,
//!   so the proxy holds each client to its share (nginx's `limit_conn`).
//! - Each request knows its peer ([`axum::extract::ConnectInfo`]), from which [`client_ip`]
//!   finds the client's address behind trusted proxies.
//!
//! Stopping: the loop stops accepting, asks every connection to finish its request in
//! progress, and waits for them a bounded time.

use crate::config::ServerConfig;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request};
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt;

/// How long stopping waits for the requests in progress.
const STOP_WAIT: Duration = Duration::from_secs(5);

/// The caps on open connections.
#[derive(Clone, Copy, Debug)]
pub struct Caps {
    pub total: usize,
    pub per_address: usize,
}

/// Open connections, counted in total and per address.
#[derive(Debug)]
pub struct Connections {
    caps: Caps,
    open: Mutex<(usize, HashMap<IpAddr, usize>)>,
}

/// One open connection's place under the caps; given back when dropped.
#[derive(Debug)]
pub struct Slot {
    connections: Arc<Connections>,
    ip: IpAddr,
}

impl Connections {
    pub fn new(caps: Caps) -> Arc<Self> {
        Arc::new(Self {
            caps,
            open: Mutex::new((0, HashMap::new())),
        })
    }

    /// A place for a new connection from `ip`, unless a cap is reached.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<Slot> {
        self.admit_from(ip, false)
    }

    /// [`Connections::admit`], the per-address cap left out for a trusted proxy.
    fn admit_from(self: &Arc<Self>, ip: IpAddr, proxy: bool) -> Option<Slot> {
        let ip = subnet(ip);
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let (total, per_address) = &mut *open;
        let mine = per_address.get(&ip).copied().unwrap_or(0);
        if *total >= self.caps.total || (!proxy && mine >= self.caps.per_address) {
            return None;
        }
        *total += 1;
        per_address.insert(ip, mine + 1);
        Some(Slot {
            connections: self.clone(),
            ip,
        })
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.open.lock().map_or(0, |o| o.0)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self
            .connections
            .open
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let (total, per_address) = &mut *open;
        *total = total.saturating_sub(1);
        if let Some(n) = per_address.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                per_address.remove(&self.ip);
            }
        }
    }
}

/// What a request carries about its connection: its place under the caps, which a WebSocket
/// takes along when it upgrades.
#[derive(Clone, Debug)]
pub struct ConnSlot(pub Arc<Slot>);

/// Serves `app` on `listener` until `stop` resolves.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    server: &ServerConfig,
    stop: impl Future<Output = ()>,
) {
    let connections = Connections::new(Caps {
        total: server.max_connections,
        per_address: server.max_connections_per_address,
    });
    let header_timeout = Duration::from_secs(u64::from(server.header_read_timeout_secs));
    let trusted = crate::config::trusted_proxies(server).unwrap_or_default();
    let (stopping, stop_rx) = watch::channel(false);
    tokio::pin!(stop);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut stop => break,
        };
        let (tcp, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors, most likely: wait for some to be given back.
                tracing::warn!("accepting a connection: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let proxy = trusted
            .iter()
            .any(|net| net.contains(&peer.ip().to_canonical()));
        let Some(slot) = connections.admit_from(peer.ip(), proxy) else {
            metrics::counter!("parley_connections_refused_total").increment(1);
            tracing::debug!(peer = %peer, "a connection over the caps was closed");
            continue;
        };
        // Small frames go at once: with Nagle's algorithm a frame written while the last one
        // is unacknowledged waits for the client's delayed ACK (40 ms on Linux), which was most
        // of the load benchmark's p99.
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!("TCP_NODELAY: {e}");
        }
        let slot = ConnSlot(Arc::new(slot));
        let app = app.clone().map_request(move |mut req: Request<_>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            req.extensions_mut().insert(slot.clone());
            req
        });
        let mut stop_rx = stop_rx.clone();
        tokio::spawn(async move {
            let service = TowerToHyperService::new(app);
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .serve_connection(TokioIo::new(tcp), service)
                .with_upgrades();
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => return,
                _ = stop_rx.wait_for(|s| *s) => conn.as_mut().graceful_shutdown(),
            }
            let _ = tokio::time::timeout(STOP_WAIT, conn).await;
        });
    }
    let _ = stopping.send(true);
    drop(stop_rx);
    // Every connection task holds a receiver until it ends.
    let _ = tokio::time::timeout(STOP_WAIT, stopping.closed()).await;
}

/// The client's address: the peer's, or when the peer is a trusted proxy, the last address in
/// `X-Forwarded-For` that is not one (proxies append the address they received from, so the
/// entries before an untrusted one could have been written by the client itself).
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[ipnet::IpNet]) -> IpAddr {
    // An IPv4 client of a dual-stack listener arrives as `::ffff:a.b.c.d`.
    let peer = peer.to_canonical();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    // Split as bytes: a client may write anything before what the proxy appends, and one bad
    // byte must not void the whole line.
    let entries: Vec<&[u8]> = headers
        .get_all("x-forwarded-for")
        .iter()
        .flat_map(|v| v.as_bytes().split(|b| *b == b','))
        .collect();
    let mut client = peer;
    for entry in entries.into_iter().rev() {
        // Past an entry that is no address, nothing is worth believing.
        let Some(ip) = std::str::from_utf8(entry)
            .ok()
            .and_then(|e| e.trim().parse::<IpAddr>().ok())
        else {
            break;
        };
        client = ip.to_canonical();
        if !is_trusted(&client) {
            break;
        }
    }
    client
}

/// What per-address limits count: an IPv4 address, or the /64 network of an IPv6 one (a
/// single subscriber is routinely given a whole /64, so its addresses are one client's).
pub fn subnet(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(bits.into())
        }
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_are_capped_in_total_and_per_address_and_given_back() {
        let c = Connections::new(Caps {
            total: 3,
            per_address: 2,
        });
        let a: IpAddr = "10.0.0.1".parse().expect("ip");
        let b: IpAddr = "10.0.0.2".parse().expect("ip");
        let a1 = c.admit(a).expect("first");
        let _a2 = c.admit(a).expect("second");
        assert!(c.admit(a).is_none(), "a third from one address");
        let _b1 = c.admit(b).expect("another address");
        assert!(c.admit(b).is_none(), "the total is reached");
        assert_eq!(c.open(), 3);
        drop(a1);
        assert_eq!(c.open(), 2);
        assert!(c.admit(b).is_some(), "a place was given back");
        let v6 = |s: &str| s.parse::<IpAddr>().expect("ip");
        let c = Connections::new(Caps {
            total: 10,
            per_address: 1,
        });
        let _one = c.admit(v6("2001:db8:1:2::1")).expect("first");
        assert!(
            c.admit(v6("2001:db8:1:2:ffff::9")).is_none(),
            "one /64 is one client"
        );
        assert!(c.admit(v6("2001:db8:1:3::1")).is_some());
        let _proxy = c.admit_from(a, true).expect("a proxy");
        assert!(
            c.admit_from(a, true).is_some(),
            "a proxy has no per-address cap"
        );
    }

    #[test]
    fn the_client_address_comes_from_forwarded_for_only_behind_a_trusted_proxy() {
        let trusted: Vec<ipnet::IpNet> = vec!["10.0.0.0/8".parse().expect("net")];
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "1.2.3.4, 198.51.100.7, 10.0.0.9".parse().expect("header"),
        );
        let proxy: IpAddr = "10.0.0.5".parse().expect("ip");
        let stranger: IpAddr = "203.0.113.1".parse().expect("ip");
        assert_eq!(
            client_ip(proxy, &headers, &trusted),
            "198.51.100.7".parse::<IpAddr>().expect("ip"),
            "the last untrusted entry: the client could have written 1.2.3.4 itself"
        );
        assert_eq!(
            client_ip(stranger, &headers, &trusted),
            stranger,
            "anyone else's header is not believed"
        );
        assert_eq!(client_ip(proxy, &HeaderMap::new(), &trusted), proxy);
        headers.insert("x-forwarded-for", "garbage".parse().expect("header"));
        assert_eq!(client_ip(proxy, &headers, &trusted), proxy);
        let raw = axum::http::HeaderValue::from_bytes(b"\xff, 198.51.100.7").expect("header");
        headers.insert("x-forwarded-for", raw);
        assert_eq!(
            client_ip(proxy, &headers, &trusted),
            "198.51.100.7".parse::<IpAddr>().expect("ip"),
            "a bad byte before the proxy's entry voids nothing"
        );
        let mapped: IpAddr = "::ffff:10.0.0.5".parse().expect("ip");
        assert_eq!(
            client_ip(mapped, &headers, &trusted),
            "198.51.100.7".parse::<IpAddr>().expect("ip"),
            "a mapped IPv4 proxy is the proxy"
        );
        headers.insert(
            "x-forwarded-for",
            "1.2.3.4, garbage, 10.0.0.9".parse().expect("header"),
        );
        assert_eq!(
            client_ip(proxy, &headers, &trusted),
            "10.0.0.9".parse::<IpAddr>().expect("ip"),
            "the last address a trusted proxy vouched for"
        );
    }
}
