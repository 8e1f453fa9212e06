{{/*
One service component: Deployment, Service, HorizontalPodAutoscaler, PodDisruptionBudget.
dict "root" $ "component" "sales" "settings" <merged settings> "args" (list ...)
     "port" 4001 "live" "/health/live" "ready" "/health/ready" "startup" "/health/live"
     "env" <yaml list string> "mounts" <yaml list string> "volumes" <yaml list string>
     "grace" 30 "hpa" true
*/}}
{{- define "promptsales.workload" -}}
{{- $root := .root -}}
{{- $s := .settings -}}
{{- $name := include "promptsales.component.fullname" (dict "root" $root "component" .component) -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $name }}
  labels:
    {{- include "promptsales.componentLabels" (dict "root" $root "component" .component) | nindent 4 }}
spec:
  {{- if not (and .hpa $s.autoscaling.enabled) }}
  replicas: {{ $s.replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "promptsales.selectorLabels" (dict "root" $root "component" .component) | nindent 6 }}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 0
      maxSurge: 1
  template:
    metadata:
      labels:
        {{- include "promptsales.componentLabels" (dict "root" $root "component" .component) | nindent 8 }}
      annotations:
        checksum/config: {{ include (print $root.Template.BasePath "/configmap.yaml") $root | sha256sum }}
        {{- with $root.Values.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "promptsales.serviceAccountName" $root }}
      automountServiceAccountToken: false
      enableServiceLinks: false
      terminationGracePeriodSeconds: {{ .grace }}
      securityContext:
        {{- include "promptsales.podSecurityContext" $root | nindent 8 }}
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- include "promptsales.topologySpread" (dict "root" $root "component" .component "settings" $s) | nindent 6 }}
      {{- with $s.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $s.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $s.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: {{ .component }}
          image: {{ include "promptsales.image" $root }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          args:
            {{- toYaml .args | nindent 12 }}
          ports:
            - name: http
              containerPort: {{ .port }}
              protocol: TCP
          envFrom:
            - configMapRef:
                name: {{ include "promptsales.fullname" $root }}-config
          {{- with .env }}
          env:
            {{- . | nindent 12 }}
          {{- end }}
          startupProbe:
            httpGet: {path: {{ .startup }}, port: http}
            periodSeconds: 2
            timeoutSeconds: 2
            failureThreshold: 60
          livenessProbe:
            httpGet: {path: {{ .live }}, port: http}
            periodSeconds: 10
            timeoutSeconds: 3
            failureThreshold: 3
          readinessProbe:
            httpGet: {path: {{ .ready }}, port: http}
            periodSeconds: 5
            timeoutSeconds: 3
            failureThreshold: 2
          lifecycle:
            preStop:
              sleep:
                seconds: {{ $s.preStopSleepSeconds }}
          resources:
            {{- toYaml $s.resources | nindent 12 }}
          securityContext:
            {{- include "promptsales.containerSecurityContext" dict | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            {{- with .mounts }}
            {{- . | nindent 12 }}
            {{- end }}
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: 64Mi
        {{- with .volumes }}
        {{- . | nindent 8 }}
        {{- end }}
{{- if not .noService }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $name }}
  labels:
    {{- include "promptsales.componentLabels" (dict "root" $root "component" .component) | nindent 4 }}
  {{- with .serviceAnnotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  type: {{ default "ClusterIP" .serviceType }}
  selector:
    {{- include "promptsales.selectorLabels" (dict "root" $root "component" .component) | nindent 4 }}
  ports:
    - name: http
      port: {{ .port }}
      targetPort: http
      protocol: TCP
{{- end }}
{{- if and .hpa $s.autoscaling.enabled }}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ $name }}
  labels:
    {{- include "promptsales.componentLabels" (dict "root" $root "component" .component) | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ $name }}
  minReplicas: {{ $s.autoscaling.minReplicas }}
  maxReplicas: {{ $s.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ $s.autoscaling.targetCPUUtilizationPercentage }}
    - type: Resource
      resource:
        name: memory
        target:
          type: Utilization
          averageUtilization: {{ $s.autoscaling.targetMemoryUtilizationPercentage }}
    {{- if $s.autoscaling.requestsPerSecond.enabled }}
    - type: Pods
      pods:
        metric:
          name: {{ $s.autoscaling.requestsPerSecond.metricName }}
        target:
          type: AverageValue
          averageValue: {{ $s.autoscaling.requestsPerSecond.averageValue | quote }}
    {{- end }}
  behavior:
    scaleDown:
      stabilizationWindowSeconds: 300
      policies:
        - type: Pods
          value: 1
          periodSeconds: 60
{{- end }}
{{- if and .hpa $s.pdb.enabled }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ $name }}
  labels:
    {{- include "promptsales.componentLabels" (dict "root" $root "component" .component) | nindent 4 }}
spec:
  minAvailable: {{ $s.pdb.minAvailable }}
  selector:
    matchLabels:
      {{- include "promptsales.selectorLabels" (dict "root" $root "component" .component) | nindent 6 }}
{{- end }}
{{- end -}}
