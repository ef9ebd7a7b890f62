//! Just enough of PostgreSQL's wire protocol (v3, simple queries, trust authentication) to
//! create and drop the bench's database, so the bench needs neither `psql` nor a driver.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};

/// Databases made by the bench are named `emporium_bench_<unix seconds>_<pid>`.
pub const DB_PREFIX: &str = "emporium_bench_";
/// Bench databases older than this were left by a run that was killed: dropped.
const STALE_AFTER: Duration = Duration::from_secs(2 * 60 * 60);
const TIMEOUT: Duration = Duration::from_secs(30);

/// A server URL `postgres://user@host:port[/db]` (a password, if any, is not used: the
/// bench relies on trust authentication, as on the project's machines).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgServer {
    pub user: String,
    /// `host:port`.
    pub host_port: String,
}

impl PgServer {
    pub fn parse(url: &str) -> Result<Self> {
        let rest = url
            .strip_prefix("postgres://")
            .or_else(|| url.strip_prefix("postgresql://"))
            .with_context(|| format!("{url:?} is not a postgres:// URL"))?;
        let authority = rest.split(['/', '?']).next().unwrap_or_default();
        let (userinfo, host_port) = match authority.rsplit_once('@') {
            Some((userinfo, host_port)) => (Some(userinfo), host_port),
            None => (None, authority),
        };
        let user = userinfo
            .map(|u| u.split(':').next().unwrap_or_default())
            .filter(|u| !u.is_empty())
            .unwrap_or("postgres");
        if host_port.is_empty() {
            bail!("no host in {url:?}");
        }
        // `host`, `host:port`, `[v6]` or `[v6]:port`.
        let has_port = match host_port.rsplit_once(']') {
            Some((_, after)) => after.starts_with(':'),
            None => host_port.contains(':'),
        };
        let host_port = if has_port {
            host_port.to_string()
        } else {
            format!("{host_port}:5432")
        };
        Ok(Self {
            user: user.to_string(),
            host_port,
        })
    }

    /// The URL of database `name` on this server, for `DATABASE_URL`.
    pub fn database_url(&self, name: &str) -> String {
        format!("postgres://{}@{}/{name}", self.user, self.host_port)
    }

    fn socket_addr(&self) -> Result<SocketAddr> {
        self.host_port
            .to_socket_addrs()
            .with_context(|| format!("resolving {}", self.host_port))?
            .next()
            .with_context(|| format!("{} resolves to no address", self.host_port))
    }

    /// Runs `sql` (one simple query) in the `postgres` database; returns the rows, each
    /// column as text or NULL.
    pub fn query(&self, sql: &str) -> Result<Vec<Vec<Option<String>>>> {
        self.query_in("postgres", sql)
    }

    /// Runs `sql` (one simple query) in `database`.
    pub fn query_in(&self, database: &str, sql: &str) -> Result<Vec<Vec<Option<String>>>> {
        let addr = self.socket_addr()?;
        let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(3))
            .with_context(|| format!("connecting to PostgreSQL at {}", self.host_port))?;
        stream
            .set_read_timeout(Some(TIMEOUT))
            .context("setting a read timeout")?;
        stream
            .write_all(&startup_message(&self.user, database))
            .context("sending the startup message")?;
        read_until_ready(&mut stream, &mut Vec::new())
            .with_context(|| format!("logging in to {} as {}", self.host_port, self.user))?;
        stream
            .write_all(&query_message(sql))
            .context("sending a query")?;
        let mut rows = Vec::new();
        read_until_ready(&mut stream, &mut rows).with_context(|| format!("running `{sql}`"))?;
        let _ = stream.write_all(&[b'X', 0, 0, 0, 4]);
        Ok(rows)
    }

    pub fn create_database(&self, name: &str) -> Result<()> {
        check_name(name)?;
        self.query(&format!("CREATE DATABASE {name}")).map(drop)
    }

    /// Collects the planner's statistics for every table of `database`. Autovacuum does
    /// it a minute or so after a bulk load; until then the planner guesses (e.g. scans
    /// every variant price to price one variant).
    pub fn analyze(&self, database: &str) -> Result<()> {
        check_name(database)?;
        self.query_in(database, "ANALYZE").map(drop)
    }

    /// Drops the database even if sessions are still connected.
    pub fn drop_database(&self, name: &str) -> Result<()> {
        check_name(name)?;
        self.query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .map(drop)
    }

    /// Drops bench databases that runs killed before their cleanup left behind.
    pub fn drop_stale_databases(&self) -> Result<Vec<String>> {
        let rows = self.query(&format!(
            "SELECT datname FROM pg_database WHERE datname LIKE '{DB_PREFIX}%'"
        ))?;
        let now = unix_secs();
        let mut dropped = Vec::new();
        for name in rows
            .into_iter()
            .filter_map(|r| r.into_iter().next().flatten())
        {
            let stale =
                created_at(&name).is_some_and(|t| now.saturating_sub(t) > STALE_AFTER.as_secs());
            if stale {
                self.drop_database(&name)?;
                dropped.push(name);
            }
        }
        Ok(dropped)
    }
}

/// A fresh bench database name.
pub fn new_database_name() -> String {
    format!("{DB_PREFIX}{}_{}", unix_secs(), std::process::id())
}

/// The creation time written into a bench database's name.
pub fn created_at(name: &str) -> Option<u64> {
    name.strip_prefix(DB_PREFIX)?
        .split('_')
        .next()?
        .parse()
        .ok()
}

fn unix_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Names go into SQL unquoted: lower-case letters, digits and `_` only.
fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() < 64
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if !ok {
        bail!("{name:?} is not a plain database name");
    }
    Ok(())
}

pub fn startup_message(user: &str, database: &str) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&196_608u32.to_be_bytes()); // protocol 3.0
    for (key, value) in [("user", user), ("database", database)] {
        body.extend_from_slice(key.as_bytes());
        body.push(0);
        body.extend_from_slice(value.as_bytes());
        body.push(0);
    }
    body.push(0);
    let mut out = ((body.len() + 4) as u32).to_be_bytes().to_vec();
    out.extend_from_slice(&body);
    out
}

pub fn query_message(sql: &str) -> Vec<u8> {
    let mut out = vec![b'Q'];
    out.extend_from_slice(&((sql.len() + 5) as u32).to_be_bytes());
    out.extend_from_slice(sql.as_bytes());
    out.push(0);
    out
}

/// Reads messages up to ReadyForQuery, collecting DataRows into `rows`; an
/// ErrorResponse becomes the error (after the server is ready again).
fn read_until_ready(stream: &mut impl Read, rows: &mut Vec<Vec<Option<String>>>) -> Result<()> {
    let mut error = None;
    loop {
        let mut header = [0u8; 5];
        stream
            .read_exact(&mut header)
            .context("reading from PostgreSQL")?;
        let len = u32::from_be_bytes([header[1], header[2], header[3], header[4]]) as usize;
        if !(4..=64 * 1024 * 1024).contains(&len) {
            bail!("a PostgreSQL message of {len} bytes");
        }
        let mut body = vec![0u8; len - 4];
        stream
            .read_exact(&mut body)
            .context("reading from PostgreSQL")?;
        match header[0] {
            b'R' => {
                let code = read_u32(&body, 0)?;
                if code != 0 {
                    bail!(
                        "PostgreSQL asks for a password (authentication method {code}); \
                         the bench needs trust authentication for this user"
                    );
                }
            }
            b'E' => {
                let message = error_text(&body);
                // A fatal error (e.g. at login) ends the session: no ReadyForQuery follows.
                if is_fatal(&body) {
                    bail!("{message}");
                }
                if error.is_none() {
                    error = Some(message);
                }
            }
            b'D' => rows.push(data_row(&body)?),
            b'Z' => {
                return match error {
                    Some(message) => bail!("{message}"),
                    None => Ok(()),
                };
            }
            // ParameterStatus, BackendKeyData, NoticeResponse, RowDescription,
            // CommandComplete, EmptyQueryResponse: nothing the bench needs.
            _ => {}
        }
    }
}

fn read_u32(body: &[u8], at: usize) -> Result<u32> {
    let bytes = body
        .get(at..at + 4)
        .context("a truncated PostgreSQL message")?;
    Ok(u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
}

/// An ErrorResponse's fields: `S`everity, SQLSTATE `C`ode, `M`essage.
fn error_fields(body: &[u8]) -> Vec<(u8, String)> {
    body.split(|&b| b == 0)
        .filter(|field| !field.is_empty())
        .map(|field| (field[0], String::from_utf8_lossy(&field[1..]).into_owned()))
        .collect()
}

pub fn error_text(body: &[u8]) -> String {
    let fields = error_fields(body);
    let get = |key: u8| {
        fields
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    };
    match (get(b'S'), get(b'M'), get(b'C')) {
        (severity, Some(message), code) => format!(
            "{}: {message}{}",
            severity.unwrap_or("ERROR"),
            code.map(|c| format!(" (SQLSTATE {c})")).unwrap_or_default()
        ),
        _ => String::from_utf8_lossy(body).into_owned(),
    }
}

fn is_fatal(body: &[u8]) -> bool {
    error_fields(body)
        .iter()
        .any(|(k, v)| *k == b'S' && (v == "FATAL" || v == "PANIC"))
}

pub fn data_row(body: &[u8]) -> Result<Vec<Option<String>>> {
    let count = u16::from_be_bytes([
        *body.first().context("an empty DataRow")?,
        *body.get(1).context("a truncated DataRow")?,
    ]);
    let mut at = 2;
    let mut out = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let len = read_u32(body, at)? as i32;
        at += 4;
        if len < 0 {
            out.push(None);
            continue;
        }
        let len = len as usize;
        let value = body
            .get(at..at + len)
            .context("a truncated DataRow column")?;
        out.push(Some(String::from_utf8_lossy(value).into_owned()));
        at += len;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![kind];
        out.extend_from_slice(&((body.len() + 4) as u32).to_be_bytes());
        out.extend_from_slice(body);
        out
    }

    #[test]
    fn parses_server_urls() -> Result<()> {
        let s = PgServer::parse("postgres://postgres@127.0.0.1:5432")?;
        assert_eq!(
            (s.user.as_str(), s.host_port.as_str()),
            ("postgres", "127.0.0.1:5432")
        );
        assert_eq!(
            s.database_url("emporium_bench_1_2"),
            "postgres://postgres@127.0.0.1:5432/emporium_bench_1_2"
        );
        let s = PgServer::parse("postgresql://bench:secret@db.local/postgres?sslmode=disable")?;
        assert_eq!(
            (s.user.as_str(), s.host_port.as_str()),
            ("bench", "db.local:5432")
        );
        let s = PgServer::parse("postgres://[::1]:6543/x")?;
        assert_eq!(s.host_port, "[::1]:6543");
        assert_eq!(PgServer::parse("postgres://[::1]")?.host_port, "[::1]:5432");
        assert!(PgServer::parse("mysql://x").is_err());
        assert!(PgServer::parse("postgres:///db").is_err());
        Ok(())
    }

    #[test]
    fn encodes_messages() {
        let startup = startup_message("postgres", "postgres");
        assert_eq!(&startup[..4], &(startup.len() as u32).to_be_bytes());
        assert_eq!(&startup[4..8], &[0, 3, 0, 0]);
        assert_eq!(&startup[8..], b"user\0postgres\0database\0postgres\0\0");
        assert_eq!(query_message("SELECT 1"), b"Q\0\0\0\x0dSELECT 1\0".to_vec());
    }

    #[test]
    fn reads_rows_and_errors() -> Result<()> {
        let mut row = vec![0, 2];
        row.extend_from_slice(&3u32.to_be_bytes());
        row.extend_from_slice(b"abc");
        row.extend_from_slice(&(-1i32).to_be_bytes());
        let mut stream = Vec::new();
        stream.extend(message(b'R', &0u32.to_be_bytes()));
        stream.extend(message(b'S', b"server_version\x0015\0"));
        stream.extend(message(b'D', &row));
        stream.extend(message(b'C', b"SELECT 1\0"));
        stream.extend(message(b'Z', b"I"));
        let mut rows = Vec::new();
        read_until_ready(&mut stream.as_slice(), &mut rows)?;
        assert_eq!(rows, vec![vec![Some("abc".to_string()), None]]);

        let error = b"SERROR\0C42P04\0Mdatabase \"x\" already exists\0\0";
        let mut stream = message(b'E', error);
        stream.extend(message(b'Z', b"I"));
        let err = read_until_ready(&mut stream.as_slice(), &mut Vec::new())
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("ERROR: database \"x\" already exists (SQLSTATE 42P04)")
        );

        let fatal = message(b'E', b"SFATAL\0C28000\0Mno pg_hba.conf entry\0\0");
        assert!(read_until_ready(&mut fatal.as_slice(), &mut Vec::new()).is_err());
        let md5 = message(b'R', &5u32.to_be_bytes());
        let err = read_until_ready(&mut md5.as_slice(), &mut Vec::new())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("trust authentication"), "{err}");
        Ok(())
    }

    #[test]
    fn names_bench_databases() -> Result<()> {
        let name = new_database_name();
        check_name(&name)?;
        assert!(created_at(&name).is_some_and(|t| t > 1_700_000_000));
        assert_eq!(
            created_at("emporium_bench_1700000000_42"),
            Some(1_700_000_000)
        );
        assert_eq!(created_at("emporium_test_01h"), None);
        assert!(check_name("x; DROP DATABASE postgres").is_err());
        assert!(check_name("Upper").is_err());
        Ok(())
    }
}
