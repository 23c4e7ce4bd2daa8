"""The model repository: version discovery, version policy, loading and unloading.

Mirrors TF Serving's file-system source + availability-preserving manager:

- a model's versions are the numeric directories under its base path
  (`00000123` is version 123; anything else, e.g. `.staging-*`, is ignored);
- the version policy picks which of them to serve; a new version is loaded
  in the background and published only once it loaded, and a version that
  leaves the policy is unloaded only after its replacements are available;
- requests hold a lease on the version they use, so unloading never cuts off
  an in-flight request;
- a version that fails to load is reported as END with the error and is left
  out of the policy, so the last good version keeps serving. It is retried
  when its directory changes (e.g. a slow copy finishes).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import threading
from collections.abc import Callable, Iterator

from tensorflow_serving.apis import get_model_status_pb2

from models import layout
from serving.config import ModelConfig
from serving.errors import Code, ServingError, as_serving_error, invalid_argument, not_found
from serving.servable import Servable

log = logging.getLogger(__name__)

State = get_model_status_pb2.ModelVersionStatus.State
_INT64_MAX = 2**63 - 1

LoadFn = Callable[[str, int, str], Servable]


@dataclasses.dataclass(frozen=True)
class VersionStatus:
    """The lifecycle state of one version, and why it failed if it did."""

    version: int
    state: int
    error: ServingError | None = None


@dataclasses.dataclass
class _Model:
    config: ModelConfig
    servables: dict[int, Servable] = dataclasses.field(default_factory=dict)
    statuses: dict[int, VersionStatus] = dataclasses.field(default_factory=dict)
    failed: dict[int, tuple] = dataclasses.field(default_factory=dict)
    labels: dict[str, int] = dataclasses.field(default_factory=dict)
    warned_empty: bool = False


class ModelRepository:
    """Serves the configured models' versions and keeps them in sync with disk."""

    def __init__(self, load_version: LoadFn, *, allow_unavailable_labels: bool = False) -> None:
        self._load_version = load_version
        self._allow_unavailable_labels = allow_unavailable_labels
        # _lock guards what requests read; _sync_lock serialises scans, loads
        # and config changes, which may take long and must not block requests.
        self._lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self._models: dict[str, _Model] = {}
        self._stop = threading.Event()
        self._poller: threading.Thread | None = None

    # ---- configuration and synchronisation -------------------------------

    def apply_config(self, configs: list[ModelConfig]) -> None:
        """Installs a model list: loads what it adds, unloads what it drops, sets labels.

        Labels are checked after loading: unless unavailable versions are
        allowed, a label must name a version that is AVAILABLE, otherwise
        FAILED_PRECONDITION is raised and the previous labels stay.
        """
        with self._sync_lock:
            wanted = {config.name: config for config in configs}
            for name in list(self._models):
                if name not in wanted:
                    self._unload_all(self._models[name])
                    with self._lock:
                        del self._models[name]
            with self._lock:
                for name, config in wanted.items():
                    model = self._models.get(name)
                    if model is None:
                        self._models[name] = _Model(config=config)
                    else:
                        model.config = config
            for name in wanted:
                self._sync_model(self._models[name])
            self._apply_labels(configs)

    def poll_once(self) -> None:
        """Scans every model's base path once and loads/unloads accordingly."""
        with self._sync_lock:
            for model in list(self._models.values()):
                self._sync_model(model)

    def start_polling(self, interval_seconds: float) -> None:
        """Re-scans the base paths every `interval_seconds` in a daemon thread."""
        if interval_seconds <= 0:
            return
        self._poller = threading.Thread(
            target=self._poll_loop, args=(interval_seconds,), name="version-poller", daemon=True
        )
        self._poller.start()

    def stop(self) -> None:
        """Stops polling and unloads every version (after its in-flight requests)."""
        self._stop.set()
        if self._poller is not None:
            self._poller.join(timeout=30)
        with self._sync_lock:
            for model in self._models.values():
                self._unload_all(model)

    def _poll_loop(self, interval_seconds: float) -> None:
        while not self._stop.wait(interval_seconds):
            try:
                self.poll_once()
            except Exception:  # a bad scan must not kill the poller
                log.exception("Polling the model base paths failed")

    def _sync_model(self, model: _Model) -> None:
        name, base_path = model.config.name, model.config.base_path
        try:
            on_disk = discover_versions(base_path)
        except OSError as exc:
            # Keep serving what is loaded when the base path is unreadable.
            self._warn_once(model, f"Could not read base path {base_path} of model {name}: {exc}")
            return
        if not on_disk:
            self._warn_once(
                model,
                f"No versions of servable {name} found under base path {base_path}. Did you "
                "forget to name your leaf directory as a number (eg. '/1/')?",
            )
        else:
            model.warned_empty = False
        self._forget_changed_failures(model, on_disk)
        while True:
            aspired = model.config.policy.select(v for v in on_disk if v not in model.failed)
            missing = sorted(aspired - set(model.servables), reverse=True)
            if not missing:
                break
            for version in missing:
                self._load(model, version, on_disk[version])
        for version in sorted(set(model.servables) - aspired):
            self._unload(model, version)

    def _forget_changed_failures(self, model: _Model, on_disk: dict[int, str]) -> None:
        for version, fingerprint in list(model.failed.items()):
            path = on_disk.get(version)
            if path is None or directory_fingerprint(path) != fingerprint:
                del model.failed[version]

    def _load(self, model: _Model, version: int, path: str) -> None:
        name = model.config.name
        self._set_status(model, VersionStatus(version, State.LOADING))
        fingerprint = directory_fingerprint(path)
        log.info("Loading servable: {name: %s version: %d} from %s", name, version, path)
        try:
            servable = self._load_version(name, version, path)
        except Exception as exc:
            error = load_error(exc)
            log.error("Loading servable: {name: %s version: %d} failed: %s", name, version, error)
            model.failed[version] = fingerprint
            self._set_status(model, VersionStatus(version, State.END, error))
            with self._lock:
                serving = sorted(model.servables, reverse=True)
            if serving:
                log.warning(
                    "Still serving {name: %s version: %s}; version %d will not be retried "
                    "until its files change",
                    name,
                    ", ".join(map(str, serving)),
                    version,
                )
            else:
                log.warning("No version of %s is being served", name)
            return
        with self._lock:
            model.servables[version] = servable
            model.statuses[version] = VersionStatus(version, State.AVAILABLE)
        log.info("Successfully loaded servable version {name: %s version: %d}", name, version)

    def _unload(self, model: _Model, version: int) -> None:
        with self._lock:
            servable = model.servables.pop(version)
            model.statuses[version] = VersionStatus(version, State.UNLOADING)
        servable.retire()
        self._set_status(model, VersionStatus(version, State.END))
        log.info("Unloaded servable version {name: %s version: %d}", model.config.name, version)

    def _unload_all(self, model: _Model) -> None:
        for version in sorted(model.servables):
            self._unload(model, version)

    def _set_status(self, model: _Model, status: VersionStatus) -> None:
        with self._lock:
            model.statuses[status.version] = status

    def _warn_once(self, model: _Model, message: str) -> None:
        if not model.warned_empty:
            log.warning(message)
            model.warned_empty = True

    def _apply_labels(self, configs: list[ModelConfig]) -> None:
        for config in configs:
            model = self._models[config.name]
            for _, version in config.labels:
                if not self._allow_unavailable_labels and version not in model.servables:
                    raise ServingError(
                        Code.FAILED_PRECONDITION,
                        f"Request to assign label to version {version} of model {config.name}, "
                        "which is not currently available for inference",
                    )
        with self._lock:
            for config in configs:
                self._models[config.name].labels = dict(config.labels)

    # ---- request-time lookups ---------------------------------------------

    @contextlib.contextmanager
    def lease(
        self, name: str, version: int | None = None, label: str | None = None
    ) -> Iterator[Servable]:
        """Resolves a model spec to a loaded version and holds it for the block.

        Raises TF Serving's errors: NOT_FOUND `Servable not found for request:
        Latest(m)` / `Specific(m, v)`, INVALID_ARGUMENT for an unknown label.
        """
        servable = self._acquire(name, version, label)
        try:
            yield servable
        finally:
            servable.release()

    def _acquire(self, name: str, version: int | None, label: str | None) -> Servable:
        if not name:
            raise invalid_argument("ModelSpec has no name specified.")
        with self._lock:
            model = self._models.get(name)
            if label is not None:
                version = model.labels.get(label) if model is not None else None
                if version is None:
                    raise invalid_argument(f"Unrecognized servable version label: {label}")
            servables = model.servables if model is not None else {}
            if version is None:
                servable = servables[max(servables)] if servables else None
                request = f"Latest({name})"
            else:
                servable = servables.get(version)
                request = f"Specific({name}, {version})"
            if servable is None or not servable.acquire():
                raise not_found(f"Servable not found for request: {request}")
            return servable

    def status(self, name: str, version: int | None = None) -> list[VersionStatus]:
        """The states of a model's versions, newest first (GetModelStatus)."""
        with self._lock:
            model = self._models.get(name)
            statuses = dict(model.statuses) if model is not None else {}
        if version is not None:
            if version not in statuses:
                raise not_found(f"Could not find version {version} of model {name}")
            return [statuses[version]]
        if not statuses:
            raise not_found(f"Could not find any versions of model {name}")
        return [statuses[v] for v in sorted(statuses, reverse=True)]


def discover_versions(base_path: str) -> dict[int, str]:
    """Numeric version directories under `base_path` (`00000123` is 123)."""
    versions: dict[int, str] = {}
    with os.scandir(base_path) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            if not layout.is_version(entry.name) or not entry.is_dir():
                continue
            version = int(entry.name)
            if version <= _INT64_MAX:
                versions.setdefault(version, entry.path)
    return versions


def directory_fingerprint(path: str) -> tuple:
    """Sizes and mtimes of a version's files: changes when a copy progresses."""
    stamp = []
    for root, dirs, files in os.walk(path):
        dirs.sort()
        for name in sorted(files):
            with contextlib.suppress(OSError):
                info = os.stat(os.path.join(root, name))
                stamp.append((os.path.relpath(os.path.join(root, name), path), info.st_size))
                stamp.append(info.st_mtime_ns)
    return tuple(stamp)


def load_error(exc: BaseException) -> ServingError:
    """The status a failed load reports: TF's code, DATA_LOSS for unparsable files."""
    if isinstance(exc, OSError) and "Cannot parse" in str(exc):
        return ServingError(Code.DATA_LOSS, str(exc))
    if isinstance(exc, FileNotFoundError) or (
        isinstance(exc, OSError) and "does not exist" in str(exc)
    ):
        return ServingError(Code.NOT_FOUND, str(exc))
    error = as_serving_error(exc)
    if error.code == Code.INTERNAL and not isinstance(exc, ServingError):
        return ServingError(Code.UNKNOWN, str(exc) or type(exc).__name__)
    return error
