{{/*
RBAC of a component: its rules as a ClusterRole (all namespaces) or, with
watchNamespaces, as a Role in each watched namespace; and a Role for its Lease in the
release namespace. Pass (dict "root" $ "component" "<name>" "rules" "<rules template>").
*/}}
{{- define "netchecks.rbac" -}}
{{- $root := .root -}}
{{- $name := include "netchecks.componentName" . -}}
{{- $ctx := dict "root" .root "component" .component -}}
{{- $rules := include .rules $root -}}
{{- if $root.Values.watchNamespaces }}
{{- range $root.Values.watchNamespaces }}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: {{ $name }}
  namespace: {{ . }}
  labels:
    {{- include "netchecks.labels" $ctx | nindent 4 }}
rules:
  {{- $rules | nindent 2 }}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: {{ $name }}
  namespace: {{ . }}
  labels:
    {{- include "netchecks.labels" $ctx | nindent 4 }}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: {{ $name }}
subjects:
  - kind: ServiceAccount
    name: {{ include "netchecks.serviceAccountName" $ctx }}
    namespace: {{ $root.Release.Namespace }}
{{- end }}
{{- else }}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: {{ $name }}
  labels:
    {{- include "netchecks.labels" $ctx | nindent 4 }}
rules:
  {{- $rules | nindent 2 }}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: {{ $name }}
  labels:
    {{- include "netchecks.labels" $ctx | nindent 4 }}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: {{ $name }}
subjects:
  - kind: ServiceAccount
    name: {{ include "netchecks.serviceAccountName" $ctx }}
    namespace: {{ $root.Release.Namespace }}
{{- end }}
{{- if (index $root.Values .component).leaderElection }}
---
# Leader election: create the Lease, then read and renew only this component's Lease.
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: {{ $name }}-leader-election
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "netchecks.labels" $ctx | nindent 4 }}
rules:
  - apiGroups: ["coordination.k8s.io"]
    resources: ["leases"]
    verbs: ["create"]
  - apiGroups: ["coordination.k8s.io"]
    resources: ["leases"]
    resourceNames: [{{ include "netchecks.leaseName" $ctx | quote }}]
    verbs: ["get", "update"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: {{ $name }}-leader-election
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "netchecks.labels" $ctx | nindent 4 }}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: {{ $name }}-leader-election
subjects:
  - kind: ServiceAccount
    name: {{ include "netchecks.serviceAccountName" $ctx }}
    namespace: {{ $root.Release.Namespace }}
{{- end }}
{{- end -}}
