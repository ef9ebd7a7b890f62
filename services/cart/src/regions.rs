//! Regions as the hot paths read them: every cart view needs its region (currency, tax,
//! countries), and regions change only when they are seeded. A read-through copy per
//! service instance saves a query per cart change; an entry is trusted for
//! [`REGION_TTL`], so a region changed in the database directly (or by another process)
//! is seen within that time.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use emporium_kernel::db::Conn;

use crate::{store, Region, Result};

pub(crate) const REGION_TTL: Duration = Duration::from_secs(60);

#[derive(Debug, Default)]
pub(crate) struct RegionCache {
    by_id: Mutex<HashMap<String, (Instant, Region)>>,
}

impl RegionCache {
    /// The region with this id: the kept copy while it is fresh, else read on `conn`.
    pub(crate) async fn find(&self, conn: &mut Conn<'_>, id: &str) -> Result<Option<Region>> {
        if let Some(region) = self.fresh(id) {
            return Ok(Some(region));
        }
        let found = store::region::find(conn, id).await?;
        if let Some(region) = &found {
            self.lock()
                .insert(region.id.clone(), (Instant::now(), region.clone()));
        }
        Ok(found)
    }

    /// The kept copy of the region while it is fresh, without reading the database.
    pub(crate) fn fresh(&self, id: &str) -> Option<Region> {
        self.lock()
            .get(id)
            .filter(|(at, _)| at.elapsed() < REGION_TTL)
            .map(|(_, region)| region.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, Region)>> {
        // A panic while holding the lock cannot leave the map half-written (one insert or
        // one read), so a poisoned lock is still usable.
        self.by_id
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
