//! Several URLs in one run (curl's rules): fetched in the order given through one
//! [`Session`], so each host's connection is kept and used again; with `-Z`, up to
//! `--parallel-max` workers at once, each with its own session (and connections). A failure is
//! reported when it happens and the others go on, unless `--fail-early`. At the end one summary
//! line; when something failed it is the error, with the first failure's exit code.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

use super::client::Session;
use super::request::Plan;
use crate::exit::Code;

/// How one URL ended: its body bytes, or its error.
type Outcome = (u64, anyhow::Result<()>);

/// Fetch every URL of the plan; the summary line, or the error that carries it.
pub fn run(plan: &Plan) -> anyhow::Result<()> {
    let started = Instant::now();
    let outcomes: Vec<Mutex<Option<Outcome>>> =
        plan.jobs.iter().map(|_| Mutex::default()).collect();
    let queue = Queue {
        plan,
        next: AtomicUsize::new(0),
        stop: AtomicBool::new(false),
        outcomes: &outcomes,
    };
    let workers = plan.parallel.min(plan.jobs.len()).max(1);
    if workers == 1 {
        queue.work();
    } else {
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| queue.work());
            }
        });
    }
    let outcomes: Vec<Option<Outcome>> = outcomes
        .into_iter()
        .map(|slot| slot.into_inner().unwrap_or_else(|e| e.into_inner()))
        .collect();
    summary(plan, outcomes, started)
}

/// The URLs still to fetch, shared by the workers.
struct Queue<'a> {
    plan: &'a Plan,
    next: AtomicUsize,
    /// `--fail-early` saw a failure: take no more URLs.
    stop: AtomicBool,
    outcomes: &'a [Mutex<Option<Outcome>>],
}

impl Queue<'_> {
    /// Take URLs until none is left, through one session (one pool of kept connections).
    fn work(&self) {
        let session = Session::new(self.plan);
        while !self.stop.load(Ordering::SeqCst) {
            let at = self.next.fetch_add(1, Ordering::SeqCst);
            let Some(job) = self.plan.jobs.get(at) else {
                return;
            };
            let result = super::fetch(self.plan, job, &session);
            let bytes = session.timeline.answer().size_download;
            if let Err(err) = &result
                && crate::exit::code_of(err).is_some()
            {
                if !crate::log::errors_silenced() {
                    crate::log::line(format_args!("netlab: {}", crate::exit::message(err)));
                }
                if self.plan.fail_early {
                    self.stop.store(true, Ordering::SeqCst);
                }
            }
            *crate::net::lock(&self.outcomes[at]) = Some((bytes, result));
        }
    }
}

/// `netlab: 3 URLs: 2 ok, 1 failed, 1.2 KiB in 31 ms` — printed when all went well, else the
/// error (its exit code the first failed URL's, in the order given).
fn summary(plan: &Plan, outcomes: Vec<Option<Outcome>>, started: Instant) -> anyhow::Result<()> {
    let mut ok = 0;
    let mut failed = 0;
    let mut bytes = 0;
    let mut first: Option<(Code, &url::Url)> = None;
    for (job, outcome) in plan.jobs.iter().zip(&outcomes) {
        let Some((size, result)) = outcome else {
            continue;
        };
        bytes += size;
        match result.as_ref().err().and_then(crate::exit::code_of) {
            None => ok += 1,
            Some(code) => {
                failed += 1;
                first.get_or_insert((code, &job.url));
            }
        }
    }
    let skipped = plan.jobs.len() - ok - failed;
    let mut line = format!(
        "{} URLs: {ok} ok, {failed} failed",
        crate::net::Count(plan.jobs.len() as u64)
    );
    if skipped > 0 {
        line.push_str(&format!(", {skipped} not tried (--fail-early)"));
    }
    line.push_str(&format!(
        ", {} in {}",
        crate::net::HumanBytes(bytes),
        crate::net::format_duration(started.elapsed())
    ));
    match first {
        None => {
            crate::info!("netlab: {line}");
            Ok(())
        }
        Some((code, url)) => Err(code.error(format!("{line} (the first to fail: {url})"))),
    }
}
