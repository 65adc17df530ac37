//! What the server counts, for `/metrics` in the Prometheus text format: requests and their
//! latency by route and status, what sync pushes and pulls, long polls waiting, tokens refused,
//! and the database pool. Each server has its own registry (tests run several in one process).
//!
//! Labels are bounded: routes are the route patterns (`/v1/programs/{program}/push`, never a
//! program id), statuses are numbers, reasons and outcomes come from fixed lists. No label ever
//! carries a person, a token or program text.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: String,
    pub route: String,
    pub status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    /// applied, conflict or rejected.
    pub outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabels {
    pub reason: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PoolLabels {
    /// in_use, idle, or waiting (requests queued for a connection).
    pub state: &'static str,
}

fn latency_histogram() -> Histogram {
    // 1 ms to about 65 s: a push's p99 objective is 500 ms; a long poll waits 25 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 17))
}

fn size_histogram() -> Histogram {
    // 1 to 4,096 changes.
    Histogram::new(exponential_buckets(1.0, 2.0, 13))
}

/// The server's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RequestLabels, Histogram, fn() -> Histogram>,
    mutations: Family<OutcomeLabels, Counter>,
    push_size: Histogram,
    pull_size: Histogram,
    live: Gauge,
    token_failures: Family<ReasonLabels, Counter>,
    pool: Family<PoolLabels, Gauge>,
    pool_max: Gauge<i64, AtomicI64>,
    programs_tracked: Gauge,
    roles_unreadable: Gauge,
}

type AtomicI64 = std::sync::atomic::AtomicI64;

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("roadbook");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route and status",
            requests.clone(),
        );
        let latency = Family::<RequestLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        registry.register(
            "http_request_duration_seconds",
            "Time from a request's arrival to its answer, by method, route and status",
            latency.clone(),
        );
        let mutations = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "sync_mutations",
            "Mutations pushed and decided (replays not counted), by outcome: applied, conflict, rejected",
            mutations.clone(),
        );
        let push_size = size_histogram();
        registry.register(
            "sync_push_mutations",
            "Mutations per push",
            push_size.clone(),
        );
        let pull_size = size_histogram();
        registry.register(
            "sync_pull_changes",
            "Changes per pull answered from the log",
            pull_size.clone(),
        );
        let live = Gauge::default();
        registry.register(
            "live_connections",
            "Long polls waiting for a program's next change",
            live.clone(),
        );
        let token_failures = Family::<ReasonLabels, Counter>::default();
        registry.register(
            "token_failures",
            "Access tokens refused, by reason",
            token_failures.clone(),
        );
        let pool = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "db_pool_connections",
            "Database connections by state (in_use, idle) and requests waiting for one (waiting)",
            pool.clone(),
        );
        let pool_max = Gauge::<i64, AtomicI64>::default();
        registry.register(
            "db_pool_max_connections",
            "The most database connections this process opens",
            pool_max.clone(),
        );
        let programs_tracked = Gauge::default();
        registry.register(
            "programs_tracked",
            "Programs this process keeps state for between requests (pushes queued, long polls waiting); follows the programs in use, never the requests made",
            programs_tracked.clone(),
        );
        let roles_unreadable = Gauge::default();
        registry.register(
            "roles_file_unreadable",
            "1 while the roles file on disk does not read (the previous mapping stays in force), else 0",
            roles_unreadable.clone(),
        );
        Metrics {
            roles_unreadable,
            programs_tracked,
            registry,
            requests,
            latency,
            mutations,
            push_size,
            pull_size,
            live,
            token_failures,
            pool,
            pool_max,
        }
    }

    pub fn request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let labels = RequestLabels {
            method: method.to_owned(),
            route: route.to_owned(),
            status,
        };
        self.requests.get_or_create(&labels).inc();
        self.latency.get_or_create(&labels).observe(seconds);
    }

    pub fn mutation(&self, outcome: &'static str) {
        self.mutations
            .get_or_create(&OutcomeLabels { outcome })
            .inc();
    }

    pub fn push(&self, mutations: usize) {
        self.push_size.observe(mutations as f64);
    }

    pub fn pull(&self, changes: usize) {
        self.pull_size.observe(changes as f64);
    }

    pub fn token_refused(&self, reason: &'static str) {
        self.token_failures
            .get_or_create(&ReasonLabels { reason })
            .inc();
    }

    /// Counts a long poll while the guard lives.
    pub fn live_connection(&self) -> LiveConnection {
        self.live.inc();
        LiveConnection(self.live.clone())
    }

    pub fn pool_use(&self, pool: PoolUse) {
        let set = |state, n: usize| {
            self.pool
                .get_or_create(&PoolLabels { state })
                .set(i64::try_from(n).unwrap_or(i64::MAX));
        };
        set("in_use", pool.in_use);
        set("idle", pool.idle);
        set("waiting", pool.waiting);
        self.pool_max
            .set(i64::try_from(pool.max).unwrap_or(i64::MAX));
    }

    pub fn roles_file_unreadable(&self, unreadable: bool) {
        self.roles_unreadable.set(i64::from(unreadable));
    }

    pub fn programs_tracked(&self, programs: usize) {
        self.programs_tracked
            .set(i64::try_from(programs).unwrap_or(i64::MAX));
    }

    /// The Prometheus text format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry);
        out
    }
}

/// A long poll in progress.
#[derive(Debug)]
pub struct LiveConnection(Gauge<i64, AtomicI64>);

impl Drop for LiveConnection {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// The database pool as it stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolUse {
    pub in_use: usize,
    pub idle: usize,
    pub waiting: usize,
    pub max: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_names_each_series_with_its_labels() {
        let metrics = Metrics::new();
        metrics.request("POST", "/v1/programs/{program}/push", 200, 0.012);
        metrics.mutation("applied");
        metrics.mutation("applied");
        metrics.token_refused("expired");
        {
            let _poll = metrics.live_connection();
            assert!(metrics.render().contains("roadbook_live_connections 1"));
        }
        let text = metrics.render();
        assert!(
            text.contains(
                r#"roadbook_http_requests_total{method="POST",route="/v1/programs/{program}/push",status="200"} 1"#
            ),
            "{text}"
        );
        assert!(
            text.contains(r#"roadbook_sync_mutations_total{outcome="applied"} 2"#),
            "{text}"
        );
        assert!(
            text.contains(r#"roadbook_token_failures_total{reason="expired"} 1"#),
            "{text}"
        );
        assert!(text.contains("roadbook_live_connections 0"), "{text}");
        assert!(
            text.contains("# TYPE roadbook_http_request_duration_seconds histogram"),
            "{text}"
        );
    }
}
