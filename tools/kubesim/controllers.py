"""The built-in controllers, wired to the store's event stream."""

from __future__ import annotations

from .api import Api
from .clock import Clock
from .controller import Controller
from .cronjobs import CronJobController
from .gc import GarbageCollector, NamespaceController
from .jobs import JobController
from .kubelet import Kubelet
from .nodes import NodeLifecycle, Scheduler
from .settings import Settings
from .storage import Event


class Controllers:
    """Starts and stops GC, namespace, Job, CronJob controllers, the scheduler, the pod GC
    for lost nodes and the kubelet."""

    def __init__(self, api: Api, settings: Settings, clock: Clock, kubelet: Kubelet) -> None:
        self.gc = GarbageCollector(api, settings)
        self.namespaces = NamespaceController(api)
        self.jobs = JobController(api, settings, clock)
        self.cronjobs = CronJobController(api, clock)
        self.scheduler = Scheduler(api, clock)
        self.nodes = NodeLifecycle(api, settings, clock)
        self.kubelet = kubelet
        self.all: list[Controller] = [
            self.gc,
            self.namespaces,
            self.jobs,
            self.cronjobs,
            self.scheduler,
            self.nodes,
            kubelet,
        ]
        self._api = api
        self._started = False
        self.paused: set[str] = set()
        clock.on_change(self._clock_jumped)

    def start(self) -> None:
        self._api.store.add_listener(self._dispatch)
        for controller in self.all:
            controller.start()
            controller.resync()
        for ns in self._api.store.list(("", "namespaces")):
            self.namespaces.enqueue(ns["metadata"]["name"])
        for pod in self._api.store.list(("", "pods")):
            kubelet_key = ("pod", pod["metadata"]["namespace"], pod["metadata"]["name"])
            self.kubelet.enqueue(kubelet_key)
        self._started = True

    def by_name(self, name: str) -> Controller:
        for controller in self.all:
            if controller.name == name:
                return controller
        raise KeyError(name)

    def pause(self, name: str) -> None:
        self.by_name(name).pause()
        self.paused.add(name)

    def resume(self, name: str) -> None:
        self.by_name(name).resume()
        self.paused.discard(name)

    def _dispatch(self, event: Event) -> None:
        for controller in self.all:
            controller.on_event(event)

    def _clock_jumped(self) -> None:
        if self._started:
            self.cronjobs.resync()
            self.jobs.resync()

    def stop(self) -> None:
        if not self._started:
            return
        for controller in self.all:
            if controller is not self.kubelet:
                controller.stop()
