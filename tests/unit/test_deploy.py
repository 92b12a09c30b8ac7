"""The deployment artefacts (Dockerfile, deploy/): they parse, they agree with the code (ports,
commands, metric names), and they keep the operating rules (healthchecks on /healthz, non-root,
grace period, replication 3 and infinite retention, the services believing X-Forwarded-For from
the portal only). Tools are used when present: docker compose, kubectl (kustomize), promtool,
and the kubernetes-validate schemas."""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
PORTS = {"intake": 8081, "casework": 8082, "reporting": 8083, "notify": 8084}
PORTAL_PORT = 8080
# The portal's Deployments in Kubernetes and the face each serves (GONGKAI_PORTAL_FACES).
PORTALS = {"portal-public": "public", "portal-staff": "staff"}
EVENT_TOPICS = ("gongkai.agencies", "gongkai.applications", "gongkai.cases")
K8S_VERSION = "1.30.0"  # the oldest Kubernetes the manifests are checked against

# Metrics the rules and the dashboard are built on (the brief's list); each must be exported.
REQUIRED_METRICS = {
    "gongkai_consumer_lag", "gongkai_outbox_backlog", "gongkai_outbox_oldest_age_seconds",
    "gongkai_dead_letters_total", "gongkai_open_cases", "gongkai_deadlines_breached_total",
    "gongkai_provisional_due_dates", "gongkai_messages_needing_attention",
    "gongkai_events_produced_total", "gongkai_events_consumed_total",
    "gongkai_handler_seconds_bucket", "gongkai_messages_total", "gongkai_http_requests_total",
    "gongkai_replay_progress_ratio",
}


# --- helpers -------------------------------------------------------------------------------

def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def load_docs(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


def exported_metrics() -> set[str]:
    """Sample names the code exports, read from its Counter/Gauge/Histogram definitions."""
    pattern = re.compile(r'\b(Counter|Gauge|Histogram|Summary)\(\s*"(gongkai_[a-z0-9_]+)"')
    names: set[str] = set()
    for folder in ("shared", "services", "gongkai"):
        for path in (ROOT / folder).rglob("*.py"):
            for kind, name in pattern.findall(path.read_text(encoding="utf-8")):
                if kind == "Counter":
                    base = name.removesuffix("_total")
                    names |= {f"{base}_total", f"{base}_created"}
                elif kind == "Histogram":
                    names |= {f"{name}_bucket", f"{name}_sum", f"{name}_count", f"{name}_created"}
                elif kind == "Summary":
                    names |= {name, f"{name}_sum", f"{name}_count", f"{name}_created"}
                else:
                    names.add(name)
    return names


KNOWN_METRICS = exported_metrics() | {"up"}
_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or",
             "unless", "offset", "bool", "inf", "nan"}


def balanced(expr: str) -> bool:
    pairs, stack, quote = {")": "(", "]": "[", "}": "{"}, [], None
    for ch in expr:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "\"'`":
            quote = ch
        elif ch in "([{":
            stack.append(ch)
        elif ch in pairs and (not stack or stack.pop() != pairs[ch]):
            return False
    return not stack and quote is None


def metric_names(expr: str) -> set[str]:
    """Metric names a PromQL expression selects (functions, keywords, labels left out)."""
    text = re.sub(r'"(?:\\.|[^"\\])*"', '""', expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    found = set()
    for match in re.finditer(r"(?<![\w$.])([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\()?", text):
        name, call = match.groups()
        if not call and name.lower() not in _KEYWORDS:
            found.add(name)
    return found


def test_the_metric_helpers() -> None:
    expr = ('histogram_quantile(0.99, sum by (service, le) '
            '(rate(gongkai_handler_seconds_bucket{service=~"$service"}[5m]))) > 0 '
            'and on (service) up{job="x"} == 1')
    assert metric_names(expr) == {"gongkai_handler_seconds_bucket", "up"}
    assert balanced(expr)
    assert not balanced("sum(rate(x[5m])")
    assert not balanced("max(x{a=\"b\"]")


def test_the_code_exports_the_metrics_the_deploy_files_rely_on() -> None:
    assert REQUIRED_METRICS <= KNOWN_METRICS, REQUIRED_METRICS - KNOWN_METRICS


# --- Dockerfile ----------------------------------------------------------------------------

def test_dockerfile_builds_one_non_root_image_without_dev_dependencies() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    instructions = [line.strip() for line in text.splitlines()
                    if line.strip() and not line.lstrip().startswith("#")]
    froms = [line for line in instructions if line.startswith("FROM ")]
    assert froms and all(line.split()[1] == "python:3.11-slim" for line in froms)
    assert re.search(r"pip install \.(\s|$)", text)
    assert "[dev]" not in text and "requirements-dev" not in text
    users = [line.split()[1] for line in instructions if line.startswith("USER ")]
    assert users, "the image must switch to a non-root user"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0, "a numeric non-root uid (runAsNonRoot checks it)"
    cmd = [line for line in instructions if line.startswith("CMD ")][-1]
    assert json.loads(cmd.removeprefix("CMD ")) == ["gongkai", "--help"]
    for line in instructions:
        if line.startswith("COPY ") and "--from" not in line:
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), f"the Dockerfile copies a missing {source}"


def test_dockerignore_keeps_local_state_out_of_the_build_context() -> None:
    entries = {line.strip().rstrip("/") for line in
               (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
               if line.strip() and not line.startswith("#")}
    for needed in (".venv", ".gongkai", ".git", ".pytest_cache", ".ruff_cache", ".hypothesis",
                   "tests"):
        assert needed in entries, needed


# --- docker compose ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def compose() -> dict:
    return load_yaml(DEPLOY / "compose.yaml")


def _depends(service: dict) -> dict[str, str]:
    deps = service.get("depends_on", {})
    if isinstance(deps, list):
        return {d: "service_started" for d in deps}
    return {name: spec.get("condition", "service_started") for name, spec in deps.items()}


@pytest.mark.parametrize("name", PORTS)
def test_compose_runs_each_service_with_a_healthcheck_on_healthz(compose: dict, name: str) -> None:
    service = compose["services"][name]
    assert service["command"] == ["python", "-m", f"services.{name}"]
    assert service["build"]["context"] == ".." and service["build"]["dockerfile"] == "Dockerfile"
    probe = " ".join(service["healthcheck"]["test"])
    assert f"127.0.0.1:{PORTS[name]}/healthz" in probe
    env = service["environment"]
    for variable in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS", "GONGKAI_JWT_SECRET"):
        assert env[variable], variable
    assert env["DATABASE_URL"].startswith("postgresql://")
    assert env["GONGKAI_HOST"] == "0.0.0.0"
    assert int(service.get("stop_grace_period", "10s").rstrip("s")) >= 30
    assert any(str(p).endswith(f"{PORTS[name]}:{PORTS[name]}") for p in service["ports"])
    assert _depends(service) == {
        "postgres": "service_healthy", "kafka": "service_healthy",
        "migrate": "service_completed_successfully",
        "kafka-topics": "service_completed_successfully",
    }


def _default(value: str) -> str:
    """The default of a compose variable "${NAME:-default}" (the value itself if plain)."""
    match = re.fullmatch(r"\$\{\w+:-([^}]*)\}", str(value))
    return match.group(1) if match else str(value)


def test_compose_runs_the_portal_in_front_of_the_services(compose: dict) -> None:
    from services.portal.config import FACES

    portal = compose["services"]["portal"]
    assert portal["command"] == ["python", "-m", "services.portal"]
    assert portal["build"]["context"] == ".." and portal["build"]["dockerfile"] == "Dockerfile"
    assert f"127.0.0.1:{PORTAL_PORT}/healthz" in " ".join(portal["healthcheck"]["test"])
    assert any(str(p).endswith(f"{PORTAL_PORT}:{PORTAL_PORT}") for p in portal["ports"])
    assert int(portal.get("stop_grace_period", "10s").rstrip("s")) >= 30
    env = portal["environment"]
    assert env["GONGKAI_HOST"] == "0.0.0.0" and env["GONGKAI_PORTAL_PORT"] == str(PORTAL_PORT)
    assert _default(env["GONGKAI_PORTAL_FACES"]) in FACES
    for name, port in PORTS.items():
        assert env[f"GONGKAI_{name.upper()}_URL"] == f"http://{name}:{port}"
    # A key shared by its replicas, required (":?"), never a value in the file.
    assert env["GONGKAI_PORTAL_SECRET"].startswith("${GONGKAI_PORTAL_SECRET:?")
    assert _default(env["GONGKAI_PORTAL_DEV_SIGNIN"]) != "1"
    assert "DATABASE_URL" not in env and "KAFKA_BOOTSTRAP_SERVERS" not in env
    assert set(_depends(portal)) == set(PORTS)


def test_compose_services_believe_forwarded_addresses_from_the_portal_only(compose: dict) -> None:
    portal = compose["services"]["portal"]
    address = ipaddress.ip_address(portal["networks"]["default"]["ipv4_address"])
    (pool,) = compose["networks"]["default"]["ipam"]["config"]
    assert address in ipaddress.ip_network(pool["subnet"])
    for name in PORTS:
        # Exactly the portal's address: no network, no wildcard, nobody else's.
        assert compose["services"][name]["environment"]["FORWARDED_ALLOW_IPS"] == str(address)
    others = [s.get("networks", {}) for n, s in compose["services"].items() if n != "portal"]
    assert not any(str(address) in str(networks) for networks in others)
    # The portal believes the proxy in front of it (the gateway), not itself or everyone.
    proxies = _default(portal["environment"]["FORWARDED_ALLOW_IPS"])
    assert proxies not in ("*", str(address))
    assert ipaddress.ip_address(proxies) == ipaddress.ip_address(pool["gateway"])


def test_compose_migrates_once_before_the_services(compose: dict) -> None:
    migrate = compose["services"]["migrate"]
    assert migrate["command"] == ["gongkai", "migrate"]
    assert migrate["restart"] == "no"
    assert migrate["environment"]["DATABASE_URL"].startswith("postgresql://")
    assert _depends(migrate) == {"postgres": "service_healthy"}
    assert "healthcheck" in compose["services"]["postgres"]
    assert compose["services"]["postgres"]["image"].split(":")[1].split(".")[0] in ("16", "17")


def test_compose_runs_kafka_in_kraft_mode_with_topics_created_on_purpose(compose: dict) -> None:
    kafka = compose["services"]["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    env = {k: str(v) for k, v in kafka["environment"].items()}
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] and env["KAFKA_CONTROLLER_LISTENER_NAMES"]
    assert "CONTROLLER" in env["KAFKA_LISTENERS"]
    assert not any("ZOOKEEPER" in k for k in env)
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert "healthcheck" in kafka
    topics = compose["services"]["kafka-topics"]
    script = " ".join(topics["command"])
    assert topics["restart"] == "no"
    assert _depends(topics) == {"kafka": "service_healthy"}
    assert all(topic in script for topic in EVENT_TOPICS)
    assert "--create" in script and "--if-not-exists" in script
    assert "retention.ms=-1" in script


def test_compose_keeps_secrets_out_of_the_file(compose: dict) -> None:
    for name, service in compose["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if re.search(r"PASSWORD|SECRET", key):
                assert str(value).startswith("${"), f"{name}.{key} must be a placeholder"
            if key == "DATABASE_URL":
                password = re.match(r"postgresql://[^:]+:([^@]+)@", value).group(1)
                assert password.startswith("${"), f"{name}: DATABASE_URL password"
    example = (DEPLOY / ".env.example").read_text(encoding="utf-8")
    for line in example.splitlines():
        if "=" in line and not line.startswith("#"):
            assert line.split("=", 1)[1] == "CHANGE-ME", line


def test_compose_monitoring_mounts_the_rules_and_the_dashboard(compose: dict) -> None:
    def mounts(service: str) -> dict[str, str]:
        found = {}
        for volume in compose["services"][service]["volumes"]:
            source, target = volume.split(":")[:2]
            if source.startswith("."):
                assert (DEPLOY / source).exists(), source
                found[target] = source
        return found

    prometheus = mounts("prometheus")
    assert prometheus["/etc/prometheus/prometheus.yml"] == "./prometheus/prometheus.yml"
    assert prometheus["/etc/prometheus/rules.yaml"] == "./prometheus/rules.yaml"
    config = load_yaml(DEPLOY / "prometheus" / "prometheus.yml")
    assert "/etc/prometheus/rules.yaml" in config["rule_files"]
    grafana = mounts("grafana")
    dashboard_target = next(t for t, s in grafana.items() if s.endswith("dashboard.json"))
    assert grafana["/etc/grafana/provisioning"] == "./grafana/provisioning"
    provider = load_yaml(DEPLOY / "grafana/provisioning/dashboards/gongkai.yaml")
    assert Path(dashboard_target).parent == Path(provider["providers"][0]["options"]["path"])
    datasource = load_yaml(DEPLOY / "grafana/provisioning/datasources/prometheus.yaml")
    assert datasource["datasources"][0]["url"] == "http://prometheus:9090"


def _compose_command() -> list[str] | None:
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True)
        if probe.returncode == 0:
            return ["docker", "compose"]
    return None


def test_docker_compose_accepts_the_file() -> None:
    command = _compose_command()
    if command is None:
        pytest.skip("no `docker compose` client here")
    env = {**os.environ, "POSTGRES_PASSWORD": "placeholder", "GRAFANA_ADMIN_PASSWORD": "x",
           "GONGKAI_JWT_SECRET": "placeholder-placeholder-placeholder"}
    result = subprocess.run([*command, "-f", str(DEPLOY / "compose.yaml"), "config", "-q"],
                            capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr


# --- Kubernetes ----------------------------------------------------------------------------

def k8s_files() -> list[Path]:
    return sorted(p for p in K8S.iterdir()
                  if p.suffix in (".yaml", ".yml") and p.name != "kustomization.yaml")


@pytest.fixture(scope="module")
def manifests() -> list[dict]:
    return [doc for path in k8s_files() for doc in load_docs(path)]


def of_kind(manifests: list[dict], kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in manifests if d["kind"] == kind}


def test_kustomization_lists_every_file_in_the_directory() -> None:
    kustomization = load_yaml(K8S / "kustomization.yaml")
    assert kustomization["kind"] == "Kustomization"
    assert kustomization["namespace"] == "gongkai"
    listed = kustomization["resources"]
    assert len(listed) == len(set(listed))
    assert set(listed) == {p.name for p in k8s_files()}
    assert any(image["name"] == "gongkai" for image in kustomization["images"])


def test_every_manifest_has_an_api_version_kind_and_name(manifests: list[dict]) -> None:
    for doc in manifests:
        assert doc["apiVersion"] and doc["kind"] and doc["metadata"]["name"], doc
    assert of_kind(manifests, "Namespace").keys() == {"gongkai"}


def _port_number(container: dict, port: int | str) -> int:
    if isinstance(port, int):
        return port
    return next(p["containerPort"] for p in container["ports"] if p.get("name") == port)


def _pod_and_containers(workload: dict) -> tuple[dict, list[dict]]:
    pod = workload["spec"]["template"]["spec"]
    return pod, [*pod.get("initContainers", []), *pod["containers"]]


def _non_root(pod: dict, container: dict) -> bool:
    merged = {**pod.get("securityContext", {}), **container.get("securityContext", {})}
    return merged.get("runAsNonRoot") is True and merged.get("runAsUser", 1) != 0


def _env(container: dict) -> dict[str, dict]:
    return {e["name"]: e for e in container.get("env", [])}


def _secret_refs(container: dict) -> dict[str, tuple[str, str]]:
    """Variable → (Secret, key) for the variables a container reads from a Secret."""
    return {name: (ref["name"], ref["key"]) for name, e in _env(container).items()
            if (ref := e.get("valueFrom", {}).get("secretKeyRef"))}


def _config_refs(container: dict) -> dict[str, str]:
    """Variable → key of gongkai-config, for the variables read from the ConfigMap by key."""
    return {name: ref["key"] for name, e in _env(container).items()
            if (ref := e.get("valueFrom", {}).get("configMapKeyRef"))
            and ref["name"] == "gongkai-config"}


def _serves_safely(manifests: list[dict], deployment: dict, command: list[str], port: int,
                   ) -> dict:
    """The main container (returned) runs `command` on `port`, probes /healthz, and every
    container runs non-root, read-only, without capabilities, bounded, on emptyDirs only."""
    pod, containers = _pod_and_containers(deployment)
    (main,) = pod["containers"]
    assert main["command"] == command
    assert any(p["containerPort"] == port for p in main["ports"])
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        get = main[probe]["httpGet"]
        assert get["path"] == "/healthz", probe
        assert _port_number(main, get["port"]) == port, probe
    assert deployment["spec"]["replicas"] >= 2
    assert pod["terminationGracePeriodSeconds"] >= 30
    mounts_by_volume = {v["name"]: v for v in pod["volumes"]}
    for container in containers:
        assert _non_root(pod, container), container["name"]
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True
        assert security["allowPrivilegeEscalation"] is False
        assert security["capabilities"]["drop"] == ["ALL"]
        for kind in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(container["resources"][kind]), container["name"]
        for mount in container.get("volumeMounts", []):
            assert "emptyDir" in mounts_by_volume[mount["name"]]
    mounted = {m["mountPath"] for m in main["volumeMounts"]}
    config = of_kind(manifests, "ConfigMap")["gongkai-config"]["data"]
    assert {"/tmp", config["GONGKAI_HOME"]} <= mounted
    assert {"name": "gongkai-config"} in [e.get("configMapRef") for e in main["envFrom"]]
    secret = of_kind(manifests, "Secret")["gongkai-secrets"]["stringData"]
    for name, (source, key) in _secret_refs(main).items():
        assert source == "gongkai-secrets" and key in secret, name
    for name, key in _config_refs(main).items():
        assert key in config, name
    return main


@pytest.mark.parametrize("name", PORTS)
def test_each_deployment_probes_healthz_and_runs_safely(manifests: list[dict], name: str) -> None:
    deployment = of_kind(manifests, "Deployment")[name]
    main = _serves_safely(manifests, deployment, ["python", "-m", f"services.{name}"],
                          PORTS[name])
    secrets = _secret_refs(main)
    assert secrets["DATABASE_URL"] == ("gongkai-secrets", "DATABASE_URL")
    assert secrets["GONGKAI_JWT_SECRET"] == ("gongkai-secrets", "GONGKAI_JWT_SECRET")


@pytest.mark.parametrize("name", PORTALS)
def test_each_portal_deployment_serves_one_face_and_holds_no_service_secret(
        manifests: list[dict], name: str) -> None:
    deployment = of_kind(manifests, "Deployment")[name]
    main = _serves_safely(manifests, deployment, ["python", "-m", "services.portal"],
                          PORTAL_PORT)
    env = _env(main)
    assert env["GONGKAI_PORTAL_FACES"]["value"] == PORTALS[name]
    assert env["GONGKAI_PORTAL_PORT"]["value"] == str(PORTAL_PORT)
    services = of_kind(manifests, "Service")
    for service, port in PORTS.items():
        assert env[f"GONGKAI_{service.upper()}_URL"]["value"] == f"http://{service}:{port}"
        assert services[service]["spec"]["ports"][0]["port"] == port
    # Its own key, shared by its replicas; neither the database nor the token-signing key.
    secret, key = _secret_refs(main)["GONGKAI_PORTAL_SECRET"]
    assert key.startswith("GONGKAI_PORTAL_")
    assert not {"DATABASE_URL", "GONGKAI_JWT_SECRET"} & set(_secret_refs(main))
    assert not {"DATABASE_URL", "GONGKAI_JWT_SECRET"} & set(env)
    # The development sign-in is never on here, nor in the ConfigMap every pod reads.
    config = of_kind(manifests, "ConfigMap")["gongkai-config"]["data"]
    assert "GONGKAI_PORTAL_DEV_SIGNIN" not in env and "GONGKAI_PORTAL_DEV_SIGNIN" not in config
    assert "FORWARDED_ALLOW_IPS" in _config_refs(main)


def test_the_two_portals_do_not_share_a_key(manifests: list[dict]) -> None:
    deployments = of_kind(manifests, "Deployment")
    keys = {_secret_refs(_pod_and_containers(deployments[name])[0]["containers"][0])[
        "GONGKAI_PORTAL_SECRET"] for name in PORTALS}
    assert len(keys) == len(PORTALS)  # the internet-facing pods cannot sign staff sessions


DEPLOYMENT_PORTS = {**PORTS, **dict.fromkeys(PORTALS, PORTAL_PORT)}


@pytest.mark.parametrize("name", DEPLOYMENT_PORTS)
def test_each_deployment_has_a_service_on_its_port(manifests: list[dict], name: str) -> None:
    deployment = of_kind(manifests, "Deployment")[name]
    service = of_kind(manifests, "Service")[name]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    (port,) = service["spec"]["ports"]
    (main,) = deployment["spec"]["template"]["spec"]["containers"]
    assert port["port"] == DEPLOYMENT_PORTS[name] == _port_number(main, port["targetPort"])
    others = [d for n, d in of_kind(manifests, "Deployment").items() if n != name]
    assert not any(service["spec"]["selector"].items()
                   <= d["spec"]["template"]["metadata"]["labels"].items() for d in others)


def test_every_deployment_has_a_disruption_budget(manifests: list[dict]) -> None:
    budgets = of_kind(manifests, "PodDisruptionBudget").values()
    for name, deployment in of_kind(manifests, "Deployment").items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert any(selects(b["spec"]["selector"], labels) and b["spec"]["minAvailable"] >= 1
                   for b in budgets), name


def selects(selector: dict, labels: dict[str, str]) -> bool:
    """Whether a Kubernetes label selector (matchLabels, matchExpressions) selects `labels`."""
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for e in selector.get("matchExpressions", []):
        present, values = e["key"] in labels, e.get("values", [])
        if not {"In": present and labels.get(e["key"]) in values,
                "NotIn": not (present and labels.get(e["key"]) in values),
                "Exists": present, "DoesNotExist": not present}[e["operator"]]:
            return False
    return True


def test_the_label_selector_helper() -> None:
    selector = {"matchLabels": {"a": "1"},
                "matchExpressions": [{"key": "c", "operator": "In", "values": ["x", "y"]}]}
    assert selects(selector, {"a": "1", "c": "y", "d": "z"})
    assert not selects(selector, {"a": "1", "c": "z"})
    assert not selects(selector, {"a": "2", "c": "x"})
    assert not selects({"matchExpressions": [{"key": "c", "operator": "Exists"}]}, {})


def test_the_services_believe_forwarded_addresses_from_the_portal_only(
        manifests: list[dict]) -> None:
    """uvicorn takes the client address from X-Forwarded-For when the peer is in
    FORWARDED_ALLOW_IPS. Pod addresses change, so the services name the pod network there, and
    a NetworkPolicy lets no gongkai pod but the portal's connect to them."""
    config = of_kind(manifests, "ConfigMap")["gongkai-config"]["data"]
    deployments = of_kind(manifests, "Deployment")
    pod_labels = {n: d["spec"]["template"]["metadata"]["labels"] for n, d in deployments.items()}
    policies = list(of_kind(manifests, "NetworkPolicy").values())
    for name in PORTS:
        main = deployments[name]["spec"]["template"]["spec"]["containers"][0]
        trusted = config[_config_refs(main)["FORWARDED_ALLOW_IPS"]]
        for entry in trusted.split(","):
            assert ipaddress.ip_network(entry.strip()).prefixlen > 0, trusted  # never everyone
        governing = [p for p in policies if selects(p["spec"]["podSelector"], pod_labels[name])]
        assert governing, f"no NetworkPolicy governs {name}"
        admitted: set[str] = set()
        for policy in governing:
            assert "Ingress" in policy["spec"]["policyTypes"]
            for rule in policy["spec"].get("ingress", []):
                assert rule.get("from"), f"{policy['metadata']['name']}: a rule open to all"
                assert {p["port"] for p in rule["ports"]} == {"http"}
                for peer in rule["from"]:
                    assert "ipBlock" not in peer
                    if "podSelector" in peer and "namespaceSelector" not in peer:
                        admitted |= {n for n, labels in pod_labels.items()
                                     if selects(peer["podSelector"], labels)}
                    else:  # another namespace: Prometheus's, named, not every namespace
                        assert peer["namespaceSelector"].get("matchLabels"), peer
        assert admitted == set(PORTALS), (name, admitted)


def test_the_topic_job_creates_replicated_topics_kept_forever(manifests: list[dict]) -> None:
    job = of_kind(manifests, "Job")["gongkai-topics"]
    pod, containers = _pod_and_containers(job)
    script = " ".join([*containers[0].get("command", []), *containers[0].get("args", [])])
    assert "kafka-topics.sh" in script and "--create" in script
    assert re.search(r"--replication-factor[ =]3\b", script)
    assert "retention.ms=-1" in script
    partitions = int(re.search(r"--partitions[ =](\d+)", script).group(1))
    most_replicas = max(d["spec"]["replicas"] for d in of_kind(manifests, "Deployment").values())
    assert partitions >= most_replicas
    assert all(topic in script for topic in EVENT_TOPICS)
    assert pod["restartPolicy"] in ("OnFailure", "Never")
    assert all(_non_root(pod, c) for c in containers)


def test_the_migration_job_runs_gongkai_migrate(manifests: list[dict]) -> None:
    job = of_kind(manifests, "Job")["gongkai-migrate"]
    pod, containers = _pod_and_containers(job)
    (container,) = containers
    assert container["command"] == ["gongkai", "migrate"]
    assert container["image"] == "gongkai"
    assert any(e["name"] == "DATABASE_URL" for e in container["env"])
    assert all(_non_root(pod, c) for c in containers)


def test_the_secret_holds_placeholders_only(manifests: list[dict]) -> None:
    secret = of_kind(manifests, "Secret")["gongkai-secrets"]
    data = secret["stringData"]
    assert {"DATABASE_URL", "GONGKAI_JWT_SECRET", "GONGKAI_SMTP_PASSWORD",
            "GONGKAI_PORTAL_SECRET", "GONGKAI_PORTAL_PUBLIC_SECRET"} <= data.keys()
    assert all("CHANGE-ME" in value for value in data.values())
    config = of_kind(manifests, "ConfigMap")["gongkai-config"]["data"]
    assert not any(re.search(r"PASSWORD|SECRET|DATABASE_URL", key) for key in config)
    assert config["GONGKAI_HOST"] == "0.0.0.0" and config["KAFKA_BOOTSTRAP_SERVERS"]
    assert config.get("GONGKAI_DEV_SINKS", "0") != "1"


def test_the_manifests_match_the_kubernetes_schemas(manifests: list[dict]) -> None:
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    for doc in manifests:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_kustomize_renders_the_base() -> None:
    if not shutil.which("kubectl"):
        pytest.skip("no kubectl here")
    result = subprocess.run(["kubectl", "kustomize", str(K8S)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    rendered = [d for d in yaml.safe_load_all(result.stdout) if d]
    for doc in rendered:
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == "gongkai", doc["metadata"]["name"]
        if doc["kind"] in ("Deployment", "Job"):
            for container in _pod_and_containers(doc)[1]:
                assert container["image"] != "gongkai", "the images: entry must apply"


# --- Prometheus ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def rules() -> list[dict]:
    document = load_yaml(DEPLOY / "prometheus" / "rules.yaml")
    return [rule for group in document["groups"] for rule in group["rules"]]


def test_every_alert_rule_is_complete(rules: list[dict]) -> None:
    names = [rule["alert"] for rule in rules]
    assert len(names) == len(set(names))
    for rule in rules:
        assert rule["expr"].strip(), rule["alert"]
        assert re.fullmatch(r"\d+[smhd]", str(rule["for"])), rule["alert"]
        assert rule["labels"]["severity"] in ("critical", "warning", "info"), rule["alert"]
        assert rule["annotations"]["summary"].strip(), rule["alert"]
        assert rule["annotations"]["description"].strip(), rule["alert"]


def test_alert_expressions_use_exported_metrics_only(rules: list[dict]) -> None:
    for rule in rules:
        assert balanced(rule["expr"]), rule["alert"]
        used = metric_names(rule["expr"])
        assert used, rule["alert"]
        assert used <= KNOWN_METRICS, (rule["alert"], used - KNOWN_METRICS)


def test_the_alerts_an_operator_needs_exist(rules: list[dict]) -> None:
    exprs = "\n".join(rule["expr"] for rule in rules)
    assert re.search(r'\bup\{job=~"intake\|casework\|reporting\|notify"\} == 0', exprs)
    assert re.search(r"deriv\(gongkai_consumer_lag\[10m\]\)", exprs)
    assert re.search(r"gongkai_outbox_oldest_age_seconds\) > 300", exprs)
    assert "increase(gongkai_dead_letters_total[15m])) > 0" in exprs
    assert 'gongkai_open_cases{bucket="overdue"}) > 0' in exprs
    assert 'gongkai_open_cases{bucket="due_3"}) > 0' in exprs
    assert "increase(gongkai_deadlines_breached_total[1h])) > 0" in exprs
    assert "gongkai_provisional_due_dates) > 0" in exprs
    assert "gongkai_messages_needing_attention) > 0" in exprs
    assert "gongkai_replay_progress_ratio" in exprs


def test_prometheus_scrapes_the_four_services() -> None:
    config = load_yaml(DEPLOY / "prometheus" / "prometheus.yml")
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    for name, port in PORTS.items():
        targets = [t for sc in jobs[name]["static_configs"] for t in sc["targets"]]
        assert targets == [f"{name}:{port}"]
        assert jobs[name].get("metrics_path", "/metrics").rstrip("/") == "/metrics"


def _promtool() -> str:
    promtool = shutil.which("promtool")
    if not promtool:
        pytest.skip("no promtool here")
    return promtool


def test_promtool_checks_and_unit_tests_the_rules() -> None:
    promtool = _promtool()
    for args in (["check", "rules", "rules.yaml"], ["test", "rules", "rules.test.yaml"]):
        result = subprocess.run([promtool, *args], cwd=DEPLOY / "prometheus",
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_checks_the_scrape_config(tmp_path: Path) -> None:
    promtool = _promtool()
    config = load_yaml(DEPLOY / "prometheus" / "prometheus.yml")
    config["rule_files"] = [str(DEPLOY / "prometheus" / "rules.yaml")]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    result = subprocess.run([promtool, "check", "config", str(tmp_path / "prometheus.yml")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


# --- Grafana -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def dashboard() -> dict:
    return json.loads((DEPLOY / "grafana" / "dashboard.json").read_text(encoding="utf-8"))


def test_every_panel_has_a_title_and_queries_known_metrics(dashboard: dict) -> None:
    assert dashboard["uid"] and dashboard["title"]
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        assert panel["title"].strip()
        assert panel["targets"], panel["title"]
        assert set(panel["gridPos"]) >= {"x", "y", "w", "h"}
        for target in panel["targets"]:
            assert balanced(target["expr"]), panel["title"]
            used = metric_names(target["expr"])
            assert used and used <= KNOWN_METRICS, (panel["title"], used - KNOWN_METRICS)


def test_the_dashboard_covers_what_operators_watch(dashboard: dict) -> None:
    exprs = "\n".join(t["expr"] for p in dashboard["panels"] for t in p["targets"])
    used = metric_names(exprs.replace("\n", " + "))
    assert REQUIRED_METRICS - {"gongkai_replay_progress_ratio"} <= used
    assert "histogram_quantile(0.5," in exprs and "histogram_quantile(0.99," in exprs
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    assert "datasource" in variables
