//! PostgreSQL clusters of a test's own (`initdb` and `pg_ctl` in a temporary folder, on a
//! free port, as the `postgres` user), for tests that stop servers or replicate them —
//! never the machine's shared server. They need the PostgreSQL server binaries, so the
//! tests that use them are ignored by default and run by `.ci/run` (`-- --ignored`).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A PostgreSQL cluster of the test's own, stopped when dropped.
pub struct Cluster {
    bin: PathBuf,
    data: tempfile::TempDir,
    port: u16,
}

fn as_postgres(bin: &Path, program: &str, args: &[&str]) {
    let status = Command::new("runuser")
        .args(["-u", "postgres", "--"])
        .arg(bin.join(program))
        .args(args)
        .status()
        .unwrap_or_else(|error| panic!("running {program}: {error}"));
    assert!(status.success(), "{program} {args:?} failed");
}

/// An empty cluster folder owned by `postgres`, the server binaries and a free port.
fn prepare() -> Cluster {
    let bin = std::fs::read_dir("/usr/lib/postgresql")
        .expect("the PostgreSQL server binaries in /usr/lib/postgresql")
        .filter_map(Result::ok)
        .map(|entry| entry.path().join("bin"))
        .find(|bin| bin.join("initdb").exists())
        .expect("initdb");
    let data = tempfile::tempdir().expect("a folder for the cluster");
    let chown = Command::new("chown")
        .args(["-R", "postgres:postgres"])
        .arg(data.path())
        .status()
        .unwrap();
    assert!(chown.success());
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    Cluster { bin, data, port }
}

impl Cluster {
    /// A new, empty cluster with trust authentication (not started).
    pub fn new() -> Cluster {
        let cluster = prepare();
        as_postgres(
            &cluster.bin,
            "initdb",
            &[
                "-D",
                &cluster.folder(),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
            ],
        );
        cluster
    }

    /// A streaming replica of a running cluster, made with `pg_basebackup` (not started;
    /// it starts as a read-only hot standby).
    pub fn replica_of(primary: &Cluster) -> Cluster {
        let cluster = prepare();
        let port = primary.port.to_string();
        as_postgres(
            &cluster.bin,
            "pg_basebackup",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-U",
                "postgres",
                "-D",
                &cluster.folder(),
                "-X",
                "stream",
                "-R",
                "--no-sync",
            ],
        );
        cluster
    }

    fn folder(&self) -> String {
        self.data.path().join("cluster").display().to_string()
    }

    /// Starts the server and waits until it accepts connections.
    pub fn start(&self) {
        self.start_with("");
    }

    /// Starts the server as the primary of a synchronous standby: a commit waits until a
    /// standby has its WAL, and one made with `synchronous_commit = remote_apply` until a
    /// standby has replayed it.
    pub fn start_synchronous(&self) {
        self.start_with(" -c synchronous_standby_names='*'");
    }

    fn start_with(&self, settings: &str) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=on{settings}",
            self.port,
            self.data.path().display()
        );
        let log = self.data.path().join("server.log").display().to_string();
        as_postgres(
            &self.bin,
            "pg_ctl",
            &[
                "-D",
                &self.folder(),
                "-o",
                &options,
                "-l",
                &log,
                "-w",
                "start",
            ],
        );
    }

    /// Stops the server, waiting for it.
    pub fn stop(&self) {
        as_postgres(
            &self.bin,
            "pg_ctl",
            &["-D", &self.folder(), "-m", "fast", "-w", "stop"],
        );
    }

    /// The URL of its `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join("pg_ctl"))
            .args(["-D", &self.folder(), "-m", "immediate", "stop"])
            .status();
    }
}
