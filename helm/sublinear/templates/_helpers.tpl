{{- define "sublinear.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "sublinear.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "sublinear.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "sublinear.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "sublinear.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one component: pass (dict "root" $ "component" "api") */}}
{{- define "sublinear.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sublinear.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "sublinear.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "sublinear.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "sublinear.apiImage" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* Workers with GPUs run the CUDA image ("<tag>-cuda") unless worker.image says otherwise. */}}
{{- define "sublinear.workerImage" -}}
{{- $repository := default .Values.image.repository .Values.worker.image.repository -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if gt (int .Values.worker.gpus) 0 -}}
{{- $tag = printf "%s-cuda" $tag -}}
{{- end -}}
{{- printf "%s:%s" $repository (default $tag .Values.worker.image.tag) -}}
{{- end -}}

{{/* gpu:0,gpu:1,... for worker.gpus GPUs; worker.devices for a CPU worker. */}}
{{- define "sublinear.workerDevices" -}}
{{- $gpus := int .Values.worker.gpus -}}
{{- if gt $gpus 0 -}}
{{- $devices := list -}}
{{- range $i := until $gpus -}}
{{- $devices = append $devices (printf "gpu:%d" $i) -}}
{{- end -}}
{{- join "," $devices -}}
{{- else -}}
{{- .Values.worker.devices -}}
{{- end -}}
{{- end -}}

{{- define "sublinear.secretName" -}}
{{- printf "%s-secrets" (include "sublinear.fullname" .) -}}
{{- end -}}

{{- define "sublinear.adminKeySecretName" -}}
{{- default (include "sublinear.secretName" .) .Values.auth.existingSecret -}}
{{- end -}}

{{- define "sublinear.adminKeySecretKey" -}}
{{- if .Values.auth.existingSecret -}}{{ .Values.auth.existingSecretKey }}{{- else -}}admin-key{{- end -}}
{{- end -}}

{{- define "sublinear.databaseSecretName" -}}
{{- default (include "sublinear.secretName" .) .Values.database.existingSecret -}}
{{- end -}}

{{- define "sublinear.databaseSecretKey" -}}
{{- if .Values.database.existingSecret -}}{{ .Values.database.existingSecretPasswordKey }}{{- else -}}database-password{{- end -}}
{{- end -}}

{{- define "sublinear.postgresqlName" -}}
{{- printf "%s-postgresql" (include "sublinear.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "sublinear.databaseHost" -}}
{{- if .Values.postgresql.enabled -}}
{{- include "sublinear.postgresqlName" . -}}
{{- else -}}
{{- required "database.host is required when postgresql.enabled is false" .Values.database.host -}}
{{- end -}}
{{- end -}}

{{- define "sublinear.databasePort" -}}
{{- if .Values.postgresql.enabled -}}5432{{- else -}}{{ .Values.database.port }}{{- end -}}
{{- end -}}

{{- define "sublinear.jdbcUrl" -}}
{{- $url := printf "jdbc:postgresql://%s:%s/%s" (include "sublinear.databaseHost" .) (include "sublinear.databasePort" .) .Values.database.database -}}
{{- if .Values.database.params -}}
{{- $url = printf "%s?%s" $url .Values.database.params -}}
{{- end -}}
{{- $url -}}
{{- end -}}

{{- define "sublinear.artifactsClaimName" -}}
{{- default (printf "%s-artifacts" (include "sublinear.fullname" .)) .Values.persistence.existingClaim -}}
{{- end -}}

{{/* Environment shared by the API and the workers: the ConfigMap plus the database password. */}}
{{- define "sublinear.commonEnv" -}}
- name: SPRING_DATASOURCE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "sublinear.databaseSecretName" . }}
      key: {{ include "sublinear.databaseSecretKey" . }}
{{- end -}}

{{/* Volumes shared by the API and the workers. */}}
{{- define "sublinear.volumes" -}}
- name: artifacts
  persistentVolumeClaim:
    claimName: {{ include "sublinear.artifactsClaimName" . }}
- name: data
  emptyDir:
    sizeLimit: {{ .Values.scratch.dataSizeLimit }}
- name: djl-cache
  emptyDir:
    sizeLimit: {{ .Values.scratch.djlCacheSizeLimit }}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.scratch.tmpSizeLimit }}
{{- if .Values.models.existingClaim }}
- name: models
  persistentVolumeClaim:
    claimName: {{ .Values.models.existingClaim }}
    readOnly: true
{{- end }}
{{- end -}}

{{- define "sublinear.volumeMounts" -}}
- name: artifacts
  mountPath: {{ .Values.persistence.mountPath }}
- name: data
  mountPath: /data
- name: djl-cache
  mountPath: /djl-cache
- name: tmp
  mountPath: /tmp
{{- if .Values.models.existingClaim }}
- name: models
  mountPath: {{ .Values.models.mountPath }}
  readOnly: true
{{- end }}
{{- end -}}

{{/* Probes on the Actuator health groups (management.endpoint.health.probes.enabled). */}}
{{- define "sublinear.probes" -}}
startupProbe:
  httpGet:
    path: /actuator/health/liveness
    port: http
  periodSeconds: 5
  timeoutSeconds: 3
  failureThreshold: {{ .startupFailureThreshold }}
livenessProbe:
  httpGet:
    path: /actuator/health/liveness
    port: http
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 3
readinessProbe:
  httpGet:
    path: /actuator/health/readiness
    port: http
  periodSeconds: 5
  timeoutSeconds: 3
  failureThreshold: 3
{{- end -}}
