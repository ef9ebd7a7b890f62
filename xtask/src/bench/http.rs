//! A small blocking HTTP/1.1 client for the bench's own traffic: setting up carts and
//! stock, and the place-order driver. One keep-alive `TcpStream` per [`Conn`]; responses
//! are framed by `Content-Length` or chunked encoding. Loopback only, no TLS, no
//! redirects: just enough for the Store and Admin APIs.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use anyhow::{bail, Context, Result};

const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// One parsed response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub body: String,
    /// The server will close the connection after this response.
    pub close: bool,
}

/// One HTTP/1.1 connection, opened on first use and reopened after the server closes it.
pub struct Conn {
    addr: String,
    stream: Option<TcpStream>,
    /// Bytes read but not yet parsed.
    buf: Vec<u8>,
}

impl Conn {
    pub fn new(addr: &str) -> Self {
        Self {
            addr: addr.to_string(),
            stream: None,
            buf: Vec::new(),
        }
    }

    /// Sends one request and reads its response. A JSON `body` gets `Content-Type` and
    /// `Content-Length`. A kept-alive connection that turns out to be closed before any
    /// byte of the response arrived is reopened and the request sent once more.
    pub fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Result<Response> {
        let raw = format_request(&self.addr, method, path, headers, body);
        let reused = self.stream.is_some();
        match self.exchange(&raw) {
            Ok(Some(response)) => Ok(response),
            Ok(None) if reused => {
                self.reset();
                self.exchange(&raw)?.with_context(|| {
                    format!("{method} {path}: the server closed the connection without answering")
                })
            }
            Ok(None) => {
                bail!("{method} {path}: the server closed the connection without answering")
            }
            Err(err) => {
                self.reset();
                Err(err.context(format!("{method} {path}")))
            }
        }
    }

    fn reset(&mut self) {
        self.stream = None;
        self.buf.clear();
    }

    /// `Ok(None)`: the connection was closed before any byte of a response arrived.
    fn exchange(&mut self, raw: &[u8]) -> Result<Option<Response>> {
        if self.stream.is_none() {
            let stream = TcpStream::connect(&self.addr)
                .with_context(|| format!("connecting to {}", self.addr))?;
            stream
                .set_read_timeout(Some(READ_TIMEOUT))
                .context("setting a read timeout")?;
            stream.set_nodelay(true).context("setting TCP_NODELAY")?;
            self.buf.clear();
            self.stream = Some(stream);
        }
        let Some(stream) = self.stream.as_mut() else {
            bail!("no connection to {}", self.addr);
        };
        if stream.write_all(raw).is_err() {
            return Ok(None);
        }
        let mut chunk = [0u8; 16 * 1024];
        loop {
            if let Some((response, used)) = parse_message(&self.buf, false)? {
                self.buf.drain(..used);
                if response.close {
                    self.reset();
                }
                return Ok(Some(response));
            }
            let n = match stream.read(&mut chunk) {
                Ok(n) => n,
                // A reset before the first byte: the server dropped an idle connection.
                Err(err)
                    if self.buf.is_empty()
                        && matches!(
                            err.kind(),
                            std::io::ErrorKind::ConnectionReset
                                | std::io::ErrorKind::ConnectionAborted
                        ) =>
                {
                    return Ok(None);
                }
                Err(err) => return Err(err).context("reading the response"),
            };
            if n == 0 {
                if self.buf.is_empty() {
                    return Ok(None);
                }
                let parsed = parse_message(&self.buf, true)?;
                self.reset();
                return match parsed {
                    Some((response, _)) => Ok(Some(response)),
                    None => bail!("the connection closed in the middle of a response"),
                };
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

/// The bytes of one request.
pub fn format_request(
    host: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Vec<u8> {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nAccept: */*\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    match body {
        Some(body) => {
            head.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                body.len()
            ));
            let mut raw = head.into_bytes();
            raw.extend_from_slice(body.as_bytes());
            raw
        }
        None => {
            // A POST without a body still says so, or a server may wait for one.
            if method != "GET" {
                head.push_str("Content-Length: 0\r\n");
            }
            head.push_str("\r\n");
            head.into_bytes()
        }
    }
}

/// Parses one response from the front of `buf`: the response and how many bytes it used,
/// or `None` when more bytes are needed. `eof`: nothing more will arrive, so a body
/// without a length ends here (and a truncated message is an error).
pub fn parse_message(buf: &[u8], eof: bool) -> Result<Option<(Response, usize)>> {
    let Some(split) = find(buf, b"\r\n\r\n") else {
        if eof {
            bail!("no end of headers");
        }
        return Ok(None);
    };
    let head = String::from_utf8_lossy(&buf[..split]);
    let body_start = split + 4;
    let mut lines = head.lines();
    let status_line = lines.next().unwrap_or_default();
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("no status code in {status_line:?}"))?;
    let http10 = status_line.starts_with("HTTP/1.0");
    let mut content_length = None;
    let mut chunked = false;
    let mut close = http10;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim().to_ascii_lowercase();
        let value = value.trim().to_ascii_lowercase();
        match name.as_str() {
            "content-length" => {
                content_length = Some(
                    value
                        .parse::<usize>()
                        .with_context(|| format!("bad Content-Length {value:?}"))?,
                );
            }
            "transfer-encoding" => chunked = value.contains("chunked"),
            "connection" => {
                if value.contains("close") {
                    close = true;
                } else if value.contains("keep-alive") {
                    close = false;
                }
            }
            _ => {}
        }
    }
    let rest = &buf[body_start..];
    let (body, used) = if status / 100 == 1 || status == 204 || status == 304 {
        (Vec::new(), 0)
    } else if chunked {
        match dechunk(rest)? {
            Some(done) => done,
            None if eof => bail!("truncated chunked body"),
            None => return Ok(None),
        }
    } else if let Some(len) = content_length {
        if rest.len() < len {
            if eof {
                bail!("truncated body: {} of {len} bytes", rest.len());
            }
            return Ok(None);
        }
        (rest[..len].to_vec(), len)
    } else if eof {
        // No length: the body runs until the server closes the connection.
        close = true;
        (rest.to_vec(), rest.len())
    } else {
        return Ok(None);
    };
    let response = Response {
        status,
        body: String::from_utf8_lossy(&body).into_owned(),
        close,
    };
    Ok(Some((response, body_start + used)))
}

/// A chunked body from the front of `buf`: the data and the bytes used (through the
/// final empty line after any trailers), or `None` when incomplete.
pub fn dechunk(buf: &[u8]) -> Result<Option<(Vec<u8>, usize)>> {
    let mut out = Vec::new();
    let mut pos = 0;
    loop {
        let Some(line_end) = find(&buf[pos..], b"\r\n") else {
            return Ok(None);
        };
        let size_text = String::from_utf8_lossy(&buf[pos..pos + line_end]);
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16)
            .with_context(|| format!("bad chunk size {size_text:?}"))?;
        pos += line_end + 2;
        if size == 0 {
            // Trailers, each ending in CRLF, then an empty line.
            loop {
                let Some(end) = find(&buf[pos..], b"\r\n") else {
                    return Ok(None);
                };
                pos += end + 2;
                if end == 0 {
                    return Ok(Some((out, pos)));
                }
            }
        }
        if buf.len() < pos + size + 2 {
            return Ok(None);
        }
        out.extend_from_slice(&buf[pos..pos + size]);
        if &buf[pos + size..pos + size + 2] != b"\r\n" {
            bail!("a chunk does not end in CRLF");
        }
        pos += size + 2;
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(raw: &[u8], eof: bool) -> Result<Option<(u16, String, bool, usize)>> {
        Ok(parse_message(raw, eof)?.map(|(r, used)| (r.status, r.body, r.close, used)))
    }

    #[test]
    fn content_length_bodies_and_pipelined_leftovers() -> Result<()> {
        let raw = b"HTTP/1.1 201 Created\r\ncontent-length: 5\r\n\r\nhelloHTTP/1.1 200 OK\r\n";
        let first = parsed(raw, false)?;
        assert_eq!(first, Some((201, "hello".into(), false, 48)));
        // The next response has only begun.
        assert_eq!(parsed(&raw[48..], false)?, None);
        // Incomplete body: wait, unless the connection is gone.
        let short = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc";
        assert_eq!(parsed(short, false)?, None);
        assert!(parse_message(short, true).is_err());
        Ok(())
    }

    #[test]
    fn chunked_bodies_with_trailers() -> Result<()> {
        let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nWiki\r\n5\r\npedia\r\n0\r\nX-Trailer: 1\r\n\r\nNEXT";
        let (status, body, close, used) = parsed(raw, false)?.context("complete")?;
        assert_eq!((status, body.as_str(), close), (200, "Wikipedia", false));
        assert_eq!(&raw[used..], b"NEXT");
        // Every prefix is incomplete, never an error.
        for cut in 0..raw.len() - 4 {
            assert_eq!(parsed(&raw[..cut], false)?, None, "prefix of {cut} bytes");
        }
        assert!(dechunk(b"zz\r\n").is_err());
        assert!(dechunk(b"2\r\nabXY").is_err());
        Ok(())
    }

    #[test]
    fn connection_close_and_unframed_bodies() -> Result<()> {
        let raw = b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\nbusy";
        assert_eq!(parsed(raw, false)?, None);
        assert_eq!(
            parsed(raw, true)?,
            Some((503, "busy".into(), true, raw.len()))
        );
        let http10 = b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n";
        assert_eq!(parsed(http10, false)?, Some((200, String::new(), true, 38)));
        let no_content = b"HTTP/1.1 204 No Content\r\n\r\n";
        assert_eq!(
            parsed(no_content, false)?,
            Some((204, String::new(), false, 27))
        );
        assert!(parse_message(b"garbage\r\n\r\n", false).is_err());
        assert!(parse_message(b"HTTP/1.1 200", true).is_err());
        Ok(())
    }

    #[test]
    fn formats_requests() {
        let raw = format_request(
            "127.0.0.1:9",
            "POST",
            "/store/carts/c1/complete",
            &[("Idempotency-Key", "k1")],
            Some("{}"),
        );
        assert_eq!(
            String::from_utf8_lossy(&raw),
            "POST /store/carts/c1/complete HTTP/1.1\r\nHost: 127.0.0.1:9\r\nAccept: */*\r\n\
             Idempotency-Key: k1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
        );
        let get = format_request("h", "GET", "/x", &[], None);
        assert_eq!(
            String::from_utf8_lossy(&get),
            "GET /x HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n\r\n"
        );
        let empty_post = format_request("h", "POST", "/x", &[], None);
        assert!(String::from_utf8_lossy(&empty_post).ends_with("Content-Length: 0\r\n\r\n"));
    }

    #[test]
    fn keeps_a_connection_alive() -> Result<()> {
        use std::io::BufRead;
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?.to_string();
        // Answers two requests on the first connection, then closes it; answers one on
        // the second connection.
        let server = std::thread::spawn(move || -> Result<usize> {
            let mut connections = 0;
            for answers in [2usize, 1] {
                let (stream, _) = listener.accept()?;
                connections += 1;
                let mut reader = std::io::BufReader::new(stream.try_clone()?);
                let mut writer = stream;
                for i in 0..answers {
                    let mut length = 0;
                    loop {
                        let mut line = String::new();
                        reader.read_line(&mut line)?;
                        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                            length = v.trim().parse()?;
                        }
                        if line == "\r\n" {
                            break;
                        }
                    }
                    let mut body = vec![0; length];
                    reader.read_exact(&mut body)?;
                    let reply = format!("{i}:{}", String::from_utf8_lossy(&body));
                    write!(
                        writer,
                        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{reply}\r\n0\r\n\r\n",
                        reply.len()
                    )?;
                }
            }
            Ok(connections)
        });
        let mut conn = Conn::new(&addr);
        assert_eq!(conn.request("POST", "/a", &[], Some("x"))?.body, "0:x");
        assert_eq!(conn.request("POST", "/b", &[], Some("yy"))?.body, "1:yy");
        // The server closed the first connection: the client reconnects and resends.
        assert_eq!(conn.request("GET", "/c", &[], None)?.body, "0:");
        let connections = server
            .join()
            .map_err(|_| anyhow::anyhow!("the test server panicked"))??;
        assert_eq!(connections, 2);
        Ok(())
    }
}
