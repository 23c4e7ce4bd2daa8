"""Prometheus metrics under TF Serving's names.

TF Serving exports `/tensorflow/serving/request_count` as
`:tensorflow:serving:request_count{model_name,status}` (a counter without the
`_total` suffix) and `:tensorflow:serving:request_latency{model_name,API,entrypoint}`
(a histogram in microseconds). prometheus-client renders the histograms; the request
count is written by hand so its name and type stay exactly TF
Serving's, which dashboards and alerts written for TF Serving query.
"""

from __future__ import annotations

import threading

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

REQUEST_COUNT = ":tensorflow:serving:request_count"
REQUEST_LATENCY = ":tensorflow:serving:request_latency"
BATCH_SIZE = ":tensorflow:serving:batching_session:processed_batch_size"
# This server's own (TF Serving's open-source build has no request logger);
# prometheus-client writes it as `request_log_records_total`.
REQUEST_LOG_RECORDS = "request_log_records"
CONTENT_TYPE = "text/plain"

# monitoring::Buckets::Exponential(10, 1.8, 33), as in TF Serving (microseconds).
_LATENCY_BUCKETS = tuple(10 * 1.8**i for i in range(33))
_BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)


class _RequestCounter:
    """A labelled counter written under its exact name and type.

    prometheus-client writes a counter family as `<name>_total`; TF Serving's
    page says `# TYPE :tensorflow:serving:request_count counter` with samples
    of that name, so this one is written by hand.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str], int] = {}

    def inc(self, model_name: str, status: str) -> None:
        with self._lock:
            key = (model_name, status)
            self._counts[key] = self._counts.get(key, 0) + 1

    def exposition(self) -> bytes:
        with self._lock:
            counts = dict(self._counts)
        lines = [
            f"# HELP {REQUEST_COUNT} The total number of requests.",
            f"# TYPE {REQUEST_COUNT} counter",
        ]
        for (model_name, status), value in sorted(counts.items()):
            labels = f'model_name="{_escape(model_name)}",status="{_escape(status)}"'
            lines.append(f"{REQUEST_COUNT}{{{labels}}} {value}")
        return ("\n".join(lines) + "\n").encode()


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


class ServingMetrics:
    """The server's metrics, in a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._requests = _RequestCounter()
        self._latency = Histogram(
            REQUEST_LATENCY,
            "Distribution of wall time (in microseconds) for Tensorflow Serving request.",
            ["model_name", "API", "entrypoint"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._batch_size = Histogram(
            BATCH_SIZE,
            "Number of rows in each batch that ran (server-side batching).",
            ["model_name"],
            buckets=_BATCH_BUCKETS,
            registry=self.registry,
        )
        self._request_log = Counter(
            REQUEST_LOG_RECORDS,
            "Sampled requests by what became of their log record: written, dropped "
            "(the log queue was full) or failed.",
            ["model_name", "outcome"],
            registry=self.registry,
        )

    def record_request(
        self, model_name: str, api: str, entrypoint: str, status: str, seconds: float
    ) -> None:
        """Counts one request and its latency; `status` is a canonical code name."""
        self._requests.inc(model_name, status)
        self._latency.labels(model_name, api, entrypoint).observe(seconds * 1e6)

    def record_batch(self, model_name: str, rows: int) -> None:
        """Records the size of one batch the batcher ran."""
        self._batch_size.labels(model_name).observe(rows)

    def record_request_log(self, model_name: str, outcome: str, count: int = 1) -> None:
        """Counts sampled requests' log records by outcome (see serving.request_log)."""
        self._request_log.labels(model_name, outcome).inc(count)

    def exposition(self) -> bytes:
        """The Prometheus text page."""
        return self._requests.exposition() + generate_latest(self.registry)
