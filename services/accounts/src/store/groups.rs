//! Customer groups, their members, and the merchant's customer list.

use emporium_kernel::{
    db::{Conn, Row, Sql},
    sql,
};

use super::{corrupt, customers};
use crate::{
    ids::{CustomerId, GroupId},
    Customer, CustomerGroup, Result,
};

fn group(r: &Row) -> Result<CustomerGroup> {
    let id: String = r.get(0)?;
    Ok(CustomerGroup {
        id: GroupId::try_from(id).map_err(|_| corrupt("customer_groups.id"))?,
        name: r.get(1)?,
        member_count: r.get(2)?,
        created_at: r.get(3)?,
        updated_at: r.get(4)?,
    })
}

const GROUP_SELECT: &str = "SELECT g.id, g.name, \
     (SELECT COUNT(*) FROM customer_group_members m WHERE m.group_id = g.id), \
     g.created_at, g.updated_at FROM customer_groups g";

/// Inserts a group unless its name (in any case) is taken: `false` then.
pub(crate) async fn insert(
    conn: &mut Conn<'_>,
    id: &GroupId,
    name: &str,
    now: i64,
) -> Result<bool> {
    let row = conn
        .fetch_optional(&sql!(
            "INSERT INTO customer_groups (id, name, name_normalized, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $4) ON CONFLICT (name_normalized) DO NOTHING RETURNING id",
            id,
            name,
            name.to_lowercase(),
            now
        ))
        .await?;
    Ok(row.is_some())
}

pub(crate) async fn all(conn: &mut Conn<'_>) -> Result<Vec<CustomerGroup>> {
    let rows = conn
        .fetch_all(Sql::new(format!("{GROUP_SELECT} ORDER BY g.name_normalized")).transient())
        .await?;
    rows.iter().map(group).collect()
}

pub(crate) async fn find(conn: &mut Conn<'_>, id: &GroupId) -> Result<Option<CustomerGroup>> {
    let mut sql = Sql::new(format!("{GROUP_SELECT} WHERE g.id = "));
    sql.bind(id.as_str());
    let row = conn.fetch_optional(sql.transient()).await?;
    row.as_ref().map(group).transpose()
}

/// Renames a group; `None` when there is no such group, `Some(false)` when another
/// group has the name.
pub(crate) async fn rename(
    conn: &mut Conn<'_>,
    id: &GroupId,
    name: &str,
    now: i64,
) -> Result<Option<bool>> {
    let taken = conn
        .fetch_optional(&sql!(
            "SELECT id FROM customer_groups WHERE name_normalized = $1 AND id <> $2",
            name.to_lowercase(),
            id
        ))
        .await?;
    if taken.is_some() {
        return Ok(Some(false));
    }
    let changed = conn
        .execute(&sql!(
            "UPDATE customer_groups SET name = $1, name_normalized = $2, updated_at = $3 \
             WHERE id = $4",
            name,
            name.to_lowercase(),
            now,
            id
        ))
        .await?;
    Ok((changed > 0).then_some(true))
}

/// Deletes a group and its memberships; false when there was none.
pub(crate) async fn delete(conn: &mut Conn<'_>, id: &GroupId) -> Result<bool> {
    conn.execute(&sql!(
        "DELETE FROM customer_group_members WHERE group_id = $1",
        id
    ))
    .await?;
    let deleted = conn
        .execute(&sql!("DELETE FROM customer_groups WHERE id = $1", id))
        .await?;
    Ok(deleted > 0)
}

/// Adds a member (nothing when they are one already).
pub(crate) async fn add_member(
    conn: &mut Conn<'_>,
    group: &GroupId,
    customer: &CustomerId,
    now: i64,
) -> Result<()> {
    conn.execute(&sql!(
        "INSERT INTO customer_group_members (group_id, customer_id, added_at) \
         VALUES ($1, $2, $3) ON CONFLICT (group_id, customer_id) DO NOTHING",
        group,
        customer,
        now
    ))
    .await?;
    Ok(())
}

/// Removes a member; false when they were not one.
pub(crate) async fn remove_member(
    conn: &mut Conn<'_>,
    group: &GroupId,
    customer: &CustomerId,
) -> Result<bool> {
    let removed = conn
        .execute(&sql!(
            "DELETE FROM customer_group_members WHERE group_id = $1 AND customer_id = $2",
            group,
            customer
        ))
        .await?;
    Ok(removed > 0)
}

/// The groups a customer is in.
pub(crate) async fn of_customer(
    conn: &mut Conn<'_>,
    customer: &CustomerId,
) -> Result<Vec<GroupId>> {
    let rows = conn
        .fetch_all(&sql!(
            "SELECT group_id FROM customer_group_members WHERE customer_id = $1 \
             ORDER BY group_id",
            customer
        ))
        .await?;
    rows.iter()
        .map(|r| {
            let id: String = r.get(0)?;
            GroupId::try_from(id).map_err(|_| corrupt("customer_group_members.group_id"))
        })
        .collect()
}

/// A page of customers, newest first, after `(created_at, id)` when given.
pub(crate) async fn customers_page(
    conn: &mut Conn<'_>,
    q: Option<&str>,
    group: Option<&GroupId>,
    after: Option<(i64, &str)>,
    limit: i64,
) -> Result<Vec<Customer>> {
    let mut sql = Sql::new(format!(
        "SELECT {} FROM customers c WHERE 1 = 1",
        customers::COLUMNS
            .split(", ")
            .map(|c| format!("c.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    if let Some(q) = q {
        let q = q.to_lowercase();
        sql.push(" AND (c.email_normalized LIKE ")
            .bind_contains(&q)
            .push(
                " OR LOWER(COALESCE(c.first_name, '') || ' ' || COALESCE(c.last_name, '')) \
                 LIKE ",
            )
            .bind_contains(&q)
            .push(")");
    }
    if let Some(group) = group {
        sql.push(" AND EXISTS (SELECT 1 FROM customer_group_members m WHERE m.customer_id = c.id AND m.group_id = ")
            .bind(group.as_str())
            .push(")");
    }
    if let Some((created_at, id)) = after {
        sql.push(" AND (c.created_at < ")
            .bind(created_at)
            .push(" OR (c.created_at = ")
            .bind(created_at)
            .push(" AND c.id < ")
            .bind(id)
            .push("))");
    }
    sql.push(" ORDER BY c.created_at DESC, c.id DESC LIMIT ")
        .bind(limit);
    let rows = conn.fetch_all(sql.transient()).await?;
    rows.iter().map(|r| customers::customer(r, 0)).collect()
}
