//! Prometheus metrics at `GET /metrics`: requests and their latency per GraphQL operation,
//! errors by code, and the database pool's connections.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder,
};
use sea_orm::DatabaseConnection;

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    errors: IntCounterVec,
    pool: IntGaugeVec,
}

impl Metrics {
    pub fn new() -> Metrics {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "attain_graphql_requests_total",
                "GraphQL requests by operation",
            ),
            &["operation"],
        )
        .expect("a valid metric");
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "attain_graphql_request_duration_seconds",
                "GraphQL request latency by operation",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["operation"],
        )
        .expect("a valid metric");
        let errors = IntCounterVec::new(
            Opts::new("attain_graphql_errors_total", "GraphQL errors by code"),
            &["code"],
        )
        .expect("a valid metric");
        let pool = IntGaugeVec::new(
            Opts::new(
                "attain_db_pool_connections",
                "database pool connections by state",
            ),
            &["state"],
        )
        .expect("a valid metric");
        for metric in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(latency.clone()),
            Box::new(errors.clone()),
            Box::new(pool.clone()),
        ] {
            registry.register(metric).expect("a metric registered once");
        }
        Metrics {
            registry,
            requests,
            latency,
            errors,
            pool,
        }
    }

    /// Counts a finished request: its operation (the operation name, or `anonymous`), how
    /// long it took, and the codes of its errors.
    pub fn observe(&self, operation: &str, seconds: f64, error_codes: &[String]) {
        // Bounded label values: a name is kept only when it looks like one.
        let operation = if !operation.is_empty()
            && operation.len() <= 64
            && operation
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            operation
        } else {
            "anonymous"
        };
        self.requests.with_label_values(&[operation]).inc();
        self.latency
            .with_label_values(&[operation])
            .observe(seconds);
        for code in error_codes {
            self.errors.with_label_values(&[code.as_str()]).inc();
        }
    }

    /// The metrics in Prometheus's text format, with the pool read now.
    pub fn render(&self, db: &DatabaseConnection) -> String {
        let (size, idle) = pool_usage(db);
        self.pool.with_label_values(&["open"]).set(size);
        self.pool.with_label_values(&["idle"]).set(idle);
        let mut buffer = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut buffer)
            .expect("metrics encode");
        String::from_utf8(buffer).unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

fn pool_usage(db: &DatabaseConnection) -> (i64, i64) {
    match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (i64::from(pool.size()), pool.num_idle() as i64)
        }
        _ => {
            let pool = db.get_sqlite_connection_pool();
            (i64::from(pool.size()), pool.num_idle() as i64)
        }
    }
}
