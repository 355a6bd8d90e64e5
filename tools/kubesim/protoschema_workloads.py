"""Field numbers of the workload kinds (``Settings(workloads=True)``) that kubectl's typed
commands send as protobuf: ``create deployment`` and ``create service``/``expose``.
Same notation as :mod:`protoschema`.
"""

from __future__ import annotations

WORKLOAD_MESSAGES: dict[str, dict[int, str]] = {
    "Deployment": {1: "metadata:ObjectMeta", 2: "spec:DeploymentSpec", 3: "status:ignored"},
    "DeploymentSpec": {
        1: "replicas:int?",
        2: "selector:LabelSelector",
        3: "template:PodTemplateSpec",
        4: "strategy:DeploymentStrategy",
        5: "minReadySeconds:int",
        6: "revisionHistoryLimit:int?",
        7: "paused:bool",
        9: "progressDeadlineSeconds:int?",
    },
    "DeploymentStrategy": {1: "type", 2: "rollingUpdate:RollingUpdateDeployment"},
    "RollingUpdateDeployment": {1: "maxUnavailable:IntOrString", 2: "maxSurge:IntOrString"},
    "Service": {1: "metadata:ObjectMeta", 2: "spec:ServiceSpec", 3: "status:ignored"},
    "ServiceSpec": {
        1: "ports:[ServicePort]",
        2: "selector:map",
        3: "clusterIP",
        4: "type",
        5: "externalIPs:[string]",
        7: "sessionAffinity",
        8: "loadBalancerIP",
        9: "loadBalancerSourceRanges:[string]",
        10: "externalName",
        11: "externalTrafficPolicy",
        12: "healthCheckNodePort:int",
        13: "publishNotReadyAddresses:bool",
    },
    "ServicePort": {
        1: "name",
        2: "protocol",
        3: "port:int",
        4: "targetPort:IntOrString",
        5: "nodePort:int",
    },
}

WORKLOAD_KINDS: frozenset[tuple[str, str]] = frozenset(
    {("apps/v1", "Deployment"), ("v1", "Service")}
)
