//! Checkout and orders: the order saga, order lifecycle, idempotent order placement.
