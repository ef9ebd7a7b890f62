//! The address book. Every function takes the customer id the caller authenticated and
//! every statement is scoped to it: another customer's address is `NotFound`, exactly
//! like one that never existed, so address ids are never confirmed.
//!
//! Every change starts its write by locking the customer row
//! (`store::customers::lock`), so two changes to one address book (say, two new
//! defaults at once) run one after the other, and the default flags stay one per kind.

use emporium_kernel::contact::Address;

use crate::{
    error::AccountError,
    ids::{AddressId, CustomerId},
    store::{addresses, customers},
    Accounts, AddressInput, Result, SavedAddress,
};

/// Most addresses in one book.
pub(crate) const MAX_ADDRESSES: i64 = 50;
/// Most characters in a label.
const MAX_LABEL_CHARS: usize = 50;

/// The label and the address, checked and trimmed; fields are named `address.city`,
/// `label`.
fn checked(input: &AddressInput) -> Result<(Option<String>, Address)> {
    let label = match input
        .label
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        None => None,
        Some(l) if l.chars().count() > MAX_LABEL_CHARS => {
            return Err(AccountError::invalid(
                "label",
                format!("at most {MAX_LABEL_CHARS} characters"),
            ))
        }
        Some(l) if l.chars().any(char::is_control) => {
            return Err(AccountError::invalid(
                "label",
                "must not contain line breaks or control characters",
            ))
        }
        Some(l) => Some(l.to_owned()),
    };
    Ok((label, Address::parse("address", &input.address, None)?))
}

pub(crate) async fn list(a: &Accounts, customer_id: &CustomerId) -> Result<Vec<SavedAddress>> {
    a.db.read(async |conn| {
        if customers::find(conn, customer_id).await?.is_none() {
            return Err(AccountError::NotFound);
        }
        addresses::list(conn, customer_id).await
    })
    .await
}

pub(crate) async fn get(
    a: &Accounts,
    customer_id: &CustomerId,
    address_id: &AddressId,
) -> Result<SavedAddress> {
    a.db.read(async |conn| addresses::find(conn, customer_id, address_id).await)
        .await?
        .ok_or(AccountError::NotFound)
}

pub(crate) async fn add(
    a: &Accounts,
    customer_id: &CustomerId,
    input: AddressInput,
) -> Result<SavedAddress> {
    let (label, address) = checked(&input)?;
    let now = a.now();
    let row = SavedAddress {
        id: AddressId::new(),
        label,
        address,
        default_shipping: input.default_shipping,
        default_billing: input.default_billing,
        created_at: now,
        updated_at: now,
    };
    let id = customer_id.clone();
    let saved =
        a.db.write(async move |conn| {
            if !customers::lock(conn, &id, now).await? {
                return Err(AccountError::NotFound);
            }
            if addresses::count(conn, &id).await? >= MAX_ADDRESSES {
                return Err(AccountError::invalid(
                    "address",
                    format!(
                        "an address book holds at most {MAX_ADDRESSES} addresses: delete one first"
                    ),
                ));
            }
            addresses::clear_defaults(
                conn,
                &id,
                &row.id,
                row.default_shipping,
                row.default_billing,
            )
            .await?;
            addresses::insert(conn, &id, &row).await?;
            Ok(row)
        })
        .await?;
    tracing::info!(customer_id = %customer_id, address_id = %saved.id, "address added");
    Ok(saved)
}

pub(crate) async fn update(
    a: &Accounts,
    customer_id: &CustomerId,
    address_id: &AddressId,
    input: AddressInput,
) -> Result<SavedAddress> {
    let (label, address) = checked(&input)?;
    let now = a.now();
    let row = SavedAddress {
        id: address_id.clone(),
        label,
        address,
        default_shipping: input.default_shipping,
        default_billing: input.default_billing,
        created_at: now,
        updated_at: now,
    };
    let id = customer_id.clone();
    let saved =
        a.db.write(async move |conn| {
            if !customers::lock(conn, &id, now).await? {
                return Err(AccountError::NotFound);
            }
            addresses::clear_defaults(
                conn,
                &id,
                &row.id,
                row.default_shipping,
                row.default_billing,
            )
            .await?;
            // Not this customer's address: `NotFound`, and the write (with the cleared
            // defaults) rolls back.
            addresses::update(conn, &id, &row)
                .await?
                .ok_or(AccountError::NotFound)
        })
        .await?;
    tracing::info!(customer_id = %customer_id, address_id = %saved.id, "address updated");
    Ok(saved)
}

pub(crate) async fn delete(
    a: &Accounts,
    customer_id: &CustomerId,
    address_id: &AddressId,
) -> Result<()> {
    let now = a.now();
    let (id, address) = (customer_id.clone(), address_id.clone());
    a.db.write(async move |conn| {
        if !customers::lock(conn, &id, now).await? {
            return Err(AccountError::NotFound);
        }
        match addresses::delete(conn, &id, &address).await? {
            true => Ok(()),
            false => Err(AccountError::NotFound),
        }
    })
    .await?;
    tracing::info!(customer_id = %customer_id, address_id = %address_id, "address deleted");
    Ok(())
}
