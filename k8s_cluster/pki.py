"""The cluster's certificates: which ones (a pure plan), then openssl commands that make them.

Every key is ECDSA P-256 (fast to make, accepted by every component). One CA signs them all;
the service-account key pair signs and verifies pod tokens. Certificates are kept across
`down`/`up` in the state folder and only made when missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .config import ClusterConfig

DAYS = 365


@dataclass(frozen=True)
class Cert:
    name: str  # file stem: <name>.crt and <name>.key
    common_name: str
    organization: str = ""
    # "server" or "client": the extended key usage.
    usage: str = "client"
    dns: tuple[str, ...] = ()
    ips: tuple[str, ...] = ()


def certificates(config: ClusterConfig) -> list[Cert]:
    """The certificates the components present, named for who presents them."""
    node = f"system:node:{config.node_name}"
    service_ip = _first_service_ip(config.service_cidr)
    return [
        Cert(
            "apiserver",
            "kube-apiserver",
            usage="server",
            dns=("kubernetes", "kubernetes.default", "kubernetes.default.svc", "localhost"),
            ips=("127.0.0.1", config.node_ip, service_ip),
        ),
        Cert("apiserver-kubelet-client", "kube-apiserver-kubelet-client", "system:masters"),
        Cert("admin", "oscar-k8s-admin", "system:masters"),
        Cert("controller-manager", "system:kube-controller-manager"),
        Cert("scheduler", "system:kube-scheduler"),
        Cert("kubelet", node, "system:nodes"),
        Cert(
            "kubelet-server", node, usage="server", dns=(config.node_name,), ips=(config.node_ip,)
        ),
    ]


def extensions(cert: Cert) -> str:
    """The openssl extension section for one certificate."""
    usage = "serverAuth" if cert.usage == "server" else "clientAuth"
    lines = [
        f"# subject {subject(cert)}",  # so a changed subject changes the file, and re-issues
        "basicConstraints=critical,CA:FALSE",
        "keyUsage=critical,digitalSignature,keyEncipherment",
        f"extendedKeyUsage={usage}",
    ]
    names = [f"DNS:{d}" for d in cert.dns] + [f"IP:{ip}" for ip in cert.ips]
    if names:
        lines.append("subjectAltName=" + ",".join(names))
    return "\n".join(lines) + "\n"


def subject(cert: Cert) -> str:
    return f"/CN={cert.common_name}" + (f"/O={cert.organization}" if cert.organization else "")


def commands(config: ClusterConfig) -> list[list[str]]:
    """openssl commands that make every missing file in the PKI folder (none if all exist)."""
    pki = config.pki_dir
    todo: list[list[str]] = []
    if not (pki / "ca.crt").exists():
        todo += [
            _genkey(pki / "ca.key"),
            [
                "openssl",
                "req",
                "-x509",
                "-new",
                "-key",
                str(pki / "ca.key"),
                "-sha256",
                "-days",
                str(DAYS * 10),
                "-subj",
                "/CN=oscar-k8s-ca",
                "-out",
                str(pki / "ca.crt"),
            ],
        ]
    if not (pki / "sa.pub").exists():
        todo += [
            _genkey(pki / "sa.key"),
            ["openssl", "pkey", "-in", str(pki / "sa.key"), "-pubout", "-out", str(pki / "sa.pub")],
        ]
    for cert in certificates(config):
        crt, key, ext = (pki / f"{cert.name}.{suffix}" for suffix in ("crt", "key", "ext"))
        # A certificate is kept while what it was issued for (its subject and extensions, the
        # `.ext` file) is unchanged: a renamed node or a new address gets a new one.
        issued = pki / f"{cert.name}.issued"
        if crt.exists() and issued.exists() and issued.read_text() == _text(ext):
            continue
        todo += [
            _genkey(key),
            [
                "openssl",
                "req",
                "-new",
                "-key",
                str(key),
                "-subj",
                subject(cert),
                "-out",
                str(pki / f"{cert.name}.csr"),
            ],
            [
                "openssl",
                "x509",
                "-req",
                "-in",
                str(pki / f"{cert.name}.csr"),
                "-CA",
                str(pki / "ca.crt"),
                "-CAkey",
                str(pki / "ca.key"),
                "-CAcreateserial",
                "-sha256",
                "-days",
                str(DAYS),
                "-extfile",
                str(ext),
                "-out",
                str(crt),
            ],
            ["cp", str(ext), str(issued)],
        ]
    return todo


def write_extensions(config: ClusterConfig) -> None:
    config.pki_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    for cert in certificates(config):
        (config.pki_dir / f"{cert.name}.ext").write_text(extensions(cert))


def _text(path: Path) -> str | None:
    return path.read_text() if path.exists() else None


def _genkey(path: Path) -> list[str]:
    return [
        "openssl",
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        str(path),
    ]


def _first_service_ip(cidr: str) -> str:
    import ipaddress

    return str(next(ipaddress.ip_network(cidr).hosts()))
