"""deploy/k8s rendered with ``kubectl kustomize`` and validated offline: the core kinds against the
Kubernetes OpenAPI schemas that the ``kubernetes-validate`` wheel carries (strict: unknown fields fail), KEDA's
ScaledObject and TriggerAuthentication against deploy/k8s/schemas/keda.schema.json, then what the schemas
cannot say: the config in the ConfigMap parses, the KEDA trigger reads the stream and group the service
uses, probes and grace periods match the service, non-root with a read-only root file system, every
reference resolves. Skipped (with the reason in pytest's summary) where kubectl is not installed."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitor.config import parse_config
from monitor.keys import CLASSIFY_GROUP, Keys
from monitor.pipeline import ClassifyWorker
from monitor.queue import client

ROOT = Path(__file__).resolve().parent.parent
K8S = ROOT / "deploy" / "k8s"
TREES = {"base": K8S / "base", "external-redis": K8S / "overlays" / "external-redis"}
KUBE_VERSION = "1.31.0"
KUBECTL = shutil.which("kubectl")

needs_kubectl = pytest.mark.skipif(
    KUBECTL is None, reason="KUBECTL MISSING: deploy/k8s not rendered or validated (install kubectl)")


def render(tree: Path) -> list[dict[str, Any]]:
    out = subprocess.run([KUBECTL or "kubectl", "kustomize", str(tree)], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    return [d for d in yaml.safe_load_all(out) if d]


@pytest.fixture(scope="module", params=sorted(TREES))
def objects(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    return render(TREES[request.param])


def by_kind(objs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objs if o["kind"] == kind}


def workloads(objs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {**by_kind(objs, "Deployment"), **by_kind(objs, "StatefulSet")}


def service_config(objs: list[dict[str, Any]]):  # type: ignore[no-untyped-def]
    (cm,) = [o for o in objs if o["kind"] == "ConfigMap" and o["metadata"]["name"].startswith("monitor-config")]
    return parse_config(yaml.safe_load(cm["data"]["monitor.yaml"]), "monitor-config",
                        environ={"MONITOR_HEALTH_PORT": "8080"})


@needs_kubectl
def test_core_kinds_valid_against_kubernetes_schemas(objects: list[dict[str, Any]]) -> None:
    import kubernetes_validate

    core = [o for o in objects if not o["apiVersion"].startswith("keda.sh/")]
    assert {o["kind"] for o in core} >= {"Namespace", "ConfigMap", "Secret", "Deployment", "PodDisruptionBudget"}
    for obj in core:
        kubernetes_validate.validate(obj, KUBE_VERSION, strict=True)  # raises with the path on an error


@needs_kubectl
def test_keda_kinds_valid_against_the_kept_schema(objects: list[dict[str, Any]]) -> None:
    import jsonschema

    schema = json.loads((K8S / "schemas" / "keda.schema.json").read_text(encoding="utf-8"))
    keda = [o for o in objects if o["apiVersion"].startswith("keda.sh/")]
    assert sorted(o["kind"] for o in keda) == ["ScaledObject", "TriggerAuthentication"]
    for obj in keda:
        jsonschema.validate(obj, schema, cls=jsonschema.Draft202012Validator)


def test_keda_schema_catches_mistakes() -> None:
    """The kept schema is not a rubber stamp: a typo or a missing group is an error."""
    import jsonschema

    schema = json.loads((K8S / "schemas" / "keda.schema.json").read_text(encoding="utf-8"))
    good = yaml.safe_load_all((K8S / "base" / "keda.yaml").read_text(encoding="utf-8"))
    scaled = next(d for d in good if d["kind"] == "ScaledObject")
    scaled["metadata"]["namespace"] = "x"
    jsonschema.validate(scaled, schema)
    for mutate in (lambda s: s["spec"].update(minReplicas=1),
                   lambda s: s["spec"]["triggers"][0]["metadata"].update(lagcount="5"),
                   lambda s: s["spec"]["triggers"][0]["metadata"].pop("consumerGroup"),
                   lambda s: s["spec"]["triggers"][0]["metadata"].update(lagCount=256)):
        bad = json.loads(json.dumps(scaled))
        mutate(bad)
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)


@needs_kubectl
def test_keda_scales_the_classifier_on_the_services_own_stream_and_group(objects: list[dict[str, Any]]) -> None:
    cfg = service_config(objects)
    (scaled,) = by_kind(objects, "ScaledObject").values()
    (auth,) = by_kind(objects, "TriggerAuthentication").values()
    spec = scaled["spec"]
    assert spec["scaleTargetRef"]["name"] in by_kind(objects, "Deployment")
    target = by_kind(objects, "Deployment")[spec["scaleTargetRef"]["name"]]
    assert "classifier" in target["spec"]["template"]["spec"]["containers"][0]["args"]
    assert "replicas" not in target["spec"]  # the ScaledObject owns it
    assert 1 <= spec["minReplicaCount"] < spec["maxReplicaCount"]
    (trigger,) = spec["triggers"]
    meta = trigger["metadata"]
    assert trigger["type"] == "redis-streams" and int(meta["lagCount"]) > 0
    assert meta["stream"] == Keys(cfg.service.namespace).posts and meta["consumerGroup"] == CLASSIFY_GROUP
    assert trigger["authenticationRef"]["name"] == auth["metadata"]["name"]
    # the trigger reads host and port from the target container's environment, the password from the Secret
    env = {e["name"] for e in target["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert {meta["hostFromEnv"], meta["portFromEnv"]} <= env
    secrets = by_kind(objects, "Secret")
    (ref,) = auth["spec"]["secretTargetRef"]
    assert ref["parameter"] == "password" and ref["key"] in secrets[ref["name"]]["stringData"]


@needs_kubectl
def test_pods_match_the_service(objects: list[dict[str, Any]]) -> None:
    cfg = service_config(objects)
    assert cfg.service.health_port == 8080
    deployments = by_kind(objects, "Deployment")
    assert set(deployments) == {"monitor", "classifier"}
    mon = deployments["monitor"]["spec"]
    assert mon["replicas"] == 1 and mon["strategy"]["type"] == "Recreate"
    for name, dep in deployments.items():
        pod = dep["spec"]["template"]["spec"]
        assert pod["terminationGracePeriodSeconds"] > cfg.service.shutdown_seconds, name
        (c,) = pod["containers"]
        assert c["livenessProbe"]["httpGet"]["path"] == "/healthz", name
        assert c["readinessProbe"]["httpGet"]["path"] == "/readyz", name
        port = {p["name"]: p["containerPort"] for p in c["ports"]}[c["readinessProbe"]["httpGet"]["port"]]
        assert port == cfg.service.health_port, name
        env = {e["name"]: e for e in c["env"]}
        assert env["MONITOR_HEALTH_PORT"]["value"] == str(port)
        assert env["REDIS_URL"]["value"].startswith("redis://:$(REDIS_PASSWORD)@$(REDIS_HOST):$(REDIS_PORT)/")
        mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
        assert env["MONITOR_CONFIG"]["value"].startswith(next(p for p, m in mounts.items() if m["name"] == "config"))
        vols = {v["name"]: v for v in pod["volumes"]}
        assert "emptyDir" in vols[mounts["/tmp"]["name"]], name  # the writable cache/scratch


@needs_kubectl
def test_every_container_non_root_read_only_with_resources(objects: list[dict[str, Any]]) -> None:
    for name, wl in workloads(objects).items():
        pod = wl["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] != 0, name
        for c in pod["containers"]:
            sc = c["securityContext"]
            assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False, name
            assert sc["capabilities"]["drop"] == ["ALL"], name
            assert {"cpu", "memory"} <= set(c["resources"]["requests"]), name
            assert "memory" in c["resources"]["limits"], name
            assert c["livenessProbe"] and c["readinessProbe"], name
            vols = {v["name"] for v in pod.get("volumes", [])} | {
                t["metadata"]["name"] for t in wl["spec"].get("volumeClaimTemplates", [])}
            assert {m["name"] for m in c.get("volumeMounts", [])} <= vols, name


@needs_kubectl
def test_references_resolve_and_pdbs_select_pods(objects: list[dict[str, Any]]) -> None:
    names = {(o["kind"], o["metadata"]["name"]) for o in objects}
    for name, wl in workloads(objects).items():
        pod = wl["spec"]["template"]["spec"]
        for v in pod.get("volumes", []):
            if "configMap" in v:
                assert ("ConfigMap", v["configMap"]["name"]) in names, name
        for c in pod["containers"]:
            for src in c.get("envFrom", []):
                assert ("Secret", src["secretRef"]["name"]) in names, name
            for e in c.get("env", []):
                ref = e.get("valueFrom", {})
                if "secretKeyRef" in ref:
                    assert ("Secret", ref["secretKeyRef"]["name"]) in names, name
                if "configMapKeyRef" in ref:
                    assert ("ConfigMap", ref["configMapKeyRef"]["name"]) in names, name
    labels = [wl["spec"]["template"]["metadata"]["labels"] for wl in workloads(objects).values()]
    pdbs = by_kind(objects, "PodDisruptionBudget")
    assert pdbs
    for name, pdb in pdbs.items():
        sel = pdb["spec"]["selector"]["matchLabels"]
        assert sum(all(lab.get(k) == v for k, v in sel.items()) for lab in labels) == 1, name
        assert pdb["spec"].get("maxUnavailable") == 1, name  # never blocks a drain of a single replica
    has_redis = "redis" in by_kind(objects, "StatefulSet")
    if has_redis:
        args = by_kind(objects, "StatefulSet")["redis"]["spec"]["template"]["spec"]["containers"][0]["args"]
        assert args[args.index("--appendonly") + 1] == "yes"
    host = next(o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"].startswith("monitor-redis"))
    assert (host["data"]["REDIS_HOST"] == "redis") == has_redis


@needs_kubectl
def test_secret_holds_placeholders_only(objects: list[dict[str, Any]]) -> None:
    for secret in by_kind(objects, "Secret").values():
        assert "data" not in secret
        assert all(v in ("", "change-me") for v in secret["stringData"].values()), secret["stringData"]


def test_a_classifier_creates_the_stream_and_group_at_start(redis_url: str, keys: Keys) -> None:
    """What KEDA's lag trigger needs on a fresh Redis: the classifier's start-up (ClassifyWorker.setup ->
    queue.ensure_group with MKSTREAM) creates both, and does so idempotently."""
    async def go() -> list[dict[str, Any]]:
        r = client(redis_url)
        try:
            assert not await r.exists(keys.posts)
            worker = ClassifyWorker(r, keys, classifier=None)  # type: ignore[arg-type]
            await worker.setup()
            await worker.setup()
            return await r.xinfo_groups(keys.posts)
        finally:
            await r.aclose()

    groups = asyncio.run(go())
    assert [g["name"] for g in groups] == [CLASSIFY_GROUP] and groups[0]["pending"] == 0
