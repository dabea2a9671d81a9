//! A throwaway PostgreSQL cluster, started like production: `initdb` in a temporary
//! directory owned by the `postgres` user, the server run as that user (it refuses root),
//! listening on a free loopback port; one cluster per test binary, a fresh database per test.
//!
//! The binaries are `POLLER_PG_BIN`, else `/usr/lib/postgresql/<version>/bin`. When they are
//! missing and the tests run as root on a machine with `apt-get`, the Debian `postgresql`
//! package is installed first (so that `cargo test` alone sets up a fresh machine;
//! `POLLER_PG_INSTALL=0` turns this off). Without binaries after that, each test says it is
//! skipped, by name, unless `POLLER_REQUIRE_POSTGRES=1` (set by `.ci/run`), which makes their
//! absence a failure.
//!
//! The server is started under a small shell that waits on its standard input: when the test
//! binary exits (however it exits), the pipe closes, and the shell stops the server and
//! removes the directory; [`Cluster::stop`] writes `keep` first, for a restart.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The server's binaries, if installed.
fn bin_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("POLLER_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| {
            let e = e.ok()?;
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

/// Installs the Debian `postgresql` package when running as root with `apt-get` and
/// `POLLER_PG_INSTALL` is not `0`; then the binaries, if that worked.
fn install() -> Option<PathBuf> {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc_geteuid() } == 0;
    let apt = std::path::Path::new("/usr/bin/apt-get");
    if !root || !apt.exists() || std::env::var("POLLER_PG_INSTALL").as_deref() == Ok("0") {
        return None;
    }
    let _ = writeln!(
        std::io::stderr(),
        "installing the Debian postgresql package for the PostgreSQL tests (POLLER_PG_INSTALL=0 skips this)"
    );
    let apt_get = |args: &[&str]| {
        Command::new(apt)
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !(apt_get(&["update", "-qq"]) && apt_get(&["install", "-y", "-qq", "postgresql"])) {
        let _ = writeln!(std::io::stderr(), "apt-get could not install postgresql");
    }
    bin_dir()
}

/// The uid and gid of the `postgres` user, when running as root.
fn postgres_user() -> Option<(u32, u32)> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc_geteuid() } != 0 {
        return None;
    }
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let f: Vec<&str> = line.split(':').collect();
        if f.len() < 4 || f[0] != "postgres" {
            return None;
        }
        Some((f[2].parse().ok()?, f[3].parse().ok()?))
    })
}

unsafe extern "C" {
    #[link_name = "geteuid"]
    fn libc_geteuid() -> u32;
}

/// A running cluster.
pub struct Cluster {
    pub port: u16,
    bin: PathBuf,
    dir: PathBuf,
    user: Option<(u32, u32)>,
    guard: Mutex<Option<Child>>,
}

impl Cluster {
    /// The URL of database `db`.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    fn command(&self, program: &str) -> Command {
        let mut c = Command::new(self.bin.join(program));
        if let Some((uid, gid)) = self.user {
            c.uid(uid).gid(gid);
        }
        c
    }

    /// Starts the server (again) and waits until it accepts connections.
    pub fn start(&self) {
        let script = format!(
            "'{}' -D '{dir}' -p {port} -k '{dir}' -c listen_addresses=127.0.0.1 -c fsync=off \
             -c max_connections=200 >'{dir}/server.log' 2>&1 & pid=$!; read line; \
             kill -INT $pid; wait $pid; [ \"$line\" = keep ] || rm -rf '{dir}'",
            self.bin.join("postgres").display(),
            dir = self.dir.display(),
            port = self.port,
        );
        let mut sh = Command::new("sh");
        sh.arg("-c").arg(script).stdin(Stdio::piped());
        if let Some((uid, gid)) = self.user {
            sh.uid(uid).gid(gid);
        }
        let child = sh.spawn().expect("start postgres");
        *self.guard.lock().unwrap() = Some(child);
        let start = Instant::now();
        loop {
            let ready = self
                .command("pg_isready")
                .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-q"])
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "postgres did not start; see {}/server.log",
                self.dir.display()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Stops the server (a fast shutdown) and waits for it to end.
    pub fn stop(&self) {
        if let Some(mut child) = self.guard.lock().unwrap().take() {
            if let Some(mut stdin) = child.stdin.take() {
                let _ = stdin.write_all(b"keep\n");
            }
            let _ = child.wait();
        }
    }

    /// A fresh, empty database; drop it with [`Cluster::drop_database`].
    pub async fn database(&self) -> String {
        static N: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "t{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        );
        let mut admin = connect(&self.url("postgres")).await;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .unwrap();
        name
    }

    pub async fn drop_database(&self, name: &str) {
        let mut admin = connect(&self.url("postgres")).await;
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut admin)
            .await
            .unwrap();
    }
}

async fn connect(url: &str) -> sqlx::PgConnection {
    use sqlx::Connection;
    sqlx::PgConnection::connect(url)
        .await
        .expect("connect to postgres")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Initialises and starts a new cluster, or `None` without PostgreSQL.
pub fn new_cluster() -> Option<Cluster> {
    let bin = bin_dir().or_else(install)?;
    let user = postgres_user();
    let dir =
        std::env::temp_dir().join(format!("poller-pg-{}-{}", std::process::id(), free_port()));
    std::fs::create_dir_all(&dir).unwrap();
    if let Some((uid, gid)) = user {
        std::os::unix::fs::chown(&dir, Some(uid), Some(gid)).unwrap();
    }
    let cluster = Cluster {
        port: free_port(),
        bin,
        dir,
        user,
        guard: Mutex::new(None),
    };
    let out = cluster
        .command("initdb")
        .args(["-D", cluster.dir.to_str().unwrap()])
        .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
        .output()
        .expect("run initdb");
    assert!(
        out.status.success(),
        "initdb failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    cluster.start();
    Some(cluster)
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The cluster this test binary shares, or `None` (after saying so) when PostgreSQL is not
/// installed and not required.
pub fn shared(test: &str) -> Option<&'static Cluster> {
    static CLUSTER: OnceLock<Option<Cluster>> = OnceLock::new();
    let cluster = CLUSTER.get_or_init(new_cluster).as_ref();
    if cluster.is_none() {
        assert!(
            std::env::var("POLLER_REQUIRE_POSTGRES").as_deref() != Ok("1"),
            "{test}: PostgreSQL is required (POLLER_REQUIRE_POSTGRES=1) but not installed"
        );
        let _ = writeln!(
            std::io::stderr(),
            "skipped: {test}: PostgreSQL is not installed (set POLLER_PG_BIN or install the postgresql package)"
        );
    }
    cluster
}
