//! Where the service reads the time. Sessions and tokens expire by it, so tests move it
//! by hand instead of sleeping for 30 days.

/// The current time as Unix milliseconds.
pub trait Clock: Send + Sync + 'static {
    fn now_ms(&self) -> i64;
}

/// The system's clock (UTC), what production uses.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        emporium_kernel::clock::now_ms()
    }
}
