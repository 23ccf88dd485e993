"""What the deployment tests share: rendering the kustomizations with `kubectl kustomize`,
and the policy every workload must follow."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("local", "production")
SERVICES = ("intake", "assessment", "objection", "contracting")
# The broker's lame duck (nats/nats defaults: lame_duck_duration 30 s, grace period 10 s):
# a pod must outlast it, so that a batch in hand is committed and acknowledged.
BROKER_GRACEFUL_SHUTDOWN_SECONDS = 30 + 10
# Where a workload may connect: DNS, NATS, PostgreSQL, the OTLP collector.
ALLOWED_EGRESS_PORTS = {53, 4222, 5432, 4317, 4318}

Object = dict[str, Any]


def kubectl() -> str:
    found = shutil.which("kubectl")
    assert found, "kubectl is missing: `apt-get install kubernetes-client` (.ci/run does this)"
    return found


def kustomize(directory: Path) -> list[Object]:
    """Every object `kubectl kustomize` renders from `directory`."""
    result = subprocess.run(
        [kubectl(), "kustomize", str(directory)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return [document for document in yaml.safe_load_all(result.stdout) if document]


def of_kind(objects: list[Object], kind: str) -> list[Object]:
    return [obj for obj in objects if obj["kind"] == kind]


def named(objects: list[Object], kind: str, name: str) -> Object:
    (found,) = [obj for obj in of_kind(objects, kind) if obj["metadata"]["name"] == name]
    return found


def workloads(objects: list[Object]) -> Iterator[Object]:
    """Deployments and Jobs: everything that runs our code."""
    return (obj for obj in objects if obj["kind"] in ("Deployment", "Job"))


def env_of(container: Object) -> dict[str, Object]:
    return {variable["name"]: variable for variable in container.get("env", [])}


def _selects(selector: Object, labels: dict[str, str]) -> bool:
    assert not selector.get("matchExpressions"), "only matchLabels are understood here"
    return all(labels.get(key) == value for key, value in selector.get("matchLabels", {}).items())


def policy_violations(objects: list[Object]) -> list[str]:
    """What a workload lacks: probes (Deployments), requests and limits, the restricted
    security context, a grace period longer than the broker's graceful shutdown
    (Deployments), a NetworkPolicy for ingress and egress with only the allowed
    destinations; and any Secret that carries a value."""
    problems: list[str] = []
    policies = of_kind(objects, "NetworkPolicy")
    for obj in workloads(objects):
        name = f"{obj['kind']} {obj['metadata']['name']}"
        pod = obj["spec"]["template"]
        spec = pod["spec"]
        pod_security = spec.get("securityContext", {})
        if pod_security.get("seccompProfile", {}).get("type") != "RuntimeDefault":
            problems.append(f"{name}: no RuntimeDefault seccomp profile")
        if obj["kind"] == "Deployment":
            grace = spec.get("terminationGracePeriodSeconds", 30)
            if grace <= BROKER_GRACEFUL_SHUTDOWN_SECONDS:
                problems.append(f"{name}: terminationGracePeriodSeconds {grace} too short")
        for container in spec.get("containers", []) + spec.get("initContainers", []):
            where = f"{name} container {container['name']}"
            if obj["kind"] == "Deployment":
                for probe in ("livenessProbe", "readinessProbe"):
                    if not container.get(probe, {}).get("httpGet"):
                        problems.append(f"{where}: no {probe}")
            resources = container.get("resources", {})
            for bound in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    if resource not in resources.get(bound, {}):
                        problems.append(f"{where}: no {resource} {bound}")
            security = container.get("securityContext", {})
            if security.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{where}: privilege escalation not forbidden")
            if security.get("readOnlyRootFilesystem") is not True:
                problems.append(f"{where}: root filesystem writable")
            if security.get("runAsNonRoot", pod_security.get("runAsNonRoot")) is not True:
                problems.append(f"{where}: may run as root")
            if security.get("capabilities", {}).get("drop") != ["ALL"]:
                problems.append(f"{where}: capabilities not all dropped")
            if security.get("privileged"):
                problems.append(f"{where}: privileged")
        labels = pod["metadata"].get("labels", {})
        covering = [p for p in policies if _selects(p["spec"]["podSelector"], labels)]
        types = {kind for policy in covering for kind in policy["spec"].get("policyTypes", [])}
        if not {"Ingress", "Egress"} <= types:
            problems.append(f"{name}: no NetworkPolicy restricts both its ingress and egress")
        for policy in covering:
            for rule in policy["spec"].get("egress", []):
                ports = {port.get("port") for port in rule.get("ports", [])}
                if not rule.get("to") or not ports or not ports <= ALLOWED_EGRESS_PORTS:
                    problems.append(
                        f"{name}: NetworkPolicy {policy['metadata']['name']} lets it reach "
                        f"{rule.get('to', 'anywhere')} on {sorted(map(str, ports)) or 'any port'}"
                    )
    for secret in of_kind(objects, "Secret"):
        if secret.get("data") or secret.get("stringData"):
            problems.append(f"Secret {secret['metadata']['name']} carries a value")
    return problems
