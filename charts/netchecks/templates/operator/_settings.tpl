{{/* The operator's environment (netchecks_operator.settings), kept in its ConfigMap. */}}
{{- define "netchecks.operator.settings" -}}
{{- $probe := .Values.probe -}}
{{- $defaults := dict -}}
{{- with $probe.podAnnotations }}{{ $_ := set $defaults "metadata" (dict "annotations" .) }}{{ end -}}
{{- $spec := dict -}}
{{- with $probe.imagePullSecrets }}{{ $_ := set $spec "imagePullSecrets" . }}{{ end -}}
{{- with $probe.tolerations }}{{ $_ := set $spec "tolerations" . }}{{ end -}}
{{- with $probe.nodeSelector }}{{ $_ := set $spec "nodeSelector" . }}{{ end -}}
{{- with $probe.affinity }}{{ $_ := set $spec "affinity" . }}{{ end -}}
{{- if $spec }}{{ $_ := set $defaults "spec" $spec }}{{ end -}}
{{ include "netchecks.commonSettings" (dict "root" . "component" "operator") }}
NETCHECKS_PROBE_IMAGE_REPOSITORY: {{ include "netchecks.imageRepository" (dict "root" . "image" $probe.image) | quote }}
NETCHECKS_PROBE_IMAGE_TAG: {{ include "netchecks.imageVersion" (dict "root" . "image" $probe.image) | quote }}
NETCHECKS_PROBE_IMAGE_PULL_POLICY: {{ $probe.image.pullPolicy | quote }}
NETCHECKS_PROBE_RESOURCES: {{ toJson $probe.resources | quote }}
NETCHECKS_PROBE_POD_DEFAULTS: {{ toJson $defaults | quote }}
NETCHECKS_POLICY_REPORT_API_VERSION: {{ .Values.operator.policyReportApiVersion | quote }}
NETCHECKS_JOB_TTL_SECONDS: {{ .Values.operator.jobTtlSeconds | quote }}
NETCHECKS_WATCH_NODES: {{ .Values.operator.watchNodes | quote }}
{{- end -}}
