"""The Kubernetes backend: functions as Deployments and Services, secrets as Secrets."""

from provider.kubernetes.client import KubeApi
from provider.kubernetes.functions import KubeFunctions
from provider.kubernetes.logs import PodLogs
from provider.kubernetes.secrets import KubeSecrets

__all__ = ["KubeApi", "KubeFunctions", "KubeSecrets", "PodLogs"]
