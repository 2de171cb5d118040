//! A private Xvfb for the tests that put an editor on screen, and the rule for a missing tool:
//! fail under CI (`CI` or `TANDEM_REQUIRE_HOSTS` set), otherwise say why and skip.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Fails when CI requires every host (`CI` or `TANDEM_REQUIRE_HOSTS`), otherwise prints why
/// `test` did not run and returns false.
pub fn require_or_skip(why: &str, test: &str) -> bool {
    let required =
        std::env::var_os("CI").is_some() || std::env::var_os("TANDEM_REQUIRE_HOSTS").is_some();
    assert!(!required, "{why}");
    eprintln!("NOTE: {why}; skipping {test} (CI requires it)");
    false
}

/// True when `program` is on the PATH.
pub fn which(program: &str) -> bool {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
        .unwrap_or(false)
}

/// Kills and reaps a child process when dropped, so no Xvfb or standalone outlives the test.
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A private X server on a display number it picks itself (`-displayfd`), so parallel runs
/// never collide.
pub struct Xvfb {
    _child: KillOnDrop,
    /// The display, e.g. `:3`.
    pub display: String,
}

impl Xvfb {
    /// Starts a server with one screen of `size` (width, height) at 24 bits.
    pub fn start(size: (u32, u32)) -> Xvfb {
        let screen = format!("{}x{}x24", size.0, size.1);
        let mut child = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                &screen,
                "-nolisten",
                "tcp",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start Xvfb");
        let stdout = child.stdout.take().unwrap();
        let child = KillOnDrop(child);
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx
            .recv_timeout(Duration::from_secs(15))
            .expect("Xvfb did not report its display within 15 s");
        let n: u32 = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("Xvfb reported no display number: {line:?}"));
        Xvfb {
            _child: child,
            display: format!(":{n}"),
        }
    }

    /// `program` with `DISPLAY` set to this server.
    pub fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("DISPLAY", &self.display);
        c
    }

    /// Runs `program` on this server; its stdout, or one line on failure.
    pub fn run(&self, program: &str, args: &[&str]) -> Result<Vec<u8>, String> {
        let out = self
            .command(program)
            .args(args)
            .output()
            .map_err(|e| format!("{program}: {e}"))?;
        if out.status.success() {
            Ok(out.stdout)
        } else {
            Err(format!(
                "`{program} {}` failed ({}): {}",
                args.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }
}
