//! What every model shares while it serves: the run's settings, the count of live clients,
//! admission at `--max-conns`, and the connection lines.

use super::*;

/// What every model shares while it serves. Made once per run and leaked, so threads can borrow
/// it for the life of the process.
pub(crate) struct Context {
    pub service: Service,
    pub stats: &'static Stats,
    pub limit: Arc<ConnLimit>,
    pub max_conns: usize,
    pub idle: Duration,
    count: Option<u64>,
    admitted: AtomicU64,
    /// `--tls`: what every connection's session is made with.
    pub tls: Option<net::tls::ServerTls>,
    /// `--allow`/`--deny`.
    access: Arc<net::Access>,
    /// Set by Ctrl-C or SIGTERM: in-flight work then gets [`GRACE`] to finish.
    pub signals: Arc<Shutdown>,
    /// Set by a signal or by reaching `--count`: stop accepting.
    pub stop: Arc<Shutdown>,
    /// Threads (or connections) the main thread waits for on the way out.
    pub live: Live,
    /// What a client brings: "connection", or "datagram" for UDP.
    unit: &'static str,
    /// The `connection from` lines, bounded under load.
    logged: crate::log::Flood,
    /// The first stderr line (one per listener: the first is the one scripts read), said by
    /// [`Context::ready`]; and a note to follow.
    listening: Vec<String>,
    /// Addresses not bound, said as warnings after the `listening on` lines.
    warnings: Vec<String>,
    note: Option<&'static str>,
    announced: std::sync::Once,
}

/// Whether a freshly accepted connection is served.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Admission {
    Serve,
    /// Over `--max-conns`: closed at once with a reset, so the client sees a failure rather
    /// than what looks like an empty answer.
    Refuse,
    /// Accepted after the server decided to stop: closed without a word.
    Drop,
}

impl Context {
    pub(super) fn new(
        config: &Config,
        stats: &'static Stats,
        signals: Arc<Shutdown>,
        locations: Vec<String>,
        warnings: Vec<String>,
        note: Option<&'static str>,
    ) -> &'static Context {
        let stop = Shutdown::new();
        let tls_summary = config
            .tls
            .as_ref()
            .map(|tls| format!("; {}", tls.summary()))
            .unwrap_or_default();
        {
            let stop = Arc::clone(&stop);
            signals.on_trigger(move || stop.trigger());
        }
        let ctx: &'static Context = Box::leak(Box::new(Context {
            service: config.service.clone(),
            stats,
            limit: ConnLimit::new(config.max_conns),
            max_conns: config.max_conns,
            idle: config.idle,
            count: config.count,
            admitted: AtomicU64::new(0),
            tls: config.tls.clone(),
            access: Arc::clone(&config.access),
            signals,
            stop,
            live: Live::default(),
            unit: match config.transport {
                Transport::Udp(_) => "datagram",
                _ => "connection",
            },
            logged: crate::log::Flood::new(),
            listening: locations
                .iter()
                .map(|location| {
                    format!(
                        "netlab serve: listening on {location} (model {}{tls_summary})",
                        config.model.name()
                    )
                })
                .collect(),
            warnings,
            note,
            announced: std::sync::Once::new(),
        }));
        // A waiting main thread must notice a signal to start the grace period.
        ctx.signals.on_trigger(move || ctx.live.wake());
        ctx
    }

    /// Print the first stderr line — even under `--quiet`, since scripts and tests read the
    /// address there. A model calls this once it is set up and about to serve, so the line
    /// means "ready".
    pub fn ready(&self) {
        self.announced.call_once(|| {
            for line in &self.listening {
                crate::log::line(format_args!("{line}"));
            }
            for warning in &self.warnings {
                crate::warn!("{warning}");
            }
            if let Some(note) = self.note {
                crate::info!("netlab serve: {note}");
            }
            crate::explain::release();
        });
    }

    /// Accept the next client and decide about it (the blocking models' loop body): `Some`
    /// to serve it, holding its slot under `--max-conns`; `None` when there is nobody to serve
    /// this time round (an accept that failed harmlessly, a refusal, a stop).
    pub fn next_client(&self, listener: &Listeners) -> anyhow::Result<Option<Client>> {
        let (stream, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(err) => {
                accept_failed(err, &self.stop)?;
                return Ok(None);
            }
        };
        let slot = self.limit.try_acquire();
        if self.admit(slot.is_some(), &stream, &peer) != Admission::Serve {
            return Ok(None);
        }
        Ok(Some(Client { stream, peer, slot }))
    }

    /// Decide about a connection that has just been accepted, given whether a slot under
    /// `--max-conns` is free. Counts it when served; reaching `--count` stops accepting. A
    /// refused stream is armed to reset when the caller drops it.
    pub fn admit(&self, has_room: bool, stream: &Stream, peer: &Peer) -> Admission {
        let denied = !self.access.admits_peer(peer);
        if (denied || !has_room) && !self.stop.requested() {
            // A Unix socket has no reset: its client sees a plain close.
            let _ = stream.reset_on_close();
        }
        self.admit_unit(has_room, peer)
    }

    /// [`Context::admit`] for what has no stream to refuse (a UDP datagram).
    pub fn admit_unit(&self, has_room: bool, peer: &Peer) -> Admission {
        if self.stop.requested() {
            return Admission::Drop;
        }
        if !self.access.admits_peer(peer) {
            self.stats.denied.fetch_add(1, Ordering::Relaxed);
            self.access.refused(peer);
            return Admission::Refuse;
        }
        if !has_room {
            self.stats.refused.fetch_add(1, Ordering::Relaxed);
            crate::warn!(
                "refused {peer}: {} already in progress (--max-conns)",
                plural(self.max_conns, self.unit)
            );
            return Admission::Refuse;
        }
        let n = self.admitted.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(count) = self.count {
            if n > count {
                return Admission::Drop;
            }
            if n == count {
                self.stop.trigger();
            }
        }
        self.stats.connections.fetch_add(1, Ordering::Relaxed);
        if crate::log::enabled()
            && let Some(skipped) = self.logged.admit()
        {
            self.say_skipped(skipped);
            crate::log::line(format_args!("netlab serve: {} from {peer}", self.unit));
        }
        Admission::Serve
    }

    /// Say how many `connection from` lines were counted and not printed under load.
    fn say_skipped(&self, skipped: u64) {
        if skipped > 0 {
            crate::info!(
                "netlab serve: … and {} more {}{}",
                net::Count(skipped),
                self.unit,
                if skipped == 1 { "" } else { "s" }
            );
        }
    }

    /// On the way out: the counts of log lines not printed under load.
    pub(super) fn flush_log(&self) {
        self.say_skipped(self.logged.take());
        crate::log::flush_warnings();
    }

    /// Serve one connection on a blocking socket, to the end (over TLS, its handshake first).
    pub fn serve(&self, stream: Stream, peer: &Peer) {
        let fd = crate::explain::fd(&stream);
        if let Some(stream) = self.secure(stream, peer) {
            match &self.service {
                Service::Forward(forward) => forward.relay(self, stream, peer),
                Service::Exec(program) => super::exec::serve(self, program, stream, peer),
                _ => self.serve_stream(stream, peer),
            }
        }
        crate::explain::closed(fd);
    }

    /// Without TLS, the stream as it is; with it, the stream's session once its handshake is
    /// done within `--tls-handshake-timeout` (`None`: it failed, and was said).
    pub fn secure(&self, stream: Stream, peer: &Peer) -> Option<Stream> {
        let Some(tls) = &self.tls else {
            return Some(stream);
        };
        let Stream::Tcp(socket) = stream else {
            return Some(stream);
        };
        let stream = match tls.accept(socket) {
            Ok(stream) => stream,
            Err(err) => {
                crate::warn!("{peer}: TLS: {err}");
                return None;
            }
        };
        let done = stream
            .tls()
            .map_or(Ok(()), |session| session.handshake(tls.handshake_timeout));
        match done {
            Ok(()) => {
                self.shook_hands(&stream, peer);
                Some(stream)
            }
            Err(err) => {
                self.tls_failed(&err, peer, tls.handshake_timeout);
                None
            }
        }
    }

    /// A handshake is done: under `--tls-client-ca`, say whose certificate the client showed.
    pub fn shook_hands(&self, stream: &Stream, peer: &Peer) {
        if self.tls.as_ref().is_some_and(|tls| tls.verifies_clients)
            && crate::log::enabled()
            && let Some(subject) = stream.tls().and_then(|session| session.peer_subject())
        {
            crate::log::line(format_args!(
                "netlab serve: {} from {peer}: client certificate {subject}",
                self.unit
            ));
        }
    }

    /// Say why a TLS handshake failed: once per client, in words.
    pub fn tls_failed(&self, err: &io::Error, peer: &Peer, timeout: Duration) {
        if let Some(not_tls) = net::tls::not_tls(err) {
            crate::info!("netlab serve: {peer}: {not_tls}");
        } else if err.kind() == io::ErrorKind::TimedOut {
            crate::info!(
                "netlab serve: closed {peer}: no TLS handshake within {} (--tls-handshake-timeout)",
                format_duration(timeout)
            );
        } else if let Some(why) = net::tls::rustls_error(err) {
            crate::info!(
                "netlab serve: {peer}: TLS handshake failed: {}",
                net::tls::refusal(why)
            );
        } else {
            crate::debug!("netlab serve: {peer}: TLS handshake: {err}");
        }
    }

    /// Serve one connection while holding the pool's turn to accept: a short greeting goes out
    /// at once, since it cannot wait on the client; `release` gives the turn up before
    /// anything that can (a lingering close, every other service).
    pub fn serve_holding(&self, stream: Stream, peer: &Peer, release: impl FnOnce()) {
        self.serve_stream_holding(stream, peer, release);
    }

    fn serve_stream_holding(&self, mut stream: Stream, peer: &Peer, release: impl FnOnce()) {
        let message = match &self.service {
            // A TLS handshake waits on the client.
            Service::Greeting(message)
                if message.len() <= service::INLINE_GREETING && self.tls.is_none() =>
            {
                message
            }
            _ => {
                release();
                return self.serve(stream, peer);
            }
        };
        let done = service::greet(&mut stream, message, self.stats).and_then(|sent_us_data| {
            if sent_us_data {
                release();
                service::linger(&mut stream)?;
            }
            Ok(())
        });
        if let Err(err) = done {
            self.report(&err, peer);
        }
        crate::explain::close(stream);
    }

    fn serve_stream<S: crate::net::Transport>(&self, mut stream: S, peer: &Peer) {
        if self.service.may_stall()
            && let Err(err) = stream.set_timeouts(self.idle)
        {
            crate::debug!("netlab serve: {}: set timeouts: {err}", peer);
        }
        if let Err(err) = self.service.handle(&mut stream, self.stats) {
            self.report(&err, peer);
        }
    }

    /// Say how a connection ended badly: idle closes are worth a line, resets only with -v.
    pub fn report(&self, err: &io::Error, peer: &Peer) {
        match err.kind() {
            _ if net::is_timeout(err) => crate::info!(
                "netlab serve: closed {peer}: idle for {}",
                format_duration(self.idle)
            ),
            io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::UnexpectedEof => {
                crate::debug!("netlab serve: {peer}: {err}")
            }
            _ => crate::warn!("{peer}: {err}"),
        }
    }

    /// Wait until `live` reaches zero: without bound when stopping because of `--count`, for
    /// [`GRACE`] at most once a signal came.
    pub fn drain(&self) {
        let mut deadline = None;
        let mut live = net::lock(&self.live.count);
        while *live > 0 {
            if deadline.is_none() && self.signals.requested() {
                deadline = Some(Instant::now() + GRACE);
                self.stopping(self.limit.active());
            }
            live = match deadline {
                None => self
                    .live
                    .changed
                    .wait(live)
                    .unwrap_or_else(|e| e.into_inner()),
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        crate::warn!(
                            "{} still busy after {}; closing",
                            plural(self.limit.active().max(1), self.unit),
                            format_duration(GRACE)
                        );
                        drop(live);
                        super::exec::terminate_all();
                        break;
                    }
                    self.live
                        .changed
                        .wait_timeout(live, left)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
            };
        }
    }

    /// Say, once a signal came, that the server waits for clients still being served.
    pub fn stopping(&self, in_flight: usize) {
        if in_flight > 0 {
            crate::info!(
                "netlab serve: stopping: waiting up to {} for {} in progress",
                format_duration(GRACE),
                plural(in_flight, self.unit)
            );
        }
    }
}

/// A count of running threads or connections the main thread can wait on.
#[derive(Default)]
pub(crate) struct Live {
    count: Mutex<usize>,
    changed: Condvar,
}

impl Live {
    /// Count one in; the guard counts it out when dropped.
    pub fn enter(&self) -> LiveGuard<'_> {
        *net::lock(&self.count) += 1;
        LiveGuard(self)
    }

    fn wake(&self) {
        let _guard = net::lock(&self.count);
        self.changed.notify_all();
    }
}

pub(crate) struct LiveGuard<'a>(&'a Live);

impl Drop for LiveGuard<'_> {
    fn drop(&mut self) {
        let mut count = net::lock(&self.0.count);
        *count -= 1;
        if *count == 0 {
            self.0.changed.notify_all();
        }
    }
}
