{{/* Names, labels and images shared by every template. */}}

{{- define "netchecks.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Release-scoped base name; components append "-operator" / "-results" (<= 63). */}}
{{- define "netchecks.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* (dict "root" $ "component" "operator") -> "<fullname>-operator" */}}
{{- define "netchecks.componentName" -}}
{{- printf "%s-%s" (include "netchecks.fullname" .root) .component -}}
{{- end -}}

{{- define "netchecks.chartLabel" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels of every object; pass (dict "root" $ "component" "<name>"). */}}
{{- define "netchecks.labels" -}}
helm.sh/chart: {{ include "netchecks.chartLabel" .root }}
{{ include "netchecks.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: netchecks
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "netchecks.selectorLabels" -}}
app.kubernetes.io/name: {{ include "netchecks.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Image repository with its registry: (dict "root" $ "image" .Values.x.image) */}}
{{- define "netchecks.imageRepository" -}}
{{- with .root.Values.image.registry -}}
{{- printf "%s/%s" (trimSuffix "/" .) $.image.repository -}}
{{- else -}}
{{- .image.repository -}}
{{- end -}}
{{- end -}}

{{/* Image tag: the component's, else image.tag, else the chart's appVersion. */}}
{{- define "netchecks.imageTag" -}}
{{- .image.tag | default .root.Values.image.tag | default .root.Chart.AppVersion -}}
{{- end -}}

{{/* Image tag or digest: the component's digest, else its tag (a `sha256:` tag is a digest). */}}
{{- define "netchecks.imageVersion" -}}
{{- .image.digest | default (include "netchecks.imageTag" .) -}}
{{- end -}}

{{/* The image reference: `repository:tag`, or `repository@sha256:...` for a digest. */}}
{{- define "netchecks.image" -}}
{{- $version := include "netchecks.imageVersion" . -}}
{{- printf "%s%s%s" (include "netchecks.imageRepository" .) (hasPrefix "sha256:" $version | ternary "@" ":") $version -}}
{{- end -}}

{{- define "netchecks.serviceAccountName" -}}
{{- $values := index .root.Values .component -}}
{{- if $values.serviceAccount.create -}}
{{- default (include "netchecks.componentName" .) $values.serviceAccount.name -}}
{{- else -}}
{{- default "default" $values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The Lease name of a component (one per release, so releases never share a Lease). */}}
{{- define "netchecks.leaseName" -}}
{{- include "netchecks.componentName" . -}}
{{- end -}}

{{/* Resource (plural) of a report API version: reports for openreports.io. */}}
{{- define "netchecks.reportResource" -}}
{{- if hasPrefix "openreports.io/" . -}}reports{{- else -}}policyreports{{- end -}}
{{- end -}}

{{- define "netchecks.reportGroup" -}}
{{- splitList "/" . | first -}}
{{- end -}}
