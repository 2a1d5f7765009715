"""Validate the deployment files against the schemas of what runs them (CI, issue 23).

- ``docker-compose.yml`` and ``docker-compose.ha.yml``: the Compose specification's JSON
  schema (check-jsonschema's vendored ``compose-spec``).
- ``deploy/kubernetes/*.yaml``: Kubernetes' own OpenAPI schemas, strict (an unknown field is
  an error), by kubernetes-validate; KEDA's resources (not Kubernetes kinds) by the models
  cloudcoil generates from KEDA's CRDs, strict too (a field the model dropped is an error).

Run with the CI tools' interpreter: ``.ci/.tools/bin/python .ci/validate_deploy.py``.
A manifest nobody parses rots; this parses every one on every run.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import yaml
from cloudcoil.models.keda import v1alpha1 as keda

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ("docker-compose.yml", "docker-compose.ha.yml")
KUBERNETES = ROOT / "deploy" / "kubernetes"
KUBERNETES_VERSION = "1.30.0"  # the oldest version the manifests promise to work on
KEDA_KINDS = {"ScaledObject": keda.ScaledObject, "TriggerAuthentication": keda.TriggerAuthentication}


def _same(given: Any, read: Any, where: str) -> list[str]:
    """What ``given`` says that ``read`` (the model's dump) lost: unknown fields."""
    if isinstance(given, dict) and isinstance(read, dict):
        problems = []
        for key, value in given.items():
            if key not in read:
                problems.append(f"{where}.{key}: not a field of this resource")
            else:
                problems += _same(value, read[key], f"{where}.{key}")
        return problems
    if isinstance(given, list) and isinstance(read, list) and len(given) == len(read):
        return [p for n, (g, r) in enumerate(zip(given, read, strict=True)) for p in _same(g, r, f"{where}[{n}]")]
    return [] if given == read else [f"{where}: {given!r} read as {read!r}"]


def validate_keda(document: dict[str, Any], name: str) -> list[str]:
    model = KEDA_KINDS[document["kind"]]
    try:
        resource = model.model_validate(document)
    except Exception as error:  # pydantic's ValidationError: say which field
        return [f"{name}: {error}"]
    dumped = resource.model_dump(by_alias=True, exclude_unset=True, mode="json")
    return [f"{name}: {problem}" for problem in _same(document, dumped, document["kind"])]


def validate_kubernetes() -> tuple[int, list[str]]:
    problems: list[str] = []
    count = 0
    for path in sorted(KUBERNETES.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for document in yaml.safe_load_all(path.read_text()):
            if not document:
                continue
            count += 1
            name = f"{path.relative_to(ROOT)} {document.get('kind')}/{document['metadata']['name']}"
            if document.get("kind") in KEDA_KINDS:
                problems += validate_keda(document, name)
                continue
            try:
                kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
            except (kubernetes_validate.ValidationError, kubernetes_validate.SchemaNotFoundError) as error:
                problems.append(f"{name}: {error}")
    return count, problems


def validate_compose() -> list[str]:
    check = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec"]
    result = subprocess.run(
        [*check, *(str(ROOT / name) for name in COMPOSE)], capture_output=True, text=True
    )
    return [] if result.returncode == 0 else [result.stdout + result.stderr]


def main() -> int:
    count, problems = validate_kubernetes()
    problems += validate_compose()
    for problem in problems:
        print(f"invalid: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"deploy: {count} Kubernetes resources and {len(COMPOSE)} Compose files valid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
