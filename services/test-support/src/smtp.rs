//! A real SMTP server for tests: Python's aiosmtpd with a handler that stores every
//! accepted message as JSON (recipients, headers, decoded text and HTML parts), so a
//! test reads what a mail client would. Without aiosmtpd (`pip install aiosmtpd`, which
//! `cargo xtask setup` installs) [`aiosmtpd_available`] says so and the caller skips,
//! except under `CI=true`, where it panics.

use std::{
    net::TcpStream,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::Value;

/// An aiosmtpd handler that stores each accepted message as `<uuid>.json` (recipients,
/// headers and decoded text/HTML parts) and rejects recipients starting with
/// `rejected` permanently (550), like a relay that knows the mailbox does not exist.
pub const HANDLER: &str = r#"
import json, os, uuid
from email import message_from_bytes, policy

class Capture:
    def __init__(self, outdir):
        self.outdir = outdir

    @classmethod
    def from_cli(cls, parser, *args):
        return cls(args[0])

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("rejected"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        msg = message_from_bytes(raw, policy=policy.default)
        text = msg.get_body(("plain",))
        html = msg.get_body(("html",))
        record = {
            "rcpt": envelope.rcpt_tos,
            "from": str(msg["From"]),
            "to": str(msg["To"]),
            "subject": str(msg["Subject"]),
            "message_id": str(msg["Message-ID"]),
            "content_type": msg.get_content_type(),
            "parts": [p.get_content_type() for p in msg.iter_parts()] if msg.is_multipart() else [],
            "text": text.get_content() if text is not None else None,
            "html": html.get_content() if html is not None else None,
        }
        name = os.path.join(self.outdir, uuid.uuid4().hex)
        with open(name + ".tmp", "w") as f:
            json.dump(record, f)
        # Renamed before the 250 reply: once lettre returns, the file is there.
        os.rename(name + ".tmp", name + ".json")
        return "250 Message accepted for delivery"
"#;

pub struct SmtpServer {
    child: Child,
    port: u16,
    inbox: PathBuf,
    _dir: tempfile::TempDir,
}

impl SmtpServer {
    /// Starts aiosmtpd on `port` and waits until it accepts connections.
    pub fn start(port: u16) -> SmtpServer {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let inbox = dir.path().join("inbox");
        std::fs::create_dir_all(&inbox).unwrap_or_else(|e| panic!("inbox dir: {e}"));
        std::fs::write(dir.path().join("capture_handler.py"), HANDLER)
            .unwrap_or_else(|e| panic!("write handler: {e}"));
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "capture_handler.Capture"])
            .arg(&inbox)
            .env("PYTHONPATH", dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start aiosmtpd: {e}"));
        let server = SmtpServer {
            child,
            port,
            inbox,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "aiosmtpd did not listen on port {port} within 15 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far.
    pub fn received(&self) -> Vec<Value> {
        received_in(&self.inbox, "json")
            .iter()
            .map(|text| {
                serde_json::from_str(text).unwrap_or_else(|e| panic!("bad capture file: {e}"))
            })
            .collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Contents of the files in `dir` with extension `ext`.
pub fn received_in(dir: &Path, ext: &str) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("read {dir:?}: {e}")) {
        let path = entry.unwrap_or_else(|e| panic!("dir entry: {e}")).path();
        if path.extension().is_some_and(|x| x == ext) {
            out.push(
                std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path:?}: {e}")),
            );
        }
    }
    out
}

/// Whether SMTP scenarios can run; panics under CI when they cannot.
pub fn aiosmtpd_available() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("aiosmtpd is required under CI=true: pip install aiosmtpd");
        }
        eprintln!("SKIPPED: python3 -c 'import aiosmtpd' failed; install it with `pip install aiosmtpd` to run the SMTP scenarios");
    }
    ok
}
