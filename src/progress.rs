//! What readers and writers report their progress through.

use std::sync::Arc;

/// A progress callback: gets work done and total, returns `false` to cancel.
pub type ProgressFn = Arc<dyn Fn(u64, u64) -> bool + Send + Sync>;
