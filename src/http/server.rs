//! The HTTP server loop: accepts connections and serves the router on each, with the limits axum's
//! own `serve` does not set: a connection that has not sent a whole request head within
//! `header_read_timeout` — a slow or silent client, or a keep-alive connection left idle — is
//! closed, so that a flood of slow connections holds no more than sockets for a bounded time.
//! On shutdown, no new connection is accepted and those open finish their requests.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1::Builder;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// Serves `app` on `listener` until `signal` completes; then waits up to `grace` for open
/// connections to finish. Each request carries `ConnectInfo<SocketAddr>` of its peer.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    header_read_timeout: Duration,
    signal: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
) {
    // HTTP/1.1 only: its head-read timer runs from the moment a connection opens. (Detecting
    // cleartext HTTP/2 first would wait for a first byte with no timeout at all; behind a proxy,
    // which speaks HTTP/2 or HTTP/3 to browsers, the upstream is HTTP/1.1 anyway.)
    let mut builder = Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout)
        .keep_alive(true);
    let graceful = GracefulShutdown::new();
    let mut signal = std::pin::pin!(signal);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors or the like: wait a little instead of spinning.
                    tracing::warn!(error.cause = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut signal => break,
        };
        let service = app
            .clone()
            .map_request(move |req: hyper::Request<Incoming>| {
                let mut req = req.map(Body::new);
                req.extensions_mut().insert(ConnectInfo(peer));
                req
            });
        let connection =
            builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::trace!(error.cause = %e, peer = %peer, "connection ended with an error");
            }
        });
    }
    tracing::info!("shutting down: no new connections, finishing requests in flight");
    drop(listener);
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still running after the shutdown grace period; exiting anyway");
    }
}
