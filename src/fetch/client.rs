//! One HTTP exchange per hop on ureq: the agent's timeouts, proxy and TLS settings. ureq follows no
//! redirect and treats no status as an error here: [`super::redirect`] and [`super::deliver`]
//! decide, so `-v` can show every hop and a loop is caught.

use std::cell::{Cell, OnceCell, RefCell};
use std::sync::Arc;
use std::time::Instant;

use ureq::Agent;
use ureq::http;
use url::Url;

use super::errors;
use super::request::{Hop, Plan, Prepared, check_proxy};
use super::retry::Transient;
use crate::exit::Code;

/// ureq's read buffer: large, so a fast local transfer takes few system calls.
const INPUT_BUFFER: usize = 256 * 1024;

/// What lasts across hops and URLs: the agents, whose pools keep connections open from one
/// request to the next (one agent per proxy and scheme), the TLS settings (loaded once, on the
/// first https hop), and the deadline of `--timeout` (per URL).
pub struct Session<'a> {
    plan: &'a Plan,
    /// Where each request's phases are stamped (`-w`, `--timing`).
    pub timeline: Arc<super::timing::Timeline>,
    tls: OnceCell<Arc<rustls::ClientConfig>>,
    agents: RefCell<Vec<(AgentKey, Agent)>>,
    deadline: Cell<Option<Instant>>,
}

/// Which agent a URL goes through: its proxy (or none) and whether it needs TLS.
type AgentKey = (Option<String>, bool);

/// A response and the agent whose connection carries its body.
pub struct Exchange {
    pub response: http::Response<ureq::Body>,
    _agent: Agent,
}

impl<'a> Session<'a> {
    pub fn new(plan: &'a Plan) -> Session<'a> {
        Session {
            plan,
            timeline: super::timing::Timeline::new(),
            tls: OnceCell::new(),
            agents: RefCell::default(),
            deadline: Cell::new(None),
        }
    }

    /// A URL's transfer begins: its times start over and `--timeout` counts from now.
    pub fn begin(&self) {
        self.timeline.restart();
        self.deadline
            .set(self.plan.total_timeout.map(|total| Instant::now() + total));
    }

    /// Send one request and return once the response head is in; a failure says whether it is
    /// of a kind `--retry-on` may retry.
    pub fn send(
        &self,
        hop: &Hop,
        prepared: Prepared,
    ) -> Result<Exchange, (anyhow::Error, Option<Transient>)> {
        self.timeline.hop();
        let (agent, proxy) = self.agent(&hop.url).map_err(|err| (err, None))?;
        let global = self.time_left().map_err(|err| (err, None))?;
        let request = agent
            .configure_request(prepared.request)
            .timeout_global(global)
            .build();
        let response = agent.run(request).map_err(|err| {
            let transient = Transient::of(&err);
            (
                errors::request(err, &hop.url, self.plan, proxy.as_ref()),
                transient,
            )
        })?;
        Ok(Exchange {
            response,
            _agent: agent,
        })
    }

    /// What is left of `--timeout` for this URL.
    fn time_left(&self) -> anyhow::Result<Option<std::time::Duration>> {
        let Some(deadline) = self.deadline.get() else {
            return Ok(None);
        };
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(errors::total_timeout(self.plan));
        }
        Ok(Some(left))
    }

    /// The agent for this URL: the one made for its proxy and scheme before, or a new one.
    fn agent(&self, url: &Url) -> anyhow::Result<(Agent, Option<ureq::Proxy>)> {
        let plan = self.plan;
        let proxy = proxy_for(plan, url)?;
        if let Some(proxy) = &proxy {
            crate::debug!("* via proxy {}", proxy.uri());
        }
        let key = (
            proxy.as_ref().map(|p| p.uri().to_string()),
            url.scheme() == "https",
        );
        if let Some((_, agent)) = self.agents.borrow().iter().find(|(k, _)| *k == key) {
            return Ok((agent.clone(), proxy));
        }
        let config = Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .allow_non_standard_methods(true)
            // The request carries its own User-Agent, Accept and Accept-Encoding; the agent's
            // User-Agent is what a CONNECT to a proxy says.
            .user_agent(plan.user_agent.as_str())
            .accept("")
            .accept_encoding("")
            .proxy(proxy.clone())
            .timeout_resolve(Some(plan.connect_timeout))
            .timeout_connect(Some(plan.connect_timeout))
            .timeout_per_read(Some(plan.idle_timeout))
            .timeout_per_write(Some(plan.idle_timeout))
            .input_buffer_size(INPUT_BUFFER);
        let tls = if url.scheme() == "https" {
            if self.tls.get().is_none() {
                let _ = self.tls.set(super::tls::config(plan)?);
            }
            self.tls.get().cloned()
        } else {
            None
        };
        let agent = Agent::with_parts(
            config.build(),
            super::tls::connector(tls, Arc::clone(&self.timeline)),
            super::timing::TimedResolver {
                timeline: Arc::clone(&self.timeline),
                inner: ureq::unversioned::resolver::DefaultResolver::default(),
                cache: std::sync::Mutex::default(),
            },
        );
        self.agents.borrow_mut().push((key, agent.clone()));
        Ok((agent, proxy))
    }
}

/// The proxy for this URL: `--proxy` (empty: none), else `http_proxy`/`HTTP_PROXY` for http and
/// `https_proxy`/`HTTPS_PROXY` for https, else `all_proxy`/`ALL_PROXY` — unless the host is in
/// `--noproxy` (or `NO_PROXY` when `--noproxy` is not given).
fn proxy_for(plan: &Plan, url: &Url) -> anyhow::Result<Option<ureq::Proxy>> {
    let host = url.host_str().unwrap_or_default();
    let noproxy = match &plan.noproxy {
        Some(list) => Some(list.clone()),
        None => env_value(&["no_proxy", "NO_PROXY"]).map(|(_, v)| v),
    };
    if noproxy.is_some_and(|list| bypasses(&list, host)) {
        return Ok(None);
    }
    if let Some(proxy) = &plan.proxy {
        // `--proxy ''` means no proxy at all, whatever the environment says (as curl).
        return if proxy.is_empty() {
            Ok(None)
        } else {
            Ok(Some(check_proxy(proxy, plan.proxy_user.as_ref())?))
        };
    }
    let names: &[&str] = match url.scheme() {
        "https" => &["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"],
        _ => &["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"],
    };
    match env_value(names) {
        Some((name, value)) => check_proxy(&value, plan.proxy_user.as_ref())
            .map(Some)
            .map_err(|err| Code::Usage.wrap(err).context(format!("${name}"))),
        None => Ok(None),
    }
}

/// The first of these environment variables that is set and not empty.
fn env_value(names: &[&'static str]) -> Option<(&'static str, String)> {
    names.iter().find_map(|name| {
        std::env::var(name)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .map(|v| (*name, v))
    })
}

/// curl's NO_PROXY rules: `*` is every host; `example.org` (or `.example.org`) is that host and
/// every host under it; IP addresses compare as written.
pub fn bypasses(list: &str, host: &str) -> bool {
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    list.split(',')
        .map(|entry| entry.trim().trim_start_matches('.').to_ascii_lowercase())
        .filter(|entry| !entry.is_empty())
        .any(|entry| {
            let entry = entry.trim_start_matches('[').trim_end_matches(']');
            entry == "*"
                || host == entry
                || (host.len() > entry.len()
                    && host.ends_with(entry)
                    && host.as_bytes()[host.len() - entry.len() - 1] == b'.')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noproxy_matches_hosts_and_domains() {
        assert!(bypasses("*", "anything.test"));
        assert!(bypasses("localhost, 127.0.0.1", "127.0.0.1"));
        assert!(bypasses("example.org", "www.example.org"));
        assert!(bypasses(".example.org", "example.org"));
        assert!(!bypasses("example.org", "badexample.org"));
        assert!(bypasses("::1", "[::1]"));
        assert!(!bypasses("", "127.0.0.1"));
    }
}
