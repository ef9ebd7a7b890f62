//! The lines of carts this process changed lately, kept compact (see `Carts::lines`).
//!
//! An add to cart needs the cart's lines (to merge a repeated variant, to count lines,
//! to answer with the cart). Remembered, they cost nothing to get; missed, they are read
//! before the write (on SQLite from a read connection whose page cache every commit
//! empties, so a dozen pages are fetched again). The write checks the cart's version
//! either way, so a remembered entry another change made stale only costs that read,
//! under the lock. As plain rows, remembered lines would take much memory: a line is
//! nine strings, most of them the variant's snapshot (product, titles, SKU, image), which
//! every cart holding that variant repeats. Here a line keeps its own fields and shares
//! the snapshot with every other line of the same variant and the same snapshot.

use std::{sync::Arc, time::Duration};

use emporium_kernel::cache::Memo;

use crate::store::cart::{CartRow, LineRow};

/// Carts whose lines are remembered: about 1 KB for a cart of ten lines.
const CARTS: usize = 32_768;
/// Variant snapshots shared by remembered lines (a few hundred bytes each).
const SNAPSHOTS: usize = 32_768;
/// A remembered version is checked by the write that uses it, so the ttl only bounds how
/// long an idle cart's lines stay in memory.
const TTL: Duration = Duration::from_secs(600);

/// What a line shares with other lines of its variant.
#[derive(Debug, PartialEq, Eq)]
struct Snapshot {
    variant_id: String,
    product_id: String,
    product_handle: String,
    title: String,
    variant_title: String,
    sku: String,
    image_url: Option<String>,
}

impl Snapshot {
    fn of(l: &LineRow) -> Self {
        Snapshot {
            variant_id: l.variant_id.clone(),
            product_id: l.product_id.clone(),
            product_handle: l.product_handle.clone(),
            title: l.title.clone(),
            variant_title: l.variant_title.clone(),
            sku: l.sku.clone(),
            image_url: l.image_url.clone(),
        }
    }

    fn is_of(&self, l: &LineRow) -> bool {
        self.variant_id == l.variant_id
            && self.product_id == l.product_id
            && self.product_handle == l.product_handle
            && self.title == l.title
            && self.variant_title == l.variant_title
            && self.sku == l.sku
            && self.image_url == l.image_url
    }
}

/// A remembered line: its own fields, and its variant's shared snapshot.
#[derive(Debug, Clone)]
struct Line {
    id: Box<str>,
    snapshot: Arc<Snapshot>,
    unit_price: i64,
    quantity: i64,
    created_at: i64,
    updated_at: i64,
}

/// The shared snapshots of the lines [`RecentLines::take`] handed out, in their order:
/// the change that took them passes them back to [`RecentLines::remember`], which finds
/// most of its lines' snapshots here instead of in the shared memo, where each lookup
/// costs a hash, a lock and a clock read per line.
#[derive(Debug, Default)]
pub(crate) struct Taken(Vec<Arc<Snapshot>>);

impl Taken {
    /// The snapshot equal to `line`'s, which was the `i`th line taken: lines keep their
    /// places, and a new line comes last.
    fn find(&self, i: usize, line: &LineRow) -> Option<Arc<Snapshot>> {
        let at = self.0.get(i).filter(|s| s.variant_id == line.variant_id);
        at.or_else(|| self.0.iter().find(|s| s.variant_id == line.variant_id))
            .filter(|s| s.is_of(line))
            .map(Arc::clone)
    }
}

/// See the module docs.
pub(crate) struct RecentLines {
    /// Per cart: its version after the change that left these lines.
    carts: Memo<String, (i64, Vec<Line>)>,
    snapshots: Memo<String, Arc<Snapshot>>,
}

impl RecentLines {
    pub(crate) fn new() -> Self {
        RecentLines {
            carts: Memo::new(CARTS, TTL),
            snapshots: Memo::new(SNAPSHOTS, TTL),
        }
    }

    /// Notes `lines` as the lines of `row`'s cart at `row.version`. `taken`: the
    /// snapshots of the lines the change started from (see [`Taken`]).
    pub(crate) fn remember(&self, row: &CartRow, lines: &[LineRow], taken: &Taken) {
        let lines: Vec<Line> = lines
            .iter()
            .enumerate()
            .map(|(i, l)| Line {
                id: l.id.as_str().into(),
                snapshot: taken.find(i, l).unwrap_or_else(|| self.snapshot(l)),
                unit_price: l.unit_price,
                quantity: l.quantity,
                created_at: l.created_at,
                updated_at: l.updated_at,
            })
            .collect();
        let stamp = self.carts.stamp();
        self.carts.put(stamp, row.id.clone(), (row.version, lines));
    }

    /// The cart's remembered version and lines, taken out: the change about to use them
    /// remembers what it leaves (passing back the [`Taken`] snapshots).
    pub(crate) fn take(&self, cart_id: &str) -> Option<((i64, Vec<LineRow>), Taken)> {
        let (version, lines) = self.carts.take(cart_id)?;
        let taken = Taken(lines.iter().map(|l| Arc::clone(&l.snapshot)).collect());
        let lines = lines
            .iter()
            .map(|l| {
                let s = &*l.snapshot;
                LineRow {
                    id: l.id.to_string(),
                    cart_id: cart_id.to_owned(),
                    variant_id: s.variant_id.clone(),
                    product_id: s.product_id.clone(),
                    product_handle: s.product_handle.clone(),
                    title: s.title.clone(),
                    variant_title: s.variant_title.clone(),
                    sku: s.sku.clone(),
                    image_url: s.image_url.clone(),
                    unit_price: l.unit_price,
                    quantity: l.quantity,
                    created_at: l.created_at,
                    updated_at: l.updated_at,
                }
            })
            .collect();
        Some(((version, lines), taken))
    }

    /// The shared snapshot equal to `line`'s, made and shared if there is none.
    fn snapshot(&self, line: &LineRow) -> Arc<Snapshot> {
        if let Some(shared) = self.snapshots.get(line.variant_id.as_str()) {
            if shared.is_of(line) {
                return shared;
            }
        }
        let made = Arc::new(Snapshot::of(line));
        let stamp = self.snapshots.stamp();
        self.snapshots
            .put(stamp, line.variant_id.clone(), Arc::clone(&made));
        made
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(id: &str, variant: &str, title: &str, quantity: i64) -> LineRow {
        LineRow {
            id: id.to_owned(),
            cart_id: "cart_1".to_owned(),
            variant_id: variant.to_owned(),
            product_id: format!("prod_{variant}"),
            product_handle: format!("handle-{variant}"),
            title: title.to_owned(),
            variant_title: "M".to_owned(),
            sku: format!("SKU-{variant}"),
            image_url: Some(format!("/img/{variant}.jpg")),
            unit_price: 1_250,
            quantity,
            created_at: 1,
            updated_at: 2,
        }
    }

    fn cart(id: &str, version: i64) -> CartRow {
        CartRow {
            version,
            ..CartRow::open(id.to_owned(), "reg_eu".to_owned(), "EUR".to_owned(), 1, 3)
        }
    }

    /// A cart's two lines: `jackets` jackets and a cap.
    fn jackets_and_a_cap(jackets: i64) -> Vec<LineRow> {
        vec![
            line("line_a", "var_1", "Jacket", jackets),
            line("line_b", "var_2", "Cap", 1),
        ]
    }

    #[test]
    fn lines_come_back_as_they_were_remembered_once() {
        let recent = RecentLines::new();
        let lines = jackets_and_a_cap(2);
        recent.remember(&cart("cart_1", 7), &lines, &Taken::default());
        let known = |cart: &str| recent.take(cart).map(|(known, _)| known);
        assert_eq!(known("cart_1"), Some((7, lines)));
        assert_eq!(known("cart_1"), None, "taken, not copied");
        assert_eq!(known("cart_2"), None);
    }

    #[test]
    fn lines_of_one_variant_share_its_snapshot_until_it_changes() {
        let recent = RecentLines::new();
        recent.remember(
            &cart("cart_1", 1),
            &[line("line_a", "var_1", "Jacket", 1)],
            &Taken::default(),
        );
        recent.remember(
            &cart("cart_2", 1),
            &[line("line_b", "var_1", "Jacket", 3)],
            &Taken::default(),
        );
        let shared = |cart: &str| {
            let (_, lines) = recent
                .carts
                .get(cart)
                .unwrap_or_else(|| panic!("{cart} remembered"));
            Arc::clone(&lines[0].snapshot)
        };
        assert!(Arc::ptr_eq(&shared("cart_1"), &shared("cart_2")));

        // The product was renamed: a line snapshotted since gets the new title, and the
        // line snapshotted before keeps the old one.
        recent.remember(
            &cart("cart_3", 1),
            &[line("line_c", "var_1", "Coat", 1)],
            &Taken::default(),
        );
        assert!(!Arc::ptr_eq(&shared("cart_1"), &shared("cart_3")));
        let ((_, old), _) = recent.take("cart_1").unwrap_or_else(|| panic!("cart_1"));
        let ((_, new), _) = recent.take("cart_3").unwrap_or_else(|| panic!("cart_3"));
        assert_eq!(
            (old[0].title.as_str(), new[0].title.as_str()),
            ("Jacket", "Coat")
        );
        assert_eq!(new[0].quantity, 1);
    }

    #[test]
    fn a_change_keeps_the_snapshots_it_took_unless_its_line_changed() {
        let recent = RecentLines::new();
        recent.remember(&cart("cart_1", 1), &jackets_and_a_cap(1), &Taken::default());
        let ((_, mut lines), taken) = recent.take("cart_1").unwrap_or_else(|| panic!("cart_1"));

        // The change: one more jacket, the cap re-snapshotted under a new title (the
        // product was renamed), and a new line first in the list.
        lines[0].quantity = 2;
        lines[1].title = "Beanie".to_owned();
        lines.insert(0, line("line_c", "var_3", "Scarf", 1));
        recent.remember(&cart("cart_1", 2), &lines, &taken);

        let (_, kept) = recent
            .carts
            .get("cart_1")
            .unwrap_or_else(|| panic!("cart_1 remembered"));
        assert!(
            Arc::ptr_eq(&kept[1].snapshot, &taken.0[0]),
            "the jacket keeps its snapshot, though it moved"
        );
        assert!(!Arc::ptr_eq(&kept[2].snapshot, &taken.0[1]));
        assert_eq!(kept[2].snapshot.title, "Beanie");
        assert_eq!(kept[0].snapshot.title, "Scarf");
        let ((version, back), _) = recent.take("cart_1").unwrap_or_else(|| panic!("cart_1"));
        assert_eq!((version, back), (2, lines));
    }
}
