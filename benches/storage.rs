//! `cargo bench --bench storage [-- DATABASE_URL]`: the storage ceiling for `benches/run.sh`.
//! 16 tasks insert single audit rows through sea-orm for 5 seconds on the same kind of
//! database the service uses, and print inserts/s with p50 and p99 latency. A write route
//! (autosave, submit) cannot beat this number; `run.sh` reports each as a share of it.
use std::time::{Duration, Instant};

use pledgeflow::config::{Secret, Settings};
use pledgeflow::store::{self, audit};

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let url = std::env::args()
        .skip(1)
        .find(|a| a.contains("://"))
        .unwrap_or_else(|| format!("sqlite://{}/storage.db", dir.path().display()));
    let mut settings = Settings::from_layers(None, &[]).unwrap();
    settings.database.url = Secret::new(url.clone());
    settings.database.max_connections = 16;
    let db = store::connect(&settings.database).await.unwrap();
    store::migrate(&db).await.unwrap();
    let until = Instant::now() + Duration::from_secs(5);
    let mut tasks = Vec::new();
    for task in 0..16 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < until {
                let started = Instant::now();
                audit::record(
                    &db,
                    chrono::Utc::now(),
                    audit::Actor::System,
                    "bench.insert",
                    "bench",
                    Some(task.to_string()),
                    serde_json::json!({ "task": task }),
                )
                .await
                .unwrap();
                latencies.push(started.elapsed());
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort();
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)].as_secs_f64() * 1000.0;
    let kind = url.split(':').next().unwrap_or("?");
    println!(
        "storage ceiling ({kind}): {:.0} inserts/s, p50 {:.2} ms, p99 {:.2} ms",
        all.len() as f64 / 5.0,
        pct(0.50),
        pct(0.99)
    );
}
