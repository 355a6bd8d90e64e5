{{/*
A CRD from files/crds (the only copy: the NetworkAssertion CRD there is generated from
the models by `python -m netchecks_core.crd`), with the chart's labels and, when
crds.keep, the annotation that makes Helm leave it on uninstall.
Pass (dict "root" $ "file" "<name>.yaml").
*/}}
{{- define "netchecks.crd" -}}
{{- $crd := .root.Files.Get (printf "files/crds/%s" .file) | fromYaml -}}
{{- $labels := include "netchecks.labels" (dict "root" .root "component" "crds") | fromYaml -}}
{{- $_ := set $crd.metadata "labels" (merge (default dict $crd.metadata.labels) $labels) -}}
{{- if .root.Values.crds.keep -}}
{{- $_ := set $crd.metadata "annotations" (merge (default dict $crd.metadata.annotations) (dict "helm.sh/resource-policy" "keep")) -}}
{{- end -}}
{{ toYaml $crd }}
{{- end -}}
