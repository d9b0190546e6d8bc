{{- define "oscar.fullname" -}}
{{- printf "%s-gateway" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "oscar.selector" -}}
app.kubernetes.io/name: oscar-gateway
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "oscar.labels" -}}
app.kubernetes.io/name: oscar-gateway
{{ include "oscar.common" . }}
{{- end -}}

{{- define "oscar.providerLabels" -}}
app.kubernetes.io/name: oscar-provider
{{ include "oscar.common" . }}
{{- end -}}

{{- define "oscar.common" -}}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "oscar.serviceAccount" -}}
{{- if .Values.serviceAccount.create -}}
{{ default (include "oscar.fullname" .) .Values.serviceAccount.name }}
{{- else -}}
{{ default "default" .Values.serviceAccount.name }}
{{- end -}}
{{- end -}}
