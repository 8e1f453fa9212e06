{{/* Names. */}}
{{- define "promptsales.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "promptsales.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The name of one component's resources: <fullname>-<component>. */}}
{{- define "promptsales.component.fullname" -}}
{{- printf "%s-%s" (include "promptsales.fullname" .root) .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "promptsales.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "promptsales.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: promptsales
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels of one component: dict "root" $ "component" "router". */}}
{{- define "promptsales.selectorLabels" -}}
app.kubernetes.io/name: {{ include "promptsales.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "promptsales.componentLabels" -}}
{{ include "promptsales.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "promptsales.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "promptsales.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "promptsales.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The Secret a group's keys live in: dict "root" $ "group" "databases". */}}
{{- define "promptsales.secretName" -}}
{{- $group := index .root.Values.secrets .group -}}
{{- if $group.existingSecret -}}
{{- $group.existingSecret -}}
{{- else if .root.Values.secrets.existingSecret -}}
{{- .root.Values.secrets.existingSecret -}}
{{- else if .root.Values.secrets.create -}}
{{- printf "%s-secrets" (include "promptsales.fullname" .root) -}}
{{- else -}}
{{- fail (printf "secrets.%s: name an existingSecret (or secrets.existingSecret), or set secrets.create for development" .group) -}}
{{- end -}}
{{- end -}}

{{/* An env var from a Secret key: dict "root" $ "group" "redis" "name" "PROMPTSALES_REDIS_URL" "key" "redis-url". */}}
{{- define "promptsales.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ include "promptsales.secretName" (dict "root" .root "group" .group) }}
      key: {{ .key }}
{{- end -}}

{{/* A subgraph's /graphql URL: its externalUrl, else its Service in this release. */}}
{{- define "promptsales.subgraphUrl" -}}
{{- $sg := index .root.Values.subgraphs .name -}}
{{- if $sg.externalUrl -}}
{{- $sg.externalUrl -}}
{{- else if $sg.enabled -}}
{{- printf "http://%s:%d/graphql" (include "promptsales.component.fullname" (dict "root" .root "component" .name)) (int $sg.port) -}}
{{- else -}}
{{- fail (printf "subgraphs.%s is disabled: give subgraphs.%s.externalUrl" .name .name) -}}
{{- end -}}
{{- end -}}

{{- define "promptsales.jwksUrl" -}}
{{- if .Values.config.jwksUrl -}}
{{- .Values.config.jwksUrl -}}
{{- else -}}
{{- $sales := include "promptsales.subgraphUrl" (dict "root" . "name" "sales") -}}
{{- printf "%s/.well-known/jwks.json" (trimSuffix "/graphql" $sales) -}}
{{- end -}}
{{- end -}}

{{/* The settings of a service component: defaults merged with its own block. */}}
{{- define "promptsales.settings" -}}
{{- $d := deepCopy .root.Values.defaults -}}
{{- $own := deepCopy .values -}}
{{- $merged := mergeOverwrite $d (omit $own "resources" "autoscaling") -}}
{{- if $own.resources }}{{- $_ := set $merged "resources" $own.resources -}}{{- end -}}
{{- $_ := set $merged "autoscaling" (mergeOverwrite (deepCopy .root.Values.defaults.autoscaling) (default (dict) $own.autoscaling)) -}}
{{- toYaml $merged -}}
{{- end -}}

{{/* The pod security context every pod gets. */}}
{{- define "promptsales.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* The container security context every container gets. */}}
{{- define "promptsales.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ default 10001 .uid }}
runAsGroup: {{ default 10001 .uid }}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Topology spread over nodes and zones. */}}
{{- define "promptsales.topologySpread" -}}
{{- $s := .settings.topologySpread -}}
{{- if $s.enabled }}
topologySpreadConstraints:
  - maxSkew: {{ $s.maxSkew }}
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: {{ $s.nodes }}
    labelSelector:
      matchLabels:
        {{- include "promptsales.selectorLabels" (dict "root" .root "component" .component) | nindent 8 }}
  - maxSkew: {{ $s.maxSkew }}
    topologyKey: topology.kubernetes.io/zone
    whenUnsatisfiable: {{ $s.zones }}
    labelSelector:
      matchLabels:
        {{- include "promptsales.selectorLabels" (dict "root" .root "component" .component) | nindent 8 }}
{{- end }}
{{- end -}}
