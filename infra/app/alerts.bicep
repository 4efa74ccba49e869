// Log alert rules over Application Insights: dead tasks, oldest pending task age, HTTP 5xx rate, Redis errors.
// Each rule notifies the action group when an e-mail address is given; otherwise it only fires in the portal.

@description('Azure region.')
param location string

@description('Tags for every resource.')
param tags object

@description('Application Insights component the rules query.')
param applicationInsightsName string

@description('Short prefix for rule names.')
param namePrefix string

@description('E-mail address notified when a rule fires; empty creates no action group.')
param alertEmail string = ''

@description('Alert when the oldest pending task is older than this many seconds.')
@minValue(1)
param oldestPendingTaskAgeThresholdSeconds int = 120

@description('Alert when this percentage of HTTP requests or more fail with 5xx (over at least 20 requests).')
@minValue(1)
@maxValue(100)
param http5xxPercentThreshold int = 5

@description('Alert when more Redis errors than this occur in the window.')
@minValue(0)
param redisErrorThreshold int = 0

@description('Percent of maxmemory on any Redis primary at which the memory alert fires (health turns degraded at 85% by default).')
param redisMemoryPercentThreshold int = 85

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmail)) {
  name: '${namePrefix}-operators'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'inventory'
    enabled: true
    emailReceivers: [
      {
        name: 'operators'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

var rules = [
  {
    name: 'dead-tasks'
    displayName: 'Inventory: dead tasks'
    description: 'A task exhausted its retries and is dead. Inspect GET /api/tasks/dead and retry with POST /api/tasks/{id}/retry.'
    severity: 1
    query: 'customMetrics\n| where name == \'inventory.tasks.dead\'\n| summarize value = sum(valueSum)'
    operator: 'GreaterThan'
    threshold: 0
  }
  {
    name: 'oldest-pending-task-age'
    displayName: 'Inventory: oldest pending task too old'
    description: 'The oldest pending task has waited longer than ${oldestPendingTaskAgeThresholdSeconds} s: persistence to SQL is falling behind or stuck.'
    severity: 2
    query: 'customMetrics\n| where name == \'inventory.tasks.oldest_pending_age\'\n| summarize value = max(valueMax)'
    operator: 'GreaterThan'
    threshold: oldestPendingTaskAgeThresholdSeconds
  }
  {
    name: 'http-5xx-rate'
    displayName: 'Inventory: HTTP 5xx rate'
    description: 'At least ${http5xxPercentThreshold}% of HTTP requests failed with a server error.'
    severity: 2
    query: 'requests\n| summarize total = count(), failed = countif(toint(resultCode) >= 500)\n| where total >= 20\n| extend value = 100.0 * failed / total'
    operator: 'GreaterThanOrEqual'
    threshold: http5xxPercentThreshold
  }
  {
    name: 'redis-errors'
    displayName: 'Inventory: Redis errors'
    description: 'Redis calls failed (connection, timeout or server errors).'
    severity: 2
    query: 'union\n  (exceptions | where type has \'Redis\' or outerType has \'Redis\'),\n  (dependencies | where type =~ \'Redis\' and success == false)\n| summarize value = count()'
    operator: 'GreaterThan'
    threshold: redisErrorThreshold
  }
  {
    name: 'redis-memory'
    displayName: 'Inventory: Redis memory high'
    description: 'A Redis primary uses ${redisMemoryPercentThreshold}% or more of its maxmemory; at 100% it refuses every write (OOM) and sales stop. Scale the cache or shorten the idempotency TTL: see docs/operations.md, "Redis memory".'
    severity: 1
    query: 'customMetrics\n| where name == \'inventory.redis.memory.used_ratio\'\n| summarize value = 100.0 * max(valueMax)'
    operator: 'GreaterThanOrEqual'
    threshold: redisMemoryPercentThreshold
  }
  {
    name: 'redis-refusals'
    displayName: 'Inventory: Redis refuses writes'
    description: 'Redis refused commands outright (OOM, READONLY, LOADING, MISCONF): those requests were answered 503 with the cause and nothing changed. See docs/operations.md, "Redis refuses writes".'
    severity: 1
    query: 'customMetrics\n| where name == \'inventory.redis.refusals\'\n| summarize value = sum(valueSum)'
    operator: 'GreaterThan'
    threshold: 0
  }
]

resource alertRules 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [
  for rule in rules: {
    name: '${namePrefix}-${rule.name}'
    location: location
    tags: tags
    kind: 'LogAlert'
    properties: {
      displayName: rule.displayName
      description: rule.description
      severity: rule.severity
      enabled: true
      scopes: [
        appInsights.id
      ]
      evaluationFrequency: 'PT5M'
      windowSize: 'PT5M'
      criteria: {
        allOf: [
          {
            query: rule.query
            timeAggregation: 'Maximum'
            metricMeasureColumn: 'value'
            operator: rule.operator
            threshold: rule.threshold
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      autoMitigate: true
      // The tables exist from the first telemetry on; skipping validation lets the rules deploy before that.
      skipQueryValidation: true
      actions: {
        actionGroups: empty(alertEmail) ? [] : [actionGroup.id]
      }
    }
  }
]

output ruleNames string[] = [for (rule, i) in rules: alertRules[i].name]
