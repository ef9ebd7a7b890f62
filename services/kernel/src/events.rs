//! Events between services: a transactional outbox and an in-process dispatcher.
//!
//! A service appends its events with [`append`] inside the transaction that makes the
//! state change, so an event exists exactly when the change committed ("paid orders that
//! never appear" cannot happen because a crash lost the event). The [`Dispatcher`]
//! gives each committed event its delivery position (in one serialised write, so an
//! event whose transaction commits late still lands after every consumer's watermark)
//! and hands every event to every registered [`Consumer`] at least once, in position
//! order per consumer, retrying failures with exponential backoff. Each consumer's progress is
//! kept per event in `event_deliveries`, so an event that a consumer finished is never
//! handed to it again — across restarts and across several dispatcher processes, which
//! claim an event before handling it.
//!
//! Delivery is at least once: a process that dies after a consumer's side effect but
//! before the `done` mark hands the event over again once the claim's lease runs out.
//! Consumers therefore make their side effects idempotent too (a unique key on the
//! event id), which is what the notification outbox does.

use std::{sync::Arc, time::Duration};

use serde::{de::DeserializeOwned, Serialize};
use sqlx::migrate::Migrator;
use tokio::sync::Notify;

use crate::{
    clock::now_ms,
    db::{
        conn::{Conn, Row},
        sql::{Sql, MAX_PARAMS},
        Database, DbError,
    },
    id::new_id,
};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// Creates the outbox tables (kernel migrations are numbered 1–999).
pub async fn migrate(db: &Database) -> Result<(), DbError> {
    db.migrate(&SQLITE_MIGRATIONS, &POSTGRES_MIGRATIONS).await
}

/// An event as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Delivery position: consumers see events in this order. Given when the
    /// dispatcher first sees the committed event (0 before that).
    pub seq: i64,
    /// `evt_…`: the idempotency key consumers remember.
    pub id: String,
    /// What happened, `service.fact` (for example `order.paid`).
    pub topic: String,
    /// The id of the thing it happened to (an order id, a reservation id).
    pub aggregate_id: String,
    /// JSON document.
    pub payload: String,
    pub request_id: Option<String>,
    pub created_at: i64,
}

impl Event {
    /// The payload as a typed value.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(&self.payload)
    }
}

/// Appends an event to the outbox on `conn`, which must be the write that makes the
/// state change (inside [`Database::write`]). Returns the event id. Call
/// [`EventBus::wake`] after the write so the dispatcher does not wait for its next poll.
pub async fn append<T: Serialize>(
    conn: &mut Conn<'_>,
    topic: &str,
    aggregate_id: &str,
    payload: &T,
    request_id: Option<&str>,
) -> Result<String, DbError> {
    let id = new_id("evt");
    let payload = serde_json::to_string(payload)
        .map_err(|e| DbError::Encode(format!("event payload for {topic}: {e}")))?;
    conn.execute(&crate::sql!(
        "INSERT INTO outbox_events (id, topic, aggregate_id, payload, request_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        &id,
        topic,
        aggregate_id,
        payload,
        request_id,
        now_ms()
    ))
    .await?;
    Ok(id)
}

const EVENT_COLUMNS: &str =
    "COALESCE(position, 0), id, topic, aggregate_id, payload, request_id, created_at";

/// Events about one aggregate, oldest first (for order timelines and tests).
pub async fn events_for(db: &Database, aggregate_id: &str) -> Result<Vec<Event>, DbError> {
    let sql = crate::sql!(
        format!("SELECT {EVENT_COLUMNS} FROM outbox_events WHERE aggregate_id = $1 ORDER BY seq"),
        aggregate_id
    );
    read_events(db, &sql).await
}

/// The events `sql` selects ([`EVENT_COLUMNS`]).
async fn read_events(db: &Database, sql: &Sql<'_>) -> Result<Vec<Event>, DbError> {
    db.read(async |conn| {
        conn.fetch_all(sql)
            .await?
            .iter()
            .map(event_from_row)
            .collect()
    })
    .await
}

/// An [`Event`] from a row whose columns are [`EVENT_COLUMNS`].
fn event_from_row(row: &Row) -> Result<Event, DbError> {
    Ok(Event {
        seq: row.get(0)?,
        id: row.get(1)?,
        topic: row.get(2)?,
        aggregate_id: row.get(3)?,
        payload: row.get(4)?,
        request_id: row.get(5)?,
        created_at: row.get(6)?,
    })
}

/// Why a consumer could not handle an event; the dispatcher retries it later.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct HandleError(pub String);

impl HandleError {
    pub fn new(message: impl std::fmt::Display) -> Self {
        HandleError(message.to_string())
    }
}

/// Something that reacts to events. Handlers must be idempotent: an event can arrive
/// again after a crash (see the module documentation).
#[async_trait::async_trait]
pub trait Consumer: Send + Sync + 'static {
    /// Stable name: progress is stored under it, so renaming re-delivers everything.
    fn name(&self) -> &'static str;
    /// Whether this consumer wants events of `topic`; others are marked done unseen.
    fn wants(&self, topic: &str) -> bool;
    async fn handle(&self, event: &Event) -> Result<(), HandleError>;
}

/// Retry schedule for failed deliveries.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub first_delay_ms: i64,
    pub max_delay_ms: i64,
    /// After this many failed attempts the delivery is parked as `dead` (kept, visible).
    pub max_attempts: i64,
    /// How long a claim holds before another dispatcher may take the event over.
    pub lease_ms: i64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            first_delay_ms: 1_000,
            max_delay_ms: 15 * 60 * 1_000,
            max_attempts: 25,
            lease_ms: 60_000,
        }
    }
}

impl RetryPolicy {
    /// Delay before attempt `attempts + 1`: doubling from `first_delay_ms`, capped.
    pub fn delay_after(&self, attempts: i64) -> i64 {
        let exponent = attempts.saturating_sub(1).clamp(0, 30) as u32;
        self.first_delay_ms
            .saturating_mul(1_i64 << exponent)
            .min(self.max_delay_ms)
    }
}

/// The wake-up signal shared by services (after they commit events) and the dispatcher.
#[derive(Debug, Clone, Default)]
pub struct EventBus {
    notify: Arc<Notify>,
}

impl EventBus {
    pub fn new() -> Self {
        Self::default()
    }

    /// Tells the dispatcher that new events were committed.
    pub fn wake(&self) {
        self.notify.notify_one();
    }
}

/// Hands outbox events to consumers.
pub struct Dispatcher {
    db: Database,
    bus: EventBus,
    consumers: Vec<Arc<dyn Consumer>>,
    policy: RetryPolicy,
    batch: i64,
}

/// What one pass of the dispatcher did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassReport {
    pub handled: usize,
    pub failed: usize,
}

impl Dispatcher {
    pub fn new(db: Database, bus: EventBus) -> Self {
        Dispatcher {
            db,
            bus,
            consumers: Vec::new(),
            policy: RetryPolicy::default(),
            batch: 200,
        }
    }

    pub fn with_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    pub fn register(mut self, consumer: Arc<dyn Consumer>) -> Self {
        self.consumers.push(consumer);
        self
    }

    /// One pass over every consumer: each due event is claimed, handled and marked.
    pub async fn run_once(&self) -> Result<PassReport, DbError> {
        self.position_new_events().await?;
        let mut report = PassReport::default();
        for consumer in &self.consumers {
            let r = self.run_consumer(consumer.as_ref()).await?;
            report.handled += r.handled;
            report.failed += r.failed;
        }
        Ok(report)
    }

    /// Passes until nothing is due (failed deliveries wait for their retry time). For
    /// tests and for draining at shutdown.
    pub async fn run_until_idle(&self) -> Result<PassReport, DbError> {
        let mut total = PassReport::default();
        loop {
            let r = self.run_once().await?;
            total.handled += r.handled;
            total.failed += r.failed;
            if r.handled == 0 && r.failed == 0 {
                return Ok(total);
            }
        }
    }

    /// Runs until `shutdown` resolves: a pass whenever a service wakes the bus, and at
    /// least every `poll` (retries and other processes' events).
    pub async fn run(self, poll: Duration, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            match self.run_once().await {
                Ok(report) if report.handled > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "event dispatch pass failed"),
            }
            tokio::select! {
                _ = &mut shutdown => return,
                _ = self.bus.notify.notified() => {}
                _ = tokio::time::sleep(poll) => {}
            }
        }
    }

    /// Gives committed events without a position the next positions, oldest seq first
    /// (see [`position_pending`]).
    async fn position_new_events(&self) -> Result<(), DbError> {
        let positioned = position_pending(&self.db, self.batch * 5).await?.0;
        if positioned > 0 {
            tracing::debug!(positioned, "outbox events positioned");
        }
        Ok(())
    }

    async fn run_consumer(&self, consumer: &dyn Consumer) -> Result<PassReport, DbError> {
        let name = consumer.name();
        let now = now_ms();
        let settled = self.settled_position(name).await?;
        let due = crate::sql!(
            "SELECT e.position, e.id, e.topic, e.aggregate_id, e.payload, e.request_id, \
               e.created_at \
             FROM outbox_events e \
             LEFT JOIN event_deliveries d ON d.consumer = $1 AND d.event_id = e.id \
             WHERE e.position > $2 \
               AND (d.event_id IS NULL \
                    OR (d.status IN ('processing', 'retry') AND d.next_attempt_at <= $3)) \
             ORDER BY e.position LIMIT $4",
            name,
            settled,
            now,
            self.batch
        );
        let rows = self
            .db
            .read(async |conn| conn.fetch_all(&due).await)
            .await?;
        let mut report = PassReport::default();
        if rows.is_empty() {
            self.advance_settled(name, settled).await?;
            return Ok(report);
        }
        let events = rows
            .iter()
            .map(event_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let claimed = self.claim(name, &events).await?;
        let mut outcomes = Vec::with_capacity(claimed.len());
        for (event, attempts) in claimed {
            if !consumer.wants(&event.topic) {
                outcomes.push((event, attempts, Ok(())));
                continue;
            }
            let outcome = consumer.handle(event).await;
            match &outcome {
                Ok(()) => {
                    report.handled += 1;
                    tracing::debug!(consumer = name, event_id = %event.id, topic = %event.topic, "event handled");
                }
                Err(e) => {
                    report.failed += 1;
                    tracing::warn!(
                        consumer = name,
                        event_id = %event.id,
                        topic = %event.topic,
                        attempt = attempts + 1,
                        error = %e,
                        "event handler failed; will retry"
                    );
                }
            }
            outcomes.push((event, attempts, outcome));
        }
        self.finish(name, outcomes).await?;
        Ok(report)
    }

    /// Claims a batch of due events for this consumer in one write transaction: new ones
    /// with one multi-row insert, due retries (and claims whose lease ran out) one by one.
    /// Returns the events this dispatcher now holds, with their previous attempts; events
    /// another dispatcher holds are left out.
    async fn claim<'e>(
        &self,
        consumer: &str,
        events: &'e [Event],
    ) -> Result<Vec<(&'e Event, i64)>, DbError> {
        let now = now_ms();
        let lease_until = now + self.policy.lease_ms;
        let ids: Vec<String> = events.iter().map(|e| e.id.clone()).collect();
        let consumer = consumer.to_owned();
        let taken = self
            .db
            .write(async move |conn| claim_ids(conn, &consumer, &ids, now, lease_until).await)
            .await?;
        Ok(events
            .iter()
            .filter_map(|e| taken.get(&e.id).map(|attempts| (e, *attempts)))
            .collect())
    }

    /// Records the outcomes of a pass in one write transaction: every success with one
    /// statement, each failure (a retry time or `dead`) with its own.
    async fn finish(
        &self,
        consumer: &str,
        outcomes: Vec<(&Event, i64, Result<(), HandleError>)>,
    ) -> Result<(), DbError> {
        if outcomes.is_empty() {
            return Ok(());
        }
        let now = now_ms();
        let mut done = Vec::new();
        let mut failed = Vec::new();
        for (event, previous_attempts, outcome) in outcomes {
            match outcome {
                Ok(()) => done.push(event.id.clone()),
                Err(e) => {
                    let attempts = previous_attempts + 1;
                    let (status, next) = if attempts >= self.policy.max_attempts {
                        tracing::error!(
                            consumer,
                            event_id = %event.id,
                            attempts,
                            "event delivery gave up; parked as dead"
                        );
                        ("dead", now)
                    } else {
                        ("retry", now + self.policy.delay_after(attempts))
                    };
                    failed.push(Failure {
                        event_id: event.id.clone(),
                        attempts,
                        status,
                        next,
                        error: e.0,
                    });
                }
            }
        }
        let consumer = consumer.to_owned();
        self.db
            .write(async move |conn| record_outcomes(conn, &consumer, &done, &failed, now).await)
            .await
    }

    async fn settled_position(&self, consumer: &str) -> Result<i64, DbError> {
        let sql = crate::sql!(
            "SELECT settled_position FROM event_consumers WHERE consumer = $1",
            consumer
        );
        let row = self
            .db
            .read(async |conn| conn.fetch_optional(&sql).await)
            .await?;
        row.map_or(Ok(0), |row| row.get(0))
    }

    /// Moves the consumer's watermark past events it settled, so passes stop scanning
    /// them: up to the last positioned event, below the first one still open. Positions
    /// go only to committed events and only upwards, so nothing can appear below it.
    async fn advance_settled(&self, consumer: &str, settled: i64) -> Result<(), DbError> {
        let first_open = crate::sql!(
            "SELECT MIN(e.position) FROM outbox_events e \
             LEFT JOIN event_deliveries d ON d.consumer = $1 AND d.event_id = e.id \
             WHERE e.position > $2 AND (d.event_id IS NULL OR d.status IN ('processing', 'retry'))",
            consumer,
            settled
        );
        let last_positioned = crate::sql!(
            "SELECT MAX(position) FROM outbox_events WHERE position > $1",
            settled
        );
        let (first_open, last_old): (Option<i64>, Option<i64>) = self
            .db
            .read(async |conn| {
                let first_open = conn.fetch_scalar(&first_open).await?;
                Ok::<_, DbError>((first_open, conn.fetch_scalar(&last_positioned).await?))
            })
            .await?;
        let Some(mut target) = last_old else {
            return Ok(());
        };
        if let Some(open) = first_open {
            target = target.min(open - 1);
        }
        if target <= settled {
            return Ok(());
        }
        settle_through(&self.db, consumer, target).await?;
        Ok(())
    }
}

/// A failed delivery as [`record_outcomes`] writes it.
struct Failure {
    event_id: String,
    attempts: i64,
    /// `retry` or `dead`.
    status: &'static str,
    next: i64,
    error: String,
}

/// Claims `ids` for `consumer`: new ones with one multi-row insert, due retries (and
/// claims whose lease ran out) one by one. Returns the claimed ids with their previous
/// attempts; ids another dispatcher holds are left out.
async fn claim_ids(
    conn: &mut Conn<'_>,
    consumer: &str,
    ids: &[String],
    now: i64,
    lease_until: i64,
) -> Result<std::collections::HashMap<String, i64>, DbError> {
    let mut taken = std::collections::HashMap::with_capacity(ids.len());
    // Three shared parameters, then one per row.
    for chunk in ids.chunks(MAX_PARAMS - 3) {
        let mut sql = Sql::new(
            "INSERT INTO event_deliveries \
               (consumer, event_id, status, attempts, next_attempt_at, updated_at) VALUES ",
        );
        let (c, lease, at) = (sql.param(consumer), sql.param(lease_until), sql.param(now));
        for (i, id) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" })
                .push(&c)
                .push(", ")
                .bind(id)
                .push(&format!(", 'processing', 0, {lease}, {at})"));
        }
        sql.push(" ON CONFLICT DO NOTHING RETURNING event_id")
            .transient();
        for row in conn.fetch_all(&sql).await? {
            taken.insert(row.text(0)?, 0);
        }
    }
    for id in ids {
        if taken.contains_key(id) {
            continue;
        }
        let row = conn
            .fetch_optional(&crate::sql!(
                "UPDATE event_deliveries SET status = 'processing', next_attempt_at = $1, \
                   updated_at = $2 \
                 WHERE consumer = $3 AND event_id = $4 \
                   AND status IN ('processing', 'retry') AND next_attempt_at <= $2 \
                 RETURNING attempts",
                lease_until,
                now,
                consumer,
                id
            ))
            .await?;
        // None: another dispatcher holds it.
        if let Some(row) = row {
            taken.insert(id.clone(), row.int(0)?);
        }
    }
    Ok(taken)
}

/// Marks `done` delivered with one statement per chunk, and each failure with its own.
async fn record_outcomes(
    conn: &mut Conn<'_>,
    consumer: &str,
    done: &[String],
    failed: &[Failure],
    now: i64,
) -> Result<(), DbError> {
    for chunk in done.chunks(MAX_PARAMS - 2) {
        let mut sql = Sql::new(
            "UPDATE event_deliveries SET status = 'done', attempts = attempts + 1, \
               last_error = NULL, next_attempt_at = ",
        );
        let at = sql.param(now);
        sql.push(&at)
            .push(&format!(", updated_at = {at} WHERE consumer = "))
            .bind(consumer)
            .push(" AND event_id IN (")
            .bind_list(chunk.iter())
            .push(")")
            .transient();
        conn.execute(&sql).await?;
    }
    for f in failed {
        conn.execute(&crate::sql!(
            "UPDATE event_deliveries SET status = $1, attempts = $2, next_attempt_at = $3, \
               last_error = $4, updated_at = $5 WHERE consumer = $6 AND event_id = $7",
            f.status,
            f.attempts,
            f.next,
            &f.error,
            now,
            consumer,
            &f.event_id
        ))
        .await?;
    }
    Ok(())
}

/// How many settled events one [`purge_settled`] call deletes at most, so that a first
/// run over a long history does not hold the write lock for long.
const PURGE_BATCH: i64 = 10_000;

/// Deletes events created before `before_ms` that every consumer has settled (at or
/// below the lowest watermark), with their delivery records, oldest first and at most
/// a batch per call. Returns how many events went. A consumer that never ran has no
/// watermark and holds nothing back; one that stopped holds back everything after its
/// watermark.
pub async fn purge_settled(db: &Database, before_ms: i64) -> Result<u64, DbError> {
    db.write(async move |conn| {
        let floor: Option<i64> = conn
            .fetch_scalar(&crate::sql!(
                "SELECT MIN(settled_position) FROM event_consumers"
            ))
            .await?;
        let Some(floor) = floor else {
            return Ok(0);
        };
        conn.execute(&crate::sql!(
            "DELETE FROM event_deliveries WHERE event_id IN \
               (SELECT id FROM outbox_events WHERE created_at < $1 AND position <= $2 \
                ORDER BY seq LIMIT $3)",
            before_ms,
            floor,
            PURGE_BATCH
        ))
        .await?;
        conn.execute(&crate::sql!(
            "DELETE FROM outbox_events WHERE seq IN \
               (SELECT seq FROM outbox_events WHERE created_at < $1 AND position <= $2 \
                ORDER BY seq LIMIT $3)",
            before_ms,
            floor,
            PURGE_BATCH
        ))
        .await
    })
    .await
}

/// Gives up to `batch` committed events without a position the next positions, in one
/// write (see [`Dispatcher`]); returns how many it positioned and the last position.
/// The `outbox_sequence` row is updated first: its lock makes two dispatchers (two
/// processes on PostgreSQL) take turns, and the second then reads the first's positions.
/// An event whose transaction commits later is positioned by a later call, above
/// everything positioned before: no watermark can have passed it.
async fn position_pending(db: &Database, batch: i64) -> Result<(usize, i64), DbError> {
    let waiting = crate::sql!("SELECT seq FROM outbox_events WHERE position IS NULL LIMIT 1");
    let any = db
        .read(async |conn| conn.fetch_optional(&waiting).await)
        .await?;
    if any.is_none() {
        let last = crate::sql!("SELECT last FROM outbox_sequence WHERE name = 'outbox'");
        let last: Option<i64> = db
            .read(async |conn| conn.fetch_optional(&last).await)
            .await?
            .map(|row| row.get(0))
            .transpose()?;
        return Ok((0, last.unwrap_or(0)));
    }
    db.write(async move |conn| {
        let last: i64 = conn
            .fetch_one(&crate::sql!(
                "UPDATE outbox_sequence SET last = last WHERE name = 'outbox' RETURNING last"
            ))
            .await?
            .get(0)?;
        let rows = conn
            .fetch_all(&crate::sql!(
                "SELECT seq FROM outbox_events WHERE position IS NULL ORDER BY seq LIMIT $1",
                batch
            ))
            .await?;
        let mut next = last;
        for row in &rows {
            next += 1;
            let seq: i64 = row.get(0)?;
            conn.execute(&crate::sql!(
                "UPDATE outbox_events SET position = $1 WHERE seq = $2",
                next,
                seq
            ))
            .await?;
        }
        conn.execute(&crate::sql!(
            "UPDATE outbox_sequence SET last = $1 WHERE name = 'outbox'",
            next
        ))
        .await?;
        Ok::<_, DbError>((rows.len(), next))
    })
    .await
}

/// A mark in the outbox: every event committed before the call is positioned at or
/// below it (the pending ones are positioned now), every later one above. A reader that
/// rebuilds a copy of some state from the database after taking the mark asks
/// [`events_after`] it for what changed meanwhile.
pub async fn mark(db: &Database) -> Result<i64, DbError> {
    loop {
        let (positioned, last) = position_pending(db, 1_000).await?;
        if positioned == 0 {
            return Ok(last);
        }
    }
}

/// Up to `limit` events of `topics` positioned after `position`, or committed but not
/// yet positioned (the dispatcher has not seen them yet), in position order then
/// insertion order. Events purged by retention are gone.
pub async fn events_after(
    db: &Database,
    position: i64,
    topics: &[&str],
    limit: i64,
) -> Result<Vec<Event>, DbError> {
    if topics.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(format!(
        "SELECT {EVENT_COLUMNS} FROM outbox_events WHERE (position > "
    ));
    sql.bind(position)
        .push(" OR position IS NULL) AND topic IN (")
        .bind_list(topics.iter().copied())
        .push(") ORDER BY COALESCE(position, ")
        .bind(i64::MAX)
        .push("), seq LIMIT ")
        .bind(limit);
    read_events(db, &sql).await
}

/// Marks every event positioned at or below `position` settled for `consumer` without
/// handing them over (the watermark only moves up): for a consumer whose state was
/// rebuilt from the database after those events committed, as the search index is by a
/// rebuild, so it does not apply them all again.
pub async fn settle_through(db: &Database, consumer: &str, position: i64) -> Result<(), DbError> {
    let consumer = consumer.to_owned();
    db.write(async move |conn| {
        conn.execute(&crate::sql!(
            "INSERT INTO event_consumers (consumer, settled_position) VALUES ($1, $2) \
             ON CONFLICT (consumer) DO UPDATE \
             SET settled_position = excluded.settled_position \
             WHERE event_consumers.settled_position < excluded.settled_position",
            &consumer,
            position
        ))
        .await?;
        Ok(())
    })
    .await
}

/// Delivery state of one event for one consumer (for tests and the admin).
pub async fn delivery_status(
    db: &Database,
    consumer: &str,
    event_id: &str,
) -> Result<Option<(String, i64)>, DbError> {
    let sql = crate::sql!(
        "SELECT status, attempts FROM event_deliveries WHERE consumer = $1 AND event_id = $2",
        consumer,
        event_id
    );
    let row = db
        .read(async |conn| conn.fetch_optional(&sql).await)
        .await?;
    row.map(|r| Ok((r.get(0)?, r.get(1)?))).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_double_and_are_capped() {
        let p = RetryPolicy {
            first_delay_ms: 1_000,
            max_delay_ms: 10_000,
            max_attempts: 5,
            lease_ms: 1,
        };
        assert_eq!(p.delay_after(1), 1_000);
        assert_eq!(p.delay_after(2), 2_000);
        assert_eq!(p.delay_after(3), 4_000);
        assert_eq!(p.delay_after(5), 10_000);
        assert_eq!(p.delay_after(500), 10_000);
    }
}
