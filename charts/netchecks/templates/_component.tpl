{{/*
Objects every component (operator, results) has, written once.
Each takes (dict "root" $ "component" "<operator|results>").
*/}}

{{- define "netchecks.deployment" -}}
{{- $root := .root -}}
{{- $values := index $root.Values .component -}}
{{- $name := include "netchecks.componentName" . -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $name }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "netchecks.labels" . | nindent 4 }}
spec:
  replicas: {{ $values.replicas }}
  revisionHistoryLimit: 3
  selector:
    matchLabels:
      {{- include "netchecks.selectorLabels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "netchecks.labels" . | nindent 8 }}
        {{- with $values.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        checksum/config: {{ include (printf "netchecks.%s.settings" .component) $root | sha256sum }}
        {{- with $values.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "netchecks.serviceAccountName" . }}
      automountServiceAccountToken: true
      enableServiceLinks: false
      {{- with $values.priorityClassName }}
      priorityClassName: {{ . }}
      {{- end }}
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- toYaml $root.Values.podSecurityContext | nindent 8 }}
      containers:
        - name: {{ .component }}
          image: {{ include "netchecks.image" (dict "root" $root "image" $values.image) }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          envFrom:
            - configMapRef:
                name: {{ $name }}
          env:
            - name: POD_NAME
              valueFrom:
                fieldRef:
                  fieldPath: metadata.name
            - name: POD_NAMESPACE
              valueFrom:
                fieldRef:
                  fieldPath: metadata.namespace
            {{- with $values.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          ports:
            - name: http
              containerPort: 8080
              protocol: TCP
          livenessProbe:
            httpGet:
              path: /livez
              port: http
            initialDelaySeconds: 5
            periodSeconds: 10
            timeoutSeconds: 3
            failureThreshold: 3
          readinessProbe:
            httpGet:
              path: /readyz
              port: http
            periodSeconds: 5
            timeoutSeconds: 3
            failureThreshold: 3
          resources:
            {{- toYaml $values.resources | nindent 12 }}
          securityContext:
            {{- toYaml $root.Values.securityContext | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: 64Mi
      {{- with $values.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $values.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $values.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $values.topologySpreadConstraints }}
      topologySpreadConstraints:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end -}}

{{- define "netchecks.configmap" -}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "netchecks.componentName" . }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "netchecks.labels" . | nindent 4 }}
data:
  {{- include (printf "netchecks.%s.settings" .component) .root | nindent 2 }}
{{- end -}}

{{/* Settings every service reads (netchecks_service.settings). */}}
{{- define "netchecks.commonSettings" -}}
{{- $values := index .root.Values .component -}}
NETCHECKS_HTTP_ADDR: "0.0.0.0:8080"
NETCHECKS_LOG_LEVEL: {{ $values.logLevel | quote }}
NETCHECKS_LOG_FORMAT: {{ $values.logFormat | quote }}
NETCHECKS_NAMESPACES: {{ join "," .root.Values.watchNamespaces | quote }}
NETCHECKS_LEADER_ELECTION: {{ $values.leaderElection | quote }}
NETCHECKS_LEASE_NAME: {{ include "netchecks.leaseName" . | quote }}
NETCHECKS_WORKERS: {{ $values.workers | quote }}
{{- end -}}

{{- define "netchecks.serviceaccount" -}}
{{- $values := index .root.Values .component -}}
{{- if $values.serviceAccount.create }}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "netchecks.serviceAccountName" . }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "netchecks.labels" . | nindent 4 }}
  {{- with $values.serviceAccount.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
automountServiceAccountToken: false
{{- end }}
{{- end -}}

{{- define "netchecks.service" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "netchecks.componentName" . }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "netchecks.labels" . | nindent 4 }}
spec:
  type: ClusterIP
  selector:
    {{- include "netchecks.selectorLabels" . | nindent 4 }}
  ports:
    - name: http-metrics
      port: {{ .root.Values.service.port }}
      targetPort: http
      protocol: TCP
{{- end -}}

{{- define "netchecks.pdb" -}}
{{- $values := index .root.Values .component -}}
{{- if gt (int $values.replicas) 1 }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "netchecks.componentName" . }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "netchecks.labels" . | nindent 4 }}
spec:
  minAvailable: {{ $values.podDisruptionBudget.minAvailable }}
  selector:
    matchLabels:
      {{- include "netchecks.selectorLabels" . | nindent 6 }}
{{- end }}
{{- end -}}

{{/*
honorLabels: the metrics carry their own `namespace` label (the assertion's); without it
Prometheus would rename it `exported_namespace` and every alert would name the release's
namespace instead of the assertion's.
*/}}
{{- define "netchecks.servicemonitor" -}}
{{- $sm := .root.Values.serviceMonitor -}}
{{- if $sm.enabled }}
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ include "netchecks.componentName" . }}
  namespace: {{ $sm.namespace | default .root.Release.Namespace }}
  labels:
    {{- include "netchecks.labels" . | nindent 4 }}
    {{- with $sm.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  namespaceSelector:
    matchNames:
      - {{ .root.Release.Namespace }}
  selector:
    matchLabels:
      {{- include "netchecks.selectorLabels" . | nindent 6 }}
  endpoints:
    - port: http-metrics
      path: /metrics
      honorLabels: true
      interval: {{ $sm.interval }}
      {{- with $sm.scrapeTimeout }}
      scrapeTimeout: {{ . }}
      {{- end }}
      {{- with $sm.relabelings }}
      relabelings:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $sm.metricRelabelings }}
      metricRelabelings:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end }}
{{- end -}}

{{/*
Ingress: the metrics/health port only. Egress: the API server and cluster DNS only.
A NetworkPolicy cannot name the API server; it is matched by port (and by CIDR when
networkPolicy.apiServer.cidrs is set). See the README for the limits.
*/}}
{{- define "netchecks.networkpolicy" -}}
{{- $np := .root.Values.networkPolicy -}}
{{- if $np.enabled }}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "netchecks.componentName" . }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "netchecks.labels" . | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- include "netchecks.selectorLabels" . | nindent 6 }}
  policyTypes:
    - Ingress
    - Egress
  ingress:
    - ports:
        - port: http
          protocol: TCP
      {{- with $np.metricsFrom }}
      from:
        {{- toYaml . | nindent 8 }}
      {{- end }}
  egress:
    - ports:
        {{- range $np.apiServer.ports }}
        - port: {{ . }}
          protocol: TCP
        {{- end }}
      {{- with $np.apiServer.cidrs }}
      to:
        {{- range . }}
        - ipBlock:
            cidr: {{ . }}
        {{- end }}
      {{- end }}
    - to:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: {{ $np.dns.namespace }}
          podSelector:
            matchLabels:
              {{- toYaml $np.dns.podLabels | nindent 14 }}
      ports:
        - port: 53
          protocol: UDP
        - port: 53
          protocol: TCP
{{- end }}
{{- end -}}
