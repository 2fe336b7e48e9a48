//! Where a redirect leads: the next hop's URL, method and body, as browsers and curl do it
//! (303, and 301/302 after a POST, become GET without a body; 307/308 repeat the request), and
//! the two ways following stops with exit 47: too many hops, or a hop seen before (a loop).

use ureq::http::{HeaderMap, Method, StatusCode, header};

use super::request::{Hop, check_scheme};
use crate::exit::Code;

/// The hop a redirect response leads to, or `None` when it is not a redirect to follow.
pub fn next(hop: &Hop, status: StatusCode, headers: &HeaderMap) -> anyhow::Result<Option<Hop>> {
    if !status.is_redirection() || status == StatusCode::NOT_MODIFIED {
        return Ok(None);
    }
    let Some(location) = headers.get(header::LOCATION) else {
        return Ok(None);
    };
    // A Location with raw UTF-8 is not rare; the URL parser percent-encodes it.
    let location = String::from_utf8_lossy(location.as_bytes());
    let mut url = hop.url.join(location.trim()).map_err(|err| {
        Code::BadUrl.error(format!(
            "{status} from {}: bad Location `{location}`: {err}",
            hop.url
        ))
    })?;
    check_scheme(&url, &location)?;
    url.set_fragment(None);

    let method = match status {
        StatusCode::SEE_OTHER if hop.method != Method::HEAD => Method::GET,
        StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND if hop.method == Method::POST => {
            Method::GET
        }
        _ => hop.method.clone(),
    };
    let payload = if method == hop.method {
        hop.payload.clone()
    } else {
        None
    };
    Ok(Some(Hop {
        url,
        method,
        payload,
    }))
}

/// The hops followed so far, to stop a loop and enforce `--max-redirects`.
pub struct Trail {
    seen: Vec<(Method, String)>,
    max: u32,
}

impl Trail {
    pub fn new(first: &Hop, max: u32) -> Trail {
        Trail {
            seen: vec![(first.method.clone(), first.url.to_string())],
            max,
        }
    }

    /// Record the next hop, or fail with exit 47.
    pub fn push(&mut self, next: &Hop) -> anyhow::Result<()> {
        let key = (next.method.clone(), next.url.to_string());
        if let Some(at) = self.seen.iter().position(|seen| *seen == key) {
            let mut path: Vec<&str> = self.seen[at..].iter().map(|(_, u)| u.as_str()).collect();
            path.push(&key.1);
            return Err(Code::Redirects.error(format!("redirect loop: {}", path.join(" -> "))));
        }
        let hops = self.seen.len() as u32;
        if hops > self.max {
            return Err(Code::Redirects.error(format!(
                "too many redirects: stopped after {} (--max-redirects {}), last at {}",
                self.max, self.max, key.1
            )));
        }
        self.seen.push(key);
        Ok(())
    }

    pub fn count(&self) -> usize {
        self.seen.len() - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ureq::http::HeaderValue;

    fn hop(url: &str, method: Method) -> Hop {
        Hop {
            url: url::Url::parse(url).unwrap(),
            method,
            payload: Some(super::super::request::Payload::Bytes(
                b"x".as_slice().into(),
            )),
        }
    }

    fn location(to: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::LOCATION, HeaderValue::from_str(to).unwrap());
        headers
    }

    #[test]
    fn see_other_turns_post_into_get_without_body() {
        let next = next(
            &hop("http://h.test/a", Method::POST),
            StatusCode::SEE_OTHER,
            &location("/b"),
        )
        .unwrap()
        .unwrap();
        assert_eq!(next.url.as_str(), "http://h.test/b");
        assert_eq!(next.method, Method::GET);
        assert!(next.payload.is_none());
    }

    #[test]
    fn temporary_redirect_repeats_the_request() {
        let next = next(
            &hop("http://h.test/a", Method::PUT),
            StatusCode::TEMPORARY_REDIRECT,
            &location("http://other.test/c"),
        )
        .unwrap()
        .unwrap();
        assert_eq!(next.method, Method::PUT);
        assert!(next.payload.is_some());
    }

    #[test]
    fn loop_is_caught_and_max_is_enforced() {
        let a = hop("http://h.test/a", Method::GET);
        let b = hop("http://h.test/b", Method::GET);
        let mut trail = Trail::new(&a, 10);
        trail.push(&b).unwrap();
        let err = trail.push(&a).unwrap_err();
        assert_eq!(crate::exit::code_of(&err), Some(Code::Redirects));
        assert!(err.to_string().contains("loop"));

        let mut trail = Trail::new(&a, 0);
        let err = trail.push(&b).unwrap_err();
        assert!(err.to_string().contains("too many"));
    }
}
