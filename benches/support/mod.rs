//! What the decode and encode timers share.

/// CPU time this thread has run.
#[cfg(any(target_os = "linux", target_os = "macos"))]
pub fn thread_cpu_seconds() -> Option<f64> {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid timespec for the call to fill.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    (status == 0).then_some(t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9)
}

/// CPU time this thread has run, where the benchmark does not measure it.
#[cfg(not(any(target_os = "linux", target_os = "macos")))]
pub fn thread_cpu_seconds() -> Option<f64> {
    None
}

/// Best and median of `seconds`.
pub fn summary(mut seconds: Vec<f64>) -> (f64, f64) {
    seconds.sort_by(f64::total_cmp);
    (seconds[0], seconds[seconds.len() / 2])
}
