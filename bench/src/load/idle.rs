//! Idle keep-alive connections: N raw TCP connections, each with one HTTP/1.1 request
//! (`GET /health/live`) at the start, held without traffic through the run, and one more request on
//! each at the end to see how many the server still serves.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinSet;

/// How long one request on an idle connection may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// Connections opened (or checked) at once.
const PARALLEL: usize = 64;
/// Errors kept as samples.
const SAMPLES: usize = 5;

/// The end of a response's head, and how its body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// The status code.
    pub status: u16,
    /// Bytes of the head, the blank line included.
    pub len: usize,
    /// `Content-Length`, or `None` for a chunked body.
    pub body: Option<usize>,
    /// Whether the server announced it closes the connection.
    pub close: bool,
}

/// Parses a response head from the start of `buf`; `Ok(None)` while incomplete.
pub fn parse_head(buf: &[u8]) -> anyhow::Result<Option<Head>> {
    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Ok(None);
    };
    let text = std::str::from_utf8(&buf[..end]).context("a response head that is not UTF-8")?;
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.split(' ');
    if !parts.next().unwrap_or_default().starts_with("HTTP/1.") {
        bail!("not an HTTP/1 response: {status_line}");
    }
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("no status in {status_line}"))?;
    let mut body = Some(0);
    let mut close = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => body = Some(value.parse().context("a bad Content-Length")?),
            "transfer-encoding" if value.eq_ignore_ascii_case("chunked") => body = None,
            "connection" if value.eq_ignore_ascii_case("close") => close = true,
            _ => {}
        }
    }
    Ok(Some(Head {
        status,
        len: end + 4,
        body,
        close,
    }))
}

/// One request on an open connection; returns the status once the whole response is read.
async fn request(stream: &mut TcpStream, host: &str) -> anyhow::Result<u16> {
    let req = format!(
        "GET /health/live HTTP/1.1\r\nHost: {host}\r\nUser-Agent: fitnesscrm-bench\r\n\r\n"
    );
    stream.write_all(req.as_bytes()).await?;
    let mut buf = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            bail!("the server closed the connection");
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(head) = parse_head(&buf)? {
            let done = match head.body {
                Some(len) => buf.len() >= head.len + len,
                None => buf[head.len..].ends_with(b"0\r\n\r\n"),
            };
            if done {
                if head.close {
                    bail!("the server announced it closes the connection");
                }
                return Ok(head.status);
            }
        }
    }
}

async fn checked(stream: &mut TcpStream, host: &str) -> anyhow::Result<()> {
    let status = tokio::time::timeout(REQUEST_TIMEOUT, request(stream, host))
        .await
        .context("timed out")??;
    if status != 200 {
        bail!("status {status}");
    }
    Ok(())
}

/// The held connections and how opening them went.
#[derive(Debug, Default)]
pub struct Idle {
    /// Connections that answered their first request.
    pub conns: Vec<TcpStream>,
    /// Connections asked for.
    pub requested: usize,
    /// Connections that could not be opened or did not answer.
    pub failed: usize,
    /// The first failures.
    pub errors: Vec<String>,
}

/// How the held connections did at the end.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdleResult {
    /// Connections asked for.
    pub requested: usize,
    /// Opened and answered at the start.
    pub opened: usize,
    /// Still answered a request at the end.
    pub usable_at_end: usize,
    /// The first failures, at the start or at the end.
    pub errors: Vec<String>,
}

/// Opens `n` connections to `addr`, one request each, `PARALLEL` at a time.
pub async fn open(addr: SocketAddr, host: String, n: usize) -> Idle {
    let mut idle = Idle {
        requested: n,
        ..Idle::default()
    };
    let mut tasks = JoinSet::new();
    let mut started = 0;
    while started < n || !tasks.is_empty() {
        while started < n && tasks.len() < PARALLEL {
            let host = host.clone();
            tasks.spawn(async move {
                let mut s = tokio::time::timeout(REQUEST_TIMEOUT, TcpStream::connect(addr))
                    .await
                    .context("connect timed out")?
                    .context("connect")?;
                checked(&mut s, &host).await?;
                anyhow::Ok(s)
            });
            started += 1;
        }
        match tasks.join_next().await {
            Some(Ok(Ok(s))) => idle.conns.push(s),
            Some(Ok(Err(e))) => note(&mut idle.failed, &mut idle.errors, format!("open: {e:#}")),
            Some(Err(e)) => note(&mut idle.failed, &mut idle.errors, format!("open: {e}")),
            None => break,
        }
    }
    idle
}

fn note(count: &mut usize, errors: &mut Vec<String>, e: String) {
    *count += 1;
    if errors.len() < SAMPLES {
        errors.push(e);
    }
}

/// One more request on every held connection; how many still work.
pub async fn recheck(idle: Idle, host: String) -> IdleResult {
    let mut result = IdleResult {
        requested: idle.requested,
        opened: idle.conns.len(),
        usable_at_end: 0,
        errors: idle.errors,
    };
    let mut failed = 0;
    let mut conns = idle.conns.into_iter();
    let mut tasks = JoinSet::new();
    loop {
        while tasks.len() < PARALLEL {
            let Some(mut s) = conns.next() else { break };
            let host = host.clone();
            tasks.spawn(async move { checked(&mut s, &host).await });
        }
        match tasks.join_next().await {
            Some(Ok(Ok(()))) => result.usable_at_end += 1,
            Some(Ok(Err(e))) => note(
                &mut failed,
                &mut result.errors,
                format!("at the end: {e:#}"),
            ),
            Some(Err(e)) => note(&mut failed, &mut result.errors, format!("at the end: {e}")),
            None => break,
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_are_parsed_once_complete() {
        let resp = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nContent-Length: 15\r\n\r\n{\"status\":\"ok\"}";
        assert_eq!(parse_head(&resp[..20]).unwrap(), None);
        let head = parse_head(resp).unwrap().unwrap();
        assert_eq!(head.status, 200);
        assert_eq!(head.body, Some(15));
        assert_eq!(head.len + 15, resp.len());
        assert!(!head.close);
    }

    #[test]
    fn chunked_closing_and_bad_heads_are_recognised() {
        let chunked = b"HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
        let head = parse_head(chunked).unwrap().unwrap();
        assert_eq!((head.status, head.body, head.close), (503, None, true));
        assert!(parse_head(b"SSH-2.0-OpenSSH\r\n\r\n").is_err());
        assert!(parse_head(b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n").is_err());
        let no_length = parse_head(b"HTTP/1.1 204 No Content\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(no_length.body, Some(0));
    }
}
