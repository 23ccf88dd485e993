"""The kustomizations render with `kubectl kustomize`, every object is valid for
Kubernetes 1.30 (`kubernetes-validate`), and every workload follows the policy."""

from __future__ import annotations

import copy
from collections.abc import Callable
from importlib import import_module

import kubernetes_validate
import pytest
import yaml
from deploy_support import (
    K8S,
    OVERLAYS,
    ROOT,
    SERVICES,
    Object,
    env_of,
    kustomize,
    named,
    of_kind,
    policy_violations,
    workloads,
)
from oco_shared.authority import password_secret, service_user
from oco_shared.roles import password_secret as role_secret
from oco_shared.roles import role_name
from oco_shared.settings import Settings

KUBERNETES = "1.30"
# Custom resources, which kubernetes-validate has no schema for: checked in test_postgres.
CUSTOM = {"postgresql.cnpg.io/v1"}


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[Object]]:
    return {overlay: kustomize(K8S / "overlays" / overlay) for overlay in OVERLAYS}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_of_each_overlay_is_valid_for_kubernetes_1_30(
    rendered: dict[str, list[Object]], overlay: str
) -> None:
    objects = rendered[overlay]
    kinds = {obj["kind"] for obj in objects}
    assert {"Deployment", "Service", "ServiceAccount", "PodDisruptionBudget"} <= kinds
    assert {"ConfigMap", "NetworkPolicy", "Job"} <= kinds
    for obj in objects:
        assert obj["apiVersion"] not in CUSTOM
        kubernetes_validate.validate(obj, KUBERNETES, strict=True)  # raises when invalid
        assert obj["metadata"]["namespace"] == "oco"


def test_the_validation_does_refuse_an_invalid_object(rendered: dict[str, list[Object]]) -> None:
    deployment = copy.deepcopy(of_kind(rendered["production"], "Deployment")[0])
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["paht"] = (
        "/readyz"
    )
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES, strict=True)


def test_the_postgresql_kustomization_renders() -> None:
    objects = kustomize(K8S / "postgres")
    assert [obj["kind"] for obj in objects] == ["Cluster", "ScheduledBackup"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_workload_follows_the_policy(rendered: dict[str, list[Object]], overlay: str) -> None:
    objects = rendered[overlay]
    assert len(list(workloads(objects))) == 2 * len(SERVICES) + 2  # and the two Jobs
    assert policy_violations(objects) == []


def _drop(path: tuple[str, ...]) -> Callable[[Object], None]:
    def change(container: Object) -> None:
        holder = container
        for key in path[:-1]:
            holder = holder[key]
        del holder[path[-1]]

    return change


BREAKAGES: dict[str, Callable[[Object], None]] = {
    "no readinessProbe": _drop(("readinessProbe",)),
    "no livenessProbe": _drop(("livenessProbe",)),
    "no memory limits": _drop(("resources", "limits", "memory")),
    "no cpu requests": _drop(("resources", "requests", "cpu")),
    "root filesystem writable": _drop(("securityContext", "readOnlyRootFilesystem")),
    "privilege escalation": _drop(("securityContext", "allowPrivilegeEscalation")),
    "capabilities not all dropped": _drop(("securityContext", "capabilities")),
}


@pytest.mark.parametrize("breakage", BREAKAGES)
def test_the_policy_fails_a_deployment_that_lacks_what_it_needs(
    rendered: dict[str, list[Object]], breakage: str
) -> None:
    objects = copy.deepcopy(rendered["production"])
    deployment = named(objects, "Deployment", "oco-intake-consumers")
    BREAKAGES[breakage](deployment["spec"]["template"]["spec"]["containers"][0])
    problems = policy_violations(objects)
    assert len(problems) == 1 and "oco-intake-consumers" in problems[0], problems
    assert breakage.split()[-1] in problems[0]


def test_the_policy_fails_without_seccomp_a_network_policy_or_a_grace_period(
    rendered: dict[str, list[Object]],
) -> None:
    objects = copy.deepcopy(rendered["production"])
    pod = named(objects, "Deployment", "oco-objection")["spec"]["template"]["spec"]
    del pod["securityContext"]["seccompProfile"]
    pod["terminationGracePeriodSeconds"] = 30
    assert len(policy_violations(objects)) == 2
    without_policies = [obj for obj in objects if obj["kind"] != "NetworkPolicy"]
    assert sum("NetworkPolicy" in p for p in policy_violations(without_policies)) == 10


def test_the_policy_fails_a_network_policy_that_opens_egress(
    rendered: dict[str, list[Object]],
) -> None:
    objects = copy.deepcopy(rendered["local"])
    policy = named(objects, "NetworkPolicy", "oco-services")
    policy["spec"]["egress"].append({"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]})
    assert len(policy_violations(objects)) == 2 * len(SERVICES)


def test_the_policy_fails_a_secret_with_a_value(rendered: dict[str, list[Object]]) -> None:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "oco-db-intake"},
        "stringData": {"password": "hunter2"},
    }
    assert policy_violations([*rendered["local"], secret]) == [
        "Secret oco-db-intake carries a value"
    ]


def test_no_file_under_deploy_holds_a_secret_with_a_value() -> None:
    found = []
    for path in sorted((ROOT / "deploy").rglob("*.y*ml")):
        for document in yaml.safe_load_all(path.read_text()):
            if isinstance(document, dict) and document.get("kind") == "Secret":
                found.append((path.name, sorted(document.get("data") or {}), document))
    assert [entry for entry in found if entry[1] or entry[2].get("stringData")] == []


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_settings_are_known_and_never_a_rehearsal(
    rendered: dict[str, list[Object]], overlay: str
) -> None:
    objects = rendered[overlay]
    settings = named(objects, "ConfigMap", "oco-settings")["data"]
    known = {f"OCO_{name.upper()}" for name in Settings.model_fields}
    assert {key for key in settings if key.startswith("OCO_")} <= known
    assert settings["OCO_REHEARSAL"] == "false"
    assert settings["OCO_PROVISION_STREAMS"] == "false"
    for workload in workloads(objects):
        for container in workload["spec"]["template"]["spec"]["containers"]:
            assert set(env_of(container)) <= known | {
                "DATABASE_USER",
                "DATABASE_PASSWORD",
                "SSL_CERT_FILE",
            }
            assert "OCO_REHEARSAL" not in env_of(container)
    # What the settings would be in a pod: they parse, and they are no rehearsal.
    parsed = Settings.model_validate(
        {
            key.removeprefix("OCO_").lower(): value
            for key, value in settings.items()
            if key.startswith("OCO_")
        }
    )
    assert parsed.rehearsal is False
    assert parsed.stream_replicas == (3 if overlay == "production" else 1)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_service_runs_its_own_module_port_users_and_secrets(
    rendered: dict[str, list[Object]], overlay: str
) -> None:
    objects = rendered[overlay]
    settings = named(objects, "ConfigMap", "oco-settings")["data"]
    for service in SERVICES:
        port = import_module(f"oco_{service}.bootstrap").DEFINITION.default_port
        assert named(objects, "Service", f"oco-{service}")["spec"]["ports"][0]["port"] == port
        for suffix, tasks in (("", "relay,projectors"), ("-consumers", "consumers")):
            template = named(objects, "Deployment", f"oco-{service}{suffix}")["spec"]["template"]
            (container,) = template["spec"]["containers"]
            env = env_of(container)
            assert container["command"] == ["python", "-m", f"oco_{service}"]
            assert container["ports"] == [
                {"name": "http", "containerPort": port, "protocol": "TCP"}
            ]
            assert env["OCO_HTTP_PORT"]["value"] == str(port)
            assert env["OCO_ROLES"]["value"] == tasks
            assert env["OCO_NATS_USER"]["value"] == service_user(service)
            nats_secret = env["OCO_NATS_PASSWORD"]["valueFrom"]["secretKeyRef"]
            assert nats_secret == {
                "name": password_secret(service_user(service)),
                "key": "password",
            }
            db_secret = env["DATABASE_PASSWORD"]["valueFrom"]["secretKeyRef"]
            assert db_secret == {"name": role_secret(service), "key": "password"}
            role = role_name(settings["OCO_SCHEMA_PREFIX"], service)
            assert env["OCO_DATABASE_URL"]["value"].startswith(
                f"postgresql://{role}:$(DATABASE_PASSWORD)@"
            )
            assert template["metadata"]["annotations"] == {
                "prometheus.io/scrape": "true",
                "prometheus.io/port": str(port),
                "prometheus.io/path": "/metrics",
            }
            probes = {container[p]["httpGet"]["path"] for p in ("livenessProbe", "readinessProbe")}
            assert probes == {"/healthz", "/readyz"}
            mounts = {mount["mountPath"] for mount in container["volumeMounts"]}
            assert "/tmp" in mounts  # the one writable place on a read-only root


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_only_consumers_scale_and_the_relay_and_projectors_never_run_twice(
    rendered: dict[str, list[Object]], overlay: str
) -> None:
    objects = rendered[overlay]
    for service in SERVICES:
        single = named(objects, "Deployment", f"oco-{service}")["spec"]
        assert single["replicas"] == 1
        assert single["strategy"] == {"type": "Recreate"}  # no overlap during a rollout
        consumers = named(objects, "Deployment", f"oco-{service}-consumers")["spec"]
        assert consumers["replicas"] == (2 if overlay == "production" else 1)
    autoscalers = of_kind(objects, "HorizontalPodAutoscaler")
    if overlay == "local":
        assert autoscalers == []
        return
    assert autoscalers
    for hpa in autoscalers:
        target = hpa["spec"]["scaleTargetRef"]["name"]
        assert target.endswith("-consumers")
        service = target.removeprefix("oco-").removesuffix("-consumers")
        routes = len(import_module(f"oco_{service}.bootstrap").DEFINITION.subscriptions)
        # More pods than durable consumers would only wait for a lock.
        assert 2 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"] <= routes


def test_production_spreads_pods_and_pulls_from_a_registry(
    rendered: dict[str, list[Object]],
) -> None:
    for deployment in of_kind(rendered["production"], "Deployment"):
        spec = deployment["spec"]["template"]["spec"]
        keys = {c["topologyKey"] for c in spec["topologySpreadConstraints"]}
        assert keys == {"kubernetes.io/hostname", "topology.kubernetes.io/zone"}
        for constraint in spec["topologySpreadConstraints"]:
            assert (
                constraint["labelSelector"]["matchLabels"]
                == deployment["spec"]["selector"]["matchLabels"]
            )
        image = spec["containers"][0]["image"]
        assert "/" in image and not image.endswith((":dev", ":latest"))
    for deployment in of_kind(rendered["local"], "Deployment"):
        assert deployment["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":dev")


def test_every_pod_disruption_budget_covers_a_deployment(rendered: dict[str, list[Object]]) -> None:
    for overlay in OVERLAYS:
        objects = rendered[overlay]
        budgets = of_kind(objects, "PodDisruptionBudget")
        for deployment in of_kind(objects, "Deployment"):
            labels = deployment["spec"]["template"]["metadata"]["labels"]
            covering = [
                b
                for b in budgets
                if all(labels.get(k) == v for k, v in b["spec"]["selector"]["matchLabels"].items())
            ]
            assert len(covering) == 1, deployment["metadata"]["name"]
            # A single relay pod may be drained (it is replaced; nothing is lost meanwhile).
            assert covering[0]["spec"] == {**covering[0]["spec"], "maxUnavailable": 1}
