//! A read-through memo for a service's hottest lookups (a variant as a cart line
//! snapshots it, a variant's stock level), kept exact within the process by the service's
//! own writes.
//!
//! The service that owns the rows invalidates the keys a write touched once the write
//! has committed ([`Memo::invalidate`]). A read stamps the memo *before* it asks the
//! database ([`Memo::stamp`]) and may store what it read only if no invalidation came in
//! between ([`Memo::put`]): a value read before a commit can therefore never be stored
//! after that commit's invalidation, whatever the interleaving. What this process writes
//! is seen by its next read.
//!
//! Writes by another process (a second server on the same PostgreSQL database, a CLI run
//! against the SQLite file) are not seen until an entry is [`Memo::new`]'s `ttl` old. Use a
//! memo only where a value that old is acceptable and checked again where it matters:
//! the add-to-cart snapshot and stock check, which checkout re-prices and the stock
//! reservation re-checks in one conditional update.

use std::{
    collections::HashMap,
    hash::Hash,
    sync::{Mutex, MutexGuard, PoisonError},
    time::{Duration, Instant},
};

/// How current a lookup's answer must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Read now, from the database: what an order is priced and checked from.
    Current,
    /// May come from a [`Memo`]: exact for this process's own writes, at most the memo's
    /// ttl behind other processes'. For checks that a later step repeats.
    Recent,
}

/// See the module docs.
#[derive(Debug)]
pub struct Memo<K, V> {
    inner: Mutex<Inner<K, V>>,
    ttl: Duration,
    capacity: usize,
}

#[derive(Debug)]
struct Inner<K, V> {
    /// Bumped by every invalidation; a read's stamp is the value it saw.
    generation: u64,
    /// Counts stores, to spread their lifetimes (see [`Memo::put`]).
    stored: u64,
    /// Each value with the moment it stops being served.
    entries: HashMap<K, (Instant, V)>,
}

/// A full memo evicts this share of its capacity to make room (see [`Memo::put`]).
const EVICT_SHARE: usize = 64;

/// What [`Memo::stamp`] hands a read, to give back to [`Memo::put`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp(u64);

impl<K: Hash + Eq, V: Clone> Memo<K, V> {
    /// At most `capacity` entries, each served for at most `ttl` (and at least half of it).
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        Memo {
            inner: Mutex::new(Inner {
                generation: 0,
                stored: 0,
                entries: HashMap::new(),
            }),
            ttl,
            capacity,
        }
    }

    /// The value stored for `key`, unless it is older than the ttl.
    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let inner = self.lock();
        let (until, value) = inner.entries.get(key)?;
        (Instant::now() < *until).then(|| value.clone())
    }

    /// Removes and returns the value stored for `key`, unless it is older than the ttl:
    /// for a caller about to change the value (and [`Memo::put`] it back), which saves
    /// [`Memo::get`]'s clone. Meanwhile readers miss and ask the database.
    pub fn take<Q>(&self, key: &Q) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let (until, value) = self.lock().entries.remove(key)?;
        (Instant::now() < until).then_some(value)
    }

    /// Take before reading what [`Memo::put`] will store.
    pub fn stamp(&self) -> Stamp {
        Stamp(self.lock().generation)
    }

    /// Stores `value`, read after `stamp` was taken, unless an invalidation came since:
    /// then the read may predate a commit and is not kept (the next read asks again).
    pub fn put(&self, stamp: Stamp, key: K, value: V) {
        let evicted = {
            let mut inner = self.lock();
            if inner.generation != stamp.0 {
                return;
            }
            let evicted =
                if inner.entries.len() >= self.capacity && !inner.entries.contains_key(&key) {
                    // Full: make room for a slice of the capacity at once (whichever entries the
                    // map yields first), rather than track recency on every hit. Dropping the
                    // evicted values (a cart's lines are a dozen strings each) happens below,
                    // after the lock, so readers of the memo never wait for the frees.
                    let room = (self.capacity / EVICT_SHARE).max(1);
                    inner
                        .entries
                        .extract_if(|_, _| true)
                        .take(room)
                        .collect::<Vec<_>>()
                } else {
                    Vec::new()
                };
            // Each entry lives between half the ttl and all of it, spread evenly (Fibonacci
            // hashing of a counter): entries stored together, as at start-up, would otherwise
            // all expire at once, and their reads again land in one burst.
            inner.stored = inner.stored.wrapping_add(1);
            let spread = inner.stored.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11;
            let share = 0.5 + 0.5 * (spread as f64 / (1u64 << 53) as f64);
            let until = Instant::now() + self.ttl.mul_f64(share);
            inner.entries.insert(key, (until, value));
            evicted
        };
        drop(evicted);
    }

    /// Forgets `keys`; call after the write that changed them committed.
    pub fn invalidate<'a, Q>(&self, keys: impl IntoIterator<Item = &'a Q>)
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized + 'a,
    {
        let mut inner = self.lock();
        inner.generation += 1;
        for key in keys {
            inner.entries.remove(key);
        }
    }

    /// Forgets everything; for writes that touch many keys or keys not known here.
    pub fn invalidate_all(&self) {
        let entries = {
            let mut inner = self.lock();
            inner.generation += 1;
            std::mem::take(&mut inner.entries)
        };
        // Dropped after the lock (see `put`).
        drop(entries);
    }

    /// Forgets `keys` (every key when `None`) when the returned guard is dropped. Take it
    /// before a write's commit: whether the write returns or its future is dropped
    /// mid-way (possibly after the commit), the memo forgets.
    pub fn forget_on_drop(&self, keys: Option<Vec<K>>) -> Forget<'_, K, V> {
        Forget { memo: self, keys }
    }

    fn lock(&self) -> MutexGuard<'_, Inner<K, V>> {
        // Every change under the lock is a single map or counter update: a panic cannot
        // leave it half-done.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// See [`Memo::forget_on_drop`].
pub struct Forget<'a, K: Hash + Eq, V: Clone> {
    memo: &'a Memo<K, V>,
    keys: Option<Vec<K>>,
}

impl<K: Hash + Eq, V: Clone> Drop for Forget<'_, K, V> {
    fn drop(&mut self) {
        match &self.keys {
            Some(keys) => self.memo.invalidate(keys.iter()),
            None => self.memo.invalidate_all(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memo() -> Memo<String, i64> {
        Memo::new(3, Duration::from_secs(60))
    }

    #[test]
    fn stores_and_serves_a_read() {
        let m = memo();
        let stamp = m.stamp();
        m.put(stamp, "a".to_owned(), 1);
        assert_eq!(m.get("a"), Some(1));
        assert_eq!(m.get("b"), None);
    }

    #[test]
    fn a_read_that_raced_an_invalidation_is_not_stored() {
        let m = memo();
        let stamp = m.stamp();
        // The write commits and invalidates while the read is in flight.
        m.invalidate(["a"]);
        m.put(stamp, "a".to_owned(), 1);
        assert_eq!(m.get("a"), None, "a value read before the commit was kept");
        // The next read stores.
        let stamp = m.stamp();
        m.put(stamp, "a".to_owned(), 2);
        assert_eq!(m.get("a"), Some(2));
    }

    #[test]
    fn a_taken_value_is_gone_until_put_back() {
        let m = memo();
        let stamp = m.stamp();
        m.put(stamp, "a".to_owned(), 1);
        m.put(stamp, "b".to_owned(), 2);
        assert_eq!(m.take("a"), Some(1));
        assert_eq!(m.get("a"), None, "a taken value is no longer served");
        assert_eq!(m.take("a"), None);
        assert_eq!(m.get("b"), Some(2), "taking one key leaves the others");
        let stamp = m.stamp();
        m.put(stamp, "a".to_owned(), 3);
        assert_eq!(m.take("a"), Some(3));
    }

    #[test]
    fn invalidation_forgets_only_its_keys() {
        let m = memo();
        let stamp = m.stamp();
        m.put(stamp, "a".to_owned(), 1);
        m.put(stamp, "b".to_owned(), 2);
        m.invalidate(["a"]);
        assert_eq!(m.get("a"), None);
        assert_eq!(m.get("b"), Some(2));
        m.invalidate_all();
        assert_eq!(m.get("b"), None);
    }

    #[test]
    fn a_guard_forgets_when_dropped() {
        let m = memo();
        let stamp = m.stamp();
        m.put(stamp, "a".to_owned(), 1);
        m.put(stamp, "b".to_owned(), 2);
        {
            let _forget = m.forget_on_drop(Some(vec!["a".to_owned()]));
            assert_eq!(m.get("a"), Some(1), "forgets on drop, not before");
        }
        assert_eq!((m.get("a"), m.get("b")), (None, Some(2)));
        drop(m.forget_on_drop(None));
        assert_eq!(m.get("b"), None);
    }

    #[test]
    fn entries_expire() {
        let m: Memo<String, i64> = Memo::new(3, Duration::ZERO);
        let stamp = m.stamp();
        m.put(stamp, "a".to_owned(), 1);
        assert_eq!(m.get("a"), None);
    }

    #[test]
    fn lifetimes_spread_between_half_the_ttl_and_all_of_it() {
        let ttl = Duration::from_secs(1_000);
        let m: Memo<u32, u32> = Memo::new(1_000, ttl);
        let before = Instant::now();
        let stamp = m.stamp();
        for key in 0..200 {
            m.put(stamp, key, key);
        }
        let lives: Vec<Duration> = m
            .lock()
            .entries
            .values()
            .map(|(until, _)| until.duration_since(before))
            .collect();
        let (shortest, longest) = (
            lives.iter().min().copied().unwrap_or_default(),
            lives.iter().max().copied().unwrap_or_default(),
        );
        assert!(shortest >= ttl / 2, "shortest {shortest:?}");
        assert!(
            longest <= ttl + Duration::from_secs(1),
            "longest {longest:?}"
        );
        assert!(
            longest - shortest > ttl / 3,
            "stored together, they expire at different times: {shortest:?}..{longest:?}"
        );
    }

    #[test]
    fn a_full_memo_evicts_a_slice_not_everything() {
        let m: Memo<String, i64> = Memo::new(640, Duration::from_secs(60));
        let stamp = m.stamp();
        for i in 0..640 {
            m.put(stamp, format!("k{i}"), i);
        }
        m.put(stamp, "new".to_owned(), -1);
        // 640 / EVICT_SHARE = 10 made room for one.
        assert_eq!(m.lock().entries.len(), 631);
        assert_eq!(m.get("new"), Some(-1));
        let kept = (0..640)
            .filter(|i| m.get(&format!("k{i}")).is_some())
            .count();
        assert_eq!(kept, 630, "only the evicted slice is forgotten");
        for i in 0..9 {
            m.put(stamp, format!("more{i}"), i);
        }
        assert_eq!(
            m.lock().entries.len(),
            640,
            "room is used before evicting again"
        );
        m.put(stamp, "one more".to_owned(), 0);
        assert_eq!(m.lock().entries.len(), 631);
    }

    #[test]
    fn stays_within_capacity() {
        let m = memo();
        let stamp = m.stamp();
        for (i, key) in ["a", "b", "c", "d"].into_iter().enumerate() {
            m.put(stamp, key.to_owned(), i as i64);
        }
        assert_eq!(m.lock().entries.len(), 3, "a full memo makes room, no more");
        assert_eq!(m.get("d"), Some(3));
        // Replacing a stored key does not count as growth.
        m.put(stamp, "d".to_owned(), 4);
        assert_eq!(m.get("d"), Some(4));
    }
}
