//! Customer groups (which price lists target) and the merchant's customer list.

use emporium_kernel::keyset;

use crate::{
    error::AccountError,
    ids::{CustomerId, GroupId},
    store::{self, customers},
    Accounts, CustomerGroup, CustomerPage, CustomerQuery, Result,
};

/// Most characters in a group name.
const MAX_GROUP_NAME_CHARS: usize = 100;

fn group_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AccountError::invalid("name", "give the group a name"));
    }
    if name.chars().count() > MAX_GROUP_NAME_CHARS {
        return Err(AccountError::invalid(
            "name",
            format!("at most {MAX_GROUP_NAME_CHARS} characters"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(AccountError::invalid(
            "name",
            "must not contain line breaks or control characters",
        ));
    }
    Ok(name.to_owned())
}

fn name_taken(name: &str) -> AccountError {
    AccountError::invalid("name", format!("a group named `{name}` exists already"))
}

pub(crate) async fn create(accounts: &Accounts, name: &str) -> Result<CustomerGroup> {
    let name = group_name(name)?;
    let (id, now) = (GroupId::new(), accounts.now());
    let (new_id, new_name) = (id.clone(), name.clone());
    let created = accounts
        .db
        .write(async move |conn| store::groups::insert(conn, &new_id, &new_name, now).await)
        .await?;
    if !created {
        return Err(name_taken(&name));
    }
    tracing::info!(group_id = %id, "customer group created");
    Ok(CustomerGroup {
        id,
        name,
        member_count: 0,
        created_at: now,
        updated_at: now,
    })
}

pub(crate) async fn get(accounts: &Accounts, id: &GroupId) -> Result<CustomerGroup> {
    accounts
        .db
        .read(async |conn| store::groups::find(conn, id).await)
        .await?
        .ok_or(AccountError::NotFound)
}

pub(crate) async fn rename(accounts: &Accounts, id: &GroupId, name: &str) -> Result<CustomerGroup> {
    let name = group_name(name)?;
    let now = accounts.now();
    let (group, new_name) = (id.clone(), name.clone());
    let renamed = accounts
        .db
        .write(async move |conn| store::groups::rename(conn, &group, &new_name, now).await)
        .await?;
    match renamed {
        None => Err(AccountError::NotFound),
        Some(false) => Err(name_taken(&name)),
        Some(true) => get(accounts, id).await,
    }
}

pub(crate) async fn delete(accounts: &Accounts, id: &GroupId) -> Result<()> {
    let group = id.clone();
    let deleted = accounts
        .db
        .write(async move |conn| store::groups::delete(conn, &group).await)
        .await?;
    if !deleted {
        return Err(AccountError::NotFound);
    }
    tracing::info!(group_id = %id, "customer group deleted");
    Ok(())
}

/// Adds (idempotently) or removes a member. Errors: `NotFound` for an unknown group or
/// customer, or removing someone who is not a member.
pub(crate) async fn set_member(
    accounts: &Accounts,
    group: &GroupId,
    customer: &CustomerId,
    member: bool,
) -> Result<()> {
    let now = accounts.now();
    let (g, c) = (group.clone(), customer.clone());
    accounts
        .db
        .write(async move |conn| {
            if store::groups::find(conn, &g).await?.is_none()
                || customers::find(conn, &c).await?.is_none()
            {
                return Err(AccountError::NotFound);
            }
            if member {
                store::groups::add_member(conn, &g, &c, now).await
            } else if store::groups::remove_member(conn, &g, &c).await? {
                Ok(())
            } else {
                Err(AccountError::NotFound)
            }
        })
        .await?;
    tracing::info!(group_id = %group, customer_id = %customer, member, "customer group membership changed");
    Ok(())
}

pub(crate) async fn list_customers(
    accounts: &Accounts,
    query: CustomerQuery,
) -> Result<CustomerPage> {
    if !(1..=100).contains(&query.limit) {
        return Err(AccountError::invalid("limit", "must be between 1 and 100"));
    }
    let q = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    if q.is_some_and(|q| q.chars().count() > 200) {
        return Err(AccountError::invalid("q", "must be at most 200 characters"));
    }
    let after = query
        .cursor
        .as_deref()
        .map(|c| {
            keyset::decode(c, "cus").ok_or_else(|| {
                AccountError::invalid(
                    "cursor",
                    "not a cursor of this list: pass the `next_cursor` of the previous page unchanged",
                )
            })
        })
        .transpose()?;
    let after = after.as_ref().map(|(at, id)| (*at, id.as_str()));
    // One row more than asked tells whether another page follows.
    let mut items = accounts
        .db
        .read(async |conn| {
            store::groups::customers_page(conn, q, query.group_id.as_ref(), after, query.limit + 1)
                .await
        })
        .await?;
    let next_cursor =
        keyset::next_cursor(&mut items, query.limit, |c| (c.created_at, c.id.as_str()));
    Ok(CustomerPage { items, next_cursor })
}
