//! The address book. Every statement names the customer as well as the address, so an
//! address id of another customer matches nothing.

use std::sync::LazyLock;

use emporium_kernel::{
    contact::Address,
    db::{Conn, Row},
    sql,
};

use super::corrupt;
use crate::{
    ids::{AddressId, CustomerId},
    Result, SavedAddress,
};

const COLUMNS: &str = "id, label, name, line1, line2, city, postal_code, country, phone, \
     is_default_shipping, is_default_billing, created_at, updated_at";

fn saved(r: &Row) -> Result<SavedAddress> {
    let id: String = r.get(0)?;
    Ok(SavedAddress {
        id: AddressId::try_from(id).map_err(|_| corrupt("customer_addresses.id"))?,
        label: r.get(1)?,
        address: Address {
            name: r.get(2)?,
            line1: r.get(3)?,
            line2: r.get(4)?,
            city: r.get(5)?,
            postal_code: r.get(6)?,
            country: r.get(7)?,
            phone: r.get(8)?,
        },
        default_shipping: r.get(9)?,
        default_billing: r.get(10)?,
        created_at: r.get(11)?,
        updated_at: r.get(12)?,
    })
}

static LIST: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {COLUMNS} FROM customer_addresses WHERE customer_id = $1 \
         ORDER BY created_at, id"
    )
});

/// The customer's addresses in the order they were added.
pub(crate) async fn list(
    conn: &mut Conn<'_>,
    customer_id: &CustomerId,
) -> Result<Vec<SavedAddress>> {
    conn.fetch_all(&sql!(&*LIST, customer_id))
        .await?
        .iter()
        .map(saved)
        .collect()
}

static FIND: LazyLock<String> = LazyLock::new(|| {
    format!("SELECT {COLUMNS} FROM customer_addresses WHERE id = $1 AND customer_id = $2")
});

pub(crate) async fn find(
    conn: &mut Conn<'_>,
    customer_id: &CustomerId,
    id: &AddressId,
) -> Result<Option<SavedAddress>> {
    let row = conn.fetch_optional(&sql!(&*FIND, id, customer_id)).await?;
    row.map(|r| saved(&r)).transpose()
}

pub(crate) async fn count(conn: &mut Conn<'_>, customer_id: &CustomerId) -> Result<i64> {
    Ok(conn
        .fetch_scalar(&sql!(
            "SELECT COUNT(*) FROM customer_addresses WHERE customer_id = $1",
            customer_id
        ))
        .await?)
}

/// Takes the shipping and/or billing default from every address of the customer but
/// `except`, before another address gets it (the partial unique indexes allow one).
pub(crate) async fn clear_defaults(
    conn: &mut Conn<'_>,
    customer_id: &CustomerId,
    except: &AddressId,
    shipping: bool,
    billing: bool,
) -> Result<()> {
    if shipping {
        conn.execute(&sql!(
            "UPDATE customer_addresses SET is_default_shipping = 0 \
             WHERE customer_id = $1 AND is_default_shipping = 1 AND id <> $2",
            customer_id,
            except
        ))
        .await?;
    }
    if billing {
        conn.execute(&sql!(
            "UPDATE customer_addresses SET is_default_billing = 0 \
             WHERE customer_id = $1 AND is_default_billing = 1 AND id <> $2",
            customer_id,
            except
        ))
        .await?;
    }
    Ok(())
}

pub(crate) async fn insert(
    conn: &mut Conn<'_>,
    customer_id: &CustomerId,
    a: &SavedAddress,
) -> Result<()> {
    let x = &a.address;
    conn.execute(&sql!(
        "INSERT INTO customer_addresses (id, customer_id, label, name, line1, line2, city, \
           postal_code, country, phone, is_default_shipping, is_default_billing, created_at, \
           updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        &a.id,
        customer_id,
        &a.label,
        &x.name,
        &x.line1,
        &x.line2,
        &x.city,
        &x.postal_code,
        &x.country,
        &x.phone,
        a.default_shipping,
        a.default_billing,
        a.created_at,
        a.updated_at
    ))
    .await?;
    Ok(())
}

static UPDATE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "UPDATE customer_addresses SET label = $1, name = $2, line1 = $3, line2 = $4, \
           city = $5, postal_code = $6, country = $7, phone = $8, is_default_shipping = $9, \
           is_default_billing = $10, updated_at = $11 \
         WHERE id = $12 AND customer_id = $13 RETURNING {COLUMNS}"
    )
});

/// Replaces an address of the customer (`a.created_at` is ignored). `None` when the
/// customer has no address with this id.
pub(crate) async fn update(
    conn: &mut Conn<'_>,
    customer_id: &CustomerId,
    a: &SavedAddress,
) -> Result<Option<SavedAddress>> {
    let x = &a.address;
    let row = conn
        .fetch_optional(&sql!(
            &*UPDATE,
            &a.label,
            &x.name,
            &x.line1,
            &x.line2,
            &x.city,
            &x.postal_code,
            &x.country,
            &x.phone,
            a.default_shipping,
            a.default_billing,
            a.updated_at,
            &a.id,
            customer_id
        ))
        .await?;
    row.map(|r| saved(&r)).transpose()
}

/// `false` when the customer has no address with this id.
pub(crate) async fn delete(
    conn: &mut Conn<'_>,
    customer_id: &CustomerId,
    id: &AddressId,
) -> Result<bool> {
    let deleted = conn
        .execute(&sql!(
            "DELETE FROM customer_addresses WHERE id = $1 AND customer_id = $2",
            id,
            customer_id
        ))
        .await?;
    Ok(deleted > 0)
}
