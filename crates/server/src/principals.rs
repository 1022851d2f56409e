//! A short-lived cache of resolved principals (people by issuer and subject, API
//! clients by token hash), so that a request does not pay a database round trip to
//! learn who is calling. Correctness does not rest on the time limit: PostgreSQL
//! notifies every change to what a principal is made of (migration 0006), and each
//! notification empties the cache. While the listening connection is down, the
//! cache is bypassed (notifications could be missed).

use partners::clients::ClientPrincipal;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tenancy::Principal;

/// Beyond this many entries the cache starts over: bounded memory, whatever the load.
const MAX_ENTRIES: usize = 50_000;

pub struct PrincipalCache {
    ttl: Duration,
    live: AtomicBool,
    users: Mutex<HashMap<(String, String), (Principal, Instant)>>,
    clients: Mutex<HashMap<String, (ClientPrincipal, Instant)>>,
}

fn get<K: std::hash::Hash + Eq, V: Clone>(
    m: &Mutex<HashMap<K, (V, Instant)>>,
    k: &K,
    ttl: Duration,
) -> Option<V> {
    let m = m.lock().ok()?;
    m.get(k)
        .filter(|(_, at)| at.elapsed() < ttl)
        .map(|(v, _)| v.clone())
}

fn put<K: std::hash::Hash + Eq, V>(m: &Mutex<HashMap<K, (V, Instant)>>, k: K, v: V) {
    if let Ok(mut m) = m.lock() {
        if m.len() >= MAX_ENTRIES {
            m.clear();
        }
        m.insert(k, (v, Instant::now()));
    }
}

impl PrincipalCache {
    pub fn new(ttl_secs: u64) -> Self {
        Self {
            ttl: Duration::from_secs(ttl_secs),
            live: AtomicBool::new(false),
            users: Mutex::new(HashMap::new()),
            clients: Mutex::new(HashMap::new()),
        }
    }

    fn usable(&self) -> bool {
        !self.ttl.is_zero() && self.live.load(Ordering::Acquire)
    }

    pub fn user(&self, issuer: &str, subject: &str) -> Option<Principal> {
        if !self.usable() {
            return None;
        }
        get(
            &self.users,
            &(issuer.to_owned(), subject.to_owned()),
            self.ttl,
        )
    }

    pub fn put_user(&self, issuer: &str, subject: &str, p: &Principal) {
        if self.usable() {
            put(
                &self.users,
                (issuer.to_owned(), subject.to_owned()),
                p.clone(),
            );
        }
    }

    /// `key`: the token's hash (never the token itself).
    pub fn client(&self, key: &str) -> Option<ClientPrincipal> {
        if !self.usable() {
            return None;
        }
        get(&self.clients, &key.to_owned(), self.ttl)
    }

    pub fn put_client(&self, key: String, p: &ClientPrincipal) {
        if self.usable() {
            put(&self.clients, key, p.clone());
        }
    }

    pub fn clear(&self) {
        if let Ok(mut m) = self.users.lock() {
            m.clear();
        }
        if let Ok(mut m) = self.clients.lock() {
            m.clear();
        }
    }

    /// Follows PostgreSQL's notifications until dropped.
    pub async fn follow(self: std::sync::Arc<Self>, db: db::Db) {
        if self.ttl.is_zero() {
            return;
        }
        db.listen("passerelle_principals", |e| match e {
            db::ListenEvent::Listening => {
                self.clear();
                self.live.store(true, Ordering::Release);
            }
            db::ListenEvent::Lost => {
                self.live.store(false, Ordering::Release);
                self.clear();
            }
            db::ListenEvent::Notified(_) => self.clear(),
        })
        .await;
    }
}
