//! The one retry policy every LLM call goes through, as a tower service
//! under async-openai (which then only builds requests and parses answers).
//!
//! Retried: connection errors, timeouts, 408, 409, 429 and 5xx, with
//! exponential backoff and full jitter, or after the server's own
//! `retry-after-ms` / `Retry-After` (capped). Never retried: other 4xx and a
//! 429 whose body says `insufficient_quota` (waiting will not bring money
//! back). Each attempt has its own timeout, covering the whole body, and no
//! wait may cross the run's overall deadline.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};

use async_openai::error::OpenAIError;
use async_openai::middleware::HttpRequestFactory;
use reqwest::header::HeaderMap;
use reqwest::{Response, StatusCode};

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts per call, the first one included.
    pub max_attempts: u32,
    /// First backoff step; doubled per attempt, up to `max_backoff`.
    pub base: Duration,
    pub max_backoff: Duration,
    /// The longest `Retry-After` honoured.
    pub retry_after_cap: Duration,
    /// Time for one attempt, from sending to the last byte of the answer.
    pub request_timeout: Duration,
    /// No attempt starts, and no wait ends, after this.
    pub deadline: Option<Instant>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            base: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            retry_after_cap: Duration::from_secs(120),
            request_timeout: Duration::from_secs(300),
            deadline: None,
        }
    }
}

/// Why an attempt failed in a way worth another try.
#[derive(Debug)]
enum Transient {
    Response(Response),
    Timeout,
    Connect(reqwest::Error),
}

/// A failure the retry service gives up on, as an error async-openai carries.
#[derive(Debug, thiserror::Error)]
pub enum GiveUp {
    #[error("no answer within {0:?} ({1} attempts)")]
    Timeout(Duration, u32),
    #[error("the run's deadline passed")]
    Deadline,
}

impl RetryPolicy {
    /// Full jitter: a random wait between zero and the exponential step.
    fn backoff(&self, attempt: u32) -> Duration {
        let step = self
            .base
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.max_backoff);
        step.mul_f64(fastrand::f64())
    }

    async fn execute(
        &self,
        http: &reqwest::Client,
        factory: HttpRequestFactory,
    ) -> Result<Response, OpenAIError> {
        let mut attempt = 0;
        loop {
            if self.deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(OpenAIError::Boxed(Box::new(GiveUp::Deadline)));
            }
            attempt += 1;
            let outcome = self.attempt(http, &factory).await?;
            let (transient, hint) = match outcome {
                Ok(response) => return Ok(response),
                Err(t) => {
                    let hint = match &t {
                        Transient::Response(r) => retry_after(r.headers(), SystemTime::now()),
                        _ => None,
                    };
                    (t, hint)
                }
            };
            let wait = hint
                .map(|h| h.min(self.retry_after_cap))
                .unwrap_or_else(|| self.backoff(attempt - 1));
            let past_deadline = self
                .deadline
                .is_some_and(|d| Instant::now().checked_add(wait).is_none_or(|end| end >= d));
            if attempt >= self.max_attempts || past_deadline {
                return match transient {
                    Transient::Response(r) => Ok(r),
                    Transient::Timeout => Err(OpenAIError::Boxed(Box::new(GiveUp::Timeout(
                        self.request_timeout,
                        attempt,
                    )))),
                    Transient::Connect(e) => Err(OpenAIError::Reqwest(e)),
                };
            }
            tracing::info!(
                "LLM call failed ({}); retry {attempt} in {:.1} s",
                describe(&transient),
                wait.as_secs_f64()
            );
            tokio::time::sleep(wait).await;
        }
    }

    /// One attempt: the answer with its whole body, or a transient failure.
    async fn attempt(
        &self,
        http: &reqwest::Client,
        factory: &HttpRequestFactory,
    ) -> Result<Result<Response, Transient>, OpenAIError> {
        let request = factory.build().await?;
        let sent = async {
            let response = http.execute(request).await?;
            let status = response.status();
            let headers = response.headers().clone();
            let body = response.bytes().await?;
            Ok::<_, reqwest::Error>((status, headers, body))
        };
        let (status, headers, body) = match tokio::time::timeout(self.request_timeout, sent).await {
            Err(_) => return Ok(Err(Transient::Timeout)),
            Ok(Err(e)) if e.is_timeout() => return Ok(Err(Transient::Timeout)),
            Ok(Err(e)) if e.is_connect() || e.is_request() || e.is_body() => {
                return Ok(Err(Transient::Connect(e)));
            }
            Ok(Err(e)) => return Err(OpenAIError::Reqwest(e)),
            Ok(Ok(parts)) => parts,
        };
        let retryable = matches!(status.as_u16(), 408 | 409 | 429 | 500..=599)
            && !(status == StatusCode::TOO_MANY_REQUESTS && is_out_of_quota(&body));
        let mut rebuilt = http::Response::builder().status(status);
        if let Some(h) = rebuilt.headers_mut() {
            *h = headers;
        }
        let response: Response = rebuilt
            .body(body)
            .map(Response::from)
            .map_err(|e| OpenAIError::InvalidArgument(format!("cannot rebuild response: {e}")))?;
        Ok(if retryable {
            Err(Transient::Response(response))
        } else {
            Ok(response)
        })
    }
}

fn describe(t: &Transient) -> String {
    match t {
        Transient::Response(r) => format!("HTTP {}", r.status()),
        Transient::Timeout => "timed out".into(),
        Transient::Connect(_) => "cannot connect".into(),
    }
}

fn is_out_of_quota(body: &[u8]) -> bool {
    String::from_utf8_lossy(body).contains("insufficient_quota")
}

/// Seconds as a duration; an absurd number (`1e20`) is the longest one,
/// which the caller caps, instead of a panic.
fn duration(secs: f64) -> Duration {
    Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX)
}

/// The wait a server asks for: `retry-after-ms`, or `Retry-After` as seconds or an HTTP date.
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(ms) = get("retry-after-ms")
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v >= 0.0)
    {
        return Some(duration(ms / 1000.0));
    }
    let value = get("retry-after")?;
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| duration(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The tower service async-openai sends every request through.
#[derive(Clone)]
pub struct RetryService {
    http: reqwest::Client,
    policy: Arc<RetryPolicy>,
}

impl RetryService {
    pub fn new(http: reqwest::Client, policy: RetryPolicy) -> Self {
        RetryService {
            http,
            policy: Arc::new(policy),
        }
    }
}

impl tower::Service<HttpRequestFactory> for RetryService {
    type Response = Response;
    type Error = OpenAIError;
    type Future = Pin<Box<dyn Future<Output = Result<Response, OpenAIError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), OpenAIError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, factory: HttpRequestFactory) -> Self::Future {
        let (http, policy) = (self.http.clone(), self.policy.clone());
        Box::pin(async move { policy.execute(&http, factory).await })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        assert_eq!(
            retry_after(&headers(&[("retry-after", "3")]), now),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after-ms", "250")]), now),
            Some(Duration::from_millis(250))
        );
        let date = httpdate::fmt_http_date(now + Duration::from_secs(7));
        assert_eq!(
            retry_after(&headers(&[("retry-after", &date)]), now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(retry_after(&headers(&[("retry-after", "soon")]), now), None);
        assert_eq!(
            retry_after(&headers(&[("retry-after", "1e20")]), now),
            Some(Duration::MAX)
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after-ms", "1e300")]), now),
            Some(Duration::MAX)
        );
        assert_eq!(retry_after(&headers(&[]), now), None);
    }

    #[test]
    fn backoff_is_jittered_and_capped() {
        let p = RetryPolicy {
            base: Duration::from_secs(1),
            max_backoff: Duration::from_secs(4),
            ..Default::default()
        };
        for attempt in 0..20 {
            let d = p.backoff(attempt);
            assert!(d <= Duration::from_secs(4), "{d:?}");
        }
        let waits: Vec<Duration> = (0..50).map(|_| p.backoff(3)).collect();
        assert!(waits.iter().any(|w| *w != waits[0]), "no jitter");
    }

    #[test]
    fn quota_errors_are_recognised() {
        assert!(is_out_of_quota(
            br#"{"error":{"code":"insufficient_quota"}}"#
        ));
        assert!(!is_out_of_quota(
            br#"{"error":{"code":"rate_limit_exceeded"}}"#
        ));
    }
}
