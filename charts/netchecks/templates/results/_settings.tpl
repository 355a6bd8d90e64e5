{{/* The results service's environment (netchecks_results.settings), kept in its ConfigMap. */}}
{{- define "netchecks.results.settings" -}}
{{ include "netchecks.commonSettings" (dict "root" . "component" "results") }}
NETCHECKS_REPORT_APIS: {{ join "," .Values.results.reportApis | quote }}
NETCHECKS_EVENTS: {{ .Values.results.events | quote }}
{{- end -}}
