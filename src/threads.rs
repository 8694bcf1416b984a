//! How many worker threads a run uses: `--threads N`, else `RAYON_NUM_THREADS`, else one per
//! core; at most [`MAX_THREADS`]. More threads than that only cost start-up time (each reserves a
//! large stack, see `engine::WORKER_STACK`): 20,000 took a minute to start. A larger request is
//! lowered to the maximum with a warning, and the run goes on.

/// The most worker threads a run starts.
pub const MAX_THREADS: usize = 256;

/// The thread count to use for `requested` (`--threads`, 0 for the default), and the warning to
/// print when it had to be lowered.
pub fn effective(requested: usize) -> (usize, Option<String>) {
    let (n, source) = if requested > 0 {
        (requested, format!("--threads {requested}"))
    } else {
        match std::env::var("RAYON_NUM_THREADS")
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|&n| n > 0)
        {
            Some(n) => (n, format!("RAYON_NUM_THREADS={n}")),
            None => (
                std::thread::available_parallelism().map_or(1, |n| n.get()),
                String::new(),
            ),
        }
    };
    if n <= MAX_THREADS {
        return (n, None);
    }
    let warning = format!("warning: {source} is more than the maximum ({MAX_THREADS}); using {MAX_THREADS} threads");
    (MAX_THREADS, Some(warning).filter(|_| !source.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_capped() {
        assert_eq!(effective(4), (4, None));
        assert_eq!(effective(MAX_THREADS), (MAX_THREADS, None));
        let (n, warning) = effective(20_000);
        assert_eq!(n, MAX_THREADS);
        assert!(warning.is_some_and(|w| w.contains("--threads 20000")));
        let (n, _) = effective(0);
        assert!((1..=MAX_THREADS).contains(&n));
    }
}
