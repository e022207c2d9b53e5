//! Logging: human-readable by default, JSON lines when `ATTAIN_LOG_FORMAT=json`; the level
//! from `ATTAIN_LOG` (default `info`).

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber; later calls are no-ops.
pub fn init(json: bool) {
    let filter = EnvFilter::try_from_env("ATTAIN_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
