"""Plumbing shared by the in-cluster services (the ``netchecks-service`` distribution).

The operator and the results service both build on these; ``netchecks_core`` (the
models, resource descriptors included) does no I/O, and the probe never installs this.
Modules:

- :mod:`~netchecks_service.kube`: ``load_api_client()`` (in-cluster or
  ``KUBECONFIG``), ``KubeApi`` (JSON verbs over the official client: get, list,
  create, replace, patch, delete, watch, read_log; counted per verb and code),
  and the built-in resources used (``CONFIGMAPS``, ``JOBS``, ``CRONJOBS``, ``PODS``,
  ``EVENTS``, ``LEASES``; ``NETWORK_ASSERTIONS`` and the report APIs are descriptors of
  :mod:`netchecks_core.resources` and :mod:`netchecks_core.policyreport`).
- :mod:`~netchecks_service.errors`: ``KubeError`` and its kinds (``NotFoundError``,
  ``ConflictError``, ``InvalidError``, ``GoneError``, ``TransientError``), ``SettingsError``,
  and core's retry taxonomy (``PermanentError``, ``TemporaryError``).
- :mod:`~netchecks_service.informer`: ``Informer`` (paged list + watch cache with
  resume, relist on 410, event callbacks, ``synced``, write-through ``remember``,
  ``indexed`` reads), ``InformerGroup`` (one resource over several namespaces),
  ``object_key``.
- :mod:`~netchecks_service.cachefilters`: what an informer keeps (transforms: ``keep``,
  ``trimmed_metadata``, ``compact``, ``shared``: equal small dicts as one read-only
  ``FrozenDict``) and which updates it reports (predicates:
  ``changed``, ``changed_except_status``).
- :mod:`~netchecks_service.cacheindex`: ``CacheIndex`` and index functions
  (``label_index``, ``owner_index``).
- :mod:`~netchecks_service.controller`: ``Controller`` (the runtime both services
  subclass: workers gated by leadership, resync, heartbeat, process -> reconcile ->
  error_policy) and ``serve_controller`` (start-up and the one shutdown order).
- :mod:`~netchecks_service.workqueue`: ``WorkQueue`` (de-duplicating keys,
  delayed adds, per-key exponential back-off).
- :mod:`~netchecks_service.leader`: ``LeaderElector`` on a Lease.
- :mod:`~netchecks_service.health`: ``Health`` checks, ``Heartbeat``,
  ``create_app`` (``/livez``, ``/readyz``, ``/metrics``), ``HttpServer``.
- :mod:`~netchecks_service.telemetry`: ``setup_metrics`` (OpenTelemetry SDK,
  Prometheus reader, OTLP when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set).
- :mod:`~netchecks_service.settings`: ``ServiceSettings`` (``NETCHECKS_*``),
  ``load_settings`` (clear errors).
- :mod:`~netchecks_service.logs`: ``configure_logging`` (JSON lines),
  ``object_context`` (namespace/name on every line).
- :mod:`~netchecks_service.runtime`: ``run_service`` (a service's ``main``: settings,
  logs, metrics, signals), ``serve_health``, ``campaign`` (leader election as the settings
  say), ``stop_on_signals`` (SIGTERM/SIGINT), ``parse_command_line``.

Import the submodules directly; this package imports nothing eagerly.
"""
