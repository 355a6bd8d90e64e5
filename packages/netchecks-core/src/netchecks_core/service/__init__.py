"""Plumbing shared by the in-cluster services (``pip install netchecks-core[service]``).

The operator and the results service both build on these; nothing else in
``netchecks_core`` does I/O. Modules:

- :mod:`~netchecks_core.service.kube`: ``load_api_client()`` (in-cluster or
  ``KUBECONFIG``), ``KubeApi`` (JSON verbs over the official client: get, list,
  create, replace, patch, delete, watch, read_log; counted per verb and code),
  ``Resource`` and the resources used (``CONFIGMAPS``, ``JOBS``, ``CRONJOBS``,
  ``PODS``, ``EVENTS``, ``LEASES``, ``NETWORK_ASSERTIONS``, ``policy_reports()``).
- :mod:`~netchecks_core.service.errors`: ``KubeError`` and its kinds (``NotFoundError``,
  ``ConflictError``, ``InvalidError``, ``GoneError``, ``TransientError``), ``SettingsError``.
- :mod:`~netchecks_core.service.informer`: ``Informer`` (list + watch cache with
  resume, relist on 410, event callbacks, ``synced``), ``object_key``.
- :mod:`~netchecks_core.service.workqueue`: ``WorkQueue`` (de-duplicating keys,
  delayed adds, per-key exponential back-off).
- :mod:`~netchecks_core.service.leader`: ``LeaderElector`` on a Lease.
- :mod:`~netchecks_core.service.health`: ``Health`` checks, ``Heartbeat``,
  ``create_app`` (``/livez``, ``/readyz``, ``/metrics``), ``HttpServer``.
- :mod:`~netchecks_core.service.telemetry`: ``setup_metrics`` (OpenTelemetry SDK,
  Prometheus reader, OTLP when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set).
- :mod:`~netchecks_core.service.settings`: ``ServiceSettings`` (``NETCHECKS_*``),
  ``load_settings`` (clear errors).
- :mod:`~netchecks_core.service.logs`: ``configure_logging`` (JSON lines),
  ``object_context`` (namespace/name on every line).
- :mod:`~netchecks_core.service.runtime`: ``run_service`` (a service's ``main``: settings,
  logs, metrics, signals), ``serve_health``, ``campaign`` (leader election as the settings
  say), ``stop_on_signals`` (SIGTERM/SIGINT), ``parse_command_line``.

Import the submodules directly; this package imports nothing eagerly so that
``netchecks_core`` stays light for users without the extra.
"""
