//! Logging: human-readable by default, JSON lines when `ATTAIN_LOG_FORMAT=json`; the level
//! from `ATTAIN_LOG` (default `info`).

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber writing to standard error; later calls are no-ops.
pub fn init(json: bool) {
    init_with(json, std::io::stderr);
}

/// Installs the global subscriber writing to `writer` (tests capture the logs this way).
pub fn init_with<W>(json: bool, writer: W)
where
    W: for<'a> tracing_subscriber::fmt::MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_env("ATTAIN_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
