//! Logging: one root span per request carrying its request id, method and
//! route pattern, never the concrete path's query string or a body, so no
//! personal data reaches a log line.

use actix_web::Error;
use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use tracing::Span;
use tracing_actix_web::{RequestId, RootSpanBuilder};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::LogFormat;

/// Installs the global subscriber. `RUST_LOG` filters (default `info`).
/// Safe to call more than once: later calls change nothing.
///
/// The metrics middleware warns on each request whose route has
/// parameters but was answered before routing filled them in (a 401 or
/// 403 of the access check): it then labels it with the route pattern,
/// which is what it should do anyway. Those warnings are off unless
/// `RUST_LOG` names `actix_web_prom`; otherwise anyone could add a warning
/// to the log with every refused request.
pub fn init(format: LogFormat) {
    init_with_writer(format, std::io::stdout);
}

pub fn init_with_writer<W>(format: LogFormat, writer: W)
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    let given = std::env::var(EnvFilter::DEFAULT_ENV).unwrap_or_default();
    let mut filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    if !given.contains("actix_web_prom")
        && let Ok(quiet) = "actix_web_prom=error".parse()
    {
        filter = filter.add_directive(quiet);
    }
    let registry = tracing_subscriber::registry().with(filter);
    let _ = match format {
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_current_span(true)
                    .with_span_list(false)
                    .with_writer(writer),
            )
            .try_init(),
        LogFormat::Text => registry
            .with(tracing_subscriber::fmt::layer().with_writer(writer))
            .try_init(),
    };
}

/// The root span of every request.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(|id| id.to_string())
            .unwrap_or_default();
        let route = request
            .match_pattern()
            .unwrap_or_else(|| "(unmatched)".to_owned());
        tracing::info_span!(
            "request",
            request_id = %request_id,
            method = %request.method(),
            route = %route,
            status = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let status = match outcome {
            Ok(response) => response.status().as_u16(),
            Err(e) => e.as_response_error().status_code().as_u16(),
        };
        span.record("status", status);
        span.in_scope(|| tracing::info!(status, "request finished"));
    }
}
