//! Limits kept in memory, per instance: events counted per key in a sliding window (an
//! officer session's draft saves: a limit on load, `domain::throttle`'s rule), uploads in
//! flight, and who the client is behind a trusted reverse proxy. Guesses (sign-in, links, API
//! tokens) are throttled in the database instead, across instances (`store::throttle`).
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;

use axum::http::HeaderMap;
use chrono::{DateTime, Duration, Utc};
use ipnet::IpNet;

/// How many keys a limiter remembers before it forgets the stalest (bounded memory under a
/// flood of distinct keys).
const MAX_KEYS: usize = 100_000;

/// At most `max` events per key within `window`, counted in this process.
pub struct RateLimiter {
    max: u32,
    window: Duration,
    events: Mutex<HashMap<String, VecDeque<DateTime<Utc>>>>,
}

impl RateLimiter {
    pub fn new(max: u32, window: Duration) -> RateLimiter {
        RateLimiter {
            max,
            window,
            events: Mutex::default(),
        }
    }

    /// Counts one event for `key` (a save, say); Err is the seconds to wait when the key has
    /// had its fill within the window (the event is then not counted).
    pub fn count(&self, key: &str, now: DateTime<Utc>) -> Result<(), i64> {
        let mut map = self.events.lock().unwrap_or_else(|p| p.into_inner());
        if !map.contains_key(key) && map.len() >= MAX_KEYS {
            self.prune(&mut map, now);
        }
        let list = map.entry(key.to_string()).or_default();
        while list.front().is_some_and(|t| *t <= now - self.window) {
            list.pop_front();
        }
        if let Some(wait) = crate::domain::throttle::seconds_blocked(
            self.max,
            self.window,
            list.len(),
            list.front().copied(),
            now,
        ) {
            return Err(wait);
        }
        list.push_back(now);
        Ok(())
    }

    /// Forgets keys whose events have all aged out; if a flood within the window still
    /// leaves too many, the stalest tenth goes.
    fn prune(&self, map: &mut HashMap<String, VecDeque<DateTime<Utc>>>, now: DateTime<Utc>) {
        map.retain(|_, list| list.back().is_some_and(|t| *t > now - self.window));
        if map.len() >= MAX_KEYS {
            let mut latest: Vec<(DateTime<Utc>, String)> = map
                .iter()
                .map(|(k, list)| (list.back().copied().unwrap_or(now), k.clone()))
                .collect();
            latest.sort();
            for (_, key) in latest.into_iter().take(MAX_KEYS / 10) {
                map.remove(&key);
            }
        }
    }

    #[cfg(test)]
    fn keys(&self) -> usize {
        self.events.lock().unwrap().len()
    }
}

/// Parses `server.trusted_proxies` (addresses or CIDR blocks).
pub fn parse_proxies(list: &[String]) -> Result<Vec<IpNet>, String> {
    list.iter()
        .map(|entry| {
            entry
                .parse::<IpNet>()
                .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("server.trusted_proxies: `{entry}` is not an address or a CIDR block such as 10.0.0.0/8"))
        })
        .collect()
}

/// The client's address: the peer's, unless the peer is a trusted proxy; then the nearest
/// address in `X-Forwarded-For` (or `Forwarded: for=`) that is not itself a trusted proxy.
/// From any other peer those headers are ignored: anyone can write them.
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let mut hops: Vec<IpAddr> = Vec::new();
    for value in headers.get_all("forwarded") {
        for element in value.to_str().unwrap_or_default().split(',') {
            for pair in element.split(';') {
                if let Some((name, value)) = pair.trim().split_once('=')
                    && name.eq_ignore_ascii_case("for")
                {
                    let value = value.trim_matches('"');
                    let host = value
                        .strip_prefix('[')
                        .and_then(|v| v.split(']').next())
                        .unwrap_or_else(|| value.split(':').next().unwrap_or_default());
                    hops.extend(host.parse::<IpAddr>().ok());
                }
            }
        }
    }
    if hops.is_empty() {
        for value in headers.get_all("x-forwarded-for") {
            hops.extend(
                value
                    .to_str()
                    .unwrap_or_default()
                    .split(',')
                    .filter_map(|a| a.trim().parse::<IpAddr>().ok()),
            );
        }
    }
    hops.into_iter().rev().find(|ip| !is_trusted(ip)).unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn blocks_after_the_limit_and_forgets_after_the_window() {
        let limiter = RateLimiter::new(3, Duration::minutes(10));
        let t0 = at("2026-11-29T10:00:00Z");
        for i in 0..3 {
            assert_eq!(limiter.count("session-1", t0 + Duration::seconds(i)), Ok(()));
        }
        assert_eq!(limiter.count("session-1", t0 + Duration::seconds(5)), Err(595));
        assert_eq!(limiter.count("session-2", t0), Ok(()));
        assert_eq!(limiter.count("session-1", t0 + Duration::minutes(11)), Ok(()));
    }

    #[test]
    fn a_burst_is_capped_at_the_limit() {
        let limiter = RateLimiter::new(5, Duration::minutes(15));
        let t0 = at("2026-11-29T10:00:00Z");
        let counted = (0..40).filter(|_| limiter.count("session-1", t0).is_ok()).count();
        assert_eq!(counted, 5, "five events, not forty");
    }

    #[test]
    fn old_keys_are_pruned_by_age_not_all_at_once() {
        let limiter = RateLimiter::new(5, Duration::minutes(10));
        let t0 = at("2026-11-29T10:00:00Z");
        limiter.count("recent", t0 + Duration::minutes(30)).unwrap();
        for i in 0..MAX_KEYS - 1 {
            limiter.count(&format!("old-{i}"), t0).unwrap();
        }
        for _ in 0..5 {
            limiter.count("flood", t0 + Duration::minutes(30)).unwrap();
        }
        // The flood of stale keys is forgotten; the recent counters survive it.
        assert_eq!(limiter.keys(), 2, "the recent key and the flooding one remain");
        assert!(limiter.count("flood", t0 + Duration::minutes(31)).is_err());
    }

    #[test]
    fn forwarded_addresses_count_only_from_a_trusted_proxy() {
        let trusted = parse_proxies(&["10.0.0.0/8".into(), "127.0.0.1".into()]).unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "198.51.100.9, 203.0.113.7, 10.1.2.3".parse().unwrap(),
        );
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let stranger: IpAddr = "192.0.2.1".parse().unwrap();
        assert_eq!(
            client_address(proxy, &headers, &trusted).to_string(),
            "203.0.113.7"
        );
        assert_eq!(
            client_address(stranger, &headers, &trusted),
            stranger,
            "ignored from anyone else"
        );
        let mut forwarded = HeaderMap::new();
        forwarded.insert(
            "forwarded",
            "for=\"[2001:db8::1]:4711\";proto=https".parse().unwrap(),
        );
        assert_eq!(
            client_address(proxy, &forwarded, &trusted).to_string(),
            "2001:db8::1"
        );
        assert!(parse_proxies(&["nginx".into()]).unwrap_err().contains("`nginx`"));
    }
}

/// Requests of one kind in flight per key (an officer session's uploads): `take` gives a slot
/// while fewer than `max` are taken; the slot is given back when dropped.
#[derive(Debug)]
pub struct InFlight {
    counts: std::sync::Mutex<std::collections::HashMap<i32, usize>>,
    max: usize,
}

impl InFlight {
    pub fn new(max: usize) -> InFlight {
        InFlight {
            counts: Default::default(),
            max,
        }
    }

    pub fn take(self: &std::sync::Arc<Self>, key: i32) -> Option<InFlightSlot> {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let count = counts.entry(key).or_default();
        if *count >= self.max {
            return None;
        }
        *count += 1;
        Some(InFlightSlot {
            owner: self.clone(),
            key,
        })
    }
}

pub struct InFlightSlot {
    owner: std::sync::Arc<InFlight>,
    key: i32,
}

impl Drop for InFlightSlot {
    fn drop(&mut self) {
        let mut counts = self.owner.counts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = counts.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.key);
            }
        }
    }
}
