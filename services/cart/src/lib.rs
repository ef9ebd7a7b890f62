//! Cart service: guest carts, line items, regions, tax, shipping options, discount codes, totals.
